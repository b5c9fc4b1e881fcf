"""What extraction returns: the readable parts of a document."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Part:
    """One piece of readable text: the document itself, an archive member, or a sheet."""

    name: str  # "" for the document itself, member path for archive members ("a.zip/inner/x.csv")
    kind: str  # "text" | "html" | "csv" | "xlsx" | "xlsb" | "xls" | "ods" | "pdf" | "json" | "xml" | "docx" | "odt"
    text: str  # lines separated by "\n"; table rows are one line each with cells joined by "\t"


@dataclass
class Extracted:
    """Every readable part of one document, and what could not be read inside its archives."""

    kind: str  # top-level detected kind, e.g. "zip", "html"
    parts: list[Part]
    errors: list[str] = field(default_factory=list)  # per-member problems that did not stop the rest

    @property
    def text(self) -> str:
        """All parts' text, one part after the other."""
        return "\n".join(part.text for part in self.parts)
