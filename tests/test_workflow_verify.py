"""Removal verification against local servers that take content down and put it back."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sources_testserver import (
    LocalServer,
    Reply,
    html_reply,
    server,  # noqa: F401 - fixture
    test_settings,
    text_reply,
)
from sqlmodel import Session, select
from workflow_support import (
    T0,
    add_hit,
    add_leak,
    later,
    session,  # noqa: F401 - fixture
    workflow_settings,
)

from sources.http import HttpClient, build_client
from tracker.db import open_database, session_scope
from tracker.keyfile import open_keyer
from tracker.leaks import add_leak as register_leak
from tracker.models import Hit, Leak
from tracker.pipeline import Scanner
from tracker.settings import Settings
from tracker.workflow.audit import history
from tracker.workflow.cases import change_state
from tracker.workflow.jobs import run_workflow
from tracker.workflow.models import Case, RemovalCheck
from tracker.workflow.recipients import directory
from tracker.workflow.states import CaseState
from tracker.workflow.triage import confirm_hit
from tracker.workflow.verify import due_cases, observe, verify_due_cases

C = CaseState
SETTINGS = workflow_settings()
PAGE = b"list of people\nrow 1\nrow 2\n"


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with build_client(test_settings(retries=0, read_timeout=0.5, timeout=2.0)) as c:
        yield c


def _case(session: Session, url: str, content: bytes = PAGE) -> Case:
    hit = add_hit(session, add_leak(session), url, content=content)
    return confirm_hit(session, hit.id, actor="ana", settings=SETTINGS, at=T0).case


def _checks(session: Session, case: Case) -> list[tuple[str, int | None, str]]:
    rows = session.exec(select(RemovalCheck).where(RemovalCheck.case_id == case.id).order_by(RemovalCheck.id))
    return [(r.outcome, r.http_status, r.detail) for r in rows]


@pytest.mark.parametrize("gone", [404, 410, 451])
def test_content_taken_down_midway_then_put_back(session: Session, server: LocalServer, client: HttpClient,
                                                 gone: int) -> None:
    server.route("/paste/1", text_reply(PAGE))
    case = _case(session, server.url("/paste/1"))
    assert due_cases(session, now=later(minutes=30)) == []  # first check one hour after opening
    report = verify_due_cases(session, client=client, settings=SETTINGS, now=later(hours=1))
    assert report.checked == 1 and report.removed == [] and case.state == C.OPEN
    assert case.check_streak == 1 and case.next_check_at == later(hours=7)  # backs off: 6 h next
    server.route("/paste/1", Reply(gone, b"gone"))
    assert verify_due_cases(session, client=client, settings=SETTINGS, now=later(hours=6)).checked == 0
    report = verify_due_cases(session, client=client, settings=SETTINGS, now=later(hours=7))
    assert report.removed == [case.id] and case.state == C.REMOVED and case.removed_at == later(hours=7)
    sha = hashlib.sha256(PAGE).hexdigest()
    assert _checks(session, case) == [
        ("present", 200, "same content as when the case opened"), ("removed", gone, f"HTTP {gone}")]
    evidence = session.exec(select(RemovalCheck).where(RemovalCheck.outcome == "removed")).one()
    assert evidence.at == later(hours=7) and evidence.content_sha256 == ""
    # removed locations are re-checked weekly; the site puts the content back
    assert case.next_check_at == later(days=7, hours=7)
    server.route("/paste/1", text_reply(PAGE))
    report = verify_due_cases(session, client=client, settings=SETTINGS, now=later(days=7, hours=7))
    assert report.reappeared == [case.id] and case.state == C.REAPPEARED
    last = _checks(session, case)[-1]
    assert last == ("present", 200, "same content as when the case opened")
    assert session.exec(select(RemovalCheck).order_by(RemovalCheck.id.desc())).first().content_sha256 == sha  # type: ignore[union-attr]
    transitions = [(e.from_state, e.to_state, e.actor) for e in history(session, "case", case.id)
                   if e.action == "transition"]
    assert transitions[-2:] == [("open", "removed", "tracker"), ("removed", "reappeared", "tracker")]
    assert "removal verified: check 2: HTTP" in history(session, "case", case.id)[-2].reason


def test_inconclusive_answers_are_retried_with_back_off(session: Session, server: LocalServer,
                                                        client: HttpClient) -> None:
    server.route("/f", Reply(503, b"maintenance"))
    case = _case(session, server.url("/f"))
    now = later(hours=1)
    for status, waited in ((503, 6), (403, 24), (500, 72)):
        server.route("/f", Reply(status, b"no"))
        report = verify_due_cases(session, client=client, settings=SETTINGS, now=now)
        assert report.inconclusive == [case.id] and case.state == C.OPEN
        assert case.next_check_at == now + (later(hours=waited) - T0)
        now = case.next_check_at
    server.route("/f", Reply(200, chunk_delay=1.0, body=[b"slow", b"er"]))
    report = verify_due_cases(session, client=client, settings=SETTINGS, now=now)
    assert report.inconclusive == [case.id]
    assert _checks(session, case)[-1] == ("inconclusive", None, "timeout; will retry")
    assert [c[1] for c in _checks(session, case)] == [503, 403, 500, None]


def test_refused_connection_is_inconclusive(session: Session, client: HttpClient) -> None:
    case = _case(session, "http://127.0.0.1:9/nothing-listens-here")
    verify_due_cases(session, client=client, settings=SETTINGS, now=later(hours=1))
    assert _checks(session, case) == [("inconclusive", None, "network; will retry")]


def test_platform_removed_page_counts_as_removed(session: Session, server: LocalServer, client: HttpClient) -> None:
    case = _case(session, server.url("/AbCd1234"))
    pastebin = directory.by_name("Pastebin")
    assert pastebin is not None
    case.recipient = pastebin.to_dict()
    server.route("/AbCd1234", html_reply("<html><h1>Not Found (#404)</h1><p>This page is no longer available. "
                                       "It has either expired, been removed by its creator</p></html>"))
    report = verify_due_cases(session, client=client, settings=SETTINGS, now=later(hours=1))
    assert report.removed == [case.id]
    assert _checks(session, case)[0][:2] == ("removed", 200)
    assert "removal page" in _checks(session, case)[0][2]


def test_changed_content_without_a_matcher_is_inconclusive(session: Session, server: LocalServer,
                                                           client: HttpClient) -> None:
    server.route("/p", text_reply("something else entirely"))
    case = _case(session, server.url("/p"))
    verify_due_cases(session, client=client, settings=SETTINGS, now=later(hours=1))
    assert _checks(session, case) == [("inconclusive", 200, "content changed; no matcher available; will retry")]


def test_named_cases_are_checked_even_when_not_due(session: Session, server: LocalServer, client: HttpClient) -> None:
    server.route("/a", Reply(404))
    case = _case(session, server.url("/a"))
    withdrawn = _case(session, server.url("/b"))
    change_state(session, withdrawn, C.WITHDRAWN, actor="ana", settings=SETTINGS, reason="wrong page")
    report = verify_due_cases(session, client=client, settings=SETTINGS, case_ids=[case.id, withdrawn.id], now=T0)
    assert report.removed == [case.id] and report.checked == 1  # withdrawn cases are not watched


def test_new_hit_at_a_removed_location_reopens_its_case(session: Session, server: LocalServer,
                                                        client: HttpClient) -> None:
    url = server.url("/mirror")
    case = _case(session, url)
    change_state(session, case, C.REMOVED, actor="tracker", settings=SETTINGS, reason="HTTP 404", at=later(hours=1))
    again = add_hit(session, add_leak(session), url, content=b"re-uploaded with a new header\n" + PAGE)
    report = verify_due_cases(session, client=client, settings=SETTINGS, now=later(hours=2))
    assert report.linked_hits == [again.id] and report.reappeared == [case.id] and report.checked == 0
    assert case.state == C.REAPPEARED


def test_observe_classifies_without_a_database(server: LocalServer, client: HttpClient) -> None:
    server.route("/x", text_reply(PAGE))
    same = observe(client, server.url("/x"), baseline_sha256=hashlib.sha256(PAGE).hexdigest(), leak_ids={1})
    assert same.outcome == "present"
    seen: list[set[int]] = []

    def still_there(content: bytes, content_type: str | None, url: str, leaks: set[int]) -> bool:
        seen.append(leaks)
        return b"row 1" in content

    changed = observe(client, server.url("/x"), baseline_sha256="0" * 64, leak_ids={1, 2}, matcher=still_there)
    assert changed.outcome == "present" and seen == [{1, 2}]
    server.route("/x", text_reply("nothing here any more"))
    gone = observe(client, server.url("/x"), baseline_sha256="0" * 64, leak_ids={1}, matcher=still_there)
    assert (gone.outcome, gone.detail) == ("removed", "content no longer matches the leak")


def test_real_matcher_sees_the_leak_go_and_come_back(tracker_home: Path, tmp_path: Path, synthetic_leak,
                                                     server: LocalServer, client: HttpClient) -> None:  # type: ignore[no-untyped-def]
    """The scheduler's run with the real extraction and matcher over a synthetic leak."""
    settings = Settings.from_env()
    engine = open_database(settings.database_url)
    keyer = open_keyer(settings.key_file, create=True)
    register_leak(engine, settings, keyer, synthetic_leak.path, "camp-list")
    repost = synthetic_leak.repost_csv(tmp_path / "repost.csv", list(range(0, 12))).read_bytes()
    url = server.url("/dump.csv")
    with session_scope(engine) as session:
        leaks = list(session.exec(select(Leak)))
    with Scanner(engine, leaks, keyer, settings=settings) as scanner:
        assert [r.verdict for r in scanner.scan_bytes(url, repost, "text/csv")] == ["hit"]
    with session_scope(engine) as session:
        hit = session.exec(select(Hit)).one()
        case_id = confirm_hit(session, hit.id, actor="ana", settings=SETTINGS, at=T0).case.id
    # the page now shows other text: the records are gone although the URL answers 200
    server.route("/dump.csv", text_reply("This list was taken down at the request of the people in it.\n"))
    with session_scope(engine) as session:
        report = run_workflow(session, settings, SETTINGS, client=client, now=later(hours=1))
        case = session.get(Case, case_id)
        assert report.removed == [case_id] and case is not None and case.state == C.REMOVED
        assert _checks(session, case)[-1] == ("removed", 200, "content no longer matches the leak")
    # re-posted with an extra line: new bytes, same records
    server.route("/dump.csv", text_reply(b"mirror, enjoy\n" + repost))
    with session_scope(engine) as session:
        report = run_workflow(session, settings, SETTINGS, client=client, now=later(days=8))
        case = session.get(Case, case_id)
        assert report.reappeared == [case_id] and case is not None and case.state == C.REAPPEARED
        assert _checks(session, case)[-1] == ("present", 200, "content changed but still matches the leak")
    engine.dispose()


