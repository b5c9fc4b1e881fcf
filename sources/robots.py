"""robots.txt, fetched once per host and cached, read with ``urllib.robotparser``.

Unavailable (4xx) robots.txt means "everything allowed"; unreachable (5xx, network
error) means "nothing allowed" for a while, as RFC 9309 asks: a site whose robots.txt is
down may be overloaded, so the crawler backs off rather than guessing.
"""
from __future__ import annotations

import threading
import time
import urllib.robotparser
from collections.abc import Callable
from urllib.parse import urlsplit

from sources.errors import BlockedAddress, FetchError

# fetch(url) -> (status, body); raises FetchError when the host cannot be reached.
RobotsFetcher = Callable[[str], tuple[int, bytes]]

ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309: parse at least 500 KiB
_UNREACHABLE_TTL = 300.0


class RobotsCache:
    """Answers "may this User-Agent fetch this URL?" with one robots.txt fetch per host and TTL."""

    def __init__(self, fetch: RobotsFetcher, user_agent: str, ttl: float = 3600.0) -> None:
        self._fetch = fetch
        self._agent = user_agent
        self._ttl = ttl
        self._entries: dict[str, tuple[float, urllib.robotparser.RobotFileParser]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def allowed(self, url: str) -> bool:
        """True when robots.txt of the URL's host lets our User-Agent fetch it."""
        parts = urlsplit(url)
        if parts.path in ("/robots.txt",):
            return True
        key = f"{parts.scheme}://{parts.netloc}".lower()
        return self._parser(key).can_fetch(self._agent, url)

    def _parser(self, key: str) -> urllib.robotparser.RobotFileParser:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            entry = self._entries.get(key)
            now = time.monotonic()
            if entry is not None and entry[0] > now:
                return entry[1]
            parser, ttl = self._load(key)
            self._entries[key] = (now + ttl, parser)
            return parser

    def _load(self, key: str) -> tuple[urllib.robotparser.RobotFileParser, float]:
        parser = urllib.robotparser.RobotFileParser(key + "/robots.txt")
        try:
            status, body = self._fetch(key + "/robots.txt")
        except BlockedAddress:
            raise  # the host itself is refused: say so, not "disallowed by robots.txt"
        except FetchError:
            parser.disallow_all = True
            return parser, _UNREACHABLE_TTL
        if 200 <= status < 300:
            text = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
            parser.parse(text.splitlines())
        elif 400 <= status < 500:
            parser.allow_all = True
        else:
            parser.disallow_all = True
            return parser, _UNREACHABLE_TTL
        return parser, self._ttl
