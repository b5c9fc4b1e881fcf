"""Shared fixtures: an isolated tracker home, SQLite and PostgreSQL databases, a synthetic leak.

Every person in ``synthetic_leak`` is generated from random syllables, dates and digits:
no real data is ever used. PostgreSQL runs only when ``TRACKER_TEST_DATABASE_URL`` names
a server (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``); a fresh database is
created for the test session and dropped at its end, and each test starts from an empty
schema.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import http.server
import os
import random
import secrets
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import Engine, make_url

if TYPE_CHECKING:
    from tracker.settings import Settings

ENV_TEST_DB = "TRACKER_TEST_DATABASE_URL"
TRACKER_ENV = ("TRACKER_HOME", "TRACKER_DATABASE_URL", "TRACKER_KEY_FILE", "TRACKER_LOG_LEVEL",
               "TRACKER_LOG_FILE", "TRACKER_ALLOW_PRIVATE_ADDRESSES")

# --- databases ------------------------------------------------------------------------------


def _pg_admin(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    parsed = make_url(url).set(drivername="postgresql")
    return psycopg.connect(parsed.render_as_string(hide_password=False), autocommit=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test session, or None when none is configured."""
    base = os.environ.get(ENV_TEST_DB)
    if not base:
        yield None
        return
    name = f"tracker_test_{secrets.token_hex(4)}"
    with _pg_admin(base) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with _pg_admin(base) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None) -> str:
    """The database URL of one test: a SQLite file in the tracker home, or an emptied PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'home' / 'tracker.sqlite3'}"
    if postgres_url is None:
        pytest.skip(f"PostgreSQL tests need {ENV_TEST_DB}")
    with _pg_admin(postgres_url) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return postgres_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database in the tracker home (for tests that need not run on PostgreSQL)."""
    return f"sqlite:///{tmp_path / 'home' / 'tracker.sqlite3'}"


@pytest.fixture
def settings_(tracker_home: Path) -> "Settings":
    """The settings of the test's tracker home (as ``tracker`` reads them from the environment)."""
    from tracker.settings import Settings

    return Settings.from_env()


@pytest.fixture
def tracker_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Path:
    """An empty tracker home; ``TRACKER_*`` point at it and at this test's database.

    Uses ``db_url`` when the test asks for it (SQLite and PostgreSQL), else SQLite.
    """
    url = request.getfixturevalue("db_url") if "db_url" in request.fixturenames else request.getfixturevalue(
        "sqlite_url")
    home = tmp_path / "home"
    home.mkdir(mode=0o700, exist_ok=True)
    for name in TRACKER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRACKER_HOME", str(home))
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    return home


@pytest.fixture
def engine(tracker_home: Path) -> Iterator[Engine]:
    """The migrated database of this test (``db_url`` when requested, else SQLite), disposed after."""
    from tracker.db import open_database

    engine = open_database(os.environ["TRACKER_DATABASE_URL"])
    yield engine
    engine.dispose()


# --- synthetic people -------------------------------------------------------------------------

# Onsets rare in English and in program output, so a name never collides with a log word.
_ONSETS = ["zv", "kv", "dz", "zh", "vr", "tl", "xh", "qu", "mb", "nd", "gv", "ks"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ou"]
_CODAS = ["", "", "n", "r", "l", "z", "k"]


def _made_up_name(rng: random.Random, syllables: int) -> str:
    """A pronounceable word that is nobody's name: random syllables."""
    return "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)).title()


@dataclass(frozen=True)
class Person:
    """One invented record of a synthetic leak."""

    last_name: str
    first_name: str
    dob: dt.date
    a_number: str
    country: str
    facility: str


@dataclass(frozen=True)
class SyntheticLeak:
    """A generated leak CSV and its people, with helpers that write re-posts of them."""

    path: Path
    people: list[Person]
    header = ("Last Name", "First Name", "Date of Birth", "A-Number", "Country", "Facility")

    def row(self, p: Person, date_format: str = "%m/%d/%Y") -> list[str]:
        return [p.last_name, p.first_name, p.dob.strftime(date_format), p.a_number, p.country, p.facility]

    def repost_csv(self, path: Path, indices: Sequence[int], date_format: str = "%Y-%m-%d") -> Path:
        """A re-post: some rows, columns reordered, dates in another format, among chatter."""
        lines = ["leaked list, reposted", "name;born;number;where"]
        for i in indices:
            p = self.people[i]
            lines.append(f"{p.first_name} {p.last_name.upper()};{p.dob.strftime(date_format)};"
                         f"{p.a_number};{p.facility}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def repost_html(self, path: Path, indices: Sequence[int]) -> Path:
        """A re-post as an HTML table."""
        cells = "".join(
            f"<tr><td>{p.last_name}, {p.first_name}</td><td>{p.dob:%d.%m.%Y}</td><td>{p.a_number}</td></tr>"
            for p in (self.people[i] for i in indices))
        path.write_text(f"<html><body><h1>list</h1><table>{cells}</table></body></html>", encoding="utf-8")
        return path

    def leaked_strings(self) -> set[str]:
        """Every value the tracker must never write out: name parts (4+ chars), dates, ID digits."""
        values: set[str] = set()
        for p in self.people:
            values.update(part for part in (p.first_name, p.last_name) if len(part) >= 4)
            values.add(p.a_number)
            values.add(p.a_number.replace("-", ""))
            for fmt in ("%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y%m%d", "%B %d, %Y"):
                values.add(p.dob.strftime(fmt))
        return values


def make_synthetic_leak(path: Path, n: int = 40, seed: int = 7) -> SyntheticLeak:
    """Write a CSV of ``n`` invented people to ``path``."""
    rng = random.Random(seed)
    people: list[Person] = []
    seen: set[str] = set()
    while len(people) < n:
        last = _made_up_name(rng, rng.choice([2, 3]))
        first = _made_up_name(rng, 2)
        if last in seen or len(last) < 5:
            continue
        seen.add(last)
        dob = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(50 * 365))
        number = f"A{rng.randrange(10**8, 10**9)}"
        people.append(Person(last, first, dob, number, rng.choice(["Norland", "Estavia", "Korvania"]),
                             rng.choice(["North Camp", "River Unit", "Hill Annex"])))
    leak = SyntheticLeak(path, people)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(leak.header)
        writer.writerows(leak.row(p) for p in people)
    return leak


@pytest.fixture
def synthetic_leak(tmp_path: Path) -> SyntheticLeak:
    """A small generated leak CSV (40 invented people) outside the tracker home."""
    folder = tmp_path / "input"
    folder.mkdir()
    return make_synthetic_leak(folder / "leak.csv")


# --- a local web server ---------------------------------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def web_root(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1: ``(folder, base_url)``."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- the command line ------------------------------------------------------------------------------

@pytest.fixture
def cli(tracker_home: Path):  # type: ignore[no-untyped-def]
    """Run ``tracker ARGS...`` in-process (Typer's CliRunner); returns the result (stdout/stderr apart)."""
    from typer.testing import CliRunner

    from tracker.cli import app

    runner = CliRunner()

    def invoke(*args: str | Path):  # type: ignore[no-untyped-def]
        return runner.invoke(app, [str(a) for a in args])

    return invoke
