"""The crawl source: a bounded same-site crawl of a local site with robots.txt."""
from __future__ import annotations

import logging

import pytest

from sources import MemoryContext, build_source
from sources.crawl import site_of
from sources_testserver import (  # noqa: F401 - fixtures
    LocalServer,
    Reply,
    client,
    html_reply,
    server,
    synthetic_rows,
    text_reply,
)


def _site(server: LocalServer, other: LocalServer) -> None:
    server.route("/robots.txt", text_reply("User-agent: *\nDisallow: /private/\n"))
    server.route("/", html_reply(
        "<a href='/a'>a</a> <a href='b.html#top'>b</a> <a href='/files/list.csv'>csv</a>"
        f"<a href='/private/x'>p</a> <a href='http://localhost:{other.port}/elsewhere'>ext</a>"
        "<a href='mailto:someone@example.org'>mail</a> <a href='/a'>again</a>"))
    server.route("/a", html_reply("<a href='/a/deep'>deeper</a>"))
    server.route("/a/deep", html_reply("<a href='/a/deeper'>deeper still</a>"))
    server.route("/a/deeper", html_reply("too deep"))
    server.route("/b.html", html_reply("<p>nothing</p>"))
    server.route("/files/list.csv", Reply(200, synthetic_rows(40).encode(), {"Content-Type": "text/csv"}))
    server.route("/private/x", text_reply("kept out by robots.txt"))
    other.route("/elsewhere", text_reply("another site"))


def test_same_site_crawl_with_depth_and_robots(server: LocalServer, client) -> None:  # noqa: F811
    with LocalServer() as other:
        _site(server, other)
        source = build_source({"name": "c", "kind": "crawl", "url": server.url("/"), "max_depth": 2}, client)
        ctx = MemoryContext()
        docs = list(source.fetch(ctx))
        assert [d.url for d in docs] == [server.url(p) for p in ("/", "/a", "/b.html", "/files/list.csv", "/a/deep")]
        csv = docs[3]
        assert csv.content_type == "text/csv" and csv.content == synthetic_rows(40).encode()
        assert csv.metadata == {"depth": 1, "final_url": server.url("/files/list.csv")}
        assert source.stats.skipped == {"blocked": 1}  # /private/x
        assert server.hits("/private/x") == [] and server.hits("/a/deeper") == []
        assert other.requests == []  # a different host is a different site
        assert len(server.hits("/a")) == 1

        assert list(source.fetch(ctx)) == []  # unchanged site: nothing new
        server.route("/b.html", html_reply("<p>now with content</p>"))
        assert [d.url for d in source.fetch(ctx)] == [server.url("/b.html")]


def test_robots_can_be_turned_off_per_source(server: LocalServer, client) -> None:  # noqa: F811
    with LocalServer() as other:
        _site(server, other)
        table = {"name": "c", "kind": "crawl", "start_urls": [server.url("/")], "max_depth": 1, "robots": False}
        urls = [d.url for d in build_source(table, client).fetch(MemoryContext())]
    assert server.url("/private/x") in urls and server.hits("/robots.txt") == []


def test_page_and_byte_budgets(server: LocalServer, client) -> None:  # noqa: F811
    with LocalServer() as other:
        _site(server, other)
        pages = build_source({"name": "c", "kind": "crawl", "url": server.url("/"), "max_pages": 2}, client)
        assert len(list(pages.fetch(MemoryContext()))) == 2
        assert pages.stats.skipped["crawl_budget"] > 0
        small = build_source({"name": "c", "kind": "crawl", "url": server.url("/"), "max_bytes": 600}, client)
        docs = list(small.fetch(MemoryContext()))
        assert sum(len(d.content) for d in docs) <= 600
        assert server.url("/files/list.csv") not in [d.url for d in docs]  # over what was left
        assert small.stats.skipped["too_large"] >= 1


def test_site_of_uses_registrable_domain() -> None:
    assert site_of("https://files.example.org/x") == site_of("http://www.example.org/") == "example.org"
    assert site_of("https://a.example.co.uk/") == "example.co.uk"
    assert site_of("https://alice.github.io/") != site_of("https://bob.github.io/")  # a public suffix
    assert site_of("http://127.0.0.1:8080/") == "127.0.0.1"
    assert site_of("http://localhost/") == "localhost"


def test_bad_links_are_skipped_counted_and_never_logged(
    server: LocalServer, client, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    # URLs found in documents may hold anything: this synthetic "leaked" value must not reach the log.
    value = "Venkalo-1987-04-12-123456789"
    bad = [f"http://[::1/{value}", f"http://127.0.0.1:99999/{value}", f"http://0177.0.0.1/{value}",
           f"http://127.1/{value}", f"http://2130706433/{value}", f"/x\x01{value}"]
    server.route("/", html_reply("".join(f"<a href='{href}'>bad</a>" for href in bad)
                                 + "<a href='/hop'>redirect</a><a href='/good'>good</a>"))
    server.route("/hop", Reply(302, b"", {"Location": f"http://0x7f.1/{value}"}))
    server.route("/good", html_reply("<p>a page the crawl must still reach</p>"))
    caplog.set_level(logging.DEBUG, logger="sources")
    source = build_source({"name": "c", "kind": "crawl", "url": server.url("/"), "robots": False}, client)
    docs = list(source.fetch(MemoryContext()))
    assert [d.url for d in docs] == [server.url("/"), server.url("/good")]
    assert source.stats.skipped == {"invalid_url": len(bad) + 1}  # the redirect to 0x7f.1 too
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("sources")]
    assert sum("skipped a link" in m for m in logged) == len(bad)
    assert not any(value in m for m in logged)
