"""The compiled gate: same fingerprints as the Python side, same verdicts as the full path."""
from __future__ import annotations

import codecs
import collections
import csv
import dataclasses
import html
import json
import random
from pathlib import Path

import pytest
from conftest import SyntheticLeak
from fingerprints_support import synthetic_leak as support_leak
from gate_support import needs_gate, outcome
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from fingerprints import gate
from fingerprints.gate import DocumentGate
from fingerprints.keyed import Keyer
from fingerprints.matcher import TRANSLATE
from tracker import leaks, store
from tracker.db import session_scope
from tracker.extract import extract
from tracker.extract.html import html_text
from tracker.pipeline import Scanner
from tracker.prefilter import certainly_clean, text_view
from tracker.settings import Settings
from tracker.synth import CorpusStyle, generate_corpus

KEY = bytes(range(32))


def _empty_gate(key: bytes = KEY, months: dict[str, int] | None = None):  # type: ignore[no-untyped-def]
    """A compiled gate with an empty vocabulary: nothing can match it."""
    from fingerprints.gate import _gate

    return _gate.Gate(key=key, name_vocab=b"", id_vocab=b"", dob_vocab=b"", post_key=b"", months=months or {},
                      id_len=(4, 12), dob_years=(1900, 2020), date_years=(0, -1),
                      fallback=lambda tok: ((), False, (), 0, 0), repeat_key=b"", has_id_role=True)


def test_the_compiled_gate_is_built_where_a_compiler_is() -> None:
    """The C module is optional at install; on a machine with a C compiler a failed build is a bug."""
    import shutil
    import sysconfig

    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}) here: scanning runs without the gate")
    assert gate.available(), "fingerprints/_gate.c was not built: run `pip install -e .` and read its output"


def _scanners(engine: Engine, settings_: Settings, leak_csv: Path) -> tuple[Scanner, Scanner]:
    leaks.add_leak(engine, settings_, Keyer(KEY), leak_csv, "demo")
    with session_scope(engine) as s:
        rows = store.list_leaks(s)
    return (Scanner(engine, rows, Keyer(KEY), settings=settings_),
            Scanner(engine, rows, Keyer(KEY), settings=settings_, use_gate=False))


def _tokens(text: str) -> list[bytes]:
    return text.encode("utf-8").translate(TRANSLATE).split()


# --- fingerprints -----------------------------------------------------------------------------------------

@needs_gate
@settings(max_examples=300, deadline=None)
@given(domain=st.sampled_from(["name", "id", "dob"]), value=st.text(min_size=1, max_size=300))
def test_the_c_fingerprint_is_the_keyers(domain: str, value: str) -> None:
    """BLAKE2b in C (key block, personalisation, several message blocks) gives Keyer.h64's values."""
    assert _empty_gate().h64(domain, value.encode("utf-8")) == Keyer(KEY).h64(domain.encode(), value)


# --- HTML: the extractor's text ---------------------------------------------------------------------------------------------

PAGES = [
    "<html><head><title>Title words</title><style>td {color: red}</style></head><body>"
    "<h1>Leaked list</h1><p>Copied from <b>the</b> site&nbsp;today &amp; posted.</p>"
    "<table><tr><th>Name</th><th>Born</th></tr>"
    "<tr><td>Jos&eacute; Garc&#237;a</td><td>03/14/1988</td></tr>"
    "<tr>\n  <td>O&#39;Brien,\n   Ana</td>\n  <td><div>1990-01-02</div><p>A 277 958 520</p></td>\n</tr>"
    "</table><script>var rows = '<tr><td>not text</td></tr>';</script>"
    "<ul><li>first <i>it</i>em</li><li>Gar<span>cia</span> second</li></ul>"
    "<pre>line one\nline two\r\nline three</pre><!-- a <p> comment --><div>tail</div></body></html>",
    "<div style='white-space: pre'>kept\nlines</div><table><tr><td>outer<table><tr><td>inner</td></tr>"
    "</table>after</td></tr></table><p>&unknownentity; &#x41;&#66;C</p>",
    "plain <b>bold</b> text<br>next line<br/><br>third &lt;not a tag&gt; x < y",
    "<p>a</p><textarea>x <b>y</b>\n<p>z &eacute; &eacutex</p></textarea><p>Jos&eacute G&eacutearcia &amp &ampx"
    " &notit; &copy2</p><xmp>u <i>v</i> &amp;</xmp><table><tr><td><textarea>in\na cell</textarea></td></tr></table>w",
]


