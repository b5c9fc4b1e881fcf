"""New re-post forms and hostile look-alikes, drawn from the realistic population.

``generate_forms_corpus`` writes a corpus in the layout ``../shared/bench/score.py`` reads
(``leak.csv``, ``docs/``, ``labels.json``), shaped unlike the development corpus:

* positives are disclosures a matcher tuned on whole rows tends to miss: a paste of A-numbers
  and nothing else, numbered lists of full names, names with weak fields only (JSON, CSV),
  CSV with Excel serial-number birth dates and no ID, surnames that look like particles (DU,
  LE, DE LA O with the second surname dropped), OCR'd screenshots (glued fields, O/0 and l/1
  inside numbers, digits inside names), an e-mail with the rows as a base64 CSV attachment,
  rows quoted in prose, and 1-5 leaked rows hidden among 2,000 other people;
* negatives are what a monitor reads every day: rosters of other people of the same
  population (each with their own A-number) as CSV, HTML and XLSX (100 to 5,000 rows) and
  PDF (100 to 600 rows); 3 namesakes of leaked people among 300 others (with and without birth dates and
  IDs); lists of ID-like numbers that are not leaked; news about the leak; rows recombined
  from three leaked people.

"Other people" are drawn from the same population as the leak, so they share names,
countries, facilities and birth dates with it by chance, as real rosters do. What makes them
other people: their A-number is not a leaked one, and no leaked record has the same full
name and the same date of birth. Namesakes have a leaked person's full name but their own
birth date and ID; recombined rows never give two identifying fields of one leaked person.
Every document is labelled with the leaked record ids (1-based row numbers) it holds.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import email.policy
import email.utils
import html
import math
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from tracker.synth import textfill
from tracker.synth.corpus import write_document, write_labels
from tracker.synth.guard import LeakGuard
from tracker.synth.leak import leak_people, leak_rows
from tracker.synth.people import (
    AORS,
    BOOK_IN_DAYS,
    BOOK_IN_START,
    CASE_STATUSES,
    FACILITIES,
    PARTICLE_LIKE_SURNAMES,
    REALISTIC,
    Person,
    PersonFactory,
    Population,
    outsider_name,
    random_date,
    random_dob,
)
from tracker.synth.perturb import CASES, DATE_FORMATS, HEADERS, LEAK_LAYOUT, strip_accents
from tracker.synth.render import to_csv, to_fixed_width, to_html_table, to_json, to_pdf, to_xlsx

Doc = tuple[str, bytes, list[int]]  # file extension, content, 1-based leak record ids
Labels = dict[str, dict[str, object]]

EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of Excel's 1900 date system (serial 1 = 1900-01-01, after 1900-03-01)


def excel_serial(d: dt.date) -> int:
    """The Excel (1900 system) serial number of ``d``: 1992-01-06 is 33609."""
    return (d - EXCEL_EPOCH).days


#: The ways an A-number is written in pastes, forms and screenshots (``n`` is the nine digits).
ANUM_FORMATS: dict[str, Callable[[str], str]] = {
    "a": lambda n: f"A{n}",
    "a_dashed": lambda n: f"A-{n[:3]}-{n[3:6]}-{n[6:]}",
    "spaced": lambda n: f"{n[:3]} {n[3:6]} {n[6:]}",
    "digits": lambda n: n,
    "a_lower": lambda n: f"a{n}",
    "dashed": lambda n: f"{n[:3]}-{n[3:6]}-{n[6:]}",
    "a_spaced": lambda n: f"A {n[:3]} {n[3:6]} {n[6:]}",
    "a_hash": lambda n: f"A#{n}",
    "a_dash": lambda n: f"A-{n}",
}

_DATE_KEYS = ("us", "us_short", "iso", "eu", "dotted", "long", "day_month_abbr", "us_2y")


# --- how one document writes its cells --------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """How a document writes people: field order and headers, date and ID format, case, accents."""

    fields: tuple[str, ...]
    headers: tuple[str, ...]
    date: Callable[[dt.date], str] = DATE_FORMATS["us"]
    anum: Callable[[str], str] = ANUM_FORMATS["a"]
    case: Callable[[str], str] = CASES["keep"]
    strip: bool = False
    name_order: str = "last_first"  # for the one-cell "name" field

    def name_part(self, text: str) -> str:
        text = self.case(text)
        return strip_accents(text) if self.strip else text

    def full_name(self, p: Person, order: str | None = None) -> str:
        order = order or self.name_order
        first, last = self.name_part(p.first), self.name_part(p.last)
        if order == "last_first":
            return f"{last}, {first}"
        if order == "last_first_nocomma":
            return f"{last} {first}"
        return f"{first} {last}"

    def cell(self, p: Person, field: str) -> str:
        values: dict[str, Callable[[], str]] = {
            "last": lambda: self.name_part(p.last), "first": lambda: self.name_part(p.first),
            "name": lambda: self.full_name(p), "dob": lambda: self.date(p.dob),
            "birth_year": lambda: str(p.dob.year), "dob_serial": lambda: str(excel_serial(p.dob)),
            "gender": lambda: p.gender, "country": lambda: p.country, "a_number": lambda: self.anum(p.a_number),
            "facility": lambda: p.facility, "aor": lambda: p.aor, "book_in": lambda: self.date(p.book_in),
            "book_in_serial": lambda: str(excel_serial(p.book_in)), "status": lambda: p.status,
        }
        return values[field]()

    def row(self, p: Person) -> list[str]:
        return [self.cell(p, f) for f in self.fields]

    def rows(self, people: Iterable[Person]) -> list[list[str]]:
        return [self.row(p) for p in people]


_EXTRA_HEADERS: dict[str, tuple[str, ...]] = {
    "birth_year": ("Year of Birth", "YOB", "Birth Year", "Año de nacimiento"),
    "dob_serial": HEADERS["dob"],
    "book_in_serial": HEADERS["book_in"],
}


def header_for(rng: random.Random, field: str, rename: float) -> str:
    spellings = HEADERS.get(field) or _EXTRA_HEADERS[field]
    return rng.choice(spellings) if rng.random() < rename else spellings[0]


def random_style(rng: random.Random, fields: Sequence[str], *, shuffle: bool = True, rename: float = 0.5,
                 date_keys: Sequence[str] = _DATE_KEYS, anum_keys: Sequence[str] | None = None) -> Style:
    """A style over ``fields`` (shuffled unless told), with headers, formats and case drawn from ``rng``."""
    chosen = list(fields)
    if shuffle:
        rng.shuffle(chosen)
    return Style(
        fields=tuple(chosen), headers=tuple(header_for(rng, f, rename) for f in chosen),
        date=DATE_FORMATS[rng.choice(list(date_keys))],
        anum=ANUM_FORMATS[rng.choice(list(anum_keys or ANUM_FORMATS))],
        case=CASES[rng.choice(["keep", "keep", "upper", "title", "lower"])],
        strip=rng.random() < 0.3, name_order=rng.choice(["last_first", "first_last"]))


def roster_fields(rng: random.Random, *, with_id: bool = True, birth: str = "dob") -> list[str]:
    """Columns of a detention roster: names, birth date, country, facility, maybe more; its own IDs."""
    names = rng.choice([["last", "first"], ["last", "first"], ["name"]])
    fields = names + [birth, "country", "facility"] + (["a_number"] if with_id else [])
    fields += [f for f in ("gender", "aor", "book_in", "status") if rng.random() < 0.4]
    return fields


# --- who is who: names compared as a matcher would -----------------------------------------------------------

#: Words that join surnames ("DE LA CRUZ", "DOS SANTOS"): no family name unless nothing else is left.
CONNECTORS = frozenset({"de", "del", "la", "las", "los", "y", "e", "da", "das", "do", "dos", "di", "van", "der",
                        "von", "st", "saint"})


def fold(text: str) -> str:
    """Accent-free and case-folded."""
    return strip_accents(text).casefold()


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^\w]+|_", fold(text)) if w]


def surname_words(last: str) -> frozenset[str]:
    """The words of a surname that name a family: "DE LA O MARTÍNEZ" -> {o, martinez}; "DU" -> {du}."""
    words = _words(last)
    return frozenset([w for w in words if w not in CONNECTORS] or words)


def first_name(first: str) -> str:
    """The first-name cell as compared: accent-free, case-folded, single-spaced."""
    return " ".join(_words(first))


def name_words(first: str, last: str) -> tuple[str, ...]:
    """A full name as an order-free key: its words, folded, joining words dropped ("DEL HERNÁNDEZ, JOSÉ" is
    "JOSÉ HERNÁNDEZ"). Two people with the same key and birth date are, for a matcher, the same person."""
    given = _words(first)
    return tuple(sorted([w for w in given if w not in CONNECTORS] or given) + sorted(surname_words(last)))


def person_key(p: Person) -> tuple[tuple[str, ...], dt.date]:
    """(name words, birth date): who a row is, for telling leaked people from others."""
    return tuple(sorted(name_words(p.first, p.last))), p.dob


# --- the leak and the people around it ----------------------------------------------------------------------


class FormsContext:
    """A leak of the population and the bookkeeping that keeps other people other people."""

    def __init__(self, people: list[Person], population: Population) -> None:
        self.people = people
        self.population = population
        self.n = len(people)
        self.used_ids = {p.a_number for p in people}  # shared by every factory: no one gets a leaked ID
        self.leak_ids = frozenset(self.used_ids)
        self.exact = {person_key(p) for p in people}  # (name words, birth date): who counts as a leaked person
        self.full_names = {person_key(p)[0] for p in people}
        self.guard = LeakGuard((p.first, p.last, p.dob, p.a_number) for p in people)
        self.particle_like = [i for i, p in enumerate(people) if particle_like(p.last)]

    def factory(self, rng: random.Random) -> PersonFactory:
        factory = PersonFactory(rng, self.population)
        factory.used_ids = self.used_ids
        return factory

    def other(self, rng: random.Random, factory: PersonFactory | None = None) -> Person:
        """Someone of the same population who is not in the leak (own ID; no leaked full name + birth date).

        Full names are compared by :func:`name_words` (accents, case, word order and joining
        words aside), so "DEL HERNÁNDEZ, JOSÉ" born on a leaked "HERNÁNDEZ, JOSÉ"'s birthday is
        not drawn as someone else.
        """
        factory = factory or self.factory(rng)
        while True:
            p = factory.person()
            if person_key(p) not in self.exact:
                return p

    def others(self, rng: random.Random, n: int) -> list[Person]:
        factory = self.factory(rng)
        return [self.other(rng, factory) for _ in range(n)]

    def non_namesake(self, rng: random.Random, factory: PersonFactory) -> Person:
        """Another person whose full name is no leaked person's full name."""
        while True:
            p = factory.person()
            if person_key(p)[0] not in self.full_names:
                return p

    def namesake(self, rng: random.Random, i: int) -> Person:
        """Someone with leak person ``i``'s full name and country, but their own birth date, ID and case."""
        p = self.people[i]
        factory = self.factory(rng)
        while True:
            dob = random_dob(rng)
            if (person_key(p)[0], dob) not in self.exact:
                return _redraw_weak(dataclasses.replace(p, dob=dob, a_number=factory.new_id()), rng)

    def recombined(self, rng: random.Random, factory: PersonFactory, with_id: bool) -> Person:
        """First name of leak row A, surname of row B, birth date of row C; no two fields of one leaked person."""
        for _ in range(10_000):
            a, b, c = (self.people[rng.randrange(self.n)] for _ in range(3))
            if len({id(a), id(b), id(c)}) == 3 and self.guard.clean(a.first, b.last, c.dob):
                p = dataclasses.replace(a, last=b.last, dob=c.dob, a_number=factory.new_id() if with_id else "")
                return _redraw_weak(p, rng)
        raise ValueError(f"a leak of {self.n} rows is too small to recombine rows of three different people")

    def sample(self, rng: random.Random, lo: int, hi: int) -> list[int]:
        """Between ``lo`` and ``hi`` distinct leak row indexes (0-based), log-uniform in size."""
        hi = max(1, min(hi, self.n))
        lo = max(1, min(lo, hi))
        k = min(hi, int(math.exp(rng.uniform(math.log(lo), math.log(hi + 1)))))
        return rng.sample(range(self.n), k)


