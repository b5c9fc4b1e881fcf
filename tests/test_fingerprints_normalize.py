"""fingerprints.normalize: one canonical string per value, whatever a re-poster did to it.

All names are invented ("ZORVAK QUELLIN"); dates and numbers are arbitrary.
"""
from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from fingerprints.normalize import (
    column_day_first,
    date_token,
    fold,
    identifying_name_tokens,
    name_tokens,
    normalize_gender,
    normalize_id,
    parse_dates,
    parse_leak_date,
    phrase,
    text_dates,
)

D = dt.date(1988, 3, 14)


# --- fold ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "folded"), [
    ("ZORVAK", "zorvak"),
    ("QUÉLLIN", "quellin"),
    ("Quéllin", "quellin"),
    (unicodedata.normalize("NFD", "QUÉLLIN"), "quellin"),  # decomposed input: E + combining acute
    ("STRAßVIK", "strassvik"),
    ("STRAẞVIK", "strassvik"),  # capital sharp s
    ("SØLVMAR", "solvmar"),
    ("ØSTRAVIK", "ostravik"),
    ("ŁUKORZ", "lukorz"),
    ("MÆRVIN", "maervin"),
    ("YıLDıRKAN", "yildirkan"),  # Turkish dotless i
    ("İBRAVEN", "ibraven"),  # Turkish dotted capital I
    ("ŞAHİNOVA".lower(), "sahinova"),  # Python's lower() leaves a combining dot after the i
    ("ÇÖKÜRMEZ", "cokurmez"),
    ("ＺＯＲＶＡＫ", "zorvak"),  # full-width letters
    ("D’ANVERRO", "d'anverro"),  # typographic apostrophe becomes a plain one
])
def test_fold_removes_case_accents_and_unicode_forms(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_fold_spellings_of_one_name_agree() -> None:
    spellings = ["DOMÍNGORZ", "Domíngorz", "domingorz", "DOMI\u0301NGORZ", unicodedata.normalize("NFKC", "DOMÍNGORZ")]
    assert {fold(s) for s in spellings} == {"domingorz"}


# --- name tokens ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "tokens"), [
    ("GARVÍA-LÓPREZ, María Josefa", ["garvia", "loprez", "maria", "josefa"]),
    ("QUELLIN, ZORVAK", ["quellin", "zorvak"]),  # "LAST, FIRST" in one cell
    ("Zorvak  Quellin", ["zorvak", "quellin"]),
    ("O'BRAVEN", ["obraven"]),  # apostrophes join, they do not split
    ("O’Braven", ["obraven"]),
    ("JEAN-BAPTORE", ["jean", "baptore"]),  # hyphens split
    ("  ", []),
    ("12345", []),
])
def test_name_tokens(raw: str, tokens: list[str]) -> None:
    assert name_tokens(raw) == tokens


@pytest.mark.parametrize(("raw", "tokens"), [
    ("DE LA VORNEZ", ["vornez"]),
    ("VAN DER QUELLEN", ["quellen"]),
    ("AL-HASHIVI", ["hashivi"]),
    ("ST. FLOURAN", ["flouran"]),
    ("DOS SANTORIM Y BRAVEZ", ["santorim", "bravez"]),
    ("ZORVAK J. QUELLIN", ["zorvak", "quellin"]),  # initials carry no weight
    ("BIN ZAHROUQ, KELVAN", ["zahrouq", "kelvan"]),
    # particles are the name when nothing follows them, in the cell or before a comma
    ("DU", ["du"]),
    ("LE", ["le"]),
    ("DA", ["da"]),
    ("VAN DER", ["van", "der"]),
    ("DU, MARIA", ["du", "maria"]),
    ("MARIA DO", ["maria", "do"]),
    # particles and a one-letter word are one name
    ("DE LA O", ["delao"]),
    ("de la o", ["delao"]),
    ("DE LA O MARTÍNEZ", ["delao", "martinez"]),
    ("MARÍA DE LA O", ["maria", "delao"]),
    ("QUELLIN Y DE LA O", ["quellin", "delao"]),  # "y" joins surnames, it is not a particle of the run
])
def test_identifying_name_tokens_drop_particles_and_initials(raw: str, tokens: list[str]) -> None:
    assert identifying_name_tokens(raw) == tokens


def test_phrase_canonical_form() -> None:
    assert phrase("  Cedar   Ridge—Detention Center ") == "cedar ridge detention center"
    assert phrase("CÔTE D'IVORANE") == "cote divorane"
    assert phrase("Final Order - Appeal Pending") == phrase("final order appeal pending")


@pytest.mark.parametrize(("raw", "canonical"), [
    ("Male", "m"), ("M", "m"), ("masculino", "m"), ("HOMBRE", "m"),
    ("Female", "f"), ("f", "f"), ("FEMENINO", "f"), ("W", "f"), ("weiblich", "f"),
    ("X", "x"), ("Non-binary", "non binary"),
])
def test_normalize_gender(raw: str, canonical: str) -> None:
    assert normalize_gender(raw) == canonical


# --- IDs -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "A-277-958-520", "a277958520", "A277958520", "A 277 958 520", "277958520", "277-958-520", "A# 277958520",
    "A.277.958.520", "Ａ277958520",  # the last with a full-width letter prefix
])
def test_normalize_id_forms_of_one_number(raw: str) -> None:
    assert normalize_id(raw) == "277958520"


