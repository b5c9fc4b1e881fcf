"""Extraction of single documents: detection, decoding, and each format's lines."""
from __future__ import annotations

import datetime as dt
import json
import random
import time
import zlib
from pathlib import Path

import openpyxl
import pytest
from fpdf import FPDF
from fpdf.enums import EncryptionMethod

from extract_support import ods_bytes, people
from tracker.errors import ExtractionError, UnsupportedFormat
from tracker.extract import Extracted, Part, extract
from tracker.extract.detect import magic_kind
from tracker.extract.html import bs4_text, html_text

PEOPLE = people(5)


def only_part(result: Extracted) -> Part:
    assert len(result.parts) == 1, result.parts
    return result.parts[0]


def tsv(rows: list[list[str]]) -> str:
    return "\n".join("\t".join(row) for row in rows)


# --- plain text and decoding ---------------------------------------------------------------------

def test_plain_text_keeps_layout_and_normalizes_newlines() -> None:
    data = b"Leaked list\r\n  NAME      DOB\r\n  Kalo      1990-01-02\rlast line\n"
    result = extract(data, "notes.txt")
    assert result.kind == "text"
    assert only_part(result) == Part("", "text", "Leaked list\n  NAME      DOB\n  Kalo      1990-01-02\nlast line\n")


def test_empty_document_is_empty_text() -> None:
    assert extract(b"") == Extracted("text", [Part("", "text", "")], [])


def test_cp1252_csv_keeps_accented_names() -> None:
    rows = [["First", "Last", "DOB", "ID"]] + [person.cells for person in PEOPLE]
    data = "\r\n".join(",".join(row) for row in rows).encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the test is only worth something if the file is not UTF-8
    result = extract(data, "export.csv")
    assert only_part(result) == Part("", "csv", tsv(rows))


def test_latin1_declared_by_content_type() -> None:
    data = "Name: Zoë Brontë-Ñandú, né le 02.03.1988".encode("latin-1")
    text = only_part(extract(data, content_type="text/plain; charset=ISO-8859-1")).text
    assert text == "Name: Zoë Brontë-Ñandú, né le 02.03.1988"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_unicode_encodings_with_and_without_bom(encoding: str) -> None:
    text = "\n".join(" ".join(person.cells) for person in PEOPLE) + "\nЖанна Ильина — 宮崎\n"
    assert only_part(extract(text.encode(encoding), "people.txt")).text == text


def test_stray_nul_bytes_are_dropped_from_text() -> None:
    data = b"name: Kalo Mire\n" * 100 + b"\x00\x00" + b"name: Tasu Vone\n" * 100
    assert only_part(extract(data, "a.txt")).text == "name: Kalo Mire\n" * 100 + "name: Tasu Vone\n" * 100


def test_png_is_unsupported_with_its_type_and_name() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256))
    with pytest.raises(UnsupportedFormat, match=r"^unsupported format: image/png \(doc\.png\)$"):
        extract(png, "doc.png")


def test_random_binary_is_unsupported_never_empty_text() -> None:
    junk = random.Random(3).randbytes(50_000)
    with pytest.raises(UnsupportedFormat, match="unsupported format"):
        extract(junk, "blob.csv")
    with pytest.raises(UnsupportedFormat, match=r"^unsupported format: image/heic \(x\)$"):
        extract(junk, "x", content_type="image/heic")
    with pytest.raises(UnsupportedFormat):
        extract(zlib.compress(junk))  # no magic of ours, not text either


# --- CSV and other delimited text ----------------------------------------------------------------

def test_semicolon_csv_with_quoted_newlines_and_delimiters() -> None:
    data = ('Name;Address;Note\r\n'
            '"Talo, Kami";"Weg 1\r\nStadt";"a;b"\r\n'
            'Rüne;"with\ttab";""\r\n').encode()
    assert only_part(extract(data, "list.csv")).text == ("Name\tAddress\tNote\n"
                                                         "Talo, Kami\tWeg 1 Stadt\ta;b\n"
                                                         "Rüne\twith tab\t")


@pytest.mark.parametrize("delimiter", ["\t", "|", ",", ";"])
def test_any_delimiter(delimiter: str) -> None:
    rows = [["first", "last", "dob", "id"]] + [person.cells for person in PEOPLE]
    data = "\n".join(delimiter.join(row) for row in rows).encode()
    assert only_part(extract(data, "x.tsv" if delimiter == "\t" else "x.csv")).text == tsv(rows)


def test_cells_are_stripped_and_empty_rows_dropped() -> None:
    data = b"a , b ,c\n\n , ,\n1,  2,3\n"
    assert only_part(extract(data, "x.csv")).text == "a\tb\tc\n1\t2\t3"


