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
from .normalize import MONTHS, PARTICLES, RUN_PARTICLES, date_token, fold, normalize_id, particle_joins, phrase

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


# -- Particles written apart: "De La O" ----------------------------------------------------------
#: Characters that are part of a token (``TRANSLATE``): a particle run starts and ends at others.
_TOKEN_CHARS = r"0-9A-Za-z\-/.'\x80-\U0010ffff"
_BY_LENGTH = [sorted(p for p in RUN_PARTICLES if len(p) == n) for n in (2, 3, 4)]
#: What :func:`join_particle_runs` rewrites: particles, each with one space after it, then a
#: one-letter word (the definition; the function finds it faster).
PARTICLE_RUN = re.compile(
    rf"(?<![{_TOKEN_CHARS}])((?:(?:{'|'.join(sorted(RUN_PARTICLES, key=len, reverse=True))}) )+)"
    rf"[A-Za-z](?![{_TOKEN_CHARS}])", re.IGNORECASE | re.ASCII)
#: The end of such a run: " " + a one-letter word, behind a whole particle and its space (found
#: by scanning for the space, so at the speed of a search for one character).
_RUN_END = re.compile(
    rf" (?=[A-Za-z](?![{_TOKEN_CHARS}]))(?:"
    + "|".join(f"(?<=[^{_TOKEN_CHARS}](?:{'|'.join(ws)}) )" for ws in _BY_LENGTH if ws) + ")[A-Za-z]",
    re.IGNORECASE | re.ASCII)


def join_particle_runs(text: str) -> str:
    """``text`` with every run of particles that a one-letter word follows written as one token
    ("De La O" -> "De-La-O", classified as the name ``delao`` it is at registration).

    One space separates the words (not tabs: cells stay apart; not more: aligned columns); the
    text keeps its length and its lines. The compiled gate finds the same runs (and more) on
    its own and asks :meth:`TokenTable.classify` about them, so both read them the same way.
    Rewrites what :data:`PARTICLE_RUN` matches.
    """
    if " " not in text:
        return text
    padded = " " + text  # every particle then has a character before it
    cuts: list[tuple[int, int]] = []
    for m in _RUN_END.finditer(padded):
        first = k = m.start()
        while (j := _particle_before(padded, k)) >= 0:
            first = j
            if j < 2 or padded[j - 1] != " ":
                break
            k = j - 1
        if not cuts or first >= cuts[-1][1]:
            cuts.append((first, m.end()))
    if not cuts:
        return text
    parts, last = [], 0
    for a, b in cuts:
        parts += [padded[last:a], padded[a:b].replace(" ", "-")]
        last = b
    parts.append(padded[last:])
    return "".join(parts)[1:]


def _token_char(c: str) -> bool:
    return c >= "\x80" or c.isalnum() or c in "-/.'"


def _particle_before(text: str, k: int) -> int:
    """Where the token that ends at ``k`` starts, if it is a whole particle; else -1."""
    for n in (2, 3, 4):
        j = k - n
        if j < 1:
            return -1
        if not _token_char(text[j - 1]):
            word = text[j:k]
            return j if word.isascii() and word.lower() in RUN_PARTICLES else -1
    return -1


# -- Letters and digits in one token: glued fields, OCR confusions ---------------------------------
_RUNS = re.compile(r"[a-z]+|[0-9]+")
#: Letters an OCR reads for digits: O for 0, l and I for 1.
_OCR = str.maketrans("oli", "011")
_OCR_LETTERS = frozenset("oli")
#: Parts of a glued token: letters (a name, an ID prefix), numbers with date separators.
_GLUED_PART = re.compile(r"[a-z']+|[0-9]+(?:[-/.][0-9]+)*")
_MIXED_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-/.'")
_PREFIXED_STR = re.compile(r"[a-z]{1,3}[0-9]{4,}")
#: Digits that stand inside a word or at its ends, not behind a separator ("ga1van", "1uis").
_IN_WORD_DIGITS = re.compile(r"(?:[a-z0-9']|(?<=[a-z])[-.](?=[a-z]))*")
#: A number as OCR may write it: digits, O/l/I for some of them, date separators between.
_NUMBERISH = re.compile(r"[0-9oli]+(?:[-/.][0-9oli]+)*")


