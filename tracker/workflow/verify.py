"""Verified removal: re-checking case locations on a back-off schedule.

A location counts as removed, with its evidence (time, HTTP status, content hash) stored
in a ``RemovalCheck``, when it answers 404, 410 or 451, when it shows the platform's
"removed" page (directory patterns), or when its content no longer matches the leak's
fingerprints. 403, 429, 5xx, timeouts and refused connections are inconclusive and retried
later. A removed location that matches again re-opens its case as ``reappeared``; a new
hit of a known incident's content is linked to that incident.

The checks of open cases back off (``[workflow.verify] intervals``, default 1h, 6h, 1d, 3d,
7d, then weekly); removed locations are re-checked every ``gone_interval`` (7 days).
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session, col, select

from sources.errors import HttpStatusError, SourceError
from sources.http import HttpClient
from tracker.models import utcnow
from tracker.workflow.cases import case_of_location, change_state, current_recipient
from tracker.workflow.incidents import link_known_content, location_hits
from tracker.workflow.models import Case, RemovalCheck
from tracker.workflow.recipients import directory
from tracker.workflow.settings import WorkflowSettings
from tracker.workflow.states import ACTIVE_CASE_STATES, GONE_CASE_STATES, CaseState

log = logging.getLogger(__name__)

Outcome = Literal["present", "removed", "inconclusive"]
REMOVED_STATUSES = frozenset({404, 410, 451})

#: ``matcher(content, content_type, url, leak_ids)``: True when the content still holds records
#: of those leaks, False when it does not, None when it cannot tell (unreadable content).
ContentMatcher = Callable[[bytes, str | None, str, set[int]], bool | None]


@dataclass(frozen=True)
class Observation:
    """What one fetch of a location showed."""

    outcome: Outcome
    http_status: int | None
    sha256: str
    detail: str


def _removed_patterns(case: Case) -> tuple[str, ...]:
    recipient = current_recipient(case)
    patterns = recipient.removed_patterns if recipient else ()
    platform = directory.lookup(case.host)
    return tuple(patterns) + (platform.removed_patterns if platform else ())


def observe(
    client: HttpClient,
    url: str,
    *,
    baseline_sha256: str,
    leak_ids: set[int],
    removed_patterns: tuple[str, ...] = (),
    matcher: ContentMatcher | None = None,
) -> Observation:
    """Fetch ``url`` once and classify what it shows (no database access)."""
    try:
        result = client.fetch(url)
    except HttpStatusError as exc:
        if exc.status in REMOVED_STATUSES:
            return Observation("removed", exc.status, "", f"HTTP {exc.status}")
        return Observation("inconclusive", exc.status, "", f"HTTP {exc.status}; will retry")
    except SourceError as exc:  # network trouble, rate limits, robots: try again later
        return Observation("inconclusive", None, "", f"{exc.failure_class}; will retry")
    sha = hashlib.sha256(result.content).hexdigest()
    if baseline_sha256 and sha == baseline_sha256:
        return Observation("present", result.status, sha, "same content as when the case opened")
    verdict = matcher(result.content, result.content_type, url, leak_ids) if matcher else None
    if verdict:
        return Observation("present", result.status, sha, "content changed but still matches the leak")
    text = result.content[:1_000_000].decode("utf-8", errors="replace").casefold() if removed_patterns else ""
    for pattern in removed_patterns:
        if pattern.casefold() in text:
            return Observation("removed", result.status, sha, f'the site\'s removal page ("{pattern}")')
    if verdict is False:
        return Observation("removed", result.status, sha, "content no longer matches the leak")
    why = "no matcher available" if matcher is None else "content could not be read"
    return Observation("inconclusive", result.status, sha, f"content changed; {why}; will retry")


@dataclass
class VerifyReport:
    """What one verification run did, for logs, the CLI and tests."""

    checked: int = 0
    removed: list[int] = field(default_factory=list)
    reappeared: list[int] = field(default_factory=list)
    inconclusive: list[int] = field(default_factory=list)
    linked_hits: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"checked": self.checked, "removed": self.removed, "reappeared": self.reappeared,
                "inconclusive": self.inconclusive, "linked_hits": self.linked_hits}


def _backoff(settings: WorkflowSettings, streak: int) -> timedelta:
    intervals = settings.check_intervals
    return timedelta(seconds=intervals[min(streak, len(intervals) - 1)])


def check_case(
    session: Session,
    case: Case,
    client: HttpClient,
    settings: WorkflowSettings,
    *,
    matcher: ContentMatcher | None = None,
    actor: str = "tracker",
    now: datetime | None = None,
) -> RemovalCheck:
    """Re-check one case's location, store the evidence and move the case if warranted."""
    now = now or utcnow()
    leak_ids = {hit.leak_id for hit, _ in location_hits(session, case.location_id) if hit.status == "confirmed"}
    seen = observe(client, case.url, baseline_sha256=case.baseline_sha256, leak_ids=leak_ids,
                   removed_patterns=_removed_patterns(case), matcher=matcher)
    check = RemovalCheck(case_id=case.id, at=now, http_status=seen.http_status,  # type: ignore[arg-type]
                         content_sha256=seen.sha256, outcome=seen.outcome, detail=seen.detail)
    session.add(check)
    session.flush()
    evidence = f"check {check.id}: {seen.detail}" + (f" (HTTP {seen.http_status})" if seen.http_status else "")
    if case.state in GONE_CASE_STATES:
        if seen.outcome == "present":
            change_state(session, case, CaseState.REAPPEARED, actor=actor, settings=settings,
                         reason=f"content is back: {evidence}", at=now)
        else:
            case.next_check_at = now + timedelta(seconds=settings.gone_interval)
    elif seen.outcome == "removed":
        change_state(session, case, CaseState.REMOVED, actor=actor, settings=settings,
                     reason=f"removal verified: {evidence}", at=now)
    else:
        case.check_streak += 1
        case.next_check_at = now + _backoff(settings, case.check_streak)
    session.add(case)
    session.flush()
    return check


