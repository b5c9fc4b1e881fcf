"""A tiny routed HTTP server on 127.0.0.1 for the sources tests, and synthetic content.

Each test registers replies per path (static or computed from the request), points a
source at ``server.url(...)`` and reads ``server.requests`` to see what was asked. The
server is real (threaded ``http.server`` speaking HTTP/1.1), so the client's sockets,
streaming, keep-alive and redirects are exercised for real. Content is generated from
random syllables and digits: never real personal data.
"""
from __future__ import annotations

import json
import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from sources.http import HttpSettings, build_client

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def fixture_json(name: str) -> Any:
    """A sample from tests/fixtures/sources (see its README for origins)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Seen:
    """A request as the server received it."""

    method: str
    path: str  # path only
    target: str  # path and query
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunk_delay: float = 0.0  # pause between chunks of an iterable body


Handler = Callable[[Seen], Reply]


class LocalServer:
    """Routed test server; ``with LocalServer() as server: ...``."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without this, Nagle + delayed ACK
            # add ~40 ms to every keep-alive answer (a test-server artefact, not the client's).
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server._handle(self)

            do_HEAD = do_GET
            do_POST = do_GET

        class _Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                # A client that stops reading (size limit, timeout) resets the connection: expected.
                if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
                    super().handle_error(request, client_address)  # type: ignore[arg-type]

        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, reply: Reply | Handler) -> None:
        """Answer ``path`` (query ignored) with a fixed reply or a function of the request."""
        self.routes[path] = reply if callable(reply) else (lambda _seen, r=reply: r)

    def hits(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("content-length") or 0)
        if length:
            handler.rfile.read(length)
        seen = Seen(
            method=handler.command,
            path=parts.path,
            target=handler.path,
            query={k: v[0] for k, v in parse_qs(parts.query).items()},
            headers={k.lower(): v for k, v in handler.headers.items()},
        )
        with self._lock:
            self.requests.append(seen)
        route = self.routes.get(parts.path)
        reply = route(seen) if route else Reply(404, b"not found")
        body = reply.body.encode() if isinstance(reply.body, str) else reply.body
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if isinstance(body, bytes):
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(body)
            return
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        try:
            for chunk in body:
                handler.wfile.write(chunk)
                handler.wfile.flush()
                if reply.chunk_delay:
                    time.sleep(reply.chunk_delay)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (size or time limit): expected


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})})


def text_reply(text: str | bytes, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    body = text.encode() if isinstance(text, str) else text
    return Reply(status, body, {"Content-Type": "text/plain; charset=utf-8", **(headers or {})})


def html_reply(html: str, status: int = 200) -> Reply:
    return Reply(status, html.encode(), {"Content-Type": "text/html; charset=utf-8"})


_SYLLABLES = ["ka", "lo", "mi", "ren", "tu", "sa", "vek", "do", "ni", "bar", "zel", "po", "ul", "fen"]


def synthetic_rows(n: int, seed: int = 1) -> str:
    """A CSV of ``n`` made-up people (syllable names, random dates and ID digits)."""
    rng = random.Random(seed)

    def name() -> str:
        return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()

    lines = ["last_name,first_name,dob,id"]
    for _ in range(n):
        dob = f"{rng.randint(1950, 2010)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        lines.append(f"{name()},{name()},{dob},{rng.randint(10**8, 10**9 - 1)}")
    return "\n".join(lines) + "\n"


def test_settings(**overrides: Any) -> HttpSettings:
    """Fast, loopback-allowed client settings for tests."""
    values: dict[str, Any] = dict(
        allow_private_addresses=True,
        per_host_delay=0.0,
        per_host_concurrency=4,
        retries=2,
        backoff=0.01,
        max_backoff=0.05,
        timeout=10.0,
        connect_timeout=2.0,
        read_timeout=5.0,
    )
    values.update(overrides)
    return HttpSettings(**values)


test_settings.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def client() -> Iterator[Any]:
    with build_client(test_settings()) as c:
        yield c
