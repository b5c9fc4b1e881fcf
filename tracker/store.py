"""Reading and writing the tracker's rows: the only place that knows the queries.

Callers hand in an open ``Session`` and own its transaction (``tracker.db.session_scope``).
The upserts tolerate another process inserting the same row at the same moment (a scheduler
and a manual ``tracker scan`` over the same document): the insert runs in a savepoint and
falls back to updating the row the other process wrote.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, func, select

from tracker.errors import NotFoundError
from tracker.models import Document, Hit, Leak, ScanError, utcnow

M = TypeVar("M", bound=SQLModel)

MAX_ERROR_CHARS = 500


# --- leaks -------------------------------------------------------------------------------

def get_leak(session: Session, name: str) -> Leak | None:
    """The leak called ``name``, or None."""
    return session.exec(select(Leak).where(Leak.name == name)).first()


def require_leak(session: Session, name: str) -> Leak:
    """The leak called ``name``; a ``NotFoundError`` that lists the known names otherwise."""
    leak = get_leak(session, name)
    if leak is None:
        known = ", ".join(leak.name for leak in list_leaks(session)) or "none registered yet"
        raise NotFoundError(f"no leak named {name!r} (known leaks: {known})")
    return leak


def list_leaks(session: Session) -> list[Leak]:
    """All leaks, oldest first."""
    return list(session.exec(select(Leak).order_by(col(Leak.id))))


def count_hits(session: Session, leak_id: int) -> int:
    """How many hits a leak has."""
    return session.exec(select(func.count()).select_from(Hit).where(Hit.leak_id == leak_id)).one()


def delete_leak(session: Session, leak: Leak) -> int:
    """Delete a leak and its hits; returns how many hits went with it."""
    n_hits = session.execute(sa.delete(Hit).where(col(Hit.leak_id) == leak.id)).rowcount
    session.delete(leak)
    session.flush()
    return n_hits


# --- documents and hits ------------------------------------------------------------------

def _get_or_insert(session: Session, find: Callable[[], M | None], make: Callable[[], M]) -> tuple[M, bool]:
    """Return ``(row, created)``: the existing row, or a new one inserted in a savepoint.

    If a concurrent transaction inserts the same unique key first, the savepoint is rolled
    back and the other process's row is returned instead of failing the whole scan.
    """
    row = find()
    if row is not None:
        return row, False
    row = make()
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = find()
        if found is None:
            raise
        return found, False
    return row, True


def record_document(
    session: Session,
    *,
    source: str,
    sha256: str,
    size: int,
    content_type: str | None,
    kind: str | None,
    now: datetime | None = None,
) -> tuple[Document, bool]:
    """Store that ``source`` held content ``sha256``: a new row, or ``last_seen`` moved on.

    Returns ``(document, created)``.
    """
    now = now or utcnow()

    def find() -> Document | None:
        return session.exec(select(Document).where(Document.source == source, Document.sha256 == sha256)).first()

    def make() -> Document:
        return Document(source=source, sha256=sha256, size=size, content_type=content_type, kind=kind,
                        first_seen=now, last_seen=now)

    document, created = _get_or_insert(session, find, make)
    if not created:
        document.last_seen = now
        document.content_type = document.content_type or content_type
        document.kind = document.kind or kind
        session.add(document)
        session.flush()
    return document, created


@dataclass(frozen=True)
class HitData:
    """What a match found, in the form a hit row stores it (ids, numbers, masked evidence)."""

    score: float
    record_ids: list[int]
    fields: dict[str, Any]
    records_detail: list[dict[str, Any]]
    expected_chance: float | None = None
    rows_compared: int | None = None


def record_hit(session: Session, *, leak_id: int, document_id: int, data: HitData,
               now: datetime | None = None) -> tuple[Hit, bool]:
    """Store a hit, or update the existing one for this leak and document; ``(hit, created)``.

    A re-match refreshes score, records and evidence but leaves the triage ``status`` alone.
    """
    now = now or utcnow()
    values = {"score": data.score, "n_records": len(data.record_ids), "record_ids": data.record_ids,
              "fields": data.fields, "records_detail": data.records_detail,
              "expected_chance": data.expected_chance, "rows_compared": data.rows_compared}

    def find() -> Hit | None:
        return session.exec(select(Hit).where(Hit.leak_id == leak_id, Hit.document_id == document_id)).first()

    def make() -> Hit:
        return Hit(leak_id=leak_id, document_id=document_id, created_at=now, updated_at=now, **values)

    hit, created = _get_or_insert(session, find, make)
    if not created:
        changed = {k: v for k, v in values.items() if getattr(hit, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(hit, key, value)
            hit.updated_at = now
            session.add(hit)
            session.flush()
    return hit, created


def record_scan_error(session: Session, source: str, error: str) -> ScanError:
    """Keep a line saying ``source`` could not be scanned, and why."""
    row = ScanError(source=source, error=error[:MAX_ERROR_CHARS])
    session.add(row)
    session.flush()
    return row


def _hits_with_context() -> Any:
    """``SELECT hit, leak, document`` joined, the shape every hit listing returns."""
    return (select(Hit, Leak, Document).join(Leak, col(Hit.leak_id) == col(Leak.id))
            .join(Document, col(Hit.document_id) == col(Document.id)))


def list_hits(session: Session, *, leak_id: int | None = None, status: str | None = None,
              limit: int | None = None) -> list[tuple[Hit, Leak, Document]]:
    """Hits newest first, with their leak and document, optionally filtered."""
    query = _hits_with_context().order_by(col(Hit.id).desc())
    if leak_id is not None:
        query = query.where(Hit.leak_id == leak_id)
    if status is not None:
        query = query.where(Hit.status == status)
    if limit is not None:
        query = query.limit(limit)
    return [(hit, leak, document) for hit, leak, document in session.exec(query)]


def get_hit(session: Session, hit_id: int) -> tuple[Hit, Leak, Document]:
    """One hit with its leak and document; ``NotFoundError`` if there is none with that id."""
    row = session.exec(_hits_with_context().where(Hit.id == hit_id)).first()
    if row is None:
        raise NotFoundError(f"no hit with id {hit_id} (see: tracker hits list)")
    hit, leak, document = row
    return hit, leak, document
