"""Marked-up text to lines: the last step shared by the HTML and word-processor readers.

Readers of structured documents emit the text with marker characters where the structure
is: a line ends, a table row opens or closes, a cell starts. Control characters serve as
markers: parsers keep them as given, and unlike private-use characters they keep a Latin-1
page a 1-byte-per-character string, which halves the work on it. ``finish`` then folds the
markup's insignificant whitespace and turns the markers into newlines and tabs, with whole-
string operations only.
"""
from __future__ import annotations

import re

LINE, CELL, ROW_OPEN, ROW_CLOSE, PRE_SPACE = "\x01", "\x02", "\x03", "\x04", "\x05"
ALL_MARKERS = (LINE, CELL, ROW_OPEN, ROW_CLOSE, PRE_SPACE)
ANY_MARKER = re.compile("[\x01-\x05]")
_SPACE_RUN = re.compile("  +")
#: A table row (with no row nested inside) that holds a line break: the break becomes a space,
#: so that a paragraph or line break inside a cell does not split the row.
_ROW_WITH_BREAK = re.compile("\x03[^\x03\x04\x01]*\x01[^\x03\x04]*\x04")


def finish(text: str) -> str:
    """Marked text to lines: fold whitespace, apply the markers, drop empty lines.

    ``PRE_SPACE`` is a space that survives folding (preformatted text).
    """
    text = fold_spaces(text.replace("\n", " ").replace("\t", " ").replace("\r", " ")
                       .replace("\f", " ").replace("\xa0", " "))
    if ROW_OPEN in text:
        if LINE in text:
            text = fold_spaces(_ROW_WITH_BREAK.sub(lambda row: row.group().replace(LINE, " "), text))
        # the first cell of a row starts its line: no tab before it (one tab: an empty first
        # cell keeps the tab after it)
        text = text.replace(ROW_OPEN + " ", ROW_OPEN).replace(ROW_OPEN + CELL, ROW_OPEN)
        text = text.replace(ROW_OPEN, LINE).replace(ROW_CLOSE, LINE)
    if CELL in text:
        text = text.replace(" " + CELL, CELL).replace(CELL + " ", CELL).replace(CELL, "\t")
    lines = "\n".join(kept for line in text.split(LINE)
                      if (kept := line.strip(" ")).strip("\t" + PRE_SPACE))
    return lines.replace(PRE_SPACE, " ") if PRE_SPACE in lines else lines


def fold_spaces(text: str) -> str:
    """Runs of spaces to one space (one regex pass: its literal two-space prefix is searched
    in C, and it beats repeated ``replace`` by far on indented pages)."""
    return _SPACE_RUN.sub(" ", text)