def particle_like(last: str) -> bool:
    """Whether a surname is, or begins with, a surname that looks like a particle (DU, LE, DE LA O...)."""
    return any(last == s or last.startswith(f"{s} ") for s in PARTICLE_LIKE_SURNAMES)


def _redraw_weak(p: Person, rng: random.Random) -> Person:
    return dataclasses.replace(p, facility=rng.choice(FACILITIES), aor=rng.choice(AORS),
                               book_in=random_date(rng, BOOK_IN_START, BOOK_IN_DAYS), status=rng.choice(CASE_STATUSES))


def _records(idx: Iterable[int]) -> list[int]:
    return sorted(i + 1 for i in idx)


def _log_size(rng: random.Random, lo: int, hi: int) -> int:
    return min(hi, int(math.exp(rng.uniform(math.log(lo), math.log(hi + 1)))))


def table_doc(rng: random.Random, style: Style, people: Sequence[Person], fmt: str, title: str) -> tuple[str, bytes]:
    """People as a CSV, HTML page, XLSX workbook or PDF in ``style`` (extension, bytes)."""
    rows = style.rows(people)
    if fmt == "csv":
        delimiter = rng.choice([",", ",", ",", ";", "\t"])
        return ("tsv" if delimiter == "\t" else "csv"), to_csv(style.headers, rows, delimiter,
                                                             crlf=rng.random() < 0.3).encode("utf-8")
    if fmt == "html":
        table = to_html_table(style.headers, rows, rng)
        return "html", textfill.html_page(rng, title, table).encode("utf-8")
    if fmt == "xlsx":
        titles = [[title], []] if rng.random() < 0.5 else []
        return "xlsx", to_xlsx([(rng.choice(["Sheet1", "Roster", "Export"]), titles, style.headers, rows)])
    if fmt == "pdf":
        return "pdf", to_pdf(title, style.headers, rows, wrap=rng.random() < 0.4)
    raise ValueError(fmt)


