"""``tracker scan PATH_OR_URL...``: look for registered leaks in files, folders and URLs.

The scan pipeline (extractors, matcher) is imported when the command runs, not when the
command line is built, so other commands start fast.
"""
from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from sources.http import HttpSettings
from tracker import store
from tracker.cli.state import (
    EXIT_HITS,
    EXIT_SCAN_ERRORS,
    JsonOption,
    KeyFileOption,
    err,
    out,
    print_json,
    state_of,
)
from tracker.config import TrackerConfig, default_config_path, load_config_or_defaults
from tracker.db import session_scope
from tracker.errors import ConfigError, UsageError, path_error, shown_path
from tracker.fetch import UrlFetcher, is_url
from tracker.settings import Settings

if TYPE_CHECKING:
    from tracker.pipeline import Scanner, ScanResult

EPILOG = (f"Exit codes: 0 all documents scanned (hits or not); 2 usage error (also: no chosen leak was made with "
          f"the key in use); {EXIT_SCAN_ERRORS} some documents could not be scanned, or some leaks were not scanned "
          f"for (made with another key, named on stderr); {EXIT_HITS} hits found (only with --fail-on-hit; takes "
          f"precedence over {EXIT_SCAN_ERRORS}).")
_PROGRESS_MIN_DOCUMENTS = 2
_VERDICT_STYLE = {"hit": "bold red", "clean": "green", "error": "yellow"}


def _jobs(targets: list[str], follow_links: bool = False) -> list[str | Path]:
    """Expand targets into documents: URLs as given, folders into their files (sorted)."""
    from tracker.pipeline import iter_files

    if any(not t.strip() for t in targets):
        # Path("") is the current folder: an empty argument (an unset shell variable) would
        # silently scan whatever folder the command runs in.
        raise UsageError("empty path: give a file, a folder or an http(s) URL (use '.' for the current folder)")
    missing = [shown_path(t) for t in targets if not is_url(t) and not _exists(t)]
    if missing:
        raise UsageError(f"no such file, folder or http(s) URL: {', '.join(missing)}")
    jobs: list[str | Path] = []
    for target in targets:
        jobs.extend([target] if is_url(target) else iter_files(Path(target), follow_links))
    return jobs


def _exists(target: str) -> bool:
    """Whether ``target`` names an existing file or folder; a name the system refuses is a usage error."""
    try:
        return Path(target).exists()
    except OSError as exc:  # ENAMETOOLONG, ...: Path.exists only swallows "does not exist"
        raise path_error(target, exc) from None


def _run(scanner: Scanner, jobs: list[str | Path], parallel: int = 1) -> Iterator[ScanResult]:
    """Scan each job, with a progress bar on stderr when it is a terminal and there is more than one.

    With ``parallel`` > 1, that many documents are in flight at once (each analysed by one of
    the scanner's workers, stored by this process); results come out in the jobs' order.
    """
    show = sys.stderr.isatty() and len(jobs) >= _PROGRESS_MIN_DOCUMENTS
    progress = Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=err(), transient=True, redirect_stdout=False) if show else None

    def one(job: str | Path) -> list[ScanResult]:
        return scanner.scan_url(job) if isinstance(job, str) else scanner.scan_file(job)

    with progress or nullcontext(), ThreadPoolExecutor(max_workers=parallel) as pool:
        task = progress.add_task("scan", total=len(jobs)) if progress else None
        results = pool.map(one, jobs) if parallel > 1 else map(one, jobs)
        for done in results:
            yield from done
            if progress is not None and task is not None:
                progress.advance(task)


def _records_text(records: list[int], most: int = 8) -> str:
    shown = ", ".join(map(str, records[:most]))
    return shown + (f" (+{len(records) - most})" if len(records) > most else "")


