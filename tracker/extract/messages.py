"""Pieces of error messages that name a document without quoting its content.

Error messages end up in logs and in the database, where no leaked value may ever be written.
So a message names the document (its file name or URL) and the kind of failure, and quotes
nothing from inside it; library messages are shortened and their quoted parts elided.
"""
from __future__ import annotations

import re

_QUOTED = re.compile(r"""'[^']*'|"[^"]*"|b'[^']*'""")


def where(name: str) -> str:
    """`` (name)`` for a message, or nothing when the document has no name."""
    return f" ({name})" if name else ""


def reason(exc: BaseException) -> str:
    """A short cause for a library error: its class and the start of its message, quotes elided."""
    lines = str(exc).splitlines()
    message = _QUOTED.sub("'…'", lines[0])[:100] if lines else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
