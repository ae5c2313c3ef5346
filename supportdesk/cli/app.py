"""The Typer app, its global options, and the one place errors become exit codes.

Only typer is imported at module level: rich, sqlite-utils, pendulum and holidays are
imported inside the commands that need them, so `supportdesk --help` starts fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from supportdesk import __version__
from supportdesk.errors import ExitCode, SupportdeskError

if TYPE_CHECKING:
    from rich.console import Console

    from supportdesk.desk import Desk

HELP = (
    "A support desk for web-hosting providers that lives in the terminal.\n\n"
    "The desk's policy (hours, on-call, priorities, SLA targets, departments, rules) is a "
    "TOML file; supportdesk enforces it and records every change to a ticket as an event."
)


# `triage --watch` alone means this many seconds between refreshes.
WATCH_DEFAULT_SECONDS = "10"


def expand_watch(args: list[str]) -> list[str]:
    """`--watch` without seconds gets the default, so the option can be a bare flag."""
    out = []
    for i, arg in enumerate(args):
        out.append(arg)
        if arg == "--watch":
            following = args[i + 1] if i + 1 < len(args) else None
            if following is None or following.startswith("-"):
                out.append(WATCH_DEFAULT_SECONDS)
    return out


class DeskGroup(TyperGroup):
    """Runs a command and turns every error a user can cause into one line and an exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]
        args = expand_watch(list(sys.argv[1:] if args is None else args))
        code = run_safely(
            lambda: super(DeskGroup, self).main(
                args=args,
                prog_name=prog_name or "supportdesk",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        )
        if standalone_mode:
            sys.exit(code)
        return code


def _error(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()


def run_safely(invoke: Any) -> int:
    """Call `invoke`; map its outcome to an exit code, printing one line on failure."""
    from typer._click import exceptions as click_errors

    try:
        result = invoke()
    except SupportdeskError as error:
        _error(error.message)
        return int(error.exit_code)
    except click_errors.NoArgsIsHelpError as error:
        sys.stdout.write(error.format_message() + "\n")
        return int(ExitCode.OK)
    except click_errors.UsageError as error:
        command = error.ctx.command_path if error.ctx else "supportdesk"
        _error(f"{error.format_message()} (see `{command} --help`)")
        return int(ExitCode.INVALID)
    except click_errors.ClickException as error:
        _error(error.format_message())
        return int(ExitCode.INVALID)
    except (KeyboardInterrupt, typer.Abort):
        sys.stderr.write("\n")
        return int(ExitCode.INTERRUPTED)
    except typer.Exit as done:
        return int(done.exit_code)
    except BrokenPipeError:
        # The reader (e.g. `head`) went away: not an error of ours.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the final flush
        except OSError:
            pass
        return int(ExitCode.OK)
    return int(result) if isinstance(result, int) else int(ExitCode.OK)


app = typer.Typer(
    cls=DeskGroup,
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: rich help formatting imports rich.markdown and markdown-it (~75 ms).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass(frozen=True)
class Globals:
    """The global options, kept on the Typer context for every command."""

    db: str | None
    now: str | None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"supportdesk {__version__}")
        raise typer.Exit()


@app.callback()
def _global_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH",
            help="The desk file (env SUPPORTDESK_DB; default: desk.db in the user data dir).",
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            metavar="INSTANT",
            help="Act as of this instant (env SUPPORTDESK_NOW), e.g. 2026-11-20T14:30 or 'fri 17:30'.",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    ctx.obj = Globals(db=db, now=now or os.environ.get("SUPPORTDESK_NOW") or None)


def globals_of(ctx: typer.Context) -> Globals:
    """The global options of this invocation."""
    root = ctx.find_root()
    return root.obj if isinstance(root.obj, Globals) else Globals(None, None)


def real_now():
    """The wall clock, read once per command at the edge of the program."""
    from datetime import UTC, datetime

    return datetime.now(UTC)


@contextmanager
def open_desk(ctx: typer.Context) -> Iterator[Desk]:
    """The desk named by the global options, acting for the OS user."""
    from supportdesk.config import current_login, locate_desk
    from supportdesk.desk import Desk

    options = globals_of(ctx)
    desk = Desk.open(
        locate_desk(options.db), login=current_login(), clock=real_now(), now_text=options.now
    )
    try:
        yield desk
    finally:
        desk.close()


@contextmanager
def open_time(ctx: typer.Context, calendar_file: str | None) -> Iterator[Any]:
    """Calendars and on-call from `--calendar-file`, or from the desk's policy."""
    if not calendar_file:
        with open_desk(ctx) as desk:
            yield desk.time()
        return
    from pathlib import Path

    from supportdesk.desk import TimeDesk, resolve_now
    from supportdesk.policy import load_calendar_file, read_policy_file

    policy = load_calendar_file(read_policy_file(Path(calendar_file)), calendar_file)
    yield TimeDesk(policy, resolve_now(globals_of(ctx).now, policy, real_now()))


CalendarFileOption = Annotated[
    str | None,
    typer.Option(
        "--calendar-file",
        metavar="FILE",
        help="Read calendars, rotations and on-call from this TOML file instead of the desk's policy.",
    ),
]


def emit_json(data: Any) -> None:
    """Write data as JSON on stdout: stable, UTF-8, two-space indent."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def say(message: str) -> None:
    """A human message on stderr (stdout is kept for data)."""
    sys.stderr.write(message + "\n")


def console(stderr: bool = False) -> Console:
    """A rich console; plain when NO_COLOR is set or the output is not a terminal."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


JsonOption = Annotated[bool, typer.Option("--json", help="Output JSON instead of a table.")]
