"""Known URLs (mirrors, file hosts) re-checked with conditional GET.

The stored ETag / Last-Modified go out as If-None-Match / If-Modified-Since; a 304, or
a 200 whose body has the same sha256 as the last scanned one, is not yielded, so an
unchanged mirror costs one small request and no re-scan. Validators are stored only
after the document was handed on, so a crash mid-scan re-fetches it in full.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sources.base import FetchedDocument, Source, SourceContext
from sources.options import url_list


@dataclass
class WatchOptions:
    urls: list[str] = field(default_factory=list)
    url: str | None = None  # a single URL, added to `urls`

    def __post_init__(self) -> None:
        self.urls = url_list("urls", self.urls, self.url, "a list of URLs to watch")


class Watch(Source, kind="watch"):
    """Watched URLs whose content changed since the last scan."""

    Options = WatchOptions

    def _run(self, ctx: SourceContext) -> Iterator[FetchedDocument]:
        for url in dict.fromkeys(self.options.urls):
            result = self._get_item(url, conditional=ctx.get_validators(url))
            if result is None:
                continue
            if result.not_modified:
                self.stats.skipped["not_modified"] += 1
                continue
            if ctx.is_seen(url, result.sha256):
                self.stats.skipped["unchanged"] += 1
                ctx.set_validators(url, result.validators)
                continue
            meta = {"final_url": result.final_url, **result.validators}
            yield from self._deliver_result(
                ctx, result, item_id=url, url=url,
                metadata=meta,
            )
            ctx.set_validators(url, result.validators)
