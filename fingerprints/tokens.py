"""Tokens of a document and what each can be for one leak: a name, an ID, a date, nothing.

Documents are lower-cased and split in a few C calls (``bytes.translate`` + ``split``). Each
distinct token is then classified once per process and remembered: most tokens recur, so the
keyed hashing and shape checks are paid once. The classes of tokens (leak names, leaked IDs,
leak dates, month names, dates whose order is plain) are kept as sets, so the matcher's
document gate is a handful of set operations in C.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import keyed
from .index import LeakIndex
from .keyed import Keyer
from .normalize import MONTHS, PARTICLES, date_token, fold, normalize_id, phrase

_ASCII_TABLE = bytearray(range(256))
for _b in range(256):
    _c = chr(_b)
    if _b < 128 and not (_c.isalnum() or _c in "-/.'\n"):
        _ASCII_TABLE[_b] = 0x20
    elif "A" <= _c <= "Z":
        _ASCII_TABLE[_b] = _b + 32
TRANSLATE = bytes(_ASCII_TABLE)

F_MONTH = 1
F_IDLIKE = 2
F_DATE = 4
F_DOBLIKE = 8    # a date that could be a birth date of this leak's people
F_IDSHAPE = 16   # a number shaped like this leak's ID numbers
F_US = 32        # a numeric date that can only be month-first ("10/24/1975")
F_EU = 64        # a numeric date that can only be day-first ("24/10/1975")
_NUMERIC_PARTS = re.compile(rb"([0-9]{1,4})[-/.]([0-9]{1,2})[-/.]([0-9]{2,4})")


def _order_flags(core: bytes) -> int:
    m = _NUMERIC_PARTS.match(core)
    if m is None or len(m.group(1)) > 2:
        return 0
    a, b = int(m.group(1)), int(m.group(2))
    return F_US if b > 12 >= a else F_EU if a > 12 >= b else 0
DIGIT = re.compile(r"\d")
_NON_DIGIT = re.compile(r"\D")
DIGITS_B = re.compile(rb"\d")
#: The shapes a token with digits must have to be a date or an ID at all: numeric dates (with a
#: time glued on), dates with a month name, IDs with a short prefix and separators, compact dates.
_DATE_OR_ID = re.compile(
    rb"[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}(?:t[0-9]{1,2})?"
    rb"|[0-9]{1,2}[-/.]?[a-z]{3,10}\.?[-/.]?[0-9]{2,4}"
    rb"|[a-z]{0,3}[-#]?[0-9]{2,}(?:-[0-9]{2,}){0,4}"
    rb"|[0-9]{3}\.[0-9]{3}\.[0-9]{3}(?:-[0-9]{2})?"  # dotted national numbers; not IP addresses
)
#: A short letter prefix glued to a number: the commonest written form of an ID ("a203871489").
_PREFIXED_ID = re.compile(rb"[a-z]{1,3}([0-9]{4,})")
_LONGEST_VALUE = 64
ALPHA_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz")
#: Every 2- to 4-digit number: the groups an ID can be written in ("A 277 958 520").
DIGIT_GROUPS = frozenset(f"{i:0{n}d}".encode() for n in (2, 3, 4) for i in range(10 ** n))
STRIP = "-./'"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    names: tuple[int, ...]
    id_hash: int
    dobs: tuple[int, ...]
    flags: int
    #: For an ambiguous numeric date ("05/02/1995"): the month-first and the day-first
    #: reading's fingerprint (0 when that reading is no leak date).
    readings: tuple[int, int] | None = None


class TokenTable:
    """Per-process classification of raw tokens against one leak's vocabulary of fingerprints."""

    def __init__(self, index: LeakIndex, keyer: Keyer) -> None:
        self.keyer = keyer
        self.name_vocab = set(index.name_vocab.tolist())
        self.id_vocab = set(index.id_vocab.tolist())
        self.date_vocab = set(index.dob_vocab.tolist()) | set(index.weak_raw.tolist())
        meta = index.meta
        self.dob_years = tuple(meta.get("dob_years", (1900, 2100)))
        self.date_years = tuple(meta.get("date_years") or (0, -1))
        self.id_len_min = max(4, int(meta.get("id_len_min", 4)))
        self.id_len_max = int(meta.get("id_len_max", 64))
        self.name_len_max = int(meta.get("name_len_max", 40))
        self._fold_cache: dict[bytes, list[str]] = {}
        self._word_cache: dict[bytes, str] = {}
        self.forget()

    def classify(self, tok: bytes) -> TokenInfo | None:
        h = self.keyer.cached
        if tok.isdigit():  # the common numeric case, without decoding or regexes
            if len(tok) < 4:
                return None
            dobs: tuple[int, ...] = ()
            flags = 0
            if len(tok) == 8 and tok[:2] in (b"19", b"20"):
                dates = date_token(tok.decode())
                dobs = self.dob_hashes(dates)
                flags = self.date_flags(dates)
            nid = tok.lstrip(b"0")
            id_hash = 0
            if self.id_len_min <= len(nid) <= self.id_len_max:
                ih = self.keyer.h64(keyed.ID, nid.decode())  # numbers are mostly unique: no cache
                id_hash = ih if ih in self.id_vocab else 0
                if not flags:
                    flags |= F_IDSHAPE
            if len(nid) >= 6:
                flags |= F_IDLIKE
            return TokenInfo((), id_hash, dobs, flags) if (id_hash or dobs or flags) else None
        if tok.isalpha():  # plain ASCII word
            s = tok.decode()
            names = ()
            if 2 <= len(s) <= self.name_len_max and s not in PARTICLES:
                nh = h(keyed.NAME, s)
                names = (nh,) if nh in self.name_vocab else ()
            flags = F_MONTH if s in MONTHS else 0
            return TokenInfo(names, 0, (), flags) if (names or flags) else None
        if len(tok) > _LONGEST_VALUE:
            return None
        core = tok.strip(b"-./'")
        prefixed = _PREFIXED_ID.fullmatch(core)
        if prefixed:  # "a203871489": the usual shape of a prefixed ID number, straight to its hash
            return self._id_info(prefixed.group(1).lstrip(b"0").decode())
        if DIGITS_B.search(core):
            if not _DATE_OR_ID.fullmatch(core):
                return None  # hashes, hex, paths, addresses, decimals: never a date or an ID
            s = fold(core.decode("utf-8", "ignore"))
            dates = date_token(s)
            if dates:
                return TokenInfo((), 0, self.dob_hashes(dates), self.date_flags(dates) | _order_flags(core),
                             self.readings(core, dates))
            nid = normalize_id(s)
            return None if nid is None else self._id_info(nid)
        if b"/" in core or not core:
            return None  # paths and slashed words are not names
        parts = self.folded(tok)
        names = tuple(nh for p in parts if (nh := h(keyed.NAME, p)) in self.name_vocab)
        flags = F_MONTH if fold(core.decode("utf-8", "ignore")).rstrip(".") in MONTHS else 0
        if names or flags:
            return TokenInfo(names, 0, (), flags)
        return None

    def _id_info(self, nid: str) -> TokenInfo | None:
        """What a normalized ID-shaped value is: a leaked ID, shaped like one, or just long digits."""
        if len(nid) < 4:
            return None
        ih = self.keyer.h64(keyed.ID, nid) if self.id_len_min <= len(nid) <= self.id_len_max else 0
        id_hash = ih if ih in self.id_vocab else 0
        digits = len(nid) if nid.isdigit() else len(_NON_DIGIT.sub("", nid))
        flags = (F_IDLIKE if digits >= 6 else 0) | (F_IDSHAPE if ih else 0)
        return TokenInfo((), id_hash, (), flags) if (id_hash or flags) else None

    def readings(self, core: bytes, dates) -> tuple[int, int] | None:
        """(month-first, day-first) fingerprints of an ambiguous numeric date, else None."""
        if len(dates) != 2:
            return None
        m = _NUMERIC_PARTS.match(core)
        if m is None or len(m.group(1)) > 2 or len(m.group(3)) != 4:
            return None  # two readings from a two-digit year are centuries, not orders
        a, b = int(m.group(1)), int(m.group(2))
        us = next((d for d in dates if d.month == a and d.day == b), None)
        eu = next((d for d in dates if d.month == b and d.day == a), None)
        if us is None or eu is None:
            return None
        us_hash, eu_hash = self.dob_hashes((us,)), self.dob_hashes((eu,))
        return (us_hash[0] if us_hash else 0), (eu_hash[0] if eu_hash else 0)

    def date_flags(self, dates) -> int:
        if not dates:
            return 0
        lo, hi = self.dob_years
        return F_DATE | (F_DOBLIKE if any(lo <= d.year <= hi for d in dates) else 0)

    def dob_hashes(self, dates) -> tuple[int, ...]:
        """Fingerprints of the dates that are birth dates somewhere in the leak.

        Dates outside the leak's span of birth years (log timestamps, this year's dates) are
        not even hashed.
        """
        h = self.keyer.cached
        lo, hi = self.dob_years
        lo2, hi2 = self.date_years
        return tuple(dh for d in dates if (lo <= d.year <= hi or lo2 <= d.year <= hi2)
                     and (dh := h(keyed.DOB, d.isoformat())) in self.date_vocab)

    def folded(self, tok: bytes) -> list[str]:
        """Identifying name parts of a raw token (folded, split on - ' .)."""
        got = self._fold_cache.get(tok)
        if got is None:
            if len(self._fold_cache) > 200_000:
                self._fold_cache.clear()
            text = fold(tok.decode("utf-8", "ignore")).replace("'", "")
            got = [p for p in re.split(r"[^a-z]+", text) if len(p) >= 2 and p not in PARTICLES]
            self._fold_cache[tok] = got
        return got

    def word(self, tok: bytes) -> str:
        """A raw token as a weak-value word (folded, punctuation dropped), cached."""
        got = self._word_cache.get(tok)
        if got is None:
            if len(self._word_cache) > 200_000:
                self._word_cache.clear()
            got = self._word_cache[tok] = phrase(tok.decode("utf-8", "ignore"))
        return got

    def learn(self, tokens: "set[bytes] | list[bytes]") -> None:
        """Classify the tokens not seen before (once per process; most tokens recur)."""
        new = (tokens if isinstance(tokens, set) else set(tokens)) - self.known
        if not new:
            return
        if len(self.known) > 1_500_000:
            self.forget()
        known = self.known
        relevant = self.relevant
        for tok in new:
            known.add(tok)
            info = self.classify(tok)
            if info is None:
                continue
            relevant[tok] = info
            if info.names:
                self.t_name.add(tok)
            if info.id_hash:
                self.t_id.add(tok)
            if info.dobs:
                self.t_date.add(tok)
            if info.flags & F_MONTH:
                self.t_month.add(tok)
            if info.flags & (F_US | F_EU):
                self.t_order.add(tok)

    def forget(self) -> None:
        self.known: set[bytes] = set()
        self.relevant: dict[bytes, TokenInfo] = {}
        self.t_name: set[bytes] = set()
        self.t_id: set[bytes] = set()
        self.t_date: set[bytes] = set()
        self.t_month: set[bytes] = set()
        self.t_order: set[bytes] = set()
