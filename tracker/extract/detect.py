"""What kind of document a byte string is.

Magic bytes first (they cannot lie about a zip or a PDF), then the Content-Type the server
sent, then the file extension, then a look at the decoded text. Servers and re-posters often
label things wrongly, so only text kinds (html, json, csv, xml) and mail messages (eml, mbox)
are taken from a header or an extension; a binary kind must prove itself with its magic bytes,
and its extension only names what a file that fails to was meant to be.
"""
from __future__ import annotations

import io
import re
import zipfile
import zlib
from urllib.parse import unquote, urlsplit

from tracker.errors import ExtractionError, UnsupportedFormat
from tracker.extract.messages import reason, where
from tracker.extract.tables import find_delimiter

#: Formats we recognise only to refuse them with a clear name.
_FOREIGN_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (0, b"Rar!\x1a\x07", "application/vnd.rar"),
    (0, b"\x28\xb5\x2f\xfd", "application/zstd"),
    (0, b"\x1f\x9d", "application/x-compress"),
    (0, b"\x7fELF", "application/x-executable"),
    (0, b"SQLite format 3\x00", "application/vnd.sqlite3"),
    (0, b"OggS", "audio/ogg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"wOFF", "font/woff"),
    (0, b"wOF2", "font/woff2"),
    (4, b"ftyp", "video/mp4"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OPENDOCUMENT_KINDS = {b"application/vnd.oasis.opendocument.spreadsheet": "ods",
                       b"application/vnd.oasis.opendocument.text": "odt"}

_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_JSON_TYPES = {"application/json", "text/json", "application/x-ndjson", "application/ndjson",
               "application/jsonl", "application/x-jsonlines", "application/json-seq"}
_XML_TYPES = {"application/xml", "text/xml"}
_CSV_TYPES = {"text/csv", "application/csv", "text/x-csv", "text/comma-separated-values",
              "text/tab-separated-values"}
#: Mail messages and web archives (MIME), one message per document.
#: (A multipart type comes without its MIME headers, which were the HTTP ones: the reader puts
#: the Content-Type back in front.)
_MESSAGE_TYPES = {"message/rfc822", "message/global", "message/news", "application/x-mimearchive",
                  "multipart/related", "multipart/mixed", "multipart/alternative"}
_MBOX_TYPES = {"application/mbox", "application/x-mbox"}
#: Message kinds: read by ``tracker.extract.mime``, never on the prefilter's plain-text path.
MESSAGE_KINDS = frozenset({"eml", "mbox"})

#: Extensions that name a text kind (or a message); taken as they are, like a Content-Type.
TEXT_EXTENSIONS: dict[str, str] = {
    "html": "html", "htm": "html", "xhtml": "html", "shtml": "html",
    "json": "json", "jsonl": "json", "ndjson": "json", "geojson": "json",
    "csv": "csv", "tsv": "csv", "tab": "csv", "psv": "csv",
    "xml": "xml", "rss": "xml", "atom": "xml",
    "eml": "eml", "emlx": "eml", "mht": "eml", "mhtml": "eml", "mbox": "mbox", "mbx": "mbox",
}
#: Extensions of binary kinds: a file must prove its kind with its magic bytes; the extension
#: only says, when it does not, what it was meant to be ("corrupt xlsx file").
BINARY_EXTENSIONS: dict[str, str] = {
    "xlsx": "xlsx", "xlsm": "xlsx", "xlsb": "xlsb", "xls": "xls", "ods": "ods",
    "docx": "docx", "docm": "docx", "odt": "odt", "pdf": "pdf",
    "zip": "zip", "tar": "tar", "gz": "gzip", "gzip": "gzip", "tgz": "gzip",
    "bz2": "bz2", "tbz": "bz2", "tbz2": "bz2", "xz": "xz", "txz": "xz",
}
#: Every extension the extractor recognises, and the kind it stands for.
EXTENSION_KINDS: dict[str, str] = {**TEXT_EXTENSIONS, **BINARY_EXTENSIONS}

#: RFC 5322 field names that make a header block at the start of a text a mail message.
_MESSAGE_FIELDS = frozenset({
    "from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version", "received", "return-path",
    "reply-to", "sender", "in-reply-to", "references", "delivered-to", "envelope-to", "content-type",
    "content-transfer-encoding", "content-disposition", "content-id", "content-location", "x-mailer",
    "user-agent", "dkim-signature", "authentication-results", "thread-topic", "thread-index", "list-id",
    "x-original-to", "x-originating-ip", "snapshot-content-location", "newsgroups", "organization",
})
_FIELD_NAME = re.compile(r"([!-9;-~]+)[ \t]*:")  # RFC 5322 ftext, then the colon
#: How much of a decoded document the sniffers look at.
SNIFF_CHARS = 4096
_XHTML_SNIFF = re.compile(r"<(?:!doctype\s+html|html)\b", re.IGNORECASE)
_HTML_SNIFF = re.compile(
    r"<(?:!doctype\s+html|html|head|body|meta|title|table|div|p|br|span|a\s|ul|ol|li|tr|td|h[1-6]|form|script)\b",
    re.IGNORECASE)


def basename(name: str) -> str:
    """The last path segment of a file name or URL, without query or fragment."""
    if "://" in name:
        name = unquote(urlsplit(name).path)
    return name.rstrip("/").rsplit("/", 1)[-1]


def extension(name: str) -> str:
    """Lower-case extension of a file name or URL (``"csv"``), or ``""``."""
    base = basename(name)
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def magic_kind(data: bytes, name: str = "") -> str | None:
    """The binary kind proven by ``data``'s magic bytes, or ``None`` for (probably) text.

    Raises ``UnsupportedFormat`` for formats recognised only to be refused (images, 7z, ...).
    """
    head = data[:512]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return zip_kind(data, name)
    pdf_at = data.find(b"%PDF-", 0, 1024)
    if pdf_at == 0 or (pdf_at > 0 and b"<" not in data[:pdf_at]):  # junk may precede it, markup not
        return "pdf"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh") and head[4:10] == b"1AY&SY":
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(_OLE2):
        return "xls"
    if head[257:262] == b"ustar":
        return "tar"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        raise UnsupportedFormat(f"unsupported format: image/webp{where(name)}")
    for offset, magic, mime in _FOREIGN_MAGIC:
        if head.startswith(magic, offset):
            raise UnsupportedFormat(f"unsupported format: {mime}{where(name)}")
    return None


def zip_kind(data: bytes, name: str = "") -> str:
    """``xlsx``, ``xlsb``, ``ods``, ``docx`` or ``odt`` for office files (which are zips), else ``zip``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "xl/workbook.bin" in names:
                return "xlsb"
            if "word/document.xml" in names:
                return "docx"
            if "mimetype" in names:
                return _OPENDOCUMENT_KINDS.get(_mimetype(archive), "zip")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ExtractionError(f"corrupt zip archive{where(name)}: {reason(exc)}") from exc
    return "zip"


def _mimetype(archive: zipfile.ZipFile) -> bytes:
    """The start of an OpenDocument's ``mimetype`` member; ``b""`` if it cannot be read (the
    archive is then read as a plain zip, and the damaged member reported there)."""
    try:
        with archive.open("mimetype") as stream:
            return stream.read(64).strip()
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError, zlib.error):
        return b""


def declared_kind(name: str, content_type: str | None) -> str | None:
    """The text kind (html, json, csv, xml) or message kind (eml, mbox) that the Content-Type,
    else the extension, claims."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in _HTML_TYPES:
        return "html"
    if mime in _JSON_TYPES or mime.endswith("+json"):
        return "json"
    if mime in _CSV_TYPES:
        return "csv"
    if mime in _XML_TYPES or mime.endswith("+xml"):
        return "xml"
    if mime in _MESSAGE_TYPES:
        return "eml"
    if mime in _MBOX_TYPES:
        return "mbox"
    return TEXT_EXTENSIONS.get(extension(name))


def sniff_markup_kind(text: str) -> str | None:
    """html, xml, json, or a mail message (eml, mbox) from the start of a decoded document;
    ``None`` for other text."""
    head = text[:SNIFF_CHARS].lstrip("\ufeff \t\r\n")
    if head.startswith(("{", "[")):
        return "json"
    if head.startswith("<?xml"):  # XHTML says so; other XML may well use tags like <title> or <p>
        return "html" if _XHTML_SNIFF.search(head) else "xml"
    if head.startswith("<"):
        return "html" if _HTML_SNIFF.search(head) else "xml"
    return sniff_message_kind(head, cut=len(text) >= SNIFF_CHARS)  # the same for a text and its start


def sniff_message_kind(head: str, cut: bool = False) -> str | None:
    """``eml`` when ``head`` opens with a mail header block, ``mbox`` when an mbox ``From `` line
    comes first; ``None`` otherwise.

    A header block is a run of ``Name: value`` fields (and their folded continuation lines) up
    to an empty line or the end of ``head``, with at least two fields that mail uses (From, To,
    Subject, Date, MIME-Version, Received, Content-Type, ...). ``cut`` says that ``head`` is only
    the start of a longer text: its last line may then be cut short and is not judged.
    """
    if not head[:1].isascii() or not head[:1].isalpha():
        return None  # the common case, decided at once
    kind = "eml"
    lines = head.split("\n")
    if head.startswith("From "):
        if len(lines[0].split(None, 2)) < 2:
            return None
        kind = "mbox"
        lines = lines[1:]
    if cut:
        lines = lines[:-1]
    fields = known = 0
    for line in lines:
        line = line.rstrip("\r")
        if not line:
            break
        if line[0] in " \t":
            if not fields:
                return None
            continue
        found = _FIELD_NAME.match(line)
        if found is None:
            return None
        fields += 1
        known += found.group(1).lower() in _MESSAGE_FIELDS
    return kind if known >= 2 else None


def sniff_text_kind(text: str) -> str:
    """Guess html, xml, json, csv or text from the start of a decoded document."""
    kind = sniff_markup_kind(text)
    if kind is not None:
        return kind
    if find_delimiter(text, strict=True) is not None:
        return "csv"
    return "text"


def describe_binary(content_type: str | None) -> str:
    """A name for data we could not read: the declared media type if any."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    return mime if mime and not mime.startswith("text/") else "binary data"


def meant_kind(name: str) -> str | None:
    """The binary kind that ``name``'s extension claims (``"xlsx"`` for ``a.xlsx``), if any."""
    return BINARY_EXTENSIONS.get(extension(name))


def is_encrypted_office(data: bytes) -> bool:
    """Whether an OLE2 compound file is a password-protected Office Open XML file (xlsx, docx)."""
    return "EncryptedPackage".encode("utf-16-le") in data


def is_ole2_workbook(data: bytes) -> bool:
    """Whether an OLE2 compound file holds an Excel stream ("Workbook", or "Book" for Excel 5)."""
    return "Workbook".encode("utf-16-le") in data or "Book\x00".encode("utf-16-le") in data