def test_fixed_width_csv_comes_out_as_its_text() -> None:
    data = b"NAME        DOB         ID\nKalo Mire   1990-01-02  X1234567\nTasu Vone   1985-11-30  X7654321\n"
    result = extract(data, "fixed.csv", content_type="text/csv")
    assert only_part(result) == Part("", "text", data.decode())


def test_csv_sniffed_without_name_or_type() -> None:
    rows = [["first", "last", "dob", "id"]] + [person.cells for person in PEOPLE]
    data = "\n".join(";".join(row) for row in rows).encode()
    assert only_part(extract(data)) == Part("", "csv", tsv(rows))


def test_prose_with_commas_stays_text() -> None:
    data = b"Dear all, the list was posted yesterday.\nWe asked, twice, for removal; no answer so far.\n"
    assert only_part(extract(data)).kind == "text"


def test_stray_quote_does_not_swallow_the_file() -> None:
    lines = ['name,dob', '"Kalo Mire,1990-01-02'] + [f"Per{i} Son,1990-01-{i % 28 + 1:02d}" for i in range(200)]
    text = only_part(extract("\n".join(lines).encode(), "x.csv")).text.split("\n")
    assert len(text) == 202
    assert text[-1] == "Per199 Son\t1990-01-04"


# --- HTML ---------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><title>Title is text</title><style>td { color: red }</style>
<script>var rows = "script text";</script></head>
<body>
  <h1>Leaked   list</h1>
  <p>Posted by <b>someone</b> &amp; re-posted
     here.<br>Second&nbsp;line</p>
  <script>document.write("yes")</script><noscript>Enable JS</noscript><template><p>template</p></template>
  <table>
    <thead><tr><th>Name</th><th>DOB</th><th>ID</th></tr></thead>
    <tbody>
      <tr><td> Kalo Mire </td><td>1990-01-02</td><td>X1234567</td></tr>
      <tr><td></td><td><p>two</p><p>paras</p></td><td>a<br>b</td></tr>
    </tbody>
  </table>
  <ul><li>first item</li><li>second <i>it</i>em</li></ul>
  <pre>  NAME   ID
  Tasu   X7654321</pre>
  Trailing text &lt;tag&gt; &#233;
