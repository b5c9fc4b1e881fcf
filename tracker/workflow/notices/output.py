"""A drafted notice written out in one of its formats: plain text, RFC 5322 email, PDF."""
from __future__ import annotations

from sqlmodel import Session

from tracker.errors import UsageError
from tracker.workflow.models import Case, Notice
from tracker.workflow.notices.render import FORMATS, as_pdf, as_text
from tracker.workflow.send import notice_email
from tracker.workflow.settings import WorkflowSettings


def notice_bytes(session: Session, case: Case, notice: Notice, settings: WorkflowSettings, fmt: str) -> bytes:
    """The notice as ``text``, ``eml`` or ``pdf``; the format is remembered on the notice."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown notice format {fmt!r}; use one of: {', '.join(FORMATS)}")
    if fmt == "eml":
        data = notice_email(session, case, notice, settings).as_bytes()
    elif fmt == "pdf":
        data = as_pdf(notice.subject, notice.text)
    else:
        data = as_text(notice.subject, notice.text, notice.recipient).encode("utf-8")
    if notice.sent_at is None:
        notice.format = fmt
        session.add(notice)
    return data
