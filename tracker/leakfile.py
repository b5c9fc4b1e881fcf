"""Reading a leaked file into rows of cell strings and a role for every column.

A leak arrives as whatever the leaker had: a CSV in cp1252 with semicolons, a workbook
with a title above the header and one sheet per facility, a JSON dump.  This module turns
any of them into one :class:`LeakTable` the fingerprinting code can index, and says what
it decided (format, encoding, header row, column roles) without ever repeating a cell
value - the decisions are printed and logged.

Record numbering (what ``record_ids`` hold, and what hits report):

* ids are 1-based and count data rows only: title rows, the header row and fully blank
  rows are not records and do not consume an id;
* in a workbook, ids run on across the sheets that are read, in workbook order (sheet 1
  gets 1..n1, sheet 2 gets n1+1..); sheets that are skipped consume no ids;
* in a JSON list, the objects that have at least one non-empty value are numbered.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import sys
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

import charset_normalizer
import python_calamine

from fingerprints.columns import (
    DATE_ROLES,
    IDENTIFYING_ROLES,
    detect_roles,
    find_header_row,
    header_role,
    serial_date_values,
)
from fingerprints.errors import ColumnError
from fingerprints.normalize import excel_serial_date
from fingerprints.roles import Column, Role
from tracker.errors import UsageError
from tracker.extract.cells import float_text
from tracker.extract.jsondoc import gc_paused
from tracker.extract.sheets import cell_text, workbook_problem  # one rule for workbook cells everywhere

__all__ = ["SheetInfo", "LeakTable", "read_leak_table"]

_SCAN_ROWS = 30  # rows searched for the header
#: Most columns a leak table may have. Real leaks have tens; role detection costs time per
#: column, so a hostile 100,000-column file would take minutes to be refused for having no
#: identifying column. Counted up to a row's last non-empty cell.
MAX_COLUMNS = 1000
_WORKBOOKS = ("xlsx", "xls", "ods")
_DELIMITERS = ",;\t|"


@dataclass
class SheetInfo:
    """Where one sheet's records sit in the table (non-workbook files have one sheet "")."""

    name: str
    first_record_id: int
    count: int
    header_row: int  # 0-based row index of the header in the sheet


@dataclass
class LeakTable:
    """A leak file read into memory: cells, column roles and what was decided."""

    columns: list[Column]  # union of the sheets' columns, by header text
    rows: list[list[str]]  # one per record, aligned to ``columns`` ("" when absent)
    record_ids: list[int]  # 1-based, see the module docstring
    sheets: list[SheetInfo]
    decisions: list[str] = field(default_factory=list)  # human lines, never cell values
    file_format: str = "csv"  # "csv" | "tsv" | "xlsx" | "xls" | "ods" | "json"


@dataclass
class _Sheet:
    """One sheet (or the whole CSV/JSON) after its header was found."""

    name: str
    header_row: int
    header: list[str]
    rows: list[list[str]]
    roles: list[Role] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------
def read_leak_table(
    path: Path, columns: dict[str, Role] | None = None, sheet: str | None = None
) -> LeakTable:
    """Read a leak file (CSV/TSV, XLSX/XLS/ODS, JSON) and decide each column's role.

    ``columns`` maps header text to a role and wins over detection (a header it names
    must exist).  ``sheet`` restricts a workbook to one sheet.  Every problem the user can
    fix raises :class:`tracker.errors.UsageError` with a message saying what to do.
    """
    # Millions of small lists and no cycles: the cyclic GC would only rescan them over and
    # over (it more than doubles the time of a 1M-row read), so it pauses while we build.
    with gc_paused():
        return _read(Path(path), columns, sheet)


def _read(path: Path, columns: dict[str, Role] | None, sheet: str | None) -> LeakTable:
    data = _read_bytes(path)
    fmt = _detect_format(path, data)
    decisions: list[str] = []
    if fmt in _WORKBOOKS:
        sheets = _read_workbook(path, data, fmt, sheet, decisions)
    else:
        if sheet is not None:
            raise UsageError(f"{path.name} is a {fmt.upper()} file; a sheet can only be chosen in a workbook")
        encoding, errors = _encoding(data, path)
        shown = encoding if errors == "strict" else f"{encoding} (undecodable bytes replaced)"
        if fmt == "json":
            decisions.append(f"format: json, encoding {shown}")
            sheets = [_json_sheet(data.decode(encoding, errors), path)]
        else:
            text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors=errors, newline="")
            sample = codecs.getincrementaldecoder(encoding)(errors="ignore").decode(data[:65536])
            delimiter = _sniff_delimiter(sample, "\t" if fmt == "tsv" else ",", len(data) > 65536)
            decisions.append(f"format: {fmt}, encoding {shown}, delimiter {_SHOWN[delimiter]}")
            sheets = [_text_sheet(text, delimiter, path)]
    overrides = _resolve_overrides(columns or {}, sheets, path)
    kept = _choose_sheets(sheets, overrides, path, sheet is not None, decisions)
    return _assemble(kept, fmt, decisions)