@pytest.mark.parametrize("page", PAGES)
def test_the_gate_reads_html_exactly_as_the_extractor_does(page: str) -> None:
    """The text the gate scans of a page is the full path's text of it, byte for byte: the same
    decoding (with or without a byte-order mark), the same ``html_text``, the same lines."""
    for data, name, content_type in [(page.encode("utf-8"), "page.html", None),
                                     (codecs.BOM_UTF8 + page.encode("utf-8"), "page.html", None),
                                     (page.encode("utf-8"), "https://example.org/p?id=1", "text/html; charset=utf-8"),
                                     (page.encode("ascii", "xmlcharrefreplace"), "page.htm", None)]:
        view = text_view(data, name, content_type, None)
        assert view is not None and view.kind == "html"
        extracted = extract(data, name, content_type)
        assert extracted.kind == "html"
        assert view.text == extracted.parts[0].text.encode("utf-8")


def test_there_is_one_html_layout() -> None:
    """No second HTML renderer to disagree with the extractor: the compiled module has none."""
    assert not hasattr(gate, "render_html")
    if gate.available():
        from fingerprints.gate import _gate
        assert not hasattr(_gate, "render_html") and not hasattr(_gate, "set_entities")


@needs_gate
def test_html_excerpts_are_whole_lines_of_the_extractors_text() -> None:
    """What the matcher is handed of a page are lines of the page's extracted text, unchanged."""
    leak = support_leak(200, 8)
    compiled = DocumentGate(leak.index, leak.keyer, leak.matcher.tokens)
    cells = ["<td>" + "</td><td>".join(row[:4]) + "</td>" for row in leak.rows[:3]]
    filler = ["".join(f"<p>paragraph {i} of part {part}, nothing in it</p>" for i in range(200)) for part in range(3)]
    page = (f"<html><head><title>t</title></head><body>{filler[0]}<table><tr>{cells[0]}</tr>"
            f"<tr>{cells[1]}</tr></table>{filler[1]}<ul><li>{cells[2]}</li></ul>{filler[2]}</body></html>")
    view = text_view(page.encode("utf-8"), "page.html", None, None)
    assert view is not None
    found = compiled.scan(view.text, gate.LINES)
    assert found is not None and len(found.ranges) == 2
    lines = html_text(page).split("\n")
    excerpts = [[line for line in excerpt.split("\n") if line]  # html_text has no blank lines
                for excerpt in view.excerpts(found.ranges).split("\n\n\n")]
    assert len(excerpts) == 2
    for got in excerpts:
        start = lines.index(got[0])
        assert lines[start:start + len(got)] == got


@needs_gate
def test_rendered_json_decodes_escapes() -> None:
    doc = json.dumps([{"name": "José García\nÁlvarez", "path": "a/b"}], ensure_ascii=True)
    assert "\\u00e9" in doc
    assert _tokens(gate.render_json(doc.encode()).decode("utf-8")) == _tokens(
        'name José García Álvarez path a/b')


# --- verdicts -----------------------------------------------------------------------------------------------

