"""`supportdesk ingest PATH|-` and `supportdesk ingest quarantine …`: mail coming in, and
the messages held for an agent."""

from __future__ import annotations

import itertools
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from supportdesk.cli.app import (
    GROUP_SETTINGS,
    JsonOption,
    app,
    desk_command,
    emit_json,
    open_desk,
    say,
)
from supportdesk.errors import InvalidInput, SupportdeskError

INGEST_HELP = (
    "Take in mail: tickets, replies and bounces from a .eml file, an mbox, a Maildir, or one message on standard input (-).\n\n"
    "`supportdesk ingest PATH` is `supportdesk ingest read PATH`. A message whose subject names a ticket ([#123]) or "
    "that answers the desk's mail becomes a reply on that ticket, if it comes from the ticket's requester or reseller "
    "(else it is quarantined); any other message files a ticket on the e-mail channel through the same checks as "
    "`file`. Automatic replies, bounces, list mail and the desk's own mail are never answered. A message is taken "
    "once: running ingest again over the same mailbox adds nothing. Agents only."
)
# Exit code of `ingest -` when the desk cannot be written now: EX_TEMPFAIL, so that the
# mail system (Postfix's pipe, fetchmail's mda) keeps the message and tries again.
TEMPFAIL = 75
# Messages that need an agent's look, listed on stderr before the summary (the rest: --json).
LISTED = 20


class IngestGroup(TyperGroup):
    """`ingest` takes a path where a command name would go: `ingest PATH` is `ingest read PATH`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["read", *args]
        return super().parse_args(ctx, args)


ingest_app = typer.Typer(cls=IngestGroup, help=INGEST_HELP, subcommand_metavar="PATH|- [--json] [--dry-run] | quarantine COMMAND", **GROUP_SETTINGS)
app.add_typer(ingest_app, name="ingest")
quarantine_app = typer.Typer(help="Messages held for an agent: list, release (take in as if allowed), drop.", **GROUP_SETTINGS)
ingest_app.add_typer(quarantine_app, name="quarantine")


class TryLater(SupportdeskError):
    """The desk cannot take the message now; the mail system should deliver it again."""

    exit_code = TEMPFAIL  # type: ignore[assignment]


@ingest_app.command("read")
def ingest_read(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(metavar="PATH|-", help="A .eml file, an mbox, a Maildir, or - for one message on standard input.", show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Decide what each message would do, and change nothing.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="One JSON entry per message: key, outcome, ticket, why.")] = False,
) -> None:
    """Take in the messages at PATH (`ingest PATH` for short); a summary goes to stderr.

    Exit codes: 0 when every message was read (quarantined ones included); 2 when PATH
    cannot be read or is not a message, mbox or Maildir; with -, 2 when standard input
    is not a message, else 75 (EX_TEMPFAIL) whenever it cannot be taken in (the desk is
    busy, missing or not yours to write), so that the mail system keeps it and tries again."""
    from pathlib import Path

    skipped: list[str] = []
    if path == "-":
        messages: Any = [_stdin_message()]
    else:
        from supportdesk.mail.parse import read_messages

        messages = read_messages(Path(path), skipped)
        first = next(messages, None)  # an unreadable path is refused before the desk is opened
        messages = itertools.chain((first,), messages) if first is not None else []  # an empty Maildir: nothing to do
    try:
        with open_desk(ctx) as desk:
            outcome = desk.ingest(messages, dry_run=dry_run)
    except Exception as error:
        if path == "-":
            # A mail system bounces the message on any other exit code: a desk that is
            # missing, an OS user who is not its agent, even a bug, must not lose it.
            raise TryLater(f"{_failure(error)} (exit {TEMPFAIL}: the mail system keeps the message and tries again)") from None
        raise
    if json_:
        emit_json(outcome.json())
    for note in skipped[:LISTED]:
        say(f"warning: skipped {note}; the next run tries it again")
    if len(skipped) > LISTED:
        say(f"warning: … and {len(skipped) - LISTED} more messages skipped")
    _summary(outcome)


def _failure(error: Exception) -> str:
    """Why taking a message in failed, in one line (as the error line would say it)."""
    from supportdesk.store import backend_error_message

    if isinstance(error, SupportdeskError):
        return error.message
    return backend_error_message(error) or f"unexpected {type(error).__name__}: {error}; this is a bug in supportdesk, please report it"


def _stdin_message() -> bytes:
    from supportdesk.mail.parse import check_message

    stream = sys.stdin
    if stream is None or stream.isatty():
        raise InvalidInput("ingest - reads one message on standard input, but nothing is piped; e.g. supportdesk ingest - < message.eml")
    buffer = getattr(stream, "buffer", None)
    try:
        data = buffer.read() if buffer is not None else stream.read().encode("utf-8", "surrogateescape")
    except OSError as error:  # the mail system's pipe failed: it still has the message
        raise TryLater(f"cannot read standard input: {error.strerror or error} (exit {TEMPFAIL}: the mail system keeps the message and tries again)") from None
    return check_message(data, "standard input")


def _summary(outcome: Any) -> None:
    """The messages that need a look, then the counts, on stderr."""
    from supportdesk.text import inert

    attention = [m for m in outcome.messages if m.outcome in ("quarantined", "refused")]
    for message in attention[:LISTED]:
        ticket = f" (#{message.ticket})" if message.ticket else ""
        say(inert(f"{message.outcome}{ticket}: {message.sender or '-'}: {message.why}", multiline=False))
    if len(attention) > LISTED:
        say(f"… and {len(attention) - LISTED} more (--json lists every message)")
    counts = outcome.counts()
    words = [
        ("filed", "filed"), ("reply", "replies"), ("quarantined", "quarantined"), ("ignored", "ignored"),
        ("duplicate", "duplicates"), ("refused", "refused"), ("bounce", "bounces"),
    ]
    summary = ", ".join(f"{label} {counts[key]}" for key, label in words)
    total = len(outcome.messages)
    prefix = "dry run, nothing changed: " if outcome.dry_run else ""
    say(f"{prefix}{total} message{'s' if total != 1 else ''}: {summary}")


QuarantineId = Annotated[str, typer.Argument(metavar="ID", help="The quarantined message (from `ingest quarantine list`).", show_default=False)]


def _quarantine_id(text: str) -> int:
    """A quarantined message's number as given; InvalidInput (exit 2) for anything else."""
    raw = text.strip()
    if not (raw.isascii() and raw.isdigit()) or int(raw) == 0 or len(raw) > 18:
        raise InvalidInput(f"{text!r} is not a quarantined message's number; `supportdesk ingest quarantine list` shows them")
    return int(raw)


