"""Mail messages (RFC 5322 / MIME): ``.eml``, ``message/rfc822``, mbox files, web archives (``.mht``).

A message is a container, read like an archive and under the same ``Budget``. Its header fields
are one text part (names and dates are often in From, To or Subject). Every leaf of its
multipart body, however nested (mixed, alternative, related, ...), is a member: its
Content-Transfer-Encoding (base64, quoted-printable, ...) is undone, and the bytes go through
the document machinery by their file name and Content-Type, so an attached CSV, workbook,
PDF, archive or message is read as such. Text parts keep their declared charset. All the
alternatives of a ``multipart/alternative`` are read (the plain one may hold what the HTML one
leaves out). An mbox file is a run of messages, each one member.

A member that cannot be read is reported and skipped, as in an archive. A message whose
attachments exist but none can be read is itself unreadable (``UnsupportedFormat``): its
attachments are what it carried, and we could not look at them; so is a message with nothing
readable at all. The inline resources of a ``multipart/related`` body (the images of an HTML
mail or a saved web page) are not attachments: one that cannot be read is only reported. Part names follow archive members: ``headers``, ``part:1.2`` for body parts
(IMAP section numbers), the file name for attachments (``leak.csv``), ``message:3/`` for the
messages of an mbox, the part's name then ``/`` for a nested message's own parts.
"""
from __future__ import annotations

import base64
import binascii
import functools
import quopri
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from email import errors as email_errors
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy

from tracker.errors import ExtractionError, LimitExceeded, UnsupportedFormat
from tracker.extract.archives import join_path
from tracker.extract.detect import SNIFF_CHARS, extension, sniff_message_kind
from tracker.extract.limits import Budget
from tracker.extract.messages import reason, where
from tracker.extract.parts import Part

#: Reads one member: (its bytes, its path, its nesting depth, its Content-Type) -> its parts.
ReadPart = Callable[[bytes, str, int, "str | None"], list[Part]]

#: What a leaf is to its message (see ``_leaf_role``).
BODY, ATTACHMENT, RESOURCE = "body", "attachment", "resource"
#: multipart inside multipart (not messages, which count as archive depth): normal mail needs 3 or 4.
MAX_MULTIPART_NESTING = 32

#: The longest field value the email package's structured parser is given. That parser takes
#: some 10 µs per character and runs again at every ``get_content_type()`` (the message parser
#: itself calls it on every part), so one pasted-in 700 kB Content-Type field kept a 1.7 kB
#: (compressed) message busy for minutes. Real MIME fields are far shorter; a longer one is
#: parsed on its first ``MAX_PARSED_FIELD`` characters (type, boundary and the first
#: parameters come first), and written out in full, only its encoded words decoded, by
#: ``header_text``.
MAX_PARSED_FIELD = 1024


if TYPE_CHECKING:  # the stubs make policies generic in the message class; the runtime does not
    _EmailPolicy = EmailPolicy[EmailMessage]
else:
    _EmailPolicy = EmailPolicy


