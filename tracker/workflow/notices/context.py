"""What a notice may say about a case, gathered into a plain dict for the templates.

Notices may be published (platforms forward them to public databases), so the context is
built only from facts that are safe to publish: URLs, where in them (part, line), the
categories of data exposed (from the leak's column roles, never a column's values), the
number of records, and the sender's details from config. Record values, masked evidence
and record ids never enter it, so no template, built-in or user-written, can print them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session

from fingerprints.roles import Role
from tracker.models import Document, Hit, Leak
from tracker.workflow.incidents import location_hits
from tracker.workflow.models import Case
from tracker.workflow.recipients.model import Recipient, RecipientClass
from tracker.workflow.settings import WorkflowSettings


@dataclass(frozen=True)
class Category:
    """A kind of personal data, how a notice names it, and the harm its exposure risks."""

    key: str
    label: str
    risk: str


_NAMES = Category("names", "full names", "identifies each person in the records")
CATEGORIES: dict[Role, Category] = {
    Role.FIRST_NAME: _NAMES,
    Role.LAST_NAME: _NAMES,
    Role.MIDDLE_NAME: _NAMES,
    Role.FULL_NAME: _NAMES,
    Role.DOB: Category(
        "dates_of_birth", "dates of birth", "with the names, confirms identities and enables identity fraud"
    ),
    Role.ID: Category(
        "id_numbers", "identity or case numbers", "lets others impersonate the people or look up their files"
    ),
    Role.COUNTRY: Category(
        "nationality",
        "nationality or country of origin",
        "can expose people in protection procedures to persecution by the authorities they fled",
    ),
    Role.PLACE: Category("places", "places (facility, city or address)", "tells others where the people can be found"),
    Role.STATUS: Category(
        "procedure_status", "status in an administrative procedure", "reveals the people's legal situation"
    ),
    Role.GENDER: Category("gender", "gender", "adds to identifying the people"),
    Role.DATE: Category("other_dates", "other dates (such as arrival or detention dates)", "reveals movements"),
    Role.OTHER: Category("other", "other personal details", "adds to identifying the people"),
}
_ORDER = ["names", "dates_of_birth", "id_numbers", "nationality", "places", "procedure_status",
          "gender", "other_dates", "other"]


def categories_for(leak: Leak, hits: list[Hit]) -> list[Category]:
    """Categories of the columns the hits matched (all the leak's columns if none recorded)."""
    roles = {c["name"]: Role(c["role"]) for c in leak.columns}
    matched = {name for h in hits for rec in h.records_detail for name in rec.get("fields", {})}
    names = matched & roles.keys() or roles.keys()
    found = {CATEGORIES[roles[n]].key: CATEGORIES[roles[n]] for n in names if roles[n] in CATEGORIES}
    return [found[k] for k in _ORDER if k in found]


def line_spans(lines: list[int]) -> list[tuple[int, int]]:
    """``[3, 4, 5, 9]`` -> ``[(3, 5), (9, 9)]``: runs of consecutive line numbers."""
    spans: list[list[int]] = []
    for n in sorted(set(lines)):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return [(a, b) for a, b in spans]


def github_blob_url(url: str) -> str:
    """A raw.githubusercontent.com URL as its github.com blob page, where line anchors work."""
    parts = urlsplit(url)
    if parts.hostname != "raw.githubusercontent.com":
        return url
    segments = parts.path.lstrip("/").split("/")
    if len(segments) < 4:  # owner, repo, ref, path
        return url
    return f"https://github.com/{segments[0]}/{segments[1]}/blob/{'/'.join(segments[2:])}"


def _places(url: str, hits: list[Hit], github: bool) -> list[dict[str, Any]]:
    """Where in the document the records are: per part, 1-based line ranges (GitHub: anchors)."""
    by_part: dict[int, list[int]] = {}
    for hit in hits:
        for rec in hit.records_detail:
            if isinstance(rec.get("line"), int):
                by_part.setdefault(int(rec.get("part") or 0), []).append(int(rec["line"]) + 1)
    multi = len(by_part) > 1 or any(p != 0 for p in by_part)
    base = github_blob_url(url.split("#", 1)[0])
    places = []
    for part in sorted(by_part):
        spans = line_spans(by_part[part])
        places.append({
            "part": part + 1 if multi else None,
            "lines": ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans),
            "n_lines": len(set(by_part[part])),
            "links": [f"{base}#L{a}" if a == b else f"{base}#L{a}-L{b}" for a, b in spans]
            if github and not multi else [],
        })
    return places


def _recipient(recipient: Recipient | None) -> dict[str, Any]:
    if recipient is None:
        return {"name": "", "address": "", "channel": "", "recipient_class": "", "requires": [], "policy_url": ""}
    data = recipient.to_dict()
    data.pop("removed_patterns")
    return data


def notice_context(
    session: Session,
    case: Case,
    settings: WorkflowSettings,
    *,
    recipient: Recipient | None,
    now: datetime,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The template context of a notice for ``case``; ``previous`` describes an earlier notice."""
    pairs: list[tuple[Hit, Document]] = [
        (h, d) for h, d in location_hits(session, case.location_id) if h.status == "confirmed"
    ]
    hits = [h for h, _ in pairs]
    leaks = {h.leak_id: session.get(Leak, h.leak_id) for h in hits}
    categories: dict[str, Category] = {}
    for leak_id, leak in leaks.items():
        assert leak is not None
        for category in categories_for(leak, [h for h in hits if h.leak_id == leak_id]):
            categories.setdefault(category.key, category)
    ordered = [categories[k] for k in _ORDER if k in categories]
    records = {(h.leak_id, r) for h in hits for r in h.record_ids}
    github = recipient is not None and recipient.template == "github"
    return {
        "case": {"id": case.id, "reference": f"RT-{case.id}", "incident": case.incident_id},
        "url": case.url,
        "host": case.host,
        "places": _places(case.url, hits, github),
        "categories": [{"key": c.key, "label": c.label, "risk": c.risk} for c in ordered],
        "n_records": len(records),
        "first_seen": min((d.first_seen for _, d in pairs), default=case.opened_at).date().isoformat(),
        "date": now.date().isoformat(),
        "recipient": _recipient(recipient),
        "is_search_engine": recipient is not None and recipient.recipient_class is RecipientClass.SEARCH_ENGINE,
        "sender": {
            "name": settings.sender_name,
            "email": settings.sender_email,
            "organisation": settings.organisation,
            "authority": settings.authority,
        },
        "legal_basis": list(settings.legal_basis),
        "deadline": settings.deadline_text(recipient.recipient_class) if recipient else "",
        "previous": previous,
    }
