"""``tracker bench``: detection quality, scan throughput and registration cost, measured the same way each time.

Quality: each corpus (a folder with ``leak.csv``, ``docs/`` and ``labels.json``) is
registered in a fresh temporary ``TRACKER_HOME`` and scanned with ``tracker.pipeline`` (the
code behind ``tracker scan --json``); the predictions are scored with the formulas of
``../shared/bench/score.py``, and when a ``score.py`` sits next to the corpus it is run too.
Corpora come from the command line, from the varied generator (``tracker.synth.corpus``) and
from the generator of new re-post forms and hostile look-alikes (``tracker.synth.forms``).
Scale: leaks of 200,000 rows and more against rosters of 20,000 other people of the same
population (``tracker.synth.scale``): false alarms, hidden rows found, time.
Throughput: CPU seconds of the whole ``tracker scan`` command (a child process: imports,
index load, extraction, matching, storing) over a stream of what a monitor reads
(``tracker.synth.stream.monitor_stream``), against a bare tokenizer pass
(``re.findall(r"[^\\W_]+", text.casefold())``) over the same bytes, in the same run.
Registration: rows per second, peak memory, index size and index load time, in a child
process so its memory is its own.

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


def _scan_all(scanner: Any, files: Sequence[Path], blobs: Sequence[bytes],
              by_extension: dict[str, float] | None = None) -> tuple[float, dict[str, tuple]]:
    """CPU seconds to scan every document, and each one's (verdict, records, score).

    ``by_extension``, when given, receives the CPU seconds spent per file extension.
    """
    outcome: dict[str, tuple] = {}
    start = time.process_time()
    for file, data in zip(files, blobs):
        began = time.process_time()
        for result in scanner.scan_bytes(str(file), data, name=file.name):
            outcome[file.name] = (result.verdict, tuple(result.records), round(result.score, 6))
        if by_extension is not None:
            ext = file.suffix.lstrip(".").lower() or "none"
            by_extension[ext] = by_extension.get(ext, 0.0) + time.process_time() - began
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


def per_kind_records(labels: Mapping[str, Mapping[str, Any]], preds: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Per kind, labelled records found over labelled records ("found/labelled"), on documents predicted as hits."""
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for doc, lab in labels.items():
        want = set(lab["records"])
        if not want:
            continue
        p = preds.get(doc, {})
        got = set(p.get("records") or []) if p.get("verdict") == "hit" else set()
        found[str(lab["kind"])][0] += len(got & want)
        found[str(lab["kind"])][1] += len(want)
    return {k: f"{a}/{b}" for k, (a, b) in sorted(found.items())}


def run_corpus(corpus: Path, work: Path, name: str, progress: Progress = _quiet,
               details: bool = False) -> dict[str, Any]:
    """Register ``corpus/leak.csv`` in a fresh home, scan ``docs/``, score the predictions.

    With ``details``, the result lists every document: its kind, label, verdict, score, how
    many records were reported and labelled, and its scan seconds (names and numbers only).
    """
    check_corpus(corpus)
    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    work.mkdir(parents=True, exist_ok=True)
    progress(f"{name}: registering the leak")
    tracker = _fresh_tracker(work / "home", corpus / "leak.csv")
    scanner, load_seconds = _scanner(tracker)
    predictions = work / "predictions.jsonl"
    files = _doc_files(corpus / "docs")
    errors = 0
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    with scanner, predictions.open("w", encoding="utf-8") as out:
        for i, file in enumerate(files, 1):
            progress(f"{name}: scanning {i}/{len(files)}")
            began = time.perf_counter()
            for result in scanner.scan_file(file):
                errors += result.verdict == "error"
                out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
            seconds[file.name] = time.perf_counter() - began
    scan_seconds = time.perf_counter() - start
    tracker.engine.dispose()
    preds = load_predictions(predictions)
    result = {"name": name, "path": str(corpus), "leak_rows": tracker.leak.n_records, **score(labels, preds),
              "per_kind_records": per_kind_records(labels, preds), "scan_errors": errors,
              "scan_seconds": round(scan_seconds, 3), "register_seconds": round(tracker.register_seconds, 3),
              "register_cpu_seconds": round(tracker.register_cpu_seconds, 3),
              "index_load_seconds": round(load_seconds, 4), "predictions": str(predictions)}
    if details:
        result["details"] = [
            {"document": doc, "kind": lab["kind"], "positive": bool(lab["positive"]),
             "verdict": preds.get(doc, {}).get("verdict", "clean"), "score": preds.get(doc, {}).get("score", 0.0),
             "records_reported": len(preds.get(doc, {}).get("records") or []),
             "records_labelled": len(lab["records"]),
             "records_found": len(set(preds.get(doc, {}).get("records") or []) & set(lab["records"])),
             "seconds": round(seconds.get(doc, 0.0), 3)}
            for doc, lab in sorted(labels.items())]
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


