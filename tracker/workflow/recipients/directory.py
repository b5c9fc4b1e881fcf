"""Built-in directory of platforms that host re-posts, with how each takes removal reports.

Checked first when resolving a recipient: a platform's own abuse channel acts faster than its
network host or registrar. Contact routes change; an analyst override (see ``resolve.py``)
always wins, and ``[workflow.recipients]`` in the config can add or replace entries.
``removed_patterns`` are phrases of the page a platform shows in place of removed content,
so that removal verification recognises it even when the page answers 200.
"""
from __future__ import annotations

from dataclasses import dataclass

from tracker.workflow.recipients.model import Channel, Recipient, RecipientClass

P, CDN, SE, AR = (
    RecipientClass.PLATFORM,
    RecipientClass.CDN,
    RecipientClass.SEARCH_ENGINE,
    RecipientClass.ARCHIVE,
)
EMAIL, FORM = Channel.EMAIL, Channel.WEB_FORM

PASTE_REQUIRES = ("URL of each paste", "reason: personal data published without consent")
FILE_HOST_REQUIRES = ("download link of each file", "description of the personal data in it")


@dataclass(frozen=True)
class DirectoryEntry:
    """A platform: the host names it serves content from and its recipient record."""

    hosts: tuple[str, ...]
    recipient: Recipient

    def match_length(self, host: str) -> int:
        """Length of the entry's host that ``host`` is (or is a subdomain of); 0 for none."""
        host = host.lower().rstrip(".")
        return max((len(h) for h in self.hosts if host == h or host.endswith("." + h)), default=0)


def _entry(
    name: str,
    hosts: tuple[str, ...],
    rclass: RecipientClass,
    channel: Channel,
    address: str,
    requires: tuple[str, ...],
    *,
    template: str = "default",
    policy_url: str = "",
    removed: tuple[str, ...] = (),
) -> DirectoryEntry:
    recipient = Recipient(
        name=name,
        recipient_class=rclass,
        channel=channel,
        address=address,
        source="directory",
        requires=requires,
        template=template,
        policy_url=policy_url,
        removed_patterns=removed,
    )
    return DirectoryEntry(hosts=hosts, recipient=recipient)


BUILTIN_DIRECTORY: tuple[DirectoryEntry, ...] = (
    # Paste sites
    _entry("Pastebin", ("pastebin.com",), P, FORM, "https://pastebin.com/contact", PASTE_REQUIRES,
           removed=("This page is no longer available", "Not Found (#404)")),
    _entry("paste.ee", ("paste.ee",), P, FORM, "https://paste.ee/contact", PASTE_REQUIRES),
    _entry("JustPaste.it", ("justpaste.it",), P, FORM, "https://justpaste.it/contact", PASTE_REQUIRES),
    _entry("Rentry", ("rentry.co", "rentry.org"), P, FORM, "https://rentry.co/contacts", PASTE_REQUIRES),
    # Code hosting
    _entry(
        "GitHub",
        ("github.com", "gist.github.com", "raw.githubusercontent.com", "gist.githubusercontent.com"),
        P,
        FORM,
        "https://support.github.com/contact/private-information",
        (
            "link to each file",
            "line numbers of the private information in each file",
            "the risk each item poses (why it is private information)",
            "whether forks also hold it",
        ),
        template="github",
        policy_url="https://docs.github.com/en/site-policy/content-removal-policies/"
        "github-private-information-removal-policy",
        removed=("Repository unavailable due to", "Access to this repository has been disabled"),
    ),
    # Search engines (delisting)
    _entry(
        "Google Search",
        ("google.com",),
        SE,
        FORM,
        "https://support.google.com/websearch/answer/9673730",
        ("URL of each page to delist", "no search terms (they would be personal data)"),
        policy_url="https://support.google.com/websearch/answer/9673730",
    ),
    # Archives
    _entry(
        "Internet Archive",
        ("archive.org",),
        AR,
        EMAIL,
        "info@archive.org",
        ("exact archived URLs (web.archive.org/web/...)", "reason for exclusion"),
        removed=("has been excluded from the Wayback Machine",),
    ),
    # CDN (also the platform for its own hosting products)
    _entry(
        "Cloudflare",
        ("pages.dev", "workers.dev", "r2.dev"),
        CDN,
        FORM,
        "https://abuse.cloudflare.com/",
        ("URL of each page", "category of the report", "Cloudflare forwards reports to the origin host"),
    ),
    # File hosts
    _entry("MEGA", ("mega.nz", "mega.io", "mega.co.nz"), P, EMAIL, "abuse@mega.nz", FILE_HOST_REQUIRES,
           removed=("no longer available",)),
    _entry("Dropbox", ("dropbox.com", "dropboxusercontent.com"), P, FORM,
           "https://www.dropbox.com/report_abuse", FILE_HOST_REQUIRES,
           removed=("This item was deleted", "This file is no longer available")),
    _entry("Google Drive", ("drive.google.com", "docs.google.com", "drive.usercontent.google.com"), P,
           FORM, "https://support.google.com/legal/answer/3110420", FILE_HOST_REQUIRES,
           removed=("Sorry, the file you have requested does not exist",)),
    _entry("MediaFire", ("mediafire.com",), P, EMAIL, "abuse@mediafire.com", FILE_HOST_REQUIRES,
           removed=("File Removed for Violation", "Invalid or Deleted File")),
    _entry("Gofile", ("gofile.io",), P, EMAIL, "abuse@gofile.io", FILE_HOST_REQUIRES),
    _entry("Catbox", ("catbox.moe",), P, EMAIL, "abuse@catbox.moe", FILE_HOST_REQUIRES),
    _entry("AnonFiles", ("anonfiles.com", "anonfiles.me"), P, EMAIL, "abuse@anonfiles.com",
           FILE_HOST_REQUIRES, removed=("The file you are looking for does not exist",)),
)

def lookup(host: str, directory: tuple[DirectoryEntry, ...] = BUILTIN_DIRECTORY) -> Recipient | None:
    """The directory's recipient for a host, the most specific host name winning."""
    length, entry = max(((e.match_length(host), e) for e in directory), key=lambda pair: pair[0])
    return entry.recipient if length else None


def by_name(name: str, directory: tuple[DirectoryEntry, ...] = BUILTIN_DIRECTORY) -> Recipient | None:
    """The directory's recipient with this name (case-insensitive), e.g. after an RDAP lookup."""
    for entry in directory:
        if entry.recipient.name.lower() == name.lower():
            return entry.recipient
    return None
