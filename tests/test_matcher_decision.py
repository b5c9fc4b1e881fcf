"""fingerprints.matcher: the document decision, stated once (README "How matching works").

Each row's evidence is the chance E that an unrelated row matches some record that well; a
document is a hit when a binomial tail over the rows it offers says chance cannot explain its
matched rows. These tests pin the consequences the rule was built for: lists of weak matches
(IDs alone, names alone, names with weak fields) are hits when the whole list is leaked and clean
when a few namesakes sit among others; the same evidence weighs less in a bigger document;
disagreeing fields count against a record; place names are not names.
"""
from __future__ import annotations

import dataclasses
import json
import math
import random

import pytest
from fingerprints_support import Leak, synthetic_leak, table

from fingerprints.matcher import log10_tail
from tracker.synth.people import PersonFactory, Person

N = 2000
SEED = 11


@pytest.fixture(scope="module")
def leak() -> Leak:
    return synthetic_leak(N, SEED)


def others(leak: Leak, n: int, seed: int) -> list[Person]:
    """Other people of the leak's population: same name pools, countries and facilities, their own
    IDs; nobody filtered out, so some share a name, a birth date or both with someone leaked, as
    a real roster of other people would."""
    factory = PersonFactory(random.Random(seed))
    factory.used_ids = {p.a_number for p in leak.people}
    leaked = {(p.first, p.last, p.dob) for p in leak.people}
    out: list[Person] = []
    while len(out) < n:
        p = factory.person()
        if (p.first, p.last, p.dob) not in leaked:
            out.append(p)
    return out


def spread(k: int, start: int = 0) -> list[int]:
    return [(start + 37 * j) % N for j in range(k)]


# --- the binomial tail ------------------------------------------------------------------------------

@pytest.mark.parametrize(("j", "rows", "q"), [(1, 20, 1e-4), (3, 300, 1e-3), (20, 20, 0.01), (5, 1000, 0.002),
                                              (40, 100, 0.05)])
def test_tail_bounds_the_exact_binomial_tail_closely(j: int, rows: int, q: float) -> None:
    exact = sum(math.comb(rows, k) * q ** k * (1 - q) ** (rows - k) for k in range(j, rows + 1))
    bound = 10 ** log10_tail(j, rows, q)
    assert exact <= bound * (1 + 1e-9)
    assert bound <= 3 * exact


def test_tail_is_certain_at_or_below_the_mean() -> None:
    assert log10_tail(2, 1000, 0.01) == 0.0
    assert log10_tail(1, 5, 1.0) == 0.0
    assert log10_tail(0, 5, 0.1) == 0.0


# --- lists of weak matches -------------------------------------------------------------------------

def test_a_paste_of_leaked_ids_alone_is_a_hit(leak: Leak) -> None:
    idx = spread(20)
    forms = [lambda a: f"A{a}", lambda a: f"A-{a[:3]}-{a[3:6]}-{a[6:]}", lambda a: a,
             lambda a: f"{a[:3]} {a[3:6]} {a[6:]}"]
    text = "\n".join(forms[k % 4](leak.people[i].a_number) for k, i in enumerate(idx))
    doc = leak.matcher.match(text)
    assert doc.verdict == "hit"
    assert doc.record_ids == sorted(i + 1 for i in idx)
    assert set(doc.fields) == {"A-Number"}
    assert doc.expected_chance < 1  # fewer than one row of 20 expected to match by chance
    # a grid of grouped IDs, five to a line: each ID is a person
    grouped = [forms[3](leak.people[i].a_number) for i in idx]
    grid = leak.matcher.match("\n".join("\t".join(grouped[k:k + 5]) for k in range(0, 20, 5)))
    assert grid.verdict == "hit" and grid.record_ids == sorted(i + 1 for i in idx)
    # one line, the forms mixed and separated by commas
    mixed = leak.matcher.match(", ".join(forms[k % 4](leak.people[i].a_number) for k, i in enumerate(idx)))
    assert mixed.verdict == "hit" and mixed.record_ids == sorted(i + 1 for i in idx)


def test_a_few_leaked_ids_among_many_numbers_are_clean(leak: Leak) -> None:
    rng = random.Random(4)
    numbers = [str(rng.randrange(10 ** 8, 10 ** 9)) for _ in range(300)]
    numbers[150] = leak.people[5].a_number
    assert leak.matcher.match("\n".join(numbers)).verdict == "clean"


