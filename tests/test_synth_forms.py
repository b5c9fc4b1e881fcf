"""The new re-post forms, the scale suite's data and the monitor stream: they hold what their labels say.

These tests read the generated plaintext back with their own readers (csv, email, calamine,
pypdf; nothing of ``tracker.extract``) and check the data, never the matcher: every positive
names its labelled records in the form it claims, no negative holds a leaked record (its
A-number, or its full name with its birth date), namesakes share names and nothing else,
and every generator gives the same bytes for the same seed. All values are invented.
"""
from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import hashlib
import html
import io
import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader
from python_calamine import CalamineWorkbook

from tracker.synth import (
    CLASSIC,
    FORM_KINDS,
    NEGATIVE_FORMS,
    POSITIVE_FORMS,
    REALISTIC,
    generate_forms_corpus,
    generate_scale_corpus,
    leak_people,
    monitor_stream,
)
from tracker.synth.forms import ANUM_FORMATS, FormsContext, excel_serial, ocr_name, ocr_number, particle_like
from tracker.synth.people import PARTICLE_LIKE_SURNAMES, Person, PersonFactory
from tracker.synth.perturb import DATE_FORMATS, HEADERS, strip_accents
from tracker.synth.scale import LeakKeys, other_people, surname_words
from tracker.synth.stream import MONITOR_REPOST_SHARE, MONITOR_ROSTER_SHARE

N_LEAK = 1500
SEED = 23


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, list[Person]]:
    out = tmp_path_factory.mktemp("forms")
    labels = generate_forms_corpus(out, SEED, n_leak=N_LEAK)
    return out, labels, leak_people(N_LEAK, SEED, REALISTIC)


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# --- the test's own readers --------------------------------------------------------------------------------


def _eml_texts(data: bytes) -> list[str]:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    out = []
    for part in msg.walk():
        if part.get_content_maintype() in ("multipart", "message"):
            continue
        payload = part.get_payload(decode=True)
        out.append(payload.decode("utf-8"))
    return out


def _texts(name: str, data: bytes) -> list[str]:
    if name.endswith(".xlsx"):
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return ["\n".join(",".join(str(c) for c in row) for row in book.get_sheet_by_name(s).to_python())
                for s in book.sheet_names]
    if name.endswith(".pdf"):
        return ["\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)]
    if name.endswith(".eml"):
        return _eml_texts(data)
    text = data.decode("utf-8")
    if name.endswith(".json"):
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return [text]


def _norm(text: str) -> str:
    text = re.sub(r"<[^>]+>", " ", text).replace("&#x27;", "'").replace("&amp;", "&").replace("&quot;", '"')
    return " ".join(strip_accents(text).casefold().split())


def _name(p: Person) -> tuple[str, str]:
    return _norm(p.first), _norm(p.last)


def _dates(d: dt.date) -> set[str]:
    return {f(d).casefold() for f in DATE_FORMATS.values()} | {str(excel_serial(d))}


_DATE_RE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d\d-\d\d|\d\d\.\d\d\.\d{2,4}|[a-z]+ \d{1,2}, \d{4}"
                      r"|\d{1,2} [a-z]{3} \d{4}|\b\d{5}\b")


_DAY_FIRST = ("eu", "dotted", "dotted_2y", "day_month_abbr")
_MONTH_FIRST = ("us", "us_short", "us_2y")


def _by_date(people: list[Person], order: str | None = None) -> dict[str, list[Person]]:
    """Every way a leaked birth date is written (case-folded), to the people born that day.

    ``order`` "dmy" or "mdy" leaves out the numeric formats of the other order (a document
    whose dates say which order they are in); None keeps both (06/08/1991 is June or August).
    """
    skip = {"dmy": _MONTH_FIRST, "mdy": ("eu",)}.get(order or "", ())
    out: dict[str, list[Person]] = {}
    for p in people:
        for key, f in DATE_FORMATS.items():
            if key not in skip:
                out.setdefault(f(p.dob).casefold(), []).append(p)
        out.setdefault(str(excel_serial(p.dob)), []).append(p)
    return out