class _BoundedPolicy(_EmailPolicy):
    """``email.policy.default``, except that a field longer than ``MAX_PARSED_FIELD`` is parsed
    on its start only, and that parsed fields are remembered (``_parsed_field``)."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if hasattr(value, "name"):  # already a parsed header
            return value
        return _parsed_field(self, name, value[:MAX_PARSED_FIELD])


@functools.lru_cache(maxsize=4096)
def _parsed_field(policy: _BoundedPolicy, name: str, value: str) -> Any:
    """A field parsed by the email package, once per (name, value).

    The email package parses a field again at every look (``get_content_type()`` and its
    kind are called a dozen times per part, by the parser and by us): a 462-byte zip of a
    message with 3,000 parts took 3 s that way. Parsed headers are immutable, so one can be
    shared by every part and message that has the same field.
    """
    return super(_BoundedPolicy, policy).header_fetch_parse(name, value)


_POLICY = _BoundedPolicy()
_PARSER = BytesParser(policy=_POLICY)
#: An mbox separator after the first: an empty line, then ``From sender date`` (the date has a time).
_FROM_LINE = re.compile(rb"^From \S+ [^\n]*\d:\d\d[^\n]*\n", re.MULTILINE)
_QUOTED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)  # mboxrd escapes body lines
#: An emlx file's byte count; a longer run of digits is no count (and ``int`` refuses more than
#: 4300 digits with a ValueError).
_EMLX_COUNT = re.compile(rb"\A\s*(\d{1,15})[ \t]*\r?\n")
_SURROGATES = re.compile("[\udc80-\udcff]")
_SPACES = re.compile(r"\s+")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")
_WHOLE_BODY = ("text", "multipart")  # leaves of these types without a file name are the message's text
_STRUCTURE_FIELDS = ("content-", "mime-version")


class MessageReader:
    """Reads one document's mail messages, nested ones included, under one budget."""

    def __init__(self, budget: Budget, errors: list[str], read_part: ReadPart) -> None:
        self.budget = budget
        self.errors = errors
        self.read_part = read_part

    def read(self, data: bytes, label: str, prefix: str, content_type: str | None, depth: int) -> list[Part]:
        """The parts of message or mbox ``data`` (found at ``depth``); an mbox opens with ``From ``."""
        data = _message_bytes(data, label, content_type)
        messages = _mbox_messages(data) if data.startswith(b"From ") else [data]
        if len(messages) == 1:
            return self._message(_parse(messages[0], label), label, prefix, depth)
        self.budget.check_depth(depth + 1, label)
        self.budget.take_members(len(messages), label)
        parts: list[Part] = []
        errors_before = len(self.errors)
        for number, raw in enumerate(messages, 1):
            path = join_path(prefix, f"message:{number}")
            try:
                parts.extend(self._message(_parse(raw, path), path, path, depth + 1))
            except LimitExceeded:
                raise
            except ExtractionError as exc:
                self.errors.append(str(exc))
        if not parts:
            raise UnsupportedFormat(f"unsupported format: mbox with no readable message "
                                    f"({len(self.errors) - errors_before} could not be read){where(label)}")
        return parts

    def _message(self, message: Message, label: str, prefix: str, depth: int) -> list[Part]:
        """The header part and the parts of every leaf of one parsed message."""
        self.budget.check_depth(depth + 1, label)
        parts: list[Part] = []
        headers = header_text(message)
        if headers:
            parts.append(Part(join_path(prefix, "headers"), "eml", headers))
        leaves = list(_leaves(message, "", False, 0, label))
        self.budget.take_members(len(leaves), label)
        seen = {BODY: 0, ATTACHMENT: 0, RESOURCE: 0}
        read = dict(seen)
        errors_before = len(self.errors)
        for section, leaf, related in leaves:
            try:
                name, role = _leaf_role(leaf, section, related)
            except Exception as exc:  # the email package raises many kinds on bad headers
                name, role = f"part:{section}", ATTACHMENT
                self.errors.append(f"cannot read the headers of message part{where(join_path(prefix, name))}: "
                                   f"{reason(exc)}")
            path = join_path(prefix, name)
            seen[role] += 1
            try:
                got = self._leaf(leaf, path, depth + 1)
            except LimitExceeded:
                raise
            except ExtractionError as exc:
                self.errors.append(str(exc))
                continue
            parts.extend(got)
            read[role] += 1
        failed = len(self.errors) - errors_before
        if seen[ATTACHMENT] and not read[ATTACHMENT]:
            raise UnsupportedFormat(f"unsupported format: message with no readable attachment "
                                    f"({seen[ATTACHMENT]} could not be read){where(label)}")
        if not any(read.values()):
            raise UnsupportedFormat(
                f"unsupported format: message with no readable part ({failed} could not be read){where(label)}")
        return parts

    def _leaf(self, leaf: Message, path: str, depth: int) -> list[Part]:
        """The parts of one leaf: a nested message, or bytes read by their name and type."""
        if leaf.get_content_type() == "message/delivery-status":  # blocks of fields, no body
            blocks = leaf.get_payload()
            text = "\n\n".join(header_text(block) for block in blocks if isinstance(block, Message))
            return [Part(path, "text", text)]
        if leaf.get_content_maintype() == "message" and leaf.is_multipart():
            nested = _nested_message(leaf, path)
            return self._message(nested, path, path, depth)
        if leaf.get_content_maintype() == "multipart":  # the parser could not split it
            raise ExtractionError(f"damaged multipart body{where(path)}: its boundary is missing or never found")
        payload = _payload(leaf, path)
        self.budget.take_bytes(len(payload), path)
        payload, content_type = _with_charset(leaf, payload)
        return self.read_part(payload, path, depth, content_type)


