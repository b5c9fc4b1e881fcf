"""Tables of the takedown workflow: incidents, their locations, cases, notices, checks, audit log.

Like the core tables, nothing here holds a leaked value: locations are URLs, notices are
rendered from record counts, data categories and line numbers, checks keep a status and a
content hash, and document sketches are MinHash signatures of keyed fingerprints. The schema
is made by migration ``0003_workflow``; these classes must stay in step with it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapper
from sqlmodel import Field, SQLModel

from tracker.models import UTCDateTime, utcnow


def _timestamp() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})


def _when() -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


def _json(factory: type = list) -> Any:
    return Field(default_factory=factory, sa_type=sa.JSON, sa_column_kwargs={"nullable": False})


class Incident(SQLModel, table=True):
    """One leak event seen at one or more locations: the same content, mirrored or re-posted."""

    __tablename__ = "incidents"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _timestamp()
    created_by: str


class IncidentLocation(SQLModel, table=True):
    """A URL where an incident's content is (or was) published."""

    __tablename__ = "incident_locations"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True, ondelete="CASCADE")
    url: str = Field(sa_column_kwargs={"unique": True, "nullable": False})
    host: str = Field(index=True)
    linked_by: str  # why it joined the incident: first, same_url, same_content, near_duplicate, same_records
    first_seen: datetime = _timestamp()


class LocationHit(SQLModel, table=True):
    """Which hits were found at a location (several leaks, or several versions of the page)."""

    __tablename__ = "location_hits"

    hit_id: int = Field(foreign_key="hits.id", primary_key=True, ondelete="CASCADE")
    location_id: int = Field(foreign_key="incident_locations.id", index=True, ondelete="CASCADE")


class DocumentSketch(SQLModel, table=True):
    """MinHash of a document's keyed shingles, to find near-duplicate re-posts without its text."""

    __tablename__ = "document_sketches"

    document_id: int = Field(foreign_key="documents.id", primary_key=True, ondelete="CASCADE")
    minhash: bytes = Field(sa_type=sa.LargeBinary, sa_column_kwargs={"nullable": False})


class Case(SQLModel, table=True):
    """The takedown of one location: who was asked, when, and what came of it."""

    __tablename__ = "cases"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True, ondelete="CASCADE")
    location_id: int = Field(
        foreign_key="incident_locations.id", ondelete="CASCADE", sa_column_kwargs={"unique": True}
    )
    url: str
    host: str = Field(index=True)
    state: str = Field(default="open", index=True)
    recipient: dict[str, Any] = _json(dict)  # current Recipient.to_dict(); {} until resolved
    recipient_chain: list[dict[str, Any]] = _json()  # all candidates, in escalation order
    escalation_level: int = 0  # index of the current recipient in the chain
    follow_ups: int = 0  # reminders sent to the current recipient
    baseline_sha256: str = ""  # content hash when the case opened: same hash = still there
    opened_at: datetime = _timestamp()
    notice_sent_at: datetime | None = _when()
    deadline_at: datetime | None = _when()
    removed_at: datetime | None = _when()
    closed_at: datetime | None = _when()
    next_check_at: datetime | None = _when()
    check_streak: int = 0  # checks in a row that did not find it removed: drives the back-off
    updated_at: datetime = _timestamp()


class Notice(SQLModel, table=True):
    """A notice drafted for a case; kept as sent (text, Message-ID, time, approver)."""

    __tablename__ = "notices"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True, ondelete="CASCADE")
    kind: str = "notice"  # notice | follow_up
    template: str
    recipient: dict[str, Any] = _json(dict)
    subject: str
    text: str
    format: str = "text"  # format last rendered or sent: text | eml | pdf
    message_id: str = ""
    created_at: datetime = _timestamp()
    created_by: str
    approved_by: str = ""
    approved_at: datetime | None = _when()
    sent_at: datetime | None = _when()


class RemovalCheck(SQLModel, table=True):
    """One re-check of a case's location, with the evidence it saw."""

    __tablename__ = "removal_checks"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True, ondelete="CASCADE")
    at: datetime = _timestamp()
    http_status: int | None = None  # None: no answer (timeout, connection refused)
    content_sha256: str = ""
    outcome: str  # present | removed | inconclusive
    detail: str = ""


class AuditLog(SQLModel, table=True):
    """Append-only record of every change: who, when, what, from which state to which, and why.

    Rows carry the object's kind and id rather than a foreign key, so the history outlives
    the objects it speaks of. Updates and deletes are refused by the ORM here and by database
    triggers created in the migration.
    """

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _timestamp()
    actor: str
    object_type: str = Field(index=True)  # hit | case | incident | notice
    object_id: int = Field(index=True)
    action: str  # transition | link | approve | send | recipient | follow_up | note
    from_state: str = ""
    to_state: str = ""
    reason: str = ""


CaseEvent = AuditLog  # the case's history is its slice of the audit log


def _refuse_change(mapper: Mapper[Any], connection: sa.Connection, target: AuditLog) -> None:
    raise sa.exc.InvalidRequestError("the audit log is append-only: rows cannot be changed or deleted")


event.listen(AuditLog, "before_update", _refuse_change)
event.listen(AuditLog, "before_delete", _refuse_change)
