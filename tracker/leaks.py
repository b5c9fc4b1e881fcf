"""Registering, listing and removing leaks, and loading their fingerprint indexes.

Adding a leak reads its table once, builds the keyed index and keeps only that: the index
file under ``$TRACKER_HOME/indexes`` and a row describing it. The order makes a failure
harmless: the index is written to a temporary file, fsynced and renamed into place before
the row is committed, and removed again if the commit fails, so there is never a row
without its index file; a crash can at worst leave an unreferenced index file, never a
half-written one, and a temporary file that the next start removes (``tracker.home``: the
file is ``flock``-ed until it is renamed, so a concurrent ``leak add`` keeps its own).

All leaks of a home are made with one key (``open_key_for_add``): a key is created only for
a home without leaks, and a scan names each leak made with another key instead of failing
on all of them (``split_by_key``).
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, is_dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.engine import Engine

from fingerprints.errors import FingerprintError, IndexFormatError
from fingerprints.index import LeakIndex, build_index
from fingerprints.keyed import Keyer
from fingerprints.roles import Role
from tracker import store
from tracker.db import session_scope
from tracker.errors import (
    ConfigError,
    ExtractionError,
    StorageError,
    UsageError,
    path_error,
    shown_path,
)
from tracker.keyfile import open_keyer, private_temp
from tracker.leakfile import LeakTable, read_leak_table
from tracker.models import Leak, utcnow
from tracker.settings import Settings

log = logging.getLogger(__name__)

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class AddOutcome:
    """What ``add_leak`` did: ``added``, ``replaced`` or ``unchanged`` (already registered)."""

    leak: Leak
    status: Literal["added", "replaced", "unchanged"]
    decisions: list[str] = field(default_factory=list)


def check_name(name: str) -> str:
    """Refuse leak names that could not safely be part of a file name."""
    if not NAME_RE.match(name):
        raise UsageError(
            f"leak name {name!r} is not allowed: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks (leak files can be large)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise UsageError(f"cannot read leak file {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    """Turn the leak reader's sheet descriptions (dataclasses, enums, tuples) into JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _read_table(path: Path, columns: dict[str, Role] | None, sheet: str | None) -> LeakTable:
    """Read the leak table, turning every reader failure into a usage error (exit 2)."""
    try:
        return read_leak_table(path, columns, sheet)
    except UsageError:
        raise
    except (ExtractionError, FingerprintError, ValueError, OSError) as exc:
        raise UsageError(f"cannot read leak file {path}: {exc}") from exc


def _describe(leaks: list[Leak]) -> str:
    """``'a', 'b' (key id 1f2e...)`` per key id: which leaks were made with which key."""
    by_key: dict[str, list[str]] = {}
    for leak in leaks:
        by_key.setdefault(leak.key_id, []).append(repr(leak.name))
    return "; ".join(f"{', '.join(names)} (key id {key_id})" for key_id, names in by_key.items())


def open_key_for_add(engine: Engine, key_file: Path, name: str, *, replace: bool = False) -> Keyer:
    """The key ``leak add`` builds with: the home's one key, created only for a home without leaks.

    Every leak of a home must be made with the same key: a scan uses one key file, and a
    leak made with another cannot be scanned for. So a key is created only when no leak is
    registered yet. When leaks exist and the key file is missing (moved, not restored from a
    backup, a typo in --key-file), or holds another key than theirs, this refuses (exit 2)
    rather than create a second key. The leak being rebuilt with ``--replace`` does not
    count: replacing the only leak is how a lost key is replaced.
    """
    with session_scope(engine) as session:
        others = [leak for leak in store.list_leaks(session) if not (replace and leak.name == name)]
    try:
        exists = key_file.exists()
    except OSError as exc:
        raise path_error(key_file, exc, "key file") from exc
    if not exists:
        if others:
            raise ConfigError(
                f"key file {shown_path(key_file)} is missing, but {len(others)} leak(s) are registered with "
                f"a key: {_describe(others)}. No new key was created (leaks made with it could not be scanned "
                f"with these); put the key file back at {shown_path(key_file)} or point --key-file or "
                f"TRACKER_KEY_FILE at it"
            )
        return open_keyer(key_file, create=True)
    keyer = open_keyer(key_file)
    wrong = [leak for leak in others if leak.key_id != keyer.key_id]
    if wrong:
        raise ConfigError(
            f"key file {shown_path(key_file)} holds another key (key id {keyer.key_id}) than the registered "
            f"leak(s) {_describe(wrong)}; every leak of a home is made with one key. Use the key file they "
            f"were made with (--key-file, TRACKER_KEY_FILE), or remove them first"
        )
    return keyer


