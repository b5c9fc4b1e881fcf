"""Keyed hashing: the only way a leaked value ever enters a fingerprint.

Keyed BLAKE2b (a PRF) with a per-installation secret. Low-entropy fields (about 36,500
birth dates a century, a few hundred countries, public lists of common names) are trivially
brute-forced through an unkeyed or merely seeded hash; through a keyed one, nobody without
the key can test whether a given name, date or ID is in a leak.
"""
from __future__ import annotations

import hashlib

import numpy as np

from .errors import KeyError_

MASK64 = (1 << 64) - 1
_MIX_C1 = 0xBF58476D1CE4E5B9
_MIX_C2 = 0x94D049BB133111EB

# Domain tags: one value hashed for two purposes never gives the same fingerprint.
NAME = b"name"
ID = b"id"
DOB = b"dob"
WEAK = b"weak"
BIGRAM = b"bigram"
SALT = b"salt"
TOKEN = b"token"


class Keyer:
    """Keyed 64-bit fingerprints under one secret key, with domain separation."""

    __slots__ = ("_key", "key_id", "_cache", "_templates")

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, (bytes, bytearray)) or len(key) < 16:
            raise KeyError_("the secret key must be at least 16 bytes")
        if len(key) > 64:
            raise KeyError_("the secret key must be at most 64 bytes")
        self._key = bytes(key)
        #: Safe to store: identifies the key without revealing it.
        self.key_id = hashlib.blake2b(b"repost-tracker key id", key=self._key, digest_size=8).hexdigest()
        self._cache: dict[tuple[bytes, str], int] = {}
        self._templates: dict[bytes, "hashlib._Hash"] = {}

    def h64(self, domain: bytes, value: str) -> int:
        """Keyed 64-bit fingerprint of ``value`` in ``domain`` (never 0)."""
        tmpl = self._templates.get(domain)
        if tmpl is None:
            tmpl = self._templates[domain] = hashlib.blake2b(digest_size=8, key=self._key, person=domain)
        h = tmpl.copy()
        h.update(value.encode("utf-8"))
        return int.from_bytes(h.digest(), "little") or 1

    def secret_for_gate(self) -> bytes:
        """The key itself, for the compiled gate that computes the same fingerprints in C.

        Kept in memory only, like the key file's content; nothing derived from it is stored.
        """
        return self._key

    def cached(self, domain: bytes, value: str) -> int:
        """:meth:`h64` memoised in-process: scanning hashes the same tokens over and over."""
        k = (domain, value)
        h = self._cache.get(k)
        if h is None:
            if len(self._cache) > 500_000:
                self._cache.clear()
            h = self._cache[k] = self.h64(domain, value)
        return h


def mix(a: int, b: int) -> int:
    """Combine two fingerprints into one posting key (multiply-xorshift over a ^ b*C1)."""
    x = ((a ^ ((b * _MIX_C1) & MASK64)) * _MIX_C2) & MASK64
    return (x ^ (x >> 29)) or 1


def mix_np(a: "np.ndarray | np.unsignedinteger", b: "np.ndarray | np.unsignedinteger") -> np.ndarray:
    """Vectorised :func:`mix` over uint64 arrays (same results, for building indexes)."""
    a = np.asarray(a, dtype=np.uint64)
    b = np.asarray(b, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = (a ^ (b * np.uint64(_MIX_C1))) * np.uint64(_MIX_C2)
        x = x ^ (x >> np.uint64(29))
    return np.where(x == 0, np.uint64(1), x)


def salt32(record_salt: int, value: int) -> int:
    """Per-record 32-bit variant of a fingerprint, so sequences cannot be linked across records."""
    return mix(record_salt, value) & 0xFFFFFFFF