def _date_order(text: str) -> str | None:
    """ "dmy" when some slash date has a first number above 12, "mdy" when the second is, else None."""
    pairs = [(int(a), int(b)) for a, b in re.findall(r"\b(\d{1,2})/(\d{1,2})/\d{2,4}\b", text)]
    if any(a > 12 for a, _ in pairs):
        return "dmy"
    if any(b > 12 for _, b in pairs):
        return "mdy"
    return None


def _leaked_on_line(line: str, by_date: dict[str, list[Person]]) -> list[Person]:
    """The leaked people whose birth date and full name are both on ``line`` (normalized)."""
    return [p for d in _DATE_RE.findall(line) for p in by_date.get(d, ()) if _has_name(line, p)]


def _nine_digit_runs(text: str) -> set[str]:
    squeezed = re.sub(r"(?<=\d)[\s\-](?=\d)", "", text)
    return {m for run in re.findall(r"\d+", squeezed) for m in (run[k:k + 9] for k in range(len(run) - 8))}


def _doc_lines(out: Path, name: str) -> list[str]:
    return [_norm(line) for t in _texts(name, (out / "docs" / name).read_bytes()) for line in t.splitlines()]


def _spaced(line: str) -> str:
    """``line`` with cell and quote punctuation turned to spaces, padded: words match as " word "."""
    return " " + " ".join(re.sub(r"[,\"|;()\t>]", " ", line).split()) + " "


def _has_name(line: str, p: Person) -> bool:
    first, last = _name(p)
    words = _spaced(line)
    return f" {first} " in words and f" {last} " in words


def _rows_in(out: Path, name: str) -> int:
    return sum(bool(line.strip()) for line in _doc_lines(out, name))


# --- the population ---------------------------------------------------------------------------------------------


def test_classic_population_is_the_default_and_unchanged() -> None:
    assert leak_people(200, 4) == leak_people(200, 4, CLASSIC)
    assert leak_people(200, 4, REALISTIC) != leak_people(200, 4)
    assert leak_people(300, 4, REALISTIC) == leak_people(300, 4, REALISTIC)


