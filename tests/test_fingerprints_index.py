"""fingerprints.index: building, serializing and loading a leak's fingerprint index.

The privacy tests search the serialized bytes for every leaked value; the leak is
synthetic (tracker.synth) so the values are invented.
"""
from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable

import numpy as np
import pytest
from fingerprints_support import (
    KEY,
    OTHER_KEY,
    Leak,
    leak_columns,
    leaked_strings,
    plaintext_in_bytes,
    synthetic_leak,
    table,
)

from fingerprints.errors import ColumnError, IndexFormatError, KeyError_
from fingerprints.index import LeakIndex, bigrams, build_index
from fingerprints.keyed import Keyer
from fingerprints.matcher import Matcher
from fingerprints.normalize import fold
from fingerprints.roles import Column, Role

N_BIG = 5000
SEED = 11


@pytest.fixture(scope="module")
def big() -> Leak:
    return synthetic_leak(N_BIG, SEED)


@pytest.fixture(scope="module")
def big_bytes(big: Leak) -> bytes:
    return big.index.to_bytes()


def _arrays(index: LeakIndex) -> dict[str, np.ndarray]:
    return {f.name: getattr(index, f.name) for f in dataclasses.fields(index)
            if isinstance(getattr(index, f.name), np.ndarray)}


def _npz_with_header(data: bytes, edit: Callable[[dict], None]) -> bytes:
    """``data`` re-saved with its JSON header changed by ``edit`` (a crafted index file)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        arrays = {name: z[name] for name in z.files}
    header = json.loads(bytes(arrays.pop("header")).decode())
    edit(header)
    buf = io.BytesIO()
    np.savez(buf, header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8), **arrays)
    return buf.getvalue()


# --- building -------------------------------------------------------------------------------------

def test_build_counts_records_and_numbers_them(big: Leak) -> None:
    idx = big.index
    assert idx.n_records == N_BIG
    assert idx.record_ids.tolist() == list(range(1, N_BIG + 1))
    assert idx.columns == leak_columns()
    assert idx.roles() == [c.role for c in leak_columns()]
    assert idx.key_id == Keyer(KEY).key_id
    assert idx.minhash.shape[0] == N_BIG
    assert idx.entry_off.shape == (N_BIG + 1,)
    assert np.all(np.diff(idx.entry_off) > 0)  # every row gave fingerprints
    assert np.all(idx.post_key[:-1] <= idx.post_key[1:])  # sorted for binary search
    assert len(idx.id_vocab) == N_BIG  # synthetic A-numbers are unique


def test_build_with_own_record_ids_reports_them() -> None:
    leak = synthetic_leak(300, SEED)
    ids = [i + 2 for i in range(300)]  # a header on row 1: data starts on row 2
    idx = build_index(leak.rows, leak.columns, leak.keyer, ids)
    assert idx.record_ids.tolist() == ids
    p = leak.people[10]
    doc = Matcher(idx, leak.keyer).match(table([[p.last, p.first, f"{p.dob:%m/%d/%Y}", f"A{p.a_number}"]]))
    assert doc.record_ids == [12]


def test_build_refuses_mismatched_record_ids() -> None:
    leak = synthetic_leak(300, SEED)
    with pytest.raises(ColumnError, match="record ids"):
        build_index(leak.rows, leak.columns, leak.keyer, [1, 2, 3])


def test_build_needs_an_identifying_column() -> None:
    rows = [["NORLAND", "North Camp", "Pending"], ["ESTAVIA", "Hill Annex", "Closed"]]
    cols = [Column("Country", Role.COUNTRY), Column("Facility", Role.PLACE), Column("Status", Role.STATUS)]
    with pytest.raises(ColumnError, match="identifying"):
        build_index(rows, cols, Keyer(KEY))


@pytest.mark.parametrize("role", [Role.ID, Role.DOB, Role.FULL_NAME])
def test_one_identifying_column_is_enough(role: Role) -> None:
    cell = {Role.ID: "A277958520", Role.DOB: "03/14/1988", Role.FULL_NAME: "QUELLIN, ZORVAK"}[role]
    idx = build_index([[cell, "NORLAND"]], [Column("x", role), Column("Country", Role.COUNTRY)], Keyer(KEY))
    assert idx.n_records == 1


def test_build_tolerates_short_rows_empty_and_unparsable_cells() -> None:
    cols = [Column("Last", Role.LAST_NAME), Column("First", Role.FIRST_NAME), Column("DOB", Role.DOB),
            Column("ID", Role.ID), Column("Notes", Role.IGNORE)]
    rows = [["QUELLIN", "ZORVAK", "03/14/1988", "A277958520", "free text"],
            ["MARVENDI", "", "unknown", "n/a"],  # short row, empty and unparsable cells
            ["", "", "", "", ""]]
    idx = build_index(rows, cols, Keyer(KEY))
    assert idx.n_records == 3
    counts = np.diff(idx.entry_off).tolist()
    assert counts[0] == 4 and counts[1] == 1 and counts[2] == 0  # IGNORE column is never fingerprinted


def test_build_is_deterministic_and_key_dependent() -> None:
    leak = synthetic_leak(300, SEED)
    again = build_index(leak.rows, leak.columns, Keyer(KEY))
    assert again.to_bytes() == build_index(leak.rows, leak.columns, Keyer(KEY)).to_bytes()
    other = build_index(leak.rows, leak.columns, Keyer(OTHER_KEY))
    assert set(again.entry_hash.tolist()).isdisjoint(other.entry_hash.tolist())
    assert set(again.post_key.tolist()).isdisjoint(other.post_key.tolist())


def test_bigrams_mark_word_boundaries() -> None:
    assert bigrams("ana") == ["^a", "an", "na", "a$"]
    assert bigrams("q") == ["^q", "q$"]


# --- serialization --------------------------------------------------------------------------------

def test_round_trip_keeps_every_array(big: Leak, big_bytes: bytes) -> None:
    loaded = LeakIndex.from_bytes(big_bytes)
    original = _arrays(big.index)
    assert set(_arrays(loaded)) == set(original)
    for name, arr in _arrays(loaded).items():
        assert arr.dtype == original[name].dtype, name
        assert np.array_equal(arr, original[name]), name
    assert loaded.columns == big.index.columns
    assert loaded.key_id == big.index.key_id
    assert loaded.dob_span_days == big.index.dob_span_days
    assert loaded.meta == big.index.meta
    assert loaded.to_bytes() == big_bytes


def test_loaded_index_matches_like_the_original() -> None:
    leak = synthetic_leak(300, SEED)
    loaded = Matcher(LeakIndex.from_bytes(leak.index.to_bytes()), Keyer(KEY))
    doc = table(leak.rows[40:60], leak.header)
    assert loaded.match(doc).record_ids == leak.matcher.match(doc).record_ids == list(range(41, 61))


def _last_member_data(data: bytes) -> int:
    """A byte inside the last array stored (zip metadata such as timestamps is not checksummed:
    whole-file damage is caught by the checksum the tracker keeps of each index file)."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        last = max(z.infolist(), key=lambda i: i.header_offset)
    name_len, extra_len = int.from_bytes(data[last.header_offset + 26:last.header_offset + 28], "little"), \
        int.from_bytes(data[last.header_offset + 28:last.header_offset + 30], "little")
    return last.header_offset + 30 + name_len + extra_len + last.compress_size - 1


