"""Is a source healthy? One verdict per source from its saved state and its configuration.

A source is flagged (unhealthy) when
* its last run failed (``failing``; the failure class says why: rate_limited, blocked, auth,
  layout, network, outage, ...), or
* it ran successfully but saw no item at all for ``zero_item_runs`` runs in a row
  (``zero_items``; a listing that silently parses to nothing is what a layout change looks like), or
* it has not run for ``stale_factor`` intervals plus five minutes (``stale``; the scheduler is
  probably not running).
``ok``, ``never_run`` and ``disabled`` are not flagged. ``tracker sources status`` exits 1 when
any source is flagged, so a cron job or a monitoring probe can alert on it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from tracker.config import MonitorSettings, SourceConfig, format_duration
from tracker.models import utcnow
from tracker.monitor.models import SourceState

STALE_SLACK_SECONDS = 300.0
UNHEALTHY = frozenset({"failing", "zero_items", "stale"})


@dataclass(frozen=True)
class Health:
    """A source's health verdict plus the counters ``sources status`` shows."""

    name: str
    kind: str
    enabled: bool
    status: str                  # ok | never_run | disabled | failing | zero_items | stale | not_configured
    reason: str
    interval: float | None
    last_run_at: datetime | None
    last_success_at: datetime | None
    consecutive_failures: int
    failure_class: str | None
    last_error: str | None
    runs: int
    items_fetched: int
    items_unreadable: int        # documents delivered that could not be read (each its own error)
    bytes_fetched: int
    hits: int
    zero_item_runs: int
    last_items: int
    last_duration: float | None

    @property
    def unhealthy(self) -> bool:
        return self.status in UNHEALTHY

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (timestamps as ISO 8601 strings)."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        data["unhealthy"] = self.unhealthy
        return data


def assess(cfg: SourceConfig | None, state: SourceState | None, monitor: MonitorSettings,
           now: datetime | None = None) -> Health:
    """The verdict for one source; ``cfg`` None means state is left from a removed source."""
    now = now or utcnow()
    status, reason = _verdict(cfg, state, monitor, now)
    s = state or SourceState(name=cfg.name if cfg else "?", kind=cfg.kind if cfg else "")
    return Health(
        name=cfg.name if cfg else s.name, kind=cfg.kind if cfg else s.kind,
        enabled=bool(cfg and cfg.enabled), status=status, reason=reason,
        interval=cfg.interval if cfg else None, last_run_at=s.last_run_at,
        last_success_at=s.last_success_at, consecutive_failures=s.consecutive_failures or 0,
        failure_class=s.failure_class, last_error=s.last_error, runs=s.runs or 0,
        items_fetched=s.items_fetched or 0, items_unreadable=s.items_unreadable or 0, bytes_fetched=s.bytes_fetched or 0, hits=s.hits or 0,
        zero_item_runs=s.zero_item_runs or 0, last_items=s.last_items or 0, last_duration=s.last_duration,
    )


def _verdict(cfg: SourceConfig | None, state: SourceState | None, monitor: MonitorSettings,
             now: datetime) -> tuple[str, str]:
    if cfg is None:
        return "not_configured", "saved state of a source no longer in the configuration"
    if not cfg.enabled:
        return "disabled", "enabled = false"
    if state is None or state.last_run_at is None:
        return "never_run", "no run yet"
    if state.consecutive_failures:
        runs = "run" if state.consecutive_failures == 1 else "runs in a row"
        return "failing", (f"{state.failure_class or 'error'}: {state.last_error or 'no message'} "
                           f"({state.consecutive_failures} failed {runs})")
    if cfg.zero_item_runs and (state.zero_item_runs or 0) >= cfg.zero_item_runs:
        return "zero_items", (f"no item seen in the last {state.zero_item_runs} runs; "
                              f"the site may have changed its layout or the listing is empty")
    limit = monitor.stale_factor * cfg.interval + STALE_SLACK_SECONDS
    age = (now - state.last_run_at).total_seconds()
    if age > limit:
        return "stale", (f"last run {format_duration(age)} ago, expected every {format_duration(cfg.interval)}; "
                         f"is `tracker run` running?")
    return "ok", ""


def assess_all(sources: tuple[SourceConfig, ...], states: dict[str, SourceState],
               monitor: MonitorSettings, now: datetime | None = None) -> list[Health]:
    """Verdicts for every configured source, then for saved states no longer configured."""
    now = now or utcnow()
    result = [assess(cfg, states.get(cfg.name), monitor, now) for cfg in sources]
    configured = {cfg.name for cfg in sources}
    result += [assess(None, st, monitor, now) for name, st in sorted(states.items()) if name not in configured]
    return result
