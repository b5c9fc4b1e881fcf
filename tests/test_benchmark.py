"""``tracker bench``: real registration, real scans, real scoring, on tiny generated corpora."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from fingerprints.gate import available as gate_available
from tracker import benchmark
from tracker.cli import TrackerGroup
from tracker.cli.bench import _ints, register
from tracker.demo import leaked_values, plaintext_found, plaintext_pattern
from tracker.errors import UsageError
from tracker.synth import generate_corpus

SHARED_SCORER = Path(__file__).resolve().parents[2] / "shared" / "bench" / "score.py"
QUALITY_KEYS = {"documents", "doc_precision", "doc_recall", "doc_f1", "false_positive_docs", "missed_docs",
                "record_precision", "record_recall", "per_kind"}
KINDS = ["subset_csv", "perturbed_csv", "html_table", "prose_mention", "needle_in_paste", "other_roster",
         "name_collisions", "recombined_rows", "paste_log"]


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench")
    generate_corpus(root / "tiny", 31, n_leak=150, styles=KINDS)
    if SHARED_SCORER.is_file():  # a score.py next to the corpus is run as well
        shutil.copy(SHARED_SCORER, root / "score.py")
    return root / "tiny"


def _app() -> typer.Typer:
    app = typer.Typer(cls=TrackerGroup)

    @app.callback()
    def main() -> None:
        """Test root."""

    register(app)
    return app


LABELS = {
    "a.csv": {"positive": True, "kind": "full", "records": [1, 2, 3]},
    "b.csv": {"positive": True, "kind": "full", "records": [4]},
    "c.txt": {"positive": False, "kind": "noise", "records": []},
    "d.txt": {"positive": False, "kind": "noise", "records": []},
}
PREDS = {
    "a.csv": {"source": "/x/a.csv", "verdict": "hit", "records": [1, 2, 9]},
    "b.csv": {"source": "/x/b.csv", "verdict": "clean", "records": [4]},  # records of a clean verdict do not count
    "c.txt": {"source": "/x/c.txt", "verdict": "hit", "records": [5]},
}


def test_score_formulas() -> None:
    result = benchmark.score(LABELS, PREDS)
    assert result == {
        "documents": 4, "doc_precision": 0.5, "doc_recall": 0.5, "doc_f1": 0.5, "false_positive_docs": 1,
        "missed_docs": 1, "record_precision": 0.5, "record_recall": 0.5, "per_kind": {"full": "1/2", "noise": "1/2"}}
    assert benchmark.score(LABELS, {})["doc_precision"] == 1.0  # nothing predicted: precision is vacuous


@pytest.mark.skipif(not SHARED_SCORER.is_file(), reason="the shared scorer is not next to this checkout")
def test_score_agrees_with_the_shared_scorer(tmp_path: Path) -> None:
    labels, preds = tmp_path / "labels.json", tmp_path / "preds.jsonl"
    labels.write_text(json.dumps(LABELS))
    preds.write_text("".join(json.dumps(p) + "\n" for p in PREDS.values()) + '{"summary": 1}\n')
    done = subprocess.run([sys.executable, str(SHARED_SCORER), str(labels), str(preds), "--json"],
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == benchmark.score(LABELS, benchmark.load_predictions(preds))


def test_full_run_measures_everything(tiny_corpus: Path, tmp_path: Path) -> None:
    options = benchmark.BenchOptions(corpora=[tiny_corpus], generate_seeds=[5], generated_rows=120, forms_seeds=[],
                                     throughput_mb=0.5, register_rows=[150], work_dir=tmp_path / "work")
    report = benchmark.run(options)
    assert set(report) == {"environment", "corpora", "registration", "throughput"}
    given, generated = report["corpora"]
    assert given["name"] == "tiny" and generated["name"] == "generated-5"
    for c in (given, generated):
        assert QUALITY_KEYS <= set(c) and c["scan_errors"] == 0 and c["leak_rows"] in (150, 120)
        assert 0.0 <= c["doc_f1"] <= 1.0 and c["index_load_seconds"] > 0
        preds = benchmark.load_predictions(Path(c["predictions"]))
        labels = json.loads((Path(c["path"]) / "labels.json").read_text())
        assert set(preds) == set(labels)  # every document scanned, one line each
        assert benchmark.score(labels, preds) == {k: c[k] for k in QUALITY_KEYS}
        assert c["per_kind_records"] == benchmark.per_kind_records(labels, preds)
    assert set(given["per_kind"]) == set(KINDS)
    assert len(generated["per_kind"]) > len(KINDS)  # the varied style uses every kind
    if SHARED_SCORER.is_file():
        shared = given["score_py"]
        assert shared["result"] == {k: given[k] for k in QUALITY_KEYS}
        assert "doc precision" in shared["output"]
    (reg,) = report["registration"]
    assert reg["rows"] == 150 and reg["rows_per_s"] > 0 and reg["rows_per_cpu_s"] > 0
    assert reg["index_bytes_per_row"] > 0
    assert 20 < reg["peak_rss_mb"] < 4000 and reg["index_load_seconds"] > 0
    t = report["throughput"]
    assert t["megabytes"] >= 0.5 and t["documents"] > 3 and t["tokens"] > 10_000
    assert set(t["mix"]) == {"reposts", "rosters", "pdf_xlsx"}
    # the whole command, in a child process: imports and index load cost CPU too
    assert t["scan_cpu_seconds"] > 0.2 and t["scan_wall_seconds"] > 0 and t["scan_exit_code"] in (0, 3)
    assert t["scan_mb_per_s"] > 0 and t["regex_mb_per_s"] > 0 and len(t["regex_cpu_seconds_runs"]) == 2
    assert t["regex_cpu_seconds"] == min(t["regex_cpu_seconds_runs"])
    assert t["ratio"] == pytest.approx(t["scan_mb_per_s"] / t["regex_mb_per_s"], rel=0.05)
    assert t["meets_target"] == (t["ratio"] >= benchmark.TARGET_RATIO)
    preds = benchmark.load_predictions(Path(t["predictions"]))
    stream_labels = json.loads((tmp_path / "work" / "throughput" / "stream" / "labels.json").read_text())
    assert set(preds) == set(stream_labels)  # the command scanned every document of the stream
    assert t["reposts"] == sum(v["positive"] for v in stream_labels.values()) and t["reposts_found"] <= t["reposts"]
    p = t["in_process"]
    assert p["same_verdicts_without_gate"] is True and p["different_documents"] == 0
    assert p["gated_clean_documents"] <= t["documents"]
    assert p["gated_clean_documents"] > 0 or not gate_available()
    assert p["pipeline_cpu_seconds"] > 0 and p["without_gate_cpu_seconds"] > 0 and p["without_gate_ratio"] > 0
    assert sum(e["megabytes"] for e in p["by_extension"].values()) == pytest.approx(t["megabytes"], abs=0.05)
    pattern = plaintext_pattern(leaked_values(tiny_corpus / "leak.csv"))
    assert not plaintext_found(pattern, json.dumps(report, ensure_ascii=False).encode())
    leak = tmp_path / "work" / "throughput" / "leak.csv"
    assert not plaintext_found(plaintext_pattern(leaked_values(leak)), json.dumps(report, ensure_ascii=False).encode())


def test_forms_corpus_through_the_bench(tmp_path: Path) -> None:
    """A corpus of the new forms is registered, scanned and scored like any corpus (no score asserted)."""
    from tracker.synth import generate_forms_corpus

    kinds = {"id_paste": 2, "names_list": 1, "excel_serial_csv": 1, "eml_attachment": 2, "ocr_screenshot": 1,
             "roster_csv": 2, "namesakes": 1, "id_numbers": 1}
    labels = generate_forms_corpus(tmp_path / "forms", 4, n_leak=400, kinds=kinds)
    result = benchmark.run_corpus(tmp_path / "forms", tmp_path / "run", "forms-4", details=True)
    assert QUALITY_KEYS <= set(result) and result["documents"] == len(labels) == sum(kinds.values())
    assert set(result["per_kind"]) == set(kinds)
    assert set(result["per_kind_records"]) == {k for k in kinds if k in ("id_paste", "names_list", "excel_serial_csv",
                                                                         "eml_attachment", "ocr_screenshot")}
    details = {d["document"]: d for d in result["details"]}
    assert set(details) == set(labels)
    for name, d in details.items():
        assert d["kind"] == labels[name]["kind"] and d["records_labelled"] == len(labels[name]["records"])
        assert d["verdict"] in ("hit", "clean", "error") and d["seconds"] >= 0
        assert d["records_found"] <= min(d["records_labelled"], d["records_reported"])
    options = benchmark.BenchOptions(generate_seeds=[], forms_seeds=[], throughput_mb=0, register_rows=[])
    assert benchmark.run(options)["corpora"] == []


def test_scale_suite_end_to_end(tmp_path: Path) -> None:
    """A tiny scale run (5,000-row leak, 2 rosters of 500, 2 with hidden rows) through the bench code."""
    result = benchmark.run_scale(tmp_path, 5000, rosters=2, roster_rows=500, positives=2)
    assert result["leak_rows"] == 5000 and result["rosters"] == 2 and result["positive_rosters"] == 2
    assert result["roster_rows"] == 500 and result["hidden_records"] == 1 + 2
    assert 0 <= result["false_positive_rosters"] <= 2 and 0 <= result["positives_found"] <= 2
    assert 0 <= result["hidden_records_found"] <= 3 and result["scan_errors"] == 0
    assert result["register_seconds"] > 0 and result["generate_seconds"] > 0 and result["scan_seconds"] > 0
    assert len(result["documents"]) == 4
    assert [d["kind"] for d in result["documents"]] == ["roster"] * 2 + ["roster_with_leaked_rows"] * 2
    assert all(0 <= d["shared_rows"] <= 500 for d in result["documents"])
    assert result["shared_rows_total"] == sum(d["shared_rows"] for d in result["documents"][:2])
    preds = benchmark.load_predictions(Path(result["predictions"]))
    assert set(preds) == {d["document"] for d in result["documents"]}
    assert result["false_positive_rosters"] == sum(preds[d["document"]]["verdict"] == "hit"
                                                   for d in result["documents"][:2])
    leak = tmp_path / "scale-5000" / "leak.csv"
    assert sum(1 for _ in leak.open(encoding="utf-8")) == 5001
    pattern = plaintext_pattern(leaked_values(leak))
    assert not plaintext_found(pattern, json.dumps(result, ensure_ascii=False).encode())


def test_cli_json_and_tables_print_no_leaked_values(tiny_corpus: Path) -> None:
    runner = CliRunner()
    args = ["bench", "--corpus", str(tiny_corpus), "--generate-seeds", "none", "--forms-seeds", "none",
            "--throughput-mb", "0", "--register-rows", "none"]
    as_json = runner.invoke(_app(), [*args, "--json"])
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    assert [c["name"] for c in report["corpora"]] == ["tiny"] and "throughput" not in report
    assert "predictions" not in report["corpora"][0]  # temporary files are gone, so not pointed at
    tables = runner.invoke(_app(), args)
    assert tables.exit_code == 0, tables.output
    assert "Detection quality" in tables.stdout and "Correct documents per kind" in tables.stdout
    assert "perturbed_csv" in tables.stdout
    pattern = plaintext_pattern(leaked_values(tiny_corpus / "leak.csv"))
    assert not plaintext_found(pattern, (as_json.stdout + tables.stdout).encode())


def test_cli_scale_tables(tmp_path: Path) -> None:
    args = ["bench", "--generate-seeds", "none", "--forms-seeds", "none", "--throughput-mb", "0", "--register-rows",
            "none", "--scale-rows", "2000", "--scale-rosters", "1", "--scale-roster-rows", "200",
            "--scale-positives", "1", "--work-dir", str(tmp_path)]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    assert "Scale suite: 2,000-row leak" in result.stdout and "clean rosters flagged" in result.stdout
    pattern = plaintext_pattern(leaked_values(tmp_path / "scale" / "scale-2000" / "leak.csv"))
    assert not plaintext_found(pattern, result.stdout.encode())


def test_cli_refuses_a_folder_that_is_not_a_corpus(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["bench", "--corpus", str(tmp_path), "--generate-seeds", "none"])
    assert result.exit_code == 2
    assert "is not a benchmark corpus: missing leak.csv, docs, labels.json" in result.stderr
    result = CliRunner().invoke(_app(), ["bench", "--corpus", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no such folder" in result.stderr
    result = CliRunner().invoke(_app(), ["bench", "--generate-seeds", "1,x"])
    assert result.exit_code == 2 and "--generate-seeds" in result.stderr
    result = CliRunner().invoke(_app(), ["bench", "--scale-rows", "200k"])
    assert result.exit_code == 2 and "--scale-rows" in result.stderr


def test_root_cli_has_the_bench_command() -> None:
    from tracker.cli import app

    result = CliRunner().invoke(app, ["bench", "--help"])
    assert result.exit_code == 0 and "--throughput-mb" in result.stdout
    assert "--scale-rows" in result.stdout and "--forms-seeds" in result.stdout


def test_option_lists() -> None:
    assert _ints("101,202", "--x") == [101, 202]
    assert _ints("6252, 1_000_000", "--x") == [6252, 1_000_000]
    assert _ints("none", "--x") == [] and _ints("", "--x") == []
    with pytest.raises(UsageError, match="positive"):
        _ints("-3", "--x")


def test_tokenizer_baseline_counts_words() -> None:
    # hello, wörld, 2, x, ok: the underscore splits, the undecodable byte is no word
    assert benchmark.tokenize_baseline([b"Hello, W\xc3\xb6rld_2 x", b"\xff ok"]) == 5


def test_the_bomb_suite_reports_each_bomb_as_an_error_with_its_cost(tmp_path: Path) -> None:
    """A few bombs of the suite through real ``tracker scan`` processes: none is clean, none
    stops the command, and each comes with its time and the peak memory of the scan."""
    from tracker import benchmark

    results = benchmark.run_bombs(tmp_path, only=["corners.xlsx", "nested.zip", "deep.json", "lol.xml"])
    assert [r["document"] for r in results] == ["corners.xlsx", "nested.zip", "deep.json", "lol.xml"]
    by_name = {r["document"]: r for r in results}
    for name in ("corners.xlsx", "nested.zip"):  # cannot be read within the limits: an error
        assert by_name[name]["verdict"] == "error" and by_name[name]["error"], by_name[name]
        assert by_name[name]["exit_code"] == 3, by_name[name]  # not scanned; the command itself worked
    for name in ("deep.json", "lol.xml"):  # nothing leaked in them: read whole (or the raw text cleared), or refused
        assert by_name[name]["verdict"] in ("clean", "error") and by_name[name]["exit_code"] in (0, 3)
    assert all(r["peak_rss_mb"] > 0 and r["seconds"] > 0 for r in results)
