"""The area calamine would allocate for each sheet of an xlsx or xlsb, found before it does;
and the header fields of an xls that make it allocate gigabytes before reading anything.

calamine builds a sheet as one dense array over the bounding box of its cells with values
(``Range::from_sparse``: rows × columns of them), so two cells, at A1 and at XFD1048576, make
it ask for 512 GiB, and a failed allocation in Rust aborts the whole process: no exception,
no ``except``, the scan gone. Real sheets are dense: their box holds about as many cells as
they write. So a sheet whose box is larger than ``MAX_SPARSE_AREA`` and holds fewer than one
cell in ``SPARSE_RATIO`` of it, or whose box is larger than ``MAX_AREA`` whatever it holds, is
refused before calamine reads it.

The positions are computed the way calamine computes them: from a cell's ``r`` attribute
(column letters and row digits, in 32-bit arithmetic that wraps as calamine's does), else the
next column of the current row; for xlsb, from the BrtRowHdr and cell records. Cells without
a value (``<c r="Z9" s="1"/>``, styled but empty) are not counted, as calamine skips them.

An xls is a compound file, whose structure calamine (0.37) trusts for its allocations: the
header's sizes, and chains of sectors followed to their end. What would make it allocate
without bound is refused (``oversized_compound_file``). Not everything: a huge Dimensions
record in the workbook stream, or cells far apart, still make it allocate too much, which only
running it in a worker process (``tracker.workers``) contains.

Speed: a sheet written the way spreadsheet programs write it (each cell tag opening with its
``r``) is measured with regular expressions that start with a literal (``<c r="``), which
the regex engine searches in C: a second or so for 2 million cells, about what calamine
itself takes to read them. A sheet written otherwise is walked cell by cell in Python, which
is exact but some 3 µs a cell.
"""
from __future__ import annotations

import io
import itertools
import re
import zipfile
import zlib

#: A box larger than this many cells is refused when it is sparse (see ``SPARSE_RATIO``).
MAX_SPARSE_AREA = 4_000_000
#: Cells of the box per cell with a value beyond which a large box is sparse.
SPARSE_RATIO = 256
#: A box larger than this many cells is refused whatever it holds (calamine would take over
#: 3 GB for it, before the text is made).
MAX_AREA = 100_000_000

#: Entries of the second allocation calamine sizes from an xls header (4 bytes each): a valid
#: file with no mini stream gives 65,535; 2**24 is 64 MiB.
MAX_XLS_HEADER_ENTRIES = 2**24

_U32 = 0xFFFFFFFF
_SECTOR_SIZES = {9: 512, 12: 4096}
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RESERVED_SECTORS, _DIFAT_SECTOR, _END_OF_CHAIN = 0xFFFFFFFA, 0xFFFFFFFC, 0xFFFFFFFE
#: For the fast pass: the column letters and the row digits of cell references written first
#: in their tags; a cell tag that does not open with its ``r``, or has a namespace prefix; an
#: ``r`` attribute spaced out before its ``=``.
_CELL_LETTERS = re.compile(rb'<c r="([A-Za-z]+)(?=[0-9]+")')
_CELL_DIGITS = re.compile(rb'<c r="[A-Za-z]+([0-9]+)"')
_VALUED = rb'"[^>]*(?<!/)>(?!\s*</c\s*>)'  # the rest of a start tag that has a value after it
_VALUED_LETTERS = re.compile(rb'<c r="([A-Za-z]+)(?=[0-9]+' + _VALUED + rb")")
_VALUED_DIGITS = re.compile(rb'<c r="[A-Za-z]+([0-9]+)(?=' + _VALUED + rb")")
_OTHER_CELL_TAG = re.compile(rb'<c(?![\w.:-])(?! r=")')
_PREFIXED_CELL_TAG = re.compile(rb":c(?![\w.:-])")
_SPACED_R = re.compile(rb"r[\t\n\r ]+=")
#: A cell's start tag and its attributes; an end tag right after it (no value).
_XLSX_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(\s[^>]*)?>")
_EMPTY_CELL_END = re.compile(rb"\s*</(?:[A-Za-z_][\w.-]*:)?c\s*>")
_R_ATTRIBUTE = re.compile(rb"""\sr\s*=\s*["']([^"']*)["']""")
_ROW_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row(\s[^>]*)?>")
_R_NUMBER = re.compile(rb"""\sr\s*=\s*["']([0-9]+)["']""")
_SHEET_DATA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData[\s>]")
_XLSB_CELL_TYPES = frozenset({0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A})
_XLSB_ROW, _XLSB_END_SHEET_DATA = 0x00, 0x92
_XLSB_MAX_ROW = 0x100000  # calamine stops reading a sheet at a row past this


