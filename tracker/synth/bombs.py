"""Documents built to stop, stall or blind a scanner: the bomb suite of ``tracker bench --bombs``.

Each is small on disk and reproduces a hole once measured through the CLI: a workbook whose two
cells at opposite corners of the grid make calamine allocate 512 GiB and abort, PDF pages that
share one long content stream, millions of unclosed ``<p>``, one 24 MB line of leak-like words,
decompression and nesting bombs. The bench scans each as a user would (a new ``tracker scan``
process) and reports the verdict, the time and the peak memory under the ``[scan]`` limits.
"""
from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Callable, Sequence

#: Namespaces of a minimal xlsx package.
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def xlsx_package(sheet_xml: str) -> bytes:
    """A minimal, well-formed xlsx with one sheet whose XML is ``sheet_xml``."""
    members = {
        "[Content_Types].xml": f'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                               f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                               f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                               f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
                               f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
                               f'</Types>',
        "_rels/.rels": f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
                       f'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets><sheet name="Sheet1" sheetId="1" '
                           f'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
                                      f'Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in members.items():
            z.writestr(name, text)
    return buf.getvalue()


def xlsx_corners() -> bytes:
    """Two cells at A1 and XFD1048576: calamine densifies 17 billion cells (calamine #693)."""
    return xlsx_package(f'<worksheet xmlns="{_NS}"><dimension ref="A1:XFD1048576"/><sheetData>'
                        f'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">'
                        f'<c r="XFD1048576"><v>2</v></c></row></sheetData></worksheet>')


def raw_pdf(contents: Sequence[bytes], page_contents: Sequence[int] | None = None) -> bytes:
    """A PDF written by hand: one Helvetica font, the content streams ``contents``, and one
    page per entry of ``page_contents`` (an index into ``contents``; default: one page each),
    so that pages can share a stream."""
    page_contents = list(range(len(contents))) if page_contents is None else list(page_contents)
    first_stream = 4
    first_page = first_stream + len(contents)
    kids = " ".join(f"{first_page + i} 0 R" for i in range(len(page_contents)))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{kids}] /Count {len(page_contents)} >>".encode(),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    objects += [b"<< /Length %d >>\nstream\n" % len(c) + c + b"\nendstream" for c in contents]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 812] /Resources << /Font << /F1 3 0 R >> >> "
                b"/Contents %d 0 R >>" % (first_stream + index) for index in page_contents]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def grid_stream(operators: int, per_line: int = 50) -> bytes:
    """A page of ``operators`` small cells, each shown by its own operator, in a grid."""
    lines = operators // per_line
    ops = ["BT /F1 2 Tf"] + [f"1 0 0 1 {10 + (i % per_line) * 11.8:.1f} {800 - (i // per_line) * 780 / lines:.2f} Tm "
                             f"(Ab{i:04d} Cd) Tj" for i in range(operators)] + ["ET"]
    return "\n".join(ops).encode()


def pdf_shared_stream(pages: int = 200, operators: int = 5000) -> bytes:
    """``pages`` pages that all draw one ``operators``-operator content stream."""
    return raw_pdf([grid_stream(operators)], [0] * pages)


def nested_paragraphs(megabytes: float = 7.0) -> bytes:
    """Millions of unclosed ``<p>``: a tree as deep as the parser lets it grow."""
    return b"<p>" * int(megabytes * 1e6 / 3)


def long_line(words: Sequence[str], megabytes: float = 24.0) -> bytes:
    """One line of ``megabytes`` of leak-like words (names, dates, IDs), no newline at all."""
    out, size, i = [], 0, 0
    target = int(megabytes * 1e6)
    while size < target:
        word = words[i % len(words)]
        out.append(word)
        size += len(word) + 1
        i += 1
    return " ".join(out).encode("utf-8")


def zip_of_zeros(gigabytes: float = 2.0) -> bytes:
    """One member of ``gigabytes`` of zeros, deflated to a thousandth of that."""
    buf = io.BytesIO()
    chunk = bytes(1 << 24)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z, z.open("zeros.txt", "w", force_zip64=True) as member:
        for _ in range(int(gigabytes * (1 << 30)) // len(chunk)):
            member.write(chunk)
    return buf.getvalue()


def nested_zips(depth: int = 12) -> bytes:
    """Archives inside archives, ``depth`` levels, a line of text at the bottom."""
    data = b"the bottom\n"
    name = "bottom.txt"
    for level in range(depth):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(name, data)
        data, name = buf.getvalue(), f"level{level}.zip"
    return data


def gzip_of_gzip(gigabytes: float = 1.0) -> bytes:
    """gzip inside gzip of ``gigabytes`` of zeros: a few kilobytes on disk."""
    inner = io.BytesIO()
    chunk = bytes(1 << 24)
    with gzip.GzipFile(fileobj=inner, mode="wb", compresslevel=9) as g:
        for _ in range(int(gigabytes * (1 << 30)) // len(chunk)):
            g.write(chunk)
    return gzip.compress(inner.getvalue(), compresslevel=9)


def deep_json(depth: int = 200_000) -> bytes:
    """Arrays nested ``depth`` deep."""
    return b"[" * depth + b"1" + b"]" * depth


def entity_expansion() -> bytes:
    """An XML document whose entities expand to a billion "lol"s."""
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE lolz [", ' <!ENTITY lol "lol">']
    lines += [f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)]
    lines += ["]>", "<lolz>&lol9;</lolz>"]
    return "\n".join(lines).encode()


def mime_nesting(depth: int = 5000) -> bytes:
    """A message whose multipart bodies nest ``depth`` deep."""
    head = []
    for i in range(depth):
        head.append(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n')
    tail = [f"\n--b{i}--\n" for i in reversed(range(depth))]
    return ("From: a@example.org\nSubject: nest\nMIME-Version: 1.0\n" + "".join(head)
            + "Content-Type: text/plain\n\nthe bottom\n" + "".join(tail)).encode()


#: The suite: file name → builder (the long line needs words of the leak, given to it).
BOMBS: dict[str, Callable[[Sequence[str]], bytes]] = {
    "corners.xlsx": lambda words: xlsx_corners(),
    "shared-stream.pdf": lambda words: pdf_shared_stream(),
    "nested-p.html": lambda words: nested_paragraphs(),
    "long-line.txt": lambda words: long_line(words),
    "zeros.zip": lambda words: zip_of_zeros(),
    "nested.zip": lambda words: nested_zips(),
    "zeros.gz": lambda words: gzip_of_gzip(),
    "deep.json": lambda words: deep_json(),
    "lol.xml": lambda words: entity_expansion(),
    "nest.eml": lambda words: mime_nesting(),
}

__all__ = ["BOMBS", "grid_stream", "raw_pdf", "xlsx_corners", "xlsx_package"]
