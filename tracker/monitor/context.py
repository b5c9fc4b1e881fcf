"""The database-backed ``SourceContext`` a source plugin talks to during one run.

Sources ask it what they have already seen and where they stopped last time. What they tell
it (items seen, a new cursor, new ETags) is *buffered* and written only once the documents it
concerns are safely scanned, so a run killed at any instant never records as done something
that was not: an item is marked seen in the transaction that follows its scan, validators of a
URL are saved with that URL's document, and the cursor is saved only after a successful run.
The worst a kill can cause is one document scanned twice, which the pipeline's
``(source, sha256)`` and ``(leak, document)`` uniqueness turns into a no-op.

It also counts the items a source *considered* (asked about, new or not): a run that considers
nothing at all is how a silently broken listing (layout change) shows up in the health check.
"""
from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tracker.db import session_scope
from tracker.monitor import state as store
from tracker.monitor.models import SourceState

log = logging.getLogger(__name__)


class _LeakMatcher(Protocol):
    def leaked_values_in(self, text: str) -> list[str]: ...


class QueryGuard:
    """Refuses search queries that contain a value of a registered leak (keyed comparison only)."""

    def __init__(self, matchers: Sequence[tuple[str, _LeakMatcher]]) -> None:
        self._matchers = list(matchers)

    def __bool__(self) -> bool:
        return bool(self._matchers)

    def leaked_roles(self, query: str) -> dict[str, list[str]]:
        """``leak name -> roles`` of leaked values found in ``query`` (empty when it is safe)."""
        found: dict[str, list[str]] = {}
        for name, matcher in self._matchers:
            roles = matcher.leaked_values_in(query)
            if roles:
                found[name] = sorted(set(roles))
        return found

    def check(self, query: str) -> None:
        """Raise ``sources.errors.UnsafeQuery`` (never quoting the query) if it holds a leaked value."""
        from sources.errors import UnsafeQuery

        found = self.leaked_roles(query)
        if found:
            what = "; ".join(f"{', '.join(roles)} of leak {name!r}" for name, roles in found.items())
            raise UnsafeQuery(
                f"search query refused and not sent: it contains a value ({what}); queries must be "
                f"leak-level, non-personal strings such as a file name, a header row or a title phrase"
            )


class DbSourceContext:
    """``sources.base.SourceContext`` over the monitoring tables, for one run of one source."""

    def __init__(self, engine: Engine, source: str, state: SourceState,
                 query_check: Callable[[str], None] | None = None) -> None:
        self.engine = engine
        self.source = source
        self._cursor: dict[str, Any] = copy.deepcopy(state.cursor or {})
        self._cursor_changed = False
        self._validators: dict[str, dict[str, Any]] = copy.deepcopy(state.validators or {})
        self._pending_validators: dict[str, dict[str, Any]] = {}
        self._pending_seen: dict[tuple[str, str], str] = {}   # (item_id, sha) -> url
        self._considered: set[str] = set()
        self._committed: set[tuple[str, str]] = set()      # written by commit_document this run
        self._unseen: set[str] = set()                      # items is_seen() found in no version
        self._query_check = query_check

    # --- the SourceContext protocol -------------------------------------------------------

    def is_seen(self, item_id: str, content_sha256: str | None = None) -> bool:
        self._considered.add(item_id)
        if any(i == item_id and (content_sha256 is None or s == content_sha256)
               for i, s in self._pending_seen):
            return True
        with session_scope(self.engine) as session:
            seen = store.is_seen(session, self.source, item_id, content_sha256)
        if not seen and content_sha256 is None:
            self._unseen.add(item_id)
        return seen

    def mark_seen(self, item_id: str, url: str, content_sha256: str) -> None:
        # Buffered: written with the item's document after its scan (see commit_document).
        self._considered.add(item_id)
        if (item_id, content_sha256) not in self._committed:
            self._pending_seen[(item_id, content_sha256)] = url

    def get_cursor(self) -> dict:
        return copy.deepcopy(self._cursor)

    def set_cursor(self, cursor: dict) -> None:
        self._cursor = copy.deepcopy(dict(cursor))
        self._cursor_changed = True

    def get_validators(self, url: str) -> dict:
        self._considered.add(url)
        return dict(self._pending_validators.get(url) or self._validators.get(url) or {})

    def set_validators(self, url: str, validators: dict) -> None:
        self._pending_validators[url] = {k: v for k, v in validators.items() if v is not None}

    def check_query(self, query: str) -> None:
        if self._query_check is not None:
            self._query_check(query)

    # --- used by the runner ---------------------------------------------------------------

    @property
    def considered(self) -> int:
        """Distinct items the source looked at this run (yielded, already seen, or unchanged)."""
        return len(self._considered)

    def note_yielded(self, item_id: str) -> None:
        self._considered.add(item_id)

    def already_scanned(self, item_id: str, content_sha256: str) -> bool:
        """Whether this exact item and content was scanned before (this run or an earlier one).

        The runner's own check, independent of the source's: a document is never scanned twice
        even by a source that does not consult ``is_seen``.
        """
        if (item_id, content_sha256) in self._committed:
            return True
        if item_id in self._unseen:  # the source just asked: no version of it was seen (we hold the lease)
            return False
        with session_scope(self.engine) as session:
            return store.is_seen(session, self.source, item_id, content_sha256)

    def commit_document(self, item_id: str, url: str, content_sha256: str, *, owner: str | None) -> None:
        """After a scan: mark the item seen, save its URL's validators, renew the lease — one transaction."""
        seen = {(item_id, content_sha256): url}
        seen.update({k: v for k, v in self._pending_seen.items() if k[0] == item_id})
        validators = {u: v for u, v in self._pending_validators.items() if u == url}
        with session_scope(self.engine) as session:
            for (i, sha), u in seen.items():
                store.mark_seen(session, self.source, i, u, sha)
            if validators:
                state = session.get(SourceState, self.source)
                if state is not None:
                    store.merge_validators(state, validators)
            if owner:
                store.renew_lease(session, self.source, owner)
        for key in seen:
            self._pending_seen.pop(key, None)
            self._committed.add(key)
        for u in validators:
            self._validators[u] = self._pending_validators.pop(u)

    def flush_success(self, session: Session, state: SourceState) -> None:
        """At the end of a successful run, in the caller's transaction: the rest of the buffers.

        What is still pending concerns items the source decided not to yield (unchanged content,
        304 answers, items it skipped on purpose), so saving it cannot hide a document. After a
        failed or interrupted run the buffers are dropped instead: the next run asks again.
        """
        for (item_id, sha), url in self._pending_seen.items():
            store.mark_seen(session, self.source, item_id, url, sha)
        self._pending_seen.clear()
        if self._cursor_changed:
            state.cursor = copy.deepcopy(self._cursor)
        store.merge_validators(state, self._pending_validators)
        self._validators.update(self._pending_validators)
        self._pending_validators.clear()
