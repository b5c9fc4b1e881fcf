"""Rendering notices from Jinja2 templates in a sandbox, and their output formats.

Templates live in ``tracker/templates/notices/``; a user folder (``$TRACKER_HOME/templates``)
is searched first, so a file there with the same name overrides a built-in one and new
names add variants. Templates run in Jinja's ``SandboxedEnvironment`` (a user template
cannot reach Python internals) with ``StrictUndefined`` (a typo fails loudly rather than
printing an empty gap in a legal notice). A template sets ``subject`` with
``{% set subject %}...{% endset %}``; the rest of its output is the body.
"""
from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
)
from jinja2.sandbox import SandboxedEnvironment

from tracker.errors import ConfigError

BUILTIN_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "notices"
SUFFIX = ".txt.j2"
FORMATS = ("text", "eml", "pdf")


@dataclass(frozen=True)
class RenderedNotice:
    """A notice's subject line and plain-text body."""

    template: str
    subject: str
    body: str


def environment(user_dir: Path | None = None) -> SandboxedEnvironment:
    """The sandboxed environment, user templates first, then the built-in ones."""
    loaders = [FileSystemLoader(str(user_dir))] if user_dir and user_dir.is_dir() else []
    loaders.append(FileSystemLoader(str(BUILTIN_TEMPLATES)))
    return SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=False,  # plain text and email bodies, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, context: dict[str, Any], user_dir: Path | None = None) -> RenderedNotice:
    """Render template ``name`` (``default``, ``github``, ``follow_up``, or a user's own).

    A platform variant that does not exist falls back to ``default``.
    """
    env = environment(user_dir)
    try:
        try:
            template = env.get_template(name + SUFFIX)
        except TemplateNotFound:
            name = "default"
            template = env.get_template(name + SUFFIX)
        module = template.make_module(context)
        body = str(module)
        subject = " ".join(str(getattr(module, "subject", "")).split())
    except TemplateError as exc:
        raise ConfigError(f"notice template {name}{SUFFIX}: {exc}") from exc
    if not subject:
        raise ConfigError(f"notice template {name}{SUFFIX} does not set a subject ({{% set subject %}})")
    body = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", body)  # at most one blank line in a row
    return RenderedNotice(name, subject, body.strip() + "\n")


def as_text(subject: str, body: str, recipient: dict[str, Any]) -> str:
    """The plain-text form: who it goes to and by which channel, the subject, the body."""
    channel = "web form" if recipient.get("channel") == "web_form" else "email"
    to = f"{recipient.get('name', '')} <{recipient.get('address', '')}> ({channel})"
    return f"To: {to}\nSubject: {subject}\n\n{body}"


def new_message_id(sender_email: str) -> str:
    """A fresh RFC 5322 Message-ID in the sender's domain."""
    domain = sender_email.rpartition("@")[2] or None
    return make_msgid(domain=domain)


def as_email(
    *,
    subject: str,
    body: str,
    sender_name: str,
    sender_email: str,
    recipient: dict[str, Any],
    message_id: str,
    date: datetime,
    reference: str,
    in_reply_to: str = "",
) -> EmailMessage:
    """An RFC 5322 message of the notice; ``To`` only for recipients reached by email."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = formataddr((sender_name, sender_email))
    if recipient.get("channel") == "email":
        message["To"] = formataddr((recipient.get("name", ""), recipient["address"]))
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message["X-Case-Reference"] = reference
    message.set_content(body, charset="utf-8")
    return message


def as_pdf(subject: str, body: str) -> bytes:
    """A one-column PDF of the notice (core fonts: characters outside Latin-1 become '?')."""
    from fpdf import FPDF

    def latin1(text: str) -> str:
        return text.encode("latin-1", errors="replace").decode("latin-1")

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.multi_cell(0, 6, latin1(subject), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", size=10)
    for paragraph in body.split("\n"):
        pdf.multi_cell(0, 5, latin1(paragraph) or " ", new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
    return bytes(pdf.output())
