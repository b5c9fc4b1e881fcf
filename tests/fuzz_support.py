"""Broken documents made from valid ones: the mutations of the fuzz targets and the privacy corpus.

A mutation is a short list of ``Op``s applied to a valid seed document (``seeds``): bit flips,
bytes set to values parsers care about, tokens inserted (tags, quotes, PDF keywords, magic
bytes, huge numbers), truncation, deleted ranges, repeated chunks (deep nesting, huge
tables), and chunks spliced in from another seed. Every field of an ``Op`` is any
non-negative integer, taken modulo what it indexes, so that any drawn values make a valid
mutation (which is what lets hypothesis shrink them) and a seeded ``random.Random`` makes
the same corpus every time.

Containers are mutated inside as well as outside: a bit flip in deflated bytes mostly gives a
CRC error, so ``mutate_member`` changes a member of a zip-based file (an xlsx's sheet XML, a
docx's document.xml) or the payload of a gzip/bz2/xz stream and packs it again, and ``nest``
wraps a document in archives or a mail message, as re-posts come.

Every person in a seed comes from ``tracker.synth``: invented names, dates and numbers.
"""
from __future__ import annotations

import base64
import bz2
import gzip
import io
import lzma
import random
import tarfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from format_writers import WRITERS, Rows
from tracker.extract.detect import EXTENSION_KINDS
from tracker.synth.leak import LEAK_HEADER, leak_people, leak_rows
from tracker.synth.people import Person
from tracker.synth.perturb import strip_accents
from tracker.synth.render import to_pdf

#: Mutated documents are cut at this size: big enough for repeated-chunk bombs, small enough
#: that one example stays fast.
MAX_SIZE = 2 * 2**20
#: Byte values that mean something to some parser (NUL, high bit, ASCII delimiters and quotes).
BYTES = (0x00, 0xFF, 0x7F, 0x80, 0xC3, 0x0A, 0x0D, 0x09, 0x20, 0x22, 0x27, 0x3C, 0x3E, 0x26, 0x2F, 0x5C,
         0x25, 0x28, 0x29, 0x5B, 0x5D, 0x7B, 0x7D, 0x2C, 0x3B, 0x3A, 0x3D, 0x30, 0x39, 0x2D)
#: Tokens that open, close or size structures in the formats read.
TOKENS: tuple[bytes, ...] = (
    b"<", b">", b"</", b"<a>", b"</a>", b"/>", b"<tr><td>", b"</td></tr>", b"<table>", b"<div>", b"<script>",
    b"<![CDATA[", b"]]>", b"<!--", b"-->", b"<?xml version='1.0'?>", b"<!DOCTYPE a [<!ENTITY e 'x'>]>", b"&e;",
    b"&#0;", b"&#x110000;", b"&amp", b'"', b"'", b"{", b"}", b"[", b"]", b'{"a":', b'"\\ud800"', b"\\u00",
    b",", b";", b"\t", b"|", b"\r\n", b"\n\n", b"\x00", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\x80\x81",
    b"\xed\xa0\x80", b"%PDF-1.7\n", b"obj", b"endobj", b"stream\n", b"\nendstream", b" 0 R", b"<<", b">>",
    b"/Length 99999999", b"/Type /Page", b"/Kids [", b"/Filter /FlateDecode", b"xref\n0 1\n", b"trailer",
    b"startxref\n", b"%%EOF", b"(", b")", b"\\", b"-1", b"0", b"4294967295", b"18446744073709551616",
    b"99999999999999999999999", b"1e999", b"NaN", b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06", b"\x1f\x8b\x08",
    b"BZh91AY&SY", b"\xfd7zXZ\x00", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"ustar\x0000", b"From x@y Mon Jan  1 00:00:00 2024\n",
    b"Content-Type: multipart/mixed; boundary=b\n\n--b\n", b"\n--b--\n", b"Content-Transfer-Encoding: base64\n",
    b"Content-Type: message/rfc822\n\n", b"=?utf-8?b?", b"=?", b"?=", b"=\n", b"=ZZ",
    b'<c r="XFD1048576" t="s"><v>999999</v></c>', b'<dimension ref="A1:XFD1048576"/>', b'table:number-columns-repeated="99999999"',
    b'table:number-rows-repeated="99999999"',
)
OPS = ("flip", "set", "insert", "delete", "truncate", "repeat", "splice")
#: How a document may be wrapped, as re-posts come: archives, compressed streams, a mail.
WRAPS = ("zip", "zip-stored", "tar", "gzip", "bz2", "xz", "eml", "mbox")


