"""Generators of synthetic documents for the extraction tests.

Every person is made of random syllables, dates and digits (accents included, to exercise
cp1252 and UTF-16 decoding); no real personal data is used anywhere.
"""
from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage

_SYLLABLES = ["ka", "lo", "mi", "rü", "sé", "ta", "vo", "zä", "ne", "çu", "bö", "ñi", "dar", "wen"]


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    dob: dt.date
    id: str

    @property
    def cells(self) -> list[str]:
        return [self.first, self.last, self.dob.isoformat(), self.id]


def people(count: int, seed: int = 7) -> list[Person]:
    """``count`` synthetic people, the same for the same seed."""
    rng = random.Random(seed)

    def word(parts: int) -> str:
        return "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()

    return [Person(word(2), word(3), dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20_000)),
                   f"X{rng.randrange(10**7):07d}") for _ in range(count)]


def zip_bytes(members: Mapping[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive of ``members`` (path -> content), in the given order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for path, content in members.items():
            archive.writestr(path, content)
    return buffer.getvalue()


def ods_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    """A minimal OpenDocument spreadsheet: strings, floats, ``dt.date`` and ``None`` cells."""
    tables = []
    for name, rows in sheets.items():
        body = "".join("<table:table-row>" + "".join(_ods_cell(value) for value in row) + "</table:table-row>"
                       for row in rows)
        tables.append(f'<table:table table:name="{name}">{body}</table:table>')
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet>{"".join(tables)}</office:spreadsheet></office:body>'
        '</office:document-content>')
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        '</manifest:manifest>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def _ods_cell(value: object) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, dt.date):
        return f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}"/>'
    if isinstance(value, str):
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'
    return f'<table:table-cell office:value-type="float" office:value="{value}"/>'


def mark_encrypted(archive: bytes, path: str) -> bytes:
    """The zip with ``path`` flagged as encrypted (bit 0) in its local and central headers."""
    data = bytearray(archive)
    encoded = path.encode()
    for signature, flag_offset, name_offset in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if data[start + name_offset:start + name_offset + len(encoded)] == encoded:
                data[start + flag_offset] |= 0x01
            start += 4
    return bytes(data)


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx_bytes(body: str, footer: str | None = None) -> bytes:
    """A minimal docx whose ``<w:body>`` is ``body`` (WordprocessingML with the ``w:`` prefix)."""
    members: dict[str, bytes | str] = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types '
                               'xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "word/document.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                             f'<w:document {_W}>\n  <w:body>{body}</w:body>\n</w:document>',
    }
    if footer is not None:
        members["word/footer1.xml"] = f'<?xml version="1.0"?><w:ftr {_W}>{footer}</w:ftr>'
    return zip_bytes(members)


def w_paragraph(*runs: str) -> str:
    """A ``<w:p>`` of runs; ``"\\t"`` as a run is a tab stop."""
    return "<w:p>" + "".join("<w:r><w:tab/></w:r>" if run == "\t" else f'<w:r><w:t xml:space="preserve">{run}</w:t></w:r>'
                             for run in runs) + "</w:p>"


def w_table(rows: list[list[str]]) -> str:
    cells = "".join("<w:tr>" + "".join(f"<w:tc><w:tcPr/>{w_paragraph(cell)}</w:tc>" for cell in row) + "</w:tr>"
                    for row in rows)
    return f"<w:tbl><w:tblPr/>{cells}</w:tbl>"


def odt_bytes(body: str) -> bytes:
    """A minimal OpenDocument text whose ``<office:text>`` is ``body`` (``text:``/``table:`` prefixes)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">\n'
        f'  <office:body>\n    <office:text>{body}</office:text>\n  </office:body>\n</office:document-content>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def mail(body: str = "Hello,\nsee attached.\n", attachments: Sequence[tuple[str, bytes, str]] = (),
         subject: str = "The list", html: str | None = None, charset: str = "utf-8",
         headers: Mapping[str, str] | None = None) -> EmailMessage:
    """A message with a text body (and an HTML alternative), then ``(filename, bytes, mime type)``
    attachments (base64, as mail clients send files)."""
    message = EmailMessage()
    message["From"] = "Sender <sender@example.org>"
    message["To"] = "someone@example.net"
    message["Subject"] = subject
    message["Date"] = "Mon, 05 Feb 2024 10:00:00 +0000"
    message["Message-ID"] = "<1@example.org>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body, charset=charset)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content, mime in attachments:
        maintype, _, subtype = mime.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message
