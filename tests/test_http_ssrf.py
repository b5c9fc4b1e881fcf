"""The SSRF guard with real sockets: refused addresses are never connected to.

Every connection attempt of the process is observed with an audit hook
(``socket.connect`` events), so "refused WITHOUT any connection being attempted" is
checked for real. No test sends traffic anywhere but 127.0.0.1: addresses such as
10.0.0.1 or 169.254.169.254 only ever appear as redirect targets that must be refused.
"""
from __future__ import annotations

import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sources.errors import BlockedAddress, FetchError
from sources.http import build_client
from sources.ssrf import address_problem
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


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.0.0.2", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.10", "private"),  # documentation range (TEST-NET-1)
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fd12:3456::1", "private"),  # unique local
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "embedding 127.0.0.1 (loopback"),
        ("::ffff:10.1.2.3", "embedding 10.1.2.3 (private"),
        ("64:ff9b::a9fe:a9fe", "embedding 169.254.169.254 (link-local"),
        ("2002:0a00:0001::1", "embedding 10.0.0.1 (private"),
    ],
)
def test_special_purpose_addresses_are_refused(address: str, reason: str) -> None:
    problem = address_problem(address)
    assert problem is not None and reason in problem


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "100.128.0.1"])
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
