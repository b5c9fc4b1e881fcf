"""Where re-posts are looked for: paste sites, search APIs, mirrors, crawls, drop folders.

Public surface: ``build_client``/``HttpSettings`` (the one HTTP client), ``Source`` and
the registry (``source_class``, ``parse_options``, ``build_source``), ``FetchedDocument``,
``SourceContext`` (implemented by the tracker; ``MemoryContext`` for tests and tools).
This package never imports ``tracker``.
"""
from sources.base import (
    FetchedDocument,
    RunStats,
    Source,
    SourceContext,
    build_source,
    parse_options,
    source_class,
    source_kinds,
)
from sources.context import MemoryContext
from sources.http import FetchResult, HttpClient, HttpSettings, build_client

__all__ = [
    "FetchResult",
    "FetchedDocument",
    "HttpClient",
    "HttpSettings",
    "MemoryContext",
    "RunStats",
    "Source",
    "SourceContext",
    "build_client",
    "build_source",
    "parse_options",
    "source_class",
    "source_kinds",
]
