"""Takedown workflow commands: triage, incidents, cases, notices, verification and figures.

Registered on the root app with ``register(app)``:
``tracker hits confirm|dismiss|duplicate ID...``, ``tracker incidents list|show``,
``tracker cases list|show|notice|approve|send|mark|verify`` and ``tracker report``, all
with ``--json``. What they print is URLs, states, counts and notice texts, which hold no
record values by construction (see ``tracker/workflow/notices/context.py``).
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from sqlmodel import Session, col, select

from sources.http import HttpClient, build_client
from tracker.cli import hits as hits_cli
from tracker.cli.state import (
    HitIdsArgument,
    JsonOption,
    err,
    id_argument,
    out,
    print_json,
    state_of,
)
from tracker.config import default_config_path, load_config_or_defaults
from tracker.db import session_scope
from tracker.errors import NotFoundError, UsageError, path_error
from tracker.workflow.audit import default_actor, history_json
from tracker.workflow.cases import (
    approve_notice,
    case_of_location,
    change_state,
    draft_notice,
    get_case,
    latest_notice,
    list_cases,
)
from tracker.workflow.deadlines import overdue_cases
from tracker.workflow.incidents import incident_locations, location_hits
from tracker.workflow.jobs import http_settings, run_workflow
from tracker.workflow.models import Case, Incident, Notice, RemovalCheck
from tracker.workflow.notices.output import notice_bytes
from tracker.workflow.notices.render import FORMATS
from tracker.workflow.report import build_report
from tracker.workflow.send import send_notice
from tracker.workflow.settings import WorkflowSettings, load_workflow_settings
from tracker.workflow.states import CaseState, HitState
from tracker.workflow.triage import confirm_hit, set_hit_state

incidents_app = typer.Typer(help="Incidents: the same leaked content seen at one or more URLs.",
                            no_args_is_help=True)
cases_app = typer.Typer(help="Takedown cases: one per URL of confirmed content.", no_args_is_help=True)

#: Longest name ``--by`` takes: it is written to the audit log and shown in tables.
ACTOR_MAX = 200


def _actor(value: str | None) -> str | None:
    """``--by``: who did it, as the audit log records it; an empty or multi-line name is refused.

    Without this check, ``--by ""`` silently fell back to the login name and ``--by " "`` recorded
    an empty actor: the audit log must say who decided, so a blank name is a usage error (exit 2).
    """
    if value is None:
        return None
    name = value.strip()
    if not name:
        raise typer.BadParameter("must name who does this (got an empty value); leave --by out for your user name")
    if len(name) > ACTOR_MAX or any(not c.isprintable() for c in name):
        raise typer.BadParameter(f"must be a name on one line of at most {ACTOR_MAX} printable characters")
    return name


ByOption = Annotated[str | None, typer.Option("--by", help="Who does this (default: your user name).",
                                              callback=_actor)]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")]
ConfigOption = Annotated[Path | None, typer.Option(
    "--config", help="Configuration file (default: $TRACKER_HOME/tracker.toml).", dir_okay=False)]
CaseId = Annotated[int, id_argument("Case id (see: tracker cases list).")]


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _short(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


class _Context:
    """What a workflow command needs: database session, settings, config path, actor."""

    def __init__(self, ctx: typer.Context, config: Path | None, by: str | None = None) -> None:
        self.state = state_of(ctx)
        self.config_path = config or default_config_path(self.state.settings.home)
        self.workflow: WorkflowSettings = load_workflow_settings(self.config_path)
        self.actor = (by or default_actor()).strip()
        self.user_templates = self.state.settings.home / "templates"

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.state.engine()) as session:
            yield session

    @contextmanager
    def client(self) -> Iterator[HttpClient]:
        with build_client(http_settings(self.config_path)) as client:
            yield client


# --- hits confirm | dismiss | duplicate -----------------------------------------------------------------


def _triage(ctx: typer.Context, ids: list[int], state: HitState, reason: str, by: str | None,
            json_: bool, config: Path | None = None) -> None:
    c = _Context(ctx, config, by)
    rows = []
    with c.session() as session:
        for hit_id in ids:
            if state == HitState.CONFIRMED:
                done = confirm_hit(session, hit_id, actor=c.actor, settings=c.workflow, reason=reason)
                rows.append({"hit": hit_id, "status": done.hit.status, "incident": done.incident.id,
                             "location": done.location.url, "case": done.case.id, "case_state": done.case.state})
            else:
                hit = set_hit_state(session, hit_id, state, actor=c.actor, reason=reason)
                rows.append({"hit": hit_id, "status": hit.status})
    for row in rows:
        if json_:
            print_json(row)
        elif "case" in row:
            out().print(Text(f"hit {row['hit']} confirmed: incident {row['incident']}, case {row['case']} "
                             f"({row['case_state']}) for {row['location']}"))
        else:
            out().print(Text(f"hit {row['hit']} {row['status']}"))


def confirm(ctx: typer.Context, ids: HitIdsArgument,
            reason: ReasonOption = "", by: ByOption = None, config: ConfigOption = None,
            json_: JsonOption = False) -> None:
    """Confirm hits as the leak: group them into incidents and open a case per URL."""
    _triage(ctx, ids, HitState.CONFIRMED, reason, by, json_, config)


def dismiss(ctx: typer.Context, ids: HitIdsArgument,
            reason: Annotated[str, typer.Option("--reason", help="Why it is a false positive (required).")] = "",
            by: ByOption = None, json_: JsonOption = False) -> None:
    """Dismiss hits as false positives (a reason is required)."""
    _triage(ctx, ids, HitState.DISMISSED, reason, by, json_)


def duplicate(ctx: typer.Context, ids: HitIdsArgument,
              reason: ReasonOption = "", by: ByOption = None, json_: JsonOption = False) -> None:
    """Mark hits as duplicates of hits already triaged."""
    _triage(ctx, ids, HitState.DUPLICATE, reason, by, json_)


# --- incidents ----------------------------------------------------------------------------------------


def _incident_json(session: Session, incident: Incident) -> dict[str, Any]:
    locations = []
    for location in incident_locations(session, incident.id or 0):
        case = case_of_location(session, location.id)
        locations.append({
            "id": location.id, "url": location.url, "host": location.host, "linked_by": location.linked_by,
            "first_seen": _when(location.first_seen),
            "case": {"id": case.id, "state": case.state} if case else None,
            "hits": [{"id": h.id, "status": h.status, "leak_id": h.leak_id, "n_records": h.n_records}
                     for h, _ in location_hits(session, location.id or 0)],
        })
    return {"id": incident.id, "created_at": _when(incident.created_at), "created_by": incident.created_by,
            "locations": locations}


@incidents_app.command("list")
def incidents_list(ctx: typer.Context, json_: JsonOption = False) -> None:
    """List incidents with their number of locations and open cases."""
    with _Context(ctx, None).session() as session:
        rows = [_incident_json(session, i) for i in session.exec(select(Incident).order_by(col(Incident.id)))]
    if json_:
        for row in rows:
            print_json(row)
        return
    table = Table("id", "created", "locations", "awaiting triage", "cases by state")
    for row in rows:
        states: dict[str, int] = {}
        for loc in row["locations"]:
            if loc["case"]:
                states[loc["case"]["state"]] = states.get(loc["case"]["state"], 0) + 1
        waiting = sum(1 for loc in row["locations"] for h in loc["hits"] if h["status"] == "new")
        table.add_row(str(row["id"]), row["created_at"][:16], str(len(row["locations"])), str(waiting),
                      Text(", ".join(f"{k} {v}" for k, v in sorted(states.items())) or "-"))
    out().print(table)


@incidents_app.command("show")
def incidents_show(ctx: typer.Context, incident_id: Annotated[int, id_argument("Incident id (see: tracker incidents list).")],
                   json_: JsonOption = False) -> None:
    """Show an incident: each location, its hits and its case."""
    with _Context(ctx, None).session() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFoundError(f"no incident with id {incident_id} (see: tracker incidents list)")
        data = _incident_json(session, incident)
    if json_:
        print_json(data)
        return
    out().print(Text(f"incident #{data['id']}  created {data['created_at'][:16]} by {data['created_by']}  "
                     f"{len(data['locations'])} location(s)"))
    table = Table("location", "url", "linked by", "hits", "case")
    for loc in data["locations"]:
        hits = ", ".join(f"{h['id']} ({h['status']})" for h in loc["hits"])
        case = f"{loc['case']['id']} ({loc['case']['state']})" if loc["case"] else "- (awaiting triage)"
        table.add_row(str(loc["id"]), Text(loc["url"]), loc["linked_by"], Text(hits), Text(case))
    out().print(table)


# --- cases --------------------------------------------------------------------------------------------


def _recipient_json(recipient: dict[str, Any]) -> dict[str, Any]:
    return {k: recipient.get(k) for k in ("name", "recipient_class", "channel", "address", "source")}


def _case_json(case: Case, overdue: set[int] | None = None) -> dict[str, Any]:
    return {
        "id": case.id, "incident": case.incident_id, "url": case.url, "host": case.host, "state": case.state,
        "recipient": _recipient_json(case.recipient) if case.recipient else None,
        "escalation_level": case.escalation_level, "follow_ups": case.follow_ups,
        "opened_at": _when(case.opened_at), "notice_sent_at": _when(case.notice_sent_at),
        "deadline_at": _when(case.deadline_at), "overdue": case.id in (overdue or set()),
        "removed_at": _when(case.removed_at), "closed_at": _when(case.closed_at),
        "next_check_at": _when(case.next_check_at),
    }


def _notice_json(notice: Notice, *, text: bool = False) -> dict[str, Any]:
    data = {"id": notice.id, "kind": notice.kind, "template": notice.template, "subject": notice.subject,
            "to": notice.recipient.get("address"), "channel": notice.recipient.get("channel"),
            "format": notice.format, "message_id": notice.message_id or None,
            "created_at": _when(notice.created_at), "created_by": notice.created_by,
            "approved_by": notice.approved_by or None, "approved_at": _when(notice.approved_at),
            "sent_at": _when(notice.sent_at)}
    if text:
        data["text"] = notice.text
    return data


@cases_app.command("list")
def cases_list(
    ctx: typer.Context,
    state: Annotated[CaseState | None, typer.Option("--state", help="Only cases in this state.",
                                                    case_sensitive=False)] = None,
    host: Annotated[str | None, typer.Option("--host", help="Only cases on this host.")] = None,
    config: ConfigOption = None,
    json_: JsonOption = False,
) -> None:
    """List cases, oldest first; overdue ones are flagged."""
    c = _Context(ctx, config)
    with c.session() as session:
        cases = list_cases(session, state=state, host=host)
        overdue = {o.case.id for o in overdue_cases(session, c.workflow) if o.case.id is not None}
        rows = [_case_json(case, overdue) for case in cases]
    if json_:
        for row in rows:
            print_json(row)
        return
    table = Table("id", "state", "host", "recipient", "opened", "deadline", "url")
    for row in rows:
        deadline = (row["deadline_at"] or "-")[:16] + (" OVERDUE" if row["overdue"] else "")
        table.add_row(str(row["id"]), row["state"], Text(row["host"]),
                      Text(row["recipient"]["name"] if row["recipient"] else "-"), row["opened_at"][:16],
                      deadline, Text(row["url"]))
    out().print(table)


@cases_app.command("show")
def cases_show(ctx: typer.Context, case_id: CaseId, json_: JsonOption = False) -> None:
    """Show a case: recipient, notices, removal checks and its audit history."""
    with _Context(ctx, None).session() as session:
        case = get_case(session, case_id)
        data = _case_json(case)
        data["recipient_chain"] = [_recipient_json(r) for r in case.recipient_chain]
        data["hits"] = [h.id for h, _ in location_hits(session, case.location_id)]
        data["notices"] = [_notice_json(n) for n in session.exec(
            select(Notice).where(Notice.case_id == case.id).order_by(col(Notice.id)))]
        data["checks"] = [{"at": _when(r.at), "http_status": r.http_status, "content_sha256": r.content_sha256 or None,
                           "outcome": r.outcome, "detail": r.detail} for r in session.exec(
            select(RemovalCheck).where(RemovalCheck.case_id == case.id).order_by(col(RemovalCheck.id)))]
        data["history"] = history_json(session, "case", case.id or 0)
    if json_:
        print_json(data)
        return
    console = out()
    recipient = data["recipient"]
    console.print(Text(f"case #{data['id']}  {data['state']}  incident {data['incident']}\n{data['url']}\n"
                       f"recipient: " + (f"{recipient['name']} <{recipient['address']}> ({recipient['channel']}, "
                                        f"{recipient['recipient_class']}, via {recipient['source']})"
                                        if recipient else "not resolved yet") +
                       f"\nopened {data['opened_at'][:16]}  deadline {(data['deadline_at'] or '-')[:16]}  "
                       f"next check {(data['next_check_at'] or '-')[:16]}"))
    for title, rows, columns in (
        ("notices", data["notices"], ("id", "kind", "subject", "approved_by", "sent_at", "message_id")),
        ("removal checks", data["checks"], ("at", "http_status", "outcome", "detail")),
        ("history", data["history"], ("at", "actor", "action", "from", "to", "reason")),
    ):
        table = Table(*columns, title=title)
        for row in rows:
            table.add_row(*(Text(str(row[k])[:19] if k.endswith("at") and row[k] else str(row[k] or "-"))
                            for k in columns))
        console.print(table)


@cases_app.command("notice")
def cases_notice(
    ctx: typer.Context,
    case_id: CaseId,
    fmt: Annotated[str, typer.Option("--format", help=f"Output format: {', '.join(FORMATS)}.")] = "text",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.", dir_okay=False)] = None,
    redraft: Annotated[bool, typer.Option("--redraft", help="Render the unsent draft again.")] = False,
    by: ByOption = None,
    config: ConfigOption = None,
    json_: JsonOption = False,
) -> None:
    """Draft the case's notice (resolving its recipient) and print it; nothing is sent."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "pdf" and output is None and not json_:
        raise UsageError("--format pdf writes binary data: give --output FILE")
    c = _Context(ctx, config, by)
    with c.session() as session:
        case = get_case(session, case_id)
        notice = latest_notice(session, case, unsent=True)
        if notice is None or redraft:
            with c.client() as client:
                notice = draft_notice(session, case, c.workflow, actor=c.actor, client=client,
                                      kind=notice.kind if notice else "notice", user_dir=c.user_templates)
        data = notice_bytes(session, case, notice, c.workflow, fmt)
        info = _notice_json(notice, text=True)
    if output is not None:
        try:
            output.write_bytes(data)
        except OSError as exc:  # a folder that does not exist, a name too long, no permission
            raise path_error(output, exc, "--output") from exc
        err().print(f"notice {info['id']} written to {output}", markup=False, highlight=False)
    if json_:
        print_json({"case": case_id, "notice": info, "output": str(output) if output else None})
    elif output is None:
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()


