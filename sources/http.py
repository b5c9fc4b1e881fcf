"""The one HTTP client every source uses.

All outbound traffic of the tracker goes through ``HttpClient.fetch`` so that the rules
live in one place: timeouts (connect, read and a total budget), bodies streamed and cut
at a size limit, retries with exponential backoff and jitter on 429/5xx/connect errors
honouring Retry-After, per-host concurrency and delay, an honest User-Agent, an optional
proxy, robots.txt when asked, and the SSRF guard of ``sources.ssrf`` on every connection
and every redirect hop (redirects are followed here, never by httpx).
"""
from __future__ import annotations

import email.utils
import hashlib
import importlib.metadata
import ipaddress
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from sources.errors import (
    BlockedAddress,
    FetchError,
    HttpStatusError,
    RateLimited,
    RobotsDisallowed,
    TimeoutError_,
    TooLarge,
)
from sources.options import build_options, invalid, require_range
from sources.politeness import HostGate
from sources.robots import ROBOTS_MAX_BYTES, RobotsCache
from sources.ssrf import AddressPolicy, GuardedTransport

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DRAIN_MAX = 64 * 1024  # error and redirect bodies up to this size are read and dropped
_RETRYABLE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.ReadError)


def _version() -> str:
    try:
        return importlib.metadata.version("repost-tracker")
    except importlib.metadata.PackageNotFoundError:
        return "0"


@dataclass
class HttpSettings:
    """Client settings; the ``[http]`` config table maps onto these fields one to one."""

    timeout: float = 60.0  # total seconds for one request, body included
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # longest silence while reading
    max_bytes: int = 25 * 1024 * 1024
    user_agent: str | None = None  # default: "repost-tracker/<version> (+<contact>)"
    contact: str | None = None  # URL or e-mail where site owners reach the operator
    proxy: str | None = None
    retries: int = 3
    backoff: float = 1.0  # first retry waits about this long, doubling each time
    max_backoff: float = 60.0
    max_retry_after: float = 120.0  # a longer Retry-After ends the run with RateLimited
    per_host_concurrency: int = 2
    per_host_delay: float = 1.0
    respect_robots: bool = True  # the crawl source's default
    robots_ttl: float = 3600.0
    max_redirects: int = 5
    verify_tls: bool = True
    allow_private_addresses: bool = False
    # Test-only: exact "ip:port" pairs let through while private addresses stay refused.
    allowed_addresses: list[str] = field(default_factory=list)
    # Test-only hook: host name -> addresses, instead of the system resolver.
    resolver: Callable[[str], list[str]] | None = field(
        default=None, metadata={"config": False}
    )

    def __post_init__(self) -> None:
        for key in ("timeout", "connect_timeout", "read_timeout", "robots_ttl"):
            require_range(key, getattr(self, key), 0.001)
        for key in ("backoff", "max_backoff", "max_retry_after", "per_host_delay"):
            require_range(key, getattr(self, key), 0)
        require_range("max_bytes", self.max_bytes, 1)
        require_range("retries", self.retries, 0, 20)
        require_range("per_host_concurrency", self.per_host_concurrency, 1, 64)
        require_range("max_redirects", self.max_redirects, 0, 20)
        if self.proxy is not None:
            parts = urlsplit(self.proxy)
            if parts.scheme not in ("http", "https", "socks5", "socks5h") or not parts.netloc:
                raise invalid("proxy", self.proxy, "must be an http://, https:// or socks5:// URL")
        for pair in self.allowed_addresses:
            if ":" not in pair:
                raise invalid("allowed_addresses", pair, 'entries must be "ip:port"')

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> HttpSettings:
        """Build settings from the ``[http]`` TOML table; wrong keys raise ``ConfigError``."""
        return build_options(cls, table, where="[http]")

    @property
    def agent(self) -> str:
        """The User-Agent header: honest about what we are and how to reach the operator."""
        if self.user_agent:
            return self.user_agent
        base = f"repost-tracker/{_version()}"
        return f"{base} (+{self.contact})" if self.contact else base


@dataclass
class FetchResult:
    """One completed request (after redirects). ``content`` is empty when not modified."""

    url: str
    final_url: str
    status: int
    headers: httpx.Headers
    content: bytes
    content_type: str | None
    not_modified: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def validators(self) -> dict[str, str]:
        """ETag / Last-Modified of the answer, to store for the next conditional GET."""
        found = {}
        if "etag" in self.headers:
            found["etag"] = self.headers["etag"]
        if "last-modified" in self.headers:
            found["last_modified"] = self.headers["last-modified"]
        return found


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


