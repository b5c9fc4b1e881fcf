"""``tracker bench``: detection quality, scan throughput and registration cost, measured the same way each time.

Quality: each corpus (a folder with ``leak.csv``, ``docs/`` and ``labels.json``) is
registered in a fresh temporary ``TRACKER_HOME`` and scanned with ``tracker.pipeline`` (the
code behind ``tracker scan --json``); the predictions are scored with the formulas of
``../shared/bench/score.py``, and when a ``score.py`` sits next to the corpus it is run too.
Throughput: CPU seconds of the whole pipeline (extract, match, store) over a synthetic
paste stream against a bare tokenizer pass (``re.findall(r"[^\\W_]+", text.casefold())``)
over the same bytes, in the same process. Registration: rows per second, peak memory,
index size and index load time, in a child process so its memory is its own.

Only numbers leave this module: record ids go to the predictions file, never values.
"""
from __future__ import annotations

import gc
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from tracker.errors import UsageError

TARGET_RATIO = 1.25  # the pipeline should run at least this many times the bare tokenizer's speed
LEAK_NAME = "bench"
STREAM_SEED = 7
STREAM_LEAK_ROWS = 6252
_TOKEN_RE = re.compile(r"[^\W_]+")

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# --- scoring (the formulas of ../shared/bench/score.py) ---------------------------------------------------


def load_predictions(path: Path) -> dict[str, dict[str, Any]]:
    """Predictions JSONL (``tracker scan --json`` lines) keyed by the last path component of the source."""
    preds: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            if "source" in obj:
                preds[PurePosixPath(str(obj["source"]).rstrip("/")).name] = obj
    return preds


