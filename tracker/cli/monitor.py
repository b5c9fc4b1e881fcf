"""``tracker run``, ``tracker sources status|check`` and ``tracker config check``.

Registered on the root app with ``register(app)``. All of them read the monitoring
configuration: ``--config PATH``, else ``$TRACKER_HOME/tracker.toml``.

Exit codes (also in each command's help):
* ``run``: 0 after a clean stop (SIGINT/SIGTERM); with ``--once``, 0 when every source ran
  successfully and 5 when at least one failed (the others still ran);
* ``sources status``: 0 when no source is flagged, 5 when at least one is (failing, zero items
  for N runs, or stale), so a cron job or a probe can alert on it;
* ``sources check NAME``: 0 when the run succeeded, 5 when it failed, 1 when another process
  is running that source right now;
* ``config check``: 0 valid, 2 invalid (the error names the file, the key, the value and what is
  allowed) or a path of the home that everyone may write to (named with its mode).
"""
from __future__ import annotations

import dataclasses
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from tracker.cli.state import (
    EXIT_FAILURE,
    EXIT_USAGE,
    JsonOption,
    err,
    out,
    print_json,
    state_of,
)
from tracker.config import (
    TrackerConfig,
    default_config_path,
    format_duration,
    http_setting_keys,
    load_config,
)
from tracker.models import utcnow
from tracker.monitor.health import Health
from tracker.monitor.runner import RunReport

EXIT_SOURCE_TROUBLE = 5

ConfigOption = Annotated[Path | None, typer.Option(
    "--config", help="Monitoring configuration (default: $TRACKER_HOME/tracker.toml).", dir_okay=False)]

_STATUS_STYLE = {"ok": "green", "never_run": "dim", "disabled": "dim", "failing": "bold red",
                 "zero_items": "bold yellow", "stale": "yellow", "not_configured": "dim",
                 "failed": "bold red", "interrupted": "yellow", "busy": "yellow"}


def _config(ctx: typer.Context, path: Path | None) -> TrackerConfig:
    state = state_of(ctx)
    config = load_config(path or default_config_path(state.settings.home))
    for warning in config.warnings:
        err().print(f"warning: {warning}", markup=False, highlight=False)
    return config


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"


def _ago(when: datetime | None) -> str:
    if when is None:
        return "-"
    return format_duration(max(0.0, (utcnow() - when).total_seconds())) + " ago"


def report_line(report: RunReport) -> str:
    """One line per run, for stderr: what ran, how it ended, what it found."""
    text = (f"{report.source} ({report.kind}): {report.status}, {report.items} new item(s), "
            f"{_size(report.bytes)}, {report.hits} hit(s)")
    if report.new_hits:
        text += f" ({report.new_hits} new)"
    if report.errors:
        text += f", {report.errors} unreadable"
    text += f" in {report.duration:.2f}s"
    if report.error:
        text += f" - {report.failure_class + ': ' if report.failure_class else ''}{report.error}"
    return text


def _print_report(report: RunReport) -> None:
    stamp = utcnow().strftime("%H:%M:%S")
    err().print(Text(f"[{stamp}] ") + Text(report_line(report), style=_STATUS_STYLE.get(report.status, "")),
                highlight=False)


def _print_workflow(report: dict[str, object]) -> None:
    stamp = utcnow().strftime("%H:%M:%S")
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in report.items())
    err().print(f"[{stamp}] takedown workflow: {counts}", markup=False, highlight=False)


def _monitor(ctx: typer.Context, config: TrackerConfig, *, quiet: bool = False) -> Any:
    from tracker.monitor.service import Monitor

    state = state_of(ctx)
    return Monitor(state.settings, config, engine=state.engine(), on_report=None if quiet else _print_report)