def generate_forms(work: Path, seed: int, n_leak: int) -> Path:
    """A corpus of the new re-post forms and hostile look-alikes (realistic population) for ``seed``."""
    from tracker.synth import generate_forms_corpus

    corpus = work / f"forms-{seed}"
    generate_forms_corpus(corpus, seed, n_leak=n_leak)
    return corpus


# --- the scale suite -----------------------------------------------------------------------------------------


def run_scale(work: Path, rows: int, rosters: int, roster_rows: int, positives: int,
              progress: Progress = _quiet) -> dict[str, Any]:
    """A leak of ``rows`` rows against rosters of other people of its population, and rosters hiding leaked rows.

    The leak is generated from the realistic population and registered through ``tracker leak
    add``'s code path; each roster is scanned through the pipeline. Reported: false alarms
    among the clean rosters (and how many chance records they named), positives found and
    their record recall, how many roster rows share a birth date, first name and surname word
    with some leaked record (counted from the generated plaintext, in this process only), and
    the time of each step.
    """
    from tracker.synth import generate_scale_corpus

    work.mkdir(parents=True, exist_ok=True)
    progress(f"scale {rows:,}: generating the leak and {rosters + positives} rosters of {roster_rows:,} rows")
    start, cpu = time.perf_counter(), time.process_time()
    corpus = generate_scale_corpus(work / f"scale-{rows}", rows, seed=rows, rosters=rosters,
                                   roster_rows=roster_rows, positives=positives)
    generate_seconds, generate_cpu = time.perf_counter() - start, time.process_time() - cpu
    gc.collect()  # the plaintext keys lived in the generator's frame only; free them before registering
    result = run_corpus(corpus.path, work / f"run-{rows}", f"scale-{rows}", progress, details=True)
    docs = result.pop("details")
    for d in docs:
        d["shared_rows"] = corpus.documents[d["document"]]["shared_rows"]
    clean = [d for d in docs if not d["positive"]]
    hidden = [d for d in docs if d["positive"]]
    shared = [int(d["shared_rows"]) for d in clean]
    scan = [float(d["seconds"]) for d in docs]
    return {
        "leak_rows": rows, "rosters": len(clean), "roster_rows": roster_rows, "positive_rosters": len(hidden),
        "false_positive_rosters": sum(d["verdict"] == "hit" for d in clean),
        "chance_records_reported": sum(int(d["records_reported"]) for d in clean if d["verdict"] == "hit"),
        "positives_found": sum(d["verdict"] == "hit" for d in hidden),
        "hidden_records": sum(int(d["records_labelled"]) for d in hidden),
        "hidden_records_found": sum(int(d["records_found"]) for d in hidden),
        "extra_records_on_positives": sum(int(d["records_reported"]) - int(d["records_found"]) for d in hidden),
        "shared_rows_total": sum(shared), "shared_rows_min": min(shared, default=0),
        "shared_rows_max": max(shared, default=0),
        "generate_seconds": round(generate_seconds, 1), "generate_cpu_seconds": round(generate_cpu, 1),
        "register_seconds": result["register_seconds"], "register_cpu_seconds": result["register_cpu_seconds"],
        "index_load_seconds": result["index_load_seconds"], "scan_seconds": result["scan_seconds"],
        "scan_seconds_per_roster": round(sum(scan) / len(scan), 2) if scan else 0.0,
        "scan_seconds_max": round(max(scan, default=0.0), 2), "scan_errors": result["scan_errors"],
        "documents": docs, "predictions": result["predictions"],
    }


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


