"""``tracker scan`` end to end: files, folders, URLs, JSON lines, exit codes, a real subprocess."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SyntheticLeak
from sources_testserver import LocalServer, Reply

JSON_KEYS = {"source", "leak", "verdict", "score", "records", "fields", "sha256"}


def _lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.fixture
def demo(cli, synthetic_leak: SyntheticLeak) -> SyntheticLeak:  # type: ignore[no-untyped-def]
    result = cli("leak", "add", synthetic_leak.path, "--name", "demo")
    assert result.exit_code == 0, result.stderr
    return synthetic_leak


def test_scan_json_lines_for_files_and_folders(cli, demo: SyntheticLeak, tmp_path: Path, db_url: str) -> None:
    folder = tmp_path / "posts"
    (folder / "deep").mkdir(parents=True)
    demo.repost_csv(folder / "deep" / "a.csv", [0, 1, 2])
    demo.repost_html(folder / "b.html", [10])
    (folder / "c.txt").write_text("Weather report: sunny, 21 degrees.\n")
    single = demo.repost_csv(tmp_path / "single.csv", [3, 4])

    result = cli("scan", single, folder, "--json")
    assert result.exit_code == 0, result.stderr
    lines = _lines(result.stdout)
    assert [Path(r["source"]).name for r in lines] == ["single.csv", "b.html", "c.txt", "a.csv"]
    # no "error" key unless there is an error; hits say how many rows chance would explain
    assert all(set(r) == (JSON_KEYS | {"expected_chance", "rows"} if r["verdict"] == "hit" else JSON_KEYS)
               for r in lines)
    assert all(r["expected_chance"] < len(r["records"]) <= r["rows"] for r in lines if r["verdict"] == "hit")
    verdicts = {Path(r["source"]).name: (r["verdict"], r["records"]) for r in lines}
    assert verdicts == {"single.csv": ("hit", [4, 5]), "a.csv": ("hit", [1, 2, 3]), "b.html": ("hit", [11]),
                        "c.txt": ("clean", [])}
    assert all(r["leak"] == "demo" and len(r["sha256"]) == 64 and 0 <= r["score"] <= 1 for r in lines)
    assert "scanned 4 document(s) against 1 leak(s): 3 hit(s), 0 document(s) not scanned" in result.stderr


def test_rescan_keeps_one_hit_per_document(cli, demo: SyntheticLeak, tmp_path: Path) -> None:
    post = demo.repost_csv(tmp_path / "p.csv", [5, 6])
    first = cli("scan", post, "--json")
    second = cli("scan", post, "--json")
    assert first.exit_code == second.exit_code == 0
    assert _lines(first.stdout) == _lines(second.stdout)
    hits = _lines(cli("hits", "list", "--json").stdout)
    assert len(hits) == 1 and hits[0]["records"] == [6, 7]
    assert hits[0]["last_seen"] > hits[0]["first_seen"]


def test_bad_documents_print_error_lines_and_exit_3(cli, demo: SyntheticLeak, tmp_path: Path) -> None:
    (tmp_path / "a-broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (tmp_path / "b-blob.bin").write_bytes(os.urandom(2048))
    demo.repost_csv(tmp_path / "c-post.csv", [8])
    result = cli("scan", tmp_path / "a-broken.pdf", tmp_path / "b-blob.bin", tmp_path / "c-post.csv", "--json")
    assert result.exit_code == 3, result.stderr
    lines = _lines(result.stdout)
    assert [r["verdict"] for r in lines] == ["error", "error", "hit"]
    assert all(r["error"] for r in lines[:2]) and "error" not in lines[2]
    assert "2 document(s) not scanned" in result.stderr


def test_fail_on_hit_exit_code_and_table_output(cli, demo: SyntheticLeak, tmp_path: Path) -> None:
    post = demo.repost_csv(tmp_path / "p.csv", [9])
    clean = tmp_path / "clean.txt"
    clean.write_text("Nothing here.\n")
    assert cli("scan", clean, "--fail-on-hit").exit_code == 0
    result = cli("scan", post, clean, "--fail-on-hit")
    assert result.exit_code == 4
    assert "hit" in result.stdout and "clean" in result.stdout and "p.csv" in result.stdout


def test_scan_url_from_a_local_server(cli, demo: SyntheticLeak, web_root: tuple[Path, str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root, base = web_root
    demo.repost_html(root / "list.html", [12, 13])
    refused = cli("scan", f"{base}/list.html", "--json")
    assert refused.exit_code == 3 and "refused" in _lines(refused.stdout)[0]["error"]
    monkeypatch.setenv("TRACKER_ALLOW_PRIVATE_ADDRESSES", "1")
    result = cli("scan", f"{base}/list.html", f"{base}/missing.html", "--json")
    assert result.exit_code == 3, result.stderr
    hit, missing = _lines(result.stdout)
    assert hit["verdict"] == "hit" and hit["records"] == [13, 14] and hit["source"] == f"{base}/list.html"
    assert missing["verdict"] == "error" and "404" in missing["error"]


def test_scan_url_uses_the_http_table_of_the_config(cli, demo: SyntheticLeak, web_root: tuple[Path, str],
                                                     tracker_home: Path) -> None:
    root, base = web_root
    demo.repost_html(root / "list.html", [3])
    (tracker_home / "tracker.toml").write_text(
        '[http]\nallow_private_addresses = true\nmax_bytes = 50\n', encoding="utf-8")
    too_big = _lines(cli("scan", f"{base}/list.html", "--json").stdout)[0]
    assert too_big["verdict"] == "error" and "refused" not in too_big["error"]  # reached, then cut at 50 bytes
    (tracker_home / "tracker.toml").write_text('[http]\nallow_private_addresses = true\n', encoding="utf-8")
    assert _lines(cli("scan", f"{base}/list.html", "--json").stdout)[0]["records"] == [4]
    (tracker_home / "tracker.toml").write_text('[http]\ntimeout = "soon"\n', encoding="utf-8")
    bad = cli("scan", f"{base}/list.html", "--json")
    assert bad.exit_code == 2 and "timeout" in bad.stderr


@pytest.mark.parametrize("bad", ["http://0177.0.0.1/", "http://0x7f.1/", "http://2130706433/", "http://127.1/",
                                 "http://[::1", "http://127.0.0.1:99999/", "http://a\x01b/", "http:///x"])
def test_a_bad_url_is_one_error_line_and_the_next_url_is_still_scanned(
        cli, demo: SyntheticLeak, web_root: tuple[Path, str], monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    root, base = web_root
    demo.repost_html(root / "list.html", [12])
    monkeypatch.setenv("TRACKER_ALLOW_PRIVATE_ADDRESSES", "1")  # even so, these are never fetched
    result = cli("scan", f"{base}/list.html", bad, f"{base}/list.html?again", "--json")
    assert result.exit_code == 3, result.stderr  # docs/cli.md: finished, some documents not scanned
    first, failed, last = _lines(result.stdout)
    assert first["verdict"] == last["verdict"] == "hit" and last["source"] == f"{base}/list.html?again"
    assert failed["verdict"] == "error" and failed["source"] == bad and "invalid URL" in failed["error"]
    assert "3 document(s) against 1 leak(s): 2 hit(s), 1 document(s) not scanned" in result.stderr


def test_allow_hosts_in_the_config_reaches_the_test_server_but_not_redirect_targets(
        cli, demo: SyntheticLeak, tmp_path: Path, tracker_home: Path) -> None:
    page = demo.repost_html(tmp_path / "list.html", [7]).read_bytes()
    with LocalServer() as server:
        server.route("/list.html", Reply(200, page, {"Content-Type": "text/html"}))
        server.route("/to-self", Reply(302, b"", {"Location": "/list.html"}))
        server.route("/to-octal", Reply(302, b"", {"Location": f"http://0177.0.0.1:{server.port}/list.html"}))
        server.route("/to-ietf", Reply(302, b"", {"Location": f"http://192.0.0.128:{server.port}/list.html"}))
        server.route("/to-other-loopback", Reply(302, b"", {"Location": f"http://127.0.0.2:{server.port}/list.html"}))
        (tracker_home / "tracker.toml").write_text('[http]\nallow_hosts = ["127.0.0.1"]\nretries = 0\n',
                                                   encoding="utf-8")
        result = cli("scan", *(server.url(p) for p in ("/to-self", "/to-octal", "/to-ietf", "/to-other-loopback")),
                     "--json")
        assert len(server.hits("/list.html")) == 1  # only through the redirect to the allowed host
    assert result.exit_code == 3, result.stderr
    followed, octal, ietf, loopback = _lines(result.stdout)
    assert followed["verdict"] == "hit" and followed["records"] == [8]
    assert octal["verdict"] == "error" and "non-standard form" in octal["error"]
    assert ietf["verdict"] == "error" and "refused" in ietf["error"] and "192.0.0.0/24" in ietf["error"]
    assert loopback["verdict"] == "error" and "refused" in loopback["error"] and "loopback" in loopback["error"]


def test_usage_errors(cli, tmp_path: Path, synthetic_leak: SyntheticLeak) -> None:
    no_leaks = cli("scan", synthetic_leak.path)
    assert no_leaks.exit_code == 2 and "no leaks registered" in no_leaks.stderr
    cli("leak", "add", synthetic_leak.path, "--name", "demo")
    missing = cli("scan", tmp_path / "does-not-exist")
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    unknown = cli("scan", synthetic_leak.path, "--leak", "other")
    assert unknown.exit_code == 2 and "no leak named 'other'" in unknown.stderr
    assert cli("scan").exit_code == 2


def test_scanning_with_another_key_is_refused(cli, demo: SyntheticLeak, tmp_path: Path) -> None:
    other_key = tmp_path / "other.key"
    other_key.write_text("ab" * 32)
    other_key.chmod(0o600)
    result = cli("scan", demo.path, "--key-file", other_key)
    assert result.exit_code == 2
    assert "registered with another key" in result.stderr
    missing_key = cli("scan", demo.path, "--key-file", tmp_path / "none.key")
    assert missing_key.exit_code == 2 and "does not exist" in missing_key.stderr


def test_verbose_logs_go_to_stderr_and_log_file(cli, demo: SyntheticLeak, tmp_path: Path,
                                                tracker_home: Path) -> None:
    post = demo.repost_csv(tmp_path / "p.csv", [1])
    result = cli("-v", "--log-file", "tracker.log", "scan", post, "--json")
    assert result.exit_code == 0
    assert "INFO tracker.pipeline: scanned" in result.stderr
    assert len(_lines(result.stdout)) == 1  # logs never mix into the JSON stream
    log = tracker_home / "tracker.log"
    assert "scanned" in log.read_text() and (log.stat().st_mode & 0o077) == 0


def test_console_script_in_a_subprocess(tracker_home: Path, synthetic_leak: SyntheticLeak, tmp_path: Path) -> None:
    exe = shutil.which("tracker", path=str(Path(sys.executable).parent))
    assert exe, "the tracker console script is not installed in the venv"
    env = dict(os.environ)

    def run(*args: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, env=env, timeout=120)

    added = run("leak", "add", synthetic_leak.path, "--name", "demo")
    assert added.returncode == 0, added.stderr
    post = synthetic_leak.repost_csv(tmp_path / "p.csv", [20, 21])
    scanned = run("scan", post, "--json")
    assert scanned.returncode == 0, scanned.stderr
    [line] = _lines(scanned.stdout)
    assert line["verdict"] == "hit" and line["records"] == [21, 22]
    bad = run("leak", "remove", "nope")
    assert bad.returncode == 2 and bad.stderr.startswith("error: no leak named 'nope'")
    helped = run("--help")
    assert helped.returncode == 0 and "Exit codes" in helped.stdout


def test_jobs_scan_documents_at_once_with_the_same_results_in_order(tracker_home: Path, synthetic_leak,  # type: ignore[no-untyped-def]
                                                                   tmp_path: Path) -> None:
    """``--jobs 2`` gives exactly what ``--jobs 1`` gives, in the same order, hits stored once."""
    import json
    import subprocess
    import sys

    tracker = str(Path(sys.executable).with_name("tracker"))
    assert subprocess.run([tracker, "leak", "add", str(synthetic_leak.path), "--name", "roster"],
                          capture_output=True, timeout=60).returncode == 0
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(8):
        synthetic_leak.repost_csv(folder / f"r{i}.csv", [i, i + 1, i + 2])
        (folder / f"c{i}.txt").write_text(f"nothing here {i}\n" * 50)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")

    def scan(jobs: int) -> list[dict]:
        done = subprocess.run([tracker, "scan", str(folder), "--json", "--jobs", str(jobs)], capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 3, done.stderr  # the broken PDF
        rows = [json.loads(line) for line in done.stdout.splitlines()]
        return [{k: r.get(k) for k in ("source", "verdict", "records", "sha256")} for r in rows]

    one, two = scan(1), scan(2)
    assert one == two and len(one) == 17
    assert [r["verdict"] for r in one].count("hit") == 8
