"""A labelled corpus of re-posts and look-alikes of a synthetic leak, for scoring the matcher.

``generate_corpus`` writes ``leak.csv``, ``docs/`` and ``labels.json`` (the layout
``../shared/bench/score.py`` reads). Positive documents re-post leak rows in the shapes
leaks travel in: whole files, column subsets under other headers, HTML tables, pastes,
JSON, PDFs, archives, rows with rewritten dates and IDs and typos, a few rows in a long
log, names in prose. Negative documents look as close as possible without re-posting
anyone: other rosters of the same shape, namesakes, rows recombined from three different
people, statistics, news, code. A :class:`CorpusStyle` says how many documents of each
kind to make and how hard to perturb them, so the benchmark can draw corpora unlike the
one the matcher was tuned on.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import math
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tracker.synth import textfill
from tracker.synth.guard import LeakGuard
from tracker.synth.leak import leak_people, leak_rows, leak_workbook
from tracker.synth.people import (
    AORS,
    BOOK_IN_DAYS,
    BOOK_IN_START,
    CASE_STATUSES,
    FACILITIES,
    Person,
    PersonFactory,
    outsider_name,
    random_date,
    random_dob,
)
from tracker.synth.perturb import (
    CASES,
    DATE_FORMATS,
    ID_FORMATS,
    LEAK_LAYOUT,
    PERTURBED_DATE_FORMATS,
    PERTURBED_ID_FORMATS,
    Layout,
    Variation,
    random_layout,
)
from tracker.synth.render import (
    gzip_bytes,
    to_csv,
    to_fixed_width,
    to_html_table,
    to_json,
    to_pdf,
    zip_bytes,
)

Doc = tuple[str, bytes, list[int]]  # file extension, content, 1-based leak record ids


DEFAULT_PERTURB = Variation(date_formats=PERTURBED_DATE_FORMATS + ("us",), id_formats=tuple(ID_FORMATS),
                            cases=tuple(CASES), strip_accents=0.3, typo=0.25, double_typo=0.2)


@dataclass(frozen=True)
class CorpusStyle:
    """What a generated corpus holds: documents per kind, sizes, and how hard rows are perturbed."""

    counts: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_COUNTS))
    max_rows: int = 6000  # largest re-post, in rows (full copies are always the whole leak)
    pdf_max_rows: int = 300  # PDFs are slow to make and to read; keep them smaller
    rename: float = 0.4  # chance a header of a column subset is respelled / translated
    keep_weak: float = 0.5  # chance a subset keeps each weak column (facility, status...)
    perturb: Variation = field(default_factory=lambda: DEFAULT_PERTURB)

    def only(self, kinds: Iterable[str]) -> CorpusStyle:
        """This style restricted to ``kinds`` (each kept at its count, at least one document)."""
        wanted = set(kinds)
        unknown = wanted - set(KINDS)
        if unknown:
            raise ValueError(f"unknown corpus kinds: {', '.join(sorted(unknown))}; known: {', '.join(KINDS)}")
        return dataclasses.replace(self, counts={k: max(1, self.counts.get(k, 1)) for k in KINDS if k in wanted})

    @classmethod
    def varied(cls, seed: int) -> CorpusStyle:
        """A style drawn at random: other document mix, other formats, other perturbation rates.

        Used by the benchmark for corpora that differ from the development corpus in more
        than their seed, so a matcher tuned on one corpus is measured on shapes it has not seen.
        """
        rng = random.Random(f"style:{seed}")
        counts = {k: max(1, round(n * rng.uniform(0.5, 1.6))) for k, n in DEFAULT_COUNTS.items()}
        counts["full_csv"], counts["full_xlsx"] = 1, rng.randint(0, 1)
        perturb = Variation(
            date_formats=tuple(rng.sample(PERTURBED_DATE_FORMATS, rng.randint(3, len(PERTURBED_DATE_FORMATS)))),
            id_formats=tuple(rng.sample(PERTURBED_ID_FORMATS, rng.randint(2, len(PERTURBED_ID_FORMATS)))),
            cases=tuple(rng.sample(tuple(CASES), rng.randint(1, len(CASES)))),
            strip_accents=rng.uniform(0.0, 0.6), typo=rng.uniform(0.05, 0.45), double_typo=rng.uniform(0.0, 0.3))
        return cls(counts=counts, rename=rng.uniform(0.2, 0.9), keep_weak=rng.uniform(0.2, 0.8), perturb=perturb)


class _Context:
    """The leak and the bookkeeping every document generator needs."""

    def __init__(self, people: list[Person], style: CorpusStyle) -> None:
        self.people = people
        self.rows = leak_rows(people)  # the leak's own cells, shared by leak.csv and the full copies
        self.style = style
        self.used_ids = {p.a_number for p in people}  # shared by every document's PersonFactory
        self.guard = LeakGuard((p.first, p.last, p.dob, p.a_number) for p in people)

    @property
    def n(self) -> int:
        return len(self.people)

    def factory(self, rng: random.Random) -> PersonFactory:
        """A person factory drawing from ``rng`` that never reuses an ID handed out in this corpus."""
        factory = PersonFactory(rng)
        factory.used_ids = self.used_ids
        return factory

    def size(self, rng: random.Random, lo: int, hi: int) -> int:
        """A document size in rows within [lo, hi], never above the leak's size or the style's maximum.

        Mostly mid-sized (tens to hundreds of rows), with a tail of tiny (1-3 rows) and of
        large documents, drawn log-uniformly within each band.
        """
        hi = max(1, min(hi, self.style.max_rows, self.n))
        lo = min(lo, hi)
        u = rng.random()
        if u < 0.15:
            band = (lo, min(hi, max(lo, 3)))
        elif u < 0.85:
            band = (min(hi, max(lo, 20)), min(hi, 400))
        else:
            band = (min(hi, max(lo, 400)), hi)
        a, b = band[0], max(band)
        return min(b, int(math.exp(rng.uniform(math.log(a), math.log(b + 1)))))

    def sample(self, rng: random.Random, lo: int, hi: int) -> list[int]:
        """Distinct leak row indexes (0-based), in random order."""
        return rng.sample(range(self.n), self.size(rng, lo, hi))

    def stranger(self, rng: random.Random) -> Person:
        """An invented person of the leak's kind who is not in the leak (see :class:`LeakGuard`)."""
        factory = self.factory(rng)
        while True:
            p = factory.person()
            if self.guard.clean(p.first, p.last, p.dob):
                return p

    def namesake(self, rng: random.Random, i: int) -> Person:
        """Someone with leak person ``i``'s name and country, but another birth date, ID and case."""
        p = self.people[i]
        while True:
            dob = random_dob(rng)
            if self.guard.clean(p.first, p.last, dob):
                return _redraw_weak(dataclasses.replace(p, dob=dob, a_number=self.factory(rng).new_id()), rng)

    def recombined(self, rng: random.Random) -> Person:
        """Name of leak row A, birth date of row B, ID of row C: each leaked, no two of one person."""
        for _ in range(10_000):
            a, b, c = (self.people[rng.randrange(self.n)] for _ in range(3))
            if self.guard.clean(a.first, a.last, b.dob, c.a_number):
                return _redraw_weak(dataclasses.replace(a, dob=b.dob, a_number=c.a_number), rng)
        raise ValueError(f"a leak of {self.n} rows is too small to recombine rows of three different people")


