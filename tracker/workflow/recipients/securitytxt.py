"""Site contacts from RFC 9116 ``security.txt``.

A site without a directory entry often still publishes where to report problems. Many
sites answer unknown paths with an HTML page and status 200, so a body counts only when it
is not HTML and has at least one ``Contact`` field. PGP clear-signed files are read through
their signature armour.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sources.http import HttpClient
from tracker.workflow.recipients.model import Channel, Recipient, RecipientClass
from tracker.workflow.recipients.rdap import fetch_ok

WELL_KNOWN_PATHS = ("/.well-known/security.txt", "/security.txt")


@dataclass(frozen=True)
class SecurityTxt:
    """The fields of a security.txt that matter for a removal request."""

    contacts: tuple[str, ...]
    policy: tuple[str, ...] = ()


def _unsign(text: str) -> list[str]:
    """Lines of the signed body of a clear-signed message, or all lines when unsigned."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("-----BEGIN PGP SIGNED MESSAGE-----"):
        return lines
    body: list[str] = []
    in_header = True
    for line in lines[1:]:
        if in_header:
            in_header = bool(line.strip())  # armour headers ("Hash: ...") end at a blank line
            continue
        if line.startswith("-----BEGIN PGP SIGNATURE-----"):
            break
        body.append(line[2:] if line.startswith("- ") else line)
    return body


def parse(text: str) -> SecurityTxt | None:
    """Parse a security.txt body; None when it has no Contact field."""
    fields: dict[str, list[str]] = {}
    for raw in _unsign(text):
        line = raw.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        name, _, value = line.partition(":")
        if value.strip():
            fields.setdefault(name.strip().lower(), []).append(value.strip())
    contacts = tuple(fields.get("contact", []))
    if not contacts:
        return None
    return SecurityTxt(contacts, tuple(fields.get("policy", [])))


def fetch(client: HttpClient, url: str) -> SecurityTxt | None:
    """The security.txt of the site serving ``url`` (well-known path first, then legacy)."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    for path in WELL_KNOWN_PATHS:
        result = fetch_ok(client, origin + path, "text/plain")
        if result is None or "html" in (result.content_type or ""):
            continue
        text = result.content.decode("utf-8", errors="replace")
        if text.lstrip()[:1] == "<":
            continue
        found = parse(text)
        if found:
            return found
    return None


def securitytxt_recipients(client: HttpClient, url: str) -> list[Recipient]:
    """Recipients from the site's security.txt, in the file's order (its preference)."""
    found = fetch(client, url)
    if found is None:
        return []
    host = urlsplit(url).hostname or url
    recipients = []
    for contact in found.contacts:
        if contact.lower().startswith("mailto:"):
            channel, address = Channel.EMAIL, contact[len("mailto:"):]
        elif contact.lower().startswith("https://") or contact.lower().startswith("http://"):
            channel, address = Channel.WEB_FORM, contact
        else:
            continue  # tel: and unknown schemes cannot carry a written notice
        recipients.append(
            Recipient(
                name=f"{host} (security.txt)",
                recipient_class=RecipientClass.HOST,
                channel=channel,
                address=address,
                source="security.txt",
                policy_url=found.policy[0] if found.policy else "",
            )
        )
    return recipients
