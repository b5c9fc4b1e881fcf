"""GitHub public gists: ``GET /gists/public`` (newest first), then each file's ``raw_url``.

The list answer carries no file contents, so each file is fetched from its ``raw_url``.
A ``since`` cursor (newest ``updated_at`` seen) keeps runs incremental. The API's
rate-limit headers are honoured: ``X-RateLimit-Remaining: 0`` stops paging and raises
``RateLimited`` with the seconds until ``X-RateLimit-Reset``; 429 or a 403 with
Retry-After does the same. The token (optional, from the environment variable named by
``token_env``) is sent to the API host only, never to the raw-file host.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from sources.base import FetchedDocument, Source, SourceContext
from sources.errors import (
    AuthError,
    Blocked,
    HttpStatusError,
    LayoutChanged,
    RateLimited,
)
from sources.http import parse_retry_after
from sources.options import env_secret, require_http_url, require_range

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


@dataclass
class GistsOptions:
    url: str = "https://api.github.com"
    per_page: int = 100  # GitHub's maximum
    max_pages: int = 3  # pages of the listing per run
    token_env: str | None = None  # name of the environment variable holding a token

    def __post_init__(self) -> None:
        require_http_url("url", self.url)
        require_range("per_page", self.per_page, 1, 100)
        require_range("max_pages", self.max_pages, 1, 30)


def rate_limit_wait(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds until the API may be used again, when the headers say it is exhausted."""
    retry_after = parse_retry_after(headers.get("retry-after"))
    if retry_after is not None:
        return retry_after
    if headers.get("x-ratelimit-remaining") == "0":
        reset = headers.get("x-ratelimit-reset", "")
        current = time.time() if now is None else now
        return max(0.0, float(reset) - current) if reset.isdigit() else None
    return None


def _exhausted(headers: Mapping[str, str]) -> bool:
    return headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers


class Gists(Source, kind="gists"):
    """Files of new or updated public gists."""

    Options = GistsOptions

    def _run(self, ctx: SourceContext) -> Iterator[FetchedDocument]:
        options = self.options
        base = options.url.rstrip("/")
        token = env_secret("token_env", options.token_env)
        api_host = urlsplit(base).netloc
        cursor = ctx.get_cursor()
        since = cursor.get("since")
        params: dict[str, Any] = {"per_page": options.per_page}
        if since:
            params["since"] = since
        url: str | None = f"{base}/gists/public?{urlencode(params)}"
        newest = since
        for _page in range(options.max_pages):
            assert url is not None
            headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
            if token and urlsplit(url).netloc == api_host:
                headers["Authorization"] = f"Bearer {token}"
            listing = self._list(url, headers)
            for gist in self._parse(listing.content):
                updated = gist.get("updated_at")
                if isinstance(updated, str) and (newest is None or updated > newest):
                    newest = updated
                yield from self._gist_files(ctx, gist)
            url = _next_link(listing.headers.get("link", ""))
            if url is None:
                break
            if _exhausted(listing.headers):
                ctx.set_cursor({"since": newest})
                wait = rate_limit_wait(listing.headers)
                raise RateLimited(f"source {self.name!r}: GitHub API rate limit used up", wait)
        else:
            self.stats.skipped["pages_beyond_max_pages"] += 1
        ctx.set_cursor({"since": newest})

    def _list(self, url: str, headers: dict[str, str]) -> Any:
        try:
            return self._get(url, headers=headers)
        except HttpStatusError as exc:
            if exc.status in (403, 429) and _exhausted(exc.headers):
                raise RateLimited(
                    f"source {self.name!r}: GitHub API rate limit (HTTP {exc.status})",
                    rate_limit_wait(exc.headers),
                ) from None
            if exc.status == 401:
                raise AuthError(f"source {self.name!r}: GitHub rejected the token (HTTP 401)") from None
            if exc.status == 403:
                raise Blocked(f"source {self.name!r}: GitHub refused the listing (HTTP 403)") from None
            raise

    def _parse(self, body: bytes) -> list[dict[str, Any]]:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, list) or not all(
            isinstance(g, dict) and isinstance(g.get("id"), str) and isinstance(g.get("files"), dict)
            for g in data
        ):
            raise LayoutChanged(
                f"source {self.name!r}: /gists/public did not answer a list of gists with files"
            )
        return data

    def _gist_files(self, ctx: SourceContext, gist: dict[str, Any]) -> Iterator[FetchedDocument]:
        gist_id = gist["id"]
        for filename, info in gist["files"].items():
            raw_url = info.get("raw_url") if isinstance(info, dict) else None
            if not isinstance(raw_url, str):
                self.stats.skipped["no_raw_url"] += 1
                continue
            size = info.get("size")
            if isinstance(size, int) and size > self.client.settings.max_bytes:
                self.stats.skipped["too_large"] += 1
                continue
            item_id = f"{gist_id}/{filename}"
            result = self._get_item(raw_url)
            if result is None or ctx.is_seen(item_id, result.sha256):
                continue
            html_url = gist.get("html_url")
            meta = {"gist_id": gist_id, "raw_url": raw_url}
            for key in ("created_at", "updated_at"):
                if isinstance(gist.get(key), str):
                    meta[key] = gist[key]
            if isinstance(info.get("language"), str):
                meta["language"] = info["language"]
            page = html_url if isinstance(html_url, str) and html_url.startswith("http") else raw_url
            yield from self._deliver_result(ctx, result, item_id=item_id, url=page, metadata=meta)


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        match = _NEXT.search(part)
        if match:
            return match.group(1)
    return None
