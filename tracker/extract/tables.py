"""Delimited text (CSV, TSV, semicolon- or pipe-separated) to one line per row.

Re-posted spreadsheets arrive with whatever delimiter the exporting locale chose. The
delimiter is found on a sample (delimiters most lines hold, then a count of consistent fields
per row) and the rows are parsed by the C ``csv`` reader, quoted newlines included. Each row
becomes one line with its cells joined by tabs, which is what the matcher reads.

Where a header names a date column whose values are Excel serial numbers ("DOB" over "33975"),
those cells are written as ISO dates (``excel_dates``; the rule is
``fingerprints.columns.serial_date_columns``), for delimited text and workbooks alike.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from fingerprints.columns import HEAD_ROWS, serial_date_columns
from fingerprints.normalize import excel_serial_date

_DELIMITERS = ",;\t|"
_SAMPLE = 8 * 1024  # about a hundred rows: enough to see whether a delimiter is consistent
_QUICK_LINES = 40
_ROW_SEP, _CELL_SEP = "\x1e", "\x1f"  # ASCII record/unit separators: never kept in output


def find_delimiter(text: str, strict: bool = False) -> str | None:
    """The delimiter that splits the start of ``text`` into consistent rows, or ``None``.

    ``strict`` is for sniffing text of unknown kind: it asks for at least two rows of two or
    more cells that agree almost everywhere, so prose with a few commas stays prose.

    Every pasted text document goes through here, so the cheap test comes first: per
    delimiter, how many of the first lines hold it at all (``str.count`` in C). Only
    delimiters that most lines hold are parsed with the ``csv`` reader, on a small sample.
    """
    sample = _sample(text)
    if not sample.strip():
        return None
    lines = [line for line in sample.split("\n", _QUICK_LINES)[:_QUICK_LINES] if line.strip()]
    if not lines:
        return None
    need = 0.9 if strict else 0.6
    plausible = [d for d in _DELIMITERS if sum(1 for line in lines if d in line) >= need * len(lines)]
    if not plausible and '"' in sample:  # quoted cells may hold the newlines: let the reader decide
        plausible = [d for d in _DELIMITERS if d in sample]
    scored = [(score, delimiter) for delimiter in plausible
              if (score := _consistency(sample, delimiter, strict)) is not None]
    return max(scored)[1] if scored else None


def rows_text(text: str, delimiter: str) -> str:
    """Parse delimited ``text``; one line per non-empty row, cells stripped and joined by tabs.

    Rows and cells are joined with separator characters and cleaned with whole-string
    replaces, which keeps Python work per row to one filter step. Raises ``csv.Error`` when the
    text does not parse (the caller then keeps it as plain text).
    """
    text = _without_separators(text)
    joined = _parse(text, delimiter, csv.QUOTE_MINIMAL)
    if text.count("\n") > 4 * joined.count(_ROW_SEP) + 50:  # a stray quote swallowed many rows
        joined = _parse(text, delimiter, csv.QUOTE_NONE)
    rows = _rows(joined)
    found = serial_date_columns([row.split(_CELL_SEP) for row in rows[:HEAD_ROWS]])
    if found is not None:
        table = [row.split(_CELL_SEP) for row in rows]
        _write_dates(table, *found)
        rows = [_CELL_SEP.join(cells) for cells in table]
    return "\n".join(rows).replace(_CELL_SEP, "\t")


def excel_dates(table: list[list[str]]) -> bool:
    """Write, in place, the Excel serial numbers of a table's date columns as ISO dates
    ("33975" under "DOB" -> "1993-01-06"); see ``fingerprints.columns.serial_date_columns``.
    ``table`` is the rows with values, in order. True when it wrote any."""
    found = serial_date_columns(table[:HEAD_ROWS])
    if found is None:
        return False
    _write_dates(table, *found)
    return True


def holds_serial_dates(text: str, delimiter: str) -> bool:
    """Whether :func:`rows_text` rewrites Excel serial dates in ``text`` (so that only the
    extractor can read it as the matcher will see it).

    ``rows_text`` decides from the first rows of its own output, read with quotes or, when a
    stray quote swallows most of the text, without; both readings are checked here, on a
    sample when it holds more than those rows (they are then the same as the whole text's).
    """
    text = _without_separators(text)
    pieces = [piece for piece in (_sample(text), _sample(text, 16 * _SAMPLE)) if len(piece) < len(text)]
    for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_NONE):
        rows = None
        for piece in [*pieces, text]:
            try:
                rows = _rows(_parse(piece, delimiter, quoting))
            except csv.Error:  # rows_text raises too, and the text is then read as plain text
                rows = None
                break
            if len(rows) > HEAD_ROWS:
                break
        if rows and serial_date_columns([row.split(_CELL_SEP) for row in rows[:HEAD_ROWS]]) is not None:
            return True
    return False


def _write_dates(table: Sequence[list[str]], header: int, columns: Sequence[int]) -> None:
    for cells in table[header + 1:]:
        for j in columns:
            if j < len(cells) and (d := excel_serial_date(cells[j])) is not None:
                cells[j] = d.isoformat()


def _without_separators(text: str) -> str:
    if _ROW_SEP in text or _CELL_SEP in text:
        text = text.replace(_ROW_SEP, " ").replace(_CELL_SEP, " ")
    return text


def _rows(joined: str) -> list[str]:
    """The rows with values of parsed text, cells stripped, joined by the unit separator."""
    for space in ("\r\n", "\n", "\r", "\t", "\x0b", "\x0c"):  # whitespace inside cells
        joined = joined.replace(space, " ")
    for separator in (_CELL_SEP, _ROW_SEP):  # spaces around cells
        while " " + separator in joined:
            joined = joined.replace(" " + separator, separator)
        while separator + " " in joined:
            joined = joined.replace(separator + " ", separator)
    return [row for row in joined.strip(" ").split(_ROW_SEP) if row.strip(_CELL_SEP + " ")]


def _parse(text: str, delimiter: str, quoting: Literal[0, 3]) -> str:
    """Rows joined by the record separator, cells by the unit separator."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting, strict=False)
    return _ROW_SEP.join(map(_CELL_SEP.join, reader))


def _sample(text: str, size: int = _SAMPLE) -> str:
    """The first rows of ``text``, cut at a line end so that no row is truncated."""
    if len(text) <= size:
        return text
    cut = text.rfind("\n", 0, size)
    return text[: cut if cut > 0 else size]


def _consistency(sample: str, delimiter: str, strict: bool) -> tuple[float, int] | None:
    """(share of rows with the usual field count, that count) if ``delimiter`` fits, else None.

    Quotes are honoured first; if that fails (a stray quote swallows the rows after it), they
    are tried as ordinary characters.
    """
    for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_NONE):
        try:
            counts = [len(row) for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter,
                                                     quoting=quoting, strict=False)
                      if any(cell.strip() for cell in row)]
        except csv.Error:
            continue
        if not counts:
            return None
        fields, rows = Counter(counts).most_common(1)[0]
        share = rows / len(counts)
        if fields >= 2 and share >= (0.9 if strict else 0.8) and (len(counts) >= 2 or not strict):
            return share, fields
    return None
