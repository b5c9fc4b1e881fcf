"""Streams of documents for throughput runs: mostly noise, some re-posts.

A monitor spends nearly all its time on documents that hold nothing of the leak: code,
logs, configs, chatter, web pages, tables of other people. ``monitor_stream`` writes such a
stream as a monitor meets it (3 % re-posts, 12 % rosters of other people, PDFs and XLSX
workbooks among them); ``paste_stream`` is the earlier, text-only stream with one re-post in
120 documents. Both use the corpus layout (``docs/`` and ``labels.json``) so their re-posts
can be scored like a corpus.
"""
from __future__ import annotations

import datetime as dt
import html
import math
import random
from collections.abc import Callable, Sequence
from pathlib import Path

from tracker.synth import textfill
from tracker.synth.corpus import write_document, write_labels
from tracker.synth.forms import ANUM_FORMATS, FormsContext, Style, random_style, roster_fields, table_doc
from tracker.synth.guard import LeakGuard
from tracker.synth.leak import LEAK_HEADER
from tracker.synth.people import FACILITIES, REALISTIC, Person, PersonFactory, Population
from tracker.synth.perturb import CASES, LEAK_LAYOUT
from tracker.synth.render import to_csv, to_html_table, to_pdf, to_xlsx

MIN_DOC = 1_000
MAX_DOC = 250_000
REPOST_EVERY = 120  # about one document in this many re-posts a few leak rows (when rows are given)


def _prose(rng: random.Random, size: int) -> tuple[str, str]:
    f = textfill.Filler(rng)
    spanish = rng.random() < 0.15
    parts: list[str] = []
    total = 0
    while total < size:
        parts.append(f.paragraph(spanish=spanish))
        total += len(parts[-1]) + 2
    return "txt", "\n\n".join(parts) + "\n"


def _page(rng: random.Random, size: int) -> tuple[str, str]:
    f = textfill.Filler(rng)
    parts: list[str] = []
    total = 0
    while total < size:
        parts.append(f"<h2>{html.escape(f.title())}</h2><p>{html.escape(f.paragraph())}</p>"
                     f"<ul>{''.join(f'<li>{w}</li>' for w in f.words(rng.randint(2, 8)))}</ul>")
        total += len(parts[-1])
    return "html", textfill.html_page(rng, f.title(), "".join(parts), f)


