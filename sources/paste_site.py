"""Any paste or listing site described by config alone.

The listing page is fetched, item links are picked with a CSS selector (or a regex),
each item's id is cut out of its link with ``id_regex``, and the raw text is fetched
from the ``raw_url`` template (``"https://site/raw/{id}"``, relative templates resolve
against the listing URL). When a site changes its markup, fixing it means editing these
keys, not code; a listing on which the selector finds nothing raises ``LayoutChanged``
so the breakage shows in the source's health instead of looking like a quiet day.

Example::

    [[sources]]
    name = "example-pastes"
    kind = "paste-site"
    listing_url = "https://paste.example/archive"
    item_selector = "table.archive a[href^='/']"
    id_regex = "/([A-Za-z0-9]{8})$"
    raw_url = "https://paste.example/raw/{id}"
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urljoin

from sources.base import FetchedDocument, Source, SourceContext
from sources.errors import ConfigError, LayoutChanged
from sources.html import decode, hrefs, join, selector_error
from sources.options import invalid, require_http_url, require_range


@dataclass
class PasteSiteOptions:
    listing_url: str | None = None  # the page listing recent pastes
    url: str | None = None  # same as listing_url (every HTTP source accepts `url`)
    item_selector: str | None = None  # CSS selector of the item links on the listing
    item_attr: str = "href"  # attribute of the selected elements that holds the link
    item_regex: str | None = None  # instead of a selector: regex over the listing HTML;
    # a group named "id" gives the id directly, else group 1 (or the match) is the link
    id_regex: str = r"([A-Za-z0-9_-]+)/?$"  # cuts the id out of a link (group "id" or 1)
    raw_url: str | None = None  # template with {id}; default: the item link itself
    page_url: str | None = None  # template with {id} for the URL a takedown names
    max_items: int = 50
    allow_empty: bool = False  # true if an empty listing is normal for this site

    def __post_init__(self) -> None:
        if self.listing_url is None:
            self.listing_url = self.url
        elif self.url is not None and self.url != self.listing_url:
            raise invalid("url", self.url, "give either url or listing_url, not both")
        if self.listing_url is None:
            raise ConfigError("missing required key 'listing_url' (the page listing recent pastes)")
        require_http_url("listing_url", self.listing_url)
        if (self.item_selector is None) == (self.item_regex is None):
            raise ConfigError("give exactly one of 'item_selector' (CSS) or 'item_regex'")
        if self.item_selector is not None:
            problem = selector_error(self.item_selector)
            if problem:
                raise invalid("item_selector", self.item_selector, f"not a valid CSS selector ({problem})")
        for key in ("item_regex", "id_regex"):
            pattern = getattr(self, key)
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise invalid(key, pattern, f"not a valid regular expression ({exc})") from None
        for key in ("raw_url", "page_url"):
            template = getattr(self, key)
            if template is not None and "{id}" not in template:
                raise invalid(key, template, "must contain {id}, e.g. 'https://site/raw/{id}'")
        if self.item_regex is not None and "(?P<id>" in self.item_regex and self.raw_url is None:
            raise ConfigError("item_regex captures an id (group 'id'), so 'raw_url' is required")
        require_range("max_items", self.max_items, 1, 1000)


def _group(match: re.Match[str]) -> str:
    """The ``id`` group, else group 1, else the whole match."""
    if "id" in match.re.groupindex:
        return match.group("id")
    return match.group(1) if match.re.groups else match.group(0)


class PasteSite(Source, kind="paste-site"):
    """New items of a configured listing page."""

    Options = PasteSiteOptions

    def _run(self, ctx: SourceContext) -> Iterator[FetchedDocument]:
        options = self.options
        listing_url = options.listing_url
        listing = self._get(listing_url)
        items = self._items(decode(listing.content, listing.headers.get("content-type")), listing.final_url)
        if not items and not options.allow_empty:
            raise LayoutChanged(
                f"source {self.name!r}: no items found on {listing_url}"
                " (has the site changed? check item_selector / item_regex)"
            )
        for item_id, link in items:
            if ctx.is_seen(item_id):
                continue
            raw = self._expand(options.raw_url, item_id, listing.final_url) or link
            if raw is None:
                continue
            result = self._get_item(raw)
            if result is None:
                continue
            page = self._expand(options.page_url, item_id, listing.final_url) or link or raw
            yield from self._deliver_result(
                ctx, result, item_id=item_id, url=page,
                metadata={"raw_url": result.final_url},
            )

    def _items(self, html: str, base: str) -> list[tuple[str, str | None]]:
        """(id, link) pairs in listing order, without duplicates, at most ``max_items``."""
        options = self.options
        found: dict[str, str | None] = {}
        id_pattern = re.compile(options.id_regex)
        candidates: list[tuple[str | None, str | None]] = []
        if options.item_selector is not None:
            raw_links = hrefs(html, options.item_selector, options.item_attr)
        else:
            pattern = re.compile(options.item_regex)
            raw_links = []
            for match in pattern.finditer(html):
                if "id" in pattern.groupindex:
                    candidates.append((match.group("id"), None))
                else:
                    raw_links.append(_group(match))
        for raw in raw_links:
            link = join(base, raw)
            if link is None:  # a listing may hold any text: counted, never shown
                self.stats.skipped["invalid_url"] += 1
                continue
            candidates.append((None, link))
        for item_id, link in candidates:
            if item_id is None and link is not None:
                id_match = id_pattern.search(link)
                if id_match is None:
                    self.stats.skipped["no_id_in_link"] += 1
                    continue
                item_id = _group(id_match)
            if item_id and item_id not in found:
                found[item_id] = link
            if len(found) >= options.max_items:
                break
        return list(found.items())

    @staticmethod
    def _expand(template: str | None, item_id: str, base: str) -> str | None:
        if template is None:
            return None
        return urljoin(base, template.replace("{id}", quote(item_id, safe="")))
