"""Grouping confirmed hits into incidents: one re-post mirrored twenty times is one incident.

A hit joins an existing incident when its URL is already a location of it, when its
document has the same content hash as one of the incident's, when its document's MinHash
sketch is a near-duplicate of one of theirs, or when it carries largely the same records of
the same leak. Sketches are MinHash signatures over keyed shingles (see
:func:`document_sketch`), so near-duplicates are found without keeping any text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from fingerprints.keyed import TOKEN, Keyer, mix
from fingerprints.normalize import fold
from tracker.models import Document, Hit, utcnow
from tracker.workflow.audit import record
from tracker.workflow.models import (
    DocumentSketch,
    Incident,
    IncidentLocation,
    LocationHit,
)

SKETCH_PERM = 64
SKETCH_SEED = 0x5EED
SHINGLE = 4  # tokens per shingle
NEAR_DUPLICATE = 0.8  # estimated Jaccard of shingle sets
SAME_RECORDS = 0.8  # share of the smaller record-id set found in the other

_TOKEN = re.compile(r"[^\W_]+")


def document_sketch(keyer: Keyer, text: str) -> bytes:
    """Serialized MinHash of the text's keyed 4-token shingles.

    Tokens go through the keyed hash before shingling, so the sketch reveals nothing to
    whoever lacks the key; the pipeline stores it with :func:`save_sketch` while it still
    has the text, and removal checks refresh it from the re-fetched page.
    """
    hashes = [keyer.cached(TOKEN, t) for t in _TOKEN.findall(fold(text))]
    if len(hashes) < SHINGLE:
        hashes += [0] * (SHINGLE - len(hashes))
    shingles = set()
    for i in range(len(hashes) - SHINGLE + 1):
        h = hashes[i]
        for nxt in hashes[i + 1 : i + SHINGLE]:
            h = mix(h, nxt)
        shingles.add(h.to_bytes(8, "little"))
    from datasketch import LeanMinHash, MinHash  # noqa: I001 - scipy through it: only when a sketch is made

    sketch = MinHash(num_perm=SKETCH_PERM, seed=SKETCH_SEED, scheme="affine32")
    sketch.update_batch(shingles)
    lean = LeanMinHash(sketch)
    buf = bytearray(lean.bytesize())
    lean.serialize(buf)
    return bytes(buf)


def sketch_similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two serialized sketches."""
    from datasketch import LeanMinHash

    return float(LeanMinHash.deserialize(a).jaccard(LeanMinHash.deserialize(b)))


def save_sketch(session: Session, document_id: int, sketch: bytes) -> None:
    """Store (or replace) a document's sketch."""
    row = session.get(DocumentSketch, document_id)
    if row is None:
        row = DocumentSketch(document_id=document_id, minhash=sketch)
    row.minhash = sketch
    session.add(row)
    session.flush()


def url_host(url: str) -> str:
    """Lower-case host of a URL; "" for sources that are not URLs (drop folders)."""
    return (urlsplit(url).hostname or "").lower()


@dataclass(frozen=True)
class Grouping:
    """Where a hit landed: its location, and whether that location is new."""

    incident: Incident
    location: IncidentLocation
    created: bool


def _records_overlap(a: list[int], b: list[int]) -> float:
    if not a or not b:
        return 0.0
    sa, sb = set(a), set(b)
    return len(sa & sb) / min(len(sa), len(sb))


def find_incident(session: Session, hit: Hit, document: Document) -> tuple[IncidentLocation, str] | None:
    """An existing location whose content is the hit's (and why), or None.

    Checks, in order of certainty: same content hash, near-duplicate sketch, same records.
    """
    same = session.exec(
        select(LocationHit.location_id)
        .join(Hit, col(Hit.id) == LocationHit.hit_id)
        .join(Document, col(Document.id) == Hit.document_id)
        .where(Document.sha256 == document.sha256, LocationHit.hit_id != hit.id)
    ).first()
    if same is not None:
        return session.get(IncidentLocation, same), "same_content"  # type: ignore[return-value]
    mine = session.get(DocumentSketch, document.id)
    best: tuple[float, int] | None = None
    if mine is not None:
        others = session.exec(
            select(LocationHit.location_id, DocumentSketch.minhash)
            .join(Hit, col(Hit.id) == LocationHit.hit_id)
            .join(DocumentSketch, col(DocumentSketch.document_id) == Hit.document_id)
            .where(LocationHit.hit_id != hit.id)
        )
        from datasketch import LeanMinHash

        sketch = LeanMinHash.deserialize(mine.minhash)
        for location_id, other in others:
            score = float(sketch.jaccard(LeanMinHash.deserialize(other)))
            if score >= NEAR_DUPLICATE and (best is None or score > best[0]):
                best = (score, location_id)
        if best is not None:
            return session.get(IncidentLocation, best[1]), "near_duplicate"  # type: ignore[return-value]
    same_leak = session.exec(
        select(LocationHit.location_id, Hit.record_ids)
        .join(Hit, col(Hit.id) == LocationHit.hit_id)
        .where(Hit.leak_id == hit.leak_id, LocationHit.hit_id != hit.id)
    )
    for location_id, record_ids in same_leak:
        if _records_overlap(hit.record_ids, record_ids) >= SAME_RECORDS:
            return session.get(IncidentLocation, location_id), "same_records"  # type: ignore[return-value]
    return None


