"""Resource limits for one extraction, and the running account that enforces them.

Fetched documents are hostile input: a 40 kB zip can hold gigabytes of zeros, an archive can
nest archives without end. Every byte that comes out of a decompressor is charged to one
``Budget`` shared by the whole document, so the limits hold however the bytes are nested.
"""
from __future__ import annotations

from dataclasses import dataclass

from tracker.errors import LimitExceeded
from tracker.extract.messages import where

#: Members smaller than this are never refused for their compression ratio: a tiny, very
#: compressible file (a column of zeros) is harmless, and refusing it would lose real documents.
RATIO_FLOOR = 1 * 2**20


@dataclass(frozen=True)
class Limits:
    """How much one document may expand to before extraction stops with ``LimitExceeded``, and
    how much time and memory its analysis may take."""

    max_total_bytes: int = 200 * 2**20  # total decompressed bytes over the whole document incl. nested archives
    max_ratio: float = 200.0  # decompressed/compressed ratio per archive member (zip bomb guard)
    max_depth: int = 3  # archive nesting depth
    max_members: int = 10_000
    # What the supervised worker (tracker.workers) lets one document's analysis take; past any
    # of them the document is an error (timeout, cpu time, memory), the run goes on. Sized so
    # that the largest document fetched (25 MB), a CSV whose 627,000 rows are all leaked, is
    # still read whole: measured 93 s of CPU and 3.2 GB here, so twice that.
    wall_seconds: float = 300.0
    cpu_seconds: float = 180.0
    memory_bytes: int = 6 * 2**30  # address space beyond what the worker holds before the document


class Budget:
    """What one extraction has used so far: bytes produced and archive members opened."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.total_bytes = 0
        self.members = 0

    def take_bytes(self, count: int, name: str) -> None:
        """Charge ``count`` more bytes; raise once the document's total goes over the limit."""
        self.total_bytes += count
        if self.total_bytes > self.limits.max_total_bytes:
            raise LimitExceeded(
                f"document expands to more than {self.limits.max_total_bytes} bytes "
                f"(max_total_bytes){where(name)}")

    def take_members(self, count: int, name: str) -> None:
        """Charge ``count`` more archive members; raise once the document holds too many."""
        self.members += count
        if self.members > self.limits.max_members:
            raise LimitExceeded(
                f"document holds more than {self.limits.max_members} archive members (max_members){where(name)}")

    def check_ratio(self, produced: int, compressed: int, name: str) -> None:
        """Refuse a member that inflates more than ``max_ratio`` times (past ``RATIO_FLOOR`` bytes)."""
        if produced > RATIO_FLOOR and produced > self.limits.max_ratio * max(compressed, 1):
            raise LimitExceeded(
                f"archive member expands more than {self.limits.max_ratio:g} times its compressed size "
                f"({compressed} bytes), a likely zip bomb (max_ratio){where(name)}")

    def check_depth(self, depth: int, name: str) -> None:
        """Refuse to open an archive whose members would sit deeper than ``max_depth`` levels."""
        if depth > self.limits.max_depth:
            raise LimitExceeded(
                f"archives nested more than {self.limits.max_depth} levels deep (max_depth){where(name)}")
