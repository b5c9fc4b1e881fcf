"""The workflow commands end to end: triage, incidents, cases, notices, sending, marking, report."""
from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path
from typing import Any

from sqlmodel import Session
from test_workflow_send import smtp_plain  # noqa: F401 - fixture
from workflow_support import add_hit, add_leak

from tracker.db import open_database
from tracker.keyfile import create_key

CONFIG = """
[http]
retries = 0
connect_timeout = 1

[workflow]
sender_name = "Data Protection Desk"
sender_email = "dpo@example.org"
organisation = "Example Refugee Council"
authority = "on behalf of the data controller"
legal_basis = ["GDPR Art. 17"]

[workflow.smtp]
host = "127.0.0.1"
port = {port}
starttls = false
"""


def _lines(result: Any) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _seed(home: Path) -> None:
    create_key(home / "secret.key")  # as `tracker leak add` would have
    engine = open_database(f"sqlite:///{home / 'tracker.sqlite3'}")
    with Session(engine) as session:
        leak = add_leak(session)
        add_hit(session, leak, "https://mega.nz/file/aaa", content=b"same")
        add_hit(session, leak, "https://pastebin.com/bbb", content=b"same")
        add_hit(session, leak, "https://example.com/ccc", content=b"other", records=[30])
        session.commit()
    engine.dispose()


def test_from_hit_to_sent_notice(cli, tracker_home: Path, smtp_plain) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    sink, port = smtp_plain
    (tracker_home / "tracker.toml").write_text(CONFIG.format(port=port), encoding="utf-8")
    _seed(tracker_home)

    refused = cli("hits", "dismiss", "3")
    assert refused.exit_code == 2 and "needs a reason" in refused.stderr
    assert _lines(cli("hits", "dismiss", "3", "--reason", "a namesake", "--by", "ana", "--json")) == [
        {"hit": 3, "status": "dismissed"}]
    confirmed = _lines(cli("hits", "confirm", "1", "2", "--by", "ana", "--json"))
    assert [(r["hit"], r["incident"], r["case"], r["case_state"]) for r in confirmed] == [
        (1, 1, 1, "open"), (2, 1, 2, "open")]

    [incident] = _lines(cli("incidents", "list", "--json"))
    assert [loc["url"] for loc in incident["locations"]] == ["https://mega.nz/file/aaa", "https://pastebin.com/bbb"]
    shown = _lines(cli("incidents", "show", "1", "--json"))[0]
    assert shown["locations"][1]["linked_by"] == "same_content"
    assert "same_content" in cli("incidents", "show", "1").stdout

    text = cli("cases", "notice", "1", "--by", "ana")
    assert text.exit_code == 0, text.stderr
    assert text.stdout.startswith("To: MEGA <abuse@mega.nz> (email)\nSubject: Request to remove personal data")
    eml = cli("cases", "notice", "1", "--format", "eml")
    message = email.message_from_string(eml.stdout, policy=email.policy.default)
    pdf = tracker_home / "notice.pdf"
    assert cli("cases", "notice", "1", "--format", "pdf", "--output", pdf).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert cli("cases", "notice", "1", "--format", "pdf").exit_code == 2

    dry = cli("cases", "send", "1")
    assert dry.exit_code == 0 and "dry run: nothing was sent" in dry.stderr and sink.received == []
    unapproved = cli("cases", "send", "1", "--send")
    assert unapproved.exit_code == 2 and "not approved" in unapproved.stderr
    assert cli("cases", "approve", "1").exit_code == 2
    assert _lines(cli("cases", "approve", "1", "--by", "lead", "--json"))[0]["notice"]["approved_by"] == "lead"
    sent = _lines(cli("cases", "send", "1", "--send", "--by", "ana", "--json"))[0]
    assert sent["sent"] and sent["state"] == "notice_sent"
    assert sent["notice"]["message_id"] == message["Message-ID"]
    [(envelope, _tls)] = sink.received
    assert envelope.rcpt_tos == ["abuse@mega.nz"]

    # Pastebin takes web-form reports: print, submit by hand, mark as sent
    assert "To: Pastebin <https://pastebin.com/contact> (web form)" in cli("cases", "notice", "2").stdout
    web = cli("cases", "send", "2", "--send")
    assert web.exit_code == 2 and "web form" in web.stderr
    marked = _lines(cli("cases", "mark", "2", "notice_sent", "--by", "ana", "--json"))[0]
    assert marked["state"] == "notice_sent" and marked["deadline_at"]
    bad = cli("cases", "mark", "2", "closed")
    assert bad.exit_code == 2 and "cannot move to 'closed'" in bad.stderr
    assert _lines(cli("cases", "mark", "2", "removed", "--reason", "platform confirmed", "--json"))[0]["removed_at"]

    cases = _lines(cli("cases", "list", "--json"))
    assert [(c["id"], c["state"], c["recipient"]["name"]) for c in cases] == [
        (1, "notice_sent", "MEGA"), (2, "removed", "Pastebin")]
    assert [c["id"] for c in _lines(cli("cases", "list", "--state", "removed", "--json"))] == [2]
    assert cli("cases", "list", "--state", "nope").exit_code == 2
    show = _lines(cli("cases", "show", "1", "--json"))[0]
    assert [h["action"] for h in show["history"]][:3] == ["transition", "recipient", "transition"]
    assert show["notices"][0]["sent_at"] and show["hits"] == [1]
    assert "history" in cli("cases", "show", "1").stdout
    assert cli("cases", "show", "99").exit_code == 2

    verify = _lines(cli("cases", "verify", "1", "--json"))[0]  # no network here: inconclusive
    assert verify["checked"] == 1 and verify["inconclusive"] == [1]

    report = _lines(cli("report", "--json"))[0]
    assert report["cases"] == 2 and report["by_state"] == {"notice_sent": 1, "removed": 1}
    assert report["time_to_notice"]["n"] == 2 and report["time_to_removal"]["n"] == 1
    assert report["success_by_recipient"]["Pastebin"] == {"notified": 1, "removed": 1, "rate": 1.0}
    assert report["open_by_host"] == {"mega.nz": 1}
    assert "success by recipient" in cli("report").stdout
