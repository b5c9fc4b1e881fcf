"""Word-processor documents (docx, odt) to lines, their tables row by row.

A leaked list is often a table in a Word file. Both formats are zips of XML; the text parts
are read by the XML walker with marks chosen by tag name: paragraphs end lines, tab stops
separate cells (tab-aligned lists come out like tables), and a table row is one line.
"""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib

from tracker.errors import ExtractionError
from tracker.extract.lines import CELL, LINE, ROW_CLOSE, ROW_OPEN
from tracker.extract.messages import reason, where
from tracker.extract.xmldoc import parse_xml, xml_lines

#: What each element adds before and after its content, by local tag name.
_DOCX_MARKS = {"p": ("", LINE), "br": (LINE, ""), "cr": (LINE, ""), "tab": (CELL, ""),
               "tr": (ROW_OPEN, ROW_CLOSE), "tc": (CELL, "")}
_ODT_MARKS = {"p": ("", LINE), "h": ("", LINE), "line-break": (LINE, ""), "tab": (CELL, ""), "s": (" ", ""),
              "table-row": (ROW_OPEN, ROW_CLOSE), "table-cell": (CELL, ""), "covered-table-cell": (CELL, "")}
_NO_MARKS = ("", "")
#: In docx only <w:t> holds text; whitespace between elements is layout, and field codes
#: (<w:instrText>) are not text either.
_DOCX_TEXT_TAGS = frozenset({"t"})
_DOCX_EXTRA_PARTS = re.compile(r"word/(header|footer|footnotes|endnotes|comments)\d*\.xml")


def docx_text(data: bytes, name: str = "") -> str:
    """The body of a docx, then its headers, footers, notes and comments."""
    with _open(data, "docx", name) as archive:
        names = archive.namelist()
        parts = ["word/document.xml"] + sorted(part for part in names if _DOCX_EXTRA_PARTS.fullmatch(part))
        texts = [_lines(_read(archive, part, name), _DOCX_MARKS, _DOCX_TEXT_TAGS, name)
                 for part in parts if part in names]
    return "\n".join(text for text in texts if text)


def odt_text(data: bytes, name: str = "") -> str:
    """The body of an OpenDocument text."""
    with _open(data, "odt", name) as archive:
        return _lines(_read(archive, "content.xml", name), _ODT_MARKS, None, name)


def _open(data: bytes, kind: str, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ExtractionError(f"cannot read {kind} document{where(name)}: {reason(exc)}") from exc


def _read(archive: zipfile.ZipFile, part: str, name: str) -> bytes:
    try:
        return archive.read(part)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError) as exc:
        raise ExtractionError(f"cannot read {part} of document{where(name)}: {reason(exc)}") from exc


def _lines(xml: bytes, marks: dict[str, tuple[str, str]], text_tags: frozenset[str] | None, name: str) -> str:
    def by_tag(element: ElementTree.Element, tag: str) -> tuple[str, str]:
        return marks.get(tag, _NO_MARKS)

    return xml_lines(parse_xml(xml, name), by_tag, text_tags)
