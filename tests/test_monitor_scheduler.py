"""The APScheduler loop in-process: job settings, repeated runs, the workflow job, clean stop."""
from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from monitor_support import (
    counts,
    paste_site_config,
    simulated_site,
    wait_for,
    write_config,
)

from tracker.config import load_config
from tracker.monitor.scheduler import MonitorScheduler
from tracker.monitor.service import Monitor
from tracker.settings import Settings


def test_jobs_run_repeatedly_and_stop_cleanly(tracker_home: Path, sqlite_url: str, tmp_path: Path) -> None:
    with simulated_site(tmp_path) as site:
        site.publish("p1", "hello\n")
        write_config(tracker_home, paste_site_config(site.url, interval="1s", jitter="0.1s")
                     .replace("[http]", '[monitor]\nworkflow_interval = "1s"\n\n[http]'))
        workflow_reports: list[dict[str, object]] = []
        with Monitor(Settings.from_env(), load_config(tracker_home / "tracker.toml")) as monitor:
            scheduler = MonitorScheduler(monitor, on_workflow=workflow_reports.append)
            planned = scheduler.add_jobs()
            assert [cfg.name for cfg, _ in planned] == ["sim"]
            job = scheduler.scheduler.get_job("sim")
            assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 1)
            assert job.trigger.interval == timedelta(seconds=1) and job.trigger.jitter == 0.1
            assert scheduler.scheduler.get_job("workflow") is not None
            thread = threading.Thread(target=scheduler.scheduler.start, daemon=True)
            thread.start()
            try:
                wait_for(lambda: counts(sqlite_url)["source_runs"] >= 3 and bool(workflow_reports), timeout=20)
                site.publish("p2", "later\n")
                wait_for(lambda: counts(sqlite_url)["source_items"] == 2, timeout=10)
            finally:
                scheduler.request_stop()
                thread.join(timeout=20)
            assert not thread.is_alive()
            assert set(workflow_reports[0]) >= {"checked", "removed"}
    assert counts(sqlite_url)["source_items"] == 2