# --------------------------------------------------------------------------------------
# Bytes, format and text
# --------------------------------------------------------------------------------------
_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document (export the table to CSV or XLSX first)",
    b"\x1f\x8b": "a gzip archive (unpack it first)",
    b"7z\xbc\xaf": "a 7-Zip archive (unpack it first)",
    b"Rar!": "a RAR archive (unpack it first)",
}


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise UsageError(f"leak file not found: {path}")
    if not path.is_file():
        raise UsageError(f"not a file: {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read leak file {path}: {exc.strerror or exc}") from None
    if not data.strip():
        raise UsageError(f"leak file is empty: {path}")
    return data


def _detect_format(path: Path, data: bytes) -> str:
    """Format from the content first (a renamed file still reads), then the extension."""
    suffix = path.suffix.lower().lstrip(".")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise UsageError(f"{path.name} is {what}, not a table; expected CSV, TSV, XLSX, XLS, ODS or JSON")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if data.startswith(b"PK\x03\x04"):
        return _zip_format(path, data)
    if suffix == "json" or (suffix not in ("csv", "tsv", "tab", "txt") and data.lstrip()[:1] in (b"[", b"{")):
        return "json"
    if suffix in ("tsv", "tab"):
        return "tsv"
    if suffix in ("xlsx", "xlsm", "xls", "ods"):
        raise UsageError(f"{path.name} is not a valid {suffix.upper()} workbook (its content is not a spreadsheet)")
    return "csv"


def _zip_format(path: Path, data: bytes) -> str:
    if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in data[:200]:
        return "ods"
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError):
        raise UsageError(f"{path.name} is a damaged ZIP/XLSX file and cannot be read") from None
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    raise UsageError(
        f"{path.name} is a ZIP archive, not a spreadsheet; unpack it and give the table file"
    )


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
#: charset-normalizer often names a sibling Latin code page for Western text; cp1252 is
#: by far the most common of them in real exports, so it wins whenever it decodes cleanly.
_LATIN_FAMILY = frozenset(
    """cp1250 cp1252 cp1254 cp1257 latin_1 iso8859_1 iso8859_2 iso8859_3 iso8859_4 iso8859_9
    iso8859_10 iso8859_13 iso8859_14 iso8859_15 iso8859_16 mac_roman mac_latin2 mac_iceland
    mac_turkish cp850 cp437 cp858""".split()
)


