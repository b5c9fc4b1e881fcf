"""The simulated paste site, read by the real paste-site and pastebin sources over 127.0.0.1."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from monitor_support import simulated_site

from sources.base import source_class
from sources.context import MemoryContext
from sources.http import HttpSettings, build_client
from tracker.simsite import SimSite, config_for, list_pastes, paste_key, publish


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SimSite]:
    with simulated_site(tmp_path) as running:
        yield running


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_publish_is_atomic_and_listing_is_newest_first(site: SimSite) -> None:
    publish(site.directory, "first", "one\n")
    time.sleep(0.01)
    later = site.publish("second", b"two\n", suffix=".csv")
    os.utime(later, (time.time() + 5, time.time() + 5))
    (site.directory / ".hidden.tmp").write_text("half a file")
    (site.directory / "bad name!.txt").write_text("x")
    assert [p.key for p in list_pastes(site.directory)] == ["second", "first"]
    assert paste_key(site.directory / ".hidden.tmp") is None
    with pytest.raises(ValueError, match="paste key"):
        publish(site.directory, "../escape", "x")
    status, _, body = get(site.url + "/archive")
    assert status == 200
    assert body.index(b'href="/view/second"') < body.index(b'href="/view/first"')
    status, headers, body = get(site.url + "/raw/second")
    assert (status, body) == (200, b"two\n") and headers["Content-Type"].startswith("text/csv")
    assert get(site.url + "/raw/second", {"If-None-Match": headers["ETag"]})[0] == 304
    assert get(site.url + "/raw/nope")[0] == 404
    assert b"<pre>one\n</pre>" in get(site.url + "/view/first")[2]


def test_pastebin_api_shape(site: SimSite) -> None:
    site.publish("abc123", "hello\n")
    status, _, body = get(site.url + "/api_scraping.php?limit=5")
    items = json.loads(body)
    assert status == 200 and items[0]["key"] == "abc123" and items[0]["size"] == "6"
    assert items[0]["scrape_url"] == f"{site.url}/api_scrape_item.php?i=abc123"
    assert all(isinstance(v, str) for v in items[0].values())          # Pastebin sends strings
    assert get(site.url + "/api_scrape_item.php?i=abc123")[2] == b"hello\n"
    status, _, body = get(site.url + "/api_scrape_item.php?i=zzz")      # errors come as 200 + text
    assert (status, body) == (200, b"Error, we cannot find this paste.")


def paste_site_source(url: str):  # type: ignore[no-untyped-def]
    from sources.base import parse_options

    options = parse_options("paste-site", {"listing_url": f"{url}/archive", "item_selector": "a.paste",
                                           "raw_url": f"{url}/raw/{{id}}", "page_url": f"{url}/view/{{id}}"})
    client = build_client(HttpSettings(allow_private_addresses=True, per_host_delay=0))
    return source_class("paste-site")("sim", options, client), client


def test_real_paste_site_source_reads_it(site: SimSite) -> None:
    site.publish("p1", "alpha\n")
    source, client = paste_site_source(site.url)
    ctx = MemoryContext()
    try:
        docs = list(source.fetch(ctx))
        assert [(d.item_id, d.url, d.content) for d in docs] == [("p1", f"{site.url}/view/p1", b"alpha\n")]
        site.publish("p2", "beta\n")
        assert [d.item_id for d in source.fetch(ctx)] == ["p2"]          # p1 was seen
    finally:
        client.close()


def test_real_pastebin_source_reads_it(site: SimSite) -> None:
    from sources.base import parse_options

    site.publish("k1", "gamma\n")
    client = build_client(HttpSettings(allow_private_addresses=True, per_host_delay=0))
    source = source_class("pastebin")("pb", parse_options("pastebin", {"url": site.url, "limit": 10}), client)
    try:
        docs = list(source.fetch(MemoryContext()))
        assert [(d.item_id, d.content) for d in docs] == [("k1", b"gamma\n")]
    finally:
        client.close()


def test_loopback_only(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="loopback"):
        SimSite(tmp_path, host="0.0.0.0")
    with pytest.raises(FileNotFoundError):
        SimSite(tmp_path / "missing")


def test_command_line_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    publish(tmp_path, "cli", "delta\n")
    proc = subprocess.Popen([sys.executable, "-m", "tracker.simsite", "--port", "0", "--dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("simsite: serving ")
        url = line.split()[-1]
        assert get(url + "/raw/cli")[2] == b"delta\n"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    bad = subprocess.run([sys.executable, "-m", "tracker.simsite", "--host", "10.0.0.1", "--dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "loopback" in bad.stderr


def test_config_for_is_a_valid_config(tmp_path: Path) -> None:
    from tracker.config import load_config

    path = tmp_path / "tracker.toml"
    path.write_text(config_for("http://127.0.0.1:8765"), encoding="utf-8")
    [src] = load_config(path).sources
    assert (src.name, src.kind, src.interval) == ("simsite", "paste-site", 60.0)
    assert src.options.raw_url == "http://127.0.0.1:8765/raw/{id}"
