"""A monitoring process's long-lived parts, built once: database, scanner, HTTP client, sources.

``tracker run``, ``tracker run --once`` and ``tracker sources check`` all go through a
``Monitor``; the scheduler only decides *when* ``Monitor.run(name)`` is called. One HTTP client
is shared by every source so per-host politeness holds across sources; documents are scanned
one at a time (the matcher is CPU-bound and the GIL would serialise it anyway).
"""
from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

from tracker.config import SourceConfig, TrackerConfig
from tracker.db import open_database, session_scope
from tracker.monitor import state as store
from tracker.monitor.context import QueryGuard
from tracker.monitor.health import Health, assess_all
from tracker.monitor.runner import RunReport, run_source
from tracker.settings import Settings

log = logging.getLogger(__name__)


def http_settings(config: TrackerConfig, settings: Settings) -> Any:
    """The ``[http]`` settings; ``TRACKER_ALLOW_PRIVATE_ADDRESSES=1`` can also open loopback (tests)."""
    http = config.http
    if settings.allow_private_addresses and not http.allow_private_addresses:
        http = dataclasses.replace(http, allow_private_addresses=True)
    return http


class Monitor:
    """Runs configured sources against the registered leaks and stores what they find."""

    def __init__(self, settings: Settings, config: TrackerConfig, *, engine: Engine | None = None,
                 on_report: Callable[[RunReport], None] | None = None) -> None:
        from sources.http import build_client
        from tracker.pipeline import Scanner

        self.settings = settings
        self.config = config
        self.on_report = on_report
        self._own_engine = engine is None
        self.engine = engine or open_database(settings.database_url)
        try:
            leaks, keyer = self._load_leaks()
            self.scanner = Scanner(self.engine, leaks, keyer, settings=settings, limits=config.scan)
            # Workers are forked from the scheduler's threads; a module another thread is still
            # importing at that moment would stay locked in the child. What a worker imports on a
            # hit is imported here, once, before any fork.
            import datasketch  # noqa: F401
            import tracker.workflow.incidents  # noqa: F401
            self.guard = QueryGuard([(leak.name, leak.matcher) for leak in self.scanner.leaks])
            self.client = build_client(http_settings(config, settings))
        except BaseException:
            self._dispose()
            raise
        self._sources: dict[str, Any] = {}
        self._scan_lock = threading.Lock()
        self.owner = store.lease_owner_id()

    def _load_leaks(self) -> tuple[list[Any], Any]:
        from tracker import store as core_store
        from tracker.errors import ConfigError
        from tracker.keyfile import open_keyer
        from tracker.leaks import (
            no_usable_leak_message,
            split_by_key,
            wrong_key_message,
        )

        with session_scope(self.engine) as session:
            leaks = core_store.list_leaks(session)
        if not leaks:
            log.warning("no leak is registered: sources are fetched but nothing can match "
                        "(register one with: tracker leak add FILE --name NAME)")
            return [], None
        key_file = self.settings.key_file
        keyer = open_keyer(key_file)
        # As `tracker scan`: a leak made with another key is named and left out, the others are
        # watched for; only when none can be used is it an error (exit 2 before anything runs).
        usable, unusable = split_by_key(leaks, keyer)
        if not usable:
            raise ConfigError(no_usable_leak_message(unusable, keyer, key_file))
        for leak in unusable:
            log.warning("%s", wrong_key_message(leak, keyer, key_file))
        return usable, keyer

    @property
    def n_leaks(self) -> int:
        return len(self.scanner.leaks)

    def source(self, cfg: SourceConfig) -> Any:
        """The plugin instance for ``cfg`` (built on first use, then reused so its caches live on)."""
        from sources.base import source_class

        if cfg.name not in self._sources:
            self._sources[cfg.name] = source_class(cfg.kind)(cfg.name, cfg.options, self.client)
        return self._sources[cfg.name]

    def run(self, name: str, stop: threading.Event | None = None) -> RunReport:
        """Run source ``name`` once (even a disabled one: that is how ``sources check`` tests it)."""
        cfg = self.config.source(name)
        report = run_source(self.engine, cfg, self.source(cfg), self.scanner,
                            query_check=self.guard.check if self.guard else None,
                            stop=stop, owner=self.owner, scan_lock=self._scan_lock)
        if self.on_report is not None:
            self.on_report(report)
        return report

    def run_all(self, stop: threading.Event | None = None) -> list[RunReport]:
        """Every enabled source once, in configuration order (``tracker run --once``)."""
        reports = []
        for cfg in self.config.enabled_sources:
            if stop is not None and stop.is_set():
                break
            reports.append(self.run(cfg.name, stop))
        return reports

    def health(self) -> list[Health]:
        return source_health(self.engine, self.config)

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        scanner = getattr(self, "scanner", None)
        if scanner is not None:
            scanner.close()  # its workers
        self._dispose()

    def _dispose(self) -> None:
        if self._own_engine:
            self.engine.dispose()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def source_health(engine: Engine, config: TrackerConfig) -> list[Health]:
    """Health of every configured source (and of saved states no longer configured)."""
    with session_scope(engine) as session:
        states = store.list_states(session)
    return assess_all(config.sources, states, config.monitor)
