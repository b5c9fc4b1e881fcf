"""HTML to lines of text, table rows as tab-joined cells.

Speed matters (whole crawled pages go through here), so the page is never walked node by node
in Python. Lexbor parses it in C; one CSS query finds the elements that end lines, rows and
cells, and a private-use marker character is inserted before/after each; one ``text()`` call
then returns the whole page, and plain ``str`` operations (``replace``/``split``, all in C)
turn whitespace and markers into lines. The Python loop runs per block element or table cell,
never per text node. BeautifulSoup does the same job if lexbor ever fails on a page.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from tracker.errors import ExtractionError
from tracker.extract.messages import where

# Control characters as markers: lexbor keeps them as given, and unlike private-use characters
# they keep a Latin-1 page a 1-byte-per-character string, which halves the work on it.
_LINE, _CELL, _ROW_OPEN, _ROW_CLOSE, _PRE_SPACE = "\x01", "\x02", "\x03", "\x04", "\x05"
_ALL_MARKERS = (_LINE, _CELL, _ROW_OPEN, _ROW_CLOSE, _PRE_SPACE)
_ANY_MARKER = re.compile("[\x01-\x05]")
_SPACE_RUN = re.compile("  +")
#: A table row (with no row nested inside) that holds a line break: the break becomes a space,
#: so that a <p> or <br> inside a cell does not split the row.
_ROW_WITH_BREAK = re.compile("\x03[^\x03\x04\x01]*\x01[^\x03\x04]*\x04")
#: A cell start tag other than a bare lower-case ``<td>``/``<th>`` (attributes, upper case).
_FANCY_CELL_TAG = re.compile(r"<[tT][dDhH][\s/]|<(?:T[dDhH]|t[DH])>")

DROPPED_TAGS = ["script", "style", "noscript", "template", "head", "iframe", "noembed", "noframes"]
BLOCK_TAGS = [
    "address", "article", "aside", "blockquote", "br", "caption", "center", "dd", "details", "dialog",
    "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hgroup", "hr", "legend", "li", "main", "menu", "nav", "ol", "option",
    "p", "pre", "section", "summary", "table", "textarea", "ul",  # rows mark themselves
]
_BLOCK_SELECTOR = ",".join(BLOCK_TAGS)
_DROPPED_SELECTOR = ",".join(DROPPED_TAGS)


def html_text(html: str, name: str = "") -> str:
    """The readable text of an HTML page: blocks end lines, each table row is one line."""
    if any(marker in html for marker in _ALL_MARKERS):
        html = _ANY_MARKER.sub(" ", html)
    try:
        return _lexbor_text(html)
    except Exception:  # lexbor is C code: any failure falls back to the pure-Python parser
        try:
            return bs4_text(html)
        except Exception as exc:
            raise ExtractionError(f"cannot parse HTML{where(name)}: {type(exc).__name__}") from exc


def _lexbor_text(html: str) -> str:
    from selectolax.lexbor import LexborHTMLParser

    # Bare <td>/<th> tags (the usual generated table) get their cell marker by a plain text
    # replace before parsing (text inside a cell stays in the cell); anything fancier is marked
    # on the parsed tree, one node at a time.
    plain_cells = _FANCY_CELL_TAG.search(html) is None
    if plain_cells:
        html = html.replace("<td>", "<td>" + _CELL).replace("<th>", "<th>" + _CELL)
    tree = LexborHTMLParser(html)
    for node in tree.css(_DROPPED_SELECTOR):
        node.decompose(recursive=False)  # detach only: a dropped node may sit inside another
    _mark(tree.css(_BLOCK_SELECTOR), tree.css("tr"), () if plain_cells else tree.css("td,th"))
    for pre in reversed(tree.css("pre")):  # innermost first: an outer <pre> then sees marked text
        pre.replace_with(_pre_marked(pre.text()))
    root = tree.root
    return finish(root.text() if root is not None else "")


def bs4_text(html: str) -> str:
    """The same text as the lexbor path, through BeautifulSoup's pure-Python parser."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(DROPPED_TAGS):
        tag.decompose()
    _mark(soup.find_all(BLOCK_TAGS), soup.find_all("tr"), soup.find_all(["td", "th"]))
    for pre in reversed(soup.find_all("pre")):
        pre.replace_with(_pre_marked(pre.get_text()))
    return finish(soup.get_text())


def _mark(blocks: Iterable[Any], rows: Iterable[Any], cells: Iterable[Any]) -> None:
    """Insert line, row and cell markers around the elements that structure the text.

    The nodes are lexbor nodes or bs4 tags: both take a string in ``insert_before/after``.
    """
    for node in blocks:
        node.insert_before(_LINE)
        node.insert_after(_LINE)
    for node in rows:
        node.insert_before(_ROW_OPEN)
        node.insert_after(_ROW_CLOSE)
    for node in cells:
        node.insert_before(_CELL)


def _pre_marked(text: str) -> str:
    """Preformatted text with its newlines and spaces protected from whitespace folding."""
    return text.replace("\r\n", "\n").replace("\n", _LINE).replace(" ", _PRE_SPACE).replace("\t", _CELL)


def finish(text: str) -> str:
    """Marked text to lines: fold HTML whitespace, apply the markers, drop empty lines."""
    text = _fold_spaces(text.replace("\n", " ").replace("\t", " ").replace("\r", " ")
                        .replace("\f", " ").replace("\xa0", " "))
    if _ROW_OPEN in text:
        if _LINE in text:
            text = _fold_spaces(_ROW_WITH_BREAK.sub(lambda row: row.group().replace(_LINE, " "), text))
        # the first cell of a row starts its line: no tab before it
        text = text.replace(_ROW_OPEN + " " + _CELL, _ROW_OPEN).replace(_ROW_OPEN + _CELL, _ROW_OPEN)
        text = text.replace(_ROW_OPEN, _LINE).replace(_ROW_CLOSE, _LINE)
    if _CELL in text:
        text = text.replace(" " + _CELL, _CELL).replace(_CELL + " ", _CELL).replace(_CELL, "\t")
    lines = "\n".join(kept for line in text.split(_LINE)
                      if (kept := line.strip(" ")).strip("\t" + _PRE_SPACE))
    return lines.replace(_PRE_SPACE, " ") if _PRE_SPACE in lines else lines


def _fold_spaces(text: str) -> str:
    """Runs of spaces to one space (one regex pass: its literal two-space prefix is searched
    in C, and it beats repeated ``replace`` by far on indented pages)."""
    return _SPACE_RUN.sub(" ", text)