# --- positive forms -----------------------------------------------------------------------------------------


def _id_paste(ctx: FormsContext, rng: random.Random) -> Doc:
    """About 20 leaked A-numbers and nothing else, in one or several ID formats."""
    idx = rng.sample(range(ctx.n), min(ctx.n, rng.randint(15, 25)))
    keys = list(ANUM_FORMATS)
    fmts = [rng.choice(keys)] if rng.random() < 0.5 else rng.sample(keys, rng.randint(2, 4))
    ids = [ANUM_FORMATS[rng.choice(fmts)](ctx.people[i].a_number) for i in idx]
    shape = rng.randrange(4)
    if shape == 0:
        text = "\n".join(ids)
    elif shape == 1:
        text = rng.choice([", ", "; ", " "]).join(ids)
    elif shape == 2:
        text = "\n".join("\t".join(ids[k:k + 5]) for k in range(0, len(ids), 5))
    else:
        text = "\n".join(f"{n}) {i}" for n, i in enumerate(ids, 1))
    return "txt", (text + "\n").encode("utf-8"), _records(idx)


def _name_style(rng: random.Random) -> tuple[Style, str]:
    style = Style(fields=("name",), headers=("Name",), case=CASES[rng.choice(["keep", "upper", "title", "lower"])],
                  strip=rng.random() < 0.3)
    return style, rng.choice(["last_first", "first_last", "last_first_nocomma"])


