"""Local files as hostile input: names that are not UTF-8, special files, sizes without bound.

A folder that strangers' files land in can hold a name that is not UTF-8 (which a database
refuses), a FIFO (which blocks a reader forever), a link to ``/dev/zero`` (which never ends)
or a file far larger than anything worth scanning. The folder source and ``tracker scan``
read files only through :func:`read_regular_file` and name them with :func:`path_text`.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from sources.errors import SourceError

_CHUNK = 1 << 20


class FileRefused(SourceError):
    """A file that is not read; ``reason`` is ``not_regular`` or ``too_large`` (for counts)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def path_text(path: os.PathLike[str] | str) -> str:
    """The path as text any database, log and terminal takes, and that maps back to one path.

    A name that is valid UTF-8 and holds no backslash is itself. Otherwise (Python keeps the
    raw bytes as surrogate escapes, which UTF-8 encoders refuse) each byte that is not UTF-8 is
    written ``\\xNN`` and each backslash ``\\\\``, so that two different names never give one text.
    """
    text = os.fspath(path)
    try:
        text.encode("utf-8")
        if "\\" not in text:
            return text
        return text.replace("\\", "\\\\")
    except UnicodeEncodeError:
        raw = os.fsencode(text).replace(b"\\", b"\\\\")
        return raw.decode("utf-8", "backslashreplace")


def kind_of(mode: int) -> str:
    """What a file that is not a regular file is, for messages."""
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


def read_regular_file(path: os.PathLike[str] | str, max_bytes: int, *, follow_links: bool = True) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; ``FileRefused`` otherwise.

    The file is opened without blocking (a FIFO would wait for a writer) and checked on the
    open descriptor, so a file swapped for a FIFO or a device after listing is still refused;
    reading stops one chunk past the limit, so a growing or endless file costs no more. With
    ``follow_links=False`` a file swapped for a symbolic link after listing is refused too.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY  # a tty never becomes ours
    try:
        fd = os.open(path, flags if follow_links else flags | os.O_NOFOLLOW)
    except OSError as exc:
        if not follow_links and exc.errno == errno.ELOOP:
            raise FileRefused("a symbolic link: not followed", "not_regular") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(f"{kind_of(info.st_mode)}, not a regular file: not read", "not_regular")
        if info.st_size > max_bytes:
            raise FileRefused(f"larger than the limit of {max_bytes} bytes (max_bytes): not read", "too_large")
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise FileRefused(f"grew past the limit of {max_bytes} bytes (max_bytes) while read: not read",
                                  "too_large")
        return b"".join(chunks)
    finally:
        os.close(fd)


def inside(path: Path, root: Path) -> bool:
    """Whether ``path``, with every link resolved, lies within ``root`` (resolved too)."""
    try:
        path.resolve(strict=True).relative_to(root.resolve())
        return True
    except (OSError, ValueError, RuntimeError):
        return False


__all__ = ["FileRefused", "inside", "kind_of", "path_text", "read_regular_file"]
