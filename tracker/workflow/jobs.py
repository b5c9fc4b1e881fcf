"""The workflow's periodic job, as the scheduler (or ``tracker cases verify``) runs it.

One run: link new hits of known incidents, act on passed deadlines (draft reminders or
escalate), then re-check every case whose check is due. Register it with the scheduler as::

    from tracker.workflow.jobs import workflow_job
    scheduler.add_job(workflow_job, "interval", minutes=15, args=[engine, settings],
                      kwargs={"config_path": config_path}, max_instances=1, coalesce=True)
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from fingerprints.keyed import Keyer
from fingerprints.matcher import Matcher
from sources.http import HttpClient, HttpSettings, build_client
from tracker.config import default_config_path, load_config
from tracker.db import session_scope
from tracker.errors import TrackerError
from tracker.extract import extract
from tracker.keyfile import open_keyer
from tracker.leaks import load_index
from tracker.models import Leak, utcnow
from tracker.settings import Settings
from tracker.workflow.deadlines import apply_deadlines
from tracker.workflow.settings import WorkflowSettings, load_workflow_settings
from tracker.workflow.verify import VerifyReport, verify_due_cases

log = logging.getLogger(__name__)


class LeakRematcher:
    """Tells whether re-fetched content still holds records of given leaks.

    Uses the same extraction and matcher as the scan pipeline, without storing anything;
    each leak's index is loaded on first use.
    """

    def __init__(self, settings: Settings, keyer: Keyer, leaks: Sequence[Leak]) -> None:
        self._settings = settings
        self._keyer = keyer
        self._leaks = {leak.id: leak for leak in leaks}
        self._matchers: dict[int, Matcher] = {}

    def _matcher(self, leak_id: int) -> Matcher | None:
        if leak_id not in self._matchers:
            leak = self._leaks.get(leak_id)
            if leak is None:
                return None
            self._matchers[leak_id] = Matcher(load_index(self._settings, leak, self._keyer), self._keyer)
        return self._matchers[leak_id]

    def __call__(self, content: bytes, content_type: str | None, url: str, leak_ids: set[int]) -> bool | None:
        try:
            texts = [part.text for part in extract(content, name=url, content_type=content_type).parts]
        except TrackerError:
            return None
        matchers = [m for m in (self._matcher(i) for i in sorted(leak_ids)) if m is not None]
        if not matchers:
            return None
        return any(m.match_parts(texts).verdict == "hit" for m in matchers)


def http_settings(config_path: Path) -> HttpSettings:
    """The ``[http]`` settings of the config file (defaults when there is none)."""
    return load_config(config_path).http if config_path.exists() else HttpSettings()


def run_workflow(
    session: Session,
    settings: Settings,
    workflow: WorkflowSettings,
    *,
    client: HttpClient,
    case_ids: list[int] | None = None,
    actor: str = "tracker",
    now: datetime | None = None,
) -> VerifyReport:
    """Deadlines, then removal checks, with the real matcher over the registered leaks."""
    now = now or utcnow()
    leaks = list(session.exec(select(Leak)))
    matcher = LeakRematcher(settings, open_keyer(settings.key_file), leaks) if leaks else None
    if case_ids is None:
        apply_deadlines(session, workflow, actor=actor, now=now, client=client, user_dir=settings.home / "templates")
        session.commit()
    return verify_due_cases(session, client=client, settings=workflow, matcher=matcher,
                            case_ids=case_ids, actor=actor, now=now)


def workflow_job(engine: Engine, settings: Settings, *, config_path: Path | None = None) -> dict[str, object]:
    """Entry point for the scheduler: one workflow run with its own client and session."""
    path = config_path or default_config_path(settings.home)
    workflow = load_workflow_settings(path)
    with build_client(http_settings(path)) as client, session_scope(engine) as session:
        summary = run_workflow(session, settings, workflow, client=client).to_json()
    log.info("workflow run: %s", summary)
    return summary
