"""Clean documents found without extracting them in full: the compiled gate on their text.

Most scanned documents hold no leaked record. For text, CSV, HTML and JSON, the gate
(``fingerprints.gate``) reads the document's text and names the few lines that could hold a
record; only those lines, with their neighbours, go to the matcher. If they leave the
document no chance of a hit (``Matcher.needs_whole_document``), the full document could not
be one either, and it is clean. Text, CSV and
JSON are scanned as raw bytes. An HTML page is scanned as the extractor's own text of it:
``text_view`` calls ``tracker.extract.html.html_text`` on the page decoded exactly as the
extractor decodes it, so the gate's lines are the lines the full path matches, by
construction (there is no second HTML layout to disagree with the first). Anything the gate
cannot read exactly as the extractor would (binary formats, archives, other encodings than
UTF-8, XML, text that looks binary, a table whose date column holds Excel serial numbers the
extractor writes as dates) takes the full path, as does every document whose excerpts could make a hit: its verdict,
score and fields always come from the whole document.
"""
from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from fingerprints import gate
from fingerprints.matcher import Matcher
from tracker.errors import TrackerError
from tracker.extract import Limits
from tracker.extract.detect import declared_kind, magic_kind, sniff_markup_kind
from tracker.extract.html import html_text
from tracker.extract.tables import find_delimiter, holds_serial_dates, rows_text
from tracker.extract.text import check_not_binary, normalize_newlines

_SAMPLE = 64 * 1024  # as much as the decoder checks for control characters
_OTHER_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: Control characters that make the decoder call a text binary (not tab, newlines, form feed, ESC).
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])
_MOSTLY = 0.25  # excerpts longer than this share of the text: match the whole document at once
_GAP = "\n\n\n"  # between excerpts: no line borrows from a line of another excerpt
#: Five digits in a row: without them no cell can be an Excel serial date (``holds_serial_dates``).
_FIVE_DIGITS = re.compile(rb"[0-9]{5}")


class GatedLeak(Protocol):
    """What the prefilter needs of a loaded leak."""

    matcher: Matcher
    gate: gate.DocumentGate | None


@dataclass(frozen=True)
class TextView:
    """A document as the gate reads it: ``kind`` html, json or text (text includes CSV)."""

    kind: str
    body: bytes          # the document without its UTF-8 byte-order mark
    text: bytes          # what the gate scans: the extractor's text of an HTML page (UTF-8), else ``body``
    declared: str | None

    def excerpts(self, ranges: Sequence[tuple[int, int]]) -> str:
        """The lines of ``text`` in ``ranges`` as the extractor would give them, kept apart."""
        return _GAP.join(self._lines(self.text[start:end].decode("utf-8", "replace")) for start, end in ranges)

    def _lines(self, piece: str) -> str:
        if self.kind == "html":  # already the extractor's lines
            return piece
        if self.delimiter is not None:
            try:
                return rows_text(piece, self.delimiter)
            except csv.Error:
                pass
        return normalize_newlines(piece)

    @cached_property
    def delimiter(self) -> str | None:
        """The CSV delimiter the extractor would use for the whole document, if it reads it as CSV."""
        whole = self.body.decode("utf-8")
        if self.declared is None and find_delimiter(whole, strict=True) is None:
            return None
        return find_delimiter(whole)

    @cached_property
    def json_decoded(self) -> bytes:
        """JSON text with its string escapes decoded (the words its reader sees)."""
        return gate.render_json(self.text)


def text_view(data: bytes, name: str, content_type: str | None, limits: Limits | None) -> TextView | None:
    """How the gate can read ``data``, or ``None`` when only the extractor can (see module doc)."""
    if len(data) > (limits or Limits()).max_total_bytes or data.startswith(_OTHER_BOMS):
        return None
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    try:
        if magic_kind(body, name) is not None:
            return None
    except TrackerError:
        return None
    if b"\x00" in body:
        return None
    sample = body[:_SAMPLE]
    decoded: str | None = None
    if body.isascii():
        if len(sample) - len(sample.translate(None, _CONTROL_BYTES)) > 0.02 * len(sample):
            return None
        head = body[:4096].decode("ascii")
    else:
        try:
            decoded = body.decode("utf-8")
            check_not_binary(decoded, name)
        except (UnicodeDecodeError, TrackerError):
            return None
        head = decoded[:4096]
    declared = declared_kind(name, content_type)
    kind = declared or sniff_markup_kind(head) or "text"
    if kind == "html":
        # What ``extract`` reads: ``decode`` gives exactly this string for UTF-8 without NULs
        # (with or without its BOM), and ``read_text`` passes it to ``html_text`` with this name.
        page = decoded if decoded is not None else body.decode("ascii")
        return TextView("html", body, html_text(page, name).encode("utf-8"), declared)
    if kind == "json":
        return TextView("json", body, body, declared)
    if kind in ("csv", "text"):
        view = TextView("text", body, body, declared)
        # A table with Excel serial dates ("DOB" over "33975") is read with those cells as dates,
        # which the gate does not see in the raw text: only the extractor can read it.
        if _FIVE_DIGITS.search(body) and view.delimiter is not None and holds_serial_dates(
                decoded if decoded is not None else body.decode("ascii"), view.delimiter):
            return None
        return view
    return None  # XML: its reader lays text out its own way


def certainly_clean(view: TextView, leaks: Sequence[GatedLeak]) -> bool:
    """Whether no leak's matcher can find a record in the document ``view`` shows.

    ``False`` means "extract and match the whole document", never "it holds a record".
    """
    for leak in leaks:
        if leak.gate is None:
            return False
        if view.kind == "json":  # the escapes decoded or not: whichever the reader will see
            if (leak.gate.scan(view.text, gate.WHOLE) is not None
                    or leak.gate.scan(view.json_decoded, gate.WHOLE) is not None):
                return False
            continue
        found = leak.gate.scan(view.text, gate.LINES if view.kind == "html" else gate.CSV_LINES)
        if found is None:
            continue
        if found.gave_up or sum(end - start for start, end in found.ranges) > _MOSTLY * len(view.text):
            return False  # the matcher would read most of it twice: read it once, in full
        if leak.matcher.needs_whole_document(view.excerpts(found.ranges), found.order):
            return False
    return True