@pytest.mark.parametrize("form", ["numbered", "last_first", "lower"])
def test_a_list_of_leaked_full_names_alone_is_a_hit(leak: Leak, form: str) -> None:
    idx = spread(60, start=5)
    write = {"numbered": lambda n, p: f"{n}. {p.first.title()} {p.last.title()}",
             "last_first": lambda n, p: f"{p.last}, {p.first}",
             "lower": lambda n, p: f"- {p.first.lower()} {p.last.lower()}"}[form]
    doc = leak.matcher.match("\n".join(write(n, leak.people[i]) for n, i in enumerate(idx, 1)))
    assert doc.verdict == "hit"
    found = set(doc.record_ids) & {i + 1 for i in idx}
    assert len(found) >= 0.9 * len(idx)
    assert len(doc.record_ids) <= len(idx) * 1.25  # a names-only row names every namesake inside the leak


def test_names_with_weak_fields_only_as_json_is_a_hit(leak: Leak) -> None:
    """JSON objects of names, book-in dates, countries, offices and genders, as the JSON reader
    lays them out (one object a line, values tab-separated)."""
    idx = spread(40, start=9)
    rows = [[f"{p.first} {p.last}", p.book_in.isoformat(), p.country.title(), p.aor, p.gender]
            for p in (leak.people[i] for i in idx)]
    doc = leak.matcher.match(table(rows, sep="\t"))
    assert doc.verdict == "hit"
    assert len(set(doc.record_ids) & {i + 1 for i in idx}) >= 0.9 * len(idx)
    assert {"Book-In Date", "Country of Citizenship", "AOR"} <= set(doc.fields)


@pytest.mark.parametrize("with_fields", [False, True])
def test_three_leak_namesakes_among_300_others_are_clean(leak: Leak, with_fields: bool) -> None:
    people = others(leak, 297, seed=31)
    rng = random.Random(7)
    for k, i in enumerate(spread(3, start=101)):  # leak people's names, their own birth dates and IDs
        p = leak.people[i]
        people.insert(100 * k + 50, dataclasses.replace(people[k], first=p.first, last=p.last))
    if with_fields:
        text = table([[p.last, p.first, p.dob.strftime("%m/%d/%Y"), f"A{p.a_number}", p.country] for p in people],
                     ["Last", "First", "DOB", "A#", "Country"])
    else:
        text = "\n".join(f"{n}. {p.first.title()} {p.last.title()}" for n, p in enumerate(people, 1))
    doc = leak.matcher.match(text)
    assert doc.verdict == "clean", (doc.evidence, doc.matched_rows)


# --- which records a hit reports ------------------------------------------------------------------

def test_a_list_of_leaked_names_reports_its_common_names_too() -> None:
    """In a list of 200 leaked full names of a realistic population, the rare names make the hit;
    the common ones, which another person would match by chance (E near 1), still belong to it,
    since nearly every row of the list is leaked: each row's posterior, with the document's
    estimated share of leaked rows as prior, is above one half. Only names that many records
    share (E of 10 or more: no candidate) stay unattributed."""
    leak = synthetic_leak(6252, 13, "realistic")
    picked = random.Random(3).sample(range(len(leak.people)), 200)
    doc = leak.matcher.match("\n".join(f"{n}. {leak.people[i].first} {leak.people[i].last}"
                                       for n, i in enumerate(picked, 1)))
    assert doc.verdict == "hit"
    assert len(set(doc.record_ids) & {i + 1 for i in picked}) >= 0.85 * len(picked)
    # every record that shares a row with others says how many fit it equally
    by_row: dict[tuple[int, int], int] = {}
    for r in doc.records:
        by_row[(r.part, r.line)] = by_row.get((r.part, r.line), 0) + 1
    assert all(r.namesakes >= by_row[(r.part, r.line)] for r in doc.records)  # fitting records reported here or on their own rows


def test_a_roster_hiding_leaked_rows_reports_only_them(leak: Leak) -> None:
    """Among 3,000 other people, many share a common name with someone leaked; only the five
    hidden leaked rows are reported, not those chance matches."""
    people = others(leak, 3000, seed=41)
    hidden = spread(5, start=301)
    for k, i in enumerate(hidden):
        people.insert(500 * k + 250, leak.people[i])
    text = table([[p.last, p.first, p.dob.strftime("%m/%d/%Y"), f"A{p.a_number}", p.country] for p in people],
                 ["Last", "First", "DOB", "A-Number", "Country"])
    doc = leak.matcher.match(text)
    assert doc.verdict == "hit"
    assert doc.record_ids == sorted(i + 1 for i in hidden)


