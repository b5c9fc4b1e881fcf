"""The SSRF guard with real sockets: refused addresses are never connected to.

Every connection attempt of the process is observed with an audit hook
(``socket.connect`` events), so "refused WITHOUT any connection being attempted" is
checked for real. No test sends traffic anywhere but 127.0.0.1: addresses such as
10.0.0.1 or 169.254.169.254 only ever appear as redirect targets that must be refused.
"""
from __future__ import annotations

import ipaddress
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sources.errors import BlockedAddress, ConfigError, FetchError, InvalidUrl
from sources.http import HttpSettings, build_client
from sources.ssrf import IPV4_SPECIAL, IPV6_SPECIAL, address_problem
from sources_testserver import LocalServer, Reply, server, test_settings, text_reply  # noqa: F401

_connects: list[object] = []
_recording = threading.local()


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "socket.connect" and getattr(_recording, "on", False):
        _connects.append(args[1])


sys.addaudithook(_audit)


@contextmanager
def connections() -> Iterator[list[object]]:
    """Addresses this thread connects to inside the block."""
    _connects.clear()
    _recording.on = True
    try:
        yield _connects
    finally:
        _recording.on = False


def _hosts(addresses: list[object]) -> set[str]:
    return {str(a[0]) for a in addresses if isinstance(a, tuple)}


