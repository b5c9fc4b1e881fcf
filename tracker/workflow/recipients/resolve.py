"""Who to ask, in what order: the recipient chain of a location.

Lookup order: the analyst's override for the host (config), the built-in directory of
platforms, then RDAP and security.txt: the IP network's abuse desk (RDAP), the site's own
security.txt contacts, the domain's registrar (RDAP). The chain is also the escalation
order: when a recipient lets its deadline pass, the case moves to the next one. Known
platforms skip the network lookups: GitHub's registrar cannot remove a file, GitHub can.
Search-engine delisting closes every chain of live content, since it still helps when
nobody removes the page.
"""
from __future__ import annotations

from sources.http import HttpClient
from tracker.workflow.incidents import url_host
from tracker.workflow.recipients import directory
from tracker.workflow.recipients.model import Recipient, RecipientClass
from tracker.workflow.recipients.rdap import rdap_recipients
from tracker.workflow.recipients.securitytxt import securitytxt_recipients
from tracker.workflow.settings import WorkflowSettings


def _override(host: str, overrides: dict[str, Recipient]) -> Recipient | None:
    """The override for the host or its closest parent domain."""
    labels = host.split(".")
    for i in range(len(labels)):
        found = overrides.get(".".join(labels[i:]))
        if found:
            return found
    return None


def _cdn_aware(found: Recipient) -> Recipient:
    """An RDAP network contact of a CDN becomes the CDN's directory entry (its own channel)."""
    for entry in directory.BUILTIN_DIRECTORY:
        known = entry.recipient
        if known.recipient_class is RecipientClass.CDN and known.name.lower() in (
            found.name.lower() + " " + found.address.lower()
        ):
            return known
    return found


def resolve_chain(url: str, settings: WorkflowSettings, client: HttpClient | None = None) -> list[Recipient]:
    """The recipients for ``url``, first to ask first; network lookups only with a client."""
    host = url_host(url)
    if not host:
        return []  # a local file or drop-folder item: there is nobody to ask
    chain: list[Recipient] = []
    override = _override(host, settings.overrides)
    if override:
        chain.append(override)
    platform = directory.lookup(host)
    if platform:
        chain.append(platform)
    elif client is not None:
        found = rdap_recipients(client, host, settings.rdap_base)
        chain += [_cdn_aware(r) for r in found if r.recipient_class is not RecipientClass.REGISTRAR]
        chain += securitytxt_recipients(client, url)
        chain += [r for r in found if r.recipient_class is RecipientClass.REGISTRAR]
    if not chain or chain[-1].recipient_class not in (RecipientClass.SEARCH_ENGINE, RecipientClass.ARCHIVE):
        search = directory.by_name("Google Search")
        assert search is not None
        chain.append(search)
    unique: list[Recipient] = []
    for candidate in chain:
        if all(candidate.address != seen.address for seen in unique):
            unique.append(candidate)
    return unique
