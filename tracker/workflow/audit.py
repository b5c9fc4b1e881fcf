"""The audit log, and the one function that changes a hit's or a case's state.

Every state change goes through :func:`move`, which checks the transition against the
state machine and appends who/when/from/to/why in the same transaction, so the log cannot
miss a change that was committed.
"""
from __future__ import annotations

import getpass
from datetime import datetime

from sqlmodel import Session, col, select

from tracker.models import Hit, utcnow
from tracker.workflow.models import AuditLog, Case
from tracker.workflow.states import CASE_MACHINE, HIT_MACHINE, StateMachine


def default_actor() -> str:
    """Who is at the keyboard when ``--by`` is not given."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def record(
    session: Session,
    *,
    actor: str,
    object_type: str,
    object_id: int,
    action: str,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    at: datetime | None = None,
) -> AuditLog:
    """Append one entry to the audit log (flushed, not committed)."""
    entry = AuditLog(
        at=at or utcnow(),
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason or "",
    )
    session.add(entry)
    session.flush()
    return entry


def history(session: Session, object_type: str, object_id: int) -> list[AuditLog]:
    """The object's audit entries, oldest first."""
    query = (
        select(AuditLog)
        .where(AuditLog.object_type == object_type, AuditLog.object_id == object_id)
        .order_by(col(AuditLog.at), col(AuditLog.id))
    )
    return list(session.exec(query))


def history_json(session: Session, object_type: str, object_id: int) -> list[dict[str, str | None]]:
    """The object's audit entries as ``show --json`` prints them, oldest first."""
    return [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "from": e.from_state or None,
             "to": e.to_state or None, "reason": e.reason or None} for e in history(session, object_type, object_id)]


def _machine(obj: Hit | Case) -> tuple[StateMachine, str, str]:
    if isinstance(obj, Hit):
        return HIT_MACHINE, "status", "hit"
    return CASE_MACHINE, "state", "case"


def move(
    session: Session,
    obj: Hit | Case,
    target: str,
    *,
    actor: str,
    reason: str = "",
    at: datetime | None = None,
) -> AuditLog:
    """Change a hit's or case's state if the workflow allows it, and log the change.

    Raises :class:`~tracker.workflow.states.InvalidTransition` (nothing changed) otherwise.
    """
    machine, attr, kind = _machine(obj)
    current = getattr(obj, attr)
    machine.check(current, target, reason=reason)
    now = at or utcnow()
    setattr(obj, attr, target)
    obj.updated_at = now
    session.add(obj)
    assert obj.id is not None
    return record(
        session,
        actor=actor,
        object_type=kind,
        object_id=obj.id,
        action="transition",
        from_state=current,
        to_state=target,
        reason=reason,
        at=now,
    )
