"""``tracker leak add|list|remove``: register the leaks to look for.

``tracker.leaks`` is imported inside the commands: it loads the fingerprinting stack
(numpy, datasketch), about half a second that ``tracker --help`` and ``hits`` need not pay.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from fingerprints.columns import parse_column_overrides
from fingerprints.errors import ColumnError
from tracker.cli.state import JsonOption, KeyFileOption, err, out, print_json, state_of
from tracker.errors import UsageError
from tracker.models import Leak

app = typer.Typer(help="Register, list and remove leaks.", no_args_is_help=True)


def leak_json(leak: Leak, n_hits: int) -> dict[str, Any]:
    """A leak as ``leak list --json`` prints it: description and hashes, no values."""
    return {"name": leak.name, "records": leak.n_records, "columns": leak.columns, "sheets": leak.sheets,
            "file_name": leak.file_name, "file_format": leak.file_format, "file_sha256": leak.file_sha256,
            "key_id": leak.key_id, "index_bytes": leak.index_bytes, "hits": n_hits,
            "created_at": leak.created_at.isoformat()}


def _roles(leak: Leak) -> str:
    """The "Header=role" for each column that is used (headers are not personal data)."""
    return ", ".join(f"{c['name']}={c['role']}" for c in leak.columns if c["role"] != "ignore")


@app.command("add")
def add(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The leaked table (CSV, TSV, XLSX, ODS, JSON).", dir_okay=False)],
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="Short name of the leak (letters, digits, . _ -).")],
    columns: Annotated[str | None, typer.Option(
        "--columns", metavar="SPEC", help='Column roles that override detection, e.g. "Last Name=last_name,DOB=dob".')] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Only this sheet of a workbook.")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Replace a leak of that name built from another file (its hits are kept).")] = False,
    key_file: KeyFileOption = None,
) -> None:
    """Fingerprint a leaked table with the secret key and register it. Only keyed fingerprints are kept.

    Adding the same file under the same name again does nothing and succeeds.
    """
    from tracker import leaks

    state = state_of(ctx)
    try:
        overrides = parse_column_overrides(columns) if columns else None
    except (ColumnError, ValueError) as exc:
        raise UsageError(f"--columns: {exc}") from exc
    engine = state.engine()
    keyer = leaks.open_key_for_add(engine, state.key_path(key_file), name, replace=replace)
    outcome = leaks.add_leak(engine, state.settings, keyer, file, name, columns=overrides, sheet=sheet,
                             replace=replace)
    console = err()
    for decision in outcome.decisions:
        console.print(decision, markup=False, highlight=False)
    leak = outcome.leak
    if outcome.status == "unchanged":
        typer.echo(f"leak {leak.name!r} is already registered from this file ({leak.n_records} records)")
        return
    typer.echo(f"{outcome.status} leak {leak.name!r}: {leak.n_records} records from {leak.file_name} "
               f"({leak.file_format}); columns: {_roles(leak)}")


@app.command("list")
def list_(ctx: typer.Context, json_: JsonOption = False) -> None:
    """List registered leaks."""
    from tracker import leaks

    rows = leaks.list_leaks(state_of(ctx).engine())
    if json_:
        for leak, n_hits in rows:
            print_json(leak_json(leak, n_hits))
        return
    if not rows:
        err().print("no leaks registered yet (add one with: tracker leak add FILE --name NAME)")
        return
    table = Table("name", "records", "columns", "format", "hits", "key id", "added")
    for leak, n_hits in rows:
        table.add_row(leak.name, str(leak.n_records), Text(_roles(leak)), Text(leak.file_format), str(n_hits),
                      leak.key_id,
                      leak.created_at.strftime("%Y-%m-%d %H:%M"))
    out().print(table)


@app.command("remove")
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the leak.")],
    force: Annotated[bool, typer.Option("--force", help="Also delete the leak's hits.")] = False,
) -> None:
    """Delete a leak and its index file. A leak with hits is kept unless --force (which deletes its hits)."""
    from tracker import leaks

    state = state_of(ctx)
    n_hits = leaks.remove_leak(state.engine(), state.settings, name, force=force)
    typer.echo(f"removed leak {name!r}" + (f" and {n_hits} hit(s)" if n_hits else ""))