</body></html>"""

PAGE_LINES = [
    "Title is text",
    "td { color: red }",
    'var rows = "script text";',
    "Leaked list",
    "Posted by someone & re-posted here.",
    "Second line",
    'document.write("yes")',
    "Enable JS",
    "template",
    "Name\tDOB\tID",
    "Kalo Mire\t1990-01-02\tX1234567",
    "\ttwo paras\ta b",
    "first item",
    "second item",
    "  NAME   ID",
    "  Tasu   X7654321",
    "Trailing text <tag> é",
]


def test_html_page_lines() -> None:
    result = extract(PAGE.encode(), "page.html")
    assert result.kind == "html"
    assert only_part(result).text.split("\n") == PAGE_LINES


def test_html_cells_with_attributes_and_bs4_fallback_agree() -> None:
    fancy = PAGE.replace("<td>", '<td class="c">').replace("<TH>", "<th>")
    assert html_text(fancy).split("\n") == PAGE_LINES
    assert bs4_text(PAGE).split("\n") == PAGE_LINES


def test_html_nested_layout_table_keeps_inner_rows() -> None:
    page = ("<table><tr><td>menu</td><td><table><tr><td>a1</td><td>a2</td></tr>"
            "<tr><td>b1</td><td>b2</td></tr></table></td></tr></table>")
    assert html_text(page).split("\n") == ["menu\t", "a1\ta2", "b1\tb2"]


def test_html_sniffed_and_declared_charset() -> None:
    page = '<html><head><meta charset="windows-1252"></head><body><p>Zoë Brontë</p></body></html>'
    result = extract(page.encode("cp1252"))
    assert (result.kind, only_part(result).text) == ("html", "Zoë Brontë")


def test_content_type_beats_extension() -> None:
    assert extract(b"<p>a</p><p>b</p>", "data.json", content_type="text/html").kind == "html"
    assert extract(b"<p>a</p>", "page.html", content_type="text/plain").kind == "html"  # plain says nothing


def test_marker_characters_in_the_page_do_not_break_lines() -> None:
    assert html_text("<p>a\x01b\x02c</p><p>d</p>") == "a b c\nd"


def test_html_keeps_the_text_of_every_element() -> None:
    """Head, title, scripts, styles, noscript, template contents (nested too), iframe, noembed,
    noframes, xmp, plaintext: all text; each raw text element on lines of its own, its newlines
    kept (a script's data array keeps a row per line)."""
    page = ("<html><head><title>Kalo Mire</title><style>p { x: 1 }</style>"
            "<script>var rows = [\n  ['Kalo', 'Mire', '1990-01-02'],\n  ['Tasu', 'Vone', '<td>x']\n];</script>"
            "</head><body><p>a<script>inline()</script>b</p><noscript><p>no <b>js</b></p></noscript>"
            "<template><p>t1</p><template><table><tr><td>c1</td><td>c2</td></tr></table></template></template>"
            "<iframe>if <p>raw</p></iframe><noembed>ne</noembed><noframes>nf</noframes><xmp>x &amp; y</xmp>"
            "<plaintext>rest <b>is</b> text\nto the end")
    lines = ["Kalo Mire", "p { x: 1 }", "var rows = [", "  ['Kalo', 'Mire', '1990-01-02'],",
             "  ['Tasu', 'Vone', '<td>x']", "];", "a", "inline()", "b", "no js", "t1", "c1\tc2",
             "if <p>raw</p>", "ne", "nf", "x &amp; y", "rest <b>is</b> text", "to the end"]
    assert html_text(page).split("\n") == lines
    bs4_page = page.split("<iframe>")[0]  # html.parser has no raw text iframe, xmp or plaintext
    assert bs4_text(bs4_page).split("\n") == lines[:12]


@pytest.mark.parametrize("spelling", ["<tr>|<td>", "<TR>|<TD>", "<tr class=r>|<td class='a>b'>", '<tr">|<td">'])
def test_html_rows_and_cells_without_a_table_stay_apart(spelling: str) -> None:
    """The parser drops row and cell tags outside a table (a pasted fragment of one); their
    words still do not run together, and each row is a line."""
    tr, td = spelling.split("|")
    page = f"<div><p>copied:</p>{tr}{td}Kalo</td>{td}Mire</td>{td}1990-01-02</td></tr>{tr}{td}Tasu</td></tr></div>"
    assert html_text(page).split("\n") == ["copied:", "Kalo\tMire\t1990-01-02", "Tasu"]


def test_html_table_tag_markers_stay_out_of_raw_text() -> None:
    """The cell and row markers put in before parsing never change a script's or a text area's
    text, whatever the tags' spelling."""
    for extra in ("", "<td class=x>cell</td>"):
        page = f"<script>var s = '<td>a<tr>b<TD class=c>d';</script><textarea><td>e</textarea>{extra}"
        assert html_text(page).split("\n")[:2] == ["var s = '<td>a<tr>b<TD class=c>d';", "<td>e"]


def test_html_plain_and_fancy_table_tags_give_the_same_lines() -> None:
    """Bare ``<td>`` tags are marked by a plain replace, other spellings by a regex: one rule."""
    rows = "".join(f"<tr><td>{i}</td><td>Kalo Mire</td><td></td><th>x</th></tr>\n" for i in range(5))
    page = f"<p>before</p><table>{rows}</table><p>after</p>"
    fancy = page.replace("<td>", '<td class="c">').replace("<th>", "<TH>").replace("<tr>", "<tr\n>")
    assert html_text(page) == html_text(fancy) == bs4_text(page) == bs4_text(fancy)
    assert html_text(page).split("\n")[1] == "0\tKalo Mire\t\tx"


def test_html_empty_first_cell_keeps_its_tab_whatever_the_whitespace() -> None:
    for page in ("<table><tr><td></td><td>b</td></tr></table>", "<table><tr>\n  <td></td>\n  <td>b</td></tr></table>"):
        assert html_text(page) == bs4_text(page) == "\tb"


def test_nesting_bomb_keeps_raw_text() -> None:
    """The degraded reading of a page too deep to parse keeps scripts and titles as text too."""
    depth = 6_000
    page = ("<title>Kalo Mire</title><script>var a = '<b>Tasu</b>';\nvar b = 1;</script>"
            + "<div>x " * depth + "</div>" * depth + "<plaintext>tail <i>kept</i>")
    lines = only_part(extract(page.encode(), "deep.html")).text.split("\n")
    assert lines[:3] == ["Kalo Mire", "var a = '<b>Tasu</b>';", "var b = 1;"]
    assert lines[-1] == "tail <i>kept</i>"


# --- JSON ---------------------------------------------------------------------------------------

def test_json_records_become_lines() -> None:
    document = {"meta": {"count": 2, "source": "dump"},
                "data": [{"name": "Kalo Mire", "dob": "1990-01-02", "id": 1234567.0,
                          "address": {"city": "Rüne", "zip": "12345"}, "tags": ["a", "b"]},
                         {"name": "Tasu\tVone", "dob": None, "id": 7654321, "active": True}]}
    result = extract(json.dumps(document).encode(), "dump.json")
    assert only_part(result) == Part("", "json", "2\tdump\n"
                                                 "Kalo Mire\t1990-01-02\t1234567\tRüne\t12345\ta\tb\n"
                                                 "Tasu Vone\t\t7654321\ttrue")


def test_json_records_keyed_by_id_keep_the_key() -> None:
    document = {"X1234567": {"name": "Kalo", "dob": "1990-01-02"}, "X7654321": {"name": "Tasu", "dob": "1985-11-30"}}
    assert only_part(extract(json.dumps(document).encode())).text == ("X1234567\tKalo\t1990-01-02\n"
                                                                      "X7654321\tTasu\t1985-11-30")


def test_json_nested_lists_and_scalars() -> None:
    document = [["Kalo", "Mire", 1.5], [[["deep", 1]]], "loose", {"rows": [{"n": "x", "sub": [{"n": "y"}]}]}]
    assert only_part(extract(json.dumps(document).encode())).text == "loose\nKalo\tMire\t1.5\ndeep\t1\nx\ny"


def test_json_lines() -> None:
    data = "\n".join(json.dumps({"name": person.first, "id": person.id}) for person in PEOPLE).encode()
    result = extract(data, "x.ndjson")
    assert only_part(result) == Part("", "json", tsv([[person.first, person.id] for person in PEOPLE]))


def test_broken_json_is_read_as_text() -> None:
    data = b'[{"name": "Kalo Mire", "dob": "1990-01-02"},\n {"name": "Tasu Vone", "dob": '
    result = extract(data, "paste.json", content_type="application/json")
    assert only_part(result) == Part("", "text", data.decode())


def test_deeply_nested_json_does_not_crash() -> None:
    data = ("[" * 5000 + "]" * 5000).encode()
    assert only_part(extract(data)).kind == "text"


# --- spreadsheets -------------------------------------------------------------------------------

def test_xlsx_one_part_per_sheet(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "People"
    sheet.append(["First", "Last", "DOB", "ID", "Score", "Booked"])
    for person in PEOPLE[:2]:
        sheet.append([person.first, person.last, person.dob, int(person.id[1:]), 2.5,
                      dt.datetime(2021, 3, 4, 5, 6, 7)])
    sheet.append(["Mi", None, dt.datetime(1990, 1, 2), 12.0, None, "line\nbreak\tand tab"])
    sheet.append([])
    workbook.create_sheet("Empty")
    other = workbook.create_sheet("Notes")
    other["B2"] = "posted twice"
    path = tmp_path / "leak.xlsx"
    workbook.save(path)

    result = extract(path.read_bytes(), "leak.xlsx")
    assert result.kind == "xlsx"
    rows = [["First", "Last", "DOB", "ID", "Score", "Booked"]]
    rows += [[p.first, p.last, p.dob.isoformat(), p.id[1:].lstrip("0"), "2.5", "2021-03-04 05:06:07"]
             for p in PEOPLE[:2]]
    rows += [["Mi", "", "1990-01-02", "12", "", "line break and tab"]]
    assert result.parts == [Part("sheet:People", "xlsx", tsv(rows)), Part("sheet:Empty", "xlsx", ""),
                            Part("sheet:Notes", "xlsx", "posted twice")]


def test_ods_sheet() -> None:
    data = ods_bytes({"Liste": [["Name", "DOB", "ID"], ["Zoë", dt.date(1990, 1, 2), 12345], ["x", None, 2.5]]})
    result = extract(data, "liste.ods")
    assert result.kind == "ods"
    assert result.parts == [Part("sheet:Liste", "ods", "Name\tDOB\tID\nZoë\t1990-01-02\t12345\nx\t\t2.5")]


def test_ole2_that_is_not_a_workbook_is_unsupported() -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "WordDocument".encode("utf-16-le") + bytes(1000)
    with pytest.raises(UnsupportedFormat, match=r"not an Excel workbook.*\(letter\.doc\)"):
        extract(ole2, "letter.doc")


def test_damaged_xls_is_an_extraction_error() -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "Workbook".encode("utf-16-le") + bytes(1000)
    with pytest.raises(ExtractionError, match=r"cannot read xls workbook \(old\.xls\)") as raised:
        extract(ole2, "old.xls")
    assert not isinstance(raised.value, UnsupportedFormat)


# --- PDF ----------------------------------------------------------------------------------------

def make_pdf(pages: list[list[str]], encryption: EncryptionMethod | None = None) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    if encryption is not None:
        pdf.set_encryption(owner_password="owner-secret", user_password="", encryption_method=encryption)
    return bytes(pdf.output())


PDF_PAGES = [[f"{p.first} {p.last} {p.dob.isoformat()} {p.id}" for p in PEOPLE[:3]],
             [f"{p.first} {p.last} {p.dob.isoformat()} {p.id}" for p in PEOPLE[3:]]]


@pytest.mark.parametrize("encryption", [None, EncryptionMethod.RC4, EncryptionMethod.AES_128])
def test_pdf_pages_in_order(encryption: EncryptionMethod | None) -> None:
    result = extract(make_pdf(PDF_PAGES, encryption), "leak.pdf")
    assert result.kind == "pdf"
    assert only_part(result).text.split("\n") == PDF_PAGES[0] + PDF_PAGES[1]


def test_pdf_table_rows_stay_one_line() -> None:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    rows = [["First", "Last", "DOB", "ID"]] + [person.cells for person in PEOPLE]
    for row in rows:
        for cell in row:
            pdf.cell(45, 8, cell)
        pdf.ln(8)
    assert only_part(extract(bytes(pdf.output()), "table.pdf")).text == tsv(rows)


def test_pdf_without_text_is_unsupported() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50)
    with pytest.raises(UnsupportedFormat, match="without a text layer"):
        extract(bytes(pdf.output()), "scan.pdf")


def test_damaged_pdf_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError, match=r"cannot read PDF \(bad\.pdf\)"):
        extract(b"%PDF-1.4\n" + bytes(range(256)) * 4, "bad.pdf")