def _names_list(ctx: FormsContext, rng: random.Random) -> Doc:
    """A numbered list of 40-200 leaked full names and nothing else."""
    idx = rng.sample(range(ctx.n), min(ctx.n, rng.randint(40, 200)))
    style, order = _name_style(rng)
    names = [style.full_name(ctx.people[i], order) for i in idx]
    shape = rng.randrange(5)
    if shape == 4:
        items = "".join(f"<li>{html.escape(n)}</li>\n" for n in names)
        page = textfill.html_page(rng, rng.choice(["Names", "List", "Nombres"]), f"<ol>{items}</ol>")
        return "html", page.encode("utf-8"), _records(idx)
    numbering = [lambda k: f"{k}. ", lambda k: f"{k}) ", lambda k: f"#{k} ", lambda k: f"{k:03d}\t"][shape]
    text = "\n".join(numbering(k) + n for k, n in enumerate(names, 1))
    return "txt", (text + "\n").encode("utf-8"), _records(idx)


_WEAK = ("book_in", "country", "aor", "facility", "gender", "status")


def _names_weak(ctx: FormsContext, rng: random.Random, fmt: str) -> Doc:
    """Leaked names with weak fields only (book-in date, country, office, facility, gender): no birth date, no ID."""
    idx = ctx.sample(rng, 5, 400)
    names = rng.choice([["last", "first"], ["name"], ["first", "last"]])
    weak = rng.sample(_WEAK, rng.randint(2, len(_WEAK)))
    style = random_style(rng, names + weak, rename=0.5)
    people = [ctx.people[i] for i in idx]
    if fmt == "json":
        return "json", to_json(style.headers, style.rows(people), rng).encode("utf-8"), _records(idx)
    return "csv", to_csv(style.headers, style.rows(people)).encode("utf-8"), _records(idx)


def _names_weak_json(ctx: FormsContext, rng: random.Random) -> Doc:
    return _names_weak(ctx, rng, "json")


def _names_weak_csv(ctx: FormsContext, rng: random.Random) -> Doc:
    return _names_weak(ctx, rng, "csv")


def _excel_serial_csv(ctx: FormsContext, rng: random.Random) -> Doc:
    """A CSV saved from a spreadsheet whose dates became serial numbers (33975), with no ID column."""
    idx = ctx.sample(rng, 5, 1500)
    names = rng.choice([["last", "first"], ["name"]])
    extra = [f for f in ("country", "gender", "facility", "book_in_serial") if rng.random() < 0.5]
    style = random_style(rng, names + ["dob_serial"] + extra, rename=0.4)
    rows = style.rows(ctx.people[i] for i in idx)
    if rng.random() < 0.3:  # some exports write the serial as a float
        serial_cols = [k for k, f in enumerate(style.fields) if f.endswith("_serial")]
        for r in rows:
            for k in serial_cols:
                r[k] += ".0"
    return "csv", to_csv(style.headers, rows).encode("utf-8"), _records(idx)


def _particle_surnames(ctx: FormsContext, rng: random.Random) -> Doc | None:
    """Leaked people whose surname looks like a particle (DU, LE, DE LA O...), the second surname often dropped."""
    if not ctx.particle_like:
        return None
    idx = rng.sample(ctx.particle_like, min(len(ctx.particle_like), rng.randint(3, 25)))
    people = []
    for i in idx:
        p = ctx.people[i]
        for s in PARTICLE_LIKE_SURNAMES:
            if p.last.startswith(f"{s} ") and rng.random() < 0.7:
                p = dataclasses.replace(p, last=s)  # "DE LA O MARTÍNEZ" written "DE LA O"
                break
        people.append(p)
    fields = ["last", "first", "dob"] + [f for f in ("country", "gender") if rng.random() < 0.5]
    style = random_style(rng, fields, shuffle=rng.random() < 0.3, rename=0.3)
    rows = style.rows(people)
    if rng.random() < 0.5:
        return "csv", to_csv(style.headers, rows).encode("utf-8"), _records(idx)
    return "txt", to_fixed_width(style.headers, rows, rng.choice(["spaces", "pipes"])).encode("utf-8"), _records(idx)


