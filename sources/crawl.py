"""A bounded same-site crawl: start URLs, then ``<a href>`` links to pages and files.

Breadth first, within three budgets per run (``max_depth`` link hops, ``max_pages``
fetches, ``max_bytes`` bytes). Only links on the same registrable domain as a start
URL are followed (``files.example.org`` is on ``example.org``; an IP address or a bare
host name is only its own site). robots.txt is honoured unless the source or the
``[http]`` table turns it off. Every fetched page or file whose content is new is
yielded; links are read from HTML pages only.

A page may hold any text in an href. A link that cannot be parsed or that
``sources.http.check_url`` refuses (``http://[::1``, a port of 99999, ``0177.0.0.1``) is
skipped, counted as ``invalid_url`` and logged by its reason only: the link text came
from the document and may hold anything, leaked values included.
"""
from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from publicsuffixlist import PublicSuffixList

from sources.base import FetchedDocument, Source, SourceContext, log
from sources.errors import InvalidUrl
from sources.html import decode, hrefs, is_html, join
from sources.http import check_url
from sources.options import require_range, url_list


@dataclass
class CrawlOptions:
    start_urls: list[str] = field(default_factory=list)
    url: str | None = None  # a single start URL, added to `start_urls`
    max_depth: int = 2  # link hops from a start URL (0: start pages only)
    max_pages: int = 100  # fetches per run
    max_bytes: int = 50 * 1024 * 1024  # bytes per run
    robots: bool | None = None  # default: [http] respect_robots (true)

    def __post_init__(self) -> None:
        self.start_urls = url_list("start_urls", self.start_urls, self.url, "where the crawl begins")
        require_range("max_depth", self.max_depth, 0, 10)
        require_range("max_pages", self.max_pages, 1, 100000)
        require_range("max_bytes", self.max_bytes, 1)


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def site_of(url: str) -> str:
    """The registrable domain of a URL's host; an IP or a bare name is its own site."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    return _psl().privatesuffix(host) or host


def _normal(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


class Crawl(Source, kind="crawl"):
    """Pages and files of one site, new since the last scan."""

    Options = CrawlOptions

    def _run(self, ctx: SourceContext) -> Iterator[FetchedDocument]:
        options = self.options
        robots = self.client.settings.respect_robots if options.robots is None else options.robots
        sites = {site_of(u) for u in options.start_urls}
        queue: deque[tuple[str, int]] = deque((_normal(u), 0) for u in options.start_urls)
        queued = {url for url, _ in queue}
        fetched = 0
        budget = options.max_bytes
        while queue:
            if fetched >= options.max_pages or budget <= 0:
                self.stats.skipped["crawl_budget"] += len(queue)
                break
            url, depth = queue.popleft()
            fetched += 1
            result = self._get_item(
                url, robots=robots, max_bytes=min(budget, self.client.settings.max_bytes)
            )
            if result is None:
                continue
            budget -= len(result.content)
            if (
                depth < options.max_depth
                and is_html(result.content_type, result.content)
                and site_of(result.final_url) in sites
            ):
                html = decode(result.content, result.headers.get("content-type"))
                for link in self._links(html, result.final_url):
                    if link in queued or site_of(link) not in sites:
                        continue
                    queued.add(link)
                    queue.append((link, depth + 1))
            if ctx.is_seen(url, result.sha256):
                continue
            yield from self._deliver_result(
                ctx, result, item_id=url, url=url,
                metadata={"depth": depth, "final_url": result.final_url},
            )

    def _links(self, html: str, page_url: str) -> Iterator[str]:
        """The page's http(s) links, normalised; unparsable or refused ones are counted, not followed."""
        for href in hrefs(html):
            link = join(page_url, href)
            if link is None:
                self._bad_link("the link cannot be parsed as a URL")
                continue
            if link.partition(":")[0].lower() not in ("http", "https"):
                continue  # mailto:, javascript:, ... are not for a crawler
            try:
                check_url(link)
            except InvalidUrl as exc:
                self._bad_link(exc.reason)
                continue
            yield _normal(link)

    def _bad_link(self, reason: str) -> None:
        self.stats.skipped["invalid_url"] += 1
        log.info("source %s: skipped a link on a page: %s", self.name, reason)