def test_scheduler_job_runs_with_its_own_client_and_session(tracker_home: Path, server: LocalServer) -> None:
    """``workflow_job(engine, settings)`` is what the scheduler registers; it reads tracker.toml itself."""
    from tracker.workflow.jobs import workflow_job

    (tracker_home / "tracker.toml").write_text(
        "[http]\nallow_private_addresses = true\nretries = 0\n\n[workflow]\nsender_name = \"x\"\n", encoding="utf-8")
    settings = Settings.from_env()
    engine = open_database(settings.database_url)
    open_keyer(settings.key_file, create=True)
    server.route("/gone", Reply(410))
    with session_scope(engine) as session:
        case = _case(session, server.url("/gone"))
        case.next_check_at = T0
        case_id = case.id
    assert workflow_job(engine, settings) == {"checked": 1, "removed": [case_id], "reappeared": [],
                                              "inconclusive": [], "linked_hits": []}
    assert workflow_job(engine, settings)["checked"] == 0  # next check of a removed case is a week away
    engine.dispose()


def test_rate_limited_answer_is_inconclusive(server: LocalServer, client: HttpClient) -> None:
    server.route("/busy", Reply(429, b"slow down", headers={"Retry-After": "1"}))
    seen = observe(client, server.url("/busy"), baseline_sha256="0" * 64, leak_ids={1})
    assert seen.outcome == "inconclusive" and "will retry" in seen.detail


