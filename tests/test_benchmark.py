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
    options = benchmark.BenchOptions(corpora=[tiny_corpus], generate_seeds=[5], generated_rows=120,
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
    assert t["pipeline_mb_per_s"] > 0 and t["regex_mb_per_s"] > 0 and t["scan_errors"] == 0
    assert t["ratio"] == pytest.approx(t["pipeline_mb_per_s"] / t["regex_mb_per_s"], rel=0.05)
    assert t["meets_target"] == (t["ratio"] >= benchmark.TARGET_RATIO)
    assert t["same_verdicts_without_gate"] is True and t["gated_clean_documents"] <= t["documents"]
    assert t["gated_clean_documents"] > 0 or not gate_available()
    assert t["without_gate_cpu_seconds"] > 0 and t["without_gate_ratio"] > 0
    pattern = plaintext_pattern(leaked_values(tiny_corpus / "leak.csv"))
    assert not plaintext_found(pattern, json.dumps(report, ensure_ascii=False).encode())


def test_cli_json_and_tables_print_no_leaked_values(tiny_corpus: Path) -> None:
    runner = CliRunner()
    args = ["bench", "--corpus", str(tiny_corpus), "--generate-seeds", "none", "--throughput-mb", "0",
            "--register-rows", "none"]
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


def test_cli_refuses_a_folder_that_is_not_a_corpus(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["bench", "--corpus", str(tmp_path), "--generate-seeds", "none"])
    assert result.exit_code == 2
    assert "is not a benchmark corpus: missing leak.csv, docs, labels.json" in result.stderr
    result = CliRunner().invoke(_app(), ["bench", "--corpus", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no such folder" in result.stderr
    result = CliRunner().invoke(_app(), ["bench", "--generate-seeds", "1,x"])
    assert result.exit_code == 2 and "--generate-seeds" in result.stderr


def test_root_cli_has_the_bench_command() -> None:
    from tracker.cli import app

    result = CliRunner().invoke(app, ["bench", "--help"])
    assert result.exit_code == 0 and "--throughput-mb" in result.stdout


def test_option_lists() -> None:
    assert _ints("101,202", "--x") == [101, 202]
    assert _ints("6252, 1_000_000", "--x") == [6252, 1_000_000]
    assert _ints("none", "--x") == [] and _ints("", "--x") == []
    with pytest.raises(UsageError, match="positive"):
        _ints("-3", "--x")


def test_tokenizer_baseline_counts_words() -> None:
    # hello, wörld, 2, x, ok: the underscore splits, the undecodable byte is no word
    assert benchmark.tokenize_baseline([b"Hello, W\xc3\xb6rld_2 x", b"\xff ok"]) == 5
