"""The workflow's periodic job, as the scheduler (or ``tracker cases verify``) runs it.

One run: link new hits of known incidents, act on passed deadlines (draft reminders or
escalate), then re-check every case whose check is due. Register it with the scheduler as::

    from tracker.workflow.jobs import workflow_job
    scheduler.add_job(workflow_job, "interval", minutes=15, args=[engine, settings],
                      kwargs={"config_path": config_path}, max_instances=1, coalesce=True)
"""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from sources.http import HttpClient, HttpSettings, build_client
from tracker.analysis import Request
from tracker.config import default_config_path, load_config_or_defaults
from tracker.db import session_scope
from tracker.extract import Limits
from tracker.keyfile import open_keyer
from tracker.leaks import split_by_key
from tracker.models import Leak, utcnow
from tracker.pipeline import Scanner
from tracker.settings import Settings
from tracker.workflow.deadlines import apply_deadlines
from tracker.workflow.settings import WorkflowSettings, load_workflow_settings
from tracker.workflow.verify import VerifyReport, verify_due_cases

log = logging.getLogger(__name__)


class LeakRematcher:
    """Tells whether re-fetched content still holds records of given leaks.

    The question a scan answers, answered the same way: by the scanner's own analysis
    (:class:`tracker.analysis.Analyzer`, in its supervised workers, so a hostile page costs
    one check an unknown answer, never the workflow run), without storing anything.
    """

    def __init__(self, scanner: Scanner) -> None:
        self._scanner = scanner

    def __call__(self, content: bytes, content_type: str | None, url: str, leak_ids: set[int]) -> bool | None:
        """True if a leak of ``leak_ids`` still matches, False if none does, None when unknown:
        the content (or a part of it) could not be read, or a leak of the case is not loaded (made
        with another key, or added after the scanner was built), and none of the others matches."""
        loaded = [leak.id in leak_ids for leak in self._scanner.leaks]
        if not any(loaded):
            return None
        all_loaded = sum(loaded) == len(leak_ids)
        analysis = self._scanner.analyze(Request(url, content, content_type, url))
        if analysis.error is not None:
            return None
        hit = not analysis.gated and any(
            match.verdict == "hit" for wanted, match in zip(loaded, analysis.matches, strict=True) if wanted)
        if hit:
            return True
        if analysis.part_errors or not all_loaded:
            return None  # what was not read, or not looked for, may still hold the records
        return False


def http_settings(config_path: Path) -> HttpSettings:
    """The ``[http]`` settings of the config file (defaults when there is none)."""
    return load_config_or_defaults(config_path).http


def run_workflow(
    session: Session,
    settings: Settings,
    workflow: WorkflowSettings,
    *,
    client: HttpClient,
    case_ids: list[int] | None = None,
    actor: str = "tracker",
    now: datetime | None = None,
    scanner: Scanner | None = None,
    limits: Limits | None = None,
) -> VerifyReport:
    """Deadlines, then removal checks, with the scan's own analysis over the registered leaks
    (``scanner``'s, when the monitor lends its own: one pool of workers, not two)."""
    now = now or utcnow()
    own: Scanner | None = None
    if scanner is None:
        leaks = list(session.exec(select(Leak)))
        if leaks:
            keyer = open_keyer(settings.key_file)
            usable, _ = split_by_key(leaks, keyer)  # a leak of another key cannot be re-checked: unknown
            own = scanner = Scanner(session.get_bind(), usable, keyer, settings=settings,  # type: ignore[arg-type]
                                    limits=limits)
    try:
        matcher = LeakRematcher(scanner) if scanner is not None else None
        if case_ids is None:
            apply_deadlines(session, workflow, actor=actor, now=now, client=client,
                            user_dir=settings.home / "templates")
            session.commit()
        return verify_due_cases(session, client=client, settings=workflow, matcher=matcher,
                                case_ids=case_ids, actor=actor, now=now)
    finally:
        if own is not None:
            own.close()


def workflow_job(engine: Engine, settings: Settings, *, config_path: Path | None = None,
                 scanner: Scanner | None = None) -> dict[str, object]:
    """Entry point for the scheduler: one workflow run with its own client and session."""
    path = config_path or default_config_path(settings.home)
    workflow = load_workflow_settings(path)
    with build_client(http_settings(path)) as client, session_scope(engine) as session:
        limits = load_config_or_defaults(path).scan
        summary = run_workflow(session, settings, workflow, client=client, scanner=scanner, limits=limits).to_json()
    log.info("workflow run: %s", summary)
    return summary
