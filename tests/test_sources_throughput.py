"""Per-source throughput against local servers (items/s, MB/s); run with ``-s`` to see the table.

The figures measure the client and the source code (listing, parsing, seen checks,
fetching), not the internet: politeness delay is off and the server is on 127.0.0.1.
Each kind fetches N synthetic items of about 20 KB.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sources import MemoryContext, build_source
from sources.http import build_client
from sources_testserver import (  # noqa: F401 - fixtures
    LocalServer,
    Reply,
    Seen,
    fixture_json,
    html_reply,
    json_reply,
    server,
    synthetic_rows,
    test_settings,
    text_reply,
)

N = 200
BODY = synthetic_rows(560, seed=7)  # about 20 KB
RESULTS: dict[str, tuple[int, int, float]] = {}


def _items(server: LocalServer, prefix: str) -> list[str]:
    paths = [f"{prefix}{i:05d}" for i in range(N)]
    for i, path in enumerate(paths):
        server.route(path, text_reply(f"{i}\n{BODY}"))
    return paths


def _pastebin(server: LocalServer, tmp: Path) -> dict:
    listing = [dict(fixture_json("pastebin-api-scraping.json")[0], key=f"k{i:07d}", full_url=f"https://pastebin.com/k{i:07d}")
               for i in range(N)]
    server.route("/api_scraping.php", json_reply(listing))
    server.route("/api_scrape_item.php", lambda s: text_reply(f"{s.query['i']}\n{BODY}"))
    return {"kind": "pastebin", "url": server.base, "limit": N}


def _gists(server: LocalServer, tmp: Path) -> dict:
    template = fixture_json("github-gists-public.json")[0]
    paths = _items(server, "/raw/")
    gists = [dict(template, id=f"g{i:07d}", updated_at="2024-01-01T00:00:00Z",
                  files={"f.txt": {"filename": "f.txt", "raw_url": server.url(p), "size": len(BODY)}})
             for i, p in enumerate(paths)]
    server.route("/gists/public", lambda s: json_reply(gists[:100] if s.query.get("page") != "2" else gists[100:],
                                                      headers={"Link": f'<{server.url("/gists/public")}?page=2>; rel="next"'}
                                                      if s.query.get("page") != "2" else {}))
    return {"kind": "gists", "url": server.base, "per_page": 100}


def _paste_site(server: LocalServer, tmp: Path) -> dict:
    _items(server, "/raw/")
    server.route("/archive", html_reply("".join(f"<a class='p' href='/p/{i:05d}'>x</a>" for i in range(N))))
    return {"kind": "paste-site", "listing_url": server.url("/archive"), "item_selector": "a.p",
            "raw_url": "/raw/{id}", "max_items": N}


def _search(server: LocalServer, tmp: Path) -> dict:
    urls = [server.url(p) for p in _items(server, "/r/")]
    answer = fixture_json("searxng-search.json")

    def search(seen: Seen) -> Reply:
        q = int(seen.query["q"].split()[-1])
        return json_reply(dict(answer, results=[{"url": u} for u in urls[q * 20:(q + 1) * 20]]))

    server.route("/search", search)
    return {"kind": "search", "provider": "searxng", "url": server.base, "count": 20, "max_results": N,
            "queries": [f"header row {q}" for q in range(N // 20)]}


def _watch(server: LocalServer, tmp: Path) -> dict:
    return {"kind": "watch", "urls": [server.url(p) for p in _items(server, "/m/")]}


def _wayback(server: LocalServer, tmp: Path) -> dict:
    header = fixture_json("wayback-cdx-output-json.json")[0]
    rows = []
    for i in range(N):
        ts, original = f"2020{i:010d}", f"http://files.example.org/f{i}"
        rows.append(["org,example)/", ts, original, "text/plain", "200", f"D{i:031d}", "20000"])
        server.route(f"/web/{ts}id_/{original}", text_reply(f"{i}\n{BODY}"))
    server.route("/cdx/search/cdx", json_reply([header, *rows]))
    return {"kind": "wayback", "url": server.base, "patterns": ["files.example.org/*"], "limit": 1000,
            "max_captures": N}


def _crawl(server: LocalServer, tmp: Path) -> dict:
    paths = _items(server, "/files/")
    server.route("/", html_reply("".join(f"<a href='{p}'>f</a>" for p in paths)))
    return {"kind": "crawl", "url": server.url("/"), "max_pages": N + 1, "robots": False}


def _folder(server: LocalServer, tmp: Path) -> dict:
    for i in range(N):
        (tmp / f"f{i:05d}.txt").write_text(f"{i}\n{BODY}")
    return {"kind": "folder", "path": str(tmp), "settle_seconds": 0}


SETUPS: dict[str, Callable[[LocalServer, Path], dict]] = {
    "pastebin": _pastebin, "gists": _gists, "paste-site": _paste_site, "search": _search,
    "watch": _watch, "wayback": _wayback, "crawl": _crawl, "folder": _folder,
}


@pytest.mark.parametrize("kind", list(SETUPS))
def test_throughput(kind: str, server: LocalServer, tmp_path: Path) -> None:  # noqa: F811
    table = {"name": f"bench-{kind}", **SETUPS[kind](server, tmp_path)}
    with build_client(test_settings(per_host_concurrency=4)) as client:
        source = build_source(table, client)
        started = time.perf_counter()
        docs = list(source.fetch(MemoryContext()))
        elapsed = time.perf_counter() - started
    size = sum(len(d.content) for d in docs)
    assert len(docs) >= N
    RESULTS[kind] = (len(docs), size, elapsed)
    print(f"\n{kind:<11} {len(docs):>4} items {size / 1e6:6.2f} MB in {elapsed:5.2f} s: "
          f"{len(docs) / elapsed:7.0f} items/s {size / 1e6 / elapsed:6.1f} MB/s")


def test_throughput_summary() -> None:
    if RESULTS:
        print("\n" + json.dumps({k: {"items_per_s": round(n / t), "mb_per_s": round(b / 1e6 / t, 1)}
                                 for k, (n, b, t) in RESULTS.items()}))