def score(labels: Mapping[str, Mapping[str, Any]], preds: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Document precision/recall/F1, false positives, record precision/recall and a per-kind table.

    A document missing from ``preds`` counts as clean with no records; records count only
    on documents predicted as hits. Same definitions and rounding as ``score.py``.
    """
    tp = fp = fn = 0
    rec_tp = rec_fp = rec_fn = 0
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for doc, lab in labels.items():
        p = preds.get(doc, {})
        hit = p.get("verdict") == "hit"
        truth = bool(lab["positive"])
        per_kind[str(lab["kind"])][1] += 1
        per_kind[str(lab["kind"])][0] += hit == truth
        tp += truth and hit
        fn += truth and not hit
        fp += hit and not truth
        got = set(p.get("records") or []) if hit else set()
        want = set(lab["records"])
        rec_tp += len(got & want)
        rec_fp += len(got - want)
        rec_fn += len(want - got)
    prec = tp / (tp + fp) if tp + fp else 1.0
    rec = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    rprec = rec_tp / (rec_tp + rec_fp) if rec_tp + rec_fp else 1.0
    rrec = rec_tp / (rec_tp + rec_fn) if rec_tp + rec_fn else 1.0
    return {
        "documents": len(labels), "doc_precision": round(prec, 4), "doc_recall": round(rec, 4),
        "doc_f1": round(f1, 4), "false_positive_docs": fp, "missed_docs": fn,
        "record_precision": round(rprec, 4), "record_recall": round(rrec, 4),
        "per_kind": {k: f"{c}/{t}" for k, (c, t) in sorted(per_kind.items())},
    }


def _run_score_py(script: Path, labels: Path, predictions: Path) -> dict[str, Any]:
    """Run the shared scorer on the same files: its JSON result and its own printed report."""
    def run(*extra: str) -> str:
        done = subprocess.run([sys.executable, str(script), str(labels), str(predictions), *extra],
                              capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            raise UsageError(f"{script} failed (exit {done.returncode}): {done.stderr.strip()[:500]}")
        return done.stdout

    return {"script": str(script), "result": json.loads(run("--json")), "output": run()}


# --- a fresh tracker ----------------------------------------------------------------------------------------


@dataclass
class _Tracker:
    """A throw-away tracker home with one registered leak, opened in this process."""

    home: Path
    settings: Any
    engine: Any
    keyer: Any
    leak: Any
    register_seconds: float
    register_cpu_seconds: float


def _fresh_tracker(home: Path, leak_csv: Path) -> _Tracker:
    """A new TRACKER_HOME (own database and key, nothing from the environment) with ``leak_csv`` added."""
    from tracker import leaks
    from tracker.db import open_database
    from tracker.keyfile import open_keyer
    from tracker.settings import Settings

    settings = Settings.from_env(home=home, env={})
    settings.ensure_home()
    engine = open_database(settings.database_url)
    keyer = open_keyer(settings.key_file, create=True)
    start, cpu = time.perf_counter(), time.process_time()
    outcome = leaks.add_leak(engine, settings, keyer, leak_csv, LEAK_NAME)
    return _Tracker(home, settings, engine, keyer, outcome.leak, time.perf_counter() - start,
                    time.process_time() - cpu)


def _scanner(t: _Tracker, use_gate: bool = True) -> tuple[Any, float]:
    """A pipeline scanner for the tracker's leak, and the seconds it took to load the index."""
    from tracker.pipeline import Scanner

    start = time.perf_counter()
    scanner = Scanner(t.engine, [t.leak], t.keyer, settings=t.settings, use_gate=use_gate)
    return scanner, time.perf_counter() - start


def _scan_all(scanner: Any, files: Sequence[Path], blobs: Sequence[bytes]) -> tuple[float, dict[str, tuple]]:
    """CPU seconds to scan every document, and each one's (verdict, records, score)."""
    outcome: dict[str, tuple] = {}
    start = time.process_time()
    for file, data in zip(files, blobs):
        for result in scanner.scan_bytes(str(file), data, name=file.name):
            outcome[file.name] = (result.verdict, tuple(result.records), round(result.score, 6))
    return time.process_time() - start, outcome


def _doc_files(docs: Path) -> list[Path]:
    from tracker.pipeline import iter_files

    return iter_files(docs)


# --- quality on a labelled corpus ---------------------------------------------------------------------------


def check_corpus(path: Path) -> None:
    """Refuse a folder that is not a corpus, naming what is missing."""
    if not path.is_dir():
        raise UsageError(f"--corpus {path}: no such folder")
    missing = [n for n in ("leak.csv", "docs", "labels.json") if not (path / n).exists()]
    if missing:
        raise UsageError(f"{path} is not a benchmark corpus: missing {', '.join(missing)} "
                         "(a corpus holds leak.csv, docs/ and labels.json)")


def run_corpus(corpus: Path, work: Path, name: str, progress: Progress = _quiet) -> dict[str, Any]:
    """Register ``corpus/leak.csv`` in a fresh home, scan ``docs/``, score the predictions."""
    check_corpus(corpus)
    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    work.mkdir(parents=True, exist_ok=True)
    progress(f"{name}: registering the leak")
    tracker = _fresh_tracker(work / "home", corpus / "leak.csv")
    scanner, load_seconds = _scanner(tracker)
    predictions = work / "predictions.jsonl"
    files = _doc_files(corpus / "docs")
    errors = 0
    start = time.perf_counter()
    with scanner, predictions.open("w", encoding="utf-8") as out:
        for i, file in enumerate(files, 1):
            progress(f"{name}: scanning {i}/{len(files)}")
            for result in scanner.scan_file(file):
                errors += result.verdict == "error"
                out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    scan_seconds = time.perf_counter() - start
    tracker.engine.dispose()
    result = {"name": name, "path": str(corpus), "leak_rows": tracker.leak.n_records, **score(
        labels, load_predictions(predictions)), "scan_errors": errors, "scan_seconds": round(scan_seconds, 3),
        "register_seconds": round(tracker.register_seconds, 3), "index_load_seconds": round(load_seconds, 4),
        "predictions": str(predictions)}
    script = corpus.parent / "score.py"
    if script.is_file():
        progress(f"{name}: running {script}")
        result["score_py"] = _run_score_py(script, corpus / "labels.json", predictions)
    return result


def generate(work: Path, seed: int, n_leak: int) -> Path:
    """A corpus drawn with :meth:`CorpusStyle.varied` for ``seed`` (other mix and perturbations than dev)."""
    from tracker.synth import CorpusStyle, generate_corpus

    corpus = work / f"corpus-{seed}"
    generate_corpus(corpus, seed, n_leak=n_leak, styles=CorpusStyle.varied(seed))
    return corpus


# --- throughput ----------------------------------------------------------------------------------------------


def tokenize_baseline(texts: Sequence[bytes]) -> int:
    """The reference pass: decode, case-fold and split into word tokens; returns the token count."""
    n = 0
    for data in texts:
        n += len(_TOKEN_RE.findall(data.decode("utf-8", "replace").casefold()))
    return n


@contextmanager
def _gc_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was:
            gc.disable()


def run_throughput(work: Path, megabytes: float, progress: Progress = _quiet) -> dict[str, Any]:
    """CPU seconds per MB of the scan pipeline vs the bare tokenizer over one synthetic paste stream."""
    from tracker.synth import generate_leak, paste_stream
    from tracker.synth.render import to_csv

    work.mkdir(parents=True, exist_ok=True)
    progress(f"throughput: generating {megabytes:g} MB of pastes")
    header, rows = generate_leak(STREAM_LEAK_ROWS, STREAM_SEED)
    leak_csv = work / "leak.csv"
    leak_csv.write_text(to_csv(header, rows), encoding="utf-8")
    labels = paste_stream(work / "stream", STREAM_SEED, megabytes, rows)
    files = _doc_files(work / "stream" / "docs")
    blobs = [f.read_bytes() for f in files]
    size_mb = sum(map(len, blobs)) / 1e6
    tracker = _fresh_tracker(work / "home", leak_csv)
    scanner, load_seconds = _scanner(tracker)
    full, _ = _scanner(tracker, use_gate=False)
    with scanner, full, _gc_enabled():
        for each in (scanner, full):
            each.scan_bytes("warm-up", b"warm up the extractors and the matcher\n", name="warm-up.txt")
        progress("throughput: tokenizer baseline")
        start = time.process_time()
        tokens = tokenize_baseline(blobs)
        regex_cpu = time.process_time() - start
        progress(f"throughput: scanning {len(files)} documents")
        warm_up_cleared = scanner.gated_clean
        pipeline_cpu, outcome = _scan_all(scanner, files, blobs)
        progress(f"throughput: scanning {len(files)} documents again, each extracted and matched in full")
        full_cpu, full_outcome = _scan_all(full, files, blobs)
    tracker.engine.dispose()
    hits = {name: list(records) for name, (verdict, records, _) in outcome.items() if verdict == "hit"}
    errors = sum(verdict == "error" for verdict, _, _ in outcome.values())
    preds = {name: {"verdict": "hit", "records": records} for name, records in hits.items()}
    quality = score(labels, preds)
    pipeline_mbps = size_mb / pipeline_cpu if pipeline_cpu else float("inf")
    regex_mbps = size_mb / regex_cpu if regex_cpu else float("inf")
    ratio = pipeline_mbps / regex_mbps if regex_mbps else 0.0
    return {
        "megabytes": round(size_mb, 2), "documents": len(files), "tokens": tokens,
        "pipeline_cpu_seconds": round(pipeline_cpu, 3), "pipeline_mb_per_s": round(pipeline_mbps, 2),
        "regex_cpu_seconds": round(regex_cpu, 3), "regex_mb_per_s": round(regex_mbps, 2),
        "ratio": round(ratio, 3), "target_ratio": TARGET_RATIO, "meets_target": ratio >= TARGET_RATIO,
        "gated_clean_documents": scanner.gated_clean - warm_up_cleared,
        "without_gate_cpu_seconds": round(full_cpu, 3),
        "without_gate_ratio": round((size_mb / full_cpu) / regex_mbps if full_cpu and regex_mbps else 0.0, 3),
        "same_verdicts_without_gate": outcome == full_outcome,
        "index_load_seconds": round(load_seconds, 4), "scan_errors": errors,
        "reposts": sum(bool(v["positive"]) for v in labels.values()),
        "reposts_found": sum(bool(v["positive"]) and name in hits for name, v in labels.items()),
        "false_positive_docs": quality["false_positive_docs"], "record_recall": quality["record_recall"],
    }


# --- registration cost ---------------------------------------------------------------------------------------


def _register_child(home: Path, leak_csv: Path) -> dict[str, Any]:
    """In the child: register the leak, then load its index once as a scan does; timings only."""
    tracker = _fresh_tracker(home, leak_csv)
    scanner, load_seconds = _scanner(tracker)
    scanner.close()
    tracker.engine.dispose()
    rows = tracker.leak.n_records
    wall, cpu = tracker.register_seconds, tracker.register_cpu_seconds
    return {"rows": rows, "seconds": round(wall, 3), "cpu_seconds": round(cpu, 3),
            "rows_per_s": round(rows / wall, 1) if wall else None,
            "rows_per_cpu_s": round(rows / cpu, 1) if cpu else None,
            "index_bytes": tracker.leak.index_bytes,
            "index_bytes_per_row": round(tracker.leak.index_bytes / rows, 1) if rows else None,
            "index_load_seconds": round(load_seconds, 4)}


def _measure_child(argv: Sequence[str]) -> dict[str, Any]:
    """Run ``argv`` as the only child of a fresh process and add its peak RSS (RUSAGE_CHILDREN).

    The extra process level makes the child the only one ever waited for, so
    ``RUSAGE_CHILDREN``'s maximum is this child's own peak and not an earlier, larger one's.
    """
    done = subprocess.run([sys.executable, "-m", "tracker.benchmark", "measure", *argv], capture_output=True,
                          text=True, check=False, timeout=3600)
    if done.returncode != 0:
        raise UsageError(f"registration benchmark failed (exit {done.returncode}): {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_registration(work: Path, rows: int, progress: Progress = _quiet) -> dict[str, Any]:
    """Register a synthetic leak of ``rows`` rows in a child process: speed, peak RSS, index size and load time."""
    from tracker.synth import write_leak_csv

    work.mkdir(parents=True, exist_ok=True)
    progress(f"registration: generating {rows:,} rows")
    leak_csv = write_leak_csv(work / f"leak-{rows}.csv", rows, seed=rows)
    progress(f"registration: registering {rows:,} rows")
    result = _measure_child(["register", str(work / f"home-{rows}"), str(leak_csv)])
    result["leak_file_mb"] = round(leak_csv.stat().st_size / 1e6, 2)
    return result


# --- the whole run -------------------------------------------------------------------------------------------


@dataclass
class BenchOptions:
    """What ``tracker bench`` measures (see its --help)."""

    corpora: list[Path] = field(default_factory=list)
    generate_seeds: list[int] = field(default_factory=lambda: [101, 202])
    generated_rows: int = 6252
    throughput_mb: float = 50.0
    register_rows: list[int] = field(default_factory=lambda: [6252])
    work_dir: Path | None = None


def environment() -> dict[str, Any]:
    """Where the numbers were taken: they mean little without the machine."""
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine()}


def run(options: BenchOptions, progress: Progress = _quiet) -> dict[str, Any]:
    """Every measurement ``options`` asks for, as one JSON-able dict."""
    for corpus in options.corpora:
        check_corpus(corpus)
    with tempfile.TemporaryDirectory(prefix="tracker-bench-") as tmp:
        work = options.work_dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        report: dict[str, Any] = {"environment": environment(), "corpora": [], "registration": []}
        for rows in sorted(options.register_rows):
            report["registration"].append(run_registration(work / "registration", rows, progress))
        names: Counter[str] = Counter()
        for i, corpus in enumerate(options.corpora):
            names[corpus.name] += 1  # two corpora called "dev" are reported as dev and dev-2
            name = corpus.name if names[corpus.name] == 1 else f"{corpus.name}-{names[corpus.name]}"
            report["corpora"].append(run_corpus(corpus, work / f"run-{i}-{corpus.name}", name, progress))
        for seed in options.generate_seeds:
            progress(f"generating corpus for seed {seed}")
            corpus = generate(work / "generated", seed, options.generated_rows)
            report["corpora"].append(run_corpus(corpus, work / f"run-seed-{seed}", f"generated-{seed}", progress))
        if options.throughput_mb > 0:
            report["throughput"] = run_throughput(work / "throughput", options.throughput_mb, progress)
        if options.work_dir is None:  # the files are gone with the temporary folder
            for c in report["corpora"]:
                c.pop("predictions", None)
    return report


def _main(argv: Sequence[str]) -> int:
    """Internal entry points of the child processes (not a user command)."""
    if argv[:1] == ["measure"]:
        done = subprocess.run([sys.executable, "-m", "tracker.benchmark", *argv[1:]], capture_output=True, text=True,
                              check=False)
        sys.stderr.write(done.stderr)
        if done.returncode != 0:
            return done.returncode
        result = json.loads(done.stdout.strip().splitlines()[-1])
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux, bytes on macOS
        result["peak_rss_mb"] = round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
        print(json.dumps(result))
        return 0
    if argv[:1] == ["register"] and len(argv) == 3:
        print(json.dumps(_register_child(Path(argv[1]), Path(argv[2]))))
        return 0
    sys.stderr.write("usage: python -m tracker.benchmark measure register HOME LEAK.csv\n"
                     "(internal to tracker bench, which runs registration in a child process)\n")
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
