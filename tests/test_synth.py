"""Synthetic data: deterministic, invented, and labelled truthfully.

The label checks read the generated plaintext back (fine here: every value is invented)
and verify that each positive document really names its listed records by at least two
identifying fields, and that no line of a negative document names any leaked person by two.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader
from python_calamine import CalamineWorkbook

from tracker.synth import (
    KINDS,
    LEAK_HEADER,
    NEGATIVE_KINDS,
    POSITIVE_KINDS,
    CorpusStyle,
    generate_corpus,
    generate_leak,
    leak_people,
    paste_stream,
    write_leak_csv,
    write_leak_xlsx,
)
from tracker.synth.guard import name_tokens
from tracker.synth.people import AORS, COUNTRIES, FACILITIES, OUTSIDER_FIRST, OUTSIDER_LAST, POOLS
from tracker.synth.perturb import DATE_FORMATS, strip_accents, typo

N_LEAK = 240
SEED = 11


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("corpus")
    return out, generate_corpus(out, SEED, n_leak=N_LEAK)


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# --- text of a generated document (the test's own reader, independent of tracker.extract) ----------------


def _texts(name: str, data: bytes) -> list[str]:
    if name.endswith(".gz"):
        return _texts(name[:-3], gzip.decompress(data))
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [t for n in archive.namelist() for t in _texts(n, archive.read(n))]
    if name.endswith(".xlsx"):
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return ["\n".join(",".join(str(c) for c in row) for row in book.get_sheet_by_name(s).to_python())
                for s in book.sheet_names]
    if name.endswith(".pdf"):
        return ["\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)]
    text = data.decode("utf-8-sig")
    if name.endswith(".json"):
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return [text]


def _norm(text: str) -> str:
    text = re.sub(r"<[^>]+>", " ", text).replace("&#x27;", "'").replace("&amp;", "&")
    return " ".join(strip_accents(text).casefold().split())


def _dates(d: dt.date) -> set[str]:
    return {f(d).casefold() for f in DATE_FORMATS.values()}


def _fields_found(text: str, squeezed: str, words: set[str], person) -> int:
    """How many identifying fields of ``person`` the (normalized) text holds: name, DOB, ID."""
    last = name_tokens("", person.last)
    first = name_tokens(person.first, "")
    name = bool(last) and last <= words or bool(first) and first <= words and bool(last & words)
    dob = any(d in text for d in _dates(person.dob))
    return name + dob + (person.a_number in squeezed)


def _weak_free_words(line: str) -> set[str]:
    for value in sorted((*FACILITIES, *AORS, *COUNTRIES), key=len, reverse=True):
        line = line.replace(_norm(value), " ")
    return set(re.findall(r"[^\W_]+", line))


# --- tests ---------------------------------------------------------------------------------------------


def test_leak_is_deterministic_invented_and_well_formed(tmp_path: Path) -> None:
    header, rows = generate_leak(500, 3)
    assert header == list(LEAK_HEADER)
    assert generate_leak(500, 3) == (header, rows)
    assert len(rows) == 500 and all(len(r) == len(header) for r in rows)
    col = {h: i for i, h in enumerate(header)}
    ids = [r[col["A-Number"]] for r in rows]
    assert len(set(ids)) == 500 and all(re.fullmatch(r"A\d{9}", i) for i in ids)
    dobs = [dt.datetime.strptime(r[col["Date of Birth"]], "%m/%d/%Y").date() for r in rows]
    assert all(dt.date(1940, 1, 1) <= d <= dt.date(2006, 12, 31) for d in dobs)
    assert {r[col["Gender"]] for r in rows} == {"M", "F"}
    assert {r[col["Detention Facility"]] for r in rows} <= set(FACILITIES)
    assert len({r[col["Case Status"]] for r in rows}) == 8
    assert len({(r[col["Last Name"]], r[col["First Name"]], r[col["Date of Birth"]]) for r in rows}) == 500
    # the country of citizenship comes from the same pool as the name
    for person in leak_people(300, 3):
        pool = next(p for p in POOLS if p.region == person.region)
        assert person.country in {c for c, _ in pool.countries}
        assert any(s in person.last for s in pool.surnames)
    # a multinational mix, with the characters a normaliser has to cope with
    text = "".join(r[col["Last Name"]] + r[col["First Name"]] for r in rows)
    assert len({r[col["Country of Citizenship"]] for r in rows}) >= 12
    for ch in "ÁÉÍÓÚÑÇÃŞĞİÜ":
        assert ch in text, ch
    assert any(" DE LA " in f" {r[0]} " or r[0].startswith(("DE ", "DEL ", "DA ", "DOS ")) for r in rows)


def test_other_seed_other_people() -> None:
    a = {(p.last, p.first, p.dob) for p in leak_people(300, 1)}
    b = {(p.last, p.first, p.dob) for p in leak_people(300, 2)}
    assert len(a & b) <= 1


def test_outsider_names_never_collide_with_detainee_pools() -> None:
    pool_tokens = set().union(*(name_tokens(" ".join(p.male + p.female), " ".join(p.surnames)) for p in POOLS))
    outsiders = name_tokens(" ".join(OUTSIDER_FIRST), " ".join(OUTSIDER_LAST))
    assert not outsiders & pool_tokens


def test_leak_files_csv_and_xlsx(tmp_path: Path) -> None:
    csv_path = write_leak_csv(tmp_path / "leak.csv", 120, 5)
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(LEAK_HEADER) and len(lines) == 121
    first = (tmp_path / "a.xlsx", tmp_path / "b.xlsx")
    for path in first:
        write_leak_xlsx(path, 120, 5)
    assert first[0].read_bytes() == first[1].read_bytes()
    book = CalamineWorkbook.from_path(str(first[0]))
    assert len(book.sheet_names) == 2
    sheet1, sheet2 = (book.get_sheet_by_name(s).to_python() for s in book.sheet_names)
    assert "synthetic" in str(sheet1[0][0]).lower()  # title rows above the header
    header_at = next(i for i, r in enumerate(sheet1) if r[0] == "Last Name")
    assert header_at >= 2
    data = [r for r in sheet1[header_at + 1:] + sheet2[1:] if any(r)]
    assert len(data) == 120
    assert [list(map(str, r)) for r in data] == generate_leak(120, 5)[1]


def test_corpus_same_seed_same_bytes_other_seed_other_docs(corpus, tmp_path: Path) -> None:
    out, _ = corpus
    again = tmp_path / "again"
    generate_corpus(again, SEED, n_leak=N_LEAK)
    assert _tree(again) == _tree(out)
    other = tmp_path / "other"
    generate_corpus(other, SEED + 1, n_leak=N_LEAK, styles=["subset_csv", "other_roster"])
    assert (other / "leak.csv").read_bytes() != (out / "leak.csv").read_bytes()
    assert {v["kind"] for v in json.loads((other / "labels.json").read_text()).values()} == {
        "subset_csv", "other_roster"}


def test_labels_format_and_every_kind(corpus) -> None:
    out, labels = corpus
    assert json.loads((out / "labels.json").read_text(encoding="utf-8")) == labels
    assert sorted(p.name for p in (out / "docs").iterdir()) == sorted(labels)
    assert set(Counter(v["kind"] for v in labels.values())) == set(KINDS)
    for name, label in labels.items():
        assert re.fullmatch(r"doc\d{4}\.[a-z.]+", name)
        assert set(label) == {"positive", "kind", "records"}
        assert label["positive"] == (label["kind"] in POSITIVE_KINDS)
        records = label["records"]
        assert records == sorted(set(records)) and all(1 <= r <= N_LEAK for r in records)
        assert bool(records) == label["positive"]
    full = [v for v in labels.values() if v["kind"] in ("full_csv", "full_xlsx")]
    assert all(v["records"] == list(range(1, N_LEAK + 1)) for v in full)
    sizes = [len(v["records"]) for v in labels.values() if v["positive"]]
    assert min(sizes) <= 3 and max(sizes) == N_LEAK  # from a single record to the whole leak


def test_positive_documents_name_their_records(corpus) -> None:
    out, labels = corpus
    people = leak_people(N_LEAK, SEED)
    for name, label in labels.items():
        if not label["positive"]:
            continue
        text = _norm(" ".join(_texts(name, (out / "docs" / name).read_bytes())))
        squeezed = re.sub(r"[\s\-]", "", text)
        words = set(re.findall(r"[^\W_]+", text))
        found = [_fields_found(text, squeezed, words, people[r - 1]) for r in label["records"]]
        if label["kind"] == "perturbed_csv":  # typos may hide a name; the other fields stay
            assert min(found) >= 1 and sum(f >= 2 for f in found) >= 0.6 * len(found), name
        else:
            assert min(found) >= 2, (name, label["kind"])


def test_negative_documents_never_name_a_leaked_person_twice(corpus) -> None:
    out, labels = corpus
    people = leak_people(N_LEAK, SEED)
    by_date: dict[str, list[int]] = {}
    for i, p in enumerate(people):
        for d in _dates(p.dob):
            by_date.setdefault(d, []).append(i)
    by_id = {p.a_number: i for i, p in enumerate(people)}
    dates_re = re.compile("|".join(re.escape(d) for d in sorted(by_date, key=len, reverse=True)))
    tokens = [name_tokens(p.first, p.last) for p in people]
    checked = 0
    for name, label in labels.items():
        if label["positive"]:
            continue
        for raw in "\n".join(_texts(name, (out / "docs" / name).read_bytes())).splitlines():
            line = _norm(raw)
            words = _weak_free_words(line)
            for i in {i for d in dates_re.findall(line) for i in by_date[d]}:
                assert not tokens[i] & words, (name, label["kind"])
            for number in re.findall(r"\d{9}", re.sub(r"(?<=\d)[\s\-](?=\d)", "", line)):
                i = by_id.get(number)
                if i is not None:
                    assert not tokens[i] & words and not _dates(people[i].dob) & set(dates_re.findall(line))
            checked += 1
    assert checked > 1000


def test_namesakes_and_recombined_rows_use_leaked_values(corpus) -> None:
    """The hard negatives are hard: they do carry leaked names, dates and IDs, just never together."""
    out, labels = corpus
    people = leak_people(N_LEAK, SEED)
    ids = {p.a_number for p in people}
    surnames = {_norm(p.last) for p in people}
    recombined = " ".join(_norm(" ".join(_texts(n, (out / "docs" / n).read_bytes())))
                          for n, v in labels.items() if v["kind"] == "recombined_rows")
    assert sum(i in re.sub(r"[\s\-]", "", recombined) for i in ids) >= 5
    namesakes = " ".join(_norm((out / "docs" / n).read_text(encoding="utf-8"))
                         for n, v in labels.items() if v["kind"] == "name_collisions")
    assert sum(s in namesakes for s in surnames) >= 5


def test_perturbations_are_present(corpus) -> None:
    out, labels = corpus
    text = "\n".join((out / "docs" / n).read_text(encoding="utf-8") for n, v in labels.items()
                     if v["kind"] == "perturbed_csv")
    assert re.search(r"\b\d{4}-\d\d-\d\d\b", text)  # ISO dates
    assert re.search(r"\b\d\d\.\d\d\.\d{2,4}\b", text)  # dotted
    assert re.search(r"(January|February|March|April|May|June|July|August|September|October|November|December)",
                     text)
    assert re.search(r"\bA-\d{3}-\d{3}-\d{3}\b", text)  # dashed IDs
    assert re.search(r"[a-z]{4}", text)  # lower-cased names


def test_typo_changes_one_or_two_letters() -> None:
    import random

    rng = random.Random(1)
    for _ in range(200):
        word = rng.choice(["HERNÁNDEZ", "KOVALENKO", "YILDIRIM", "NASCIMENTO"])
        changed = typo(word, rng, edits=1)
        assert changed != word or len(set(word)) < len(word)
        assert abs(len(changed) - len(word)) <= 1


def test_styles() -> None:
    a, b = CorpusStyle.varied(101), CorpusStyle.varied(202)
    assert a != b and a == CorpusStyle.varied(101)
    assert set(a.counts) == set(KINDS) and a.counts["full_csv"] == 1
    with pytest.raises(ValueError, match="unknown corpus kinds"):
        CorpusStyle().only(["full_csv", "nonsense"])
    assert set(NEGATIVE_KINDS) | set(POSITIVE_KINDS) == set(KINDS)


def test_paste_stream(tmp_path: Path) -> None:
    _, rows = generate_leak(300, 9)
    labels = paste_stream(tmp_path / "s", 9, 3.0, rows)
    files = sorted((tmp_path / "s" / "docs").iterdir())
    total = sum(f.stat().st_size for f in files)
    assert 3_000_000 <= total < 3_300_000
    assert sorted(f.name for f in files) == sorted(labels)
    assert json.loads((tmp_path / "s" / "labels.json").read_text()) == labels
    kinds = Counter(v["kind"] for v in labels.values())
    assert {"prose", "web_page", "paste_py", "paste_log", "other_roster"} <= set(kinds)
    assert {f.suffix for f in files} >= {".txt", ".html", ".csv"}
    for name, label in labels.items():
        if label["positive"]:
            text = (tmp_path / "s" / "docs" / name).read_text(encoding="utf-8")
            assert all(",".join(rows[r - 1]) in text for r in label["records"])
    again = paste_stream(tmp_path / "t", 9, 3.0, rows)
    assert again == labels and _tree(tmp_path / "t") == _tree(tmp_path / "s")
    assert paste_stream(tmp_path / "u", 9, 0.2) and not any(
        v["positive"] for v in json.loads((tmp_path / "u" / "labels.json").read_text()).values())
