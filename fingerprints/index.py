"""The fingerprint index of one leak: everything matching needs, and no plaintext.

Per record it keeps keyed fingerprints of each identifying value (name tokens, date of
birth, ID numbers), of each weak value (country, place, status, gender, other dates), a
per-record-salted sequence of keyed character-bigram fingerprints per name token (for typo
tolerance), and a MinHash signature over the normalized row. Candidate records are found
through a sorted posting array whose keys combine fingerprints (ID; name token x date of
birth). Frequencies of fingerprints inside the leak let the matcher weigh evidence.

Everything is kept in flat numpy arrays: about 0.4 KB a row, saved as one uncompressed
``.npz`` that loads in a fraction of a second.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import math
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from . import keyed
from .errors import ColumnError, IndexFormatError
from .keyed import Keyer, mix, mix_np
from .normalize import (
    column_day_first,
    identifying_name_tokens,
    normalize_gender,
    normalize_id,
    parse_leak_date,
    phrase,
)
from .roles import Column, Role

FORMAT_VERSION = 1
NUM_PERM = 32
MINHASH_SEED = 20221130
ID_TAG = 0x1D1D1D1D1D1D1D1D
_CHUNK = 20_000  # rows sketched and salted per numpy batch while building
_WEAK_SAMPLE = 200_000  # records whose weak values measure how they go with names


def _h32(x: int) -> int:
    return x & 0xFFFFFFFF


if TYPE_CHECKING:
    from datasketch import LeanMinHash, MinHash

# datasketch (and scipy, which it imports) is loaded when a signature is first made or
# compared: a scan of documents that match nothing never needs it (0.45 s of imports).
_MINHASH_TEMPLATE: list[MinHash] = []


def minhash_of(values: Sequence[int]) -> MinHash:
    """A MinHash of keyed fingerprints, built the way record signatures are (to compare with them).

    Copies one template: drawing the permutations anew for every line would cost more than the hashing.
    """
    if not _MINHASH_TEMPLATE:
        from datasketch import MinHash

        _MINHASH_TEMPLATE.append(MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=_h32))
    m = _MINHASH_TEMPLATE[0].copy()
    m.update_batch(values)
    return m


def bigrams(token: str) -> list[str]:
    """Character bigrams with word boundaries: "ana" -> ^a an na a$."""
    padded = f"^{token}$"
    return [padded[i:i + 2] for i in range(len(padded) - 1)]


def posting_key_id(id_hash: int) -> int:
    return mix(id_hash, ID_TAG)


DOB_TAG = 0xD0BD0BD0BD0BD0B


def posting_key_dob(dob_hash: int) -> int:
    return mix(dob_hash, DOB_TAG)


def posting_key_name_dob(name_hash: int, dob_hash: int) -> int:
    return mix(name_hash, dob_hash)


PAIR_TAG = 0x9A1B9A1B9A1B9A1B


def posting_key_name_pair(a: int, b: int) -> int:
    """Two name tokens of one record, in either order (a names-only list of the leak's people)."""
    return mix(mix(min(a, b), max(a, b)), PAIR_TAG)


def posting_keys_name_pair_np(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`posting_key_name_pair` over uint64 arrays (broadcast)."""
    return mix_np(mix_np(np.minimum(a, b), np.maximum(a, b)), np.uint64(PAIR_TAG))


def name_pairs(names: "set[int] | Sequence[int]") -> list[tuple[int, int]]:
    """Each unordered pair of distinct name fingerprints once, in a fixed order."""
    ordered = sorted(set(names))
    return [(x, y) for i, x in enumerate(ordered) for y in ordered[i + 1:]]


def weak_key(col: int, h: int) -> int:
    return mix(h, col + 1)


def name_column_key(col: int, token_hashes: Sequence[int]) -> int:
    """One fingerprint for a whole name cell (order-free), to count compound names as a unit."""
    acc = 0
    for t in token_hashes:
        acc ^= t
    return mix(acc, 0x5EED00 + col)


@dataclass
class LeakIndex:
    """Fingerprints of a leak. Build with :func:`build_index`; serialize with :meth:`to_bytes`."""

    columns: list[Column]
    key_id: str
    record_ids: np.ndarray          # int64[N]: 1-based record numbers as the leak file counts them
    entry_off: np.ndarray           # int64[N+1]: record r's entries are entry_*[off[r]:off[r+1]]
    entry_hash: np.ndarray          # uint64[F]: keyed fingerprint of each value
    entry_col: np.ndarray           # int16[F]: column index of each value
    bigram_off: np.ndarray          # int32[F+1]: salted bigram sequence of name entries (empty otherwise)
    bigram: np.ndarray              # uint32[B]
    post_key: np.ndarray            # uint64[K] sorted
    post_rec: np.ndarray            # int32[K]: record position of each posting
    name_vocab: np.ndarray          # uint64 sorted unique name-token fingerprints
    name_count: np.ndarray          # int32 occurrences of each in the leak
    id_vocab: np.ndarray            # uint64 sorted unique ID fingerprints
    dob_vocab: np.ndarray           # uint64 sorted unique date-of-birth fingerprints
    dob_count: np.ndarray
    weak_vocab: np.ndarray          # uint64 sorted weak_key(col, fingerprint)
    weak_count: np.ndarray
    weak_raw: np.ndarray            # uint64 sorted unique weak fingerprints (any column)
    weak_first: np.ndarray          # uint64 sorted fingerprints of each weak value's first word
    namecol_vocab: np.ndarray       # uint64 sorted name_column_key(col, tokens): whole name cells
    namecol_count: np.ndarray
    minhash: np.ndarray             # uint32[N, NUM_PERM]
    dob_span_days: int = 29_220     # spread of birth dates in the leak, for chance estimates
    meta: dict = field(default_factory=dict)
    #: uint64 sorted posting keys (name token x birth date) of records that hold the token in two
    #: name entries; None in indexes written before it was kept (see ``repeated_name_keys``).
    repeat_key: np.ndarray | None = None

    @property
    def n_records(self) -> int:
        return int(self.record_ids.shape[0])

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in _ARRAYS)

    def roles(self) -> list[Role]:
        return [c.role for c in self.columns]

    def record_minhash(self, pos: int) -> LeanMinHash:
        """The record's MinHash as a datasketch object (for Jaccard estimates)."""
        from datasketch import LeanMinHash

        return LeanMinHash(seed=MINHASH_SEED, hashvalues=self.minhash[pos], scheme="affine32")

    # -- serialization ---------------------------------------------------------------
    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.save(buf)
        return buf.getvalue()

    def save(self, fileobj: BinaryIO) -> None:
        """Write the index to an open binary file (no in-memory copy of a large index)."""
        header = {
            "format": FORMAT_VERSION,
            "columns": [{"name": c.name, "role": c.role.value} for c in self.columns],
            "key_id": self.key_id,
            "dob_span_days": self.dob_span_days,
            "num_perm": NUM_PERM,
            "minhash_seed": MINHASH_SEED,
            "meta": self.meta,
        }
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        if self.repeat_key is not None:
            arrays["repeat_key"] = self.repeat_key
            header["extra_arrays"] = ["repeat_key"]
        np.savez(fileobj, header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8), **arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> "LeakIndex":
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                header = json.loads(bytes(z["header"]).decode())
                if header.get("format") != FORMAT_VERSION:
                    raise IndexFormatError(f"index format {header.get('format')!r} is not {FORMAT_VERSION}")
                arrays = {name: z[name] for name in _ARRAYS}
                extra = header.get("extra_arrays", [])
                arrays["repeat_key"] = z["repeat_key"] if "repeat_key" in extra else None
            columns = [Column(c["name"], Role(c["role"])) for c in header["columns"]]
            return cls(columns=columns, key_id=str(header["key_id"]), dob_span_days=int(header["dob_span_days"]),
                       meta=dict(header.get("meta", {})), **arrays)
        except IndexFormatError:
            raise
        except Exception as exc:  # zip, json, key and value errors: all mean a damaged file
            raise IndexFormatError(f"the index is damaged or not an index: {exc}") from exc


_ARRAYS = (
    "record_ids", "entry_off", "entry_hash", "entry_col", "bigram_off", "bigram", "post_key",
    "post_rec", "name_vocab", "name_count", "id_vocab", "dob_vocab", "dob_count", "weak_vocab",
    "weak_count", "weak_raw", "weak_first", "namecol_vocab", "namecol_count", "minhash",
)


def _unique_counts(values: "array[int]") -> tuple[np.ndarray, np.ndarray]:
    arr = np.frombuffer(values, dtype=np.uint64) if len(values) else np.zeros(0, dtype=np.uint64)
    if arr.size == 0:
        return arr, np.zeros(0, dtype=np.int32)
    uniq, counts = np.unique(arr, return_counts=True)
    return uniq, counts.astype(np.int32)


def build_index(
    rows: Sequence[Sequence[str]],
    columns: Sequence[Column],
    keyer: Keyer,
    record_ids: Sequence[int] | None = None,
    *,
    consume: bool = False,
) -> LeakIndex:
    """Fingerprint every row of a leak table.

    ``rows`` are cell strings aligned with ``columns``; ``record_ids`` are the 1-based numbers
    reported back in matches (default: 1..N). With ``consume``, ``rows`` (a list) is emptied
    row by row as it is fingerprinted, so the plaintext and the index never both sit whole in
    memory (a million rows stay well under 1.5 GB). Raises :class:`ColumnError` when no
    column can identify a person (no name, date of birth or ID).
    """
    columns = list(columns)
    roles = [c.role for c in columns]
    if not any(r.is_name or r in (Role.DOB, Role.ID) for r in roles):
        raise ColumnError("no identifying column (name, date of birth or ID) to fingerprint")
    if record_ids is None:
        record_ids = range(1, len(rows) + 1)
    if len(record_ids) != len(rows):
        raise ColumnError(f"{len(record_ids)} record ids for {len(rows)} rows")

    date_cols = [i for i, r in enumerate(roles) if r in (Role.DOB, Role.DATE)]
    day_first = {i: column_day_first([row[i] for row in rows[:5000] if i < len(row)]) for i in date_cols}

    h = keyer.cached
    entry_off = array("q", [0])
    entry_hash = array("Q")
    entry_col = array("h")
    bigram_off = array("i", [0])
    bigram_chunks: list[np.ndarray] = []
    bg_raw = array("Q")      # unsalted bigram fingerprints of the current chunk
    bg_salt = array("Q")     # the record salt of each
    n_bigrams = 0
    post_key = array("Q")
    post_rec = array("i")
    name_all = array("Q")
    id_all = array("Q")
    id_lengths: Counter[int] = Counter()
    id_numbers = array("q")  # numeric IDs, for the density of the leak's ID range (never stored)
    name_ends = array("Q")   # each record's first and last name token, for how names pair up
    weak_by_name: dict[int, array] = {}  # weak column -> (first name end, last name end, value) rows
    name_len_max = 0
    dob_all = array("Q")
    weak_all = array("Q")
    weak_raw: set[int] = set()
    weak_first: set[int] = set()
    weak_words = 1
    namecol_all = array("Q")
    dob_ordinals = array("i")
    other_years: set[int] = set()
    minhash = np.empty((len(rows), NUM_PERM), dtype=np.uint32)
    mh_tokens: list[list[int]] = []
    mh_start = 0

    def flush() -> None:
        """Salt the chunk's bigrams and sketch its rows, in numpy / datasketch batches."""
        nonlocal mh_start
        if bg_raw:
            salted = mix_np(np.frombuffer(bg_salt, dtype=np.uint64), np.frombuffer(bg_raw, dtype=np.uint64))
            bigram_chunks.append((salted & np.uint64(0xFFFFFFFF)).astype(np.uint32))
            del bg_raw[:], bg_salt[:]
        from datasketch import MinHash

        gen = MinHash.generator(mh_tokens, num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=_h32)
        for i, m in enumerate(gen, mh_start):
            minhash[i] = m.hashvalues
        mh_start += len(mh_tokens)
        mh_tokens.clear()

    for pos in range(len(rows)):
        row = rows[pos]
        if consume:
            rows[pos] = ()  # type: ignore[index]
        rid = int(record_ids[pos])
        salt = keyer.h64(keyed.SALT, str(rid))
        record_weak_start = len(entry_hash)
        names: list[int] = []
        dobs: list[int] = []
        ids: list[int] = []
        tokens: list[int] = []
        for ci, role in enumerate(roles):
            cell = row[ci] if ci < len(row) else ""
            if not cell or not cell.strip() or role is Role.IGNORE:
                continue
            if role.is_name:
                cell_hashes = []
                for tok in identifying_name_tokens(cell):
                    name_len_max = max(name_len_max, len(tok))
                    nh = h(keyed.NAME, tok)
                    names.append(nh)
                    entry_hash.append(nh)
                    entry_col.append(ci)
                    grams = bigrams(tok)
                    bg_raw.extend(h(keyed.BIGRAM, bg) for bg in grams)
                    bg_salt.extend([salt] * len(grams))
                    n_bigrams += len(grams)
                    bigram_off.append(n_bigrams)
                    tokens.append(nh)
                    cell_hashes.append(nh)
                if cell_hashes:
                    namecol_all.append(name_column_key(ci, cell_hashes))
                continue
            if role in (Role.DOB, Role.DATE):
                d = parse_leak_date(cell, day_first.get(ci))
                if d is None:
                    continue
                dh = h(keyed.DOB, d.isoformat())
                if role is Role.DOB:
                    dobs.append(dh)
                    dob_ordinals.append(d.toordinal())
                else:
                    weak_all.append(weak_key(ci, dh))
                    weak_raw.add(dh)
                    other_years.add(d.year)
            elif role is Role.ID:
                nid = normalize_id(cell)
                if nid is None:
                    continue
                dh = keyer.h64(keyed.ID, nid)  # unique values: caching would only cost memory
                ids.append(dh)
                id_lengths[len(nid)] += 1
                if nid.isdigit() and len(nid) <= 18:
                    id_numbers.append(int(nid))
            else:
                value = normalize_gender(cell) if role is Role.GENDER else phrase(cell)
                if not value:
                    continue
                dh = h(keyed.WEAK, value)
                weak_all.append(weak_key(ci, dh))
                if dh not in weak_raw:
                    weak_raw.add(dh)
                    words = value.split(" ")
                    weak_first.add(h(keyed.WEAK, words[0]))
                    weak_words = max(weak_words, len(words))
            entry_hash.append(dh)
            entry_col.append(ci)
            bigram_off.append(n_bigrams)
            tokens.append(dh)
        for idh in ids:
            post_key.append(posting_key_id(idh))
            post_rec.append(pos)
        unique_names = set(names)
        if len(unique_names) >= 2:
            name_ends.extend((names[0], names[-1]))
        if names and pos < _WEAK_SAMPLE:
            for k in range(record_weak_start, len(entry_hash)):
                ci = entry_col[k]
                if roles[ci].is_weak:
                    weak_by_name.setdefault(ci, array("Q")).extend((names[0], names[-1], entry_hash[k]))
        for a, b in name_pairs(unique_names):
            post_key.append(posting_key_name_pair(a, b))
            post_rec.append(pos)
        for dh in dobs:
            post_key.append(posting_key_dob(dh))
            post_rec.append(pos)
            for nh in unique_names:
                post_key.append(posting_key_name_dob(nh, dh))
                post_rec.append(pos)
        name_all.extend(unique_names)
        id_all.extend(set(ids))
        dob_all.extend(set(dobs))
        entry_off.append(len(entry_hash))
        mh_tokens.append(tokens or [0])
        if len(mh_tokens) >= _CHUNK:
            flush()
    flush()

    keys = np.frombuffer(post_key, dtype=np.uint64)
    recs = np.frombuffer(post_rec, dtype=np.int32)
    order = np.argsort(keys, kind="stable")
    name_vocab, name_count = _unique_counts(name_all)
    dob_vocab, dob_count = _unique_counts(dob_all)
    weak_vocab, weak_count = _unique_counts(weak_all)
    namecol_vocab, namecol_count = _unique_counts(namecol_all)
    span = 29_220
    dob_years = [1900, 2100]
    if len(dob_ordinals) > 10:
        ords = np.sort(np.frombuffer(dob_ordinals, dtype=np.int32))
        lo, hi = int(ords[len(ords) // 100]), int(ords[-1 - len(ords) // 100])
        span = max(3_650, round((hi - lo) / 365.25) * 365)  # rounded to years: reveals no date
        first = dt.date.fromordinal(int(ords[len(ords) // 200])).year
        last = dt.date.fromordinal(int(ords[-1 - len(ords) // 200])).year
        dob_years = [first // 10 * 10 - 5, last // 10 * 10 + 15]  # whole decades: reveals no date
    id_len = sorted(id_lengths.elements()) if len(id_lengths) < 64 else []
    id_median = id_len[len(id_len) // 2] if id_len else (id_lengths.most_common(1)[0][0] if id_lengths else 9)

    index = LeakIndex(
        columns=columns,
        key_id=keyer.key_id,
        record_ids=np.asarray(record_ids, dtype=np.int64),
        entry_off=np.frombuffer(entry_off, dtype=np.int64),
        entry_hash=np.frombuffer(entry_hash, dtype=np.uint64),
        entry_col=np.frombuffer(entry_col, dtype=np.int16),
        bigram_off=np.frombuffer(bigram_off, dtype=np.int32),
        bigram=np.concatenate(bigram_chunks) if bigram_chunks else np.zeros(0, dtype=np.uint32),
        post_key=keys[order],
        post_rec=recs[order],
        name_vocab=name_vocab,
        name_count=name_count,
        id_vocab=np.unique(np.frombuffer(id_all, dtype=np.uint64)),
        dob_vocab=dob_vocab,
        dob_count=dob_count,
        weak_vocab=weak_vocab,
        weak_count=weak_count,
        weak_raw=np.asarray(sorted(weak_raw), dtype=np.uint64),
        weak_first=np.asarray(sorted(weak_first), dtype=np.uint64),
        namecol_vocab=namecol_vocab,
        namecol_count=namecol_count,
        minhash=minhash,
        dob_span_days=span,
        meta={
            "dob_years": dob_years,
            "date_years": [min(other_years) // 10 * 10 - 5, max(other_years) // 10 * 10 + 15] if other_years else [],
            "id_digits": id_median,
            "name_len_max": name_len_max,
            "id_len_min": min(id_lengths) if id_lengths else 0,
            "id_len_max": max(id_lengths) if id_lengths else 0,
            "weak_words": min(weak_words, 12),
            "id_density_log10": _id_density_log10(id_numbers),
            "name_pair_k": _name_pair_correlation(name_ends),
            "weak_name_k": {str(ci): corr for ci, v in weak_by_name.items()
                            if (corr := _weak_name_correlation(v)) is not None},
            "dob_collision_log10": _collision_log10(dob_all),
            "pair_keys": True,
        },
    )
    index.repeat_key = repeated_name_keys(index)
    return index


def _collision_rate(values: np.ndarray) -> float:
    """The chance that two different records picked at random share the value."""
    n = len(values)
    if n < 2:
        return 0.0
    _, counts = np.unique(values, return_counts=True)
    c = counts.astype(np.float64)
    return float(np.sum(c * (c - 1)) / (n * (n - 1.0)))


def _collision_log10(values: "array[int]") -> float | None:
    """log10 chance that two records share a birth date, rounded (None: too few). Birth dates cluster
    (ages, placeholder dates): this is the floor of a date's chance, above one day of the span."""
    arr = np.frombuffer(values, dtype=np.uint64) if len(values) else np.zeros(0, dtype=np.uint64)
    rate = _collision_rate(arr) if len(arr) >= 100 else 0.0
    return round(math.log10(rate), 1) if rate > 0 else None


def _name_pair_correlation(ends: "array[int]") -> float | None:
    """How much more often two records share first and last name than their names' frequencies
    alone say (names run in families, languages, regions): collision rate of the pairs over the
    product of the parts' collision rates, rounded, at least 1 (None: too few records)."""
    if len(ends) < 200:
        return None
    arr = np.frombuffer(ends, dtype=np.uint64).reshape(-1, 2)
    pa, pb = _collision_rate(arr[:, 0]), _collision_rate(arr[:, 1])
    pairs = _collision_rate(mix_np(arr[:, 0], arr[:, 1]))
    if pa <= 0 or pb <= 0 or pairs <= 0:
        return None
    return round(min(max(pairs / (pa * pb), 1.0), 1000.0), 1)


def _weak_name_correlation(rows: "array[int]") -> float | None:
    """How much likelier two records are to share a weak value (a country, a gender) when they
    share a name than at random: names run in countries, first names say the gender. The
    matcher divides a weak field's evidence by it on rows where a name agrees. Rounded, >= 1."""
    if len(rows) < 600:
        return None
    arr = np.frombuffer(rows, dtype=np.uint64).reshape(-1, 3)
    weak = _collision_rate(arr[:, 2])
    if weak <= 0:
        return None
    best = 1.0
    for end in (0, 1):
        name = _collision_rate(arr[:, end])
        both = _collision_rate(mix_np(arr[:, end], arr[:, 2]))
        if name > 0:
            best = max(best, both / (name * weak))
    return round(min(best, 1e6), 1)


def _id_density_log10(numbers: "array[int]") -> float | None:
    """How densely the leak's ID numbers fill their range, as a rounded log10 (None: too few).

    A number drawn by chance from the same range is a leaked ID with about this probability, which
    can be far above 10^-digits when IDs are issued in sequence (A-numbers of one period). Taken
    between the 1st and 99th percentile and rounded to a tenth of a decade: it reveals no value.
    """
    if len(numbers) < 20:
        return None
    arr = np.sort(np.frombuffer(numbers, dtype=np.int64))
    lo, hi = int(arr[len(arr) // 100]), int(arr[-1 - len(arr) // 100])
    inside = int(np.count_nonzero((arr >= lo) & (arr <= hi)))
    return round(math.log10(min(1.0, inside / max(hi - lo + 1, 1))), 1)


def repeated_name_keys(index: LeakIndex) -> np.ndarray:
    """Posting keys (name token x birth date) of records that hold one name token in two name
    entries ("ABDULLAH ABDULLAH"): the matcher counts such a token as two exact name columns.

    Kept in the index as ``repeat_key``; indexes written before that derive it at load.
    """
    roles = index.roles()
    is_name = np.array([r.is_name for r in roles], dtype=bool)
    is_dob = np.array([r is Role.DOB for r in roles], dtype=bool)
    cols = index.entry_col.astype(np.int64)
    where = np.flatnonzero(is_name[cols])
    n_rec = np.searchsorted(index.entry_off, where, side="right") - 1
    n_hash = index.entry_hash[where]
    order = np.lexsort((n_hash, n_rec))
    n_rec, n_hash = n_rec[order], n_hash[order]
    twice = (n_rec[1:] == n_rec[:-1]) & (n_hash[1:] == n_hash[:-1])
    keys: set[int] = set()
    if twice.any():
        dob_where = np.flatnonzero(is_dob[cols])
        dob_rec = np.searchsorted(index.entry_off, dob_where, side="right") - 1
        wanted = np.isin(dob_rec, n_rec[1:][twice])
        dob_of: dict[int, list[int]] = {}
        for r, h in zip(dob_rec[wanted].tolist(), index.entry_hash[dob_where[wanted]].tolist()):
            dob_of.setdefault(r, []).append(h)
        for r, nh in zip(n_rec[1:][twice].tolist(), n_hash[1:][twice].tolist()):
            keys.update(posting_key_name_dob(nh, dh) for dh in dob_of.get(r, ()))
    return np.array(sorted(keys), dtype=np.uint64)


__all__ = ["LeakIndex", "build_index", "bigrams", "minhash_of", "name_column_key", "posting_key_dob", "posting_key_id",
           "name_pairs", "posting_key_name_dob", "posting_key_name_pair", "posting_keys_name_pair_np",
           "repeated_name_keys", "weak_key"]