@needs_gate
def test_documents_are_cleared_without_extraction_and_hits_still_found(
        engine: Engine, settings_: Settings, synthetic_leak: SyntheticLeak, tmp_path: Path) -> None:
    gated, full = _scanners(engine, settings_, synthetic_leak.path)
    people = synthetic_leak.people
    p, q = people[3], people[5]
    docs = {
        "unrelated.txt": b"\n".join(b"log line %d: GET /index.html 200 10.0.0.%d 2024-01-15" % (i, i % 250)
                                   for i in range(2000)),
        "table.html": synthetic_leak.repost_html(tmp_path / "t.html", [1, 2, 3]).read_bytes(),
        "csv.csv": synthetic_leak.repost_csv(tmp_path / "r.csv", [4, 6, 8]).read_bytes(),
        "entities.html": (f"<table><tr><td>{html.escape(p.first_name[0])}&#{ord(p.first_name[1])};"
                          f"{p.first_name[2:]} {p.last_name}</td><td>{p.dob:%Y-%m-%d}</td>"
                          f"<td>{p.a_number}</td></tr></table>").encode(),
        "escaped.json": json.dumps({"rows": [f"{p.last_name}\n{p.first_name}", f"{p.dob:%d.%m.%Y}",
                                              p.a_number]}).encode(),
        "wrapped.txt": (f"notes\n{q.last_name} {q.first_name}\nborn {q.dob:%m/%d/%Y} in the north\nend\n").encode(),
        "quoted.csv": (f'name,born,id\n"{q.last_name},\n{q.first_name}","{q.dob:%Y-%m-%d}",x\n').encode(),
        "grouped.txt": (f"{q.last_name} {q.first_name} A {q.a_number[1:4]} {q.a_number[4:7]} "
                        f"{q.a_number[7:]}\n").encode(),
        "utf16.txt": f"{q.last_name} {q.first_name} {q.dob:%Y-%m-%d} {q.a_number}\n".encode("utf-16"),
    }
    for name, data in docs.items():
        before = gated.gated_clean
        assert outcome(gated.scan_bytes(name, data, name=name)) == outcome(full.scan_bytes(name, data, name=name))
        if name == "unrelated.txt":
            assert gated.gated_clean == before + 1
    results = {name: full.scan_bytes(name, data, name=name)[0].verdict for name, data in docs.items()}
    assert results["unrelated.txt"] == "clean"
    assert all(v == "hit" for k, v in results.items() if k not in ("unrelated.txt",)), results


@needs_gate
def test_lists_of_weak_matches_pass_the_gate(
        engine: Engine, settings_: Settings, synthetic_leak: SyntheticLeak) -> None:
    """IDs alone, names alone, names with weak fields: the matcher's hits, so never cleared unread."""
    gated, full = _scanners(engine, settings_, synthetic_leak.path)
    people = synthetic_leak.people[:30]
    docs = {
        "ids.txt": "\n".join(f"A{p.a_number}" for p in people).encode(),
        "names.txt": "\n".join(f"{n}. {p.first_name.title()} {p.last_name.title()}"
                               for n, p in enumerate(people, 1)).encode(),
        "names.html": ("<ul>" + "".join(f"<li>{p.last_name}, {p.first_name}</li>" for p in people)
                       + "</ul>").encode(),
        "weak.json": json.dumps([{"name": f"{p.first_name} {p.last_name}", "country": p.country}
                                 for p in people]).encode(),
    }
    for name, data in docs.items():
        assert outcome(gated.scan_bytes(name, data, name=name)) == outcome(full.scan_bytes(name, data, name=name))
        assert full.scan_bytes(name, data, name=name)[0].verdict == "hit", name
    assert gated.gated_clean == 0


@needs_gate
def test_a_roster_of_other_people_is_cleared_by_the_gate(
        engine: Engine, settings_: Settings, synthetic_leak: SyntheticLeak) -> None:
    """People who share first names and birth dates with the leak, with IDs of their own."""
    gated, full = _scanners(engine, settings_, synthetic_leak.path)
    rows = [f"Zz{i:04d}x, {p.first_name}, {p.dob:%Y-%m-%d}, A{900000000 + i}"
            for i, p in enumerate(synthetic_leak.people * 5)]
    data = ("\n".join(rows) + "\n").encode()
    assert outcome(gated.scan_bytes("roster", data, name="r.csv")) == outcome(
        full.scan_bytes("roster", data, name="r.csv"))
    assert gated.gated_clean == 1


@needs_gate
@pytest.mark.parametrize("seed", [11, 23])
def test_the_gate_changes_no_verdict_on_generated_corpora(
        seed: int, engine: Engine, settings_: Settings, tmp_path: Path) -> None:
    """Every document of a varied generated corpus: the same verdict, records and score."""
    corpus = tmp_path / "corpus"
    generate_corpus(corpus, seed, n_leak=400, styles=CorpusStyle.varied(seed))
    gated, full = _scanners(engine, settings_, corpus / "leak.csv")
    files = sorted((corpus / "docs").iterdir())
    for file in files:
        data = file.read_bytes()
        assert outcome(gated.scan_bytes(file.name, data, name=file.name)) == outcome(
            full.scan_bytes(file.name, data, name=file.name)), file.name
    labels = json.loads((corpus / "labels.json").read_text())
    assert gated.gated_clean >= sum(1 for v in labels.values() if not v["positive"]) // 2


