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

    def __init__(self, **attrs: Any):
        super().__init__(**attrs)
        for command in _leaf_commands(self):
            command.params.extend(_global_params())

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]
        raw_args = list(sys.argv[1:] if args is None else args)
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = InertStream(PipeGuard(saved[0])), InertStream(saved[1])
        try:
            code = run_safely(
                lambda: super(DeskGroup, self).main(
                    args=expand_watch(check_arguments(raw_args)),
                    prog_name=prog_name or "supportdesk",
                    complete_var=complete_var,
                    standalone_mode=False,
                    **extra,
                )
            )
        finally:
            sys.stdout, sys.stderr = saved
        if standalone_mode:
            sys.exit(code)
        return code


class InertStream:
    """A text stream that shows control, escape and bidi characters as visible escapes:
    everything a command prints for people passes through it (JSON and CSV, which keep
    the exact text, are written to the stream underneath with `raw_stdout()`)."""

    def __init__(self, stream: Any):
        self.raw = stream

    def write(self, text: str) -> int:
        from supportdesk.text import inert

        self.raw.write(inert(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class ReaderGone(Exception):
    """Standard output's reader went away (`| head -1`): not an OSError, so that no
    layer in between turns it into a failure."""


class PipeGuard:
    """Standard output, with a closed pipe reported as ReaderGone."""

    def __init__(self, stream: Any):
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            raise ReaderGone() from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise ReaderGone() from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def raw_stdout() -> Any:
    """Standard output without the escaping of InertStream (for JSON and CSV)."""
    return getattr(sys.stdout, "raw", sys.stdout)


def _leaf_commands(group: Any) -> Iterator[Any]:
    for command in getattr(group, "commands", {}).values():
        if getattr(command, "commands", None) is not None:
            yield from _leaf_commands(command)
        else:
            yield command


def _set_global(ctx: Any, param: Any, value: str | None) -> None:
    """`--db`/`--now` given after the command: they override the ones before it."""
    if value is None:
        return
    root = ctx.find_root()
    if not isinstance(root.obj, Globals):
        root.obj = Globals(None, None)
    setattr(root.obj, param.name, value)


def _global_params() -> list[Any]:
    from typer.core import TyperOption

    return [
        TyperOption(param_decls=["--db"], metavar="PATH", expose_value=False, callback=_set_global, help=DB_HELP),
        TyperOption(param_decls=["--now"], metavar="INSTANT", expose_value=False, callback=_set_global, help=NOW_HELP),
    ]


def check_arguments(args: list[str]) -> list[str]:
    """Refuse arguments that are not valid UTF-8 (Python hands them over as surrogates)."""
    for position, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raw = arg.encode("utf-8", "surrogateescape")
            try:
                raw.decode("utf-8")
                offset = 0
            except UnicodeDecodeError as error:
                offset = error.start
            raise InvalidArguments(
                f"argument {position} is not valid UTF-8 (byte 0x{raw[offset]:02x} at offset {offset}); "
                "pass text in UTF-8"
            ) from None
    return args


def read_stdin(what: str) -> str:
    """Standard input as UTF-8 text; invalid UTF-8 is refused naming the byte offset."""
    from supportdesk.errors import InvalidInput

    stream = sys.stdin
    if stream is None:
        raise InvalidInput(f"{what} needs standard input, but there is none")
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        return stream.read()
    data = buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"standard input ({what}) is not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "convert it, e.g. with iconv -t UTF-8"
        ) from None


class InvalidArguments(SupportdeskError):
    """The command line itself cannot be read."""

    exit_code = ExitCode.INVALID


def _error(message: str) -> None:
    from supportdesk.text import inert

    sys.stderr.write(f"error: {inert(message, multiline=False)}\n")
    sys.stderr.flush()


def _driver_error(error: Exception) -> str:
    text = str(error)
    if "locked" in text or "busy" in text:
        return "the desk is busy (another supportdesk is writing); try again in a moment"
    if "readonly" in text or "unable to open" in text or "disk I/O" in text:
        return f"the desk file cannot be written ({text}); check its permissions and free space"
    return f"the desk file cannot be used (SQLite says: {text}); run `supportdesk check`"


def run_safely(invoke: Any) -> int:
    """Call `invoke`; map its outcome to an exit code, printing one line on failure."""
    from typer._click import exceptions as click_errors

    try:
        result = invoke()
        # Flush here, not at exit: a reader that went away (`| head -1`) is seen now.
        raw_stdout().flush()
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
    except (BrokenPipeError, ReaderGone):
        # The reader (e.g. `head`) went away: not an error of ours. Point the real
        # descriptor at /dev/null so that the interpreter's final flush stays quiet.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.__stdout__.fileno())
        except (OSError, AttributeError, ValueError):
            pass
        return int(ExitCode.OK)
    except Exception as error:  # noqa: BLE001 - the boundary: no traceback, ever
        sqlite3 = sys.modules.get("sqlite3")
        if sqlite3 is not None and isinstance(error, sqlite3.Error):
            _error(_driver_error(error))
            return int(ExitCode.UNAVAILABLE)
        _error(f"unexpected {type(error).__name__}: {error}; this is a bug in supportdesk, please report it with the command you ran")
        return int(ExitCode.INTERNAL)
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


@dataclass
class Globals:
    """The global options, kept on the Typer context for every command."""

    db: str | None
    now: str | None


DB_HELP = "The desk file (env SUPPORTDESK_DB; default: desk.db in the user data dir)."
NOW_HELP = "Act as of this instant (env SUPPORTDESK_NOW), e.g. 2026-11-20T14:30 or 'fri 17:30'."


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
            help=DB_HELP,
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            metavar="INSTANT",
            help=NOW_HELP,
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
    location = locate_desk(options.db)
    desk = Desk.open(location, login=current_login(), clock=real_now, now_text=options.now)
    if desk.created:
        say(
            f"created a new desk at {location.path} (no --db or SUPPORTDESK_DB was given); "
            "`supportdesk --help` shows how to name another"
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
    """Write data as JSON on stdout: stable, UTF-8, two-space indent; the exact text,
    with every control and bidi character as a JSON escape."""
    from supportdesk.text import json_safe

    raw_stdout().write(json_safe(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")


def say(message: str) -> None:
    """A human message on stderr (stdout is kept for data)."""
    sys.stderr.write(message + "\n")


def console(stderr: bool = False) -> Console:
    """A rich console; plain when NO_COLOR is set or the output is not a terminal.

    Markup and emoji codes are off (text from tickets is never markup), and every piece
    of text is made inert before rich adds its own styling.
    """
    from supportdesk.cli.safe_console import SafeConsole

    stream = sys.stderr if stderr else sys.stdout
    return SafeConsole(file=getattr(stream, "raw", stream), highlight=False, soft_wrap=False, markup=False, emoji=False)


JsonOption = Annotated[bool, typer.Option("--json", help="Output JSON instead of a table.")]