def split_by_key(leaks: list[Leak], keyer: Keyer) -> tuple[list[Leak], list[Leak]]:
    """The leaks ``keyer`` can scan for, and those made with another key (by ``key_id``)."""
    usable = [leak for leak in leaks if leak.key_id == keyer.key_id]
    return usable, [leak for leak in leaks if leak.key_id != keyer.key_id]


def wrong_key_message(leak: Leak, keyer: Keyer, key_file: Path) -> str:
    """Why ``leak`` is not scanned for with the key in ``key_file``: both key ids and what to do."""
    return (f"leak {leak.name!r} not scanned for: it was made with key id {leak.key_id}, the key file in use "
            f"({shown_path(key_file)}) has key id {keyer.key_id}; point --key-file or TRACKER_KEY_FILE at its "
            f"key, or add it again with --replace")


def no_usable_leak_message(leaks: list[Leak], keyer: Keyer, key_file: Path) -> str:
    """Why nothing can be scanned for: no leak was made with the key in ``key_file``."""
    return (f"no leak can be used with the key file {shown_path(key_file)} (key id {keyer.key_id}): "
            f"registered with another key: {_describe(leaks)}; point --key-file or TRACKER_KEY_FILE at the "
            f"key they were made with")


def _check_existing(existing: Leak, sha256: str, keyer: Keyer, replace: bool) -> bool:
    """Decide what to do with a leak of the same name; True means "already registered"."""
    if replace:
        return False
    if existing.file_sha256 != sha256:
        raise UsageError(
            f"a leak named {existing.name!r} is already registered from another file "
            f"({existing.file_name}); use --replace to replace it, or choose another --name"
        )
    if existing.key_id != keyer.key_id:
        raise ConfigError(
            f"leak {existing.name!r} was registered with another key (key id {existing.key_id}, "
            f"this key is {keyer.key_id}); use the original key file, or --replace to rebuild it with this key"
        )
    return True


def add_leak(
    engine: Engine,
    settings: Settings,
    keyer: Keyer,
    path: Path,
    name: str,
    *,
    columns: dict[str, Role] | None = None,
    sheet: str | None = None,
    replace: bool = False,
) -> AddOutcome:
    """Register the leak table at ``path`` under ``name`` (idempotent; see module docstring).

    Same name and same file (and key): nothing is done and ``unchanged`` is returned. Same
    name, another file: ``UsageError`` unless ``replace``, which rebuilds the index in place
    and keeps the leak's hits (their record ids refer to the file they were found with).
    """
    check_name(name)
    try:
        is_file = path.is_file()
    except OSError as exc:  # a name too long for the system: Path.is_file only swallows "not found"
        raise path_error(path, exc, "leak file") from exc
    if not is_file:
        raise UsageError(f"leak file {shown_path(path)} does not exist or is not a file")
    sha256 = file_sha256(path)
    with session_scope(engine) as session:
        existing = store.get_leak(session, name)
    if existing is not None and _check_existing(existing, sha256, keyer, replace):
        return AddOutcome(existing, "unchanged")

    table = _read_table(path, columns, sheet)
    try:
        index = build_index(table.rows, table.columns, keyer, table.record_ids, consume=True)
    except FingerprintError as exc:
        raise UsageError(f"cannot index leak file {path}: {exc}") from exc
    n_records = len(table.record_ids)
    del table.rows[:]  # the plaintext table is not needed any more: free it before writing
    settings.ensure_home()  # makes the indexes folder too, owner-only
    # Locked until renamed: a start-up sweep in another process leaves it alone (tracker.home).
    with private_temp(settings.indexes_dir, f"{name}.idx", index.save) as tmp:
        index_sha256 = file_sha256(tmp)
        index_bytes = tmp.stat().st_size
        relative = f"indexes/{name}-{index_sha256[:12]}.idx"
        target = settings.home / relative
        os.replace(tmp, target)
    _fsync_folder(target.parent)

    values = dict(
        file_name=path.name, file_format=str(table.file_format), file_sha256=sha256,
        n_records=n_records, columns=[{"name": c.name, "role": Role(c.role).value} for c in index.columns],
        sheets=_jsonable(table.sheets), key_id=keyer.key_id, index_path=relative,
        index_sha256=index_sha256, index_bytes=index_bytes,
    )
    old_path = existing.index_path if existing is not None else None
    try:
        with session_scope(engine) as session:
            row = store.get_leak(session, name)
            if row is None:
                row = Leak(name=name, created_at=utcnow(), **values)
            elif existing is None:
                raise UsageError(f"a leak named {name!r} was registered by another process meanwhile; try again")
            else:
                for key, value in values.items():
                    setattr(row, key, value)
            session.add(row)
    except BaseException:
        if relative != old_path and not _index_in_use(engine, relative):
            target.unlink(missing_ok=True)
        raise
    if old_path is not None and old_path != relative:
        (settings.home / old_path).unlink(missing_ok=True)
    status: Literal["added", "replaced"] = "replaced" if existing is not None else "added"
    log.info("leak %s %s: %d records, %d columns, index %d bytes", name, status, row.n_records,
             len(row.columns), row.index_bytes)
    return AddOutcome(row, status, list(table.decisions))


