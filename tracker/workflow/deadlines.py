"""Deadlines per recipient class, and what happens when one passes.

A sent notice gives its recipient the deadline of its class (platform, host, CDN,
registrar, search engine, archive; defaults in ``settings.DEFAULT_DEADLINES``, overridden by
``[workflow.deadlines]``). A case past its deadline is flagged: first for a follow-up to
the same recipient (up to ``max_follow_ups`` reminders), then for escalation to the next
recipient of its chain. Applying the flags drafts the reminder or the new notice; sending
stays a person's decision.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlmodel import Session, col, select

from sources.http import HttpClient
from tracker.errors import ConfigError
from tracker.models import utcnow
from tracker.workflow.audit import record
from tracker.workflow.cases import change_state, current_recipient, draft_notice
from tracker.workflow.models import Case
from tracker.workflow.settings import WorkflowSettings
from tracker.workflow.states import AWAITING_RECIPIENT_STATES, CaseState


@dataclass(frozen=True)
class Overdue:
    """A case past its deadline and what to do about it."""

    case: Case
    action: Literal["follow_up", "escalate"]
    overdue_by: timedelta


def overdue_cases(session: Session, settings: WorkflowSettings, *, now: datetime | None = None) -> list[Overdue]:
    """Cases waiting on a recipient whose deadline has passed, oldest deadline first."""
    now = now or utcnow()
    query = (
        select(Case)
        .where(col(Case.state).in_(AWAITING_RECIPIENT_STATES), col(Case.deadline_at).is_not(None))
        .where(col(Case.deadline_at) <= now)
        .order_by(col(Case.deadline_at))
    )
    flagged = []
    for case in session.exec(query):
        has_next = case.escalation_level + 1 < len(case.recipient_chain)
        action: Literal["follow_up", "escalate"] = (
            "escalate" if has_next and case.follow_ups >= settings.max_follow_ups else "follow_up"
        )
        assert case.deadline_at is not None
        flagged.append(Overdue(case, action, now - case.deadline_at))
    return flagged


def apply_deadlines(
    session: Session,
    settings: WorkflowSettings,
    *,
    actor: str = "tracker",
    now: datetime | None = None,
    client: HttpClient | None = None,
    user_dir: Path | None = None,
) -> list[Overdue]:
    """Act on overdue cases: draft a reminder, or escalate and draft the next recipient's notice.

    Every flag is audited; the new deadline starts now, so a case is flagged once per period.
    """
    now = now or utcnow()
    flagged = overdue_cases(session, settings, now=now)
    for item in flagged:
        case = item.case
        recipient = current_recipient(case)
        name = recipient.name if recipient else "the recipient"
        if item.action == "escalate":
            change_state(session, case, CaseState.ESCALATED, actor=actor, settings=settings,
                         reason=f"no removal by {name} within the deadline", at=now)
            kind = "notice"
        else:
            case.follow_ups += 1
            if recipient is not None:
                case.deadline_at = now + timedelta(seconds=settings.deadlines[recipient.recipient_class])
            session.add(case)
            record(session, actor=actor, object_type="case", object_id=case.id or 0, action="follow_up",
                   reason=f"deadline passed {item.overdue_by.days} day(s) ago; reminder {case.follow_ups} to {name}",
                   at=now)
            kind = "follow_up"
        try:
            draft_notice(session, case, settings, actor=actor, kind=kind, client=client, user_dir=user_dir, at=now)
        except ConfigError:
            pass  # no sender configured: the case stays flagged in the audit log and in `tracker report`
    return flagged
