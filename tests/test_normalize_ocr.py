"""Normalization of what re-posters and OCR do to a table (issue 8, "Normalization").

* name particles: set aside only before the name they belong to; "DU", "LE" as a whole surname
  are names; "DE LA O" is one name, at registration and in documents;
* glued fields ("Esparta08/13/1960", "A946729635Mesa") read as their parts;
* OCR confusions: O/0 and l/I/1 inside ID and date runs, 1 and 0 inside names ("Ga1ván").

Each rule is checked on the leak's side and the document's, on generated people only, with the
compiled gate and without it (same verdicts, records and scores, Excel serial dates of
tests/test_excel_dates.py too), and against unrelated text (code, logs with hex and UUIDs,
product codes) that must stay clean.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import random
import re
import uuid
from pathlib import Path

import pytest
from fingerprints_support import KEY, synthetic_leak
from gate_support import needs_gate, outcome
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from test_excel_dates import _serial, _serial_csv

from fingerprints import gate
from fingerprints.gate import DocumentGate
from fingerprints.index import build_index
from fingerprints.keyed import Keyer
from fingerprints.matcher import TRANSLATE, DocumentMatch, Matcher
from fingerprints.normalize import RUN_PARTICLES, identifying_name_tokens
from fingerprints.tokens import (
    PARTICLE_RUN,
    join_particle_runs,
    mixed_eligible,
    name_readings,
    ocr_digits,
)
from tracker import leaks, store
from tracker.db import session_scope
from tracker.pipeline import Scanner
from tracker.settings import Settings
from tracker.synth import textfill

N, SEED = 2000, 11
#: Rows of the generated leak given surnames the particle rules are about.
SURNAMES = {0: "DE LA O MARTÍNEZ", 1: "DU", 2: "LE", 3: "DA", 4: "GALVÁN", 6: "DE LA O"}


@functools.lru_cache(maxsize=1)
def particle_leak() -> tuple[list[list[str]], list, Matcher]:
    """The generated leak of 2000 people with a few surnames of particles (``SURNAMES``)."""
    base = synthetic_leak(N, SEED)
    rows = [list(r) for r in base.rows]
    for i, last in SURNAMES.items():
        rows[i][0] = last
    keyer = Keyer(KEY)
    index = build_index(rows, base.columns, keyer)
    return rows, base.people, Matcher(index, keyer)


def records(doc: DocumentMatch) -> list[int]:
    return doc.record_ids if doc.verdict == "hit" else []


# --- particles ---------------------------------------------------------------------------------------

def test_particle_runs_before_a_letter_are_one_token() -> None:
    assert join_particle_runs("DE LA O, María") == "DE-LA-O, María"
    assert join_particle_runs("de la o\tx  De  La  O") == "de-la-o\tx  De  La  O"  # one space only
    assert join_particle_runs("de\tla o") == "de\tla-o"  # cells stay apart
    assert join_particle_runs("dé la o") == "dé la-o"  # "dé" is no particle
    assert join_particle_runs("de la oz, de la cruz, de l'o") == "de la oz, de la cruz, de l'o"
    assert join_particle_runs("A DE LA O") == "A DE-LA-O"
    tokens = join_particle_runs("María De La O 1988").encode().translate(TRANSLATE).split()
    assert tokens == [b"mar\xc3\xada", b"de-la-o", b"1988"]


@settings(max_examples=400, deadline=None)
@given(words=st.lists(st.sampled_from(["de", "DE", "La", "del", "van", "bint", "o", "O", "y", "x", "dé", "ol",
                                       "a-de", "de.", "1", " ", "  ", "\t", ",", "\n", "é"]), max_size=14))
def test_particle_runs_are_found_as_defined(words: list[str]) -> None:
    text = " ".join(words)
    assert join_particle_runs(text) == PARTICLE_RUN.sub(lambda m: m.group(0).replace(" ", "-"), text)
    assert len(join_particle_runs(text)) == len(text)


@needs_gate
@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(["de", "DE", "La", "del", "van", "o", "O", "y", "x", "dé", "1988-03-14"]),
                      max_size=10),
       seps=st.lists(st.sampled_from([" ", "  ", "\t", ", ", '"', " \n"]), min_size=10, max_size=10))
def test_the_gate_sees_every_particle_run_the_matcher_joins(words: list[str], seps: list[str]) -> None:
    """Whatever separates the words, each joined token of the matcher's tokens is one the gate
    asked Python about (or a token of the text itself)."""
    text = "".join(w + s for w, s in zip(words, seps))
    g, asked = _recording_gate()
    g.scan(text.encode(), gate.CSV_LINES)
    seen = set(asked) | set(text.lower().encode().translate(TRANSLATE).split())
    for tok in join_particle_runs(text).encode().translate(TRANSLATE).split():
        if b"-" in tok:
            assert tok in seen, (text, tok)


def test_particle_surnames_are_found() -> None:
    rows, people, m = particle_leak()
    for i in (0, 6):
        p = people[i]
        for last in ("DE LA O", "De La O", "de la o", "DELAO", "De-La-O"):
            doc = f"{last}, {p.first.title()}, {p.dob.isoformat()}\n"
            assert records(m.match(doc)) == [i + 1], (i, last)
    p = people[0]  # "DE LA O MARTÍNEZ" with the second surname dropped, and whole
    assert records(m.match(f"DE LA O, {p.first}, {p.dob:%Y-%m-%d}\n")) == [1]
    assert records(m.match(f"{p.first} DE LA O MARTINEZ {p.dob:%m/%d/%Y}\n")) == [1]
    lines = [f"{rows[i][0]}, {people[i].first}, {people[i].dob:%d.%m.%Y}" for i in (1, 2, 3)]
    assert records(m.match("\n".join(lines))) == [2, 3, 4]  # DU, LE, DA
    assert records(m.match(f"{people[1].first.title()} Du {people[1].dob:%m/%d/%Y}")) == [2]


def test_particles_the_leak_does_not_hold_as_names_are_no_names() -> None:
    """Particles before a name are set aside at registration; in documents only the leak's
    vocabulary makes a word a name, so "de la" of a Spanish text stays nothing."""
    _, people, m = particle_leak()
    info = m.tokens.classify
    assert info(b"du") is not None and info(b"le") is not None  # whole surnames of the leak
    assert info(b"del") is None and info(b"van") is None and info(b"los") is None
    base = synthetic_leak(N, SEED)
    cruz = [p for p in base.people if p.last.startswith("DE LA ")]
    assert cruz, "the generated leak has compound surnames with particles"
    assert identifying_name_tokens(cruz[0].last) == identifying_name_tokens(cruz[0].last[6:])
    p = cruz[0]
    assert records(base.matcher.match(f"{p.last[6:]}, {p.first}, {p.dob:%Y-%m-%d}")) == [base.people.index(p) + 1]


# --- glued fields and OCR ----------------------------------------------------------------------------

@pytest.mark.parametrize(("token", "eligible"), [
    ("esparta08/13/1960", True), ("a946729635mesa", True), ("mesa1988-03-14", True), ("a94672o635", True),
    ("l988-03-14", True), ("o8/13/196o", True), ("ga1van", True),
    ("a946729635", False),  # a prefixed ID: read as it is
    ("e29b", False), ("0x1f", False), ("a1b2c3d4", False), ("550e8400-e29b-41d4-a716-446655440000", False),
    ("5d41402abc4b2a76b9719d911017c592", False), ("2024-01-15t10", False), ("x86", False),
    ("00269bab", False), ("ab12345c", False), ("build000123", False),  # no number shaped like a date or an ID
    ("l99l-lo-2o", True), ("al6357o84o", True), ("mesa19880314", True),
])
def test_which_tokens_the_glued_and_ocr_rules_read(token: str, eligible: bool) -> None:
    assert mixed_eligible(token, 9) is eligible


def test_ocr_readings() -> None:
    assert ocr_digits("a94672o635") == "a946720635"
    assert ocr_digits("o8/13/196o") == "08/13/1960"
    assert ocr_digits("l988-03-14") == "1988-03-14"
    assert ocr_digits("gil1988-03-14") == "gil1988-03-14"  # a name's letters stay letters...
    assert ocr_digits("gil1988-03-14", edges=True) == "g111988-03-14"  # ...or not: both are read
    assert ocr_digits("al6357o84o", edges=True) == "a163570840"  # O, l, I ending a run of letters
    assert ocr_digits("trivedi08/3l/l993") == "trivedi08/31/1993"
    assert ocr_digits("mesa1988") == "mesa1988"
    assert ocr_digits("oliva08/13/196o") == "oliva08/13/1960"
    assert name_readings("ga1van") == ["galvan", "gaivan"]
    assert name_readings("r0drigo") == ["rodrigo"]
    assert name_readings("l10n") == [] and name_readings("ga2van") == []


def _ocr(text: str, rng: random.Random) -> str:
    """Some 0s as O and 1s as l or I, as OCR reads digits."""
    out = []
    for c in text:
        if c == "0" and rng.random() < 0.5:
            c = rng.choice("Oo")
        elif c == "1" and rng.random() < 0.5:
            c = rng.choice("lI")
        out.append(c)
    return "".join(out)


def _screenshot_lines(people: list, rng: random.Random) -> list[str]:
    """Rows of an OCR'd screenshot: fields glued together, O/0 and l/1 confused."""
    out = []
    for k, p in enumerate(people):
        last = p.last.split()[0].title()
        dob = _ocr(p.dob.strftime(rng.choice(["%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y"])), rng)
        number = _ocr("A" + p.a_number, rng)
        out.append([f"{p.first.title()} {last}{dob}", f"{number}{last} {p.first.title()} {dob}",
                    f"{last} {p.first} {number} {dob}", f"{last}{dob} {p.first} {number}"][k % 4])
    return out


