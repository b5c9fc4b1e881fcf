"""HTML to lines of text, table rows as tab-joined cells.

Speed matters (whole crawled pages go through here), so the page is never walked node by node
in Python. Lexbor parses it in C; a few CSS queries find the elements that end lines, rows and
cells, and a marker character is inserted before/after each (bare ``<td>`` tags get theirs by
a text replace before parsing); one ``text()`` call then returns the whole page, and plain
``str`` operations and one regex (all in C) turn whitespace and markers into lines. The
Python loop runs per block element or table row, never per text node. Preformatted text
(``<pre>``, ``<textarea>``, ``white-space: pre`` styles: where paste sites put raw pastes)
keeps its lines. BeautifulSoup does the same job if lexbor ever fails on a page.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from html import unescape
from typing import Any

from tracker.errors import ExtractionError
from tracker.extract.lines import ALL_MARKERS, ANY_MARKER, CELL, LINE, PRE_SPACE, ROW_CLOSE, ROW_OPEN, finish
from tracker.extract.messages import where

#: A cell start tag other than a bare lower-case ``<td>``/``<th>`` (attributes, upper case).
_FANCY_CELL_TAG = re.compile(r"<[tT][dDhH][\s/]|<(?:T[dDhH]|t[DH])>")

DROPPED_TAGS = ["script", "style", "noscript", "template", "head", "iframe", "noembed", "noframes"]
#: Elements that end a line. Table sections (thead, tbody, tfoot) are not needed: rows mark
#: themselves, and each selector costs time on every element of the page.
BLOCK_TAGS = [
    "address", "article", "aside", "blockquote", "br", "caption", "center", "dd", "details", "dialog",
    "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hgroup", "hr", "legend", "li", "listing", "main", "menu", "nav", "ol",
    "option", "p", "plaintext", "pre", "section", "summary", "table", "textarea", "ul", "xmp",
]
#: Elements whose newlines and spaces are kept as they are.
PRE_TAGS = ["pre", "textarea", "listing", "plaintext", "xmp"]
_BLOCK_SELECTOR = ",".join(BLOCK_TAGS)
#: Nesting deeper than this is refused to the parser (see ``_too_deep``).
_MAX_DEPTH = 5_000
_DEPTH_CHECK_TAGS = 20_000
_DEPTH_CHUNK = 4096  # small, so that "running + all of a chunk" stays a tight bound
_NESTING_TAG = re.compile(r"<(/?)(?:div|section|article|aside|nav|main|header|footer|blockquote|ul|ol|dl|"
                          r"table|form|fieldset|figure|details|center|menu|dir|dialog|address)[\s/>]", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]*>")
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_PRE_SELECTOR = ",".join([*PRE_TAGS, '[style*="pre"]'])  # white-space: pre, pre-wrap, pre-line
_DROPPED_SELECTOR = ",".join(DROPPED_TAGS)


def html_text(html: str, name: str = "") -> str:
    """The readable text of an HTML page: blocks end lines, each table row is one line."""
    if any(marker in html for marker in ALL_MARKERS):
        html = ANY_MARKER.sub(" ", html)
    if _too_deep(html):
        return _tagless_text(html)
    try:
        return _lexbor_text(html)
    except Exception:  # lexbor is C code: any failure falls back to the pure-Python parser
        try:
            return bs4_text(html)
        except Exception as exc:
            raise ExtractionError(f"cannot parse HTML{where(name)}: {type(exc).__name__}") from exc


def _too_deep(html: str) -> bool:
    """Whether elements nest so deep that parsing would take minutes.

    HTML tree building checks the stack of open elements at every block start tag, so a page
    of 100,000 nested <div>s (under a megabyte) costs a parser time quadratic in that depth.
    Real pages nest a few dozen levels. Cheap bounds first: a page with few tags, or whose
    running count of "<" minus twice "</" (an overestimate of depth) stays low, is fine; only
    otherwise are the nesting block tags counted exactly.
    """
    if html.count("<") < _DEPTH_CHECK_TAGS:
        return False
    running = peak = 0
    for start in range(0, len(html), _DEPTH_CHUNK):
        end = start + _DEPTH_CHUNK
        opened = html.count("<", start, end)
        peak = max(peak, running + opened)
        running += opened - 2 * html.count("</", start, end)
    if peak < _MAX_DEPTH:
        return False
    depth = 0
    for closing in _NESTING_TAG.findall(html):
        depth += -1 if closing else 1
        if depth > _MAX_DEPTH:
            return True
    return False


def _tagless_text(html: str) -> str:
    """Degraded text of a page too deep to parse: every tag ends a line, entities decoded."""
    text = _SCRIPT_OR_STYLE.sub(" ", html)
    return "\n".join(line for line in (unescape(piece).strip() for piece in _ANY_TAG.split(text)) if line)


def _lexbor_text(html: str) -> str:
    from selectolax.lexbor import LexborHTMLParser

    # Bare <td>/<th> tags (the usual generated table) get their cell marker by a plain text
    # replace before parsing (text inside a cell stays in the cell); anything fancier is marked
    # on the parsed tree, one node at a time.
    plain_cells = _FANCY_CELL_TAG.search(html) is None
    if plain_cells:
        html = html.replace("<td>", "<td>" + CELL).replace("<th>", "<th>" + CELL)
    tree = LexborHTMLParser(html)
    for node in tree.css(_DROPPED_SELECTOR):
        node.decompose(recursive=False)  # detach only: a dropped node may sit inside another
    _mark(tree.css(_BLOCK_SELECTOR), tree.css("tr"), () if plain_cells else tree.css("td,th"))
    for pre in reversed(tree.css(_PRE_SELECTOR)):  # innermost first: an outer one then sees marked text
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
    for pre in reversed(soup.select(_PRE_SELECTOR)):
        pre.replace_with(_pre_marked(pre.get_text()))
    return finish(soup.get_text())


def _mark(blocks: Iterable[Any], rows: Iterable[Any], cells: Iterable[Any]) -> None:
    """Insert line, row and cell markers around the elements that structure the text.

    The nodes are lexbor nodes or bs4 tags: both take a string in ``insert_before/after``.
    """
    for node in blocks:
        node.insert_before(LINE)
        node.insert_after(LINE)
    for node in rows:
        node.insert_before(ROW_OPEN)
        node.insert_after(ROW_CLOSE)
    for node in cells:
        node.insert_before(CELL)


def _pre_marked(text: str) -> str:
    """Preformatted text with its newlines and spaces protected from whitespace folding."""
    return text.replace("\r\n", "\n").replace("\n", LINE).replace(" ", PRE_SPACE).replace("\t", CELL)
