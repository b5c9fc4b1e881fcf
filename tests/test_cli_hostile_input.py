"""Hostile or mistyped command-line input: exit 2 with a clear message, never exit 1 or a traceback.

Each test runs the real CLI on a real tracker home (SQLite, or PostgreSQL with ``db_url``)
with synthetic data: ids beyond 64 bits, unknown status names, blank actors, empty and
over-long paths, and a scan with a key file that only some leaks were made with.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session
from workflow_support import add_hit, add_leak

from conftest import SyntheticLeak, make_synthetic_leak
from tracker.db import open_database
from tracker.keyfile import create_key

TOO_BIG = str(2**64)  # one past what a 64-bit id column can hold


def _usage_error(result: Any) -> str:
    """The stderr of a run that must be a usage error: exit 2, no internal error, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    return str(result.stderr)


@pytest.fixture
def seeded(tracker_home: Path) -> Path:
    """A home with a key, a leak row and three hits (as the scan pipeline stores them)."""
    create_key(tracker_home / "secret.key")
    engine = open_database(f"sqlite:///{tracker_home / 'tracker.sqlite3'}")
    with Session(engine) as session:
        leak = add_leak(session)
        for url in ("https://files.example/a", "https://files.example/b", "https://paste.example/c"):
            add_hit(session, leak, url)
        session.commit()
    engine.dispose()
    return tracker_home


@pytest.mark.parametrize("args", [
    ("hits", "show", TOO_BIG), ("hits", "show", "0"), ("hits", "confirm", "1", TOO_BIG),
    ("hits", "dismiss", TOO_BIG, "--reason", "x"), ("hits", "duplicate", TOO_BIG),
    ("incidents", "show", TOO_BIG), ("cases", "show", TOO_BIG), ("cases", "notice", TOO_BIG),
    ("cases", "approve", TOO_BIG, "--by", "lead"), ("cases", "send", TOO_BIG), ("cases", "mark", TOO_BIG, "closed"),
    ("cases", "verify", TOO_BIG), ("hits", "list", "--limit", TOO_BIG), ("hits", "show", "9" * 5000),
])
def test_ids_beyond_64_bits_are_usage_errors(cli, seeded: Path, args: tuple[str, ...]) -> None:
    message = _usage_error(cli(*args))
    assert "Invalid value" in message


def test_status_and_state_filters_list_the_valid_choices(cli, seeded: Path) -> None:
    message = _usage_error(cli("hits", "list", "--status", "bogus"))
    assert "'bogus' is not one of 'new', 'confirmed', 'dismissed', 'duplicate'" in message
    message = _usage_error(cli("cases", "list", "--state", "bogus"))
    assert "'open'" in message and "'withdrawn'" in message
    message = _usage_error(cli("cases", "mark", "1", "bogus"))
    assert "'notice_drafted'" in message
    listed = cli("hits", "list", "--status", "NEW", "--json")  # choices are matched in any case
    assert listed.exit_code == 0 and len(listed.stdout.splitlines()) == 3


@pytest.mark.parametrize("by", ["", "   ", "ana\nbob", "x" * 201])
def test_a_blank_or_multi_line_actor_is_refused(cli, seeded: Path, by: str) -> None:
    message = _usage_error(cli("hits", "confirm", "1", "--by", by))
    assert "--by" in message
    _usage_error(cli("cases", "approve", "1", "--by", by))
    history = json.loads(cli("hits", "show", "1", "--json").stdout)["history"]
    assert history == []  # nothing was recorded under an empty name


def test_an_empty_scan_path_does_not_scan_the_current_folder(cli, synthetic_leak: SyntheticLeak,
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("leak", "add", synthetic_leak.path, "--name", "demo").exit_code == 0
    here = tmp_path / "cwd"
    here.mkdir()
    synthetic_leak.repost_csv(here / "post.csv", [0, 1])
    monkeypatch.chdir(here)
    for args in ([""], ["  "], [str(synthetic_leak.path), ""]):
        message = _usage_error(cli("scan", *args, "--json"))
        assert "error: empty path" in message
    assert cli("hits", "list", "--json").stdout == ""  # nothing was scanned
    long = _usage_error(cli("scan", "b" * 5000))
    assert "too long" in long and "(5000 characters)" in long and len(long) < 400


def test_a_scan_with_a_key_only_some_leaks_were_made_with_scans_those(
        cli, tracker_home: Path, synthetic_leak: SyntheticLeak, tmp_path: Path, db_url: str) -> None:
    """A home left with two keys (by an older tracker): the leaks of the key in use are scanned,
    each other leak is named on stderr with both key ids, and the exit code is 3."""
    from fingerprints.keyed import Keyer
    from tracker.leaks import add_leak as register
    from tracker.settings import Settings

    assert cli("leak", "add", synthetic_leak.path, "--name", "demo").exit_code == 0
    other = make_synthetic_leak(tmp_path / "other.csv", n=15, seed=11)
    engine = open_database(Settings.from_env().database_url)
    try:
        stranger = Keyer(bytes(range(32)))
        register(engine, Settings.from_env(), stranger, other.path, "old")
    finally:
        engine.dispose()
    post = synthetic_leak.repost_csv(tmp_path / "post.csv", [2, 3])

    result = cli("scan", post, "--json")
    assert result.exit_code == 3, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["leak"], r["verdict"], r["records"]) for r in lines] == [("demo", "hit", [3, 4])]
    assert f"error: leak 'old' not scanned for: it was made with key id {stranger.key_id}" in result.stderr
    assert "1 leak(s) not scanned for (made with another key): old" in result.stderr
    assert cli("scan", post, "--fail-on-hit").exit_code == 4  # hits take precedence, as with errors

    only_old = cli("scan", post, "--leak", "old")
    assert only_old.exit_code == 2 and "no leak can be used with the key file" in only_old.stderr