def _redraw_weak(p: Person, rng: random.Random) -> Person:
    """``p`` with facility, office, book-in date and status drawn anew (so they corroborate nothing)."""
    return dataclasses.replace(p, facility=rng.choice(FACILITIES), aor=rng.choice(AORS),
                               book_in=random_date(rng, BOOK_IN_START, BOOK_IN_DAYS), status=rng.choice(CASE_STATUSES))


def _table(ctx: _Context, rng: random.Random, layout: Layout, idx: list[int]) -> list[list[str]]:
    return [layout.cells(ctx.people[i], rng) for i in idx]


def _records(idx: Iterable[int]) -> list[int]:
    return sorted(i + 1 for i in idx)


def _subset_layout(ctx: _Context, rng: random.Random, variation: Variation | None = None) -> Layout:
    s = ctx.style
    return random_layout(rng, rename=s.rename, keep_weak=s.keep_weak, variation=variation or Variation())


# --- positive kinds -------------------------------------------------------------------------------------


def _full_csv(ctx: _Context, rng: random.Random) -> Doc:
    idx = list(range(ctx.n))
    text = to_csv(LEAK_LAYOUT.headers, ctx.rows, crlf=rng.random() < 0.5)
    bom = "\ufeff" if rng.random() < 0.3 else ""
    return "csv", (bom + text).encode("utf-8"), _records(idx)


