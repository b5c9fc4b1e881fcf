"""Spreadsheets (xlsx, xlsb, xls, ods) to one text per sheet, one line per row.

python-calamine reads all of them in Rust, fast and without formulas being evaluated. Cell
values are written the way a person would type them, so that the matcher sees "1990-01-02"
and "12345" rather than "1990-01-02 00:00:00" and "12345.0"; a date column stored as Excel
serial numbers (plain numbers under a "DOB" header) is written as dates too.
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from python_calamine import CalamineWorkbook

from tracker.errors import ExtractionError
from tracker.extract.cells import clean_cell, float_text
from tracker.extract.messages import reason, where
from tracker.extract.tables import excel_dates


def sheet_texts(data: bytes, kind: str, name: str = "") -> list[tuple[str, str]]:
    """``[(sheet name, text)]`` for every sheet of a workbook, in workbook order."""
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [(sheet, workbook.get_sheet_by_name(sheet).to_python()) for sheet in workbook.sheet_names]
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine's own errors, others, and Rust panics (a BaseException)
        raise ExtractionError(f"cannot read {kind} workbook{where(name)}: {reason(exc)}") from exc
    return [(sheet, rows_to_text(rows)) for sheet, rows in sheets]


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

