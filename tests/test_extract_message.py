"""Mail messages: .eml, message/rfc822, mbox, multipart bodies, attachments, and their detection."""
from __future__ import annotations

import base64
import io
import json
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from conftest import SyntheticLeak
from extract_support import mail, people, zip_bytes
from fpdf import FPDF
from gate_support import needs_gate
from sqlalchemy.engine import Engine

from fingerprints.keyed import Keyer
from tracker import leaks, store
from tracker.db import session_scope
from tracker.errors import ExtractionError, LimitExceeded, UnsupportedFormat
from tracker.extract import Extracted, Limits, Part, extract
from tracker.extract.detect import (
    SNIFF_CHARS,
    declared_kind,
    magic_kind,
    sniff_markup_kind,
    sniff_text_kind,
)
from tracker.extract.mime import MAX_MULTIPART_NESTING
from tracker.pipeline import Scanner
from tracker.prefilter import text_view
from tracker.settings import Settings

PEOPLE = people(3, seed=5)
CSV = "first,last,dob,id\n" + "\n".join(",".join(person.cells) for person in PEOPLE) + "\n"
CSV_LINES = "\n".join("\t".join(line.split(",")) for line in CSV.strip().split("\n"))
PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)
SEVEN_Z = b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(64)
RAR = b"Rar!\x1a\x07\x01\x00" + bytes(64)
DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le") + bytes(400)
KEY = bytes(range(32))
HEADERS = ("From: Sender <sender@example.org>\nTo: someone@example.net\nSubject: The list\n"
           "Date: Mon, 05 Feb 2024 10:00:00 +0000\nMessage-ID: <1@example.org>")


def names(result: Extracted) -> list[str]:
    return [part.name for part in result.parts]


