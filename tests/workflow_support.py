"""Helpers for the workflow tests: a migrated database and hits as the scan pipeline stores them.

Hits are written the way ``tracker.pipeline`` writes them (record ids, per-field numbers,
part/line, masked evidence), so the workflow is tested on the real stored shape without
running extraction. Every value is synthetic.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tracker.db import open_database, session_scope
from tracker.models import Document, Hit, Leak
from tracker.workflow.settings import WorkflowSettings, parse_workflow

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
COLUMNS = [
    {"name": "Last Name", "role": "last_name"},
    {"name": "First Name", "role": "first_name"},
    {"name": "Date of Birth", "role": "dob"},
    {"name": "A-Number", "role": "id"},
    {"name": "Country", "role": "country"},
    {"name": "Facility", "role": "place"},
]


def workflow_settings(**extra: Any) -> WorkflowSettings:
    """A complete ``[workflow]`` table of a made-up organisation."""
    table: dict[str, Any] = {
        "sender_name": "Data Protection Desk",
        "sender_email": "dpo@example.org",
        "organisation": "Example Refugee Council",
        "authority": "on behalf of the data controller and the people listed",
        "legal_basis": ["GDPR Art. 17 (right to erasure)", "GDPR Art. 9 (special categories of data)"],
    }
    table.update(extra)
    return parse_workflow(table)


def migrated(tmp_path: Path) -> Engine:
    """A fresh SQLite database at the newest schema."""
    return open_database(f"sqlite:///{tmp_path / 'wf.sqlite3'}")


def add_leak(session: Session, name: str = "camp-list", columns: list[dict[str, str]] | None = None) -> Leak:
    """A leak row (no index file: these tests never match content); the existing one by that name."""
    existing = session.exec(select(Leak).where(Leak.name == name)).first()
    if existing is not None:
        return existing
    leak = Leak(name=name, file_name=f"{name}.csv", file_format="csv", file_sha256="0" * 64, n_records=40,
                columns=columns or COLUMNS, sheets=[], key_id="k", index_path=f"indexes/{name}.idx",
                index_sha256="0" * 64, index_bytes=1, created_at=T0)
    session.add(leak)
    session.flush()
    return leak


def add_hit(
    session: Session,
    leak: Leak,
    url: str,
    *,
    content: bytes | None = None,
    records: list[int] = (1, 2, 3),  # type: ignore[assignment]
    lines: list[int] | None = None,
    part: int = 0,
    fields: tuple[str, ...] = ("Last Name", "First Name", "Date of Birth", "A-Number"),
    seen: datetime = T0,
) -> Hit:
    """A document at ``url`` and a hit of ``leak`` in it, shaped like the pipeline's."""
    content = content if content is not None else f"content of {url}".encode()
    document = Document(source=url, sha256=hashlib.sha256(content).hexdigest(), size=len(content),
                        content_type="text/plain", kind="text", first_seen=seen, last_seen=seen)
    session.add(document)
    session.flush()
    lines = lines if lines is not None else [4 + i for i in range(len(records))]
    detail = [
        {"id": r, "score": 0.97, "part": part, "line": line, "fields": {f: 1.0 for f in fields},
         "evidence": {f: "X***** (6)" for f in fields}}
        for r, line in zip(records, lines, strict=True)
    ]
    hit = Hit(leak_id=leak.id, document_id=document.id, score=0.9, n_records=len(records),  # type: ignore[arg-type]
              record_ids=list(records), fields={f: {"found": len(records)} for f in fields},
              records_detail=detail, created_at=seen, updated_at=seen)
    session.add(hit)
    session.flush()
    return hit


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    """A session on a fresh migrated database, committed at the end of the test."""
    engine = migrated(tmp_path)
    with session_scope(engine) as s:
        yield s
    engine.dispose()


def later(**delta: float) -> datetime:
    return T0 + timedelta(**delta)
