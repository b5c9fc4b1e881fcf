"""The gists source against a local server shaped like GitHub's REST API (real list sample)."""
from __future__ import annotations

import copy
import time

import pytest

from sources import MemoryContext, build_source
from sources.errors import AuthError, ConfigError, RateLimited
from sources_testserver import (  # noqa: F401 - fixtures
    LocalServer,
    Reply,
    Seen,
    client,
    fixture_json,
    json_reply,
    server,
    synthetic_rows,
    text_reply,
)


def _gist(server: LocalServer, template: dict, gist_id: str, updated: str) -> dict:
    """The real sample gist, re-keyed and with raw_url pointing at the local server."""
    gist = copy.deepcopy(template)
    gist["id"] = gist_id
    gist["html_url"] = f"https://gist.github.com/{gist_id}"
    gist["updated_at"] = updated
    for name, info in gist["files"].items():
        path = f"/raw/{gist_id}/{name}"
        info["raw_url"] = server.url(path)
        server.route(path, text_reply(synthetic_rows(3, seed=int(gist_id[:4], 16))))
    return gist


def _two_pages(server: LocalServer, headers: dict[str, str] | None = None) -> None:
    template = fixture_json("github-gists-public.json")[0]
    page1 = [_gist(server, template, "aa5a315d61ae9438b18d", "2011-06-20T11:34:15Z"),
             _gist(server, template, "bb5a315d61ae9438b18e", "2011-06-20T11:35:00Z")]
    page2 = [_gist(server, template, "cc5a315d61ae9438b18f", "2011-06-19T08:00:00Z")]

    def listing(seen: Seen) -> Reply:
        if seen.query.get("page") == "2":
            return json_reply(page2, headers=headers)
        link = f'<{server.url("/gists/public")}?per_page=2&page=2>; rel="next", <x>; rel="last"'
        return json_reply(page1, headers={"Link": link, **(headers or {})})

    server.route("/gists/public", listing)


def test_files_of_public_gists_with_token_and_cursor(server: LocalServer, client, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("TEST_GH_TOKEN", "tok-123")
    _two_pages(server, {"X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": str(int(time.time()) + 3600)})
    table = {"name": "gh", "kind": "gists", "url": server.base, "per_page": 2, "token_env": "TEST_GH_TOKEN"}
    source = build_source(table, client)
    ctx = MemoryContext()
    docs = list(source.fetch(ctx))
    assert [d.item_id for d in docs] == [
        "aa5a315d61ae9438b18d/hello_world.rb", "bb5a315d61ae9438b18e/hello_world.rb",
        "cc5a315d61ae9438b18f/hello_world.rb",
    ]
    assert docs[0].url == "https://gist.github.com/aa5a315d61ae9438b18d"
    assert docs[0].metadata["language"] == "Ruby" and docs[0].metadata["gist_id"] == "aa5a315d61ae9438b18d"
    assert ctx.cursor == {"since": "2011-06-20T11:35:00Z"}
    listing = server.hits("/gists/public")
    assert listing[0].query == {"per_page": "2"}
    assert all(r.headers["authorization"] == "Bearer tok-123" for r in listing)
    assert listing[0].headers["accept"] == "application/vnd.github+json"
    raw = [r for r in server.requests if r.path.startswith("/raw/")]
    assert raw and all("authorization" not in r.headers for r in raw)

    assert list(source.fetch(ctx)) == []  # same files again: nothing new
    assert server.hits("/gists/public")[2].query["since"] == "2011-06-20T11:35:00Z"


def test_exhausted_rate_limit_stops_paging(server: LocalServer, client) -> None:  # noqa: F811
    reset = int(time.time()) + 600
    _two_pages(server, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)})
    source = build_source({"name": "gh", "kind": "gists", "url": server.base}, client)
    ctx = MemoryContext()
    docs = []
    with pytest.raises(RateLimited) as info:
        for doc in source.fetch(ctx):
            docs.append(doc)
    assert len(docs) == 2 and len(server.hits("/gists/public")) == 1
    assert 590 <= info.value.retry_after <= 600
    assert ctx.cursor == {"since": "2011-06-20T11:35:00Z"}


def test_403_rate_limit_answer(server: LocalServer, client) -> None:  # noqa: F811
    server.route("/gists/public", json_reply(
        {"message": "API rate limit exceeded"}, 403,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 60)}))
    source = build_source({"name": "gh", "kind": "gists", "url": server.base}, client)
    with pytest.raises(RateLimited) as info:
        list(source.fetch(MemoryContext()))
    assert info.value.failure_class == "rate_limited" and info.value.retry_after <= 60


def test_secondary_limit_with_retry_after(server: LocalServer, client) -> None:  # noqa: F811
    server.route("/gists/public", json_reply({"message": "secondary rate limit"}, 403, {"Retry-After": "30"}))
    source = build_source({"name": "gh", "kind": "gists", "url": server.base}, client)
    with pytest.raises(RateLimited) as info:
        list(source.fetch(MemoryContext()))
    assert info.value.retry_after == 30


def test_bad_token_is_auth_error(server: LocalServer, client, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("TEST_GH_TOKEN", "wrong")
    server.route("/gists/public", json_reply({"message": "Bad credentials"}, 401))
    source = build_source({"name": "gh", "kind": "gists", "url": server.base, "token_env": "TEST_GH_TOKEN"}, client)
    with pytest.raises(AuthError):
        list(source.fetch(MemoryContext()))


def test_missing_token_variable_is_config_error(server: LocalServer, client, monkeypatch) -> None:  # noqa: F811
    monkeypatch.delenv("TEST_GH_TOKEN", raising=False)
    source = build_source({"name": "gh", "kind": "gists", "url": server.base, "token_env": "TEST_GH_TOKEN"}, client)
    with pytest.raises(ConfigError, match="environment variable TEST_GH_TOKEN is not set"):
        list(source.fetch(MemoryContext()))
    assert server.requests == []
