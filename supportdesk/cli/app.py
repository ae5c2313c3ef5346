"""The Typer app, its global options, and the one place errors become exit codes.

Only typer is imported at module level: rich, sqlite-utils, pendulum and holidays are
imported inside the commands that need them, so `supportdesk --help` starts fast. The
command modules themselves are imported, and their commands built, only when called
(COMMANDS and DeskGroup below).
"""

from __future__ import annotations

import inspect
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from supportdesk import __version__
from supportdesk.cli.streams import InertStream, OutputFailed, PipeGuard, ReaderGone
from supportdesk.errors import ExitCode, SupportdeskError
from supportdesk.frozen import Record, record

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


# Every command of the root group: name -> (the module of supportdesk.cli that registers
# it on `app`, the first paragraph of its help). The module is imported, and the command
# built, only when the command is called, so `supportdesk show 1` builds `show` alone;
# `--help` lists the commands from this table without importing any of them.
# tests/test_cli_start.py checks the table against the commands themselves.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "Build a throwaway desk from examples/ and show its open queue."),
    "backup": ("maintenance", "Back up the desk to FILE while others keep working."),
    "restore": ("maintenance", "Replace the desk with a copy of a backup FILE."),
    "check": ("maintenance", "Check the desk's file, history and deadlines."),
    "init": ("tickets", "Create a desk (at --db, SUPPORTDESK_DB, or the default place) with a policy."),
    "file": ("tickets", "File a ticket; prints its id."),
    "show": ("tickets", "Show one ticket: its fields, description, messages and history."),
    "list": ("tickets", "List tickets, newest first, filtered by the options."),
    "log": ("tickets", "The audit log: every change, with who and when."),
    "reply": ("tickets", "Reply to the customer (the first reply is the first response) or add a note."),
    "assign": ("tickets", "Give tickets to an agent: by id, from standard input, or by filter."),
    "wait": ("tickets", "Mark a ticket pending: waiting on the customer (pauses the resolution clock)."),
    "resume": ("tickets", "Take a pending ticket back (restarts the resolution clock)."),
    "reopen": ("tickets", "Reopen a resolved or closed ticket, if the policy's reopen window allows."),
    "close": ("tickets", "Close tickets by id, from standard input, or by filter, in one transaction."),
    "triage": (
        "triage",
        (
            "The open queue in breach order — breached, then soonest deadline, priority, age — "
            "with who is on call and the counts."
        ),
    ),
    "escalate": ("triage", "Escalate a ticket to a level (its person on call gets it), or every breached one (--auto)."),
    "outbox": ("triage", "Notifications the desk has queued: list them, or send them by e-mail (`outbox send`)."),
    "priority": ("triage", "Change a ticket's priority; its deadlines are recomputed and recorded."),
    "agent": ("people", "The desk's agents (admins and engineers)."),
    "clock": ("clock", "Business time: is it open, deadlines, open time between instants, the week."),
    "oncall": ("oncall", "Who is on call: now, next, the schedule, and overrides."),
    "policy": ("policy", "The desk's policy: check a file, show, init, apply, list versions, diff."),
    "sla": ("triage", "SLA clocks: where a ticket's targets come from and how its time was counted."),
    "customer": ("people", "The desk's customers: add, list, show, edit, verify, ban, suspend."),
    "reseller": ("people", "Resellers: hosting companies whose own customers file through the desk."),
    "service": ("people", "The services customers have: hosting plans, servers, and their orders."),
    "token": ("access", "Access tokens for resellers, customers and remote agents: issue, list, revoke."),
    "status": ("access", "Your tickets as a reseller or customer: state, priority, when the next answer is due."),
    "report": ("report", "Reports: SLA compliance, tickets filed and closed, agents; tables, JSON, CSV or an HTML page."),
    "terminate": ("fines", "End an abusive ticket: close it (reason abuse) and tell the requester why."),
    "violation": ("fines", "Rule violations and their fines: add, pay, list."),
    "undo": ("bulk", "Undo a bulk close, assign or escalation: restore every column it changed."),
    "operations": ("bulk", "Recent bulk operations (close, assign, escalate, undo): id, who, when, how many."),
    "outage": ("credits", "Outages of customers' services, for SLA credits: add, list."),
    "export": ("transfer", "Export tickets with their messages and events, as JSON Lines or CSV."),
    "import": ("transfer", "Import tickets from a JSON Lines export or another help desk's CSV, in one transaction."),
    "ingest": ("ingest", "Take in mail: tickets, replies and bounces from a .eml file, an mbox, a Maildir, or one message on standard input (-)."),
    "attachment": ("attachments", "Files kept with tickets: write one out (`attachment save ID`)."),
    "completion": ("completion", "Tab completion for bash, zsh and fish: install it, or print its script."),
    "serve": ("serve", "Serve the desk as an HTTP JSON API (/v1/…) for resellers, customers and remote agents."),
}

