"""What matching a document against a leak returns: verdicts, matched records, masked evidence.

Only leak column names, numbers and masked text (first letter and length) appear here, so
these objects can be stored, logged and shown as they are.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RecordMatch:
    """One leaked record found in a document: where, how closely, on which fields."""

    record_id: int
    score: float                      # 0..1 confidence that this is the record
    expected_chance: float            # E: chance matches expected for this evidence
    part: int                         # index of the document part (archive member, sheet)
    line: int                         # 0-based line in that part
    fields: dict[str, float]          # leak column name -> similarity 0..1
    evidence: dict[str, str]          # leak column name -> masked text ("M**** (5)")
    row_similarity: float = 0.0       # MinHash Jaccard estimate between record and line
    #: Records the row fits equally well (namesakes in the leak with nothing else on the row to
    #: tell them apart), this one included: any of them may be the person disclosed.
    namesakes: int = 1

    def to_dict(self) -> dict:
        return {
            "record": self.record_id, "score": round(self.score, 4), "part": self.part,
            "line": self.line, "fields": {k: round(v, 3) for k, v in self.fields.items()},
            "evidence": self.evidence, "row_similarity": round(self.row_similarity, 3),
            "namesakes": self.namesakes,
        }


@dataclass
class DocumentMatch:
    """The verdict on one document against one leak."""

    verdict: str                      # "hit" | "clean"
    score: float                      # calibrated: 0.5 at the decision threshold
    evidence: float                   # summed log10 evidence of the records
    records: list[RecordMatch] = field(default_factory=list)
    fields: dict[str, dict] = field(default_factory=dict)
    #: Rows expected to match this well by chance in a document of this many rows, for this leak
    #: (compare with the number of records): how sure the verdict is.
    expected_chance: float = 0.0
    #: Rows that matched some record at all (reported or not), and rows the document offered.
    matched_rows: int = 0
    rows: int = 0

    @property
    def record_ids(self) -> list[int]:
        return sorted({r.record_id for r in self.records})

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "score": round(self.score, 4), "records": self.record_ids,
                "fields": self.fields, "expected_chance": float(f"{self.expected_chance:.3g}"), "rows": self.rows}


def mask(text: str) -> str:
    """What an analyst may see of a matched value: first letter and length."""
    text = text.strip()
    if not text:
        return ""
    return f"{text[0]}{'*' * (len(text) - 1)} ({len(text)})"
