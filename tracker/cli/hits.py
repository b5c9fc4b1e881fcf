"""``tracker hits list|show``: what the scans found (and, in ``show``, what analysts decided).

Hits are shown as record ids, per-field similarity numbers and masked evidence ("M****** (7)":
first character and length); the tracker has no plaintext to show and never shows any.
"""
from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from tracker import store
from tracker.cli.state import ID_MAX, JsonOption, id_argument, out, print_json, state_of
from tracker.db import session_scope
from tracker.models import Document, Hit, Leak
from tracker.workflow.audit import history_json
from tracker.workflow.states import HitState

app = typer.Typer(help="List and inspect hits (leaked records found in documents).", no_args_is_help=True)


def hit_json(hit: Hit, leak: Leak, document: Document, *, detail: bool = False) -> dict[str, Any]:
    """A hit as ``hits list/show --json`` prints it; ``detail`` adds the per-record evidence."""
    data: dict[str, Any] = {
        "id": hit.id, "leak": leak.name, "status": hit.status, "score": round(hit.score, 4),
        "n_records": hit.n_records, "records": hit.record_ids, "fields": hit.fields,
        "expected_chance": hit.expected_chance, "rows_compared": hit.rows_compared,
        "source": document.source, "sha256": document.sha256, "size": document.size,
        "content_type": document.content_type, "first_seen": document.first_seen.isoformat(),
        "last_seen": document.last_seen.isoformat(), "created_at": hit.created_at.isoformat(),
        "updated_at": hit.updated_at.isoformat(),
    }
    if detail:
        data["records_detail"] = hit.records_detail
    return data


def _chance_text(hit: Hit) -> str:
    """How sure the hit is: rows a document of this size would match as well by chance."""
    if hit.expected_chance is None:
        return ""
    return f"  (by chance: {hit.expected_chance:.2g} of {hit.rows_compared} rows expected)"


def _numbers(fields: dict[str, Any]) -> str:
    """Like "Last Name 0.93, DOB 1.00": a record's per-column similarity."""
    return ", ".join(f"{name} {value:.2f}" for name, value in fields.items() if isinstance(value, int | float))


@app.command("list")
def list_(
    ctx: typer.Context,
    leak: Annotated[str | None, typer.Option("--leak", help="Only hits of this leak.")] = None,
    status: Annotated[HitState | None, typer.Option(
        "--status", help="Only hits in this triage status.", case_sensitive=False)] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", min=1, max=ID_MAX, help="At most this many (newest first).")] = None,
    json_: JsonOption = False,
) -> None:
    """List hits, newest first."""
    with session_scope(state_of(ctx).engine()) as session:
        leak_id = store.require_leak(session, leak).id if leak else None
        rows = store.list_hits(session, leak_id=leak_id, status=status, limit=limit)
    if json_:
        for row in rows:
            print_json(hit_json(*row))
        return
    table = Table("id", "leak", "status", "score", "records", "source", "last seen")
    for hit, leak_row, document in rows:
        table.add_row(str(hit.id), Text(leak_row.name), Text(hit.status), f"{hit.score:.2f}", str(hit.n_records),
                      Text(document.source), document.last_seen.strftime("%Y-%m-%d %H:%M"))
    out().print(table)


@app.command("show")
def show(ctx: typer.Context, hit_id: Annotated[int, id_argument("Hit id.")],
         json_: JsonOption = False) -> None:
    """Show one hit: document, score, per record found its similarity numbers and masked
    evidence, and the hit's audit history (triage decisions: who, when, why)."""
    with session_scope(state_of(ctx).engine()) as session:
        hit, leak, document = store.get_hit(session, hit_id)
        events = history_json(session, "hit", hit.id or 0)
    if json_:
        print_json({**hit_json(hit, leak, document, detail=True), "history": events})
        return
    console = out()
    console.print(Text.assemble(
        f"hit #{hit.id}  leak ", (leak.name, "bold"), f"  status {hit.status}  score {hit.score:.2f}  "
        f"{hit.n_records} record(s)", _chance_text(hit), "\nsource ", document.source,
        f"\nsha256 {document.sha256}  first seen {document.first_seen:%Y-%m-%d %H:%M}  "
        f"last seen {document.last_seen:%Y-%m-%d %H:%M}",
    ))
    table = Table("record", "score", "part", "line", "fields", "namesakes", "evidence (masked)")
    for record in hit.records_detail:
        evidence = ", ".join(f"{name}: {value}" for name, value in record.get("evidence", {}).items())
        namesakes = int(record.get("namesakes", 1))  # records the row fits equally: any may be the one
        table.add_row(str(record.get("id")), f"{record.get('score', 0):.2f}", str(record.get("part")),
                      str(record.get("line")), Text(_numbers(record.get("fields", {}))),
                      f"1 of {namesakes}" if namesakes > 1 else "", Text(evidence))
    console.print(table)
    if events:
        table = Table("at", "actor", "action", "from", "to", "reason", title="history")
        for e in events:
            table.add_row(*(Text(str(e[k] or "-")[:19]) for k in ("at", "actor", "action", "from", "to", "reason")))
        console.print(table)
