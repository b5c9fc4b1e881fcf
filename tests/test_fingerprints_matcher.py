"""fingerprints.matcher: finding a synthetic leak's records in re-posts, and only there.

Positives re-post rows of a generated leak (tracker.synth) the way re-posters do: whole
copies, column subsets under other headers, rewritten dates and IDs, typos, prose, logs,
wrapped rows. Negatives are as close as possible without re-posting anyone: other invented
people, namesakes, recombined rows, statistics, news, code. Every verdict is also checked
for plaintext: what the matcher reports must never hold a leaked value.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence

import pytest
from fingerprints_support import (
    KEY,
    Leak,
    leaked_strings,
    plaintext_in_text,
    synthetic_leak,
    table,
)

from fingerprints.index import build_index
from fingerprints.keyed import Keyer
from fingerprints.matcher import DocumentMatch, Matcher, mask
from fingerprints.normalize import fold
from fingerprints.roles import Column, Role
from tracker.synth import textfill
from tracker.synth.guard import LeakGuard
from tracker.synth.leak import leak_rows
from tracker.synth.people import (
    AORS,
    CASE_STATUSES,
    FACILITIES,
    Person,
    PersonFactory,
    outsider_name,
    random_dob,
)
from tracker.synth.perturb import DATE_FORMATS, ID_FORMATS, strip_accents

N = 2000
SEED = 11
MASKED = re.compile(r"^(?:\(matched\)|\S\** \(\d+\)(?: \S\** \(\d+\))*)$")
SPANISH_MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
                  "octubre", "noviembre", "diciembre"]


@pytest.fixture(scope="module")
def leak() -> Leak:
    return synthetic_leak(N, SEED)


@pytest.fixture(scope="module")
def guard(leak: Leak) -> LeakGuard:
    return LeakGuard((p.first, p.last, p.dob, p.a_number) for p in leak.people)


# --- helpers ---------------------------------------------------------------------------------------

def sample(leak: Leak, k: int = 25, where: Callable[[Person], bool] = lambda p: True, start: int = 0) -> list[int]:
    """``k`` leak row positions (0-based) spread over the leak, of people for whom ``where`` holds."""
    spread = ((start + 37 * j) % N for j in range(N))  # 37 is prime to N: every row once, far apart
    picked = [i for i in spread if where(leak.people[i])][:k]
    assert len(picked) == k, "the synthetic leak has too few such people"
    return picked


def lines(leak: Leak, idx: Sequence[int], row: Callable[[Person], str]) -> str:
    return "\n".join(row(leak.people[i]) for i in idx) + "\n"


def distinct(leak: Leak) -> Callable[[Person], bool]:
    """People whose date of birth no one else in the leak has and whose surname is one plain word."""
    dobs = Counter(p.dob for p in leak.people)
    return lambda p: dobs[p.dob] == 1 and p.last.isascii() and p.last.isalpha() and len(p.last) >= 6


def output_text(doc: DocumentMatch) -> str:
    """Everything a caller may print or store about a verdict."""
    return json.dumps([doc.to_dict()] + [r.to_dict() for r in doc.records], ensure_ascii=False)


def assert_no_plaintext(leak: Leak, doc: DocumentMatch, people: Sequence[Person]) -> None:
    public = fold(" ".join(leak.header))  # column names are not leaked values ("ENDER" is in "Gender")
    needles = {s for s in leaked_strings(people) if fold(s) not in public}
    assert plaintext_in_text(output_text(doc), needles) == []
    for r in doc.records:
        assert set(r.fields) <= set(leak.header)
        assert all(0.0 <= v <= 1.0 for v in r.fields.values())
        assert set(r.evidence) <= set(r.fields)
        for value in r.evidence.values():
            assert MASKED.match(value), value
            for m in re.finditer(r"(\S)(\**) \((\d+)\)", value):
                assert len(m.group(2)) + 1 == int(m.group(3))  # first letter, stars, length


def assert_hit(leak: Leak, doc: DocumentMatch, idx: Sequence[int]) -> None:
    assert doc.verdict == "hit"
    assert 0.5 <= doc.score <= 1.0
    assert doc.record_ids == sorted(i + 1 for i in idx)
    for r in doc.records:
        assert 0.0 <= r.score <= 1.0 and r.expected_chance < 1.0 and 0.0 <= r.row_similarity <= 1.0
    assert set(doc.fields) <= set(leak.header)
    for f in doc.fields.values():
        assert set(f) == {"records", "similarity"} and f["records"] >= 1 and 0.0 <= f["similarity"] <= 1.0
    assert_no_plaintext(leak, doc, [leak.people[i] for i in idx])


def assert_clean(doc: DocumentMatch) -> None:
    assert doc.verdict == "clean"
    assert 0.0 <= doc.score < 0.5
    assert doc.records == [] and doc.fields == {}


def hand_made_matcher(rows: list[list[str]], columns: list[Column]) -> Matcher:
    """A matcher over a small leak written out in the test."""
    keyer = Keyer(KEY)
    return Matcher(build_index(rows, columns, keyer), keyer)


def us(d: dt.date) -> str:
    return DATE_FORMATS["us"](d)


# --- whole and partial copies ------------------------------------------------------------------------

def test_full_copy_is_a_hit_with_every_record(leak: Leak) -> None:
    doc = leak.matcher.match(table(leak.rows, leak.header))
    assert_hit(leak, doc, range(N))
    assert {"Last Name", "First Name", "Date of Birth", "A-Number", "Country of Citizenship",
            "Detention Facility"} <= set(doc.fields)
    assert doc.fields["A-Number"] == {"records": N, "similarity": 1.0}
    assert doc.score == pytest.approx(1.0)
    assert [r.line for r in doc.records] == list(range(1, N + 1))  # line 0 is the header


@pytest.mark.parametrize(("header", "row"), [
    (["Fecha de nacimiento", "Apellidos", "Número A"], lambda p: [us(p.dob), p.last, f"A{p.a_number}"]),
    (["A#", "Nationality", "Given Name", "Family Name"], lambda p: [p.a_number, p.country, p.first, p.last]),
    (["Nom complet", "Date de naissance", "Statut"], lambda p: [f"{p.last}, {p.first}", us(p.dob), p.status]),
    (["Birth Date", "Surname", "Field Office", "Sex"], lambda p: [us(p.dob), p.last, p.aor, p.gender]),
    (["A-Number", "Detention Facility", "Case Status"],  # the ID and two weak fields
     lambda p: [f"A{p.a_number}", p.facility, p.status]),
])
def test_column_subset_reordered_dropped_and_renamed(leak: Leak, header: list[str],
                                                     row: Callable[[Person], list[str]]) -> None:
    idx = sample(leak, 30, distinct(leak))
    doc = leak.matcher.match(table((row(leak.people[i]) for i in idx), header, sep="\t"))
    assert_hit(leak, doc, idx)
    assert not set(doc.fields) & (set(header) - set(leak.header))  # reported under the leak's own names


@pytest.mark.parametrize("fmt", ["iso", "dotted", "long", "long_nopad", "eu", "us_short", "day_month_abbr",
                                 "us_2y", "dotted_2y", "spanish"])
def test_dates_reformatted(leak: Leak, fmt: str) -> None:
    idx = sample(leak, 25, start=3)

    def written(d: dt.date) -> str:
        if fmt == "spanish":
            return f"{d.day} de {SPANISH_MONTHS[d.month - 1]} de {d.year}"
        return DATE_FORMATS[fmt](d)

    doc = leak.matcher.match(lines(leak, idx, lambda p: f"{p.last}\t{p.first}\t{written(p.dob)}"))
    assert_hit(leak, doc, idx)
    assert doc.fields["Date of Birth"]["records"] == len(idx)


@pytest.mark.parametrize("fmt", [f for f in ID_FORMATS if f != "a_spaced"])
def test_ids_with_and_without_prefix_and_dashes(leak: Leak, fmt: str) -> None:
    idx = sample(leak, 25, start=5)
    doc = leak.matcher.match(lines(leak, idx, lambda p: f"{ID_FORMATS[fmt](p.a_number)}\t{us(p.dob)}"))
    assert_hit(leak, doc, idx)
    assert set(doc.fields) == {"A-Number", "Date of Birth"}


def test_spaced_ids_next_to_a_name_and_date(leak: Leak) -> None:
    idx = sample(leak, 25, start=7)
    doc = leak.matcher.match(lines(leak, idx, lambda p: f"{p.last}\t{p.first}\t{us(p.dob)}\t"
                                                        f"{ID_FORMATS['a_spaced'](p.a_number)}"))
    assert_hit(leak, doc, idx)
    assert doc.fields["A-Number"]["records"] == len(idx)


@pytest.mark.parametrize("other", ["name", "dob"])
def test_spaced_ids_with_one_other_field(leak: Leak, other: str) -> None:
    idx = sample(leak, 25, distinct(leak))
    spaced = ID_FORMATS["a_spaced"]
    row = (lambda p: f"{p.last}\t{p.first}\t{spaced(p.a_number)}") if other == "name" else (
        lambda p: f"{us(p.dob)}\t{spaced(p.a_number)}")
    assert_hit(leak, leak.matcher.match(lines(leak, idx, row)), idx)


def test_the_same_rows_with_unspaced_ids_are_found(leak: Leak) -> None:
    """Control: identical rows with the ID in one token are hits."""
    idx = sample(leak, 25, distinct(leak))
    doc = leak.matcher.match(lines(leak, idx, lambda p: f"{p.last}\t{p.first}\tA-{p.a_number}"))
    assert_hit(leak, doc, idx)


def test_lowercase_and_accents_stripped(leak: Leak) -> None:
    idx = sample(leak, 25, lambda p: not (p.first + p.last).isascii())
    doc = leak.matcher.match(lines(leak, idx, lambda p: f"{strip_accents(p.last).lower()}, "
                                                        f"{strip_accents(p.first).lower()}, {p.dob.isoformat()}"))
    assert_hit(leak, doc, idx)
    assert doc.fields["Last Name"]["similarity"] == 1.0


def test_turkish_and_title_case_names(leak: Leak) -> None:
    idx = sample(leak, 8, lambda p: p.region == "turkey")
    doc = leak.matcher.match(lines(leak, idx, lambda p: f"{p.first.lower()} {p.last.title()} — {us(p.dob)}"))
    assert_hit(leak, doc, idx)


def _typo(name: str, kind: str) -> str:
    """One slip in the middle of ``name``: a wrong letter, a dropped letter, or two letters swapped."""
    i = len(name) // 2
    if kind == "wrong":
        return name[:i] + ("Q" if name[i] != "Q" else "X") + name[i + 1:]
    if kind == "drop":
        return name[:i] + name[i + 1:]
    return name[:i] + name[i + 1] + name[i] + name[i + 2:]


@pytest.mark.parametrize("kind", ["wrong", "drop", "swap"])
@pytest.mark.parametrize("anchor", ["dob", "id"])
def test_one_letter_typo_in_the_surname(leak: Leak, kind: str, anchor: str) -> None:
    idx = sample(leak, 30, distinct(leak))
    value = (lambda p: us(p.dob)) if anchor == "dob" else (lambda p: f"A{p.a_number}")
    doc = leak.matcher.match(lines(leak, idx, lambda p: f"{_typo(p.last, kind)},{p.first},{value(p)}"))
    assert_hit(leak, doc, idx)
    assert 0.5 <= doc.fields["Last Name"]["similarity"] < 1.0
    assert doc.fields["First Name"]["similarity"] == 1.0


def test_typos_in_both_names_with_id_and_dob(leak: Leak) -> None:
    plain = distinct(leak)
    idx = sample(leak, 30, lambda p: plain(p) and p.first.isalpha() and len(p.first) >= 5)
    doc = leak.matcher.match(lines(leak, idx, lambda p: f"{_typo(p.last, 'drop')}\t{_typo(p.first, 'wrong')}\t"
                                                        f"{us(p.dob)}\tA{p.a_number}"))
    assert_hit(leak, doc, idx)


def test_last_first_in_one_cell(leak: Leak) -> None:
    idx = sample(leak, 25, start=11)
    doc = leak.matcher.match(lines(leak, idx, lambda p: f'"{p.last}, {p.first}",{p.dob.isoformat()}'))
    assert_hit(leak, doc, idx)


# --- rows inside other text -------------------------------------------------------------------------

def test_rows_inside_prose(leak: Leak) -> None:
    idx = sample(leak, 3, distinct(leak), start=13)
    f = textfill.Filler(random.Random(4))
    a, b, c = (leak.people[i] for i in idx)
    paragraphs = [
        f.paragraph(),
        (f"{f.sentence()} Among those named in the list is {a.first.title()} {a.last.title()}, born "
         f"{DATE_FORMATS['long_nopad'](a.dob)}, held at {a.facility}. {f.sentence()}"),
        f.paragraph(),
        f"Relatives of {b.last}, {b.first} ({b.dob.isoformat()}) say the file lists A# {b.a_number}.",
        # One long line of prose (more than the matcher's 60-token line) with the third person inside.
        " ".join(f.paragraph() for _ in range(3)) + f" The family of {c.first} {c.last}, born {us(c.dob)}, "
        f"asked for the page to come down. " + " ".join(f.paragraph() for _ in range(3)),
    ]
    doc = leak.matcher.match("\n\n".join(paragraphs))
    assert_hit(leak, doc, idx)
    assert {r.record_id: r.line for r in doc.records} == {idx[0] + 1: 2, idx[1] + 1: 6, idx[2] + 1: 8}


def test_rows_inside_a_long_log_paste(leak: Leak) -> None:
    idx = sample(leak, 3, start=17)
    noise = textfill.log_text(random.Random(2), 500).splitlines()
    needle = [f'2023-03-11T10:1{n}:00Z WARN export row={{"last_name": "{p.last}", "first_name": "{p.first}", '
              f'"dob": "{us(p.dob)}", "a_number": "A{p.a_number}"}}' for n, p in enumerate(leak.people[i] for i in idx)]
    doc = leak.matcher.match("\n".join(noise[:300] + needle + noise[300:]))
    assert_hit(leak, doc, idx)
    assert [r.line for r in doc.records] == [300, 301, 302]


def test_html_and_tab_separated_tables(leak: Leak) -> None:
    idx = sample(leak, 20, start=19)
    cells = [[p.last, p.first, p.dob.isoformat(), p.country, f"A{p.a_number}"] for p in (leak.people[i] for i in idx)]
    header = ["Apellidos", "Nombre", "F. Nac.", "País", "Número A"]
    html = ("<html><body><h1>Lista</h1><table class=\"t\"><tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr>"
            + "".join("<tr>" + "".join(f"<td><span>{c}</span></td>" for c in row) + "</tr>\n" for row in cells)
            + "</table></body></html>")
    assert_hit(leak, leak.matcher.match(html), idx)
    tsv = "Lista completa (mirror)\n\n" + table(cells, header, sep="\t")
    assert_hit(leak, leak.matcher.match(tsv), idx)


@pytest.mark.parametrize("shape", ["labelled", "numbered", "broken_csv"])
def test_record_wrapped_over_two_lines(leak: Leak, shape: str) -> None:
    idx = sample(leak, 20, start=23)
    out: list[str] = []
    for n, p in enumerate((leak.people[i] for i in idx), 1):
        if shape == "labelled":
            out += [f"Name: {p.last}, {p.first}    Gender: {p.gender}    Country: {p.country}",
                    f"    DOB: {us(p.dob)}    A-Number: A{p.a_number}    Facility: {p.facility}", ""]
        elif shape == "numbered":
            out += [f"{n}. {p.first.title()} {p.last.title()}", f"   born {p.dob.isoformat()} · {p.a_number}"]
        else:
            out += [f"{p.last},{p.first},{p.country}", f"{DATE_FORMATS['eu'](p.dob)},A-{p.a_number},{p.facility}"]
    assert_hit(leak, leak.matcher.match("\n".join(out)), idx)


def test_document_parts_are_reported(leak: Leak) -> None:
    idx = sample(leak, 4, start=29)
    parts = ["README: nothing to see", lines(leak, idx[:2], lambda p: f"{p.last};{p.first};{us(p.dob)}"),
             lines(leak, idx[2:], lambda p: f"A{p.a_number};{p.dob.isoformat()}")]
    doc = leak.matcher.match_parts(parts)
    assert_hit(leak, doc, idx)
    assert [(r.part, r.line) for r in doc.records] == [(1, 0), (1, 1), (2, 0), (2, 1)]


def test_hand_made_leak_with_exotic_spellings() -> None:
    """Invented people whose names need every normalization path, in a day-first leak."""
    rows = [
        ["QUELLIN, ZORVAK", "14.03.1961", "A-100-200-301"],
        ["D'ANVERRO, MÆLIS", "02.11.1979", "A-100-200-302"],
        ["ŞAHİNKARA, YILDIRKAN", "25.12.1990", "A-100-200-303"],
        ["ØSTRAVIK-BRELL, SØLVI", "07.07.1984", "A-100-200-304"],
        ["DE LA VORNEZ, ANAÏS", "30.01.1955", "A-100-200-305"],
        ["STRAßKOV, ELIOR", "03.04.1972", "A-100-200-306"],
    ] + [[f"PLOVRIN{c}, TESKAR", f"{10 + n}.0{n % 9 + 1}.19{50 + n}", f"A-100-200-{400 + n}"]
         for n, c in enumerate("BCDFGHJK")]
    m = hand_made_matcher(rows, [Column("Nombre completo", Role.FULL_NAME), Column("F. Nac.", Role.DOB),
                                 Column("Expediente", Role.ID)])
    reposted = [
        "Zorvak Quellin, born March 14, 1961, file 100200301",
        "Maelis D’Anverro 1979-11-02",
        "sahinkara yildirkan 25/12/1990 a100200303",
        "Sølvi Ostravik Brell | 07.07.1984 | A 100 200 304",
        "ANAIS VORNEZ 1955-01-30 A-100-200-305",
        "STRASSKOV, ELIOR 1972-04-03",  # the leak column is day-first: 03.04.1972 is the 3rd of April
    ]
    doc = m.match("\n".join(reposted))
    assert doc.verdict == "hit"
    assert doc.record_ids == [1, 2, 3, 4, 5, 6]
    assert m.match("STRASSKOV, ELIOR 1972-03-04\nSTRASSKOV, ELIOR 1972-03-04").records == []


def _case_number_matcher() -> Matcher:
    """A hand-made leak whose ID column holds eight-digit case numbers, one shaped like a date."""
    rows = [["QUELLIN", "ZORVAK", "20110512"], ["MARVENDI", "TOSKA", "33445566"]] + [
        [f"PLOVRIN{c}", "TESKAR", str(40_000_000 + n)] for n, c in enumerate("BCDFGHJK")]
    return hand_made_matcher(rows, [Column("Last", Role.LAST_NAME), Column("First", Role.FIRST_NAME),
                                    Column("Case No", Role.ID)])


def test_eight_digit_ids() -> None:
    m = _case_number_matcher()
    assert m.match("MARVENDI TOSKA 33445566").record_ids == [2]
    assert m.leaked_values_in("case 33445566") == ["id"]


def test_eight_digit_ids_that_look_like_dates() -> None:
    assert _case_number_matcher().match("QUELLIN ZORVAK 20110512").record_ids == [1]


# --- negatives -----------------------------------------------------------------------------------------

def _factory(leak: Leak, seed: int) -> PersonFactory:
    factory = PersonFactory(random.Random(seed))
    factory.used_ids = {p.a_number for p in leak.people}  # never reuse a leaked ID
    return factory


def strangers(leak: Leak, guard: LeakGuard, n: int, seed: int) -> list[Person]:
    """Invented people of the leak's kind who share no two identifying fields with anyone in it."""
    factory, out = _factory(leak, seed), []
    while len(out) < n:
        p = factory.person()
        if guard.clean(p.first, p.last, p.dob):
            out.append(p)
    return out


