"""Figures of the takedown work: how fast, how much is still open, who acts on notices.

- time to notice: first seen (earliest document of the case's hits) to first notice sent;
- time to removal: first notice sent to verified removal;
- open cases by age (since opened) and by host;
- success rate by recipient: of the cases whose notice went to a recipient, how many were
  removed (a case counts for the last recipient notified before its removal).
"""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from tracker.models import Document, Hit, utcnow
from tracker.workflow.models import Case, LocationHit, Notice
from tracker.workflow.states import CaseState

AGE_BUCKETS: tuple[tuple[str, timedelta], ...] = (
    ("<1d", timedelta(days=1)),
    ("1-7d", timedelta(days=7)),
    ("7-30d", timedelta(days=30)),
    (">30d", timedelta.max),
)
OPEN_STATES = frozenset(CaseState) - {CaseState.REMOVED, CaseState.CLOSED, CaseState.WITHDRAWN}


def _hours(deltas: list[timedelta]) -> dict[str, Any]:
    hours = [d.total_seconds() / 3600 for d in deltas]
    if not hours:
        return {"n": 0, "median_hours": None, "mean_hours": None, "max_hours": None}
    return {"n": len(hours), "median_hours": round(statistics.median(hours), 2),
            "mean_hours": round(statistics.fmean(hours), 2), "max_hours": round(max(hours), 2)}


def _first_seen(session: Session) -> dict[int, datetime]:
    rows = session.exec(
        select(Case.id, Document.first_seen)
        .join(LocationHit, col(LocationHit.location_id) == Case.location_id)
        .join(Hit, col(Hit.id) == LocationHit.hit_id)
        .join(Document, col(Document.id) == Hit.document_id)
    )
    found: dict[int, datetime] = {}
    for case_id, seen in rows:
        if case_id is not None and (case_id not in found or seen < found[case_id]):
            found[case_id] = seen
    return found


def build_report(session: Session, *, now: datetime | None = None) -> dict[str, Any]:
    """All figures as one JSON-ready dict."""
    now = now or utcnow()
    cases = list(session.exec(select(Case)))
    first_seen = _first_seen(session)
    sent: dict[int, list[Notice]] = defaultdict(list)
    query = select(Notice).where(Notice.kind == "notice", col(Notice.sent_at).is_not(None))
    for notice in session.exec(query.order_by(col(Notice.sent_at))):
        sent[notice.case_id].append(notice)

    to_notice, to_removal = [], []
    by_recipient: dict[str, Counter[str]] = defaultdict(Counter)
    for case in cases:
        notices = sent.get(case.id or 0, [])
        if notices and case.id in first_seen:
            to_notice.append(notices[0].sent_at - first_seen[case.id])  # type: ignore[operator]
        if notices and case.removed_at is not None:
            to_removal.append(case.removed_at - notices[0].sent_at)  # type: ignore[operator]
        before = [n for n in notices if case.removed_at is None or n.sent_at <= case.removed_at]  # type: ignore[operator]
        if before:
            name = before[-1].recipient.get("name", "?")
            by_recipient[name]["notified"] += 1
            by_recipient[name]["removed"] += case.removed_at is not None

    open_cases = [c for c in cases if c.state in OPEN_STATES]
    by_age: Counter[str] = Counter()
    for case in open_cases:
        age = now - case.opened_at
        by_age[next(label for label, limit in AGE_BUCKETS if age < limit)] += 1
    return {
        "generated_at": now.isoformat(),
        "cases": len(cases),
        "by_state": dict(sorted(Counter(c.state for c in cases).items())),
        "time_to_notice": _hours(to_notice),
        "time_to_removal": _hours(to_removal),
        "open_cases": len(open_cases),
        "open_by_age": {label: by_age.get(label, 0) for label, _ in AGE_BUCKETS},
        "open_by_host": dict(Counter(c.host for c in open_cases).most_common()),
        "success_by_recipient": {
            name: {"notified": n["notified"], "removed": n["removed"],
                   "rate": round(n["removed"] / n["notified"], 3)}
            for name, n in sorted(by_recipient.items())
        },
    }
