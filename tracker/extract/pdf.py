"""PDF to text with PDFium (pypdfium2): every page in order, pages joined by a newline.

Why PDFium and a layout of our own: pypdf's layout mode took over half of a whole scan's CPU
on a realistic stream, and minutes on a crafted PDF whose pages share one content stream.
PDFium parses a page in C; per page we ask it for the characters (one call) and for the boxes
of the first and last character of each word, and rebuild the layout from those:

* words are the runs of characters between whitespace. PDFium inserts a space where it sees a
  gap between two pieces of text, so a cell boundary is a word boundary; a run whose first
  and last boxes do not make one word (two lines, far too wide) is cut character by character;
* words go on one line when their boxes overlap by half their height; lines top to bottom;
* on a line, a gap wider than ``TAB_GAP`` of the text's height is a cell boundary and becomes
  a tab, the cell separator the matcher reads, and a narrower one a single space. Measured
  on the synthetic tables (fpdf, 7-9 pt): word gaps are at most 0.35 em, cell gaps at least
  0.72 em; the threshold sits between them, at about 0.5 em;
* a row whose cells wrap over two lines and are centred vertically (fpdf's tables, so every
  synthetic PDF) has the wrapped cells' lines half a line above and below the others; those
  lines are put back into their row, each wrapped cell's lines joined by a space in its own
  cell (pypdf gave half of a wrapped name on the row's line and the other half on a line of
  its own). Cells wrapped over three lines or more, and rows aligned to the top or bottom,
  still give one line per line of text, as before;
* turned text (a diagonal watermark, a label set sideways) would cut through the rows; it
  goes after the page's lines in PDFium's order.

A table row thus stays ONE line with its cells separated by tabs: a row split over lines, or
cells glued together, loses the attribution of values to one record. Where the rebuilt page
has fewer characters than PDFium's own reading of it, or many more lines, PDFium's plain text
of the page is used instead: nothing may be lost.

A PDF that has no text at all (a scan) is refused as unsupported rather than returned as an
empty, apparently clean document. A PDF whose text is far larger than the file can honestly
hold (``MAX_CHARS_PER_BYTE``) is read up to that bound and the rest named as a problem.
PDFium is not thread-safe (not even across documents), and the monitor reads documents in
several threads: one lock serialises every use of it.
"""
from __future__ import annotations

import ctypes
import logging
import math
import os
import re
import threading
from dataclasses import dataclass
from typing import Any

import pypdfium2.raw as pdfium_c

from tracker.errors import ExtractionError, UnsupportedFormat
from tracker.extract.messages import where
from tracker.extract.text import normalize_newlines

# Nothing from a document may reach our logs, and failures are reported by our own exceptions.
_PDFIUM_LOG = logging.getLogger("pypdfium2")
_PDFIUM_LOG.addHandler(logging.NullHandler())
_PDFIUM_LOG.propagate = False

#: One PDFium call at a time in the whole process (PDFium keeps global state).
_LOCK = threading.Lock()


def _new_lock_after_fork() -> None:
    """Workers are forked from the scanning process: a copy of the lock taken by another
    thread at that moment would stay taken for ever in the child, which has no such thread."""
    global _LOCK
    _LOCK = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_after_fork)

#: A horizontal gap wider than this share of the text's (loose box) height is a cell boundary.
#: The loose box of the usual fonts is about 1.16 em high, so this is about 0.52 em.
TAB_GAP = 0.45
#: Words whose boxes overlap by at least this share of the smaller one's height share a line.
SAME_LINE = 0.5
#: Lines that overlap by at least this share (but less than SAME_LINE) and have no word in the
#: same column are one table row with wrapped, vertically centred cells.
WRAPPED_ROW = 0.25
#: Pieces of one run of characters split apart by their positions, closer than this, are glued.
GLUE_GAP = 0.1
#: Characters turned more than this (radians, about 6 degrees) from horizontal are not laid out.
TURNED = 0.1
#: Fall back to PDFium's plain text of a page when the layout gives more lines than this
#: many times PDFium's (plus a few): text our lines would shred (vertical writing, glyphs
#: placed one by one in odd orders), which PDFium follows along its baselines.
MAX_LINE_RATIO = 2
#: A PDF may hold at most this many characters of text per byte of file, plus MIN_CHARS;
#: the pages past that are skipped and named as a problem. Pages that share one content
#: stream multiply the text (and PDFium's work, about 2-4 us a character) without making
#: the file larger. Honest PDFs have about 2 characters per byte or fewer (dense tables and
#: lines of names in core fonts, compressed: 1.1 to 2.0; the synthetic rosters, with an
#: embedded font: 0.4), so the bound keeps a margin of five and more.
MAX_CHARS_PER_BYTE = 10
MIN_CHARS = 1_000_000

