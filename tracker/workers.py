"""Supervised worker processes that analyse hostile documents under time and memory limits.

A monitor reads whatever strangers post, and parsers fail in ways no ``except`` catches: a
4.9 KB spreadsheet makes calamine allocate 512 GiB and abort the process, a crafted PDF keeps
a parser busy for minutes, a decompressor fills the memory. So documents are analysed
(:class:`tracker.analysis.Analyzer`: gate, extraction, matching) in worker processes that
the scanning process supervises: each document gets a wall-clock deadline, a CPU-time limit
(``RLIMIT_CPU``, raised by the budget before each document) and a memory limit (``RLIMIT_AS``:
what the worker held when it started plus the budget). A worker that dies or overruns is
replaced, and the document in hand becomes an ``error`` with the reason (``timeout``,
``cpu time``, ``memory``, ``crashed``); the run, the source and every later document go on.

Workers are forked from the scanning process once its leaks are loaded, so they share the
indexes copy-on-write and start in milliseconds; they never touch the database or the network
(they leave with ``os._exit``, so the parent's connections, inherited across the fork, are
never closed under it). Only documents and their analyses cross the pipe.
One pool serves every way of scanning (``scan``, ``run``, removal checks); ``size`` is its
number of workers.
"""
from __future__ import annotations

import faulthandler
import fcntl
import logging
import multiprocessing
import multiprocessing.connection
import os
import re
import resource
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tracker.analysis import Analysis, Request, memory_message, shown_size
from tracker.extract import Limits

log = logging.getLogger(__name__)

#: A worker that has grown by more than this share of its memory budget since it started
#: (fragmentation, caches) retires after its document, so the next one has its whole budget.
RETIRE_GROWTH = 0.5
#: Documents a worker analyses before it retires anyway (bounds any slow leak).
RETIRE_AFTER = 2000

_STDERR_TAIL = 4096
#: What a worker keeps of a parser's output between documents: beyond this the scratch file
#: (which no RLIMIT_AS counts) is cut back to its start while the document runs.
_STDERR_KEEP = 1 << 20
#: What allocators print when a request past ``RLIMIT_AS`` fails (Rust; C++; Python).
_OUT_OF_MEMORY = re.compile(rb"memory allocation of \d+ bytes failed|std::bad_alloc|MemoryError")

_SIGNAL_REASONS = {
    signal.SIGXCPU: ("cpu time", "the document took more CPU time than a scan may use ({cpu}s, cpu_seconds)"),
    signal.SIGKILL: ("memory", "the worker was killed (by the system, most likely for memory) while reading the "
                               "document"),
    signal.SIGABRT: ("crashed", "a parser aborted while reading the document (often an allocation past the "
                                "memory limit of {memory}, memory_bytes)"),
    signal.SIGSEGV: ("crashed", "a parser crashed (segmentation fault) while reading the document"),
    signal.SIGBUS: ("crashed", "a parser crashed (bus error) while reading the document"),
}


def _vm_size() -> int:
    """This process's address space in bytes (what ``RLIMIT_AS`` counts)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class _Reply:
    analysis: Analysis
    retiring: bool


def _serve(conn: multiprocessing.connection.Connection, job: Callable[[Request], Analysis], limits: Limits) -> None:
    """The worker's loop: one request in, one reply out, until told to stop or retired."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the supervisor's "stop after this document"
    start = _vm_size()
    if start and limits.memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (start + limits.memory_bytes, resource.RLIM_INFINITY))
    done = 0
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        except MemoryError:  # the document itself did not fit
            conn.send(_Reply(Analysis.failed("memory", memory_message(limits)), True))
            return
        if request is None:
            return
        if limits.cpu_seconds:
            soft = int(_cpu_used() + limits.cpu_seconds) + 1
            resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))
        analysis = job(request)
        done += 1
        grown = _vm_size() - start
        retiring = done >= RETIRE_AFTER or (limits.memory_bytes > 0 and grown > RETIRE_GROWTH * limits.memory_bytes)
        try:
            conn.send(_Reply(analysis, retiring))
        except (OSError, ValueError):
            return
        except MemoryError:  # the analysis did not fit on its way back
            conn.send(_Reply(Analysis.failed("memory", memory_message(limits)), True))
            return
        if retiring:
            return


