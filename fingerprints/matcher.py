"""Find a leak's records in the text of any document.

The matcher works in three passes, each cheaper than the next is thorough:

1. **Document gate.** The text is lower-cased and split in a few C calls
   (``bytes.translate`` + ``split``); each distinct token is classified once per process
   (cached) as a leak name token, a leak ID, a date, a month name, or nothing. A document with
   no leak ID (also in digit groups), no two leak names and no leak name next to a date cannot
   hold a record and is done.
2. **Candidates.** Posting keys (the ID; each name token with each date of birth; each pair of
   names of one record) are looked up in the index's sorted posting array, document-wide first
   and then per line.
3. **Verification.** Each candidate record is compared field by field with its row (long
   prose lines are cut into overlapping windows; a record wrapped onto the next line borrows
   from its neighbour only the kinds of field its own line lacks). Names tolerate typos through
   per-record salted bigram fingerprints compared with rapidfuzz.

The decision (README, "How matching works") is stated once, here: each row's evidence is E,
the number of records an unrelated person would match as well (``E = N x prod(p)`` over the
fields that agree, from the leak's own frequencies, raised by every field that disagrees), and
a document is a hit when a binomial tail over the rows it offers bounds the chance explanation
of its matched rows below ``10**-DOCUMENT_EVIDENCE`` (:func:`_evidence`); the score is a
logistic map of that evidence, 0.5 at the threshold.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Levenshtein

from . import keyed
from .errors import KeyError_
from .index import (
    LeakIndex,
    bigrams,
    minhash_of,
    name_column_key,
    posting_key_dob,
    posting_key_id,
    posting_key_name_dob,
    name_pairs,
    posting_key_name_pair,
    posting_keys_name_pair_np,
    weak_key,
)
from .keyed import Keyer, mix_np, salt32
from .normalize import (
    text_dates,
)
from .results import DocumentMatch, RecordMatch, mask
from .roles import Role
from .tokens import (
    ALPHA_BYTES,
    DIGIT,
    DIGIT_GROUPS,
    DIGITS_B,
    F_DATE,
    F_DOBLIKE,
    F_EU,
    F_IDLIKE,
    F_IDSHAPE,
    F_MONTH,
    F_US,
    STRIP,
    TRANSLATE,
    TokenInfo,
    TokenTable,
    join_particle_runs,
)

#: A document is a hit when chance explains its matched rows with probability below 10**-this.
DOCUMENT_EVIDENCE = 3.5
#: A row whose chance explanation is this likely or more carries no evidence (E >= 1) and is not
#: even kept; between 1 and this it is reported only in documents mostly made of leaked rows.
ROW_MAX_EXPECTED = 10.0
#: Documents whose rows give at least this much evidence are searched again for rows with both
#: names mistyped (a leaked birth date, names compared by bigrams). Excerpts of a document that
#: give less cannot make it a hit (see ``needs_whole_document``).
RESCUE_EVIDENCE = DOCUMENT_EVIDENCE / 2
#: Evidence of one kind only (an ID alone, two names alone) never counts as rarer than this per row:
#: reused or mistyped numbers, namesakes and families are not modelled field by field.
ONE_KIND_FLOOR = 1e-2
#: Two names of one person occur together more often than their frequencies multiplied say: names
#: run in families, languages and regions. Measured on each leak at registration (``name_pair_k``);
#: this is for indexes without the measure. The leak's own count of the pair is used when larger.
NAME_PAIR_CORRELATION = 10.0
#: log10 factors by which a disagreeing field of the row raises the chance explanation. An ID that
#: disagrees rules the record out unless the row also has its birth date and its whole name exactly.
ID_CONFLICT = 3.0
DOB_CONFLICT = 4.0
DOB_CONFLICT_WITH_ID = 1.0
#: Per name the record has that the row gives otherwise: its first name, its surname (or one of
#: its surnames), all of its names. A name agrees when spelled exactly or nearly (>= NAME_AGREES).
NAME_CONFLICT = 2.0
NAME_AGREES = 0.75
#: Per weak column (country, facility, gender...) for which the row gives another of its values.
WEAK_CONFLICT = 1.0
#: A birth date is never rarer than one day of the leak's span, nor than the chance that two of
#: its records share a birth date (measured at registration: ages and placeholder dates cluster).
DOB_DAYS_FLOOR = 1.0
#: Lines longer than this many tokens (prose) are cut into windows of WINDOW tokens.
LONG_LINE = 60
WINDOW = 40
MAX_NGRAM = 6
FUZZY_MIN_SIMILARITY = 0.5
FUZZY_MAX_BIGRAM_EDITS = 4
#: A name spelled nearly (similarity s of salted bigrams) is as common as the name times
#: 10^(FUZZY_PENALTY_LOG10 + FUZZY_PER_DISTANCE x (1 - s)): one typo x~100, two x~1000 (many names
#: lie within an edit or two of another).
FUZZY_PENALTY_LOG10 = 1.0
FUZZY_PER_DISTANCE = 4.0
NAME_P_FLOOR = 1e-5


def log10_tail(j: int, rows: int, q: float) -> float:
    """log10 of an upper bound on P(X >= j) for X ~ Binomial(rows, q): the chance that ``j`` or more
    of ``rows`` unrelated rows match some record at a level of chance ``q`` each.

    Exact term P(X = j) times the geometric bound 1 / (1 - r) on the rest (the ratio r of
    successive terms only falls past j); 0 (certainty) at or below the mean.
    """
    if j <= 0 or q >= 1.0:
        return 0.0
    if q <= 0.0:
        return -300.0
    r = (rows - j) / (j + 1) * q / (1.0 - q)
    if j <= rows * q or r >= 1.0:
        return 0.0
    log_pmf = (math.lgamma(rows + 1) - math.lgamma(j + 1) - math.lgamma(rows - j + 1)
               + j * math.log(q) + (rows - j) * math.log1p(-q))
    return min(0.0, (log_pmf - math.log1p(-r)) / math.log(10))


@dataclass(frozen=True, slots=True)
class _Anchors:
    """Tokens that make a line worth a closer look."""

    ids: set[bytes]
    names: set[bytes]
    dobs: set[bytes]
    spaced: bool
    #: Name tokens that form a pair of one record's names with another name of the document.
    pairs: set[bytes] = frozenset()  # type: ignore[assignment]


_NONE: frozenset[int] = frozenset()


class _Window:
    """Evidence one line (or window of a long line) offers."""

    __slots__ = ("part", "line", "tokens", "names", "name_count", "ids", "dobs", "flags", "phrases", "covered",
                 "name_phrases", "_alpha", "text")

    def __init__(self, part: int, line: int, tokens: list[bytes], text: str) -> None:
        self.part = part
        self.line = line
        self.tokens = tokens
        self.text = text
        self.names: set[int] = set()
        #: How many tokens of the window give each name: one token fills one name of a record.
        self.name_count: dict[int, int] = {}
        self.ids: set[int] = set()
        self.dobs: dict[int, int] = {}  # fingerprint -> how many readings its token had
        self.flags = 0
        #: Weak values of the leak (country, facility...) the window holds, and the positions of the
        #: tokens inside the ones of several words: "San Antonio" holds no first name.
        self.phrases: set[int] = set()
        self.covered: set[int] = set()
        #: One-word weak values that are also name tokens: phrase -> its name fingerprints.
        self.name_phrases: dict[int, set[int]] = {}
        self._alpha: list[tuple[str, bytes]] | None = None


class Matcher:
    """Matches documents against one leak's :class:`LeakIndex`. Keep one per process: it caches."""

    def __init__(self, index: LeakIndex, keyer: Keyer) -> None:
        if keyer.key_id != index.key_id:
            raise KeyError_(
                f"this leak was fingerprinted with key {index.key_id}, not with the key given ({keyer.key_id})"
            )
        self.index = index
        self.keyer = keyer
        self.n = max(index.n_records, 1)
        self._log_n = math.log10(self.n)
        self._roles = index.roles()
        self._colnames = [c.name for c in index.columns]
        self._name_count = dict(zip(index.name_vocab.tolist(), index.name_count.tolist()))
        self._dob_count = dict(zip(index.dob_vocab.tolist(), index.dob_count.tolist()))
        self._weak_count = dict(zip(index.weak_vocab.tolist(), index.weak_count.tolist()))
        self._weak_raw = set(index.weak_raw.tolist())
        self._weak_first = set(index.weak_first.tolist())
        self._weak_words = int(index.meta.get("weak_words", MAX_NGRAM))
        self._namecol_count = dict(zip(index.namecol_vocab.tolist(), index.namecol_count.tolist()))
        name_roles = {r for r in self._roles if r.is_name}
        surname_roles = name_roles & {Role.LAST_NAME, Role.FULL_NAME}
        #: Name columns whose match identifies (a surname); first names alone only corroborate.
        self._identifying_name_roles = surname_roles or name_roles
        self._has_role = {r: r in self._roles for r in Role}
        id_digits = index.meta.get("id_digits", 9)
        density = index.meta.get("id_density_log10")
        # An unrelated person's ID is this record's with chance 10^-digits, or one in the span of
        # the leak's ID range when IDs are issued densely in it (then E for an ID is the density).
        self._id_log_p = max(-min(float(id_digits), 12.0), float(density) - self._log_n if density is not None else -99.0)
        collision = index.meta.get("dob_collision_log10")
        self._dob_floor = max(DOB_DAYS_FLOOR / max(index.dob_span_days, 365),
                              10.0 ** collision if collision is not None else 0.0)
        self._pair_k = max(1.0, float(index.meta.get("name_pair_k") or NAME_PAIR_CORRELATION))
        measured = index.meta.get("weak_name_k")
        #: log10 of how much likelier a weak value is shared once a name is (per column). Older
        #: indexes did not measure it: there a country or gender adds nothing to a name.
        self._weak_name_k = ({int(c): math.log10(k) for c, k in measured.items()} if measured is not None else
                             {i: 99.0 for i, r in enumerate(self._roles) if r in (Role.COUNTRY, Role.GENDER)})
        self._pair_keys = bool(index.meta.get("pair_keys"))
        self.tokens = TokenTable(index, keyer)
        self._order = 0

    def _infos(self, tokens: list[bytes]) -> dict[bytes, TokenInfo]:
        """The relevant tokens among ``tokens`` with what they are."""
        self.tokens.learn(tokens)
        relevant = self.tokens.relevant
        return {t: relevant[t] for t in relevant.keys() & set(tokens)}

    # -- public API -----------------------------------------------------------------
    def match(self, text: str) -> DocumentMatch:
        """Match one text (lines separated by newlines; table cells by tabs)."""
        return self.match_parts([text])

    def match_parts(self, texts: Sequence[str], order: int | None = None) -> DocumentMatch:
        """Match a document made of several parts (archive members, sheets) as one document.

        ``order`` (``F_US``, ``F_EU`` or 0) says how the document writes ambiguous numeric
        dates when ``texts`` are only excerpts of it; by default each part's own dates tell.
        """
        matches: list[_RowMatch] = []
        rows = _Rows(self.tokens.relevant)
        for pi, text in enumerate(texts):
            matches.extend(self._match_text(pi, text, order, rows))
        return self._decide(matches, rows)

    def needs_whole_document(self, excerpts: str, order: int) -> bool:
        """Whether excerpts of a document (the lines a sound gate passed, with their neighbours)
        leave the whole document any chance of being a hit.

        The whole document has at most the excerpts' row matches plus rescued rows, and more rows
        to explain them by chance; rescue only runs from ``RESCUE_EVIDENCE`` on. So excerpts below
        that bound prove the document clean.
        """
        return self.match_parts([excerpts], order=order).evidence >= RESCUE_EVIDENCE

    def leaked_values_in(self, text: str) -> list[str]:
        """Kinds of leaked value ("name", "id", "dob") that appear in ``text``: for vetting queries."""
        low = join_particle_runs(text).encode("utf-8", "ignore").translate(TRANSLATE)
        infos = self._infos(low.split())
        kinds: set[str] = set()
        dobs: set[int] = set()
        for info in infos.values():
            if info.names:
                kinds.add("name")
            if info.id_hash:
                kinds.add("id")
            dobs.update(info.dobs)
        if any(info.flags & F_MONTH for info in infos.values()):
            dobs.update(self.keyer.cached(keyed.DOB, d.isoformat()) for d in text_dates(text))
        if any(d in self._dob_count for d in dobs):
            kinds.add("dob")
        return sorted(kinds)

    # -- passes -----------------------------------------------------------------------
    def _match_text(self, part: int, text: str, order: int | None, rows: "_Rows") -> list["_RowMatch"]:
        """Row matches in one part; adds the rows it offers for comparison to ``rows``."""
        text = join_particle_runs(text)  # "De La O" is one name token, as at registration
        low = text.encode("utf-8", "ignore").translate(TRANSLATE)
        token_list = low.split()
        tokens = set(token_list)  # distinct tokens: every set operation below runs over few
        self.tokens.learn(tokens)
        rows.add(low)
        # A leaked ID, two leak names, or a leak name together with a leak date.
        id_t = self.tokens.t_id.intersection(tokens)
        # IDs written in digit groups are only assembled per line, wherever they are.
        spaced = len(DIGIT_GROUPS.intersection(tokens)) >= 2 and any(ih for _, ih in self._grouped_ids(token_list))
        if not id_t and not spaced:
            name_t = self.tokens.t_name.intersection(tokens)
            has_dates = not (self.tokens.t_date.isdisjoint(tokens) and self.tokens.t_month.isdisjoint(tokens))
            if not (name_t and has_dates) and len(name_t) < 2:
                return []
        self._order = self._date_order(tokens) if order is None else order
        relevant = self.tokens.relevant
        found = id_t.union(self.tokens.t_name.intersection(tokens), self.tokens.t_date.intersection(tokens),
                           self.tokens.t_month.intersection(tokens))
        infos = {t: relevant[t] for t in found}
        names: set[int] = set()
        ids: set[int] = set()
        dobs: set[int] = set()
        month = False
        for info in infos.values():
            names.update(info.names)
            if info.id_hash:
                ids.add(info.id_hash)
            dobs.update(info.dobs)
            month = month or bool(info.flags & F_MONTH)
        if not ids and not spaced and not (names and (dobs or month)) and len(names) < 2:
            return []
        if month and names:
            dobs.update(self.tokens.dob_hashes(self._month_dates(low, self.tokens.t_month.intersection(tokens))))
        # Which names and dates take part in a posting hit anywhere in the document: only lines
        # holding one of those (or a leaked ID) need a closer look.
        hit_names, hit_dobs = names, dobs
        if names and dobs and len(names) * len(dobs) <= 250_000:
            na = np.fromiter(names, dtype=np.uint64, count=len(names))
            da = np.fromiter(dobs, dtype=np.uint64, count=len(dobs))
            hit = self._posting_hits(mix_np(na[:, None], da[None, :]).ravel()).reshape(len(na), len(da))
            ni, di = np.nonzero(hit)
            hit_names = set(na[ni].tolist())
            hit_dobs = set(da[di].tolist())
        elif not dobs:
            hit_names = set()
        pair_names = self._pair_hits(names)
        if spaced:  # grouped IDs are only assembled per line: look at every name and date line
            hit_names, hit_dobs = names, dobs
        elif not ids and not hit_names and not pair_names:
            return []
        id_anchor = {t for t, i in infos.items() if i.id_hash}
        name_anchor = {t for t, i in infos.items() if i.names and not hit_names.isdisjoint(i.names)}
        dob_anchor = {t for t, i in infos.items()
                      if (i.dobs and not hit_dobs.isdisjoint(i.dobs)) or (i.flags & F_MONTH and hit_dobs)}
        pair_anchor = {t for t, i in infos.items() if i.names and not pair_names.isdisjoint(i.names)}
        anchors = _Anchors(id_anchor, name_anchor, dob_anchor, spaced, pair_anchor)
        return self._match_lines(part, text, low, infos, anchors, rows)

    def _pair_hits(self, names: set[int]) -> set[int]:
        """The names among ``names`` that form a posting pair (two names of one record) with another."""
        if len(names) < 2 or not self._pair_keys:
            return set()
        if len(names) > 700:  # too many pairs to test at once: every name may take part
            return names
        na = np.fromiter(names, dtype=np.uint64, count=len(names))
        keys = posting_keys_name_pair_np(na[:, None], na[None, :])
        hit = self._posting_hits(keys.ravel()).reshape(len(na), len(na))
        np.fill_diagonal(hit, False)
        return set(na[np.nonzero(hit.any(axis=1))[0]].tolist())

    def _date_order(self, tokens: set[bytes]) -> int:
        """Whether the document writes numeric dates month-first (F_US) or day-first (F_EU).

        Known when its unambiguous dates ("10/24/1975": the second part is over 12) all agree;
        its ambiguous dates ("05/02/1995") are then read that way only.
        """
        us = eu = 0
        relevant = self.tokens.relevant
        for t in self.tokens.t_order.intersection(tokens):
            f = relevant[t].flags
            us += bool(f & F_US)
            eu += bool(f & F_EU)
            if us and eu:
                return 0
        return F_US if us >= 2 else F_EU if eu >= 2 else 0

    def _month_dates(self, low: bytes, months: set[bytes]) -> set:
        """Dates written with month names, read around each month name that stands by a number."""
        out: set = set()
        for m in months:
            start = 0
            while (k := low.find(m, start)) != -1:
                start = k + len(m)
                if (k and low[k - 1] in ALPHA_BYTES) or (start < len(low) and low[start] in ALPHA_BYTES):
                    continue  # part of a longer word
                ctx = low[max(0, k - 12):start + 16]
                if DIGITS_B.search(ctx):
                    out |= text_dates(ctx.decode("utf-8", "ignore"))
        return out

    def _posting_hits(self, arr: np.ndarray) -> np.ndarray:
        """Boolean mask: which of ``arr``'s keys are in the posting array."""
        pk = self.index.post_key
        if not len(arr) or not len(pk):
            return np.zeros(len(arr), dtype=bool)
        order = np.argsort(arr)
        needles = arr[order]
        pos = np.searchsorted(pk, needles)
        pos[pos >= len(pk)] = 0
        out = np.empty(len(arr), dtype=bool)
        out[order] = pk[pos] == needles
        return out

    def _window(self, part: int, line: int, tokens: list[bytes], text: str) -> _Window:
        w = _Window(part, line, tokens, text)
        self._weak_phrases(w)
        month = False
        relevant = self.tokens.relevant
        covered = w.covered
        for pos, t in enumerate(tokens):
            info = relevant.get(t)
            if info is None:
                continue
            if info.names and pos not in covered:
                w.names.update(info.names)
                for nh in info.names:
                    w.name_count[nh] = w.name_count.get(nh, 0) + 1
            if info.id_hash:
                w.ids.add(info.id_hash)
            if info.readings is not None and self._order:
                dh = info.readings[0 if self._order == F_US else 1]
                if dh:
                    w.dobs[dh] = max(w.dobs.get(dh, 0), 1)
            else:
                for dh in info.dobs:
                    w.dobs[dh] = max(w.dobs.get(dh, 0), len(info.dobs))
            w.flags |= info.flags
            month = month or bool(info.flags & F_MONTH)
        if len(tokens) > 2 and not DIGIT_GROUPS.isdisjoint(tokens):  # also beside plainly written IDs
            for _shaped, ih in self._grouped_ids(tokens):
                if ih:
                    w.ids.add(ih)
                    w.flags |= F_IDSHAPE
                elif not w.ids:
                    w.flags |= F_IDSHAPE
        if month:
            tds = text_dates(text)
            if tds:
                for dh in self.tokens.dob_hashes(tds):
                    w.dobs.setdefault(dh, 1)
                w.flags |= self.tokens.date_flags(tds)
        return w

    def _grouped_ids(self, tokens: list[bytes]):
        """(shaped like this leak's IDs, leaked ID fingerprint or 0) for runs of digit groups
        ("A 277 958 520", "277 958 520") among ``tokens``: every leaked ID written in consecutive
        groups of a run (a grid of grouped IDs is one run), else the whole run when it is shaped
        like an ID. The compiled gate tries the same consecutive groups."""
        run: list[bytes] = []
        for t in [*tokens, b""]:
            if t in DIGIT_GROUPS:
                run.append(t)
                continue
            if len(run) >= 2:
                yield from self._ids_in_run(run)
            run = []

    def _ids_in_run(self, run: list[bytes]):
        lo, hi = self.tokens.id_len_min, self.tokens.id_len_max
        found = False
        i = 0
        while i < len(run) - 1:
            nxt = i + 1
            for j in range(i + 2, len(run) + 1):
                nid = b"".join(run[i:j]).lstrip(b"0")
                if len(nid) > hi:
                    break
                if len(nid) >= lo:
                    ih = self.keyer.cached(keyed.ID, nid.decode())
                    if ih in self.tokens.id_vocab:
                        yield True, ih
                        found, nxt = True, j
                        break
            i = nxt
        if not found and lo <= len(b"".join(run).lstrip(b"0")) <= hi:
            yield True, 0

    def _match_lines(self, part: int, text: str, low: bytes, infos: dict[bytes, TokenInfo],
                     anchors: "_Anchors", rows: "_Rows") -> list["_RowMatch"]:
        lines_b = low.split(b"\n")
        lines_s = text.split("\n")
        line_windows: dict[int, list[_Window]] = {}
        neighbours_cache: dict[int, _Window | None] = {}

        def neighbour(j: int) -> _Window | None:
            return self._neighbour(j, lines_b, lines_s, part, line_windows, neighbours_cache)

        split: dict[int, list[bytes]] = {}  # tokens of each line looked at, split once
        chosen, every = self._candidate_lines(lines_b, anchors, split)
        if not anchors.spaced:
            chosen = self._lines_with_postings(chosen, lines_b, lines_s, infos, anchors, split)
        windows = self._windows(part, lines_b, lines_s, (chosen, every), line_windows, split)
        keys: list[int] = []
        owner: list[int] = []
        capped: dict[int, int] = {}  # key position -> most records worth looking at
        for wi, w in enumerate(windows):
            for idh in w.ids:
                keys.append(posting_key_id(idh))
                owner.append(wi)
            dobs = w.dobs
            if not dobs and w.names and not w.flags & F_DATE:  # a row wrapped onto the next line
                dobs = {dh: 1 for j in (w.line - 1, w.line + 1) if (nb := neighbour(j)) is not None
                        and not nb.names for dh in nb.dobs}
            for nh in w.names:
                for dh in dobs:
                    keys.append(posting_key_name_dob(nh, dh))
                    owner.append(wi)
            # Two names alone against another birth date or ID on the row are never a match
            # (x10^4, or ruled out): name pairs are looked up only on rows without either.
            if len(w.names) >= 2 and self._pair_keys and not w.flags & (F_DOBLIKE | F_IDSHAPE):
                # Two names and nothing else on the row: a pair that more than ROW_MAX_EXPECTED
                # other records share gives E >= that count, so its records need no look.
                bare = len(w.names) == 2 and not w.phrases and not w.dobs
                for x, y in name_pairs(w.names):
                    keys.append(posting_key_name_pair(x, y))
                    owner.append(wi)
                    if bare:
                        capped[len(keys) - 1] = int(ROW_MAX_EXPECTED) + 1
        out: list[_RowMatch] = []
        for wi, rec in self._candidates(keys, owner, capped):
            rm = self._verify(rec, windows[wi], neighbour)
            if rm is not None:
                out.append(rm)
        if not out:
            return out
        if not self._has_role[Role.DOB] or _evidence(_units(out), rows)[0] < RESCUE_EVIDENCE:
            return out
        # The document holds leaked rows: look again at lines whose only exact evidence is a
        # leaked birth date (both names mistyped), comparing names by their bigrams.
        found = {rm.record_id for rm in out}
        dob_anchors = {t for t, i in infos.items() if i.dobs or i.flags & F_MONTH}
        rescue = [i for i, lb in enumerate(lines_b) if lb and not dob_anchors.isdisjoint(split.get(i) or lb.split())]
        windows2 = self._windows(part, lines_b, lines_s, (rescue, dob_anchors), line_windows, split)
        keys, owner = [], []
        for wi, w in enumerate(windows2):
            if len(w.tokens) >= 3:
                for dh in w.dobs:
                    keys.append(posting_key_dob(dh))
                    owner.append(wi)
        for wi, rec in self._candidates(keys, owner):
            if int(self.index.record_ids[rec]) in found:
                continue
            rm = self._verify(rec, windows2[wi], neighbour)
            if rm is not None:
                out.append(rm)
        return out

    def _lines_with_postings(self, chosen: list[int], lines_b: list[bytes], lines_s: list[str],
                             infos: dict[bytes, TokenInfo], a: "_Anchors",
                             split: dict[int, list[bytes]]) -> list[int]:
        """The chosen short lines whose own posting keys hit the index (long lines all stay).

        A cheap first look that needs no window: only the anchor tokens of a line (found by
        set intersections in C) make its keys; most lines of a table of other people stop here.
        """
        keep: list[int] = []
        keys: list[int] = []
        owner: list[int] = []
        relevant = self.tokens.relevant
        for i in chosen:
            toks = split[i]
            if len(toks) > LONG_LINE:
                keep.append(i)
                continue
            for t in a.ids.intersection(toks):
                keys.append(posting_key_id(infos[t].id_hash))
                owner.append(i)
            names = [nh for t in a.names.intersection(toks) for nh in infos[t].names]
            date_toks = a.dobs.intersection(toks)
            dobs = {dh for t in date_toks for dh in infos[t].dobs}
            if any(infos[t].flags & F_MONTH for t in date_toks):
                dobs.update(self.tokens.dob_hashes(text_dates(lines_s[i])))
            if bool(names) != bool(dobs):  # a row wrapped onto a neighbouring line
                need_dates = bool(names)
                for j in (i - 1, i + 1):
                    nb = split.get(j)
                    if nb is None and 0 <= j < len(lines_b):
                        nb = lines_b[j].split()
                    if not nb:
                        continue
                    if need_dates:
                        dobs.update(dh for t in a.dobs.intersection(nb) for dh in infos[t].dobs)
                    else:
                        names.extend(nh for t in a.names.intersection(nb) for nh in infos[t].names)
            for nh in names:
                for dh in dobs:
                    keys.append(posting_key_name_dob(nh, dh))
                    owner.append(i)
            paired = name_pairs({nh for t in a.pairs.intersection(toks) for nh in infos[t].names})
            if paired and any((f := relevant.get(t)) is not None and f.flags & (F_DOBLIKE | F_IDSHAPE) for t in toks):
                paired = []  # as in _match_lines: two names alone never outweigh another date or ID
            for x, y in paired:
                keys.append(posting_key_name_pair(x, y))
                owner.append(i)
        if keys:
            hit = self._posting_hits(np.asarray(keys, dtype=np.uint64))
            keep.extend({owner[k] for k in np.nonzero(hit)[0].tolist()})
        return sorted(set(keep))

    def _candidate_lines(self, lines_b: list[bytes], a: "_Anchors",
                         split: dict[int, list[bytes]]) -> tuple[list[int], set[bytes]]:
        """Lines that can hold a record: a leaked ID, or a hit name and a hit date on the line
        (or on a neighbouring line, for rows wrapped in two). Two C-level set checks a line."""
        every = a.ids | a.names | a.dobs | a.pairs
        if a.spaced:  # grouped IDs are assembled per line: every line with a name, a date or groups counts
            every = every | DIGIT_GROUPS
            return [i for i, lb in enumerate(lines_b) if lb and not every.isdisjoint(lb.split())], every
        flags: dict[int, int] = {}
        for i, lb in enumerate(lines_b):
            if not lb:
                continue
            toks = lb.split()
            if every.isdisjoint(toks):
                continue
            split[i] = toks
            flags[i] = ((1 if not a.ids.isdisjoint(toks) else 0) | (2 if not a.names.isdisjoint(toks) else 0)
                        | (4 if not a.dobs.isdisjoint(toks) else 0)
                        | (8 if a.pairs and len(a.pairs.intersection(toks)) >= 2 else 0))
        chosen = []
        for i, f in flags.items():
            if f & 9 or f & 6 == 6:
                chosen.append(i)
            elif f & 6:  # only a name or only a date: its partner may sit on the next line
                want = 4 if f & 2 else 2
                if flags.get(i - 1, 0) & want or flags.get(i + 1, 0) & want:
                    chosen.append(i)
        return chosen, every

    def _windows(self, part: int, lines_b: list[bytes], lines_s: list[str],
                 selection: tuple[list[int], set[bytes]], line_windows: dict[int, list[_Window]],
                 split: dict[int, list[bytes]]) -> list[_Window]:
        """Windows of the selected lines holding an anchor token (a long line gives several)."""
        chosen, anchors = selection
        windows: list[_Window] = []
        for i in chosen:
            known = line_windows.get(i)
            if known is not None:
                windows.extend(w for w in known if not anchors.isdisjoint(w.tokens))
                continue
            toks = split.get(i) or lines_b[i].split()
            if len(toks) <= LONG_LINE:
                spans = [(0, len(toks))]
            else:
                step = WINDOW // 2
                spans = [(s, min(s + WINDOW, len(toks))) for s in range(0, len(toks) - step, step)]
            src = lines_s[i] if i < len(lines_s) else ""
            made = []
            for a, b in spans:
                sub = toks[a:b]
                sub_text = src if (a, b) == (0, len(toks)) else " ".join(t.decode("utf-8", "ignore") for t in sub)
                made.append(self._window(part, i, sub, sub_text))
            line_windows[i] = made
            windows.extend(w for w in made if not anchors.isdisjoint(w.tokens))
        return windows

    def _candidates(self, keys: list[int], owner: list[int],
                    capped: dict[int, int] | None = None) -> list[tuple[int, int]]:
        """(window, record position) pairs whose posting keys are in the index; a key in
        ``capped`` that more records share than its cap gives none (see ``_match_lines``)."""
        if not keys:
            return []
        pk = self.index.post_key
        arr = np.asarray(keys, dtype=np.uint64)
        left = np.searchsorted(pk, arr, side="left")
        right = np.searchsorted(pk, arr, side="right")
        candidates: dict[tuple[int, int], None] = {}
        post_rec = self.index.post_rec
        for k in np.nonzero(right > left)[0].tolist():
            if capped and right[k] - left[k] > capped.get(k, 1 << 62):
                continue
            for rec in post_rec[left[k]:right[k]].tolist():
                candidates[(owner[k], rec)] = None
        return list(candidates)

    def _neighbour(self, j: int, lines_b: list[bytes], lines_s: list[str], part: int,
                   line_windows: dict[int, list[_Window]],
                   cache: dict[int, _Window | None]) -> _Window | None:
        if j in cache:
            return cache[j]
        w = None
        if 0 <= j < len(lines_b) and lines_b[j].strip():
            existing = line_windows.get(j)
            if existing and len(existing) == 1:
                w = existing[0]
            else:
                toks = lines_b[j].split()
                if len(toks) <= LONG_LINE:
                    w = self._window(part, j, toks, lines_s[j] if j < len(lines_s) else "")
        cache[j] = w
        return w

    # -- verification -------------------------------------------------------------------
    def _weak_phrases(self, w: _Window) -> None:
        """Find the window's phrases that are weak values of the leak (country, facility...).

        Only phrases starting at a word that starts some weak value are hashed. Tokens inside a
        weak value of several words are no name: "San Antonio", "El Salvador", "Otay Mesa".
        """
        words = [(i, x) for i, t in enumerate(w.tokens) if (x := self.tokens.word(t))]
        h = self.keyer.cached
        n = len(words)
        first = self._weak_first
        raw = self._weak_raw
        for a in range(n):
            if h(keyed.WEAK, words[a][1]) not in first:
                continue
            for b in range(a + 1, min(n, a + self._weak_words) + 1):
                hv = h(keyed.WEAK, " ".join(x for _, x in words[a:b]))
                if hv in raw:
                    w.phrases.add(hv)
                    if b - a >= 2:
                        w.covered.update(i for i, _ in words[a:b])
                    else:  # a one-word value may be a name too ("Houston"): remember which
                        info = self.tokens.relevant.get(w.tokens[words[a][0]])
                        if info is not None and info.names:
                            w.name_phrases[hv] = set(info.names)

    def _alpha(self, w: _Window) -> list[tuple[str, bytes]]:
        if w._alpha is None:
            w._alpha = [(p, t) for pos, t in enumerate(w.tokens)
                        if pos not in w.covered and not DIGIT.search(t.decode("utf-8", "ignore"))
                        for p in self.tokens.folded(t) if len(p) >= 3]
        return w._alpha

    def _fuzzy(self, rid: int, entry: int, w: _Window, used: set[str]) -> tuple[float, str] | None:
        idx = self.index
        rec_seq = idx.bigram[idx.bigram_off[entry]:idx.bigram_off[entry + 1]].tolist()
        if len(rec_seq) < 4:
            return None
        h = self.keyer.cached
        salt = h(keyed.SALT, str(rid))
        best: tuple[float, str] | None = None
        for p, _raw in self._alpha(w):
            if p in used or abs(len(p) + 1 - len(rec_seq)) > 2:
                continue
            seq = [salt32(salt, h(keyed.BIGRAM, bg)) for bg in bigrams(p)]
            dist = Levenshtein.distance(seq, rec_seq, score_cutoff=FUZZY_MAX_BIGRAM_EDITS)
            if dist > FUZZY_MAX_BIGRAM_EDITS:
                continue
            sim = 1.0 - dist / max(len(seq), len(rec_seq))
            if sim >= FUZZY_MIN_SIMILARITY and (best is None or sim > best[0]):
                best = (sim, p)
        return best

    def _verify(self, rec: int, w: _Window, neighbour) -> "_RowMatch | None":
        """How well the window matches record ``rec``, as the chance E that an unrelated row would.

        E = N x prod(p) over the fields that agree (each p the chance that an unrelated person
        shares that value, from the leak's own frequencies), raised by every identifying field of
        the row that disagrees. ``None`` when the row holds neither the ID, nor the birth date, nor
        two exact names of the record (a birth date counts with some name), or when E >= 1 (chance explains it).
        """
        idx = self.index
        a, b = int(idx.entry_off[rec]), int(idx.entry_off[rec + 1])
        hashes = idx.entry_hash[a:b].tolist()
        cols = idx.entry_col[a:b].tolist()
        rid = int(idx.record_ids[rec])
        roles = self._roles
        n = self.n

        # Kinds of field a line lacks entirely may come from a neighbouring line (a wrapped row);
        # a kind the line has (another ID, another date) is never borrowed.
        # Only a partial line lends: one that is not itself a whole row (names and a date).
        def sources(present: bool) -> list[_Window]:
            srcs = [w]
            if not present:
                for j in (w.line - 1, w.line + 1):
                    nb = neighbour(j)
                    if nb is not None and nb is not w and not (nb.names and nb.flags & F_DATE):
                        srcs.append(nb)
            return srcs

        id_srcs = sources(bool(w.flags & F_IDLIKE))
        dob_srcs = sources(bool(w.flags & F_DATE))
        # Each name token of the row fills one name of the record ("LI WEI" is not LI, LI NA).
        available: dict[int, int] = {}
        for src in sources(bool(w.names)):
            for nh, c in src.name_count.items():
                available[nh] = available.get(nh, 0) + c

        log_e = self._log_n
        got_id = got_dob = False
        has_id = has_dob = False
        matched_id = 0
        weak_conflicts = 0
        weak_terms: list[tuple[int, float]] = []  # (column, log10 p) of each weak field that agrees
        col_score: dict[int, list[float]] = {}
        name_cols: dict[int, list[int]] = {}   # column -> entry offsets
        for k, (hv, ci) in enumerate(zip(hashes, cols)):
            role = roles[ci]
            if role.is_name:
                name_cols.setdefault(ci, []).append(k)
            elif role is Role.ID:
                has_id = True
                if not got_id and any(hv in s.ids for s in id_srcs):
                    got_id = True
                    matched_id = hv
                    col_score[ci] = [1.0]
                    log_e += self._id_log_p
            elif role is Role.DOB:
                has_dob = True
                readings = max((s.dobs.get(hv, 0) for s in dob_srcs), default=0)
                if not got_dob and readings:
                    got_dob = True
                    col_score[ci] = [1.0]
                    # A birth date is as rare as the other people of the leak born that day, and
                    # never rarer than a couple of days of the leak's span (ages cluster).
                    p = max((self._dob_count.get(hv, 1) - 1) / n, self._dob_floor) * readings
                    log_e += math.log10(min(p, 1.0))
            elif role is Role.DATE:
                if hv in w.dobs:
                    col_score[ci] = [1.0]
                    weak_terms.append((ci, math.log10(min(1.0, (self._weak_count.get(weak_key(ci, hv), 0) + 0.5) / n))))
            elif role.is_weak and hv in w.phrases:
                col_score[ci] = [1.0]
                weak_terms.append((ci, math.log10(min(1.0, (self._weak_count.get(weak_key(ci, hv), 0) + 0.5) / n))))
            elif role.is_weak and w.phrases and any(weak_key(ci, v) in self._weak_count
                                                    and w.name_phrases.get(v, _NONE).isdisjoint(hashes)
                                                    for v in w.phrases):
                weak_conflicts += 1  # the row gives this column another of its values (another country)

        # Another ID on the row: only the birth date with the whole name, exactly, can outweigh it.
        id_conflict = has_id and not got_id and bool(w.flags & F_IDSHAPE)
        if id_conflict and not got_dob:
            return None
        identifying_name = False
        name_columns_matched = 0
        first_name_seen = first_name_matched = False
        exact_names: list[int] = []
        name_log_p = 0.0
        used: set[str] = set()
        for ci, ks in name_cols.items():
            scores: list[float] = []
            col_log_p = 0.0
            exact_all = True
            for k in ks:
                hv = hashes[k]
                p_tok = max((self._name_count.get(hv, 0) + 0.5) / n, NAME_P_FLOOR)
                if available.get(hv, 0) > 0:
                    available[hv] -= 1
                    scores.append(1.0)
                    col_log_p += math.log10(p_tok)
                    exact_names.append(hv)
                    continue
                exact_all = False
                hit = None if id_conflict else self._fuzzy(rid, a + k, w, used)
                if hit is None:
                    scores.append(0.0)
                    continue
                used.add(hit[1])
                scores.append(hit[0])
                col_log_p += math.log10(min(1.0, p_tok * 10.0 ** (FUZZY_PENALTY_LOG10 + FUZZY_PER_DISTANCE * (1.0 - hit[0]))))
            if roles[ci] is Role.FIRST_NAME:
                first_name_seen = True
            if not any(scores):
                continue
            if roles[ci] is Role.FIRST_NAME and max(scores) >= NAME_AGREES:
                first_name_matched = True
            if exact_all:  # compound names ("JOSE CARLOS") are one common value, not two rare ones
                p_cell = (self._namecol_count.get(name_column_key(ci, [hashes[k] for k in ks]), 0) + 0.5) / n
                col_log_p = max(col_log_p, math.log10(p_cell))
            name_log_p += col_log_p
            col_score[ci] = scores
            # A whole name (two name columns, or two tokens of a full-name cell) weighs double,
            # but only when spelled exactly: a near spelling corroborates, it does not outweigh.
            exact = sum(1 for v in scores if v == 1.0)
            name_columns_matched += (1 if exact else 0) if roles[ci] is not Role.FULL_NAME else exact
            if roles[ci] in self._identifying_name_roles:
                identifying_name = True
        distinct_names = set(exact_names)
        whole_name = name_columns_matched >= 2 and len(exact_names) == sum(len(ks) for ks in name_cols.values())
        named = any(roles[ci].is_name for ci in col_score)
        if not (got_id or (got_dob and named) or len(distinct_names) >= 2):
            return None  # a birth date or a name alone identifies no one
        if len(distinct_names) >= 2:
            name_log_p = max(name_log_p + math.log10(self._pair_k), self._pair_log_p(distinct_names))
        log_e += name_log_p
        # Once a name agrees, a weak value counts only for what it adds to the name: names run in
        # countries and first names say the gender (each column's factor measured on the leak).
        log_e += sum(min(0.0, lp + self._weak_name_k.get(ci, 0.0)) if named else lp for ci, lp in weak_terms)

        kinds = int(got_id) + int(got_dob) + int(identifying_name or len(distinct_names) >= 2)
        if kinds <= 1:
            log_e = max(log_e, math.log10(ONE_KIND_FLOOR))
        # Every identifying field the row has that disagrees with the record counts against it:
        # the line is about someone else who shares some values (a recombined or namesake row).
        if id_conflict:
            if not whole_name:
                return None
            log_e += ID_CONFLICT
        if has_dob and not got_dob and w.flags & F_DOBLIKE:
            log_e += DOB_CONFLICT_WITH_ID if got_id else DOB_CONFLICT
        if name_cols and not w.names.issubset(hashes):  # the row names someone the record does not
            first_missing = first_name_seen and not first_name_matched
            if first_missing:
                log_e += NAME_CONFLICT
            if not named:
                log_e += NAME_CONFLICT
            elif any(min(col_score.get(ci, [0.0])) < NAME_AGREES for ci in name_cols
                     if not (first_missing and roles[ci] is Role.FIRST_NAME)):
                log_e += NAME_CONFLICT  # another surname, a second surname or a middle name of its own
        log_e += WEAK_CONFLICT * weak_conflicts
        if log_e >= math.log10(ROW_MAX_EXPECTED):
            return None
        return _RowMatch(rid, 10.0 ** log_e, rec, w, cols, hashes, col_score, matched_id)

    def _record_match(self, m: "_RowMatch", namesakes: int = 1) -> RecordMatch:
        """The reportable form of a row match: fields, masked evidence, row similarity."""
        return RecordMatch(
            namesakes=namesakes,
            record_id=m.record_id,
            score=1.0 / (1.0 + m.expected_chance / 1e-5),
            expected_chance=m.expected_chance,
            part=m.part,
            line=m.line,
            fields={self._colnames[ci]: sum(v) / len(v) for ci, v in m.col_score.items() if any(v)},
            evidence=self._mask_evidence(m.w, m.cols, m.hashes, m.col_score),
            row_similarity=self._row_similarity(m.rec, m.w),
        )

    def _pair_log_p(self, names: set[int]) -> float:
        """log10 chance that an unrelated person has these names together, from how many other
        records of the leak share the rarest pair of them (times the other names' frequencies
        when there are more than two); -inf when no other record shares a pair."""
        if not self._pair_keys:
            return -math.inf
        pairs = name_pairs(names)
        pk = self.index.post_key
        arr = np.asarray([posting_key_name_pair(x, y) for x, y in pairs], dtype=np.uint64)
        counts = np.searchsorted(pk, arr, side="right") - np.searchsorted(pk, arr, side="left")
        k = int(np.argmin(counts))
        others = int(counts[k]) - 1
        if others <= 0:
            return -math.inf
        rest = sum(math.log10(max((self._name_count.get(t, 0) + 0.5) / self.n, NAME_P_FLOOR))
                   for t in names if t not in pairs[k])
        return math.log10(others / self.n) + rest

    def _mask_evidence(self, w: _Window, cols: list[int], hashes: list[int],
                       col_score: dict[int, list[float]]) -> dict[str, str]:
        """Masked document text for each matched column (first letter and length only)."""
        out: dict[str, str] = {}
        by_hash: dict[int, str] = {}
        for t in w.tokens:
            raw = t.decode("utf-8", "ignore").strip(STRIP)
            info = self.tokens.relevant.get(t)
            if info is None:
                continue
            for nh in info.names:
                by_hash.setdefault(nh, raw)
            if info.id_hash:
                by_hash.setdefault(info.id_hash, raw)
            for dh in info.dobs:
                by_hash.setdefault(dh, raw)
        for ci, hv in zip(cols, hashes):
            if not any(col_score.get(ci, [])):
                continue
            seen = by_hash.get(hv)
            if seen is None and self._roles[ci].is_name:
                continue
            name = self._colnames[ci]
            if seen is None:
                out.setdefault(name, "(matched)")
            else:
                out[name] = (out[name] + " " + mask(seen)) if name in out and out[name] != "(matched)" else mask(seen)
        return out

    def _row_similarity(self, rec: int, w: _Window) -> float:
        """MinHash Jaccard estimate between the record's row and the line's leak-like fingerprints."""
        vals = list(w.names | w.ids | set(w.dobs) | w.phrases)
        if not vals:
            return 0.0
        return float(self.index.record_minhash(rec).jaccard(minhash_of(vals)))

    # -- decision -------------------------------------------------------------------------
    def _decide(self, matches: list["_RowMatch"], rows: "_Rows") -> DocumentMatch:
        """The document's verdict from its row matches (see :func:`_evidence`).

        A hit reports the records of the rows that make the evidence, and of every other matched
        row more likely leaked than not given how much of the document is leaked (posterior >= 1/2,
        the share of leaked rows estimated by :func:`_leaked_share`): in a full copy every matched
        row, common names included, among 20,000 other people only the few rows chance cannot
        explain. A row that several records fit equally well (namesakes in the leak, on a row with
        nothing else to tell them apart) reports each of them, with their number: any of them
        may be the person disclosed.
        """
        units = _units(matches)
        evidence, j, level = _evidence(units, rows)
        evidence = min(evidence, 1e6)
        hit = evidence >= DOCUMENT_EVIDENCE
        # Below RESCUE_EVIDENCE the score is 0: there the gate may call a document clean unread.
        score = 1.0 / (1.0 + 10.0 ** (-(evidence - DOCUMENT_EVIDENCE))) if evidence >= RESCUE_EVIDENCE else 0.0
        total = max(rows.all, len(units), 1)
        reported: dict[int, _RowMatch] = {}
        fits: dict[tuple[int, int, int], set[int]] = {}  # the records each row fits at its best
        if hit:
            rows_best = _units(matches, below=ROW_MAX_EXPECTED)
            share = _leaked_share(rows_best.values(), total)
            for m in matches:  # each row is the record it matches best (namesakes in the leak aside)
                best_e = rows_best.get((m.part, m.line, m.matched_id))
                if best_e is None or m.expected_chance > best_e:
                    continue
                if m.expected_chance > level and -math.expm1(-m.expected_chance) > share / (1.0 - share):
                    continue
                fits.setdefault((m.part, m.line, m.matched_id), set()).add(m.record_id)
                best = reported.get(m.record_id)
                if best is None or m.expected_chance < best.expected_chance:
                    reported[m.record_id] = m
        records = sorted((self._record_match(m, len(fits[(m.part, m.line, m.matched_id)])) for m in reported.values()),
                         key=lambda r: (r.part, r.line, r.record_id))
        fields: dict[str, dict] = {}
        for r in records:
            for name, sim in r.fields.items():
                f = fields.setdefault(name, {"records": 0, "similarity": 0.0})
                f["records"] += 1
                f["similarity"] += sim
        for f in fields.values():
            f["similarity"] = round(f["similarity"] / f["records"], 3)
        rows_for_level = rows.strong if level < ONE_KIND_FLOOR else rows.all
        return DocumentMatch(verdict="hit" if hit else "clean", score=score, evidence=evidence, records=records,
                             fields=fields, expected_chance=max(rows_for_level, j) * level if j else 0.0,
                             matched_rows=sum(1 for e in units.values() if e < 1.0),
                             rows=total)


