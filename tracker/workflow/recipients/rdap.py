"""Abuse contacts from RDAP: the domain's registrar and the IP network's operator.

RDAP answers come in several real shapes, all handled here:
- an ``abuse`` entity at the top level of an IP network (APNIC);
- an abuse role entity whose vCard marks the address ``{"type": "abuse"}`` (RIPE);
- the abuse entity nested inside the ``registrar`` entity of a domain (ICANN profile),
  sometimes with empty values, in which case the registrar's name is still useful.
Lookups go through a redirecting RDAP service (default rdap.org) so that no bootstrap
registry needs to be kept here; the base URL is configurable and tests point it at a
local server.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote

import httpcore
from publicsuffixlist import PublicSuffixList

from sources.errors import FetchError
from sources.http import FetchResult, HttpClient
from tracker.workflow.recipients.model import Channel, Recipient, RecipientClass

DEFAULT_RDAP_BASE = "https://rdap.org/"


@cache
def _psl() -> PublicSuffixList:
    """Built on first use, not at import: every ``tracker`` command imports this module."""
    return PublicSuffixList(only_icann=True)  # registries hold ICANN suffixes, not github.io-style ones


@dataclass(frozen=True)
class RdapContact:
    """An abuse contact found in an RDAP answer; ``email`` may be empty when RDAP hides it."""

    name: str
    email: str
    handle: str = ""


def _vcard(entity: dict[str, Any]) -> list[list[Any]]:
    card = entity.get("vcardArray")
    if isinstance(card, list) and len(card) == 2 and isinstance(card[1], list):
        return [prop for prop in card[1] if isinstance(prop, list) and len(prop) >= 4]
    return []


def _vcard_text(entity: dict[str, Any], prop_name: str) -> str:
    for prop in _vcard(entity):
        if prop[0] == prop_name and isinstance(prop[3], str) and prop[3].strip():
            return prop[3].strip()
    return ""


def _vcard_email(entity: dict[str, Any]) -> str:
    """The entity's email, preferring one marked ``type: abuse``, then ``pref``, then any."""
    ranked: list[tuple[int, str]] = []
    for prop in _vcard(entity):
        if prop[0] != "email" or not isinstance(prop[3], str) or not prop[3].strip():
            continue
        params = prop[1] if isinstance(prop[1], dict) else {}
        types = params.get("type", [])
        types = [types] if isinstance(types, str) else types
        rank = 0 if "abuse" in types else 1 if "pref" in params else 2
        ranked.append((rank, prop[3].strip()))
    return min(ranked)[1] if ranked else ""


def _entities(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in node.get("entities", []) if isinstance(e, dict)]


def _with_role(node: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [e for e in _entities(node) if role in e.get("roles", [])]


def _contact(entity: dict[str, Any], fallback_name: str) -> RdapContact:
    return RdapContact(
        name=_vcard_text(entity, "fn") or fallback_name,
        email=_vcard_email(entity),
        handle=str(entity.get("handle", "")),
    )


def network_abuse_contact(answer: dict[str, Any]) -> RdapContact | None:
    """The abuse contact of an RDAP ``ip network`` answer, named after the network."""
    network = str(answer.get("name") or answer.get("handle") or "IP network")
    for entity in _with_role(answer, "abuse"):
        contact = _contact(entity, network)
        if contact.email:
            return RdapContact(name=network, email=contact.email, handle=contact.handle)
    return None


def registrar_abuse_contact(answer: dict[str, Any]) -> RdapContact | None:
    """The registrar's abuse contact of an RDAP ``domain`` answer.

    When the registrar publishes no usable abuse email the registrar is still returned with
    an empty email, so the analyst knows whom to look up by hand.
    """
    for registrar in _with_role(answer, "registrar"):
        name = _vcard_text(registrar, "fn") or str(registrar.get("handle", "registrar"))
        for abuse in _with_role(registrar, "abuse"):
            email = _vcard_email(abuse)
            if email:
                return RdapContact(name=name, email=email, handle=str(registrar.get("handle", "")))
        return RdapContact(name=name, email=_vcard_email(registrar), handle=str(registrar.get("handle", "")))
    for abuse in _with_role(answer, "abuse"):
        contact = _contact(abuse, "registrar")
        if contact.email:
            return contact
    return None


def fetch_ok(client: HttpClient, url: str, accept: str) -> FetchResult | None:
    """A 200 answer for ``url``, or None: lookups that fail only shorten the recipient chain."""
    try:
        result = client.fetch(url, headers={"Accept": accept})
    except FetchError:
        return None
    return result if result.status == 200 else None


def _get_json(client: HttpClient, url: str) -> dict[str, Any] | None:
    result = fetch_ok(client, url, "application/rdap+json, application/json")
    if result is None:
        return None
    try:
        data = json.loads(result.content)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def registered_domain(host: str) -> str | None:
    """The domain a registrar holds for ``host`` (``a.b.example.co.uk`` -> ``example.co.uk``)."""
    return _psl().privatesuffix(host.lower().rstrip("."))


def lookup_domain(client: HttpClient, host: str, base: str = DEFAULT_RDAP_BASE) -> dict[str, Any] | None:
    """RDAP answer for the registered domain of ``host``."""
    domain = registered_domain(host)
    return _get_json(client, f"{base.rstrip('/')}/domain/{quote(domain)}") if domain else None


def lookup_ip(client: HttpClient, address: str, base: str = DEFAULT_RDAP_BASE) -> dict[str, Any] | None:
    """RDAP answer for the network holding ``address``."""
    return _get_json(client, f"{base.rstrip('/')}/ip/{quote(address)}")


def host_address(client: HttpClient, host: str) -> str | None:
    """The host's first IP address by the client's resolver (itself for an IP literal)."""
    try:
        return client.policy.resolve(host)[0]
    except httpcore.ConnectError:
        return None


def rdap_recipients(client: HttpClient, host: str, base: str = DEFAULT_RDAP_BASE) -> list[Recipient]:
    """Recipients RDAP names for ``host``: the network's abuse desk, then the registrar."""
    found: list[Recipient] = []
    address = host_address(client, host)
    if address:
        answer = lookup_ip(client, address, base)
        contact = network_abuse_contact(answer) if answer else None
        if contact:
            found.append(_email_recipient(contact, RecipientClass.HOST))
    is_ip = address == host.strip("[]")
    if not is_ip:
        answer = lookup_domain(client, host, base)
        contact = registrar_abuse_contact(answer) if answer else None
        if contact and contact.email:
            found.append(_email_recipient(contact, RecipientClass.REGISTRAR))
    return found


def _email_recipient(contact: RdapContact, rclass: RecipientClass) -> Recipient:
    return Recipient(
        name=contact.name,
        recipient_class=rclass,
        channel=Channel.EMAIL,
        address=contact.email,
        source="rdap",
    )
