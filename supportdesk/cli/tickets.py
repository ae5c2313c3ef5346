"""Commands that create, read and work tickets: init, file, show, list, log, reply,
assign, wait, resume, close, reopen."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

import typer

from supportdesk.cli.app import (
    JsonOption,
    app,
    console,
    desk_command,
    emit_json,
    globals_of,
    open_desk,
    parameter,
    read_stdin,
    real_now,
    say,
    shown_as,
)
from supportdesk.errors import InvalidInput, Refused
from supportdesk.given import FILTER_OPTIONS, parse_ticket_id

TicketId = Annotated[str, typer.Argument(metavar="ID", help="Ticket number, e.g. 42 or #42.", show_default=False)]




def read_text_arg(value: str, what: str) -> str:
    """The option's text, or standard input when it is `-`."""
    if value != "-":
        return value
    if sys.stdin is None or sys.stdin.isatty():
        raise InvalidInput(f"{what} is '-' but nothing is piped on standard input")
    return read_stdin(what)


def ticket_line(verb: str) -> Callable[[dict, Any, Any], None]:
    """A `show` for desk_command that says what was done to a ticket and where it stands:
    `assigned #12 (open, high, assignee ali)`."""

    def show(ticket: dict, zone: Any, now: Any) -> None:
        say(f"{verb} #{ticket['id']} ({ticket['status']}, {ticket['priority']}, assignee {ticket.get('assignee') or '-'})")

    return show



# The filter options' values by name (None where not given), as `desk.filter` takes them.
TicketFilters = dict[str, str | None]


