"""Word-processor documents (docx, odt) to lines, their tables row by row.

A leaked list is often a table in a Word file. Both formats are zips of XML; the text parts are
parsed with the standard library's expat parser and walked once, emitting the same line, row
and cell markers as the HTML reader, whose ``finish`` then makes the lines. Paragraphs end
lines, tab stops separate cells (tab-aligned lists come out like tables), and a table row is
one line.
"""
from __future__ import annotations

import io
import re
import zipfile
import xml.etree.ElementTree as ElementTree

from tracker.errors import ExtractionError
from tracker.extract.lines import CELL, LINE, ROW_CLOSE, ROW_OPEN, finish
from tracker.extract.messages import reason, where

#: What each element adds before and after its content, by local tag name.
_DOCX_MARKS = {"p": ("", LINE), "br": (LINE, ""), "cr": (LINE, ""), "tab": (CELL, ""),
               "tr": (ROW_OPEN, ROW_CLOSE), "tc": (CELL, "")}
_ODT_MARKS = {"p": ("", LINE), "h": ("", LINE), "line-break": (LINE, ""), "tab": (CELL, ""), "s": (" ", ""),
              "table-row": (ROW_OPEN, ROW_CLOSE), "table-cell": (CELL, ""), "covered-table-cell": (CELL, "")}
#: In docx only <w:t> holds text; whitespace between elements is layout, and field codes
#: (<w:instrText>) are not text either.
_DOCX_TEXT_TAGS = frozenset({"t"})
_DOCX_EXTRA_PARTS = re.compile(r"word/(header|footer|footnotes|endnotes|comments)\d*\.xml")


def docx_text(data: bytes, name: str = "") -> str:
    """The body of a docx, then its headers, footers, notes and comments."""
    with _open(data, "docx", name) as archive:
        names = archive.namelist()
        parts = ["word/document.xml"] + sorted(part for part in names if _DOCX_EXTRA_PARTS.fullmatch(part))
        return "\n".join(text for part in parts if part in names
                         if (text := _xml_text(archive.read(part), _DOCX_MARKS, _DOCX_TEXT_TAGS, name)))


def odt_text(data: bytes, name: str = "") -> str:
    """The body of an OpenDocument text."""
    with _open(data, "odt", name) as archive:
        return _xml_text(archive.read("content.xml"), _ODT_MARKS, None, name)


def _open(data: bytes, kind: str, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ExtractionError(f"cannot read {kind} document{where(name)}: {reason(exc)}") from exc


def _xml_text(xml: bytes, marks: dict[str, tuple[str, str]], text_tags: frozenset[str] | None,
              name: str) -> str:
    """Walk the XML tree once (explicit stack), emitting text and markers, then ``finish``."""
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:  # never in these formats; entity bombs are
        raise ExtractionError(f"document XML declares a DTD, refused{where(name)}")
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise ExtractionError(f"corrupt document XML{where(name)}: {reason(exc)}") from exc
    pieces: list[str] = []
    stack: list[tuple[ElementTree.Element, bool]] = [(root, False)]
    while stack:
        element, closing = stack.pop()
        tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        before, after = marks.get(tag, ("", ""))
        if closing:
            pieces.append(after)
            if element.tail and text_tags is None:
                pieces.append(element.tail)
            continue
        pieces.append(before)
        if element.text and (text_tags is None or tag in text_tags):
            pieces.append(element.text)
        stack.append((element, True))
        stack.extend((child, False) for child in reversed(element))
    return finish("".join(pieces))