def _tracker_command(home: Path, args: Sequence[str], timeout: float,
                     **run: Any) -> tuple[subprocess.CompletedProcess[Any], float, float]:
    """Run ``tracker ARGS`` as a user does (a new process): its result, wall and CPU seconds.

    CPU is the child's user + system time from ``getrusage(RUSAGE_CHILDREN)``, so imports,
    index load and gate building count. The environment is this one without ``TRACKER_*``
    variables, with ``TRACKER_HOME`` set to ``home``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["TRACKER_HOME"] = str(home)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "tracker", *args], env=env, check=False, timeout=timeout, **run)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return done, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _scan_command(home: Path, docs: Path, predictions: Path, stderr: Path) -> tuple[float, float, int]:
    """``tracker scan DOCS --json`` timed as a whole command: wall and CPU seconds, exit code."""
    with predictions.open("wb") as out, stderr.open("wb") as err:
        done, wall, cpu = _tracker_command(home, ["scan", str(docs), "--json"], 7200, stdout=out, stderr=err)
    if done.returncode not in (0, 3):  # 3: some documents could not be read (each has an error line)
        tail = stderr.read_text(encoding="utf-8", errors="replace").strip()[-800:]
        raise UsageError(f"tracker scan failed in the throughput run (exit {done.returncode}): {tail}")
    return wall, cpu, done.returncode


def _stream_mix(labels: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """Shares of the stream's documents: re-posts, rosters of other people, PDFs and XLSX workbooks."""
    n = len(labels) or 1
    return {"reposts": round(sum(bool(v["positive"]) for v in labels.values()) / n, 4),
            "rosters": round(sum(str(v["kind"]).startswith("roster") for v in labels.values()) / n, 4),
            "pdf_xlsx": round(sum(name.endswith((".pdf", ".xlsx")) for name in labels) / n, 4)}


def run_throughput(work: Path, megabytes: float, progress: Progress = _quiet,
                   gate_check: bool = True) -> dict[str, Any]:
    """The whole ``tracker scan`` command over a monitor stream, as a ratio to the bare tokenizer's speed.

    The stream (:func:`tracker.synth.stream.monitor_stream`) holds 3 % re-posts of a
    6,252-row leak of the realistic population and 12 % rosters of other people of that
    population, with PDFs and XLSX workbooks among them. The tokenizer runs twice over the
    same bytes in this process (before and after the scan); the faster pass is the reference,
    which can only lower the ratio. With ``gate_check`` the stream is also scanned in this
    process with and without the compiled gate (the earlier, in-process figures), and every
    document must get the same verdict, records and score both ways.
    """
    from tracker.synth import REALISTIC, leak_people, monitor_stream
    from tracker.synth.leak import LEAK_HEADER, leak_rows
    from tracker.synth.render import to_csv

    work.mkdir(parents=True, exist_ok=True)
    progress(f"throughput: generating {megabytes:g} MB of documents")
    people = leak_people(STREAM_LEAK_ROWS, STREAM_SEED, REALISTIC)
    leak_csv = work / "leak.csv"
    leak_csv.write_text(to_csv(LEAK_HEADER, leak_rows(people)), encoding="utf-8")
    labels = monitor_stream(work / "stream", STREAM_SEED, megabytes, people)
    del people
    docs = work / "stream" / "docs"
    files = _doc_files(docs)
    blobs = [f.read_bytes() for f in files]
    size_mb = sum(map(len, blobs)) / 1e6
    tracker = _fresh_tracker(work / "home", leak_csv)
    tracker.engine.dispose()
    with _gc_enabled():
        progress("throughput: tokenizer baseline")
        start = time.process_time()
        tokens = tokenize_baseline(blobs)
        regex_cpu = [time.process_time() - start]
        progress(f"throughput: tracker scan over {len(files)} documents (a child process)")
        predictions = work / "predictions.jsonl"
        scan_wall, scan_cpu, exit_code = _scan_command(tracker.home, docs, predictions, work / "scan.stderr")
        progress("throughput: tokenizer baseline again")
        start = time.process_time()
        tokenize_baseline(blobs)
        regex_cpu.append(time.process_time() - start)
    reference = min(regex_cpu)
    preds = load_predictions(predictions)
    quality = score(labels, preds)
    regex_mbps = size_mb / reference if reference else float("inf")
    scan_mbps = size_mb / scan_cpu if scan_cpu else float("inf")
    ratio = scan_mbps / regex_mbps if regex_mbps else 0.0
    result: dict[str, Any] = {
        "megabytes": round(size_mb, 2), "documents": len(files), "tokens": tokens, "mix": _stream_mix(labels),
        "scan_cpu_seconds": round(scan_cpu, 3), "scan_wall_seconds": round(scan_wall, 3),
        "scan_mb_per_s": round(scan_mbps, 2), "scan_exit_code": exit_code,
        "regex_cpu_seconds": round(reference, 3), "regex_cpu_seconds_runs": [round(r, 3) for r in regex_cpu],
        "regex_mb_per_s": round(regex_mbps, 2),
        "ratio": float(f"{ratio:.3g}"), "target_ratio": TARGET_RATIO, "meets_target": ratio >= TARGET_RATIO,
        "scan_errors": sum(p.get("verdict") == "error" for p in preds.values()),
        "reposts": sum(bool(v["positive"]) for v in labels.values()),
        "reposts_found": sum(bool(v["positive"]) and preds.get(n, {}).get("verdict") == "hit"
                             for n, v in labels.items()),
        "false_positive_docs": quality["false_positive_docs"], "record_recall": quality["record_recall"],
        "per_kind": quality["per_kind"], "predictions": str(predictions),
    }
    if gate_check:
        result["in_process"] = _in_process_scans(tracker, files, blobs, size_mb, regex_mbps, progress)
    return result


