"""Fetching the URLs a user asks ``tracker scan`` to look at.

All network access goes through ``sources.http``, the one HTTP client with the SSRF guard,
timeouts, size limit and per-host politeness; this module only builds it lazily (a scan of
local files needs no client) and turns its errors into a message for the scan result.
"""
from __future__ import annotations

from types import TracebackType

from sources.errors import SourceError
from sources.http import FetchResult, HttpClient, HttpSettings, build_client
from tracker.errors import TrackerError

URL_SCHEMES = ("http", "https")


class FetchFailed(TrackerError):
    """A URL could not be fetched; the message names the URL and the reason, never content."""


def is_url(target: str) -> bool:
    """True for ``http://`` and ``https://`` targets (anything else is a local path).

    Decided on the prefix alone, without parsing: a target that starts like a URL but
    cannot be parsed (``http://[::1``, ``http://host:99999/``) is still a URL the user
    meant, so it becomes that document's error result instead of stopping the command.
    """
    return target.lower().startswith(tuple(f"{scheme}://" for scheme in URL_SCHEMES))


class UrlFetcher:
    """Fetches whole documents over HTTP(S) for scanning; close it (or use ``with``) when done."""

    def __init__(self, settings: HttpSettings | None = None, *, client: HttpClient | None = None) -> None:
        self._settings = settings or HttpSettings()
        self._client = client
        self._owns_client = client is None

    @property
    def max_bytes(self) -> int:
        """The largest body fetched (local files are read under the same cap)."""
        return self._settings.max_bytes

    def fetch(self, url: str) -> FetchResult:
        """GET ``url`` (redirects followed, size-limited); ``FetchFailed`` on any failure."""
        if not is_url(url):
            raise FetchFailed(f"{url}: not an http(s) URL")
        if self._client is None:
            self._client = build_client(self._settings)
        try:
            return self._client.fetch(url)
        except SourceError as exc:
            raise FetchFailed(f"cannot fetch {url}: {exc}") from exc

    def close(self) -> None:
        """Release the connection pool if this fetcher built the client."""
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None

    def __enter__(self) -> UrlFetcher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