_ERROR_NAMES = {
    pdfium_c.FPDF_ERR_UNKNOWN: "unknown error",
    pdfium_c.FPDF_ERR_FILE: "file access error",
    pdfium_c.FPDF_ERR_FORMAT: "not a PDF or corrupted",
    pdfium_c.FPDF_ERR_SECURITY: "unsupported security handler",
    pdfium_c.FPDF_ERR_PAGE: "page not found or content error",
}

# Runs of characters that are not whitespace; control characters, lone surrogates and
# non-characters separate words too (they are not text and could not be encoded).
_WORD = re.compile(r"[^\s\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]+")
_NOT_TEXT = re.compile(r"[\s\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


@dataclass(slots=True)
class _Word:
    """A run of characters and its box in page units (y grows upwards); ``start``/``end``
    are the character indices it spans, so two pieces of one run can be glued again."""

    text: str
    left: float
    right: float
    bottom: float
    top: float
    start: int
    end: int

    @property
    def height(self) -> float:
        return max(self.top - self.bottom, 0.1)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


def _overlap(a: _Word, b: _Word) -> float:
    """How much of the smaller of two boxes' height their vertical overlap covers (at most 1)."""
    return (min(a.top, b.top) - max(a.bottom, b.bottom)) / min(a.height, b.height)


class _Boxes:
    """Loose character boxes (the font's full height, the same for every character of a line
    in one font, which makes vertical overlap a sound test) from one text page."""

    def __init__(self, textpage: Any) -> None:
        self.textpage = textpage
        self.rect = pdfium_c.FS_RECTF()
        self.ref = ctypes.byref(self.rect)

    def box(self, index: int) -> tuple[float, float, float, float]:
        """(left, right, bottom, top) of character ``index``; all zero if PDFium has none."""
        if not pdfium_c.FPDFText_GetLooseCharBox(self.textpage, index, self.ref):
            return 0.0, 0.0, 0.0, 0.0
        rect = self.rect
        return rect.left, rect.right, min(rect.bottom, rect.top), max(rect.bottom, rect.top)


def _plain_text(textpage: Any, count: int) -> str:
    """PDFium's own text of the page: stream order, its line breaks and inserted spaces."""
    buffer = (ctypes.c_ushort * (count + 1))()
    written = pdfium_c.FPDFText_GetText(textpage, 0, count, buffer)
    if written <= 1:
        return ""
    return ctypes.string_at(buffer, 2 * (written - 1)).decode("utf-16-le", errors="replace")


def _exact_chars(textpage: Any, count: int) -> str:
    """The page's characters one by one, index for index (slower than ``_plain_text``, which
    is UCS-2 only and may leave characters out, so that its indices can shift)."""
    get = pdfium_c.FPDFText_GetUnicode
    return "".join(chr(code) if 0 < code < 0x110000 else " " for code in (get(textpage, i) for i in range(count)))


def _split_run(boxes: _Boxes, chars: str, start: int, end: int) -> list[_Word]:
    """A run whose edges do not make one word (on two lines, or far wider than its length):
    cut it wherever the next character is not just to the right on the same line."""
    pieces: list[_Word] = []
    current: _Word | None = None
    for index in range(start, end):
        left, right, bottom, top = boxes.box(index)
        char = _Word(chars[index], left, right, bottom, top, index, index + 1)
        if current is not None and _overlap(current, char) >= SAME_LINE:
            gap = left - current.right
            height = max(current.height, char.height)
            if -0.3 * height <= gap <= TAB_GAP * height:
                current.text += chars[index]
                current.right, current.end = max(current.right, right), index + 1
                current.bottom, current.top = min(current.bottom, bottom), max(current.top, top)
                continue
        current = char
        pieces.append(current)
    return pieces


def _upright(angle: float) -> bool:
    """Whether a character's angle (radians, counter-clockwise; -1 when PDFium has none) is
    within ``TURNED`` of horizontal."""
    return angle < 0 or angle <= TURNED or angle >= 2 * math.pi - TURNED


def _words(textpage: Any, count: int, plain: str) -> tuple[list[_Word], str]:
    """(the page's upright words with their boxes, its turned text), two or three PDFium
    calls per word where it can be.

    ``plain`` gives the characters when it has one per character index (nearly always); the
    first character of each word is checked against PDFium's, and on a mismatch the page is
    read again character by character. Turned words (a rotated label, a diagonal watermark)
    would break into one line per character and cut through table rows; they are kept in
    their stream order instead, a line where PDFium starts one, to go after the page."""
    exact = len(plain) != count
    chars = (_exact_chars(textpage, count) if exact else plain).replace("\x02", "-")  # \x02: PDFium's line-end hyphen
    boxes = _Boxes(textpage)
    get = pdfium_c.FPDFText_GetUnicode
    angle = pdfium_c.FPDFText_GetCharAngle
    words: list[_Word] = []
    turned: list[str] = []
    turned_end = -1
    for match in _WORD.finditer(chars):
        start, end = match.span()
        if not exact and get(textpage, start) != ord(plain[start]):  # the plain text's indices shifted
            return _words(textpage, count, "")
        if not _upright(angle(textpage, start)):
            if turned:
                turned.append("\n" if "\n" in chars[turned_end:start] or "\r" in chars[turned_end:start] else " ")
            turned.append(match.group())
            turned_end = end
            continue
        left, right, bottom, top = boxes.box(start)
        if end - start > 1:  # one word if its last character is on the first one's line, and not far off
            left1, right1, bottom1, top1 = boxes.box(end - 1)
            height = max(top - bottom, top1 - bottom1, 0.1)
            shared = min(top, top1) - max(bottom, bottom1)
            if shared < SAME_LINE * max(min(top - bottom, top1 - bottom1), 0.1) or right1 < left - 0.3 * height \
                    or right1 - left > (end - start + 1) * height:
                words.extend(_split_run(boxes, chars, start, end))
                continue
            right, bottom, top = right1, min(bottom, bottom1), max(top, top1)
        words.append(_Word(match.group(), left, right, bottom, top, start, end))
    return words, "".join(turned)


@dataclass(slots=True)
class _Line:
    """The words of one line, left to right, and the first word taken for it (the topmost),
    against which others are measured: always that one, so a line cannot creep downwards."""

    anchor: _Word
    words: list[_Word]


def _lines(words: list[_Word]) -> list[_Line]:
    """Words in lines, top to bottom: one joins the current line when it overlaps the line's
    anchor by ``SAME_LINE``."""
    lines: list[_Line] = []
    for word in sorted(words, key=lambda w: (-w.middle, w.left)):
        if lines and _overlap(lines[-1].anchor, word) >= SAME_LINE:
            lines[-1].words.append(word)
        else:
            lines.append(_Line(word, [word]))
    for line in lines:
        line.words.sort(key=lambda w: w.left)
    return lines


def _share_a_column(upper: list[_Word], lower: list[_Word]) -> bool:
    """Whether a word of one line sits horizontally over a word of the other (both sorted by left)."""
    i = j = 0
    while i < len(upper) and j < len(lower):
        a, b = upper[i], lower[j]
        if a.right <= b.left:
            i += 1
        elif b.right <= a.left:
            j += 1
        else:
            return True
    return False


def _rows(lines: list[_Line]) -> list[list[_Line]]:
    """Lines grouped into rows: a line half a line below the previous one, with no word in a
    column the previous line uses, is the other part of a row with wrapped cells."""
    rows: list[list[_Line]] = []
    for line in lines:
        if rows:
            previous = rows[-1][-1]
            if _overlap(previous.anchor, line.anchor) >= WRAPPED_ROW and not _share_a_column(previous.words, line.words):
                rows[-1].append(line)
                continue
        rows.append([line])
    return rows


def _separator(before: _Word, after: _Word) -> str:
    """A tab at a cell boundary (wide gap), nothing between two pieces of one run, else a space."""
    gap = after.left - before.right
    height = max(before.height, after.height)
    if gap > TAB_GAP * height:
        return "\t"
    if after.start == before.end and gap < GLUE_GAP * height:
        return ""
    return " "


def _join(words: list[_Word]) -> str:
    parts = [words[0].text]
    for before, after in zip(words, words[1:]):
        parts.append(_separator(before, after))
        parts.append(after.text)
    return "".join(parts)


def _cells(words: list[_Word]) -> list[list[_Word]]:
    """A line's words cut into cells at the wide gaps."""
    cells = [[words[0]]]
    for before, after in zip(words, words[1:]):
        if _separator(before, after) == "\t":
            cells.append([after])
        else:
            cells[-1].append(after)
    return cells


def _row_text(row: list[_Line]) -> str:
    """One row as one line. With wrapped cells, the cells of all its lines are grouped into
    columns (cells that sit over one another), each column read line by line."""
    if len(row) == 1:
        return _join(row[0].words)
    placed = sorted(((cell[0].left, number, cell) for number, line in enumerate(row) for cell in _cells(line.words)),
                    key=lambda item: item[0])
    columns: list[list[tuple[int, list[_Word]]]] = []
    column_right = float("-inf")  # right edge of the column being filled
    for left, number, cell in placed:
        if columns and left < column_right:
            columns[-1].append((number, cell))
            column_right = max(column_right, cell[-1].right)
        else:
            columns.append([(number, cell)])
            column_right = cell[-1].right
    parts: list[str] = []
    previous_right: _Word | None = None
    for column in columns:
        column.sort(key=lambda item: (item[0], item[1][0].left))
        if previous_right is not None:
            parts.append(_separator(previous_right, min((cell[0] for _, cell in column), key=lambda w: w.left)))
        parts.append(" ".join(_join(cell) for _, cell in column))
        previous_right = max((cell[-1] for _, cell in column), key=lambda w: w.right)
    return "".join(parts)


def _cleaned(plain: str) -> str:
    """PDFium's plain text as lines, for a page whose layout is given up."""
    lines = (_CONTROL.sub(" ", line).strip() for line in normalize_newlines(plain.replace("\x02", "-")).split("\n"))
    return "\n".join(line for line in lines if line)


def _page_text(textpage: Any) -> tuple[str, int]:
    """(the page's text, its character count): rows as lines, cells split by tabs."""
    count = pdfium_c.FPDFText_CountChars(textpage)
    if count <= 0:
        return "", 0
    plain = _plain_text(textpage, count)
    try:
        words, turned = _words(textpage, count, plain)
        text = "\n".join(_row_text(row) for row in _rows(_lines(words))) if words else ""
    except Exception:  # a defect of the layout on an odd page: PDFium's own text is still whole
        return _cleaned(plain), count
    shredded = text.count("\n") + 1 > MAX_LINE_RATIO * (normalize_newlines(plain).count("\n") + 1) + 5
    text = "\n".join(part for part in (text, turned) if part)
    lost = len(_NOT_TEXT.sub("", text)) < len(_NOT_TEXT.sub("", plain.replace("\x02", "-")))
    if lost or shredded:
        return _cleaned(plain), count
    return text, count


def pdf_text(data: bytes, name: str = "") -> tuple[str, list[str]]:
    """(text of all pages, problems: single pages that were skipped, and the pages left
    unread past the bound on text for the file's size).

    Raises ``ExtractionError`` for a file PDFium cannot open (damaged, not a PDF, encrypted
    with a password other than the empty one, no pages) and ``UnsupportedFormat`` for a PDF
    whose pages hold no text. Messages name the file and PDFium's error class, nothing of
    the document's content."""
    with _LOCK:
        return _read(data, name)


def _read(data: bytes, name: str) -> tuple[str, list[str]]:
    document = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)  # None: the empty password
    if not document:
        error = pdfium_c.FPDF_GetLastError()
        if error == pdfium_c.FPDF_ERR_PASSWORD:
            raise ExtractionError(f"PDF is encrypted with a password{where(name)}")
        raise ExtractionError(f"cannot read PDF{where(name)}: {_ERROR_NAMES.get(error, 'unknown error')}")
    try:
        pages = pdfium_c.FPDF_GetPageCount(document)
        if pages <= 0:
            raise ExtractionError(f"cannot read PDF{where(name)}: it has no pages")
        budget = MIN_CHARS + MAX_CHARS_PER_BYTE * len(data)
        texts: list[str] = []
        problems: list[str] = []
        for number in range(1, pages + 1):
            if budget < 0:
                problems.append(f"stopped reading PDF{where(name)} before page {number} of {pages}: its pages hold "
                                f"far more text than its size allows (pages that share their content?)")
                break
            text, chars = _read_page(document, number, name, problems)
            texts.append(text)
            budget -= chars
        if not any(text.strip() for text in texts):
            raise UnsupportedFormat(f"unsupported format: PDF without a text layer (scanned images?){where(name)}")
        return "\n".join(texts), problems
    finally:
        pdfium_c.FPDF_CloseDocument(document)


def _read_page(document: Any, number: int, name: str, problems: list[str]) -> tuple[str, int]:
    """One page's text and character count; a page PDFium cannot load is a problem, not fatal."""
    page = pdfium_c.FPDF_LoadPage(document, number - 1)
    if not page:
        problems.append(f"cannot read page {number} of PDF{where(name)}")
        return "", 0
    try:
        textpage = pdfium_c.FPDFText_LoadPage(page)
        if not textpage:
            problems.append(f"cannot read the text of page {number} of PDF{where(name)}")
            return "", 0
        try:
            return _page_text(textpage)
        finally:
            pdfium_c.FPDFText_ClosePage(textpage)
    finally:
        pdfium_c.FPDF_ClosePage(page)