def _in_process_scans(tracker: _Tracker, files: Sequence[Path], blobs: Sequence[bytes], size_mb: float,
                      regex_mbps: float, progress: Progress) -> dict[str, Any]:
    """The stream scanned in this process with the compiled gate and without it: CPU, ratio, same outcomes."""
    from tracker.db import open_database

    tracker.engine = open_database(tracker.settings.database_url)
    scanner, load_seconds = _scanner(tracker)
    full, _ = _scanner(tracker, use_gate=False)
    with scanner, full, _gc_enabled():
        for each in (scanner, full):
            each.scan_bytes("warm-up", b"warm up the extractors and the matcher\n", name="warm-up.txt")
        warm_up_cleared = scanner.gated_clean
        progress(f"throughput: scanning {len(files)} documents in this process")
        by_extension: dict[str, float] = {}
        pipeline_cpu, outcome = _scan_all(scanner, files, blobs, by_extension)
        progress(f"throughput: scanning {len(files)} documents again, each extracted and matched in full")
        full_cpu, full_outcome = _scan_all(full, files, blobs)
    tracker.engine.dispose()
    sizes: dict[str, float] = defaultdict(float)
    for file, data in zip(files, blobs):
        sizes[file.suffix.lstrip(".").lower() or "none"] += len(data) / 1e6

    def ratio(cpu: float) -> float:
        return float(f"{(size_mb / cpu) / regex_mbps:.3g}") if cpu and regex_mbps else 0.0

    return {"pipeline_cpu_seconds": round(pipeline_cpu, 3), "pipeline_ratio": ratio(pipeline_cpu),
            "gated_clean_documents": scanner.gated_clean - warm_up_cleared,
            "without_gate_cpu_seconds": round(full_cpu, 3), "without_gate_ratio": ratio(full_cpu),
            "same_verdicts_without_gate": outcome == full_outcome,
            "different_documents": sum(outcome.get(n) != full_outcome.get(n)
                                       for n in set(outcome) | set(full_outcome)),
            "index_load_seconds": round(load_seconds, 4),
            "by_extension": {ext: {"megabytes": round(sizes[ext], 2), "cpu_seconds": round(cpu, 3)}
                             for ext, cpu in sorted(by_extension.items(), key=lambda kv: -kv[1])}}


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
        raise UsageError(f"benchmark child {argv[0]} failed (exit {done.returncode}): {done.stderr.strip()[-800:]}")
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


