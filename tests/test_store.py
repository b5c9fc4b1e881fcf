"""Settings, the key file, database set-up and migrations, and the store's upserts (real databases)."""
from __future__ import annotations

import os
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select

from tracker import store
from tracker.db import migrate, open_database, session_scope
from tracker.errors import ConfigError, NotFoundError
from tracker.keyfile import KEY_BYTES, load_key, load_or_create_key, open_keyer
from tracker.models import Document, Hit, Leak, utcnow
from tracker.settings import Settings

CORE_TABLES = {"leaks", "documents", "hits", "scan_errors"}


# --- settings ------------------------------------------------------------------------------

def test_settings_defaults_follow_home(tmp_path: Path) -> None:
    settings = Settings.from_env(env={"TRACKER_HOME": str(tmp_path)})
    assert settings.home == tmp_path
    assert settings.database_url == f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    assert settings.key_file == tmp_path / "secret.key"
    assert settings.indexes_dir == tmp_path / "indexes"
    assert settings.log_file is None and settings.allow_private_addresses is False


def test_settings_explicit_values_beat_environment(tmp_path: Path) -> None:
    env = {"TRACKER_HOME": str(tmp_path / "env"), "TRACKER_KEY_FILE": "k.hex", "TRACKER_LOG_FILE": "log.txt",
           "TRACKER_DATABASE_URL": "sqlite:///x.db", "TRACKER_ALLOW_PRIVATE_ADDRESSES": "yes"}
    from_env = Settings.from_env(env=env)
    assert from_env.key_file == tmp_path / "env" / "k.hex"  # relative to home
    assert from_env.log_file == tmp_path / "env" / "log.txt"
    assert from_env.database_url == "sqlite:///x.db" and from_env.allow_private_addresses
    explicit = Settings.from_env(home=tmp_path / "cli", key_file=tmp_path / "abs.key", env=env)
    assert explicit.home == tmp_path / "cli" and explicit.key_file == tmp_path / "abs.key"


def test_settings_refuse_a_bad_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TRACKER_ALLOW_PRIVATE_ADDRESSES"):
        Settings.from_env(env={"TRACKER_HOME": str(tmp_path), "TRACKER_ALLOW_PRIVATE_ADDRESSES": "maybe"})


# --- key file ------------------------------------------------------------------------------

def test_key_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "secret.key"
    key = load_or_create_key(path)
    assert len(key) == KEY_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == key.hex()
    assert load_or_create_key(path) == key
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]  # no temporary file left
    assert open_keyer(path).key_id == open_keyer(path, create=True).key_id


