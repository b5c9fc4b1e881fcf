"""Triage of hits: an analyst confirms, dismisses or marks a hit as a duplicate.

Confirming a hit groups it into an incident (see ``incidents.py``) and opens the case of its
location; dismissing needs a reason. All of it is audited through ``audit.move``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from tracker.models import Hit, utcnow
from tracker.store import get_hit
from tracker.workflow.audit import move
from tracker.workflow.cases import open_case
from tracker.workflow.incidents import group_hit
from tracker.workflow.models import Case, Incident, IncidentLocation
from tracker.workflow.settings import WorkflowSettings
from tracker.workflow.states import HitState


@dataclass(frozen=True)
class Confirmed:
    """A confirmed hit with the incident, location and case it now belongs to."""

    hit: Hit
    incident: Incident
    location: IncidentLocation
    case: Case


def confirm_hit(
    session: Session,
    hit_id: int,
    *,
    actor: str,
    settings: WorkflowSettings,
    reason: str = "",
    at: datetime | None = None,
) -> Confirmed:
    """Confirm a hit as the leak: link it to its incident and open its location's case."""
    now = at or utcnow()
    hit, _leak, document = get_hit(session, hit_id)
    move(session, hit, HitState.CONFIRMED, actor=actor, reason=reason, at=now)
    grouping = group_hit(session, hit, actor=actor, at=now)
    case = open_case(session, grouping, document, actor=actor, settings=settings, at=now)
    return Confirmed(hit, grouping.incident, grouping.location, case)


def set_hit_state(
    session: Session, hit_id: int, state: HitState, *, actor: str, reason: str = "", at: datetime | None = None
) -> Hit:
    """Dismiss a hit (false positive; reason required) or mark it a duplicate."""
    hit, _leak, _document = get_hit(session, hit_id)
    move(session, hit, state, actor=actor, reason=reason, at=at)
    return hit
