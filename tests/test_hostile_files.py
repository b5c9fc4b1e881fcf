"""Local files as hostile input: names that are not UTF-8, FIFOs, devices, links out, endless files.

Each case is reproduced through the real CLI (``tracker scan``, ``tracker run --once`` with a
folder source) on real SQLite: one bad entry is that entry's error (or is skipped), never the
end of the scan or of the source.
"""
from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest
from monitor_support import TRACKER, counts, register_leak, scalar, write_config

from sources import MemoryContext, build_source
from sources.files import FileRefused, path_text, read_regular_file
from sources.http import build_client
from sources_testserver import test_settings
from tracker.cli import app

BAD_NAME = os.fsdecode(b"lista-\xff\xfe-copia.csv")  # Latin-1 bytes in a name: not UTF-8


def test_path_text_keeps_utf8_names_and_escapes_the_rest_reversibly() -> None:
    assert path_text("/tmp/Fernández/lista.csv") == "/tmp/Fernández/lista.csv"
    shown = path_text(BAD_NAME)
    shown.encode("utf-8")  # what a database and a terminal take
    assert shown == "lista-\\xff\\xfe-copia.csv"
    # a real backslash in such a name is doubled, so no two names give one text
    other = os.fsdecode(b"lista-\\xff\\xfe-\xff.csv")
    assert path_text(other) != shown and path_text(other).startswith("lista-\\\\xff")
    # ... and in a valid UTF-8 name too: "a\xff" (four characters) is not the byte 0xFF
    assert path_text("a\\xff") != path_text(os.fsdecode(b"a\xff"))


def test_read_regular_file_refuses_special_files_and_sizes(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    done: list[str] = []

    def read_fifo() -> None:
        try:
            read_regular_file(fifo, 100)
        except FileRefused as exc:
            done.append(exc.reason)

    reader = threading.Thread(target=read_fifo, daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert done == ["not_regular"]  # refused at once: no writer needed
    with pytest.raises(FileRefused) as zero:
        read_regular_file("/dev/zero", 1 << 30)
    assert zero.value.reason == "not_regular" and "character device" in str(zero.value)
    (tmp_path / "zero").symlink_to("/dev/zero")
    with pytest.raises(FileRefused):
        read_regular_file(tmp_path / "zero", 1 << 30)
    with pytest.raises(FileRefused) as link:  # a link where the folder source listed a file
        read_regular_file(tmp_path / "zero", 1 << 30, follow_links=False)
    assert "symbolic link" in str(link.value)
    (tmp_path / "f").write_bytes(b"x" * 100)
    assert read_regular_file(tmp_path / "f", 100) == b"x" * 100
    with pytest.raises(FileRefused) as big:
        read_regular_file(tmp_path / "f", 99)
    assert big.value.reason == "too_large"


def _hostile_folder(root: Path, synthetic_leak) -> Path:  # type: ignore[no-untyped-def]
    folder = root / "drop"
    folder.mkdir()
    synthetic_leak.repost_csv(folder / BAD_NAME, [0, 2, 4])
    synthetic_leak.repost_csv(folder / "z-after.csv", [1, 3, 5])
    os.mkfifo(folder / "m-fifo.csv")
    (folder / "n-zero.csv").symlink_to("/dev/zero")  # a link out of the folder
    outside = root / "elsewhere.csv"
    synthetic_leak.repost_csv(outside, [6, 7, 8])
    (folder / "o-out.csv").symlink_to(outside)
    (folder / "p-in.csv").symlink_to(folder / "z-after.csv")  # a link that stays inside
    return folder


def test_scan_of_a_hostile_folder_reports_each_entry_and_goes_on(tracker_home: Path, synthetic_leak,  # type: ignore[no-untyped-def]
                                                                tmp_path: Path) -> None:
    register_leak(app, synthetic_leak.path)
    folder = _hostile_folder(tmp_path, synthetic_leak)
    result = subprocess.run([*TRACKER, "scan", str(folder), "--json"], capture_output=True, text=True,
                            timeout=120, cwd=tracker_home)
    rows = {Path(r["source"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert rows[path_text(BAD_NAME)]["verdict"] == "hit" and rows[path_text(BAD_NAME)]["records"] == [1, 3, 5]
    assert rows["z-after.csv"]["verdict"] == "hit" and rows["p-in.csv"]["verdict"] == "hit"
    assert rows["m-fifo.csv"]["verdict"] == "error" and "FIFO" in rows["m-fifo.csv"]["error"]
    assert "n-zero.csv" not in rows and "o-out.csv" not in rows  # links out are not followed
    assert "symbolic link out of the scanned folder" in result.stderr
    assert result.returncode == 3, result.stderr  # some documents not scanned
    # asked to, links out are followed, still only to regular files
    followed = subprocess.run([*TRACKER, "scan", str(folder), "--json", "--follow-links"], capture_output=True,
                              text=True, timeout=120, cwd=tracker_home)
    rows = {Path(r["source"]).name: r for r in map(json.loads, followed.stdout.splitlines())}
    assert rows["o-out.csv"]["verdict"] == "hit" and rows["o-out.csv"]["records"] == [7, 8, 9]
    assert rows["n-zero.csv"]["verdict"] == "error" and "character device" in rows["n-zero.csv"]["error"]
    # an explicit argument is followed, but only to a regular file
    explicit = subprocess.run([*TRACKER, "scan", str(folder / "n-zero.csv"), "--json"], capture_output=True,
                              text=True, timeout=60, cwd=tracker_home)
    [row] = map(json.loads, explicit.stdout.splitlines())
    assert row["verdict"] == "error" and "character device" in row["error"] and explicit.returncode == 3


def test_a_folder_source_with_hostile_entries_keeps_running(tracker_home: Path, sqlite_url: str,  # type: ignore[no-untyped-def]
                                                           synthetic_leak, tmp_path: Path) -> None:
    register_leak(app, synthetic_leak.path)
    folder = _hostile_folder(tmp_path, synthetic_leak)
    write_config(tracker_home, f'[[sources]]\nname = "drop"\nkind = "folder"\npath = "{folder}"\n'
                               f'settle_seconds = 0\ninterval = "1h"\n')
    for _ in range(2):  # the second run must not fail on what the first one stored
        run = subprocess.run([*TRACKER, "run", "--once", "--json"], capture_output=True, text=True, timeout=120,
                             cwd=tracker_home)
        assert run.returncode == 0, run.stderr
    assert counts(sqlite_url)["hits"] == 2  # the escaped name's re-post and z-after.csv (p-in.csv: a link)
    sources = scalar(sqlite_url, "SELECT group_concat(source, '|') FROM documents")
    assert isinstance(sources, str) and "lista-%FF%FE-copia.csv" in sources  # its file: URI, percent-encoded
    items = scalar(sqlite_url, "SELECT group_concat(item_id, '|') FROM source_items")
    assert isinstance(items, str) and path_text(BAD_NAME) in items


def test_the_folder_source_escapes_names_and_skips_special_files(tmp_path: Path) -> None:
    (tmp_path / BAD_NAME).write_text("a,b\n")
    os.mkfifo(tmp_path / "pipe.csv")
    with build_client(test_settings()) as client:
        source = build_source({"name": "drop", "kind": "folder", "path": str(tmp_path), "settle_seconds": 0}, client)
        docs = list(source.fetch(MemoryContext()))
    assert [d.item_id for d in docs] == [path_text(BAD_NAME)]
    assert docs[0].metadata["path"] == path_text(BAD_NAME)
    assert source.stats.skipped["not_regular"] == 1
