"""A small valid document of every kind the extractor reads, made of the rows it is given.

One writer per kind (``WRITERS``; the extension picks a variant: ``tsv``, ``jsonl``, ``rss``,
``mbox``, ``tgz`` ...). Shared by the tests that walk every extension (``test_extract_formats``)
and by the fuzz targets, which mutate these documents (``test_extract_fuzz``). A kind that
nothing installed here can write is in ``CANNOT_WRITE`` with the reason.

Nothing installed writes the legacy Excel format or Excel binary workbooks (no xlwt;
openpyxl and calamine only read them), so ``_xls`` and ``_xlsb`` build the smallest files
calamine reads, record by record: a BIFF8 workbook stream in a one-stream compound file
([MS-XLS], [MS-CFB]), and the BIFF12 parts of an xlsb zip ([MS-XLSB]), strings inline.
"""
from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import struct
import tarfile
from collections.abc import Callable
from xml.sax.saxutils import escape

import openpyxl
from fpdf import FPDF

from extract_support import docx_bytes, mail, ods_bytes, odt_bytes, w_table, zip_bytes

#: Kinds no writer here can make, and why (every kind has one now; the tests still honour it).
CANNOT_WRITE: dict[str, str] = {}

Rows = list[list[str]]


def _delimited(rows: Rows, ext: str) -> bytes:
    delimiter = {"tsv": "\t", "tab": "\t", "psv": "|"}.get(ext, ",")
    return "".join(delimiter.join(row) + "\r\n" for row in rows).encode()


def _csv(rows: Rows) -> bytes:
    return _delimited(rows, "csv")


def _html(rows: Rows, ext: str) -> bytes:
    cells = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    doctype = '<?xml version="1.0"?>\n<!DOCTYPE html>\n' if ext == "xhtml" else "<!DOCTYPE html>\n"
    return f'{doctype}<html><body><h1>list</h1><table>{cells}</table></body></html>'.encode()


def _json(rows: Rows, ext: str) -> bytes:
    records = [dict(zip(rows[0], row)) for row in rows[1:]]
    if ext in ("jsonl", "ndjson"):
        return "".join(json.dumps(record) + "\n" for record in records).encode()
    if ext == "geojson":
        return json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": None, "properties": record} for record in records]}).encode()
    return json.dumps(records).encode()


def _xml(rows: Rows, ext: str) -> bytes:
    def fields(row: list[str]) -> str:
        return "".join(f"<f{i}>{escape(cell)}</f{i}>" for i, cell in enumerate(row))

    if ext == "rss":
        items = "".join(f"<item><title>{escape(' '.join(row[:2]))}</title><description>"
                        f"{escape(' '.join(row[2:]))}</description></item>" for row in rows[1:])
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>list</title>{items}</channel></rss>'.encode()
    if ext == "atom":
        entries = "".join(f"<entry><title>{escape(' '.join(row[:2]))}</title><summary>"
                          f"{escape(' '.join(row[2:]))}</summary></entry>" for row in rows[1:])
        return f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'.encode()
    return ('<?xml version="1.0" encoding="UTF-8"?><people>'
            + "".join(f"<person>{fields(row)}</person>" for row in rows[1:]) + "</people>").encode()


def _message(rows: Rows, ext: str) -> bytes:
    if ext in ("mht", "mhtml"):
        page = _html(rows, "html").decode()
        return ("From: <Saved by Blink>\nSnapshot-Content-Location: https://example.org/list\nSubject: list\n"
                "MIME-Version: 1.0\nContent-Type: multipart/related; type=\"text/html\"; boundary=\"--B\"\n\n"
                "----B\nContent-Type: text/html\nContent-Location: https://example.org/list\n\n"
                f"{page}\n----B--\n").encode()
    message = mail(attachments=[("export.csv", _csv(rows), "text/csv")]).as_bytes()
    if ext == "emlx":
        return f"{len(message)}\n".encode() + message + b'<?xml version="1.0"?>\n<plist version="1.0"><dict/></plist>\n'
    if ext in ("mbox", "mbx"):
        return (b"From sender@example.org Mon Feb  5 10:00:00 2024\n" + mail(body="first\n").as_bytes()
                + b"\nFrom sender@example.org Mon Feb  5 10:01:00 2024\n" + message + b"\n")
    return message


def _xlsx(rows: Rows, ext: str) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _ods(rows: Rows, ext: str) -> bytes:
    return ods_bytes({"People": [list(row) for row in rows]})


def _docx(rows: Rows, ext: str) -> bytes:
    return docx_bytes(w_table(rows))


def _odt(rows: Rows, ext: str) -> bytes:
    cells = "".join("<table:table-row>" + "".join(f"<table:table-cell><text:p>{escape(cell)}</text:p>"
                                                  "</table:table-cell>" for cell in row) + "</table:table-row>"
                    for row in rows)
    return odt_bytes(f'<text:p>list</text:p><table:table table:name="T">{cells}</table:table>')


