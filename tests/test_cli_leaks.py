"""``tracker leak add|list|remove`` on real files, a real database and a real key file."""
from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from conftest import SyntheticLeak, make_synthetic_leak


def _index_files(home: Path) -> list[Path]:
    folder = home / "indexes"
    return sorted(folder.iterdir()) if folder.exists() else []


def _leaks(cli) -> list[dict]:  # type: ignore[no-untyped-def]
    result = cli("leak", "list", "--json")
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_add_is_idempotent_and_private(cli, tracker_home: Path, synthetic_leak: SyntheticLeak,
                                       db_url: str) -> None:
    result = cli("leak", "add", synthetic_leak.path, "--name", "demo")
    assert result.exit_code == 0, result.stderr
    assert "added leak 'demo': 40 records" in result.stdout
    assert "Last Name=last_name" in result.stdout
    key = tracker_home / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    [index] = _index_files(tracker_home)
    assert index.name.startswith("demo-") and index.suffix == ".idx"
    assert stat.S_IMODE(index.stat().st_mode) == 0o600

    again = cli("leak", "add", synthetic_leak.path, "--name", "demo")
    assert again.exit_code == 0, again.stderr
    assert "already registered" in again.stdout
    assert _index_files(tracker_home) == [index]

    [leak] = _leaks(cli)
    assert leak["name"] == "demo" and leak["records"] == 40 and leak["hits"] == 0
    assert {"name": "Date of Birth", "role": "dob"} in leak["columns"]
    assert len(leak["key_id"]) == 16 and leak["file_name"] == "leak.csv" and leak["file_format"] == "csv"


