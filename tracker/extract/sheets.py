"""Spreadsheets (xlsx, xlsb, xls, ods) to one text per sheet, one line per row.

python-calamine reads all of them in Rust, fast and without formulas being evaluated. Cell
values are written the way a person would type them, so that the matcher sees "1990-01-02"
and "12345" rather than "1990-01-02 00:00:00" and "12345.0"; a date column stored as Excel
serial numbers (plain numbers under a "DOB" header) is written as dates too.

calamine (0.37) loops for ever on an OpenDocument spreadsheet whose content.xml ends inside
a table (a truncated download: its table reader never checks for the end of the file), and
a thread stuck in Rust cannot be stopped. Such a file is refused before calamine sees it,
and so is an xlsx or xlsb whose cells span a box that calamine would fail to allocate, which
aborts the process, or an xls whose header makes it allocate gigabytes
(``tracker.extract.sheet_bounds``).
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Sequence

from python_calamine import CalamineWorkbook

from tracker.errors import ExtractionError
from tracker.extract.cells import clean_cell, float_text
from tracker.extract.messages import reason, where
from tracker.extract.sheet_bounds import oversized_compound_file, oversized_sheet
from tracker.extract.tables import excel_dates

#: The start tag of an OpenDocument table (not of a table-row or table-cell), an empty one, and
#: the end tag, spelled as calamine matches them: by their literal prefixed names.
_ODS_TABLE_START = re.compile(rb"<table:table(?=[\s>/])")
_ODS_EMPTY_TABLE = re.compile(rb"<table:table(?:\s[^>]*)?/>")
_ODS_TABLE_END = re.compile(rb"</table:table\s*>")


def sheet_texts(data: bytes, kind: str, name: str = "") -> list[tuple[str, str]]:
    """``[(sheet name, text)]`` for every sheet of a workbook, in workbook order."""
    if (problem := workbook_problem(data, kind)) is not None:
        raise ExtractionError(f"cannot read {kind} workbook{where(name)}: {problem}")
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [(sheet, workbook.get_sheet_by_name(sheet).to_python()) for sheet in workbook.sheet_names]
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine's own errors, others, and Rust panics (a BaseException)
        raise ExtractionError(f"cannot read {kind} workbook{where(name)}: {reason(exc)}") from exc
    return [(sheet, rows_to_text(rows)) for sheet, rows in sheets]


def _ends_inside_a_table(data: bytes) -> bool:
    """Whether an ods's content.xml opens more tables than it closes (calamine would hang on it).

    Every member of that name is checked (a zip may hold several, and readers differ on which
    one they take). A zip that cannot be read is left to calamine, which reports it.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            contents = [archive.read(info) for info in archive.infolist() if info.filename == "content.xml"]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError, zlib.error):
        return False
    return any(len(_ODS_TABLE_START.findall(xml)) - len(_ODS_EMPTY_TABLE.findall(xml))
               > len(_ODS_TABLE_END.findall(xml)) for xml in contents)


def workbook_problem(data: bytes, kind: str) -> str | None:
    """Why calamine must not be given this workbook, or None: it loops forever on an ods that
    ends inside a table and aborts the whole process on a sheet whose cells span more than it
    can allocate. Every reader of workbooks (scans, ``leak add``) asks this first."""
    if kind == "ods" and _ends_inside_a_table(data):
        return "its content ends inside a table (truncated?)"
    if kind in ("xlsx", "xlsb") and (oversized := oversized_sheet(data, kind)) is not None:
        return f"{oversized}, too sparse or too large to read"
    if kind == "xls" and (oversized := oversized_compound_file(data)) is not None:
        return f"{oversized}, a damaged file"
    return None


def rows_to_text(rows: Sequence[Sequence[object]]) -> str:
    """One line per row that has any value, cells joined by tabs; Excel serial numbers under a
    header that names a date column are written as dates (``tables.excel_dates``)."""
    table = []
    for row in rows:
        cells = [cell_text(value) for value in row]
        if any(cells):
            table.append(cells)
    excel_dates(table)
    return "\n".join("\t".join(cells) for cells in table)


def cell_text(value: object) -> str:
    """A cell as text: ISO dates, integral floats without ``.0``, empty cells as ``""``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return clean_cell(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)

