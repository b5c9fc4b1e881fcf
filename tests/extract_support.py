"""Generators of synthetic documents for the extraction tests.

Every person is made of random syllables, dates and digits (accents included, to exercise
cp1252 and UTF-16 decoding); no real personal data is used anywhere.
"""
from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from dataclasses import dataclass

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


def zip_bytes(members: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
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
