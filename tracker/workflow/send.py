"""Sending an approved notice by SMTP with STARTTLS; a dry run unless asked otherwise.

Some platforms refuse automated reports, and a notice goes out in the organisation's name,
so a person approves each notice first (``tracker cases approve ID --by NAME``). The sent
message's Message-ID, text and time are kept on the notice. The SMTP password is read
from the environment variable named by ``[workflow.smtp] password_env``; it never passes
through the config file, the database or the logs.
"""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from sqlmodel import Session, col, select

from tracker.errors import ConfigError, TrackerError, UsageError
from tracker.models import utcnow
from tracker.workflow.audit import record
from tracker.workflow.cases import change_state, latest_notice
from tracker.workflow.models import Case, Notice
from tracker.workflow.notices.render import as_email, new_message_id
from tracker.workflow.settings import SmtpSettings, WorkflowSettings
from tracker.workflow.states import CaseState


class SendError(TrackerError):
    """The mail server could not be reached or refused the message; nothing was recorded as sent."""


@dataclass(frozen=True)
class SendOutcome:
    """The message as sent (or as it would be sent, in a dry run)."""

    notice: Notice
    message: EmailMessage
    sent: bool


def notice_email(
    session: Session, case: Case, notice: Notice, settings: WorkflowSettings, *, at: datetime | None = None
) -> EmailMessage:
    """The notice as an RFC 5322 message; gives the notice its Message-ID on first use.

    Keeping the Message-ID from the first rendering means the .eml an analyst reviewed is
    the message that is sent, and a follow-up refers to the notice it follows.
    """
    if not notice.message_id:
        notice.message_id = new_message_id(settings.sender_email)
        session.add(notice)
    previous_id = ""
    if notice.kind == "follow_up":
        query = (
            select(Notice.message_id)
            .where(Notice.case_id == case.id, col(Notice.sent_at).is_not(None), Notice.message_id != "")
            .order_by(col(Notice.id).desc())
        )
        previous_id = session.exec(query).first() or ""
    return as_email(
        subject=notice.subject,
        body=notice.text,
        sender_name=settings.sender_name,
        sender_email=settings.sender_email,
        recipient=notice.recipient,
        message_id=notice.message_id,
        date=notice.sent_at or at or notice.created_at,
        reference=f"RT-{case.id}",
        in_reply_to=previous_id,
    )


def deliver(message: EmailMessage, smtp: SmtpSettings) -> None:
    """Hand the message to the SMTP server, upgrading to TLS first unless disabled.

    A server that does not offer STARTTLS when it is required is refused rather than sent
    to in clear text: notices describe sensitive leaks.
    """
    if not smtp.host:
        raise ConfigError("[workflow.smtp] host is not set in tracker.toml; cannot send (dry runs work without it)")
    password = ""
    if smtp.username:
        password = os.environ.get(smtp.password_env, "") if smtp.password_env else ""
        if not password:
            raise ConfigError(
                f"[workflow.smtp] username is set but the password variable "
                f"{smtp.password_env or '(password_env not set)'} is empty"
            )
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as server:
            server.ehlo()
            if smtp.starttls:
                if not server.has_extn("starttls"):
                    raise SendError(f"SMTP server {smtp.host}:{smtp.port} does not offer STARTTLS; refusing to "
                                    f"send in clear text (set [workflow.smtp] starttls = false only for a local relay)")
                context = ssl.create_default_context(cafile=smtp.cafile or None)
                server.starttls(context=context)
                server.ehlo()
            if smtp.username:
                server.login(smtp.username, password)
            server.send_message(message)
    except SendError:
        raise
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise SendError(f"cannot send through {smtp.host}:{smtp.port}: {exc}") from exc


def send_notice(
    session: Session,
    case: Case,
    settings: WorkflowSettings,
    *,
    actor: str,
    dry_run: bool = True,
    at: datetime | None = None,
) -> SendOutcome:
    """Send the case's unsent notice, or (dry run) build the message without sending it.

    Refused before anything is sent when the notice is not approved, the recipient takes
    reports by web form, or the case is not in a state to send from.
    """
    now = at or utcnow()
    notice = latest_notice(session, case, unsent=True)
    if notice is None:
        raise UsageError(f"case {case.id} has no unsent notice; draft one: tracker cases notice {case.id}")
    if notice.kind == "notice" and case.state != CaseState.NOTICE_DRAFTED:
        raise UsageError(f"case {case.id} is {case.state}; only a case in notice_drafted sends its notice")
    message = notice_email(session, case, notice, settings, at=now)
    if dry_run:
        return SendOutcome(notice, message, sent=False)
    if notice.recipient.get("channel") != "email":
        raise UsageError(
            f"{notice.recipient.get('name')} takes reports by web form at {notice.recipient.get('address')}; "
            f"submit the text there (tracker cases notice {case.id}) and record it: "
            f"tracker cases mark {case.id} notice_sent"
        )
    if not notice.approved_by:
        raise UsageError(f"notice {notice.id} is not approved; a person approves each notice first: "
                         f"tracker cases approve {case.id} --by NAME")
    deliver(message, settings.smtp)
    notice.sent_at = now
    notice.format = "eml"
    session.add(notice)
    record(session, actor=actor, object_type="notice", object_id=notice.id or 0, action="send",
           reason=f"case {case.id}: {notice.message_id} to {notice.recipient.get('address')}", at=now)
    if notice.kind == "notice":
        change_state(session, case, CaseState.NOTICE_SENT, actor=actor, settings=settings,
                     reason=f"notice {notice.id} sent ({notice.message_id})", at=now)
    return SendOutcome(notice, message, sent=True)
