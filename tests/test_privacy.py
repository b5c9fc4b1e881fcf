"""The product's core promise: no leaked value is ever written anywhere by the tracker.

A synthetic leak is registered and re-posts of it are scanned (files, a folder, a URL, a
broken document) with debug logging to a file; then every byte under TRACKER_HOME and
everything the commands printed is searched for each leaked name part (4+ characters), each
date of birth in several formats and each ID number. Nothing may be found.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SyntheticLeak


def _found(values: set[str], blob: bytes) -> list[str]:
    low = blob.lower()
    return sorted(v for v in values if v.lower().encode("utf-8") in low)


def test_nothing_leaked_is_written_anywhere(cli, tracker_home: Path, synthetic_leak: SyntheticLeak,
                                           tmp_path: Path, web_root: tuple[Path, str],
                                           monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    monkeypatch.setenv("TRACKER_ALLOW_PRIVATE_ADDRESSES", "1")
    root, base = web_root
    posts = tmp_path / "posts"
    posts.mkdir()
    synthetic_leak.repost_csv(posts / "dump.csv", range(0, 25))
    synthetic_leak.repost_html(posts / "page.html", range(20, 40))
    synthetic_leak.repost_csv(posts / "iso.txt", [3, 7], date_format="%d.%m.%Y")
    (posts / "broken.xlsx").write_bytes(b"PK\x03\x04 not a real workbook " + synthetic_leak.path.read_bytes()[:200])
    synthetic_leak.repost_html(root / "mirror.html", range(5, 15))

    outputs: list[str] = []

    def run(*args: object, ok: tuple[int, ...] = (0,)) -> str:
        result = cli(*args)
        outputs.extend([result.stdout, result.stderr])
        assert result.exit_code in ok, (args, result.exit_code, result.stderr)
        return result.stdout

    run("-vv", "--log-file", "tracker.log", "leak", "add", synthetic_leak.path, "--name", "demo")
    run("-vv", "--log-file", "tracker.log", "leak", "add", synthetic_leak.path, "--name", "demo")
    run("-vv", "--log-file", "tracker.log", "scan", posts, f"{base}/mirror.html", "--json", ok=(3,))
    run("-vv", "--log-file", "tracker.log", "scan", posts, f"{base}/mirror.html", ok=(3,))
    hits = [json.loads(line) for line in run("hits", "list", "--json").splitlines()]
    assert len(hits) == 4, hits  # the scan really found the re-posts
    for hit in hits:
        run("hits", "show", str(hit["id"]), "--json")
        run("hits", "show", str(hit["id"]))
    run("hits", "list")
    run("leak", "list")
    run("leak", "list", "--json")

    values = synthetic_leak.leaked_strings()
    assert len(values) > 200
    for path in sorted(p for p in tracker_home.rglob("*") if p.is_file()):
        assert _found(values, path.read_bytes()) == [], f"leaked values in {path}"
    assert (tracker_home / "tracker.log").stat().st_size > 0
    assert _found(values, "\n".join(outputs).encode("utf-8")) == []
    if not db_url.startswith("sqlite"):
        _check_postgres_dump(db_url, values)


def _check_postgres_dump(url: str, values: set[str]) -> None:
    """On PostgreSQL the data is not under TRACKER_HOME: read every row of every table instead."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            for table in tables:
                rows = conn.execute(sa.text(f'SELECT * FROM "{table}"')).fetchall()
                assert _found(values, repr(rows).encode("utf-8")) == [], f"leaked values in table {table}"
    finally:
        engine.dispose()