_OCR_DIGIT = {"0": "O", "1": "l"}
_OCR_LETTER = {"l": "1", "I": "1", "O": "0", "o": "0", "S": "5", "B": "8"}
_OCR_CHROME = ("Q Search", "< Back", "10:42 AM", "⋮", "Share  Edit", "100%", "Page 1 of 1", "— — —")


def ocr_number(text: str, rng: random.Random, rate: float) -> str:
    """Digits misread as letters (0 -> O, 1 -> l) at ``rate``."""
    return "".join(_OCR_DIGIT[c] if c in _OCR_DIGIT and rng.random() < rate else c for c in text)


def ocr_name(text: str, rng: random.Random) -> str:
    """One letter of a name misread as a digit ("Galván" -> "Ga1ván"), when it has such a letter."""
    spots = [k for k, c in enumerate(text) if c in _OCR_LETTER and 0 < k]
    if not spots:
        return text
    k = rng.choice(spots)
    return text[:k] + _OCR_LETTER[text[k]] + text[k + 1:]


def _ocr_screenshot(ctx: FormsContext, rng: random.Random) -> Doc:
    """Text OCR'd from a screenshot of the table: glued cells, O/0 and l/1 in numbers, digits in names."""
    idx = ctx.sample(rng, 3, 80)
    fields = rng.choice([["last", "first", "dob", "country", "a_number", "facility"],
                         ["a_number", "last", "first", "dob", "facility"],
                         ["name", "dob", "a_number", "country"],
                         ["last", "first", "dob", "gender", "country", "a_number", "facility", "aor"]])
    style = random_style(rng, fields, shuffle=False, rename=0.2, date_keys=("us", "us_short", "iso", "eu"),
                         anum_keys=("a", "a", "digits", "a_dashed"))
    glue, confuse, misname = rng.uniform(0.2, 0.5), rng.uniform(0.05, 0.2), rng.uniform(0.1, 0.35)
    lines = [rng.choice(_OCR_CHROME)] if rng.random() < 0.6 else []
    lines.append(" ".join(style.headers))
    for i in idx:
        cells = []
        for field, value in zip(style.fields, style.row(ctx.people[i])):
            if field in ("dob", "a_number"):
                value = ocr_number(value, rng, confuse)
            elif field in ("last", "first", "name") and rng.random() < misname:
                value = ocr_name(value, rng)
            cells.append(value)
        line = cells[0]
        for cell in cells[1:]:
            line += ("" if rng.random() < glue else rng.choice([" ", " ", "  ", " | "])) + cell
        lines.append(line)
    if rng.random() < 0.5:
        lines.append(rng.choice(_OCR_CHROME))
    return "txt", ("\n".join(lines) + "\n").encode("utf-8"), _records(idx)


def _eml_attachment(ctx: FormsContext, rng: random.Random) -> Doc:
    """An e-mail with leaked rows: a base64 CSV attachment, the same forwarded, or a quoted-printable body."""
    idx = ctx.sample(rng, 3, 600)
    style = random_style(rng, roster_fields(rng), rename=0.3)
    payload = to_csv(style.headers, style.rows(ctx.people[i] for i in idx)).encode("utf-8")
    f = textfill.Filler(rng)
    first, last = (s.title() for s in outsider_name(rng))
    day = dt.datetime(2022, 11, rng.randint(1, 28), rng.randint(7, 22), rng.randint(0, 59), tzinfo=dt.timezone.utc)

    def message(subject: str, body: str) -> EmailMessage:
        msg = EmailMessage(policy=email.policy.SMTP)
        msg["From"] = f"{first} {last} <{first.lower()}.{last.lower()}@{f.host()}>"
        msg["To"] = f"list-{rng.randrange(1000)}@{f.host()}"
        msg["Subject"] = subject
        msg["Date"] = email.utils.format_datetime(day)
        msg["Message-ID"] = f"<{rng.getrandbits(64):016x}@{f.host()}>"
        msg.set_content(body)
        return msg

    shape = rng.randrange(3)
    if shape == 2:  # the rows in the body itself, quoted-printable
        msg = message("the list", "")
        msg.set_content(f"{f.paragraph()}\n\n{payload.decode('utf-8')}\n{f.sentence()}\n", cte="quoted-printable")
        return "eml", msg.as_bytes(), _records(idx)
    inner = message(rng.choice(["list", "export", "detainees", "datos"]), f.paragraph())
    inner.add_attachment(payload, maintype="text", subtype="csv",
                         filename=rng.choice(["list.csv", "export.csv", "detenidos.csv"]))
    inner.set_boundary(f"=_{rng.getrandbits(48):012x}")
    if shape == 0:
        return "eml", inner.as_bytes(), _records(idx)
    outer = message(f"Fwd: {inner['Subject']}", f"{f.sentence()}\n\n---------- Forwarded message ----------\n")
    outer.add_attachment(inner)  # message/rfc822
    outer.set_boundary(f"=_{rng.getrandbits(48):012x}")
    return "eml", outer.as_bytes(), _records(idx)


