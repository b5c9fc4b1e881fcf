"""An in-memory ``SourceContext``: for tests, one-off checks and tools that keep no database.

The tracker has its own DB-backed context; this one forgets everything when dropped.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from sources.errors import UnsafeQuery


class MemoryContext:
    """Seen items, cursor and validators in dicts; queries checked by an optional predicate."""

    def __init__(self, is_unsafe: Callable[[str], bool] | None = None) -> None:
        # is_unsafe(query) -> True when the query contains a leaked value. The tracker's
        # context checks against keyed fingerprints; tests pass a predicate of their own.
        self._is_unsafe = is_unsafe
        self.seen: dict[str, tuple[str, str]] = {}  # item_id -> (url, sha256)
        self.cursor: dict[str, Any] = {}
        self.validators: dict[str, dict[str, str]] = {}
        self.queries_checked = 0

    def is_seen(self, item_id: str, content_sha256: str | None = None) -> bool:
        entry = self.seen.get(item_id)
        if entry is None:
            return False
        return content_sha256 is None or entry[1] == content_sha256

    def mark_seen(self, item_id: str, url: str, content_sha256: str) -> None:
        self.seen[item_id] = (url, content_sha256)

    def get_cursor(self) -> dict[str, Any]:
        return copy.deepcopy(self.cursor)

    def set_cursor(self, cursor: dict[str, Any]) -> None:
        self.cursor = copy.deepcopy(cursor)

    def get_validators(self, url: str) -> dict[str, str]:
        return dict(self.validators.get(url, {}))

    def set_validators(self, url: str, validators: dict[str, str]) -> None:
        self.validators[url] = dict(validators)

    def check_query(self, query: str) -> None:
        self.queries_checked += 1
        if self._is_unsafe is not None and self._is_unsafe(query):
            raise UnsafeQuery("a configured search query contains a value of a registered leak")
