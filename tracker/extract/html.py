"""HTML to lines of text, table rows as tab-joined cells.

Every text node of the page is kept, wherever the parser puts it: in the head (``<title>``),
in scripts and styles, in ``<noscript>``, in ``<template>`` contents. Re-posts hide in all of
them (a ``<script>`` data array, a title). The content of a raw text element (``RAW_TEXT_TAGS``:
script, style, title, textarea, ...) is laid out on lines of its own, with its newlines kept.

This is the one layout of HTML text in the project: the full path's extractor and the
compiled gate's first look (``tracker.prefilter``) both read a page through ``html_text``.

Speed matters (whole crawled pages go through here), so the page is never walked node by node
in Python. Lexbor parses it in C (the HTML standard's tree construction, tag soup included).
Cell and row start tags get a marker character by a text replace before parsing (see
``_separate_table_tags``: that also keeps apart the cells of a pasted table fragment, whose
tags the parser drops); a few CSS queries find the elements that end lines and rows, and a
marker is inserted before/after each; one ``text()`` call then returns the whole page, and
plain ``str`` operations and one regex (all in C) turn whitespace and markers into lines. The
Python loop runs per block element or table row, never per text node. Preformatted text
(``<pre>``, ``<textarea>``, ``white-space: pre`` styles: where paste sites put raw pastes)
keeps its lines. BeautifulSoup does the same job if lexbor ever fails on a page.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from html import unescape
from typing import Any

from tracker.errors import ExtractionError
from tracker.extract.lines import ALL_MARKERS, ANY_MARKER, CELL, LINE, PRE_SPACE, ROW_CLOSE, ROW_OPEN, finish
from tracker.extract.messages import where

#: Elements whose content the HTML parser keeps as one text node, as written (the raw text and
#: escapable raw text elements of the HTML standard, and ``plaintext``). Each is laid out on
#: lines of its own, keeping its newlines: a script's data array keeps one row per line.
#: ``noscript`` is not one: lexbor parses with scripting disabled, so its content is markup.
RAW_TEXT_TAGS = ["script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes", "plaintext"]
#: Elements whose newlines and spaces are kept as they are.
PRE_TAGS = ["pre", "listing", *RAW_TEXT_TAGS]
#: Elements that end a line. Table sections (thead, tbody, tfoot) are not needed: rows mark
#: themselves, and each selector costs time on every element of the page. Preformatted
#: elements end lines too (see ``_lexbor_text``), without a selector of their own here.
BLOCK_TAGS = [
    "address", "article", "aside", "blockquote", "br", "caption", "center", "dd", "details", "dialog",
    "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hgroup", "hr", "legend", "li", "main", "menu", "nav", "noscript", "ol",
    "option", "p", "section", "summary", "table", "template", "ul",
]
_PRE_BLOCKS = frozenset(PRE_TAGS)
_RAW_TEXT = frozenset(RAW_TEXT_TAGS)
_PRE_STYLE = '[style*="pre"]'  # white-space: pre, pre-wrap, pre-line
_PRE_SELECTOR = ",".join([*PRE_TAGS, _PRE_STYLE])
_BLOCK, _ROW, _PRE = "block", "row", "pre"
_KIND = {**{tag: _BLOCK for tag in BLOCK_TAGS}, "tr": _ROW, **{tag: _PRE for tag in PRE_TAGS}}
#: Nesting deeper than this is refused to the parser (see ``_too_deep``).
_MAX_DEPTH = 5_000
_DEPTH_CHECK_TAGS = 20_000
_DEPTH_CHUNK = 4096  # small, so that "running + all of a chunk" stays a tight bound
_NESTING_TAG = re.compile(r"<(/?)(?:div|section|article|aside|nav|main|header|footer|blockquote|ul|ol|dl|"
                          r"table|form|fieldset|figure|details|center|menu|dir|dialog|address|template)[\s/>]",
                          re.IGNORECASE)
#: A cell or row start tag other than a bare lower-case ``<td>``, ``<th>`` or ``<tr>``: other
#: case, attributes, or a tag name that only starts like one (``<td">``, which the parser takes
#: for an unknown element, but the source for a cell all the same).
_FANCY_TABLE_TAG = re.compile(r"<[tT][dDhHrR](?![>A-Za-z0-9-])|<(?:T[dDhHrR]|t[DHR])>")
#: Such a tag in any spelling, to its ``>`` as the HTML tokenizer finds it (a quoted attribute
#: value may hold one), within a bound (so that a page of unclosed ``<td`` costs linear time; a
#: longer tag is left as it is).
_TABLE_TAG = re.compile(
    r"""<t([dhr])(?![a-z0-9-])(?:[^>="']|=\s*"[^"]{0,2048}"|=\s*'[^']{0,2048}'|=|["']){0,512}>""", re.IGNORECASE)
#: What follows each row start tag: whitespace to the parser (it changes no tree), a line end
#: here. Where the tag makes a row, the row's own marker replaces it.
_ROW_BREAK = "\f"
#: A row break with the first cell marker after it (whitespace between).
_DROPPED_ROW = re.compile("\f(?:[ \t\n\r\f]*\x02)?")
#: The degraded reading of a page too deep to parse (``_tagless_text``): a raw text element
#: (its content is text up to its end tag), ``<plaintext>`` (the rest is text), or anything the
#: HTML tokenizer could read as a tag, comment or declaration, up to the first ``>`` (where a
#: tag ends or before: no text is taken for markup), within a bound.
_TAGLESS = re.compile(
    r"<(script|style|title|textarea|xmp|iframe|noembed|noframes)(?=[\s/>])[^>]{0,4096}>(.*?)"
    r"(?:</\1(?=[\s/>])[^>]{0,4096}>|\Z)"
    r"|<plaintext(?=[\s/>])[^>]{0,4096}>(.*)"
    r"|<[A-Za-z/!?][^>]{0,4096}>",
    re.IGNORECASE | re.DOTALL)
_ESCAPABLE_RAW_TEXT = frozenset({"title", "textarea"})  # character references are decoded in these


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
    """Degraded text of a page too deep to parse: every tag ends a line, entities decoded,
    the content of raw text elements (scripts, titles, ...) kept as lines of text."""
    pieces: list[str] = []
    at = 0
    for found in _TAGLESS.finditer(html):
        pieces.append(unescape(html[at:found.start()]))
        raw, rest = found.group(2), found.group(3)
        if raw is not None:
            decode = found.group(1).lower() in _ESCAPABLE_RAW_TEXT
            pieces.extend(unescape(line) if decode else line for line in raw.splitlines())
        elif rest is not None:
            pieces.extend(rest.splitlines())
        at = found.end()
    pieces.append(unescape(html[at:]))
    return "\n".join(line for line in (piece.strip() for piece in pieces) if line)


def _separate_table_tags(html: str) -> str:
    """A cell marker after every cell start tag of the source, a row break after every row's.

    Where the parser makes cells and rows of them (in a table), the markers mark them. Where
    it drops the tags (rows and cells outside any table: a fragment of a table pasted into a
    page), the markers still keep the cells' words apart and end a line at each row, where
    the text would otherwise run together, one name glued to the next. A marker after a
    cell start tag ends up in that cell, or as text where the tag is dropped, so it changes
    no element of the tree; the row break is whitespace, which changes none either. Inside
    raw text (a script quoting ``"<td>"``) they are taken out again (``_raw_text``).
    """
    if _FANCY_TABLE_TAG.search(html) is None:  # the common generated table: plain replaces, in C
        return html.replace("<td>", "<td>" + CELL).replace("<th>", "<th>" + CELL).replace("<tr>", "<tr>" + _ROW_BREAK)
    return _TABLE_TAG.sub(_tag_and_marker, html)


def _tag_and_marker(found: re.Match[str]) -> str:
    return found.group() + (_ROW_BREAK if found.group(1) in "rR" else CELL)


def _raw_text(text: str) -> str:
    """The content of a raw text element without the markers ``_separate_table_tags`` put in."""
    return text.replace(CELL, "").replace(">" + _ROW_BREAK, ">") if CELL in text or _ROW_BREAK in text else text


def _lexbor_text(html: str) -> str:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(_separate_table_tags(html))
    root = tree.root
    if root is None:
        return ""
    _inline_templates(tree)
    blocks, rows, pres = _structure(root, tree.css(_PRE_STYLE))
    _mark(blocks, rows)
    for pre in reversed(pres):  # innermost first: an outer one then sees marked text
        tag = pre.tag
        text = _pre_marked(_raw_text(pre.text()) if tag in _RAW_TEXT else pre.text())
        pre.replace_with(LINE + text + LINE if tag in _PRE_BLOCKS else text)
    return _finish(root.text())


def _structure(root: Any, styled: list[Any]) -> tuple[list[Any], list[Any], list[Any]]:
    """The block elements, table rows and preformatted elements under ``root``, in document order.

    One walk of the tree, in C, with a dictionary look-up of each element's lexbor tag id in
    Python: cheaper than a CSS selector list, which lexbor tries element by element, selector
    by selector (the ids of known tags are lexbor's constants; they serve every namespace).
    """
    blocks: list[Any] = []
    rows: list[Any] = []
    pres: list[Any] = []
    kind = _kinds_by_tag_id().get
    styled_ids = {node.mem_id for node in styled}
    for node in root.traverse():
        found = kind(node.tag_id)
        if styled_ids and node.mem_id in styled_ids:
            pres.append(node)
        elif found is _PRE:
            pres.append(node)
        if found is _BLOCK:
            blocks.append(node)
        elif found is _ROW:
            rows.append(node)
    return blocks, rows, pres


@functools.cache
def _kinds_by_tag_id() -> dict[int, str]:
    from selectolax.lexbor import LexborHTMLParser

    parser = LexborHTMLParser("")
    return {parser.create_node(tag).tag_id: kind for tag, kind in _KIND.items()}


def _inline_templates(tree: Any) -> None:
    """Move the content of every ``<template>`` into the element itself.

    The parser puts a template's content in a fragment of its own, outside the document tree,
    where neither CSS queries nor ``text()`` reach. Moved in, it is laid out like the rest of
    the page. Templates nested in a moved content are moved on the next round.
    """
    while True:
        moved = False
        for fragment in tree.template_fragments():
            if fragment.first_child is None:
                continue
            host = fragment.parent
            for node in list(fragment.iter(include_text=True)):
                host.insert_child(node, move=True)
            moved = True
        if not moved:
            return


def bs4_text(html: str) -> str:
    """The same text as the lexbor path, through BeautifulSoup's pure-Python parser."""
    from bs4 import BeautifulSoup

    if any(marker in html for marker in ALL_MARKERS):
        html = ANY_MARKER.sub(" ", html)
    soup = BeautifulSoup(_separate_table_tags(html), "html.parser")
    _mark(soup.find_all(BLOCK_TAGS), soup.find_all("tr"))
    types = _bs4_text_types()
    for pre in reversed(soup.select(_PRE_SELECTOR)):
        tag = pre.name
        text = _pre_marked(_raw_text(pre.get_text(types=types)) if tag in _RAW_TEXT else pre.get_text(types=types))
        pre.replace_with(LINE + text + LINE if tag in _PRE_BLOCKS else text)
    return _finish(soup.get_text(types=types))


def _bs4_text_types() -> tuple[type, ...]:
    """Every kind of string bs4 makes of text (script, style, template and ruby text included:
    ``get_text`` leaves those out by default), but not comments or declarations."""
    from bs4 import element

    names = ["NavigableString", "CData", "Script", "Stylesheet", "TemplateString", "RubyTextString",
             "RubyParenthesisString"]
    return tuple(getattr(element, name) for name in names if hasattr(element, name))


def _finish(text: str) -> str:
    """The page's marked text to lines. A row break right at the start of a marked row is the
    row's own (``_separate_table_tags``); any other ends a line (a row the parser dropped), and
    the first cell marker after it starts that line (no tab before it, as in a marked row)."""
    if _ROW_BREAK in text:
        text = text.replace(ROW_OPEN + _ROW_BREAK, ROW_OPEN)
        if _ROW_BREAK in text:
            text = _DROPPED_ROW.sub(LINE, text) if CELL in text else text.replace(_ROW_BREAK, LINE)
    return finish(text)


def _mark(blocks: Iterable[Any], rows: Iterable[Any]) -> None:
    """Insert line and row markers around the elements that structure the text.

    The nodes are lexbor nodes or bs4 tags: both take a string in ``insert_before/after``.
    """
    for node in blocks:
        node.insert_before(LINE)
        node.insert_after(LINE)
    for node in rows:
        node.insert_before(ROW_OPEN)
        node.insert_after(ROW_CLOSE)


def _pre_marked(text: str) -> str:
    """Preformatted text with its newlines and spaces protected from whitespace folding."""
    return text.replace("\r\n", "\n").replace("\n", LINE).replace(" ", PRE_SPACE).replace("\t", CELL)
