"""Cases: the takedown of one location, from opening to verified removal.

Every state change goes through :func:`change_state`, which checks it against the state
machine, logs it, and keeps the case's timestamps, deadline and recipient in step with the
new state, so the CLI, the scheduler and the verifier cannot disagree on what a state means.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from sources.http import HttpClient
from tracker.errors import NotFoundError, UsageError
from tracker.models import Document, utcnow
from tracker.workflow.audit import move, record
from tracker.workflow.incidents import Grouping
from tracker.workflow.models import Case, Notice
from tracker.workflow.notices.context import notice_context
from tracker.workflow.notices.render import render
from tracker.workflow.recipients.model import Recipient
from tracker.workflow.recipients.resolve import resolve_chain
from tracker.workflow.settings import WorkflowSettings
from tracker.workflow.states import CaseState, InvalidTransition

C = CaseState


def get_case(session: Session, case_id: int) -> Case:
    """The case with this id; NotFoundError naming how to list them otherwise."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"no case with id {case_id} (see: tracker cases list)")
    return case


def list_cases(session: Session, *, state: str | None = None, host: str | None = None) -> list[Case]:
    """Cases, oldest first, optionally of one state or host."""
    query = select(Case).order_by(col(Case.id))
    if state:
        query = query.where(Case.state == state)
    if host:
        query = query.where(Case.host == host.lower())
    return list(session.exec(query))


def case_of_location(session: Session, location_id: int | None) -> Case | None:
    """The case of a location, if one was opened (there is at most one per location)."""
    return session.exec(select(Case).where(Case.location_id == location_id)).first()


def current_recipient(case: Case) -> Recipient | None:
    """The recipient the case is addressed to now, if resolved."""
    return Recipient.from_dict(case.recipient) if case.recipient else None


def open_case(
    session: Session,
    grouping: Grouping,
    document: Document,
    *,
    actor: str,
    settings: WorkflowSettings,
    at: datetime | None = None,
) -> Case:
    """The case of a location, opened now if it has none (one case per location)."""
    existing = case_of_location(session, grouping.location.id)
    if existing is not None:
        return existing
    now = at or utcnow()
    location = grouping.location
    case = Case(
        incident_id=grouping.incident.id,  # type: ignore[arg-type]
        location_id=location.id,  # type: ignore[arg-type]
        url=location.url,
        host=location.host,
        state=C.OPEN,
        baseline_sha256=document.sha256,
        opened_at=now,
        updated_at=now,
        next_check_at=now + timedelta(seconds=settings.check_intervals[0]),
    )
    session.add(case)
    session.flush()
    assert case.id is not None
    record(session, actor=actor, object_type="case", object_id=case.id, action="transition",
           to_state=C.OPEN, reason=f"hit at {location.url} confirmed", at=now)
    return case


def set_recipient_chain(
    session: Session, case: Case, chain: list[Recipient], *, actor: str, at: datetime | None = None
) -> None:
    """Store the escalation chain and address the case to its first recipient."""
    if not chain and not case.host:
        raise UsageError(f"case {case.id}: {case.url} is not a web location; there is no one to send a notice to")
    if not chain:
        raise UsageError(f"case {case.id}: no recipient found for {case.url}; add one under "
                         f'[workflow.recipients."{case.host}"] in tracker.toml')
    case.recipient_chain = [r.to_dict() for r in chain]
    case.escalation_level = 0
    case.recipient = case.recipient_chain[0]
    session.add(case)
    assert case.id is not None
    record(session, actor=actor, object_type="case", object_id=case.id, action="recipient",
           reason=f"{chain[0].name} <{chain[0].address}> via {chain[0].source}", at=at)


def ensure_recipient(
    session: Session,
    case: Case,
    settings: WorkflowSettings,
    *,
    actor: str,
    client: HttpClient | None = None,
    at: datetime | None = None,
) -> Recipient:
    """The case's recipient, resolving the chain (directory, RDAP, security.txt) on first use."""
    if not case.recipient:
        set_recipient_chain(session, case, resolve_chain(case.url, settings, client), actor=actor, at=at)
    recipient = current_recipient(case)
    assert recipient is not None
    return recipient


def change_state(
    session: Session,
    case: Case,
    target: str,
    *,
    actor: str,
    settings: WorkflowSettings,
    reason: str = "",
    at: datetime | None = None,
) -> None:
    """Move a case to ``target`` (refused with InvalidTransition if not allowed) and log it."""
    now = at or utcnow()
    if target == C.ESCALATED and case.escalation_level + 1 >= len(case.recipient_chain):
        raise InvalidTransition(
            f"case {case.id} has no further recipient to escalate to; add one under "
            f'[workflow.recipients."{case.host}"] in tracker.toml'
        )
    move(session, case, target, actor=actor, reason=reason, at=now)
    if target == C.NOTICE_SENT:
        _stamp_sent_by_hand(session, case, actor=actor, at=now)
        recipient = current_recipient(case)
        case.notice_sent_at = now
        case.follow_ups = 0
        if recipient is not None:
            case.deadline_at = now + timedelta(seconds=settings.deadlines[recipient.recipient_class])
    elif target == C.ESCALATED:
        case.escalation_level += 1
        case.recipient = case.recipient_chain[case.escalation_level]
        case.follow_ups = 0
        case.deadline_at = None
        record(session, actor=actor, object_type="case", object_id=case.id or 0, action="recipient",
               reason=f"escalated to {case.recipient['name']} <{case.recipient['address']}>", at=now)
    elif target == C.REMOVED:
        case.removed_at = now
        case.deadline_at = None
        case.check_streak = 0
        case.next_check_at = now + timedelta(seconds=settings.gone_interval)
    elif target == C.REAPPEARED:
        case.check_streak = 0
        case.next_check_at = now + timedelta(seconds=settings.check_intervals[0])
    elif target == C.CLOSED:
        case.closed_at = now
    elif target == C.WITHDRAWN:
        case.deadline_at = None
        case.next_check_at = None
    session.add(case)
    session.flush()


