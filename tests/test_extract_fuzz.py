"""A fuzz target per kind the scanner reads: broken input is text or our own refusal, quickly.

For every kind of ``tracker.extract.detect.EXTENSION_KINDS`` (and plain text), hypothesis
mutates valid seed documents (``fuzz_support``: bit flips, set bytes, inserted tokens,
truncation, deleted ranges, repeated chunks, splices from other seeds, mutations inside a
container's members, nesting in archives and mails) and hands each result to ``extract``
under the file name of its seed. The property: it returns parts, or raises the project's
``ExtractionError`` (``UnsupportedFormat``, ``LimitExceeded``), nothing else, within
``DEADLINE`` seconds.

The examples run in a forked child process with an address-space limit (``Worker``): a
parser that aborts the process, overruns the memory or hangs is then a finding (``killed``,
``timeout``) instead of the end of the test session, and the child is replaced. The figures per
kind (inputs fuzzed, failures, slowest input) are printed at the end of the module.

The suite runs ``TRACKER_FUZZ_EXAMPLES`` (default 150) derandomised examples per kind, some
15 s in all (under half a minute on a slow machine). To fuzz longer, with fresh random examples::

    TRACKER_FUZZ_EXAMPLES=5000 TRACKER_FUZZ_RANDOM=1 pytest tests/test_extract_fuzz.py

``TRACKER_FUZZ_COLLECT=DIR`` records every failing input in ``DIR`` (with its traceback)
and lets the run go on instead of failing at the first one; ``TRACKER_FUZZ_KINDS=pdf,xlsx``
picks kinds; ``TRACKER_FUZZ_REPORT=FILE`` writes the figures as JSON.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import resource
import select
import signal
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_support import OPS, WRAPS, Op, Seed, mutate, mutate_member, nest, seed_people, seed_rows, seeds
from tracker.errors import ExtractionError
from tracker.extract import extract

EXAMPLES = int(os.environ.get("TRACKER_FUZZ_EXAMPLES", "150"))
RANDOM = bool(os.environ.get("TRACKER_FUZZ_RANDOM"))
#: Seconds one example may take (extraction only; the fork is not counted).
DEADLINE = float(os.environ.get("TRACKER_FUZZ_DEADLINE", "3"))
#: Address space a child may add to what it had at the fork.
MEMORY = int(os.environ.get("TRACKER_FUZZ_MEMORY_MB", "2048")) * 2**20
COLLECT = os.environ.get("TRACKER_FUZZ_COLLECT")
REPORT = os.environ.get("TRACKER_FUZZ_REPORT")

SEEDS = seeds(seed_rows(seed_people()))
DONORS = [seed.data for kind_seeds in SEEDS.values() for seed in kind_seeds]
KINDS = sorted(SEEDS)
if os.environ.get("TRACKER_FUZZ_KINDS"):
    KINDS = [kind for kind in os.environ["TRACKER_FUZZ_KINDS"].split(",") if kind in SEEDS]


@dataclass
class Outcome:
    """What one input did: ``text``, ``refused`` (our ExtractionError), ``exception`` (any other),
    ``killed`` (by a signal: abort, segfault, CPU limit), ``timeout`` or ``exit``."""

    status: str
    seconds: float = 0.0
    detail: str = ""  # the exception's class and innermost frame, or the signal

    @property
    def ok(self) -> bool:
        return self.status in ("text", "refused") and self.seconds <= DEADLINE


@dataclass
class Figures:
    """The fuzz figures of one kind."""

    inputs: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    slowest: float = 0.0
    slowest_size: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


FIGURES: dict[str, Figures] = {}


def _in_child(data: bytes, name: str) -> tuple[str, float, str]:
    """Run in the forked child: extract, and say how it went."""
    started = time.perf_counter()
    try:
        extracted = extract(data, name)
        assert all(isinstance(part.text, str) for part in extracted.parts)
        return "text", time.perf_counter() - started, ""
    except ExtractionError as exc:
        return "refused", time.perf_counter() - started, type(exc).__name__
    except BaseException as exc:  # noqa: BLE001 - exactly what the target looks for
        frames = traceback.extract_tb(exc.__traceback__)
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
        return ("exception", time.perf_counter() - started,
                f"{type(exc).__name__} at {where}\n{''.join(traceback.format_exception(exc))}")


class Worker:
    """A forked child process that extracts inputs sent to it, one at a time, and is replaced
    when one of them kills it or overruns the time limit.

    Forking once per input would cost more than most extractions (the pytest process is big);
    one long-lived child limited in address space (``MEMORY`` more than it had at the fork)
    costs a pipe round trip per input.
    """

    def __init__(self) -> None:
        self.pid = 0
        self.requests = self.results = -1

    def run(self, data: bytes, name: str) -> Outcome:
        """``extract(data, name)`` in the child: its outcome, or how the child died."""
        if not self.pid:
            self._start()
        _send(self.requests, pickle.dumps((data, name)))
        try:
            payload = _receive(self.results, time.monotonic() + 4 * DEADLINE + 2)
        except TimeoutError:
            self.close()
            return Outcome("timeout", 4 * DEADLINE, "killed after the wall-clock limit")
        except EOFError:
            _, status = os.waitpid(self.pid, 0)
            self.pid = 0
            self._close_pipes()
            if os.WIFSIGNALED(status):
                return Outcome("killed", 0.0, signal.Signals(os.WTERMSIG(status)).name)
            return Outcome("exit", 0.0, f"exit status {os.WEXITSTATUS(status)} without a result")
        kind, seconds, detail = pickle.loads(payload)
        return Outcome(kind, seconds, detail)

    def close(self) -> None:
        """Stop the child (killed: it may be stuck in a parser)."""
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0
        self._close_pipes()

    def _close_pipes(self) -> None:
        for fd in (self.requests, self.results):
            if fd >= 0:
                os.close(fd)
        self.requests = self.results = -1

    def _start(self) -> None:
        request_read, request_write = os.pipe()
        result_read, result_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: serves until its pipe closes, never returns into pytest
            try:
                os.close(request_write)
                os.close(result_read)
                pages = int(Path("/proc/self/statm").read_text().split()[0])
                limit = pages * os.sysconf("SC_PAGE_SIZE") + MEMORY
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
                while True:
                    try:
                        data, name = pickle.loads(_receive(request_read, None))
                    except EOFError:
                        break
                    _send(result_write, pickle.dumps(_in_child(data, name)))
            finally:
                os._exit(0)
        os.close(request_read)
        os.close(result_write)
        self.pid, self.requests, self.results = pid, request_write, result_read


def _send(fd: int, payload: bytes) -> None:
    view = memoryview(len(payload).to_bytes(8, "little") + payload)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int, give_up: float | None) -> bytes:
    """One length-prefixed message; ``EOFError`` if the other end closed, ``TimeoutError`` at ``give_up``."""
    def exactly(count: int) -> bytes:
        chunks, left = [], count
        while left:
            if give_up is not None:
                wait = give_up - time.monotonic()
                if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                    raise TimeoutError
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    return exactly(int.from_bytes(exactly(8), "little"))


_OPS = st.builds(Op, kind=st.sampled_from(OPS), at=st.integers(0, 2**20), size=st.integers(0, 4095),
                 value=st.integers(0, 2**16), extra=st.integers(0, 2**20))
_CASES = st.tuples(st.integers(0, 15), st.booleans(), st.integers(0, 15), st.lists(_OPS, min_size=1, max_size=6),
                   st.lists(st.sampled_from(WRAPS), max_size=2))


def build(kind: str, case: tuple[int, bool, int, list[Op], list[str]]) -> Seed:
    """The input of one example: a seed of ``kind``, mutated (inside a member if asked), nested."""
    index, inside, member, ops, wraps = case
    seed = SEEDS[kind][index % len(SEEDS[kind])]
    data = mutate_member(seed.data, ops, DONORS, member) if inside else mutate(seed.data, ops, DONORS)
    data, name = nest(data, seed.name, wraps)
    return Seed(name, data)


def _record(kind: str, example: Seed, outcome: Outcome) -> None:
    figures = FIGURES.setdefault(kind, Figures())
    figures.inputs += 1
    figures.outcomes[outcome.status] += 1
    if outcome.seconds > figures.slowest:
        figures.slowest, figures.slowest_size = outcome.seconds, len(example.data)
    if outcome.ok:
        return
    signature = f"{outcome.status}: {outcome.detail.splitlines()[0] if outcome.detail else ''}"
    if outcome.status in ("text", "refused"):
        signature = f"slow ({outcome.seconds:.1f} s)"
    figures.failures[signature] += 1
    if COLLECT:
        folder = Path(COLLECT) / kind
        folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(example.data).hexdigest()[:16]
        (folder / f"{digest}-{example.name}").write_bytes(example.data)
        (folder / f"{digest}.txt").write_text(f"{signature}\n{outcome.seconds:.3f} s\n{outcome.detail}\n")


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    """The child process the examples run in, shared by the module."""
    child = Worker()
    try:
        yield child
    finally:
        child.close()


@pytest.fixture(scope="module", autouse=True)
def figures_report(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print (and, with TRACKER_FUZZ_REPORT, save) the figures per kind after the module."""
    yield
    rows: dict[str, dict[str, Any]] = {
        kind: {"inputs": f.inputs, "failures": dict(f.failures), "outcomes": dict(f.outcomes),
               "slowest_seconds": round(f.slowest, 3), "slowest_size": f.slowest_size}
        for kind, f in sorted(FIGURES.items())}
    if REPORT:
        Path(REPORT).write_text(json.dumps(rows, indent=2) + "\n")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():  # teardown output is captured otherwise
        reporter.write_line("")
        reporter.write_line("fuzz figures: kind, inputs, failures, slowest input, outcomes")
        for kind, row in rows.items():
            reporter.write_line(f"  {kind:6} {row['inputs']:6} {sum(row['failures'].values()):4} "
                                f"{row['slowest_seconds']:7.3f} s ({row['slowest_size']} bytes) {row['outcomes']}")


@pytest.mark.parametrize("kind", KINDS)
def test_broken_input_is_text_or_our_refusal(kind: str, worker: Worker) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
              suppress_health_check=list(HealthCheck), print_blob=RANDOM)
    @given(case=_CASES)
    def target(case: tuple[int, bool, int, list[Op], list[str]]) -> None:
        example = build(kind, case)
        outcome = worker.run(example.data, example.name)
        _record(kind, example, outcome)
        if COLLECT:
            return
        assert outcome.ok, (f"{example.name} ({len(example.data)} bytes): {outcome.status} after "
                            f"{outcome.seconds:.2f} s\n{outcome.detail}")

    target()


def test_the_targets_cover_every_kind_the_scanner_reads() -> None:
    """A kind added to the detection table gets a seed, hence a fuzz target, or this fails."""
    from tracker.extract.detect import EXTENSION_KINDS

    assert set(EXTENSION_KINDS.values()) | {"text"} == set(SEEDS)