def _lines(make: Callable[[random.Random, int], str], per_line: int) -> Callable[[random.Random, int], tuple[str, str]]:
    def doc(rng: random.Random, size: int) -> tuple[str, str]:
        return "txt", make(rng, max(5, size // per_line))
    return doc


def _people_table(guard: LeakGuard | None) -> Callable[[random.Random, int], tuple[str, str]]:
    """Tables of other (invented, leak-clean) people: the look-alikes a monitor mostly reads."""
    def doc(rng: random.Random, size: int) -> tuple[str, str]:
        factory = PersonFactory(rng)
        people = []
        while len(people) * 150 < size:
            p = factory.person()
            if guard is None or guard.clean(p.first, p.last, p.dob):
                people.append(p)
        rows = [LEAK_LAYOUT.cells(p, rng) for p in people]
        if rng.random() < 0.6:
            return "csv", to_csv(LEAK_HEADER, rows)
        return "html", textfill.html_page(rng, "Roster", to_html_table(LEAK_HEADER, rows, rng))
    return doc


def _stats_table(rng: random.Random, size: int) -> tuple[str, str]:
    f = textfill.Filler(rng)
    header = ["date", "metric", "host", "value", "p95"]
    rows = []
    day = dt.date(2023, 1, 1)
    while len(rows) * 45 < size:
        rows.append([(day + dt.timedelta(days=len(rows) // 50)).isoformat(), f.words(1)[0], f.host(),
                     str(rng.randrange(10**6)), f"{rng.random() * 100:.2f}"])
    return "csv", to_csv(header, rows)


def _repost(rng: random.Random, size: int, rows: Sequence[Sequence[str]]) -> tuple[str, str, list[int]]:
    """A log paste with a handful of leak rows dropped into the middle (records are 1-based)."""
    picks = rng.sample(range(len(rows)), min(len(rows), rng.randint(1, 8)))
    noise = textfill.log_text(rng, max(20, size // 80)).splitlines()
    needle = to_csv(LEAK_HEADER, [rows[i] for i in picks]).splitlines()
    at = rng.randrange(len(noise) + 1)
    return "txt", "\n".join(noise[:at] + needle + noise[at:]) + "\n", sorted(i + 1 for i in picks)


def _guard_of(rows: Sequence[Sequence[str]]) -> LeakGuard:
    """A guard over leak rows in ``LEAK_HEADER`` order (US dates, "A" + nine digits)."""
    col = {h: i for i, h in enumerate(LEAK_HEADER)}

    def person(r: Sequence[str]) -> tuple[str, str, dt.date, str]:
        dob = dt.datetime.strptime(r[col["Date of Birth"]], "%m/%d/%Y").date()
        return r[col["First Name"]], r[col["Last Name"]], dob, r[col["A-Number"]].lstrip("Aa")

    return LeakGuard(person(r) for r in rows)


def paste_stream(out_dir: Path | str, seed: int, total_mb: float,
                 leak_rows: Sequence[Sequence[str]] | None = None) -> dict[str, dict[str, object]]:
    """Write about ``total_mb`` MB (10^6 bytes) of paste-like documents under ``out_dir/docs``.

    Mostly unrelated text (prose, web pages, code, logs, configs, statistics, tables of
    invented people who are not in the leak); when ``leak_rows`` (rows in ``LEAK_HEADER``
    order) are given, about one document in ``REPOST_EVERY`` re-posts a few of them inside a
    log. Writes ``out_dir/labels.json`` in the corpus format and returns the labels.
    """
    rng = random.Random(f"stream:{seed}")
    guard = _guard_of(leak_rows) if leak_rows else None
    kinds: list[tuple[str, Callable[[random.Random, int], tuple[str, str]], float]] = [
        ("prose", _prose, 0.2), ("web_page", _page, 0.2), ("paste_py", _lines(textfill.python_code, 28), 0.15),
        ("paste_log", _lines(textfill.log_text, 80), 0.15), ("paste_cfg", _lines(textfill.config_text, 22), 0.05),
        ("other_roster", _people_table(guard), 0.15), ("stats", _stats_table, 0.1),
    ]
    names = [k for k, _, _ in kinds]
    weights = [w for _, _, w in kinds]
    makers = {k: make for k, make, _ in kinds}
    docs_dir = Path(out_dir) / "docs"
    docs_dir.mkdir(parents=True, exist_ok=True)
    budget = int(total_mb * 1_000_000)
    labels: dict[str, dict[str, object]] = {}
    written = 0
    while written < budget:
        n = len(labels) + 1
        doc_rng = random.Random(f"stream:{seed}:{n}")
        size = min(budget - written, int(math.exp(rng.uniform(math.log(MIN_DOC), math.log(MAX_DOC)))))
        if leak_rows and rng.randrange(REPOST_EVERY) == 0:
            kind = "needle_in_paste"
            ext, text, records = _repost(doc_rng, size, leak_rows)
        else:
            kind = rng.choices(names, weights)[0]
            ext, text = makers[kind](doc_rng, max(size, MIN_DOC // 2))
            records = []
        written += write_document(docs_dir, labels, f"paste{n:05d}.{ext}", text.encode("utf-8"), kind, records)
    write_labels(out_dir, labels)
    return labels


# --- the monitor stream: what a monitor really reads ------------------------------------------------------

#: Shares of the monitor stream's documents (by count): re-posts of the leak, rosters of other
#: people of the same population, and everything else. PDFs and XLSX workbooks make up about
#: 14 % of the documents (rosters, reports, spreadsheets of statistics, some re-posts).
MONITOR_REPOST_SHARE = 0.03
MONITOR_ROSTER_SHARE = 0.12
_ROSTER_FORMATS = (("csv", 0.4), ("html", 0.25), ("xlsx", 0.2), ("pdf", 0.15))
_PDF_MAX_ROWS = 400  # a PDF page of ~25 rows takes fpdf ~50 ms to lay out; keep generation reasonable
_ROW_BYTES = 110  # a roster row in CSV, roughly


def _weighted_choice(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


def _stats_rows(rng: random.Random, n: int) -> tuple[list[str], list[list[str]]]:
    f = textfill.Filler(rng)
    header = rng.choice([["Month", "Facility", "Book-ins", "Releases", "Average stay (days)"],
                         ["date", "metric", "host", "value", "p95"]])
    rows = []
    day = dt.date(2023, 1, 1)
    for k in range(n):
        if header[0] == "Month":
            rows.append([f"2022-{1 + k % 12:02d}", rng.choice(FACILITIES), str(rng.randrange(5, 900)),
                         str(rng.randrange(5, 900)), f"{rng.uniform(3, 90):.1f}"])
        else:
            rows.append([(day + dt.timedelta(days=k // 50)).isoformat(), f.words(1)[0], f.host(),
                         str(rng.randrange(10**6)), f"{rng.random() * 100:.2f}"])
    return header, rows


def _office_doc(rng: random.Random, size: int) -> tuple[str, bytes, str]:
    """A report PDF or a spreadsheet of statistics (extension, bytes, kind)."""
    if rng.random() < 0.5:
        header, rows = _stats_rows(rng, min(_PDF_MAX_ROWS, max(10, size // 60)))
        return "pdf", to_pdf(textfill.Filler(rng).title(), header, rows, wrap=False), "report_pdf"
    header, rows = _stats_rows(rng, min(5000, max(10, size // 45)))
    return "xlsx", to_xlsx([("Sheet1", [], header, rows)]), "stats_xlsx"


def _monitor_roster(ctx: FormsContext, rng: random.Random, size: int) -> tuple[str, bytes, str]:
    fmt = _weighted_choice(rng, _ROSTER_FORMATS)
    n = max(5, size // _ROW_BYTES)
    n = min(n, _PDF_MAX_ROWS) if fmt == "pdf" else min(n, 5000)
    style = random_style(rng, roster_fields(rng, birth="birth_year" if rng.random() < 0.1 else "dob"), rename=0.4)
    ext, data = table_doc(rng, style, ctx.others(rng, n), fmt, rng.choice(["Roster", "Detainee list", "Lista"]))
    return ext, data, f"roster_{fmt}"


def _monitor_repost(ctx: FormsContext, rng: random.Random, size: int) -> tuple[str, bytes, str, list[int]]:
    """A re-post in one of several shapes, sized to the stream's draw (extension, bytes, kind, records)."""
    shape = rng.choice(["needle_log", "roster_needle", "table", "table", "names_list", "id_paste", "prose_quote"])
    if shape in ("needle_log", "roster_needle"):
        idx = rng.sample(range(ctx.n), min(ctx.n, rng.randint(1, 5)))
    elif shape == "table":
        idx = ctx.sample(rng, 1, max(1, min(1000, size // _ROW_BYTES)))
    elif shape == "names_list":
        idx = rng.sample(range(ctx.n), min(ctx.n, rng.randint(40, 200)))
    else:
        idx = rng.sample(range(ctx.n), min(ctx.n, rng.randint(1, 20)))
    records = sorted(i + 1 for i in idx)
    leaked = [ctx.people[i] for i in idx]
    if shape == "needle_log":
        noise = textfill.log_text(rng, max(20, size // 80)).splitlines()
        style = random_style(rng, roster_fields(rng), rename=0.3)
        at = rng.randrange(len(noise) + 1)
        needle = to_csv(style.headers, style.rows(leaked)).splitlines()
        return "txt", ("\n".join(noise[:at] + needle + noise[at:]) + "\n").encode("utf-8"), shape, records
    if shape in ("roster_needle", "table"):
        fmt = _weighted_choice(rng, _ROSTER_FORMATS)
        people = leaked
        if shape == "roster_needle":
            n = max(20, size // _ROW_BYTES)
            people = ctx.others(rng, min(n, _PDF_MAX_ROWS if fmt == "pdf" else 5000)) + leaked
            rng.shuffle(people)
        elif fmt == "pdf":
            people = leaked[:_PDF_MAX_ROWS]
            records = sorted(i + 1 for i in idx[:_PDF_MAX_ROWS])
        style = random_style(rng, roster_fields(rng, with_id=rng.random() < 0.8), rename=0.4)
        ext, data = table_doc(rng, style, people, fmt, "List")
        return ext, data, f"{shape}_{fmt}", records
    if shape == "names_list":
        style = Style(fields=("name",), headers=("Name",), case=CASES[rng.choice(["keep", "title", "upper"])])
        text = "\n".join(f"{k}. {style.full_name(p, rng.choice(['last_first', 'first_last']))}"
                         for k, p in enumerate(leaked, 1))
        return "txt", (text + "\n").encode("utf-8"), shape, records
    if shape == "id_paste":
        fmt = ANUM_FORMATS[rng.choice(list(ANUM_FORMATS))]
        return "txt", ("\n".join(fmt(p.a_number) for p in leaked) + "\n").encode("utf-8"), shape, records
    idx = idx[:5]
    records = sorted(i + 1 for i in idx)
    style = random_style(rng, ["name", "dob", "country", "a_number"], shuffle=False, rename=0.0)
    f = textfill.Filler(rng)
    paragraphs = [f.paragraph() for _ in range(max(2, size // 600))]
    for i in idx:
        at = rng.randrange(len(paragraphs))
        paragraphs[at] += f' One row reads "{", ".join(style.row(ctx.people[i]))}". {f.sentence()}'
    return "txt", ("\n\n".join(paragraphs) + "\n").encode("utf-8"), shape, records


def monitor_stream(out_dir: Path | str, seed: int, total_mb: float, people: Sequence[Person] | None = None,
                   population: Population = REALISTIC, max_doc: int = MAX_DOC) -> dict[str, dict[str, object]]:
    """Write about ``total_mb`` MB of what a monitor reads under ``out_dir/docs``, with ``labels.json``.

    By document count (exactly, in every block of 100 documents): :data:`MONITOR_REPOST_SHARE` re-posts of ``people`` (the leak, in row
    order; none when not given) in several shapes and formats; :data:`MONITOR_ROSTER_SHARE`
    rosters of other people of ``population`` (CSV, HTML, XLSX, PDF; own A-numbers, names and
    birth dates that share much with the leak by chance); the rest prose, web pages, code,
    logs, configurations, statistics as CSV, XLSX and PDF reports. Sizes are log-uniform
    between 1 kB and ``max_doc`` bytes (250 kB; PDF rosters capped at 400 rows). The same seed
    gives the same bytes.
    """
    rng = random.Random(f"monitor:{seed}")
    ctx = FormsContext(list(people), population) if people else FormsContext([], population)
    noise: list[tuple[str, Callable[[random.Random, int], tuple[str, str]], float]] = [
        ("prose", _prose, 0.2), ("web_page", _page, 0.2), ("paste_py", _lines(textfill.python_code, 28), 0.13),
        ("paste_log", _lines(textfill.log_text, 80), 0.13), ("paste_cfg", _lines(textfill.config_text, 22), 0.05),
        ("stats", _stats_table, 0.17), ("office", None, 0.12),  # type: ignore[list-item]
    ]
    docs_dir = Path(out_dir) / "docs"
    docs_dir.mkdir(parents=True, exist_ok=True)
    budget = int(total_mb * 1_000_000)
    labels: dict[str, dict[str, object]] = {}
    written = 0
    slots: list[str] = []
    while written < budget:
        n = len(labels) + 1
        doc_rng = random.Random(f"monitor:{seed}:{n}")
        size = max(MIN_DOC // 2, min(budget - written, int(math.exp(rng.uniform(math.log(MIN_DOC),
                                                                                  math.log(max_doc))))))
        if not slots:  # each block of 100 documents holds the exact shares, in random order
            slots = (["repost"] * round(100 * MONITOR_REPOST_SHARE) + ["roster"] * round(100 * MONITOR_ROSTER_SHARE))
            slots += ["noise"] * (100 - len(slots))
            rng.shuffle(slots)
        slot = slots.pop()
        records: list[int] = []
        if people and slot == "repost":
            ext, data, kind, records = _monitor_repost(ctx, doc_rng, size)
            kind = f"repost_{kind}"
        elif slot == "roster":
            ext, data, kind = _monitor_roster(ctx, doc_rng, size)
        else:
            kind = rng.choices([k for k, _, _ in noise], [w for _, _, w in noise])[0]
            if kind == "office":
                ext, data, kind = _office_doc(doc_rng, size)
            else:
                make = next(m for k, m, _ in noise if k == kind)
                ext, text = make(doc_rng, size)
                data = text.encode("utf-8")
        written += write_document(docs_dir, labels, f"doc{n:05d}.{ext}", data, kind, records)
    write_labels(out_dir, labels)
    return labels
