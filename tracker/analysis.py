"""One document's analysis against every loaded leak: gate, extraction, matching, sketch.

This is the part of a scan that reads hostile input, so it holds no database, no network and
no state beyond the loaded leaks: it runs the same way in this process and in a supervised
worker (:mod:`tracker.workers`), which is where scans run it, so that a parser that aborts,
hangs or eats memory costs one document an ``error``, not the run. Storing what it finds is
the pipeline's job (:mod:`tracker.pipeline`).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from fingerprints.gate import DocumentGate
from fingerprints.keyed import Keyer
from fingerprints.matcher import DocumentMatch, Matcher
from tracker.errors import TrackerError
from tracker.extract import Limits, extract
from tracker.prefilter import certainly_clean, text_view

log = logging.getLogger(__name__)


def shown_size(n: int) -> str:
    """A memory budget as messages show it (``3 GiB``, ``512 MiB``)."""
    return f"{n / 2**30:g} GiB" if n >= 2**30 else f"{n / 2**20:g} MiB"


def memory_message(limits: Limits) -> str:
    """Why a document that outgrew the memory budget is an error (said by the analysis and by
    the worker's supervisor alike)."""
    return f"the document needs more memory than a scan may use ({shown_size(limits.memory_bytes)}, memory_bytes)"


@dataclass
class LoadedLeak:
    """A leak ready to match: its row id, name, matcher (loaded index) and compiled gate."""

    id: int
    name: str
    matcher: Matcher
    gate: DocumentGate | None = None


@dataclass(frozen=True)
class Request:
    """A document to analyse: its bytes and what is known of its name and type."""

    source: str
    data: bytes
    content_type: str | None = None
    name: str | None = None


@dataclass
class Analysis:
    """What one document holds for each leak, or why it could not be read.

    ``matches`` is in the order of the leaks (empty when ``gated``: the compiled gate showed
    that no leak's record is in the document, unread). ``error`` is set when the document
    could not be read; ``reason`` then says how (``unreadable``, ``timeout``, ``cpu time``,
    ``memory``, ``crashed``), for counts and health.
    """

    matches: list[DocumentMatch] = field(default_factory=list)
    gated: bool = False
    kind: str | None = None
    parts: int = 0
    part_errors: list[str] = field(default_factory=list)
    sketch: bytes | None = None
    error: str | None = None
    reason: str | None = None

    @classmethod
    def failed(cls, reason: str, message: str) -> Analysis:
        return cls(error=message, reason=reason)

    @property
    def hit(self) -> bool:
        return any(m.verdict == "hit" for m in self.matches)


class Analyzer:
    """Analyses documents against a fixed set of loaded leaks (see :func:`analyze`)."""

    def __init__(self, leaks: Sequence[LoadedLeak], keyer: Keyer, limits: Limits | None = None) -> None:
        self.leaks = list(leaks)
        self.keyer = keyer
        self.limits = limits or Limits()
        #: Whether every leak has its compiled gate (else each document is extracted and matched).
        self.gated = bool(self.leaks) and all(leak.gate is not None for leak in self.leaks)

    def __call__(self, request: Request) -> Analysis:
        try:
            return self._analyze(request)
        except MemoryError:
            return Analysis.failed("memory", memory_message(self.limits))

    def _analyze(self, request: Request) -> Analysis:
        name = request.name or request.source
        if self._gated_clean(request, name):
            return Analysis(gated=True)
        try:
            extracted = extract(request.data, name=name, content_type=request.content_type, limits=self.limits)
            texts = [part.text for part in extracted.parts]
            matches = [leak.matcher.match_parts(texts) for leak in self.leaks]
        except MemoryError:
            raise
        except TrackerError as exc:  # unsupported, broken or over-limit: the message says which
            log.debug("analysis of %s failed: %s", request.source, exc.__class__.__name__)
            return Analysis.failed("unreadable", str(exc))
        except Exception as exc:  # a bug must not stop the run; its message could quote content
            log.debug("analysis of %s failed: %s", request.source, exc.__class__.__name__)
            return Analysis.failed("unreadable", f"internal error while reading the document "
                                                 f"({exc.__class__.__name__})")
        result = Analysis(matches=matches, kind=extracted.kind, parts=len(texts),
                          part_errors=list(extracted.errors))
        if result.hit:
            # While the text is in hand: a keyed sketch lets the workflow group mirrors that
            # differ slightly (near-duplicates) into one incident.
            from tracker.workflow.incidents import document_sketch

            result.sketch = document_sketch(self.keyer, "\n".join(texts))
        return result

    def _gated_clean(self, request: Request, name: str) -> bool:
        """Whether the compiled gate alone shows that no leak's record is in the document."""
        if not self.gated:
            return False
        try:
            view = text_view(request.data, name, request.content_type, self.limits)
            return view is not None and certainly_clean(view, self.leaks)
        except MemoryError:
            raise
        except Exception as exc:  # the full path decides, and reports what is wrong with the document
            log.debug("gate failed on %s: %s", request.source, exc.__class__.__name__)
            return False


__all__ = ["Analysis", "Analyzer", "LoadedLeak", "Request", "memory_message", "shown_size"]
