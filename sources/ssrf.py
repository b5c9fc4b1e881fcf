"""SSRF guard: which addresses the tracker may connect to, checked where the socket is opened.

Sources fetch URLs that come from the outside world (search results, links in crawled
pages, redirects). Without a guard, a re-post page could point the tracker at
``http://169.254.169.254/`` or an intranet host. Checking the URL's host string is not
enough (DNS can answer a private address, or a different one on the second lookup), so
the guard sits in the network backend of the httpx transport: it resolves the name
itself, refuses if ANY resolved address is special-purpose, and connects to the vetted
IP it just checked. TLS SNI and the Host header still carry the original name, because
httpcore takes them from the request origin, not from the socket.

With a proxy the tracker connects only to the proxy, which resolves the target itself;
the client then vets the target name before the request (best effort) and the proxy's
own address is trusted as configured by the operator.
"""
from __future__ import annotations

import ipaddress
import socket
import typing
from collections.abc import Callable, Collection, Iterable

import httpcore
import httpx

from sources.errors import BlockedAddress

Resolver = Callable[[str], list[str]]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_problem(address: str) -> str | None:
    """Why ``address`` must not be connected to, or ``None`` if it is a global unicast address."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            inner = address_problem(str(embedded))
            return f"IPv6 address embedding {embedded} ({inner})" if inner else None
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_multicast:
        return "multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "carrier-grade NAT address (100.64.0.0/10)"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "site-local address"
    if ip.is_reserved:
        return "reserved address"
    if ip.is_private:
        return "private address"
    if not ip.is_global:
        return "special-purpose (non-global) address"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, Teredo, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def system_resolver(host: str) -> list[str]:
    """All addresses of ``host`` from the system resolver, in its order, without duplicates."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]).split("%", 1)[0], None)
    return list(seen)


class AddressPolicy:
    """Decides which (address, port) pairs may be connected to."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        allowed_addresses: Collection[str] = (),
        resolver: Resolver | None = None,
    ) -> None:
        self.allow_private = allow_private
        # Exact "ip:port" pairs (IPv6 as "[::1]:8080") let tests reach one loopback server
        # while every other special-purpose address stays refused.
        self.allowed_addresses = frozenset(allowed_addresses)
        self.resolver = resolver or system_resolver

    def resolve(self, host: str) -> list[str]:
        """Addresses of ``host``: an IP literal stands for itself, names go to the resolver."""
        bare = host.strip("[]")
        try:
            return [str(ipaddress.ip_address(bare))]
        except ValueError:
            pass
        try:
            addresses = self.resolver(bare)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {bare}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {bare}: no address")
        return addresses

    def check(self, host: str, address: str, port: int | None) -> None:
        """Raise ``BlockedAddress`` unless ``address`` may be connected to."""
        if self.allow_private:
            return
        if port is not None and _pair(address, port) in self.allowed_addresses:
            return
        reason = address_problem(address)
        if reason is not None:
            raise BlockedAddress(host, address, reason)

    def vet(self, host: str, port: int | None) -> list[str]:
        """Resolve ``host`` and check every address; all must pass (no mixed answers)."""
        addresses = self.resolve(host)
        for address in addresses:
            self.check(host, address, port)
        return addresses


def _pair(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore network backend that connects only to addresses the policy allows."""

    def __init__(
        self, policy: AddressPolicy, trusted: Iterable[tuple[str, int]] = ()
    ) -> None:
        self._policy = policy
        self._inner = httpcore.SyncBackend()
        # The configured proxy is the one endpoint we connect to without vetting.
        self._trusted = {(h.lower(), p) for h, p in trusted}

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        if (host.lower(), port) in self._trusted:
            return self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        addresses = self._policy.vet(host, port)
        last: Exception | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            self._check_peer(host, stream, port)
            return stream
        assert last is not None
        raise last

    def _check_peer(self, host: str, stream: httpcore.NetworkStream, port: int) -> None:
        """Belt and braces: the socket's peer must itself be an allowed address."""
        sock = stream.get_extra_info("socket")
        if sock is None:
            return
        peer = str(sock.getpeername()[0]).split("%", 1)[0]
        try:
            self._policy.check(host, peer, port)
        except BlockedAddress:
            stream.close()
            raise

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise BlockedAddress(path, "unix socket", "unix sockets are never used by sources")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx transport whose every TCP connection goes through ``GuardedBackend``."""

    def __init__(self, policy: AddressPolicy, *, proxy: str | None = None, **kwargs: typing.Any) -> None:
        super().__init__(proxy=proxy, **kwargs)
        trusted: list[tuple[str, int]] = []
        if proxy is not None:
            url = httpx.URL(proxy)
            default_port = 443 if url.scheme == "https" else 1080 if url.scheme.startswith("socks") else 80
            trusted.append((url.host, url.port or default_port))
        pool = getattr(self, "_pool", None)
        if pool is None or not hasattr(pool, "_network_backend"):
            # Refuse to run unguarded if a future httpx/httpcore changes this layout.
            raise RuntimeError("httpx transport layout changed: cannot install the SSRF guard")
        pool._network_backend = GuardedBackend(policy, trusted)