def test_realistic_population_has_zipf_names_and_particle_like_surnames() -> None:
    people = leak_people(6252, 5, REALISTIC)
    assert {p.country for p in people} >= {"VIETNAM", "MEXICO", "CHINA"}
    found = {s for s in PARTICLE_LIKE_SURNAMES for p in people if p.last == s or p.last.startswith(f"{s} ")}
    assert found >= {"DE LA O", "DEL RIO", "LE"} and any(p.last.startswith("DE LA O ") for p in people)
    firsts = Counter(p.first for p in people if p.region == "mexico" and p.gender == "M")
    (top, top_n), = firsts.most_common(1)
    assert top == "JOSÉ" and top_n > 8 * sorted(firsts.values())[len(firsts) // 2]  # Zipf, not uniform
    dobs = sorted(p.dob for p in people)
    assert (dobs[-1] - dobs[0]).days > 55 * 365  # birth dates spread over ~60 years


# --- the forms corpus --------------------------------------------------------------------------------------------


def test_forms_labels_format_every_kind_and_same_bytes(forms, tmp_path: Path) -> None:
    out, labels, _ = forms
    assert json.loads((out / "labels.json").read_text(encoding="utf-8")) == labels
    assert sorted(p.name for p in (out / "docs").iterdir()) == sorted(labels)
    assert {v["kind"] for v in labels.values()} == set(FORM_KINDS)
    assert set(POSITIVE_FORMS) | set(NEGATIVE_FORMS) == set(FORM_KINDS)
    for name, label in labels.items():
        assert re.fullmatch(r"form\d{4}\.[a-z]+", name) and set(label) == {"positive", "kind", "records"}
        assert label["positive"] == (label["kind"] in POSITIVE_FORMS) == bool(label["records"])
        assert label["records"] == sorted(set(label["records"])) and all(1 <= r <= N_LEAK for r in label["records"])
    exts = {n.rsplit(".", 1)[1] for n, v in labels.items() if not v["positive"]}
    assert exts >= {"csv", "html", "xlsx", "pdf", "txt"}
    again = tmp_path / "again"
    generate_forms_corpus(again, SEED, n_leak=N_LEAK, kinds=["id_paste", "roster_csv"])
    other = json.loads((again / "labels.json").read_text())
    assert Counter(v["kind"] for v in other.values()) == {"id_paste": 4, "roster_csv": 8}
    same = tmp_path / "same"
    generate_forms_corpus(same, SEED, n_leak=N_LEAK, kinds=["id_paste", "roster_csv"])
    assert _tree(same) == _tree(again)
    with pytest.raises(ValueError, match="unknown form kinds"):
        generate_forms_corpus(tmp_path / "x", SEED, n_leak=50, kinds=["nonsense"])


def _docs_of(labels: dict, kind: str) -> list[tuple[str, list[int]]]:
    return [(n, v["records"]) for n, v in sorted(labels.items()) if v["kind"] == kind]


def test_id_paste_is_leaked_ids_and_nothing_else(forms) -> None:
    out, labels, people = forms
    for name, records in _docs_of(labels, "id_paste"):
        text = (out / "docs" / name).read_text(encoding="utf-8")
        assert 15 <= len(records) <= 25
        assert _nine_digit_runs(text) >= {people[r - 1].a_number for r in records}
        rest = text
        for r in records:
            rest = re.sub(r"(a#?\s?-?)?" + r"[\s\-]?".join(people[r - 1].a_number), " ", rest, flags=re.I)
        assert not re.sub(r"\d+\)", " ", rest).strip(" ,;\t\n"), name  # only numbering and separators left
    written = " ".join((out / "docs" / n).read_text() for n, _ in _docs_of(labels, "id_paste"))
    assert re.search(r"\bA-\d{3}-\d{3}-\d{3}\b", written) or re.search(r"\b\d{3} \d{3} \d{3}\b", written)


def test_names_lists_name_each_record_once_and_nothing_else(forms) -> None:
    out, labels, people = forms
    for name, records in _docs_of(labels, "names_list"):
        lines = [line for line in _doc_lines(out, name) if line]
        assert 40 <= len(records) <= 200 and len(lines) >= len(records)
        named = [r for r in records if any(_has_name(line, people[r - 1]) for line in lines)]
        assert named == records, name
        text = " ".join(lines)
        assert not any(d in text for r in records for d in _dates(people[r - 1].dob) if len(d) > 5)
        assert not _nine_digit_runs(text) & {people[r - 1].a_number for r in records}


def test_weak_field_forms_have_names_and_weak_fields_but_no_dob_or_id(forms) -> None:
    out, labels, people = forms
    for kind in ("names_weak_json", "names_weak_csv"):
        for name, records in _docs_of(labels, kind):
            text = _norm(" ".join(_texts(name, (out / "docs" / name).read_bytes())))
            for r in records:
                p = people[r - 1]
                assert all(w in text for w in _name(p)[1].split()), (name, kind)
                assert not any(d in text for d in _dates(p.dob) if len(d) > 5)
                assert p.a_number not in _nine_digit_runs(text)
            for r in records:  # two or more weak columns, one of them more than the gender
                p = people[r - 1]
                weak = [_norm(v) for v in (p.country, p.aor, p.facility, p.status)] + list(_dates(p.book_in))
                assert any(w in text for w in weak), (name, kind)


def test_excel_serial_dates_decode_to_the_records_birth_dates(forms) -> None:
    out, labels, people = forms
    for name, records in _docs_of(labels, "excel_serial_csv"):
        rows = list(csv.reader(io.StringIO((out / "docs" / name).read_text(encoding="utf-8"))))
        header, body = rows[0], rows[1:]
        assert len(body) == len(records)
        serials = {int(float(c)) for row in body for c in row if re.fullmatch(r"\d{5}(\.0)?", c)}
        dobs = {dt.date(1899, 12, 30) + dt.timedelta(days=s) for s in serials}
        assert {people[r - 1].dob for r in records} <= dobs
        assert not any(re.search(r"\d{9}", c) for row in body for c in row)  # no ID column
    assert excel_serial(dt.date(1993, 1, 6)) == 33975


def test_particle_surnames_keep_only_the_particle_like_part(forms) -> None:
    out, labels, people = forms
    dropped = 0
    for name, records in _docs_of(labels, "particle_surnames"):
        text = _norm((out / "docs" / name).read_text(encoding="utf-8"))
        for r in records:
            p = people[r - 1]
            assert particle_like(p.last)
            assert any(d in text for d in _dates(p.dob)) and _norm(p.first) in text
            dropped += _norm(p.last) not in text
    assert dropped > 0  # some "DE LA O MARTÍNEZ" written "DE LA O"


def _unocr(text: str) -> str:
    """Undo the OCR confusions inside digit runs (the generator's O/0 and l/1)."""
    return re.sub(r"(?<=[\d/])[Ol](?=[\d/]|\b)|(?<=\d)[Ol]|[Ol](?=\d)", lambda m: {"O": "0", "l": "1"}[m.group()], text)


def test_ocr_screenshots_are_glued_and_confused_but_recoverable(forms) -> None:
    out, labels, people = forms
    glued = confused = 0
    for name, records in _docs_of(labels, "ocr_screenshot"):
        raw = (out / "docs" / name).read_text(encoding="utf-8")
        glued += bool(re.search(r"[A-Za-zÀ-ÿ]\d|\d[A-Za-zÀ-ÿ]{2}", raw))
        confused += bool(re.search(r"\d[Ol]|[Ol]\d|[A-Za-z][015][A-Za-z]", raw))
        fixed = _unocr(raw)
        for r in records:
            p = people[r - 1]
            has_id = p.a_number in _nine_digit_runs(fixed)
            has_dob = any(d in fixed.casefold() for d in _dates(p.dob))
            assert has_id or has_dob, (name, r)
    assert glued and confused
    rng = random.Random(3)
    assert ocr_number("10/01/1990", rng, 1.0) == "lO/Ol/l99O"
    assert ocr_name("Galván", rng) == "Ga1ván"
    assert any(c.isdigit() for c in ocr_name("GALVÁN SOLÍS", rng))


def test_eml_carries_the_rows_as_an_attachment_or_body(forms) -> None:
    out, labels, people = forms
    shapes = set()
    for name, records in _docs_of(labels, "eml_attachment"):
        data = (out / "docs" / name).read_bytes()
        msg = email.message_from_bytes(data, policy=email.policy.default)
        assert msg["From"] and msg["Date"] and msg["Message-ID"]
        shapes.add("base64" if b"Content-Transfer-Encoding: base64" in data else "quoted-printable")
        text = " ".join(_eml_texts(data))
        attached = b"Content-Transfer-Encoding: base64" in data
        for r in records:
            assert people[r - 1].a_number in _nine_digit_runs(text)
            if attached:  # the rows are only in the encoded attachment, not readable in the raw message
                assert people[r - 1].a_number.encode() not in data
    assert "base64" in shapes


def test_quoted_rows_and_needles_hold_their_records(forms) -> None:
    out, labels, people = forms
    for kind in ("prose_quote", "roster_needle"):
        for name, records in _docs_of(labels, kind):
            lines = _doc_lines(out, name)
            assert 1 <= len(records) <= 5
            for r in records:
                p = people[r - 1]
                line = next(line for line in lines if any(d in line for d in _dates(p.dob)) and _has_name(line, p))
                assert line
            if kind == "roster_needle":
                assert _rows_in(out, name) >= 2000 + len(records)


_JOINING = {"de", "del", "la", "las", "los", "y", "e", "da", "das", "do", "dos", "di", "van", "der", "von", "st",
            "saint"}


def _key_words(*cells: str) -> tuple[str, ...]:
    """A name's words, sorted, joining words dropped from each cell that has others (the test's own rule)."""
    out: list[str] = []
    for cell in cells:
        words = re.findall(r"[^\W_]+", cell)
        out += [w for w in words if w not in _JOINING] or words
    return tuple(sorted(out))


def _table_people(name: str, data: bytes) -> list[tuple[tuple[str, ...], str, str]]:
    """Each row of a table document as (name words, whole row text, header-less) (normalized)."""
    rows = _table_rows(name, data)
    known = {_norm(h) for spellings in HEADERS.values() for h in spellings}
    at = next((k for k, r in enumerate(rows) if known & set(r)), 0)
    header = rows[at]
    cols = {h: k for k, h in enumerate(header)}

    def col(field: str) -> int | None:
        return next((cols[_norm(h)] for h in HEADERS[field] if _norm(h) in cols), None)

    last, first, full = col("last"), col("first"), col("name")
    out = []
    for row in rows[at + 1:]:
        if len(row) != len(header):
            continue
        if last is not None and first is not None:
            words = _key_words(row[first], row[last])
        else:
            cell = row[full if full is not None else 0]
            words = _key_words(*cell.split(",", 1)) if "," in cell else _key_words(cell)
        out.append((words, " | ".join(row), ""))
    return out


def test_negatives_hold_no_leaked_record(forms) -> None:
    """No negative carries a leaked A-number, nor a row with a leaked person's full name and birth date.

    Tables are read row by row and names compared by their words (accents, case, order and
    joining words aside); text lines may not hold a leaked person's name words with their
    birth date at all.
    """
    out, labels, people = forms
    ids = {p.a_number for p in people}
    dates = {order: _by_date(people, order) for order in ("dmy", "mdy", None)}
    leaked = {(_key_words(_norm(p.first), _norm(p.last)), p.dob) for p in people}
    rows = 0
    for name, label in labels.items():
        if label["positive"]:
            continue
        data = (out / "docs" / name).read_bytes()
        lines = _doc_lines(out, name)
        assert not _nine_digit_runs(" \n".join(lines)) & ids, (name, label["kind"])
        by_date = dates[_date_order(" ".join(lines))]
        if name.endswith((".csv", ".tsv", ".html", ".xlsx")) and label["kind"] != "news_article":
            for words, row, _ in _table_people(name, data):
                for d in _DATE_RE.findall(row):
                    assert not any((words, p.dob) in leaked for p in by_date.get(d, ())), (name, label["kind"])
                rows += 1
        elif not name.endswith(".pdf"):
            for line in lines:
                assert not _leaked_on_line(line, by_date), (name, label["kind"])
    assert rows > 5000
    # the check itself sees a leaked row
    p = people[0]
    assert _leaked_on_line(_norm(f"{p.last}, {p.first}, {DATE_FORMATS['iso'](p.dob)}, {p.country}"), dates[None])


def _table_rows(name: str, data: bytes) -> list[list[str]]:
    """A document's rows as normalized cells (the header row included), read by the test's own means."""
    if name.endswith(".xlsx"):
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = [[str(c) for c in row] for s in book.sheet_names for row in book.get_sheet_by_name(s).to_python()]
    elif name.endswith(".html"):
        text = data.decode("utf-8")
        rows = [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr)]
                for tr in re.findall(r"<tr>(.*?)</tr>", text, re.S)]
    elif name.endswith((".csv", ".tsv")):
        text = data.decode("utf-8")
        first = text.split("\n", 1)[0]
        rows = list(csv.reader(io.StringIO(text), delimiter=max(",;\t", key=first.count)))
    else:  # a numbered list of names
        rows = [[re.sub(r"^\d+\.\s", "", line)] for line in data.decode("utf-8").splitlines()]
    return [[_norm(c) for c in r] for r in rows if any(c.strip() for c in r)]