@quarantine_app.command("list")
def quarantine_list(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Released and dropped messages too.")] = False,
    json_: JsonOption = False,
) -> None:
    """List the messages held for an agent, oldest first: who sent them and why they are held."""

    def show(rows: list[dict[str, Any]], zone: Any, now: Any) -> None:
        from supportdesk.cli.history import local_short
        from supportdesk.text import inert

        if not rows:
            say("no messages in quarantine" if not all_ else "the quarantine has never held a message")
            return
        # A block a message, not a table: its number and why it is held must show at any width.
        blocks = []
        for r in rows:
            about = f"  (ticket #{r['ticket']})" if r["ticket"] else ""
            lines = [
                f"message {r['id']}  {r['state']}  {local_short(r['received_at'], zone, now)}  from {r['sender'] or '-'}{about}",
                f"  subject: {r['subject'] or '-'}",
                f"  why: {r['why']}",
            ]
            blocks.append("\n".join(inert(line, multiline=False) for line in lines))
        typer.echo("\n\n".join(blocks))

    desk_command(ctx, json_, lambda desk: desk.quarantine(all_=all_), show)


@quarantine_app.command("release")
def quarantine_release(ctx: typer.Context, quarantine_id: QuarantineId, json_: JsonOption = False) -> None:
    """Take a held message in as if its sender were allowed: a reply on the ticket it names, else a new ticket."""
    number = _quarantine_id(quarantine_id)

    def show(result: dict[str, Any], zone: Any, now: Any) -> None:
        done = "added as a reply to" if result["outcome"] == "reply" else "filed as"
        say(f"released message {result['id']}: {done} #{result['ticket']}")

    desk_command(ctx, json_, lambda desk: desk.release_quarantined(number), show)


@quarantine_app.command("drop")
def quarantine_drop(ctx: typer.Context, quarantine_id: QuarantineId, json_: JsonOption = False) -> None:
    """Drop a held message: it is never taken in (it stays listed with --all)."""
    number = _quarantine_id(quarantine_id)
    desk_command(ctx, json_, lambda desk: desk.drop_quarantined(number), lambda r, zone, now: say(f"dropped message {r['id']}"))