def test_ocr_screenshots_are_found() -> None:
    leak = synthetic_leak(N, SEED)
    rng = random.Random(5)
    idx = [i for i in range(3, N, 97) if leak.people[i].last.split()[0].isascii()][:12]
    doc = "\n".join(_screenshot_lines([leak.people[i] for i in idx], rng))
    assert records(leak.matcher.match(doc)) == [i + 1 for i in idx]


def test_each_glued_and_ocr_form_is_read() -> None:
    leak = synthetic_leak(N, SEED)
    m = leak.matcher
    for i in (7, 507, 1007):
        p = leak.people[i]
        last, first = p.last.split()[0].title(), p.first.title()
        digits = p.a_number
        forms = [
            f"{first} {last}{p.dob:%m/%d/%Y}",           # Esparta08/13/1960
            f"A{digits}{last} {first}",                   # A946729635Mesa
            f"{first} {last}{p.dob:%Y-%m-%d}",           # Mesa1988-03-14
            f"{p.last} {first} A{digits.replace('0', 'O').replace('1', 'l')}",
            f"{p.last} {first} {p.dob:%Y-%m-%d}".replace("1", "l").replace("0", "O"),
        ]
        for doc in forms:
            assert records(m.match(doc)) == [i + 1], doc


def test_digits_inside_names_are_read_as_letters() -> None:
    rows, people, m = particle_leak()
    p = people[4]  # GALVÁN
    for name in ("Ga1ván", "GA1VAN", "Ga1van", "GALVAN"):
        assert records(m.match(f"{name}, {p.first}, {p.dob:%Y-%m-%d}")) == [5], name
    q = people[700]
    spelled = q.last.split()[0].replace("O", "0").replace("L", "1")
    if spelled != q.last.split()[0]:
        assert records(m.match(f"{spelled} {q.first} {q.dob:%m/%d/%Y}")) == [701]


