"""The secret key that turns leaked values into keyed fingerprints.

The key is 32 random bytes stored as hex in a file of its own, readable by its owner only.
Without it the fingerprints in the database and the index files cannot be tested against
guesses (dates of birth or common names are few enough to brute-force an unkeyed hash), so
the file is created exclusively with mode 0600 and a file others can read is refused
rather than silently used.
"""
from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable

try:
    import fcntl
except ImportError:  # not POSIX: temporary files are told apart by age alone
    fcntl = None  # type: ignore[assignment]

from fingerprints.keyed import Keyer
from tracker.errors import ConfigError, shown_path

KEY_BYTES = 32


#: How our temporary files are named: ``.<stem>.<12 hex digits>.tmp`` next to their target.
#: ``tracker.home.sweep_temp_files`` removes only names of this form.
TEMP_SUFFIX = ".tmp"
TEMP_TOKEN_BYTES = 6


def temp_name(stem: str) -> str:
    """The name of a new temporary file for ``stem`` (random, so concurrent writers never collide)."""
    return f".{stem}.{secrets.token_hex(TEMP_TOKEN_BYTES)}{TEMP_SUFFIX}"


def lock_exclusive(fd: int) -> None:
    """Hold an exclusive ``flock`` on ``fd`` until it is closed (a no-op where flock does not exist).

    The lock says "a live process owns this temporary file": the sweep at start-up deletes
    only temporary files it can lock, so it never removes the one a concurrent ``leak add``
    is writing or about to rename into place.
    """
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)


@contextmanager
def private_temp(folder: Path, stem: str, data: "bytes | Callable[[BinaryIO], None]") -> Iterator[Path]:
    """Write ``data`` to a new owner-only (0600) temporary file in ``folder``, fsynced; yield its path.

    ``data`` is bytes, or a function that writes to the open file (for large contents).

    The file stays locked (see ``lock_exclusive``) until the ``with`` block ends, so the
    caller moves it into place (``os.replace`` or ``os.link``) while it is still ours;
    writing next to the target keeps that move atomic. Whatever is left under the
    temporary name when the block ends, on success or failure, is removed.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = folder / temp_name(stem)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        lock_exclusive(fd)
        if callable(data):
            with os.fdopen(os.dup(fd), "wb") as fh:
                data(fh)
        else:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        os.fsync(fd)
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)  # before the lock goes: nobody else may see it unlocked
        os.close(fd)


def create_key(path: Path) -> bytes:
    """Write a fresh random key to ``path``; raise ``FileExistsError`` if it already exists.

    The key is written to a private temporary file first and then hard-linked into place,
    so the key file appears complete or not at all, and two processes starting at once
    agree on one key: the loser gets ``FileExistsError`` and reads the winner's key.
    """
    key = secrets.token_bytes(KEY_BYTES)
    with private_temp(path.parent, path.name, key.hex().encode("ascii") + b"\n") as tmp:
        os.link(tmp, path)
    return key


def load_key(path: Path) -> bytes:
    """Read the key at ``path``, refusing a file that is readable by others or malformed."""
    try:
        info = path.stat()
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise ConfigError(f"key file {path} does not exist (it is created by `tracker leak add`; "
                          f"point --key-file or TRACKER_KEY_FILE at the key the leaks were added with)") from None
    except OSError as exc:
        raise ConfigError(f"cannot read key file {shown_path(path)}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"key file {shown_path(path)} is malformed: not hex text") from exc
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"key file {path} is accessible by group or others (mode {stat.S_IMODE(info.st_mode):o}); "
            f"run: chmod 600 {path}"
        )
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise ConfigError(f"key file {path} is malformed: expected {KEY_BYTES * 2} hex digits")
    return key


def load_or_create_key(path: Path) -> bytes:
    """Return the key at ``path``, creating it on first use."""
    if not path.exists():
        try:
            return create_key(path)
        except FileExistsError:
            pass  # another process created it between the check and the open
        except OSError as exc:
            raise ConfigError(f"cannot create key file {path}: {exc.strerror}") from exc
    return load_key(path)


def open_keyer(path: Path, *, create: bool = False) -> Keyer:
    """The ``Keyer`` for the key at ``path``; with ``create``, make the key on first use."""
    return Keyer(load_or_create_key(path) if create else load_key(path))