def _stamp_sent_by_hand(session: Session, case: Case, *, actor: str, at: datetime) -> None:
    """An unsent notice when a case is marked sent was submitted by hand (web forms).

    The notice keeps the time, and the analyst who records it stands as its approver.
    (``send.send_notice`` stamps the notices it sends itself before changing the state.)
    """
    notice = latest_notice(session, case, unsent=True)
    if notice is None:
        return
    notice.sent_at = at
    notice.approved_by = notice.approved_by or actor
    notice.approved_at = notice.approved_at or at
    session.add(notice)
    record(session, actor=actor, object_type="notice", object_id=notice.id or 0, action="send",
           reason=f"case {case.id}: submitted by hand to {notice.recipient.get('address', '')}", at=at)


def latest_notice(session: Session, case: Case, *, unsent: bool = False) -> Notice | None:
    """The case's newest notice (only an unsent one with ``unsent``)."""
    query = select(Notice).where(Notice.case_id == case.id)
    if unsent:
        query = query.where(col(Notice.sent_at).is_(None))
    return session.exec(query.order_by(col(Notice.id).desc())).first()


def _previous(notice: Notice | None) -> dict[str, Any] | None:
    if notice is None or notice.sent_at is None:
        return None
    return {"subject": notice.subject, "message_id": notice.message_id, "sent": notice.sent_at.date().isoformat()}


def draft_notice(
    session: Session,
    case: Case,
    settings: WorkflowSettings,
    *,
    actor: str,
    kind: str = "notice",
    client: HttpClient | None = None,
    user_dir: Path | None = None,
    at: datetime | None = None,
) -> Notice:
    """Render the case's notice (or a follow-up reminder) and keep it as an unsent draft.

    Drafting a notice moves an open, escalated or reappeared case to ``notice_drafted``;
    drafting again replaces the unsent draft (its approval is dropped: the text changed).
    """
    now = at or utcnow()
    settings.require_sender()
    if kind == "notice" and case.state not in (C.OPEN, C.ESCALATED, C.REAPPEARED, C.NOTICE_DRAFTED):
        raise InvalidTransition(f"case {case.id} is {case.state}; a new notice is drafted only for an open, "
                                f"escalated or reappeared case")
    recipient = ensure_recipient(session, case, settings, actor=actor, client=client, at=now)
    previous = _previous(latest_notice(session, case)) if kind == "follow_up" else None
    context = notice_context(session, case, settings, recipient=recipient, now=now, previous=previous)
    rendered = render("follow_up" if kind == "follow_up" else recipient.template, context, user_dir)
    draft = latest_notice(session, case, unsent=True)
    if draft is None or draft.kind != kind:
        draft = Notice(case_id=case.id, kind=kind, template=rendered.template, subject=rendered.subject,  # type: ignore[arg-type]
                       text=rendered.body, created_at=now, created_by=actor)
    draft.template, draft.subject, draft.text = rendered.template, rendered.subject, rendered.body
    draft.recipient = recipient.to_dict()
    draft.approved_by, draft.approved_at, draft.message_id = "", None, ""
    session.add(draft)
    session.flush()
    assert draft.id is not None
    record(session, actor=actor, object_type="notice", object_id=draft.id, action="draft",
           reason=f"case {case.id}: {kind} to {recipient.name} ({rendered.template})", at=now)
    if kind == "notice" and case.state != C.NOTICE_DRAFTED:
        change_state(session, case, C.NOTICE_DRAFTED, actor=actor, settings=settings,
                     reason=f"notice {draft.id} drafted", at=now)
    return draft


def approve_notice(session: Session, case: Case, *, by: str, at: datetime | None = None) -> Notice:
    """Record a person's approval of the case's unsent notice (needed before sending)."""
    if not by.strip():
        raise UsageError("approval needs the approver's name (--by NAME)")
    notice = latest_notice(session, case, unsent=True)
    if notice is None:
        raise UsageError(f"case {case.id} has no unsent notice to approve; draft one: tracker cases notice {case.id}")
    now = at or utcnow()
    notice.approved_by, notice.approved_at = by.strip(), now
    session.add(notice)
    record(session, actor=by.strip(), object_type="notice", object_id=notice.id or 0, action="approve",
           reason=f"case {case.id}", at=now)
    return notice
