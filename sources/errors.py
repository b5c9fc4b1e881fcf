"""The exception tree of the ``sources`` package.

Every error carries a ``failure_class``: a short, stable word the tracker stores in a
source's health record so that an operator sees *why* a source fails (rate limited,
blocked, auth, layout change, ...) without reading a traceback.

Messages name URLs, hosts, keys and statuses, never document content or query text:
a query refused by ``UnsafeQuery`` contains a leaked value by definition.
"""
from __future__ import annotations

from collections.abc import Mapping


class SourceError(Exception):
    """Base class for every error raised by ``sources``."""

    failure_class: str = "error"


class ConfigError(SourceError):
    """A source or ``[http]`` option has a wrong key or value, or a needed secret is missing."""

    failure_class = "config"


class FetchError(SourceError):
    """A request could not be completed (network trouble, refused address, size, status)."""

    failure_class = "network"

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class BlockedAddress(FetchError):
    """The SSRF guard refused to connect: the host resolves to a special-purpose address."""

    failure_class = "blocked_address"

    def __init__(self, host: str, address: str, reason: str, *, url: str | None = None) -> None:
        super().__init__(
            f"refused to connect to {host} ({address}): {reason}; "
            "only tests may set http.allow_private_addresses or http.allow_hosts",
            url=url,
        )
        self.host = host
        self.address = address
        self.reason = reason


class InvalidUrl(FetchError):
    """A URL the client will not fetch: unparsable, not http(s), or a host in an ambiguous form.

    The message gives the reason only, never the URL: URLs come from fetched documents
    and may hold anything, leaked values included. The URL is kept in ``url`` for callers
    that know it is safe to show (a URL the user typed).
    """

    failure_class = "invalid_url"

    def __init__(self, reason: str, *, url: str | None = None) -> None:
        super().__init__(f"invalid URL: {reason}", url=url)
        self.reason = reason


class TooLarge(FetchError):
    """The body went over the size limit; reading stopped there.

    The limit applies to the bytes on the wire and to the output of every
    Content-Encoding layer, so ``detail`` says which one went over (a compressed bomb
    is cut while it is being decoded).
    """

    failure_class = "too_large"

    def __init__(self, url: str, limit: int, *, detail: str | None = None) -> None:
        where = f" ({detail})" if detail else ""
        super().__init__(f"{url}: body is larger than the limit of {limit} bytes{where}", url=url)
        self.limit = limit
        self.detail = detail


class ContentEncodingError(FetchError):
    """The body's Content-Encoding is refused: too many layers, unknown, or corrupt data."""

    failure_class = "content_encoding"


class TimeoutError_(FetchError):  # noqa: N801 - trailing underscore avoids the builtin name
    """A connect, read or total-time limit ran out."""

    failure_class = "timeout"


class HttpStatusError(FetchError):
    """The server answered with an error status that no retry fixed."""

    def __init__(
        self, url: str, status: int, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{url}: HTTP {status}", url=url)
        self.status = status
        self.headers: Mapping[str, str] = headers or {}

    @property
    def failure_class(self) -> str:  # type: ignore[override]
        if self.status == 401:
            return "auth"
        if self.status == 403:
            return "blocked"
        if self.status in (404, 410):
            return "not_found"
        if self.status >= 500:
            return "server_error"
        return "http"


class RateLimited(SourceError):
    """The provider asked us to slow down; ``retry_after`` is in seconds when known."""

    failure_class = "rate_limited"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Blocked(SourceError):
    """The site refuses us (WAF, captcha, ban) or robots.txt forbids the URL."""

    failure_class = "blocked"


class RobotsDisallowed(Blocked):
    """robots.txt of the host disallows the URL for our User-Agent."""

    def __init__(self, url: str) -> None:
        super().__init__(f"{url}: disallowed by robots.txt")
        self.url = url


class AuthError(SourceError):
    """Credentials are missing, wrong, or the account/IP has no access."""

    failure_class = "auth"


class LayoutChanged(SourceError):
    """The answer no longer has the shape the source parses (site or API changed)."""

    failure_class = "layout"


class Outage(SourceError):
    """The provider is up but cannot answer (e.g. every SearXNG engine failed)."""

    failure_class = "outage"


class UnsafeQuery(SourceError):
    """A configured search query contains a value of a registered leak and was not sent.

    The message never repeats the query: it is the leaked value.
    """

    failure_class = "unsafe_query"
