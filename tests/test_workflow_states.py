"""Every transition of the hit and case state machines, allowed and refused."""
from __future__ import annotations

import itertools

import pytest

from tracker.errors import UsageError
from tracker.workflow.states import (
    CASE_MACHINE,
    HIT_MACHINE,
    CaseState,
    HitState,
    InvalidTransition,
)

H, C = HitState, CaseState

HIT_ALLOWED = {
    (H.NEW, H.CONFIRMED), (H.NEW, H.DISMISSED), (H.NEW, H.DUPLICATE),
    (H.DISMISSED, H.CONFIRMED), (H.DUPLICATE, H.CONFIRMED),
}
CASE_ALLOWED = {
    (C.OPEN, C.NOTICE_DRAFTED), (C.OPEN, C.REMOVED), (C.OPEN, C.WITHDRAWN),
    (C.NOTICE_DRAFTED, C.NOTICE_SENT), (C.NOTICE_DRAFTED, C.REMOVED), (C.NOTICE_DRAFTED, C.WITHDRAWN),
    (C.NOTICE_SENT, C.ACKNOWLEDGED), (C.NOTICE_SENT, C.REMOVED), (C.NOTICE_SENT, C.REFUSED),
    (C.NOTICE_SENT, C.ESCALATED), (C.NOTICE_SENT, C.WITHDRAWN),
    (C.ACKNOWLEDGED, C.REMOVED), (C.ACKNOWLEDGED, C.REFUSED), (C.ACKNOWLEDGED, C.ESCALATED),
    (C.ACKNOWLEDGED, C.WITHDRAWN),
    (C.REFUSED, C.ESCALATED), (C.REFUSED, C.REMOVED), (C.REFUSED, C.CLOSED), (C.REFUSED, C.WITHDRAWN),
    (C.ESCALATED, C.NOTICE_DRAFTED), (C.ESCALATED, C.REMOVED), (C.ESCALATED, C.WITHDRAWN),
    (C.REMOVED, C.CLOSED), (C.REMOVED, C.REAPPEARED),
    (C.CLOSED, C.REAPPEARED),
    (C.REAPPEARED, C.NOTICE_DRAFTED), (C.REAPPEARED, C.ESCALATED), (C.REAPPEARED, C.REMOVED),
    (C.REAPPEARED, C.WITHDRAWN),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(HitState, HitState)))
def test_every_hit_transition(current: HitState, target: HitState) -> None:
    if (current, target) in HIT_ALLOWED:
        HIT_MACHINE.check(current, target, reason="because")
    else:
        with pytest.raises(InvalidTransition, match=f"in state '{current}' cannot move to '{target}'"):
            HIT_MACHINE.check(current, target, reason="because")


@pytest.mark.parametrize(("current", "target"), list(itertools.product(CaseState, CaseState)))
def test_every_case_transition(current: CaseState, target: CaseState) -> None:
    if (current, target) in CASE_ALLOWED:
        CASE_MACHINE.check(current, target, reason="because")
    else:
        with pytest.raises(InvalidTransition) as refused:
            CASE_MACHINE.check(current, target, reason="because")
        assert f"case in state '{current}' cannot move to '{target}'" in str(refused.value)
        assert "allowed:" in str(refused.value)


def test_refusal_is_a_usage_error_with_exit_code_2() -> None:
    with pytest.raises(UsageError) as refused:
        CASE_MACHINE.check(C.WITHDRAWN, C.OPEN)
    assert refused.value.exit_code == 2
    assert "none (final state)" in str(refused.value)


def test_unknown_state_names_the_known_ones() -> None:
    with pytest.raises(InvalidTransition, match="unknown case state 'gone'.*open, notice_drafted"):
        CASE_MACHINE.check(C.OPEN, "gone")


@pytest.mark.parametrize(("machine", "current", "target"), [
    (HIT_MACHINE, H.NEW, H.DISMISSED),
    (CASE_MACHINE, C.OPEN, C.WITHDRAWN),
    (CASE_MACHINE, C.NOTICE_SENT, C.REFUSED),
    (CASE_MACHINE, C.NOTICE_SENT, C.ESCALATED),
])
def test_some_transitions_need_a_reason(machine, current, target) -> None:  # type: ignore[no-untyped-def]
    for missing in (None, "", "   "):
        with pytest.raises(InvalidTransition, match="needs a reason"):
            machine.check(current, target, reason=missing)
    machine.check(current, target, reason="false positive: a phone book")