class HttpClient:
    """Thread-safe client shared by all sources of one tracker process."""

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self.policy = AddressPolicy(
            allow_private=settings.allow_private_addresses,
            allowed_addresses=settings.allowed_addresses,
            resolver=settings.resolver,
        )
        transport = GuardedTransport(
            self.policy, proxy=settings.proxy, verify=settings.verify_tls, trust_env=False
        )
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(
                settings.read_timeout,
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.timeout,
            ),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": settings.agent},
        )
        self._gate = HostGate(settings.per_host_concurrency, settings.per_host_delay)
        self.robots = RobotsCache(self._robots_fetch, settings.agent, settings.robots_ttl)

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        method: str = "GET",
        conditional: Mapping[str, str] | None = None,
        robots: bool = False,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """Fetch ``url``; raise ``HttpStatusError`` for a final status >= 400.

        ``conditional`` holds stored validators (``etag``, ``last_modified``); a 304 answer
        comes back with ``not_modified=True`` and no content. ``robots=True`` checks
        robots.txt for the URL and each redirect target (``RobotsDisallowed``).
        """
        result = self._exchange(url, headers, method, conditional, robots, max_bytes)
        if result.status >= 400:
            raise HttpStatusError(result.final_url, result.status, result.headers)
        return result

    def _exchange(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        method: str,
        conditional: Mapping[str, str] | None,
        robots: bool,
        max_bytes: int | None,
    ) -> FetchResult:
        limit = self.settings.max_bytes if max_bytes is None else max_bytes
        sent = dict(headers or {})
        if conditional:
            if conditional.get("etag"):
                sent["If-None-Match"] = conditional["etag"]
            if conditional.get("last_modified"):
                sent["If-Modified-Since"] = conditional["last_modified"]
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            try:
                self._vet_url(current)
                if robots and not self.robots.allowed(current):
                    raise RobotsDisallowed(current)
                status, answer, content = self._send(method, current, sent, limit)
            except BlockedAddress as exc:
                exc.url = current
                raise
            location = answer.get("location")
            if status in _REDIRECTS and location:
                target = urljoin(current, location)
                if urlsplit(target).netloc.lower() != urlsplit(current).netloc.lower():
                    # Credentials are for the host they were configured for.
                    sent = {
                        k: v for k, v in sent.items() if k.lower() not in ("authorization", "cookie")
                    }
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method = "GET"
                current = target
                continue
            content_type = answer.get("content-type")
            return FetchResult(
                url=url,
                final_url=current,
                status=status,
                headers=answer,
                content=content,
                content_type=content_type.split(";", 1)[0].strip().lower() if content_type else None,
                not_modified=status == 304,
            )
        raise FetchError(
            f"{url}: more than {self.settings.max_redirects} redirects", url=url
        )

    def _vet_url(self, url: str) -> None:
        """Refuse non-HTTP schemes and, before any connection, IP literals the policy refuses.

        Names are vetted by the transport at connect time. With a proxy the proxy
        resolves the target, so the name is resolved and vetted here (best effort).
        """
        parts = urlsplit(url)
        host = parts.hostname
        if parts.scheme not in ("http", "https") or not host:
            raise FetchError(f"{url}: only http(s) URLs are fetched", url=url)
        if not (self.settings.proxy or _is_literal(host)):
            return
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            self.policy.vet(host, port)
        except httpcore.ConnectError as exc:
            raise FetchError(f"{url}: {exc}", url=url) from exc

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], limit: int
    ) -> tuple[int, httpx.Headers, bytes]:
        """One request with retries on connect errors, 429 and 5xx."""
        host = urlsplit(url).netloc
        settings = self.settings
        for attempt in range(settings.retries + 1):
            last = attempt == settings.retries
            try:
                with self._gate.slot(host):
                    status, answer, content = self._send_once(method, url, headers, limit)
            except _RETRYABLE as exc:
                # Connect failures, and a pooled keep-alive connection the server had closed.
                if last:
                    raise FetchError(f"{url}: {type(exc).__name__}: {exc}", url=url) from exc
                time.sleep(self._backoff(attempt))
                continue
            except httpx.TimeoutException as exc:
                raise TimeoutError_(f"{url}: timed out ({type(exc).__name__})", url=url) from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"{url}: {type(exc).__name__}: {exc}", url=url) from exc
            if status == 429 or status in (500, 502, 503, 504):
                wait = parse_retry_after(answer.get("retry-after"))
                too_long = wait is not None and wait > settings.max_retry_after
                if last or too_long:
                    if status == 429:
                        raise RateLimited(f"{url}: HTTP 429 Too Many Requests", retry_after=wait)
                    return status, answer, content
                time.sleep(wait if wait is not None else self._backoff(attempt))
                continue
            return status, answer, content
        raise AssertionError("unreachable")

    def _send_once(
        self, method: str, url: str, headers: Mapping[str, str], limit: int
    ) -> tuple[int, httpx.Headers, bytes]:
        deadline = time.monotonic() + self.settings.timeout
        with self._client.stream(method, url, headers=headers) as response:
            status = response.status_code
            declared = response.headers.get("content-length")
            if status in _REDIRECTS or status == 304 or status >= 400 or method == "HEAD":
                if declared is not None and declared.isdigit() and int(declared) <= _DRAIN_MAX:
                    response.read()  # a short error body: read it so the connection is reused
                return status, response.headers, b""
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise TooLarge(url, limit)
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limit:
                    raise TooLarge(url, limit)
                if time.monotonic() > deadline:
                    raise TimeoutError_(
                        f"{url}: body not read within {self.settings.timeout:g} s", url=url
                    )
            return status, response.headers, bytes(body)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: half fixed, half random."""
        delay = min(self.settings.max_backoff, self.settings.backoff * 2**attempt)
        return delay / 2 + random.uniform(0, delay / 2)

    def _robots_fetch(self, url: str) -> tuple[int, bytes]:
        result = self._exchange(url, None, "GET", None, False, ROBOTS_MAX_BYTES)
        return result.status, result.content


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def build_client(settings: HttpSettings | None = None) -> HttpClient:
    """The client for one tracker process (or one test)."""
    return HttpClient(settings or HttpSettings())
