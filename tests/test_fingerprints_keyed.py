"""fingerprints.keyed: keyed, domain-separated 64-bit fingerprints and the posting-key mix."""
from __future__ import annotations

import random

import numpy as np
import pytest

from fingerprints import keyed
from fingerprints.errors import FingerprintError, KeyError_
from fingerprints.keyed import MASK64, Keyer, mix, mix_np, salt32

KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))
DOMAINS = (keyed.NAME, keyed.ID, keyed.DOB, keyed.WEAK, keyed.BIGRAM, keyed.SALT, keyed.TOKEN)
VALUES = ["zorvak", "quellin", "1988-03-14", "277958520", "mexico", "^z", "", "ñandú"] + [f"v{i}" for i in range(200)]


def test_deterministic_per_key() -> None:
    a1, a2 = Keyer(KEY_A), Keyer(bytearray(KEY_A))
    for v in VALUES:
        assert a1.h64(keyed.NAME, v) == a2.h64(keyed.NAME, v)
        assert a1.cached(keyed.NAME, v) == a1.h64(keyed.NAME, v)


def test_fingerprints_are_nonzero_64_bit_and_distinct() -> None:
    k = Keyer(KEY_A)
    values = [f"value-{i}" for i in range(5000)]
    hashes = [k.h64(keyed.ID, v) for v in values]
    assert all(1 <= h <= MASK64 for h in hashes)
    assert len(set(hashes)) == len(values)


def test_different_keys_give_unrelated_fingerprints() -> None:
    a, b = Keyer(KEY_A), Keyer(KEY_B)
    for domain in DOMAINS:
        ha = {a.h64(domain, v) for v in VALUES}
        hb = {b.h64(domain, v) for v in VALUES}
        assert ha.isdisjoint(hb)


def test_domain_separation() -> None:
    k = Keyer(KEY_A)
    for v in VALUES:
        per_domain = {k.h64(d, v) for d in DOMAINS}
        assert len(per_domain) == len(DOMAINS), v
    # The same string as a name and as a date of birth never shares a fingerprint.
    assert k.h64(keyed.NAME, "1988-03-14") != k.h64(keyed.DOB, "1988-03-14")
    assert k.cached(keyed.ID, "zorvak") != k.cached(keyed.NAME, "zorvak")


def test_the_fingerprint_is_not_a_plain_hash_of_the_value() -> None:
    import hashlib

    k = Keyer(KEY_A)
    plain = int.from_bytes(hashlib.blake2b(b"zorvak", digest_size=8).digest(), "little")
    person = int.from_bytes(hashlib.blake2b(b"zorvak", digest_size=8, person=keyed.NAME).digest(), "little")
    assert k.h64(keyed.NAME, "zorvak") not in (plain, person)


@pytest.mark.parametrize("key", [b"", b"x" * 15, b"x" * 65, "x" * 32, None, 12345])
def test_bad_keys_are_refused(key: object) -> None:
    with pytest.raises(KeyError_, match="secret key"):
        Keyer(key)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [16, 32, 64])
def test_key_lengths_accepted(size: int) -> None:
    assert Keyer(b"k" * size).h64(keyed.NAME, "zorvak") > 0


def test_key_error_is_a_fingerprint_error() -> None:
    assert issubclass(KeyError_, FingerprintError)


def test_key_id_is_stable_short_and_reveals_nothing() -> None:
    a1, a2, b = Keyer(KEY_A), Keyer(KEY_A), Keyer(KEY_B)
    assert a1.key_id == a2.key_id
    assert a1.key_id != b.key_id
    assert len(a1.key_id) == 16 and all(c in "0123456789abcdef" for c in a1.key_id)
    key_hex = KEY_A.hex()
    for i in range(0, len(key_hex) - 7, 2):  # no 4-byte stretch of the key shows in its id
        assert key_hex[i:i + 8] not in a1.key_id
    # The key id is not a fingerprint of any value either.
    assert int(a1.key_id, 16) not in {a1.h64(d, "") for d in DOMAINS}


def test_keyer_does_not_expose_the_key_in_repr() -> None:
    k = Keyer(KEY_A)
    assert KEY_A.hex() not in repr(k)
    assert repr(KEY_A) not in repr(k)


def test_mix_matches_mix_np_elementwise() -> None:
    rng = random.Random(5)
    a = [rng.getrandbits(64) for _ in range(2000)] + [0, 0, 1, MASK64, MASK64, 0x8000000000000000]
    b = [rng.getrandbits(64) for _ in range(2000)] + [0, 1, 0, MASK64, 0, 0x8000000000000000]
    got = mix_np(np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64))
    assert got.dtype == np.uint64
    assert got.tolist() == [mix(x, y) for x, y in zip(a, b)]
    assert 0 not in got.tolist()
    assert mix(0, 0) == 1  # zero is reserved: it never comes out


def test_mix_np_broadcasts_like_the_index_does() -> None:
    rng = random.Random(9)
    a = np.array([rng.getrandbits(64) for _ in range(7)], dtype=np.uint64)
    b = np.array([rng.getrandbits(64) for _ in range(5)], dtype=np.uint64)
    grid = mix_np(a[:, None], b[None, :])
    assert grid.shape == (7, 5)
    assert grid[3, 2] == mix(int(a[3]), int(b[2]))


def test_mix_is_order_sensitive() -> None:
    assert mix(12345, 67890) != mix(67890, 12345)


def test_salt32_is_32_bit_and_per_record() -> None:
    k = Keyer(KEY_A)
    value = k.h64(keyed.BIGRAM, "zo")
    salts = [k.h64(keyed.SALT, str(rid)) for rid in range(1, 200)]
    salted = [salt32(s, value) for s in salts]
    assert all(0 <= v < 2 ** 32 for v in salted)
    assert len(set(salted)) == len(salted)
    assert salt32(salts[0], value) == salt32(salts[0], value)
