"""Word-processor documents (docx, odt): paragraphs, tab-aligned lists and tables."""
from __future__ import annotations

import pytest

from extract_support import docx_bytes, odt_bytes, people, w_paragraph, w_table, zip_bytes
from tracker.errors import ExtractionError, LimitExceeded
from tracker.extract import Extracted, Limits, Part, extract

PEOPLE = people(3, seed=5)


def test_docx_paragraphs_tabs_tables_and_footer() -> None:
    body = (w_paragraph("Internal ", "list", " – do not share")
            + w_paragraph("Name", "\t", "DOB")
            + w_paragraph(PEOPLE[0].first + " " + PEOPLE[0].last, "\t", PEOPLE[0].dob.isoformat())
            + "<w:p/>"
            + w_table([["First", "Last", "ID"]] + [[p.first, p.last, p.id] for p in PEOPLE[1:]])
            + '<w:p><w:r><w:t>line</w:t><w:br/><w:t>break</w:t></w:r>'
              '<w:r><w:instrText> HYPERLINK "x" </w:instrText></w:r></w:p>')
    result = extract(docx_bytes(body, footer=w_paragraph("Page footer")), "list.docx")
    assert result == Extracted("docx", [Part("", "docx", "\n".join([
        "Internal list – do not share",
        "Name\tDOB",
        f"{PEOPLE[0].first} {PEOPLE[0].last}\t{PEOPLE[0].dob.isoformat()}",
        "First\tLast\tID",
        *(f"{p.first}\t{p.last}\t{p.id}" for p in PEOPLE[1:]),
        "line",
        "break",
        "Page footer",
    ]))], [])


def test_docx_cell_with_two_paragraphs_stays_one_row() -> None:
    body = "<w:tbl><w:tr><w:tc>" + w_paragraph("a") + w_paragraph("b") + "</w:tc><w:tc>" + w_paragraph("c") + \
           "</w:tc></w:tr></w:tbl>"
    assert extract(docx_bytes(body)).parts[0].text == "a b\tc"


def test_odt_paragraphs_and_table() -> None:
    rows = "".join(
        f"<table:table-row><table:table-cell><text:p>{p.first}</text:p></table:table-cell>"
        f"<table:table-cell><text:p>{p.last}</text:p></table:table-cell></table:table-row>" for p in PEOPLE)
    body = ('<text:h>Leaked <text:span>names</text:span></text:h>\n'
            '<text:p>one<text:s text:c="3"/>two<text:tab/>three<text:line-break/>four</text:p>\n'
            f'<table:table>{rows}</table:table>')
    result = extract(odt_bytes(body), "list.odt")
    assert result.kind == "odt"
    assert result.parts[0].text.split("\n") == ["Leaked names", "one two\tthree", "four",
                                                 *(f"{p.first}\t{p.last}" for p in PEOPLE)]


def test_docx_inside_zip() -> None:
    result = extract(zip_bytes({"docs/list.docx": docx_bytes(w_paragraph("hello"))}))
    assert result.parts == [Part("docs/list.docx", "docx", "hello")]


def test_docx_with_a_dtd_is_refused() -> None:
    members = {"[Content_Types].xml": "<Types/>",
               "word/document.xml": '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>'}
    with pytest.raises(ExtractionError, match="declares a DTD"):
        extract(zip_bytes(members), "evil.docx")


def test_docx_bomb_is_caught() -> None:
    members = {"[Content_Types].xml": "<Types/>", "word/document.xml": "<d>" + " " * (8 * 2**20) + "</d>"}
    with pytest.raises(LimitExceeded, match="max_ratio"):
        extract(zip_bytes(members), "bomb.docx")
    with pytest.raises(LimitExceeded, match="max_total_bytes"):
        extract(zip_bytes(members), "bomb.docx", limits=Limits(max_ratio=1e9, max_total_bytes=2**20))


def test_xml_records_by_elements_and_by_attributes() -> None:
    elements = "".join(f"\n  <person>\n    <name>{p.first} {p.last}</name>\n    <dob>{p.dob.isoformat()}</dob>\n"
                       f"    <id>{p.id}</id>\n  </person>" for p in PEOPLE)
    data = f'<?xml version="1.0" encoding="UTF-8"?>\n<people source="dump" n="3">{elements}\n</people>'.encode()
    expected = [f"{p.first} {p.last}\t{p.dob.isoformat()}\t{p.id}" for p in PEOPLE]
    assert extract(data, "people.xml") == Extracted("xml", [Part("", "xml", "\n".join(["dump\t3", *expected]))], [])
    attributes = "".join(f'<person name="{p.first} {p.last}" dob="{p.dob.isoformat()}" id="{p.id}"/>' for p in PEOPLE)
    assert extract(f"<people>{attributes}</people>".encode()).parts == [Part("", "xml", "\n".join(expected))]


def test_broken_or_dtd_xml_is_read_as_text() -> None:
    broken = b"<people><person><name>Kalo</name></person>"
    assert extract(broken, "x.xml").parts == [Part("", "text", broken.decode())]
    dtd = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;&a;</d>'
    assert extract(dtd, content_type="application/xml").parts == [Part("", "text", dtd.decode())]


def test_xml_cell_with_one_attribute() -> None:
    data = b'<?xml version="1.0"?><r><p><name>Kalo</name><dob format="iso">1990-01-02</dob><id value="X1"/></p></r>'
    assert extract(data).parts == [Part("", "xml", "Kalo\tiso 1990-01-02\tX1")]