def header_text(message: Message) -> str:
    """The message's header fields as ``Name: value`` lines, encoded words decoded, unfolded;
    the fields that only describe the MIME structure (MIME-Version, Content-*) are left out."""
    lines = []
    for name, raw in message.raw_items():
        if name.lower().startswith(_STRUCTURE_FIELDS):
            continue
        value = _unescape(raw)
        try:
            if len(value) > MAX_PARSED_FIELD:  # too long to parse: its encoded words decoded only
                value = str(make_header(decode_header(value)))
            else:
                value = str(_POLICY.header_fetch_parse(name, value))
        except Exception:  # a malformed field is kept as it was written
            pass
        lines.append(f"{name}: {_SPACES.sub(' ', _unescape(value)).strip()}")
    return "\n".join(lines)


def _message_bytes(data: bytes, label: str, content_type: str | None) -> bytes:
    """The message as the parser must see it: no byte-order mark or leading blank lines, no emlx
    byte count, and a multipart body sent over HTTP given back its Content-Type header."""
    data = data.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if extension(label) == "emlx" and (count := _EMLX_COUNT.match(data)):
        size = int(count.group(1))
        data = data[count.end():count.end() + size] if 0 < size else data[count.end():]
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime.startswith("multipart/") and sniff_message_kind(
            data[:SNIFF_CHARS].decode("latin-1"), cut=len(data) >= SNIFF_CHARS) is None:
        header = " ".join((content_type or "").split())  # one line: no header injection
        data = b"Content-Type: " + header.encode("ascii", "replace") + b"\r\n\r\n" + data
    return data


def _mbox_messages(data: bytes) -> list[bytes]:
    """The messages of an mbox (which opens with a ``From `` line): split at each later ``From ``
    line that follows an empty line and carries a date (body lines are seldom like that, and
    mboxrd files escape them as ``>From ``)."""
    starts = [0] + [found.start() for found in _FROM_LINE.finditer(data, 1)
                    if data.endswith((b"\n\n", b"\n\r\n"), 0, found.start())]
    ends = starts[1:] + [len(data)]
    return [_QUOTED_FROM.sub(rb"\1", data[start:end]) for start, end in zip(starts, ends)]


def _parse(data: bytes, label: str) -> EmailMessage:
    try:
        return _PARSER.parsebytes(data)
    except RecursionError as exc:
        raise LimitExceeded(f"message parts nested too deeply to parse{where(label)}") from exc
    except Exception as exc:  # the parser is lenient; anything it still raises is damage
        raise ExtractionError(f"cannot parse message{where(label)}: {reason(exc)}") from exc


