"""The takedown part of ``make demo``: from a hit to a drafted notice, as an analyst would go.

``workflow_demo_steps()`` returns steps in the shape of ``tracker.demo.STEPS`` (title,
function of the demo object); the demo runs them after its scan. They use the real
``tracker`` commands through ``demo.tracker(...)``, write nothing outside the demo home,
send nothing and use no network: the re-post is filed as if the monitor had found it on
Pastebin (a directory platform, so no RDAP lookup is needed), and the notice is a dry run.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from sqlmodel import select

from tracker.db import open_database, session_scope
from tracker.keyfile import open_keyer
from tracker.models import Leak
from tracker.pipeline import Scanner
from tracker.settings import Settings

DEMO_URL = "https://pastebin.com/raw/dEm0LeAk"
DEMO_WORKFLOW = """
[workflow]
sender_name = "Demo Data Protection Desk"
sender_email = "dpo@demo.example.org"
organisation = "Demo Refugee Council (synthetic)"
authority = "on behalf of the data controller and the people listed"
legal_basis = ["GDPR Art. 17 (right to erasure)", "GDPR Art. 9 (special categories of personal data)"]
"""


class DemoLike(Protocol):
    """What the steps need of ``tracker.demo.Demo``."""

    home: Path
    docs: Path
    labels: dict[str, dict[str, Any]]

    def tracker(self, *args: str, capture: bool = False, ok: tuple[int, ...] = (0,)) -> str: ...


def _configure(home: Path) -> None:
    """Add a ``[workflow]`` table to the demo's tracker.toml (kept if one is there)."""
    config = home / "tracker.toml"
    text = config.read_text(encoding="utf-8") if config.exists() else ""
    if "[workflow]" not in text:
        config.write_text(text + DEMO_WORKFLOW, encoding="utf-8")


def _repost(demo: DemoLike) -> Path:
    """One planted re-post of the demo corpus, a CSV subset when there is one."""
    positives = sorted(name for name, label in demo.labels.items() if label["positive"])
    if not positives:
        raise SystemExit("demo: the corpus has no re-post to file a case for")
    csv_like = [n for n in positives if demo.labels[n]["kind"] == "subset_csv"]
    return demo.docs / (csv_like or positives)[0]


def step_found_on_paste_site(demo: DemoLike) -> None:
    """File one re-post as found at a Pastebin URL (what the monitor would do), scanned for real."""
    _configure(demo.home)
    document = _repost(demo)
    settings = Settings.from_env(home=demo.home)
    engine = open_database(settings.database_url)
    try:
        with session_scope(engine) as session:
            leaks = list(session.exec(select(Leak)))
        with Scanner(engine, leaks, open_keyer(settings.key_file), settings=settings) as scanner:
            results = scanner.scan_bytes(DEMO_URL, document.read_bytes(), "text/plain", name=document.name)
    finally:
        engine.dispose()
    verdicts = ", ".join(f"{r.leak}: {r.verdict}" for r in results)
    print(f"re-post {document.name} filed as found at {DEMO_URL} (no network used): {verdicts}")


def step_confirm(demo: DemoLike) -> None:
    """Confirm the hit: it becomes an incident with one location and a case for that URL."""
    hits = [json.loads(line) for line in demo.tracker("hits", "list", "--json", capture=True).splitlines() if line]
    hit = next((h for h in hits if h["source"] == DEMO_URL), None)
    if hit is None:
        raise SystemExit(f"demo: no hit at {DEMO_URL}")
    out = demo.tracker("hits", "confirm", str(hit["id"]), "--by", "demo-analyst",
                       "--reason", "records checked against the leak", "--json", capture=True)
    confirmed = json.loads(out.splitlines()[0])
    print(f"hit {hit['id']} confirmed: incident {confirmed['incident']}, case {confirmed['case']}")
    demo.tracker("incidents", "show", str(confirmed["incident"]))
    demo.tracker("cases", "notice", str(confirmed["case"]), "--by", "demo-analyst", capture=True)
    demo.tracker("cases", "show", str(confirmed["case"]))


def step_notice(demo: DemoLike) -> None:
    """Print the drafted notice: URL, lines, data categories, record count; never a record."""
    cases = [json.loads(line) for line in demo.tracker("cases", "list", "--json", capture=True).splitlines() if line]
    case = next(c for c in cases if c["url"] == DEMO_URL)
    demo.tracker("cases", "notice", str(case["id"]))
    print("(dry run: nothing is sent. Next an analyst runs `tracker cases approve ID --by NAME`, submits it on\n"
          " Pastebin's form and records that with `tracker cases mark ID notice_sent`; email recipients get it\n"
          " with `tracker cases send ID --send`. The tracker then re-checks the URL until removal is verified.)")


Step = tuple[str, Callable[[Any], None]]


def workflow_demo_steps() -> list[Step]:
    """The takedown steps for ``tracker.demo.STEPS``, to run after the scan."""
    return [
        ("A re-post turns up on a paste site", step_found_on_paste_site),
        ("Confirm the hit: incident and case (tracker hits confirm)", step_confirm),
        ("The drafted takedown notice (tracker cases notice, dry run)", step_notice),
    ]