@needs_gate
def test_bad_input_to_the_gate_is_refused_cleanly() -> None:
    with pytest.raises(ValueError, match="16 to 64 bytes"):
        _empty_gate(key=b"short")
    view = text_view(b"<script>only</script>", "page.html", None, None)
    assert view is not None and view.text == html_text("<script>only</script>").encode()


# --- generated re-posts ---------------------------------------------------------------------------------

_DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%d/%m/%Y", "%B %d, %Y", "%d %B %Y", "%Y%m%d", "%d-%b-%Y"]
_INLINE = ["b", "i", "span", "em", "a href='#'"]


def _id_form(number: str, form: int) -> str:
    digits = number[1:]
    return [number, f"A-{digits[:3]}-{digits[3:6]}-{digits[6:]}", f"{digits[:3]} {digits[3:6]} {digits[6:]}",
            digits, f"A {digits[:3]} {digits[3:6]} {digits[6:]}"][form]


@st.composite
def _reposts(draw: st.DrawFn, people: list) -> tuple[str, bytes]:
    """A small document: rows of leaked people and of namesakes (their first names and birth
    dates, other surnames and IDs), in text, CSV, HTML or JSON, among filler lines."""
    rows: list[list[str]] = []
    for _ in range(draw(st.integers(0, 6))):
        p = people[draw(st.integers(0, len(people) - 1))]
        leaked = draw(st.booleans())
        last = p.last_name if leaked else "Zz" + draw(st.sampled_from(["ovan", "emir", "ukal"]))
        number = p.a_number if leaked else f"A{draw(st.integers(10**8, 10**9 - 1))}"
        fields = [draw(st.sampled_from([last.upper(), last, last.lower(), last.replace("a", "á")])),
                  p.first_name, p.dob.strftime(draw(st.sampled_from(_DATE_FORMATS))),
                  _id_form(number, draw(st.integers(0, 4))), p.country, p.facility]
        keep = draw(st.lists(st.sampled_from(range(6)), min_size=2, max_size=6, unique=True))
        rows.append([fields[k] for k in keep])
    filler = draw(st.lists(st.sampled_from(["the list was posted again", "see 14 may", "id 123456",
                                            "march 2021 update", "", "contact 555 123 4567"]), max_size=4))
    # enough unrelated lines that the rows are a small part: the gate then hands the matcher excerpts
    filler += [f"log {i}: GET /page/{i} 200 in {i % 97} ms" for i in range(draw(st.integers(0, 3)) * 60)]
    layout = draw(st.sampled_from(["text", "wrapped", "csv", "html", "list", "json"]))
    if layout in ("text", "wrapped"):
        sep = draw(st.sampled_from([" ", ", ", "\t", " | "]))
        lines = [sep.join(r) for r in rows]
        if layout == "wrapped":
            lines = [x for r in rows for x in (sep.join(r[:1]), sep.join(r[1:]))]
        cut = draw(st.integers(0, len(filler)))
        return "doc.txt", "\n".join(filler[:cut] + lines + filler[cut:]).encode()
    if layout == "csv":
        def cell(v: str) -> str:
            return '"' + v.replace('"', '""').replace(" ", draw(st.sampled_from([" ", "\n"])), 1) + '"'
        csv_rows = [",".join(cell(v) for v in r) for r in rows]
        cut = draw(st.integers(0, len(filler)))
        return "doc.csv", "\n".join(["a,b,c,d,e,f", *filler[:cut], *csv_rows, *filler[cut:]]).encode()
    if layout in ("html", "list"):
        def esc(v: str) -> str:
            v = html.escape(v)
            tag = draw(st.sampled_from(_INLINE))
            if draw(st.booleans()) and len(v) > 3:
                v = f"{v[:2]}<{tag}>{v[2:]}</{tag.split()[0]}>"
            if draw(st.booleans()):
                v = v.replace("a", "&#97;", 1).replace("e", "&eacute;", 1)
            return v
        if layout == "html":
            body = "".join("<tr>" + "".join(f"\n  <td>{esc(v)}</td>" for v in r) + "\n</tr>" for r in rows)
            body = f"<table>{body}</table>"
        else:
            body = "<ul>" + "".join("<li>" + " ".join(esc(v) for v in r) + "</li>" for r in rows) + "</ul>"
        cut = draw(st.integers(0, len(filler)))
        before = "".join(f"<p>{x}</p>" for x in filler[:cut])
        after = "<table>" + "".join(f"<tr><td>{x}</td></tr>" for x in filler[cut:]) + "</table>"
        return "doc.html", f"<html><body>{before}{body}{after}</body></html>".encode()
    doc = [dict(zip("abcdef", r)) for r in rows] + [{"note": x} for x in filler]
    return "doc.json", json.dumps(doc, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1]))).encode()


