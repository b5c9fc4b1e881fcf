"""Sending notices to a local aiosmtpd server: STARTTLS with a self-signed certificate, AUTH,
dry runs, approval, and refusals that leave the case as it was."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlmodel import Session
from workflow_support import (
    T0,
    add_hit,
    add_leak,
    later,
    session,  # noqa: F401 - fixture
    workflow_settings,
)

from tracker.errors import ConfigError, UsageError
from tracker.workflow.audit import history
from tracker.workflow.cases import approve_notice, draft_notice
from tracker.workflow.models import Case
from tracker.workflow.send import SendError, send_notice
from tracker.workflow.states import CaseState
from tracker.workflow.triage import confirm_hit

PASSWORD_ENV = "TEST_WORKFLOW_SMTP_PASSWORD"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made for this test run, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Sink:
    """SMTP handler that keeps what it receives and whether the session was encrypted."""

    received: list[tuple[Any, bool]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        self.received.append((envelope, session.ssl is not None))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"dpo", b"s3cret")
    return AuthResult(success=ok)


@pytest.fixture
def smtp_tls(tmp_path: Path) -> Iterator[tuple[Sink, int, Path]]:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port(), tls_context=context,
                            require_starttls=True, authenticator=_authenticate, auth_required=True)
    controller.start()
    try:
        yield sink, controller.port, cert
    finally:
        controller.stop()


@pytest.fixture
def smtp_plain() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


def _drafted(session: Session, url: str = "https://mega.nz/file/xyz") -> Case:
    hit = add_hit(session, add_leak(session), url)
    case = confirm_hit(session, hit.id, actor="ana", settings=workflow_settings(), at=T0).case
    draft_notice(session, case, workflow_settings(), actor="ana", at=T0)
    return case


def test_sends_over_starttls_with_auth_after_approval(session: Session, smtp_tls, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sink, port, cert = smtp_tls
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    settings = workflow_settings(smtp={"host": "127.0.0.1", "port": port, "starttls": True, "username": "dpo",
                                       "password_env": PASSWORD_ENV, "cafile": str(cert)})
    case = _drafted(session)
    dry = send_notice(session, case, settings, actor="ana", at=later(hours=1))
    assert not dry.sent and sink.received == [] and case.state == CaseState.NOTICE_DRAFTED
    with pytest.raises(UsageError, match="not approved.*tracker cases approve"):
        send_notice(session, case, settings, actor="ana", dry_run=False)
    assert sink.received == []
    approve_notice(session, case, by="lead", at=later(hours=2))
    outcome = send_notice(session, case, settings, actor="ana", dry_run=False, at=later(hours=3))
    assert outcome.sent
    [(envelope, encrypted)] = sink.received
    assert encrypted, "the message must travel over TLS"
    assert envelope.rcpt_tos == ["abuse@mega.nz"] and envelope.mail_from == "dpo@example.org"
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    notice = outcome.notice
    assert received["Message-ID"] == notice.message_id == dry.message["Message-ID"]
    assert received.get_content().replace("\r\n", "\n") == notice.text
    assert notice.sent_at == later(hours=3) and notice.format == "eml"
    assert case.state == CaseState.NOTICE_SENT and case.deadline_at == later(days=3, hours=3)
    actions = [(e.action, e.actor) for e in history(session, "notice", notice.id)]
    assert actions == [("draft", "ana"), ("approve", "lead"), ("send", "ana")]
    with pytest.raises(UsageError, match="no unsent notice"):
        send_notice(session, case, settings, actor="ana", dry_run=False)


def test_refuses_a_server_without_starttls(session: Session, smtp_plain) -> None:  # type: ignore[no-untyped-def]
    sink, port = smtp_plain
    case = _drafted(session)
    approve_notice(session, case, by="lead")
    strict = workflow_settings(smtp={"host": "127.0.0.1", "port": port})  # starttls defaults to true
    with pytest.raises(SendError, match="does not offer STARTTLS"):
        send_notice(session, case, strict, actor="ana", dry_run=False)
    assert sink.received == [] and case.state == CaseState.NOTICE_DRAFTED
    local_relay = workflow_settings(smtp={"host": "127.0.0.1", "port": port, "starttls": False})
    assert send_notice(session, case, local_relay, actor="ana", dry_run=False).sent
    assert len(sink.received) == 1 and case.state == CaseState.NOTICE_SENT


def test_wrong_certificate_fails_without_sending(session: Session, smtp_tls, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sink, port, _cert = smtp_tls
    other, _ = self_signed(tmp_path / "..")  # a certificate that did not sign the server's
    case = _drafted(session)
    approve_notice(session, case, by="lead")
    settings = workflow_settings(smtp={"host": "127.0.0.1", "port": port, "cafile": str(other)})
    with pytest.raises(SendError, match="cannot send through 127.0.0.1"):
        send_notice(session, case, settings, actor="ana", dry_run=False)
    assert sink.received == [] and case.state == CaseState.NOTICE_DRAFTED


def test_web_form_recipients_and_missing_config_are_refused(session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    case = _drafted(session, "https://pastebin.com/abc")
    approve_notice(session, case, by="lead")
    settings = workflow_settings(smtp={"host": "127.0.0.1", "port": 1})
    with pytest.raises(UsageError, match="web form at https://pastebin.com/contact.*cases mark"):
        send_notice(session, case, settings, actor="ana", dry_run=False)
    email_case = _drafted(session, "https://mega.nz/file/other")
    approve_notice(session, email_case, by="lead")
    with pytest.raises(ConfigError, match="host is not set"):
        send_notice(session, email_case, workflow_settings(), actor="ana", dry_run=False)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    needs_password = workflow_settings(smtp={"host": "127.0.0.1", "port": 1, "username": "dpo",
                                             "password_env": PASSWORD_ENV})
    with pytest.raises(ConfigError, match=f"password variable {PASSWORD_ENV} is empty"):
        send_notice(session, email_case, needs_password, actor="ana", dry_run=False)
    assert email_case.state == CaseState.NOTICE_DRAFTED
