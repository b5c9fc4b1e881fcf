"""Supervised workers: a document that aborts, hangs, spins or eats memory costs only itself.

The pool runs real worker processes with real limits (``RLIMIT_CPU``, ``RLIMIT_AS``, a wall
deadline); the jobs below misbehave the way parsers do (``os.abort`` as a Rust allocation
failure does, sleeping, spinning, allocating), and the real scanner meets a real 1.5 KB
spreadsheet that makes calamine abort the process.
"""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import tracker.workers
from tracker.analysis import Analysis, Request
from tracker.extract import Limits
from tracker.synth.bombs import xlsx_corners
from tracker.workers import WorkerPool


def _echo(request: Request) -> Analysis:
    return Analysis(kind=request.source, parts=os.getpid())


def _misbehave(request: Request) -> Analysis:
    if request.source == "abort":
        os.write(2, b"thread 'main' panicked at quoting the document: Zvaikvo 02.03.1987\n")
        os.abort()
    if request.source == "oom":
        os.write(2, b"memory allocation of 549755813888 bytes failed\n")
        os.abort()
    if request.source == "hang":
        time.sleep(60)
    if request.source == "spin":
        while True:
            pass
    if request.source == "grab":
        block = bytearray(4 * 2**30)  # past RLIMIT_AS: MemoryError, which escapes the job
        return Analysis(parts=len(block))
    if request.source == "exit":
        os._exit(7)
    return _echo(request)


def test_a_worker_answers_and_is_reused() -> None:
    with WorkerPool(_echo) as pool:
        first = pool.analyze(Request("a", b"x"))
        second = pool.analyze(Request("b", b"y"))
    assert (first.kind, second.kind) == ("a", "b")
    assert first.parts == second.parts != os.getpid()  # one worker, not this process


@pytest.mark.parametrize(("source", "reason"), [("abort", "crashed"), ("oom", "memory"), ("grab", "crashed"),
                                                ("exit", "crashed")])
def test_a_worker_that_dies_costs_one_document(source: str, reason: str) -> None:
    with WorkerPool(_misbehave, Limits(memory_bytes=512 * 2**20)) as pool:
        before = pool.analyze(Request("ok", b""))
        failed = pool.analyze(Request(source, b""))
        after = pool.analyze(Request("ok", b""))
    assert failed.error and failed.reason == reason, failed
    assert "Zvaikvo" not in failed.error  # what the parser printed is never repeated
    assert after.error is None and after.parts != before.parts  # a fresh worker took over
    assert pool.failures == {reason: 1}


def test_a_document_past_the_deadline_is_a_timeout() -> None:
    with WorkerPool(_misbehave, Limits(wall_seconds=0.5)) as pool:
        t0 = time.monotonic()
        failed = pool.analyze(Request("hang", b""))
        took = time.monotonic() - t0
        assert pool.analyze(Request("ok", b"")).error is None
    assert failed.reason == "timeout" and "wall_seconds" in (failed.error or "")
    assert took < 5


def test_a_document_past_its_cpu_time_is_stopped() -> None:
    with WorkerPool(_misbehave, Limits(cpu_seconds=1, wall_seconds=60)) as pool:
        pool.analyze(Request("ok", b""))
        t0 = time.monotonic()
        failed = pool.analyze(Request("spin", b""))
        took = time.monotonic() - t0
    assert failed.reason == "cpu time" and "cpu_seconds" in (failed.error or "")
    assert took < 10


def test_cpu_time_is_a_budget_per_document_not_per_worker() -> None:
    """RLIMIT_CPU counts the process's whole life: the soft limit moves on before each document."""
    def busy(request: Request) -> Analysis:
        t_end = time.process_time() + 0.6
        while time.process_time() < t_end:
            pass
        return _echo(request)

    with WorkerPool(busy, Limits(cpu_seconds=1, wall_seconds=60)) as pool:
        results = [pool.analyze(Request(str(i), b"")) for i in range(4)]  # 2.4 s in all, 0.6 s each
    assert all(r.error is None for r in results)
    assert len({r.parts for r in results}) == 1


def test_a_worker_retires_and_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracker.workers, "RETIRE_AFTER", 2)
    with WorkerPool(_echo) as pool:
        pids = [pool.analyze(Request(str(i), b"")).parts for i in range(5)]
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
    assert pool.failures == {}


