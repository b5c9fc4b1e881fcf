"""The one HTTP client every source uses.

All outbound traffic of the tracker goes through ``HttpClient.fetch`` so that the rules
live in one place: timeouts (connect, read and a total budget), bodies streamed and cut
at a size limit, retries with exponential backoff and jitter on 429/5xx/connect errors
honouring Retry-After, per-host concurrency and delay, an honest User-Agent, an optional
proxy, robots.txt when asked, and the SSRF guard of ``sources.ssrf`` on every connection
and every redirect hop (redirects are followed here, never by httpx).

URLs are judged here too, by ``check_url``: every URL and every redirect target goes
through it before anything is sent, and it is public so that config validation judges
configured URLs and hosts by the same rules. A URL it refuses, or anything httpx cannot
parse, is an ``InvalidUrl`` (a ``FetchError``), never an httpx exception, so one bad link
costs one item, not a whole scan. Bodies are decoded by ``sources.codings`` with the size
limit applied after every Content-Encoding layer.
"""
from __future__ import annotations

import email.utils
import hashlib
import importlib.metadata
import ipaddress
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
import idna

from sources.codings import ACCEPT_ENCODING, BodyDecoder
from sources.errors import (
    BlockedAddress,
    FetchError,
    HttpStatusError,
    InvalidUrl,
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
_MAX_URL_CHARS = 65536  # httpx's own limit
_URL_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LABEL = re.compile(r"^[a-z0-9_-]{1,63}$")
# WHATWG URL "ends in a number": a last label of digits, or 0x and hex digits, makes the
# host an IPv4 address to browsers and to inet_aton()/getaddrinfo().
_NUMERIC_LABEL = re.compile(r"^(?:[0-9]+|0x[0-9a-f]*)$")
_PORT_MESSAGE = "the port is not a number from 1 to 65535"
_HELD_LOCATION = "repost_tracker.location"  # response extension holding a redirect's Location


def _hold_location(response: httpx.Response) -> None:
    """Response hook: take a redirect's Location header out of httpx's sight.

    Even with ``follow_redirects=False`` httpx parses Location to offer ``next_request``,
    and raises ``RemoteProtocolError`` for one it cannot parse (``http://0177.0.0.1/``)
    before the caller sees the response, so a hostile redirect looked like a network
    fault and was retried. Redirects are followed by ``HttpClient`` itself, which checks
    the target with ``check_url`` like any other URL.
    """
    if response.status_code in _REDIRECTS and "location" in response.headers:
        response.extensions[_HELD_LOCATION] = response.headers["location"]
        del response.headers["location"]


def check_host(host: str) -> str:
    """The host in normal form (lower case, IDNA A-labels, IPv6 compressed); ``InvalidUrl`` if refused.

    Refused: an empty host, characters that have no place in a host name (spaces,
    ``%``, controls...), an IPv6 literal that does not parse or has a zone, and every
    IPv4 address that is not four decimal numbers 0-255: ``0177.0.0.1`` (octal),
    ``0x7f.1`` (hex), ``2130706433`` (one integer) and ``127.1`` (shortened) all mean
    127.0.0.1 to resolvers, while a reader, a log and an allow list see something else.
    A host name whose last label is a number is refused for the same reason. Brackets
    around an IPv6 literal are accepted (``[::1]``). Config validation uses this for
    configured hosts; ``check_url`` uses it for every URL's host.
    """
    if not isinstance(host, str) or not host:
        raise InvalidUrl("the URL has no host")
    bracketed = host.startswith("[") and host.endswith("]")
    if bracketed:
        host = host[1:-1]
    if ":" in host or bracketed:
        try:
            ip6 = ipaddress.IPv6Address(host)
        except ValueError:
            raise InvalidUrl("the host is not a valid IPv6 address") from None
        if ip6.scope_id:
            raise InvalidUrl("IPv6 zone identifiers (fe80::1%eth0) are not fetched")
        return ip6.compressed
    if not host.isascii():
        try:
            host = idna.encode(host.lower()).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            raise InvalidUrl("the host is not a valid internationalised domain name") from None
    host = host.lower()
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise InvalidUrl(
                "the host is an IPv4 address in a non-standard form (octal, hexadecimal, one "
                "integer, fewer than four parts or a trailing dot), which resolvers read as some "
                "other address; only four decimal numbers 0-255 are accepted") from None
    if not all(_LABEL.match(label) for label in labels):
        raise InvalidUrl("the host has characters or empty labels a host name cannot have")
    for label in labels:
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError, ValueError):
                raise InvalidUrl("the host is not a valid internationalised domain name") from None
    if len(name) > 253:
        raise InvalidUrl("the host name is longer than 253 characters")
    return host