def test_same_name_other_file_needs_replace(cli, tracker_home: Path, synthetic_leak: SyntheticLeak,
                                            tmp_path: Path) -> None:
    assert cli("leak", "add", synthetic_leak.path, "--name", "demo").exit_code == 0
    [old_index] = _index_files(tracker_home)
    other = make_synthetic_leak(tmp_path / "other.csv", n=12, seed=99)

    refused = cli("leak", "add", other.path, "--name", "demo")
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: a leak named 'demo' is already registered")
    assert _leaks(cli)[0]["records"] == 40

    replaced = cli("leak", "add", other.path, "--name", "demo", "--replace")
    assert replaced.exit_code == 0, replaced.stderr
    assert "replaced leak 'demo': 12 records" in replaced.stdout
    [new_index] = _index_files(tracker_home)
    assert new_index != old_index
    [leak] = _leaks(cli)
    assert leak["records"] == 12 and leak["file_name"] == "other.csv"


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02binary\xff\xfe" * 50, b"just one line of prose\n"])
def test_unreadable_leak_file_stores_nothing(cli, tracker_home: Path, tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    result = cli("leak", "add", bad, "--name", "bad")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert _index_files(tracker_home) == []
    assert list((tracker_home / "indexes").glob(".*")) == []  # no stray temporary file
    assert _leaks(cli) == []


def test_missing_file_bad_name_and_bad_columns_are_usage_errors(cli, synthetic_leak: SyntheticLeak,
                                                                tmp_path: Path) -> None:
    assert cli("leak", "add", tmp_path / "nope.csv", "--name", "x").exit_code == 2
    bad_name = cli("leak", "add", synthetic_leak.path, "--name", "../escape")
    assert bad_name.exit_code == 2 and "not allowed" in bad_name.stderr
    bad_role = cli("leak", "add", synthetic_leak.path, "--name", "x", "--columns", "Last Name=surname")
    assert bad_role.exit_code == 2 and "unknown role" in bad_role.stderr
    assert _leaks(cli) == []


def test_column_overrides_win(cli, synthetic_leak: SyntheticLeak) -> None:
    result = cli("leak", "add", synthetic_leak.path, "--name", "demo", "--columns", "Facility=ignore")
    assert result.exit_code == 0, result.stderr
    [leak] = _leaks(cli)
    assert {"name": "Facility", "role": "ignore"} in leak["columns"]


def test_remove_deletes_row_and_index(cli, tracker_home: Path, synthetic_leak: SyntheticLeak, db_url: str) -> None:
    assert cli("leak", "add", synthetic_leak.path, "--name", "demo").exit_code == 0
    result = cli("leak", "remove", "demo")
    assert result.exit_code == 0 and "removed leak 'demo'" in result.stdout
    assert _index_files(tracker_home) == [] and _leaks(cli) == []
    unknown = cli("leak", "remove", "demo")
    assert unknown.exit_code == 2 and "no leak named 'demo'" in unknown.stderr


def test_list_table_and_empty_message(cli, synthetic_leak: SyntheticLeak) -> None:
    empty = cli("leak", "list")
    assert empty.exit_code == 0 and "no leaks registered" in empty.stderr
    cli("leak", "add", synthetic_leak.path, "--name", "demo")
    table = cli("leak", "list")
    assert table.exit_code == 0 and "demo" in table.stdout and "40" in table.stdout


def test_key_file_option_and_permissions(cli, tracker_home: Path, synthetic_leak: SyntheticLeak,
                                         tmp_path: Path) -> None:
    key = tmp_path / "keys" / "k.hex"
    result = cli("--key-file", key, "leak", "add", synthetic_leak.path, "--name", "demo")
    assert result.exit_code == 0, result.stderr
    assert key.exists() and not (tracker_home / "secret.key").exists()
    key.chmod(0o640)
    refused = cli("leak", "add", synthetic_leak.path, "--name", "demo2", "--key-file", key)
    assert refused.exit_code == 2 and "chmod 600" in refused.stderr


def test_unexpected_errors_exit_1_without_their_message(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug's message could quote document content: only its type and place are shown (-v: traceback)."""
    from tracker import leaks

    def broken(engine: object) -> list:
        raise ValueError("Zvaikvo 1987-03-02")

    monkeypatch.setattr(leaks, "list_leaks", broken)
    result = cli("leak", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: internal error (ValueError at test_cli_leaks.py:")
    assert "Zvaikvo" not in result.stderr and "Traceback" not in result.stderr
    verbose = cli("-v", "leak", "list")
    assert verbose.exit_code == 1 and "Traceback" in verbose.stderr


def test_a_missing_or_other_key_is_refused_when_leaks_exist(cli, tracker_home: Path, synthetic_leak: SyntheticLeak,
                                                            tmp_path: Path, db_url: str) -> None:
    """A home's leaks share one key: ``leak add`` never makes a second one (scans would then fail)."""
    assert cli("leak", "add", synthetic_leak.path, "--name", "demo").exit_code == 0
    key = tracker_home / "secret.key"
    [demo] = _leaks(cli)
    saved = tmp_path / "saved.key"
    key.rename(saved)
    second = make_synthetic_leak(tmp_path / "second.csv", n=12, seed=5)

    missing = cli("leak", "add", second.path, "--name", "second")
    assert missing.exit_code == 2, missing.stderr
    assert missing.stderr.startswith(f"error: key file {key} is missing")
    assert f"'demo' (key id {demo['key_id']})" in missing.stderr and "No new key was created" in missing.stderr
    assert not key.exists() and [leak["name"] for leak in _leaks(cli)] == ["demo"]
    again = cli("leak", "add", synthetic_leak.path, "--name", "demo")  # even the already-registered file
    assert again.exit_code == 2 and "is missing" in again.stderr and not key.exists()

    other = tmp_path / "other.key"
    other.write_text("cd" * 32)
    other.chmod(0o600)
    wrong = cli("leak", "add", second.path, "--name", "second", "--key-file", other)
    assert wrong.exit_code == 2 and f"key file {other} holds another key" in wrong.stderr
    assert f"'demo' (key id {demo['key_id']})" in wrong.stderr

    saved.rename(key)  # the key is back: adding works again, with the same key
    assert cli("leak", "add", second.path, "--name", "second").exit_code == 0
    assert {leak["key_id"] for leak in _leaks(cli)} == {demo["key_id"]}


def test_replacing_the_only_leak_may_make_a_new_key(cli, tracker_home: Path, synthetic_leak: SyntheticLeak) -> None:
    """A lost key is replaced by rebuilding the leaks with --replace: allowed when no other leak needs the old key."""
    assert cli("leak", "add", synthetic_leak.path, "--name", "demo").exit_code == 0
    [before] = _leaks(cli)
    (tracker_home / "secret.key").unlink()
    rebuilt = cli("leak", "add", synthetic_leak.path, "--name", "demo", "--replace")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    [after] = _leaks(cli)
    assert (tracker_home / "secret.key").exists() and after["key_id"] != before["key_id"]


def test_hostile_leak_files_are_refused_quickly_with_the_limit(cli, tracker_home: Path, tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    columns = 100_000
    wide.write_text(",".join(f"c{i}" for i in range(columns)) + "\n" + ",".join("7" * columns) + "\n")
    refused = cli("leak", "add", wide, "--name", "wide")
    assert refused.exit_code == 2, refused.stderr
    assert "has 100,000 columns; a leak table may have at most 1,000" in refused.stderr
    assert len(refused.stderr) < 400  # one line, not a list of 100,000 column roles

    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    nested = cli("leak", "add", deep, "--name", "deep")
    assert nested.exit_code == 2 and "JSON nested too deeply" in nested.stderr, nested.stderr
    assert _index_files(tracker_home) == [] and _leaks(cli) == []


def test_a_path_longer_than_the_system_allows_is_a_usage_error(cli, tmp_path: Path) -> None:
    long = tmp_path / ("a" * 5000)
    for args in (("leak", "add", long, "--name", "x"), ("--home", long, "leak", "list"),
                 ("leak", "add", tmp_path / "x.csv", "--name", "x", "--key-file", long)):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert result.stderr.startswith("error: ") and "internal error" not in result.stderr
        assert "(5" in result.stderr and len(result.stderr) < 400  # shortened, with its length


def test_a_workbook_that_would_abort_calamine_is_refused_by_leak_add(tracker_home: Path, tmp_path: Path) -> None:
    """Two cells at opposite corners of the grid make calamine allocate 512 GiB and abort the
    process (exit 134, which no except catches): ``leak add`` refuses the file first, exit 2."""
    import subprocess
    import sys

    from tracker.synth.bombs import xlsx_corners

    bomb = tmp_path / "corners.xlsx"
    bomb.write_bytes(xlsx_corners())
    done = subprocess.run([str(Path(sys.executable).with_name("tracker")), "leak", "add", str(bomb), "--name", "x"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "too sparse or too large to read" in done.stderr
    listed = subprocess.run([str(Path(sys.executable).with_name("tracker")), "leak", "list", "--json"],
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and '"x"' not in listed.stdout
