"""One run of a source end to end: real sources, real local HTTP servers, real pipeline, real database."""
from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from monitor_support import counts, paste_site_config, register_leak, scalar, simulated_site, write_config
from typer.testing import CliRunner

from tracker.cli import app
from tracker.config import load_config
from tracker.db import session_scope
from tracker.monitor import state as store
from tracker.monitor.service import Monitor
from tracker.settings import Settings
from tracker.simsite import SimSite


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SimSite]:
    with simulated_site(tmp_path) as running:
        yield running


def cli(app: object, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))  # type: ignore[arg-type]
    return result.exit_code, result.stdout, result.stderr


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class _Canned(http.server.BaseHTTPRequestHandler):
    """Answers every GET with the server's canned (status, headers, body); counts requests."""

    def do_GET(self) -> None:  # noqa: N802
        status, headers, body = self.server.answer  # type: ignore[attr-defined]
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def canned() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    server.answer = (200, {}, b"")  # type: ignore[attr-defined]
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_run_once_finds_a_repost_and_never_rescans(tracker_home: Path, db_url: str, site: SimSite,  # type: ignore[no-untyped-def]
                                                   synthetic_leak, tmp_path: Path) -> None:
    register_leak(app, synthetic_leak.path)
    write_config(tracker_home, paste_site_config(site.url))
    synthetic_leak.repost_csv(site.directory / "leak01.txt", range(0, 12))
    site.publish("notes", "meeting notes, nothing personal\n")

    code, out, err = cli(app, "run", "--once", "--json")
    assert code == 0, err
    [report] = json_lines(out)
    assert (report["source"], report["status"], report["items"], report["hits"], report["new_hits"]) == \
        ("sim", "ok", 2, 1, 1)
    code, out, _ = cli(app, "hits", "list", "--json")
    [hit] = json_lines(out)
    assert hit_source(hit) == f"{site.url}/view/leak01"
    assert counts(db_url)["source_items"] == 2

    # the next run scans nothing again; a paste published in between is picked up
    code, out, _ = cli(app, "run", "--once", "--json")
    assert json_lines(out)[0]["items"] == 0
    synthetic_leak.repost_csv(site.directory / "leak02.txt", range(20, 30))
    code, out, _ = cli(app, "run", "--once", "--json")
    [report] = json_lines(out)
    assert (report["items"], report["new_hits"]) == (1, 1)
    after = counts(db_url)
    assert (after["source_items"], after["documents"], after["hits"]) == (3, 2, 2)  # clean pastes leave no row

    code, out, err = cli(app, "sources", "status", "--json")
    assert code == 0, err
    [health] = json_lines(out)
    assert (health["status"], health["runs"], health["items_fetched"], health["hits"]) == ("ok", 3, 3, 2)
    code, out, _ = cli(app, "sources", "status")
    assert code == 0 and "sim" in out and "ok" in out
    leaked = synthetic_leak.leaked_strings()
    assert not [v for v in leaked if v in out]


def hit_source(hit: dict) -> str:
    """The document URL of a ``hits list --json`` object, whatever its exact layout."""
    for key in ("source", "document_source", "url"):
        if key in hit:
            return hit[key]
    return hit["document"]["source"]


def test_layout_change_is_flagged(tracker_home: Path, site: SimSite) -> None:  # type: ignore[no-untyped-def]
    write_config(tracker_home, paste_site_config(site.url))         # the folder is empty: no links
    code, out, err = cli(app, "run", "--once", "--json")
    assert code == 5
    [report] = json_lines(out)
    assert (report["status"], report["failure_class"]) == ("failed", "layout")
    code, out, err = cli(app, "sources", "status", "--json")
    assert code == 5
    [health] = json_lines(out)
    assert (health["status"], health["failure_class"], health["consecutive_failures"]) == ("failing", "layout", 1)
    assert "unhealthy" not in err  # --json: only the JSON and the exit code
    code, _, err = cli(app, "sources", "status")
    assert code == 5 and "unhealthy: sim" in err

    site.publish("p1", "hello\n")                                  # the site is back
    code, out, _ = cli(app, "sources", "check", "sim", "--json")
    assert code == 0
    data = json_lines(out)[0]
    assert data["status"] == "ok" and data["health"]["status"] == "ok" and data["health"]["consecutive_failures"] == 0


