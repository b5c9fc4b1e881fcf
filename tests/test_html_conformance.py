"""HTML as a conforming parser builds it: no text node lost, the gate and the full path agree.

The inputs are html5lib's tree-construction tests (tag soup on purpose: misnested tags,
unclosed heads, tables without rows, comments closed every wrong way), read from the shared
fixtures folder next to the repository (``<repo>/../shared/fixtures/html5lib-tree-construction``,
format in its README.md); they are not copied here. For each input:

* every text node of the expected ``#document`` tree appears in ``html_text``'s output, in
  tree order (whitespace aside: the extractor lays text out in lines and cells);
* with a leaked row of a small generated leak put into the input's text nodes, or appended to
  its markup, the gated scan (``tracker.prefilter``, then the full path unless the gate clears
  the page) and the full path (extract, then match) give the same verdict and records.

Then the pages the fuzzer found the old C renderer wrong on, each a hit through the gated path.
"""
from __future__ import annotations

import collections
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SyntheticLeak
from fingerprints_support import synthetic_leak
from gate_support import needs_gate, outcome
from sqlalchemy.engine import Engine

from fingerprints import gate
from fingerprints.gate import DocumentGate
from fingerprints.keyed import Keyer
from fingerprints.matcher import Matcher
from tracker import leaks, store
from tracker.db import session_scope
from tracker.errors import TrackerError
from tracker.extract import extract
from tracker.extract.html import html_text
from tracker.pipeline import Scanner
from tracker.prefilter import certainly_clean, text_view
from tracker.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "html5lib-tree-construction"
_ABSENT = f"html5lib tree-construction fixtures not found at {FIXTURES}"
DAT_FILES = sorted(FIXTURES.glob("*.dat")) if FIXTURES.is_dir() else []
_HEADINGS = {"data", "errors", "new-errors", "document-fragment", "document", "script-off", "script-on"}
#: Whitespace, and the marker characters the extractor reads as whitespace.
_SPACE = re.compile(r"[\s\x01-\x05]+")


@dataclass(frozen=True)
class Case:
    """One tree-construction test: its input and the text nodes of its expected document."""

    file: str
    number: int
    data: str
    texts: list[str]
    #: Why this input does not apply to ``html_text`` (a whole-document parser, scripting
    #: disabled as in lexbor), or ``None``.
    skip: str | None


def _tests(path: Path) -> Iterator[dict[str, str]]:
    """The sections of each test of a ``.dat`` file, as html5lib's own test runner reads them."""
    test: dict[str, str] = {}
    key = None
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        heading = line[1:].rstrip("\n") if line.startswith("#") else None
        if heading in _HEADINGS:
            if heading == "data" and test:
                yield test
                test = {}
            key = heading
            test[key] = ""
        elif key is not None:
            test[key] += line
    if test:
        yield test


def _text_nodes(document: str) -> list[str]:
    """The text nodes of a tree dump (``|   "text"`` lines; newlines in text are not escaped)."""
    nodes: list[str] = []
    current: list[str] | None = None
    for line in document.split("\n"):
        if current is not None:
            current.append(line)
            if line.endswith('"'):
                nodes.append("\n".join(current)[:-1])
                current = None
            continue
        found = re.match(r'\| +"(.*)$', line)
        if found:
            rest = found.group(1)
            if rest.endswith('"'):
                nodes.append(rest[:-1])
            else:
                current = [rest]
    return nodes


def _cases(path: Path) -> list[Case]:
    cases = []
    for number, test in enumerate(_tests(path), 1):
        data = test["data"][:-1] if test["data"].endswith("\n") else test["data"]  # the final newline is not data
        skip = None
        if "document-fragment" in test:
            skip = "fragment parsing (a context element): html_text parses whole documents"
        elif "script-on" in test:
            skip = "expected tree for scripting enabled; lexbor parses with scripting disabled"
        cases.append(Case(path.name, number, data, _text_nodes(test.get("document", "")), skip))
    return cases


def _all_cases() -> list[Case]:
    return [case for path in DAT_FILES for case in _cases(path)]


def _squeezed(text: str) -> str:
    return _SPACE.sub("", text)


def _missing_text(case: Case) -> str | None:
    """The first expected text node not found (in order) in the extractor's text, or ``None``."""
    out = _squeezed(html_text(case.data))
    at = 0
    for node in case.texts:
        want = _squeezed(node)
        if not want:
            continue
        found = out.find(want, at)
        if found < 0:
            return node
        at = found + len(want)
    return None


_FILES = [pytest.param(p, id=p.name) for p in DAT_FILES] or [pytest.param(None, marks=pytest.mark.skip(reason=_ABSENT))]


