"""``python -m tracker.demo`` (``make demo``): the whole loop on synthetic data, in well under a minute.

Each step is one function over a shared :class:`Demo`, run in order by :func:`main`:
make a synthetic leak with re-posts and look-alikes, register the leak with the real
``tracker leak add``, scan the documents with ``tracker scan``, show ``tracker hits list``,
check the tracker's files hold no plaintext leaked value, and sum up. Later features
(monitoring, takedown workflow) add steps to ``STEPS``.

Everything happens under ``.demo/`` (reset first, so the demo can run again) with
``TRACKER_HOME=.demo/home``; no network is used and no real person's data is involved.
The commands run in this process through the ``tracker`` application object itself (the
console script's own entry point), which saves a second of start-up per command.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.synth import CorpusStyle, generate_corpus
from tracker.workflow.demo import workflow_demo_steps

LEAK_NAME = "demo-leak"
SEED = 2024
LEAK_ROWS = 2000
# One document of each kind: eight kinds of re-post, five kinds of look-alike.
DEMO_KINDS = ("subset_csv", "html_table", "perturbed_csv", "needle_in_paste", "prose_mention", "pdf_table",
              "zip_csv", "json", "other_roster", "name_collisions", "recombined_rows", "news_synthetic", "paste_py")


@dataclass
class Demo:
    """Where the demo works and what its steps found out."""

    root: Path
    seed: int = SEED
    rows: int = LEAK_ROWS
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    hits: list[dict[str, Any]] = field(default_factory=list)
    leaked_values_found: int | None = None
    started: float = field(default_factory=time.perf_counter)

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def corpus(self) -> Path:
        return self.root / "corpus"

    @property
    def leak_csv(self) -> Path:
        return self.corpus / "leak.csv"

    @property
    def docs(self) -> Path:
        return self.corpus / "docs"

    @contextmanager
    def environment(self) -> Iterator[None]:
        """``TRACKER_HOME`` set to the demo's home (and no other ``TRACKER_*``) while commands run."""
        saved = dict(os.environ)
        for key in [k for k in os.environ if k.startswith("TRACKER_")]:
            del os.environ[key]
        os.environ["TRACKER_HOME"] = str(self.home)
        if not sys.stdout.isatty():  # a transcript (CI log, pipe): tables as wide as a terminal would show them
            os.environ.setdefault("COLUMNS", "120")
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def tracker(self, *args: str, capture: bool = False, ok: tuple[int, ...] = (0,)) -> str:
        """Run a command of the real ``tracker`` command line (in this process) and check it succeeded.

        With ``capture`` its standard output is returned instead of shown.
        """
        from tracker.cli import app

        shown = " ".join(["tracker", *(_short(a) for a in args)])
        print(f"$ {shown}")
        buffer = io.StringIO()
        with self.environment(), redirect_stdout(buffer) if capture else nullcontext():
            try:
                app(args=list(args), prog_name="tracker")  # exits like the console script does
                code: int | str | None = 0
            except SystemExit as exc:
                code = exc.code
        if (code or 0) not in ok:
            raise SystemExit(f"demo: `{shown}` failed with exit code {code}")
        return buffer.getvalue()


def _short(arg: str) -> str:
    """Paths under the demo folder shown relative to the current folder, for a readable transcript."""
    try:
        return str(Path(arg).relative_to(Path.cwd()))
    except ValueError:
        return arg


def heading(number: int, title: str) -> None:
    print(f"\n=== {number}. {title} ===")


# --- the steps ------------------------------------------------------------------------------------------------


def step_generate(demo: Demo) -> None:
    """Make a synthetic leak and a handful of re-posts and look-alikes of it."""
    if demo.root.exists():
        shutil.rmtree(demo.root)
    style = CorpusStyle(counts={k: 1 for k in DEMO_KINDS}, max_rows=300, pdf_max_rows=60)
    demo.labels = generate_corpus(demo.corpus, demo.seed, n_leak=demo.rows, styles=style)
    positives = sum(bool(v["positive"]) for v in demo.labels.values())
    print(f"synthetic leak: {demo.rows} invented people -> {_short(str(demo.leak_csv))}")
    print(f"documents: {len(demo.labels)} in {_short(str(demo.docs))} "
          f"({positives} re-posts, {len(demo.labels) - positives} look-alikes)")
    for name, label in sorted(demo.labels.items()):
        what = f"re-post of {len(label['records'])} record(s)" if label["positive"] else "look-alike, no leaked record"
        print(f"  {name:16s} {label['kind']:18s} {what}")


def step_register(demo: Demo) -> None:
    """Fingerprint the leak with a new secret key; only keyed fingerprints are stored."""
    demo.tracker("leak", "add", str(demo.leak_csv), "--name", LEAK_NAME)
    demo.tracker("leak", "list")


def step_scan(demo: Demo) -> None:
    """Scan every document against the registered leak; hits are stored."""
    demo.tracker("scan", str(demo.docs))


def step_hits(demo: Demo) -> None:
    """Show what was found: record ids, scores and sources, never the records themselves."""
    demo.tracker("hits", "list")
    out = demo.tracker("hits", "list", "--json", capture=True)
    demo.hits = [json.loads(line) for line in out.splitlines() if line.strip()]
    print(f"{len(demo.hits)} hit(s) as JSON lines, one per hit, for scripts")