def location_of(session: Session, hit: Hit) -> IncidentLocation | None:
    """The location a hit is already linked to, if any."""
    link = session.get(LocationHit, hit.id)
    return session.get(IncidentLocation, link.location_id) if link else None


def group_hit(session: Session, hit: Hit, *, actor: str, at: datetime | None = None) -> Grouping:
    """Link a hit to its location and incident, creating them when the content is new.

    Idempotent: a hit already linked returns its location. Every new link is audited.
    """
    now = at or utcnow()
    linked = location_of(session, hit)
    if linked is not None:
        return Grouping(session.get(Incident, linked.incident_id), linked, False)  # type: ignore[arg-type]
    document = session.get(Document, hit.document_id)
    assert document is not None and hit.id is not None
    url = document.source
    location = session.exec(select(IncidentLocation).where(IncidentLocation.url == url)).first()
    created = location is None
    if location is None:
        match = find_incident(session, hit, document)
        if match is not None:
            incident_id, why = match[0].incident_id, match[1]
        else:
            incident = Incident(created_at=now, created_by=actor)
            session.add(incident)
            session.flush()
            assert incident.id is not None
            record(session, actor=actor, object_type="incident", object_id=incident.id, action="create", at=now)
            incident_id, why = incident.id, "first"
        location = IncidentLocation(
            incident_id=incident_id, url=url, host=url_host(url), linked_by=why, first_seen=now
        )
        session.add(location)
        session.flush()
        record(
            session, actor=actor, object_type="incident", object_id=incident_id, action="link",
            reason=f"location {location.id} ({why})", at=now,
        )
    session.add(LocationHit(hit_id=hit.id, location_id=location.id))  # type: ignore[arg-type]
    session.flush()
    incident = session.get(Incident, location.incident_id)
    assert incident is not None
    return Grouping(incident, location, created)


def link_known_content(
    session: Session, *, actor: str = "tracker", at: datetime | None = None
) -> list[tuple[Hit, Grouping]]:
    """Link new (untriaged) hits whose content belongs to a known incident.

    A new mirror of confirmed content shows up under its incident at once, awaiting triage;
    hits of unknown content are left alone until an analyst confirms them.
    """
    linked_ids = select(LocationHit.hit_id)
    candidates = session.exec(
        select(Hit).where(Hit.status == "new", col(Hit.id).not_in(linked_ids)).order_by(col(Hit.id))
    ).all()
    groupings = []
    for hit in candidates:
        document = session.get(Document, hit.document_id)
        assert document is not None
        at_known_url = session.exec(
            select(IncidentLocation).where(IncidentLocation.url == document.source)
        ).first()
        if at_known_url is not None or find_incident(session, hit, document) is not None:
            groupings.append((hit, group_hit(session, hit, actor=actor, at=at)))
    return groupings


def incident_locations(session: Session, incident_id: int) -> list[IncidentLocation]:
    """The incident's locations, oldest first."""
    query = (
        select(IncidentLocation)
        .where(IncidentLocation.incident_id == incident_id)
        .order_by(col(IncidentLocation.first_seen), col(IncidentLocation.id))
    )
    return list(session.exec(query))


def location_hits(session: Session, location_id: int) -> list[tuple[Hit, Document]]:
    """Hits found at a location with their documents, oldest first."""
    rows = session.exec(
        select(Hit, Document)
        .join(LocationHit, col(LocationHit.hit_id) == Hit.id)
        .join(Document, col(Document.id) == Hit.document_id)
        .where(LocationHit.location_id == location_id)
        .order_by(col(Hit.id))
    )
    return [(hit, document) for hit, document in rows]