@cases_app.command("approve")
def cases_approve(ctx: typer.Context, case_id: CaseId,
                  by: Annotated[str | None, typer.Option("--by", help="Name of the person approving (required).",
                                                         callback=_actor)] = None,
                  json_: JsonOption = False) -> None:
    """Approve the case's drafted notice for sending (a person signs off every notice)."""
    if by is None:
        raise UsageError("approval needs the approver's name: --by NAME")
    with _Context(ctx, None, by).session() as session:
        notice = approve_notice(session, get_case(session, case_id), by=by)
        info = _notice_json(notice)
    if json_:
        print_json({"case": case_id, "notice": info})
    else:
        out().print(Text(f"notice {info['id']} of case {case_id} approved by {info['approved_by']}"))


@cases_app.command("send")
def cases_send(
    ctx: typer.Context,
    case_id: CaseId,
    send: Annotated[bool, typer.Option("--send", help="Really send it (default: dry run).")] = False,
    by: ByOption = None,
    config: ConfigOption = None,
    json_: JsonOption = False,
) -> None:
    """Send the approved notice by email (SMTP with STARTTLS); without --send, a dry run."""
    c = _Context(ctx, config, by)
    with c.session() as session:
        case = get_case(session, case_id)
        outcome = send_notice(session, case, c.workflow, actor=c.actor, dry_run=not send)
        info = _notice_json(outcome.notice)
        raw = outcome.message.as_bytes()
        state = case.state
    if json_:
        print_json({"case": case_id, "sent": outcome.sent, "state": state, "notice": info})
        return
    if outcome.sent:
        out().print(Text(f"sent notice {info['id']} to {info['to']} ({info['message_id']}); case {case_id} is {state}"))
    else:
        sys.stdout.write(raw.decode("utf-8"))
        err().print("dry run: nothing was sent; approve the notice and add --send to send it",
                    markup=False, highlight=False)