def _row_names(header: list[str], row: list[str]) -> set[str]:
    """The full names a row can be read as: "last, first", "first last" and "last first"."""
    cols = {h: k for k, h in enumerate(header)}
    last = next((row[cols[_norm(h)]] for h in HEADERS["last"] if _norm(h) in cols), None)
    first = next((row[cols[_norm(h)]] for h in HEADERS["first"] if _norm(h) in cols), None)
    if last is not None and first is not None:
        return {f"{last}, {first}"}
    cell = next((row[cols[_norm(h)]] for h in HEADERS["name"] if _norm(h) in cols), row[0])
    return {cell}


def test_namesakes_share_names_not_birth_dates_or_ids(forms) -> None:
    out, labels, people = forms
    full: dict[str, list[Person]] = {}
    for p in people:
        first, last = _name(p)
        for written in (f"{last}, {first}", f"{first} {last}", f"{last} {first}"):
            full.setdefault(written, []).append(p)
    ids = {p.a_number for p in people}
    for kind in ("namesakes", "namesakes_names_only"):
        for name, _ in _docs_of(labels, kind):
            rows = _table_rows(name, (out / "docs" / name).read_bytes())
            known = {_norm(h) for spellings in HEADERS.values() for h in spellings}
            at = next((k for k, r in enumerate(rows) if known & set(r)), None)
            header = rows[at] if at is not None else []
            body = rows[at + 1:] if at is not None else rows  # title rows of a workbook left out
            assert 300 <= len(body) <= 304, (name, kind)
            named = [(r, full[n]) for r in body for n in _row_names(header, r) if n in full]
            assert len(named) == 3, (name, kind)
            for row, ps in named:
                line = " | ".join(row)
                assert not any(d in line for p in ps for d in _dates(p.dob) if len(d) > 5)
                assert not _nine_digit_runs(line) & ids


