"""Saved source state: seen items, leases, and the context's buffering (real SQLite / PostgreSQL)."""
from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from tracker.db import open_database, session_scope
from tracker.models import utcnow
from tracker.monitor import state as store
from tracker.monitor.context import DbSourceContext, QueryGuard
from tracker.monitor.models import SourceItem, SourceRun, SourceState


@pytest.fixture
def engine(db_url: str, tmp_path: Path) -> Engine:
    (tmp_path / "home").mkdir(exist_ok=True)
    engine = open_database(db_url)
    yield engine
    engine.dispose()


def new_context(engine: Engine, name: str = "src") -> DbSourceContext:
    with session_scope(engine) as session:
        state = store.ensure_state(session, name, "paste-site")
    return DbSourceContext(engine, name, state)


def test_models_match_the_migration(engine: Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                SQLModel.metadata)
    ours = [d for d in diff if any(t in repr(d) for t in ("source_items", "source_states", "source_runs"))]
    assert ours == []
    assert {"source_items", "source_states", "source_runs"} <= set(sa.inspect(engine).get_table_names())


def test_mark_seen_is_idempotent_and_keyed_by_content(engine: Engine) -> None:
    with session_scope(engine) as session:
        store.mark_seen(session, "a", "k1", "http://x/k1", "h1")
        store.mark_seen(session, "a", "k1", "http://x/k1", "h1")
    with session_scope(engine) as session:
        assert store.count_items(session, "a") == 1
        assert store.is_seen(session, "a", "k1")
        assert store.is_seen(session, "a", "k1", "h1")
        assert not store.is_seen(session, "a", "k1", "h2")      # changed content is new
        assert not store.is_seen(session, "b", "k1")            # per source
        store.mark_seen(session, "a", "k1", "http://x/k1", "h2")
    with session_scope(engine) as session:
        assert store.count_items(session, "a") == 2 and store.count_items(session) == 2