def _full_xlsx(ctx: _Context, rng: random.Random) -> Doc:
    titles = [["Detained population - export"], [f"Report date: {rng.randint(1, 28):02d}/11/2022"], []]
    data = leak_workbook(ctx.rows, titles[: rng.randint(0, 3)], rng.random() < 0.6)
    return "xlsx", data, _records(range(ctx.n))


def _subset_csv(ctx: _Context, rng: random.Random) -> Doc:
    idx = ctx.sample(rng, 1, 6000)
    layout = _subset_layout(ctx, rng)
    return "csv", to_csv(layout.headers, _table(ctx, rng, layout, idx)).encode("utf-8"), _records(idx)


def _html_table(ctx: _Context, rng: random.Random) -> Doc:
    idx = ctx.sample(rng, 1, 2000)
    layout = _subset_layout(ctx, rng)
    f = textfill.Filler(rng)
    table = to_html_table(layout.headers, _table(ctx, rng, layout, idx), rng)
    title = rng.choice(["Leaked list", "Detainee roster", "Lista completa", "Full list (mirror)", f.title()])
    return "html", textfill.html_page(rng, title, table, f).encode("utf-8"), _records(idx)


def _paste_fixed_width(ctx: _Context, rng: random.Random) -> Doc:
    idx = ctx.sample(rng, 1, 3000)
    layout = _subset_layout(ctx, rng)
    text = to_fixed_width(layout.headers, _table(ctx, rng, layout, idx), rng.choice(["spaces", "pipes", "markdown"]))
    return "txt", text.encode("utf-8"), _records(idx)


def _json(ctx: _Context, rng: random.Random) -> Doc:
    idx = ctx.sample(rng, 1, 1000)
    layout = _subset_layout(ctx, rng)
    return "json", to_json(layout.headers, _table(ctx, rng, layout, idx), rng).encode("utf-8"), _records(idx)


def _pdf_table(ctx: _Context, rng: random.Random) -> Doc:
    idx = ctx.sample(rng, 1, ctx.style.pdf_max_rows)
    layout = _subset_layout(ctx, rng)
    title = rng.choice(["Detainee list", "Lista de detenidos", "Attachment B"])
    data = to_pdf(title, layout.headers, _table(ctx, rng, layout, idx), wrap=rng.random() < 0.5)
    return "pdf", data, _records(idx)


def _csv_payload(ctx: _Context, rng: random.Random, hi: int) -> tuple[bytes, list[int]]:
    idx = ctx.sample(rng, 1, hi)
    layout = _subset_layout(ctx, rng) if rng.random() < 0.6 else LEAK_LAYOUT
    return to_csv(layout.headers, _table(ctx, rng, layout, idx)).encode("utf-8"), _records(idx)


def _zip_csv(ctx: _Context, rng: random.Random) -> Doc:
    payload, records = _csv_payload(ctx, rng, 3000)
    readme = textfill.Filler(rng).paragraph().encode("utf-8")
    shape = rng.randrange(3)
    if shape == 0:
        entries = [("data/list.csv", payload), ("README.txt", readme)]
    elif shape == 1:  # nested once: a zip inside the zip
        entries = [("export.zip", zip_bytes([("list.csv", payload)])), ("README.txt", readme)]
    else:  # nested once: a gzip inside the zip
        entries = [("list.csv.gz", gzip_bytes(payload, "list.csv")), ("notes.txt", readme)]
    return "zip", zip_bytes(entries), records


