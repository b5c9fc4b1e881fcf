"""A stream of paste-like documents for throughput runs: mostly noise, a few re-posts.

A monitor spends nearly all its time on documents that hold nothing of the leak: code,
logs, configs, chatter, web pages, tables of other people. ``paste_stream`` writes such a
stream, in the corpus layout (``docs/`` and ``labels.json``) so its few re-posts can be
scored like a corpus.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import math
import random
from collections.abc import Callable, Sequence
from pathlib import Path

from tracker.synth import textfill
from tracker.synth.guard import LeakGuard
from tracker.synth.leak import LEAK_HEADER
from tracker.synth.people import PersonFactory
from tracker.synth.perturb import LEAK_LAYOUT
from tracker.synth.render import to_csv, to_html_table

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
        data = text.encode("utf-8")
        name = f"paste{n:05d}.{ext}"
        (docs_dir / name).write_bytes(data)
        written += len(data)
        labels[name] = {"positive": bool(records), "kind": kind, "records": records}
    (Path(out_dir) / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return labels