def _prose_quote(ctx: FormsContext, rng: random.Random) -> Doc:
    """1-5 leaked rows quoted inside a post: a quote block, a code block, or inline in a sentence."""
    idx = rng.sample(range(ctx.n), min(ctx.n, rng.randint(1, 5)))
    fields = rng.choice([["last", "first", "dob", "country", "a_number", "facility"], ["name", "dob", "country"],
                         ["last", "first", "dob", "facility", "status"], ["a_number", "name", "dob"]])
    style = random_style(rng, fields, shuffle=False, rename=0.0)
    sep = rng.choice([", ", ",", " | ", "\t", " - "])
    quoted = [sep.join(style.row(ctx.people[i])) for i in idx]
    f = textfill.Filler(rng)
    paragraphs = [f.paragraph() for _ in range(rng.randint(2, 6))]
    shape = rng.randrange(3)
    if shape == 0:
        block = "\n".join(f"> {q}" for q in quoted)
        paragraphs.insert(rng.randrange(1, len(paragraphs) + 1), f"{f.sentence()}\n\n{block}")
        return "txt", ("\n\n".join(paragraphs) + "\n").encode("utf-8"), _records(idx)
    if shape == 1:
        block = "<pre><code>" + html.escape("\n".join(quoted)) + "</code></pre>"
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        at = body.find("</p>") + 4
        body = body[:at] + f"<p>{html.escape(f.sentence())}</p>" + block + body[at:]
        return "html", textfill.html_page(rng, f.title(), body, f).encode("utf-8"), _records(idx)
    for q in quoted:
        at = rng.randrange(len(paragraphs))
        paragraphs[at] += f' {rng.choice(["One row reads", "The entry says", "Line 12:", "It lists"])} "{q}". '
        paragraphs[at] += f.sentence()
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return "html", textfill.html_page(rng, f.title(), body, f).encode("utf-8"), _records(idx)


def _roster_needle(ctx: FormsContext, rng: random.Random) -> Doc:
    """1-5 leaked rows hidden among 2,000 other people of the same roster."""
    idx = rng.sample(range(ctx.n), min(ctx.n, rng.randint(1, 5)))
    people = ctx.others(rng, 2000) + [ctx.people[i] for i in idx]
    rng.shuffle(people)
    style = random_style(rng, roster_fields(rng), rename=0.4)
    ext, data = table_doc(rng, style, people, rng.choice(["csv", "csv", "html", "xlsx"]), "Roster")
    return ext, data, _records(idx)


# --- negative forms -----------------------------------------------------------------------------------------


def _roster(ctx: FormsContext, rng: random.Random, fmt: str) -> Doc:
    """A roster of 100-5,000 (PDF: 100-600) other people of the same population, each with their own A-number."""
    n = _log_size(rng, 100, 600 if fmt == "pdf" else 5000)  # fpdf lays out ~300 rows a second
    style = random_style(rng, roster_fields(rng, birth="birth_year" if rng.random() < 0.15 else "dob"),
                         rename=0.4)
    ext, data = table_doc(rng, style, ctx.others(rng, n), fmt,
                           rng.choice(["Roster", "Detainee list", "Lista", "Population report"]))
    return ext, data, []


def _roster_csv(ctx: FormsContext, rng: random.Random) -> Doc:
    return _roster(ctx, rng, "csv")


def _roster_html(ctx: FormsContext, rng: random.Random) -> Doc:
    return _roster(ctx, rng, "html")


def _roster_xlsx(ctx: FormsContext, rng: random.Random) -> Doc:
    return _roster(ctx, rng, "xlsx")


def _roster_pdf(ctx: FormsContext, rng: random.Random) -> Doc:
    return _roster(ctx, rng, "pdf")


def namesake_people(ctx: FormsContext, rng: random.Random, n_namesakes: int = 3,
                    n_others: int = 300) -> tuple[list[Person], list[int]]:
    """``n_namesakes`` namesakes of leaked people among ``n_others`` people of no leaked name, shuffled."""
    idx = rng.sample(range(ctx.n), min(ctx.n, n_namesakes))
    factory = ctx.factory(rng)
    people = [ctx.namesake(rng, i) for i in idx] + [ctx.non_namesake(rng, factory) for _ in range(n_others)]
    rng.shuffle(people)
    return people, idx


def _namesakes(ctx: FormsContext, rng: random.Random) -> Doc:
    """3 people who share a leaked person's full name (own birth date and ID) among 300 others."""
    people, _ = namesake_people(ctx, rng)
    fields = rng.choice([["last", "first"], ["name"]]) + ["dob", "a_number"]
    fields += [f for f in ("country", "facility", "gender") if rng.random() < 0.5]
    style = random_style(rng, fields, rename=0.4)
    ext, data = table_doc(rng, style, people, rng.choice(["csv", "csv", "html", "xlsx"]), "List")
    return ext, data, []