def test_concurrent_first_use_agrees_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    keys: list[bytes] = []
    threads = [threading.Thread(target=lambda: keys.append(load_or_create_key(path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and len(keys) == 8


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    load_or_create_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_key(path)


@pytest.mark.parametrize("content", ["", "zz" * 32, "ab" * 16, "not a key at all"])
def test_malformed_key_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "secret.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, content.encode())
    os.close(fd)
    with pytest.raises(ConfigError, match="malformed"):
        load_key(path)


def test_missing_key_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        open_keyer(tmp_path / "nope.key")


# --- database --------------------------------------------------------------------------------

def _core_only(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Compare the core tables only (later revisions own the others)."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return getattr(table, "name", name) in CORE_TABLES


def test_migrations_create_the_models_schema(engine: Engine, db_url: str) -> None:
    open_database(db_url).dispose()  # a second open is a no-op upgrade
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _core_only})
        assert compare_metadata(context, SQLModel.metadata) == []
    assert CORE_TABLES <= set(sa.inspect(engine).get_table_names())


def test_sqlite_runs_with_wal_and_foreign_keys(engine: Engine, tracker_home: Path) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    with pytest.raises(sa.exc.IntegrityError), session_scope(engine) as session:
        session.add(Hit(leak_id=999, document_id=999, score=1.0, n_records=0))
    files = list(tracker_home.glob("tracker.sqlite3*"))
    assert len(files) >= 2 and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)  # db, -wal, -shm


def test_migrate_is_safe_to_repeat(engine: Engine) -> None:
    migrate(engine)
    migrate(engine, "head")


# --- store -----------------------------------------------------------------------------------

def _leak(name: str = "demo") -> Leak:
    return Leak(name=name, file_name="x.csv", file_format="csv", file_sha256="0" * 64, n_records=3,
                columns=[{"name": "Last Name", "role": "last_name"}], sheets=[], key_id="k1",
                index_path=f"indexes/{name}.idx", index_sha256="1" * 64, index_bytes=10)


def test_document_upsert_moves_last_seen(engine: Engine, db_url: str) -> None:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    with session_scope(engine) as s:
        doc, created = store.record_document(s, source="a", sha256="f" * 64, size=3, content_type=None,
                                             kind=None, now=t0)
        assert created
    with session_scope(engine) as s:
        again, created = store.record_document(s, source="a", sha256="f" * 64, size=3,
                                               content_type="text/csv", kind="csv", now=t0 + timedelta(days=1))
        assert not created and again.id == doc.id
    with session_scope(engine) as s:
        rows = s.exec(select(Document)).all()
    assert len(rows) == 1
    assert rows[0].first_seen == t0 and rows[0].last_seen == t0 + timedelta(days=1)
    assert rows[0].content_type == "text/csv" and rows[0].first_seen.tzinfo is not None


def test_hit_upsert_updates_without_duplicates_and_keeps_status(engine: Engine, db_url: str) -> None:
    with session_scope(engine) as s:
        leak = _leak()
        s.add(leak)
        s.flush()
        doc, _ = store.record_document(s, source="a", sha256="e" * 64, size=1, content_type=None, kind=None)
        hit, created = store.record_hit(s, leak_id=leak.id, document_id=doc.id,
                                        data=store.HitData(0.9, [1, 2], {"Last Name": {"records": 2}}, []))
        assert created and hit.status == "new" and hit.n_records == 2
        hit.status = "confirmed"
    with session_scope(engine) as s:
        again, created = store.record_hit(s, leak_id=leak.id, document_id=doc.id,
                                          data=store.HitData(0.95, [1, 2, 3], {}, []))
        assert not created and again.id == hit.id
    with session_scope(engine) as s:
        rows = store.list_hits(s)
        assert len(rows) == 1
        stored, stored_leak, stored_doc = rows[0]
        assert stored.record_ids == [1, 2, 3] and stored.n_records == 3 and stored.score == 0.95
        assert stored.status == "confirmed" and stored_leak.name == "demo" and stored_doc.source == "a"
        assert store.count_hits(s, leak.id) == 1
        assert store.list_hits(s, status="new") == []
        assert store.get_hit(s, hit.id)[0].id == hit.id
        with pytest.raises(NotFoundError):
            store.get_hit(s, 12345)
        assert store.delete_leak(s, store.require_leak(s, "demo")) == 1
    with session_scope(engine) as s:
        assert store.list_hits(s) == [] and store.list_leaks(s) == []


def test_unknown_leak_names_the_known_ones(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.add(_leak("alpha"))
    with session_scope(engine) as s, pytest.raises(NotFoundError, match="alpha"):
        store.require_leak(s, "beta")


def test_insert_race_falls_back_to_the_other_row(engine: Engine, db_url: str) -> None:
    """A row another process inserts between our look-up and our insert is returned, not an error."""
    looked: list[bool] = []
    with session_scope(engine) as s:
        def find() -> Document | None:
            if not looked:  # the first look-up happens before the other process inserts
                looked.append(True)
                return None
            return s.exec(select(Document).where(Document.source == "x")).first()

        def make() -> Document:
            with session_scope(engine) as other:  # the other process wins the race
                other.add(Document(source="x", sha256="a", size=1))
            return Document(source="x", sha256="a", size=1)

        row, created = store._get_or_insert(s, find, make)
        assert not created and row.id is not None
        s.add(Document(source="y", sha256="b", size=2))  # the outer transaction is still usable
    with session_scope(engine) as s:
        assert sorted(d.source for d in s.exec(select(Document))) == ["x", "y"]


def test_a_failed_transaction_leaves_no_row(engine: Engine, db_url: str) -> None:
    """Rows written through savepoints go away with the transaction (SQLite driver quirk guarded)."""
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        store.record_document(s, source="z", sha256="c", size=1, content_type=None, kind=None)
        raise RuntimeError("boom")
    with session_scope(engine) as s:
        assert s.exec(select(Document)).all() == []


def test_the_known_head_is_alembics_head_and_an_up_to_date_database_opens_without_alembic(tmp_path: Path) -> None:
    """``HEAD_REVISION`` must name the newest migration (a new one without it fails here); a
    database already there opens with one query, alembic never loaded."""
    import subprocess
    import sys

    from alembic.script import ScriptDirectory

    from tracker.db import HEAD_REVISION, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [HEAD_REVISION]
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    open_database(url).dispose()  # new: migrated with alembic
    probe = ("import sys; from tracker.db import open_database; open_database(sys.argv[1]).dispose(); "
             "print('alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe, url], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"