# The environment variable of a shell's completion request (`supportdesk completion`).
COMPLETE_VAR = "_SUPPORTDESK_COMPLETE"


class DeskGroup(TyperGroup):
    """Runs a command and turns every error a user can cause into one line and an exit code.

    The root group is lazy: a command's module is imported and the command built on first
    use (see COMMANDS), and the global --db/--now are added to every leaf it builds.
    """

    def __init__(self, **attrs: Any):
        super().__init__(**attrs)
        # Called on every command this group builds (shell completion adds its
        # value completers this way); None for ordinary commands.
        self.prepare: Any = None
        # Commands of modules imported before the group was built (in tests) come built.
        for command in _leaf_commands(self, load=False):
            command.params.extend(_global_params())

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in COMMANDS:
            command = _build(cmd_name)
            if command is not None:
                for leaf in _leaf_commands(command, load=False):
                    leaf.params.extend(_global_params())
                if self.prepare is not None:
                    self.prepare(command)
                self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The commands with their one-line help, from COMMANDS for those not built."""
        from typer._click.utils import make_default_short_help

        names = [n for n in self.list_commands(ctx) if not getattr(self.commands.get(n), "hidden", False)]
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            built = self.commands.get(name)
            short = built.get_short_help_str(limit) if built is not None else make_default_short_help(COMMANDS[name][1], limit)
            rows.append((name, short))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """TyperGroup's, with "Did you mean …?" drawn from every command, built or not."""
        from difflib import get_close_matches

        from typer._click.exceptions import UsageError

        try:
            return self._click_resolve_command(ctx, args)
        except UsageError as error:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args and self.suggest_commands else []
            if matches:
                error.message = f"{error.message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        """Command names (with their help from COMMANDS) and the group's options."""
        from typer._click.core import Command
        from typer._click.shell_completion import CompletionItem
        from typer._click.utils import make_default_short_help

        items = [
            CompletionItem(name, help=make_default_short_help(COMMANDS[name][1]) if name in COMMANDS else None)
            for name in self.list_commands(ctx)
            if name.startswith(incomplete)
        ]
        return items + Command.shell_complete(self, ctx, incomplete)

    def _main_shell_completion(self, ctx_args: Any, prog_name: str, complete_var: str | None = None) -> None:
        """Completion requests are answered in main(), before anything else."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]
        instruction = os.environ.get(complete_var or COMPLETE_VAR)
        if instruction:
            from supportdesk.cli.completion import respond

            code = respond(self, prog_name or "supportdesk", complete_var or COMPLETE_VAR, instruction, extra)
            if standalone_mode:
                sys.exit(code)
            return code
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


def raw_stdout() -> Any:
    """Standard output without the escaping of InertStream (for JSON and CSV)."""
    return getattr(sys.stdout, "raw", sys.stdout)


def _leaf_commands(group: Any, load: bool = True) -> Iterator[Any]:
    """Every command under `group` that is not a group itself (`group` alone when it is
    a command); with `load`, the commands of the lazy root group are built first."""
    commands = getattr(group, "commands", None)
    if commands is None:
        yield group
        return
    names = group.list_commands(None) if load else list(commands)
    for name in names:
        command = group.get_command(None, name) if load else commands[name]
        if command is not None:
            yield from _leaf_commands(command, load)


def _build(name: str) -> Any:
    """Import the module that registers the root command `name` on `app` and build that
    command (or sub-group) alone, as typer.main.get_command would within the whole tree."""
    from typer import main as typer_main
    from typer.models import DefaultPlaceholder

    # __import__ rather than importlib.import_module: `python -X importtime` sees it.
    __import__(f"supportdesk.cli.{COMMANDS[name][0]}")
    for info in app.registered_commands:
        if (info.name or typer_main.get_command_name(info.callback.__name__)) == name:
            return typer_main.get_command_from_info(
                info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode
            )
    for group in app.registered_groups:
        if not isinstance(group.name, DefaultPlaceholder) and group.name == name:
            return typer_main.get_group_from_info(
                group,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
                suggest_commands=app.suggest_commands,
            )
    return None


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
        TyperOption(param_decls=["--url"], metavar="URL", expose_value=False, callback=_set_url, help=URL_HELP),
    ]


def _set_url(ctx: Any, param: Any, value: str | None) -> None:
    """`--url` given after the command; in remote mode, only the remote commands run."""
    _set_global(ctx, param, value)
    if globals_of(ctx).url:
        from supportdesk.remote import check_remote_command

        while ctx.parent is not None and ctx.parent.parent is not None:
            ctx = ctx.parent
        check_remote_command(ctx.info_name)


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


def _silence_stdout() -> None:
    """Point the real standard output at /dev/null, so that the interpreter's final
    flush of what could not be written stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
    except (OSError, AttributeError, ValueError):
        pass


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
        # The reader (e.g. `head`) went away: not an error of ours.
        _silence_stdout()
        return int(ExitCode.OK)
    except OutputFailed as error:
        _silence_stdout()
        _error(f"cannot write the output: {error.strerror}; what the command changed is done (check before running it again); free some space, or write the output elsewhere")
        return int(ExitCode.INVALID)
    except Exception as error:  # noqa: BLE001 - the boundary: no traceback, ever
        # A database driver's error can only come from a store that was imported.
        store_package = sys.modules.get("supportdesk.store")
        driver_error = store_package.backend_error_message(error) if store_package is not None else None
        if driver_error is not None:
            _error(driver_error)
            return int(ExitCode.UNAVAILABLE)
        _error(f"unexpected {type(error).__name__}: {error}; this is a bug in supportdesk, please report it with the command you ran")
        return int(ExitCode.INTERNAL)
    return int(result) if isinstance(result, int) else int(ExitCode.OK)


