"""XML to lines: the walker shared by the word-processor readers, and generic XML data.

defusedxml's hardened expat parser reads the XML: documents that declare a DTD are refused
outright, so neither entity bombs nor external entities can do anything. The tree is walked
once with an explicit stack, emitting text and the line, row and cell markers that
``lines.finish`` turns into lines.

Generic XML data (an export of records) has no tag names we know, so its structure decides:
an element with child elements, or with two or more attributes, is a row; any other element
is a cell. ``<person><name>..</name><dob>..</dob></person>`` and
``<person name=".." dob=".."/>`` both come out as one line per person.
"""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Callable

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from tracker.errors import ExtractionError
from tracker.extract.lines import CELL, ROW_CLOSE, ROW_OPEN, finish
from tracker.extract.messages import reason, where

#: (what goes before an element's content, what goes after it) for one element.
Marks = Callable[[ElementTree.Element, str], tuple[str, str]]


def parse_xml(xml: bytes | str, name: str = "") -> ElementTree.Element:
    """The root element of a document; ``ExtractionError`` if it is not well-formed XML."""
    try:
        root: ElementTree.Element = fromstring(xml, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ExtractionError(f"XML document declares a DTD or entities, refused{where(name)}") from exc
    except (ElementTree.ParseError, ValueError, LookupError) as exc:
        raise ExtractionError(f"corrupt XML{where(name)}: {reason(exc)}") from exc
    return root


def xml_lines(root: ElementTree.Element, marks: Marks, text_tags: frozenset[str] | None = None,
              attributes: bool = False) -> str:
    """The lines of an XML tree: text (only inside ``text_tags`` if given), markers from ``marks``
    (called with each element and its local tag name), attribute values as cells if asked."""
    pieces: list[str] = []
    stack: list[tuple[ElementTree.Element, bool]] = [(root, False)]
    while stack:
        element, closing = stack.pop()
        tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        before, after = marks(element, tag)
        if closing:
            pieces.append(after)
            if element.tail and text_tags is None:
                pieces.append(element.tail)
            continue
        pieces.append(before)
        if attributes and element.attrib:  # a row's attributes are its cells; a cell's, its text
            values = element.attrib.values()
            pieces.append((CELL + CELL.join(values) if before == ROW_OPEN else " ".join(values)) + " ")
        if element.text and (text_tags is None or tag in text_tags):
            pieces.append(element.text)
        stack.append((element, True))
        stack.extend((child, False) for child in reversed(element))
    return finish("".join(pieces))


def xml_text(xml: bytes | str, name: str = "") -> str:
    """Generic XML data: one line per record-like element, its fields and attributes as cells."""
    return xml_lines(parse_xml(xml, name), _structural_marks, attributes=True)


def _structural_marks(element: ElementTree.Element, tag: str) -> tuple[str, str]:
    if len(element) or len(element.attrib) >= 2:
        return ROW_OPEN, ROW_CLOSE
    return CELL, ""