def _leaves(part: Message, section: str, related: bool, nesting: int,
            label: str) -> Iterator[tuple[str, Message, bool]]:
    """(IMAP section number, part, whether it is a child of a multipart/related) of every leaf
    of a message body; a nested message is a leaf."""
    if nesting > MAX_MULTIPART_NESTING:
        raise LimitExceeded(f"multipart bodies nested more than {MAX_MULTIPART_NESTING} levels deep{where(label)}")
    if part.get_content_maintype() == "message" or not part.is_multipart():
        yield section or "1", part, related
        return
    children_related = part.get_content_type() == "multipart/related"
    for number, sub in enumerate(part.get_payload(), 1):
        yield from _leaves(sub, f"{section}.{number}" if section else str(number), children_related,
                           nesting + 1, label)


def _leaf_role(leaf: Message, section: str, related: bool) -> tuple[str, str]:
    """(name in part paths, ``BODY``, ``ATTACHMENT`` or ``RESOURCE``) of one leaf.

    The body is the text without a file name; a resource is what a multipart/related body
    shows inline (the images of an HTML mail or a saved web page); the rest is attachments.
    """
    filename = leaf.get_filename()
    if filename:
        filename = _UNSAFE_NAME.sub("", filename.replace("\\", "/")).rsplit("/", 1)[-1].strip()
    disposition = leaf.get_content_disposition()
    role = BODY
    if filename or disposition == "attachment" or leaf.get_content_maintype() not in _WHOLE_BODY:
        role = RESOURCE if related and disposition != "attachment" else ATTACHMENT
    return filename or f"part:{section}", role


def _nested_message(leaf: Message, path: str) -> Message:
    """The message inside a ``message/*`` part; one wrongly sent in base64 or quoted-printable
    (which RFC 2046 forbids, and some mailers do) is decoded and parsed again."""
    inner = leaf.get_payload(0)
    encoding = str(leaf.get("content-transfer-encoding", "")).strip().lower()
    if encoding not in ("base64", "quoted-printable") or len(inner.keys()):
        return inner
    encoded = inner.as_bytes()
    try:
        raw = base64.b64decode(encoded) if encoding == "base64" else quopri.decodestring(encoded)
    except (binascii.Error, ValueError) as exc:
        raise ExtractionError(f"damaged {encoding} in message part{where(path)}: {reason(exc)}") from exc
    return _parse(raw, path)


def _payload(leaf: Message, path: str) -> bytes:
    """The leaf's bytes with its transfer encoding undone."""
    try:
        payload = leaf.get_payload(decode=True)
    except Exception as exc:  # damaged encodings
        raise ExtractionError(f"cannot decode message part{where(path)}: {reason(exc)}") from exc
    if any(isinstance(defect, email_errors.InvalidBase64LengthDefect) for defect in leaf.defects):
        raise ExtractionError(f"damaged base64 in message part{where(path)}: its length is impossible")
    if isinstance(payload, str):  # not expected for a leaf; keep its text
        return payload.encode("utf-8", "surrogateescape")
    return payload or b""


def _with_charset(leaf: Message, payload: bytes) -> tuple[bytes, str]:
    """The payload and the Content-Type to read it with, the declared charset honoured.

    The document decoder tries UTF-8 before a declared charset (mislabelled UTF-8 is common),
    which is right for every charset that writes ASCII as ASCII. A 7-bit charset that does not
    (ISO-2022-JP, UTF-7, ...) is decoded here, and the text handed on as UTF-8.
    """
    content_type = leaf.get_content_type()
    charset = leaf.get_content_charset() if leaf.get_content_maintype() == "text" else None
    if charset is None:
        return payload, content_type
    if payload.isascii():
        try:
            text = payload.decode(charset)
        except (LookupError, UnicodeDecodeError, ValueError):
            text = None
        if text is not None and text != payload.decode("ascii"):
            return text.encode("utf-8"), f"{content_type}; charset=utf-8"
    return payload, f"{content_type}; charset={charset}"


def _unescape(value: str) -> str:
    """Header text as written: raw 8-bit bytes (which the parser keeps as surrogates) decoded
    as UTF-8, else as cp1252."""
    if not _SURROGATES.search(value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")