# The IANA special-purpose registries (IPv4, IPv6), the multicast blocks and the IPv6 space
# outside 2000::/3, written out here independently of sources.ssrf: (block, words the refusal
# must contain). Every block is tried at its first, middle and last address; the refusal names
# the most specific block of this list that holds the address.
REFUSED_V4 = [
    ("0.0.0.0/8", '"this network"'),
    ("0.0.0.0/32", "unspecified"),
    ("10.0.0.0/8", "private-use"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private-use"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.0.0/29", "service continuity"),
    ("192.0.0.8/32", "dummy"),
    ("192.0.0.9/32", "Port Control Protocol"),
    ("192.0.0.10/32", "TURN"),
    ("192.0.0.170/31", "NAT64/DNS64 discovery"),
    ("192.0.2.0/24", "documentation (TEST-NET-1)"),
    ("192.31.196.0/24", "AS112-v4"),
    ("192.52.193.0/24", "AMT"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.88.99.2/32", "6a44"),
    ("192.168.0.0/16", "private-use"),
    ("192.175.48.0/24", "AS112"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation (TEST-NET-2)"),
    ("203.0.113.0/24", "documentation (TEST-NET-3)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("255.255.255.255/32", "limited broadcast"),
]
REFUSED_V6 = [
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("64:ff9b:1::/48", "local-use IPv4/IPv6 translation"),
    ("100::/64", "discard-only"),
    ("100:0:0:1::/64", "dummy IPv6 prefix"),
    ("2001::/23", "IETF protocol assignments"),
    ("2001::/32", "Teredo"),
    ("2001:1::1/128", "Port Control Protocol"),
    ("2001:1::2/128", "TURN"),
    ("2001:1::3/128", "DNS-SD"),
    ("2001:2::/48", "benchmarking"),
    ("2001:3::/32", "AMT"),
    ("2001:4:112::/48", "AS112-v6"),
    ("2001:10::/28", "ORCHID"),
    ("2001:20::/28", "ORCHIDv2"),
    ("2001:30::/28", "drone"),
    ("2001:db8::/32", "documentation"),
    ("2620:4f:8000::/48", "AS112"),
    ("3fff::/20", "documentation"),
    ("5f00::/16", "SRv6"),
    ("fc00::/7", "unique local"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
    *((block, "reserved by IETF") for block in (
        "::/8", "100::/8", "200::/7", "400::/6", "800::/5", "1000::/4", "4000::/3", "6000::/3",
        "8000::/3", "a000::/3", "c000::/3", "e000::/4", "f000::/5", "f800::/6", "fe00::/9")),
]
# Translation prefixes: judged by the IPv4 address they carry.
EMBEDDING = ["::ffff:0:0/96", "64:ff9b::/96", "2002::/16"]


def _narrowest(address: str, table: list[tuple[str, str]]) -> tuple[str, str]:
    ip = ipaddress.ip_address(address)
    holding = [(block, words) for block, words in table if ip in ipaddress.ip_network(block)]
    return max(holding, key=lambda row: ipaddress.ip_network(row[0]).prefixlen)


def _first_middle_last(block: str) -> list[str]:
    net = ipaddress.ip_network(block)
    first, last = int(net.network_address), int(net.broadcast_address)
    kind = type(net.network_address)
    return [str(kind(n)) for n in dict.fromkeys((first, (first + last) // 2, last))]


_CASES = [(address, table) for table in (REFUSED_V4, REFUSED_V6)
          for block, _words in table for address in _first_middle_last(block)
          if not any(ipaddress.ip_address(address) in ipaddress.ip_network(e) for e in EMBEDDING)]


@pytest.mark.parametrize(("address", "table"), _CASES, ids=[c[0] for c in _CASES])
def test_every_special_purpose_block_is_refused_and_named(address: str, table: list[tuple[str, str]]) -> None:
    block, words = _narrowest(address, table)
    problem = address_problem(address)
    assert problem is not None, f"{address} ({block}) was allowed"
    assert words in problem and f"({block}, RFC" in problem


def test_the_guard_table_has_no_block_this_test_does_not_try() -> None:
    tested = {ipaddress.ip_network(b) for b, _ in REFUSED_V4 + REFUSED_V6} | {
        ipaddress.ip_network(b) for b in EMBEDDING}
    assert {entry.network for entry in IPV4_SPECIAL + IPV6_SPECIAL} == tested


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("192.0.0.128", "IETF protocol assignments (192.0.0.0/24"),  # allowed by Python 3.11's flags
        ("192.88.99.1", "6to4 relay anycast (192.88.99.0/24"),  # likewise
        ("::ffff:0.0.0.0", "embedding 0.0.0.0 (unspecified"),
        ("::ffff:127.0.0.1", "embedding 127.0.0.1 (loopback"),
        ("::ffff:10.1.2.3", "embedding 10.1.2.3 (private"),
        ("::ffff:255.255.255.255", "embedding 255.255.255.255 (limited broadcast"),
        ("64:ff9b::", "embedding 0.0.0.0 (unspecified"),
        ("64:ff9b::a9fe:a9fe", "embedding 169.254.169.254 (link-local"),
        ("64:ff9b::c000:80", "embedding 192.0.0.128 (IETF protocol assignments"),
        ("64:ff9b::ffff:ffff", "embedding 255.255.255.255 (limited broadcast"),
        ("2002::", "embedding 0.0.0.0 (unspecified"),
        ("2002:0a00:0001::1", "embedding 10.0.0.1 (private"),
        ("2002:c0a8:0101::", "embedding 192.168.1.1 (private"),
        ("2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "embedding 255.255.255.255 (limited broadcast"),
        ("fe80::1%eth0", "link-local"),  # a zone does not change the block
    ],
)
def test_special_addresses_by_example(address: str, reason: str) -> None:
    problem = address_problem(address)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    "address",
    [
        # IPv4 neighbours just outside refused blocks, and plain public addresses
        "1.0.0.0", "1.1.1.1", "9.255.255.255", "11.0.0.0", "93.184.215.14", "100.63.255.255",
        "100.128.0.0", "126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0",
        "172.15.255.255", "172.32.0.0", "192.0.1.255", "192.0.3.0", "192.31.195.255", "192.31.197.0",
        "192.52.192.255", "192.52.194.0", "192.88.98.255", "192.88.100.0", "192.167.255.255",
        "192.169.0.0", "192.175.47.255", "192.175.49.0", "198.17.255.255", "198.20.0.0",
        "198.51.99.255", "198.51.101.0", "203.0.112.255", "203.0.114.0", "223.255.255.255",
        # IPv6: 2001::/23 is not 2001::/16, and the translation prefixes carry public addresses
        "2001:200::", "2001:4860:4860::8888", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::",
        "2000::1", "2606:4700:4700::1111", "2620:4f:7fff:ffff:ffff:ffff:ffff:ffff", "2620:4f:8001::",
        "3ffe:ffff::1", "3fff:1000::", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
    ],
)
def test_global_addresses_pass(address: str) -> None:
    assert address_problem(address) is None


def test_loopback_request_refused_without_connecting(server: LocalServer) -> None:  # noqa: F811
    server.route("/x", text_reply("secret"))
    with build_client(test_settings(allow_private_addresses=False)) as c:
        with connections() as seen, pytest.raises(BlockedAddress) as info:
            c.fetch(server.url("/x"))
    assert seen == [] and server.requests == []
    assert info.value.host == "127.0.0.1" and "loopback" in info.value.reason
    assert info.value.failure_class == "blocked_address"


def test_public_looking_name_resolving_to_loopback_is_refused(server: LocalServer) -> None:  # noqa: F811
    server.route("/x", text_reply("secret"))
    settings = test_settings(
        allow_private_addresses=False, resolver=lambda host: ["127.0.0.1"]
    )
    with build_client(settings) as c:
        with connections() as seen, pytest.raises(BlockedAddress) as info:
            c.fetch(f"http://files.example.com:{server.port}/x")
    assert seen == [] and server.requests == []
    assert info.value.host == "files.example.com" and info.value.address == "127.0.0.1"


def test_mixed_answer_with_one_private_address_is_refused(server: LocalServer) -> None:  # noqa: F811
    # A rebinding-style answer: one public, one private address. Nothing is connected.
    settings = test_settings(
        allow_private_addresses=False, resolver=lambda host: ["93.184.215.14", "10.0.0.7"]
    )
    with build_client(settings) as c:
        with connections() as seen, pytest.raises(BlockedAddress) as info:
            c.fetch("http://mirror.example.net/leak.csv")
    assert seen == [] and info.value.address == "10.0.0.7"


def test_real_localhost_name_is_refused(server: LocalServer) -> None:  # noqa: F811
    with build_client(test_settings(allow_private_addresses=False)) as c:
        with connections() as seen, pytest.raises(BlockedAddress):
            c.fetch(f"http://localhost:{server.port}/")
    assert seen == []


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.2/",
        "http://[::1]/",
        "http://100.64.1.1/",
        "http://[::ffff:10.0.0.1]/",
        "http://intranet.example.org/",  # resolves (through the test resolver) to 192.168.0.10
    ],
)
def test_redirect_to_private_address_is_refused(server: LocalServer, target: str) -> None:  # noqa: F811
    server.route("/go", Reply(302, b"", {"Location": target}))
    settings = test_settings(
        allow_private_addresses=False,
        allowed_addresses=[f"127.0.0.1:{server.port}"],  # only the first hop is let through
        resolver=lambda host: {"intranet.example.org": ["192.168.0.10"]}[host],
    )
    with build_client(settings) as c:
        with connections() as seen, pytest.raises(BlockedAddress) as info:
            c.fetch(server.url("/go"))
    assert _hosts(seen) == {"127.0.0.1"}  # the allowed hop only, never the target
    assert len(server.hits("/go")) == 1
    assert info.value.url == target


def test_allowlist_is_exact_ip_and_port(server: LocalServer) -> None:  # noqa: F811
    server.route("/ok", text_reply("fine"))
    with LocalServer() as other:
        other.route("/ok", text_reply("other"))
        settings = test_settings(allow_private_addresses=False, allowed_addresses=[f"127.0.0.1:{server.port}"])
        with build_client(settings) as c:
            assert c.fetch(server.url("/ok")).content == b"fine"
            with pytest.raises(BlockedAddress):
                c.fetch(other.url("/ok"))
        assert other.requests == []


def test_vetted_ip_is_connected_with_the_original_host_header(server: LocalServer) -> None:  # noqa: F811
    server.route("/h", text_reply("hi"))
    settings = test_settings(
        allow_private_addresses=False,
        allowed_addresses=[f"127.0.0.1:{server.port}"],
        resolver=lambda host: ["127.0.0.1"],
    )
    with build_client(settings) as c:
        with connections() as seen:
            assert c.fetch(f"http://mirror.example.net:{server.port}/h").content == b"hi"
    assert _hosts(seen) == {"127.0.0.1"}
    assert server.hits("/h")[0].headers["host"] == f"mirror.example.net:{server.port}"


def test_unresolvable_name_is_a_network_error() -> None:
    def nothing(host: str) -> list[str]:
        raise OSError("no such host")

    with build_client(test_settings(allow_private_addresses=False, resolver=nothing, retries=0)) as c:
        with pytest.raises(FetchError) as info:
            c.fetch("http://no-such-host.invalid/")
    assert not isinstance(info.value, BlockedAddress) and info.value.failure_class == "network"


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, list[str]]]:
    """An HTTPS server on 127.0.0.1 with a throwaway self-signed cert; records the SNI names."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=mirror.example.net", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd.server_address[1], names
    httpd.shutdown()
    httpd.server_close()


def test_tls_keeps_the_original_name_for_sni(tls_server: tuple[int, list[str]]) -> None:
    port, names = tls_server
    settings = test_settings(
        allow_private_addresses=False,
        allowed_addresses=[f"127.0.0.1:{port}"],
        resolver=lambda host: ["127.0.0.1"],
        verify_tls=False,
    )
    with build_client(settings) as c:
        assert c.fetch(f"https://mirror.example.net:{port}/").content == b"ok"
    assert names == ["mirror.example.net"]


def test_through_a_proxy_the_target_name_is_still_vetted(server: LocalServer) -> None:  # noqa: F811
    # The LocalServer acts as the forward proxy: it gets absolute-form requests and answers them.
    server.route("/x", text_reply("via proxy"))
    names = {"files.example.com": ["93.184.215.14"], "intranet.example.com": ["10.0.0.1"]}
    settings = test_settings(allow_private_addresses=False, proxy=server.base, resolver=lambda h: names[h])
    with build_client(settings) as c:
        with connections() as seen:
            assert c.fetch("http://files.example.com/x").content == b"via proxy"
        assert _hosts(seen) == {"127.0.0.1"}  # only the proxy is ever connected to
        assert server.requests[0].target == "http://files.example.com/x"
        with connections() as seen, pytest.raises(BlockedAddress):
            c.fetch("http://intranet.example.com/x")
        assert seen == [] and len(server.requests) == 1


# Redirect targets and the [http] allow_hosts setting: a config can let the tracker reach its
# test server on 127.0.0.1 while every other special-purpose address stays refused.


@pytest.mark.parametrize(
    ("target", "error", "words"),
    [
        ("http://0177.0.0.1/", InvalidUrl, "non-standard form"),  # octal 127.0.0.1
        ("http://0x7f.1/", InvalidUrl, "non-standard form"),
        ("http://2130706433/", InvalidUrl, "non-standard form"),
        ("http://127.1/", InvalidUrl, "non-standard form"),
        ("http://192.0.0.128/", BlockedAddress, "IETF protocol assignments (192.0.0.0/24"),
        ("http://192.88.99.7/", BlockedAddress, "6to4 relay anycast (192.88.99.0/24"),
        ("http://127.0.0.2/", BlockedAddress, "loopback"),
        ("http://10.0.0.1/", BlockedAddress, "private-use"),
        ("http://[::1]/", BlockedAddress, "loopback"),
    ],
)
def test_redirect_targets_are_vetted_under_allow_hosts(
    server: LocalServer, target: str, error: type[Exception], words: str  # noqa: F811
) -> None:
    server.route("/ok", text_reply("reached"))
    server.route("/go", Reply(302, b"", {"Location": target}))
    settings = test_settings(allow_private_addresses=False, allow_hosts=["127.0.0.1"])
    with build_client(settings) as c:
        assert c.fetch(server.url("/ok")).content == b"reached"  # the allowed host, any port
        with connections() as seen, pytest.raises(error) as info:
            c.fetch(server.url("/go"))
    assert _hosts(seen) <= {"127.0.0.1"}  # the first hop only (often pooled), never the target
    assert words in str(info.value) and info.value.url == target  # type: ignore[attr-defined]
    assert len(server.hits("/go")) == 1


def test_allow_hosts_takes_addresses_networks_and_names(server: LocalServer) -> None:  # noqa: F811
    server.route("/ok", text_reply("reached"))
    names = {"mirror.internal": ["127.0.0.1"], "other.internal": ["127.0.0.1"]}
    for entry in ("127.0.0.1", "127.0.0.0/8", "mirror.internal", "MIRROR.internal."):
        settings = test_settings(allow_private_addresses=False, allow_hosts=[entry], resolver=names.__getitem__)
        with build_client(settings) as c:
            assert c.fetch(f"http://mirror.internal:{server.port}/ok").content == b"reached", entry
            if entry != "mirror.internal" and entry != "MIRROR.internal.":
                assert c.fetch(server.url("/ok")).content == b"reached", entry
            else:  # a name lets that name through, not the address for every other name
                with pytest.raises(BlockedAddress):
                    c.fetch(f"http://other.internal:{server.port}/ok")
                with pytest.raises(BlockedAddress):
                    c.fetch(server.url("/ok"))


@pytest.mark.parametrize("entry", ["0177.0.0.1", "127.1", "10.0.0.0/33", "", "a b", "http://127.0.0.1/"])
def test_allow_hosts_entries_are_validated(entry: str) -> None:
    with pytest.raises(ConfigError, match=r"allow_hosts\[0\]"):
        HttpSettings.from_table({"allow_hosts": [entry]})


def test_allow_hosts_is_a_key_of_the_http_config_table() -> None:
    from tracker.config import http_setting_keys, parse_http

    assert "allow_hosts" in http_setting_keys()
    settings = parse_http({"allow_hosts": ["127.0.0.1", "fd00::/8"]}, [])
    assert settings.allow_hosts == ["127.0.0.1", "fd00::/8"] and not settings.allow_private_addresses