@needs_gate
def test_the_gate_changes_no_verdict_on_generated_reposts(
        engine: Engine, settings_: Settings, synthetic_leak: SyntheticLeak) -> None:
    gated, full = _scanners(engine, settings_, synthetic_leak.path)

    @settings(max_examples=400, deadline=None, derandomize=True)
    @given(doc=_reposts(synthetic_leak.people))
    def check(doc: tuple[str, bytes]) -> None:
        name, data = doc
        assert outcome(gated.scan_bytes(name, data, name=name)) == outcome(full.scan_bytes(name, data, name=name))

    check()
    assert gated.gated_clean > 0


def _leak_with_repeated_names(path: Path, leak: SyntheticLeak) -> list:
    """The synthetic leak with three people whose first name is their last name ("ABDULLAH ABDULLAH")."""

    people = [dataclasses.replace(p, first_name=p.last_name) if i < 3 else p for i, p in enumerate(leak.people)]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(leak.header)
        writer.writerows(SyntheticLeak(path, people).row(p) for p in people)
    return people


@needs_gate
def test_a_name_in_two_name_columns_needs_the_word_twice_and_the_gate_agrees(
        engine: Engine, settings_: Settings, synthetic_leak: SyntheticLeak, tmp_path: Path) -> None:
    """On a line with an ID-shaped number of someone else, the matcher wants the birth date and
    the whole name; a record whose two names are one token ("ABDULLAH ABDULLAH") has it only when
    the word is written twice (one word fills one name). The gate counts the word for both
    columns: it may be coarser than the matcher, never finer."""
    from fingerprints.index import repeated_name_keys

    people = _leak_with_repeated_names(tmp_path / "repeated.csv", synthetic_leak)
    gated, full = _scanners(engine, settings_, tmp_path / "repeated.csv")
    index = gated.leaks[0].matcher.index
    assert index.repeat_key is not None and len(index.repeat_key) == 3
    old_style = dataclasses.replace(index, repeat_key=None)  # an index written before the keys were kept
    assert repeated_name_keys(old_style).tolist() == index.repeat_key.tolist()
    filler = [f"row {i}: nothing to see here, build 7.{i}" for i in range(300)]
    for times, verdict in ((2, "hit"), (1, "clean")):
        lines = [f"{' '.join([p.last_name.upper()] * times)} {p.dob:%Y-%m-%d} A{987654000 + i}"
                 for i, p in enumerate(people[:3])]
        data = "\n".join(filler[:150] + lines + filler[150:]).encode()
        got = gated.scan_bytes("doc", data, name="doc.txt")
        assert outcome(got) == outcome(full.scan_bytes("doc", data, name="doc.txt"))
        assert got[0].verdict == verdict and got[0].records == ([1, 2, 3] if times == 2 else [])


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=3000),
                      st.text(alphabet=st.sampled_from(list("<>/&;#x\"'=-. \n\r\t\\uaAzZ09é€tdrpe!")),
                              max_size=3000).map(lambda t: t.encode("utf-8"))))
@needs_gate
def test_the_c_code_takes_any_bytes(data: bytes) -> None:
    """Markup fragments, broken entities and escapes, random bytes: no crash, text out."""
    assert isinstance(gate.render_json(data), bytes)
    compiled = _empty_gate(months={"may": 5})
    view = text_view(data, "page.html", None, None)
    texts = [data] if view is None else [data, view.text]
    for text in texts:
        for mode in (gate.LINES, gate.CSV_LINES, gate.WHOLE):
            assert compiled.scan(text, mode) is None  # an empty vocabulary: nothing can match


# --- pages of realistic structure ----------------------------------------------------------------------------

