"""The one HTTP client against a real local server: limits, retries, redirects, robots, politeness."""
from __future__ import annotations

import email.utils
import threading
import time

import pytest

from sources.errors import (
    ConfigError,
    FetchError,
    HttpStatusError,
    RateLimited,
    RobotsDisallowed,
    TimeoutError_,
    TooLarge,
)
from sources.http import HttpSettings, build_client, parse_retry_after
from sources_testserver import (  # noqa: F401 - fixtures
    LocalServer,
    Reply,
    Seen,
    client,
    server,
    test_settings,
    text_reply,
)


def test_get_sends_honest_user_agent_and_returns_body(server: LocalServer) -> None:
    server.route("/a", text_reply("hello"))
    with build_client(test_settings(contact="mailto:ops@example.org")) as c:
        result = c.fetch(server.url("/a"))
    assert result.status == 200 and result.content == b"hello"
    assert result.content_type == "text/plain"
    agent = server.hits("/a")[0].headers["user-agent"]
    assert agent.startswith("repost-tracker/") and agent.endswith("(+mailto:ops@example.org)")


def test_declared_size_over_limit_is_refused_before_reading(server: LocalServer) -> None:
    server.route("/big", text_reply(b"x" * 5000))
    with build_client(test_settings(max_bytes=1000)) as c:
        with pytest.raises(TooLarge) as info:
            c.fetch(server.url("/big"))
    assert info.value.failure_class == "too_large"


def test_streamed_body_stops_at_limit(server: LocalServer) -> None:
    produced = []

    def endless() -> object:
        for i in range(10_000):  # 640 MB if read to the end
            produced.append(i)
            yield b"y" * 65536

    server.route("/stream", lambda _s: Reply(200, endless(), {"Content-Type": "application/octet-stream"}))
    with build_client(test_settings(max_bytes=200_000)) as c:
        with pytest.raises(TooLarge):
            c.fetch(server.url("/stream"))
    time.sleep(0.2)
    assert len(produced) < 100  # reading stopped near the limit, the server gave up


def test_per_call_max_bytes(server: LocalServer, client) -> None:  # noqa: F811
    server.route("/f", text_reply(b"z" * 300))
    assert client.fetch(server.url("/f"), max_bytes=300).content == b"z" * 300
    with pytest.raises(TooLarge):
        client.fetch(server.url("/f"), max_bytes=299)


def test_total_timeout_on_slow_drip(server: LocalServer) -> None:
    server.route("/drip", lambda _s: Reply(200, (b"." for _ in range(100)), chunk_delay=0.05))
    with build_client(test_settings(timeout=0.5, read_timeout=2.0)) as c:
        started = time.monotonic()
        with pytest.raises(TimeoutError_) as info:
            c.fetch(server.url("/drip"))
    assert time.monotonic() - started < 2.0
    assert info.value.failure_class == "timeout"


def test_429_with_retry_after_then_200(server: LocalServer, client) -> None:  # noqa: F811
    calls = []

    def limited(_seen: Seen) -> Reply:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return text_reply("slow down", 429, {"Retry-After": "1"})
        return text_reply("ok")

    server.route("/rl", limited)
    result = client.fetch(server.url("/rl"))
    assert result.content == b"ok"
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.95


def test_retry_after_too_long_raises_rate_limited_at_once(server: LocalServer, client) -> None:  # noqa: F811
    when = email.utils.formatdate(time.time() + 3600, usegmt=True)
    server.route("/rl", text_reply("later", 429, {"Retry-After": when}))
    started = time.monotonic()
    with pytest.raises(RateLimited) as info:
        client.fetch(server.url("/rl"))
    assert time.monotonic() - started < 1
    assert 3500 < info.value.retry_after <= 3600
    assert len(server.hits("/rl")) == 1


def test_5xx_is_retried_then_reported(server: LocalServer, client) -> None:  # noqa: F811
    server.route("/down", text_reply("oops", 503))
    with pytest.raises(HttpStatusError) as info:
        client.fetch(server.url("/down"))
    assert info.value.status == 503 and info.value.failure_class == "server_error"
    assert len(server.hits("/down")) == 3  # first try + 2 retries


def test_server_closing_without_answer_is_retried(server: LocalServer, client) -> None:  # noqa: F811
    calls = []

    def flaky(_seen: Seen) -> Reply:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionResetError  # the server drops the connection without an answer
        return text_reply("second time")

    server.route("/flaky", flaky)
    assert client.fetch(server.url("/flaky")).content == b"second time"
    assert len(calls) == 2


def test_404_is_not_retried(server: LocalServer, client) -> None:  # noqa: F811
    with pytest.raises(HttpStatusError) as info:
        client.fetch(server.url("/missing"))
    assert info.value.status == 404 and len(server.hits("/missing")) == 1