def with_filters(usage: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the filter options, with their help for `usage` (a reading command:
    "list", "export"; a changing one: "close", "assign"), where its parameter
    `filters: TicketFilters` stands; the command gets their values as that one dict."""
    import inspect

    column = 1 if usage in ("list", "export") else 2
    options = [
        parameter(name, Annotated[str | None, typer.Option(metavar=spec[0], help=spec[column])], None)
        for name, spec in FILTER_OPTIONS.items()
    ]

    def add(command: Callable[..., None]) -> Callable[..., None]:
        params: list[inspect.Parameter] = []
        for param in inspect.signature(command, eval_str=True).parameters.values():
            params += options if param.name == "filters" else [param]

        def run(**values: Any) -> None:
            command(filters={name: values.pop(name) for name in FILTER_OPTIONS}, **values)

        return shown_as(run, command, params)

    return add


# ---- init ----------------------------------------------------------------------------


@app.command()
def init(
    ctx: typer.Context,
    policy: Annotated[
        str | None,
        typer.Option("--policy", metavar="FILE", help="Policy TOML to start with (default: a generic one)."),
    ] = None,
) -> None:
    """Create a desk (at --db, SUPPORTDESK_DB, or the default place) with a policy."""
    from pathlib import Path

    from supportdesk.config import current_login, locate_desk
    from supportdesk.desk import Desk
    from supportdesk.policy import read_policy_file

    location = locate_desk(globals_of(ctx).db)
    if location.path.exists() and location.path.stat().st_size > 0:
        raise Refused(f"a desk already exists at {location.path}; use it, or choose another with --db")
    text = read_policy_file(Path(policy)) if policy else None
    desk = Desk.create(
        location.path,
        login=current_login(),
        clock=real_now,
        now_text=globals_of(ctx).now,
        policy_text=text,
        policy_source=policy or "default",
    )
    try:
        say(
            f"created the desk {location.path} with the policy {desk.policy.name!r} "
            f"({desk.policy.timezone}); you ({desk.actor.name}) are its admin"
        )
    finally:
        desk.close()


# ---- file ----------------------------------------------------------------------------


@app.command(name="file")
def file_ticket(
    ctx: typer.Context,
    subject: Annotated[str, typer.Option("--subject", "-s", metavar="TEXT", help="A clear title.", show_default=False)],
    body: Annotated[str, typer.Option("--body", "-b", metavar="TEXT", help="The description; '-' reads standard input.", show_default=False)],
    customer: Annotated[
        str | None, typer.Option("--customer", "-c", metavar="EMAIL", help="Who the ticket is for (a customer with a token: yourself).", show_default=False)
    ] = None,
    department: Annotated[str | None, typer.Option(metavar="NAME", help="Department (default from the policy).")] = None,
    priority: Annotated[str | None, typer.Option(metavar="NAME", help="Priority (default from the policy).")] = None,
    channel: Annotated[str | None, typer.Option(metavar="NAME", help="How it arrived: ticket, email, chat, phone…")] = None,
    category: Annotated[str | None, typer.Option(metavar="NAME", help="What it is about, e.g. dns, mail, billing.")] = None,
    service: Annotated[str | None, typer.Option(metavar="NAME", help="The service concerned, e.g. a domain or server.")] = None,
    field: Annotated[
        list[str] | None, typer.Option("--field", "-f", metavar="KEY=VALUE", help="A department field; repeat for more.")
    ] = None,
    ref: Annotated[str | None, typer.Option("--ref", metavar="ID", help="An earlier ticket this one follows up.")] = None,
    attach: Annotated[list[str] | None, typer.Option("--attach", metavar="PATH", help="A file to keep with it; repeat for more (limits.attachment_max_bytes each).")] = None,
    json_: JsonOption = False,
) -> None:
    """File a ticket; prints its id.

    The desk's intake rules run first: a ticket they refuse is not filed (exit 1, with
    the reason); flags and reminders are shown."""
    from supportdesk.desk import TicketDraft

    fields: dict[str, str] = {}
    for item in field or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--field {item!r} is not KEY=VALUE; e.g. --field server_ip=203.0.113.7")
        fields[key.strip()] = value.strip()
    draft = TicketDraft(
        subject=subject,
        body=read_text_arg(body, "--body"),
        customer=customer,
        department=department,
        priority=priority,
        channel=channel,
        category=category,
        service=service,
        fields=fields,
        ref=parse_ticket_id(ref) if ref is not None else None,
    )
    with open_desk(ctx) as desk:
        if attach:
            from supportdesk.cli.attachments import read_uploads

            draft = replace(draft, attachments=read_uploads(attach, desk.policy.attachment_max_bytes))
        ticket = desk.file_ticket(draft)
    if json_:
        emit_json(ticket)
        return
    from supportdesk.text import inert

    typer.echo(ticket["id"])
    state = "closed without an answer" if ticket["status"] == "closed" else "filed"
    say(f"{state} #{ticket['id']} for {inert(ticket['customer'], multiline=False)} ({ticket['priority']}, {ticket['department']})")
    intake = ticket["intake"]
    for message in intake["messages"]:
        say(f"note: {inert(message, multiline=False)}")
    if intake.get("flags"):
        say(f"flagged for triage: {', '.join(intake['flags'])}")
    if intake["reminder"]:
        say(f"reminder: {inert(intake['reminder'], multiline=False)}")


# ---- reading -------------------------------------------------------------------------


@app.command()
def show(ctx: typer.Context, ticket: TicketId, json_: JsonOption = False) -> None:
    """Show one ticket: its fields, description, messages and history."""
    ticket_id = parse_ticket_id(ticket)
    desk_command(ctx, json_, lambda desk: desk.ticket(ticket_id), _print_ticket)


def _print_ticket(data: dict, zone: Any, now: Any) -> None:
    """A ticket for people."""
    from supportdesk.cli.render import plain_ticket, print_view, ticket_detail

    print_view(lambda: plain_ticket(data, zone, now), lambda width: ticket_detail(data, zone, now))


@app.command(name="list")
@with_filters("list")
def list_tickets(
    ctx: typer.Context,
    filters: TicketFilters,
    sort: Annotated[str, typer.Option(metavar="ORDER", help="newest, oldest, updated or id.")] = "newest",
    limit: Annotated[int | None, typer.Option(metavar="N", help="At most this many (0: all). Default 50 for the table, all for --json/--csv.")] = None,
    json_: JsonOption = False,
    csv_: Annotated[bool, typer.Option("--csv", help="Output CSV.")] = False,
) -> None:
    """List tickets, newest first, filtered by the options."""
    if json_ and csv_:
        raise InvalidInput("choose one of --json and --csv")
    machine = json_ or csv_
    with open_desk(ctx) as desk:
        flt = desk.filter(**filters, sort=sort, limit=limit if limit is not None else (0 if machine else 50))
        rows, total = desk.list_tickets(flt)
        zone, now = desk.policy.zone, desk.now
    if json_:
        emit_json(rows)
        return
    if csv_:
        from supportdesk.cli.app import raw_stdout
        from supportdesk.cli.render import write_csv

        # The exact text for a file or a pipe; inert on a terminal.
        write_csv(rows, sys.stdout if raw_stdout().isatty() else raw_stdout())
        return
    if not rows:
        say("no tickets match")
        return
    from supportdesk.cli.render import print_view, ticket_table

    print_view(ticket_table(rows, zone, now, width=None).piped, lambda width: ticket_table(rows, zone, now, width=width))
    if total > len(rows):
        say(f"showing {len(rows)} of {total}; use --limit 0 for all")


@app.command()
def log(
    ctx: typer.Context,
    ticket: Annotated[str | None, typer.Argument(metavar="[ID]", help="One ticket's history; without it, the desk's latest events.", show_default=False)] = None,
    limit: Annotated[int | None, typer.Option(metavar="N", help="At most this many events (default: all for a ticket, 50 for the desk).")] = None,
    json_: JsonOption = False,
) -> None:
    """The audit log: every change, with who and when."""
    from supportdesk.cli.render import events_table

    ticket_id = parse_ticket_id(ticket) if ticket else None
    from supportdesk.query import check_limit

    check_limit(limit)
    if limit is None:
        limit = 0 if ticket_id else 50
    desk_command(
        ctx,
        json_,
        lambda desk: desk.log(ticket_id, limit or None),
        lambda events, zone, now: console().print(events_table(events, zone, with_ticket=ticket_id is None, now=now)),
    )


# ---- working a ticket ----------------------------------------------------------------


@app.command()
def reply(
    ctx: typer.Context,
    ticket: TicketId,
    message: Annotated[str, typer.Option("--message", "-m", metavar="TEXT", help="The text; '-' reads standard input.", show_default=False)],
    internal: Annotated[bool, typer.Option("--internal", help="An internal note, not shown to the customer.")] = False,
    attach: Annotated[list[str] | None, typer.Option("--attach", metavar="PATH", help="A file to send with it; repeat for more (limits.attachment_max_bytes each).")] = None,
    json_: JsonOption = False,
) -> None:
    """Reply to the customer (the first reply is the first response) or add a note."""
    ticket_id = parse_ticket_id(ticket)
    text = read_text_arg(message, "--message")

    def use(desk: Any) -> Any:
        from supportdesk.cli.attachments import read_uploads

        files = read_uploads(attach, desk.policy.attachment_max_bytes) if attach else ()
        return desk.reply(ticket_id, text, internal=internal, attachments=files)

    desk_command(ctx, json_, use, ticket_line("noted on" if internal else "replied to"))


@app.command()
@with_filters("assign")
def assign(
    ctx: typer.Context,
    tickets: Annotated[list[str] | None, typer.Argument(metavar="[ID]...", help="Ticket numbers.", show_default=False)] = None,
    to: Annotated[str, typer.Option("--to", metavar="AGENT", help="An agent's login, 'me', or 'none'.", show_default=False)] = "",
    stdin: Annotated[bool, typer.Option("--stdin", help="Read ids (one a line) or `list --json` output from standard input.")] = False,
    filters: TicketFilters | None = None,  # always given, by with_filters
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before assigning many (more than bulk.confirm_above, default 20).")] = False,
    json_: JsonOption = False,
) -> None:
    """Give tickets to an agent: by id, from standard input, or by filter.

    One ticket by id prints where it stands; several, --stdin or filters make one
    operation (`supportdesk undo OPERATION` takes it back); closed tickets and those
    already the agent's are skipped (exit 5).
    """
    from supportdesk.cli.bulk import assign_summary, run_bulk, ticket_ids

    if not to.strip():
        raise InvalidInput("say who gets the tickets with --to AGENT (a login, 'me', or 'none')")
    ids, source = ticket_ids(tickets, stdin, filters, "assign")
    if source == "ids" and len(ids or []) == 1 and not dry_run:
        ticket_id = (ids or [0])[0]
        desk_command(ctx, json_, lambda desk: desk.assign(ticket_id, to), ticket_line("assigned"))
        return
    run_bulk(
        ctx, "assign", {"to": to}, ids, source, filters, dry_run=dry_run, yes=yes, json_=json_,
        what=lambda count: f"assign {count} tickets to {to}", label="assigning",
        use=lambda desk, **choice: desk.bulk_assign(to, **choice), summary=assign_summary,
    )


@app.command()
def wait(ctx: typer.Context, ticket: TicketId, json_: JsonOption = False) -> None:
    """Mark a ticket pending: waiting on the customer (pauses the resolution clock)."""
    ticket_id = parse_ticket_id(ticket)
    desk_command(ctx, json_, lambda desk: desk.wait(ticket_id), ticket_line("waiting on the customer:"))


@app.command()
def resume(ctx: typer.Context, ticket: TicketId, json_: JsonOption = False) -> None:
    """Take a pending ticket back (restarts the resolution clock)."""
    ticket_id = parse_ticket_id(ticket)
    desk_command(ctx, json_, lambda desk: desk.resume(ticket_id), ticket_line("resumed"))


@app.command()
def reopen(ctx: typer.Context, ticket: TicketId, json_: JsonOption = False) -> None:
    """Reopen a resolved or closed ticket, if the policy's reopen window allows."""
    ticket_id = parse_ticket_id(ticket)
    desk_command(ctx, json_, lambda desk: desk.reopen(ticket_id), ticket_line("reopened"))