_BLOCKS = ["div", "p", "section", "blockquote", "center", "h1", "h2", "nav", "pre", "article"]
_INLINES = ["span", "b", "i", "em", "small", "code", "font", "label", "strong"]
_ATTRS = ["", " class=x", ' style="white-space: pre"']
_FILLER = ["x", "&amp;", "&eacute;", "&nbsp;", "o'brien", "77", "\n", "  ", "&#233;", "may", "14", "&lt;", "\t", "A123456789"]


def _page(rng: random.Random, rows: list[list[str]]) -> str:
    """Nested blocks, inline tags, tables (with captions, bodies, blocks in cells, nested tables),
    lists, styled preformatted text, text areas, scripts, titles and comments, well nested; their
    words are leaked values (names, birth dates, IDs of a few records) among filler."""
    def text() -> str:
        words = []
        for _ in range(rng.randrange(1, 5)):
            if rng.random() < 0.5:
                words.append(rng.choice(_FILLER))
            else:
                words.append(html.escape(rng.choice(rng.choice(rows))))
        return " ".join(words)

    def row() -> str:
        return " ".join(html.escape(v) for v in rng.choice(rows))

    def inline(depth: int) -> str:
        out = []
        for _ in range(rng.randrange(1, 4)):
            if rng.random() < 0.5 or depth > 3:
                out.append(text() if rng.random() < 0.85 else row())
            elif rng.random() < 0.15:
                out.append(rng.choice(["<br>", "<img src=x>", "<wbr>"]))
            else:
                tag = rng.choice(_INLINES)
                out.append(f"<{tag}{rng.choice(_ATTRS)}>{inline(depth + 1)}</{tag}>")
        return "".join(out)

    def flow(depth: int) -> str:
        out = []
        for _ in range(rng.randrange(1, 5)):
            r = rng.random()
            if r < 0.35 or depth > 3:
                out.append(inline(depth))
            elif r < 0.6:
                tag = rng.choice(_BLOCKS)
                out.append(f"<{tag}>{flow(depth + 1)}</{tag}>")
            elif r < 0.75:
                rows_ = "".join(
                    "<tr>" + "".join(f"<{rng.choice(['td', 'th'])}>"
                                     f"{flow(depth + 2) if rng.random() < 0.3 else inline(depth + 1)}</td>"
                                     for _ in range(rng.randrange(1, 5))) + "</tr>" + rng.choice(["", "\n"])
                    for _ in range(rng.randrange(1, 4)))
                caption = rng.choice(["", f"<caption>{text()}</caption>"])
                out.append(f"<table>{caption}{rng.choice(['', ' <tbody>'])}{rows_}</table>")
            elif r < 0.85:
                out.append("<ul>" + "".join(f"<li>{inline(depth + 1)}</li>" for _ in range(rng.randrange(1, 4))) + "</ul>")
            elif r < 0.9:
                out.append(f"<textarea>{text()}\n{text()}</textarea>")
            elif r < 0.95:
                out.append(f"<script>var a = '<p>{text()}</p>';\nvar b = [\"{row()}\"];</script>")
            else:
                out.append(f"<!-- {text()} -->")
        return "".join(out)

    return f"<html><head><title>{text()}</title></head><body>" + flow(0) + "</body></html>"


@needs_gate
def test_the_gate_changes_no_verdict_on_realistic_pages() -> None:
    """Pages of realistic structure holding leaked values, whole rows or scattered: wherever the
    gate clears a page, the full path (extract, match) finds it clean too."""
    leak = support_leak(200, 8)
    compiled = DocumentGate(leak.index, leak.keyer, leak.matcher.tokens)
    col = {h: i for i, h in enumerate(leak.header)}
    fields = [col[h] for h in ("Last Name", "First Name", "Date of Birth", "A-Number")]
    gated = dataclasses.make_dataclass("Gated", ["matcher", "gate"])(leak.matcher, compiled)
    verdicts = collections.Counter()
    for seed in range(150):
        rng = random.Random(seed)
        rows = [[r[k] for k in fields] for r in rng.sample(leak.rows, 3)]
        data = _page(rng, rows).encode("utf-8")
        view = text_view(data, "page.html", None, None)
        assert view is not None
        cleared = certainly_clean(view, [gated])
        full = leak.matcher.match_parts([p.text for p in extract(data, "page.html").parts])
        assert not (cleared and full.verdict == "hit"), seed
        verdicts[cleared, full.verdict] += 1
    assert verdicts[True, "clean"] > 0 and verdicts[False, "hit"] > 0, verdicts