def _namesakes_names_only(ctx: FormsContext, rng: random.Random) -> Doc:
    """3 leaked full names among 300 other names, names only (a list of people, not of the leak)."""
    people, _ = namesake_people(ctx, rng)
    style, order = _name_style(rng)
    names = [style.full_name(p, order) for p in people]
    if rng.random() < 0.5:
        return "txt", ("\n".join(f"{k}. {n}" for k, n in enumerate(names, 1)) + "\n").encode("utf-8"), []
    return "csv", to_csv(["Name"], [[n] for n in names]).encode("utf-8"), []


def _phone(rng: random.Random) -> str:
    a, b, c = rng.randint(201, 989), rng.randint(200, 999), rng.randrange(10_000)
    return rng.choice([f"({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}", f"+1 {a} {b} {c:04d}", f"{a}.{b}.{c:04d}",
                       f"+52 55 {rng.randrange(10_000):04d} {c:04d}", f"+502 {rng.randrange(10_000):04d} {c:04d}"])


def _id_numbers(ctx: FormsContext, rng: random.Random) -> Doc:
    """ID-like numbers that are not leaked: phone numbers, other A-numbers, case and receipt numbers."""
    factory = ctx.factory(rng)
    keys = list(ANUM_FORMATS)
    shape = rng.randrange(3)
    items: list[str] = []
    wanted = rng.randint(20, 200)
    while len(items) < wanted:
        kind = rng.choice(["phone", "anum", "anum", "case"]) if shape == 2 else ("phone", "anum")[shape]
        if kind == "phone":
            value = _phone(rng)
        elif kind == "anum":
            value = ANUM_FORMATS[rng.choice(keys)](factory.new_id())  # a fresh ID: never a leaked one
        else:
            value = rng.choice([f"EOIR-{rng.randrange(10**9):09d}", f"IOE{rng.randrange(10**10):010d}",
                                f"{rng.randrange(10**3):03d}-{rng.randrange(10**2):02d}-{rng.randrange(10**4):04d}"])
        digits = "".join(c for c in value if c.isdigit())
        if not any(digits[k:k + 9] in ctx.leak_ids for k in range(max(1, len(digits) - 8))):
            items.append(value)
    sep = rng.choice(["\n", "\n", ", ", "; "])
    return "txt", (sep.join(items) + "\n").encode("utf-8"), []


def _news_article(ctx: FormsContext, rng: random.Random) -> Doc:
    """News about the leak: facilities, field offices, countries, counts and dates, no leaked person."""
    f = textfill.Filler(rng)
    first, last = (s.title() for s in outsider_name(rng))
    facilities = rng.sample(FACILITIES, 4)
    countries = [c.title() for c in rng.sample(ctx.population.countries, 4)]
    posted = DATE_FORMATS["long_nopad"](dt.date(2022, 11, rng.randint(1, 28)))
    age, year = rng.randint(19, 60), rng.randint(1950, 2004)
    paragraphs = [
        (f"A spreadsheet listing {ctx.n:,} people held at {', '.join(facilities[:3])} and other facilities "
         f"appeared on a public website on {posted}, exposing names, dates of birth, nationalities and "
         f"A-numbers."),
        (f"Most of those listed are from {', '.join(countries[:3])} or {countries[3]}; "
         f"{rng.randint(20, 80)} percent have cases marked \"{rng.choice(CASE_STATUSES)}\"."),
        (f"\"We take the privacy of people in our custody seriously,\" said {first} {last}, a spokesperson for "
         f"the {rng.choice(AORS)} field office, adding that the file was removed after {rng.randint(2, 9)} hours."),
        (f"One woman, {age}, born in {year} and held at {facilities[3]}, said her family in "
         f"{countries[0]} had received threats. {f.paragraph(2)}"),
        f.paragraph(),
        (f"Advocates in {rng.choice(AORS)} and {rng.choice(AORS)} said the {rng.randint(3, 40)} facilities named "
         f"should notify everyone listed. {f.paragraph(2)}"),
    ]
    if rng.random() < 0.5:
        return "txt", ("\n\n".join(paragraphs) + "\n").encode("utf-8"), []
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    title = rng.choice(["Detention data leak exposes thousands", "Agency confirms spreadsheet leak", f.title()])
    return "html", textfill.html_page(rng, title, body, f).encode("utf-8"), []


def _recombined(ctx: FormsContext, rng: random.Random) -> Doc:
    """Rows made of one leaked person's first name, another's surname and a third's birth date."""
    with_id = rng.random() < 0.6
    factory = ctx.factory(rng)
    people = [ctx.recombined(rng, factory, with_id) for _ in range(_log_size(rng, 20, 500))]
    fields = ["last", "first", "dob"] + (["a_number"] if with_id else [])
    fields += [f for f in ("country", "facility") if rng.random() < 0.5]
    style = random_style(rng, fields, rename=0.4)
    ext, data = table_doc(rng, style, people, rng.choice(["csv", "csv", "html", "xlsx"]), "List")
    return ext, data, []