def _gzip_csv(ctx: _Context, rng: random.Random) -> Doc:
    payload, records = _csv_payload(ctx, rng, 3000)
    if rng.random() < 0.3:  # nested once: a zip inside the gzip
        return "zip.gz", gzip_bytes(zip_bytes([("list.csv", payload)]), "list.zip"), records
    return "csv.gz", gzip_bytes(payload, "list.csv"), records


def _perturbed_csv(ctx: _Context, rng: random.Random) -> Doc:
    idx = ctx.sample(rng, 1, 1500)
    layout = _subset_layout(ctx, rng, ctx.style.perturb)
    return "csv", to_csv(layout.headers, _table(ctx, rng, layout, idx)).encode("utf-8"), _records(idx)


def _needle_rows(ctx: _Context, rng: random.Random, idx: list[int]) -> list[str]:
    """A few leak rows written the way they end up inside a log or code paste."""
    layout = _subset_layout(ctx, rng)
    rows = _table(ctx, rng, layout, idx)
    shape = rng.randrange(4)
    if shape == 0:
        return ["|".join(layout.headers)] + ["|".join(r) for r in rows]
    if shape == 1:
        return to_csv(layout.headers, rows).splitlines()
    keys = [k.lower().replace(" ", "_") for k in layout.headers]
    if shape == 2:
        return [f"2023-03-{rng.randint(10, 28)}T{rng.randint(10, 23)}:{rng.randint(10, 59)}:00Z WARN export "
                f"row={json.dumps(dict(zip(keys, r)), ensure_ascii=False)}" for r in rows]
    return ["ROWS = ["] + [f"    ({', '.join(json.dumps(c, ensure_ascii=False) for c in r)})," for r in rows] + ["]"]


def _needle_in_paste(ctx: _Context, rng: random.Random) -> Doc:
    idx = rng.sample(range(ctx.n), min(ctx.n, rng.randint(1, 10)))
    needle = _needle_rows(ctx, rng, idx)
    lines = rng.randint(80, 600)
    if rng.random() < 0.5:
        noise = textfill.log_text(rng, lines).splitlines()
    else:
        noise = textfill.python_code(rng, lines).splitlines()
    at = rng.randrange(len(noise) + 1)
    text = "\n".join(noise[:at] + needle + noise[at:]) + "\n"
    return "txt", text.encode("utf-8"), _records(idx)


def _mixed_list(ctx: _Context, rng: random.Random) -> Doc:
    idx = ctx.sample(rng, 3, 40)
    others = [ctx.stranger(rng) for _ in range(len(idx) * rng.randint(2, 8))]
    people = [ctx.people[i] for i in idx] + others
    rng.shuffle(people)
    layout = LEAK_LAYOUT if rng.random() < 0.5 else _subset_layout(ctx, rng)
    rows = [layout.cells(p, rng) for p in people]
    return "csv", to_csv(layout.headers, rows).encode("utf-8"), _records(idx)


_NATIONALITY = {"MEXICO": "Mexican", "GUATEMALA": "Guatemalan", "HONDURAS": "Honduran", "EL SALVADOR": "Salvadoran",
                "NICARAGUA": "Nicaraguan", "COLOMBIA": "Colombian", "ECUADOR": "Ecuadorian", "PERU": "Peruvian",
                "CUBA": "Cuban", "VENEZUELA": "Venezuelan", "BRAZIL": "Brazilian", "HAITI": "Haitian",
                "RUSSIA": "Russian", "UKRAINE": "Ukrainian", "TURKEY": "Turkish", "INDIA": "Indian",
                "CHINA": "Chinese", "MAURITANIA": "Mauritanian", "EGYPT": "Egyptian", "SYRIA": "Syrian",
                "YEMEN": "Yemeni", "SUDAN": "Sudanese", "AFGHANISTAN": "Afghan"}

