"""Turn a table (header + rows of strings) into the file formats re-posts come in.

Every writer is byte-deterministic: archives carry a fixed timestamp, XLSX and PDF files a
fixed creation date, so the same seed always produces the same bytes.
"""
from __future__ import annotations

import csv
import datetime as dt
import gzip
import html
import io
import json
import random
import zipfile
from collections.abc import Sequence
from pathlib import Path

from tracker.synth.perturb import strip_accents

Table = Sequence[Sequence[str]]

FIXED_TIME = dt.datetime(2023, 1, 1, 12, 0, 0)
_ZIP_TIME = (2023, 1, 1, 12, 0, 0)
_UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # and DejaVuSans-Bold.ttf


def to_csv(header: Sequence[str] | None, rows: Table, delimiter: str = ",", crlf: bool = False) -> str:
    """CSV (or TSV / semicolon) text quoted the way spreadsheet exports quote it."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def to_fixed_width(header: Sequence[str], rows: Table, style: str = "spaces") -> str:
    """A padded text table as pasted from a terminal: "spaces", "pipes" (|a|b|) or "markdown"."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        padded = [c.ljust(w) for c, w in zip(cells, widths)]
        if style == "spaces":
            return "  ".join(padded).rstrip()
        return "| " + " | ".join(padded) + " |"

    out = [line(header)]
    if style == "markdown":
        out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    elif style == "pipes":
        out.insert(0, "+" + "+".join("-" * (w + 2) for w in widths) + "+")
        out.append(out[0])
    out.extend(line(r) for r in rows)
    return "\n".join(out) + "\n"


def to_html_table(header: Sequence[str], rows: Table, rng: random.Random) -> str:
    """An HTML table in one of the shapes pages use: <th> header, plain first row, styled cells."""
    esc = html.escape
    shape = rng.randrange(3)
    attrs = rng.choice(["", ' class="table table-striped"', ' border="1"', ' id="list" style="width:100%"'])
    parts = [f"<table{attrs}>"]
    if shape == 0:
        parts.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr></thead><tbody>")
    else:
        parts.append("<tr>" + "".join(f"<td><b>{esc(h)}</b></td>" for h in header) + "</tr>")
    for row in rows:
        if shape == 2:
            cells = "".join(f'<td class="c{i}"><span>{esc(c)}</span></td>' for i, c in enumerate(row))
        else:
            cells = "".join(f"<td>{esc(c)}</td>" for c in row)
        parts.append(f"<tr>{cells}</tr>\n")
    parts.append("</tbody></table>" if shape == 0 else "</table>")
    return "".join(parts)


def _json_key(header: str, style: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in header).split()
    if style == "camel":
        return words[0].lower() + "".join(w.capitalize() for w in words[1:])
    if style == "snake":
        return "_".join(w.lower() for w in words)
    return header


def to_json(header: Sequence[str], rows: Table, rng: random.Random) -> str:
    """A JSON list of objects keyed by (respelled) headers, sometimes wrapped in an envelope."""
    style = rng.choice(["snake", "camel", "asis"])
    keys = [_json_key(h, style) for h in header]
    records = [dict(zip(keys, row)) for row in rows]
    shape = rng.randrange(3)
    doc: object = records
    if shape == 1:
        doc = {"count": len(records), "data": records}
    elif shape == 2:
        doc = {"meta": {"source": "export", "page": 1}, "results": records}
    return json.dumps(doc, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 2]))


def to_pdf(title: str, header: Sequence[str], rows: Table, *, wrap: bool) -> bytes:
    """A PDF with a ruled table; with ``wrap`` the columns are narrow so long cells take two lines."""
    from fpdf import FPDF  # optional dependency, imported only when a PDF is made

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_creation_date(FIXED_TIME)
    pdf.set_auto_page_break(True, margin=12)
    if _UNICODE_FONT.exists() and _UNICODE_FONT.with_name("DejaVuSans-Bold.ttf").exists():
        pdf.add_font("Body", "", str(_UNICODE_FONT))
        pdf.add_font("Body", "B", str(_UNICODE_FONT.with_name("DejaVuSans-Bold.ttf")))
        font = "Body"
    else:  # no Unicode font on this machine: the core font only knows Latin-1
        font = "Helvetica"
        header = [_latin1(h) for h in header]
        rows = [[_latin1(c) for c in r] for r in rows]
    pdf.add_page()
    pdf.set_font(font, size=12)
    pdf.cell(0, 8, _latin1(title) if font == "Helvetica" else title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, size=8 if wrap else 7)
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    pad = 2 * pdf.c_margin + 1
    natural = [max(pdf.get_string_width(c) for c in [h, *(r[i] for r in rows)]) + pad
               for i, h in enumerate(header)]
    if wrap:  # squeeze the widest columns so their longest values take two lines
        cap = max(40.0, sorted(natural)[len(natural) // 2])
        natural = [min(w, cap) for w in natural]
    scale = min(1.0, usable / sum(natural))
    col_widths = tuple(w * scale for w in natural)
    with pdf.table(col_widths=col_widths, width=sum(col_widths), text_align="LEFT", line_height=4) as table:
        table.row(list(header))
        for r in rows:
            table.row(list(r))
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    """``text`` with every character outside Latin-1 replaced by its accent-free base letter."""
    return "".join(c if ord(c) < 256 else strip_accents(c) for c in text)


class _FixedTimeZip(zipfile.ZipFile):
    """A ZipFile whose entries all carry one fixed timestamp (for reproducible archives)."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):  # type: ignore[override]
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_TIME)
            info.compress_type = self.compression
            info.external_attr = 0o644 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):  # type: ignore[override]
        """Add a file from disk (openpyxl's write-only sheets) under the fixed timestamp too."""
        self.writestr(str(arcname or filename), Path(filename).read_bytes(), compress_type, compresslevel)


def zip_bytes(entries: Sequence[tuple[str, bytes]]) -> bytes:
    """A ZIP archive holding ``entries`` (name, content), with fixed timestamps."""
    buf = io.BytesIO()
    with _FixedTimeZip(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buf.getvalue()


def gzip_bytes(data: bytes, name: str = "") -> bytes:
    """gzip of ``data`` with no timestamp and an optional original file name."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=buf, mtime=0) as fh:
        fh.write(data)
    return buf.getvalue()


XlsxSheet = tuple[str, Sequence[Sequence[str]], Sequence[str], Table]  # name, title rows, header, rows


def to_xlsx(sheets: Sequence[XlsxSheet]) -> bytes:
    """An XLSX workbook; each sheet has optional title rows above its header row."""
    from openpyxl import Workbook  # optional dependency, imported only when a workbook is made
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook(write_only=True)
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    for name, titles, header, rows in sheets:
        ws = wb.create_sheet(name)
        for t in titles:
            ws.append(list(t))
        ws.append(list(header))
        for row in rows:
            ws.append(list(row))
    buf = io.BytesIO()
    with _FixedTimeZip(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    return buf.getvalue()
