"""Health verdicts from saved state, and when a source is first due after a restart."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tracker.config import MonitorSettings, SourceConfig, parse_config
from tracker.models import utcnow
from tracker.monitor.health import assess, assess_all
from tracker.monitor.models import SourceState
from tracker.monitor.scheduler import first_run_time

NOW = utcnow()


def source(interval: str = "10m", enabled: bool = True, zero_item_runs: int = 5) -> SourceConfig:
    config = parse_config({"sources": [{"name": "sim", "kind": "paste-site", "interval": interval,
                                        "enabled": enabled, "zero_item_runs": zero_item_runs,
                                        "listing_url": "http://127.0.0.1:9/archive", "item_selector": "a"}]})
    return config.sources[0]


def state(**values: object) -> SourceState:
    base = {"name": "sim", "kind": "paste-site", "last_run_at": NOW - timedelta(minutes=1),
            "last_success_at": NOW - timedelta(minutes=1), "runs": 4, "items_fetched": 10,
            "bytes_fetched": 2048, "hits": 1}
    return SourceState(**{**base, **values})


@pytest.mark.parametrize(("cfg", "st", "status", "reason"), [
    (source(), state(), "ok", ""),
    (source(), None, "never_run", "no run yet"),
    (source(enabled=False), state(consecutive_failures=3, failure_class="auth"), "disabled", "enabled = false"),
    (source(), state(consecutive_failures=1, failure_class="rate_limited", last_error="HTTP 429"),
     "failing", "rate_limited: HTTP 429 (1 failed run)"),
    (source(), state(consecutive_failures=3, failure_class="layout", last_error="no items found"),
     "failing", "layout: no items found (3 failed runs in a row)"),
    (source(zero_item_runs=5), state(zero_item_runs=5), "zero_items", "no item seen in the last 5 runs"),
    (source(zero_item_runs=5), state(zero_item_runs=4), "ok", ""),
    (source(zero_item_runs=0), state(zero_item_runs=50), "ok", ""),
    (source("10m"), state(last_run_at=NOW - timedelta(minutes=36)), "stale", "last run 36m ago, expected every 10m"),
    (source("10m"), state(last_run_at=NOW - timedelta(minutes=34)), "ok", ""),
])
def test_verdicts(cfg: SourceConfig, st: SourceState | None, status: str, reason: str) -> None:
    health = assess(cfg, st, MonitorSettings(), NOW)
    assert health.status == status
    assert reason in health.reason
    assert health.unhealthy == (status in ("failing", "zero_items", "stale"))


def test_health_json_and_orphan_states() -> None:
    rows = assess_all((source(),), {"sim": state(), "old": state(name="old", kind="gists")}, MonitorSettings(), NOW)
    assert [(h.name, h.status) for h in rows] == [("sim", "ok"), ("old", "not_configured")]
    data = rows[0].to_dict()
    assert data["unhealthy"] is False and data["items_fetched"] == 10 and data["bytes_fetched"] == 2048
    assert data["last_run_at"].endswith("+00:00") and data["interval"] == 600.0


def test_first_run_after_restart() -> None:
    assert first_run_time(None, 60, NOW) == NOW                                   # never ran: now
    assert first_run_time(state(last_run_at=NOW - timedelta(hours=2)), 60, NOW) == NOW   # overdue: catch up now
    recent = state(last_run_at=NOW - timedelta(seconds=20))
    assert first_run_time(recent, 60, NOW) == NOW + timedelta(seconds=40)         # keep the interval