@dataclass(frozen=True)
class Op:
    """One mutation. ``at`` is a position, ``size`` a length, ``value`` a bit, byte, token, count
    or seed, ``extra`` a position in a donor seed; each is taken modulo what it indexes."""

    kind: str
    at: int = 0
    size: int = 1
    value: int = 0
    extra: int = 0


def mutate(data: bytes, ops: Sequence[Op], donors: Sequence[bytes]) -> bytes:
    """``data`` with ``ops`` applied in order (``splice`` takes its chunk from ``donors``)."""
    buffer = bytearray(data)
    for op in ops:
        at = op.at % (len(buffer) + 1)
        size = 1 + op.size % 4096
        if op.kind == "flip" and buffer:
            buffer[at % len(buffer)] ^= 1 << (op.value % 8)
        elif op.kind == "set" and buffer:
            buffer[at % len(buffer)] = BYTES[op.value % len(BYTES)]
        elif op.kind == "insert":
            buffer[at:at] = TOKENS[op.value % len(TOKENS)] * (1 + op.size % 8)
        elif op.kind == "delete":
            del buffer[at:at + size]
        elif op.kind == "truncate":
            del buffer[at:]
        elif op.kind == "repeat":
            chunk = bytes(buffer[at:at + 1 + op.size % 256])
            times = 1 + op.value % 2000
            buffer[at:at] = chunk * min(times, MAX_SIZE // max(len(chunk), 1))
        elif op.kind == "splice" and donors:
            donor = donors[op.value % len(donors)]
            start = op.extra % (len(donor) + 1)
            buffer[at:at] = donor[start:start + size]
        if len(buffer) > MAX_SIZE:
            del buffer[MAX_SIZE:]
    return bytes(buffer)


def mutate_member(data: bytes, ops: Sequence[Op], donors: Sequence[bytes], which: int) -> bytes:
    """``data`` with one member (of a zip) or its payload (of a gzip, bz2 or xz stream) mutated
    and packed again; ``data`` itself mutated when it is neither."""
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [(info.filename, archive.read(info), info.compress_type) for info in archive.infolist()]
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
            return mutate(data, ops, donors)
        if not members:
            return mutate(data, ops, donors)
        index = which % len(members)
        name, content, compression = members[index]
        members[index] = (name, mutate(content, ops, donors), compression)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, content, compression in members:
                archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), content,
                                 compress_type=compression)
        return buffer.getvalue()
    for magic, module in ((b"\x1f\x8b", gzip), (b"BZh", bz2), (b"\xfd7zXZ\x00", lzma)):
        if data.startswith(magic):
            try:
                payload = module.decompress(data)  # type: ignore[attr-defined]
            except (OSError, EOFError, ValueError, lzma.LZMAError):
                return mutate(data, ops, donors)
            return module.compress(mutate(payload, ops, donors))  # type: ignore[attr-defined,no-any-return]
    return mutate(data, ops, donors)


