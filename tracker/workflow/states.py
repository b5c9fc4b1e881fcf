"""The state machines of triage (hits) and takedown (cases).

Pure: no database. Every state change in the tracker goes through :func:`StateMachine.check`
so that a transition the workflow does not allow is refused with one clear error, whatever
path (CLI, scheduler, demo) asked for it.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tracker.errors import UsageError


class InvalidTransition(UsageError):
    """A hit or case was asked to move to a state it cannot reach from where it is."""


class HitState(StrEnum):
    """Triage of one hit: an analyst says whether it is really the leak."""

    NEW = "new"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"  # false positive; a reason is required
    DUPLICATE = "duplicate"  # same location as another hit already triaged


class CaseState(StrEnum):
    """Takedown of one location (URL) of confirmed content."""

    OPEN = "open"
    NOTICE_DRAFTED = "notice_drafted"
    NOTICE_SENT = "notice_sent"
    ACKNOWLEDGED = "acknowledged"
    REMOVED = "removed"  # verified by the tracker, with evidence
    CLOSED = "closed"
    REFUSED = "refused"
    ESCALATED = "escalated"  # handed to the next recipient in the chain
    REAPPEARED = "reappeared"  # was removed, matches again
    WITHDRAWN = "withdrawn"  # we stopped pursuing it (wrong location, case opened in error)


@dataclass(frozen=True)
class StateMachine:
    """Allowed transitions of one kind of object, and the check that enforces them."""

    kind: str
    transitions: dict[str, frozenset[str]]
    needs_reason: frozenset[str] = frozenset()

    def allowed(self, current: str) -> frozenset[str]:
        """The states reachable from ``current`` in one step."""
        return self.transitions.get(current, frozenset())

    def check(self, current: str, target: str, *, reason: str | None = None) -> None:
        """Refuse a transition the workflow does not allow, naming what is allowed instead."""
        if target not in self.transitions:
            known = ", ".join(self.transitions)
            raise InvalidTransition(f"unknown {self.kind} state '{target}'; known states: {known}")
        if target not in self.allowed(current):
            allowed = ", ".join(sorted(self.allowed(current))) or "none (final state)"
            raise InvalidTransition(
                f"a {self.kind} in state '{current}' cannot move to '{target}'; allowed: {allowed}"
            )
        if target in self.needs_reason and not (reason and reason.strip()):
            raise InvalidTransition(f"moving a {self.kind} to '{target}' needs a reason (--reason)")


def _fs(*states: str) -> frozenset[str]:
    return frozenset(states)


H, C = HitState, CaseState

HIT_MACHINE = StateMachine(
    kind="hit",
    transitions={
        H.NEW: _fs(H.CONFIRMED, H.DISMISSED, H.DUPLICATE),
        # An analyst may reconsider a dismissal or a duplicate; a confirmation is undone by
        # withdrawing its case, so that the takedown history stays in one place.
        H.DISMISSED: _fs(H.CONFIRMED),
        H.DUPLICATE: _fs(H.CONFIRMED),
        H.CONFIRMED: _fs(),
    },
    needs_reason=_fs(H.DISMISSED),
)

CASE_MACHINE = StateMachine(
    kind="case",
    transitions={
        C.OPEN: _fs(C.NOTICE_DRAFTED, C.REMOVED, C.WITHDRAWN),
        C.NOTICE_DRAFTED: _fs(C.NOTICE_SENT, C.REMOVED, C.WITHDRAWN),
        C.NOTICE_SENT: _fs(C.ACKNOWLEDGED, C.REMOVED, C.REFUSED, C.ESCALATED, C.WITHDRAWN),
        C.ACKNOWLEDGED: _fs(C.REMOVED, C.REFUSED, C.ESCALATED, C.WITHDRAWN),
        C.REFUSED: _fs(C.ESCALATED, C.REMOVED, C.CLOSED, C.WITHDRAWN),
        C.ESCALATED: _fs(C.NOTICE_DRAFTED, C.REMOVED, C.WITHDRAWN),
        C.REMOVED: _fs(C.CLOSED, C.REAPPEARED),
        C.CLOSED: _fs(C.REAPPEARED),
        C.REAPPEARED: _fs(C.NOTICE_DRAFTED, C.ESCALATED, C.REMOVED, C.WITHDRAWN),
        C.WITHDRAWN: _fs(),
    },
    needs_reason=_fs(C.WITHDRAWN, C.REFUSED, C.ESCALATED),
)

# Cases whose content we believe is still online: re-checked for removal.
ACTIVE_CASE_STATES = _fs(
    C.OPEN, C.NOTICE_DRAFTED, C.NOTICE_SENT, C.ACKNOWLEDGED, C.REFUSED, C.ESCALATED, C.REAPPEARED
)
# Cases whose content is gone: re-checked (less often) for reappearance.
GONE_CASE_STATES = _fs(C.REMOVED, C.CLOSED)
# Cases waiting on a recipient: their deadline applies.
AWAITING_RECIPIENT_STATES = _fs(C.NOTICE_SENT, C.ACKNOWLEDGED)
