"""Every file extension the scanner recognises, walked from detect.py's own table.

For each one, through the real ``Scanner`` (compiled gate on where it is built): a small valid
document of that format holding leaked rows is a hit, and garbled bytes under that extension
are an ``error``, never ``clean``. A format that nothing installed here can write is skipped
with the reason named.
"""
from __future__ import annotations

import os
import random
from collections.abc import Iterator

import pytest

from conftest import TRACKER_ENV, SyntheticLeak, make_synthetic_leak
from fingerprints.keyed import Keyer
from format_writers import CANNOT_WRITE, WRITERS, Rows
from tracker import leaks, store
from tracker.db import open_database, session_scope
from tracker.extract import extract
from tracker.extract.detect import BINARY_EXTENSIONS, EXTENSION_KINDS, TEXT_EXTENSIONS, declared_kind, meant_kind
from tracker.pipeline import Scanner
from tracker.settings import Settings

KEY = bytes(range(32))
INDICES = [2, 5, 9]  # leaked rows put in every document: records 3, 6 and 10


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Scanner, SyntheticLeak]]:
    """One registered synthetic leak and a scanner over it, shared by every extension."""
    root = tmp_path_factory.mktemp("formats")
    home = root / "home"
    home.mkdir(mode=0o700)
    with pytest.MonkeyPatch.context() as env:
        for name in TRACKER_ENV:
            env.delenv(name, raising=False)
        env.setenv("TRACKER_HOME", str(home))
        env.setenv("TRACKER_DATABASE_URL", f"sqlite:///{home / 'tracker.sqlite3'}")
        settings = Settings.from_env()
        engine = open_database(os.environ["TRACKER_DATABASE_URL"])
        leak = make_synthetic_leak(root / "leak.csv")
        leaks.add_leak(engine, settings, Keyer(KEY), leak.path, "demo")
        with session_scope(engine) as session:
            registered = store.list_leaks(session)
        try:
            yield Scanner(engine, registered, Keyer(KEY), settings=settings), leak
        finally:
            engine.dispose()


EXTENSIONS = sorted(EXTENSION_KINDS)


def test_every_kind_the_table_names_has_a_writer_or_a_reason() -> None:
    unwritable = {EXTENSION_KINDS[ext] for ext in CANNOT_WRITE}
    assert set(EXTENSION_KINDS.values()) - unwritable <= set(WRITERS)
    assert set(CANNOT_WRITE) <= set(EXTENSION_KINDS)


def _rows(leak: SyntheticLeak) -> Rows:
    return [list(leak.header)] + [leak.row(leak.people[i]) for i in INDICES]


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_a_valid_document_with_leaked_rows_is_a_hit(scan: tuple[Scanner, SyntheticLeak], ext: str) -> None:
    if ext in CANNOT_WRITE:
        pytest.skip(CANNOT_WRITE[ext])
    scanner, leak = scan
    kind = EXTENSION_KINDS[ext]
    data = WRITERS[kind](_rows(leak), ext)
    name = f"posted.{ext}"
    assert extract(data, name).kind == kind
    [result] = scanner.scan_bytes(f"https://paste.example/{name}", data, name=name)
    assert (result.verdict, result.records, result.error) == ("hit", [i + 1 for i in INDICES], None)


def _garbled(ext: str, leak: SyntheticLeak, variant: str) -> bytes:
    noise = random.Random(f"{ext}-{variant}").randbytes(3000)
    if variant == "noise":
        return noise
    kind = EXTENSION_KINDS[ext]
    if ext in CANNOT_WRITE:  # their magic bytes, then noise
        return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + noise if kind == "xls" else b"PK\x03\x04" + noise
    valid = WRITERS[kind](_rows(leak), ext)
    return valid[:16] + noise  # the format's own opening (magic, header lines), then noise


@pytest.mark.parametrize("variant", ["noise", "valid-start"])
@pytest.mark.parametrize("ext", EXTENSIONS)
def test_garbled_bytes_are_an_error_never_clean(scan: tuple[Scanner, SyntheticLeak], ext: str,
                                                variant: str) -> None:
    scanner, leak = scan
    name = f"broken.{ext}"
    [result] = scanner.scan_bytes(f"/data/{name}", _garbled(ext, leak, variant), name=name)
    assert result.verdict == "error", result
    assert result.error and not any(value in result.error for value in leak.leaked_strings())


def test_the_walk_covers_the_table() -> None:
    """The table this walk reads is the one the extractor uses: every extension in it is declared
    (text kinds and messages) or names the kind a damaged file was meant to be (binary kinds)."""
    assert EXTENSION_KINDS == {**TEXT_EXTENSIONS, **BINARY_EXTENSIONS}
    assert all(declared_kind(f"x.{ext}", None) == kind for ext, kind in TEXT_EXTENSIONS.items())
    assert all(meant_kind(f"x.{ext}") == kind and declared_kind(f"x.{ext}", None) is None
               for ext, kind in BINARY_EXTENSIONS.items())
    assert declared_kind("x.txt", None) is None and meant_kind("x.7z") is None