def mixed_eligible(core: str, id_len_min: int = 4) -> bool:
    """Whether a token mixing letters and digits is read by the glued-field and OCR rules of
    :meth:`TokenTable.classify` (the compiled gate asks Python about exactly these).

    ``core`` is the folded token without - . / ' at its ends; ``id_len_min`` the leak's shortest
    ID. The token must hold digits and a letter past "f" (hex, hashes and UUIDs never do), and
    nothing but letters, digits and - / . ', in at most 3 runs of letters (other than O, l, I
    alone) and 4 runs of digits (other codes are longer mixes), and not be a short prefix glued
    to a number ("A203871489": an ID as it is). Then either it is a word of three letters or
    more, two of them past "f", with one or two 0s and 1s in it ("ga1van"; - and . only between
    letters), or it holds a number shaped like a date or an ID (digits with separators, or one
    run as long as the leak's IDs or a compact date; three digits real, the others O, l or I)
    and a run of two letters or more past "f" (a name, a prefix) or of O, l, I alone (OCR'd
    digits).
    """
    if not _MIXED_CHARS.issuperset(core) or _PREFIXED_STR.fullmatch(core):
        return False
    letter_runs = digit_runs = letters = digits = 0
    wordish = named = False
    name_digits = True
    for m in _RUNS.finditer(core):
        run = m.group()
        if run[0] <= "9":
            digit_runs += 1
            digits += len(run)
            name_digits = name_digits and run.strip("01") == ""
        else:
            ocr = _OCR_LETTERS.issuperset(run)
            letter_runs += not ocr
            letters += len(run)
            word = run.strip("abcdef") != ""  # not hex
            named = named or word
            wordish = wordish or (word and (len(run) >= 2 or ocr))
    if not (letter_runs <= 3 and 0 < digit_runs <= 4 and named):
        return False
    if (name_digits and digits <= 2 and letters >= 3 and sum(c > "f" for c in core if c.isalpha()) >= 2
            and _IN_WORD_DIGITS.fullmatch(core)):
        return True
    long_run = min(8, max(5, id_len_min))
    return wordish and any(_number_shaped(n, long_run) for n in _NUMBERISH.findall(core))


def _number_shaped(n: str, long_run: int) -> bool:
    """Whether a number as OCR may write it is shaped like a date or an ID: three real digits,
    and five digits or more with separators, ``long_run`` or more without."""
    if sum(c.isdigit() for c in n) < 3:
        return False
    if n.isalnum():
        return len(n) >= long_run
    return sum(c not in "-/." for c in n) >= 5


def ocr_digits(core: str, edges: bool = False) -> str:
    """``core`` with the runs of O, l, I that stand next to a digit (or a date separator next to
    one) read as the digits they resemble: "a94672o635" -> "a946720635", "o8/13/196o" ->
    "08/13/1960", "l988-03-14" -> "1988-03-14". With ``edges``, also the O, l, I that end a run
    of other letters before a digit or start one after ("al6357o84o" -> "a163570840"), which
    may as well be letters ("gil1988" is read both ways by the classifier)."""
    chars = list(core)
    for m in _RUNS.finditer(core):
        run, a, b = m.group(), m.start(), m.end()
        if run[0] <= "9":
            continue
        before, after = _digit_side(core, a - 1, -1), _digit_side(core, b, 1)
        if _OCR_LETTERS.issuperset(run):
            if before or after:
                chars[a:b] = run.translate(_OCR)
            continue
        if edges and after:
            k = b
            while k > a and core[k - 1] in _OCR_LETTERS:
                k -= 1
            chars[k:b] = core[k:b].translate(_OCR)
        if edges and before:
            k = a
            while k < b and core[k] in _OCR_LETTERS:
                k += 1
            chars[a:k] = core[a:k].translate(_OCR)
    return "".join(chars)


def _digit_side(core: str, i: int, step: int) -> bool:
    """Whether position ``i`` of ``core`` is a digit, or a date separator with a digit beyond it."""
    if not 0 <= i < len(core):
        return False
    if core[i] in "-/.":
        i += step
    return 0 <= i < len(core) and core[i].isdigit()


_NAME_DIGITS = {"1": "li", "0": "o"}