def _no_core_dumps() -> None:
    """A worker that dies of SIGABRT, SIGXCPU or SIGSEGV would dump core: its memory holds the
    document's text, the loaded indexes and the key. No core file, no core pipe, no ptrace."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
    except (OSError, AttributeError):
        pass


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when its supervisor dies (``kill -9`` included), so no
    orphan goes on holding the supervisor's pipes or memory."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _worker_main(conn: multiprocessing.connection.Connection, inherited: list[multiprocessing.connection.Connection],
                 parent: int, stderr: int, job: Callable[[Request], Analysis], limits: Limits) -> None:
    code = 0
    try:
        # What parsers print (a Rust panic can quote the document) goes to the supervisor's
        # scratch file, never to the terminal or a log; the supervisor reads only its reason.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(stderr, 2)
        faulthandler.disable()  # it writes to a copy of the old stderr, not to fd 2
        _no_core_dumps()
        _die_with_parent()
        if os.getppid() != parent:  # the supervisor died before the request above took effect
            os._exit(0)
        for other in inherited:  # the supervisor's ends of every pipe: else EOF never comes
            other.close()
        _serve(conn, job, limits)
    except BaseException:  # noqa: BLE001 - whatever happens, leave without running the parent's finalizers
        code = 1
    finally:
        os._exit(code)


class _Worker:
    """One worker process and the supervisor's end of its pipe."""

    def __init__(self, job: Callable[[Request], Analysis], limits: Limits,
                 others: list[multiprocessing.connection.Connection]) -> None:
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe(duplex=True)
        self.stderr = os.memfd_create("tracker-worker-stderr", os.MFD_CLOEXEC)
        fcntl.fcntl(self.stderr, fcntl.F_SETFL, fcntl.fcntl(self.stderr, fcntl.F_GETFL) | os.O_APPEND)
        self.process = context.Process(
            target=_worker_main, args=(child, [self.conn, *others], os.getpid(), self.stderr, job, limits),
            daemon=True, name="tracker-scan-worker")
        self.process.start()
        child.close()

    def said(self) -> bytes:
        """The start and end of what the worker printed since the last document (for the reason
        it died: an allocator's last words come first, a backtrace may follow)."""
        size = os.fstat(self.stderr).st_size
        head = os.pread(self.stderr, _STDERR_TAIL, 0)
        return head + os.pread(self.stderr, _STDERR_TAIL, max(len(head), size - _STDERR_TAIL))

    def forget_output(self) -> None:
        os.ftruncate(self.stderr, 0)

    def bound_output(self) -> None:
        """Cut a parser's runaway output back to its start (kept for the reason it may die)."""
        if os.fstat(self.stderr).st_size > _STDERR_KEEP:
            os.ftruncate(self.stderr, _STDERR_TAIL)

    def stop(self, kill: bool = False) -> None:
        if kill and self.process.is_alive():
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()
        if self.stderr >= 0:
            os.close(self.stderr)
            self.stderr = -1


class WorkerPool:
    """Analyses documents in supervised worker processes (see the module docstring).

    ``analyze`` is safe to call from several threads; each call takes a free worker (at most
    ``size`` documents in flight), and workers are started on first use and replaced when
    they die, overrun or retire.
    """

    def __init__(self, job: Callable[[Request], Analysis], limits: Limits | None = None, size: int = 1) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.job = job
        self.limits = limits or Limits()
        self.size = size
        self._idle: list[_Worker] = []
        self._live: set[_Worker] = set()  # every started worker whose pipe is open
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._closed = False
        #: Documents that cost a worker (timeout, limit, crash), by reason: for logs and tests.
        self.failures: dict[str, int] = {}

    def analyze(self, request: Request) -> Analysis:
        """The document's analysis, or an ``error`` analysis saying why the worker could not give one."""
        with self._slots:
            holder = [self._take()]  # the worker in use (replaced if it died before taking the document)
            try:
                analysis, keep = self._run(holder, request)
            except BaseException:
                holder[0].stop(kill=True)  # interrupted mid-document: its state is unknown
                raise
            if keep:
                with self._lock:
                    if not self._closed:
                        self._idle.append(holder[0])
                        return analysis
                holder[0].stop()
            return analysis

    def _take(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                worker.stop(kill=True)  # died idle (OOM killer, a signal): not the next document's fault
            return self._spawn()

    def _run(self, holder: list[_Worker], request: Request) -> tuple[Analysis, bool]:
        limits = self.limits
        deadline = time.monotonic() + limits.wall_seconds if limits.wall_seconds else None
        worker = holder[0]
        try:
            worker.conn.send(request)
        except OSError:  # the worker died before it took the document: another one takes it
            worker.stop(kill=True)
            worker = holder[0] = self._replace(worker)
            worker.conn.send(request)
        try:
            while True:
                wait = 1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))
                if worker.conn.poll(wait):
                    reply: _Reply = worker.conn.recv()
                    break
                worker.bound_output()
                if deadline is not None and time.monotonic() >= deadline:
                    worker.stop(kill=True)
                    return self._failed("timeout", f"the document took longer than a scan may take "
                                                   f"({limits.wall_seconds:g}s, wall_seconds)"), False
        except (EOFError, OSError):
            worker.process.join(timeout=5)
            code = worker.process.exitcode
            said = worker.said()
            worker.stop(kill=True)
            return self._died(code, said), False
        worker.forget_output()
        if reply.retiring:
            worker.process.join(timeout=5)
            worker.stop()
            return reply.analysis, False
        return reply.analysis, True

    def _replace(self, dead: _Worker) -> _Worker:
        with self._lock:
            self._live.discard(dead)
            return self._spawn()

    def _spawn(self) -> _Worker:
        """A new worker (the lock held): it closes every other live worker's supervisor end."""
        self._live = {w for w in self._live if not w.conn.closed}
        worker = _Worker(self.job, self.limits, [w.conn for w in self._live])
        self._live.add(worker)
        return worker

    def _died(self, code: int | None, said: bytes) -> Analysis:
        if _OUT_OF_MEMORY.search(said):
            return self._failed("memory", memory_message(self.limits))
        if code is not None and code < 0:
            try:
                sig = signal.Signals(-code)
            except ValueError:
                sig = None
            if sig in _SIGNAL_REASONS:
                reason, text = _SIGNAL_REASONS[sig]
                return self._failed(reason, text.format(cpu=f"{self.limits.cpu_seconds:g}",
                                                        memory=shown_size(self.limits.memory_bytes)))
            name = sig.name if sig is not None else f"signal {-code}"
            return self._failed("crashed", f"the worker died of {name} while reading the document")
        return self._failed("crashed", f"the worker exited (code {code}) while reading the document")

    def _failed(self, reason: str, message: str) -> Analysis:
        with self._lock:
            self.failures[reason] = self.failures.get(reason, 0) + 1
        log.warning("document analysis failed: %s", message)
        return Analysis.failed(reason, message)

    def close(self) -> None:
        """Stop every idle worker (busy ones stop when their document is done)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["WorkerPool"]