def _encoding(data: bytes, path: Path) -> tuple[str, str]:
    """Encoding and error mode: BOM, then UTF-8, then charset-normalizer (cp1252 preferred)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                raise UsageError(f"{path.name} starts with a {encoding} mark but is not valid {encoding}") from None
            return encoding, "strict"
    if b"\x00" in data[:8192]:
        raise UsageError(f"{path.name} is binary, not a text table; expected CSV, TSV, XLSX, XLS, ODS or JSON")
    try:
        data.decode("utf-8")
        return "utf-8", "strict"
    except UnicodeDecodeError as exc:
        bad = exc.start
    sample = data[:65536] + b"\n" + data[max(0, bad - 4096) : bad + 65536]
    best = charset_normalizer.from_bytes(sample).best()
    guesses = ["cp1252"] if best is None or best.encoding in _LATIN_FAMILY else [best.encoding, "cp1252"]
    for guess in guesses:
        try:
            data.decode(guess)
            return guess, "strict"
        except (UnicodeDecodeError, LookupError):
            continue
    return "cp1252", "replace"


# --------------------------------------------------------------------------------------
# CSV / TSV
# --------------------------------------------------------------------------------------
_SHOWN = {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}


def _sniff_delimiter(sample: str, preferred: str, truncated: bool) -> str:
    """csv.Sniffer's choice when the rows agree with it, else the most consistent split."""
    if truncated and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]

    def consistency(delim: str) -> tuple[float, int]:
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delim) if any(r)]
        except csv.Error:
            return (0.0, 0)
        if not counts:
            return (0.0, 0)
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            return (0.0, mode)
        return (counts.count(mode) / len(counts), mode)

    scores = {d: consistency(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: (scores[d], d == preferred))
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed in scores and scores[sniffed][1] >= 2 and scores[sniffed][0] >= scores[best][0] - 0.05:
        return sniffed
    if scores[best][1] < 2 and preferred:
        return preferred
    return best


def _text_sheet(text: io.TextIOWrapper, delimiter: str, path: Path) -> _Sheet:
    reader = csv.reader(text, delimiter=delimiter, strict=False)
    try:
        return _sheet_from_rows("", reader, path)
    except _EmptySheet:
        raise UsageError(f"{path.name} has no data: every row is blank") from None
    except csv.Error as exc:
        raise UsageError(f"{path.name} is not a readable CSV (line {reader.line_num}): {exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path.name} is not valid {exc.encoding} text: {exc.reason}") from None


# --------------------------------------------------------------------------------------
# Workbooks
# --------------------------------------------------------------------------------------
def _read_workbook(
    path: Path, data: bytes, fmt: str, wanted: str | None, decisions: list[str]
) -> list[_Sheet]:
    if (problem := workbook_problem(data, fmt)) is not None:
        raise UsageError(f"{path.name} is not a readable {fmt.upper()} workbook: {problem}")
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = [m for m in book.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet]
    except python_calamine.PasswordError:
        raise UsageError(f"{path.name} is password-protected; save an unprotected copy first") from None
    except (python_calamine.CalamineError, ValueError, OSError) as exc:
        raise UsageError(f"{path.name} is not a readable {fmt.upper()} workbook: {exc}") from None
    names = [m.name for m in metas]
    if wanted is not None:
        if wanted not in names:
            raise UsageError(f"no sheet {wanted!r} in {path.name}; sheets: {', '.join(map(repr, names))}")
        names = [wanted]
    decisions.append(f"format: {fmt}, {len(names)} sheet(s) to look at")
    sheets: list[_Sheet] = []
    for name in names:
        try:
            raw = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except python_calamine.CalamineError as exc:
            raise UsageError(f"sheet {name!r} of {path.name} cannot be read: {exc}") from None
        rows = ([cell_text(v) for v in r] for r in raw)
        try:
            sheets.append(_sheet_from_rows(name, rows, path))
        except _EmptySheet:
            if wanted is not None:
                raise UsageError(f"sheet {name!r} of {path.name} is empty") from None
            decisions.append(f"sheet {name!r} skipped: empty")
        except UsageError as exc:
            if wanted is not None:
                raise
            decisions.append(f"sheet {name!r} skipped: {exc}")
    if not sheets:
        raise UsageError(f"{path.name} has no sheet with a table (a header row above data rows)")
    return sheets


# --------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------
def _json_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _json_records(doc: object, path: Path) -> list[object]:
    if isinstance(doc, dict):
        lists = [v for v in doc.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        if len(lists) != 1:
            raise UsageError(
                f"{path.name}: expected a JSON list of objects, or an object holding exactly one such list "
                f"(found {len(lists)})"
            )
        return lists[0]
    if isinstance(doc, list):
        return doc
    raise UsageError(f"{path.name}: expected a JSON list of objects, found a {type(doc).__name__}")


def _json_sheet(text: str, path: Path) -> _Sheet:
    try:
        return _json_table(text, path)
    except RecursionError:
        # json.loads (and json.dumps of a nested cell) recurse once per level: 100,000 "["
        # exhaust the stack. A leak is a list of flat objects; nesting that deep is not one.
        raise UsageError(f"{path.name}: JSON nested too deeply to be a table (expected a list of objects)") from None


def _json_table(text: str, path: Path) -> _Sheet:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    records = _json_records(doc, path)
    keys: dict[str, None] = {}
    for i, item in enumerate(records, 1):
        if not isinstance(item, dict):
            raise UsageError(f"{path.name}: item {i} of the list is a {type(item).__name__}, not an object")
        keys.update(dict.fromkeys(item))
        if len(keys) > MAX_COLUMNS:
            raise _too_many_columns(None, "", path)
    header = list(keys)
    rows = ([_json_text(item.get(k)) for k in header] for item in records)  # type: ignore[union-attr]
    sheet = _Sheet("", 0, _clean_header(header), [r for r in rows if any(r)])
    if not sheet.rows:
        raise UsageError(f"{path.name} holds no records")
    return sheet


# --------------------------------------------------------------------------------------
# Header, rows and roles
# --------------------------------------------------------------------------------------
class _EmptySheet(UsageError):
    """Every cell of the sheet (or file) is blank."""

    def __init__(self) -> None:
        super().__init__("no cells: every row is blank")


def _clean_header(cells: Sequence[str]) -> list[str]:
    """Header names: stripped, "column N" for blanks, " (2)" suffix for repeats."""
    seen: dict[str, int] = {}
    header: list[str] = []
    for j, cell in enumerate(cells):
        name = " ".join(str(cell).split()) or f"column {j + 1}"
        key = name.casefold()
        seen[key] = seen.get(key, 0) + 1
        header.append(name if seen[key] == 1 else f"{name} ({seen[key]})")
    return header


def _sheet_from_rows(name: str, rows: Iterable[list[str]], path: Path) -> _Sheet:
    """Find the header among the first rows, then keep every non-blank row below it."""
    it: Iterator[list[str]] = iter(rows)
    blank = 0  # leading blank rows, so that header_row stays the row's index in the sheet
    for first in it:
        if any(c.strip() for c in first):
            break
        blank += 1
    else:
        raise _EmptySheet
    head = [first, *islice(it, _SCAN_ROWS - 1)]
    for row in head:
        _check_width(row, name, path)
    try:
        at = find_header_row(head, max_scan=_SCAN_ROWS)
    except ColumnError as exc:
        raise UsageError(f"{exc}; check that {path.name} is a table with a header row") from None
    header = [c.strip() for c in head[at]]
    while header and not header[-1]:
        header.pop()
    data: list[list[str]] = []
    for row in chain(head[at + 1 :], it):
        if len(row) > MAX_COLUMNS:
            _check_width(row, name, path)
        # Interned: countries, places, statuses, first names and dates repeat across rows, and a
        # million-row leak must fit in memory next to its index.
        cells = list(map(sys.intern, map(str.strip, row)))
        if any(cells):
            data.append(cells)
    if not data:
        where = f"sheet {name!r} of {path.name}" if name else path.name
        raise UsageError(f"{where} has a header row but no data rows below it")
    width = len(header)
    for cells in data:
        if len(cells) > width:
            k = len(cells)
            while k > width and not cells[k - 1]:
                k -= 1
            width = k
    for cells in data:
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        elif len(cells) > width:
            del cells[width:]
    header.extend([""] * (width - len(header)))
    return _Sheet(name, blank + at, _clean_header(header), data)


def _too_many_columns(n: int | None, name: str, path: Path) -> UsageError:
    """``n`` is the count when known (a row's width), None when counting stopped (JSON keys)."""
    where = f"sheet {name!r} of {path.name}" if name else path.name
    count = f"{n:,}" if n is not None else f"more than {MAX_COLUMNS:,}"
    return UsageError(f"{where} has {count} columns; a leak table may have at most {MAX_COLUMNS:,} "
                      "(check the delimiter, or export only the columns that hold the records)")


def _check_width(row: Sequence[str], name: str, path: Path) -> None:
    """Refuse a row wider than ``MAX_COLUMNS`` (trailing blank cells do not count)."""
    if len(row) <= MAX_COLUMNS:
        return
    width = len(row)
    while width > MAX_COLUMNS and not str(row[width - 1]).strip():
        width -= 1
    if width > MAX_COLUMNS:
        raise _too_many_columns(width, name, path)


def _resolve_overrides(
    overrides: dict[str, Role], sheets: list[_Sheet], path: Path
) -> dict[str, Role]:
    """Overrides keyed by each sheet's exact header text; unknown headers are an error."""
    by_key: dict[str, str] = {}
    for s in sheets:
        for h in s.header:
            by_key.setdefault(_key(h), h)
    resolved: dict[str, Role] = {}
    for header, role in overrides.items():
        if _key(header) not in by_key:  # every exact header text is also found by its key
            known = ", ".join(repr(h) for h in by_key.values())
            raise UsageError(f"--columns names {header!r}, which is not a header of {path.name}; headers: {known}")
        resolved[_key(header)] = role
    return resolved


def _key(header: str) -> str:
    return " ".join(header.casefold().split())


def _choose_sheets(
    sheets: list[_Sheet], overrides: dict[str, Role], path: Path, chosen: bool, decisions: list[str]
) -> list[_Sheet]:
    """Decide roles per sheet; keep the sheets that have a name, dob or id column.

    With several sheets, one without such a column (a summary, a legend) is skipped and
    said so; when no sheet qualifies - or the only/chosen one does not - it is an error.
    """
    kept: list[_Sheet] = []
    for s in sheets:
        _decide_roles(s, overrides)
        _serial_dates(s, decisions)
        if not any(header_role(h) for h in s.header):
            where = f"sheet {s.name!r}: " if s.name else ""
            decisions.append(
                f"{where}warning: no header text was recognised; if the file has no header row, "
                "its first row was taken for one - add a header line"
            )
        if any(r in IDENTIFYING_ROLES for r in s.roles):
            kept.append(s)
        else:
            decisions.append(f"sheet {s.name!r} skipped: no name, date of birth or ID column")
    if kept:
        return kept
    s = sheets[0]
    seen = ", ".join(f"{h!r} ({r.value})" for h, r in zip(s.header, s.roles))
    where = f"sheet {s.name!r} of {path.name}" if s.name else path.name
    raise UsageError(
        f"no identifying column (name, date of birth or ID) found in {where}; columns: {seen}. "
        'Say which column holds what with --columns "HEADER=ROLE,...", e.g. "Nombre=full_name,Nacido=dob" '
        f"(roles: {', '.join(r.value for r in Role)})"
    )


def _decide_roles(sheet: _Sheet, overrides: dict[str, Role]) -> None:
    detected = detect_roles(sheet.header, sheet.rows)
    sheet.roles = [role for role, _ in detected]
    sheet.reasons = [why for _, why in detected]
    for j, h in enumerate(sheet.header):
        role = overrides.get(_key(h))
        if role is not None:
            sheet.reasons[j] = f"set by --columns (detected {sheet.roles[j].value}: {sheet.reasons[j]})"
            sheet.roles[j] = role


def _serial_dates(sheet: _Sheet, decisions: list[str]) -> None:
    """Date columns (by header or --columns) whose cells are Excel serial numbers ("33975", an
    XLSX number without a date format) get those cells as ISO dates, so that they are
    fingerprinted as the dates they are. A column of five-digit numbers is only read so under a
    date header: without one it may as well be postal codes."""
    sample = sheet.rows if len(sheet.rows) <= 2000 else sheet.rows[:: len(sheet.rows) // 2000]
    where = f"sheet {sheet.name!r}: " if sheet.name else ""
    for j, role in enumerate(sheet.roles):
        if role not in DATE_ROLES or not serial_date_values([r[j] for r in sample]):
            continue
        count = 0
        for cells in sheet.rows:
            d = excel_serial_date(cells[j])
            if d is not None:
                cells[j] = d.isoformat()
                count += 1
        decisions.append(f"{where}column {sheet.header[j]!r}: {count} value(s) read as Excel serial dates "
                         "(1900 date system)")


def _assemble(sheets: list[_Sheet], fmt: str, decisions: list[str]) -> LeakTable:
    """Union the sheets' columns by header text and number the records."""
    columns: list[Column] = []
    slot: dict[str, int] = {}
    dob_slot: int | None = None
    mappings: list[list[int]] = []
    for s in sheets:
        mapping: list[int] = []
        for h, role, why in zip(s.header, s.roles, s.reasons):
            k = _key(h)
            if k not in slot and role is Role.DOB and dob_slot is not None:
                slot[k] = dob_slot  # one dob column in the union; no sheet has two
                decisions.append(f"sheet {s.name!r}: column {h!r} (dob) merged into {columns[dob_slot].name!r}")
            if k not in slot:
                slot[k] = len(columns)
                columns.append(Column(h, role))
                if role is Role.DOB:
                    dob_slot = slot[k]
                decisions.append(f"column {h!r} -> {role.value}: {why}")
            elif columns[slot[k]].role is not role:
                decisions.append(
                    f"sheet {s.name!r}: column {h!r} looked like {role.value}; "
                    f"kept {columns[slot[k]].role.value} from the first sheet"
                )
            mapping.append(slot[k])
        mappings.append(mapping)
    rows: list[list[str]] = []
    infos: list[SheetInfo] = []
    width = len(columns)
    for s, mapping in zip(sheets, mappings):
        first = len(rows) + 1
        if mapping == list(range(width)):
            rows.extend(s.rows)
        else:
            for cells in s.rows:
                out = [""] * width
                for j, v in zip(mapping, cells):
                    out[j] = v
                rows.append(out)
        infos.append(SheetInfo(s.name, first, len(s.rows), s.header_row))
        ids = f"{len(s.rows)} record(s), ids {first}-{first + len(s.rows) - 1}"
        if fmt == "json":
            decisions.append(f"{len(columns)} key(s) over the objects; {ids}")
            continue
        where = f"sheet {s.name!r}: " if fmt in _WORKBOOKS else ""
        skipped = f" ({s.header_row} row(s) above it skipped)" if s.header_row else ""
        decisions.append(f"{where}header on row {s.header_row + 1}{skipped}; {ids}")
    return LeakTable(columns, rows, list(range(1, len(rows) + 1)), infos, decisions, fmt)
