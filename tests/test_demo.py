"""``python -m tracker.demo`` runs the whole loop through the real CLI, twice in a row, and leaks nothing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.demo import Demo, leaked_values, main, plaintext_found, plaintext_pattern, step_privacy


def _run_demo(folder: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    done = subprocess.run([sys.executable, "-m", "tracker.demo", "--dir", str(folder), "--rows", "400"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def test_demo_runs_twice_and_prints_no_leaked_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / ".demo"
    first = _run_demo(folder)  # as `make demo` runs it
    for heading in ("1. Generate", "2. Register", "3. Scan", "4. List the hits", "5. Watch a simulated paste site",
                    "6. A re-post turns up", "7. Confirm the hit", "8. The drafted takedown notice",
                    "9. Check", "10. Summary"):
        assert heading in first
    assert "$ tracker leak add" in first and "$ tracker scan" in first and "$ tracker hits list" in first
    assert "$ tracker run --once" in first and "$ tracker sources status" in first
    assert "simsite (paste-site): ok, 4 new item(s)" in first and "1 hit(s) (1 new)" in first
    assert "$ tracker hits confirm" in first and "Request to remove personal data" in first
    assert "added leak 'demo-leak': 400 records" in first and "new hit #1 " in first
    assert "re-posts found:" in first and "plaintext leaked values in the tracker's files: 0" in first
    assert (folder / "home" / "tracker.sqlite3").is_file() and (folder / "corpus" / "labels.json").is_file()
    pattern = plaintext_pattern(leaked_values(folder / "corpus" / "leak.csv"))
    assert not plaintext_found(pattern, first.encode())

    marker = folder / "stale.txt"
    marker.write_text("left over from an earlier run")
    environment = dict(os.environ)
    assert main(["--dir", str(folder), "--rows", "400"]) == 0  # again, in this process: starts over
    second = capsys.readouterr().out
    assert dict(os.environ) == environment  # TRACKER_HOME was set for the commands only
    assert not marker.exists()
    assert "added leak 'demo-leak'" in second and "already registered" not in second
    assert second.count("new hit #1 ") == 1
    summary = first[first.index("10. Summary"):].splitlines()[1:4]
    assert summary == second[second.index("10. Summary"):].splitlines()[1:4]
    assert not plaintext_found(pattern, second.encode())


def test_privacy_step_finds_planted_plaintext(tmp_path: Path) -> None:
    demo = Demo(root=tmp_path)
    demo.corpus.mkdir(parents=True)
    demo.home.mkdir()
    demo.leak_csv.write_text("Last Name,First Name,Date of Birth,A-Number\nVILLANUEVA,ROSA,03/14/1988,A123456789\n",
                             encoding="utf-8")
    (demo.home / "clean.log").write_text("nothing to see\n")
    step_privacy(demo)
    assert demo.leaked_values_found == 0
    (demo.home / "oops.log").write_bytes(b"... Villanueva 1988-03-14 ...")
    step_privacy(demo)
    assert demo.leaked_values_found == 2