# What every group of commands is: called alone, it shows its help; and its help is
# plain (rich help formatting imports rich.markdown and markdown-it, ~75 ms).
GROUP_SETTINGS: dict[str, Any] = {"no_args_is_help": True, "rich_markup_mode": None}

app = typer.Typer(
    cls=DeskGroup,
    help=HELP,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    **GROUP_SETTINGS,
)


def sub_app(name: str, help: str, parent: typer.Typer | None = None) -> typer.Typer:
    """A group of commands called `name` under `parent` (the root app by default)."""
    group = typer.Typer(help=help, **GROUP_SETTINGS)
    (parent or app).add_typer(group, name=name)
    return group


@dataclass
class Globals:
    """The global options, kept on the Typer context for every command."""

    db: str | None
    now: str | None
    url: str | None = None  # remote mode: the server (--url, SUPPORTDESK_URL)


DB_HELP = "The desk file (env SUPPORTDESK_DB; default: desk.db in the user data dir)."
NOW_HELP = "Act as of this instant (env SUPPORTDESK_NOW), e.g. 2026-11-20T14:30 or 'fri 17:30'."
URL_HELP = "A desk served by `supportdesk serve` (env SUPPORTDESK_URL), used with SUPPORTDESK_TOKEN."


def _version(ctx: typer.Context, value: bool) -> None:
    if value and not ctx.resilient_parsing:  # not while completing `--version`
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
    url: Annotated[str | None, typer.Option("--url", metavar="URL", help=URL_HELP)] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    ctx.obj = Globals(db=db, now=now or os.environ.get("SUPPORTDESK_NOW") or None, url=url or os.environ.get("SUPPORTDESK_URL") or None)


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
    """The desk named by the global options, acting for the OS user (or the token's
    holder); in remote mode (--url, SUPPORTDESK_URL), the server's desk."""
    options = globals_of(ctx)
    if options.url:
        from supportdesk.remote import check_remote_command, open_remote

        command = ctx
        while command.parent is not None and command.parent.parent is not None:
            command = command.parent
        check_remote_command(command.info_name)  # also for a group's own callback (`outbox`)
        with open_remote(options.url, db=options.db, now=options.now) as remote:
            yield remote  # type: ignore[misc] - the methods the remote commands call
        return
    from supportdesk.config import TOKEN_ENV, current_login, locate_desk
    from supportdesk.desk import Desk

    location = locate_desk(options.db)
    token = os.environ.get(TOKEN_ENV) or None
    desk = Desk.open(location, login=current_login() if token is None else "", clock=real_now, now_text=options.now, token=token)
    if desk.created:
        say(
            f"created a new desk at {location.path} (no --db or SUPPORTDESK_DB was given); "
            "`supportdesk --help` shows how to name another"
        )
    try:
        yield desk
    finally:
        desk.close()


def desk_command(ctx: typer.Context, json_: bool, use: Callable[[Desk], Any], show: Callable[[Any, Any, Any], None]) -> None:
    """What most commands do: call one use case, `use(desk)`, and write what it returns
    as JSON with --json, or else `show(result, zone, now)` it for people, in the desk's
    time zone and as of its instant, once the desk is closed."""
    with open_desk(ctx) as desk:
        result = use(desk)
        zone, now = desk.policy.zone, desk.now
    Answer(result, lambda: show(result, zone, now)).print(json_)


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

