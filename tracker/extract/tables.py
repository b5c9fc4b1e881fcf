"""Delimited text (CSV, TSV, semicolon- or pipe-separated) to one line per row.

Re-posted spreadsheets arrive with whatever delimiter the exporting locale chose. The
delimiter is found on a sample (delimiters most lines hold, then a count of consistent fields
per row) and the rows are parsed by the C ``csv`` reader, quoted newlines included. Each row
becomes one line with its cells joined by tabs, which is what the matcher reads.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Literal

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
    if _ROW_SEP in text or _CELL_SEP in text:
        text = text.replace(_ROW_SEP, " ").replace(_CELL_SEP, " ")
    joined = _parse(text, delimiter, csv.QUOTE_MINIMAL)
    if text.count("\n") > 4 * joined.count(_ROW_SEP) + 50:  # a stray quote swallowed many rows
        joined = _parse(text, delimiter, csv.QUOTE_NONE)
    for space in ("\r\n", "\n", "\r", "\t", "\x0b", "\x0c"):  # whitespace inside cells
        joined = joined.replace(space, " ")
    for separator in (_CELL_SEP, _ROW_SEP):  # spaces around cells
        while " " + separator in joined:
            joined = joined.replace(" " + separator, separator)
        while separator + " " in joined:
            joined = joined.replace(separator + " ", separator)
    rows = joined.strip(" ").split(_ROW_SEP)
    return "\n".join(row for row in rows if row.strip(_CELL_SEP + " ")).replace(_CELL_SEP, "\t")


def _parse(text: str, delimiter: str, quoting: Literal[0, 3]) -> str:
    """Rows joined by the record separator, cells by the unit separator."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting, strict=False)
    return _ROW_SEP.join(map(_CELL_SEP.join, reader))


def _sample(text: str) -> str:
    """The first rows of ``text``, cut at a line end so that no row is truncated."""
    if len(text) <= _SAMPLE:
        return text
    cut = text.rfind("\n", 0, _SAMPLE)
    return text[: cut if cut > 0 else _SAMPLE]


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
