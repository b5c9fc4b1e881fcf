"""The folder source: a local drop folder with generated files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from sources import MemoryContext, build_source
from sources.errors import ConfigError
from sources.http import build_client
from sources_testserver import synthetic_rows, test_settings


@pytest.fixture
def client():  # type: ignore[no-untyped-def]
    with build_client(test_settings()) as c:
        yield c


def _source(client, folder: Path, **extra: object):  # type: ignore[no-untyped-def]
    return build_source({"name": "drop", "kind": "folder", "path": str(folder), "settle_seconds": 0, **extra}, client)


def test_new_and_changed_files(tmp_path: Path, client) -> None:
    (tmp_path / "tips").mkdir()
    (tmp_path / "a.csv").write_text(synthetic_rows(3, seed=1))
    (tmp_path / "tips" / "b.txt").write_text(synthetic_rows(2, seed=2))
    (tmp_path / ".hidden").write_text("ignored")
    (tmp_path / "link.csv").symlink_to("/etc/hostname")
    source = _source(client, tmp_path)
    ctx = MemoryContext()
    docs = list(source.fetch(ctx))
    assert [d.item_id for d in docs] == ["a.csv", "tips/b.txt"]
    assert docs[0].url == (tmp_path / "a.csv").as_uri() and docs[0].content_type == "text/csv"
    assert docs[0].metadata["path"] == "a.csv" and docs[0].metadata["size"] == len(docs[0].content)

    assert list(source.fetch(ctx)) == []
    (tmp_path / "a.csv").write_text(synthetic_rows(4, seed=5))  # changed content
    (tmp_path / "c.csv").write_text("new")
    assert [d.item_id for d in source.fetch(ctx)] == ["a.csv", "c.csv"]

    os.utime(tmp_path / "c.csv", ns=(1, 1))  # touched, same bytes: not yielded again
    assert list(source.fetch(ctx)) == []
    (tmp_path / "c.csv").unlink()
    list(source.fetch(ctx))
    assert "c.csv" not in ctx.cursor["files"]


def test_patterns_recursion_and_settling(tmp_path: Path, client) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "x.csv").write_text("1")
    (tmp_path / "x.pdf").write_text("2")
    (tmp_path / "sub" / "y.csv").write_text("3")
    flat = _source(client, tmp_path, patterns=["*.csv"], recursive=False)
    assert [d.item_id for d in flat.fetch(MemoryContext())] == ["x.csv"]
    settling = _source(client, tmp_path, settle_seconds=60)
    assert list(settling.fetch(MemoryContext())) == []
    assert settling.stats.skipped["settling"] == 3


def test_move_processed_files_to_done(tmp_path: Path, client) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.csv").write_text("one")
    (tmp_path / "sub" / "b.csv").write_text("two")
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "a.csv").write_text("older file with the same name")
    source = _source(client, tmp_path, move_processed=True)
    ctx = MemoryContext()
    assert [d.item_id for d in source.fetch(ctx)] == ["a.csv", "sub/b.csv"]
    assert not (tmp_path / "a.csv").exists()
    assert (tmp_path / "done" / "a.csv.1").read_text() == "one"
    assert (tmp_path / "done" / "sub" / "b.csv").read_text() == "two"
    assert list(source.fetch(ctx)) == []  # done/ is not walked


def test_missing_folder_is_config_error(tmp_path: Path, client) -> None:
    with pytest.raises(ConfigError, match="not a folder"):
        list(_source(client, tmp_path / "nope").fetch(MemoryContext()))
