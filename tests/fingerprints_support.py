"""Shared helpers of the ``fingerprints`` tests: a synthetic leak, its index, plaintext checks.

Every person comes from :mod:`tracker.synth` (random combinations of pooled names, random
dates and numbers) or is invented by hand in a test; nothing here is real data. Building an
index of a few thousand rows takes about a second, so each (size, seed) is built once per
test session and shared by the index and matcher tests.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fingerprints.index import LeakIndex, build_index
from fingerprints.keyed import Keyer
from fingerprints.matcher import Matcher
from fingerprints.normalize import fold
from fingerprints.roles import Column, Role
from tracker.synth.leak import LEAK_HEADER, leak_people, leak_rows
from tracker.synth.people import POPULATIONS
from tracker.synth.people import Person

KEY = b"fingerprints-tests-key-A-000001"
OTHER_KEY = b"fingerprints-tests-key-B-000002"

#: Roles of the synthetic leak's columns (tracker.synth.perturb.LEAK_LAYOUT), by header.
LEAK_ROLES: dict[str, Role] = {
    "Last Name": Role.LAST_NAME, "First Name": Role.FIRST_NAME, "Date of Birth": Role.DOB,
    "Gender": Role.GENDER, "Country of Citizenship": Role.COUNTRY, "A-Number": Role.ID,
    "Detention Facility": Role.PLACE, "AOR": Role.PLACE, "Book-In Date": Role.DATE, "Case Status": Role.STATUS,
}

#: strftime formats a date may be written in (the leak's own is the first).
DATE_STRINGS = ("%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y%m%d", "%B %d, %Y", "%d %B %Y", "%d %b %Y",
                "%m/%d/%y", "%d.%m.%y")


def leak_columns() -> list[Column]:
    """The synthetic leak's columns with their roles."""
    return [Column(h, LEAK_ROLES[h]) for h in LEAK_HEADER]


@dataclass
class Leak:
    """A synthetic leak with its index (under :data:`KEY`) and a matcher over it."""

    people: list[Person]
    rows: list[list[str]]
    columns: list[Column]
    keyer: Keyer
    index: LeakIndex
    matcher: Matcher

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]


@functools.lru_cache(maxsize=4)
def synthetic_leak(n: int, seed: int, population: str = "classic") -> Leak:
    """The leak of ``n`` invented people of ``population`` for ``seed``, fingerprinted once per session."""
    people = leak_people(n, seed, POPULATIONS[population])
    rows = leak_rows(people)
    columns = leak_columns()
    keyer = Keyer(KEY)
    index = build_index(rows, columns, keyer)
    return Leak(people, rows, columns, keyer, index, Matcher(index, keyer))


def table(rows: Iterable[Sequence[str]], header: Sequence[str] | None = None, sep: str = ",") -> str:
    """Rows joined into text the way a paste or an extracted table reads (no quoting)."""
    lines = [sep.join(header)] if header is not None else []
    lines += [sep.join(r) for r in rows]
    return "\n".join(lines) + "\n"


def dates_written(d: dt.date) -> set[str]:
    """``d`` in every format of :data:`DATE_STRINGS`."""
    return {d.strftime(f) for f in DATE_STRINGS}


def leaked_strings(people: Iterable[Person]) -> set[str]:
    """Every leaked value nothing derived from the leak may contain.

    Names (whole cells and their parts of four letters or more), both dates in every common
    format, the ID with and without its "A", and the other cells (country, facility, office,
    status) of four characters or more.
    """
    out: set[str] = set()
    for p in people:
        for cell in (p.last, p.first):
            out.update(part for part in re.split(r"[\s\-,.']+", cell) if len(part) >= 4)
            if len(cell) >= 4:
                out.add(cell)
        out |= dates_written(p.dob) | dates_written(p.book_in)
        out |= {p.a_number, f"A{p.a_number}"}
        out.update(v for v in (p.country, p.facility, p.aor, p.status) if len(v) >= 4)
    return out


def plaintext_in_bytes(data: bytes, needles: Iterable[str]) -> list[str]:
    """The needles found in raw ``data`` in any letter case, accented or folded (UTF-8).

    Text can only sit in runs of printable ASCII and two-byte UTF-8 letters; random hash
    bytes hold few and short ones, so every substring of every run goes into one set and
    tens of thousands of needles are looked up in it at once.
    """
    variants = {s: {v.encode("utf-8") for v in (s, fold(s), s.upper(), s.lower(), s.title())} for s in needles}
    longest = max((len(v) for vs in variants.values() for v in vs), default=0)
    substrings: set[bytes] = set()
    for run in re.findall(rb"(?:[\x20-\x7e]|[\xc2-\xdf][\x80-\xbf]){4,}", data):
        for i in range(len(run) - 3):
            for j in range(i + 4, min(len(run), i + longest) + 1):
                substrings.add(run[i:j])
                substrings.add(run[i:j].lower())
    return sorted(s for s, vs in variants.items() if any(v in substrings or v.lower() in substrings for v in vs))


def plaintext_in_text(text: str, needles: Iterable[str]) -> list[str]:
    """The needles found in ``text`` (e.g. a verdict as JSON) in any letter case, with or without accents.

    No needle holds a quote, colon or bracket, so each one can only sit inside one piece of
    ``text`` between those; JSON output repeats its pieces a lot, and searching the distinct
    pieces keeps thousands of needles fast on a verdict of thousands of records.
    """
    pieces = "\x00".join(set(re.split(r'["{}\[\]:]', fold(text))))
    return sorted(s for s in needles if fold(s) in pieces)
