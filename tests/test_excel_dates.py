"""Excel serial dates (issue 8, "Normalization"): "33975" is 1993-01-06 where a header names a
date column, at registration (CSV text, XLSX numbers) and in documents (CSV, XLSX, ODS through
the extractor); without such a header a five-digit number is left alone (postal codes). The gate
never reads a CSV the extractor rewrites so (tests/test_normalize_ocr.py compares the verdicts).
Generated people only.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

import openpyxl

from fingerprints.columns import serial_date_columns, serial_date_values
from fingerprints.matcher import DocumentMatch
from fingerprints.normalize import excel_serial_date
from fingerprints_support import synthetic_leak
from tracker.extract import extract
from tracker.extract.tables import excel_dates, holds_serial_dates, rows_text
from tracker.leakfile import read_leak_table
from tracker.prefilter import text_view

N, SEED = 2000, 11


def records(doc: DocumentMatch) -> list[int]:
    return doc.record_ids if doc.verdict == "hit" else []


# --- Excel serial dates: the value rule ------------------------------------------------------------

def test_excel_serials_are_the_dates_excel_shows() -> None:
    """The 1900 date system with its leap-year bug, as Excel (and openpyxl) reads it."""
    from openpyxl.utils.datetime import from_excel

    assert excel_serial_date("33975") == dt.date(1993, 1, 6) == from_excel(33975).date()
    assert excel_serial_date("33974") == dt.date(1993, 1, 5)
    for serial in range(10000, (dt.date.today() - dt.date(1899, 12, 30)).days, 997):
        assert excel_serial_date(str(serial)) == from_excel(serial).date()
    assert excel_serial_date(" 33975.5 ") == dt.date(1993, 1, 6)  # a time of day
    for not_serial in ["1988", "9999", "033975", "339750", "99999", "33975a", "", "-33975", "33,975"]:
        assert excel_serial_date(not_serial) is None, not_serial


def test_serial_date_columns_need_a_date_header() -> None:
    assert serial_date_columns([["Name", "DOB", "Zip"], ["A", "33975", "12345"]]) == (0, [1])
    assert serial_date_columns([["leaked list"], [], ["Nombre", "Fecha de nacimiento"], ["A", "33975"]]) == (2, [1])
    assert serial_date_columns([["Name", "Born", "Book-In Date"], ["A", "33975", "44927.5"]]) == (0, [1, 2])
    assert serial_date_columns([["Name", "Zip", "Code"], ["A", "12345", "33975"]]) is None  # no date header
    assert serial_date_columns([["Name", "DOB"], ["A", "03/14/1988"], ["B", "33975"], ["C", "1990-01-02"]]) is None
    assert serial_date_values(["33975", "", "1993-01-06"]) and not serial_date_values(["", ""])


# --- Excel serial dates: registration ---------------------------------------------------------------

def _serial(d: dt.date) -> int:
    return (d - dt.date(1899, 12, 30)).days


def test_a_leak_csv_with_serial_birth_dates_registers_dates(tmp_path: Path) -> None:
    base = synthetic_leak(N, SEED)
    path = tmp_path / "leak.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Last Name", "First Name", "DOB", "Zip", "Code"])
        for p in base.people[:300]:
            w.writerow([p.last, p.first, _serial(p.dob), f"{random.Random(p.last).randrange(10000, 99999)}",
                        f"{random.Random(p.first).randrange(20000, 40000)}"])
    table = read_leak_table(path)
    assert [r[2] for r in table.rows] == [p.dob.isoformat() for p in base.people[:300]]
    assert all(len(r[3]) == 5 and r[3].isdigit() and len(r[4]) == 5 for r in table.rows)  # not guessed
    assert any("Excel serial dates" in d and "'DOB'" in d for d in table.decisions)
    assert not any(any(r[2] in d for r in table.rows) for d in table.decisions)  # no value is printed


def test_a_leak_workbook_with_numeric_birth_dates_registers_dates(tmp_path: Path) -> None:
    base = synthetic_leak(N, SEED)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Last Name", "First Name", "Fecha de nacimiento", "Código postal"])
    for p in base.people[:200]:
        sheet.append([p.last, p.first, _serial(p.dob), 28000 + len(p.last)])  # plain numbers, no date format
    book.save(tmp_path / "leak.xlsx")
    table = read_leak_table(tmp_path / "leak.xlsx")
    assert [r[2] for r in table.rows] == [p.dob.isoformat() for p in base.people[:200]]
    assert all(r[3].isdigit() for r in table.rows)


# --- Excel serial dates: documents -------------------------------------------------------------------

def _serial_csv(people: list, header_dob: str = "DOB") -> str:
    lines = ["leaked again", f"Name,{header_dob},Zip"]
    lines += [f"{p.last} {p.first},{_serial(p.dob)},{10000 + i}" for i, p in enumerate(people)]
    return "\n".join(lines) + "\n"


def test_the_extractor_writes_serial_dates_of_a_date_column() -> None:
    people = synthetic_leak(N, SEED).people[10:13]
    text = rows_text(_serial_csv(people), ",")
    lines = text.split("\n")
    assert lines[2].split("\t")[1] == people[0].dob.isoformat()
    assert [ln.split("\t")[2] for ln in lines[2:]] == ["10000", "10001", "10002"]  # zip codes stay
    assert rows_text(_serial_csv(people, "Zip2"), ",").split("\n")[2].split("\t")[1] == str(_serial(people[0].dob))
    table = [["Name", "Born"], ["x", "33975"], ["y", ""]]
    assert excel_dates(table) and table == [["Name", "Born"], ["x", "1993-01-06"], ["y", ""]]


def test_serial_dates_in_csv_xlsx_and_ods_are_found() -> None:
    leak = synthetic_leak(N, SEED)
    people = [leak.people[i] for i in (20, 420, 820, 1220)]
    assert records(leak.matcher.match(_serial_csv(people))) == []  # the plain matcher cannot read serials
    got = extract(_serial_csv(people).encode(), name="repost.csv")
    assert records(leak.matcher.match_parts([p.text for p in got.parts])) == [21, 421, 821, 1221]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Nombre", "Apellidos", "Nacimiento"])
    for p in people:
        sheet.append([p.first, p.last, _serial(p.dob)])
    buf = io.BytesIO()
    book.save(buf)
    got = extract(buf.getvalue(), name="repost.xlsx")
    assert records(leak.matcher.match_parts([p.text for p in got.parts])) == [21, 421, 821, 1221]
    ods = _ods([["Nombre", "Apellidos", "Nacimiento"]] + [[p.first, p.last, _serial(p.dob)] for p in people])
    got = extract(ods, name="repost.ods")
    assert records(leak.matcher.match_parts([p.text for p in got.parts])) == [21, 421, 821, 1221]


def _ods(rows: list[list[object]]) -> bytes:
    """A minimal OpenDocument spreadsheet (numbers as float cells)."""
    import zipfile

    def cell(v: object) -> str:
        if isinstance(v, int):
            return f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
        return f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'

    body = "".join("<table:table-row>" + "".join(cell(v) for v in r) + "</table:table-row>" for r in rows)
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="S">{body}</table:table>'
               '</office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", manifest)
    return buf.getvalue()


def test_the_gate_leaves_a_csv_with_serial_dates_to_the_extractor() -> None:
    """Whenever the extractor writes a serial as a date, the gate does not read the raw text."""
    people = synthetic_leak(N, SEED).people[:3]
    data = _serial_csv(people).encode()
    assert holds_serial_dates(data.decode(), ",")
    assert text_view(data, "repost.csv", None, None) is None
    zips = _serial_csv(people, "Zip code").encode()
    assert text_view(zips, "zips.csv", None, None) is not None  # no date header: read by the gate
    iso = people[0].dob.isoformat()
    variants = [
        data, zips, data.replace(b",", b";"), data.replace(b",", b"\t"),
        data.replace(b"leaked again", b'"' + b"x" * 20000 + b'"'),  # a first row longer than any sample
        data.replace(b"leaked again", b"x," * 5000),
        b'note "unclosed\n' + data,  # a stray quote
        b'a,b\n"x,' + data + b"".join(b"r %d,a\n" % i for i in range(300)),  # one that swallows many rows
        b"".join(b"title %d,x\n" % i for i in range(8)) + data,  # the header below the rows looked at
        b"Name,DOB\n" + b"".join(b'"a\nb\nc",\n' for _ in range(20)) + data,
    ]
    for doc in variants:
        for name in ("repost.csv", "repost.txt", "repost"):
            written = iso in "".join(p.text for p in extract(doc, name=name).parts)
            if written:
                assert text_view(doc, name, None, None) is None, (doc[:40], name)
    assert any(iso in extract(doc, name="r.csv").parts[0].text for doc in variants[2:])
