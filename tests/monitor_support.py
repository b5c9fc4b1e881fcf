"""Helpers shared by the monitoring tests: config files, leak registration, row counts, subprocesses."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from tracker.simsite import SimSite

TRACKER = [str(Path(sys.executable).with_name("tracker"))]


@contextmanager
def simulated_site(tmp_path: Path, **options: object) -> Iterator[SimSite]:
    """The simulated paste site serving a new folder ``tmp_path/pastes``."""
    folder = tmp_path / "pastes"
    folder.mkdir()
    with SimSite(folder, **options) as running:  # type: ignore[arg-type]
        yield running


def paste_site_config(site_url: str, *, interval: str = "2s", name: str = "sim", jitter: str | None = None,
                      extra: str = "", http: str = "") -> str:
    """A tracker.toml watching the simulated site's archive (loopback allowed: this is a test)."""
    jitter_line = f'jitter = "{jitter}"\n' if jitter is not None else ""
    return (
        "[http]\nallow_private_addresses = true\nper_host_delay = 0\nretries = 0\n" + http + "\n"
        "[[sources]]\n"
        f'name = "{name}"\nkind = "paste-site"\ninterval = "{interval}"\n{jitter_line}'
        f'listing_url = "{site_url}/archive"\nitem_selector = "a.paste"\n'
        f'raw_url = "{site_url}/raw/{{id}}"\npage_url = "{site_url}/view/{{id}}"\n' + extra
    )


def write_config(home: Path, text: str) -> Path:
    path = home / "tracker.toml"
    path.write_text(text, encoding="utf-8")
    return path


def register_leak(app: object, leak_csv: Path, name: str = "roster") -> None:
    result = CliRunner().invoke(app, ["leak", "add", str(leak_csv), "--name", name])  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output


def counts(db_url: str) -> dict[str, int]:
    """Rows of the tables a restart must neither lose nor duplicate."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return {table: int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() or 0)
                    for table in ("source_items", "documents", "hits", "source_runs")}
    finally:
        engine.dispose()


def scalar(db_url: str, query: str) -> object:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(query)).scalar()
    finally:
        engine.dispose()


def wait_for(predicate: Callable[[], bool], timeout: float, step: float = 0.05) -> float:
    """Poll until ``predicate()``; returns the seconds it took, fails the test on timeout."""
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(step)
    return time.monotonic() - t0


def spawn_tracker(args: list[str], home: Path, log: Path) -> subprocess.Popen[bytes]:
    """``tracker ARGS`` as a real process with this test's environment; output to ``log``."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as fh:
        return subprocess.Popen([*TRACKER, *args], stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=home)