CalendarOption = Annotated[
    str | None,
    typer.Option("--calendar", metavar="NAME", help="Which calendar (default: the desk's office calendar)."),
]

# --from of the time commands that start at an instant (`clock add`, `oncall schedule`).
StartOption = Annotated[str | None, typer.Option("--from", metavar="INSTANT", help="Start (default: now).")]


@record
class TimeRequest(Record):
    """Where a time command reads calendars and on-call (--calendar-file, else the desk's
    policy), and which calendar --calendar names (None: the desk's office calendar)."""

    ctx: typer.Context
    calendar_file: str | None
    calendar_name: str | None = None

    def time(self) -> Any:
        """The calendars and on-call, open while the `with` block runs (see open_time)."""
        return open_time(self.ctx, self.calendar_file)

    @contextmanager
    def calendar(self) -> Iterator[tuple[Any, Any]]:
        """The calendars and on-call, and the calendar --calendar names."""
        with self.time() as time:
            yield time, time.calendar(self.calendar_name)


@record
class Answer(Record):
    """What a command found: `data` is written as JSON with --json; else `show()` prints
    it for people."""

    data: Any
    show: Callable[[], None]

    def print(self, json_: bool) -> None:
        if json_:
            emit_json(self.data)
        else:
            self.show()


def parameter(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    """A parameter of a command as Typer reads it: `annotation` says which option or
    argument it is (as in `name: Annotated[str, typer.Option(...)] = default`)."""
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation, default=default)


def shown_as(run: Callable[..., Any], like: Callable[..., Any], params: list[inspect.Parameter]) -> Callable[..., Any]:
    """`run`, which Typer reads as taking `params` (its options and arguments, in the
    order of its help), with the name, module and help of `like`. Typer calls it with
    keyword arguments."""
    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(run, attribute, getattr(like, attribute))
    return run


def time_command(group: typer.Typer, name: str, *, calendar: bool = False) -> Callable[[Callable[..., Answer]], Callable[..., Answer]]:
    """Register `ask` as the command `name` of `group`: a question to business time or
    on-call, which takes --calendar (with `calendar`), --calendar-file and --json after
    its own parameters, declared here once for every such command.

    `ask` gets the first two as a TimeRequest, its first parameter, then its own
    parameters; it returns an Answer, written as JSON with --json.
    """
    shared = [parameter("calendar", CalendarOption, None)] if calendar else []
    shared += [parameter("calendar_file", CalendarFileOption, None), parameter("json_", JsonOption, False)]

    def register(ask: Callable[..., Answer]) -> Callable[..., Answer]:
        own = list(inspect.signature(ask, eval_str=True).parameters.values())[1:]

        def command(ctx: typer.Context, *, calendar_file: str | None, json_: bool, calendar: str | None = None, **options: Any) -> None:
            ask(TimeRequest(ctx, calendar_file, calendar), **options).print(json_)

        group.command(name)(shown_as(command, ask, [parameter("ctx", typer.Context), *own, *shared]))
        return ask

    return register


# A list longer than this (a bulk operation's tickets, `list --json` of a big desk) is
# written one entry a line: Python's JSON encoder indents in Python, its compact one in C.
LONG_LIST = 1000


def emit_json(data: Any) -> None:
    """Write data as JSON on stdout: stable, UTF-8, two-space indent (the entries of a
    long list one a line); the exact text, with every control and bidi character as a
    JSON escape."""
    from supportdesk.text import json_safe

    raw_stdout().write(json_safe(json_text(data)) + "\n")


def json_text(data: Any) -> str:
    """`data` as emit_json writes it."""

    def long(value: Any) -> bool:
        return isinstance(value, list) and len(value) > LONG_LIST

    def lines(items: list[Any], indent: str) -> str:
        from supportdesk.text import json_encoder

        encode = json_encoder()
        inner = ",\n".join(indent + "  " + encode(item) for item in items)
        return f"[\n{inner}\n{indent}]"

    if long(data):
        return lines(data, "")
    if isinstance(data, dict) and any(long(v) for v in data.values()):
        parts = [
            f"  {json.dumps(key, ensure_ascii=False)}: "
            + (lines(value, "  ") if long(value) else json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  "))
            for key, value in data.items()
        ]
        return "{\n" + ",\n".join(parts) + "\n}"
    return json.dumps(data, indent=2, ensure_ascii=False)


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
