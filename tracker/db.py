"""Opening the database: engine set-up and schema migrations.

The schema is made only by the Alembic migrations in ``tracker/migrations``, run on every
open (``upgrade head`` is a no-op when the schema is current), so an old database is
brought up to date by simply using a newer tracker. SQLite gets WAL journaling (readers do
not block the writer), foreign keys and a busy timeout, so a scheduler and a CLI command
can share one file; PostgreSQL (``postgresql+psycopg://...``) works the same way.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlmodel import Session

from tracker.errors import ConfigError, StorageError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Any fixed number: serializes concurrent migrations of one PostgreSQL database.
_PG_MIGRATION_LOCK = 0x7261_7074  # "rapt"


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """Per-connection SQLite set-up; also takes transaction control away from the driver.

    Python's sqlite3 driver opens transactions lazily and mishandles SAVEPOINT (a released
    outermost savepoint commits); with its own transaction handling off, ``_sqlite_begin``
    starts every transaction explicitly.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    """Start SQLite transactions as IMMEDIATE: a writer waits (busy timeout) for another
    writer up front, instead of failing when a read transaction later tries to write."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _create_private_file(path: Path) -> None:
    """Create a missing SQLite file owner-only; SQLite gives its -wal/-shm files the same mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise StorageError(f"cannot create the database file {path}: {exc.strerror or exc}") from exc


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` (no schema changes); SQLite files get their folder made."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database URL is not valid: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _create_private_file(Path(parsed.database))
        engine = sa.create_engine(url, hide_parameters=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return sa.create_engine(url, pool_pre_ping=True, hide_parameters=True)
    except (ArgumentError, ImportError) as exc:
        raise ConfigError(f"cannot use database URL {parsed.render_as_string(hide_password=True)}: {exc}") from exc


#: The newest migration (tests check it is alembic's head): a database already at it opens
#: without loading alembic and the migration scripts (0.2 s of every command).
HEAD_REVISION = "0005_unreadable_items"


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations (no .ini file needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; safe to run from several processes at once."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _at_head(engine: Engine) -> bool:
    """Whether the schema is already at :data:`HEAD_REVISION` (one query, no alembic)."""
    try:
        with engine.connect() as connection:
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:  # no such table yet: a new database
        return False
    return version == HEAD_REVISION


def open_database(url: str) -> Engine:
    """Create the engine and migrate the schema to the newest revision."""
    engine = make_engine(url)
    safe_url = engine.url.render_as_string(hide_password=True)
    try:
        if not _at_head(engine):
            migrate(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        detail = getattr(exc, "orig", None) or exc
        raise StorageError(f"cannot open the database {safe_url}: {detail}".strip()) from exc
    log.debug("database ready: %s", safe_url)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
