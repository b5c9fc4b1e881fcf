"""Archives (zip, tar) and compressed streams (gzip, bz2, xz), read under the limits.

Every member is decompressed in chunks and each chunk is charged to the document's ``Budget``
as it comes out, so neither a lying header nor a bomb can make us hold more than the limits
allow. Sizes declared in headers are never trusted. A member that cannot be read is reported
and skipped; the rest of the archive is still read.
"""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import Protocol

from tracker.errors import ExtractionError, LimitExceeded, UnsupportedFormat
from tracker.extract.detect import basename
from tracker.extract.limits import Budget
from tracker.extract.messages import reason, where
from tracker.extract.parts import Part

#: Reads one member: (its bytes, its path, its nesting depth) -> its parts.
ReadMember = Callable[[bytes, str, int], list[Part]]
#: A member as read: (its path, its bytes, "tar" if it is a tar inside a compressed stream).
Member = tuple[str, bytes, str | None]

_CHUNK = 256 * 1024
_JUNK_DIRS = ("__MACOSX/",)
_JUNK_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}
_STREAM_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)
_ZIP_MEMBER_ERRORS = (zipfile.BadZipFile, RuntimeError, NotImplementedError, *_STREAM_ERRORS)
_STREAM_SUFFIXES = {"gzip": (".gz", ".gzip", ".tgz"), "bz2": (".bz2", ".tbz2", ".tbz"), "xz": (".xz", ".txz")}


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def join_path(prefix: str, name: str) -> str:
    """``prefix/name``, or either alone when the other is empty."""
    return f"{prefix}/{name}" if prefix and name else prefix or name


class ArchiveReader:
    """Reads the members of one document's archives, nested ones included, under one budget."""

    def __init__(self, budget: Budget, errors: list[str], read_member: ReadMember) -> None:
        self.budget = budget
        self.errors = errors
        self.read_member = read_member

    def read(self, kind: str, data: bytes, label: str, prefix: str, depth: int) -> list[Part]:
        """The parts of every readable member of archive ``data`` (found at ``depth``)."""
        self.budget.check_depth(depth + 1, label)
        if kind == "zip":
            members = self._zip_members(data, label, prefix)
        elif kind == "tar":
            members = self._tar_members(data, label, prefix)
        else:
            members = self._stream_member(kind, data, label, prefix)
        parts: list[Part] = []
        errors_before = len(self.errors)
        for path, content, member_kind in members:
            if member_kind == "tar":  # a .tar.gz is one archive, not two levels
                parts.extend(self.read("tar", content, path or label, prefix, depth))
                continue
            try:
                parts.extend(self.read_member(content, path, depth + 1))
            except LimitExceeded:
                raise
            except ExtractionError as exc:
                self.errors.append(str(exc))
        if not parts:
            failed = len(self.errors) - errors_before
            detail = f"{failed} could not be read" if failed else "it holds no files"
            raise UnsupportedFormat(
                f"unsupported format: {kind} archive with no readable member ({detail}){where(label)}")
        return parts

    def check_zip_expansion(self, data: bytes, label: str) -> None:
        """Decompress (and discard) every member of a zip-based file, such as an xlsx, so that a
        bomb hidden in it trips the limits before its own library inflates it unguarded."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    with archive.open(info) as stream:
                        for _ in self._chunks(stream, info.compress_size, label):
                            pass
        except LimitExceeded:
            raise
        except _ZIP_MEMBER_ERRORS as exc:
            raise ExtractionError(f"corrupt zip container{where(label)}: {reason(exc)}") from exc

    def _zip_members(self, data: bytes, label: str, prefix: str) -> Iterator[Member]:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, *_STREAM_ERRORS) as exc:
            raise ExtractionError(f"corrupt zip archive{where(label)}: {reason(exc)}") from exc
        with archive:
            infos = [info for info in archive.infolist() if not info.is_dir() and not _is_junk(info.filename)]
            self.budget.take_members(len(infos), label)
            for info in infos:
                path = join_path(prefix, info.filename)
                if info.flag_bits & 0x1:
                    self.errors.append(f"cannot read archive member{where(path)}: encrypted, needs a password")
                    continue
                try:
                    with archive.open(info) as stream:
                        content = b"".join(self._chunks(stream, info.compress_size, path))
                except _ZIP_MEMBER_ERRORS as exc:
                    self.errors.append(f"cannot read archive member{where(path)}: {reason(exc)}")
                    continue
                yield path, content, None

    def _tar_members(self, data: bytes, label: str, prefix: str) -> Iterator[Member]:
        try:
            archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
            infos = [info for info in archive.getmembers() if info.isfile() and not _is_junk(info.name)]
        except (tarfile.TarError, *_STREAM_ERRORS) as exc:
            raise ExtractionError(f"corrupt tar archive{where(label)}: {reason(exc)}") from exc
        with archive:
            self.budget.take_members(len(infos), label)
            for info in infos:
                path = join_path(prefix, info.name)
                stream = archive.extractfile(info)
                if stream is None:
                    continue
                try:
                    content = b"".join(self._chunks(stream, None, path))
                except (tarfile.TarError, *_STREAM_ERRORS) as exc:
                    self.errors.append(f"cannot read archive member{where(path)}: {reason(exc)}")
                    continue
                yield path, content, None

    def _stream_member(self, kind: str, data: bytes, label: str, prefix: str) -> Iterator[Member]:
        """The one file inside a gzip/bz2/xz stream, named after the stream without its suffix.

        A truncated stream (an interrupted download) still gives what was decompressed so far.
        """
        self.budget.take_members(1, label)
        stream: io.BufferedIOBase
        if kind == "gzip":
            stream = gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb")
        elif kind == "bz2":
            stream = bz2.BZ2File(io.BytesIO(data))
        else:
            stream = lzma.LZMAFile(io.BytesIO(data))
        path = join_path(prefix, _inner_name(kind, basename(label)))
        chunks: list[bytes] = []
        try:
            with stream:
                chunks.extend(self._chunks(stream, len(data), path or label))
        except EOFError as exc:
            if not chunks:
                raise ExtractionError(f"corrupt {kind} stream{where(label)}: {reason(exc)}") from exc
            self.errors.append(f"{kind} stream is truncated, read what it held{where(label)}")
        except _STREAM_ERRORS as exc:
            raise ExtractionError(f"corrupt {kind} stream{where(label)}: {reason(exc)}") from exc
        content = b"".join(chunks)
        yield path, content, "tar" if _is_tar(content) else None

    def _chunks(self, stream: _Readable, compressed: int | None, path: str) -> Iterator[bytes]:
        """Read ``stream`` to its end in chunks, charging each one to the budget."""
        produced = 0
        while chunk := stream.read(_CHUNK):
            produced += len(chunk)
            self.budget.take_bytes(len(chunk), path)
            if compressed is not None:
                self.budget.check_ratio(produced, compressed, path)
            yield chunk


def _is_junk(path: str) -> bool:
    """Operating-system litter that is never part of a leak (macOS resource forks, thumbnails)."""
    return path.startswith(_JUNK_DIRS) or path.rsplit("/", 1)[-1] in _JUNK_FILES


def _is_tar(content: bytes) -> bool:
    return content[257:262] == b"ustar"


def _inner_name(kind: str, name: str) -> str:
    """``data.csv.gz`` -> ``data.csv``; ``x.tgz`` -> ``x.tar``; unknown names stay unnamed."""
    lowered = name.lower()
    for suffix in _STREAM_SUFFIXES[kind]:
        if lowered.endswith(suffix):
            return name[: -len(suffix)] + (".tar" if suffix.startswith(".t") else "")
    return ""
