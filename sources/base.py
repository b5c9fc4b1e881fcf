"""The source plugin interface: what a source yields, what it may ask of the tracker, the registry.

A source kind is a subclass of ``Source`` registered by name (``class Pastebin(Source,
kind="pastebin")``) with an ``Options`` dataclass of its own config keys. The tracker
builds it from a ``[[sources]]`` table, calls ``fetch(ctx)`` on a schedule and scans
every ``FetchedDocument`` it yields.

Seen-marking contract: a source yields a document and calls ``ctx.mark_seen`` only when
the consumer comes back for the next one. A crash while the tracker scans a document
therefore leaves it unseen and it is fetched again after a restart (nothing skipped); a
document that was scanned is never yielded again (nothing re-scanned). Cursors are set
at the end of a run and persisted by the caller.
"""
from __future__ import annotations

import hashlib
import importlib
import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from sources.errors import ConfigError, FetchError, RobotsDisallowed, SourceError
from sources.http import HttpClient
from sources.options import COMMON_KEYS, build_options

log = logging.getLogger("sources")

_KIND_MODULES = (
    "pastebin", "gists", "paste_site", "search", "watch", "wayback", "crawl", "folder",
)
_REGISTRY: dict[str, type[Source]] = {}


@dataclass
class FetchedDocument:
    """One piece of content to scan, and where it lives."""

    source: str  # config name of the source
    url: str  # where the content lives (the URL a takedown would name)
    content: bytes
    content_type: str | None
    item_id: str  # stable id within the source
    metadata: dict[str, Any] = field(default_factory=dict)  # JSON-able, never leaked values

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@runtime_checkable
class SourceContext(Protocol):
    """What a source may ask of its caller: seen items, cursor, validators, query check."""

    def is_seen(self, item_id: str, content_sha256: str | None = None) -> bool: ...

    def mark_seen(self, item_id: str, url: str, content_sha256: str) -> None: ...

    def get_cursor(self) -> dict[str, Any]: ...

    def set_cursor(self, cursor: dict[str, Any]) -> None: ...

    def get_validators(self, url: str) -> dict[str, str]: ...

    def set_validators(self, url: str, validators: dict[str, str]) -> None: ...

    def check_query(self, query: str) -> None: ...


@dataclass
class RunStats:
    """What one ``fetch`` run did: documents yielded, their bytes, items skipped by cause."""

    items: int = 0
    bytes: int = 0
    requests: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass
class NoOptions:
    """Options of a kind that has no keys of its own."""


class Source:
    """Base class of every source kind; subclasses register with ``kind="..."``."""

    kind: ClassVar[str]
    Options: ClassVar[type] = NoOptions

    def __init_subclass__(cls, kind: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if kind is None:
            return
        existing = _REGISTRY.get(kind)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise TypeError(f"source kind {kind!r} is already registered by {existing!r}")
        cls.kind = kind
        _REGISTRY[kind] = cls

    def __init__(self, name: str, options: Any, client: HttpClient) -> None:
        self.name = name
        self.options = options
        self.client = client
        self.stats = RunStats()

    def fetch(self, ctx: SourceContext) -> Iterator[FetchedDocument]:
        """Yield new documents; skip seen ones. Subclasses implement ``_run``."""
        self.stats = RunStats()
        return self._run(ctx)

    def _run(self, ctx: SourceContext) -> Iterator[FetchedDocument]:
        raise NotImplementedError

    # Helpers shared by the kinds.

    def _deliver(self, ctx: SourceContext, doc: FetchedDocument) -> Iterator[FetchedDocument]:
        """Yield ``doc``; mark it seen once the consumer asks for the next document."""
        self.stats.items += 1
        self.stats.bytes += len(doc.content)
        yield doc
        ctx.mark_seen(doc.item_id, doc.url, doc.sha256)

    def _deliver_result(
        self, ctx: SourceContext, result: Any, *, item_id: str, url: str, metadata: dict[str, Any]
    ) -> Iterator[FetchedDocument]:
        """``_deliver`` a document made from a ``FetchResult``."""
        doc = FetchedDocument(self.name, url, result.content, result.content_type, item_id, metadata)
        yield from self._deliver(ctx, doc)

    def _skip(self, url: str, exc: SourceError) -> None:
        """Record an item that failed on its own (dead link, too large) and carry on."""
        self.stats.skipped[exc.failure_class] += 1
        log.warning("source %s: skipped an item: %s", self.name, exc if exc.args else url)

    def _get(self, url: str, **kwargs: Any) -> Any:
        """``client.fetch`` that counts requests."""
        self.stats.requests += 1
        return self.client.fetch(url, **kwargs)

    def _get_item(self, url: str, **kwargs: Any) -> Any:
        """Fetch one item; a failure of that item alone is recorded and gives ``None``."""
        try:
            return self._get(url, **kwargs)
        except (FetchError, RobotsDisallowed) as exc:
            self._skip(url, exc)
            return None


def _load_kinds() -> None:
    for module in _KIND_MODULES:
        importlib.import_module(f"sources.{module}")


def source_kinds() -> list[str]:
    """Names of every registered source kind."""
    _load_kinds()
    return sorted(_REGISTRY)


def source_class(kind: str) -> type[Source]:
    """The class registered for ``kind``; ``ConfigError`` lists the known kinds otherwise."""
    _load_kinds()
    cls = _REGISTRY.get(kind)
    if cls is None:
        raise ConfigError(
            f"kind = {kind!r}: unknown source kind; allowed kinds: {', '.join(sorted(_REGISTRY))}"
        )
    return cls


def parse_options(kind: str, table: Mapping[str, Any]) -> Any:
    """Validate a ``[[sources]]`` table for ``kind`` (common keys name/kind/interval/enabled ignored)."""
    cls = source_class(kind)
    where = f"source {table['name']!r} ({kind})" if "name" in table else f"source kind {kind!r}"
    return build_options(cls.Options, table, where=where, ignore=COMMON_KEYS)


def build_source(table: Mapping[str, Any], client: HttpClient) -> Source:
    """A ready source from a whole ``[[sources]]`` table (needs ``name`` and ``kind``)."""
    for key in ("name", "kind"):
        if not isinstance(table.get(key), str) or not table.get(key):
            raise ConfigError(f"[[sources]]: missing required key {key!r} (a non-empty string)")
    kind = table["kind"]
    return source_class(kind)(table["name"], parse_options(kind, table), client)
