"""Triage, incidents, cases, the audit log and deadlines, on a real SQLite database."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select
from workflow_support import (
    T0,
    add_hit,
    add_leak,
    later,
    session,  # noqa: F401 - fixture
    workflow_settings,
)

from fingerprints.keyed import Keyer
from tracker.errors import NotFoundError, UsageError
from tracker.models import Hit
from tracker.workflow.audit import history
from tracker.workflow.cases import approve_notice, change_state, draft_notice, get_case
from tracker.workflow.deadlines import apply_deadlines, overdue_cases
from tracker.workflow.incidents import (
    document_sketch,
    incident_locations,
    link_known_content,
    save_sketch,
    sketch_similarity,
)
from tracker.workflow.models import AuditLog, Case, Notice
from tracker.workflow.recipients.model import Channel, Recipient, RecipientClass
from tracker.workflow.states import CaseState, HitState, InvalidTransition
from tracker.workflow.triage import confirm_hit, set_hit_state

C = CaseState
SETTINGS = workflow_settings()


def test_confirm_opens_one_case_per_location_and_audits_it(session: Session) -> None:
    leak = add_leak(session)
    hit = add_hit(session, leak, "https://pastebin.com/abc123")
    done = confirm_hit(session, hit.id, actor="ana", settings=SETTINGS, reason="checked by hand", at=T0)
    assert hit.status == "confirmed"
    assert done.case.state == C.OPEN and done.case.url == "https://pastebin.com/abc123"
    assert done.case.host == "pastebin.com" and done.location.linked_by == "first"
    assert done.case.next_check_at == later(hours=1)
    entries = history(session, "hit", hit.id)
    assert [(e.actor, e.from_state, e.to_state, e.reason) for e in entries] == [
        ("ana", "new", "confirmed", "checked by hand")]
    case_log = history(session, "case", done.case.id)
    assert [(e.action, e.to_state) for e in case_log] == [("transition", "open")]
    # a second version of the same page (new document) joins the same location and case
    again = add_hit(session, leak, "https://pastebin.com/abc123", content=b"edited page")
    second = confirm_hit(session, again.id, actor="ana", settings=SETTINGS, at=T0)
    assert second.case.id == done.case.id and second.location.id == done.location.id


def test_confirming_twice_is_refused(session: Session) -> None:
    hit = add_hit(session, add_leak(session), "https://example.net/a")
    confirm_hit(session, hit.id, actor="ana", settings=SETTINGS)
    with pytest.raises(InvalidTransition, match="'confirmed' cannot move to 'confirmed'"):
        confirm_hit(session, hit.id, actor="ana", settings=SETTINGS)
    with pytest.raises(NotFoundError, match="no hit with id 999"):
        confirm_hit(session, 999, actor="ana", settings=SETTINGS)


def test_dismiss_needs_a_reason_and_can_be_reconsidered(session: Session) -> None:
    hit = add_hit(session, add_leak(session), "https://example.net/b")
    with pytest.raises(InvalidTransition, match="needs a reason"):
        set_hit_state(session, hit.id, HitState.DISMISSED, actor="ana")
    set_hit_state(session, hit.id, HitState.DISMISSED, actor="ana", reason="namesakes in a sports club list")
    done = confirm_hit(session, hit.id, actor="ben", settings=SETTINGS, reason="second look: real leak")
    log = history(session, "hit", hit.id)
    assert [(e.actor, e.from_state, e.to_state) for e in log] == [
        ("ana", "new", "dismissed"), ("ben", "dismissed", "confirmed")]
    assert log[0].reason == "namesakes in a sports club list"
    assert done.case.state == C.OPEN


def test_mirrors_of_the_same_content_are_one_incident(session: Session) -> None:
    leak = add_leak(session)
    same = b"the very same bytes mirrored"
    hits = [add_hit(session, leak, f"https://mirror{i}.example/list.txt", content=same) for i in range(20)]
    results = [confirm_hit(session, h.id, actor="ana", settings=SETTINGS) for h in hits]
    assert len({r.incident.id for r in results}) == 1
    locations = incident_locations(session, results[0].incident.id)
    assert len(locations) == 20
    assert [loc.linked_by for loc in locations] == ["first"] + ["same_content"] * 19
    assert len({r.case.id for r in results}) == 20  # one case per location


def test_same_records_in_another_format_join_the_incident(session: Session) -> None:
    leak = add_leak(session)
    a = add_hit(session, leak, "https://a.example/x.csv", records=list(range(1, 11)))
    b = add_hit(session, leak, "https://b.example/x.html", records=list(range(2, 12)))
    other = add_hit(session, leak, "https://c.example/y.txt", records=[30, 31])
    ra, rb, rc = (confirm_hit(session, h.id, actor="ana", settings=SETTINGS) for h in (a, b, other))
    assert ra.incident.id == rb.incident.id and rb.location.linked_by == "same_records"
    assert rc.incident.id != ra.incident.id


def test_near_duplicate_content_found_by_keyed_sketch(session: Session) -> None:
    keyer = Keyer(b"k" * 32)
    words = [f"w{i}" for i in range(400)]
    text_a = " ".join(words)
    text_b = " ".join(words[:390] + ["changed"] * 10)  # a re-post with a small edit
    text_c = " ".join(reversed(words))
    assert sketch_similarity(document_sketch(keyer, text_a), document_sketch(keyer, text_b)) > 0.8
    assert sketch_similarity(document_sketch(keyer, text_a), document_sketch(keyer, text_c)) < 0.2
    # the sketch holds no token: another key gives another sketch of the same text
    assert document_sketch(Keyer(b"j" * 32), text_a) != document_sketch(keyer, text_a)
    leak = add_leak(session)
    a = add_hit(session, leak, "https://a.example/p", records=[1, 2])
    b = add_hit(session, leak, "https://b.example/q", records=[7, 8])
    save_sketch(session, a.document_id, document_sketch(keyer, text_a))
    save_sketch(session, b.document_id, document_sketch(keyer, text_b))
    ra = confirm_hit(session, a.id, actor="ana", settings=SETTINGS)
    rb = confirm_hit(session, b.id, actor="ana", settings=SETTINGS)
    assert rb.incident.id == ra.incident.id and rb.location.linked_by == "near_duplicate"


def test_new_hit_of_known_content_is_linked_awaiting_triage(session: Session) -> None:
    leak = add_leak(session)
    first = add_hit(session, leak, "https://a.example/1", content=b"same")
    confirmed = confirm_hit(session, first.id, actor="ana", settings=SETTINGS)
    mirror = add_hit(session, leak, "https://b.example/2", content=b"same")
    unrelated = add_hit(session, leak, "https://c.example/3", content=b"other", records=[20])
    linked = link_known_content(session, actor="tracker")
    assert [(h.id, g.incident.id) for h, g in linked] == [(mirror.id, confirmed.incident.id)]
    assert mirror.status == "new" and unrelated.status == "new"
    assert session.exec(select(Case).where(Case.url == "https://b.example/2")).first() is None
    assert link_known_content(session) == []  # idempotent


def test_case_lifecycle_with_audit_and_refusals(session: Session) -> None:
    hit = add_hit(session, add_leak(session), "https://pastebin.com/zz")
    case = confirm_hit(session, hit.id, actor="ana", settings=SETTINGS, at=T0).case
    with pytest.raises(InvalidTransition, match="'open' cannot move to 'notice_sent'"):
        change_state(session, case, C.NOTICE_SENT, actor="ana", settings=SETTINGS)
    notice = draft_notice(session, case, SETTINGS, actor="ana", at=later(minutes=5))
    assert case.state == C.NOTICE_DRAFTED and case.recipient["name"] == "Pastebin"
    approve_notice(session, case, by="lead", at=later(minutes=6))
    assert notice.approved_by == "lead"
    # Pastebin takes reports by web form: the analyst submits and marks it sent
    change_state(session, case, C.NOTICE_SENT, actor="ana", settings=SETTINGS, at=later(minutes=10))
    assert notice.sent_at == later(minutes=10)
    assert case.deadline_at == later(days=3, minutes=10)  # platform default
    change_state(session, case, C.ACKNOWLEDGED, actor="ana", settings=SETTINGS, at=later(days=1))
    change_state(session, case, C.REMOVED, actor="tracker", settings=SETTINGS, reason="HTTP 404", at=later(days=2))
    assert case.removed_at == later(days=2) and case.next_check_at == later(days=9)
    change_state(session, case, C.CLOSED, actor="ana", settings=SETTINGS, at=later(days=3))
    with pytest.raises(InvalidTransition):
        change_state(session, case, C.OPEN, actor="ana", settings=SETTINGS)
    log = history(session, "case", case.id)
    assert [(e.from_state, e.to_state) for e in log if e.action == "transition"] == [
        ("", "open"), ("open", "notice_drafted"), ("notice_drafted", "notice_sent"),
        ("notice_sent", "acknowledged"), ("acknowledged", "removed"), ("removed", "closed")]
    assert all(e.at is not None and e.actor for e in log)
    notice_log = history(session, "notice", notice.id)
    assert [(e.action, e.actor) for e in notice_log] == [("draft", "ana"), ("approve", "lead"), ("send", "ana")]


def test_audit_log_is_append_only(session: Session) -> None:
    hit = add_hit(session, add_leak(session), "https://example.net/c")
    confirm_hit(session, hit.id, actor="ana", settings=SETTINGS)
    session.commit()
    entry = session.exec(select(AuditLog)).first()
    assert entry is not None
    entry.reason = "rewritten"
    with pytest.raises(sa.exc.InvalidRequestError, match="append-only"):
        session.flush()
    session.rollback()
    for statement in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            session.execute(sa.text(statement))
        session.rollback()
    kept = session.exec(select(AuditLog.reason)).all()
    assert len(kept) == 4 and "rewritten" not in kept and "x" not in kept  # hit, incident x2, case


def test_withdraw_needs_reason_and_escalation_needs_a_next_recipient(session: Session) -> None:
    hit = add_hit(session, add_leak(session), "https://example.net/d")
    case = confirm_hit(session, hit.id, actor="ana", settings=SETTINGS).case
    with pytest.raises(InvalidTransition, match="needs a reason"):
        change_state(session, case, C.WITHDRAWN, actor="ana", settings=SETTINGS)
    only = Recipient("Solo", RecipientClass.HOST, Channel.EMAIL, "abuse@solo.example", "override")
    case.recipient_chain, case.recipient, case.state = [only.to_dict()], only.to_dict(), C.NOTICE_SENT
    with pytest.raises(InvalidTransition, match="no further recipient"):
        change_state(session, case, C.ESCALATED, actor="ana", settings=SETTINGS, reason="silence")
    change_state(session, case, C.WITHDRAWN, actor="ana", settings=SETTINGS, reason="wrong URL")
    assert case.next_check_at is None


def _sent_case(session: Session, url: str, chain: list[Recipient]) -> Case:
    hit = add_hit(session, add_leak(session, name=url.split("/")[2]), url)
    case = confirm_hit(session, hit.id, actor="ana", settings=SETTINGS, at=T0).case
    case.recipient_chain = [r.to_dict() for r in chain]
    case.recipient = case.recipient_chain[0]
    draft_notice(session, case, SETTINGS, actor="ana", at=T0)
    change_state(session, case, C.NOTICE_SENT, actor="ana", settings=SETTINGS, at=T0)
    return case


def test_deadlines_follow_up_then_escalate(session: Session) -> None:
    host = Recipient("Host Co", RecipientClass.HOST, Channel.EMAIL, "abuse@host.example", "rdap")
    registrar = Recipient("Registrar Inc", RecipientClass.REGISTRAR, Channel.EMAIL, "abuse@reg.example", "rdap")
    settings = workflow_settings(deadlines={"host": "2d"}, max_follow_ups=1)
    case = _sent_case(session, "https://files.example/leak.csv", [host, registrar])
    assert case.deadline_at == later(days=5)  # drafted with the default settings: host 5 days
    case.deadline_at = later(days=2)
    assert overdue_cases(session, settings, now=later(days=1)) == []
    due = apply_deadlines(session, settings, now=later(days=2, hours=1))
    assert [(d.case.id, d.action) for d in due] == [(case.id, "follow_up")]
    assert case.follow_ups == 1 and case.deadline_at == later(days=4, hours=1)
    reminder = session.exec(select(Notice).where(Notice.kind == "follow_up")).one()
    assert reminder.subject.startswith("Follow-up:") and reminder.sent_at is None
    assert apply_deadlines(session, settings, now=later(days=3)) == []  # flagged once per period
    due = apply_deadlines(session, settings, now=later(days=5))
    assert [(d.case.id, d.action) for d in due] == [(case.id, "escalate")]
    assert case.state == C.NOTICE_DRAFTED and case.escalation_level == 1
    assert case.recipient["name"] == "Registrar Inc" and case.follow_ups == 0
    new_notice = session.exec(select(Notice).where(Notice.kind == "notice", Notice.sent_at == None)).one()  # noqa: E711
    assert new_notice.recipient["address"] == "abuse@reg.example"
    transitions = [(e.from_state, e.to_state) for e in history(session, "case", case.id) if e.action == "transition"]
    assert transitions[-2:] == [("notice_sent", "escalated"), ("escalated", "notice_drafted")]
    flags = [e.action for e in history(session, "case", case.id)]
    assert flags.count("follow_up") == 1


def test_last_recipient_keeps_getting_follow_ups(session: Session) -> None:
    only = Recipient("Solo", RecipientClass.PLATFORM, Channel.EMAIL, "abuse@solo.example", "override")
    case = _sent_case(session, "https://solo.example/x", [only])
    due = apply_deadlines(session, SETTINGS, now=later(days=30))
    assert [d.action for d in due] == ["follow_up"]
    due = apply_deadlines(session, SETTINGS, now=later(days=60))
    assert [d.action for d in due] == ["follow_up"] and case.follow_ups == 2


def test_get_case_not_found_and_approval_needs_a_draft(session: Session) -> None:
    with pytest.raises(NotFoundError, match="no case with id 5"):
        get_case(session, 5)
    hit = add_hit(session, add_leak(session), "https://example.net/e")
    case = confirm_hit(session, hit.id, actor="ana", settings=SETTINGS).case
    with pytest.raises(UsageError, match="no unsent notice"):
        approve_notice(session, case, by="lead")
    assert session.get(Hit, hit.id).status == "confirmed"  # type: ignore[union-attr]


def test_schema_and_append_only_log_on_every_backend(db_url: str) -> None:
    """Migration 0003 matches the models and its triggers guard the log on SQLite and PostgreSQL."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from tracker.db import open_database, session_scope
    from tracker.workflow import models as workflow_models

    engine = open_database(db_url)
    try:
        mine = {t.name for t in SQLModel.metadata.sorted_tables if t.name in {
            m.__tablename__ for m in (workflow_models.Incident, workflow_models.IncidentLocation,
                                      workflow_models.LocationHit, workflow_models.DocumentSketch,
                                      workflow_models.Case, workflow_models.Notice, workflow_models.RemovalCheck,
                                      workflow_models.AuditLog)}}
        assert len(mine) == 8
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                    SQLModel.metadata)
        about_mine = [d for d in diff if any(name in repr(d) for name in mine)]
        assert about_mine == []
        with session_scope(engine) as s:
            hit = add_hit(s, add_leak(s), "https://example.net/pg")
            confirm_hit(s, hit.id, actor="ana", settings=SETTINGS)
        for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as connection:
                connection.execute(sa.text(statement))
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one() == 4
    finally:
        engine.dispose()