def test_recombined_rows_mix_three_people(forms) -> None:
    out, labels, people = forms
    firsts = {_norm(p.first) for p in people}
    lasts = {_norm(p.last) for p in people}
    for name, _ in _docs_of(labels, "recombined"):
        text = _spaced(" ".join(_doc_lines(out, name)))
        assert sum(f" {f} " in text for f in firsts) >= 5 and sum(f" {s} " in text for s in lasts) >= 5


def test_forms_context_other_people() -> None:
    people = leak_people(800, 3, REALISTIC)
    ctx = FormsContext(people, REALISTIC)
    rng = random.Random(1)
    others = ctx.others(rng, 3000)
    assert not {p.a_number for p in others} & {p.a_number for p in people}
    assert not {(p.first, p.last, p.dob) for p in others} & {(p.first, p.last, p.dob) for p in people}
    names = {(p.first, p.last) for p in people}
    assert any((p.first, p.last) in names for p in others)  # same population: full names recur by chance
    ns = ctx.namesake(rng, 7)
    assert (ns.first, ns.last) == (people[7].first, people[7].last) and ns.dob != people[7].dob
    assert ns.a_number not in ctx.leak_ids
    assert set(ANUM_FORMATS["spaced"]("123456789").split()) == {"123", "456", "789"}


