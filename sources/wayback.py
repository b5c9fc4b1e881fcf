"""Internet Archive captures of given URL patterns, found with the CDX API, each fetched raw.

Query: ``/cdx/search/cdx?url=PATTERN&output=json&filter=statuscode:200&collapse=digest
&showResumeKey=true&limit=N[&from=..&to=..&matchType=..]``. The JSON answer is a header
row, capture rows, then an empty row and ``[resumeKey]`` when more pages exist. Each
capture is fetched raw (no Wayback toolbar) from ``/web/{timestamp}id_/{original}``.

Per pattern the cursor keeps the window start (``from``, the newest capture timestamp
of the last complete listing) and, when a run stopped early (page or capture budget),
the resume key of the page to list next, so the next run carries on where this one
stopped: nothing is skipped and seen captures are not fetched again.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from sources.base import FetchedDocument, Source, SourceContext
from sources.errors import ConfigError, LayoutChanged
from sources.options import invalid, require_http_url, require_range

_TIMESTAMP = re.compile(r"^\d{1,14}$")


@dataclass
class WaybackOptions:
    patterns: list[str] = field(metadata={"doc": "URL patterns, e.g. 'example.org/files/*'"})
    url: str = "https://web.archive.org"
    match_type: Literal["exact", "prefix", "host", "domain"] | None = None
    from_: str | None = field(default=None, metadata={"key": "from"})  # yyyyMMddhhmmss prefix
    to: str | None = None
    limit: int = 500  # capture rows per CDX page
    max_pages: int = 5  # CDX pages per pattern per run
    max_captures: int = 200  # captures fetched per run, all patterns together

    def __post_init__(self) -> None:
        require_http_url("url", self.url)
        if not self.patterns:
            raise ConfigError("patterns: must list at least one URL pattern")
        for key, value in (("from", self.from_), ("to", self.to)):
            if value is not None and not _TIMESTAMP.match(value):
                raise invalid(key, value, "must be a timestamp prefix yyyyMMddhhmmss (1-14 digits)")
        require_range("limit", self.limit, 1, 10000)
        require_range("max_pages", self.max_pages, 1, 100)
        require_range("max_captures", self.max_captures, 1, 100000)


@dataclass
class _Capture:
    timestamp: str
    original: str
    fields: dict[str, str]


class _Budget(Exception):
    """The run's capture budget is used up."""


class Wayback(Source, kind="wayback"):
    """New Wayback Machine captures of the configured URL patterns."""

    Options = WaybackOptions

    def _run(self, ctx: SourceContext) -> Iterator[FetchedDocument]:
        cursor = ctx.get_cursor()
        states: dict[str, Any] = dict(cursor.get("patterns", {}))
        self._fetched = 0
        try:
            for pattern in self.options.patterns:
                state = dict(states.get(pattern, {}))
                try:
                    yield from self._pattern(ctx, pattern, state)
                finally:
                    states[pattern] = state
        except _Budget:
            self.stats.skipped["capture_budget"] += 1
        ctx.set_cursor({"patterns": states})

    def _pattern(
        self, ctx: SourceContext, pattern: str, state: dict[str, Any]
    ) -> Iterator[FetchedDocument]:
        """List and fetch one pattern's captures; ``state`` is updated as pages complete."""
        options = self.options
        window = state.get("from") or options.from_
        page_key: str | None = state.get("resume")
        newest: str | None = state.get("newest")
        seen_digests: set[str] = set()
        for _page in range(options.max_pages):
            captures, next_key = self._list(pattern, window, page_key)
            for capture in captures:
                if newest is None or capture.timestamp > newest:
                    newest = capture.timestamp
                yield from self._capture(ctx, capture, seen_digests)
            state["newest"] = newest
            if next_key is None:
                state["from"] = newest or window
                state["resume"] = None
                return
            page_key = next_key
            state.update({"from": window, "resume": page_key})
        self.stats.skipped["pages_beyond_max_pages"] += 1

    def _capture(
        self, ctx: SourceContext, capture: _Capture, seen_digests: set[str]
    ) -> Iterator[FetchedDocument]:
        item_id = f"{capture.timestamp}/{capture.original}"
        digest = capture.fields.get("digest")
        skip = ctx.is_seen(item_id) or (digest and digest in seen_digests)
        if digest:
            seen_digests.add(digest)
        if skip:
            return
        if self._fetched >= self.options.max_captures:
            raise _Budget
        self._fetched += 1
        base = self.options.url.rstrip("/")
        result = self._get_item(f"{base}/web/{capture.timestamp}id_/{capture.original}")
        if result is None:
            return
        meta = {k: v for k, v in capture.fields.items() if k in ("mimetype", "digest", "length", "statuscode")}
        meta.update(timestamp=capture.timestamp, original=capture.original)
        yield from self._deliver_result(
            ctx, result, item_id=item_id, url=f"{base}/web/{capture.timestamp}/{capture.original}",
            metadata=meta,
        )

    def _list(
        self, pattern: str, window: str | None, resume: str | None
    ) -> tuple[list[_Capture], str | None]:
        options = self.options
        params: dict[str, Any] = {
            "url": pattern,
            "output": "json",
            "filter": "statuscode:200",
            "collapse": "digest",
            "showResumeKey": "true",
            "limit": options.limit,
        }
        if options.match_type:
            params["matchType"] = options.match_type
        if window:
            params["from"] = window
        if options.to:
            params["to"] = options.to
        if resume:
            params["resumeKey"] = resume
        base = options.url.rstrip("/")
        answer = self._get(f"{base}/cdx/search/cdx?{urlencode(params)}")
        return self._parse(answer.content)

    def _parse(self, body: bytes) -> tuple[list[_Capture], str | None]:
        """Capture rows and the resume key (``None`` on the last page) of a CDX JSON answer."""
        if not body.strip():
            return [], None
        try:
            rows = json.loads(body)
        except ValueError:
            rows = None
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise LayoutChanged(f"source {self.name!r}: CDX answer is not a JSON list of rows")
        if not rows:
            return [], None
        header = [str(h) for h in rows[0]]
        if "timestamp" not in header or "original" not in header:
            raise LayoutChanged(f"source {self.name!r}: CDX header lacks timestamp/original")
        captures: list[_Capture] = []
        resume: str | None = None
        body_rows = rows[1:]
        for i, row in enumerate(body_rows):
            if not row:
                tail = body_rows[i + 1] if i + 1 < len(body_rows) else []
                resume = str(tail[0]) if tail else None
                break
            fields = dict(zip(header, (str(v) for v in row), strict=False))
            if not _TIMESTAMP.match(fields.get("timestamp", "")):
                raise LayoutChanged(f"source {self.name!r}: CDX row has no valid timestamp")
            captures.append(_Capture(fields["timestamp"], fields["original"], fields))
        return captures, resume
