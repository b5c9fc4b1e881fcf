"""``tracker run`` as a real process against the simulated paste site.

* a synthetic re-post published while the scheduler runs is recorded within one poll interval;
* SIGKILL in the middle of a run, then a restart: nothing lost, nothing duplicated;
* SIGTERM / SIGINT in the middle of a run: clean exit 0, run recorded as interrupted, lease freed.

Time to detection is printed (``pytest -s``) for the closing report.
"""
from __future__ import annotations

import json
import signal
import statistics
import subprocess
import time
from pathlib import Path

import pytest
from monitor_support import (
    TRACKER,
    counts,
    paste_site_config,
    register_leak,
    scalar,
    spawn_tracker,
    wait_for,
    write_config,
)

from tracker.cli import app
from tracker.simsite import SimSite

INTERVAL = 2.0
JITTER = 0.2
SLACK = 2.0          # process start-up noise, one listing + fetch + scan, a loaded CI machine


@pytest.fixture
def pastes(tmp_path: Path) -> Path:
    folder = tmp_path / "pastes"
    folder.mkdir()
    return folder


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    return proc.wait(timeout=timeout)


def test_repost_published_while_running_is_found_within_one_interval(tracker_home: Path, sqlite_url: str,  # type: ignore[no-untyped-def]
                                                                    synthetic_leak, pastes: Path,
                                                                    tmp_path: Path) -> None:
    register_leak(app, synthetic_leak.path)
    with SimSite(pastes) as site:
        site.publish("notes", "nothing to see here\n")
        write_config(tracker_home, paste_site_config(site.url, interval=f"{INTERVAL:g}s", jitter=f"{JITTER:g}s"))
        log = tmp_path / "run.log"
        proc = spawn_tracker(["run"], tracker_home, log)
        try:
            wait_for(lambda: (scalar(sqlite_url, "SELECT coalesce(max(runs), 0) FROM source_states") or 0) >= 1
                     if (tracker_home / "tracker.sqlite3").exists() else False, timeout=30)
            delays = []
            for n in range(3):
                time.sleep(0.37 * n)                      # publish at different points of the cycle
                synthetic_leak.repost_csv(pastes / f".r{n}.tmp", range(n * 10, n * 10 + 8))
                (pastes / f".r{n}.tmp").rename(pastes / f"repost{n}.txt")
                delays.append(wait_for(lambda n=n: counts(sqlite_url)["hits"] >= n + 1,
                                       timeout=INTERVAL + JITTER + SLACK + 10))
            print(f"\ntime to detection over {len(delays)} re-posts (interval {INTERVAL:g}s + jitter "
                  f"{JITTER:g}s): median {statistics.median(delays):.2f}s, max {max(delays):.2f}s")
            assert max(delays) <= INTERVAL + JITTER + SLACK, delays
            assert proc.poll() is None, log.read_text()
        finally:
            code = stop(proc)
        output = log.read_text()
        assert code == 0, output
        assert "stopped cleanly" in output
        for value in synthetic_leak.leaked_strings():
            assert value not in output
    assert counts(sqlite_url)["hits"] == 3
    assert scalar(sqlite_url, "SELECT count(*) FROM source_runs WHERE status NOT IN ('ok', 'interrupted')") == 0
    # nothing the monitor wrote (database, WAL, logs) holds a leaked value
    leaked = [v.encode() for v in synthetic_leak.leaked_strings()]
    for path in [*tracker_home.rglob("*"), log]:
        if path.is_file():
            data = path.read_bytes()
            assert not [v for v in leaked if v in data], path


def publish_batch(site: SimSite, leak, n_reposts: int, n_clean: int) -> int:  # type: ignore[no-untyped-def]
    for i in range(n_reposts):
        leak.repost_csv(site.directory / f"repost{i:02d}.txt", range(i, i + 4))
    for i in range(n_clean):
        site.publish(f"clean{i:02d}", f"shopping list {i}: bread, milk, {i * 7} apples\n")
    return n_reposts + n_clean