def oversized_sheet(data: bytes, kind: str) -> str | None:
    """Why calamine must not read this xlsx or xlsb (the box of its worst sheet), or None.

    The sheet is not named: member names are the document's own text.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                name = info.filename
                if kind == "xlsx" and name.endswith(".xml"):
                    xml = archive.read(info)
                    box = _xlsx_box(xml) if _SHEET_DATA.search(xml) else None
                elif kind == "xlsb" and name.endswith(".bin") and "worksheets/" in name:
                    box = _xlsb_box(archive.read(info))
                else:
                    continue
                if box is not None and _too_large(*box):
                    area, cells = box
                    return f"a sheet spans {area} cells for {cells} with a value"
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError, zlib.error):
        return None  # calamine reads (and refuses) a damaged zip itself
    return None


def oversized_compound_file(data: bytes) -> str | None:
    """Why calamine must not open this xls (what in its compound-file structure would make it
    allocate without bound), or None. Only numbers are named. Damage calamine refuses by
    itself (a bad signature, a sector past the end) is left to it.

    calamine (0.37) trusts the header for two allocations (the count of FAT sectors; four bytes
    that straddle two other fields, as the size of its DIFAT), and follows the DIFAT chain and
    the directory's sector chain until they end, growing a buffer at every step, so a chain
    that loops grows it until the allocation fails and the process aborts. The streams it reads
    are followed only up to their declared size, which must then fit in the file.
    """
    if len(data) < 512 or not data.startswith(_OLE2):
        return None
    sector = _SECTOR_SIZES.get(int.from_bytes(data[30:32], "little"))
    if sector is None:
        return None
    fat_sectors = int.from_bytes(data[44:48], "little")
    if fat_sectors * sector > len(data) + sector:
        return f"its header claims {fat_sectors} FAT sectors, more than its {len(data)} bytes hold"
    entries = int.from_bytes(data[62:66], "little")  # calamine's DIFAT capacity: these very bytes
    if entries > MAX_XLS_HEADER_ENTRIES:
        return f"its header asks for a table of {entries} entries"
    last = len(data) // sector  # calamine's highest sector id
    difat = _u32s(data[76:512])
    seen: set[int] = set()
    link = int.from_bytes(data[68:72], "little")
    while link < _RESERVED_SECTORS:
        if link in seen:
            return "its DIFAT chain loops"
        seen.add(link)
        if link > last:
            return None  # calamine: sector past the end of the file
        difat.extend(_u32s(_sector(data, sector, link)))
        link = difat.pop() if difat else _END_OF_CHAIN
    fat: list[int] = []
    for index in difat:
        if index < _DIFAT_SECTOR:
            if index > last:
                return None
            fat.extend(_u32s(_sector(data, sector, index)))
    directory = _chain(data, sector, fat, int.from_bytes(data[48:52], "little"), last)
    if directory is None:
        return "its directory chain loops"
    for at in range(0, len(directory) - 127, 128):
        entry = directory[at:at + 128]
        size = int.from_bytes(entry[120:124] if sector == 512 else entry[120:128], "little")
        if (at == 0 or entry[66] == 2) and size > len(data):  # the root (mini stream) and streams
            return f"a stream of it claims {size} bytes, more than its {len(data)} bytes hold"
    return None


def _chain(data: bytes, sector: int, fat: list[int], link: int, last: int) -> bytes | None:
    """The sectors of a chain joined, as calamine reads it to its end; None if it loops."""
    pieces: list[bytes] = []
    seen: set[int] = set()
    while link != _END_OF_CHAIN:
        if link in seen:
            return None
        if link > last or link >= len(fat):
            break  # calamine stops there, with an error
        seen.add(link)
        pieces.append(_sector(data, sector, link))
        link = fat[link]
    return b"".join(pieces)


def _sector(data: bytes, sector: int, index: int) -> bytes:
    """Sector ``index`` of a compound file (the header fills the first sector-sized block)."""
    return data[(index + 1) * sector:(index + 2) * sector]


def _u32s(data: bytes) -> list[int]:
    return [int.from_bytes(data[at:at + 4], "little") for at in range(0, len(data) - 3, 4)]


def _too_large(area: int, cells: int) -> bool:
    return area > MAX_AREA or (area > MAX_SPARSE_AREA and area > SPARSE_RATIO * cells)


def _xlsx_box(xml: bytes) -> tuple[int, int] | None:
    """(area of the box, cells) of one worksheet part, or None if it has no cell.

    The fast pass applies when the part is written the way spreadsheet programs write it:
    every cell tag opens with its ``r`` (``<c r="B7"``) and no other ``r`` attribute is there
    (none repeated in a tag, none spaced out, no prefixed tags), so that the references found
    are exactly calamine's. It first takes every cell, empty ones too (a box at least as large
    as calamine's); only if that box is too large are the cells with a value taken alone. A
    part written otherwise is walked cell by cell (``_xlsx_exact_box``).
    """
    cells = xml.count(b'<c r="')
    plain = (xml.count(b"r=") == cells + xml.count(b'<row r="') and _OTHER_CELL_TAG.search(xml) is None
             and _PREFIXED_CELL_TAG.search(xml) is None and _SPACED_R.search(xml) is None)
    if not plain:
        return _xlsx_exact_box(xml)
    box = _plain_box(_CELL_LETTERS.findall(xml), _CELL_DIGITS.findall(xml))
    if box is None or not _too_large(*box):
        return box
    return _plain_box(_VALUED_LETTERS.findall(xml), _VALUED_DIGITS.findall(xml))


def _plain_box(letters: list[bytes], digits: list[bytes]) -> tuple[int, int] | None:
    """(area, cells) of the cells whose references' letters and digits these are."""
    if not letters or not digits:
        return None
    columns = {_column(text) for text in set(letters)}
    rows = {_wrapped_number(text) for text in set(digits)}
    return (max(rows) - min(rows) + 1) * (max(columns) - min(columns) + 1), len(letters)  # 1-based both


