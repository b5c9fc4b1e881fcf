"""What every ``tracker`` command shares: resolved settings, the database, the key, consoles.

The root callback puts a ``CliState`` into ``ctx.obj``; commands take it with
``state_of(ctx)``. The database is opened (and migrated) only by commands that need it,
so ``tracker --help`` stays fast and never touches the data folder.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy.engine import Engine

from fingerprints.keyed import Keyer
from tracker.config import default_config_path
from tracker.db import open_database
from tracker.home import open_home
from tracker.keyfile import open_keyer
from tracker.settings import Settings

# Exit codes, shown in ``tracker --help`` and docs/cli.md.
EXIT_OK = 0
EXIT_FAILURE = 1          # internal error, storage failure
EXIT_USAGE = 2            # bad option or input, unknown leak, wrong key, unreadable leak file
EXIT_SCAN_ERRORS = 3      # scan finished, but some documents could not be scanned
EXIT_HITS = 4             # scan finished and found hits (only with --fail-on-hit)

KeyFileOption = Annotated[
    Path | None,
    typer.Option("--key-file", help="Secret key file (default: $TRACKER_KEY_FILE or $TRACKER_HOME/secret.key).",
                 dir_okay=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (one object per line) instead of a table.")]

#: The largest row id the databases hold (SQLite INTEGER and PostgreSQL BIGINT are signed 64-bit).
#: Every id and count taken on the command line is bounded by it, so that ``hits show
#: 18446744073709551616`` is a usage error (exit 2) rather than an OverflowError in the driver.
ID_MAX = 2**63 - 1


def id_argument(help: str, metavar: str = "ID") -> Any:
    """A positional record id (hit, case, incident): a whole number from 1 to ``ID_MAX``."""
    return typer.Argument(metavar=metavar, help=help, min=1, max=ID_MAX)


HitIdsArgument = Annotated[list[int], id_argument("Hit ids.", "ID...")]


@dataclass
class CliState:
    """Settings of this invocation, with the database and key opened on first use."""

    settings: Settings
    verbose: int = 0
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self) -> Engine:
        """The migrated database engine (opened once per invocation).

        Every command that uses the data folder comes through here first, so this is where
        the home is opened (``tracker.home.open_home``): created if missing, checked for
        unsafe permissions (a warning on stderr) and swept of stale temporary files.
        """
        if self._engine is None:
            open_home(self.settings, default_config_path(self.settings.home))
            self._engine = open_database(self.settings.database_url)
        return self._engine

    def key_path(self, key_file: Path | None = None) -> Path:
        """``key_file`` (a per-command ``--key-file``) made absolute, else the configured key file."""
        return key_file.expanduser().absolute() if key_file is not None else self.settings.key_file

    def keyer(self, key_file: Path | None = None) -> Keyer:
        """The keyer for ``key_file`` or the configured key file; never creates a key
        (only ``leak add`` does, through ``tracker.leaks.open_key_for_add``)."""
        return open_keyer(self.key_path(key_file))

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def state_of(ctx: typer.Context) -> CliState:
    """The ``CliState`` the root callback stored (walks up to the root context)."""
    state = ctx.find_root().obj
    assert isinstance(state, CliState), "the root callback did not run"
    return state


WIDTH_WHEN_PIPED = 200


def out() -> Console:
    """Console for results (stdout); made per call so test runners' swapped streams are used.

    Piped into a file or another program, tables are drawn wide rather than at a guessed
    80 columns, so paths and URLs are not cut short.
    """
    return Console(file=sys.stdout, width=None if sys.stdout.isatty() else WIDTH_WHEN_PIPED)


def err() -> Console:
    """Console for messages and progress (stderr)."""
    return Console(file=sys.stderr, stderr=True)


def print_json(obj: Any) -> None:
    """One JSON object on one stdout line, flushed (consumers read the stream as it comes)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()