@pytest.mark.parametrize(("raw", "canonical"), [
    ("A-012-345-678", "12345678"),  # leading zeros dropped
    ("000123456", "123456"),
    ("0001234", "1234"),
    ("X1234567B", "x1234567b"),  # a passport-like mixed ID keeps its letters
    ("AB-9876", "9876"),
])
def test_normalize_id_zeros_and_mixed(raw: str, canonical: str) -> None:
    assert normalize_id(raw) == canonical


@pytest.mark.parametrize("raw", ["", "  ", "--", "A12", "0007", "A-000-012", "12"])
def test_normalize_id_too_short_is_none(raw: str) -> None:
    assert normalize_id(raw) is None


# --- dates -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("token", "dates"), [
    ("1988-03-14", {D}),  # ISO
    ("1988/3/14", {D}),
    ("1988-03-14t08:30:00", {D}),  # ISO with a time (folded: lower case)
    ("03/14/1988", {D}),  # US; the other reading (month 14) does not exist
    ("3/14/1988", {D}),
    ("14/03/1988", {D}),  # European
    ("14.03.1988", {D}),  # dotted
    ("14-03-1988", {D}),
    ("19880314", {D}),  # compact
    ("14-mar-1988", {D}),
    ("14mar1988", {D}),
    ("14.mar.1988", {D}),
    ("14-marzo-1988", {D}),
    ("03/04/1990", {dt.date(1990, 3, 4), dt.date(1990, 4, 3)}),  # ambiguous: both readings
    ("05/05/1990", {dt.date(1990, 5, 5)}),
    ("03/14/88", {D, dt.date(2088, 3, 14)}),  # two-digit year: both centuries
    ("14.03.88", {D, dt.date(2088, 3, 14)}),
    ("03/04/90", {dt.date(1990, 3, 4), dt.date(1990, 4, 3), dt.date(2090, 3, 4), dt.date(2090, 4, 3)}),
])
def test_date_token_readings(token: str, dates: set[dt.date]) -> None:
    assert date_token(token) == frozenset(dates)


@pytest.mark.parametrize("token", ["13/13/1990", "1988-02-30", "31.04.1990", "03/14/1850", "hello", "277958520",
                                   "14-foo-1988", "1-2", ""])
def test_date_token_rejects_non_dates(token: str) -> None:
    assert date_token(token) == frozenset()


@pytest.mark.parametrize("text", [
    "born March 14, 1988 in the north",
    "born march 14 1988",
    "born Mar. 14, 1988",
    "14 de marzo de 1988",
    "nació el 14 de marzo de 1988 en",
    "14 March 1988",
    "14th of March 1988",
    "le 14 mars 1988",
    "DOB: 14-Mar-1988;",
])
def test_text_dates_with_month_names(text: str) -> None:
    assert text_dates(text) == {D}


def test_text_dates_two_digit_year_and_nothing() -> None:
    assert text_dates("March 14, 88") == {D, dt.date(2088, 3, 14)}
    assert text_dates("march madness in 2024, may be") == set()
    assert text_dates("no dates at all") == set()


def test_parse_dates_cells_and_short_text() -> None:
    assert parse_dates("03/04/1990") == {dt.date(1990, 3, 4), dt.date(1990, 4, 3)}
    assert parse_dates(" 1988-03-14 ") == {D}
    assert parse_dates("born 14.03.1988 in Quellport") == {D}
    assert parse_dates("(14 March 1988)") == {D}
    assert parse_dates("unknown") == set()


@pytest.mark.parametrize(("cell", "day_first", "date"), [
    ("03/04/1990", True, dt.date(1990, 4, 3)),
    ("03/04/1990", False, dt.date(1990, 3, 4)),
    ("03/04/1990", None, dt.date(1990, 3, 4)),  # unknown order: month first, as the US leak writes it
    ("04.03.1990", True, dt.date(1990, 3, 4)),
    ("1990-03-04", True, dt.date(1990, 3, 4)),  # ISO is never reordered
    ("1990-03-04", False, dt.date(1990, 3, 4)),
    ("03/14/88", False, D),  # two-digit year: the past century when the other is the future
    ("03/14/05", False, dt.date(2005, 3, 14)),
    ("14 March 1988", None, D),
    ("March 14, 1988", True, D),
    ("19880314", None, D),
])
def test_parse_leak_date_uses_the_columns_order(cell: str, day_first: bool | None, date: dt.date) -> None:
    assert parse_leak_date(cell, day_first) == date


@pytest.mark.parametrize("cell", ["", "unknown", "13/13/1990", "00/00/0000", "02/30/1990"])
def test_parse_leak_date_rejects(cell: str) -> None:
    assert parse_leak_date(cell, None) is None


@pytest.mark.parametrize(("values", "day_first"), [
    (["25/12/1990", "01/02/1980", "13/01/1975"], True),
    (["12/25/1990", "01/02/1980", "02/13/1975"], False),
    (["31.01.1990", "02.03.1980"], True),
    (["01/02/1990", "03/04/1980"], None),  # every value ambiguous
    (["1990-12-25", "1980-01-31"], None),  # ISO says nothing about numeric order
    (["25/12/1990", "12/25/1990"], None),  # a tie
    (["25/12/1990", "26/12/1990", "12/27/1990"], True),  # the majority decides
    ([], None),
])
def test_column_day_first(values: list[str], day_first: bool | None) -> None:
    assert column_day_first(values) is day_first
