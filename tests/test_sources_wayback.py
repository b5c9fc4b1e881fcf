"""The wayback source against a local CDX server (real JSON samples, resume-key paging)."""
from __future__ import annotations

import pytest

from sources import MemoryContext, build_source, parse_options
from sources.errors import ConfigError, LayoutChanged
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

PAGE1 = fixture_json("wayback-cdx-output-json-resumekey.json")
RESUME = PAGE1[-1][0]
PAGE2 = [PAGE1[0], ["org,archive)/", "19990102030405", "http://archive.org:80/", "text/html", "200",
                    "NEWDIGEST4NEWDIGEST4NEWDIGEST4NE", "1500"]]


def _archive(server: LocalServer) -> None:
    def cdx(seen: Seen) -> object:
        if seen.query.get("resumeKey") == RESUME:
            return json_reply(PAGE2)
        since = seen.query.get("from")
        if since and since != "1997":  # a later run: only captures at or after `from`
            rows = [r for r in PAGE1[1:] + PAGE2[1:] if r and len(r) > 1 and r[1] >= since]
            return json_reply([PAGE1[0], *rows])
        return json_reply(PAGE1)

    server.route("/cdx/search/cdx", cdx)
    for n, row in enumerate(PAGE1[1:] + PAGE2[1:]):
        if len(row) > 1:
            server.route(f"/web/{row[1]}id_/{row[2]}", text_reply(synthetic_rows(2, seed=n)))


def _table(server: LocalServer, **extra: object) -> dict:
    return {"name": "ia", "kind": "wayback", "url": server.base, "patterns": ["archive.org/"],
            "match_type": "prefix", "from": "1997", "limit": 5, **extra}


def test_captures_paged_with_resume_key_and_fetched_raw(server: LocalServer, client) -> None:  # noqa: F811
    _archive(server)
    source = build_source(_table(server), client)
    ctx = MemoryContext()
    docs = list(source.fetch(ctx))
    assert [d.item_id for d in docs] == [
        "19970126045828/http://www.archive.org:80/",
        "19971011050034/http://www.archive.org:80/",
        "19990102030405/http://archive.org:80/",
    ]  # duplicate rows and repeated digests are fetched once
    assert docs[0].url == server.url("/web/19970126045828/http://www.archive.org:80/")
    assert docs[0].metadata == {"mimetype": "text/html", "digest": "Q4YULN754FHV2U6Q5JUT6Q2P57WEWNNY",
                                "length": "1415", "statuscode": "200", "timestamp": "19970126045828",
                                "original": "http://www.archive.org:80/"}
    first, second = server.hits("/cdx/search/cdx")
    assert first.query == {"url": "archive.org/", "output": "json", "filter": "statuscode:200",
                           "collapse": "digest", "showResumeKey": "true", "limit": "5",
                           "matchType": "prefix", "from": "1997"}
    assert second.query["resumeKey"] == RESUME
    assert ctx.cursor["patterns"]["archive.org/"]["from"] == "19990102030405"
    assert ctx.cursor["patterns"]["archive.org/"]["resume"] is None

    assert list(source.fetch(ctx)) == []  # next run lists from the newest capture: nothing new
    assert server.hits("/cdx/search/cdx")[2].query["from"] == "19990102030405"


def test_budgets_carry_over_to_the_next_run(server: LocalServer, client) -> None:  # noqa: F811
    _archive(server)
    source = build_source(_table(server, max_pages=1, max_captures=1), client)
    ctx = MemoryContext()
    got = []
    for _ in range(4):
        got += [d.item_id[:14] for d in source.fetch(ctx)]
    assert got == ["19970126045828", "19971011050034", "19990102030405"]
    assert ctx.cursor["patterns"]["archive.org/"]["resume"] is None


def test_page_limit_saves_the_resume_key(server: LocalServer, client) -> None:  # noqa: F811
    _archive(server)
    source = build_source(_table(server, max_pages=1), client)
    ctx = MemoryContext()
    assert len(list(source.fetch(ctx))) == 2
    assert ctx.cursor["patterns"]["archive.org/"]["resume"] == RESUME
    assert [d.item_id[:14] for d in source.fetch(ctx)] == ["19990102030405"]


def test_empty_and_broken_answers(server: LocalServer, client) -> None:  # noqa: F811
    server.route("/cdx/search/cdx", json_reply([]))
    assert list(build_source(_table(server), client).fetch(MemoryContext())) == []
    server.route("/cdx/search/cdx", text_reply("<html>maintenance</html>"))
    with pytest.raises(LayoutChanged):
        list(build_source(_table(server), client).fetch(MemoryContext()))


def test_wayback_config_errors() -> None:
    with pytest.raises(ConfigError, match="from = '1997-01': must be a timestamp prefix"):
        parse_options("wayback", {"patterns": ["x"], "from": "1997-01"})
    with pytest.raises(ConfigError, match="match_type = 'all': must be one of 'exact', 'prefix'"):
        parse_options("wayback", {"patterns": ["x"], "match_type": "all"})
    with pytest.raises(ConfigError, match="missing required key 'patterns'"):
        parse_options("wayback", {})
