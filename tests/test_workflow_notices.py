"""Notices: golden files, the sandbox, user templates, and no leaked value in any format."""
from __future__ import annotations

import email
import email.policy
import io
import os
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select
from workflow_support import (
    T0,
    add_hit,
    add_leak,
    later,
    session,  # noqa: F401 - fixture
    workflow_settings,
)

from tracker.db import open_database, session_scope
from tracker.errors import ConfigError, UsageError
from tracker.keyfile import open_keyer
from tracker.leaks import add_leak as register_leak
from tracker.models import Hit, Leak
from tracker.pipeline import Scanner
from tracker.settings import Settings
from tracker.workflow.cases import draft_notice
from tracker.workflow.models import Case
from tracker.workflow.notices.context import line_spans
from tracker.workflow.notices.output import notice_bytes
from tracker.workflow.notices.render import render
from tracker.workflow.triage import confirm_hit

GOLDEN = Path(__file__).parent / "golden"
SETTINGS = workflow_settings()


def check_golden(name: str, actual: str) -> None:
    """Compare with tests/golden/NAME; UPDATE_GOLDEN=1 rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
    assert actual == path.read_bytes().decode("utf-8"), f"{name} differs; UPDATE_GOLDEN=1 if intended"


def _case(session: Session, url: str, **hit: object) -> Case:
    leak = add_leak(session)
    found = add_hit(session, leak, url, seen=T0, **hit)  # type: ignore[arg-type]
    return confirm_hit(session, found.id, actor="ana", settings=SETTINGS, at=T0).case


def test_default_notice_matches_golden(session: Session) -> None:
    settings = workflow_settings(recipients={"example.net": {
        "name": "Example Net abuse desk", "address": "abuse@example.net", "class": "host"}})
    case = _case(session, "https://paste.example.net/raw/k3y", records=[3, 4, 5, 9], lines=[11, 12, 13, 20])
    notice = draft_notice(session, case, settings, actor="ana", at=later(hours=2))
    assert case.recipient["source"] == "override"
    notice.message_id = "<golden-1@example.org>"
    check_golden("notice-default.txt", notice_bytes(session, case, notice, settings, "text").decode())
    check_golden("notice-default.eml", notice_bytes(session, case, notice, settings, "eml").decode())


def test_github_notice_links_each_line_range_and_states_risks(session: Session) -> None:
    url = "https://raw.githubusercontent.com/someone/dump/main/people.csv"
    case = _case(session, url, records=[1, 2, 7], lines=[1, 2, 30])
    notice = draft_notice(session, case, SETTINGS, actor="ana", at=later(hours=2))
    assert notice.template == "github" and case.recipient["name"] == "GitHub"
    text = notice_bytes(session, case, notice, SETTINGS, "text").decode()
    assert "https://github.com/someone/dump/blob/main/people.csv#L2-L3" in text
    assert "https://github.com/someone/dump/blob/main/people.csv#L31" in text
    assert "dates of birth: with the names, confirms identities" in text
    check_golden("notice-github.txt", text)


def test_follow_up_refers_to_the_sent_notice(session: Session) -> None:
    case = _case(session, "https://files.example.com/d/leak.csv", records=[8], lines=[0])
    first = draft_notice(session, case, SETTINGS, actor="ana", at=later(hours=1))
    first.message_id, first.sent_at = "<first@example.org>", later(hours=2)
    case.state = "notice_sent"
    reminder = draft_notice(session, case, SETTINGS, actor="tracker", kind="follow_up", at=later(days=6))
    reminder.message_id = "<second@example.org>"
    eml = email.message_from_bytes(notice_bytes(session, case, reminder, SETTINGS, "eml"),
                                   policy=email.policy.default)
    assert eml["In-Reply-To"] == "<first@example.org>"
    check_golden("notice-follow_up.txt", notice_bytes(session, case, reminder, SETTINGS, "text").decode())


def test_eml_is_rfc5322_with_message_id_kept(session: Session) -> None:
    case = _case(session, "https://mega.nz/file/abc")
    notice = draft_notice(session, case, SETTINGS, actor="ana")
    raw = notice_bytes(session, case, notice, SETTINGS, "eml")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["From"] == "Data Protection Desk <dpo@example.org>"
    assert message["To"] == "MEGA <abuse@mega.nz>"
    assert message["Message-ID"] == notice.message_id and notice.message_id.endswith("@example.org>")
    assert message["X-Case-Reference"] == f"RT-{case.id}"
    assert raw == notice_bytes(session, case, notice, SETTINGS, "eml")  # same Message-ID each time
    assert b"\r\n" in raw and all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_user_templates_override_and_run_sandboxed(tmp_path: Path, session: Session) -> None:
    user = tmp_path / "templates"
    user.mkdir()
    (user / "default.txt.j2").write_text(
        "{% set subject %}Takedown {{ case.reference }}{% endset %}Please remove {{ url }} "
        "({{ n_records }} records).\n", encoding="utf-8")
    case = _case(session, "https://example.org/x")
    notice = draft_notice(session, case, SETTINGS, actor="ana", user_dir=user)
    assert notice.subject == f"Takedown RT-{case.id}"
    assert notice.text == "Please remove https://example.org/x (3 records).\n"
    (user / "default.txt.j2").write_text(
        "{% set subject %}x{% endset %}{{ url.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    with pytest.raises(ConfigError, match="unsafe|not safely|access to attribute"):
        draft_notice(session, case, SETTINGS, actor="ana", user_dir=user)
    (user / "default.txt.j2").write_text("{% set subject %}x{% endset %}{{ records }}", encoding="utf-8")
    with pytest.raises(ConfigError, match="'records' is undefined"):
        draft_notice(session, case, SETTINGS, actor="ana", user_dir=user)


def test_a_template_must_set_a_subject() -> None:
    with pytest.raises(ConfigError, match="does not set a subject"):
        render("nosubject", {}, user_dir=_dir_with({"nosubject.txt.j2": "body"}))


def _dir_with(files: dict[str, str]) -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp())
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_drafting_needs_a_sender(session: Session) -> None:
    case = _case(session, "https://example.org/y")
    with pytest.raises(ConfigError, match="sender_name, sender_email, organisation not set"):
        draft_notice(session, case, workflow_settings(sender_name="", sender_email="", organisation=""), actor="a")


def test_local_files_get_no_notice(session: Session) -> None:
    case = _case(session, "/srv/drop-folder/leak.csv")
    with pytest.raises(UsageError, match="not a web location"):
        draft_notice(session, case, SETTINGS, actor="ana")


def test_line_spans() -> None:
    assert line_spans([9, 3, 4, 5, 4]) == [(3, 5), (9, 9)]
    assert line_spans([]) == []


@pytest.mark.parametrize("url", [
    "https://gist.githubusercontent.com/someone/abc/raw/1/people.csv",
    "https://dump.example.net/people.csv",
])
def test_no_leaked_value_in_any_notice_or_email(tracker_home: Path, tmp_path: Path, synthetic_leak, url: str) -> None:  # type: ignore[no-untyped-def]
    """A real scan of a synthetic re-post, a confirmed hit, then every notice in every format."""
    settings = Settings.from_env()
    engine = open_database(settings.database_url)
    keyer = open_keyer(settings.key_file, create=True)
    register_leak(engine, settings, keyer, synthetic_leak.path, "camp-list")
    repost = synthetic_leak.repost_csv(tmp_path / "repost.csv", list(range(3, 15)))
    with session_scope(engine) as session:
        leaks = list(session.exec(select(Leak)))
    with Scanner(engine, leaks, keyer, settings=settings) as scanner:
        results = scanner.scan_bytes(url, repost.read_bytes(), "text/csv")
    assert [r.verdict for r in results] == ["hit"]
    leaked = synthetic_leak.leaked_strings()
    with session_scope(engine) as session:
        hit = session.exec(select(Hit)).one()
        case = confirm_hit(session, hit.id, actor="ana", settings=SETTINGS).case
        outputs = []
        for kind in ("notice", "follow_up"):
            notice = draft_notice(session, case, SETTINGS, actor="ana", kind=kind)
            outputs.append(notice.subject + "\n" + notice.text)
            for fmt in ("text", "eml"):
                outputs.append(notice_bytes(session, case, notice, SETTINGS, fmt).decode("utf-8"))
            pdf = PdfReader(io.BytesIO(notice_bytes(session, case, notice, SETTINGS, "pdf")))
            outputs.append("\n".join(page.extract_text() for page in pdf.pages))
        assert "12 records" in outputs[0]
        record_ids = {str(r) for r in hit.record_ids}
    for output in outputs:
        folded = output.casefold()
        found = sorted(v for v in leaked if v.casefold() in folded)
        assert found == [], f"leaked values in a notice: {len(found)}"
        assert "*" not in output  # no masked evidence either
    default_text = outputs[0]
    assert not any(f"record {r}" in default_text or f"#{r} " in default_text for r in record_ids)
    engine.dispose()
