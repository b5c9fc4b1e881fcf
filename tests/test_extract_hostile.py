"""Inputs the fuzz targets (``test_extract_fuzz``) found, reduced, and what the extractor does now.

Each was a document that crashed the extractor with a foreign exception, stalled it for
seconds or minutes, or aborted the whole process. The spreadsheets that made calamine abort or
hang are read in a child process with an address-space limit and a timeout, so that a
regression fails this test instead of ending or stalling the test session.
"""
from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from extract_support import mail
from format_writers import WRITERS
from tracker.extract import extract
from tracker.extract.mime import MAX_PARSED_FIELD
from tracker.extract.sheet_bounds import MAX_SPARSE_AREA, oversized_compound_file, oversized_sheet

ROWS = [["Last Name", "First Name", "Date of Birth"], ["ZVAIKOU", "KSELAN", "1987-04-12"],
        ["DZOURAN", "MBELI", "1979-11-30"]]


def _rezip(data: bytes, member: str, content: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, old in members:
            archive.writestr(name, content if name == member else old)
    return buffer.getvalue()


def _member(data: bytes, member: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(member)


def test_an_emlx_byte_count_of_thousands_of_digits_is_no_count() -> None:
    message = mail(body="ZVAIKOU KSELAN 1987-04-12\n").as_bytes()
    extracted = extract(b"9" * 5000 + b"\n" + message, "note.emlx")  # was: int() ValueError
    assert "ZVAIKOU KSELAN" in extracted.text


def test_a_huge_content_type_field_is_parsed_on_its_start_only() -> None:
    message = mail(body="ZVAIKOU KSELAN 1987-04-12\n").as_bytes()
    junk = ('; x="' + '{"a": "b c", ' * 20_000 + '"').encode()  # 280 kB of quoted words in one field
    bloated = message.replace(b"Content-Type: text/plain; charset=\"utf-8\"",
                              b"Content-Type: text/plain; charset=\"utf-8\"" + junk, 1)
    assert len(bloated) > 100 * MAX_PARSED_FIELD
    started = time.perf_counter()
    extracted = extract(bloated, "m.eml")  # was: about 10 s per field lookup, minutes in all
    assert time.perf_counter() - started < 5
    assert "ZVAIKOU KSELAN" in extracted.text


def test_a_long_address_field_keeps_all_its_names() -> None:
    names = ", ".join(f"=?utf-8?q?Zvai_Kou{i}?= <p{i}@example.org>" for i in range(200))
    message = mail(headers={"Cc": names}).as_bytes()
    [headers] = [part for part in extract(message, "m.eml").parts if part.name == "headers"]
    assert "Zvai Kou0 " in headers.text and "Zvai Kou199 " in headers.text


def test_an_ods_cut_inside_its_table_is_refused_not_read_for_ever() -> None:
    ods = WRITERS["ods"](ROWS, "ods")
    content = _member(ods, "content.xml")
    cut = content[:content.index(b"</table:table-row>") + len(b"</table:table-row>")]
    status, out, err = _extract_in_a_child(_rezip(ods, "content.xml", cut), "list.ods")  # was: loops for ever
    assert status == 0 and out.startswith("refused: cannot read ods") and "ends inside a table" in out, err
    whole_table = content[:content.index(b"</table:table>") + len(b"</table:table>")]
    assert "ZVAIKOU" in extract(_rezip(ods, "content.xml", whole_table), "list.ods").text


def _sparse_xlsx(last_cell: str, empty: bool = False) -> bytes:
    xlsx = WRITERS["xlsx"](ROWS, "xlsx")
    sheet = _member(xlsx, "xl/worksheets/sheet1.xml")
    far = f'<c r="{last_cell}" s="1"/>' if empty else f'<c r="{last_cell}" t="inlineStr"><is><t>x</t></is></c>'
    row = last_cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return _rezip(xlsx, "xl/worksheets/sheet1.xml",
                  sheet.replace(b"</sheetData>", f'<row r="{row}">{far}</row></sheetData>'.encode()))


def _xlsb_with_far_cell() -> bytes:
    xlsb = WRITERS["xlsb"](ROWS, "xlsb")
    sheet = _member(xlsb, "xl/worksheets/sheet1.bin")
    # a BrtRowHdr for row 1048000, then a BrtCellSt in column 2**31 (records: type, size, body)
    far = (bytes([0x00, 21]) + (1_048_000).to_bytes(4, "little") + bytes(17)
           + bytes([0x06, 14]) + (2**31).to_bytes(4, "little") + bytes(4) + (1).to_bytes(4, "little") + "x".encode("utf-16-le"))
    end = sheet.rindex(bytes([0x92, 0x01, 0x00]))  # BrtEndSheetData
    return _rezip(xlsb, "xl/worksheets/sheet1.bin", sheet[:end] + far + sheet[end:])


def _xls_with(offset: int, value: int) -> bytes:
    """The xls writer's workbook with one 32-bit field of its compound file set to ``value``."""
    data = bytearray(WRITERS["xls"](ROWS, "xls"))
    data[offset:offset + 4] = value.to_bytes(4, "little")
    return bytes(data)


_IN_A_CHILD = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
    from tracker.errors import ExtractionError
    from tracker.extract import extract
    try:
        extract(sys.stdin.buffer.read(), sys.argv[1])
    except ExtractionError as exc:
        print("refused:", exc)
    else:
        print("read")
""")


def _extract_in_a_child(data: bytes, name: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of extracting ``data`` in a child limited to 3 GiB."""
    done = subprocess.run([sys.executable, "-c", _IN_A_CHILD, name], input=data, capture_output=True, check=False,
                          timeout=60, cwd=Path(__file__).resolve().parents[1])
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


@pytest.mark.parametrize(("name", "make"), [
    ("far.xlsx", lambda: _sparse_xlsx("XFD1048576")),  # 2 rows of data and A1..XFD1048576: 512 GiB
    ("far.xlsb", _xlsb_with_far_cell),
    ("loop.xls", lambda: _xls_with(512 + 4, 1)),  # the directory sector's FAT entry points to itself
    ("fat.xls", lambda: _xls_with(44, 0x00FF_0000)),  # 16 million FAT sectors in 5 kB
])
def test_a_sheet_calamine_would_abort_on_is_refused(name: str, make: object) -> None:
    data = make()  # type: ignore[operator]
    kind = name.rsplit(".", 1)[1]
    assert (oversized_compound_file(data) if kind == "xls" else oversized_sheet(data, kind)) is not None
    status, out, err = _extract_in_a_child(data, name)
    assert status == 0, err[-2000:]  # was: SIGABRT, "memory allocation of ... failed"
    assert out.startswith(f"refused: cannot read {kind} workbook ({name}): ")


def test_styled_empty_cells_far_away_do_not_count() -> None:
    data = _sparse_xlsx("XFD1048576", empty=True)  # calamine skips cells without a value
    assert oversized_sheet(data, "xlsx") is None
    assert "ZVAIKOU" in extract(data, "list.xlsx").text


def test_a_stray_cell_in_a_dense_sheet_is_read() -> None:
    rows = [ROWS[0]] + [[f"N{i}", f"F{i}", "1990-01-01"] for i in range(2000)]
    xlsx = WRITERS["xlsx"](rows, "xlsx")
    sheet = _member(xlsx, "xl/worksheets/sheet1.xml")
    stray = sheet.replace(b"</sheetData>", b'<row r="9000"><c r="Z9000" t="inlineStr"><is><t>x</t></is></c></row>'
                                         b"</sheetData>")
    data = _rezip(xlsx, "xl/worksheets/sheet1.xml", stray)
    assert 9000 * 26 < MAX_SPARSE_AREA and oversized_sheet(data, "xlsx") is None
    assert "N1999" in extract(data, "list.xlsx").text
