"""``tracker run``: every enabled source on its own schedule until SIGINT/SIGTERM.

APScheduler 3.x ``BlockingScheduler`` in the main thread; runs happen in a thread pool. Each
source is one job with its own ``IntervalTrigger`` (plus jitter, so sources and restarts do
not all hit the network in the same second), ``max_instances=1`` (never two runs of one
source at once; the database lease extends this across processes), ``coalesce=True`` (runs
missed while busy or suspended collapse into one) and a ``misfire_grace_time``.

Restarts: a source's first run is due one interval after its last run as recorded in the
database, or at once when that moment has passed, so a restart neither hammers a site nor
waits a whole interval to catch up on what appeared while the tracker was down.

Stopping: SIGINT or SIGTERM sets a stop flag that running sources check between documents,
then shuts the scheduler down waiting for them, so nothing is left half-written; the
process then exits 0.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from tracker.config import SourceConfig, default_jitter
from tracker.db import session_scope
from tracker.models import utcnow
from tracker.monitor import state as store
from tracker.monitor.models import SourceState
from tracker.monitor.runner import RunReport
from tracker.monitor.service import Monitor

log = logging.getLogger(__name__)


def first_run_time(state: SourceState | None, interval: float, now: datetime) -> datetime:
    """When a source is first due after (re)start: last run + interval, or now if that has passed."""
    if state is None or state.last_run_at is None:
        return now
    return max(now, state.last_run_at + timedelta(seconds=interval))


@contextmanager
def stop_on_signals(on_stop: Callable[[], None]) -> Iterator[threading.Event]:
    """Within the block, SIGINT and SIGTERM set the yielded event and call ``on_stop`` (once)."""
    stop = threading.Event()
    called = threading.Lock()

    def handler(signum: int, frame: FrameType | None) -> None:
        log.warning("received %s: finishing the runs in progress, then stopping",
                    signal.Signals(signum).name)
        stop.set()
        if called.acquire(blocking=False):
            on_stop()

    in_main = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)} if in_main else {}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class MonitorScheduler:
    """The scheduler around one ``Monitor``: a job per enabled source, plus the takedown workflow.

    The workflow job (``tracker.workflow.jobs.workflow_job``: deadlines, reminders, removal
    re-checks) runs every ``[monitor] workflow_interval`` (default 15 minutes, 0 = off), first
    one minute after start (or one interval, if shorter).
    """

    def __init__(self, monitor: Monitor,
                 on_workflow: Callable[[dict[str, object]], None] | None = None) -> None:
        self.monitor = monitor
        self.on_workflow = on_workflow
        settings = monitor.config.monitor
        self.scheduler = BlockingScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=settings.max_workers)},
        )
        self.stop = threading.Event()

    def add_jobs(self) -> list[tuple[SourceConfig, datetime]]:
        """One interval job per enabled source; returns each source with its first run time."""
        now = utcnow()
        with session_scope(self.monitor.engine) as session:
            states = store.list_states(session)
        planned = []
        grace = self.monitor.config.monitor.misfire_grace_time
        for cfg in self.monitor.config.enabled_sources:
            first = first_run_time(states.get(cfg.name), cfg.interval, now)
            self.scheduler.add_job(
                self._run_job, IntervalTrigger(seconds=cfg.interval, jitter=cfg.jitter or None, timezone=UTC),
                args=[cfg.name], id=cfg.name, name=f"source {cfg.name}", next_run_time=first,
                max_instances=1, coalesce=True,
                misfire_grace_time=int(max(1, grace if grace is not None else cfg.interval)),
                replace_existing=True,
            )
            planned.append((cfg, first))
        every = self.monitor.config.monitor.workflow_interval
        if every:
            self.scheduler.add_job(
                self._run_workflow, IntervalTrigger(seconds=every, jitter=default_jitter(every), timezone=UTC),
                id="workflow", name="takedown workflow", next_run_time=now + timedelta(seconds=min(every, 60)),
                max_instances=1, coalesce=True, misfire_grace_time=int(max(1, every)), replace_existing=True,
            )
        return planned

    def _run_workflow(self) -> None:
        if self.stop.is_set():
            return
        from tracker.workflow.jobs import workflow_job

        try:
            report = workflow_job(self.monitor.engine, self.monitor.settings, config_path=self.monitor.config.path,
                                  scanner=self.monitor.scanner)
        except Exception:  # a workflow failure must not stop the monitoring
            log.exception("takedown workflow run failed")
            return
        if self.on_workflow is not None:
            self.on_workflow(report)

    def _run_job(self, name: str) -> None:
        if self.stop.is_set():
            return
        try:
            self.monitor.run(name, self.stop)
        except Exception:  # keep the scheduler alive whatever one source does
            log.exception("source %s: unexpected error outside the run", name)

    def request_stop(self) -> None:
        """Stop taking new runs, let running ones end at their next document, then return from ``start``."""
        self.stop.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def run_forever(self) -> int:
        """Block until SIGINT/SIGTERM; 0 after a clean stop."""
        planned = self.add_jobs()
        if not self.scheduler.get_jobs():
            log.warning("no enabled source and no workflow job in the configuration: nothing to run")
            return 0
        for cfg, first in planned:
            log.info("source %s (%s): every %ss, first run at %s", cfg.name, cfg.kind, cfg.interval,
                     first.isoformat(timespec="seconds"))
        with stop_on_signals(self.request_stop):
            self.scheduler.start()
        log.info("scheduler stopped")
        return 0


def run_once(monitor: Monitor) -> list[RunReport]:
    """Every enabled source once, stoppable by SIGINT/SIGTERM between documents."""
    with stop_on_signals(lambda: None) as stop:
        return monitor.run_all(stop)
