"""``tracker bench``: score detection on labelled corpora, measure throughput and registration.

Registered by the CLI root with ``from tracker.cli.bench import register; register(app)``.
The work is in ``tracker.benchmark`` (imported when the command runs, so ``--help`` stays fast).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tracker.errors import UsageError


def _ints(text: str, option: str) -> list[int]:
    """ "101,202" -> [101, 202]; "" or "none" -> []."""
    if text.strip().lower() in {"", "none", "0"}:
        return []
    try:
        values = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise UsageError(f"{option}: expected comma-separated whole numbers like 101,202, got {text!r}") from exc
    if any(v <= 0 for v in values):
        raise UsageError(f"{option}: numbers must be positive, got {text!r}")
    return values


_COUNTER = re.compile(r"\d+/\d+$")
_QUALITY_ROWS = (("documents", "documents"), ("document precision", "doc_precision"),
                 ("document recall", "doc_recall"), ("document F1", "doc_f1"),
                 ("false positive documents", "false_positive_docs"), ("missed documents", "missed_docs"),
                 ("record precision", "record_precision"), ("record recall", "record_recall"),
                 ("scan errors", "scan_errors"), ("scan seconds", "scan_seconds"),
                 ("index load seconds", "index_load_seconds"))


def _fmt(value: Any) -> str:
    """Scores with four decimals (as score.py prints them), other numbers as they are."""
    return f"{value:.4f}" if isinstance(value, float) and value <= 1.0 else str(value)


def print_report(report: dict[str, Any], console: Console) -> None:
    """The benchmark report as tables: quality per corpus, per-kind accuracy, throughput, registration."""
    corpora = report.get("corpora") or []
    if corpora:
        quality = Table("measure", *(c["name"] for c in corpora), title="Detection quality")
        for label, key in _QUALITY_ROWS:
            quality.add_row(label, *(_fmt(c[key]) for c in corpora))
        console.print(quality)
        kinds = sorted({k for c in corpora for k in c["per_kind"]})
        per_kind = Table("kind", *(c["name"] for c in corpora), title="Correct documents per kind")
        for kind in kinds:
            per_kind.add_row(kind, *(c["per_kind"].get(kind, "-") for c in corpora))
        console.print(per_kind)
        for c in corpora:
            if "score_py" in c:
                console.print(f"[bold]{c['score_py']['script']}[/bold] on {c['name']}:", highlight=False)
                console.print(c["score_py"]["output"].rstrip(), markup=False, highlight=False, soft_wrap=True)
    if "throughput" in report:
        t = report["throughput"]
        table = Table("measure", "value", title="Throughput (CPU time, one core)")
        table.add_row("paste stream", f"{t['megabytes']} MB in {t['documents']} documents")
        table.add_row("pipeline (extract, match, store)",
                      f"{t['pipeline_mb_per_s']} MB/s ({t['pipeline_cpu_seconds']} s)")
        table.add_row("bare tokenizer re.findall", f"{t['regex_mb_per_s']} MB/s ({t['regex_cpu_seconds']} s)")
        verdict = "meets" if t["meets_target"] else "below"
        table.add_row("ratio pipeline / tokenizer", f"{t['ratio']} ({verdict} target {t['target_ratio']})")
        table.add_row("cleared by the compiled gate", f"{t['gated_clean_documents']} of {t['documents']} documents")
        same = "same verdicts" if t["same_verdicts_without_gate"] else "DIFFERENT verdicts"
        table.add_row("without the gate (all extracted)", f"ratio {t['without_gate_ratio']} "
                      f"({t['without_gate_cpu_seconds']} s), {same}")
        table.add_row("re-posts found", f"{t['reposts_found']}/{t['reposts']} (false hits {t['false_positive_docs']})")
        table.add_row("index load per scan", f"{t['index_load_seconds']} s")
        console.print(table)
    if report.get("registration"):
        table = Table("rows", "seconds", "rows/s", "rows/CPU s", "peak RSS MB", "index bytes/row", "index load s",
                      title="Leak registration")
        for r in report["registration"]:
            table.add_row(f"{r['rows']:,}", _fmt(r["seconds"]), _fmt(r["rows_per_s"]), _fmt(r["rows_per_cpu_s"]),
                          _fmt(r["peak_rss_mb"]), _fmt(r["index_bytes_per_row"]), _fmt(r["index_load_seconds"]))
        console.print(table)


def bench(
    corpus: Annotated[list[Path] | None, typer.Option(
        "--corpus", metavar="DIR", file_okay=False,
        help="A labelled corpus folder (leak.csv, docs/, labels.json); repeat for several.")] = None,
    generate_seeds: Annotated[str, typer.Option(
        "--generate-seeds", metavar="SEEDS",
        help="Also generate one varied corpus per seed (comma-separated; 'none' for none).")] = "101,202",
    generated_rows: Annotated[int, typer.Option(
        "--generated-rows", metavar="N", min=10, help="Leak rows of each generated corpus.")] = 6252,
    throughput_mb: Annotated[float, typer.Option(
        "--throughput-mb", metavar="MB", min=0.0,
        help="MB of synthetic pastes for the throughput run (0 to skip).")] = 50.0,
    register_rows: Annotated[str, typer.Option(
        "--register-rows", metavar="ROWS",
        help="Leak sizes to time registration with, e.g. 6252,1000000 ('none' to skip).")] = "6252",
    work_dir: Annotated[Path | None, typer.Option(
        "--work-dir", metavar="DIR", file_okay=False,
        help="Keep generated corpora, predictions and homes here instead of a temporary folder.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Benchmark detection quality, scan throughput and leak registration on synthetic and given corpora.

    Each corpus is registered in a fresh temporary tracker home and scanned through the same
    pipeline as `tracker scan --json`; only scores and timings are printed, never leaked values.
    """
    from tracker import benchmark

    options = benchmark.BenchOptions(
        corpora=[p.expanduser().absolute() for p in corpus or []],
        generate_seeds=_ints(generate_seeds, "--generate-seeds"), generated_rows=generated_rows,
        throughput_mb=throughput_mb, register_rows=_ints(register_rows, "--register-rows"),
        work_dir=work_dir.expanduser().absolute() if work_dir else None)
    errors = Console(file=sys.stderr, stderr=True)
    if errors.is_terminal:
        with errors.status("benchmark", spinner="dots") as status:
            report = benchmark.run(options, progress=lambda msg: status.update(msg))
    else:  # a log: one line per phase, not one per document
        report = benchmark.run(options, progress=lambda msg: None if _COUNTER.search(msg) else errors.print(
            msg, highlight=False, markup=False))
    if json_:
        typer.echo(json.dumps(report))
        return
    print_report(report, Console(file=sys.stdout, soft_wrap=False))


def register(app: typer.Typer) -> None:
    """Add the ``bench`` command to the root ``tracker`` app."""
    app.command("bench")(bench)