def due_cases(session: Session, *, now: datetime, case_ids: list[int] | None = None) -> list[Case]:
    """Cases whose next check is due (or the named ones, due or not), in due order."""
    watched = ACTIVE_CASE_STATES | GONE_CASE_STATES
    query = select(Case).where(col(Case.state).in_(watched))
    if case_ids:
        query = query.where(col(Case.id).in_(case_ids))
    else:
        query = query.where(col(Case.next_check_at).is_not(None), col(Case.next_check_at) <= now)
    return list(session.exec(query.order_by(col(Case.next_check_at), col(Case.id))))


def verify_due_cases(
    session: Session,
    *,
    client: HttpClient,
    settings: WorkflowSettings,
    matcher: ContentMatcher | None = None,
    case_ids: list[int] | None = None,
    actor: str = "tracker",
    now: datetime | None = None,
) -> VerifyReport:
    """The scheduler's job: link new hits of known incidents, then re-check every due case.

    Commits after each case so a long run keeps its progress and holds no write lock while
    it fetches. A new hit at the URL of a removed case re-opens that case at once.
    """
    now = now or utcnow()
    report = VerifyReport()
    for hit, grouping in link_known_content(session, actor=actor, at=now):
        report.linked_hits.append(hit.id or 0)
        case = case_of_location(session, grouping.location.id)
        if case is not None and case.state in GONE_CASE_STATES:
            change_state(session, case, CaseState.REAPPEARED, actor=actor, settings=settings,
                         reason="a new hit of the incident's content was found at this URL", at=now)
            report.reappeared.append(case.id or 0)
    session.commit()
    for case in due_cases(session, now=now, case_ids=case_ids):
        was_gone = case.state in GONE_CASE_STATES
        check = check_case(session, case, client, settings, matcher=matcher, actor=actor, now=now)
        report.checked += 1
        if check.outcome == "inconclusive":
            report.inconclusive.append(case.id or 0)
        elif check.outcome == "removed" and not was_gone:
            report.removed.append(case.id or 0)
        elif check.outcome == "present" and was_gone:
            report.reappeared.append(case.id or 0)
        session.commit()
        log.info("case %s: %s (%s)", case.id, check.outcome, check.detail)
    return report