def test_the_fixtures_are_read() -> None:
    """The parser of the fixture format finds what the fixtures hold (guards the tests below)."""
    if not DAT_FILES:
        pytest.skip(_ABSENT)
    cases = _all_cases()
    assert len(cases) > 1500
    applicable = [c for c in cases if c.skip is None]
    assert len(applicable) > 1400
    assert sum(len(c.texts) for c in applicable) > 1000
    one = next(c for c in cases if c.file == "tests1.dat" and c.data == "<p>One<p>Two")
    assert one.texts == ["One", "Two"]
    assert any("\n" in text for c in cases for text in c.texts)  # multi-line text nodes are joined


@pytest.mark.parametrize("path", _FILES)
def test_no_text_node_of_the_conforming_tree_is_lost(path: Path) -> None:
    """Every text node html5lib expects, in its order, in the extractor's output: in the head,
    in scripts, styles, titles, text areas, template contents, foster-parented out of tables."""
    lost = [(c.number, c.data[:80], m[:40]) for c in _cases(path) if c.skip is None
            if (m := _missing_text(c)) is not None]
    assert not lost, f"{len(lost)} inputs of {path.name} lose text (test number, input, first lost text): {lost[:5]}"


# --- gate and full path on every input, with leaked rows put in ---------------------------------------------

@dataclass(frozen=True)
class _GatedLeak:
    matcher: Matcher
    gate: DocumentGate | None


@pytest.fixture(scope="module")
def small_leak() -> tuple[_GatedLeak, list[str]]:
    """A small generated leak (built once per module), and one text row per record: surname,
    first name, date of birth and ID, as a re-post would write them."""
    if not gate.available():
        pytest.skip("the compiled gate is not built")
    leak = synthetic_leak(200, 8)
    col = {h: i for i, h in enumerate(leak.header)}
    rows = [" ".join(r[col[h]] for h in ("Last Name", "First Name", "Date of Birth", "A-Number")) for r in leak.rows]
    return _GatedLeak(leak.matcher, DocumentGate(leak.index, leak.keyer, leak.matcher.tokens)), rows


def _with_rows(case: Case, rows: Iterator[str]) -> dict[str, tuple[str, list[str]]]:
    """The input with leaked rows put in, and the rows: into its first text node, into each of its
    first five text nodes (another record each), and appended to its markup."""
    row = next(rows)
    variants = {"appended": (case.data + " " + row, [row])}
    spots = []  # where text nodes end in the source: written there as they are, right after a tag
    at = 0
    for node in case.texts:
        found = case.data.find(node, at)
        while found > 0 and case.data[found - 1] != ">":
            found = case.data.find(node, found + 1)
        if _squeezed(node) and found >= 0:
            at = found + len(node)
            spots.append(at)
    if spots:
        first, row = spots[0], next(rows)
        variants["first text"] = (f"{case.data[:first]} {row} {case.data[first:]}", [row])
        pieces, put, last = [], [], 0
        for spot in spots[:5]:
            put.append(next(rows))
            pieces += [case.data[last:spot], f" {put[-1]} "]
            last = spot
        variants["each text"] = ("".join(pieces) + case.data[last:], put)
    return variants


def _verdicts(leak: _GatedLeak, data: bytes) -> tuple[tuple[str, list[int]], tuple[str, list[int]], bool]:
    """(gated, full, cleared): verdict and records of each path, as the scanner reports them.

    The gated path is the scanner's: the gate on ``text_view`` first, the full path unless the
    gate cleared the page (a clean verdict has no records to report; a page the extractor
    refuses is an ``error``, which the gate must not call clean).
    """
    name = "page.html"
    try:
        full_match = leak.matcher.match_parts([part.text for part in extract(data, name).parts])
        full = (full_match.verdict, full_match.record_ids if full_match.verdict == "hit" else [])
    except TrackerError:  # NULs in a short input: binary data, an error either way
        full = ("error", [])
    view = text_view(data, name, None, None)
    cleared = view is not None and certainly_clean(view, [leak])
    return (("clean", []) if cleared else full), full, cleared


@needs_gate
def test_gate_and_full_path_agree_with_leaked_rows_in_every_input(small_leak: tuple[_GatedLeak, list[str]]) -> None:
    """Every input, fragments and scripting-enabled ones included (each is a page all the same)."""
    if not DAT_FILES:
        pytest.skip(_ABSENT)
    leak, rows = small_leak
    cycle = (rows[i % len(rows)] for i in range(10**9))
    tally: collections.Counter[str] = collections.Counter()
    disagree = []
    for case in _all_cases():
        for variant, (page, put) in _with_rows(case, cycle).items():
            gated, full, cleared = _verdicts(leak, page.encode("utf-8"))
            if gated != full:
                disagree.append((case.file, case.number, variant, gated, full))
            if full[0] == "error":  # NULs: the extractor refuses the page as binary, the gate leaves it alone
                tally["error"] += 1
                continue
            text = _squeezed(html_text(page))
            read = all(_squeezed(row) in text for row in put)  # the rows landed in text, not in markup
            tally["pages"] += 1
            tally["cleared"] += cleared
            tally["read"] += read
            tally["read and hit"] += read and full[0] == "hit"
    assert not disagree, f"{len(disagree)} pages where the gate changes the verdict: {disagree[:5]}"
    # Not vacuous: most rows landed in text, where the matcher found them; the gate cleared pages.
    assert tally["read"] >= 0.9 * tally["pages"], tally
    assert tally["read and hit"] >= 0.99 * tally["read"], tally
    assert tally["cleared"] > 0, tally