def test_connect_error_after_retries() -> None:
    with LocalServer() as srv:
        dead = srv.url("/x")
    with build_client(test_settings()) as c:  # the port is closed now
        with pytest.raises(FetchError) as info:
            c.fetch(dead)
    assert info.value.failure_class == "network"


def test_redirects_are_followed_up_to_five(server: LocalServer, client) -> None:  # noqa: F811
    for i in range(7):
        server.route(f"/r{i}", Reply(302, b"", {"Location": f"/r{i + 1}"}))
    server.route("/r7", text_reply("end"))
    result = client.fetch(server.url("/r2"))
    assert result.content == b"end" and result.final_url == server.url("/r7")
    with pytest.raises(FetchError, match="more than 5 redirects"):
        client.fetch(server.url("/r0"))


def test_conditional_get_304(server: LocalServer, client) -> None:  # noqa: F811
    def page(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply(304, b"")
        return text_reply("body", headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"})

    server.route("/p", page)
    first = client.fetch(server.url("/p"))
    assert first.validators == {"etag": '"v1"', "last_modified": "Mon, 01 Jan 2024 00:00:00 GMT"}
    second = client.fetch(server.url("/p"), conditional=first.validators)
    assert second.not_modified and second.content == b""
    assert server.hits("/p")[1].headers["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"


def test_robots_txt_disallow_and_cache(server: LocalServer, client) -> None:  # noqa: F811
    server.route("/robots.txt", text_reply("User-agent: *\nDisallow: /private/\n"))
    server.route("/public/a", text_reply("a"))
    server.route("/private/b", text_reply("b"))
    assert client.fetch(server.url("/public/a"), robots=True).content == b"a"
    with pytest.raises(RobotsDisallowed) as info:
        client.fetch(server.url("/private/b"), robots=True)
    assert info.value.failure_class == "blocked"
    assert client.fetch(server.url("/private/b")).content == b"b"  # robots=False
    assert len(server.hits("/robots.txt")) == 1
    assert not server.hits("/private/b")[:-1]  # only the robots=False request reached it


def test_robots_missing_allows_and_server_error_disallows(server: LocalServer, client) -> None:  # noqa: F811
    server.route("/a", text_reply("a"))
    assert client.fetch(server.url("/a"), robots=True).content == b"a"  # robots.txt is 404
    with LocalServer() as other:
        other.route("/robots.txt", text_reply("broken", 500))
        other.route("/a", text_reply("a"))
        with pytest.raises(RobotsDisallowed):
            client.fetch(other.url("/a"), robots=True)


def test_per_host_delay_spaces_requests(server: LocalServer) -> None:
    server.route("/d", text_reply("d"))
    with build_client(test_settings(per_host_delay=0.2)) as c:
        started = time.monotonic()
        for _ in range(4):
            c.fetch(server.url("/d"))
    assert time.monotonic() - started >= 0.6


def test_per_host_concurrency_is_bounded(server: LocalServer) -> None:
    active = []
    peak = []
    lock = threading.Lock()

    def slow(_seen: Seen) -> Reply:
        with lock:
            active.append(1)
            peak.append(len(active))
        time.sleep(0.15)
        with lock:
            active.pop()
        return text_reply("s")

    server.route("/s", slow)
    with build_client(test_settings(per_host_concurrency=2)) as c:
        threads = [threading.Thread(target=c.fetch, args=(server.url("/s"),)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert max(peak) == 2


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    date = email.utils.formatdate(1_000_060, usegmt=True)
    assert parse_retry_after(date, now=1_000_000) == pytest.approx(60)
    assert parse_retry_after(date, now=2_000_000) == 0.0


def test_settings_from_table_names_key_value_and_allowed() -> None:
    settings = HttpSettings.from_table({"timeout": 5, "per_host_delay": 0.5, "allow_private_addresses": True})
    assert settings.timeout == 5.0 and settings.allow_private_addresses
    with pytest.raises(ConfigError, match=r"\[http\]: timout = 5: unknown key; allowed keys: .*timeout"):
        HttpSettings.from_table({"timout": 5})
    with pytest.raises(ConfigError, match=r"retries = 'three': must be an integer"):
        HttpSettings.from_table({"retries": "three"})
    with pytest.raises(ConfigError, match=r"per_host_concurrency = 0: must be 1..64"):
        HttpSettings.from_table({"per_host_concurrency": 0})
    with pytest.raises(ConfigError, match="resolver = .*unknown key"):
        HttpSettings.from_table({"resolver": "x"})
    with pytest.raises(ConfigError, match="proxy = 'ftp://p': must be an http"):
        HttpSettings.from_table({"proxy": "ftp://p"})


def test_non_http_scheme_is_refused(client) -> None:  # noqa: F811
    with pytest.raises(FetchError, match="only http"):
        client.fetch("file:///etc/passwd")