def leaked_values(leak_csv: Path) -> set[str]:
    """The identifying values of the (synthetic) leak: long name parts, birth dates, ID digits."""
    values: set[str] = set()
    with leak_csv.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            for part in re.split(r"[\s,]+", f"{row['Last Name']} {row['First Name']}"):
                if len(part) >= 7:
                    values.add(part)
            dob = row["Date of Birth"]
            values.update({dob, dt.datetime.strptime(dob, "%m/%d/%Y").date().isoformat()})
            values.add(re.sub(r"\D", "", row["A-Number"]))
    return values


def step_monitor(demo: Demo) -> None:
    """Watch a simulated paste site on 127.0.0.1: one monitoring cycle with `tracker run --once`."""
    from tracker.simsite import SimSite, config_for

    site_dir = demo.root / "pastesite"
    site_dir.mkdir(parents=True, exist_ok=True)
    positives = sorted(n for n, v in demo.labels.items() if v["positive"] and n.endswith((".csv", ".txt")))
    negatives = sorted(n for n, v in demo.labels.items() if not v["positive"] and n.endswith((".csv", ".txt")))
    with SimSite(site_dir) as site:
        for number, name in enumerate(negatives[:3] + positives[:1], 1):
            site.publish(f"paste{number:03d}", (demo.docs / name).read_bytes())
        print(f"simulated paste site at {site.url} (loopback only) with {len(list(site_dir.iterdir()))} pastes, "
              f"one of them a re-post")
        (demo.home / "tracker.toml").write_text(config_for(site.url), encoding="utf-8")
        print(f"monitoring configuration: {_short(str(demo.home / 'tracker.toml'))}")
        demo.tracker("run", "--once")
        demo.tracker("hits", "list")
        demo.tracker("sources", "status")


def plaintext_pattern(values: set[str]) -> re.Pattern[bytes]:
    """A pattern for ``values`` in any letter case, to run over ``bytes.lower()`` of a file.

    ``bytes.lower`` folds ASCII only, so each value is listed as its lower-cased UTF-8 and
    as its upper-cased UTF-8 with ASCII folded ("GÓMEZ" -> b"g\xc3\x93mez"). (Case-insensitive
    regex matching over thousands of alternatives would be orders of magnitude slower.)
    """
    spellings = {form for v in values for form in (v.lower().encode(), v.upper().encode().lower())}
    return re.compile(b"|".join(re.escape(v) for v in sorted(spellings, key=len, reverse=True)))


def plaintext_found(pattern: re.Pattern[bytes], data: bytes) -> set[bytes]:
    """The leaked values (lower-cased) that :func:`plaintext_pattern`'s ``pattern`` finds in ``data``."""
    return set(pattern.findall(data.lower()))


def step_privacy(demo: Demo) -> None:
    """Look for any plaintext leaked value in the tracker's files (database, key, indexes, logs)."""
    values = leaked_values(demo.leak_csv)
    pattern = plaintext_pattern(values)
    found: set[bytes] = set()
    files = [p for p in demo.home.rglob("*") if p.is_file()]
    for path in files:
        found |= plaintext_found(pattern, path.read_bytes())
    demo.leaked_values_found = len(found)
    print(f"searched {len(files)} file(s) under {_short(str(demo.home))} for {len(values)} leaked "
          f"values (names, dates of birth, ID numbers): {len(found)} found")


def step_summary(demo: Demo) -> None:
    """Compare the hits with what the generator knows it planted."""
    hit_docs = {Path(h["source"]).name for h in demo.hits}
    positives = {n for n, v in demo.labels.items() if v["positive"]}
    found = positives & hit_docs
    false_hits = hit_docs - positives
    print(f"re-posts found:        {len(found)}/{len(positives)}")
    print(f"look-alikes flagged:   {len(false_hits)}/{len(demo.labels) - len(positives)}")
    for name in sorted(positives - hit_docs):
        print(f"  missed: {name} ({demo.labels[name]['kind']})")
    for name in sorted(false_hits):
        print(f"  false hit: {name} ({demo.labels.get(name, {}).get('kind', '?')})")
    print(f"plaintext leaked values in the tracker's files: {demo.leaked_values_found}")
    print(f"done in {time.perf_counter() - demo.started:.1f} s; everything is under {_short(str(demo.root))}/ "
          f"(TRACKER_HOME={_short(str(demo.home))}); run again to start over")


Step = tuple[str, Callable[[Demo], None]]
STEPS: list[Step] = [
    ("Generate a synthetic leak, re-posts and look-alikes", step_generate),
    ("Register the leak (tracker leak add)", step_register),
    ("Scan the documents (tracker scan)", step_scan),
    ("List the hits (tracker hits list)", step_hits),
    ("Watch a simulated paste site (tracker run --once, tracker sources status)", step_monitor),
    *workflow_demo_steps(),
    ("Check the tracker's files for plaintext", step_privacy),
    ("Summary", step_summary),
]


def main(argv: list[str] | None = None) -> int:
    """Run every step in order; a failing ``tracker`` command stops the demo with its exit code shown."""
    parser = argparse.ArgumentParser(prog="python -m tracker.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=Path(".demo"), help="Demo folder (reset first; default .demo).")
    parser.add_argument("--rows", type=int, default=LEAK_ROWS, help="Rows of the synthetic leak.")
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # keep our lines in order with the commands' output
    demo = Demo(root=args.dir.absolute(), rows=args.rows)
    for number, (title, step) in enumerate(STEPS, 1):
        heading(number, title)
        step(demo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