# --- the pages the old C renderer got wrong --------------------------------------------------------------------

def _full(p: object) -> tuple[str, str, str, str]:
    """Surname, first name, date of birth and ID of a synthetic person."""
    return p.last_name.upper(), p.first_name, f"{p.dob:%m/%d/%Y}", p.a_number  # type: ignore[attr-defined]


def _cells(values: tuple[str, ...], td: str = "<td>") -> str:
    return "".join(f"{td}{value}</td>" for value in values)


#: Pages by shape, of two leaked people ``p`` and ``q`` (each row: surname, first name, birth date, ID).
REGRESSIONS = {
    "head never closed, no body": lambda p, q: (
        "<html><head><title>Leak</title>"
        f"<p>{p.last_name.upper()} {p.first_name.upper()} {p.dob:%Y-%m-%d}</p>"
        f"<p>{q.last_name.upper()} {q.first_name.upper()} {q.dob:%Y-%m-%d}</p><p>more soon</p></html>"),
    "rows and cells without a table": lambda p, q: (
        f"<div><p>copied:</p><tr>{_cells(_full(p))}</tr><tr>{_cells(_full(q))}</tr></div><p>end</p>"),
    "cells with attributes without a table": lambda p, q: (
        f"<div><TR class=r>{_cells(_full(p), '<TD class=c>')}</TR><tr>{_cells(_full(q), '<td style=x>')}</tr></div>"),
    "quote inside a tag name <p\">": lambda p, q: (
        f'<div><p">intro</p>{" ".join(_full(p))}<p>{" ".join(_full(q))}</p></div>'),
    "quote inside a tag name <a\">": lambda p, q: (
        f'<div><a">see</a>{" ".join(_full(p))}<br>{" ".join(_full(q))}</div>'),
    "stray <d before a row": lambda p, q: (
        f"<div><d<tr>{_cells(_full(p))}</tr><tr>{_cells(_full(q))}</tr></div>"),
    "comment closed with --!>": lambda p, q: (
        f"<!-- hidden --!>{' '.join(_full(p))}<p>{' '.join(_full(q))}</p>"),
    "comment written <!--->": lambda p, q: (
        f"<p>list</p><!---><table><tr>{_cells(_full(p))}</tr><tr>{_cells(_full(q))}</tr></table>"),
    "re-post in the title and a script": lambda p, q: (
        f"<html><head><title>{' '.join(_full(p))}</title><script>var rows = [\n"
        + "".join(f'  ["{a}", "{b}", "{c}", "{d}"],\n' for a, b, c, d in (_full(p), _full(q)))
        + "];</script></head><body><p>nothing to see</p></body></html>"),
    "re-post in noscript and template": lambda p, q: (
        f"<p>x</p><noscript><table><tr>{_cells(_full(p))}</tr></table></noscript>"
        f"<template><table><tr>{_cells(_full(q))}</tr></table><template><p>{' '.join(_full(p))}</p></template></template>"),
}


@needs_gate
@pytest.mark.parametrize("shape", list(REGRESSIONS))
def test_tag_soup_that_hid_reposts_is_a_hit_through_the_gate(
        shape: str, engine: Engine, settings_: Settings, synthetic_leak: SyntheticLeak) -> None:
    leaks.add_leak(engine, settings_, Keyer(bytes(range(32))), synthetic_leak.path, "demo")
    with session_scope(engine) as s:
        rows = store.list_leaks(s)
    gated = Scanner(engine, rows, Keyer(bytes(range(32))), settings=settings_)
    full = Scanner(engine, rows, Keyer(bytes(range(32))), settings=settings_, use_gate=False)
    p, q = synthetic_leak.people[2], synthetic_leak.people[9]
    data = REGRESSIONS[shape](p, q).encode("utf-8")
    got = gated.scan_bytes("page", data, name="page.html")
    assert got[0].verdict == "hit", shape
    assert outcome(got) == outcome(full.scan_bytes("page", data, name="page.html"))
    assert gated.gated_clean == 0
