"""Bytes to ``str``: byte-order marks, UTF-8, declared charsets, then a guess.

Leaked spreadsheets are often exported on Windows as cp1252, so accented names must survive a
file that is not UTF-8. The order is: a BOM decides; strict UTF-8 (the common, fast case); a
charset the server or the page declared; charset-normalizer's guess, nudged towards cp1252
when it cannot tell cp1252 from its look-alikes. Binary data is refused, never decoded into
noise that would read as a "clean" document.
"""
from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from tracker.errors import UnsupportedFormat
from tracker.extract.messages import where

_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: Labels that browsers (WHATWG) read as windows-1252; so do we.
_CP1252_LABELS = {"latin1", "latin-1", "iso-8859-1", "iso8859-1", "iso_8859-1", "l1", "ascii", "us-ascii",
                  "windows-1252", "cp1252", "x-cp1252"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CONTROL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f]")  # not \t \n \v \f \r or ESC
_SAMPLE = 64 * 1024


def charset_from_content_type(content_type: str | None) -> str | None:
    """The ``charset=`` parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip(" \"'"):
            return value.strip(" \"'")
    return None


def meta_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in its first bytes (``<meta charset=...>``), if any."""
    found = _META_CHARSET.search(data[:4096])
    return found.group(1).decode("ascii") if found else None


def decode(data: bytes, declared: str | None = None, name: str = "") -> str:
    """Decode document bytes to text; raise ``UnsupportedFormat`` for binary data."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return check_not_binary(data[len(bom):].decode(encoding, errors="replace"), name)
    if b"\x00" in data:
        return check_not_binary(_decode_with_nuls(data, name), name)
    try:
        return check_not_binary(data.decode("utf-8"), name)
    except UnicodeDecodeError as exc:
        text = _mostly_utf8(data, exc)
        if text is not None:
            return check_not_binary(text, name)
    for label in (declared, meta_charset(data) if declared is None else None):
        text = _try_declared(data, label)
        if text is not None:
            return check_not_binary(text, name)
    return check_not_binary(_guess(data, name), name)


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` become ``\\n``; nothing else changes."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _mostly_utf8(data: bytes, error: UnicodeDecodeError) -> str | None:
    """UTF-8 that is only cut mid-character at its end (a truncated download), or that holds
    many valid multi-byte characters and only a few bad bytes (a page pasted together from two
    encodings): decoding it as anything else would garble all of it to save a few characters."""
    if error.start >= len(data) - 3 and error.reason == "unexpected end of data":
        try:
            return data[: error.start].decode("utf-8")
        except UnicodeDecodeError:
            pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    multibyte_extra = len(data) - len(text)  # about the bytes beyond the first of each multi-byte char
    return text if multibyte_extra >= 10 * bad else None


def _try_declared(data: bytes, label: str | None) -> str | None:
    if not label:
        return None
    encoding = "cp1252" if label.strip().lower() in _CP1252_LABELS else label.strip()
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return None


def _decode_with_nuls(data: bytes, name: str) -> str:
    """UTF-16 without a BOM, or a text with a few stray NULs; anything else is binary."""
    sample = data[:_SAMPLE]
    half = max(len(sample) // 2, 1)
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        return data.decode("utf-16-le", errors="replace")
    if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        return data.decode("utf-16-be", errors="replace")
    if sample.count(0) > 0.01 * len(sample):
        raise UnsupportedFormat(f"unsupported format: binary data{where(name)}")
    return decode(data.replace(b"\x00", b""), name=name)


def _guess(data: bytes, name: str) -> str:
    """charset-normalizer's best guess, preferring cp1252 when it fits as well as the best."""
    matches = from_bytes(data[: 4 * _SAMPLE])
    best = matches.best()
    if best is None:
        raise UnsupportedFormat(f"unsupported format: binary data or unknown text encoding{where(name)}")
    encoding = best.encoding
    for match in matches:
        if (match.encoding == "cp1252" and match.chaos <= best.chaos + 0.01
                and match.coherence >= best.coherence - 0.05):
            encoding = "cp1252"
            break
    return data.decode(encoding, errors="replace")


def check_not_binary(text: str, name: str) -> str:
    """Refuse a decoded text that is mostly control characters or replacement marks (binary)."""
    sample = text[:_SAMPLE]
    if not sample:
        return text
    junk = len(_CONTROL.findall(sample)) + sample.count("\ufffd")
    if junk > 0.02 * len(sample):
        raise UnsupportedFormat(f"unsupported format: binary data{where(name)}")
    return text
