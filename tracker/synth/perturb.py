"""How re-posters rewrite a leak's cells: date and ID formats, case, accents, typos, headers.

A re-post rarely keeps the leak's exact bytes. Copying into another spreadsheet program
reformats dates; a translator renames the headers; someone retypes a name and drops a
letter. These helpers produce those variants, deterministically for a given ``random.Random``.
"""
from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tracker.synth.people import Person

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")

DATE_FORMATS: dict[str, Callable[[dt.date], str]] = {
    "us": lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}",  # the leak's own format
    "us_short": lambda d: f"{d.month}/{d.day}/{d.year}",
    "iso": lambda d: d.isoformat(),
    "eu": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    "dotted": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    "long": lambda d: f"{MONTHS[d.month - 1]} {d.day:02d}, {d.year}",
    "long_nopad": lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    "day_month_abbr": lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",
    "us_2y": lambda d: f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}",
    "dotted_2y": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}",
}
PERTURBED_DATE_FORMATS: tuple[str, ...] = tuple(k for k in DATE_FORMATS if k != "us")

ID_FORMATS: dict[str, Callable[[str], str]] = {
    "a": lambda n: f"A{n}",  # the leak's own format
    "digits": lambda n: n,
    "a_lower": lambda n: f"a{n}",
    "a_space": lambda n: f"A {n}",
    "a_dashed": lambda n: f"A-{n[:3]}-{n[3:6]}-{n[6:]}",
    "a_spaced": lambda n: f"A {n[:3]} {n[3:6]} {n[6:]}",
    "dashed": lambda n: f"{n[:3]}-{n[3:6]}-{n[6:]}",
    "a_hash": lambda n: f"A# {n}",
}
PERTURBED_ID_FORMATS: tuple[str, ...] = tuple(k for k in ID_FORMATS if k != "a")

def _lower(text: str) -> str:
    """Lower case as a spreadsheet does it: "İ" becomes a plain "i" (no stray combining dot)."""
    return text.replace("İ", "i").lower()


CASES: dict[str, Callable[[str], str]] = {
    "keep": lambda s: s,
    "upper": str.upper,
    "lower": _lower,
    "title": lambda s: " ".join(w[:1].upper() + _lower(w[1:]) for w in s.split(" ")),
}


def strip_accents(text: str) -> str:
    """Drop combining marks ("GÓMEZ" -> "GOMEZ"); dotless ı stays as keyboards without it type i."""
    text = text.replace("ı", "i").replace("İ", "I")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_LETTERS = "ABCDEFGHIJKLMNOPRSTUVYZ"


def typo(name: str, rng: random.Random, edits: int = 1) -> str:
    """``name`` with ``edits`` single-letter slips (swap, drop, double, wrong letter) in longer words."""
    chars = list(name)
    for _ in range(edits):
        spots = [i for i in range(1, len(chars) - 1) if chars[i].isalpha() and chars[i - 1].isalpha()]
        if not spots:
            break
        i = rng.choice(spots)
        kind = rng.randrange(4)
        if kind == 0 and chars[i + 1].isalpha():
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif kind == 1:
            del chars[i]
        elif kind == 2:
            chars.insert(i, chars[i])
        else:
            letter = rng.choice(_LETTERS)
            chars[i] = letter if chars[i].isupper() else letter.lower()
    return "".join(chars)


# Header spellings per field; the first is the leak's own. Other languages follow.
HEADERS: dict[str, tuple[str, ...]] = {
    "last": ("Last Name", "Surname", "Family Name", "last_name", "LName", "Apellidos", "Apellido",
             "Nom", "Sobrenome", "Soyadı"),
    "first": ("First Name", "Given Name", "first_name", "FName", "Nombre", "Nombres", "Prénom", "Nome",
              "Adı"),
    "name": ("Name", "Full Name", "Detainee", "Nombre completo", "Nom complet", "Nome completo"),
    "dob": ("Date of Birth", "DOB", "Birth Date", "birth_date", "Fecha de nacimiento", "F. Nac.",
            "Date de naissance", "Data de nascimento", "Geburtsdatum", "Дата рождения"),
    "gender": ("Gender", "Sex", "Sexo", "Sexe"),
    "country": ("Country of Citizenship", "Citizenship", "Nationality", "Country", "Nacionalidad",
                "País", "Nationalité"),
    "a_number": ("A-Number", "A Number", "Alien Number", "A#", "anumber", "Número A", "Numéro A",
                 "Case ID"),
    "facility": ("Detention Facility", "Facility", "Location", "Centro de detención",
                 "Centre de détention"),
    "aor": ("AOR", "Field Office", "Oficina"),
    "book_in": ("Book-In Date", "Book In", "Intake Date", "Fecha de ingreso"),
    "status": ("Case Status", "Status", "Estado del caso", "Statut"),
}
LEAK_FIELDS: tuple[str, ...] = ("last", "first", "dob", "gender", "country", "a_number", "facility",
                                "aor", "book_in", "status")