def nest(data: bytes, name: str, wraps: Sequence[str]) -> tuple[bytes, str]:
    """``data`` (called ``name``) wrapped in each of ``wraps`` in turn (``WRAPS``): (bytes, name)."""
    for wrap in wraps:
        if wrap in ("zip", "zip-stored"):
            buffer = io.BytesIO()
            compression = zipfile.ZIP_STORED if wrap == "zip-stored" else zipfile.ZIP_DEFLATED
            with zipfile.ZipFile(buffer, "w", compression) as archive:
                archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
            data, name = buffer.getvalue(), "inner.zip"
        elif wrap == "tar":
            buffer = io.BytesIO()
            with tarfile.open(fileobj=buffer, mode="w") as archive:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            data, name = buffer.getvalue(), "inner.tar"
        elif wrap == "gzip":
            data, name = gzip.compress(data, mtime=0), name + ".gz"
        elif wrap == "bz2":
            data, name = bz2.compress(data), name + ".bz2"
        elif wrap == "xz":
            data, name = lzma.compress(data), name + ".xz"
        else:  # a mail with the document attached (eml), or as the second message of an mbox
            encoded = base64.encodebytes(data).decode("ascii")
            message = ("From: a@example.org\nTo: b@example.net\nSubject: list\nMIME-Version: 1.0\n"
                       "Content-Type: multipart/mixed; boundary=zz\n\n--zz\nContent-Type: text/plain\n\nsee attached\n"
                       f"--zz\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename={name}\n"
                       f"Content-Transfer-Encoding: base64\n\n{encoded}--zz--\n").encode("ascii")
            if wrap == "mbox":
                message = (b"From a@example.org Mon Jan  1 00:00:00 2024\nFrom: a@example.org\nSubject: hi\n\nhello\n\n"
                           b"From a@example.org Mon Jan  1 00:01:00 2024\n" + message)
            data, name = message, "inner.mbox" if wrap == "mbox" else "inner.eml"
    return data, name


@dataclass(frozen=True)
class Seed:
    """A valid document: its file name (the extension picks the reader) and bytes."""

    name: str
    data: bytes


def seed_people(count: int = 6, seed: int = 41) -> list[Person]:
    """The invented people whose rows every seed document holds."""
    return leak_people(count, seed)


def seed_rows(people: Sequence[Person]) -> Rows:
    """The header and the leak's own cells for ``people``."""
    return [list(LEAK_HEADER)] + [list(row) for row in leak_rows(list(people))]


def seeds(rows: Rows) -> dict[str, list[Seed]]:
    """Valid documents of every kind the scanner reads (each extension of ``EXTENSION_KINDS``,
    plus plain text and an uncompressed PDF, whose content streams are then open to mutation),
    by kind."""
    by_kind: dict[str, list[Seed]] = {}
    latin1 = [[_latin1(cell) for cell in row] for row in rows]  # the PDF writer's core font
    for ext, kind in sorted(EXTENSION_KINDS.items()):
        by_kind.setdefault(kind, []).append(Seed(f"doc.{ext}", WRITERS[kind](latin1 if kind == "pdf" else rows, ext)))
    text = "\n".join("  ".join(row) for row in rows) + "\n"
    by_kind["text"] = [Seed("notes.txt", text.encode("utf-8")), Seed("notes", text.encode("cp1252", "replace")),
                       Seed("notes-utf16.txt", text.encode("utf-16"))]
    by_kind["pdf"].append(Seed("table.pdf", to_pdf("list", rows[0], rows[1:], wrap=True)))
    by_kind["pdf"].append(Seed("plain.pdf", _uncompressed_pdf(latin1)))
    return by_kind


def _latin1(text: str) -> str:
    return "".join(char if ord(char) < 256 else strip_accents(char) for char in text)


def _uncompressed_pdf(rows: Rows) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_compression(False)
    pdf.add_page()
    pdf.set_font("helvetica", size=8)
    for row in rows:
        pdf.cell(text="   ".join(row), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def random_ops(rng: random.Random, count: int) -> list[Op]:
    """``count`` mutations drawn from ``rng`` (for a corpus that is the same on every run)."""
    return [Op(rng.choice(OPS), rng.randrange(2**20), rng.randrange(4096), rng.randrange(2**16), rng.randrange(2**20))
            for _ in range(count)]
