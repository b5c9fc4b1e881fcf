"""Shared by the tests that hold the compiled gate to the full path: a skip mark for installs
without the C module, and the outcome of a scan in the form both paths must agree on."""
from __future__ import annotations

import pytest

from fingerprints import gate
from tracker.pipeline import ScanResult

needs_gate = pytest.mark.skipif(not gate.available(), reason="the compiled gate is not built")


def outcome(results: list[ScanResult]) -> list[tuple[str, str, list[int], float]]:
    """Per leak: verdict, records and score, which the gated and the full scan must share."""
    return [(r.leak, r.verdict, r.records, round(r.score, 6)) for r in results]
