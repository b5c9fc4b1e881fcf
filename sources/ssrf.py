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
from dataclasses import dataclass

import httpcore
import httpx

from sources.errors import BlockedAddress

Resolver = Callable[[str], list[str]]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class SpecialRange:
    """One refused address block: its network, its registry name and where it is defined.

    ``embedded`` marks the translation prefixes whose addresses stand for an IPv4 address
    (IPv4-mapped, NAT64, 6to4): those are judged by the IPv4 address they carry, since
    that is where a connection to them ends up.
    """

    network: Network
    name: str
    reference: str
    embedded: Callable[[ipaddress.IPv6Address], ipaddress.IPv4Address] | None = None

    def describe(self) -> str:
        return f"{self.name} ({self.network}, {self.reference})"


def _low32(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)


def _sixtofour(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)


def _table(rows: Iterable[tuple[str, str, str]], embedded: dict[str, Callable[
        [ipaddress.IPv6Address], ipaddress.IPv4Address]] | None = None) -> tuple[SpecialRange, ...]:
    """The rows as ranges, most specific first, so a refusal names the narrowest block."""
    ranges = [SpecialRange(ipaddress.ip_network(net), name, ref, (embedded or {}).get(net))
              for net, name, ref in rows]
    return tuple(sorted(ranges, key=lambda r: -r.network.prefixlen))


# Why an explicit table: Python's ``ipaddress`` flags (is_private, is_global, is_reserved)
# follow the registries only loosely and change between Python versions (on 3.11,
# 192.0.0.128 and 192.88.99.1 count as global). The guard must not depend on the
# interpreter, so the blocks are listed here, from:
#   - the IANA IPv4 Special-Purpose Address Registry (RFC 6890, updated by RFC 8190),
#   - the IANA IPv6 Special-Purpose Address Registry (RFC 6890, RFC 8190),
#   - the IANA IPv4 and IPv6 Multicast Address Space registries (RFC 5771, RFC 4291),
#   - the IANA IPv6 Address Space registry: everything outside 2000::/3 that is not listed
#     otherwise is "Reserved by IETF" (RFC 4291 section 2.4).
# Every entry of the special-purpose registries is refused, including the few the
# registry marks "globally reachable" (PCP/TURN/DNS-SD anycast, AMT, AS112, ORCHIDv2,
# drone DETs): none of them serves documents, so there is nothing to fetch there and a
# smaller reachable surface is safer. Translation prefixes are judged by the IPv4 address
# they embed. Registry names are kept (lower case) so a refusal says which block it hit.
IPV4_SPECIAL: tuple[SpecialRange, ...] = _table([
    ("0.0.0.0/8", "\"this network\"", "RFC 791 section 3.2"),
    ("0.0.0.0/32", "unspecified address (\"this host on this network\")", "RFC 1122 section 3.2.1.3"),
    ("10.0.0.0/8", "private-use", "RFC 1918"),
    ("100.64.0.0/10", "shared address space (carrier-grade NAT)", "RFC 6598"),
    ("127.0.0.0/8", "loopback", "RFC 1122 section 3.2.1.3"),
    ("169.254.0.0/16", "link-local", "RFC 3927"),
    ("172.16.0.0/12", "private-use", "RFC 1918"),
    ("192.0.0.0/24", "IETF protocol assignments", "RFC 6890 section 2.1"),
    ("192.0.0.0/29", "IPv4 service continuity prefix (DS-Lite)", "RFC 7335"),
    ("192.0.0.8/32", "IPv4 dummy address", "RFC 7600"),
    ("192.0.0.9/32", "Port Control Protocol anycast", "RFC 7723"),
    ("192.0.0.10/32", "TURN anycast", "RFC 8155"),
    ("192.0.0.170/31", "NAT64/DNS64 discovery", "RFC 8880, RFC 7050"),
    ("192.0.2.0/24", "documentation (TEST-NET-1)", "RFC 5737"),
    ("192.31.196.0/24", "AS112-v4", "RFC 7535"),
    ("192.52.193.0/24", "AMT", "RFC 7450"),
    ("192.88.99.0/24", "deprecated 6to4 relay anycast", "RFC 7526"),
    ("192.88.99.2/32", "6a44-relay anycast", "RFC 6751"),
    ("192.168.0.0/16", "private-use", "RFC 1918"),
    ("192.175.48.0/24", "direct delegation AS112 service", "RFC 7534"),
    ("198.18.0.0/15", "benchmarking", "RFC 2544"),
    ("198.51.100.0/24", "documentation (TEST-NET-2)", "RFC 5737"),
    ("203.0.113.0/24", "documentation (TEST-NET-3)", "RFC 5737"),
    ("224.0.0.0/4", "multicast", "RFC 5771"),
    ("240.0.0.0/4", "reserved", "RFC 1112 section 4"),
    ("255.255.255.255/32", "limited broadcast", "RFC 8190, RFC 919 section 7"),
])