_PROSE = (
    "{name}, born {dob}, a detainee from {country} held at {facility}{anum_paren}.",
    "Among those named in the list is {name} ({dob}), a {nationality} national detained at {facility}{anum_semi}.",
    "{name}, whose date of birth is recorded as {dob}, has been at {facility} since {book_in}{anum_paren}.",
    "Relatives of {name} (born {dob} in {country_title}) say {pronoun} was moved to {facility} last month.",
    "We spoke with the family of {name}. According to the spreadsheet, {pronoun} was born on {dob}{anum_listed}.",
    "The file lists {name} ({nationality}, DOB {dob}){anum_comma} at {facility}.",
)


def _prose_person(rng: random.Random, p: Person) -> str:
    name_case = rng.choice(["title", "title", "upper"])
    first, last = CASES[name_case](p.first), CASES[name_case](p.last)
    name = f"{first} {last}" if rng.random() < 0.8 else f"{last}, {first}"
    anum = ID_FORMATS[rng.choice(list(ID_FORMATS))](p.a_number) if rng.random() < 0.6 else ""
    values = {
        "name": name, "dob": DATE_FORMATS[rng.choice(["us_short", "us", "long", "long_nopad", "iso",
                                                         "day_month_abbr"])](p.dob),
        "country": p.country.title(), "country_title": p.country.title(), "facility": p.facility,
        "nationality": _NATIONALITY.get(p.country, p.country.title()),
        "book_in": DATE_FORMATS["long_nopad"](p.book_in), "pronoun": "he" if p.gender == "M" else "she",
        "anum_paren": f" (A-number {anum})" if anum else "", "anum_semi": f"; A# {anum}" if anum else "",
        "anum_listed": f" and is listed under {anum}" if anum else "", "anum_comma": f", {anum}," if anum else "",
    }
    return rng.choice(_PROSE).format(**values)


def _prose_mention(ctx: _Context, rng: random.Random) -> Doc:
    idx = rng.sample(range(ctx.n), min(ctx.n, rng.randint(1, 3)))
    f = textfill.Filler(rng)
    paragraphs = [f.paragraph() for _ in range(rng.randint(2, 6))]
    for i in idx:
        at = rng.randrange(len(paragraphs) + 1)
        paragraphs.insert(at, f"{f.sentence()} {_prose_person(rng, ctx.people[i])} {f.sentence()}")
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    title = rng.choice(["Community update", "Families still waiting for news", "Notes from the hearing",
                        f.title()])
    return "html", textfill.html_page(rng, title, body, f).encode("utf-8"), _records(idx)


def _split_lines(ctx: _Context, rng: random.Random) -> Doc:
    """Records laid out over two lines: a labelled report, a broken CSV, or a numbered list."""
    idx = ctx.sample(rng, 1, 400)
    date_fmt = DATE_FORMATS[rng.choice(["us", "iso", "eu", "long"])]
    id_fmt = ID_FORMATS[rng.choice(list(ID_FORMATS))]
    shape = rng.randrange(3)
    lines: list[str] = []
    for n, i in enumerate(idx, 1):
        p = ctx.people[i]
        if shape == 0:
            lines += [f"Name: {p.last}, {p.first}    Gender: {p.gender}    Country: {p.country}",
                      f"    DOB: {date_fmt(p.dob)}    A-Number: {id_fmt(p.a_number)}    Facility: {p.facility}", ""]
        elif shape == 1:
            lines += [f"{p.last},{p.first},{p.country}", f"{date_fmt(p.dob)},{id_fmt(p.a_number)},{p.facility}"]
        else:
            lines += [f"{n}. {p.first.title()} {p.last.title()}",
                      f"   born {date_fmt(p.dob)} · {id_fmt(p.a_number)} · {p.facility}"]
    return "txt", ("\n".join(lines) + "\n").encode("utf-8"), _records(idx)