def name_readings(core: str) -> list[str]:
    """The names a word with one or two OCR'd digits inside can be: "ga1van" -> galvan, gaivan."""
    digits = [i for i, c in enumerate(core) if c.isdigit()]
    if not digits or len(digits) > 2 or any(core[i] not in _NAME_DIGITS for i in digits):
        return []
    if sum(c.isalpha() for c in core) < 3:
        return []
    readings = [core]
    for i in digits:
        readings = [r[:i] + c + r[i + 1:] for r in readings for c in _NAME_DIGITS[core[i]]]
    return readings



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
        if tok.isalpha():  # plain ASCII word (particles too: the leak's vocabulary decides)
            s = tok.decode()
            names = ()
            if 2 <= len(s) <= self.name_len_max:
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
            plain = self._plain(core) if _DATE_OR_ID.fullmatch(core) else None
            s = fold(core.decode("utf-8", "ignore"))
            if not mixed_eligible(s, self.id_len_min):
                return plain  # hashes, hex, paths, addresses, decimals: a date or an ID by shape only
            return self._mixed(s, plain)
        if b"/" in core or not core:
            return None  # paths and slashed words are not names
        parts = self.folded(tok)
        names = tuple(nh for p in parts if (nh := h(keyed.NAME, p)) in self.name_vocab)
        flags = F_MONTH if fold(core.decode("utf-8", "ignore")).rstrip(".") in MONTHS else 0
        if names or flags:
            return TokenInfo(names, 0, (), flags)
        return None

    def _plain(self, core: bytes) -> TokenInfo | None:
        """A token shaped like a date or an ID number (``_DATE_OR_ID``), as what it is."""
        s = fold(core.decode("utf-8", "ignore"))
        dates = date_token(s)
        if dates:
            return TokenInfo((), 0, self.dob_hashes(dates), self.date_flags(dates) | _order_flags(core),
                             self.readings(core, dates))
        nid = normalize_id(s)
        return None if nid is None else self._id_info(nid)

    def _mixed(self, s: str, plain: TokenInfo | None) -> TokenInfo | None:
        """A token of letters and digits (:func:`mixed_eligible`), read every way it can be:
        as the date or ID its shape says (``plain``); as glued fields, each part by itself
        ("esparta08/13/1960": a name and a date; "a946729635mesa": an ID and a name), unless
        its shape is already a date or an ID; with OCR's O, l, I next to digits read as digits
        ("a94672o635", "l988-03-14"; also at the edges of other letters: "al6357o84o"); as a
        name with OCR'd digits in it ("ga1van"). Only parts whole in themselves count: a number
        part is a date or an ID by the plain rule, a letter part a name only when the leak holds
        it. Every reading's names, dates and ID together are the token's.
        """
        infos = [plain]
        if plain is None:
            infos.extend(self._glued(s))
        for read in dict.fromkeys((ocr_digits(s), ocr_digits(s, edges=True))):
            if read == s:
                continue
            b = read.encode()
            if read.isdigit() or _PREFIXED_ID.fullmatch(b) or _DATE_OR_ID.fullmatch(b):
                infos.append(self.classify(b))
            else:
                infos.extend(self._glued(read))
        h = self.keyer.cached
        names = [nh for r in name_readings(s) for p in re.split(r"[^a-z]+", r.replace("'", ""))
                 if len(p) >= 2 and (nh := h(keyed.NAME, p)) in self.name_vocab]
        got = [i for i in infos if i is not None]
        if not names and len(got) <= 1:
            return got[0] if got else None
        names += [n for i in got for n in i.names]
        dobs = tuple(dict.fromkeys(d for i in got for d in i.dobs))
        flags = 0
        for i in got:
            flags |= i.flags
        id_hash = next((i.id_hash for i in got if i.id_hash), 0)
        readings = plain.readings if plain is not None and dobs == plain.dobs else None
        return TokenInfo(tuple(dict.fromkeys(names)), id_hash, dobs, flags, readings)

    def _glued(self, s: str) -> list[TokenInfo | None]:
        """Each part of a token of glued fields by itself: names (two letters or more, in the
        leak's vocabulary), and numbers (dates and IDs by their shape)."""
        h = self.keyer.cached
        out: list[TokenInfo | None] = []
        for part in _GLUED_PART.findall(s):
            if part[0].isdigit():
                out.append(self.classify(part.encode()))
                continue
            word = part.replace("'", "")
            if 2 <= len(word) <= self.name_len_max and (nh := h(keyed.NAME, word)) in self.name_vocab:
                out.append(TokenInfo((nh,), 0, (), 0))
        return out

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
        """Name parts of a raw token (folded, split on - ' .): those of two letters or more
        (particles only where the leak holds them as names: "du"), and the joined token of
        particles before a one-letter part ("de-la-o" -> delao, see ``join_particle_runs``)."""
        got = self._fold_cache.get(tok)
        if got is None:
            if len(self._fold_cache) > 200_000:
                self._fold_cache.clear()
            text = fold(tok.decode("utf-8", "ignore")).replace("'", "")
            parts = re.split(r"[^a-z]+", text)
            got = [p for p in parts if len(p) >= 2 and (p not in PARTICLES or self._in_vocab(p))]
            got += particle_joins([p for p in parts if p])
            self._fold_cache[tok] = got
        return got

    def _in_vocab(self, word: str) -> bool:
        return self.keyer.cached(keyed.NAME, word) in self.name_vocab

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
