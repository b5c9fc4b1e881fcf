"""Pastebin's scraping API: the ``api_scraping.php`` listing, then ``api_scrape_item.php`` bodies.

Pastebin answers errors as HTTP 200 with a plain-text body, so the text is checked
before it is trusted: "YOUR IP: ... DOES NOT HAVE ACCESS" means the account is not PRO
or the IP is not whitelisted (``AuthError``, the run stops); "not ready" items are left
for the next run; deleted items are marked seen so they are not asked for again.

Free-text fields of the listing (title, user) are not kept in metadata: the poster
writes them and they may carry leaked values.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sources.base import FetchedDocument, Source, SourceContext
from sources.errors import AuthError, LayoutChanged
from sources.options import require_http_url, require_range

_KEY = re.compile(r"^[A-Za-z0-9]{1,32}$")
_NOT_READY = b"File is not ready for scraping yet."
_DELETED = b"Error, we cannot find this paste."
_SHORT = 400  # error bodies are one line; longer bodies are pastes


@dataclass
class PastebinOptions:
    url: str = "https://scrape.pastebin.com"
    limit: int = 100  # listing size, 1..250 (Pastebin's maximum)

    def __post_init__(self) -> None:
        require_http_url("url", self.url)
        require_range("limit", self.limit, 1, 250)


def access_error(body: bytes) -> bool:
    """True for Pastebin's "YOUR IP: ... DOES NOT HAVE ACCESS" family of answers."""
    head = body.strip()[:_SHORT].upper()
    return head.startswith((b"YOUR IP", b"THIS IP")) and b"DOES NOT HAVE ACCESS" in head


class Pastebin(Source, kind="pastebin"):
    """New pastes from the scraping listing; a PRO account with a whitelisted IP is needed."""

    Options = PastebinOptions

    def _run(self, ctx: SourceContext) -> Iterator[FetchedDocument]:
        base = self.options.url.rstrip("/")
        listing = self._get(f"{base}/api_scraping.php?limit={self.options.limit}")
        queued: set[str] = set()
        for item in self._parse_listing(listing.content):
            key = item["key"]
            if key in queued or ctx.is_seen(key):
                continue
            queued.add(key)
            result = self._get_item(f"{base}/api_scrape_item.php?i={key}")
            if result is None:
                continue
            body = result.content
            url = _full_url(item, key)
            if len(body) <= _SHORT:
                if access_error(body):
                    raise AuthError(_ACCESS_MESSAGE)
                if body.strip().startswith(_NOT_READY):
                    self.stats.skipped["not_ready"] += 1
                    continue
                if body.strip() == _DELETED:
                    self.stats.skipped["deleted"] += 1
                    ctx.mark_seen(key, url, result.sha256)
                    continue
            yield from self._deliver_result(ctx, result, item_id=key, url=url, metadata=_metadata(item))

    def _parse_listing(self, body: bytes) -> list[dict[str, Any]]:
        if access_error(body):
            raise AuthError(_ACCESS_MESSAGE)
        try:
            data = json.loads(body)
        except ValueError:
            raise LayoutChanged(
                f"source {self.name!r}: the Pastebin listing is not JSON"
                " (nor a known error text)"
            ) from None
        if not isinstance(data, list):
            raise LayoutChanged(f"source {self.name!r}: the Pastebin listing is not a JSON array")
        items = []
        for entry in data:
            if not isinstance(entry, dict) or not _KEY.match(str(entry.get("key", ""))):
                raise LayoutChanged(
                    f"source {self.name!r}: a listing item has no valid 'key' field"
                )
            items.append(entry)
        return items


_ACCESS_MESSAGE = (
    "Pastebin refused the scraping API: this IP is not whitelisted "
    "(a PRO account with a whitelisted IP is needed, see https://pastebin.com/doc_scraping_api)"
)


def _full_url(item: dict[str, Any], key: str) -> str:
    full = item.get("full_url")
    if isinstance(full, str) and full.startswith(("http://", "https://")):
        return full
    return f"https://pastebin.com/{key}"


def _metadata(item: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {"key": item["key"]}
    for name in ("date", "size", "expire"):
        value = item.get(name)
        if isinstance(value, str) and value.isdigit():
            meta[name] = int(value)  # Pastebin sends every value as a string
        elif isinstance(value, int):
            meta[name] = value
    syntax = item.get("syntax")
    if isinstance(syntax, str) and re.fullmatch(r"[\w+#.-]{1,40}", syntax):
        meta["syntax"] = syntax
    return meta