def _tsv_semicolon(ctx: _Context, rng: random.Random) -> Doc:
    idx = ctx.sample(rng, 1, 3000)
    if rng.random() < 0.5:  # European spreadsheet export: semicolons and day-first dates
        layout = _subset_layout(ctx, rng, Variation(date_formats=(rng.choice(["eu", "dotted"]),)))
        ext, text = "csv", to_csv(layout.headers, _table(ctx, rng, layout, idx), ";", crlf=True)
    else:
        layout = _subset_layout(ctx, rng)
        ext, text = "tsv", to_csv(layout.headers, _table(ctx, rng, layout, idx), "\t")
    return ext, text.encode("utf-8"), _records(idx)


# --- negative kinds -------------------------------------------------------------------------------------


def _people_doc(rng: random.Random, layout: Layout, people: list[Person]) -> tuple[str, str]:
    """People as a CSV, an HTML page with a table or a fixed-width paste (extension, text)."""
    rows = [layout.cells(p, rng) for p in people]
    shape = rng.randrange(3)
    if shape == 0:
        return "csv", to_csv(layout.headers, rows)
    if shape == 1:
        table = to_html_table(layout.headers, rows, rng)
        return "html", textfill.html_page(rng, rng.choice(["Roster", "Detainee list", "Lista"]), table)
    return "txt", to_fixed_width(layout.headers, rows, rng.choice(["spaces", "pipes"]))


def _other_roster(ctx: _Context, rng: random.Random) -> Doc:
    people = [ctx.stranger(rng) for _ in range(ctx.size(rng, 10, 500))]
    layout = LEAK_LAYOUT if rng.random() < 0.4 else _subset_layout(ctx, rng)
    ext, text = _people_doc(rng, layout, people)
    return ext, text.encode("utf-8"), []


def _name_collisions(ctx: _Context, rng: random.Random) -> Doc:
    people = [ctx.namesake(rng, i) for i in ctx.sample(rng, 5, 300)]
    fields = ["first", "last", "dob"] + (["a_number"] if rng.random() < 0.5 else [])
    layout = random_layout(rng, rename=ctx.style.rename, keep_weak=0.4, fields=fields)
    rows = [layout.cells(p, rng) for p in people]
    return "csv", to_csv(layout.headers, rows).encode("utf-8"), []


def _recombined_rows(ctx: _Context, rng: random.Random) -> Doc:
    people = [ctx.recombined(rng) for _ in range(ctx.size(rng, 5, 300))]
    layout = LEAK_LAYOUT if rng.random() < 0.5 else random_layout(
        rng, rename=ctx.style.rename, keep_weak=0.5, fields=["last", "first", "dob", "a_number"])
    ext, text = _people_doc(rng, layout, people)
    return ext, text.encode("utf-8"), []


def _facility_stats(ctx: _Context, rng: random.Random) -> Doc:
    countries = sorted({p.country for p in ctx.people})
    header = rng.choice([["Facility", "Country", "Detained", "Fear Claims"],
                         ["Detention Facility", "Country of Citizenship", "Count", "Median age"]])
    rows = [[fac, c, str(rng.randint(1, 900)), str(rng.randint(1, 300))]
            for fac in rng.sample(FACILITIES, rng.randint(5, 20))
            for c in rng.sample(countries, min(3, len(countries)))]
    if rng.random() < 0.5:
        return "csv", to_csv(header, rows).encode("utf-8"), []
    page = textfill.html_page(rng, "Detention statistics", to_html_table(header, rows, rng))
    return "html", page.encode("utf-8"), []