WEAK_FIELDS: tuple[str, ...] = ("gender", "country", "facility", "aor", "book_in", "status")


@dataclass(frozen=True)
class Variation:
    """How strongly a document's cells drift from the leak's own spelling (all chances 0..1)."""

    date_formats: tuple[str, ...] = ("us",)
    id_formats: tuple[str, ...] = ("a",)
    cases: tuple[str, ...] = ("keep",)
    strip_accents: float = 0.0
    typo: float = 0.0  # chance a row gets a typo in one name
    double_typo: float = 0.0  # chance such a typo is two edits


EXACT = Variation()


@dataclass(frozen=True)
class Layout:
    """The columns of a re-posted table: which fields, in which order, under which headers.

    Fields are keys of ``HEADERS``; "name" is one cell with the whole name, written
    "LAST, FIRST" when ``name_order`` is "last_first" and "First Last" otherwise.
    """

    fields: tuple[str, ...]
    headers: tuple[str, ...]
    name_order: str = "last_first"
    variation: Variation = EXACT

    def cells(self, person: Person, rng: random.Random) -> list[str]:
        """The row for ``person``, with this layout's variation applied."""
        v = self.variation
        first, last = person.first, person.last
        if v.typo and rng.random() < v.typo:
            edits = 2 if rng.random() < v.double_typo else 1
            if rng.random() < 0.5 and len(last) >= 5:
                last = typo(last, rng, edits)
            elif len(first) >= 5:
                first = typo(first, rng, edits)
        case = CASES[rng.choice(v.cases)]
        accents = v.strip_accents and rng.random() < v.strip_accents
        date_fmt = DATE_FORMATS[rng.choice(v.date_formats)]

        def name(text: str) -> str:
            text = case(text)
            return strip_accents(text) if accents else text

        values = {
            "last": lambda: name(last),
            "first": lambda: name(first),
            "name": lambda: (f"{name(last)}, {name(first)}" if self.name_order == "last_first"
                             else f"{name(first)} {name(last)}"),
            "dob": lambda: date_fmt(person.dob),
            "gender": lambda: person.gender,
            "country": lambda: person.country,
            "a_number": lambda: ID_FORMATS[rng.choice(v.id_formats)](person.a_number),
            "facility": lambda: person.facility,
            "aor": lambda: person.aor,
            "book_in": lambda: date_fmt(person.book_in),
            "status": lambda: person.status,
        }
        return [values[f]() for f in self.fields]


LEAK_LAYOUT = Layout(LEAK_FIELDS, tuple(HEADERS[f][0] for f in LEAK_FIELDS))


def identifying_fields(rng: random.Random) -> list[str]:
    """A set of identifying columns strong enough to single a person out (two of name, DOB, ID)."""
    name = rng.choice([["last"], ["last", "first"], ["last", "first"], ["first", "last"], ["name"]])
    options = [name + ["dob"], name + ["dob"], name + ["a_number"], ["dob", "a_number"] + name[:1],
               name + ["dob", "a_number"], name + ["dob", "a_number"]]
    return rng.choice(options)


def random_layout(rng: random.Random, *, rename: float, keep_weak: float,
                  variation: Variation = EXACT, fields: Sequence[str] | None = None) -> Layout:
    """A shuffled column subset with identifying fields, some weak ones, and maybe renamed headers.

    ``rename`` is the chance each header is respelled (other language, abbreviation);
    ``keep_weak`` the chance each weak column (facility, status, ...) is kept.
    """
    chosen = list(fields) if fields is not None else identifying_fields(rng)
    chosen += [f for f in WEAK_FIELDS if rng.random() < keep_weak]
    rng.shuffle(chosen)
    headers = tuple(rng.choice(HEADERS[f]) if rng.random() < rename else HEADERS[f][0] for f in chosen)
    order = rng.choice(["last_first", "first_last"])
    return Layout(tuple(chosen), headers, order, variation)
