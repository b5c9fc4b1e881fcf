"""A synthetic leak: a detention roster of invented people, as CSV or as a two-sheet XLSX."""
from __future__ import annotations

import random
from pathlib import Path

from tracker.synth.people import Person, PersonFactory
from tracker.synth.perturb import LEAK_LAYOUT
from tracker.synth.render import to_csv, to_xlsx

LEAK_HEADER: tuple[str, ...] = LEAK_LAYOUT.headers


def leak_people(n: int, seed: int) -> list[Person]:
    """``n`` distinct invented people; row ``i`` (1-based) of the leak is ``people[i - 1]``.

    No two share an A-number, and no two share both name and date of birth, so every row
    is a distinct person a matcher can be scored on.
    """
    factory = PersonFactory(random.Random(f"leak:{seed}"))
    people: list[Person] = []
    seen: set[tuple[str, str, object]] = set()
    while len(people) < n:
        p = factory.person()
        key = (p.last, p.first, p.dob)
        if key not in seen:
            seen.add(key)
            people.append(p)
    return people


def leak_rows(people: list[Person]) -> list[list[str]]:
    """The leak's own cells for ``people`` (no variation: US dates, "A" + nine digits)."""
    rng = random.Random(0)  # LEAK_LAYOUT draws nothing random; the generator is only a formality
    return [LEAK_LAYOUT.cells(p, rng) for p in people]


def generate_leak(n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of a synthetic leak of ``n`` invented people, the same for the same seed."""
    return list(LEAK_HEADER), leak_rows(leak_people(n, seed))


def write_leak_csv(path: Path | str, n: int, seed: int) -> Path:
    """Write the leak as UTF-8 CSV with a header row; returns the path."""
    header, rows = generate_leak(n, seed)
    path = Path(path)
    path.write_text(to_csv(header, rows), encoding="utf-8")
    return path


def write_leak_xlsx(path: Path | str, n: int, seed: int) -> Path:
    """Write the leak as an XLSX export: title rows over the header, rows split over two sheets."""
    header, rows = generate_leak(n, seed)
    half = (len(rows) + 1) // 2
    titles = [["Detained population report (synthetic test data)"], ["Generated from seed", str(seed)], []]
    path = Path(path)
    path.write_bytes(to_xlsx([("Detainees", titles, header, rows[:half]),
                              ("Detainees (cont.)", [], header, rows[half:])]))
    return path