def test_lease_is_exclusive_and_released(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert store.acquire_lease(session, "s", "watch", "h:1:a") is None
    with session_scope(engine) as session:
        # a live holder elsewhere blocks another owner; the holder itself may re-take it
        assert store.acquire_lease(session, "s", "watch", "otherhost:2:b") == "h:1:a"
        assert store.acquire_lease(session, "s", "watch", "h:1:a") is None
        store.release_lease(session, "s", "h:1:a")
    with session_scope(engine) as session:
        assert store.acquire_lease(session, "s", "watch", "otherhost:2:b") is None
        state = store.get_state(session, "s")
        assert state is not None and state.lease_owner == "otherhost:2:b" and state.kind == "watch"


def test_expired_lease_is_taken_over(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert store.acquire_lease(session, "s", "watch", "remote:1:a", ttl=timedelta(seconds=-1)) is None
    with session_scope(engine) as session:
        assert store.acquire_lease(session, "s", "watch", "remote:2:b") is None


def test_lease_of_a_killed_process_is_taken_over_at_once(engine: Engine) -> None:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead_owner = f"{store.lease_owner_id().split(':')[0]}:{proc.stdout.strip()}:deadbeef"
    with session_scope(engine) as session:
        assert store.acquire_lease(session, "s", "watch", dead_owner) is None
    with session_scope(engine) as session:
        assert store.acquire_lease(session, "s", "watch", store.lease_owner_id()) is None


def test_context_buffers_until_documents_are_committed(engine: Engine) -> None:
    ctx = new_context(engine)
    assert ctx.get_cursor() == {} and ctx.get_validators("http://x/a") == {}
    ctx.set_cursor({"since": "2024-01-01T00:00:00Z"})
    ctx.set_validators("http://x/a", {"etag": '"1"', "last_modified": None})
    ctx.set_validators("http://x/b", {"etag": '"2"'})
    assert ctx.get_validators("http://x/a") == {"etag": '"1"'}   # the source sees its own writes
    ctx.mark_seen("gone", "http://x/gone", "h0")                  # an item skipped on purpose
    assert ctx.is_seen("gone")

    def saved() -> SourceState:
        with session_scope(engine) as session:
            state = store.get_state(session, "src")
            assert state is not None
            return state

    assert saved().cursor == {} and saved().validators == {}     # nothing written yet: a kill loses nothing
    ctx.commit_document("a", "http://x/a", "ha", owner=None)
    assert saved().validators == {"http://x/a": {"etag": '"1"'}}  # only the scanned document's URL
    assert saved().cursor == {}
    with session_scope(engine) as session:
        assert store.is_seen(session, "src", "a", "ha") and not store.is_seen(session, "src", "gone")
        ctx.flush_success(session, store.get_state(session, "src"))  # type: ignore[arg-type]
    state = saved()
    assert state.cursor == {"since": "2024-01-01T00:00:00Z"}
    assert state.validators == {"http://x/a": {"etag": '"1"'}, "http://x/b": {"etag": '"2"'}}
    with session_scope(engine) as session:
        assert store.is_seen(session, "src", "gone", "h0")
    assert ctx.already_scanned("a", "ha") and not ctx.already_scanned("a", "other")
    assert ctx.considered == 2  # items the source asked about: "gone" and the URL http://x/a


def test_a_new_context_resumes_from_saved_state(engine: Engine) -> None:
    ctx = new_context(engine)
    ctx.set_cursor({"page": 3})
    ctx.set_validators("http://x/a", {"etag": '"9"'})
    with session_scope(engine) as session:
        ctx.flush_success(session, store.get_state(session, "src"))  # type: ignore[arg-type]
    again = new_context(engine)
    assert again.get_cursor() == {"page": 3}
    assert again.get_validators("http://x/a") == {"etag": '"9"'}
    cursor = again.get_cursor()
    cursor["page"] = 99                      # callers get copies
    assert again.get_cursor() == {"page": 3}


def test_run_log_rows(engine: Engine) -> None:
    with session_scope(engine) as session:
        store.ensure_state(session, "s", "watch")
        run = store.start_run(session, "s")
        assert run.status == "running" and run.id is not None
    with session_scope(engine) as session:
        state = store.get_state(session, "s")
        assert state is not None and state.last_run_at is not None
        assert [r.id for r in store.recent_runs(session, "s")] == [run.id]
        assert store.elapsed_since(state.last_run_at, utcnow() + timedelta(seconds=5)) >= 5  # type: ignore[operator]
    assert store.truncate_error("x" * 1000).endswith("...") and len(store.truncate_error("x" * 1000)) == 500
    assert SourceItem.__tablename__ == "source_items" and SourceRun.__tablename__ == "source_runs"


def test_query_guard_refuses_without_quoting_the_query(synthetic_leak) -> None:  # type: ignore[no-untyped-def]
    import os

    from fingerprints.index import build_index
    from fingerprints.keyed import Keyer
    from fingerprints.matcher import Matcher
    from fingerprints.roles import Column, Role
    from sources.errors import UnsafeQuery

    keyer = Keyer(os.urandom(32))
    roles = [Role.LAST_NAME, Role.FIRST_NAME, Role.DOB, Role.ID, Role.COUNTRY, Role.PLACE]
    columns = [Column(h, r) for h, r in zip(synthetic_leak.header, roles, strict=True)]
    rows = [synthetic_leak.row(p) for p in synthetic_leak.people]
    guard = QueryGuard([("roster", Matcher(build_index(rows, columns, keyer), keyer))])
    assert guard
    guard.check("detainee list filetype:xlsx")
    guard.check('"Last Name" "Date of Birth" "A-Number"')          # a header row is leak-level
    person = synthetic_leak.people[3]
    for query in (f"{person.last_name} site:pastebin.com", f"list {person.a_number}"):
        with pytest.raises(UnsafeQuery) as info:
            guard.check(query)
        message = str(info.value)
        assert "of leak 'roster'" in message
        assert person.last_name not in message and person.a_number not in message
    assert not QueryGuard([])