# --- the scale suite's data ---------------------------------------------------------------------------------------


def _person(first: str, last: str, dob: str, a_number: str) -> Person:
    return Person(last=last, first=first, dob=dt.date.fromisoformat(dob), gender="F", country="MEXICO",
                  a_number=a_number, facility="x", aor="y", book_in=dt.date(2022, 1, 1), status="z")


def test_leak_keys_count_shared_birth_date_first_name_and_surname_word() -> None:
    keys = LeakKeys()
    keys.add(_person("MARÍA", "DE LA O MARTÍNEZ", "1988-03-14", "123456789"))
    assert keys.shares(_person("MARIA", "MARTÍNEZ LUNA", "1988-03-14", "999999999"))
    assert keys.shares(_person("MARÍA", "DE LA O", "1988-03-14", "999999999"))
    assert not keys.shares(_person("MARÍA", "DE LA CRUZ", "1988-03-14", "999999999"))  # particles name no family
    assert not keys.shares(_person("MARÍA", "MARTÍNEZ", "1988-03-15", "999999999"))
    assert not keys.shares(_person("ANA", "MARTÍNEZ", "1988-03-14", "999999999"))
    assert keys.is_leaked(_person("X", "Y", "2000-01-01", "123456789"))
    assert keys.is_leaked(_person("MARÍA", "DE LA O MARTÍNEZ", "1988-03-14", "000000001"))
    assert not keys.is_leaked(_person("MARÍA", "DE LA O", "1988-03-14", "000000001"))
    assert surname_words("DU") == {"du"} and surname_words("DA SILVA") == {"silva"} and surname_words("DO") == {"do"}


def test_chance_sharing_happens_in_a_large_population() -> None:
    keys = LeakKeys()
    factory = PersonFactory(random.Random("leak"), REALISTIC)
    for _ in range(60_000):
        keys.add(factory.person())
    others = other_people(PersonFactory(random.Random("roster"), REALISTIC), keys, 5_000)
    assert sum(keys.shares(p) for p in others) >= 5


