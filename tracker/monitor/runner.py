"""One run of one source: fetch its new documents, scan each, remember it, update its health.

Every step is its own small transaction, in an order that makes a kill at any instant safe:

1. take the source's lease and log the run as ``running``;
2. for each document the source yields: scan it (the pipeline stores document and hits in one
   transaction), then mark it seen together with its URL's validators (a second one);
3. at the end of a successful run, save the cursor and the remaining buffered state.

Killed between 2's two transactions, the next run scans that document again, which the
pipeline's uniqueness turns into a no-op: nothing is lost and nothing is duplicated. A stop
request (SIGTERM) is honoured between documents; the run then ends as ``interrupted`` without
saving its cursor, so the next run resumes from the last successful one.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from tracker.config import SourceConfig
from tracker.db import session_scope
from tracker.errors import StorageError, TrackerError
from tracker.models import utcnow
from tracker.monitor import state as store
from tracker.monitor.context import DbSourceContext
from tracker.monitor.models import SourceRun, SourceState
from tracker.redact import describe

log = logging.getLogger(__name__)


class _ScanResult(Protocol):
    verdict: str
    new_hit: bool
    hit_id: int | None


class DocumentScanner(Protocol):
    """What the runner needs of ``tracker.pipeline.Scanner``."""

    def scan_bytes(self, source: str, data: bytes, content_type: str | None = None,
                   name: str | None = None) -> list[Any]: ...


@dataclass
class RunReport:
    """What one run did; also what ``tracker sources check`` prints."""

    source: str
    kind: str
    status: str = "running"             # ok | failed | interrupted | busy
    started_at: datetime = field(default_factory=utcnow)
    duration: float = 0.0
    items: int = 0                      # documents scanned
    considered: int = 0                 # items the source looked at, new or already seen
    bytes: int = 0
    hits: int = 0                       # (document, leak) hits, new or confirmed again
    new_hits: int = 0
    errors: int = 0                     # documents that could not be scanned
    skipped: dict[str, int] = field(default_factory=dict)   # items the source gave up on, by class
    failure_class: str | None = None
    error: str | None = None
    run_id: int | None = None
    hit_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["duration"] = round(self.duration, 3)
        return data


def _failure(exc: BaseException) -> tuple[str, str]:
    """(failure class, message) of an exception ending a run; messages never carry content."""
    from sources.errors import SourceError

    if isinstance(exc, SourceError):
        return exc.failure_class, str(exc) or exc.__class__.__name__
    if isinstance(exc, TrackerError):
        return "storage" if isinstance(exc, StorageError) else "error", str(exc)
    return "error", describe(exc)  # a foreign exception's message could quote a document


def run_source(engine: Engine, cfg: SourceConfig, source: Any, scanner: DocumentScanner, *,
               query_check: Callable[[str], None] | None = None,
               stop: threading.Event | None = None, owner: str | None = None,
               scan_lock: threading.Lock | None = None) -> RunReport:
    """Run ``source`` once; never raises for a source failure (it is recorded and reported)."""
    owner = owner or store.lease_owner_id()
    report = RunReport(source=cfg.name, kind=cfg.kind)
    with session_scope(engine) as session:
        holder = store.acquire_lease(session, cfg.name, cfg.kind, owner)
    if holder is not None:
        report.status, report.error = "busy", f"already being run by {holder}"
        log.info("source %s: skipped, %s", cfg.name, report.error)
        return report
    t0 = time.monotonic()
    ctx: DbSourceContext | None = None
    try:
        with session_scope(engine) as session:
            run = store.start_run(session, cfg.name)
            state = session.get(SourceState, cfg.name)
            assert state is not None
            report.run_id, report.started_at = run.id, run.started_at
            ctx = DbSourceContext(engine, cfg.name, state, query_check)
        interrupted = _scan_documents(cfg, source, ctx, scanner, report, stop, owner, scan_lock)
        report.status = "interrupted" if interrupted else "ok"
        _skips_only(source, report, ctx.considered)
    except Exception as exc:  # a source failure ends this run only
        report.status = "failed"
        report.failure_class, report.error = _failure(exc)
        report.error = store.truncate_error(report.error)
        # INFO, not WARNING: the CLI prints every run's outcome (and `sources status` flags it).
        log.info("source %s: run failed (%s): %s", cfg.name, report.failure_class, report.error,
                 exc_info=log.isEnabledFor(logging.DEBUG))
    except BaseException:
        report.status = "interrupted"
        raise
    finally:
        report.duration = time.monotonic() - t0
        report.considered = ctx.considered if ctx is not None else 0
        _finish(engine, cfg, report, ctx, owner)
    log.info("source %s: %s, %d item(s), %d byte(s), %d hit(s) in %.2fs", cfg.name, report.status,
             report.items, report.bytes, report.hits, report.duration)
    return report


def _scan_documents(cfg: SourceConfig, source: Any, ctx: DbSourceContext, scanner: DocumentScanner,
                    report: RunReport, stop: threading.Event | None, owner: str,
                    scan_lock: threading.Lock | None) -> bool:
    """Scan what the source yields; True when a stop request ended the run early."""
    documents = source.fetch(ctx)
    try:
        for doc in documents:
            if stop is not None and stop.is_set():
                return True
            ctx.note_yielded(doc.item_id)
            sha = doc.sha256
            if ctx.already_scanned(doc.item_id, sha):
                continue
            with scan_lock or nullcontext():
                results = scanner.scan_bytes(doc.url, doc.content, doc.content_type)
            ctx.commit_document(doc.item_id, doc.url, sha, owner=owner)
            report.items += 1
            report.bytes += len(doc.content)
            for result in results:
                if result.verdict == "hit":
                    report.hits += 1
                    report.new_hits += int(bool(result.new_hit))
                    if result.hit_id is not None:
                        report.hit_ids.append(result.hit_id)
            report.errors += int(any(r.verdict == "error" for r in results))
            if stop is not None and stop.is_set():
                return True
    finally:
        close = getattr(documents, "close", None)
        if close is not None:
            close()
    return False


#: Per-item failure classes that mean the source itself is in trouble (not a dead link or a
#: paste that is not ready yet).
SOURCE_TROUBLE = frozenset({"blocked", "blocked_address", "auth", "rate_limited", "network", "timeout",
                            "server_error", "outage"})


def _skips_only(source: Any, report: RunReport, considered: int) -> None:
    """A run in which every item the source looked at failed for a source-level reason failed."""
    skipped = getattr(getattr(source, "stats", None), "skipped", None) or Counter()
    report.skipped = dict(skipped)
    trouble = Counter({k: v for k, v in skipped.items() if k in SOURCE_TROUBLE})
    if report.status == "ok" and report.items == 0 and trouble and sum(trouble.values()) >= considered:
        report.status, report.failure_class = "failed", trouble.most_common(1)[0][0]
        report.error = f"every item failed ({', '.join(f'{k}: {v}' for k, v in skipped.items())})"


def _finish(engine: Engine, cfg: SourceConfig, report: RunReport, ctx: DbSourceContext | None,
            owner: str) -> None:
    """Write the run's outcome into the run log and the source's state, and drop the lease."""
    now = utcnow()
    with session_scope(engine) as session:
        state = store.ensure_state(session, cfg.name, cfg.kind)
        run = session.get(SourceRun, report.run_id) if report.run_id is not None else None
        if run is not None:
            run.finished_at, run.status = now, report.status
            run.items, run.considered, run.bytes, run.hits = (report.items, report.considered,
                                                              report.bytes, report.hits)
            run.errors = report.errors + sum(report.skipped.values())
            run.failure_class, run.error = report.failure_class, report.error
        state.runs = (state.runs or 0) + 1
        state.items_fetched = (state.items_fetched or 0) + report.items
        state.items_unreadable = (state.items_unreadable or 0) + report.errors
        state.bytes_fetched = (state.bytes_fetched or 0) + report.bytes
        state.hits = (state.hits or 0) + report.new_hits
        state.last_items = report.items
        state.last_duration = report.duration
        if report.status == "ok":
            if ctx is not None:
                ctx.flush_success(session, state)
            state.last_success_at = now
            state.consecutive_failures = 0
            state.failure_class = state.last_error = None
            state.zero_item_runs = 0 if report.considered else (state.zero_item_runs or 0) + 1
        elif report.status == "failed":
            state.last_failure_at = now
            state.consecutive_failures = (state.consecutive_failures or 0) + 1
            state.failure_class, state.last_error = report.failure_class, report.error
        store.release_lease(session, cfg.name, owner)
