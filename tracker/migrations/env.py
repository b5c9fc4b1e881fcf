"""Alembic environment: runs migrations on the connection ``tracker.db.migrate`` hands in.

The tracker never runs Alembic from an .ini file; ``tracker.db.migrate`` opens a
transaction, puts its connection into ``config.attributes["connection"]`` and calls
``alembic.command.upgrade``. Running ``alembic`` by hand works too when
``sqlalchemy.url`` is set on the command line (``-x`` is not needed).
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

import tracker.models  # noqa: F401  (registers the tables on the metadata)
import tracker.monitor.models  # noqa: F401
import tracker.workflow.models  # noqa: F401
from sqlmodel import SQLModel

config = context.config
target_metadata = SQLModel.metadata


def _configure_and_run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE support on SQLite
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _configure_and_run(connection)
elif context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as conn:
        _configure_and_run(conn)