def _index_in_use(engine: Engine, relative: str) -> bool:
    """Whether a committed leak row points at ``relative`` (a concurrent add of the same file).

    When the database cannot tell, the file is kept: an unreferenced index file is harmless,
    a row without its file is not.
    """
    try:
        with session_scope(engine) as session:
            return any(leak.index_path == relative for leak in store.list_leaks(session))
    except Exception:
        return True


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def list_leaks(engine: Engine) -> list[tuple[Leak, int]]:
    """All leaks with their number of hits."""
    with session_scope(engine) as session:
        return [(leak, store.count_hits(session, leak.id or 0)) for leak in store.list_leaks(session)]


def remove_leak(engine: Engine, settings: Settings, name: str, *, force: bool = False) -> int:
    """Delete a leak's row and index file; returns the number of hits deleted with it.

    A leak with hits is refused unless ``force``: its hits are findings (re-posts that may
    still need taking down) and go with it.
    """
    with session_scope(engine) as session:
        leak = store.require_leak(session, name)
        n_hits = store.count_hits(session, leak.id or 0)
        if n_hits and not force:
            raise UsageError(f"leak {name!r} has {n_hits} hit(s); use --force to delete it together with its hits")
        store.delete_leak(session, leak)
        index_path = leak.index_path
    (settings.home / index_path).unlink(missing_ok=True)
    log.info("leak %s removed with %d hit(s)", name, n_hits)
    return n_hits


def load_index(settings: Settings, leak: Leak, keyer: Keyer) -> LeakIndex:
    """Load a leak's index, checking it was built with ``keyer``'s key and is intact."""
    if leak.key_id != keyer.key_id:
        raise ConfigError(
            f"leak {leak.name!r} was registered with another key (key id {leak.key_id}); the key file in use "
            f"has key id {keyer.key_id}. Point --key-file or TRACKER_KEY_FILE at the original key."
        )
    path = settings.home / leak.index_path
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StorageError(f"index file of leak {leak.name!r} cannot be read ({path}): {exc.strerror or exc}; "
                           f"add the leak again with --replace") from exc
    if hashlib.sha256(data).hexdigest() != leak.index_sha256:
        raise StorageError(f"index file of leak {leak.name!r} ({path}) is damaged: its checksum does not match; "
                           f"add the leak again with --replace")
    try:
        return LeakIndex.from_bytes(data)
    except (IndexFormatError, ValueError, KeyError) as exc:  # an index from an incompatible version
        raise StorageError(f"index file of leak {leak.name!r} ({path}) cannot be loaded: {exc}") from exc
