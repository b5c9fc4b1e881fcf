"""The scan pipeline: document bytes in, one verdict per leak out, hits stored.

Each document is hashed, extracted once and matched against every leak; the document and
any hit are written in one transaction per document, so a crash loses at most the document
in hand and a re-scan is idempotent (the document's ``last_seen`` moves on, the hit is
updated, never duplicated). A document that cannot be read gives an ``error`` result and
the run goes on; an unsupported format is an error too, never silently "clean".

What is stored and returned of a match is record ids, numbers and masked evidence
("M****** (7)"); ``_masked`` and ``_numbers_only`` re-check that on the way in, so even a
matcher bug cannot put a leaked value into the database or onto the screen.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from fingerprints.errors import KeyError_
from fingerprints.gate import DocumentGate
from fingerprints.gate import available as gate_available
from fingerprints.keyed import Keyer
from fingerprints.matcher import DocumentMatch, Matcher, RecordMatch, mask
from sources.files import FileRefused, inside, path_text, read_regular_file
from sources.http import HttpSettings
from tracker import store
from tracker.analysis import Analysis, Analyzer, LoadedLeak, Request
from tracker.db import session_scope
from tracker.errors import ConfigError, StorageError
from tracker.extract import Limits
from tracker.fetch import FetchFailed, UrlFetcher
from tracker.leaks import load_index
from tracker.models import Leak
from tracker.settings import Settings
from tracker.workers import WorkerPool

log = logging.getLogger(__name__)

Verdict = Literal["hit", "clean", "error"]
_MASKED_RE = re.compile(r"^\S\** \(\d+\)$")


@dataclass(frozen=True)
class ScanResult:
    """The verdict on one document for one leak."""

    source: str
    leak: str
    verdict: Verdict
    sha256: str | None = None
    score: float = 0.0
    records: list[int] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    hit_id: int | None = None
    new_hit: bool = False
    #: For hits: rows expected to match this well by chance, of ``rows`` compared.
    expected_chance: float | None = None
    rows: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``tracker scan --json`` line: ids, numbers and hashes only."""
        out: dict[str, Any] = {"source": self.source, "leak": self.leak, "verdict": self.verdict,
                               "score": round(self.score, 4), "records": self.records, "fields": self.fields,
                               "sha256": self.sha256}
        if self.expected_chance is not None:
            out["expected_chance"] = self.expected_chance
            out["rows"] = self.rows
        if self.error is not None:
            out["error"] = self.error
        return out


def _masked(text: str) -> str:
    """Evidence as the matcher should give it ("M****** (7)"); anything else is masked here."""
    return text if _MASKED_RE.match(text) else mask(text)


def _numbers_only(value: Any) -> Any:
    """Keep the keys and the numbers of a per-field summary, drop every string value."""
    if isinstance(value, dict):
        return {str(k): v for k, v in ((k, _numbers_only(v)) for k, v in value.items()) if v is not None}
    if isinstance(value, (list, tuple)):
        return [v for v in map(_numbers_only, value) if v is not None]
    if isinstance(value, bool | int | float):
        return value
    return None


def _record_detail(record: RecordMatch) -> dict[str, Any]:
    return {"id": record.record_id, "score": round(record.score, 4), "part": record.part, "line": record.line,
            "fields": _numbers_only(record.fields), "namesakes": int(record.namesakes),
            "evidence": {str(k): _masked(str(v)) for k, v in record.evidence.items()}}


def _hit_data(match: DocumentMatch) -> store.HitData:
    return store.HitData(
        score=float(match.score), record_ids=[int(r) for r in match.record_ids],
        fields=_numbers_only(match.fields),
        records_detail=[_record_detail(r) for r in sorted(match.records, key=lambda r: r.record_id)],
        expected_chance=_chance(match.expected_chance), rows_compared=int(match.rows),
    )


def _chance(value: float) -> float:
    """Expected chance matches to three significant digits (what an analyst compares)."""
    return float(f"{value:.3g}")