def test_a_row_that_namesakes_fit_equally_reports_each_of_them() -> None:
    """Two records of the leak with one full name, on a names-only list: the row cannot say
    which of them it names, so both are reported, each marked as one of two."""
    from fingerprints.index import build_index
    from fingerprints.keyed import Keyer
    from fingerprints.matcher import Matcher
    from fingerprints_support import KEY, leak_columns
    from tracker.synth.leak import leak_people, leak_rows

    people = leak_people(2000, 11)
    people[1] = dataclasses.replace(people[1], first=people[0].first, last=people[0].last)
    keyer = Keyer(KEY)
    matcher = Matcher(build_index(leak_rows(people), leak_columns(), keyer), keyer)
    listed = [0] + spread(59, start=5)
    doc = matcher.match("\n".join(f"{n}. {people[i].first} {people[i].last}" for n, i in enumerate(listed, 1)))
    assert doc.verdict == "hit"
    first_row = [r for r in doc.records if r.line == 0]
    assert sorted(r.record_id for r in first_row) == [1, 2]
    assert all(r.namesakes == 2 for r in first_row)
    per_line: dict[int, int] = {}
    for r in doc.records:
        per_line[r.line] = per_line.get(r.line, 0) + 1
    assert all(r.namesakes >= per_line[r.line] for r in doc.records)


def test_the_leaked_share_is_the_likeliest_mixture() -> None:
    from fingerprints.matcher import _leaked_share

    assert _leaked_share([], 100) == 0.0
    assert _leaked_share([5.0] * 100, 100) > 0.99  # every row matched, each common: a full copy
    assert _leaked_share([50.0] * 30, 100) < 0.01  # 30 of 100 rows, each as likely by chance
    few = _leaked_share([1e-9] * 5 + [3.0] * 2000, 20_000)
    assert 5 / 20_000 <= few < 2 * 5 / 20_000


# --- the size of the document and of the leak ------------------------------------------------------

def test_the_same_row_weighs_less_in_a_bigger_document(leak: Leak) -> None:
    """A leaked name and birth date with no ID: enough in a short paste, explainable by chance
    among 20,000 rows of other people with names and birth dates."""
    row = None
    for p in leak.people:
        single = leak.matcher.match(f"{p.last}\t{p.first}\t{p.dob:%m/%d/%Y}\n")
        if single.verdict == "hit" and 1e-7 < single.records[0].expected_chance < 1e-5:
            row = p
            break
    assert row is not None
    crowd = others(leak, 20_000, seed=5)
    lines = [f"{p.last}\t{p.first}\t{p.dob:%m/%d/%Y}" for p in crowd]
    lines.insert(10_000, f"{row.last}\t{row.first}\t{row.dob:%m/%d/%Y}")
    assert leak.matcher.match("\n".join(lines)).verdict == "clean"
    assert leak.matcher.match("\n".join(lines[9_990:10_010])).verdict == "hit"


@pytest.mark.parametrize("leak_rows", [2000, 20_000])
def test_a_roster_of_other_people_is_clean_at_every_leak_size(leak_rows: int) -> None:
    big = synthetic_leak(leak_rows, 23)
    people = others(big, 3000, seed=17)
    text = table([[p.last, p.first, p.dob.strftime("%m/%d/%Y"), f"A{p.a_number}", p.country, p.aor]
                  for p in people], ["Last", "First", "DOB", "A-Number", "Country", "AOR"])
    assert big.matcher.match(text).verdict == "clean"
    no_ids = table([[p.last, p.first, p.dob.strftime("%m/%d/%Y"), p.country, p.facility] for p in people])
    assert big.matcher.match(no_ids).verdict == "clean"


# --- fields that disagree, and where names can be --------------------------------------------------

