"""A synthetic leak: a detention roster of invented people, as CSV or as a two-sheet XLSX."""
from __future__ import annotations

import csv
import hashlib
import random
from collections.abc import Callable, Iterator
from pathlib import Path

from tracker.synth.people import Person, PersonFactory, Population
from tracker.synth.perturb import LEAK_LAYOUT
from tracker.synth.render import to_xlsx

LEAK_HEADER: tuple[str, ...] = LEAK_LAYOUT.headers


def iter_leak_people(n: int, seed: int, population: Population | None = None) -> Iterator[Person]:
    """``n`` distinct invented people, one at a time; the i-th (1-based) is leak row i.

    No two share an A-number, and no two share both name and date of birth, so every row
    is a distinct person a matcher can be scored on. ``population`` defaults to the classic
    one (:data:`tracker.synth.people.CLASSIC`), so older seeds give the same people.
    """
    factory = PersonFactory(random.Random(f"leak:{seed}"), population)
    seen: set[bytes] = set()  # digests of (name, date of birth): small enough for millions of rows
    made = 0
    while made < n:
        p = factory.person()
        key = hashlib.blake2b(f"{p.last}|{p.first}|{p.dob}".encode(), digest_size=8).digest()
        if key not in seen:
            seen.add(key)
            made += 1
            yield p


def leak_people(n: int, seed: int, population: Population | None = None) -> list[Person]:
    """The people of :func:`iter_leak_people` as a list (row i is ``people[i - 1]``)."""
    return list(iter_leak_people(n, seed, population))


def leak_rows(people: list[Person]) -> list[list[str]]:
    """The leak's own cells for ``people`` (no variation: US dates, "A" + nine digits)."""
    rng = random.Random(0)  # LEAK_LAYOUT draws nothing random; the generator is only a formality
    return [LEAK_LAYOUT.cells(p, rng) for p in people]


def generate_leak(n: int, seed: int, population: Population | None = None) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of a synthetic leak of ``n`` invented people, the same for the same seed."""
    return list(LEAK_HEADER), leak_rows(leak_people(n, seed, population))


def write_leak_csv(path: Path | str, n: int, seed: int, population: Population | None = None,
                   each: Callable[[int, Person], None] | None = None) -> Path:
    """Write the leak as UTF-8 CSV with a header row, streaming (a million rows fit); returns the path.

    ``each(row_id, person)`` is called for every row written (1-based ids), for callers that
    need something of each person without holding a million of them.
    """
    path = Path(path)
    rng = random.Random(0)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(LEAK_HEADER)
        for row_id, person in enumerate(iter_leak_people(n, seed, population), 1):
            writer.writerow(LEAK_LAYOUT.cells(person, rng))
            if each is not None:
                each(row_id, person)
    return path


def leak_workbook(rows: list[list[str]], titles: list[list[str]], two_sheets: bool) -> bytes:
    """An XLSX export of leak rows: title rows over the header, split over two sheets if asked."""
    if not two_sheets:
        return to_xlsx([("Sheet1", titles, LEAK_HEADER, rows)])
    half = (len(rows) + 1) // 2
    return to_xlsx([("Detainees", titles, LEAK_HEADER, rows[:half]),
                    ("Detainees (cont.)", [], LEAK_HEADER, rows[half:])])


def write_leak_xlsx(path: Path | str, n: int, seed: int) -> Path:
    """Write the leak as an XLSX export: title rows over the header, rows split over two sheets."""
    titles = [["Detained population report (synthetic test data)"], ["Generated from seed", str(seed)], []]
    path = Path(path)
    path.write_bytes(leak_workbook(generate_leak(n, seed)[1], titles, two_sheets=True))
    return path