@pytest.mark.parametrize("damage", ["empty", "garbage", "truncated", "flip_header", "flip_middle", "flip_end"])
def test_damaged_bytes_raise_index_format_error(big_bytes: bytes, damage: str) -> None:
    data = bytearray(big_bytes)
    if damage == "empty":
        data = bytearray()
    elif damage == "garbage":
        data = bytearray(b"this is not an index" * 10)
    elif damage == "truncated":
        data = data[: len(data) // 2]
    else:
        at = {"flip_header": 200, "flip_middle": len(data) // 2, "flip_end": _last_member_data(bytes(data))}[damage]
        data[at] ^= 0xFF
    with pytest.raises(IndexFormatError):
        LeakIndex.from_bytes(bytes(data))


def test_unknown_format_version_is_refused() -> None:
    data = synthetic_leak(300, SEED).index.to_bytes()
    crafted = _npz_with_header(data, lambda h: h.update(format=99))
    with pytest.raises(IndexFormatError, match="99"):
        LeakIndex.from_bytes(crafted)


def test_missing_array_is_refused() -> None:
    data = synthetic_leak(300, SEED).index.to_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        arrays = {name: z[name] for name in z.files if name != "post_key"}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    with pytest.raises(IndexFormatError):
        LeakIndex.from_bytes(buf.getvalue())


@pytest.mark.parametrize("edit", ["unknown_role", "no_key_id"])
def test_bad_header_fields_raise_index_format_error(edit: str) -> None:
    data = synthetic_leak(300, SEED).index.to_bytes()

    def change(h: dict) -> None:
        if edit == "unknown_role":
            h["columns"][0]["role"] = "nickname"
        else:
            del h["key_id"]

    with pytest.raises(IndexFormatError):
        LeakIndex.from_bytes(_npz_with_header(data, change))


def test_size_per_row_under_one_kilobyte(big: Leak, big_bytes: bytes) -> None:
    assert len(big_bytes) / N_BIG < 1024
    assert big.index.nbytes / N_BIG < 1024


# --- privacy --------------------------------------------------------------------------------------

def _header(data: bytes) -> dict:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return json.loads(bytes(z["header"]).decode())


def test_serialized_index_holds_no_leaked_value(big: Leak, big_bytes: bytes) -> None:
    needles = leaked_strings(big.people)
    assert len(needles) > 5 * N_BIG  # names, dates in ten formats, IDs, other cells
    # Column headers, JSON keys and constants are public; a leaked value that happens to be a
    # piece of them ("ENDER" in "Gender", a book-in date equal to the MinHash seed) is no leak.
    public = fold(json.dumps(_header(big_bytes)))
    checked = {s for s in needles if fold(s) not in public}
    assert len(needles) - len(checked) <= 10
    assert plaintext_in_bytes(big_bytes, checked) == []


def test_plaintext_search_would_catch_a_leak(big: Leak, big_bytes: bytes) -> None:
    """The check above is only worth something if it finds values that are there."""
    p = next(p for p in big.people if not p.first.isascii() and p.last.isascii())
    planted = big_bytes + f"{p.last.lower()}|{p.first.title()}|{p.dob:%d.%m.%Y}|{p.a_number}".encode()
    found = plaintext_in_bytes(planted, leaked_strings([p]))
    assert {p.last, p.first, p.a_number, f"{p.dob:%d.%m.%Y}"} <= set(found)
    assert plaintext_in_bytes(big_bytes, leaked_strings([p])) == []


def test_index_arrays_are_numbers_and_the_header_holds_no_values(big: Leak, big_bytes: bytes) -> None:
    with np.load(io.BytesIO(big_bytes), allow_pickle=False) as z:
        kinds = {name: z[name].dtype.kind for name in z.files}
    header = _header(big_bytes)
    assert set(kinds.values()) <= {"u", "i"}  # no strings, no objects
    assert set(header) == {"format", "columns", "key_id", "dob_span_days", "num_perm", "minhash_seed", "meta",
                           "extra_arrays"}
    assert header["extra_arrays"] == ["repeat_key"]
    assert [c["name"] for c in header["columns"]] == big.header
    assert all(v is None or isinstance(v, (int, float, list)) or (isinstance(v, dict) and all(
        isinstance(x, (int, float)) for x in v.values())) for v in header["meta"].values())  # no strings
    assert header["dob_span_days"] % 365 == 0  # rounded to years: reveals no birth date
    lo, hi = header["meta"]["dob_years"]
    assert lo % 10 == 5 and hi % 10 == 5  # widened to decades


def test_index_built_with_one_key_refuses_another() -> None:
    leak = synthetic_leak(300, SEED)
    with pytest.raises(KeyError_, match="key"):
        Matcher(leak.index, Keyer(OTHER_KEY))
    with pytest.raises(KeyError_):
        Matcher(LeakIndex.from_bytes(leak.index.to_bytes()), Keyer(OTHER_KEY))
    Matcher(leak.index, Keyer(KEY))  # the right key is accepted
