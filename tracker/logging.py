"""Logging set-up: messages to stderr (stdout is kept for results), optionally to a file.

The level comes from ``-v``/``-vv`` or ``TRACKER_LOG_LEVEL``. The tracker's own log
messages name document sources, counts and record ids, never leaked values; the log file is
created owner-only all the same, since document sources (URLs, paths) can be sensitive.

What the handlers write is made safe by structure, not by each call site's care:

* an exception (a traceback, or an exception passed as an argument) is written by
  ``tracker.redact``: a library's exception message quotes the document it failed on, so only
  its class and position are written, and only this project's frames;
* records of third-party loggers are dropped, except those of the few libraries that log
  our own requests and migrations (``_FOREIGN_ALLOWED``): parsers (pypdf, fontTools,
  charset_normalizer, openpyxl, ...) log, at DEBUG, the very strings of the document they read.
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from tracker.errors import ConfigError
from tracker.redact import OWN_PACKAGES, format_exception, is_own, summary

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "_tracker_handler"
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: Third-party loggers whose records are written: they log requests to URLs we chose, schema
#: migrations, job scheduling and pool trouble, never a document's content (their exceptions
#: are redacted like any other). Not httpcore: its DEBUG trace repeats response headers
#: (Location, Content-Disposition, Set-Cookie), which a hostile server fills as it likes.
_FOREIGN_ALLOWED = ("httpx", "alembic", "apscheduler", "sqlalchemy", "asyncio")
#: Libraries that log much at DEBUG while reading a document: their records would be dropped
#: anyway, so they are not made at all (formatting them costs time on every page).
_CHATTY = ("pypdf", "pypdfium2", "fontTools", "charset_normalizer", "PIL", "openpyxl", "bs4", "markdown_it",
           "httpcore", "hpack")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


class RedactingFormatter(logging.Formatter):
    """Writes exceptions as ``tracker.redact`` describes them, never with a library's message.

    The record is copied, not changed: other handlers (a test's capture) see it as logged. A
    traceback another handler already formatted and cached on the record is not reused.
    """

    def format(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord(record.__dict__)
        safe.exc_text = None
        safe.msg = _redacted(record.msg)
        if isinstance(record.args, tuple):
            safe.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            safe.args = {key: _redacted(value) for key, value in record.args.items()}
        return super().format(safe)

    def formatException(self, ei: Any) -> str:
        exc = ei[1]
        if not isinstance(exc, BaseException):
            return ""
        return format_exception(exc).rstrip("\n")


class OwnRecords(logging.Filter):
    """Lets through records of this project's loggers and of ``_FOREIGN_ALLOWED`` only."""

    def filter(self, record: logging.LogRecord) -> bool:
        top = record.name.split(".", 1)[0]
        return top in OWN_PACKAGES or top in _FOREIGN_ALLOWED


def _redacted(value: object) -> object:
    """A foreign exception given as a log argument is written as its summary (see ``tracker.redact``)."""
    if isinstance(value, BaseException) and not is_own(value):
        return summary(value)
    return value


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
        handler.setFormatter(RedactingFormatter(FORMAT))
        handler.addFilter(OwnRecords())
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    root.setLevel(level)
    # Third-party chatter (every HTTP request line) only when debugging.
    for noisy in ("httpx", "alembic"):
        logging.getLogger(noisy).setLevel(level if level <= logging.DEBUG else max(level, logging.WARNING))
    for chatty in _CHATTY:
        logging.getLogger(chatty).setLevel(logging.WARNING)
