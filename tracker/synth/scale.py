"""The scale suite's data: a large leak and rosters of other people of the same population.

``generate_scale_corpus`` streams a leak of any size (a million rows fit) from the realistic
population into ``leak.csv``, then writes rosters of *other* people of that population
(realistic columns, each person with their own A-number, birth date, country, facility) and
the same rosters with 1-5 leaked rows hidden in them, in the corpus layout (``docs/``,
``labels.json``) so the benchmark scores them like any corpus.

Chance is the point: with Zipf-weighted names and birth dates spread over 67 years, at
200,000 to 1,000,000 leaked rows many roster people share a birth date, the first name and a
surname word with some leaked record. :class:`LeakKeys` counts those rows per roster, from
the plaintext generated here, with Python's per-process string hashes: nothing of it is
written anywhere, only the counts are returned. A roster person is another person when their
A-number is not leaked and no leaked record has their full name and birth date.
"""
from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tracker.synth.corpus import write_document, write_labels
from tracker.synth.forms import first_name, person_key, random_style, roster_fields, surname_words
from tracker.synth.leak import write_leak_csv
from tracker.synth.people import REALISTIC, Person, PersonFactory, Population
from tracker.synth.render import to_csv


class LeakKeys:
    """What the scale suite needs to know of each leaked person, kept as per-process hashes.

    * ``ids``: the leaked A-numbers (so no roster person gets one);
    * exact keys (full name + birth date, as :func:`tracker.synth.forms.person_key` compares
      them), so no roster person *is* a leaked person;
    * shared keys (birth date + first name + one surname word), to count the roster rows that
      share all three with some leaked record.
    """

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self._exact: set[int] = set()
        self._shared: set[int] = set()
        self.n = 0

    @staticmethod
    def _exact_key(p: Person) -> int:
        return hash(person_key(p))

    @staticmethod
    def _shared_keys(p: Person) -> Iterable[int]:
        first, day = first_name(p.first), p.dob.toordinal()
        return (hash((day, first, w)) for w in surname_words(p.last))

    def add(self, p: Person) -> None:
        self.n += 1
        self.ids.add(p.a_number)
        self._exact.add(self._exact_key(p))
        self._shared.update(self._shared_keys(p))

    def is_leaked(self, p: Person) -> bool:
        """Whether ``p`` carries a leaked A-number, or a leaked record's full name with its birth date."""
        return p.a_number in self.ids or self._exact_key(p) in self._exact

    def shares(self, p: Person) -> bool:
        """Whether some leaked record has ``p``'s birth date, first name and one of ``p``'s surname words."""
        return any(k in self._shared for k in self._shared_keys(p))


@dataclass
class ScaleCorpus:
    """Where the corpus was written, and counts only (no value): per document, rows and shared rows."""

    path: Path
    leak_rows: int
    documents: dict[str, dict[str, object]] = field(default_factory=dict)  # name -> kind, rows, shared, leaked

    @property
    def shared_rows(self) -> int:
        return sum(int(d["shared_rows"]) for d in self.documents.values() if d["kind"] == "roster")  # type: ignore[call-overload]


class _Taken:
    """The IDs a factory may not hand out: the leak's (read only) and those it handed out already."""

    def __init__(self, leaked: set[str], given: set[str]) -> None:
        self.leaked, self.given = leaked, given

    def __contains__(self, value: object) -> bool:
        return value in self.leaked or value in self.given

    def add(self, value: str) -> None:
        self.given.add(value)


def other_people(factory: PersonFactory, keys: LeakKeys, n: int) -> list[Person]:
    """``n`` people of the factory's population who are not leaked people (see :meth:`LeakKeys.is_leaked`)."""
    out: list[Person] = []
    while len(out) < n:
        p = factory.person()
        if not keys.is_leaked(p):
            out.append(p)
    return out


def generate_scale_corpus(out_dir: Path | str, leak_rows: int, seed: int, *, rosters: int = 10,
                          roster_rows: int = 20_000, positives: int = 5,
                          population: Population = REALISTIC) -> ScaleCorpus:
    """Write a leak of ``leak_rows`` rows, ``rosters`` clean rosters and ``positives`` rosters with leaked rows.

    Each roster holds ``roster_rows`` other people of the population in CSV with columns of
    its own (names, A-number, birth date, country, facility, maybe gender, field office,
    book-in date, status; headers and formats vary). Positive roster j hides 1 + j % 5 leaked
    rows, written in the roster's own columns with their leaked values. Labels go to
    ``labels.json`` in the corpus format.
    """
    out = Path(out_dir)
    docs = out / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"scale:{seed}:{leak_rows}")
    wanted = [sorted(rng.sample(range(1, leak_rows + 1), min(leak_rows, 1 + j % 5))) for j in range(positives)]
    needed = {r for ids in wanted for r in ids}
    captured: dict[int, Person] = {}
    keys = LeakKeys()

    def each(row_id: int, person: Person) -> None:
        keys.add(person)
        if row_id in needed:
            captured[row_id] = person

    write_leak_csv(out / "leak.csv", leak_rows, seed, population, each=each)
    corpus = ScaleCorpus(out, leak_rows)
    taken: set[str] = set()  # IDs handed to roster people
    labels: dict[str, dict[str, object]] = {}
    jobs = [("roster", j) for j in range(rosters)] + [("roster_with_leaked_rows", j) for j in range(positives)]
    for number, (kind, j) in enumerate(jobs, 1):
        doc_rng = random.Random(f"scale-doc:{seed}:{leak_rows}:{kind}:{j}")
        factory = PersonFactory(doc_rng, population)
        factory.used_ids = _Taken(keys.ids, taken)  # fresh IDs only: never a leaked one, never reused
        people = other_people(factory, keys, roster_rows)
        shared = sum(keys.shares(p) for p in people)
        records = wanted[j] if kind != "roster" else []
        if records:
            for r in records:
                people.insert(doc_rng.randrange(len(people) + 1), captured[r])
        style = random_style(doc_rng, roster_fields(doc_rng), rename=0.4)
        name = f"scale{number:03d}.csv"
        write_document(docs, labels, name, to_csv(style.headers, style.rows(people)).encode("utf-8"), kind, records)
        corpus.documents[name] = {"kind": kind, "rows": len(people), "shared_rows": shared,
                                  "leaked_rows": len(records)}
    write_labels(out, labels)
    return corpus