# --- bombs -----------------------------------------------------------------------------------------------------


def _scan_file_child(home: Path, file: Path) -> dict[str, Any]:
    """In the child: ``tracker scan FILE --json`` as a user runs it; wall and CPU seconds, verdict, reason."""
    done, wall, cpu = _tracker_command(home, ["scan", str(file), "--json"], 3600, capture_output=True, text=True)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    row = rows[0] if rows else {}
    return {"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "exit_code": done.returncode, "verdict": row.get("verdict"), "error": row.get("error")}


def run_bombs(work: Path, progress: Progress = _quiet, only: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Scan each document of the bomb suite (``tracker.synth.bombs``) in a new ``tracker scan``
    process, against a 6,252-row synthetic leak, under the default ``[scan]`` limits: the
    verdict (``error`` with its reason, never clean for what could not be read), the time and
    the peak memory of the scan and its workers."""
    import csv

    from tracker.synth import write_leak_csv
    from tracker.synth.bombs import BOMBS

    work.mkdir(parents=True, exist_ok=True)
    leak_csv = write_leak_csv(work / "leak.csv", 6252, seed=6252)
    with leak_csv.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[1:2000]
    words = [cell for row in rows for cell in (row[0], row[1], row[2], row[5])]
    home = work / "home"
    progress("bombs: registering the leak")
    _fresh_tracker(home, leak_csv).engine.dispose()
    results = []
    for name, build in BOMBS.items():
        if only is not None and name not in only:
            continue
        progress(f"bombs: {name}")
        path = work / name
        path.write_bytes(build(words))
        result = _measure_child(["scanfile", str(home), str(path)])
        results.append({"document": name, "bytes": path.stat().st_size, **result})
    return results


# --- the whole run -------------------------------------------------------------------------------------------
# --- the whole run -------------------------------------------------------------------------------------------


@dataclass
class BenchOptions:
    """What ``tracker bench`` measures (see its --help)."""

    corpora: list[Path] = field(default_factory=list)
    generate_seeds: list[int] = field(default_factory=lambda: [101, 202])
    generated_rows: int = 6252
    forms_seeds: list[int] = field(default_factory=lambda: [101])
    throughput_mb: float = 50.0
    gate_check: bool = True
    register_rows: list[int] = field(default_factory=lambda: [6252])
    scale_rows: list[int] = field(default_factory=list)
    scale_rosters: int = 10
    scale_roster_rows: int = 20_000
    scale_positives: int = 5
    bombs: bool = False
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
        for seed in options.forms_seeds:
            progress(f"generating the re-post forms corpus for seed {seed}")
            corpus = generate_forms(work / "generated", seed, options.generated_rows)
            report["corpora"].append(run_corpus(corpus, work / f"run-forms-{seed}", f"forms-{seed}", progress))
        if options.scale_rows:
            report["scale"] = [run_scale(work / "scale", rows, options.scale_rosters, options.scale_roster_rows,
                                         options.scale_positives, progress) for rows in sorted(options.scale_rows)]
        if options.bombs:
            report["bombs"] = run_bombs(work / "bombs", progress)
        if options.throughput_mb > 0:
            report["throughput"] = run_throughput(work / "throughput", options.throughput_mb, progress,
                                                  gate_check=options.gate_check)
        if options.work_dir is None:  # the files are gone with the temporary folder
            for c in report["corpora"] + report.get("scale", []):
                c.pop("predictions", None)
            report.get("throughput", {}).pop("predictions", None)
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
    if argv[:1] == ["scanfile"] and len(argv) == 3:
        print(json.dumps(_scan_file_child(Path(argv[1]), Path(argv[2]))))
        return 0
    sys.stderr.write("usage: python -m tracker.benchmark measure register HOME LEAK.csv\n"
                     "(internal to tracker bench, which runs registration in a child process)\n")
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