def _xlsx_exact_box(xml: bytes) -> tuple[int, int] | None:
    """(area of the box, cells with a value) of one worksheet part, as calamine places them.

    A cell without ``r`` sits after the previous cell of its row, in a row numbered by its
    ``<row r>`` or after the previous row: for those, the box is widened by the longest row
    and heightened by the number of rows, an upper bound.
    """
    rows: set[int] = set()
    columns: set[int] = set()
    cells = unplaced = 0
    for found in _XLSX_CELL.finditer(xml):
        attributes = found.group(1) or b""
        if attributes.endswith(b"/") or _EMPTY_CELL_END.match(xml, found.end()):
            continue  # no value: calamine skips it
        cells += 1
        # Every r of the tag counts: which of several calamine takes depends on the others.
        positions = [position for reference in _R_ATTRIBUTE.finditer(attributes)
                     if (position := _xlsx_position(reference.group(1))) is not None]
        if not positions:
            unplaced += 1
        for row, column in positions:
            rows.add(row)
            columns.add(column)
    if not cells:
        return None
    if unplaced:
        row_starts = [match.start() for match in _ROW_START.finditer(xml)] + [len(xml)]
        longest = max((xml.count(b"<c", start, end) for start, end in itertools.pairwise(row_starts)),
                      default=cells)
        columns.update({0, max(columns, default=0) + longest})
        for element in _ROW_TAG.finditer(xml):
            number = _R_NUMBER.search(element.group(1) or b"")
            if number is not None:
                rows.add(_wrapped_number(number.group(1)) - 1)
        rows.update({0, max(rows, default=0) + len(row_starts)})
    return (max(rows) - min(rows) + 1) * (max(columns) - min(columns) + 1), cells


def _xlsx_position(reference: bytes) -> tuple[int, int] | None:
    """(row, column), 0-based, of a reference like ``XFD1048576``, as calamine reads it (its
    32-bit arithmetic wraps); None when calamine would refuse it (then it reads no sheet)."""
    letters = reference.rstrip(b"0123456789")
    digits = reference[len(letters):]
    if not digits or not letters.isalpha() or not letters.isascii():
        return None
    column, row = _column(letters), _wrapped_number(digits)
    if row == 0 or column == 0:
        return None
    return row - 1, column - 1


def _column(letters: bytes) -> int:
    """A column's number (A = 1) from its letters, wrapping at 32 bits as calamine's does."""
    column = 0
    for letter in letters.upper():
        column = (column * 26 + letter - 64) & _U32
    return column


def _wrapped_number(digits: bytes) -> int:
    """A row number from its digits, wrapping at 32 bits as calamine's does."""
    if len(digits) < 10:
        return int(digits)
    number = 0
    for digit in digits:
        number = (number * 10 + digit - 48) & _U32
    return number


def _xlsb_box(sheet: bytes) -> tuple[int, int] | None:
    """(area of the box, cells with a value) of one xlsb worksheet's records; None if no cell.

    calamine reads each record into one reused buffer and takes a row or column number from
    its first four bytes, whatever the record's length: a short record leaves bytes of an
    earlier one there, and they count. So does this walk.
    """
    rows: set[int] = set()
    columns: set[int] = set()
    buffer = bytearray()
    row = cells = 0
    at, size = 0, len(sheet)
    while at < size:
        kind = sheet[at]
        at += 1
        if kind & 0x80:
            if at >= size:
                break
            kind = (kind & 0x7F) + ((sheet[at] & 0x7F) << 7)
            at += 1
        length = 0
        for shift in range(4):
            if at >= size:
                return _box(rows, columns, cells)
            byte = sheet[at]
            at += 1
            length += (byte & 0x7F) << (7 * shift)
            if not byte & 0x80:
                break
        if at + length > size:  # calamine fails to read the record, and the sheet
            break
        if len(buffer) < length:
            buffer.extend(bytes(length - len(buffer)))
        buffer[:length] = sheet[at:at + length]
        at += length
        if len(buffer) < 4:
            continue  # calamine panics on the record (and reports the sheet unreadable)
        number = int.from_bytes(buffer[:4], "little")
        if kind == _XLSB_ROW:
            row = number
            if row > _XLSB_MAX_ROW:
                break
        elif kind in _XLSB_CELL_TYPES:
            cells += 1
            rows.add(row)
            columns.add(number)
        elif kind == _XLSB_END_SHEET_DATA:
            break
    return _box(rows, columns, cells)


def _box(rows: set[int], columns: set[int], cells: int) -> tuple[int, int] | None:
    if not cells:
        return None
    return (max(rows) - min(rows) + 1) * (max(columns) - min(columns) + 1), cells