def test_pdf_found_by_magic_whatever_the_name() -> None:
    data = make_pdf(PDF_PAGES)
    assert extract(data, "https://example.org/download?id=3", content_type="text/html").kind == "pdf"


def test_url_name_gives_the_extension() -> None:
    data = b"a;b\n1;2\n"
    assert extract(data, "https://example.org/files/list.csv?dl=1#top").kind == "csv"
    assert extract(data, "https://example.org/files/list.txt?dl=1").kind == "csv"


def test_textarea_and_preformatted_styles_keep_their_lines() -> None:
    page = ('<div class="paste"><textarea>name,dob\nKalo Mire,1990-01-02\n  indented</textarea></div>'
            '<div style="white-space: pre-wrap">a  b\nc</div><p>after</p>')
    assert html_text(page).split("\n") == ["name,dob", "Kalo Mire,1990-01-02", "  indented", "a  b", "c", "after"]
    assert bs4_text(page).split("\n") == html_text(page).split("\n")


def test_pdf_marker_inside_a_page_is_not_a_pdf() -> None:
    page = b"<html><body><p>Save as %PDF-1.4 file</p></body></html>"
    assert extract(page).kind == "html"
    assert magic_kind(b"\x00\x01junk%PDF-1.4\n") == "pdf"  # binary junk before the header is tolerated


