"""The watch source: conditional GET with ETag / Last-Modified against a local mirror."""
from __future__ import annotations

import hashlib

import pytest

from sources import MemoryContext, build_source, parse_options
from sources.errors import ConfigError
from sources_testserver import LocalServer, Reply, Seen, client, server, synthetic_rows  # noqa: F401


class Mirror:
    """A file that answers 304 to a matching If-None-Match or If-Modified-Since."""

    def __init__(self, body: str, etag: bool = True) -> None:
        self.body = body.encode()
        self.etag = etag
        self.modified = "Tue, 02 Jan 2024 03:04:05 GMT"

    def __call__(self, seen: Seen) -> Reply:
        tag = '"' + hashlib.sha1(self.body).hexdigest()[:12] + '"'
        headers = {"Content-Type": "text/csv", "Last-Modified": self.modified}
        if self.etag:
            headers["ETag"] = tag
            if seen.headers.get("if-none-match") == tag:
                return Reply(304, b"", headers)
        elif seen.headers.get("if-modified-since") == self.modified:
            return Reply(304, b"", headers)
        return Reply(200, self.body, headers)


def test_conditional_get_and_change_detection(server: LocalServer, client) -> None:  # noqa: F811
    by_etag, by_date = Mirror(synthetic_rows(4, seed=1)), Mirror(synthetic_rows(4, seed=2), etag=False)
    server.route("/mirror/a.csv", by_etag)
    server.route("/mirror/b.csv", by_date)
    server.route("/mirror/c.csv", lambda s: Reply(200, b"same bytes every time", {"Content-Type": "text/plain"}))
    urls = [server.url(f"/mirror/{n}.csv") for n in "abc"]
    source = build_source({"name": "w", "kind": "watch", "urls": urls[1:], "url": urls[0]}, client)
    ctx = MemoryContext()

    first = list(source.fetch(ctx))
    assert [d.url for d in first] == urls and [d.item_id for d in first] == urls
    assert first[0].metadata["etag"].startswith('"') and first[0].content_type == "text/csv"
    assert ctx.validators[urls[1]] == {"last_modified": "Tue, 02 Jan 2024 03:04:05 GMT"}

    assert list(source.fetch(ctx)) == []
    assert source.stats.skipped == {"not_modified": 2, "unchanged": 1}
    assert server.hits("/mirror/a.csv")[1].headers["if-none-match"] == first[0].metadata["etag"]

    by_etag.body = synthetic_rows(5, seed=3).encode()  # the mirror was updated
    changed = list(source.fetch(ctx))
    assert [d.url for d in changed] == [urls[0]] and changed[0].content == by_etag.body


def test_validators_saved_only_after_the_document_was_handled(server: LocalServer, client) -> None:  # noqa: F811
    server.route("/m", Mirror("synthetic"))
    source = build_source({"name": "w", "kind": "watch", "urls": [server.url("/m")]}, client)
    ctx = MemoryContext()
    run = source.fetch(ctx)
    next(run)
    run.close()  # crash while scanning: nothing stored, the next run gets the full body again
    assert ctx.validators == {} and ctx.seen == {}
    assert len(list(source.fetch(ctx))) == 1


def test_dead_url_does_not_stop_the_others(server: LocalServer, client) -> None:  # noqa: F811
    server.route("/ok", Mirror("fine"))
    source = build_source({"name": "w", "kind": "watch", "urls": [server.url("/gone"), server.url("/ok")]}, client)
    assert [d.url for d in source.fetch(MemoryContext())] == [server.url("/ok")]
    assert source.stats.skipped == {"not_found": 1}


def test_a_bad_url_in_the_list_costs_that_url_only(server: LocalServer, client) -> None:  # noqa: F811
    # 0177.0.0.1 is octal 127.0.0.1; httpx used to raise InvalidURL out of the run for it.
    server.route("/a", Mirror("first"))
    server.route("/b", Mirror("second"))
    server.route("/hop", Reply(302, b"", {"Location": "http://0x7f.1/elsewhere"}))
    urls = [server.url("/a"), "http://0177.0.0.1/", "http://127.0.0.1:99999/", server.url("/hop"), server.url("/b")]
    source = build_source({"name": "w", "kind": "watch", "urls": urls}, client)
    assert [d.url for d in source.fetch(MemoryContext())] == [server.url("/a"), server.url("/b")]
    assert source.stats.skipped == {"invalid_url": 3}


def test_an_unparsable_configured_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"urls\[0\] = 'http://\[::1': must be an absolute"):
        parse_options("watch", {"name": "w", "kind": "watch", "urls": ["http://[::1"]})