def test_another_first_name_is_a_conflict(leak: Leak) -> None:
    """VIANA, SOFÍA born on the day VIANA FRÍAS, MARTIRIO was is much less likely that record than
    VIANA, MARTIRIO would be; a few such rows among other people are chance."""
    firsts = [p.first for p in leak.people]
    rng = random.Random(3)
    crowd = [f"{p.last}, {p.first}\t{p.dob:%m/%d/%Y}" for p in others(leak, 300, seed=8)]
    for k, i in enumerate(spread(30, start=77)):
        p = leak.people[i]
        other = rng.choice([f for f in firsts if f.split()[0] not in p.first.split()])
        mixed = leak.matcher.match(f"{p.last.split()[0]}, {other}\t{p.dob:%m/%d/%Y}\n" * 3)
        own = leak.matcher.match(f"{p.last.split()[0]}, {p.first}\t{p.dob:%m/%d/%Y}\n" * 3)
        if own.verdict == "hit" and mixed.verdict == "hit":
            assert mixed.records[0].expected_chance >= 50 * own.records[0].expected_chance
        if k < 3:
            crowd.insert(100 * k + 50, f"{p.last.split()[0]}, {other}\t{p.dob:%m/%d/%Y}")
    assert leak.matcher.match("\n".join(crowd)).verdict == "clean"


def test_another_id_rules_a_record_out(leak: Leak) -> None:
    """Rows with their own A-number that share a birth date, a first name and one surname token
    with a leaked record (the chance matches of big leaks) are other people; with the whole
    name and the birth date the row still names the record, its ID notwithstanding."""
    rng = random.Random(9)
    people = [p for p in leak.people if len(p.last.split()) >= 2][:30]
    partial = [f"{p.first.split()[0]} {p.last.split()[0]}\t{p.dob:%m/%d/%Y}\tA{rng.randrange(10**8, 10**9)}"
               for p in people]
    assert leak.matcher.match("\n".join(partial)).verdict == "clean"
    whole = [f"{p.first} {p.last}\t{p.dob:%m/%d/%Y}\tA{rng.randrange(10**8, 10**9)}" for p in people]
    assert leak.matcher.match("\n".join(whole)).verdict == "hit"


def test_words_of_place_names_are_not_names() -> None:
    """"San Antonio" holds no first name ANTONIO, "El Salvador" no SALVADOR; a one-word place
    ("Houston") can be a first name, so it stays one."""
    from fingerprints.index import build_index
    from fingerprints.keyed import Keyer
    from fingerprints.matcher import Matcher
    from fingerprints.roles import Column, Role
    from fingerprints_support import KEY

    rng = random.Random(2)
    firsts = ["ANTONIO", "SALVADOR", "HOUSTON", "MARIA", "JOSE", "ANA", "LUIS", "ROSA", "JUAN", "ELENA", "PEDRO"]
    lasts = ["".join(rng.choice("BCDFGKLMNPRSTVZ") + rng.choice("AEIOU") for _ in range(4)) for _ in range(3000)]
    places = ["San Antonio", "El Salvador", "Houston", "Miami"]
    rows = [[lasts[i], rng.choice(firsts), f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/"
             f"{rng.randint(1950, 2000)}", rng.choice(places)] for i in range(3000)]
    cols = [Column("Last", Role.LAST_NAME), Column("First", Role.FIRST_NAME), Column("DOB", Role.DOB),
            Column("Place", Role.PLACE)]
    keyer = Keyer(KEY)
    matcher = Matcher(build_index(rows, cols, keyer), keyer)
    target = next(r for r in rows if r[1] == "ANTONIO" and r[3] == "San Antonio")
    doc = matcher.match(f"{target[0]}\t{target[2]}\tSan Antonio\n")
    assert doc.verdict == "hit" and doc.records
    assert all("First" not in r.fields and "Place" in r.fields for r in doc.records)
    # another place of the leak on the row is another person's: it counts against the record
    other = next(r for r in rows if r[1] == "ANTONIO" and r[3] == "Miami")
    assert matcher.match(f"{other[0]}\t{other[2]}\tSan Antonio\n").verdict == "clean"
    assert matcher.match(f"{other[0]}\t{other[2]}\tMiami\n").verdict == "hit"
    doc = matcher.match(f"{target[0]}\t{target[1]}\t{target[2]}\tSan Antonio\n")
    assert any("First" in r.fields for r in doc.records)
    houston = next(r for r in rows if r[1] == "HOUSTON" and r[3] != "Houston")
    doc = matcher.match(f"{houston[0]}\t{houston[1]}\t{houston[2]}\n")
    assert any("First" in r.fields for r in doc.records)