def _news_synthetic(ctx: _Context, rng: random.Random) -> Doc:
    f = textfill.Filler(rng)
    first, last = (s.title() for s in outsider_name(rng))
    facilities = ", ".join(rng.sample(FACILITIES, 3))
    countries = sorted({p.country.title() for p in ctx.people})
    some_countries = ", ".join(rng.sample(countries, min(3, len(countries))))
    posted = DATE_FORMATS["long_nopad"](dt.date(2022, 11, rng.randint(1, 28)))
    paragraphs = [
        (f"An internal spreadsheet listing {ctx.n:,} people held at facilities including {facilities} was "
         f"posted online on {posted}."),
        (f"The file gave names, dates of birth, nationalities such as {some_countries} and case details, "
         f"according to {first} {last}, a spokesperson, who said it was removed within hours."),
        f.paragraph(),
        (f"Advocates said people whose asylum claims are pending face risks if the list reaches the governments "
         f"they fled. {f.paragraph(2)}"),
        f.paragraph(),
    ]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    page = textfill.html_page(rng, rng.choice(["Agency apologises for data leak", "News", "Leak exposes detainees"]),
                              body, f)
    return "html", page.encode("utf-8"), []


def _paste_py(ctx: _Context, rng: random.Random) -> Doc:
    return "txt", textfill.python_code(rng, rng.randint(60, 400)).encode("utf-8"), []


def _paste_log(ctx: _Context, rng: random.Random) -> Doc:
    return "txt", textfill.log_text(rng, rng.randint(200, 1500)).encode("utf-8"), []


def _paste_cfg(ctx: _Context, rng: random.Random) -> Doc:
    return "txt", textfill.config_text(rng, rng.randint(40, 300)).encode("utf-8"), []


def _other_leak(ctx: _Context, rng: random.Random) -> Doc:
    f = textfill.Filler(rng)
    rows = []
    shape = rng.randrange(2)
    for _ in range(rng.randint(50, 400)):
        first, last = outsider_name(rng)
        dob = DATE_FORMATS["us"](random_dob(rng))
        email = f"{first.lower()}.{last.lower()}{rng.randrange(100)}@{f.host()}"
        if shape == 0:
            rows.append([f"{first.title()} {last.title()}", email, dob, f"{f.words(1)[0].title()}ville"])
        else:
            rows.append([last.title(), first.title(), email, f"+1-555-{rng.randrange(10**7):07d}",
                         f"{rng.randint(1, 9999)} {f.words(1)[0].title()} St"])
    header = ["name", "email", "dob", "city"] if shape == 0 else ["last", "first", "email", "phone", "address"]
    return "csv", to_csv(header, rows).encode("utf-8"), []


def _unrelated_html(ctx: _Context, rng: random.Random) -> Doc:
    f = textfill.Filler(rng)
    parts = [f"<p>{html.escape(f.paragraph())}</p>" for _ in range(rng.randint(2, 8))]
    if rng.random() < 0.6:
        header = rng.choice([["Product", "Price", "Rating"], ["Team", "Played", "Won", "Points"]])
        rows = [[f.title()] + [str(rng.randint(1, 500)) for _ in header[1:]] for _ in range(rng.randint(5, 60))]
        parts.insert(rng.randrange(len(parts) + 1), to_html_table(header, rows, rng))
    return "html", textfill.html_page(rng, f.title(), "".join(parts), f).encode("utf-8"), []


KindFn = Callable[[_Context, random.Random], Doc]

# kind -> (positive?, generator); the order is the order documents are generated in.
KINDS: dict[str, tuple[bool, KindFn]] = {
    "full_csv": (True, _full_csv),
    "full_xlsx": (True, _full_xlsx),
    "subset_csv": (True, _subset_csv),
    "html_table": (True, _html_table),
    "paste_fixed_width": (True, _paste_fixed_width),
    "json": (True, _json),
    "pdf_table": (True, _pdf_table),
    "zip_csv": (True, _zip_csv),
    "gzip_csv": (True, _gzip_csv),
    "perturbed_csv": (True, _perturbed_csv),
    "needle_in_paste": (True, _needle_in_paste),
    "mixed_list": (True, _mixed_list),
    "prose_mention": (True, _prose_mention),
    "split_lines": (True, _split_lines),
    "tsv_semicolon": (True, _tsv_semicolon),
    "other_roster": (False, _other_roster),
    "name_collisions": (False, _name_collisions),
    "recombined_rows": (False, _recombined_rows),
    "facility_stats": (False, _facility_stats),
    "news_synthetic": (False, _news_synthetic),
    "paste_py": (False, _paste_py),
    "paste_log": (False, _paste_log),
    "paste_cfg": (False, _paste_cfg),
    "other_leak": (False, _other_leak),
    "unrelated_html": (False, _unrelated_html),
}
POSITIVE_KINDS: tuple[str, ...] = tuple(k for k, (pos, _) in KINDS.items() if pos)
NEGATIVE_KINDS: tuple[str, ...] = tuple(k for k, (pos, _) in KINDS.items() if not pos)

