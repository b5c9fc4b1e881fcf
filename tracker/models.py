"""The tracker's tables: leaks, documents seen, hits (a leak found in a document), scan errors.

No column holds a leaked value. A leak row keeps the leak's column headers and roles, a
hash of the file and the id of the key its index was built with; a hit keeps record ids,
per-field similarity numbers and masked evidence ("M****** (7)"). The schema itself is made
by the Alembic migrations in ``tracker/migrations``; these classes must stay in step with
them (``tests/test_store.py`` compares the two).
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Stable constraint names, so later migrations can alter constraints on SQLite (batch mode)
# and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only zone the tracker stores)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and read back timezone-aware, on SQLite as on PostgreSQL.

    SQLite has no time zones and returns naive values; without this, comparing a stored
    time with ``utcnow()`` would raise.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use tracker.models.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json() -> Any:
    return Field(default_factory=list, sa_type=sa.JSON, sa_column_kwargs={"nullable": False})


def _timestamp() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})


class Leak(SQLModel, table=True):
    """A registered leak: where its index file is, what its columns are, which key built it."""

    __tablename__ = "leaks"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column_kwargs={"unique": True, "nullable": False})
    created_at: datetime = _timestamp()
    file_name: str
    file_format: str
    file_sha256: str
    n_records: int
    columns: list[dict[str, str]] = _json()  # [{"name": header, "role": Role value}]
    sheets: list[Any] = _json()
    key_id: str
    index_path: str  # relative to TRACKER_HOME
    index_sha256: str
    index_bytes: int


class Document(SQLModel, table=True):
    """A document the tracker has read, identified by where it was found and its content hash."""

    __tablename__ = "documents"
    __table_args__ = (sa.UniqueConstraint("source", "sha256", name="uq_documents_source_sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str
    sha256: str = Field(index=True)
    size: int
    content_type: str | None = None
    kind: str | None = None
    first_seen: datetime = _timestamp()
    last_seen: datetime = _timestamp()


class Hit(SQLModel, table=True):
    """Records of a leak found in a document: which ones, how sure, and where the case stands."""

    __tablename__ = "hits"
    __table_args__ = (sa.UniqueConstraint("leak_id", "document_id", name="uq_hits_leak_id_document_id"),)

    id: int | None = Field(default=None, primary_key=True)
    leak_id: int = Field(foreign_key="leaks.id", index=True, ondelete="CASCADE")
    document_id: int = Field(foreign_key="documents.id", index=True, ondelete="CASCADE")
    score: float
    n_records: int
    record_ids: list[int] = _json()
    fields: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, sa_column_kwargs={"nullable": False})
    # per record: {"id", "score", "fields": {column: similarity}, "part", "line", "evidence": {column: masked}}
    records_detail: list[dict[str, Any]] = _json()
    #: Rows expected to match this well by chance in this document (migration 0004; NULL before).
    expected_chance: float | None = None
    rows_compared: int | None = None
    status: str = Field(default="new", index=True, sa_column_kwargs={"server_default": "new"})
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class ScanError(SQLModel, table=True):
    """A document that could not be scanned, kept so failures are visible after the run."""

    __tablename__ = "scan_errors"

    id: int | None = Field(default=None, primary_key=True)
    source: str
    error: str
    at: datetime = _timestamp()