def _code_and_logs(rng: random.Random, lines: int) -> str:
    out = [textfill.python_code(rng, lines // 4), textfill.log_text(rng, lines // 4)]
    for i in range(lines):
        h = "%032x" % rng.getrandbits(128)
        out.append(rng.choice([
            f"{dt.datetime(2024, 1, 1) + dt.timedelta(seconds=rng.randrange(10**7)):%Y-%m-%dT%H:%M:%S}Z "
            f"req={uuid.UUID(int=rng.getrandbits(128))} sha={h} took {rng.randrange(999)}ms",
            f"commit {h[:7]} build{rng.randrange(10**8):08d} v{rng.randrange(9)}.{rng.randrange(20)} "
            f"sku SKU-{rng.randrange(10**5):05d}-XL item{rng.randrange(10**6)} lot L{rng.randrange(10**6)}",
            f"0x{h[:8]} {h[8:16]} {h[:4]}-{h[4:8]} ipv4 sha256 utf8 md5={h} x86_64 base64 int32 {h[3:9]}ab",
            f"mesa{rng.randrange(1000)} garcia{rng.randrange(10**4)} page{rng.randrange(100)}.html "
            f"id=A{rng.randrange(10**9)} {rng.randrange(10**5)} 1{rng.choice('oli')}{rng.randrange(10**6)}",
        ]))
    return "\n".join(out)


def test_code_logs_hashes_and_product_codes_stay_clean() -> None:
    for seed in (1, 2, 3):
        doc = _code_and_logs(random.Random(seed), 1500)
        for leak_matcher in (synthetic_leak(N, SEED).matcher, particle_leak()[2]):
            got = leak_matcher.match(doc)
            assert got.verdict == "clean" and got.evidence < 2.0, (seed, got.evidence)


@pytest.mark.parametrize("kind", ["strangers", "namesakes"])
def test_glued_rosters_of_other_people_stay_clean(kind: str) -> None:
    """Other people (invented, or with leak names and their own birth dates and IDs), written
    glued and OCR'd: as clean as when they are written plainly."""
    from tracker.synth.people import outsider_name, random_dob

    leak = synthetic_leak(N, SEED)
    rng = random.Random(9)
    others = []
    for p in leak.people[::8]:
        if kind == "strangers":
            first, last = outsider_name(rng)
            p = dataclasses.replace(p, first=first, last=last)
        others.append(dataclasses.replace(p, dob=random_dob(rng), a_number=str(rng.randrange(10**8, 10**9))))
    plain = "\n".join(f"{p.first} {p.last} {p.dob:%m/%d/%Y} A{p.a_number}" for p in others)
    assert leak.matcher.match(plain).verdict == "clean"
    assert leak.matcher.match("\n".join(_screenshot_lines(others, rng))).verdict == "clean"


# --- the compiled gate: the same reading -------------------------------------------------------------

def _recording_gate(particles: bool = True, id_len: tuple[int, int] = (4, 12)):  # type: ignore[no-untyped-def]
    """A compiled gate with an empty vocabulary whose Python fallback records what it is asked."""
    from fingerprints.gate import _gate

    asked: list[bytes] = []

    def fallback(tok: bytes):  # type: ignore[no-untyped-def]
        asked.append(tok)
        return None

    g = _gate.Gate(key=bytes(range(32)), name_vocab=b"", id_vocab=b"", dob_vocab=b"", post_key=b"", months={},
                   id_len=id_len, dob_years=(1900, 2020), date_years=(0, -1), fallback=fallback, repeat_key=b"",
                   has_id_role=True, particles=sorted(RUN_PARTICLES) if particles else [])
    return g, asked


_TOKEN_ALPHABET = st.sampled_from(list("abcdefgilmnorstuvxz0123456789-/.'"))


@needs_gate
@settings(max_examples=600, deadline=None)
@given(tokens=st.lists(st.text(alphabet=_TOKEN_ALPHABET, min_size=1, max_size=20), min_size=1, max_size=8))
def test_the_gate_asks_python_about_every_token_the_new_rules_read(tokens: list[str]) -> None:
    """Every ASCII token of letters and digits that Python's glued-field and OCR rules read goes to
    Python (and no other mixed token: the C reading of those is exact)."""
    g, asked = _recording_gate()
    g.scan(" ".join(tokens).encode(), gate.LINES)
    for tok in tokens:
        core = tok.strip("-./'")
        mixed = any(c.isdigit() for c in tok) and any(c.isalpha() for c in tok)
        if mixed and len(tok) <= 64:
            assert (tok.encode() in asked) == mixed_eligible(core), tok


@needs_gate
def test_the_gate_asks_python_about_particle_runs() -> None:
    g, asked = _recording_gate()
    g.scan(b"Maria De La O 1988\nde,la o\n\"DE\" LA\tO x\nvon der de la los y\nde-la-o d'la.o\n", gate.CSV_LINES)
    assert b"de-la-o" in asked and b"la-o" in asked and b"de-la-o-x" not in asked
    assert b"von-der-de-la-los-y" in asked  # "y" is one letter; Python joins the last four particles
    assert b"der-de-la-los-y" in asked and b"los-y" in asked  # and runs that start later ("von  der")
    assert b"d'la.o" not in asked  # "d'la" is one part "dla": no particle before the "o"
    g2, asked2 = _recording_gate(particles=False)
    g2.scan(b"De La O", gate.LINES)
    assert asked2 == []


@needs_gate
def test_hex_uuids_and_logs_seldom_reach_python() -> None:
    """The gate keeps reading code and logs in C: few of their tokens go to Python."""
    g, asked = _recording_gate(id_len=(9, 9))  # a leak of A-numbers
    doc = _code_and_logs(random.Random(4), 3000).encode()
    g.scan(doc, gate.LINES)
    distinct = set(doc.translate(TRANSLATE).split())
    hexish = {t for t in distinct if re.fullmatch(rb"(0x)?[0-9a-f][0-9a-f.\-]*", t)}
    assert len(hexish) > 0.3 * len(distinct)
    assert not hexish.intersection(asked)  # hex, hashes, UUIDs: never
    # what the rules are for: numbers as OCR writes them, words glued to numbers as long as IDs
    other = {t for t in asked if not re.fullmatch(rb"[0-9oli]+|[a-z]+[0-9]{8,}", t)}
    assert len(other) < 0.01 * len(distinct), (len(other), len(distinct))


@needs_gate
def test_gated_and_full_scans_agree_on_every_new_rule(engine: Engine, settings_: Settings, tmp_path: Path) -> None:
    rows, people, _ = particle_leak()
    base = synthetic_leak(N, SEED)
    path = tmp_path / "leak.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(base.header)
        w.writerows(rows)
    leaks.add_leak(engine, settings_, Keyer(KEY), path, "particles")
    with session_scope(engine) as s:
        stored = store.list_leaks(s)
    gated = Scanner(engine, stored, Keyer(KEY), settings=settings_)
    full = Scanner(engine, stored, Keyer(KEY), settings=settings_, use_gate=False)
    rng = random.Random(3)
    filler = [f"log {i}: GET /page/{i} 200 in {i % 97} ms build{i:06d} sha {rng.getrandbits(64):016x}"
              for i in range(60)]

    def among(lines: list[str], cut: int = 30) -> bytes:
        return ("\n".join(filler[:cut] + lines + filler[cut:]) + "\n").encode()

    p0, p1, p4 = people[0], people[1], people[4]
    shots = _screenshot_lines([people[i] for i in range(40, 400, 60)], random.Random(8))
    docs = {
        "delao.txt": among([f"DE LA O, {p0.first.title()}, {p0.dob:%Y-%m-%d}"]),
        "delao-csv.csv": among([f"\"De La\nO\",{p0.first},{p0.dob:%m/%d/%Y}"]),
        "delao-quoted.csv": among([f"\"DE\" LA O,{p0.first},{p0.dob:%m/%d/%Y}"]),
        "du.txt": among([f"{p1.first} DU {p1.dob:%m/%d/%Y}", f"LE, {people[2].first}, {people[2].dob:%d.%m.%Y}"]),
        "galvan.txt": among([f"Ga1ván {p4.first} {p4.dob:%Y-%m-%d}"]),
        "shots.txt": among(shots),
        "shots-few.txt": among(shots[:1]),
        "shots.html": ("<html><body><p>" + "</p><p>".join(filler[:30] + shots + filler[30:])
                       + "</p></body></html>").encode(),
        "shots.json": ("[" + ",".join(f'{{"row": "{s}"}}' for s in filler + shots) + "]").encode(),
        "serial.csv": _serial_csv([people[i] for i in (30, 330, 630)]).encode(),
        "serial-in-filler.csv": ("Name,DOB,Note\n" + "".join(f"x{i},,{line}\n" for i, line in enumerate(filler))
                                 + "".join(f"{p.last} {p.first},{_serial(p.dob)},n\n"
                                           for p in (people[30], people[330]))).encode(),
        "code.txt": _code_and_logs(random.Random(1), 1500).encode(),
    }
    for name, data in docs.items():
        got = gated.scan_bytes(name, data, name=name)
        assert outcome(got) == outcome(full.scan_bytes(name, data, name=name)), name
        if name in ("delao.txt", "du.txt", "galvan.txt", "shots.txt", "serial.csv", "serial-in-filler.csv"):
            assert got[0].verdict == "hit", name
    assert gated.gated_clean >= 1  # the code and logs, at least, never needed the extractor


@needs_gate
def test_the_gate_and_the_matcher_read_mixed_tokens_alike() -> None:
    """A document of glued and OCR'd forms, leaked or not: every line the matcher takes a record
    from is a line the gate names."""
    rows, people, m = particle_leak()
    g = DocumentGate(m.index, m.keyer, m.tokens)
    rng = random.Random(17)
    lines = _screenshot_lines([people[i] for i in range(5, N, 150)], rng)
    lines += [f"{q.last.split()[0].title()}{q.dob:%m/%d/%Y} Zz{k:03d}" for k, q in enumerate(people[::200])]
    text = "\n".join(lines) + "\n"
    found = g.scan(text.encode(), gate.LINES)
    got = m.match(text)
    assert got.verdict == "hit" and found is not None
    covered = set()
    for start, end in found.ranges:
        covered.update(range(text.encode()[:start].count(b"\n"), text.encode()[:end].count(b"\n") + 1))
    assert {r.line for r in got.records} <= covered


class _Gated:
    """A leak as the prefilter sees it: its matcher and its compiled gate."""

    def __init__(self, m: Matcher) -> None:
        self.matcher = m
        self.gate = DocumentGate(m.index, m.keyer, m.tokens)


@functools.lru_cache(maxsize=1)
def _gated_particle_leak() -> _Gated:
    return _Gated(particle_leak()[2])


@st.composite
def _ocr_documents(draw: st.DrawFn) -> tuple[str, bytes]:
    """Rows of leaked people (and of others with their names) in every form the new rules read,
    among filler, as text, CSV, HTML or JSON."""
    rows, people, _ = particle_leak()
    rng = random.Random(draw(st.integers(0, 10**6)))
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        i = draw(st.sampled_from([0, 1, 2, 3, 4, 6, *range(7, N, 97)]))
        p = people[i]
        last = draw(st.sampled_from([rows[i][0], rows[i][0].title(), rows[i][0].split()[0]]))
        if draw(st.booleans()):
            last = last.replace("L", "1", 1).replace("O", "0", 1)
        dob = p.dob if draw(st.booleans()) else p.dob.replace(year=p.dob.year - 1)
        d = dob.strftime(draw(st.sampled_from(["%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y"])))
        number = "A" + p.a_number if draw(st.booleans()) else f"A{rng.randrange(10**8, 10**9)}"
        if draw(st.booleans()):
            d, number = _ocr(d, rng), _ocr(number, rng)
        sep = draw(st.sampled_from([" ", "", "  ", "\t", ", "]))
        fields = [last, p.first.title(), d, number]
        order = draw(st.permutations(range(4)))
        lines.append(sep.join(fields[k] for k in order[:draw(st.integers(2, 4))]))
    filler = [f"line {k}: build{k:08d} ok sha {rng.getrandbits(48):012x} de la {chr(97 + k % 26)}"
              for k in range(draw(st.integers(0, 80)))]
    cut = draw(st.integers(0, len(filler)))
    body = filler[:cut] + lines + filler[cut:]
    layout = draw(st.sampled_from(["text", "csv", "html", "json"]))
    if layout == "csv":
        return "doc.csv", ("name,born,id\n" + "\n".join(b.replace("\t", ",") for b in body)).encode()
    if layout == "html":
        return "doc.html", ("<html><body>" + "".join(f"<p>{b}</p>" for b in body) + "</body></html>").encode()
    if layout == "json":
        import json

        return "doc.json", json.dumps([{"row": b} for b in body]).encode()
    return "doc.txt", "\n".join(body).encode()


@needs_gate
@settings(max_examples=300, deadline=None)
@given(doc=_ocr_documents())
def test_a_document_the_gate_clears_is_clean_in_full(doc: tuple[str, bytes]) -> None:
    """The gate's soundness on documents of glued, OCR'd and particle forms: what it calls
    certainly clean, the extractor and the matcher find clean."""
    from tracker.extract import extract
    from tracker.prefilter import certainly_clean, text_view

    name, data = doc
    leak = _gated_particle_leak()
    view = text_view(data, name, None, None)
    if view is None or not certainly_clean(view, [leak]):
        return
    full = leak.matcher.match_parts([p.text for p in extract(data, name=name).parts])
    assert full.verdict == "clean" and full.evidence < 2.0, (name, full.evidence)

