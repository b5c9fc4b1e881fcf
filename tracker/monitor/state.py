"""Queries on the monitoring tables: seen items, saved state, leases and the run log.

Each function works inside a session the caller opened (``tracker.db.session_scope``), so
the runner decides what goes into one transaction. Inserts of seen items tolerate another
process inserting the same row at the same moment (``ON CONFLICT DO NOTHING``).

A *lease* on a source's state row makes sure only one process runs a source at a time, even
when ``tracker run`` and ``tracker sources check`` are started side by side. A lease whose
owner process is gone (killed, crashed) on this host is taken over at once; one held on
another host expires after its time to live.
"""
from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from tracker.models import utcnow
from tracker.monitor.models import SourceItem, SourceRun, SourceState

LEASE_TTL = timedelta(minutes=15)
MAX_ERROR_CHARS = 500

_PROCESS_TOKEN = secrets.token_hex(4)


def lease_owner_id() -> str:
    """``host:pid:token`` naming this process (the token tells apart a reused pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_PROCESS_TOKEN}"


def _owner_is_dead(owner: str) -> bool:
    """True when ``owner`` names a process of this host that no longer exists."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # this very process: alive by definition
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


# --- state rows ----------------------------------------------------------------------------

def get_state(session: Session, name: str) -> SourceState | None:
    """The saved state of source ``name``, or None if it never ran."""
    return session.get(SourceState, name)


def ensure_state(session: Session, name: str, kind: str) -> SourceState:
    """The state row of ``name``, created empty if missing (safe against a concurrent insert)."""
    stmt = _insert(session, SourceState).values(
        name=name, kind=kind, cursor={}, validators={}, consecutive_failures=0, runs=0,
        items_fetched=0, items_unreadable=0, bytes_fetched=0, hits=0, zero_item_runs=0, last_items=0,
    ).on_conflict_do_nothing(index_elements=["name"])
    session.execute(stmt)
    state = session.get(SourceState, name, populate_existing=True)
    assert state is not None
    if state.kind != kind:
        state.kind = kind
    return state


def list_states(session: Session) -> dict[str, SourceState]:
    """Every saved state, by source name."""
    return {s.name: s for s in session.exec(select(SourceState))}


def acquire_lease(session: Session, name: str, kind: str, owner: str,
                  ttl: timedelta = LEASE_TTL) -> str | None:
    """Take the run lease of ``name`` for ``owner``; None on success, else the current holder."""
    ensure_state(session, name, kind)
    now = utcnow()
    table = SourceState.__table__  # type: ignore[attr-defined]
    free = sa.or_(table.c.lease_owner.is_(None), table.c.lease_owner == owner,
                  table.c.lease_expires < now)
    result = session.execute(sa.update(table).where(table.c.name == name, free)
                             .values(lease_owner=owner, lease_expires=now + ttl))
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return None
    holder = session.execute(sa.select(table.c.lease_owner).where(table.c.name == name)).scalar()
    if holder and _owner_is_dead(holder):
        result = session.execute(sa.update(table).where(table.c.name == name, table.c.lease_owner == holder)
                                 .values(lease_owner=owner, lease_expires=now + ttl))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return None
    return holder or "another process"


def renew_lease(session: Session, name: str, owner: str, ttl: timedelta = LEASE_TTL) -> None:
    """Push the lease's expiry forward; called with every document the run commits."""
    table = SourceState.__table__  # type: ignore[attr-defined]
    session.execute(sa.update(table).where(table.c.name == name, table.c.lease_owner == owner)
                    .values(lease_expires=utcnow() + ttl))


def release_lease(session: Session, name: str, owner: str) -> None:
    """Give the lease back (only if ``owner`` still holds it)."""
    table = SourceState.__table__  # type: ignore[attr-defined]
    session.execute(sa.update(table).where(table.c.name == name, table.c.lease_owner == owner)
                    .values(lease_owner=None, lease_expires=None))


# --- seen items ----------------------------------------------------------------------------

def is_seen(session: Session, source: str, item_id: str, content_sha256: str | None = None) -> bool:
    """Whether ``source`` already handed over ``item_id`` (with this content, when given)."""
    query = select(SourceItem.id).where(SourceItem.source == source, SourceItem.item_id == item_id)
    if content_sha256 is not None:
        query = query.where(SourceItem.content_sha256 == content_sha256)
    return session.exec(query.limit(1)).first() is not None


def mark_seen(session: Session, source: str, item_id: str, url: str, content_sha256: str) -> None:
    """Remember an item (no-op if this source/item/content is already known)."""
    stmt = _insert(session, SourceItem).values(
        source=source, item_id=item_id, url=url, content_sha256=content_sha256, first_seen=utcnow(),
    ).on_conflict_do_nothing(index_elements=["source", "item_id", "content_sha256"])
    session.execute(stmt)


def count_items(session: Session, source: str | None = None) -> int:
    """Number of seen-item rows (of one source, or all)."""
    query = select(sa.func.count()).select_from(SourceItem)
    if source is not None:
        query = query.where(SourceItem.source == source)
    return int(session.exec(query).one())


# --- runs ----------------------------------------------------------------------------------

def start_run(session: Session, name: str) -> SourceRun:
    """A ``running`` row in the run log; also stamps the state's ``last_run_at``.

    Called with the lease held, so any other ``running`` row of this source belongs to a process
    that died mid-run (SIGKILL, power loss): it is closed as ``abandoned``.
    """
    table = SourceRun.__table__  # type: ignore[attr-defined]
    session.execute(sa.update(table).where(table.c.source == name, table.c.status == "running")
                    .values(status="abandoned", finished_at=utcnow()))
    run = SourceRun(source=name, status="running")
    session.add(run)
    state = session.get(SourceState, name)
    if state is not None:
        state.last_run_at = run.started_at
    session.flush()
    return run


def recent_runs(session: Session, name: str, limit: int = 10) -> list[SourceRun]:
    """The last runs of ``name``, newest first."""
    query = (select(SourceRun).where(SourceRun.source == name)
             .order_by(col(SourceRun.id).desc()).limit(limit))
    return list(session.exec(query))


def merge_validators(state: SourceState, updates: dict[str, dict[str, Any]]) -> None:
    """Fold new ``url -> validators`` into the state (a new dict, so the JSON column is saved)."""
    if updates:
        state.validators = {**(state.validators or {}), **updates}


def truncate_error(message: str) -> str:
    """Error text short enough for a status table."""
    return message if len(message) <= MAX_ERROR_CHARS else message[: MAX_ERROR_CHARS - 3] + "..."


def _insert(session: Session, model: Any) -> Any:
    """A dialect insert supporting ``on_conflict_do_nothing`` (SQLite and PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"database dialect {dialect!r} is not supported (use SQLite or PostgreSQL)")


def elapsed_since(when: datetime | None, now: datetime | None = None) -> float | None:
    """Seconds since ``when`` (None when it never happened)."""
    if when is None:
        return None
    return ((now or utcnow()) - when).total_seconds()