@app.command()
@with_filters("close")
def close(
    ctx: typer.Context,
    tickets: Annotated[list[str] | None, typer.Argument(metavar="[ID]...", help="Ticket numbers.", show_default=False)] = None,
    reason: Annotated[str, typer.Option("--reason", "-r", metavar="REASON", help="resolved, duplicate, out-of-scope, incomplete, no-response or abuse.")] = "resolved",
    stdin: Annotated[bool, typer.Option("--stdin", help="Read ids (one a line) or `list --json` output from standard input.")] = False,
    filters: TicketFilters | None = None,  # always given, by with_filters
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before closing many (more than the settings file's bulk.confirm_above, default 20).")] = False,
    of: Annotated[str | None, typer.Option("--of", metavar="ID", help="With --reason duplicate: the ticket they repeat (linked).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON: {operation, changed, skipped}.")] = False,
) -> None:
    """Close tickets by id, from standard input, or by filter, in one transaction.

    `--reason resolved` (the default) resolves open tickets and archives resolved ones;
    any other reason closes them. Already closed tickets are skipped and reported (exit 5).
    The close is one operation: `supportdesk undo OPERATION` takes it back.
    """
    from supportdesk.cli.bulk import run_bulk, ticket_ids
    from supportdesk.model import parse_close_reason

    close_reason = parse_close_reason(reason)
    ids, source = ticket_ids(tickets, stdin, filters, "close")
    duplicate_of = parse_ticket_id(of) if of is not None else None
    run_bulk(
        ctx, "close", {"reason": close_reason.value}, ids, source, filters, dry_run=dry_run, yes=yes, json_=json_,
        what=lambda count: f"close {count} tickets with reason {close_reason.value}", label="closing",
        use=lambda desk, **choice: desk.bulk_close(close_reason, of=duplicate_of, **choice), summary=close_summary,
    )


def close_summary(outcome) -> str:
    """`resolved #12`, `closed 3 tickets (reason duplicate): #1 #2 #3; skipped 1 (#4 already closed)`…"""
    from supportdesk.cli.bulk import listed, tail

    if not outcome.changed and not outcome.skipped:
        return "nothing to close: no ticket matches"
    parts = []
    for status, verb in (("resolved", "resolve"), ("closed", "close")):
        done = [t["id"] for t in outcome.changed if t["after"] == status]
        if not done:
            continue
        verb = f"would {verb}" if outcome.dry_run else f"{verb}d"
        noun = "ticket" if len(done) == 1 else "tickets"
        reason = "" if status == "resolved" and outcome.reason == "resolved" else f" (reason {outcome.reason})"
        parts.append(f"{verb} {len(done)} {noun}{reason}: {listed(done)}")
    return "; ".join(parts + tail(outcome, "close"))