FormFn = Callable[[FormsContext, random.Random], "Doc | None"]

#: kind -> (positive?, generator), in generation order.
FORM_KINDS: dict[str, tuple[bool, FormFn]] = {
    "id_paste": (True, _id_paste),
    "names_list": (True, _names_list),
    "names_weak_json": (True, _names_weak_json),
    "names_weak_csv": (True, _names_weak_csv),
    "excel_serial_csv": (True, _excel_serial_csv),
    "particle_surnames": (True, _particle_surnames),
    "ocr_screenshot": (True, _ocr_screenshot),
    "eml_attachment": (True, _eml_attachment),
    "prose_quote": (True, _prose_quote),
    "roster_needle": (True, _roster_needle),
    "roster_csv": (False, _roster_csv),
    "roster_html": (False, _roster_html),
    "roster_xlsx": (False, _roster_xlsx),
    "roster_pdf": (False, _roster_pdf),
    "namesakes": (False, _namesakes),
    "namesakes_names_only": (False, _namesakes_names_only),
    "id_numbers": (False, _id_numbers),
    "news_article": (False, _news_article),
    "recombined": (False, _recombined),
}
POSITIVE_FORMS: tuple[str, ...] = tuple(k for k, (pos, _) in FORM_KINDS.items() if pos)
NEGATIVE_FORMS: tuple[str, ...] = tuple(k for k, (pos, _) in FORM_KINDS.items() if not pos)

DEFAULT_FORM_COUNTS: dict[str, int] = {
    "id_paste": 4, "names_list": 4, "names_weak_json": 3, "names_weak_csv": 3, "excel_serial_csv": 3,
    "particle_surnames": 3, "ocr_screenshot": 4, "eml_attachment": 3, "prose_quote": 4, "roster_needle": 4,
    "roster_csv": 8, "roster_html": 5, "roster_xlsx": 5, "roster_pdf": 3, "namesakes": 4,
    "namesakes_names_only": 3, "id_numbers": 4, "news_article": 4, "recombined": 4,
}


def form_counts(kinds: Iterable[str] | Mapping[str, int] | None = None) -> dict[str, int]:
    """Documents per kind: the default mix, the default restricted to ``kinds``, or ``kinds`` as given."""
    if kinds is None:
        return dict(DEFAULT_FORM_COUNTS)
    counts = dict(kinds) if isinstance(kinds, Mapping) else {k: DEFAULT_FORM_COUNTS.get(k, 1) for k in kinds}
    unknown = set(counts) - set(FORM_KINDS)
    if unknown:
        raise ValueError(f"unknown form kinds: {', '.join(sorted(unknown))}; known: {', '.join(FORM_KINDS)}")
    return counts


def generate_forms_corpus(out_dir: Path | str, seed: int, n_leak: int = 6252,
                          kinds: Iterable[str] | Mapping[str, int] | None = None,
                          population: Population = REALISTIC) -> Labels:
    """Write ``leak.csv``, ``docs/formNNNN.ext`` and ``labels.json`` under ``out_dir``; return the labels.

    ``kinds`` restricts the default mix to some kinds, or gives documents per kind. Labels
    map each file name to ``{"positive": bool, "kind": str, "records": [1-based leak row ids]}``
    (the format of ``../shared/bench/labels.json``). The same seed gives the same bytes. A kind
    that cannot be made from this leak (no particle-like surname in a tiny leak) is skipped.
    """
    counts = form_counts(kinds)
    out = Path(out_dir)
    docs_dir = out / "docs"
    docs_dir.mkdir(parents=True, exist_ok=True)
    people = leak_people(n_leak, seed, population)
    ctx = FormsContext(people, population)
    (out / "leak.csv").write_text(to_csv(LEAK_LAYOUT.headers, leak_rows(people)), encoding="utf-8")
    jobs = [(kind, k) for kind in FORM_KINDS for k in range(counts.get(kind, 0))]
    random.Random(f"forms-order:{seed}").shuffle(jobs)  # file numbers say nothing about the kind
    labels: Labels = {}
    number = 0
    for kind, k in jobs:
        positive, make = FORM_KINDS[kind]
        doc = make(ctx, random.Random(f"form:{seed}:{kind}:{k}"))
        if doc is None:
            continue
        ext, data, records = doc
        number += 1
        write_document(docs_dir, labels, f"form{number:04d}.{ext}", data, kind, records, positive)
    write_labels(out, labels)
    return labels


__all__ = [
    "ANUM_FORMATS", "DEFAULT_FORM_COUNTS", "FORM_KINDS", "NEGATIVE_FORMS", "POSITIVE_FORMS", "FormsContext",
    "CONNECTORS", "Style", "excel_serial", "first_name", "fold", "form_counts", "name_words", "person_key",
    "surname_words", "table_doc", "generate_forms_corpus", "namesake_people", "ocr_name", "ocr_number",
    "particle_like", "random_style", "roster_fields",
]
