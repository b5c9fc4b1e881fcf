"""PDF text with PDFium: table rows as tab-separated lines, page order, errors that quote nothing.

Every PDF is made here, by fpdf or written by hand as raw PDF bytes, from synthetic names.
"""
from __future__ import annotations

import threading
import time

import pytest
from extract_support import people
from fpdf import FPDF
from fpdf.enums import EncryptionMethod

import tracker.extract.pdf as pdf_module
from tracker.errors import ExtractionError, UnsupportedFormat
from tracker.extract.pdf import pdf_text
from tracker.synth.bombs import grid_stream, raw_pdf
from tracker.synth.render import to_pdf

PEOPLE = people(12, seed=31)


def pdfium_line_count(data: bytes) -> int:
    """How many lines PDFium's own plain text of the first page has (cells it wraps count twice)."""
    import pypdfium2

    with pdf_module._LOCK:
        document = pypdfium2.PdfDocument(data)
        try:
            page = document[0]
            textpage = page.get_textpage()
            count = len(textpage.get_text_range().splitlines())
            textpage.close()
            page.close()
        finally:
            document.close()
    return count


def test_a_wrapped_table_gives_one_line_per_row_with_tab_separated_cells() -> None:
    """The synthetic corpora's own table writer, with narrow columns: names and facilities
    wrap over two lines, and each row still comes out as one line, every cell whole."""
    header = ["Full name", "Birth date", "ID", "Facility"]
    rows = [[f"{p.first} {p.last} {q.last} {q.first}", p.dob.isoformat(), p.id, f"{q.last} County Centre"]
            for p, q in zip(PEOPLE[:6], PEOPLE[6:])]
    data = to_pdf("Roster", header, rows, wrap=True)
    assert pdfium_line_count(data) >= 2 + len(rows) + 3  # at least three rows have a wrapped name
    text, problems = pdf_text(data, "roster.pdf")
    assert problems == []
    assert text.split("\n") == ["Roster", "\t".join(header)] + ["\t".join(row) for row in rows]


def test_a_cell_grid_keeps_single_spaces_inside_cells() -> None:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    rows = [[f"{p.first} {p.last}", p.dob.isoformat(), p.id] for p in PEOPLE[:8]]
    for row in rows:
        for width, cell in zip((60, 35, 35), row):
            pdf.cell(width, 7, cell)
        pdf.ln(7)
    text, _ = pdf_text(bytes(pdf.output()), "grid.pdf")
    assert text.split("\n") == ["\t".join(row) for row in rows]


def test_pages_come_in_order() -> None:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for number, person in enumerate(PEOPLE[:5], start=1):
        pdf.add_page()
        pdf.cell(0, 8, f"page {number}", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 8, f"{person.first} {person.last} {person.dob.isoformat()}", new_x="LMARGIN", new_y="NEXT")
    text, _ = pdf_text(bytes(pdf.output()), "pages.pdf")
    expected = []
    for number, person in enumerate(PEOPLE[:5], start=1):
        expected += [f"page {number}", f"{person.first} {person.last} {person.dob.isoformat()}"]
    assert text.split("\n") == expected


def test_glyphs_placed_one_by_one_and_kerned_gaps_are_read_by_position() -> None:
    """Text shown a glyph at a time (each its own text object) is one word; a wide kerning
    gap inside one TJ array is a cell boundary, a narrow one a space."""
    widths = {"K": 667, "a": 556, "l": 222, "o": 556, " ": 278, "M": 833, "i": 222, "r": 333, "e": 556}
    ops, x = [], 72.0
    for char in "Kalo Mire":
        if char != " ":
            ops.append(f"BT /F1 10 Tf {x:.2f} 700 Td ({char}) Tj ET")
        x += widths[char] / 100
    ops.append(f"BT /F1 10 Tf {x + 40:.2f} 700 Td (1990-01-02) Tj ET")
    ops.append("BT /F1 10 Tf 72 680 Td [(Kalo) -300 (Mire) -4000 (1990-01-02)] TJ ET")
    text, _ = pdf_text(raw_pdf(["\n".join(ops).encode()]), "glyphs.pdf")
    assert text.split("\n") == ["Kalo Mire\t1990-01-02", "Kalo Mire\t1990-01-02"]


def test_turned_text_neither_cuts_rows_nor_is_lost() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    rows = [[p.first, p.last, p.dob.isoformat()] for p in PEOPLE[:5]]
    for row in rows:
        for cell in row:
            pdf.cell(40, 8, cell)
        pdf.ln(8)
    with pdf.rotation(35, 60, 60):
        pdf.set_font("Helvetica", size=40)
        pdf.text(40, 60, "CONFIDENTIAL")
    with pdf.rotation(90, 180, 150):
        pdf.set_font("Helvetica", size=10)
        pdf.text(180, 150, "Printed for Zorbelin Kava")
    text, _ = pdf_text(bytes(pdf.output()), "stamped.pdf")
    assert text.split("\n") == ["\t".join(row) for row in rows] + ["CONFIDENTIAL", "Printed for Zorbelin Kava"]