def test_sigkill_mid_run_then_restart_loses_and_duplicates_nothing(tracker_home: Path, sqlite_url: str,  # type: ignore[no-untyped-def]
                                                                   synthetic_leak, pastes: Path,
                                                                   tmp_path: Path) -> None:
    register_leak(app, synthetic_leak.path)
    with SimSite(pastes, delay=0.08) as site:
        total = publish_batch(site, synthetic_leak, 10, 12)
        write_config(tracker_home, paste_site_config(site.url, interval="1h"))
        proc = spawn_tracker(["run", "--once"], tracker_home, tmp_path / "killed.log")
        try:
            wait_for(lambda: (tracker_home / "tracker.sqlite3").exists() and counts(sqlite_url)["source_items"] >= 5,
                     timeout=60, step=0.02)
        finally:
            proc.kill()                                   # SIGKILL: no handler, no cleanup
            proc.wait(timeout=10)
        at_kill = counts(sqlite_url)
        assert 5 <= at_kill["source_items"] < total, at_kill
        assert scalar(sqlite_url, "SELECT count(*) FROM source_runs WHERE status = 'running'") == 1

        restart = subprocess.run([*TRACKER, "run", "--once", "--json"], capture_output=True, text=True,
                                 timeout=120, cwd=tracker_home)
        assert restart.returncode == 0, restart.stderr
    after = counts(sqlite_url)
    assert after["source_items"] == total                             # nothing lost
    assert after["documents"] == 10                                   # one row per re-post (clean pastes leave none)
    assert after["hits"] == 10                                        # every re-post, once
    assert scalar(sqlite_url, "SELECT count(DISTINCT document_id) FROM hits") == 10
    assert scalar(sqlite_url, "SELECT count(DISTINCT item_id) FROM source_items") == total
    assert scalar(sqlite_url, "SELECT group_concat(status, ',') FROM (SELECT status FROM source_runs ORDER BY id)") \
        == "abandoned,ok"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_mid_run_stops_cleanly(tracker_home: Path, sqlite_url: str, synthetic_leak,  # type: ignore[no-untyped-def]
                                      pastes: Path, tmp_path: Path, sig: int) -> None:
    register_leak(app, synthetic_leak.path)
    with SimSite(pastes, delay=0.1) as site:
        total = publish_batch(site, synthetic_leak, 5, 8)
        write_config(tracker_home, paste_site_config(site.url, interval="1h"))
        log = tmp_path / "run.log"
        proc = spawn_tracker(["run"], tracker_home, log)
        try:
            wait_for(lambda: (tracker_home / "tracker.sqlite3").exists() and counts(sqlite_url)["source_items"] >= 3,
                     timeout=60, step=0.02)
        finally:
            t0 = time.monotonic()
            code = stop(proc, sig)
        assert code == 0, log.read_text()
        assert time.monotonic() - t0 < 5                      # ends at the next document, not at the end of the run
        assert "stopped cleanly" in log.read_text()
        stopped = counts(sqlite_url)
        assert stopped["source_items"] < total
        assert scalar(sqlite_url, "SELECT status FROM source_runs ORDER BY id DESC LIMIT 1") == "interrupted"
        assert scalar(sqlite_url, "SELECT lease_owner FROM source_states") is None
        restart = subprocess.run([*TRACKER, "run", "--once"], capture_output=True, text=True, timeout=120,
                                 cwd=tracker_home)
        assert restart.returncode == 0, restart.stderr
    after = counts(sqlite_url)
    assert (after["source_items"], after["documents"], after["hits"]) == (total, 5, 5)


def test_a_poisoned_item_costs_its_own_error_and_the_monitor_moves_past_it(  # type: ignore[no-untyped-def]
        tracker_home: Path, sqlite_url: str, synthetic_leak, pastes: Path, tmp_path: Path) -> None:
    """A paste whose analysis needs more CPU than ``[scan] cpu_seconds`` allows is stopped in its
    worker and recorded as that item's error; the re-post after it is found in the same run, the
    item is seen (a restart does not fetch it again) and the source's health counts the error.
    Time to move past the poisoned item is printed (``pytest -s``) for the closing report."""
    register_leak(app, synthetic_leak.path)
    with SimSite(pastes) as site:
        heavy = tmp_path / "heavy.txt"
        synthetic_leak.repost_csv(heavy, list(range(len(synthetic_leak.people))) * 1500)
        site.publish("a-heavy", heavy.read_bytes())
        synthetic_leak.repost_csv(site.directory / "b-repost.txt", [2, 3, 4])
        write_config(tracker_home, paste_site_config(site.url, interval="1h")
                     + '\n[scan]\ncpu_seconds = "1s"\nwall_seconds = "30s"\n')
        t0 = time.monotonic()
        first = subprocess.run([*TRACKER, "run", "--once", "--json"], capture_output=True, text=True, timeout=120,
                               cwd=tracker_home)
        took = time.monotonic() - t0
        assert first.returncode == 0, first.stderr
        again = subprocess.run([*TRACKER, "run", "--once", "--json"], capture_output=True, text=True, timeout=120,
                               cwd=tracker_home)
        assert again.returncode == 0, again.stderr
    assert scalar(sqlite_url, "SELECT count(*) FROM scan_errors") == 1  # fetched and tried once, not per run
    assert "CPU time" in str(scalar(sqlite_url, "SELECT error FROM scan_errors"))
    assert counts(sqlite_url)["hits"] == 1 and counts(sqlite_url)["source_items"] == 2
    assert scalar(sqlite_url, "SELECT errors FROM source_runs ORDER BY id LIMIT 1") == 1
    status = subprocess.run([*TRACKER, "sources", "status", "--json"], capture_output=True, text=True, timeout=60,
                            cwd=tracker_home)
    [health] = [json.loads(line) for line in status.stdout.splitlines() if line.startswith("{")]
    assert health["items_unreadable"] == 1 and health["items_fetched"] == 2
    print(f"\n[figure] tracker run --once past a poisoned item (1 s CPU limit) and a re-post: {took:.1f} s")