def iter_files(path: Path, follow_links: bool = False) -> list[Path]:
    """``path`` itself if it is not a folder, else every entry below it that is not a folder,
    sorted by path.

    Special files (FIFOs, devices, sockets) are listed, so that :meth:`Scanner.scan_file`
    reports each as not read; symbolic links to folders are not descended, and links that
    lead out of ``path`` are left out (with a warning) unless ``follow_links``.
    """
    if not path.is_dir():
        return [path]
    out = []
    for folder, _, files in os.walk(path):
        for name in files:
            entry = Path(folder) / name
            if not follow_links and entry.is_symlink() and not inside(entry, path):
                log.warning("skipped %s: a symbolic link out of the scanned folder", path_text(entry))
                continue
            out.append(entry)
    return sorted(out)


class Scanner:
    """Scans documents against a set of leaks and stores what it finds.

    Build one per run (loading an index takes a moment) and feed it documents with
    :meth:`scan_bytes`, :meth:`scan_file`, :meth:`scan_path` or :meth:`scan_url`. Each
    document is analysed (:class:`tracker.analysis.Analyzer`) in a supervised worker process
    (:class:`tracker.workers.WorkerPool`) under ``limits``; ``isolate=False`` runs the same
    analysis in this process (for tests and comparisons that need no protection).
    """

    def __init__(self, engine: Engine, leaks: Sequence[Leak], keyer: Keyer, *, settings: Settings,
                 fetcher: UrlFetcher | None = None, limits: Limits | None = None, use_gate: bool = True,
                 isolate: bool = True, workers: int = 1) -> None:
        """``use_gate=False`` extracts and matches every document in full (for comparisons)."""
        self.engine = engine
        self.keyer = keyer
        self.fetcher = fetcher
        self._own_fetcher: UrlFetcher | None = None
        self.limits = limits or Limits()
        self.leaks: list[LoadedLeak] = []
        for leak in leaks:
            index = load_index(settings, leak, keyer)
            try:
                matcher = Matcher(index, keyer)
            except KeyError_ as exc:
                raise ConfigError(f"leak {leak.name!r}: {exc}") from exc
            compiled = DocumentGate(index, keyer, matcher.tokens) if use_gate and gate_available() else None
            self.leaks.append(LoadedLeak(leak.id or 0, leak.name, matcher, compiled))
        #: Local files larger than this are not read: the cap fetched bodies have.
        self.max_file_bytes = fetcher.max_bytes if fetcher is not None else HttpSettings().max_bytes
        self.analyzer = Analyzer(self.leaks, keyer, self.limits)
        self.pool = WorkerPool(self.analyzer, self.limits, size=workers) if isolate else None
        #: Documents found clean by the gate alone, without extraction (for logs and benchmarks).
        self.gated_clean = 0
        self._count_lock = threading.Lock()  # scan_bytes may run in several threads (scan --jobs)

    def errors(self, source: str, message: str, sha256: str | None = None) -> list[ScanResult]:
        """One ``error`` result per leak for a document that could not be scanned; also stored."""
        log.warning("cannot scan %s: %s", source, message)
        try:
            with session_scope(self.engine) as session:
                store.record_scan_error(session, source, message)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot store scan error for {source}: {exc}") from exc
        return [ScanResult(source, leak.name, "error", sha256=sha256, error=message) for leak in self.leaks]

    def analyze(self, request: Request) -> Analysis:
        """The document's analysis, in a supervised worker unless the scanner does not isolate."""
        return self.pool.analyze(request) if self.pool is not None else self.analyzer(request)

    def scan_bytes(self, source: str, data: bytes, content_type: str | None = None,
                   name: str | None = None) -> list[ScanResult]:
        """Analyse ``data`` once against every leak, store the document and hits."""
        sha256 = hashlib.sha256(data).hexdigest()
        analysis = self.analyze(Request(source, data, content_type, name))
        if analysis.gated:
            with self._count_lock:
                self.gated_clean += 1
            log.info("scanned %s (%d bytes): clean (gate)", source, len(data))
            return [ScanResult(source, leak.name, "clean", sha256, 0.0) for leak in self.leaks]
        if analysis.error is not None:
            return self.errors(source, analysis.error, sha256)
        for problem in analysis.part_errors:
            log.warning("%s: part skipped: %s", source, problem)
        matches = list(zip(self.leaks, analysis.matches, strict=True))
        if not analysis.hit:
            if analysis.part_errors:  # what could not be read may hold the records: not "clean"
                more = f" (and {len(analysis.part_errors) - 1} more)" if len(analysis.part_errors) > 1 else ""
                return self.errors(source, f"no record in what could be read, but a part could not be read: "
                                           f"{analysis.part_errors[0]}{more}", sha256)
            # Clean documents leave no trace in the database: most of what is scanned is
            # unrelated to any leak, and storing it would cost a transaction per paste.
            log.info("scanned %s (%d bytes, %d parts): clean", source, len(data), analysis.parts)
            return [ScanResult(source, leak.name, "clean", sha256, float(match.score)) for leak, match in matches]
        try:
            with session_scope(self.engine) as session:
                document, _ = store.record_document(
                    session, source=source, sha256=sha256, size=len(data), content_type=content_type,
                    kind=analysis.kind)
                results = []
                for leak, match in matches:
                    if match.verdict != "hit":
                        results.append(ScanResult(source, leak.name, "clean", sha256, float(match.score)))
                        continue
                    found = _hit_data(match)
                    hit, created = store.record_hit(session, leak_id=leak.id, document_id=document.id or 0,
                                                    data=found)
                    results.append(ScanResult(source, leak.name, "hit", sha256, found.score, found.record_ids,
                                              found.fields, hit_id=hit.id, new_hit=created,
                                              expected_chance=found.expected_chance, rows=found.rows_compared))
                if analysis.sketch is not None:
                    from tracker.workflow.incidents import save_sketch

                    save_sketch(session, document.id or 0, analysis.sketch)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot store the scan of {source}: {exc}") from exc
        log.info("scanned %s (%d bytes, %d parts): %s", source, len(data), analysis.parts,
                 ", ".join(f"{r.leak}={r.verdict}" for r in results))
        return results

    def scan_file(self, path: Path) -> list[ScanResult]:
        """Scan one local file; its source is its absolute path (as :func:`path_text` writes it).

        Only regular files are read, at most ``max_file_bytes`` of them (the cap fetched bodies
        have): a FIFO would block the scan, a link to ``/dev/zero`` never end.
        """
        source = path_text(path.absolute())
        try:
            data = read_regular_file(path, self.max_file_bytes)
        except FileRefused as exc:
            return self.errors(source, f"{source}: {exc}")
        except OSError as exc:
            return self.errors(source, f"cannot read {source}: {exc.strerror or exc.__class__.__name__}")
        return self.scan_bytes(source, data, name=path_text(path.name))

    def scan_path(self, path: Path) -> Iterator[ScanResult]:
        """Scan a file, or every file of a folder recursively in sorted order."""
        for file in iter_files(path):
            yield from self.scan_file(file)

    def scan_url(self, url: str) -> list[ScanResult]:
        """Fetch ``url`` through the guarded HTTP client and scan the body; its source is the URL."""
        if self.fetcher is None:
            self.fetcher = self._own_fetcher = UrlFetcher()
        try:
            result = self.fetcher.fetch(url)
        except FetchFailed as exc:
            return self.errors(url, str(exc))
        return self.scan_bytes(url, result.content, result.content_type, name=result.final_url)

    def close(self) -> None:
        """Stop the workers; close the HTTP client if the scanner made its own."""
        if self.pool is not None:
            self.pool.close()
        if self._own_fetcher is not None:
            self._own_fetcher.close()
            self.fetcher = self._own_fetcher = None

    def __enter__(self) -> Scanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