def run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run every enabled source once, then exit (cron, tests).")]
    = False,
    config_path: ConfigOption = None,
    json_: Annotated[bool, typer.Option("--json", help="With --once: one JSON object per source run on stdout.")]
    = False,
) -> None:
    """Watch every enabled source on its own schedule until SIGINT/SIGTERM, or once with --once.

    Runs and their results are printed on stderr; hits go to the hit log (tracker hits list).
    """
    from tracker.monitor.scheduler import MonitorScheduler, run_once

    config = _config(ctx, config_path)
    with _monitor(ctx, config, quiet=json_) as monitor:
        if once:
            reports = run_once(monitor)
            if json_:
                for report in reports:
                    print_json(report.to_dict())
            failed = [r.source for r in reports if r.status == "failed"]
            if failed:
                raise typer.Exit(EXIT_SOURCE_TROUBLE)
            return
        n = len(config.enabled_sources)
        err().print(f"tracker run: {n} source(s), {monitor.n_leaks} leak(s); stop with Ctrl-C or SIGTERM",
                    markup=False, highlight=False)
        code = MonitorScheduler(monitor, on_workflow=_print_workflow).run_forever()
        err().print("tracker run: stopped cleanly", markup=False, highlight=False)
        raise typer.Exit(code)


def _health_table(rows: list[Health]) -> Table:
    """Compact enough for 80 columns; the reasons of flagged sources go below it (``_reasons``)."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("name", "kind", "status", "last run", "last ok", "items", "unread", "bytes", "hits", "fails"):
        numeric = column in ("items", "unread", "bytes", "hits", "fails")
        table.add_column(column, justify="right" if numeric else "left", no_wrap=True)
    for h in rows:
        table.add_row(h.name, h.kind, Text(h.status, style=_STATUS_STYLE.get(h.status, "")), _ago(h.last_run_at),
                      _ago(h.last_success_at), str(h.items_fetched), str(h.items_unreadable),
                      _size(h.bytes_fetched), str(h.hits),
                      str(h.consecutive_failures))
    return table


def _reasons(rows: list[Health]) -> list[str]:
    return [f"{h.name}: {h.status}: {h.reason}" for h in rows if h.reason and h.status not in ("disabled",)]


def sources_status(ctx: typer.Context, config_path: ConfigOption = None, json_: JsonOption = False) -> None:
    """Health of every configured source: last run and success, items, bytes, hits, failures.

    Flags a source that is failing (with its failure class: rate_limited, blocked, auth, layout,
    network, outage...), that saw no item for zero_item_runs runs, or that has not run for
    stale_factor intervals. Exit 5 when any source is flagged, else 0.
    """
    from tracker.monitor.service import source_health

    config = _config(ctx, config_path)
    rows = source_health(state_of(ctx).engine(), config)
    if json_:
        for h in rows:
            print_json(h.to_dict())
    else:
        console = out()
        console.print(_health_table(rows))
        for line in _reasons(rows):
            console.print(line, markup=False, highlight=False)
        flagged = [h.name for h in rows if h.unhealthy]
        if flagged:
            err().print(f"unhealthy: {', '.join(flagged)}", markup=False, highlight=False)
    if any(h.unhealthy for h in rows):
        raise typer.Exit(EXIT_SOURCE_TROUBLE)


def sources_check(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the source ([[sources]] name).")],
    config_path: ConfigOption = None,
    json_: JsonOption = False,
) -> None:
    """Run one source once now (even a disabled one) and report; a real run, recorded like any other.

    Exit 0 on success, 5 when the run failed, 1 when another process is running it right now.
    """
    config = _config(ctx, config_path)
    config.source(name)  # a clear error for an unknown name before anything is opened
    with _monitor(ctx, config, quiet=True) as monitor:
        report = monitor.run(name)
        health = next(h for h in monitor.health() if h.name == name)
    if json_:
        print_json({**report.to_dict(), "health": health.to_dict()})
    else:
        _print_report(report)
        out().print(_health_table([health]))
        for line in _reasons([health]):
            out().print(line, markup=False, highlight=False)
    if report.status == "busy":
        raise typer.Exit(EXIT_FAILURE)
    if report.status != "ok":
        raise typer.Exit(EXIT_SOURCE_TROUBLE)


def _options_view(options: Any) -> dict[str, Any]:
    """A source's options for display; values marked quiet (search queries) are counted, not shown."""
    if not dataclasses.is_dataclass(options):
        return {}
    view: dict[str, Any] = {}
    for f in dataclasses.fields(options):
        value = getattr(options, f.name)
        key = str(f.metadata.get("key", f.name))
        if f.metadata.get("quiet"):
            view[key] = f"<{len(value)} not shown>" if isinstance(value, (list, tuple)) else "<not shown>"
        else:
            view[key] = value
    return view


