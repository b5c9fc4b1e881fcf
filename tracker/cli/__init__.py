"""The ``tracker`` command line: root options, sub-commands, error handling and exit codes.

Every error a user can cause is a ``TrackerError``; it is printed as one ``error: ...``
line on stderr and turned into its exit code. Anything else is a bug: exit 1 with the
exception's type and place only (its message could quote document content), and with ``-v``
the traceback as ``tracker.redact`` writes it (our frames, no foreign exception message).
"""
from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from fingerprints.errors import FingerprintError
from sources.errors import SourceError
from tracker.cli import bench as bench_cli
from tracker.cli import hits as hits_cli
from tracker.cli import leaks as leaks_cli
from tracker.cli import monitor as monitor_cli
from tracker.cli import scan as scan_cli
from tracker.cli import workflow as workflow_cli
from tracker.cli.state import (
    EXIT_FAILURE,
    EXIT_HITS,
    EXIT_OK,
    EXIT_SCAN_ERRORS,
    EXIT_USAGE,
    CliState,
    KeyFileOption,
)
from tracker.errors import TrackerError
from tracker.logging import configure_logging, resolve_level
from tracker.redact import format_exception
from tracker.settings import Settings

EPILOG = (
    f"Exit codes: {EXIT_OK} success; {EXIT_FAILURE} internal or storage error; "
    f"{EXIT_USAGE} usage error (bad option or input, unknown leak, wrong key, unreadable leak file); "
    f"{EXIT_SCAN_ERRORS} scan finished but some documents could not be scanned; "
    f"{EXIT_HITS} scan found hits (only with --fail-on-hit); "
    f"{monitor_cli.EXIT_SOURCE_TROUBLE} a monitored source failed or is flagged (run --once, sources). "
    "Environment: TRACKER_HOME, TRACKER_DATABASE_URL, TRACKER_KEY_FILE, TRACKER_LOG_LEVEL, TRACKER_LOG_FILE."
)


def _say_error(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()


def _where(exc: BaseException) -> str:
    """``file.py:line`` of the innermost frame, to report a bug without its message."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown place"
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno}"


class TrackerGroup(TyperGroup):
    """The root command group: runs a sub-command and maps its exceptions to exit codes."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (TyperException, Exit, Abort):
            raise
        except TrackerError as exc:
            _say_error(str(exc))
            raise Exit(exc.exit_code) from exc
        except FingerprintError as exc:
            _say_error(str(exc))
            raise Exit(EXIT_USAGE) from exc
        except SourceError as exc:
            _say_error(str(exc))
            raise Exit(EXIT_FAILURE) from exc
        except Exception as exc:
            if _verbosity(ctx):
                sys.stderr.write(format_exception(exc))
            _say_error(f"internal error ({exc.__class__.__name__} at {_where(exc)}); run with -v for the traceback")
            raise Exit(EXIT_FAILURE) from exc
        finally:
            state = ctx.obj
            if isinstance(state, CliState):
                state.close()


def _verbosity(ctx: Any) -> int:
    state = ctx.obj
    return state.verbose if isinstance(state, CliState) else 0


app = typer.Typer(
    cls=TrackerGroup,
    name="tracker",
    help="Find leaked personal records re-posted on the internet and drive their removal.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: "[[sources]]" must not be read as markup
)


@app.callback()
def main(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(
        "--home", help="Data folder (default: $TRACKER_HOME or the user data folder).", file_okay=False)] = None,
    key_file: KeyFileOption = None,
    verbose: Annotated[int, typer.Option(
        "--verbose", "-v", count=True, help="More log output on stderr: -v info, -vv debug.")] = 0,
    log_file: Annotated[Path | None, typer.Option(
        "--log-file", help="Also log to this file (relative to the data folder); default $TRACKER_LOG_FILE.",
        dir_okay=False)] = None,
) -> None:
    """Resolve settings and logging once for whichever sub-command runs."""
    settings = Settings.from_env(home=home, key_file=key_file, log_file=log_file)
    ctx.obj = CliState(settings, verbose)
    if settings.log_file is not None:
        settings.ensure_home()
    configure_logging(resolve_level(verbose, settings.log_level), settings.log_file)


app.add_typer(leaks_cli.app, name="leak")
app.add_typer(hits_cli.app, name="hits")
app.command("scan", epilog=scan_cli.EPILOG)(scan_cli.scan)
monitor_cli.register(app)
workflow_cli.register(app)
bench_cli.register(app)