def scan(
    ctx: typer.Context,
    targets: Annotated[list[str], typer.Argument(metavar="PATH_OR_URL", help="Files, folders or http(s) URLs.")],
    leak: Annotated[list[str] | None, typer.Option(
        "--leak", metavar="NAME", help="Only this leak (repeat for several; default: all registered leaks).")] = None,
    json_: JsonOption = False,
    fail_on_hit: Annotated[bool, typer.Option("--fail-on-hit", help=f"Exit {EXIT_HITS} when anything is found.")]
    = False,
    key_file: KeyFileOption = None,
    parallel: Annotated[int, typer.Option(
        "--jobs", "-j", min=1, max=64, help="Documents analysed at once, each in its own worker process "
                                            "(default 1; up to the number of cores helps).")] = 1,
    follow_links: Annotated[bool, typer.Option(
        "--follow-links", help="Also scan files that symbolic links inside a folder lead to outside it "
                               "(by default they are skipped with a warning).")] = False,
) -> None:
    """Scan documents for registered leaks; store what is found as hits.

    With --json, prints one JSON object per document per leak: source, leak, verdict
    (hit, clean or error), score, records (leak record ids), fields (per-column numbers),
    sha256, for hits expected_chance and rows (how many of the document's rows would match as
    well by chance), and for errors, error. Logs and progress go to stderr.
    """
    from tracker.leaks import no_usable_leak_message, split_by_key, wrong_key_message
    from tracker.pipeline import Scanner

    state = state_of(ctx)
    jobs = _jobs(targets, follow_links)
    engine = state.engine()
    with session_scope(engine) as session:
        chosen = [store.require_leak(session, name) for name in leak] if leak else store.list_leaks(session)
    if not chosen:
        raise UsageError("no leaks registered yet; add one first: tracker leak add FILE --name NAME")
    key_path = state.key_path(key_file)
    keyer = state.keyer(key_file)
    chosen, unusable = split_by_key(chosen, keyer)
    if not chosen:  # nothing could be scanned for: the key file is the problem, not the documents
        raise ConfigError(no_usable_leak_message(unusable, keyer, key_path))
    for other in unusable:  # the others are still scanned for; exit 3 says not everything was
        _say(f"error: {wrong_key_message(other, keyer, key_path)}")
    # The [http] table of tracker.toml (proxy, timeouts, size limit, user agent) when there is one;
    # loopback and private addresses stay refused unless it or TRACKER_ALLOW_PRIVATE_ADDRESSES=1 allows them.
    config = _config(state.settings)
    http = _http_settings(state.settings, config)
    n_hits, errored = 0, set()
    rows: list[ScanResult] = []
    with UrlFetcher(http) as fetcher, Scanner(engine, chosen, keyer, settings=state.settings,
                                              fetcher=fetcher, limits=config.scan, workers=parallel) as scanner:
        for result in _run(scanner, jobs, parallel):
            n_hits += result.verdict == "hit"
            if result.verdict == "error":
                errored.add(result.source)
            if json_:
                print_json(result.to_json())
            else:
                rows.append(result)
    if not json_:
        _print_table(rows)
    skipped = (f"; {len(unusable)} leak(s) not scanned for (made with another key): "
               f"{', '.join(other.name for other in unusable)}") if unusable else ""
    _say(f"scanned {len(jobs)} document(s) against {len(chosen)} leak(s): {n_hits} hit(s), "
         f"{len(errored)} document(s) not scanned{skipped}")
    if fail_on_hit and n_hits:
        raise typer.Exit(EXIT_HITS)
    if errored or unusable:
        raise typer.Exit(EXIT_SCAN_ERRORS)


def _say(line: str) -> None:
    """One line on stderr as it is: a console would wrap it at the terminal width (80 when piped),
    and scripts read these lines (``error: ...``, the summary) one line at a time."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _note(result: ScanResult) -> str:
    if result.error:
        return result.error
    if result.hit_id is None:
        return ""
    chance = "" if result.expected_chance is None else f" (by chance: {result.expected_chance:.2g} of {result.rows} rows)"
    return f"{'new ' if result.new_hit else ''}hit #{result.hit_id}{chance}"


def _print_table(rows: list[ScanResult]) -> None:
    table = Table("source", "leak", "verdict", "score", "records", "note")
    for r in rows:
        table.add_row(Text(r.source), Text(r.leak), Text(r.verdict, style=_VERDICT_STYLE[r.verdict]),
                      f"{r.score:.2f}", _records_text(r.records), Text(_note(r)))
    out().print(table)


def _config(settings: Settings) -> TrackerConfig:
    """The home's config file (its [http] and [scan] tables), else the defaults."""
    return load_config_or_defaults(default_config_path(settings.home))


def _http_settings(settings: Settings, config: TrackerConfig) -> HttpSettings:
    """The client settings URL scans use: the config file's ``[http]`` table, else the defaults."""
    http = config.http
    if settings.allow_private_addresses and not http.allow_private_addresses:
        http = dataclasses.replace(http, allow_private_addresses=True)
    return http