def check_url(url: str) -> str:
    """``url`` itself if the client may fetch it, else ``InvalidUrl`` saying why (never quoting it).

    An absolute http:// or https:// URL with a host ``check_host`` accepts, a port of
    1-65535 if any, no control characters, that both httpx (which connects) and
    ``urllib.parse`` (which the sources use) can parse and read the same host from. A
    host both accept but read differently would let a link pass one check and connect
    elsewhere. Whether the host's addresses may be connected to is decided later, by the
    SSRF guard, when the connection is made.
    """
    if not isinstance(url, str) or not url:
        raise InvalidUrl("the URL is empty")
    if len(url) > _MAX_URL_CHARS:
        raise InvalidUrl(f"the URL is longer than {_MAX_URL_CHARS} characters")
    if _URL_CONTROL.search(url) or url != url.strip():
        raise InvalidUrl("the URL has control characters or surrounding spaces")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise InvalidUrl("the host part cannot be parsed (unbalanced [ ] or characters not "
                         "allowed in a host)") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidUrl("only http:// and https:// URLs are fetched")
    try:
        port = parts.port
    except ValueError:
        raise InvalidUrl(_PORT_MESSAGE) from None
    if port == 0:
        raise InvalidUrl(_PORT_MESSAGE)
    if not parts.hostname:
        raise InvalidUrl("the URL has no host")
    ours = check_host(parts.hostname)
    try:
        parsed = httpx.URL(url)
        _ = parsed.host  # decodes IDNA labels, as sending does
    except (httpx.InvalidURL, ValueError):  # idna.IDNAError is a ValueError too
        raise InvalidUrl("httpx cannot parse the URL") from None
    theirs = check_host(parsed.raw_host.decode("ascii"))
    if ours != theirs:
        raise InvalidUrl("URL parsers disagree about the host (an ambiguous URL)")
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise InvalidUrl(_PORT_MESSAGE)
    return url


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
    # Hosts the SSRF guard lets through although special-purpose: IP addresses
    # ("127.0.0.1", "::1"), networks ("10.1.0.0/16") or host names ("mirror.internal", any
    # address it resolves to), on any port. Every other special-purpose address stays
    # refused, redirect targets included, so a test config can reach its local server
    # and still see a redirect to 10.0.0.1 or 192.0.0.128 refused.
    allow_hosts: list[str] = field(default_factory=list)
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
        for i, entry in enumerate(self.allow_hosts):
            if not isinstance(entry, str) or ("/" not in entry and not _host_entry_ok(entry)):
                raise invalid(f"allow_hosts[{i}]", entry,
                              "must be an IP address, a network such as 10.1.0.0/16, or a host name")
            if "/" in entry:
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise invalid(f"allow_hosts[{i}]", entry,
                                  "is not a network such as 10.1.0.0/16 or fd00::/8") from None

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
            # Names as connections see them (lower case, IDNA A-labels); networks as written.
            allow_hosts=[h if "/" in h else check_host(h) for h in settings.allow_hosts],
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
            event_hooks={"response": [_hold_location]},
            trust_env=False,
            # Only the codings sources.codings decodes with a bounded output.
            headers={"User-Agent": settings.agent, "Accept-Encoding": ACCEPT_ENCODING},
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
        robots.txt for the URL and each redirect target (``RobotsDisallowed``). Every
        failure is a ``SourceError``: a URL ``check_url`` refuses, at any hop, is an
        ``InvalidUrl`` before anything is sent.
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
            except (BlockedAddress, InvalidUrl) as exc:
                exc.url = current
                raise
            location = answer.get("location")
            if status in _REDIRECTS and location:
                try:
                    target = urljoin(current, location)
                except ValueError:
                    raise InvalidUrl("the redirect Location cannot be parsed", url=current) from None
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
        """``check_url``, then, before any connection, IP literals the policy refuses.

        Names are vetted by the transport at connect time. With a proxy the proxy
        resolves the target, so the name is resolved and vetted here (best effort).
        """
        check_url(url)
        parts = urlsplit(url)
        host = parts.hostname or ""
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
            except (httpx.InvalidURL, idna.IDNAError):
                # check_url let through something httpx refuses: still one bad item, not a crash.
                raise InvalidUrl("httpx cannot parse the URL", url=url) from None
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
                    # A short error body: read it, undecoded (it may be a bomb too), so the
                    # connection is reused.
                    for _chunk in response.iter_raw():
                        pass
                answer = response.headers
                held = response.extensions.get(_HELD_LOCATION)
                if isinstance(held, str):
                    answer = answer.copy()
                    answer["location"] = held
                return status, answer, b""
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise TooLarge(url, limit)
            # Raw bytes in, decoded by our own decoder: the limit holds after every layer.
            decoder = BodyDecoder(
                response.headers.get_list("content-encoding", split_commas=True), limit, url
            )
            body = bytearray()
            for raw in response.iter_raw():
                for piece in decoder.feed(raw):
                    body += piece
                    self._check_deadline(url, deadline)
                self._check_deadline(url, deadline)
            for piece in decoder.finish():
                body += piece
            return status, response.headers, bytes(body)

    def _check_deadline(self, url: str, deadline: float) -> None:
        if time.monotonic() > deadline:
            raise TimeoutError_(f"{url}: body not read within {self.settings.timeout:g} s", url=url)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: half fixed, half random."""
        delay = min(self.settings.max_backoff, self.settings.backoff * 2.0**attempt)
        return delay / 2 + random.uniform(0, delay / 2)

    def _robots_fetch(self, url: str) -> tuple[int, bytes]:
        result = self._exchange(url, None, "GET", None, False, ROBOTS_MAX_BYTES)
        return result.status, result.content


def _host_entry_ok(entry: str) -> bool:
    try:
        check_host(entry)
    except InvalidUrl:
        return False
    return True


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def build_client(settings: HttpSettings | None = None) -> HttpClient:
    """The client for one tracker process (or one test)."""
    return HttpClient(settings or HttpSettings())