def test_a_pdf_without_text_is_unsupported() -> None:
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(10, 10, 50, 50)
    with pytest.raises(UnsupportedFormat, match=r"without a text layer \(scanned images\?\) \(scan\.pdf\)$"):
        pdf_text(bytes(pdf.output()), "scan.pdf")


@pytest.mark.parametrize("data", [
    b"%PDF-1.4\n1 0 obj\n(Zorbelin Kavandrasto 1987-03-02)\nendobj\n" + bytes(range(256)) * 4,
    b"%PDF-1.7\n" + b"(Zorbelin Kavandrasto 1987-03-02) Tj\n" * 50,
])
def test_a_damaged_pdf_is_an_extraction_error_that_quotes_nothing(data: bytes) -> None:
    with pytest.raises(ExtractionError, match=r"cannot read PDF \(bad\.pdf\)") as raised:
        pdf_text(data, "bad.pdf")
    assert not isinstance(raised.value, UnsupportedFormat)
    assert "Zorbelin" not in str(raised.value) and "1987" not in str(raised.value)


def test_a_truncated_pdf_is_an_error_or_its_text_never_a_clean_empty_document() -> None:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.cell(0, 8, "Zorbelin Kavandrasto 1987-03-02")
    data = bytes(pdf.output())
    for cut in (len(data) // 4, len(data) // 2, len(data) - 40):
        try:
            text, _ = pdf_text(data[:cut], "cut.pdf")
        except ExtractionError as exc:  # UnsupportedFormat included
            assert "Zorbelin" not in str(exc)
        else:
            assert "Zorbelin Kavandrasto 1987-03-02" in text


@pytest.mark.parametrize("method", [EncryptionMethod.RC4, EncryptionMethod.AES_128, EncryptionMethod.AES_256])
def test_encryption(method: EncryptionMethod) -> None:
    """A PDF that opens with the empty password is read; one that needs a password is refused."""
    def encrypted(user_password: str) -> bytes:
        pdf = FPDF()
        pdf.set_font("Helvetica", size=11)
        pdf.add_page()
        pdf.cell(0, 8, "Zorbelin Kavandrasto 1987-03-02")
        pdf.set_encryption(owner_password="owner-secret", user_password=user_password, encryption_method=method)
        return bytes(pdf.output())

    assert pdf_text(encrypted(""), "open.pdf") == ("Zorbelin Kavandrasto 1987-03-02", [])
    with pytest.raises(ExtractionError, match=r"^PDF is encrypted with a password \(locked\.pdf\)$"):
        pdf_text(encrypted("user-secret"), "locked.pdf")


def test_pages_sharing_one_content_stream_are_read_within_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages that all show one stream of 5,000 text operators: each page is read (and fast),
    until the text passes the bound for the file's size; the rest are named as a problem."""
    data = raw_pdf([grid_stream(5000)], [0] * 12)
    start = time.process_time()
    text, problems = pdf_text(data, "shared.pdf")
    assert time.process_time() - start < 20  # about 1.5 s; pypdf's layout mode took 3.6 s
    lines = text.split("\n")
    assert len(lines) == 12 * 100 and problems == []
    assert lines[0].split("\t")[:3] == ["Ab0000 Cd", "Ab0001 Cd", "Ab0002 Cd"] and len(lines[0].split("\t")) == 50
    assert lines[100] == lines[0]

    monkeypatch.setattr(pdf_module, "MIN_CHARS", 200_000)
    monkeypatch.setattr(pdf_module, "MAX_CHARS_PER_BYTE", 1)
    data = raw_pdf([grid_stream(5000)], [0] * 400)
    text, problems = pdf_text(data, "shared.pdf")
    read = len(text.split("\n")) // 100
    assert 3 <= read < 20
    assert problems == [f"stopped reading PDF (shared.pdf) before page {read + 1} of 400: its pages hold far more "
                        f"text than its size allows (pages that share their content?)"]


def test_threads_take_turns() -> None:
    """PDFium is not thread-safe; documents read in many threads at once give what they give alone."""
    documents = []
    for person in PEOPLE:
        pdf = FPDF()
        pdf.set_font("Helvetica", size=10)
        for _ in range(3):
            pdf.add_page()
            for _ in range(30):
                pdf.cell(50, 6, f"{person.first} {person.last}")
                pdf.cell(40, 6, person.dob.isoformat(), new_x="LMARGIN", new_y="NEXT")
        documents.append(bytes(pdf.output()))
    alone = [pdf_text(data) for data in documents]
    results: dict[int, list[tuple[str, list[str]]]] = {}

    def read(worker: int) -> None:
        results[worker] = [pdf_text(data) for data in documents]

    threads = [threading.Thread(target=read, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[worker] == alone for worker in range(4))
