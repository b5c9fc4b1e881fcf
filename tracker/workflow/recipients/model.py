"""Who receives a takedown notice, and by which channel."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class RecipientClass(StrEnum):
    """Kind of party asked to remove content; each has its own deadline."""

    PLATFORM = "platform"  # the site the content is posted on (paste site, GitHub, file host)
    HOST = "host"  # the network / hosting provider of the server
    CDN = "cdn"  # a proxy or CDN in front of the server
    REGISTRAR = "registrar"  # the domain's registrar
    SEARCH_ENGINE = "search_engine"  # asked to delist, not to delete
    ARCHIVE = "archive"  # web archives keeping a copy


class Channel(StrEnum):
    """How a recipient takes reports."""

    EMAIL = "email"
    WEB_FORM = "web_form"


@dataclass(frozen=True)
class Recipient:
    """One party a notice can go to. ``address`` is an email address or a form URL."""

    name: str
    recipient_class: RecipientClass
    channel: Channel
    address: str
    source: str  # where we learnt it: directory, rdap, security.txt, override
    requires: tuple[str, ...] = ()
    template: str = "default"
    policy_url: str = ""
    removed_patterns: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as kept in a case's recipient chain."""
        data = asdict(self)
        data["requires"] = list(self.requires)
        data["removed_patterns"] = list(self.removed_patterns)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipient:
        """Inverse of :meth:`to_dict`."""
        return cls(
            name=data["name"],
            recipient_class=RecipientClass(data["recipient_class"]),
            channel=Channel(data["channel"]),
            address=data["address"],
            source=data.get("source", ""),
            requires=tuple(data.get("requires", ())),
            template=data.get("template", "default"),
            policy_url=data.get("policy_url", ""),
            removed_patterns=tuple(data.get("removed_patterns", ())),
        )
