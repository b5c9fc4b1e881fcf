"""Keeps look-alike people clean: no generated stranger may name a leaked person by two fields."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from tracker.synth.people import PARTICLES
from tracker.synth.perturb import strip_accents


def name_tokens(first: str, last: str) -> frozenset[str]:
    """The identifying words of a name: accent-free, case-folded, without particles."""
    words = strip_accents(f"{first} {last}").replace("-", " ").upper().split()
    return frozenset(w.casefold() for w in words if w not in PARTICLES and len(w) > 1)


class LeakGuard:
    """An index of a leak's identifying fields, to tell whether a made-up row stays clear of it.

    Identifying fields are the ID, the date of birth and the name (any name token outside
    particles). A negative document made only of rows :meth:`clean` accepts never names a
    leaked person by more than one field, so reporting it as a re-post is a real false report.
    """

    def __init__(self, people: Iterable[tuple[str, str, dt.date, str]]) -> None:
        """``people`` as (first, last, date of birth, nine-digit ID), in leak row order."""
        self.by_id: dict[str, int] = {}
        self.by_dob: dict[dt.date, list[int]] = defaultdict(list)
        self.dobs: list[dt.date] = []
        self.tokens: list[frozenset[str]] = []
        for i, (first, last, dob, a_number) in enumerate(people):
            self.by_id[a_number] = i
            self.by_dob[dob].append(i)
            self.dobs.append(dob)
            self.tokens.append(name_tokens(first, last))

    def clean(self, first: str, last: str, dob: dt.date, a_number: str | None = None) -> bool:
        """True when no leak row shares two identifying fields with this combination."""
        tokens = name_tokens(first, last)
        owner = self.by_id.get(a_number) if a_number is not None else None
        if owner is not None and (self.dobs[owner] == dob or tokens & self.tokens[owner]):
            return False
        return not any(tokens & self.tokens[j] for j in self.by_dob.get(dob, ()))