DEFAULT_COUNTS: dict[str, int] = {
    "full_csv": 1, "full_xlsx": 1, "subset_csv": 6, "html_table": 5, "paste_fixed_width": 4, "json": 3,
    "pdf_table": 4, "zip_csv": 3, "gzip_csv": 2, "perturbed_csv": 6, "needle_in_paste": 6, "mixed_list": 4,
    "prose_mention": 8, "split_lines": 3, "tsv_semicolon": 3,
    "other_roster": 10, "name_collisions": 6, "recombined_rows": 4, "facility_stats": 4, "news_synthetic": 4,
    "paste_py": 3, "paste_log": 2, "paste_cfg": 2, "other_leak": 4, "unrelated_html": 4,
}

Labels = dict[str, dict[str, object]]


def _resolve_style(styles: CorpusStyle | Iterable[str] | None) -> CorpusStyle:
    if styles is None:
        return CorpusStyle()
    if isinstance(styles, CorpusStyle):
        return styles
    return CorpusStyle().only(styles)


def write_document(docs_dir: Path, labels: dict[str, dict], name: str, data: bytes, kind: str,
                   records: list[int], positive: bool | None = None) -> int:
    """Write one document of a labelled corpus and its ``labels.json`` entry; its size in bytes.

    ``positive`` defaults to whether it holds leaked records.
    """
    (docs_dir / name).write_bytes(data)
    labels[name] = {"positive": bool(records) if positive is None else positive, "kind": kind, "records": records}
    return len(data)


def write_labels(out_dir: Path | str, labels: Mapping[str, dict]) -> None:
    """``labels.json`` in the format of ``../shared/bench/labels.json`` (sorted, one entry a line)."""
    (Path(out_dir) / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def generate_corpus(out_dir: Path | str, seed: int, n_leak: int = 6252,
                    styles: CorpusStyle | Iterable[str] | None = None) -> Labels:
    """Write ``leak.csv``, ``docs/docNNNN.ext`` and ``labels.json`` under ``out_dir``; return the labels.

    ``styles`` is a :class:`CorpusStyle`, or kind names to restrict the default style to,
    or None for the default mix. Labels map each document's file name to
    ``{"positive": bool, "kind": str, "records": [1-based leak row ids]}``. The same seed and
    style always give the same bytes.
    """
    style = _resolve_style(styles)
    out = Path(out_dir)
    docs_dir = out / "docs"
    docs_dir.mkdir(parents=True, exist_ok=True)
    ctx = _Context(leak_people(n_leak, seed), style)
    (out / "leak.csv").write_text(to_csv(LEAK_LAYOUT.headers, ctx.rows), encoding="utf-8")
    jobs = [(kind, k) for kind in KINDS for k in range(style.counts.get(kind, 0))]
    random.Random(f"order:{seed}").shuffle(jobs)  # file numbers say nothing about the kind
    labels: Labels = {}
    for number, (kind, k) in enumerate(jobs, 1):
        positive, make = KINDS[kind]
        ext, data, records = make(ctx, random.Random(f"doc:{seed}:{kind}:{k}"))
        write_document(docs_dir, labels, f"doc{number:04d}.{ext}", data, kind, records, positive)
    write_labels(out, labels)
    return labels
