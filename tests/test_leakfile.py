"""tracker.leakfile: reading leak files of every format into rows, ids and column roles.

Every file is generated in tmp_path from made-up values.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from extract_support import ods_bytes

from fingerprints.roles import Column, Role
from tracker.errors import UsageError
from tracker.leakfile import LeakTable, SheetInfo, read_leak_table

SYLLABLES = ["zor", "vak", "quel", "lin", "mar", "tos", "bri", "dan", "kel", "vor", "sa", "ñu", "bé", "rö"]
HEADER = ["Last Name", "First Name", "Date of Birth", "A-Number", "Country", "Facility"]


def fake_people(n: int, seed: int = 3) -> list[list[str]]:
    """Rows matching HEADER with synthetic values (names built from syllables)."""
    rnd = random.Random(seed)

    def word() -> str:
        return "".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 3))).upper()

    return [
        [
            word(),
            word(),
            (dt.date(1950, 1, 1) + dt.timedelta(days=rnd.randrange(55 * 365))).isoformat(),
            f"A{rnd.randrange(10**8, 10**9)}",
            rnd.choice(["Mexico", "Guatemala", "Honduras"]),
            rnd.choice(["Krome North SPC", "Otero County"]),
        ]
        for _ in range(n)
    ]


def write_text(path: Path, rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> Path:
    path.write_bytes("".join(delimiter.join(r) + "\r\n" for r in rows).encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def roles(table: LeakTable) -> dict[str, Role]:
    return {c.name: c.role for c in table.columns}


EXPECTED_ROLES = dict(zip(HEADER, [Role.LAST_NAME, Role.FIRST_NAME, Role.DOB, Role.ID, Role.COUNTRY, Role.PLACE]))


# ---------------------------------------------------------------------------- CSV / TSV
def test_semicolon_cp1252_csv(tmp_path: Path) -> None:
    people = fake_people(40)
    path = write_text(tmp_path / "leak.csv", [HEADER, *people], ";", "cp1252")
    table = read_leak_table(path)
    assert table.file_format == "csv"
    assert table.rows == people  # accents (ñ, é, ö) decoded as cp1252
    assert table.record_ids == list(range(1, 41))
    assert roles(table) == EXPECTED_ROLES
    assert "format: csv, encoding cp1252, delimiter ';'" in table.decisions
    assert table.sheets == [SheetInfo("", 1, 40, 0)]


def test_tsv(tmp_path: Path) -> None:
    people = fake_people(10)
    table = read_leak_table(write_text(tmp_path / "leak.tsv", [HEADER, *people], "\t"))
    assert table.file_format == "tsv"
    assert table.rows == people and roles(table) == EXPECTED_ROLES


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_any_delimiter_in_a_txt_file(tmp_path: Path, delimiter: str) -> None:
    people = fake_people(12)
    table = read_leak_table(write_text(tmp_path / "leak.txt", [HEADER, *people], delimiter))
    assert table.rows == people


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_bom_encodings(tmp_path: Path, encoding: str) -> None:
    people = fake_people(8)
    table = read_leak_table(write_text(tmp_path / "leak.csv", [HEADER, *people], ",", encoding))
    assert [c.name for c in table.columns] == HEADER  # no BOM glued to the first header
    assert table.rows == people


def test_quoted_fields_ragged_rows_titles_and_blank_lines(tmp_path: Path) -> None:
    text = (
        "Detainee list FY2022\n"
        "\n"
        "Name,DOB,ID,Notes\n"
        '"QUELLIN, ZORVAK",1980-01-02,123456789,"two\nlines, and a comma"\n'
        "\n"
        ",,,\n"
        "MARTOS BRIDAN,1975-11-30\n"
        "VAKLIN SARU,1969-04-05,123456790,note,extra\n"
    )
    path = tmp_path / "leak.csv"
    path.write_text(text, encoding="utf-8")
    table = read_leak_table(path)
    assert [c.name for c in table.columns] == ["Name", "DOB", "ID", "Notes", "column 5"]
    assert table.rows == [
        ["QUELLIN, ZORVAK", "1980-01-02", "123456789", "two\nlines, and a comma", ""],
        ["MARTOS BRIDAN", "1975-11-30", "", "", ""],
        ["VAKLIN SARU", "1969-04-05", "123456790", "note", "extra"],
    ]
    # blank lines are not records and take no id; title rows are not counted
    assert table.record_ids == [1, 2, 3]
    assert table.sheets == [SheetInfo("", 1, 3, 2)]
    assert any("2 row(s) above it skipped" in d for d in table.decisions)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["Apellidos", "Nombre", "Fecha de nacimiento", "Número de documento", "Nacionalidad", "Centro"],
         [Role.LAST_NAME, Role.FIRST_NAME, Role.DOB, Role.ID, Role.COUNTRY, Role.PLACE]),
        (["Nom", "Prénom", "Date de naissance", "Numéro", "Nationalité", "Lieu"],
         [Role.LAST_NAME, Role.FIRST_NAME, Role.DOB, Role.ID, Role.COUNTRY, Role.PLACE]),
        (["Nachname", "Vorname", "Geburtsdatum", "Ausweisnummer", "Staatsangehörigkeit", "Ort"],
         [Role.LAST_NAME, Role.FIRST_NAME, Role.DOB, Role.ID, Role.COUNTRY, Role.PLACE]),
    ],
)
def test_foreign_language_headers(tmp_path: Path, header: list[str], expected: list[Role]) -> None:
    table = read_leak_table(write_text(tmp_path / "leak.csv", [header, *fake_people(30)], ";", "cp1252"))
    assert [c.role for c in table.columns] == expected


def test_unhelpful_headers_decided_by_values(tmp_path: Path) -> None:
    header = [f"col{i}" for i in range(1, 7)]
    people = [[f"{r[0]}, {r[1]}", r[2], r[3], r[4], r[5], r[0]] for r in fake_people(200)]
    table = read_leak_table(write_text(tmp_path / "leak.csv", [header, *people], ";"))
    assert [c.role for c in table.columns][:5] == [Role.FULL_NAME, Role.DOB, Role.ID, Role.COUNTRY, Role.PLACE]
    assert any(d.startswith("column 'col2' -> dob: header 'col2' not recognised; values:") for d in table.decisions)


# ---------------------------------------------------------------------------- workbooks
def test_xlsx_title_rows_and_two_sheets_number_records_across_sheets(tmp_path: Path) -> None:
    first, second = fake_people(5, seed=1), fake_people(7, seed=2)
    titles: list[list[object]] = [["Detainee list FY2022"], ["Generated on 2023-01-05"]]
    path = write_xlsx(
        tmp_path / "leak.xlsx",
        {
            "Summary": [["Facility", "Count"], ["Krome North SPC", 5], ["Otero County", 7]],
            "Krome": [*titles, HEADER, *first],
            "Empty": [],
            "Otero": [*titles, [*HEADER[:4], "Nationality"], *[r[:5] for r in second[:3]], [],
                      *[r[:5] for r in second[3:]]],
        },
    )
    table = read_leak_table(path)
    assert table.file_format == "xlsx"
    assert table.sheets == [SheetInfo("Krome", 1, 5, 2), SheetInfo("Otero", 6, 7, 2)]
    assert table.record_ids == list(range(1, 13))
    assert [c.name for c in table.columns] == [*HEADER, "Nationality"]  # union by header text
    assert table.rows[:5] == [[*r, ""] for r in first]
    assert table.rows[5:] == [[*r[:4], "", "", r[4]] for r in second]
    assert any("'Summary' skipped" in d for d in table.decisions)
    assert any("'Empty' skipped: empty" in d for d in table.decisions)


def test_xlsx_sheet_option_reads_one_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "leak.xlsx", {"A": [HEADER, *fake_people(3)], "B": [HEADER, *fake_people(4)]})
    table = read_leak_table(path, sheet="B")
    assert table.sheets == [SheetInfo("B", 1, 4, 0)]
    with pytest.raises(UsageError, match="no sheet 'C'.*'A', 'B'"):
        read_leak_table(path, sheet="C")


def test_xlsx_real_dates_and_numbers(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Name", "DOB", "ID", "Book-in", "Score"],
        ["ZORVAK QUELLIN", dt.date(1980, 1, 2), 123456789, dt.datetime(2022, 3, 4, 15, 30), 2.5],
        ["BRIDAN MARTOS", dt.datetime(1975, 11, 30), 123456790.0, dt.datetime(2022, 3, 5), True],
    ]
    table = read_leak_table(write_xlsx(tmp_path / "leak.xlsx", {"S": rows}))
    assert table.rows == [
        ["ZORVAK QUELLIN", "1980-01-02", "123456789", "2022-03-04 15:30:00", "2.5"],
        ["BRIDAN MARTOS", "1975-11-30", "123456790", "2022-03-05", "TRUE"],
    ]
    assert roles(table)["DOB"] is Role.DOB


def test_differently_named_dob_columns_share_one_union_column(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "leak.xlsx",
        {"A": [["Name", "DOB"], ["ZORVAK QUELLIN", "1980-01-02"]],
         "B": [["Name", "Date of Birth"], ["BRIDAN MARTOS", "1975-11-30"]]},
    )
    table = read_leak_table(path)
    assert table.columns == [Column("Name", Role.FULL_NAME), Column("DOB", Role.DOB)]
    assert table.rows == [["ZORVAK QUELLIN", "1980-01-02"], ["BRIDAN MARTOS", "1975-11-30"]]


def test_ods(tmp_path: Path) -> None:
    rows = [["Name", "Born"], ["ZORVAK QUELLIN", "1980-01-02"], ["BRIDAN MARTOS", "1975-11-30"]]
    cells: list[list[object]] = [[dt.date.fromisoformat(v) if v[:2] == "19" else v for v in r] for r in rows]
    path = tmp_path / "leak.ods"
    path.write_bytes(ods_bytes({"Roster": cells}))  # the birth dates as date cells
    table = read_leak_table(path)
    assert table.file_format == "ods"
    assert table.rows == rows[1:]
    assert roles(table) == {"Name": Role.FULL_NAME, "Born": Role.DOB}


def test_renamed_xlsx_is_read_by_content(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "leak.xlsx", {"S": [HEADER, *fake_people(2)]})
    table = read_leak_table(path.rename(tmp_path / "leak.csv"))
    assert table.file_format == "xlsx" and len(table.rows) == 2


# ---------------------------------------------------------------------------- JSON
def test_json_list_of_objects(tmp_path: Path) -> None:
    records = [
        {"name": "ZORVAK QUELLIN", "dob": "1980-01-02", "id": 123456789},
        {},
        {"name": None, "dob": None},
        {"dob": "1975-11-30", "name": "BRIDAN MARTOS", "aliases": ["VAK", "MAR"], "height": 1.5, "ok": True},
    ]
    path = tmp_path / "leak.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    table = read_leak_table(path)
    assert table.file_format == "json"
    assert [c.name for c in table.columns] == ["name", "dob", "id", "aliases", "height", "ok"]
    assert table.rows == [
        ["ZORVAK QUELLIN", "1980-01-02", "123456789", "", "", ""],
        ["BRIDAN MARTOS", "1975-11-30", "", '["VAK", "MAR"]', "1.5", "true"],
    ]
    assert table.record_ids == [1, 2]  # objects with no value are not records
    assert roles(table)["dob"] is Role.DOB


def test_json_object_holding_one_list(tmp_path: Path) -> None:
    path = tmp_path / "dump.json"
    path.write_text(json.dumps({"exported": "2023", "people": [{"Full Name": "ZORVAK QUELLIN"}]}), encoding="utf-8")
    assert read_leak_table(path).rows == [["ZORVAK QUELLIN"]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"a": [{"x": 1}], "b": [{"y": 2}]}', "exactly one such list"),
        ('"just a string"', "found a str"),
        ('[{"name": "ZORVAK"}, 5]', "item 2 of the list is a int"),
        ("[]", "holds no records"),
        ('[{"name": "ZORVAK"', "not valid JSON"),
    ],
)
def test_json_wrong_shapes(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "leak.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        read_leak_table(path)


# ---------------------------------------------------------------------------- overrides
def test_overrides_apply_after_detection(tmp_path: Path) -> None:
    path = write_text(tmp_path / "leak.csv", [[*HEADER, "Notes"], *[[*r, "n"] for r in fake_people(5)]])
    table = read_leak_table(path, columns={"notes": Role.IGNORE, "Facility": Role.OTHER})
    assert roles(table)["Notes"] is Role.IGNORE and roles(table)["Facility"] is Role.OTHER
    assert any(d.startswith("column 'Notes' -> ignore: set by --columns") for d in table.decisions)


def test_overrides_make_an_unrecognised_table_readable(tmp_path: Path) -> None:
    rows = [["foo", "bar"], *[["x", "y"]] * 3]
    path = write_text(tmp_path / "leak.csv", rows)
    with pytest.raises(UsageError, match="no identifying column.*--columns"):
        read_leak_table(path)
    assert roles(read_leak_table(path, columns={"foo": Role.FULL_NAME}))["foo"] is Role.FULL_NAME


def test_override_of_an_unknown_header_names_the_available_ones(tmp_path: Path) -> None:
    path = write_text(tmp_path / "leak.csv", [HEADER, *fake_people(3)])
    with pytest.raises(UsageError, match="'Birthday', which is not a header.*'Last Name', 'First Name'"):
        read_leak_table(path, columns={"Birthday": Role.DOB})


# ---------------------------------------------------------------------------- errors
def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not found"):
        read_leak_table(tmp_path / "nope.csv")


@pytest.mark.parametrize("content", [b"", b"  \n\r\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "leak.csv").write_bytes(content)
    with pytest.raises(UsageError, match="empty"):
        read_leak_table(tmp_path / "leak.csv")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("leak.csv", b",,,\n , ,\n", "no data: every row is blank"),
        ("leak.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "PNG image, not a table"),
        ("leak.csv", b"ab\x00\x01\x02" * 50, "binary"),
        ("leak.xlsx", b"Name,DOB\nZORVAK,1980-01-02\n", "not a valid XLSX"),
        ("leak.csv", b"Name,DOB\n" + b"ZORVAK," + b"x" * 200_000 + b"\n", "not a readable CSV"),
    ],
)
def test_unreadable_content(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(UsageError, match=message):
        read_leak_table(tmp_path / name)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "leak.xlsx", "w") as z:
        z.writestr("leak.csv", "Name\nZORVAK\n")
    with pytest.raises(UsageError, match="ZIP archive, not a spreadsheet"):
        read_leak_table(tmp_path / "leak.xlsx")


def test_damaged_xlsx(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", {"S": [HEADER, *fake_people(2)]}).read_bytes()
    (tmp_path / "leak.xlsx").write_bytes(good[: len(good) // 2])
    with pytest.raises(UsageError, match="leak.xlsx"):
        read_leak_table(tmp_path / "leak.xlsx")


def test_no_header_found(tmp_path: Path) -> None:
    path = write_text(tmp_path / "leak.csv", [["1", "1980-01-02", "123456"], ["2", "1981-01-02", "123457"]])
    with pytest.raises(UsageError, match="no header row"):
        read_leak_table(path)


def test_header_without_data(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="leak.csv has a header row but no data rows"):
        read_leak_table(write_text(tmp_path / "leak.csv", [HEADER]))


def test_no_identifying_column_suggests_columns(tmp_path: Path) -> None:
    rows = [["Country", "Facility"], ["Mexico", "Otero County"], ["Cuba", "Krome North SPC"]]
    with pytest.raises(UsageError, match=r"no identifying column.*'Country' \(country\).*--columns"):
        read_leak_table(write_text(tmp_path / "leak.csv", rows))


def test_workbook_without_identifying_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "leak.xlsx", {"Summary": [["Facility", "Status"], ["Otero County", "open"]]})
    with pytest.raises(UsageError, match="no identifying column.*sheet 'Summary'"):
        read_leak_table(path)


def test_sheet_option_on_csv(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="sheet"):
        read_leak_table(write_text(tmp_path / "leak.csv", [HEADER, *fake_people(2)]), sheet="S")


# ---------------------------------------------------------------------------- privacy, speed
def test_decisions_never_contain_cell_values(tmp_path: Path) -> None:
    people = fake_people(60)
    unhelpful = [[f"{r[0]}, {r[1]}", *r[2:]] for r in people]
    files = [
        write_text(tmp_path / "a.csv", [HEADER, *people], ";", "cp1252"),
        write_text(tmp_path / "b.csv", [["c1", "c2", "c3", "c4", "c5"], *unhelpful]),
        write_xlsx(tmp_path / "c.xlsx", {"T": [["List of people"], HEADER, *people]}),
    ]
    values = {v for r in people + unhelpful for v in r if len(v) >= 4} - set(HEADER)
    for path in files:
        text = "\n".join(read_leak_table(path).decisions)
        assert not [v for v in values if v in text], path.name


def test_reading_is_fast(tmp_path: Path) -> None:
    people = fake_people(1000)
    path = write_text(tmp_path / "big.csv", [HEADER, *(people * 100)])
    start = time.perf_counter()
    table = read_leak_table(path)
    elapsed = time.perf_counter() - start
    assert len(table.rows) == 100_000 and table.record_ids[-1] == 100_000
    assert elapsed < 10, elapsed  # ~0.2 s here; a million rows take ~2 s


def test_unrecognised_header_is_flagged(tmp_path: Path) -> None:
    rows = [["c1", "c2"], *[[f"{r[0]} {r[1]}", r[3]] for r in fake_people(20)]]
    table = read_leak_table(write_text(tmp_path / "leak.csv", rows))
    assert any("warning: no header text was recognised" in d for d in table.decisions)


def test_one_column_list_of_names(tmp_path: Path) -> None:
    names = [[f"{r[1]} {r[0]}"] for r in fake_people(15)]
    table = read_leak_table(write_text(tmp_path / "names.csv", [["Name"], *names]))
    assert table.columns == [Column("Name", Role.FULL_NAME)]
    assert table.rows == names


# --- hostile shapes: refused at once with the limit, never after minutes or with a RecursionError ---

def test_more_columns_than_the_limit_are_refused_with_the_number(tmp_path: Path) -> None:
    from tracker.leakfile import MAX_COLUMNS

    people = fake_people(3)
    wide = write_text(tmp_path / "wide.csv", [HEADER + [f"x{i}" for i in range(100_000)]]
                      + [p + ["1"] * 100_000 for p in people])
    started = time.perf_counter()
    with pytest.raises(UsageError, match=r"wide.csv has 100,006 columns; a leak table may have at most 1,000"):
        read_leak_table(wide)
    assert time.perf_counter() - started < 10  # refused before role detection looks at each column

    # a data row wider than the header counts too, but trailing blank cells do not
    rows = [HEADER] + [p + [""] * 5000 for p in people] + [people[0] + ["9"] * (MAX_COLUMNS + 1)]
    with pytest.raises(UsageError, match=f"has {len(HEADER) + MAX_COLUMNS + 1:,} columns"):
        read_leak_table(write_text(tmp_path / "ragged.csv", rows))
    assert len(read_leak_table(write_text(tmp_path / "padded.csv", rows[:-1])).columns) == len(HEADER)

    records = [dict(zip(HEADER, p)) | {f"k{i}": "v" for i in range(MAX_COLUMNS)} for p in people]
    many_keys = tmp_path / "keys.json"
    many_keys.write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(UsageError, match="keys.json has more than 1,000 columns"):
        read_leak_table(many_keys)


def test_a_workbook_sheet_over_the_limit_is_skipped_and_said_so(tmp_path: Path) -> None:
    from tracker.leakfile import MAX_COLUMNS

    people = fake_people(4)
    path = write_xlsx(tmp_path / "book.xlsx", {
        "huge": [HEADER + ["x"] * MAX_COLUMNS] + [p + ["1"] * MAX_COLUMNS for p in people],
        "people": [HEADER] + people,
    })
    table = read_leak_table(path)
    assert table.record_ids == [1, 2, 3, 4] and [s.name for s in table.sheets] == ["people"]
    assert any("sheet 'huge' skipped" in d and "at most 1,000" in d for d in table.decisions)
    with pytest.raises(UsageError, match="sheet 'huge' of book.xlsx has 1,006 columns"):
        read_leak_table(path, sheet="huge")


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a": ' * 100_000 + "1" + "}" * 100_000,
                                  '[{"Last Name": ' + "[" * 5000 + "]" * 5000 + "}]"])
def test_json_nested_too_deeply_is_a_usage_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match="deep.json: JSON nested too deeply to be a table"):
        read_leak_table(path)
