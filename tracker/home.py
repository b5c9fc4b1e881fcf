"""Opening the tracker home: what every command that uses the data folder does first.

``CliState.engine()`` calls :func:`open_home` once per process, before the database is
opened. It

* creates the home and its ``indexes`` folder (owner-only) if they are missing;
* warns on stderr about paths anyone may write to (the home, the indexes folder, the key
  file and its folder, the config file): whoever can write there can swap the key, an index
  or the configuration. ``tracker config check`` reports the same list as errors;
* removes stale temporary files of ours: an index or key write that was interrupted (a
  crash, Ctrl-C, a full disk) leaves ``.<name>.idx.<12 hex>.tmp``, up to the size of the
  whole index, that nothing else ever deletes.

A temporary file is removed only when its name is exactly of our form, it is older than
``STALE_AFTER_SECONDS`` and no live process holds its lock: the writer keeps an exclusive
``flock`` on it from creation until it is renamed into place (``tracker.keyfile.private_temp``),
so a ``leak add`` running in another process at the same moment keeps its file.
"""
from __future__ import annotations

import errno
import logging
import os
import re
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tracker.keyfile import TEMP_SUFFIX, TEMP_TOKEN_BYTES
from tracker.settings import Settings

try:
    import fcntl
except ImportError:  # not POSIX: age alone tells a stale temporary file
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: A temporary file younger than this is never removed, locked or not: it closes the short gap
#: between a writer creating its file and locking it (and is the only guard where there is no flock).
STALE_AFTER_SECONDS = 60.0

_TOKEN = f"[0-9a-f]{{{TEMP_TOKEN_BYTES * 2}}}"
#: Index temporary files: ``.<leak name>.idx.<token>.tmp`` (leak names as ``tracker.leaks.NAME_RE``).
INDEX_TEMP_RE = re.compile(rf"^\.[A-Za-z0-9][A-Za-z0-9_.-]{{0,63}}\.idx\.{_TOKEN}{re.escape(TEMP_SUFFIX)}$")


def key_temp_re(key_file: Path) -> re.Pattern[str]:
    """Key temporary files: ``.<key file name>.<token>.tmp`` next to the key file."""
    return re.compile(rf"^\.{re.escape(key_file.name)}\.{_TOKEN}{re.escape(TEMP_SUFFIX)}$")


@dataclass(frozen=True)
class SweepResult:
    """What one sweep did: files removed (with their sizes) and files left because they are live."""

    removed: tuple[tuple[Path, int], ...] = ()
    kept: tuple[Path, ...] = ()


def _candidates(settings: Settings) -> list[Path]:
    """Our temporary files in the indexes folder and next to the key file, by name only."""
    found: list[Path] = []
    places = [(settings.indexes_dir, INDEX_TEMP_RE), (settings.key_file.parent, key_temp_re(settings.key_file))]
    for folder, pattern in places:
        try:
            names = os.listdir(folder)
        except OSError:  # missing or unreadable folder: nothing of ours to remove there
            continue
        found.extend(folder / name for name in sorted(names) if pattern.match(name))
    return found


def _remove_if_stale(path: Path, now: float) -> int | None:
    """Remove ``path`` if it is an old, unlocked regular file; its size when removed, else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:  # gone meanwhile (renamed into place), a symlink, no permission: not ours to touch
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < STALE_AFTER_SECONDS:
            return None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    return None  # a live writer holds it
                raise
        try:
            current = os.lstat(path)
        except FileNotFoundError:
            return None
        if (current.st_dev, current.st_ino) != (info.st_dev, info.st_ino):
            return None  # the name now points at another file
        os.unlink(path)
        return info.st_size
    finally:
        os.close(fd)


def sweep_temp_files(settings: Settings, *, now: float | None = None) -> SweepResult:
    """Remove stale temporary files of ours from the home (see the module docstring)."""
    now = time.time() if now is None else now
    removed: list[tuple[Path, int]] = []
    kept: list[Path] = []
    for path in _candidates(settings):
        try:
            size = _remove_if_stale(path, now)
        except OSError as exc:  # never let housekeeping stop a command
            log.warning("cannot remove stale temporary file %s: %s", path, exc.strerror or exc)
            continue
        if size is None:
            kept.append(path)
        else:
            removed.append((path, size))
            log.info("removed stale temporary file %s (%d bytes, left by an interrupted write)", path, size)
    return SweepResult(tuple(removed), tuple(kept))


def _mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None


def unsafe_permissions(settings: Settings, config_path: Path | None = None) -> list[str]:
    """Paths of this home that others may write to (or, for the key file, read), as messages.

    Each message names the path, its mode and the command that fixes it. The key file is
    held to the rule ``load_key`` enforces (no access at all for group or others); the
    folders and the config file to "not writable by everyone". Missing paths are skipped.
    """
    problems: list[str] = []
    folders = [("tracker home", settings.home), ("indexes folder", settings.indexes_dir)]
    if settings.key_file.parent != settings.home:
        folders.append(("key file's folder", settings.key_file.parent))
    for what, folder in folders:
        mode = _mode(folder)
        if mode is not None and mode & stat.S_IWOTH:
            problems.append(f"{what} {folder} is writable by everyone (mode {mode:o}): anyone can replace "
                            f"the key, an index or the configuration; run: chmod o-w {folder}")
    mode = _mode(settings.key_file)
    if mode is not None and mode & (stat.S_IRWXG | stat.S_IRWXO):
        problems.append(f"key file {settings.key_file} is accessible by group or others (mode {mode:o}); "
                        f"run: chmod 600 {settings.key_file}")
    if config_path is not None:
        mode = _mode(config_path)
        if mode is not None and mode & stat.S_IWOTH:
            problems.append(f"config file {config_path} is writable by everyone (mode {mode:o}); "
                            f"run: chmod o-w {config_path}")
    return problems


def open_home(settings: Settings, config_path: Path | None = None) -> None:
    """Create the home if needed, warn about unsafe permissions on stderr, sweep stale temp files."""
    settings.ensure_home()
    for problem in unsafe_permissions(settings, config_path):
        sys.stderr.write(f"warning: {problem}\n")
    sys.stderr.flush()
    sweep_temp_files(settings)