@cases_app.command("mark")
def cases_mark(
    ctx: typer.Context,
    case_id: CaseId,
    state: Annotated[CaseState, typer.Argument(metavar="STATE", help="New state.", case_sensitive=False)],
    reason: ReasonOption = "",
    by: ByOption = None,
    config: ConfigOption = None,
    json_: JsonOption = False,
) -> None:
    """Move a case to another state (refused if the workflow does not allow it)."""
    c = _Context(ctx, config, by)
    with c.session() as session:
        case = get_case(session, case_id)
        before = case.state
        change_state(session, case, state, actor=c.actor, settings=c.workflow, reason=reason)
        data = _case_json(case)
    if json_:
        print_json(data)
    else:
        out().print(Text(f"case {case_id}: {before} -> {data['state']}"))


@cases_app.command("verify")
def cases_verify(
    ctx: typer.Context,
    case_ids: Annotated[list[int] | None, id_argument("Cases to check now.", "[ID]...")] = None,
    config: ConfigOption = None,
    json_: JsonOption = False,
) -> None:
    """Re-check cases for removal now: the named ones, or (no ID) what is due, after deadlines."""
    c = _Context(ctx, config, "tracker")
    with c.session() as session, c.client() as client:
        limits = load_config_or_defaults(c.config_path).scan  # [scan], as scans use
        report = run_workflow(session, c.state.settings, c.workflow, client=client, case_ids=case_ids or None,
                              actor=c.actor, limits=limits)
    data = report.to_json()
    if json_:
        print_json(data)
        return
    out().print(Text(f"checked {data['checked']}: removed {data['removed'] or '-'}, reappeared "
                     f"{data['reappeared'] or '-'}, inconclusive {data['inconclusive'] or '-'}; "
                     f"new hits linked to known incidents: {data['linked_hits'] or '-'}"))