def _pdf(rows: Rows, ext: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=9)
    for row in rows:
        pdf.cell(text="   ".join(row), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for path, content in members.items():
            info = tarfile.TarInfo(path)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _archive(rows: Rows, ext: str) -> bytes:
    members = {"list/people.csv": _csv(rows)}
    packed: dict[str, Callable[[], bytes]] = {
        "zip": lambda: zip_bytes(members),
        "tar": lambda: _tar(members),
        "tgz": lambda: _tar(members, "w:gz"), "tbz": lambda: _tar(members, "w:bz2"),
        "tbz2": lambda: _tar(members, "w:bz2"), "txz": lambda: _tar(members, "w:xz"),
        "gz": lambda: gzip.compress(_csv(rows)), "gzip": lambda: gzip.compress(_csv(rows)),
        "bz2": lambda: bz2.compress(_csv(rows)), "xz": lambda: lzma.compress(_csv(rows)),
    }
    return packed[ext]()


# --- legacy and binary Excel, record by record ----------------------------------------------

def _biff(typ: int, body: bytes) -> bytes:
    """One BIFF8 record: type, size, body."""
    return struct.pack("<HH", typ, len(body)) + body


def _xl_unicode(text: str, count_size: int) -> bytes:
    """An XLUnicodeString (2-byte count) or ShortXLUnicodeString (1-byte count), as UTF-16."""
    return struct.pack("<H" if count_size == 2 else "<B", len(text)) + b"\x01" + text.encode("utf-16-le")


def _cfb(stream_name: str, stream: bytes) -> bytes:
    """A compound file (version 3, 512-byte sectors) of one stream, padded to 4096 bytes so that
    it lives in regular sectors (no mini stream): header, FAT, directory, then the stream."""
    sector = 512
    stream = stream.ljust(max(len(stream), 4096), b"\x00")
    stream += b"\x00" * (-len(stream) % sector)
    count = len(stream) // sector
    end, free, fat_sector, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    fat = [fat_sector, end] + [3 + i for i in range(count - 1)] + [end]
    fat += [free] * (sector // 4 - len(fat))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 0x1000, end, 0, end, 0)
              + struct.pack("<109I", 0, *([free] * 108)))

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        return (encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), kind, 1)
                + struct.pack("<III", none, none, child) + b"\x00" * 20 + b"\x00" * 16
                + struct.pack("<IQ", start, size))

    directory = (entry("Root Entry", 5, 1, end, 0) + entry(stream_name, 2, none, 2, len(stream))
                 + entry("", 0, none, 0, 0) * 2)
    return header + struct.pack(f"<{sector // 4}I", *fat) + directory + stream


def _xls(rows: Rows, ext: str) -> bytes:
    """An Excel 97-2003 workbook: globals (BOF, UTF-16 code page, one BoundSheet8, EOF), then the
    sheet (BOF, Dimensions, a Label record per cell, EOF)."""
    def book(sheet_at: int) -> bytes:
        return (_biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))
                + _biff(0x0042, struct.pack("<H", 1200))
                + _biff(0x0085, struct.pack("<IBB", sheet_at, 0, 0) + _xl_unicode("People", 1))
                + _biff(0x000A, b""))

    columns = max(len(row) for row in rows)
    sheet = (_biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0))
             + _biff(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, columns, 0))
             + b"".join(_biff(0x0204, struct.pack("<HHH", r, c, 0) + _xl_unicode(cell, 2))
                        for r, row in enumerate(rows) for c, cell in enumerate(row))
             + _biff(0x000A, b""))
    globals_size = len(book(0))
    return _cfb("Workbook", book(globals_size) + sheet)


def _brt(typ: int, body: bytes = b"") -> bytes:
    """One BIFF12 record: its type and size as 7-bit varints, then its body."""
    kind = bytes([typ]) if typ < 0x80 else bytes([(typ & 0x7F) | 0x80, typ >> 7])
    size, encoded = len(body), bytearray()
    while True:
        encoded.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            break
    return kind + bytes(encoded) + body


def _wide(text: str) -> bytes:
    """An XLWideString: a 4-byte count of UTF-16 units, then the units."""
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def _xlsb(rows: Rows, ext: str) -> bytes:
    """An Excel binary workbook: workbook.bin (one BrtBundleSh), its relationships, and one sheet
    of BrtRowHdr and inline-string BrtCellSt records."""
    workbook = (_brt(0x0083) + _brt(0x008F)
                + _brt(0x009C, struct.pack("<II", 0, 1) + _wide("rId1") + _wide("People"))
                + _brt(0x0090) + _brt(0x009D, b"\x00" * 4) + _brt(0x0084))
    columns = max(len(row) for row in rows)
    sheet = (_brt(0x0081) + _brt(0x0094, struct.pack("<IIII", 0, len(rows) - 1, 0, columns - 1)) + _brt(0x0091)
             + b"".join(_brt(0x0000, struct.pack("<IIBBH", r, 0, 0, 0, 0) + b"\x00" * 9)
                        + b"".join(_brt(0x0006, struct.pack("<II", c, 0) + _wide(cell)) for c, cell in enumerate(row))
                        for r, row in enumerate(rows))
             + _brt(0x0092) + _brt(0x0082))
    relationships = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.bin"/></Relationships>')
    return zip_bytes({
        "[Content_Types].xml": '<?xml version="1.0"?><Types '
                               'xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "xl/workbook.bin": workbook, "xl/_rels/workbook.bin.rels": relationships,
        "xl/worksheets/sheet1.bin": sheet})


WRITERS: dict[str, Callable[[Rows, str], bytes]] = {
    "csv": _delimited, "html": _html, "json": _json, "xml": _xml, "eml": _message, "mbox": _message,
    "xlsx": _xlsx, "xls": _xls, "xlsb": _xlsb, "ods": _ods, "docx": _docx, "odt": _odt, "pdf": _pdf,
    "zip": _archive, "tar": _archive, "gzip": _archive, "bz2": _archive, "xz": _archive,
}
