"""Logging set-up: messages to stderr (stdout is kept for results), optionally to a file.

The level comes from ``-v``/``-vv`` or ``TRACKER_LOG_LEVEL``. The tracker's own log
messages name document sources, counts and record ids, never leaked values; the log file is
created owner-only all the same, since document sources (URLs, paths) can be sensitive.
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TextIO

from tracker.errors import ConfigError

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "_tracker_handler"
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def resolve_level(verbose: int, configured: str = "WARNING") -> int:
    """``-v`` means INFO and ``-vv`` DEBUG, whatever ``TRACKER_LOG_LEVEL`` says; else the configured level."""
    if verbose >= 2:
        return logging.DEBUG
    if verbose == 1:
        return logging.INFO
    name = configured.strip().upper()
    if name not in _LEVELS:
        raise ConfigError(f"log level {configured!r} is not one of {', '.join(_LEVELS)}")
    return logging.getLevelNamesMapping()[name]


def _private_file_handler(path: Path) -> logging.FileHandler:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    return logging.FileHandler(path, encoding="utf-8")


def configure_logging(level: int, log_file: Path | None = None) -> None:
    """Install the tracker's handlers on the root logger, replacing ones from an earlier call."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = [_StderrHandler()]
    if log_file is not None:
        try:
            handlers.append(_private_file_handler(log_file))
        except OSError as exc:
            raise ConfigError(f"cannot open log file {log_file}: {exc.strerror or exc}") from exc
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    root.setLevel(level)
    # Third-party chatter (every HTTP request line) only when debugging.
    for noisy in ("httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(level if level <= logging.DEBUG else max(level, logging.WARNING))
