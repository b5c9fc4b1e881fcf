"""Opening the tracker home: stale temporary files of interrupted writes are swept, live ones
kept, and paths that everyone may write to are flagged.

The writers are real processes: one killed in the middle of writing an index temporary
file (what a crash or Ctrl-C leaves), one still writing while another command starts.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import SyntheticLeak
from tracker.cli import app
from tracker.keyfile import create_key

REPO = Path(__file__).resolve().parent.parent

# Writes an index temporary file the way `leak add` does (tracker.keyfile.private_temp), then
# either dies in the middle (os._exit: no cleanup, as a crash) or waits until told to finish.
WRITER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from tracker.keyfile import private_temp

    folder, mode, ready, done = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])

    def body(fh):
        fh.write(b"\\0" * 100_000)
        fh.flush()
        if mode == "crash":
            ready.write_text("written")
            os._exit(9)

    with private_temp(folder, "demo.idx", body) as tmp:
        ready.write_text(str(tmp))
        while not done.exists():
            time.sleep(0.05)
""")


def _start_writer(folder: Path, mode: str, tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path, Path]:
    ready, done = tmp_path / f"{mode}.ready", tmp_path / f"{mode}.done"
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(folder), mode, str(ready), str(done)],
                               cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert process.poll() is None or mode == "crash", "the writer died before writing"
        assert time.monotonic() < deadline, "the writer did not start"
        time.sleep(0.05)
    return process, ready, done


def _temp_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


def _age(path: Path, seconds: float = 3600) -> None:
    """Make ``path`` look old, so only its lock (not its age) can keep it."""
    past = time.time() - seconds
    os.utime(path, (past, past))


@pytest.fixture
def indexes(tracker_home: Path) -> Path:
    folder = tracker_home / "indexes"
    folder.mkdir(mode=0o700)
    return folder


@pytest.fixture
def live_writer(indexes: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A process holding an index temporary file open and locked; finished and reaped after the test."""
    process, ready, done = _start_writer(indexes, "live", tmp_path)
    try:
        yield Path(ready.read_text()), done
    finally:
        done.write_text("finish")
        process.wait(timeout=30)


def test_a_crashed_writers_temp_file_is_removed_at_the_next_start(cli, indexes: Path, tmp_path: Path) -> None:
    process, _, _ = _start_writer(indexes, "crash", tmp_path)
    assert process.wait(timeout=30) == 9
    [left] = _temp_files(indexes)
    assert left.stat().st_size == 100_000
    assert cli("leak", "list").exit_code == 0
    assert _temp_files(indexes) == [left]  # younger than a minute: left alone (it may still be locked soon)
    _age(left)
    result = cli("-v", "leak", "list")
    assert result.exit_code == 0, result.stderr
    assert _temp_files(indexes) == []
    assert f"removed stale temporary file {left}" in result.stderr


def test_a_live_writers_temp_file_is_kept(cli, indexes: Path, live_writer: tuple[Path, Path]) -> None:
    tmp, done = live_writer
    _age(tmp)  # even old: the writer's lock is what counts
    assert cli("leak", "list").exit_code == 0
    assert tmp.exists()
    done.write_text("finish")  # the writer ends its block: its own file is gone, by its own hand
    deadline = time.monotonic() + 30
    while tmp.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not tmp.exists()


def test_only_our_own_temp_names_are_swept(cli, tracker_home: Path, indexes: Path) -> None:
    ours = [indexes / ".demo.idx.0123456789ab.tmp", tracker_home / ".secret.key.abcdef012345.tmp"]
    others = [indexes / ".demo.idx.tmp", indexes / "notes.tmp", indexes / ".demo.idx.0123456789AB.tmp",
              tracker_home / ".tracker.sqlite3.0123456789ab.tmp", indexes / "demo-0123456789ab.idx"]
    for path in ours + others:
        path.write_bytes(b"x")
        _age(path)
    link = indexes / ".evil.idx.0123456789ab.tmp"
    link.symlink_to(tracker_home / "precious")
    (tracker_home / "precious").write_text("keep me")
    assert cli("leak", "list").exit_code == 0
    assert [p.exists() for p in ours] == [False, False]
    assert all(p.exists() for p in others) and link.is_symlink() and (tracker_home / "precious").exists()


def test_leak_add_still_works_next_to_a_live_writer(cli, indexes: Path, live_writer: tuple[Path, Path],
                                                    synthetic_leak: SyntheticLeak) -> None:
    tmp, _ = live_writer
    _age(tmp)
    added = cli("leak", "add", synthetic_leak.path, "--name", "demo")
    assert added.exit_code == 0, added.stderr
    assert tmp.exists() and _temp_files(indexes) == [tmp]  # ours was renamed into place; theirs kept


@pytest.mark.parametrize("target", ["home", "indexes", "key", "config"])
def test_paths_anyone_may_write_are_flagged(tracker_home: Path, target: str) -> None:
    create_key(tracker_home / "secret.key")
    (tracker_home / "indexes").mkdir(mode=0o700)
    path = tracker_home / "tracker.toml"
    path.write_text("[monitor]\nmax_workers = 2\n", encoding="utf-8")
    assert CliRunner().invoke(app, ["config", "check"]).exit_code == 0
    unsafe = {"home": tracker_home, "indexes": tracker_home / "indexes", "key": tracker_home / "secret.key",
              "config": path}[target]
    mode = 0o604 if target == "key" else 0o777 if target != "config" else 0o666
    unsafe.chmod(mode)
    try:
        checked = CliRunner().invoke(app, ["config", "check"])
        assert checked.exit_code == 2, checked.stderr
        assert f"{unsafe} is " in checked.stderr and f"(mode {mode:o})" in checked.stderr
        as_json = CliRunner().invoke(app, ["config", "check", "--json"])
        assert as_json.exit_code == 2 and json.loads(as_json.stdout)["unsafe_permissions"]
        if target != "key":  # a readable key is refused outright when used; the rest is a warning
            listed = CliRunner().invoke(app, ["leak", "list"])
            assert listed.exit_code == 0, listed.stderr
            assert listed.stderr.startswith("warning: ") and f"{unsafe} is writable by everyone" in listed.stderr
    finally:
        unsafe.chmod(0o700 if target in ("home", "indexes") else 0o600)
