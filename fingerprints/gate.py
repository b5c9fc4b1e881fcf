"""The compiled first look at a document: which of its lines can hold one of a leak's records.

Almost everything a monitor fetches is unrelated to the leak. The matcher would find that out
too, but it pays Python costs per token. :class:`DocumentGate` runs the matcher's candidate
test in C (``_gate.c``) on the document's text instead: raw text, CSV and JSON as they are, an
HTML page as the extractor's own text of it (``tracker.prefilter`` calls the extractor's
``html_text``; the gate has no HTML reader of its own). It computes the same keyed
fingerprints (BLAKE2b, same key and domains) of the same tokens (those Python's rules read
beyond plain shapes - non-ASCII, glued fields and OCR'd digits, particle runs like "de la o" -
it asks ``TokenTable.classify`` about), the same posting keys (a
leaked ID, also in digit groups; a leak name token with a leak birth date on a line or on a
neighbouring one; two names of one record on a line), over
units of text that each contain whole lines of what the extractor would produce. Where it
finds nothing, the matcher could not have found a candidate either; where it finds something,
it returns the byte ranges around those lines (the nearest line with words on either side, so
that wrapped rows keep their neighbours) for the matcher to verify. On lines that are exactly
one of the matcher's lines it also applies the matcher's conflict rule, more loosely (an
ID-shaped number that is not leaked asks for two exact name columns and the birth date; the
matcher wants the whole name): the gate may be coarser than the matcher, never finer.

It is exact in the direction that matters: a document the gate passes over would have been
clean. The tests check that on generated corpora, document by document.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import numpy as np

from .index import LeakIndex, repeated_name_keys
from .keyed import Keyer
from .normalize import MONTHS, RUN_PARTICLES, fold
from .roles import Role
from .tokens import F_EU, F_US, TokenTable

try:  # built by ``pip install`` (setup.py); without it the matcher does all the work
    from . import _gate
except ImportError:  # pragma: no cover - only on installs without a C compiler
    _gate = None

#: How ``DocumentGate.scan`` reads a text: one unit per line (the extractor's lines of an HTML
#: page); per line, with quoted CSV fields spanning lines; the whole text as one unit.
LINES, CSV_LINES, WHOLE = 0, 1, 2
_C_US, _C_EU = 4, 8
_ORDER = {0: 0, 1: F_US, 2: F_EU}


def available() -> bool:
    """Whether the compiled gate was built."""
    return _gate is not None


def render_json(data: bytes) -> bytes:
    """JSON with its string escapes decoded, so that its words are the words the reader sees."""
    return _gate.render_json(data)


@dataclass(frozen=True, slots=True)
class Candidates:
    """Where a document may hold records: byte ranges of the scanned text, and its date order."""

    ranges: list[tuple[int, int]]
    #: How the document writes numeric dates (``tokens.F_US``, ``tokens.F_EU`` or 0), counted
    #: over the whole document as the matcher would.
    order: int
    #: Too many name and date pairs to test: look at the whole document.
    gave_up: bool


def _sorted(values: np.ndarray) -> np.ndarray:
    """``values`` as a contiguous sorted uint64 array (the C side binary-searches it); the index
    keeps its arrays sorted, so this is usually a check and no copy."""
    arr = np.ascontiguousarray(values, dtype=np.uint64)
    return arr if len(arr) < 2 or bool(np.all(arr[1:] >= arr[:-1])) else np.sort(arr)


class DocumentGate:
    """One leak's compiled gate. Keep one per process: it caches every token it classifies."""

    def __init__(self, index: LeakIndex, keyer: Keyer, table: TokenTable) -> None:
        if _gate is None:
            raise RuntimeError("the compiled gate (fingerprints._gate) is not built")
        self._table = table
        self._lock = threading.Lock()
        self._arrays = [_sorted(a) for a in (index.name_vocab, index.id_vocab, index.dob_vocab, index.post_key)]
        repeated = index.repeat_key if index.repeat_key is not None else repeated_name_keys(index)
        self._arrays.append(_sorted(repeated))
        roles = index.roles()
        lo, hi = table.dob_years
        self._gate = _gate.Gate(
            key=keyer.secret_for_gate(), name_vocab=self._arrays[0], id_vocab=self._arrays[1],
            dob_vocab=self._arrays[2], post_key=self._arrays[3], months=dict(MONTHS), particles=sorted(RUN_PARTICLES),
            id_len=(table.id_len_min, table.id_len_max), dob_years=(int(lo), int(hi)),
            date_years=tuple(int(y) for y in table.date_years),
            fallback=self._classify, repeat_key=self._arrays[4], has_id_role=Role.ID in roles,
            seed=int.from_bytes(os.urandom(8), "little") | 1)

    def _classify(self, tok: bytes) -> tuple[tuple[int, ...], bool, tuple[int, ...], int, int] | None:
        """A token classified by the matcher's own rules: one with non-ASCII bytes (Unicode
        folding), one of letters and digits that the glued-field and OCR rules read
        (``tokens.mixed_eligible``), particles joined with a one-letter word ("de-la-o")."""
        info = self._table.classify(tok)
        month = MONTHS.get(fold(tok.strip(b"-./'").decode("utf-8", "ignore")).rstrip("."), 0)
        if info is None:
            return ((), False, (), month, 0) if month else None
        order = (_C_US if info.flags & F_US else 0) | (_C_EU if info.flags & F_EU else 0)
        return info.names, bool(info.id_hash), info.dobs, month, order

    def scan(self, text: bytes, mode: int = LINES) -> Candidates | None:
        """``None`` when ``text`` cannot hold a record of the leak, else where to look."""
        with self._lock:  # the token cache is shared state; a Python fallback may switch threads
            found = self._gate.scan(text, mode)
        if found is None:
            return None
        order, ranges, gave_up = found
        return Candidates(ranges, _ORDER[order], gave_up)

    def h64(self, domain: str, value: bytes) -> int:
        """The C side's keyed fingerprint of ``value`` (tests compare it with ``Keyer.h64``)."""
        return self._gate.h64(domain, value)


__all__ = ["CSV_LINES", "LINES", "WHOLE", "Candidates", "DocumentGate", "available", "render_json"]
