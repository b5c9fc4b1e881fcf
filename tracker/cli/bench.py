"""``tracker bench``: score detection on labelled corpora, run the scale suite, measure throughput and registration.

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
from rich.text import Text

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


def _kind_cell(corpus: dict[str, Any], kind: str) -> str:
    """ "3/4" documents right, with " (records 97/120)" for kinds that hold leaked records."""
    docs = corpus["per_kind"].get(kind, "-")
    records = (corpus.get("per_kind_records") or {}).get(kind)
    return f"{docs} (records {records})" if records else docs


def print_report(report: dict[str, Any], console: Console) -> None:
    """The benchmark report as tables: quality per corpus, per-kind accuracy, throughput, registration, bombs."""
    if report.get("bombs"):
        table = Table("document", "bytes", "verdict", "seconds", "CPU s", "peak MB", "why", title="Bomb suite")
        for b in report["bombs"]:
            table.add_row(b["document"], f"{b['bytes']:,}", str(b["verdict"]), _fmt(b["seconds"]),
                          _fmt(b["cpu_seconds"]), _fmt(b["peak_rss_mb"]), Text(str(b["error"] or "")))
        console.print(table)
    corpora = report.get("corpora") or []
    if corpora:
        quality = Table("measure", *(c["name"] for c in corpora), title="Detection quality")
        for label, key in _QUALITY_ROWS:
            quality.add_row(label, *(_fmt(c[key]) for c in corpora))
        console.print(quality)
        kinds = sorted({k for c in corpora for k in c["per_kind"]})
        per_kind = Table("kind", *(c["name"] for c in corpora),
                         title="Correct documents per kind (and labelled records found)")
        for kind in kinds:
            per_kind.add_row(kind, *(_kind_cell(c, kind) for c in corpora))
        console.print(per_kind)
        for c in corpora:
            if "score_py" in c:
                console.print(f"[bold]{c['score_py']['script']}[/bold] on {c['name']}:", highlight=False)
                console.print(c["score_py"]["output"].rstrip(), markup=False, highlight=False, soft_wrap=True)
    for s in report.get("scale") or []:
        table = Table("measure", "value", title=f"Scale suite: {s['leak_rows']:,}-row leak")
        table.add_row("clean rosters flagged (false positives)",
                      f"{s['false_positive_rosters']}/{s['rosters']} of {s['roster_rows']:,} rows each "
                      f"({s['chance_records_reported']} chance records reported)")
        table.add_row("rosters hiding 1-5 leaked rows found",
                      f"{s['positives_found']}/{s['positive_rosters']} (records {s['hidden_records_found']}/"
                      f"{s['hidden_records']}, {s['extra_records_on_positives']} other records reported)")
        table.add_row("roster rows sharing birth date + first name + surname word with a leaked record",
                      f"{s['shared_rows_total']:,} (per roster {s['shared_rows_min']}-{s['shared_rows_max']})")
        table.add_row("generate / register / index load", f"{s['generate_seconds']} s / {s['register_seconds']} s / "
                      f"{s['index_load_seconds']} s")
        table.add_row("scan", f"{s['scan_seconds']} s ({s['scan_seconds_per_roster']} s per roster, "
                      f"max {s['scan_seconds_max']} s; errors {s['scan_errors']})")
        console.print(table)
    if "throughput" in report:
        t = report["throughput"]
        mix = t["mix"]
        table = Table("measure", "value", title="Throughput: the tracker scan command (CPU time of a child process)")
        table.add_row("monitor stream", f"{t['megabytes']} MB in {t['documents']} documents: "
                      f"{mix['reposts']:.1%} re-posts, {mix['rosters']:.1%} rosters of other people, "
                      f"{mix['pdf_xlsx']:.1%} PDF/XLSX")
        table.add_row("tracker scan --json (imports, index load, extract, match, store)",
                      f"{t['scan_mb_per_s']} MB/s ({t['scan_cpu_seconds']} s CPU, {t['scan_wall_seconds']} s wall)")
        table.add_row("bare tokenizer re.findall, same bytes (faster of 2 passes)",
                      f"{t['regex_mb_per_s']} MB/s ({t['regex_cpu_seconds']} s)")
        verdict = "meets" if t["meets_target"] else "below"
        table.add_row("ratio scan / tokenizer", f"{t['ratio']} ({verdict} target {t['target_ratio']})")
        table.add_row("re-posts found", f"{t['reposts_found']}/{t['reposts']} (false hits {t['false_positive_docs']}, "
                      f"record recall {_fmt(t['record_recall'])}, errors {t['scan_errors']})")
        if "in_process" in t:
            p = t["in_process"]
            same = "same verdicts" if p["same_verdicts_without_gate"] else (
                f"DIFFERENT verdicts on {p['different_documents']} documents")
            table.add_row("in this process, with the compiled gate (earlier figure)",
                          f"ratio {p['pipeline_ratio']} ({p['pipeline_cpu_seconds']} s); gate cleared "
                          f"{p['gated_clean_documents']} of {t['documents']} documents")
            table.add_row("in this process, without the gate (all extracted)",
                          f"ratio {p['without_gate_ratio']} ({p['without_gate_cpu_seconds']} s), {same}")
            total = sum(e["cpu_seconds"] for e in p["by_extension"].values()) or 1.0
            table.add_row("CPU by file type (in this process, with the gate)", ", ".join(
                f"{ext} {e['cpu_seconds'] / total:.0%} of CPU for {e['megabytes']} MB"
                for ext, e in list(p["by_extension"].items())[:5]))
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
    forms_seeds: Annotated[str, typer.Option(
        "--forms-seeds", metavar="SEEDS",
        help="Also generate one corpus of new re-post forms and hostile look-alikes per seed "
             "(comma-separated; 'none' for none).")] = "101",
    throughput_mb: Annotated[float, typer.Option(
        "--throughput-mb", metavar="MB", min=0.0,
        help="MB of the monitor stream the tracker scan command is timed on (0 to skip).")] = 50.0,
    gate_check: Annotated[bool, typer.Option(
        "--gate-check/--no-gate-check",
        help="Also scan the stream in this process with and without the compiled gate and compare.")] = True,
    register_rows: Annotated[str, typer.Option(
        "--register-rows", metavar="ROWS",
        help="Leak sizes to time registration with, e.g. 6252,1000000 ('none' to skip).")] = "6252",
    scale_rows: Annotated[str, typer.Option(
        "--scale-rows", metavar="ROWS",
        help="Leak sizes of the scale suite, e.g. 200000,1000000 ('none' to skip).")] = "none",
    scale_rosters: Annotated[int, typer.Option(
        "--scale-rosters", metavar="N", min=0, help="Clean rosters of other people per scale leak.")] = 10,
    scale_roster_rows: Annotated[int, typer.Option(
        "--scale-roster-rows", metavar="N", min=10, help="People per scale roster.")] = 20_000,
    scale_positives: Annotated[int, typer.Option(
        "--scale-positives", metavar="N", min=0,
        help="Scale rosters that hide 1-5 leaked rows each, per scale leak.")] = 5,
    bombs: Annotated[bool, typer.Option(
        "--bombs", help="Also scan the bomb suite (documents built to abort, stall or exhaust a scanner) "
                        "and report each one's verdict, time and peak memory.")] = False,
    work_dir: Annotated[Path | None, typer.Option(
        "--work-dir", metavar="DIR", file_okay=False,
        help="Keep generated corpora, predictions and homes here instead of a temporary folder.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Benchmark detection quality, scan throughput and leak registration on synthetic and given corpora.

    Each corpus is registered in a fresh temporary tracker home and scanned through the same
    pipeline as `tracker scan --json`; only scores and timings are printed, never leaked values.
    The scale suite (--scale-rows) registers large leaks and scans rosters of other people of
    the same population; throughput times the whole `tracker scan` command on a monitor stream.
    """
    from tracker import benchmark

    options = benchmark.BenchOptions(
        corpora=[p.expanduser().absolute() for p in corpus or []],
        generate_seeds=_ints(generate_seeds, "--generate-seeds"), generated_rows=generated_rows,
        forms_seeds=_ints(forms_seeds, "--forms-seeds"), throughput_mb=throughput_mb, gate_check=gate_check,
        register_rows=_ints(register_rows, "--register-rows"), scale_rows=_ints(scale_rows, "--scale-rows"),
        scale_rosters=scale_rosters, scale_roster_rows=scale_roster_rows, scale_positives=scale_positives,
        bombs=bombs, work_dir=work_dir.expanduser().absolute() if work_dir else None)
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
