"""Reading links out of HTML listings and pages (selectolax, lexbor backend)."""
from __future__ import annotations

import codecs
from urllib.parse import urldefrag, urljoin

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

__all__ = ["SelectolaxError", "decode", "hrefs", "is_html", "join", "selector_error"]


def decode(content: bytes, content_type_header: str | None) -> str:
    """Text of a page: the charset the server named if Python knows it, else UTF-8, lenient."""
    charset = "utf-8"
    if content_type_header and "charset=" in content_type_header.lower():
        named = content_type_header.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
        try:
            codecs.lookup(named)
            charset = named
        except LookupError:
            pass
    return content.decode(charset, errors="replace")


def is_html(content_type: str | None, content: bytes) -> bool:
    """True for HTML by media type, or by a sniff of the first bytes when none was sent."""
    if content_type:
        return content_type in ("text/html", "application/xhtml+xml")
    head = content[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def join(base_url: str, link: str) -> str | None:
    """``link`` made absolute against ``base_url``, fragment removed; ``None`` if unparsable.

    A page may hold any text in an href (``http://[::1`` makes ``urljoin`` raise); one
    such link must not cost the caller the whole page.
    """
    try:
        return urldefrag(urljoin(base_url, link))[0]
    except ValueError:
        return None


def hrefs(html: str, selector: str = "a[href]", attr: str = "href") -> list[str]:
    """The non-empty ``attr`` values (stripped, as written) of the elements ``selector`` matches."""
    found: list[str] = []
    for node in LexborHTMLParser(html).css(selector):
        value = node.attributes.get(attr)
        if value and value.strip():
            found.append(value.strip())
    return found


def selector_error(selector: str) -> str | None:
    """Why a CSS selector cannot be used, or ``None`` when it parses."""
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except (SelectolaxError, ValueError) as exc:
        return str(exc) or "cannot parse the CSS selector"
    return None
