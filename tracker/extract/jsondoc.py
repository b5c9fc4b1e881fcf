"""JSON and JSON Lines to lines of values: one line per record-like object.

Leaked tables re-posted as JSON are usually a list of objects, one per person, maybe wrapped
in an envelope (``{"data": {"rows": [...]}}``). Every object whose values are mostly scalars
is taken as a record and becomes one tab-joined line of its values (nested objects flattened
into it); lists of scalars become one line; everything else is walked. Keys are not written,
except where they look like data: a record stored under a key with a digit in it
(``{"A123": {...}}``), or in an object that is a map of three or more records, starts with its
key, which is then most likely an ID or a name.
"""
from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tracker.extract.cells import clean_cell, float_text
from tracker.extract.messages import reason

_CONTAINERS = (dict, list)  # json.loads makes exactly these types, so type() tests suffice


class NotJson(ValueError):
    """The text is not JSON (nor JSON Lines)."""


def parse_json(text: str) -> list[Any]:
    """The documents in ``text``: one for JSON, one per line for JSON Lines.

    Raises ``NotJson`` if it is neither (the caller then reads it as plain text).
    """
    with gc_paused():
        try:
            return [json.loads(text)]
        except RecursionError as exc:
            raise NotJson("JSON nested too deeply") from exc
        except ValueError as exc:
            if not isinstance(exc, json.JSONDecodeError) or "Extra data" not in exc.msg:
                raise NotJson(reason(exc)) from exc  # its message would quote the text
        try:
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        except (ValueError, RecursionError) as exc:
            raise NotJson("neither JSON nor JSON Lines") from exc


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building or walking a big JSON tree.

    Both make millions of objects that hold no cycles; the collector would otherwise walk the
    whole growing tree again and again, which doubles the time. Reference counting still
    frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def json_text(documents: list[Any]) -> str:
    """The lines of values of parsed JSON documents, in document order."""
    lines: list[str] = []
    with gc_paused():
        for document in documents:
            _walk(document, lines)
    return "\n".join(line for line in lines if line.strip("\t"))


def _walk(root: Any, lines: list[str]) -> None:
    """Depth-first over containers with an explicit stack (no recursion limit to hit)."""
    stack: list[tuple[str | None, Any]] = [(None, root)]
    while stack:
        key, value = stack.pop()
        children: list[tuple[str | None, Any]] = []
        if type(value) is dict:
            if _is_flat_record(value):
                line = "\t".join(map(_scalar, value.values()))
                lines.append(line if key is None else key + "\t" + line)
            elif _is_record(value):
                cells = [] if key is None else [key]
                _record_cells(value, cells, children)
                lines.append("\t".join(cells))
            else:
                scalars = [_scalar(item) for item in value.values() if _is_scalar(item)]
                if scalars:
                    lines.append("\t".join(scalars))
                keyed = _is_record_map(value)
                children = [(name if keyed or _has_digit(name) else None, item)
                            for name, item in value.items() if not _is_scalar(item)]
        elif type(value) is list:
            containers = [item for item in value if type(item) in _CONTAINERS]
            if len(containers) < len(value):
                lines.append("\t".join(_scalar(item) for item in value if type(item) not in _CONTAINERS))
            if all(map(_is_flat_record, containers)):  # the usual table: a list of flat records
                lines.extend("\t".join(map(_scalar, item.values())) for item in containers)
            else:
                children = [(None, item) for item in containers]
        else:
            lines.append(_scalar(value))
        stack.extend(reversed(children))


def _record_cells(record: dict[str, Any], cells: list[str], children: list[tuple[str | None, Any]]) -> None:
    """Append a record's scalar values (nested records and scalar lists flattened) to ``cells``;
    containers that are not part of the record go to ``children`` to be walked on their own."""
    for item in record.values():
        if _is_scalar(item):
            cells.append(_scalar(item))
        elif isinstance(item, list) and all(_is_scalar(element) for element in item):
            cells.extend(_scalar(element) for element in item)
        elif isinstance(item, dict) and _is_record(item):
            _record_cells(item, cells, children)
        else:
            children.append((None, item))


def _is_record(value: dict[str, Any]) -> bool:
    """At least one and at least half of the values are scalars, scalar lists or records."""
    if not value:
        return False
    flat = sum(1 for item in value.values() if _is_flat(item))
    return flat > 0 and 2 * flat >= len(value) and any(_is_scalar(item) for item in value.values())


def _is_flat_record(value: Any) -> bool:
    """A non-empty object of scalars only: the common record, written without further checks."""
    return type(value) is dict and bool(value) and all(type(item) not in _CONTAINERS for item in value.values())


def _is_record_map(value: dict[str, Any]) -> bool:
    """Three or more entries, all of them records: the keys are data (IDs, names)."""
    return len(value) >= 3 and all(isinstance(item, dict) and _is_record(item) for item in value.values())


def _has_digit(key: str) -> bool:
    return any(char.isdigit() for char in key)


def _is_flat(item: Any) -> bool:
    if _is_scalar(item):
        return True
    if isinstance(item, list):
        return all(_is_scalar(element) for element in item)
    return isinstance(item, dict) and bool(item) and all(_is_scalar(element) for element in item.values())


def _is_scalar(value: Any) -> bool:
    return type(value) not in _CONTAINERS


def _scalar(value: Any) -> str:
    """A JSON scalar as text: integral floats without ``.0``, ``null`` as an empty cell."""
    kind = type(value)
    if kind is str:
        return clean_cell(value)
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is float:
        return float_text(value)
    return str(value)