def test_zero_items_for_n_runs_is_flagged(tracker_home: Path, site: SimSite) -> None:  # type: ignore[no-untyped-def]
    write_config(tracker_home, paste_site_config(site.url, extra="allow_empty = true\nzero_item_runs = 2\n"))
    assert cli(app, "run", "--once")[0] == 0
    assert json_lines(cli(app, "sources", "status", "--json")[1])[0]["status"] == "ok"
    assert cli(app, "run", "--once")[0] == 0
    code, out, _ = cli(app, "sources", "status", "--json")
    [health] = json_lines(out)
    assert (code, health["status"], health["zero_item_runs"]) == (5, "zero_items", 2)
    site.publish("p1", "hello\n")
    cli(app, "run", "--once")
    assert json_lines(cli(app, "sources", "status", "--json")[1])[0]["status"] == "ok"


def source_table(name: str, kind: str, body: str) -> str:
    return ("[http]\nallow_private_addresses = true\nper_host_delay = 0\nretries = 0\nmax_retry_after = 5\n\n"
            f'[[sources]]\nname = "{name}"\nkind = "{kind}"\ninterval = "1m"\n{body}')


@pytest.mark.parametrize(("answer", "failure_class"), [
    ((200, {"Content-Type": "text/plain"}, b"[]"), None),
    ((200, {}, b"YOUR IP: 127.0.0.1 DOES NOT HAVE ACCESS. VISIT: https://pastebin.com/doc_scraping_api TO GET "
               b"ACCESS!"), "auth"),
    ((429, {"Retry-After": "3600"}, b"slow down"), "rate_limited"),
    ((200, {"Content-Type": "application/json"}, b'{"unexpected": "shape"}'), "layout"),
])
def test_failure_classes(tracker_home: Path, canned, answer, failure_class) -> None:  # type: ignore[no-untyped-def]
    canned.answer = answer
    url = f"http://127.0.0.1:{canned.server_address[1]}"
    write_config(tracker_home, source_table("pb", "pastebin", f'url = "{url}"\n'))
    code, out, _ = cli(app, "sources", "check", "pb", "--json")
    data = json_lines(out)[0]
    assert data["failure_class"] == failure_class
    assert code == (0 if failure_class is None else 5)
    assert data["health"]["status"] == ("ok" if failure_class is None else "failing")


def test_network_failure_is_classified(tracker_home: Path) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as s:                       # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    write_config(tracker_home, source_table("pb", "pastebin", f'url = "http://127.0.0.1:{port}"\n'))
    code, out, _ = cli(app, "sources", "check", "pb", "--json")
    assert code == 5 and json_lines(out)[0]["failure_class"] == "network"


def test_private_addresses_stay_refused_by_default(tracker_home: Path, site: SimSite) -> None:  # type: ignore[no-untyped-def]
    text = paste_site_config(site.url).replace("allow_private_addresses = true", "allow_private_addresses = false")
    write_config(tracker_home, text)
    site.publish("p1", "hello\n")
    code, out, _ = cli(app, "run", "--once", "--json")
    assert code == 5 and json_lines(out)[0]["failure_class"] == "blocked_address"


def test_unsafe_search_query_is_refused_and_not_sent(tracker_home: Path, canned, synthetic_leak) -> None:  # type: ignore[no-untyped-def]
    register_leak(app, synthetic_leak.path)
    person = synthetic_leak.people[5]
    url = f"http://127.0.0.1:{canned.server_address[1]}"
    write_config(tracker_home, source_table("sx", "search", f'provider = "searxng"\nurl = "{url}"\n'
                                                          f'queries = ["{person.last_name} {person.first_name}"]\n'))
    code, out, err = cli(app, "sources", "check", "sx", "--json")
    assert code == 5
    data = json_lines(out)[0]
    assert data["failure_class"] == "unsafe_query"
    assert canned.requests == []                      # nothing left the machine
    assert person.last_name not in out + err and person.first_name not in out + err


