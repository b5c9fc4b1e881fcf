"""Pieces of error messages that name a document without quoting its content.

Error messages end up in logs and in the database, where no leaked value may ever be written.
So a message names the document (its file name or URL) and the kind of failure, and quotes
nothing from inside it. A library's exception message is never used: it quotes the bytes the
parser choked on, which a hostile document controls (see ``tracker.redact``); its class and
the position it failed at say what went wrong instead.
"""
from __future__ import annotations

from tracker.redact import summary


def where(name: str) -> str:
    """`` (name)`` for a message, or nothing when the document has no name."""
    return f" ({name})" if name else ""


def reason(exc: BaseException) -> str:
    """A short cause for a library error: its class and, when known, the position it failed at
    (``JSONDecodeError at line 3, column 7 (char 40)``, ``BadZipFile``); never its message."""
    return summary(exc)