def test_scale_corpus(tmp_path: Path) -> None:
    corpus = generate_scale_corpus(tmp_path / "s", 5000, seed=9, rosters=2, roster_rows=500, positives=3)
    labels = json.loads((tmp_path / "s" / "labels.json").read_text())
    assert sorted(labels) == sorted(corpus.documents) == sorted(p.name for p in (tmp_path / "s" / "docs").iterdir())
    with (tmp_path / "s" / "leak.csv").open(encoding="utf-8", newline="") as fh:
        leak = list(csv.DictReader(fh))
    assert len(leak) == 5000
    ids = {r["A-Number"].lstrip("A") for r in leak}
    by_date = _by_date(leak_people(5000, 9, REALISTIC))
    assert [v["kind"] for _, v in sorted(labels.items())] == ["roster"] * 2 + ["roster_with_leaked_rows"] * 3
    for name, label in sorted(labels.items()):
        info = corpus.documents[name]
        rows = list(csv.DictReader(io.StringIO((tmp_path / "s" / "docs" / name).read_text(encoding="utf-8"))))
        assert len(rows) == 500 + len(label["records"]) == info["rows"]
        assert len(label["records"]) == info["leaked_rows"] and 0 <= info["shared_rows"] <= 500
        text = " ".join(" ".join(r.values()) for r in rows)
        found = _nine_digit_runs(text) & ids
        assert len(found) == len(label["records"])  # the hidden rows carry their leaked IDs, the others their own
        assert found == {leak[r - 1]["A-Number"].lstrip("A") for r in label["records"]}
        named = {p.a_number for r in rows for p in _leaked_on_line(_norm(" | ".join(r.values())), by_date)}
        assert named == found  # only the hidden rows name a leaked person by full name and birth date
    assert [len(v["records"]) for _, v in sorted(labels.items())][2:] == [1, 2, 3]
    again = generate_scale_corpus(tmp_path / "t", 5000, seed=9, rosters=2, roster_rows=500, positives=3)
    assert _tree(tmp_path / "t") == _tree(tmp_path / "s") and again.documents == corpus.documents


# --- the monitor stream --------------------------------------------------------------------------------------------


def test_monitor_stream_mix_labels_and_determinism(tmp_path: Path) -> None:
    people = leak_people(1200, 8, REALISTIC)
    labels = monitor_stream(tmp_path / "m", 8, 2.0, people, max_doc=40_000)
    files = sorted((tmp_path / "m" / "docs").iterdir())
    assert sorted(f.name for f in files) == sorted(labels) and len(labels) >= 100
    assert 2_000_000 <= sum(f.stat().st_size for f in files) < 2_100_000
    full = len(labels) // 100 * 100  # every block of 100 documents holds the exact shares
    block = dict(list(sorted(labels.items()))[:full])
    assert sum(v["positive"] for v in block.values()) == full * MONITOR_REPOST_SHARE >= 0.02 * full
    assert sum(str(v["kind"]).startswith("roster") for v in block.values()) == full * MONITOR_ROSTER_SHARE
    office = sum(n.endswith((".pdf", ".xlsx")) for n in labels) / len(labels)
    assert 0.07 <= office <= 0.22
    ids = {p.a_number for p in people}
    for name, label in labels.items():
        if name.endswith(".pdf") and not label["positive"]:
            continue  # rosters made as the other formats' are; reading every PDF back is slow
        text = " ".join(_texts(name, (tmp_path / "m" / "docs" / name).read_bytes()))
        found = _nine_digit_runs(text) & ids
        if not label["positive"]:
            assert not found, (name, label["kind"])
            continue
        normed = _norm(text)
        for r in label["records"]:
            p = people[r - 1]
            assert p.a_number in found or all(w in normed for w in _name(p)), (name, label["kind"])
    small = monitor_stream(tmp_path / "n", 8, 0.5, people, max_doc=40_000)
    again = monitor_stream(tmp_path / "o", 8, 0.5, people, max_doc=40_000)
    assert small == again and _tree(tmp_path / "n") == _tree(tmp_path / "o")