def config_check(ctx: typer.Context, config_path: ConfigOption = None, json_: JsonOption = False) -> None:
    """Validate the monitoring configuration and print what it resolves to (exit 2 when invalid).

    Also exit 2 when the tracker home, its indexes folder, the key file (or its folder) or the
    config file can be written by everyone (the key file: read or written by group or others);
    each such path is named with its mode on stderr.
    """
    from tracker.home import unsafe_permissions

    state = state_of(ctx)
    path = config_path or default_config_path(state.settings.home)
    config = _config(ctx, config_path)
    problems = unsafe_permissions(state.settings, path)
    for problem in problems:  # one unwrapped line each: the path must stay copyable
        sys.stderr.write(f"error: {problem}\n")
    sys.stderr.flush()
    http = {key: getattr(config.http, key) for key in http_setting_keys()}
    sources = [{"name": s.name, "kind": s.kind, "enabled": s.enabled, "interval": s.interval,
                "jitter": round(s.jitter, 3), "zero_item_runs": s.zero_item_runs,
                "options": _options_view(s.options)} for s in config.sources]
    if json_:
        print_json({"path": str(path), "valid": True, "http": http,
                    "monitor": dataclasses.asdict(config.monitor), "sources": sources,
                    "warnings": list(config.warnings), "unsafe_permissions": problems})
        if problems:
            raise typer.Exit(EXIT_USAGE)
        return
    console = out()
    console.print(f"{path}: valid, {len(config.sources)} source(s), {len(config.enabled_sources)} enabled",
                  markup=False, highlight=False)
    table = Table(title_justify="left")
    for column in ("name", "kind", "enabled", "interval", "jitter", "options"):
        table.add_column(column)
    for s in sources:
        opts = ", ".join(f"{k}={v!r}" for k, v in s["options"].items() if v not in (None, [], {}))
        table.add_row(s["name"], s["kind"], "yes" if s["enabled"] else "no", format_duration(s["interval"]),
                      format_duration(s["jitter"]) if s["jitter"] else "0s", Text(opts))
    console.print(table)
    defaults = type(config.http)()
    changed = {k: v for k, v in http.items() if v != getattr(defaults, k)}
    console.print(f"[http] {changed or 'defaults'}", markup=False, highlight=False)
    if problems:
        raise typer.Exit(EXIT_USAGE)


def register(app: typer.Typer) -> None:
    """Add ``run``, ``sources status|check`` and ``config check`` to the root app."""
    app.command("run", epilog="Exit codes: 0 clean stop / all sources ran; 5 a source failed (--once); "
                              "2 invalid configuration.")(run)
    sources_app = typer.Typer(help="Monitored sources: health and one-off checks.", no_args_is_help=True)
    sources_app.command("status", epilog="Exit codes: 0 all healthy; 5 a source is flagged.")(sources_status)
    sources_app.command("check", epilog="Exit codes: 0 run ok; 5 run failed; 1 source busy in another "
                                        "process.")(sources_check)
    app.add_typer(sources_app, name="sources")
    config_app = typer.Typer(help="The monitoring configuration (tracker.toml).", no_args_is_help=True)
    config_app.command("check", epilog="Exit codes: 0 valid; 2 invalid, or a path of the home is writable "
                                       "by everyone.")(config_check)
    app.add_typer(config_app, name="config")
