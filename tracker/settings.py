"""Where the tracker keeps its state, read from the environment and the command line.

Everything lives under one folder, ``TRACKER_HOME``: the SQLite database (unless
``TRACKER_DATABASE_URL`` points elsewhere), the secret key file, the leak index files and
an optional log file. The secret key is a file, never a database value: whoever holds a
database dump alone cannot test guesses against the stored fingerprints.
"""
from __future__ import annotations

import errno
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from tracker.errors import ConfigError, StorageError, path_error, shown_path

ENV_HOME = "TRACKER_HOME"
ENV_DATABASE_URL = "TRACKER_DATABASE_URL"
ENV_KEY_FILE = "TRACKER_KEY_FILE"
ENV_LOG_LEVEL = "TRACKER_LOG_LEVEL"
ENV_LOG_FILE = "TRACKER_LOG_FILE"
ENV_ALLOW_PRIVATE = "TRACKER_ALLOW_PRIVATE_ADDRESSES"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _flag(env: Mapping[str, str], name: str) -> bool:
    """Read a yes/no environment variable, refusing values that are neither."""
    value = env.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={env[name]!r} is not a yes/no value (use 1 or 0)")


@dataclass(frozen=True)
class Settings:
    """Resolved locations and switches for one run of the tracker."""

    home: Path
    database_url: str
    key_file: Path
    log_level: str = "WARNING"
    log_file: Path | None = None
    allow_private_addresses: bool = False

    @classmethod
    def from_env(
        cls,
        *,
        home: Path | None = None,
        key_file: Path | None = None,
        database_url: str | None = None,
        log_file: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Settings:
        """Build settings from explicit values first, then ``TRACKER_*`` variables, then defaults.

        Relative paths (a log file name, a key file) are taken relative to the home folder
        so that a whole tracker can be moved by moving one folder.
        """
        env = os.environ if env is None else env
        home = Path(home or env.get(ENV_HOME) or platformdirs.user_data_dir("repost-tracker"))
        home = home.expanduser().absolute()

        def under_home(value: Path | str | None) -> Path | None:
            if value is None or str(value) == "":
                return None
            path = Path(value).expanduser()
            return path if path.is_absolute() else home / path

        url = database_url or env.get(ENV_DATABASE_URL) or f"sqlite:///{home / 'tracker.sqlite3'}"
        return cls(
            home=home,
            database_url=url,
            key_file=under_home(key_file or env.get(ENV_KEY_FILE)) or home / "secret.key",
            log_level=(env.get(ENV_LOG_LEVEL) or "WARNING").upper(),
            log_file=under_home(log_file or env.get(ENV_LOG_FILE)),
            allow_private_addresses=_flag(env, ENV_ALLOW_PRIVATE),
        )

    @property
    def indexes_dir(self) -> Path:
        """Folder of the leak index files (keyed fingerprints only)."""
        return self.home / "indexes"

    def ensure_home(self) -> None:
        """Create the home and index folders, readable by the owner only.

        A name the system refuses outright (longer than it allows, a file in the way) comes
        from the user's --home or TRACKER_HOME: a usage error (exit 2), not a storage failure.
        """
        try:
            for folder in (self.home, self.indexes_dir):
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            if exc.errno in (errno.ENAMETOOLONG, errno.ENOTDIR, errno.EEXIST):
                raise path_error(self.home, exc, "tracker folder (--home, TRACKER_HOME)") from exc
            raise StorageError(f"cannot create the tracker folder {shown_path(self.home)}: {exc.strerror}") from exc