IPV6_SPECIAL: tuple[SpecialRange, ...] = _table([
    ("::/128", "unspecified address", "RFC 4291"),
    ("::1/128", "loopback", "RFC 4291"),
    ("::ffff:0:0/96", "IPv4-mapped address", "RFC 4291"),
    ("64:ff9b::/96", "IPv4/IPv6 translation (NAT64 well-known prefix)", "RFC 6052"),
    ("64:ff9b:1::/48", "local-use IPv4/IPv6 translation", "RFC 8215"),
    ("100::/64", "discard-only", "RFC 6666"),
    ("100:0:0:1::/64", "dummy IPv6 prefix", "RFC 9780"),
    ("2001::/23", "IETF protocol assignments", "RFC 2928"),
    ("2001::/32", "Teredo", "RFC 4380"),
    ("2001:1::1/128", "Port Control Protocol anycast", "RFC 7723"),
    ("2001:1::2/128", "TURN anycast", "RFC 8155"),
    ("2001:1::3/128", "DNS-SD service registration protocol anycast", "RFC 9665"),
    ("2001:2::/48", "benchmarking", "RFC 5180"),
    ("2001:3::/32", "AMT", "RFC 7450"),
    ("2001:4:112::/48", "AS112-v6", "RFC 7535"),
    ("2001:10::/28", "deprecated (previously ORCHID)", "RFC 4843"),
    ("2001:20::/28", "ORCHIDv2", "RFC 7343"),
    ("2001:30::/28", "drone remote ID entity tags", "RFC 9374"),
    ("2001:db8::/32", "documentation", "RFC 3849"),
    ("2002::/16", "6to4", "RFC 3056"),
    ("2620:4f:8000::/48", "direct delegation AS112 service", "RFC 7534"),
    ("3fff::/20", "documentation", "RFC 9637"),
    ("5f00::/16", "segment routing (SRv6) SIDs", "RFC 9602"),
    ("fc00::/7", "unique local", "RFC 4193"),
    ("fe80::/10", "link-local unicast", "RFC 4291"),
    ("fec0::/10", "deprecated site-local", "RFC 3879"),
    ("ff00::/8", "multicast", "RFC 4291"),
    # IANA IPv6 Address Space: only 2000::/3 is global unicast; the rest is reserved.
    ("::/8", "reserved by IETF", "RFC 4291"),
    ("100::/8", "reserved by IETF", "RFC 4291"),
    ("200::/7", "reserved by IETF", "RFC 4048"),
    ("400::/6", "reserved by IETF", "RFC 4291"),
    ("800::/5", "reserved by IETF", "RFC 4291"),
    ("1000::/4", "reserved by IETF", "RFC 4291"),
    ("4000::/3", "reserved by IETF", "RFC 4291"),
    ("6000::/3", "reserved by IETF", "RFC 4291"),
    ("8000::/3", "reserved by IETF", "RFC 4291"),
    ("a000::/3", "reserved by IETF", "RFC 4291"),
    ("c000::/3", "reserved by IETF", "RFC 4291"),
    ("e000::/4", "reserved by IETF", "RFC 4291"),
    ("f000::/5", "reserved by IETF", "RFC 4291"),
    ("f800::/6", "reserved by IETF", "RFC 4291"),
    ("fe00::/9", "reserved by IETF", "RFC 4291"),
], embedded={"::ffff:0:0/96": _low32, "64:ff9b::/96": _low32, "2002::/16": _sixtofour})


def special_range(address: str | Address) -> SpecialRange | None:
    """The most specific refused block holding ``address``, or ``None`` for a global one."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        ip = ipaddress.IPv6Address(int(ip))  # a zone (%eth0) does not change the block
    table = IPV4_SPECIAL if isinstance(ip, ipaddress.IPv4Address) else IPV6_SPECIAL
    for entry in table:
        if ip in entry.network:
            return entry
    return None


def address_problem(address: str) -> str | None:
    """Why ``address`` must not be connected to, or ``None`` if it is globally reachable.

    The reason names the block, e.g. ``loopback (127.0.0.0/8, RFC 1122 section 3.2.1.3)``.
    """
    ip = ipaddress.ip_address(address)
    entry = special_range(ip)
    if entry is None:
        return None
    if entry.embedded is not None and isinstance(ip, ipaddress.IPv6Address):
        inner = entry.embedded(ip)
        problem = address_problem(str(inner))
        return f"IPv6 address embedding {inner} ({problem})" if problem else None
    return entry.describe()


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
        allow_hosts: Collection[str] = (),
        resolver: Resolver | None = None,
    ) -> None:
        self.allow_private = allow_private
        # Exact "ip:port" pairs (IPv6 as "[::1]:8080") let tests reach one loopback server
        # while every other special-purpose address stays refused.
        self.allowed_addresses = frozenset(allowed_addresses)
        # The [http] allow_hosts entries: networks (an address is a /32 or /128) match the
        # address connected to; names match the host asked for, whatever it resolves to.
        self.allowed_networks: tuple[Network, ...] = ()
        names: set[str] = set()
        for entry in allow_hosts:
            bare = entry.strip("[]")
            try:
                self.allowed_networks += (ipaddress.ip_network(bare, strict=False),)
            except ValueError:
                names.add(bare.lower().rstrip("."))
        self.allowed_names = frozenset(names)
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
        if self._allowed_host(host, address):
            return
        reason = address_problem(address)
        if reason is not None:
            raise BlockedAddress(host, address, reason)

    def _allowed_host(self, host: str, address: str) -> bool:
        """True when ``allow_hosts`` names the host asked for or a network holding ``address``."""
        if self.allowed_names and host.strip("[]").lower().rstrip(".") in self.allowed_names:
            return True
        if not self.allowed_networks:
            return False
        ip = ipaddress.ip_address(address)
        return any(ip.version == net.version and ip in net for net in self.allowed_networks)

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
