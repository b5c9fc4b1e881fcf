"""The search source against local servers speaking Brave, SearXNG and Google CSE JSON."""
from __future__ import annotations

import copy

import pytest

from sources import MemoryContext, build_source
from sources.errors import AuthError, ConfigError, HttpStatusError, Outage, UnsafeQuery
from sources.http import build_client
from sources_testserver import (  # noqa: F401 - fixtures
    LocalServer,
    Reply,
    client,
    fixture_json,
    json_reply,
    server,
    synthetic_rows,
    test_settings,
    text_reply,
)

QUERIES = ['"surname,given_names,date_of_birth"', {"query": "roster export 2024", "site": "files.example.org"}]


def _result_pages(server: LocalServer) -> list[str]:
    urls = [server.url("/found/roster.csv"), server.url("/found/paste")]
    server.route("/found/roster.csv", text_reply(synthetic_rows(6, seed=11)))
    server.route("/found/paste", text_reply(synthetic_rows(2, seed=12)))
    return urls


def _brave(server: LocalServer) -> None:
    answer = fixture_json("brave-web-search.json")
    for result, url in zip(answer["web"]["results"], _result_pages(server), strict=True):
        result["url"] = url
    server.route("/res/v1/web/search", json_reply(answer))


def test_brave_queries_results_and_dedupe(server: LocalServer, client, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("TEST_BRAVE_KEY", "brv-key")
    _brave(server)
    table = {"name": "brave", "kind": "search", "provider": "brave", "queries": QUERIES,
             "url": server.url("/res/v1/web/search"), "key_env": "TEST_BRAVE_KEY", "count": 20}
    source = build_source(table, client)
    ctx = MemoryContext()
    docs = list(source.fetch(ctx))
    assert [d.url for d in docs] == [server.url("/found/roster.csv"), server.url("/found/paste")]
    assert docs[0].item_id == docs[0].url and docs[0].content == synthetic_rows(6, seed=11).encode()
    assert docs[0].metadata == {"provider": "brave", "query_index": 0, "rank": 1, "final_url": docs[0].url}
    calls = server.hits("/res/v1/web/search")
    assert [c.query["q"] for c in calls] == [QUERIES[0], "roster export 2024 site:files.example.org"]
    assert calls[0].query["count"] == "20" and calls[0].headers["x-subscription-token"] == "brv-key"
    assert len(server.hits("/found/roster.csv")) == 1  # same URL from both queries: fetched once
    assert ctx.queries_checked == 2
    assert list(source.fetch(ctx)) == []  # unchanged pages are not yielded again


def test_unsafe_query_stops_before_anything_is_sent(server: LocalServer, client, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("TEST_BRAVE_KEY", "brv-key")
    _brave(server)
    leaked_value = "Kalomiren"  # a synthetic "registered leak value"
    table = {"name": "brave", "kind": "search", "provider": "brave", "url": server.url("/res/v1/web/search"),
             "key_env": "TEST_BRAVE_KEY", "queries": ["harmless header row", f"{leaked_value} passport"]}
    ctx = MemoryContext(is_unsafe=lambda q: leaked_value.lower() in q.lower())
    with pytest.raises(UnsafeQuery) as info:
        list(build_source(table, client).fetch(ctx))
    assert server.requests == []
    assert leaked_value not in str(info.value) and info.value.failure_class == "unsafe_query"


def test_brave_bad_key_is_auth_error(server: LocalServer, client, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("TEST_BRAVE_KEY", "bad")
    server.route("/res/v1/web/search", json_reply({"type": "ErrorResponse"}, 422))
    table = {"name": "b", "kind": "search", "provider": "brave", "queries": ["x"],
             "url": server.url("/res/v1/web/search"), "key_env": "TEST_BRAVE_KEY"}
    with pytest.raises(AuthError):
        list(build_source(table, client).fetch(MemoryContext()))


def _searxng_table(server: LocalServer, **extra: object) -> dict:
    return {"name": "sx", "kind": "search", "provider": "searxng", "url": server.base, "queries": QUERIES[:1], **extra}


def test_searxng_json_results(server: LocalServer, client) -> None:  # noqa: F811
    answer = fixture_json("searxng-search.json")
    for result, url in zip(answer["results"], _result_pages(server), strict=True):
        result["url"] = url
    server.route("/search", json_reply(answer))
    docs = list(build_source(_searxng_table(server, engines="duckduckgo,brave"), client).fetch(MemoryContext()))
    assert len(docs) == 2
    call = server.hits("/search")[0]
    assert call.query == {"q": QUERIES[0], "format": "json", "engines": "duckduckgo,brave"}


def test_searxng_empty_with_unresponsive_engines_is_outage(server: LocalServer, client) -> None:  # noqa: F811
    server.route("/search", json_reply(fixture_json("searxng-outage.json")))
    with pytest.raises(Outage, match=r"duckduckgo \(CAPTCHA\), brave \(timeout\)") as info:
        list(build_source(_searxng_table(server), client).fetch(MemoryContext()))
    assert info.value.failure_class == "outage"


def test_searxng_empty_without_failures_is_nothing_found(server: LocalServer, client) -> None:  # noqa: F811
    answer = fixture_json("searxng-outage.json")
    answer["unresponsive_engines"] = []
    server.route("/search", json_reply(answer))
    assert list(build_source(_searxng_table(server), client).fetch(MemoryContext())) == []


def test_searxng_json_disabled_is_config_error(server: LocalServer, client) -> None:  # noqa: F811
    server.route("/search", Reply(403, b"Forbidden", {"Content-Type": "text/html"}))
    with pytest.raises(ConfigError, match="format=json.*settings.yml"):
        list(build_source(_searxng_table(server), client).fetch(MemoryContext()))


def test_google_cse_items_link(server: LocalServer, client, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("TEST_GOOGLE_KEY", "g-key")
    answer = fixture_json("google-customsearch-v1-web.json")
    for item, url in zip(answer["items"], _result_pages(server), strict=True):
        item["link"] = url
    empty = copy.deepcopy(answer)
    del empty["items"]  # Google leaves "items" out when nothing matched
    server.route("/customsearch/v1", lambda s: json_reply(answer if "roster" in s.query["q"] else empty))
    table = {"name": "g", "kind": "search", "provider": "google", "url": server.url("/customsearch/v1"),
             "key_env": "TEST_GOOGLE_KEY", "cx": "cf005615b403e0c53",
             "queries": ["nothing here", {"query": "roster export"}]}
    docs = list(build_source(table, client).fetch(MemoryContext()))
    assert [d.url for d in docs] == [server.url("/found/roster.csv"), server.url("/found/paste")]
    assert docs[0].metadata["query_index"] == 1
    call = server.hits("/customsearch/v1")[1]
    assert call.query == {"key": "g-key", "cx": "cf005615b403e0c53", "q": "roster export", "num": "10"}


def test_api_key_never_appears_in_errors(server: LocalServer, client, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("TEST_GOOGLE_KEY", "very-secret-key+/=")
    server.route("/customsearch/v1", text_reply("boom", 500))
    table = {"name": "g", "kind": "search", "provider": "google", "url": server.url("/customsearch/v1"),
             "key_env": "TEST_GOOGLE_KEY", "cx": "cx1", "queries": ["q"]}
    with pytest.raises(HttpStatusError) as info:
        list(build_source(table, client).fetch(MemoryContext()))
    assert "very-secret" not in str(info.value) and "very-secret" not in str(info.value.url)
    assert "<redacted>" in str(info.value)


def test_result_on_private_address_is_skipped(server: LocalServer, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("TEST_BRAVE_KEY", "k")
    answer = fixture_json("brave-web-search.json")
    answer["web"]["results"][0]["url"] = "http://169.254.169.254/latest/meta-data/"
    answer["web"]["results"][1]["url"] = server.url("/found/paste")
    server.route("/found/paste", text_reply("synthetic"))
    server.route("/res/v1/web/search", json_reply(answer))
    settings = test_settings(allow_private_addresses=False, allowed_addresses=[f"127.0.0.1:{server.port}"])
    table = {"name": "b", "kind": "search", "provider": "brave", "queries": ["x"],
             "url": server.url("/res/v1/web/search"), "key_env": "TEST_BRAVE_KEY"}
    with build_client(settings) as guarded:
        source = build_source(table, guarded)
        docs = list(source.fetch(MemoryContext()))
    assert [d.url for d in docs] == [server.url("/found/paste")]
    assert source.stats.skipped == {"blocked_address": 1}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"provider": "bing", "queries": ["x"]}, "provider = 'bing': allowed values: 'brave', 'searxng', 'google'"),
        ({"provider": "searxng", "queries": ["x"]}, "needs 'url'"),
        ({"provider": "brave", "queries": []}, "queries = .*must list at least one query"),
        ({"provider": "brave", "queries": [{"q": "secret words"}]}, "queries\\[0\\] = <value not shown>"),
        ({"provider": "brave", "queries": ["x"], "count": 50}, "count = 50: must be 1..20"),
        ({"provider": "brave"}, "missing required key 'queries'"),
    ],
)
def test_search_config_errors(extra: dict, message: str) -> None:
    from sources import parse_options

    with pytest.raises(ConfigError, match=message) as info:
        parse_options("search", {"name": "s", **extra})
    assert "secret words" not in str(info.value)
