"""fingerprints.columns: header row, column roles and --columns overrides (synthetic data)."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from fingerprints.columns import detect_roles, find_header_row, header_role, parse_column_overrides
from fingerprints.errors import ColumnError
from fingerprints.roles import Role

SYLLABLES = ["zor", "vak", "quel", "lin", "mar", "tos", "bri", "dan", "kel", "vor", "sa", "ru", "nix", "pel"]


def fake_word(rnd: random.Random) -> str:
    return "".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 3))).upper()


def fake_columns(n: int = 300, seed: int = 1) -> dict[str, list[str]]:
    """Named generators of synthetic column values; names say what the values are."""
    rnd = random.Random(seed)

    def day(start: dt.date, span_days: int) -> dt.date:
        return start + dt.timedelta(days=rnd.randrange(span_days))

    return {
        "row": [str(i + 1) for i in range(n)],
        "comma_name": [f"{fake_word(rnd)}, {fake_word(rnd)}" for _ in range(n)],
        "two_words": [f"{fake_word(rnd)} {fake_word(rnd)}" for _ in range(n)],
        "one_word": [fake_word(rnd) for _ in range(n)],
        "dob_us": [f"{day(dt.date(1945, 1, 1), 60 * 365):%m/%d/%Y}" for _ in range(n)],
        "dob_iso": [day(dt.date(1950, 1, 1), 55 * 365).isoformat() for _ in range(n)],
        "event": [day(dt.date(2021, 1, 1), 600).isoformat() for _ in range(n)],
        "anum": [f"A{rnd.randrange(10**8, 10**9)}" for _ in range(n)],
        "country": [rnd.choice(["Mexico", "Guatemala", "Honduras", "El Salvador", "Cuba"]) for _ in range(n)],
        "pais": [rnd.choice(["México", "Venezuela", "Colombia", "Haití", "guatemalteco"]) for _ in range(n)],
        "gender": [rnd.choice(["M", "F"]) for _ in range(n)],
        "facility": [rnd.choice(["Krome North SPC", "Otero County", "Port Isabel"]) for _ in range(n)],
        "status": [rnd.choice(["Detained", "Released", "Removed", "Pending review"]) for _ in range(n)],
        "notes": [" ".join(fake_word(rnd).lower() for _ in range(9)) for _ in range(n)],
    }


def rows_of(*cols: list[str]) -> list[list[str]]:
    return [list(r) for r in zip(*cols)]


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("Last Name", Role.LAST_NAME), ("SURNAME", Role.LAST_NAME), ("family_name", Role.LAST_NAME),
        ("Apellidos", Role.LAST_NAME), ("Nom de famille", Role.LAST_NAME), ("Nachname", Role.LAST_NAME),
        ("Sobrenome", Role.LAST_NAME), ("Cognome", Role.LAST_NAME), ("Nom", Role.LAST_NAME),
        ("First Name", Role.FIRST_NAME), ("Given names", Role.FIRST_NAME), ("Nombre(s)", Role.FIRST_NAME),
        ("Prénom", Role.FIRST_NAME), ("Vorname", Role.FIRST_NAME), ("Nome", Role.FIRST_NAME),
        ("Name", Role.FULL_NAME), ("Full name", Role.FULL_NAME), ("Nombre completo", Role.FULL_NAME),
        ("Nom complet", Role.FULL_NAME), ("Apellidos y Nombres", Role.FULL_NAME),
        ("Date of Birth", Role.DOB), ("DOB", Role.DOB), ("D.O.B.", Role.DOB), ("date_of_birth", Role.DOB),
        ("DateOfBirth", Role.DOB), ("Birth date", Role.DOB), ("Fecha de Nacimiento", Role.DOB),
        ("Date de naissance", Role.DOB), ("Geburtsdatum", Role.DOB), ("Data de nascimento", Role.DOB),
        ("Data di nascita", Role.DOB),
        ("A-Number", Role.ID), ("a_number", Role.ID), ("A#", Role.ID), ("Alien Number", Role.ID),
        ("ID", Role.ID), ("Case No.", Role.ID), ("Passport number", Role.ID),
        ("Número de documento", Role.ID), ("Numéro", Role.ID), ("Ausweisnummer", Role.ID),
        ("Country", Role.COUNTRY), ("Nationality", Role.COUNTRY), ("Citizenship", Role.COUNTRY),
        ("País", Role.COUNTRY), ("Nacionalidad", Role.COUNTRY), ("Nationalité", Role.COUNTRY),
        ("Staatsangehörigkeit", Role.COUNTRY), ("Country of Birth", Role.COUNTRY),
        ("Facility", Role.PLACE), ("Detention Facility", Role.PLACE), ("AOR", Role.PLACE),
        ("Facility Name", Role.PLACE), ("Centro", Role.PLACE), ("Lieu", Role.PLACE), ("Ort", Role.PLACE),
        ("Place of Birth", Role.PLACE),
        ("Case Status", Role.STATUS), ("Estado", Role.STATUS), ("Statut", Role.STATUS),
        ("Gender", Role.GENDER), ("Sex", Role.GENDER), ("Sexo", Role.GENDER), ("Geschlecht", Role.GENDER),
        ("Book-In Date", Role.DATE), ("Fecha de ingreso", Role.DATE), ("Status Date", Role.DATE),
        ("Phone number", Role.OTHER), ("Notes", Role.OTHER),
        ("Nationalty", Role.COUNTRY),  # a typo still matches
        ("Detainee Last Name", Role.LAST_NAME),  # a known phrase inside a longer header
        ("Фамилия", Role.LAST_NAME), ("Дата рождения", Role.DOB), ("Soyadı", Role.LAST_NAME),
        ("Doğum Tarihi", Role.DOB), ("تاريخ الميلاد", Role.DOB), ("Achternaam", Role.LAST_NAME),
        ("Imię", Role.FIRST_NAME), ("Nº de pasaporte", Role.ID), ("F. Nac.", Role.DOB),
    ],
)
def test_header_text_decides_the_role(header: str, role: Role) -> None:
    # Values that say nothing, so only the header can decide.
    decided = detect_roles([header], [["x"], ["y"]])
    assert decided[0][0] is role, decided
    assert "header" in decided[0][1]


def test_unhelpful_headers_are_decided_by_values() -> None:
    c = fake_columns()
    order = ["row", "comma_name", "two_words", "dob_us", "event", "anum", "country", "pais",
             "gender", "facility", "status", "notes"]
    header = [f"col{i}" for i in range(len(order))]
    roles = [r for r, _ in detect_roles(header, rows_of(*(c[k] for k in order)))]
    assert roles == [
        Role.OTHER, Role.FULL_NAME, Role.FULL_NAME, Role.DOB, Role.DATE, Role.ID, Role.COUNTRY,
        Role.COUNTRY, Role.GENDER, Role.PLACE, Role.STATUS, Role.OTHER,
    ]


def test_empty_and_blank_headers_fall_back_to_values() -> None:
    c = fake_columns()
    decided = detect_roles(["", "  ", "Unnamed: 2"], rows_of(c["anum"], c["dob_iso"], ["" for _ in c["row"]]))
    assert [r for r, _ in decided] == [Role.ID, Role.DOB, Role.IGNORE]
    assert decided[0][1].startswith("header empty")


def test_last_first_in_one_cell_under_a_last_name_header_is_a_full_name() -> None:
    c = fake_columns()
    decided = detect_roles(["Last Name", "First Name"], rows_of(c["comma_name"], c["one_word"]))
    assert decided[0][0] is Role.FULL_NAME and "LAST, FIRST" in decided[0][1]
    assert decided[1][0] is Role.FIRST_NAME


def test_bare_name_next_to_a_first_name_column_is_the_surname() -> None:
    c = fake_columns()
    decided = detect_roles(["Name", "Vorname"], rows_of(c["one_word"], c["one_word"]))
    assert [r for r, _ in decided] == [Role.LAST_NAME, Role.FIRST_NAME]


def test_only_one_dob_header_saying_birth_wins() -> None:
    c = fake_columns()
    decided = detect_roles(["col0", "Date of Birth"], rows_of(c["dob_iso"], c["dob_us"]))
    assert [r for r, _ in decided] == [Role.DATE, Role.DOB]
    assert "another column is the dob" in decided[0][1]


def test_only_one_dob_earliest_birth_like_dates_win_without_headers() -> None:
    c = fake_columns()
    rnd = random.Random(5)
    later = [(dt.date(1990, 1, 1) + dt.timedelta(days=rnd.randrange(30 * 365))).isoformat() for _ in c["row"]]
    decided = detect_roles(["a", "b"], rows_of(later, c["dob_us"]))
    assert [r for r, _ in decided] == [Role.DATE, Role.DOB]


def test_row_counter_under_an_id_header_is_not_an_id() -> None:
    c = fake_columns()
    decided = detect_roles(["No.", "#", "Name"], rows_of(c["row"], c["row"], c["two_words"]))
    assert [r for r, _ in decided][:2] == [Role.OTHER, Role.OTHER]


def test_recent_dates_are_not_birth_dates() -> None:
    c = fake_columns()
    decided = detect_roles(["when"], rows_of(c["event"]))
    assert decided[0][0] is Role.DATE


def test_reasons_never_quote_a_value() -> None:
    c = fake_columns(n=50)
    header = ["Last Name", "col1", "col2", "col3", "col4", "Status"]
    rows = rows_of(c["comma_name"], c["dob_us"], c["anum"], c["country"], c["two_words"], c["status"])
    reasons = " | ".join(why for _, why in detect_roles(header, rows))
    values = {v for row in rows for v in row} | {p.strip() for row in rows for v in row for p in v.split(",")}
    leaked = [v for v in values if len(v) >= 3 and v in reasons]
    assert not leaked


def test_header_row_is_first_row_when_there_is_no_title() -> None:
    rows = [["Name", "DOB", "ID"], ["ZORVAK QUELLIN", "1980-01-02", "123456789"]]
    assert find_header_row(rows) == 0


def test_header_row_skips_title_blank_and_generated_rows() -> None:
    rows = [
        ["Detainee list FY2022", "", ""],
        ["", "", ""],
        ["Generated on 2023-01-05", "", ""],
        ["Prepared by", "2023-01-05", ""],
        ["Last Name", "First Name", "DOB"],
        ["QUELLIN", "ZORVAK", "1980-01-02"],
        ["MARTOS", "BRIDAN", "1975-11-30"],
    ]
    assert find_header_row(rows) == 4


def test_header_row_needs_rows_of_similar_width_below() -> None:
    rows = [
        ["Report", "Office of Records"],  # label-like but the table below is wider
        ["Name", "DOB", "ID", "Country"],
        ["ZORVAK QUELLIN", "1980-01-02", "123456789", "Mexico"],
        ["BRIDAN MARTOS", "1971-05-06", "123456790", "Cuba"],
    ]
    assert find_header_row(rows) == 1


def test_one_column_table_header_is_a_known_header_word() -> None:
    rows = [["Released detainees"], [], ["Full Name"], ["ZORVAK QUELLIN"], ["BRIDAN MARTOS"]]
    assert find_header_row(rows) == 2
    with pytest.raises(ColumnError):
        find_header_row([["ZORVAK QUELLIN"], ["BRIDAN MARTOS"]])


def test_no_header_row_raises() -> None:
    rows = [["1", "1980-01-02", "123456"], ["2", "1981-01-02", "123457"]]
    with pytest.raises(ColumnError, match="no header row"):
        find_header_row(rows)


def test_header_beyond_max_scan_is_not_found() -> None:
    rows = [["only a title"]] * 5 + [["Name", "DOB"], ["ZORVAK QUELLIN", "1980-01-02"]]
    with pytest.raises(ColumnError):
        find_header_row(rows, max_scan=5)
    assert find_header_row(rows, max_scan=10) == 5


def test_parse_column_overrides() -> None:
    spec = " Last Name = last_name, DOB=DOB ,Notes=ignore,"
    assert parse_column_overrides(spec) == {"Last Name": Role.LAST_NAME, "DOB": Role.DOB, "Notes": Role.IGNORE}


def test_parse_column_overrides_keeps_equals_in_header() -> None:
    assert parse_column_overrides("a=b=id") == {"a=b": Role.ID}


@pytest.mark.parametrize("spec", ["DOB=birthday", "Name=fullname"])
def test_parse_column_overrides_rejects_unknown_roles_listing_allowed(spec: str) -> None:
    with pytest.raises(ColumnError) as exc:
        parse_column_overrides(spec)
    message = str(exc.value)
    assert "unknown role" in message
    assert all(r.value in message for r in Role)


@pytest.mark.parametrize("spec", ["DOB", "=dob", "", " , "])
def test_parse_column_overrides_rejects_malformed_specs(spec: str) -> None:
    with pytest.raises(ColumnError):
        parse_column_overrides(spec)


def test_header_row_rejects_a_data_row_of_ids_countries_and_dates() -> None:
    rows = [
        ["ZORVAK QUELLIN", "A123456789", "Mexico"],
        ["BRIDAN MARTOS", "A123456790", "Cuba"],
    ]
    with pytest.raises(ColumnError):
        find_header_row(rows)


def test_header_role_names_known_headers_only() -> None:
    assert header_role("Fecha de nacimiento") is Role.DOB
    assert header_role("col7") is None