def test_encrypted_office_file_is_an_extraction_error() -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptedPackage".encode("utf-16-le") + bytes(100)
    with pytest.raises(ExtractionError, match=r"encrypted with a password \(secret\.xlsx\)"):
        extract(ole2, "secret.xlsx")


def test_json_map_of_records_keeps_keys() -> None:
    document = {p.first: {"last": p.last, "dob": p.dob.isoformat()} for p in PEOPLE[:3]}
    assert only_part(extract(json.dumps(document).encode())).text == tsv(
        [[p.first, p.last, p.dob.isoformat()] for p in PEOPLE[:3]])


def test_utf8_cut_mid_character_or_with_a_few_bad_bytes_stays_utf8() -> None:
    text = " ".join(f"{p.first} {p.last}" for p in PEOPLE) * 5
    assert only_part(extract((text + "é").encode()[:-1])).text == text
    mixed = text.encode() + b" caf\xe9 " + text.encode()
    assert only_part(extract(mixed)).text == text + " caf\ufffd " + text


def test_nesting_bomb_is_read_without_the_parser() -> None:
    depth = 60_000  # lexbor's tree building is quadratic in depth: this would take seconds
    page = "<div>Kalo " * depth + "Mire" + "</div>" * depth
    started = time.process_time()
    text = only_part(extract(page.encode(), "deep.html")).text
    assert time.process_time() - started < 2
    assert text.split("\n") == ["Kalo"] * (depth - 1) + ["Kalo Mire"]
