"""The pastebin source against a local server speaking the scraping API (real listing samples)."""
from __future__ import annotations

import pytest

from sources import MemoryContext, build_source
from sources.errors import AuthError, LayoutChanged
from sources_testserver import (  # noqa: F401 - fixtures
    LocalServer,
    Seen,
    client,
    fixture_json,
    json_reply,
    server,
    synthetic_rows,
    text_reply,
)

ERRORS = fixture_json("pastebin-scraping-error-bodies.json")


def _pastebin(server: LocalServer, bodies: dict[str, object]) -> list[dict[str, str]]:
    """Serve the real listing (plus the docs' example item, twice) and the given item bodies."""
    listing = fixture_json("pastebin-api-scraping.json") + fixture_json("pastebin-api-scraping-doc-example.json") * 2
    server.route("/api_scraping.php", json_reply(listing))

    def item(seen: Seen) -> object:
        body = bodies[seen.query["i"]]
        return text_reply(body() if callable(body) else body)

    server.route("/api_scrape_item.php", item)
    return listing


def test_new_pastes_are_yielded_once(server: LocalServer, client) -> None:  # noqa: F811
    not_ready = iter([ERRORS["item_not_ready"], synthetic_rows(3, seed=4)])
    bodies = {
        "wPd7GnUx": synthetic_rows(5, seed=1),
        "d4w8sxtT": synthetic_rows(5, seed=2),
        "wUY8GfqR": ERRORS["item_deleted"],
        "HtC9eWDN": lambda: next(not_ready),
        "0CeaNm8Y": synthetic_rows(2, seed=3),
    }
    _pastebin(server, bodies)
    source = build_source({"name": "pb", "kind": "pastebin", "url": server.base, "limit": 250}, client)
    ctx = MemoryContext()
    docs = list(source.fetch(ctx))
    assert [d.item_id for d in docs] == ["wPd7GnUx", "d4w8sxtT", "0CeaNm8Y"]
    first = docs[0]
    assert first.source == "pb" and first.url == "http://pastebin.com/wPd7GnUx"
    assert first.content == synthetic_rows(5, seed=1).encode()
    assert first.metadata == {"key": "wPd7GnUx", "date": 1489459410, "size": 3692, "expire": 0, "syntax": "text"}
    assert "title" not in docs[2].metadata and "user" not in docs[2].metadata  # poster-written text
    assert server.hits("/api_scraping.php")[0].query == {"limit": "250"}
    assert source.stats.skipped == {"not_ready": 1, "deleted": 1}
    assert len(server.hits("/api_scrape_item.php")) == 5  # the duplicated key is asked once

    again = list(source.fetch(ctx))
    assert [d.item_id for d in again] == ["HtC9eWDN"]  # was not ready; seen ones not re-fetched
    assert len(server.hits("/api_scrape_item.php")) == 6


def test_document_is_marked_seen_only_after_the_consumer_is_done(server: LocalServer, client) -> None:  # noqa: F811
    _pastebin(server, {k: synthetic_rows(1, seed=i) for i, k in enumerate(
        ["wPd7GnUx", "d4w8sxtT", "wUY8GfqR", "HtC9eWDN", "0CeaNm8Y"])})
    source = build_source({"name": "pb", "kind": "pastebin", "url": server.base}, client)
    ctx = MemoryContext()
    run = source.fetch(ctx)
    next(run)  # the consumer got the first paste and "crashed" while scanning it
    run.close()
    assert ctx.seen == {}
    assert len(list(source.fetch(ctx))) == 5


def test_ip_not_whitelisted_on_listing_is_auth_error(server: LocalServer, client) -> None:  # noqa: F811
    server.route("/api_scraping.php", text_reply(ERRORS["ip_not_whitelisted"]))
    source = build_source({"name": "pb", "kind": "pastebin", "url": server.base}, client)
    with pytest.raises(AuthError) as info:
        list(source.fetch(MemoryContext()))
    assert info.value.failure_class == "auth" and "1.1.1.1" not in str(info.value)


def test_ip_not_whitelisted_on_item_is_auth_error(server: LocalServer, client) -> None:  # noqa: F811
    _pastebin(server, {"wPd7GnUx": "THIS IP: 1.1.1.1 DOES NOT HAVE ACCESS. VISIT: https://pastebin.com/doc_scraping_api"})
    source = build_source({"name": "pb", "kind": "pastebin", "url": server.base}, client)
    with pytest.raises(AuthError):
        list(source.fetch(MemoryContext()))


@pytest.mark.parametrize("body", ["<html><body>Cloudflare</body></html>", '{"error": "x"}', '[{"nokey": 1}]'])
def test_unexpected_listing_is_layout_change(server: LocalServer, client, body: str) -> None:  # noqa: F811
    server.route("/api_scraping.php", text_reply(body))
    source = build_source({"name": "pb", "kind": "pastebin", "url": server.base}, client)
    with pytest.raises(LayoutChanged):
        list(source.fetch(MemoryContext()))
