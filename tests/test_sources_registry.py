"""The plugin registry, option validation and the in-memory context."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from sources import MemoryContext, Source, SourceContext, build_source, parse_options, source_class, source_kinds
from sources.errors import ConfigError, UnsafeQuery
from sources.http import build_client
from sources.pastebin import Pastebin, PastebinOptions
from sources_testserver import test_settings

KINDS = ["crawl", "folder", "gists", "paste-site", "pastebin", "search", "watch", "wayback"]


def test_every_kind_is_registered() -> None:
    assert source_kinds() == KINDS
    assert source_class("pastebin") is Pastebin


def test_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(ConfigError, match="kind = 'pastbin': unknown source kind; allowed kinds: crawl, folder"):
        source_class("pastbin")


def test_parse_options_ignores_the_scheduler_keys() -> None:
    table = {"name": "pb", "kind": "pastebin", "interval": "5m", "enabled": True, "limit": 50}
    assert parse_options("pastebin", table) == PastebinOptions(limit=50)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"limit": 251}, r"source 'pb' \(pastebin\): limit = 251: must be 1..250"),
        ({"limit": "100"}, r"limit = '100': must be an integer"),
        ({"limit": True}, r"limit = True: must be an integer"),
        ({"url": "ftp://x"}, r"url = 'ftp://x': must be an absolute http:// or https:// URL"),
        ({"lmit": 5}, r"lmit = 5: unknown key; allowed keys: limit, url"),
    ],
)
def test_option_errors_name_key_value_and_allowed(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_options("pastebin", {"name": "pb", **table})


def test_option_types_are_checked_deeply() -> None:
    with pytest.raises(ConfigError, match=r"urls\[1\] = 3: must be a string"):
        parse_options("watch", {"urls": ["https://a.example/", 3]})
    with pytest.raises(ConfigError, match=r"max_depth = 1.5: must be an integer"):
        parse_options("crawl", {"url": "https://a.example/", "max_depth": 1.5})
    assert parse_options("folder", {"path": "/tmp", "settle_seconds": 1}).settle_seconds == 1.0


def test_build_source_needs_name_and_kind() -> None:
    with build_client(test_settings()) as client:
        with pytest.raises(ConfigError, match="missing required key 'name'"):
            build_source({"kind": "pastebin"}, client)
        source = build_source({"name": "pb", "kind": "pastebin"}, client)
    assert source.name == "pb" and source.kind == "pastebin" and source.options.url == "https://scrape.pastebin.com"


def test_a_kind_cannot_be_registered_twice() -> None:
    with pytest.raises(TypeError, match="already registered"):

        @dataclass
        class Other(Source, kind="pastebin"):  # noqa: F841
            pass


def test_memory_context() -> None:
    ctx = MemoryContext(is_unsafe=lambda q: "secret" in q)
    assert isinstance(ctx, SourceContext)
    assert not ctx.is_seen("k")
    ctx.mark_seen("k", "https://x/k", "aa")
    assert ctx.is_seen("k") and ctx.is_seen("k", "aa") and not ctx.is_seen("k", "bb")
    cursor = {"a": [1]}
    ctx.set_cursor(cursor)
    cursor["a"].append(2)
    assert ctx.get_cursor() == {"a": [1]}
    ctx.check_query("fine")
    with pytest.raises(UnsafeQuery) as info:
        ctx.check_query("a secret")
    assert "secret" not in str(info.value)