def part(result: Extracted, name: str) -> Part:
    [found] = [p for p in result.parts if p.name == name]
    return found


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.title = "People"
    for line in CSV.strip().split("\n"):
        workbook.active.append(line.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    pdf.cell(text="Kalo Mire 1990-01-02")
    return bytes(pdf.output())


# --- messages and their parts ------------------------------------------------------------------

def test_eml_with_a_base64_csv_attachment() -> None:
    raw = mail(attachments=[("leak.csv", CSV.encode(), "text/csv")]).as_bytes()
    assert b"Content-Transfer-Encoding: base64" in raw and CSV.encode() not in raw
    result = extract(raw, "mail.eml")
    assert result == Extracted("eml", [
        Part("headers", "eml", HEADERS),
        Part("part:1", "text", "Hello,\nsee attached.\n"),
        Part("leak.csv", "csv", CSV_LINES),
    ], [])


def test_headers_are_decoded_and_structure_fields_left_out() -> None:
    message = mail(subject="Liste de Zoë Brontë", headers={"Cc": "=?iso-8859-1?q?Ren=E9_Ca=F1a?= <r@example.org>"})
    text = part(extract(message.as_bytes(), "m.eml"), "headers").text
    assert "Subject: Liste de Zoë Brontë" in text and "Cc: René Caña <r@example.org>" in text
    assert "Content-Type" not in text and "MIME-Version" not in text


def test_raw_8bit_headers_in_utf8_or_cp1252() -> None:
    for encoding in ("utf-8", "cp1252"):
        raw = "From: Zoë Brontë <z@example.org>\nTo: x@example.org\nSubject: Ñandú\n\nbody\n".encode(encoding)
        assert part(extract(raw, "m.eml"), "headers").text == (
            "From: Zoë Brontë <z@example.org>\nTo: x@example.org\nSubject: Ñandú")


def test_alternative_text_and_html_are_both_read() -> None:
    html = "<p>Posted list</p><table><tr><td>Kalo</td><td>Mire</td></tr></table>"
    result = extract(mail(body="plain version\n", html=html).as_bytes(), "m.eml")
    assert result.parts[1:] == [Part("part:1", "text", "plain version\n"),
                                Part("part:2", "html", "Posted list\nKalo\tMire")]


def test_nested_multiparts_are_numbered_like_imap_sections() -> None:
    message = mail(body="plain\n", html="<p>rich</p>", attachments=[("leak.csv", CSV.encode(), "text/csv")])
    alternative = message.get_payload(0)
    assert alternative.get_content_type() == "multipart/alternative"
    related = EmailMessage()
    related.set_content("<p>inside related</p>", subtype="html")
    related.make_related()
    related.attach(_part(b"a,b\n1,2\n", "text/csv", disposition="inline"))
    alternative.attach(related)
    result = extract(message.as_bytes(), "m.eml")
    assert [(p.name, p.kind) for p in result.parts] == [
        ("headers", "eml"), ("part:1.1", "text"), ("part:1.2", "html"), ("part:1.3.1", "html"),
        ("part:1.3.2", "csv"), ("leak.csv", "csv")]
    assert result.errors == []


def test_inline_images_of_an_html_mail_are_reported_but_do_not_make_it_unreadable() -> None:
    message = mail(body="plain\n", html='<p>Hi</p><img src="cid:logo">')
    message.get_payload()[1].add_related(PNG, maintype="image", subtype="png", cid="<logo>", filename="logo.png",
                                        disposition="inline")
    result = extract(message.as_bytes(), "m.eml")
    assert names(result) == ["headers", "part:1", "part:2.1"]
    assert result.errors == ["unsupported format: image/png (logo.png)"]


def test_saved_web_page_mhtml() -> None:
    page = ("From: <Saved by Blink>\nSnapshot-Content-Location: https://example.org/list\nSubject: List\n"
            "Date: Mon, 5 Feb 2024 10:00:00 -0000\nMIME-Version: 1.0\n"
            'Content-Type: multipart/related; type="text/html"; boundary="----MultipartBoundary--x"\n\n'
            "------MultipartBoundary--x\nContent-Type: text/html\nContent-ID: <frame-1@mhtml.blink>\n"
            "Content-Transfer-Encoding: quoted-printable\nContent-Location: https://example.org/list\n\n"
            "<html><body><table><tr><td>Kalo</td><td>Mire</td><td>1990-01-02</td></tr></table></body></html>\n"
            "------MultipartBoundary--x\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n"
            "Content-Location: https://example.org/logo.png\n\n" + base64.b64encode(PNG).decode() + "\n"
            "------MultipartBoundary--x--\n").encode()
    for name in ("list.mhtml", "list.mht", ""):
        result = extract(page, name)
        assert result.kind == "eml" and part(result, "part:1").text == "Kalo\tMire\t1990-01-02"
        assert result.errors == ["unsupported format: image/png (part:2)"]


def _part(content: bytes, mime: str, cte: str = "base64", filename: str | None = None,
          disposition: str | None = None, charset: str | None = None) -> EmailMessage:
    maintype, _, subtype = mime.partition("/")
    piece = EmailMessage()
    piece.set_content(content, maintype=maintype, subtype=subtype, cte=cte, filename=filename,
                      disposition=disposition)
    if charset is not None:
        piece.set_param("charset", charset)
    del piece["MIME-Version"]
    return piece


def test_quoted_printable_body_and_attachment_keep_their_charset() -> None:
    text = "Zoë Brontë-Ñandú, né le 02.03.1988\n"
    message = EmailMessage()
    message["From"], message["Subject"] = "a@example.org", "qp"
    message.set_content(text, charset="iso-8859-1", cte="quoted-printable")
    message.make_mixed()
    message.attach(_part(text.encode("cp1252"), "text/plain", cte="quoted-printable", filename="notes.txt",
                         charset="windows-1252"))
    raw = message.as_bytes()
    assert b"=E9" in raw and "é".encode("latin-1") not in raw
    result = extract(raw, "m.eml")
    assert part(result, "part:1").text == text and part(result, "notes.txt").text == text


def test_a_seven_bit_charset_is_honoured() -> None:
    text = "名簿 Kalo Mire 1990-01-02\n"
    raw = (b"From: a@example.org\nSubject: jp\nContent-Type: text/plain; charset=iso-2022-jp\n\n"
           + text.encode("iso-2022-jp"))
    assert raw.isascii()
    assert part(extract(raw, "m.eml"), "part:1").text == text


def test_utf8_mislabelled_as_ascii_stays_utf8() -> None:
    raw = "From: a@example.org\nSubject: x\nContent-Type: text/plain; charset=us-ascii\n\nZoë Brontë\n".encode()
    assert part(extract(raw, "m.eml"), "part:1").text == "Zoë Brontë\n"


def test_attachments_are_read_by_their_format() -> None:
    attachments = [("people.xlsx", xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                   ("list.pdf", pdf_bytes(), "application/pdf"),
                   ("rows.zip", zip_bytes({"in/rows.csv": CSV}), "application/zip"),
                   ("data.csv", CSV.encode(), "application/octet-stream"),  # the name tells
                   ("noname", CSV.encode(), "text/csv")]  # the type tells
    result = extract(mail(attachments=attachments).as_bytes(), "m.eml")
    assert [(p.name, p.kind) for p in result.parts] == [
        ("headers", "eml"), ("part:1", "text"), ("people.xlsx/sheet:People", "xlsx"), ("list.pdf", "pdf"),
        ("rows.zip/in/rows.csv", "csv"), ("data.csv", "csv"), ("noname", "csv")]
    assert part(result, "people.xlsx/sheet:People").text == CSV_LINES
    assert "Kalo Mire 1990-01-02" in part(result, "list.pdf").text
    assert result.errors == []


def test_forwarded_message_and_eml_attachment_are_read_with_their_own_attachments() -> None:
    inner = mail(body="inner body\n", subject="Fwd inner", attachments=[("leak.csv", CSV.encode(), "text/csv")])
    outer = mail(body="see the forwarded mail\n")
    outer.add_attachment(inner)  # message/rfc822, no file name
    outer.add_attachment(inner.as_bytes(), maintype="application", subtype="octet-stream", filename="old.eml")
    result = extract(outer.as_bytes(), "outer.eml")
    assert names(result) == ["headers", "part:1", "part:2/headers", "part:2/part:1", "part:2/leak.csv",
                             "old.eml/headers", "old.eml/part:1", "old.eml/leak.csv"]
    assert part(result, "part:2/headers").text.count("Subject: Fwd inner") == 1
    assert part(result, "old.eml/leak.csv").text == CSV_LINES


def test_message_rfc822_wrongly_sent_in_base64() -> None:
    inner = mail(attachments=[("leak.csv", CSV.encode(), "text/csv")]).as_bytes()
    raw = (b"From: a@example.org\nSubject: wrapped\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain\n\nhi\n"
           b"--XX\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
           + base64.encodebytes(inner) + b"--XX--\n")
    result = extract(raw, "m.eml")
    assert part(result, "part:2/leak.csv").text == CSV_LINES


def test_a_message_nested_inside_a_zip() -> None:
    first = mail(attachments=[("leak.csv", CSV.encode(), "text/csv")]).as_bytes()
    second = mail(body="nothing\n").as_bytes()
    result = extract(zip_bytes({"mails/a.eml": first, "mails/b.eml": second}), "mails.zip")
    assert result.kind == "zip"
    assert names(result) == ["mails/a.eml/headers", "mails/a.eml/part:1", "mails/a.eml/leak.csv",
                             "mails/b.eml/headers", "mails/b.eml/part:1"]


def test_a_multipart_body_sent_over_http_gets_its_content_type_back() -> None:
    message = mail(attachments=[("leak.csv", CSV.encode(), "text/csv")])
    _, body = message.as_bytes().split(b"\n\n", 1)
    result = extract(body, "https://example.org/x", content_type=str(message["Content-Type"]))
    assert result.kind == "eml" and names(result) == ["part:1", "leak.csv"]


def test_a_pasted_mime_part_is_decoded() -> None:
    raw = b"Content-Type: text/csv\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(CSV.encode())
    assert extract(raw).parts == [Part("part:1", "csv", CSV_LINES)]


def test_apple_mail_emlx() -> None:
    message = mail(attachments=[("leak.csv", CSV.encode(), "text/csv")]).as_bytes()
    data = f"{len(message)}\n".encode() + message + b'<?xml version="1.0"?>\n<plist><dict/></plist>\n'
    result = extract(data, "12.emlx")
    assert part(result, "leak.csv").text == CSV_LINES and names(result)[-1] == "leak.csv"


# --- mbox ----------------------------------------------------------------------------------------------

def _mbox(*messages: bytes) -> bytes:
    return b"".join(b"From sender@example.org Mon Feb  5 10:00:00 2024\n" + m.replace(b"\nFrom ", b"\n>From ")
                    + b"\n" for m in messages)


def test_mbox_messages_are_members() -> None:
    first = mail(body="From here on, the list.\n", attachments=[("leak.csv", CSV.encode(), "text/csv")])
    data = _mbox(first.as_bytes(), mail(body="second\n", subject="Two").as_bytes())
    for name in ("box.mbox", "archive.mbx", ""):
        result = extract(data, name)
        assert result.kind == "mbox"
        assert names(result) == ["message:1/headers", "message:1/part:1", "message:1/leak.csv",
                                 "message:2/headers", "message:2/part:1"]
        assert part(result, "message:1/part:1").text == "From here on, the list.\n"  # >From unescaped
        assert part(result, "message:2/headers").text.count("Subject: Two") == 1


def test_one_message_mbox_and_eml_with_a_from_line() -> None:
    data = _mbox(mail(attachments=[("leak.csv", CSV.encode(), "text/csv")]).as_bytes())
    for name in ("one.mbox", "one.eml"):
        assert names(extract(data, name)) == ["headers", "part:1", "leak.csv"]


def test_mbox_message_that_cannot_be_read_is_reported() -> None:
    data = _mbox(mail(attachments=[("x.7z", SEVEN_Z, "application/x-7z-compressed")]).as_bytes(),
                 mail(body="fine\n").as_bytes())
    result = extract(data, "box.mbox")
    assert names(result) == ["message:2/headers", "message:2/part:1"]
    assert result.errors == [
        "unsupported format: application/x-7z-compressed (message:1/x.7z)",
        "unsupported format: message with no readable attachment (1 could not be read) (message:1)"]


# --- what cannot be read is an error, never clean --------------------------------------------------

@pytest.mark.parametrize(("filename", "content", "mime", "error"), [
    ("leak.7z", SEVEN_Z, "application/x-7z-compressed", "unsupported format: application/x-7z-compressed"),
    ("leak.rar", RAR, "application/vnd.rar", "unsupported format: application/vnd.rar"),
    ("leak.doc", DOC, "application/msword", "unsupported format: OLE2 document that is not an Excel workbook"),
    ("scan.png", PNG, "image/png", "unsupported format: image/png"),
    ("blob", bytes(range(256)) * 4, "application/octet-stream", "unsupported format: application/octet-stream"),
])
def test_a_message_whose_attachments_cannot_be_read_is_unsupported(
        filename: str, content: bytes, mime: str, error: str) -> None:
    raw = mail(attachments=[(filename, content, mime)]).as_bytes()
    with pytest.raises(UnsupportedFormat, match=r"^unsupported format: message with no readable attachment "
                                                 r"\(1 could not be read\) \(m\.eml\)$"):
        extract(raw, "m.eml")
    nested = extract(zip_bytes({"m.eml": raw, "other.txt": "x"}))  # inside an archive: reported, rest read
    assert names(nested) == ["other.txt"]
    assert nested.errors[0].startswith(error) and nested.errors[0].endswith(f"(m.eml/{filename})")


def test_unreadable_attachment_beside_a_readable_one_is_reported() -> None:
    raw = mail(attachments=[("leak.csv", CSV.encode(), "text/csv"),
                            ("more.7z", SEVEN_Z, "application/x-7z-compressed")]).as_bytes()
    result = extract(raw, "m.eml")
    assert names(result) == ["headers", "part:1", "leak.csv"]
    assert result.errors == ["unsupported format: application/x-7z-compressed (more.7z)"]


def test_damaged_base64_attachment_is_an_error() -> None:
    raw = (b"From: a@example.org\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n"
           b"--XX\nContent-Type: text/plain\n\nhi\n--XX\nContent-Type: text/csv\n"
           b"Content-Disposition: attachment; filename=leak.csv\nContent-Transfer-Encoding: base64\n\n"
           b"Zmlyc3QsbGFzdApLYWxv\nLE1pcmUKQ\n--XX--\n")  # 29 characters: no base64 is that long
    with pytest.raises(UnsupportedFormat, match="no readable attachment"):
        extract(raw, "m.eml")
    assert extract(zip_bytes({"m.eml": raw, "x.txt": "x"})).errors[0] == (
        "damaged base64 in message part (m.eml/leak.csv): its length is impossible")


def test_garbled_messages_are_errors() -> None:
    noise = bytes((i * 73 + 41) % 256 for i in range(4000))
    for data in (noise, b"From: a@example.org\nSubject: x\n\n" + noise):
        with pytest.raises(UnsupportedFormat, match=r"message with no readable part \(1 could not be read\)"):
            extract(data, "broken.eml")


def test_multipart_that_cannot_be_split_is_an_error() -> None:
    for content_type in (b"multipart/mixed; boundary=XX", b"multipart/mixed"):
        raw = b"From: a@example.org\nSubject: x\nContent-Type: " + content_type + b"\n\n--YY\nKalo Mire\n"
        with pytest.raises(UnsupportedFormat, match=r"message with no readable part \(1 could not be read\)"):
            extract(raw, "m.eml")
        assert extract(zip_bytes({"m.eml": raw, "x.txt": "x"})).errors[0] == (
            "damaged multipart body (m.eml/part:1): its boundary is missing or never found")


# --- limits ------------------------------------------------------------------------------------------

def test_attachments_count_as_members() -> None:
    raw = mail(attachments=[(f"f{i}.txt", b"x", "text/plain") for i in range(4)]).as_bytes()
    assert len(extract(raw, limits=Limits(max_members=5)).parts) == 6  # headers, body and 4 files
    with pytest.raises(LimitExceeded, match="max_members"):
        extract(raw, limits=Limits(max_members=4))


def test_messages_count_as_nesting_levels() -> None:
    raw = mail(attachments=[("rows.zip", zip_bytes({"rows.csv": CSV}), "application/zip")]).as_bytes()
    assert part(extract(zip_bytes({"m.eml": raw})), "m.eml/rows.zip/rows.csv").text == CSV_LINES  # depth 3
    with pytest.raises(LimitExceeded, match="max_depth"):
        extract(zip_bytes({"z.zip": zip_bytes({"m.eml": raw})}))
    with pytest.raises(LimitExceeded, match="max_depth"):
        extract(raw, limits=Limits(max_depth=1))


def test_decoded_attachments_count_towards_the_total_bytes() -> None:
    big = (CSV * 3000).encode()
    raw = mail(attachments=[("a.csv", big, "text/csv"), ("b.csv", big, "text/csv")]).as_bytes()
    with pytest.raises(LimitExceeded, match=r"max_total_bytes.*\(b\.csv\)"):
        extract(raw, limits=Limits(max_total_bytes=len(raw) + len(big) + 1000))


@pytest.mark.parametrize("levels", [MAX_MULTIPART_NESTING + 5, 2000])
def test_multipart_nesting_bomb(levels: int) -> None:
    head = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(levels))
    with pytest.raises(LimitExceeded, match="nested"):
        extract(b"From: a@example.org\nSubject: x\n" + head + b"Content-Type: text/plain\n\nhi\n", "bomb.eml")


def test_error_messages_never_quote_content() -> None:
    secret = PEOPLE[0].last
    damaged = (f"From: a@example.org\nSubject: {secret}\nContent-Type: multipart/mixed; boundary=XX\n\n"
               f"--XX\nContent-Type: text/plain\n\n{secret}\n--XX\nContent-Type: application/x-7z-compressed\n"
               f"Content-Transfer-Encoding: base64\n\n").encode() + base64.encodebytes(SEVEN_Z + secret.encode())
    with pytest.raises(ExtractionError) as failure:
        extract(damaged, "m.eml")
    assert secret not in str(failure.value)
    result = extract(zip_bytes({"m.eml": damaged, "x.txt": "x"}))
    assert result.errors and not any(secret in error for error in result.errors)


# --- detection, and the prefilter's plain-text path -------------------------------------------------

def test_declared_message_kinds() -> None:
    assert [declared_kind(name, None) for name in ("a.eml", "a.EML", "b.mbox", "c.mbx", "d.mht", "e.mhtml",
                                                   "https://x.org/f.emlx?x=1")] == [
        "eml", "eml", "mbox", "mbox", "eml", "eml", "eml"]
    assert [declared_kind("", ct) for ct in ("message/rfc822", "Message/RFC822; charset=utf-8", "application/mbox",
                                             "multipart/related; boundary=x", "text/plain")] == [
        "eml", "eml", "mbox", "eml", None]
    assert declared_kind("mail.eml", "text/plain") == "eml"  # text/plain says nothing; the extension does


@pytest.mark.parametrize(("text", "kind"), [
    (HEADERS + "\n\nbody", "eml"),
    ("Received: from mx.example.org\n\tby mail.example.net; Mon, 5 Feb 2024\nFrom: a@b\n\nbody", "eml"),
    ("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x", "eml"),
    ("\ufeff\n  From: a@b\nTo: c@d\n", "eml"),
    ("From sender@example.org Mon Feb  5 10:00:00 2024\nFrom: a@b\nSubject: s\n\nx", "mbox"),
    ("From - Mon Feb  5 10:00:00 2024\r\nDate: x\r\nSubject: s\r\n\r\nx", "mbox"),
    ("Subject: only one mail field\n\nKalo Mire 1990-01-02", None),
    ("Name: Kalo Mire\nBorn: 1990-01-02\nID: X123\n", None),
    ("From: a@b\nTo: c@d\nhere is the list\nKalo Mire", None),  # the block must end with an empty line
    ("From the desk of the editor\nthe list follows\n", None),
    (" From: a@b\nTo: c@d\n\n", "eml"),
    ("first,last,dob\nKalo,Mire,1990-01-02\n", None),
    ("Dear all, From: now on\nTo: everyone\n", None),
])
def test_message_sniffing(text: str, kind: str | None) -> None:
    assert sniff_markup_kind(text) == kind
    if kind is not None:
        assert sniff_text_kind(text) == kind and magic_kind(text.encode()) is None


def test_sniffing_a_text_and_its_start_agree() -> None:
    """The prefilter sniffs the first SNIFF_CHARS characters, the extractor the whole text."""
    received = "".join(f"Received: from relay{i}.example.org by mx.example.org\n" for i in range(200))
    for cut in range(SNIFF_CHARS - 60, SNIFF_CHARS + 5):
        text = (received[:cut] + "\nFrom: a@b\nTo: c@d\n\nbody\n")
        assert sniff_markup_kind(text) == sniff_markup_kind(text[:SNIFF_CHARS])


@pytest.mark.parametrize(("name", "content_type", "data"), [
    ("mail.eml", None, mail().as_bytes()),
    ("", "message/rfc822", mail().as_bytes()),
    ("https://paste.example.org/raw/x", "text/plain; charset=utf-8", mail().as_bytes()),
    ("box", None, _mbox(mail().as_bytes())),
    ("notes.txt", None, b"MIME-Version: 1.0\nContent-Type: text/csv\nContent-Transfer-Encoding: base64\n\nYSxi\n"),
])
def test_messages_never_take_the_prefilter_text_path(name: str, content_type: str | None, data: bytes) -> None:
    assert text_view(data, name, content_type, None) is None


def test_ordinary_text_still_takes_the_prefilter_text_path() -> None:
    for data in (b"Subject: one mail field\n\nplain text\n", b"first,last\nKalo,Mire\n", b"From the desk of\n"):
        view = text_view(data, "notes.txt", None, None)
        assert view is not None and view.kind == "text"


# --- a leaked CSV attachment through the real scanner -------------------------------------------------

@pytest.fixture
def settings(tracker_home: Path) -> Settings:
    return Settings.from_env()


def _leaked_mail(leak: SyntheticLeak, tmp_path: Path, indices: list[int]) -> bytes:
    csv_bytes = leak.repost_csv(tmp_path / "rows.csv", indices).read_bytes()
    raw = mail(attachments=[("export.csv", csv_bytes, "text/csv")]).as_bytes()
    assert leak.people[indices[0]].a_number.encode() not in raw  # only in base64
    return raw


@needs_gate
def test_scanner_finds_a_leaked_csv_attachment_with_the_gate_on(
        engine: Engine, settings: Settings, synthetic_leak: SyntheticLeak, tmp_path: Path) -> None:
    leaks.add_leak(engine, settings, Keyer(KEY), synthetic_leak.path, "demo")
    with session_scope(engine) as s:
        rows = store.list_leaks(s)
    scanner = Scanner(engine, rows, Keyer(KEY), settings=settings)
    assert all(leak.gate is not None for leak in scanner.leaks)
    raw = _leaked_mail(synthetic_leak, tmp_path, [0, 4, 7])
    inside_zip = zip_bytes({"mails/leak.eml": raw})
    mbox = _mbox(mail(body="hello\n").as_bytes(), raw)
    for name, data, content_type in [("https://paste.example/m", raw, "text/plain"), ("mail.eml", raw, None),
                                     ("mails.zip", inside_zip, None), ("box", mbox, None)]:
        [result] = scanner.scan_bytes(name, data, content_type, name=name)
        assert (name, result.verdict, result.records) == (name, "hit", [1, 5, 8])
    clean = mail(attachments=[("other.csv", b"first,last\nNobody,Here\n", "text/csv")]).as_bytes()
    assert [r.verdict for r in scanner.scan_bytes("clean.eml", clean, name="clean.eml")] == ["clean"]
    assert scanner.gated_clean == 0  # every message took the full path
    [unreadable] = scanner.scan_bytes("m.eml", mail(attachments=[("leak.7z", SEVEN_Z, "application/x-7z-compressed")])
                                      .as_bytes(), name="m.eml")
    assert unreadable.verdict == "error" and "no readable attachment" in (unreadable.error or "")


def test_tracker_scan_reports_a_leaked_attachment(cli, synthetic_leak: SyntheticLeak,  # type: ignore[no-untyped-def]
                                                  tmp_path: Path) -> None:
    assert cli("leak", "add", synthetic_leak.path, "--name", "demo").exit_code == 0
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "a-leak.eml").write_bytes(_leaked_mail(synthetic_leak, tmp_path, [2, 3]))
    (posts / "b-archive.7z.eml").write_bytes(mail(attachments=[("x.7z", SEVEN_Z, "application/x-7z-compressed")])
                                             .as_bytes())
    (posts / "c-hello.eml").write_bytes(mail(body="nothing to see\n").as_bytes())
    result = cli("scan", posts, "--json")
    assert result.exit_code == 3, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(Path(r["source"]).name, r["verdict"], r["records"]) for r in lines] == [
        ("a-leak.eml", "hit", [3, 4]), ("b-archive.7z.eml", "error", []), ("c-hello.eml", "clean", [])]
    assert not any(value in result.stdout + result.stderr for value in synthetic_leak.leaked_strings())