def test_workers_serve_threads_at_once(tmp_path: Path) -> None:
    """Two threads, two workers: each job waits to see the other's mark, which only a second
    worker running at the same time can leave."""
    def meet(request: Request) -> Analysis:
        mine, other = tmp_path / request.source, tmp_path / ("1" if request.source == "0" else "0")
        mine.write_text("here")
        deadline = time.monotonic() + 20
        while not other.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return Analysis(kind=request.source if other.exists() else "alone", parts=os.getpid())

    results: list[Analysis] = []
    with WorkerPool(meet, size=2) as pool:
        threads = [threading.Thread(target=lambda i=i: results.append(pool.analyze(Request(str(i), b""))))
                   for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(r.kind or "" for r in results) == ["0", "1"]
    assert len({r.parts for r in results}) == 2


def test_workers_die_with_a_killed_supervisor(tmp_path: Path) -> None:
    """``kill -9`` of the scanning process leaves no worker behind holding its pipes."""
    script = textwrap.dedent("""
        import os, sys, time
        from tracker.analysis import Analysis, Request
        from tracker.workers import WorkerPool
        def job(request):
            return Analysis(parts=os.getpid())
        pool = WorkerPool(job)
        print(pool.analyze(Request("a", b"")).parts, flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    worker = int(proc.stdout.readline())
    proc.kill()
    proc.wait(timeout=10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(worker):
        time.sleep(0.05)
    assert not _alive(worker)
    assert proc.stdout.read() == ""  # EOF: no orphan holds the output pipe open


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


# --- the real scanner on a real poisoned spreadsheet ------------------------------------------

def corners_xlsx() -> bytes:
    return xlsx_corners()


def test_a_spreadsheet_that_aborts_its_parser_is_an_error_and_the_scan_goes_on(cli, synthetic_leak,  # type: ignore[no-untyped-def]
                                                                               tmp_path: Path) -> None:
    assert cli("leak", "add", str(synthetic_leak.path), "--name", "roster").exit_code == 0
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a-poison.xlsx").write_bytes(corners_xlsx())
    synthetic_leak.repost_csv(folder / "b-repost.csv", [0, 3, 5])
    result = subprocess.run([str(Path(sys.executable).parent / "tracker"), "scan", str(folder), "--json"],
                            capture_output=True, text=True, timeout=120, env=os.environ)
    lines = [__import__("json").loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    by_file = {Path(r["source"]).name: r for r in lines}
    assert by_file["a-poison.xlsx"]["verdict"] == "error"  # refused before calamine, or its abort contained
    assert by_file["b-repost.csv"]["verdict"] == "hit" and by_file["b-repost.csv"]["records"] == [1, 4, 6]
    assert result.returncode == 3, result.stderr  # some documents not scanned (docs/cli.md)
    assert "memory allocation of" not in result.stderr  # the parser's own last words stay in the worker


def test_an_extractor_that_aborts_the_process_costs_the_scanner_one_document(
        engine, settings_, synthetic_leak, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The scanner's own worker: the extraction of one document aborts the process (as calamine
    does past its allocation); that document is an error, stored as such, and the next is a hit."""
    from sqlmodel import select

    import tracker.analysis
    from fingerprints.keyed import Keyer
    from tracker import leaks
    from tracker.db import session_scope
    from tracker.models import ScanError
    from tracker.pipeline import Scanner

    real = tracker.analysis.extract

    def extract(data: bytes, **kw: object):  # type: ignore[no-untyped-def]
        if data.startswith(b"POISON"):
            os.abort()
        return real(data, **kw)  # type: ignore[arg-type]

    key = Keyer(bytes(range(32)))
    leak = leaks.add_leak(engine, settings_, key, synthetic_leak.path, "roster").leak
    monkeypatch.setattr(tracker.analysis, "extract", extract)
    repost = synthetic_leak.repost_csv(tmp_path / "r.csv", [1, 2, 3]).read_bytes()
    with Scanner(engine, [leak], key, settings=settings_, use_gate=False) as scanner:
        [poisoned] = scanner.scan_bytes("https://paste.example/poison", b"POISON" + repost)
        [after] = scanner.scan_bytes("https://paste.example/repost", repost)
        assert scanner.pool is not None and scanner.pool.failures == {"crashed": 1}
    assert poisoned.verdict == "error" and "aborted" in (poisoned.error or "")
    assert after.verdict == "hit" and after.records == [2, 3, 4]
    with session_scope(engine) as s:
        assert [e.source for e in s.exec(select(ScanError)).all()] == ["https://paste.example/poison"]


def _limits_seen(request: Request) -> Analysis:
    import ctypes

    dumpable = ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)  # PR_GET_DUMPABLE
    core = resource.getrlimit(resource.RLIMIT_CORE)
    return Analysis(kind=f"{core[0]},{core[1]},{dumpable}", parts=os.getpid())


def test_a_worker_never_dumps_core() -> None:
    """Its memory holds the document's text, the indexes and the key: no core file, no ptrace."""
    with WorkerPool(_limits_seen) as pool:
        assert pool.analyze(Request("x", b"")).kind == "0,0,0"


def test_a_worker_that_died_idle_costs_no_document() -> None:
    with WorkerPool(_echo) as pool:
        first = pool.analyze(Request("a", b""))
        os.kill(first.parts, signal.SIGKILL)  # the OOM killer, say, between two documents
        time.sleep(0.2)
        second = pool.analyze(Request("b", b""))
    assert second.error is None and second.kind == "b" and second.parts != first.parts
    assert pool.failures == {}


def _chatty(request: Request) -> Analysis:
    line = b"warning: " + b"x" * 1000 + b"\n"
    t_end = time.monotonic() + 2.5
    while time.monotonic() < t_end:
        for _ in range(2000):
            os.write(2, line)
        time.sleep(0.05)
    return Analysis(parts=os.fstat(2).st_size)


def test_a_parsers_runaway_output_is_cut_back_while_it_runs() -> None:
    """The scratch file a worker's stderr goes to counts against no memory limit: it is kept
    small while the document runs (here 2.5 s of warnings, tens of MB)."""
    with WorkerPool(_chatty) as pool:
        result = pool.analyze(Request("x", b""))
    assert result.error is None and result.parts < 40 * 2**20
