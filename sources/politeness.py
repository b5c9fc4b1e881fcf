"""Per-host politeness: at most N requests in flight to a host, and a minimum gap between starts.

Sources run in scheduler threads that share one client, so the limits are shared too:
two sources hitting the same mirror together still respect the host's budget.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class _Host:
    def __init__(self, concurrency: int) -> None:
        self.slots = threading.BoundedSemaphore(concurrency)
        self.lock = threading.Lock()
        self.next_start = 0.0


class HostGate:
    """Hands out request slots per host: ``with gate.slot(host): send()``."""

    def __init__(self, concurrency: int, delay: float) -> None:
        if concurrency < 1:
            raise ValueError("per-host concurrency must be at least 1")
        self._concurrency = concurrency
        self._delay = max(0.0, delay)
        self._hosts: dict[str, _Host] = {}
        self._guard = threading.Lock()

    def _host(self, host: str) -> _Host:
        with self._guard:
            entry = self._hosts.get(host)
            if entry is None:
                entry = self._hosts[host] = _Host(self._concurrency)
            return entry

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Wait for a free slot on ``host`` and for the delay since the previous start."""
        entry = self._host(host.lower())
        with entry.slots:
            with entry.lock:
                now = time.monotonic()
                wait = entry.next_start - now
                # Reserve our start time before sleeping so waiters queue up in order.
                entry.next_start = max(now, entry.next_start) + self._delay
            if wait > 0:
                time.sleep(wait)
            yield