class _RowMatch:
    """A row's match with one record, before the document decision (which reports only some)."""

    __slots__ = ("record_id", "expected_chance", "rec", "w", "cols", "hashes", "col_score", "matched_id")

    def __init__(self, record_id: int, expected: float, rec: int, w: _Window, cols: list[int],
                 hashes: list[int], col_score: dict[int, list[float]], matched_id: int) -> None:
        #: The leaked ID the row gave for this record (0: none): a line listing several IDs is
        #: several people, each its own piece of evidence.
        self.matched_id = matched_id
        self.record_id = record_id
        self.expected_chance = expected
        self.rec = rec
        self.w = w
        self.cols = cols
        self.hashes = hashes
        self.col_score = col_score

    @property
    def part(self) -> int:
        return self.w.part

    @property
    def line(self) -> int:
        return self.w.line


class _Rows:
    """How many rows a document offers for comparison: every line with words (a long line counts
    once per window), and those that hold a date or an ID-shaped number (only these can give
    evidence of two kinds, so only they count as tries for it). Counted only for documents with
    a row match, once."""

    __slots__ = ("_relevant", "_parts", "_counted", "_all", "_strong")

    def __init__(self, relevant: dict[bytes, TokenInfo]) -> None:
        self._relevant = relevant
        self._parts: list[bytes] = []
        self._counted = 0
        self._all = 0
        self._strong = 0

    def add(self, low: bytes) -> None:
        self._parts.append(low)

    @property
    def all(self) -> int:
        self._count()
        return self._all

    @property
    def strong(self) -> int:
        self._count()
        return self._strong

    def _count(self) -> None:
        strong_flags = F_DOBLIKE | F_IDSHAPE | F_IDLIKE | F_MONTH
        relevant = self._relevant
        for low in self._parts[self._counted:]:
            for lb in low.split(b"\n"):
                toks = lb.split()
                if not toks:
                    continue
                weight = 1 if len(toks) <= LONG_LINE else max(1, (len(toks) - WINDOW // 2) // (WINDOW // 2) + 1)
                self._all += weight
                if any((info := relevant.get(t)) is not None and info.flags & strong_flags for t in toks):
                    self._strong += weight
        self._counted = len(self._parts)


def _units(matches: list[_RowMatch], below: float = 2.0) -> dict[tuple[int, int, int], float]:
    """The independent pieces of evidence of a document and the best E of each (those below
    ``below``): a row, or on a row that gives several leaked IDs, each of them (other matches of
    that row then add nothing)."""
    best: dict[tuple[int, int, int], float] = {}
    with_ids = {(m.part, m.line) for m in matches if m.matched_id}
    for m in matches:
        if (m.part, m.line) in with_ids and not m.matched_id:
            continue
        key = (m.part, m.line, m.matched_id)
        if m.expected_chance < best.get(key, below):
            best[key] = m.expected_chance
    return best


def _leaked_share(expected: Iterable[float], total: int) -> float:
    """The share of a hit document's rows that are leaked, by maximum likelihood (EM).

    A leaked row matches its record for sure; another person's row matches some record with
    probability q = 1 - exp(-E). The posterior of each matched row is share / (share + (1 -
    share) q), and the share is the mean posterior over all rows (an unmatched row is not
    leaked). A full copy of common names converges near 1 (every row matched, each at some
    chance), a roster of 20,000 others hiding five rows near 5 / 20,000 (chance matches of
    common names add only their posterior, which the small share keeps small)."""
    qs = [-math.expm1(-e) for e in expected]
    if not qs:
        return 0.0
    share = min(len(qs) / total, 0.999)
    for _ in range(1000):  # EM climbs the (concave) likelihood from above: stopping early reports more
        new = min(sum(share / (share + (1.0 - share) * q) for q in qs) / total, 0.999)
        if abs(new - share) <= 1e-4 * new:
            return new
        share = new
    return share


def _evidence(units: dict[tuple[int, int, int], float], rows: _Rows) -> tuple[float, int, float]:
    """How surely chance does not explain a document's row matches (``_units``): (-log10 P, j, level).

    Each matched row's chance E (its best record) is the probability that an unrelated row
    matches some record that well. Sorting the rows by E, for every j the probability that j or
    more of the document's rows match by chance at the level of the j-th is bounded by a binomial
    tail over the rows that could (every row for one kind of evidence, rows with a date or an
    ID-shaped number for two kinds); the smallest bound over j is the document's P.
    """
    levels = sorted(units.values())
    log_p, best_j, level = 0.0, 0, 1.0
    for j, q in enumerate(levels, 1):
        n = max(rows.strong if q < ONE_KIND_FLOOR else rows.all, j)
        lp = log10_tail(j, n, q)
        if lp < log_p:
            log_p, best_j, level = lp, j, q
    return -log_p, best_j, level


__all__ = ["Matcher", "DocumentMatch", "RecordMatch", "mask", "TRANSLATE"]
