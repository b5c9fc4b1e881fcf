"""One document of any kind to its readable parts: the routing between the readers."""
from __future__ import annotations

import csv

from tracker.errors import ExtractionError, UnsupportedFormat
from tracker.extract.archives import ArchiveReader, join_path
from tracker.extract.detect import (MESSAGE_KINDS, SNIFF_CHARS, declared_kind, describe_binary, is_encrypted_office,
                                    is_ole2_workbook, magic_kind, meant_kind, sniff_text_kind)
from tracker.extract.html import html_text
from tracker.extract.jsondoc import NotJson, json_text, parse_json
from tracker.extract.limits import Budget, Limits
from tracker.extract.messages import where
from tracker.extract.mime import MessageReader
from tracker.extract.office import docx_text, odt_text
from tracker.extract.parts import Extracted, Part
from tracker.extract.pdf import pdf_text
from tracker.extract.sheets import sheet_texts
from tracker.extract.tables import find_delimiter, rows_text
from tracker.extract.text import charset_from_content_type, decode, normalize_newlines
from tracker.extract.xmldoc import xml_text

_ARCHIVES = frozenset({"zip", "tar", "gzip", "bz2", "xz"})
_SHEETS = frozenset({"xlsx", "xlsb", "ods", "xls"})
_WORD_PROCESSING = {"docx": docx_text, "odt": odt_text}


def extract(data: bytes, name: str = "", content_type: str | None = None,
            limits: Limits | None = None) -> Extracted:
    """Turn a fetched document into the text the matcher reads, one ``Part`` per readable piece.

    ``name`` (a file name or URL) and ``content_type`` help find the format and name it in
    messages. Raises ``UnsupportedFormat`` for formats we cannot read (never returns empty
    text for them), ``LimitExceeded`` when the document expands past ``limits``, and
    ``ExtractionError`` for a damaged file of a known format.
    """
    budget = Budget(limits or Limits())
    budget.take_bytes(len(data), name)
    errors: list[str] = []
    reader = _DocumentReader(budget, errors)
    kind, parts = reader.read(data, name, "", content_type, depth=0)
    return Extracted(kind, parts, errors)


class _DocumentReader:
    """Reads documents and, through ``ArchiveReader`` and ``MessageReader``, the members of their
    archives and the parts of their mail messages."""

    def __init__(self, budget: Budget, errors: list[str]) -> None:
        self.errors = errors
        self.archives = ArchiveReader(budget, errors, self._member)
        self.messages = MessageReader(budget, errors, self._member)

    def _member(self, data: bytes, path: str, depth: int, content_type: str | None = None) -> list[Part]:
        return self.read(data, path, path, content_type, depth)[1]

    def read(self, data: bytes, label: str, part_name: str, content_type: str | None,
             depth: int) -> tuple[str, list[Part]]:
        """(kind, parts) of one document; ``label`` names it in messages, ``part_name`` in parts."""
        kind = magic_kind(data, label)
        if kind in _ARCHIVES:
            return kind, self.archives.read(kind, data, label, part_name, depth)
        if kind in _SHEETS:
            return kind, self._sheets(kind, data, label, part_name)
        if kind in _WORD_PROCESSING:
            self.archives.check_zip_expansion(data, label)
            return kind, [Part(part_name, kind, _WORD_PROCESSING[kind](data, label))]
        if kind == "pdf":
            text, problems = pdf_text(data, label)
            self.errors.extend(problems)
            return kind, [Part(part_name, kind, text)]
        declared = declared_kind(label, content_type)
        if declared in MESSAGE_KINDS:  # bytes: each part says its own transfer encoding and charset
            return declared, self.messages.read(data, label, part_name, content_type, depth)
        try:
            text = decode(data, charset_from_content_type(content_type), label)
        except UnsupportedFormat:
            meant = meant_kind(label)
            if meant is not None:
                raise ExtractionError(f"corrupt {meant} file{where(label)}: its bytes are not {meant} data") from None
            mime = describe_binary(content_type)
            if mime == "binary data":
                raise
            raise UnsupportedFormat(f"unsupported format: {mime}{where(label)}") from None
        kind = declared or sniff_text_kind(text)
        if kind in MESSAGE_KINDS:  # a header block at the start of a text that says nothing else
            if b"\x00" in data[:SNIFF_CHARS]:  # UTF-16 or UTF-32: the parser reads ASCII-based bytes
                data = text.encode("utf-8")
            return kind, self.messages.read(data, label, part_name, content_type, depth)
        kind, text = read_text(kind, text, label)
        return kind, [Part(part_name, kind, text)]

    def _sheets(self, kind: str, data: bytes, label: str, part_name: str) -> list[Part]:
        if kind == "xls" and is_encrypted_office(data):
            raise ExtractionError(f"Office document is encrypted with a password{where(label)}")
        if kind == "xls" and not is_ole2_workbook(data):
            raise UnsupportedFormat(
                f"unsupported format: OLE2 document that is not an Excel workbook (.doc, .msg?){where(label)}")
        if kind != "xls":
            self.archives.check_zip_expansion(data, label)
        return [Part(join_path(part_name, f"sheet:{sheet}"), kind, text)
                for sheet, text in sheet_texts(data, kind, label)]


def read_text(kind: str, text: str, name: str = "") -> tuple[str, str]:
    """(kind, lines) of decoded text said or sniffed to be ``kind``.

    Broken JSON or XML and "CSV" without a consistent delimiter are read as plain text:
    re-posters paste damaged files, and their text must still reach the matcher.
    """
    if kind == "html":
        return kind, html_text(text, name)
    if kind == "json":
        try:
            return kind, json_text(parse_json(text))
        except (NotJson, RecursionError):
            pass
    if kind == "xml":
        try:
            return kind, xml_text(text, name)
        except ExtractionError:  # not well-formed, or declares a DTD: its text as it is
            pass
    if kind == "csv":
        delimiter = find_delimiter(text)
        if delimiter is not None:
            try:
                return kind, rows_text(text, delimiter)
            except csv.Error:
                pass
    return "text", normalize_newlines(text)