def report(ctx: typer.Context, json_: JsonOption = False) -> None:
    """Takedown figures: time to notice, time to removal, open cases by age and host, success by recipient."""
    with _Context(ctx, None).session() as session:
        data = build_report(session)
    if json_:
        print_json(data)
        return
    console = out()

    def hours(stats: dict[str, Any]) -> str:
        if not stats["n"]:
            return "no data yet"
        return f"median {stats['median_hours']} h, mean {stats['mean_hours']} h, max {stats['max_hours']} h " \
               f"(n={stats['n']})"

    console.print(Text(f"cases: {data['cases']}  open: {data['open_cases']}  "
                       + ", ".join(f"{k} {v}" for k, v in data["by_state"].items())))
    console.print(Text(f"time to notice:  {hours(data['time_to_notice'])}"))
    console.print(Text(f"time to removal: {hours(data['time_to_removal'])}"))
    console.print(Text("open cases by age: " + ", ".join(f"{k} {v}" for k, v in data["open_by_age"].items())))
    table = Table("host", "open cases", title="open cases by host")
    for host, n in data["open_by_host"].items():
        table.add_row(Text(host), str(n))
    console.print(table)
    table = Table("recipient", "notified", "removed", "success rate", title="success by recipient")
    for name, row in data["success_by_recipient"].items():
        table.add_row(Text(name), str(row["notified"]), str(row["removed"]), f"{row['rate']:.0%}")
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the workflow commands to the root app (and confirm/dismiss/duplicate to ``hits``)."""
    hits_cli.app.command("confirm")(confirm)
    hits_cli.app.command("dismiss")(dismiss)
    hits_cli.app.command("duplicate")(duplicate)
    app.add_typer(incidents_app, name="incidents")
    app.add_typer(cases_app, name="cases")
    app.command("report")(report)
