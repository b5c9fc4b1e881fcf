"""What extraction returns: the readable parts of a document."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Part:
    """One piece of readable text: the document itself, an archive member, a sheet, or a part of a
    mail message."""

    # "" for the document itself, member path for archive members ("a.zip/inner/x.csv"); a
    # message's parts are "headers", "part:1.2" (body, by IMAP section) and attachment names
    # ("mail.eml/leak.csv"), an mbox's "message:2/..."
    name: str
    # "text" | "html" | "csv" | "xlsx" | "xlsb" | "xls" | "ods" | "pdf" | "json" | "xml" | "docx" | "odt"
    # | "eml" (a message's header fields)
    kind: str
    text: str  # lines separated by "\n"; table rows are one line each with cells joined by "\t"


@dataclass
class Extracted:
    """Every readable part of one document, and what could not be read inside its archives and
    messages."""

    kind: str  # top-level detected kind, e.g. "zip", "html", "eml", "mbox"
    parts: list[Part]
    errors: list[str] = field(default_factory=list)  # per-member problems that did not stop the rest

    @property
    def text(self) -> str:
        """All parts' text, one part after the other."""
        return "\n".join(part.text for part in self.parts)