def _redraw_weak(p: Person, rng: random.Random) -> Person:
    return dataclasses.replace(p, facility=rng.choice(FACILITIES), aor=rng.choice(AORS),
                               status=rng.choice(CASE_STATUSES))


def namesakes(leak: Leak, guard: LeakGuard, n: int, seed: int) -> list[Person]:
    """Leak people's names and countries with other birth dates, IDs and cases."""
    rng, factory, out = random.Random(seed), _factory(leak, seed), []
    for p in (leak.people[i] for i in range(0, N, N // n)):
        dob = random_dob(rng)
        while not guard.clean(p.first, p.last, dob):
            dob = random_dob(rng)
        out.append(_redraw_weak(dataclasses.replace(p, dob=dob, a_number=factory.new_id()), rng))
    return out


def recombined(leak: Leak, guard: LeakGuard, n: int, seed: int) -> list[Person]:
    """Name of leak row A, birth date of row B, ID of row C: every value leaked, no two of one person."""
    rng, out = random.Random(seed), []
    while len(out) < n:
        a, b, c = (leak.people[rng.randrange(N)] for _ in range(3))
        if guard.clean(a.first, a.last, b.dob, c.a_number):
            out.append(_redraw_weak(dataclasses.replace(a, dob=b.dob, a_number=c.a_number), rng))
    return out


@pytest.mark.parametrize("kind", ["strangers", "namesakes", "recombined"])
def test_look_alike_rosters_are_clean(leak: Leak, guard: LeakGuard, kind: str) -> None:
    people = {"strangers": strangers, "namesakes": namesakes, "recombined": recombined}[kind](leak, guard, 250, 41)
    rows = leak_rows(people)
    assert_clean(leak.matcher.match(table(rows, leak.header)))
    assert_clean(leak.matcher.match(table(rows, leak.header, sep="\t")))
    assert_clean(leak.matcher.match("\n".join(f"{p.first.title()} {p.last.title()} {p.dob.isoformat()} "
                                              f"A-{p.a_number}" for p in people)))


def test_a_few_leaked_names_among_others_are_clean(leak: Leak, guard: LeakGuard) -> None:
    """Names alone: a whole list of leaked names is a hit (tests/test_matcher_decision.py), three
    among 250 other people are chance."""
    people = strangers(leak, guard, 250, 43)
    for k, i in enumerate(sample(leak, 3)):
        people[80 * k + 10] = leak.people[i]
    assert_clean(leak.matcher.match("\n".join(f"{p.last}, {p.first}" for p in people)))


def test_outsiders_with_the_same_columns_are_clean(leak: Leak) -> None:
    rng = random.Random(8)
    rows = []
    for n in range(300):
        first, last = outsider_name(rng)
        rows.append([last, first, us(random_dob(rng)), "M", "NORLAND", f"A{rng.randrange(10**8, 10**9)}",
                     rng.choice(FACILITIES), rng.choice(AORS), "11/02/2022", rng.choice(CASE_STATUSES)])
    assert_clean(leak.matcher.match(table(rows, leak.header)))


def test_facility_and_country_statistics_are_clean(leak: Leak) -> None:
    rng = random.Random(3)
    countries = sorted({p.country for p in leak.people})
    rows = [[fac, c, str(rng.randint(1, 900)), str(rng.randint(1, 300))] for fac in FACILITIES for c in countries]
    assert_clean(leak.matcher.match(table(rows, ["Facility", "Country", "Detained", "Fear Claims"])))


def test_news_about_the_leak_is_clean(leak: Leak) -> None:
    f = textfill.Filler(random.Random(6))
    first, last = (s.title() for s in outsider_name(random.Random(6)))
    countries = sorted({p.country.title() for p in leak.people})
    text = "\n\n".join([
        (f"An internal spreadsheet listing {N:,} people held at facilities including "
         f"{', '.join(FACILITIES[:4])} was posted online on November 3, 2022."),
        (f"The file gave names, dates of birth, nationalities such as {', '.join(countries)} and case details "
         f"such as {CASE_STATUSES[0]}, according to {first} {last}, a spokesperson, who said on 11/04/2022 it "
         "was removed within hours."),
        f.paragraph(), f.paragraph(),
    ])
    assert_clean(leak.matcher.match(text))


@pytest.mark.parametrize("kind", ["code", "log", "config"])
def test_code_and_logs_are_clean(leak: Leak, kind: str) -> None:
    rng = random.Random(12)
    make = {"code": textfill.python_code, "log": textfill.log_text, "config": textfill.config_text}[kind]
    assert_clean(leak.matcher.match(make(rng, 800)))


def test_empty_documents_are_clean(leak: Leak) -> None:
    for text in ["", "   \n\t\n", "\x00\x01binary\xff"]:
        assert_clean(leak.matcher.match(text))
    assert_clean(leak.matcher.match_parts([]))


# --- what the verdict shows ----------------------------------------------------------------------------

def test_fields_name_columns_and_evidence_is_masked(leak: Leak) -> None:
    plain = distinct(leak)
    idx = sample(leak, 10, lambda p: plain(p) and p.first.isascii() and p.first.isalpha())
    doc = leak.matcher.match(lines(leak, idx, lambda p: f"{_typo(p.last, 'wrong')}\t{p.first}\t{p.dob.isoformat()}"
                                                        f"\tA{p.a_number}\t{p.country}"))
    assert_hit(leak, doc, idx)
    assert set(doc.to_dict()) == {"verdict", "score", "records", "fields", "expected_chance", "rows"}
    for r in doc.records:
        p = leak.people[r.record_id - 1]
        assert set(r.to_dict()) == {"record", "score", "part", "line", "fields", "evidence", "row_similarity", "namesakes"}
        assert 0.5 <= r.fields["Last Name"] < 1.0  # the typo
        assert r.fields["First Name"] == r.fields["A-Number"] == r.fields["Date of Birth"] == 1.0
        # Each matched token of the line, masked: first letter, stars, length.
        assert r.evidence["First Name"] == mask(p.first.lower())
        assert r.evidence["A-Number"] == mask(f"a{p.a_number}")
        assert r.evidence["Date of Birth"] == mask(p.dob.isoformat())
        assert r.evidence["Country of Citizenship"] == "(matched)"  # weak phrases: not even a mask
        assert "Last Name" not in r.evidence  # a name matched through its bigrams has no token to show


def test_mask() -> None:
    assert mask("QUELLIN") == "Q****** (7)"
    assert mask("  zo ") == "z* (2)"
    assert mask("A") == "A (1)"
    assert mask("   ") == ""


def test_scores_separate_hits_from_clean(leak: Leak, guard: LeakGuard) -> None:
    idx = sample(leak, 20, distinct(leak), start=31)
    hits = [
        leak.matcher.match(table(leak.rows[:50], leak.header)),
        leak.matcher.match(lines(leak, idx, lambda p: f"{_typo(p.last, 'drop')} {p.first} {p.dob.isoformat()}")),
        leak.matcher.match(lines(leak, idx[:3], lambda p: f"{p.last} {p.first} {us(p.dob)} A{p.a_number}")),
    ]
    cleans = [
        leak.matcher.match(table(leak_rows(strangers(leak, guard, 50, 5)), leak.header)),
        leak.matcher.match(table([p.last, p.first, us(p.dob)] for p in namesakes(leak, guard, 50, 5))),
        leak.matcher.match(textfill.python_code(random.Random(1), 200)),
    ]
    for doc in hits:
        assert doc.verdict == "hit" and 0.5 <= doc.score <= 1.0
        assert all(0.0 < r.score <= 1.0 for r in doc.records)
    for doc in cleans:
        assert doc.verdict == "clean" and 0.0 <= doc.score < 0.5


def test_leaked_values_in_queries(leak: Leak) -> None:
    p = leak.people[123]
    m = leak.matcher
    assert m.leaked_values_in(f'"{p.last.title()}" detainee') == ["name"]
    assert m.leaked_values_in(f"list A{p.a_number}") == ["id"]
    assert m.leaked_values_in(f"born {us(p.dob)}") == ["dob"]
    assert m.leaked_values_in(f"born {DATE_FORMATS['long'](p.dob)}") == ["dob"]
    assert m.leaked_values_in(f"{p.first} {p.last} {p.dob.isoformat()} A-{p.a_number}") == ["dob", "id", "name"]
    assert m.leaked_values_in("detainee list 2022 spreadsheet") == []
    assert m.leaked_values_in("detention roster leak November 2022 site:example.org") == []


# --- a table's own date order, and near spellings against a conflicting ID ----------------------------

def _month_first_table(rows: list[str]) -> str:
    """Rows after two rows whose dates can only be month-first (10/24, 11/30)."""
    return "\n".join(["ZORVAK\tQUELLIN\t10/24/1975", "MIRAVEL\tOSTIN\t11/30/1980", *rows])


def test_ambiguous_dates_are_read_in_the_tables_own_order(leak: Leak) -> None:
    plain = distinct(leak)
    idx = sample(leak, 5, lambda p: plain(p) and p.dob.day <= 12 and p.dob.day != p.dob.month)
    # day and month swapped: in a month-first table this is another birthday than the leaked one
    swapped = [f"{leak.people[i].last}\t{leak.people[i].first}\t{leak.people[i].dob.day:02d}/"
               f"{leak.people[i].dob.month:02d}/{leak.people[i].dob.year}" for i in idx]
    assert_clean(leak.matcher.match(_month_first_table(swapped)))
    # the same rows written as the leak writes them are found
    right = [f"{leak.people[i].last}\t{leak.people[i].first}\t{us(leak.people[i].dob)}" for i in idx]
    assert_hit(leak, leak.matcher.match(_month_first_table(right)), idx)


def test_near_first_name_does_not_outweigh_another_id(leak: Leak) -> None:
    plain = distinct(leak)
    idx = sample(leak, 5, lambda p: plain(p) and p.first.isalpha() and len(p.first) >= 5)
    rows = [f"{leak.people[i].last}\t{_typo(leak.people[i].first, 'wrong')}\t{us(leak.people[i].dob)}\t"
            f"A{900000100 + n}" for n, i in enumerate(idx)]
    assert_clean(leak.matcher.match("\n".join(rows)))