def test_removal_checks_answer_with_the_scans_own_analysis(tracker_home: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                          synthetic_leak) -> None:
    """A re-check is the scan's question: the same analysis in the same supervised workers, so a
    re-fetched page that aborts its parser is an unknown answer, not the end of the workflow."""
    from test_workers import corners_xlsx

    from tracker.workflow.jobs import LeakRematcher

    settings = Settings.from_env()
    engine = open_database(settings.database_url)
    keyer = open_keyer(settings.key_file, create=True)
    leak = register_leak(engine, settings, keyer, synthetic_leak.path, "camp-list").leak
    repost = synthetic_leak.repost_csv(tmp_path / "repost.csv", [0, 1, 2]).read_bytes()
    with Scanner(engine, [leak], keyer, settings=settings) as scanner:
        still = LeakRematcher(scanner)
        assert still(repost, "text/csv", "https://mirror.example/a.csv", {leak.id}) is True
        assert still(b"taken down\n", "text/plain", "https://mirror.example/a.csv", {leak.id}) is False
        assert still(corners_xlsx(), None, "https://mirror.example/a.xlsx", {leak.id}) is None
        assert still(repost, "text/csv", "https://mirror.example/a.csv", {leak.id + 1}) is None  # not loaded
        # a case of a loaded and an unloaded leak: no match of the loaded one proves nothing
        assert still(b"taken down\n", "text/plain", "https://mirror.example/a.csv", {leak.id, leak.id + 1}) is None
        # a part that could not be read may hold the records: unknown, not removed
        import zipfile
        from io import BytesIO
        buf = BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("notes.txt", "taken down\n")
            z.writestr("inner.zip", b"PK\x03\x04 not really a zip")
        assert still(buf.getvalue(), "application/zip", "https://mirror.example/a.zip", {leak.id}) is None
    engine.dispose()
