"""Search engines as a source: Brave Search API, self-hosted SearXNG (JSON), Google Custom Search.

Queries come from config and must be leak-level, non-personal strings (a file name, a
header row, a title phrase), optionally restricted with ``site:``. Every query is passed
to ``ctx.check_query`` BEFORE any query is sent, so one that contains a value of a
registered leak stops the run with ``UnsafeQuery`` and nothing reaches the provider.
Result URLs are then fetched through the same client (SSRF guard included) and yielded
when their content is new.

A SearXNG answer with no results and a list of ``unresponsive_engines`` is an outage,
not "nothing found". API keys come from environment variables named in config and are
scrubbed from every error message.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, quote_plus, urlencode

from sources.base import FetchedDocument, Source, SourceContext
from sources.errors import (
    AuthError,
    ConfigError,
    HttpStatusError,
    LayoutChanged,
    Outage,
    SourceError,
)
from sources.options import env_secret, invalid, require_http_url, require_range

_DEFAULT_URLS = {
    "brave": "https://api.search.brave.com/res/v1/web/search",
    "google": "https://www.googleapis.com/customsearch/v1",
}
_DEFAULT_KEY_ENV = {"brave": "BRAVE_API_KEY", "google": "GOOGLE_API_KEY"}
_MAX_COUNT = {"brave": 20, "google": 10, "searxng": 100}


@dataclass
class SearchOptions:
    provider: Literal["brave", "searxng", "google"] = field(
        metadata={"doc": "one of brave, searxng, google"}
    )
    # Each entry: "query text" or {query = "...", site = "example.org"}.
    queries: list[str | dict[str, str]] = field(
        metadata={"quiet": True, "doc": "a list of leak-level query strings"}
    )
    site: str | None = None  # site: restriction for entries without their own
    url: str | None = None  # API endpoint (Brave, Google) or instance base URL (SearXNG)
    key_env: str | None = None  # env var with the API key (default BRAVE_API_KEY / GOOGLE_API_KEY)
    cx: str | None = None  # Google Programmable Search engine id
    cx_env: str | None = None  # ... or the env var holding it
    count: int = 10  # results asked per query
    engines: str | None = None  # SearXNG: comma-separated engines
    max_results: int = 50  # result URLs fetched per run, over all queries

    def __post_init__(self) -> None:
        if not self.queries:
            raise invalid("queries", self.queries, "must list at least one query")
        for i, entry in enumerate(self.queries):
            if isinstance(entry, dict):
                extra = set(entry) - {"query", "site"}
                if extra or not isinstance(entry.get("query"), str):
                    raise invalid(
                        f"queries[{i}]", entry, "a table needs 'query' (and may have 'site')", quiet=True
                    )
            if not (entry if isinstance(entry, str) else entry["query"]).strip():
                raise ConfigError(f"queries[{i}]: empty query")
        if self.provider == "searxng" and self.url is None:
            raise ConfigError("provider 'searxng' needs 'url', the base URL of your SearXNG instance")
        if self.url is None:
            self.url = _DEFAULT_URLS[self.provider]
        require_http_url("url", self.url)
        require_range("count", self.count, 1, _MAX_COUNT[self.provider])
        require_range("max_results", self.max_results, 1, 1000)
        if self.provider == "google" and self.cx is None and self.cx_env is None:
            self.cx_env = "GOOGLE_CSE_ID"
        if self.provider != "searxng" and self.key_env is None:
            self.key_env = _DEFAULT_KEY_ENV[self.provider]

    def query_strings(self) -> list[str]:
        """The queries as sent, ``site:`` restriction appended."""
        out = []
        for entry in self.queries:
            text, site = (entry, self.site) if isinstance(entry, str) else (entry["query"], entry.get("site", self.site))
            out.append(f"{text.strip()} site:{site}" if site else text.strip())
        return out


class Search(Source, kind="search"):
    """Pages that a search provider returns for configured queries."""

    Options = SearchOptions

    def _run(self, ctx: SourceContext) -> Iterator[FetchedDocument]:
        options = self.options
        queries = options.query_strings()
        for query in queries:  # all checked before the first one is sent
            ctx.check_query(query)
        secrets = [s for s in (env_secret("key_env", options.key_env), env_secret("cx_env", options.cx_env)) if s]
        results: dict[str, tuple[int, int]] = {}  # url -> (query index, rank)
        for index, query in enumerate(queries):
            for rank, url in enumerate(self._search(query, secrets)):
                if len(results) >= options.max_results:
                    break
                results.setdefault(url, (index, rank + 1))
        for url, (index, rank) in results.items():
            if not url.startswith(("http://", "https://")):
                continue
            result = self._get_item(url)
            if result is None or ctx.is_seen(url, result.sha256):
                continue
            meta = {"provider": options.provider, "query_index": index, "rank": rank,
                    "final_url": result.final_url}
            yield from self._deliver_result(ctx, result, item_id=url, url=url, metadata=meta)

    def _search(self, query: str, secrets: list[str]) -> list[str]:
        provider = self.options.provider
        try:
            if provider == "brave":
                return self._brave(query, secrets[0])
            if provider == "google":
                return self._google(query, secrets[0], self.options.cx or secrets[1])
            return self._searxng(query)
        except SourceError as exc:
            _scrub(exc, secrets)
            raise

    def _api(self, url: str, headers: dict[str, str] | None = None) -> Any:
        provider = self.options.provider
        try:
            answer = self._get(url, headers={"Accept": "application/json", **(headers or {})})
        except HttpStatusError as exc:
            if provider == "searxng" and exc.status == 403:
                raise ConfigError(
                    f"source {self.name!r}: SearXNG refused format=json (HTTP 403); enable it "
                    "in the instance's settings.yml under search: formats: [html, json]"
                ) from None
            if exc.status in (401, 403) or (provider == "brave" and exc.status == 422):
                raise AuthError(
                    f"source {self.name!r}: {provider} rejected the API key (HTTP {exc.status})"
                ) from None
            raise
        try:
            data = json.loads(answer.content)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise LayoutChanged(f"source {self.name!r}: {provider} did not answer a JSON object")
        return data

    def _brave(self, query: str, key: str) -> list[str]:
        params = urlencode({"q": query, "count": self.options.count})
        data = self._api(f"{self.options.url}?{params}", {"X-Subscription-Token": key})
        if data.get("type") != "search":
            raise LayoutChanged(f"source {self.name!r}: Brave answer is not of type 'search'")
        web = data.get("web") or {}
        return _urls(self.name, web.get("results", []), "url")

    def _google(self, query: str, key: str, cx: str) -> list[str]:
        params = urlencode({"key": key, "cx": cx, "q": query, "num": self.options.count})
        data = self._api(f"{self.options.url}?{params}")
        if data.get("kind") != "customsearch#search":
            raise LayoutChanged(f"source {self.name!r}: Google answer is not a customsearch#search")
        return _urls(self.name, data.get("items", []), "link")

    def _searxng(self, query: str) -> list[str]:
        params: dict[str, Any] = {"q": query, "format": "json"}
        if self.options.engines:
            params["engines"] = self.options.engines
        base = str(self.options.url).rstrip("/")
        if not base.endswith("/search"):
            base += "/search"
        data = self._api(f"{base}?{urlencode(params)}")
        results = data.get("results")
        if not isinstance(results, list):
            raise LayoutChanged(f"source {self.name!r}: SearXNG answer has no 'results' list")
        unresponsive = data.get("unresponsive_engines") or []
        if not results and unresponsive:
            names = ", ".join(
                f"{e[0]} ({e[1]})" if isinstance(e, list) and len(e) > 1 else str(e)
                for e in unresponsive
            )
            raise Outage(f"source {self.name!r}: SearXNG returned nothing; engines failed: {names}")
        return _urls(self.name, results, "url")[: self.options.count]


def _urls(name: str, items: object, key: str) -> list[str]:
    if not isinstance(items, list):
        raise LayoutChanged(f"source {name!r}: search results are not a list")
    return [item[key] for item in items if isinstance(item, dict) and isinstance(item.get(key), str)]


def _scrub(exc: SourceError, secrets: list[str]) -> None:
    """Remove API keys from an error (message, URL, chained causes) before it travels further."""
    forms = [f for secret in secrets for f in {secret, quote_plus(secret), quote(secret, safe="")}]

    def clean(text: str) -> str:
        for form in forms:
            text = text.replace(form, "<redacted>")
        return text

    exc.args = (clean(str(exc)),)
    url = getattr(exc, "url", None)
    if isinstance(url, str):
        exc.url = clean(url)  # type: ignore[attr-defined]
    # The httpx exception underneath names the full URL, key included.
    exc.__cause__ = None
    exc.__suppress_context__ = True
