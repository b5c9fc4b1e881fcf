"""Tables of the monitoring side: what each source has seen, its saved state and its run log.

Everything a restart needs lives here rather than in memory: the items a source has already
handed to the scanner (so they are not scanned again), its cursor and HTTP validators (so the
next run picks up where the last successful one stopped) and its health counters. No column
holds a leaked value: items are keyed by the source's own ids, URLs and content hashes.
The schema is made by migration ``0002_monitoring``; keep the two in step.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from tracker.models import UTCDateTime, utcnow


def _json_dict() -> Any:
    return Field(default_factory=dict, sa_type=sa.JSON, sa_column_kwargs={"nullable": False})


class SourceItem(SQLModel, table=True):
    """An item a source yielded and the tracker scanned: one row per (source, item, content)."""

    __tablename__ = "source_items"
    __table_args__ = (
        sa.UniqueConstraint("source", "item_id", "content_sha256",
                            name="uq_source_items_source_item_id_content_sha256"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str                              # config name of the source (the unique index covers it)
    item_id: str                             # the source's stable id (paste key, gist id/file, URL...)
    url: str
    content_sha256: str
    first_seen: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime,
                                 sa_column_kwargs={"nullable": False})


class SourceState(SQLModel, table=True):
    """A source's saved position and health, updated after every run."""

    __tablename__ = "source_states"

    name: str = Field(primary_key=True)
    kind: str = ""
    cursor: dict[str, Any] = _json_dict()        # the source's own resume point (JSON-able)
    validators: dict[str, Any] = _json_dict()    # url -> {"etag": ..., "last_modified": ...}
    last_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_failure_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    consecutive_failures: int = 0
    failure_class: str | None = None             # rate_limited, blocked, auth, layout, network, outage, ...
    last_error: str | None = None
    runs: int = 0
    items_fetched: int = 0                       # totals over all runs
    items_unreadable: int = 0                    # of them, documents that could not be read (errors)
    bytes_fetched: int = Field(default=0, sa_type=sa.BigInteger)
    hits: int = 0
    zero_item_runs: int = 0                      # successful runs in a row that saw no item at all
    last_items: int = 0                          # documents handed to the scanner by the last run
    last_duration: float | None = None
    lease_owner: str | None = None               # "host:pid:token" of the process running it now
    lease_expires: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SourceRun(SQLModel, table=True):
    """One run of one source: when, how it ended, what it fetched and found."""

    __tablename__ = "source_runs"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime,
                                 sa_column_kwargs={"nullable": False})
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = "running"                      # running | ok | failed | interrupted
    items: int = 0                               # documents scanned
    considered: int = 0                          # items the source looked at (new or already seen)
    bytes: int = Field(default=0, sa_type=sa.BigInteger)
    hits: int = 0
    errors: int = 0                              # documents that could not be scanned
    failure_class: str | None = None
    error: str | None = None