def test_watch_source_uses_conditional_get(tracker_home: Path, site: SimSite, db_url: str) -> None:  # type: ignore[no-untyped-def]
    site.publish("mirror", "version 1\n")
    write_config(tracker_home, source_table("w", "watch", f'urls = ["{site.url}/raw/mirror"]\n'))
    assert json_lines(cli(app, "run", "--once", "--json")[1])[0]["items"] == 1
    etag = scalar(db_url, "SELECT validators FROM source_states WHERE name = 'w'")
    assert "etag" in str(etag)
    report = json_lines(cli(app, "run", "--once", "--json")[1])[0]
    assert (report["status"], report["items"], report["considered"]) == ("ok", 0, 1)   # 304: not rescanned
    site.publish("mirror", "version 2\n")
    assert json_lines(cli(app, "run", "--once", "--json")[1])[0]["items"] == 1
    assert counts(db_url)["source_items"] == 2


def test_a_source_busy_in_another_process_is_not_run_twice(tracker_home: Path, site: SimSite,  # type: ignore[no-untyped-def]
                                                           db_url: str) -> None:
    write_config(tracker_home, paste_site_config(site.url))
    site.publish("p1", "hello\n")
    settings = Settings.from_env()
    config = load_config(tracker_home / "tracker.toml")
    with Monitor(settings, config) as monitor:
        with session_scope(monitor.engine) as session:
            assert store.acquire_lease(session, "sim", "paste-site", "elsewhere:1:abc") is None
        code, _, err = cli(app, "sources", "check", "sim")
        assert code == 1 and "already being run by elsewhere:1:abc" in err
        with session_scope(monitor.engine) as session:
            store.release_lease(session, "sim", "elsewhere:1:abc")
        assert monitor.run("sim").status == "ok"
    assert counts(db_url)["source_items"] == 1


def test_a_crash_between_scan_and_seen_mark_duplicates_nothing(tracker_home: Path, site: SimSite,  # type: ignore[no-untyped-def]
                                                               synthetic_leak, db_url: str) -> None:
    """The window a kill can hit: the document and hit are stored, the item is not yet marked seen."""
    register_leak(app, synthetic_leak.path)
    write_config(tracker_home, paste_site_config(site.url))
    path = synthetic_leak.repost_csv(site.directory / "leak01.txt", range(0, 10))
    settings = Settings.from_env()
    with Monitor(settings, load_config(tracker_home / "tracker.toml")) as monitor:
        monitor.scanner.scan_bytes(f"{site.url}/view/leak01", path.read_bytes(), "text/plain; charset=utf-8")
        assert counts(db_url)["hits"] == 1 and counts(db_url)["source_items"] == 0
        report = monitor.run("sim")
    assert (report.items, report.hits, report.new_hits) == (1, 1, 0)    # scanned again, hit confirmed, not new
    after = counts(db_url)
    assert (after["source_items"], after["documents"], after["hits"]) == (1, 1, 1)


def test_stop_request_interrupts_between_documents(tracker_home: Path, site: SimSite,  # type: ignore[no-untyped-def]
                                                   db_url: str) -> None:
    for i in range(3):
        site.publish(f"p{i}", f"paste {i}\n")
    write_config(tracker_home, paste_site_config(site.url))
    stop = threading.Event()
    seen: list[str] = []
    with Monitor(Settings.from_env(), load_config(tracker_home / "tracker.toml")) as monitor:
        original = monitor.scanner.scan_bytes

        def scan_then_stop(*args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(args[0])
            stop.set()                                 # SIGTERM arrives while the first document is scanned
            return original(*args, **kwargs)

        monitor.scanner.scan_bytes = scan_then_stop  # type: ignore[method-assign]
        report = monitor.run("sim", stop)
        assert (report.status, report.items) == ("interrupted", 1)
        monitor.scanner.scan_bytes = original  # type: ignore[method-assign]
        assert monitor.run("sim").items == 2          # the rest, nothing twice
    assert counts(db_url)["source_items"] == 3
    assert scalar(db_url, "SELECT lease_owner FROM source_states WHERE name = 'sim'") is None
    statuses = scalar(db_url, "SELECT group_concat(status) FROM source_runs") if "sqlite" in db_url else None
    assert statuses in (None, "interrupted,ok")


def test_no_leak_registered_still_runs(tracker_home: Path, site: SimSite) -> None:  # type: ignore[no-untyped-def]
    site.publish("p1", "hello\n")
    write_config(tracker_home, paste_site_config(site.url))
    code, out, err = cli(app, "run", "--once", "--json")
    assert code == 0 and json_lines(out)[0]["items"] == 1


def test_missing_config_file(tracker_home: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(app, "run", "--once")
    assert code == 2 and "tracker.toml not found" in err
    assert os.path.exists(tracker_home)
