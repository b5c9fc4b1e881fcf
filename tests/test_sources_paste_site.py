"""The config-only paste-site source against a simulated paste site on 127.0.0.1."""
from __future__ import annotations

import pytest

from sources import MemoryContext, build_source, parse_options
from sources.errors import ConfigError, LayoutChanged
from sources_testserver import (  # noqa: F401 - fixtures
    LocalServer,
    client,
    html_reply,
    server,
    synthetic_rows,
    text_reply,
)

IDS = ["Ab3dE6gH", "Zx9yW8vU", "Qq1Rr2Ss"]


def _site(server: LocalServer, ids: list[str]) -> None:
    rows = "".join(
        f'<tr><td><a class="title" href="/p/{i}">untitled</a></td><td><a href="/u/someone">u</a></td></tr>'
        for i in ids
    )
    server.route("/archive", html_reply(
        f"<html><body><nav><a href='/'>home</a></nav><table class='maintable'>{rows}</table></body></html>"))
    server.route("/raw", lambda s: text_reply("x"))
    for n, i in enumerate(ids):
        server.route(f"/raw/{i}", text_reply(synthetic_rows(4, seed=n)))


def test_css_selector_and_raw_template(server: LocalServer, client) -> None:  # noqa: F811
    _site(server, IDS + [IDS[0]])
    table = {
        "name": "fake-pastes", "kind": "paste-site", "listing_url": server.url("/archive"),
        "item_selector": "table.maintable a.title", "id_regex": r"/p/(?P<id>[A-Za-z0-9]{8})$",
        "raw_url": "/raw/{id}",
    }
    source = build_source(table, client)
    ctx = MemoryContext()
    docs = list(source.fetch(ctx))
    assert [d.item_id for d in docs] == IDS
    assert docs[0].url == server.url(f"/p/{IDS[0]}")
    assert docs[0].metadata == {"raw_url": server.url(f"/raw/{IDS[0]}")}
    assert docs[1].content == synthetic_rows(4, seed=1).encode()
    assert list(source.fetch(ctx)) == []
    assert len(server.hits(f"/raw/{IDS[0]}")) == 1  # seen ids are not fetched again

    _site(server, ["Nn0Mm9Ll", *IDS])  # a new paste appears on top
    server.route("/raw/Nn0Mm9Ll", text_reply(synthetic_rows(2, seed=9)))
    assert [d.item_id for d in source.fetch(ctx)] == ["Nn0Mm9Ll"]


def test_regex_with_id_group_and_page_template(server: LocalServer, client) -> None:  # noqa: F811
    _site(server, IDS)
    table = {
        "name": "rx", "kind": "paste-site", "url": server.url("/archive"),
        "item_regex": r'href="/p/(?P<id>\w{8})"', "raw_url": server.url("/raw/{id}"),
        "page_url": "https://paste.example/{id}", "max_items": 2,
    }
    docs = list(build_source(table, client).fetch(MemoryContext()))
    assert [(d.item_id, d.url) for d in docs] == [(i, f"https://paste.example/{i}") for i in IDS[:2]]


def test_item_links_fetched_directly_without_raw_template(server: LocalServer, client) -> None:  # noqa: F811
    _site(server, IDS)
    for i in IDS:
        server.route(f"/p/{i}", text_reply(f"paste {i}"))
    table = {"name": "direct", "kind": "paste-site", "listing_url": server.url("/archive"),
             "item_selector": "a.title"}
    docs = list(build_source(table, client).fetch(MemoryContext()))
    assert [d.content for d in docs] == [f"paste {i}".encode() for i in IDS]


def test_selector_matching_nothing_is_layout_change(server: LocalServer, client) -> None:  # noqa: F811
    server.route("/archive", html_reply("<html><body><div class='new-layout'></div></body></html>"))
    table = {"name": "broken", "kind": "paste-site", "listing_url": server.url("/archive"),
             "item_selector": "table.maintable a.title", "raw_url": "/raw/{id}"}
    with pytest.raises(LayoutChanged, match="no items found"):
        list(build_source(table, client).fetch(MemoryContext()))
    quiet = build_source({**table, "allow_empty": True}, client)
    assert list(quiet.fetch(MemoryContext())) == []


def test_dead_item_is_skipped_not_fatal(server: LocalServer, client) -> None:  # noqa: F811
    _site(server, IDS)
    server.routes.pop(f"/raw/{IDS[1]}")
    table = {"name": "s", "kind": "paste-site", "listing_url": server.url("/archive"),
             "item_selector": "a.title", "raw_url": "/raw/{id}"}
    source = build_source(table, client)
    assert [d.item_id for d in source.fetch(MemoryContext())] == [IDS[0], IDS[2]]
    assert source.stats.skipped == {"not_found": 1}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"item_selector": "a[[", "raw_url": "/r/{id}"}, "item_selector = 'a\\[\\[': not a valid CSS selector"),
        ({"item_selector": "a", "item_regex": "x"}, "exactly one of 'item_selector'"),
        ({}, "exactly one of 'item_selector'"),
        ({"item_selector": "a", "raw_url": "/raw/"}, "raw_url = '/raw/': must contain {id}"),
        ({"item_regex": "(unclosed"}, "item_regex = '\\(unclosed': not a valid regular expression"),
        ({"item_regex": "(?P<id>\\w+)"}, "'raw_url' is required"),
        ({"item_selector": "a", "max_items": 0}, "max_items = 0: must be 1..1000"),
        ({"item_selector": "a", "colour": "red"}, "colour = 'red': unknown key; allowed keys: .*item_selector"),
    ],
)
def test_config_errors_name_key_value_and_allowed(extra: dict, message: str) -> None:
    table = {"name": "cfg", "kind": "paste-site", "listing_url": "https://paste.example/archive", **extra}
    with pytest.raises(ConfigError, match=r"source 'cfg' \(paste-site\): .*" + message):
        parse_options("paste-site", table)


def test_listing_url_is_required() -> None:
    with pytest.raises(ConfigError, match="missing required key 'listing_url'"):
        parse_options("paste-site", {"item_selector": "a"})


@pytest.mark.parametrize("how", [{"item_selector": "a.title"}, {"item_regex": r'class="title" href="([^"]*)"'}])
def test_bad_item_links_are_skipped_not_fatal(server: LocalServer, client, how: dict) -> None:  # noqa: F811
    # A listing is hostile input: an unparsable link and an octal-IP link cost those items only.
    server.route("/archive", html_reply(
        f'<a class="title" href="http://[::1/p/{IDS[0]}">a</a>'
        f'<a class="title" href="http://0177.0.0.1/p/{IDS[1]}">b</a>'
        f'<a class="title" href="/p/{IDS[2]}">c</a>'))
    server.route(f"/p/{IDS[2]}", text_reply("the good one"))
    source = build_source({"name": "s", "kind": "paste-site", "listing_url": server.url("/archive"), **how}, client)
    assert [d.item_id for d in source.fetch(MemoryContext())] == [IDS[2]]
    assert source.stats.skipped == {"invalid_url": 2}
