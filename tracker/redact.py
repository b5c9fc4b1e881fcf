"""Exceptions described by their structure only, for logs, stderr and stored error messages.

A parser's exception message quotes the input it choked on: ``invalid literal for int() with
base 10: b'...'`` from pypdf, ``Bad CRC-32 for file 'NAME.csv'`` from zipfile, an lxml
"tag mismatch" naming the tag, a calamine error quoting a cell. A hostile (or merely damaged)
document can hold leaked names, dates and ID numbers exactly there, and nothing taken from a
document may be written to a log, a terminal or the database: the tracker must never become
a second leak. Quote-eliding the message is not enough (much of it is unquoted), so the
message of an exception from outside this project is never used at all. It is described by
its class and, when the exception carries one as a number, its position (line and column,
character or byte offset): numbers that help find the damage and quote nothing.

Exceptions of this project (``tracker``, ``fingerprints``, ``sources``) keep their messages:
those are written to name a document and a failure, never to quote the document.
``format_exception`` renders a traceback the same way, and shows only this project's frames
(the library frames in between are counted, not shown).
"""
from __future__ import annotations

import errno as errno_module
import traceback
from pathlib import Path

#: The top-level packages whose exception messages are ours, written never to quote a document.
OWN_PACKAGES = ("tracker", "fingerprints", "sources")
_ROOT = Path(__file__).resolve().parent.parent
_OWN_DIRS = tuple(str(_ROOT / package) + "/" for package in OWN_PACKAGES)
_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def is_own(exc: BaseException) -> bool:
    """Whether ``exc`` is one of this project's exceptions (its message is then safe to show)."""
    return type(exc).__module__.split(".", 1)[0] in OWN_PACKAGES


def position(exc: BaseException) -> str:
    """Where the parser was when it failed, as far as the exception says with numbers: ``line 3,
    column 7``, ``char 120``, ``byte 17``; ``""`` when it says nothing (or only in words)."""
    if isinstance(exc, UnicodeDecodeError):
        return f"byte {exc.start}"
    start = _number(_attribute(exc, "start"))
    if isinstance(exc, UnicodeError) and start is not None:
        return f"char {start}"
    line = _number(_attribute(exc, "lineno"))
    column = _number(_attribute(exc, "colno"))
    pair = _attribute(exc, "position")  # ElementTree.ParseError, lxml: (line, column)
    if isinstance(pair, tuple) and len(pair) == 2 and all(_number(item) is not None for item in pair):
        line, column = (line, column) if line is not None else pair
    offset = _number(_attribute(exc, "offset"))  # SyntaxError and expat: the column of a line
    if line is not None and column is None:
        column = offset
    pieces = []
    if line is not None:
        pieces.append(f"line {line}" + (f", column {column}" if column is not None else ""))
    char = _number(_attribute(exc, "pos"))  # json.JSONDecodeError: the offset in the text
    if char is not None:
        pieces.append(f"char {char}")
    elif line is None and offset is not None:
        pieces.append(f"offset {offset}")
    return " ".join(pieces) if len(pieces) < 2 else f"{pieces[0]} ({pieces[1]})"


def summary(exc: BaseException) -> str:
    """``ClassName``, ``ClassName at line 3, column 7``, ``OSError [ENOSPC]``: never its message."""
    name = type(exc).__name__
    code = _number(getattr(exc, "errno", None)) if isinstance(exc, OSError) else None
    if code is not None:
        name += f" [{errno_module.errorcode.get(code, code)}]"
    where = position(exc)
    return f"{name} at {where}" if where else name


def describe(exc: BaseException) -> str:
    """``ClassName: message`` for this project's exceptions, ``summary(exc)`` for anyone else's."""
    if is_own(exc):
        message = str(exc)
        return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return summary(exc)


def format_exception(exc: BaseException) -> str:
    """A traceback of ``exc`` and the exceptions it was raised from, as Python prints it, except
    that foreign exceptions are ``summary``'d and only this project's frames are shown (with
    their source lines, which are ours); the library frames between them are counted."""
    out: list[str] = []
    for item, link in reversed(_chain(exc)):  # innermost first, as Python prints them
        if item.__traceback__ is not None:
            out.append("Traceback (most recent call last):\n")
            out.extend(_frames(traceback.extract_tb(item.__traceback__)))
        module, name = type(item).__module__, type(item).__qualname__
        qualified = name if module in ("builtins", "__main__") else f"{module}.{name}"
        out.append(qualified + describe(item)[len(type(item).__name__):] + "\n" + link)
    return "".join(out)


def _chain(exc: BaseException) -> list[tuple[BaseException, str]]:
    """``exc`` and the exceptions it was raised from or while handling, outermost first, each
    with the line that links it to the one before it in the list (printed after it)."""
    found: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _CONTEXT
        else:
            current = None
    return found


def _frames(frames: traceback.StackSummary) -> list[str]:
    lines: list[str] = []
    foreign: list[str] = []

    def flush() -> None:
        if foreign:
            files = ", ".join(dict.fromkeys(foreign))
            lines.append(f"  [{len(foreign)} library frame{'s' if len(foreign) > 1 else ''}: {files}]\n")
            foreign.clear()

    for frame in frames:
        if not frame.filename.startswith(_OWN_DIRS):
            foreign.append(_library_file(frame.filename))
            continue
        flush()
        lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n')
        if frame.line:
            lines.append(f"    {frame.line.strip()}\n")
    flush()
    return lines


def _library_file(filename: str) -> str:
    """``pypdf/_reader.py`` for a file in site-packages, ``zipfile/__init__.py`` or
    ``zipfile.py`` for the standard library: enough to know where to look."""
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return "/".join(parts[parts.index("site-packages") + 1:])
    return "/".join(parts[-2:]) if path.name == "__init__.py" else path.name


def _attribute(exc: BaseException, name: str) -> object:
    try:
        return getattr(exc, name, None)
    except Exception:  # noqa: BLE001 - a property of a foreign exception may raise; then it says nothing
        return None


def _number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
