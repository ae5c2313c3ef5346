"""`supportdesk triage`, `sla explain`, `escalate`, `outbox` (and `outbox send`), `priority`:
the on-call engineer's view of what breaches next, and the levers that change it."""

from __future__ import annotations

from typing import Annotated

import typer

from supportdesk.cli.app import (
    DB_HELP,
    NOW_HELP,
    WATCH_DEFAULT_SECONDS,
    JsonOption,
    app,
    console,
    desk_command,
    emit_json,
    globals_of,
    open_desk,
    say,
    sub_app,
)
from supportdesk.cli.tickets import TicketId, with_filters
from supportdesk.given import parse_ticket_id

sla_app = sub_app("sla", "SLA clocks: where a ticket's targets come from and how its time was counted.")


def _triage_header(view, desk_name: str, zone) -> list[tuple[str, str]]:
    """The header's pieces of text with their styles."""
    from supportdesk.timetext import format_local

    on_duty = [f"{d.layer}: {', '.join(d.people)}" for d in view.duties if d.active and d.people]
    counts = view.counts
    return [
        (f"{desk_name} — triage at {format_local(view.now, zone)}\n", "bold"),
        ("On call: " + ("; ".join(on_duty) if on_duty else "nobody") + "\n", ""),
        (f"{counts['open']} open · ", ""),
        (f"{counts['breached']} breached", "bold red" if counts["breached"] else ""),
        (" · ", ""),
        (f"{counts['at_risk']} at risk", "yellow" if counts["at_risk"] else ""),
        (f" · {counts['unassigned']} unassigned", ""),
    ]


def plain_triage(view, desk_name: str, zone) -> list[str] | None:
    """The triage view as rich prints it to a pipe, without rich; None when only rich can
    print it the same (text that is not plain, a line rich would wrap)."""
    from supportdesk.cli.render import piped_width, plain, triage_table

    header = "".join(text for text, _ in _triage_header(view, desk_name, zone)).split("\n")
    if any(len(line) > piped_width() or not plain(line) for line in header):
        return None
    table = triage_table(view.rows, zone, view.now, width=None).piped() if view.rows else ["Nothing in the queue."]
    return None if table is None else [*header, "", *table]


def render_triage(view, desk_name: str, zone, width: int):
    """The triage view: a header (on call, counts) and the queue table."""
    from rich.console import Group
    from rich.text import Text

    from supportdesk.cli.render import triage_table

    header = Text()
    for text, style in _triage_header(view, desk_name, zone):
        header.append(text, style=style)
    parts = [header, Text("")]
    if view.rows:
        parts.append(triage_table(view.rows, zone, view.now, width=width))
    else:
        parts.append(Text("Nothing in the queue."))
    return Group(*parts)


@app.command()
def triage(
    ctx: typer.Context,
    department: Annotated[str | None, typer.Option(metavar="NAME", help="Only this department.")] = None,
    mine: Annotated[bool, typer.Option("--mine", help="Only tickets assigned to me.")] = False,
    unassigned: Annotated[bool, typer.Option("--unassigned", help="Only tickets nobody has.")] = False,
    breaching_within: Annotated[str | None, typer.Option(metavar="DURATION", help="Only tickets whose next deadline is within this (or past), e.g. 2h.")] = None,
    limit: Annotated[int, typer.Option(metavar="N", help="At most this many rows.")] = 50,
    watch: Annotated[
        str | None,
        typer.Option("--watch", metavar="[SECONDS]", help=f"Refresh every SECONDS (default {WATCH_DEFAULT_SECONDS}) until Ctrl-C."),
    ] = None,
    json_: JsonOption = False,
) -> None:
    """The open queue in breach order — breached, then soonest deadline, priority, age —
    with who is on call and the counts."""
    from supportdesk.errors import InvalidInput
    from supportdesk.timetext import parse_duration

    within = parse_duration(breaching_within) if breaching_within else None
    options = dict(limit=limit, department=department, mine=mine, unassigned=unassigned, breaching_within=within)
    if watch is not None:
        try:
            seconds = float(watch)
        except ValueError:
            raise InvalidInput(f"--watch takes seconds, e.g. --watch 30, not {watch!r}") from None
        if seconds < 1:
            raise InvalidInput("--watch needs at least 1 second between refreshes")
        if json_:
            raise InvalidInput("--watch shows a live table; leave out --json")
        _watch(ctx, options, seconds)
        return
    with open_desk(ctx) as desk:
        view = desk.triage(**options)
        name, zone = desk.policy.name, desk.policy.zone
    if json_:
        emit_json(view.to_json())
        return
    from supportdesk.cli.render import print_view

    print_view(lambda: plain_triage(view, name, zone), lambda width: render_triage(view, name, zone, width))


def _watch(ctx: typer.Context, options: dict, seconds: float) -> None:
    """Re-read the desk every `seconds` and redraw, until Ctrl-C."""
    import time

    from rich.live import Live

    out = console()

    def frame():
        with open_desk(ctx) as desk:
            view = desk.triage(**options)
            return render_triage(view, desk.policy.name, desk.policy.zone, out.width)

    try:
        with Live(frame(), console=out, refresh_per_second=1, screen=False) as live:
            while True:
                time.sleep(seconds)
                live.update(frame())
    except KeyboardInterrupt:
        return  # Ctrl-C is how a watch ends: not an error


@sla_app.command("explain")
def sla_explain(ctx: typer.Context, ticket: TicketId, json_: JsonOption = False) -> None:
    """A ticket's clocks as a timeline: started, paused, resumed, stopped; the open time
    counted; the target, where it came from, and whether it was met."""
    ticket_id = parse_ticket_id(ticket)
    desk_command(ctx, json_, lambda desk: desk.explain(ticket_id), _print_explained)


def _print_explained(story, zone, now) -> None:
    from supportdesk.cli.render import explain_text

    typer.echo(explain_text(story, zone, now))


@app.command()
@with_filters("escalate")
def escalate(
    ctx: typer.Context,
    ticket: Annotated[str | None, typer.Argument(metavar="[ID]", help="The ticket to escalate.", show_default=False)] = None,
    to: Annotated[str | None, typer.Option("--to", metavar="LEVEL", help="The escalation level, e.g. engineer.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", metavar="TEXT", help="Why (required with --to).")] = None,
    auto: Annotated[bool, typer.Option("--auto", help="Raise every breached ticket one level, once per breach.")] = False,
    stdin: Annotated[bool, typer.Option("--stdin", help="With --auto: only the breached tickets among the ids on standard input.")] = False,
    filters: dict[str, str | None] | None = None,  # always given, by with_filters
    dry_run: Annotated[bool, typer.Option("--dry-run", help="With --auto: show what would change; change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With --auto: do not ask before escalating many (more than bulk.confirm_above).")] = False,
    json_: JsonOption = False,
) -> None:
    """Escalate a ticket to a level (its person on call gets it), or every breached one (--auto).

    `--auto` takes the filters of `list` or `--stdin` to escalate only the breached tickets
    among them; it is one operation (`supportdesk undo OPERATION` takes it back), and a
    ticket already at the top level is skipped (exit 5).
    """
    from supportdesk.errors import InvalidInput

    has_filters = any(v is not None for v in (filters or {}).values())
    if auto:
        from supportdesk.cli.bulk import (
            confirm_above,
            confirmation,
            finish,
            ids_from_stdin,
        )

        if ticket or to or reason:
            raise InvalidInput("--auto escalates every breached ticket; leave out ID, --to and --reason")
        if stdin and has_filters:
            raise InvalidInput("--auto takes --stdin or filters, not both")
        ids = ids_from_stdin("escalate --auto") if stdin else None
        source = "stdin" if stdin else "filter" if has_filters else None
        confirm = confirmation(yes, stdin, lambda count: f"escalate {count} tickets")
        threshold = confirm_above() if confirm is not None else 0
        with open_desk(ctx) as desk:
            outcome = desk.escalate_auto(
                dry_run=dry_run, ids=ids, flt=desk.filter(**filters) if has_filters else None,
                confirm=confirm, confirm_above=threshold, source=source,
            )
        if not json_:
            _print_escalated(outcome)
        finish(outcome, json_, _escalated_summary(outcome))
        return
    if dry_run or stdin or yes or has_filters:
        raise InvalidInput("--dry-run, --yes, --stdin and filters go with --auto")
    if not ticket or not to:
        raise InvalidInput("give a ticket and a level: escalate ID --to LEVEL --reason TEXT (or escalate --auto)")
    ticket_id = parse_ticket_id(ticket)
    desk_command(
        ctx,
        json_,
        lambda desk: desk.escalate(ticket_id, to, reason or ""),
        lambda data, zone, now: say(f"escalated #{ticket_id} to {to}; assignee {data['assignee'] or '-'}"),
    )


def _print_escalated(outcome) -> None:
    """What `escalate --auto` did (or would do, with --dry-run): a line a ticket on stdout."""
    for item in outcome.changed[:50]:
        who = item["after"]["assignee"] or "nobody on duty"
        typer.echo(f"#{item['id']}: level {item['before']['level']} → {item['after']['level_name']} ({who})")
    if len(outcome.changed) > 50:
        typer.echo(f"… and {len(outcome.changed) - 50} more")


def _escalated_summary(outcome) -> str:
    """The counts, the skipped tickets and the operation, for stderr."""
    from supportdesk.cli.bulk import tail

    dry_run = outcome.dry_run
    verb = "would escalate" if dry_run else "escalated"
    parts = [f"{verb} {len(outcome.changed)} ticket(s); {outcome.notifications} notification(s) {'would be ' if dry_run else ''}queued"]
    return "; ".join(parts + [p for p in tail(outcome, "escalate") if not p.startswith("nothing")])


# `outbox` alone lists the queued notices; `outbox send` delivers them (cli/outbox_send.py).
outbox_app = typer.Typer(
    help="Notifications the desk has queued: list them, or send them by e-mail (`outbox send`).",
    invoke_without_command=True, no_args_is_help=False, rich_markup_mode=None,
)
app.add_typer(outbox_app, name="outbox")


@outbox_app.callback(invoke_without_command=True)
def outbox(
    ctx: typer.Context,
    pending: Annotated[bool, typer.Option("--pending", help="Only notifications not yet sent.")] = False,
    limit: Annotated[int | None, typer.Option(metavar="N", help="At most this many, newest first.")] = None,
    json_: JsonOption = False,
    db: Annotated[str | None, typer.Option("--db", metavar="PATH", help=DB_HELP)] = None,
    now: Annotated[str | None, typer.Option("--now", metavar="INSTANT", help=NOW_HELP)] = None,
) -> None:
    """Notifications the desk has queued: list them, or send them by e-mail (`outbox send`).

    Alone, `outbox` lists them, newest first: pending, sent, failed (given up on after
    its attempts) or withdrawn (by an undo), with the last error of a failed attempt."""
    for name, value in (("db", db), ("now", now)):  # the global options, given after `outbox`
        if value is not None:
            setattr(globals_of(ctx), name, value)
    if ctx.invoked_subcommand is not None:
        return
    from supportdesk.query import check_limit

    check_limit(limit)
    desk_command(ctx, json_, lambda desk: desk.outbox(pending, limit), _print_outbox)


def _print_outbox(rows, zone, now) -> None:
    if not rows:
        say("the outbox is empty")
        return
    from supportdesk.cli.history import local_short
    from supportdesk.timetext import format_local, from_utc_text

    for row in rows:
        if row["sent_at"] is not None:
            state = f"sent {local_short(row['sent_at'], zone, now)}"
        elif row.get("withdrawn_at"):
            state = "withdrawn"
        elif row.get("failed_at"):
            state = f"failed after {row['attempts']} attempt(s): {row['last_error']}"
        elif row.get("last_error"):
            state = f"retry {local_short(row['next_attempt_at'], zone, now)} ({row['last_error']})" if row.get("next_attempt_at") else "pending"
        else:
            state = "pending"
        typer.echo(f"{row['id']:>4}  {format_local(from_utc_text(row['created_at']), zone)}  {row['channel']:<5} {row['recipient']:<20} {state:<8} {row['subject']}")


@outbox_app.command("send")
def outbox_send(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be sent (recipient, subject, first lines); send and change nothing.")] = False,
    limit: Annotated[int | None, typer.Option(metavar="N", help="Send at most this many.")] = None,
    json_: JsonOption = False,
) -> None:
    """Send the notices that are due by e-mail, through the SMTP server of your settings.

    The server is set in the [smtp] table of your settings file or SUPPORTDESK_SMTP_*
    (host, port, security, user, password, from); never in the policy or the desk. A
    notice the server refuses is tried again later (exit 5); a server that cannot be
    reached leaves every notice as it was (exit 4). See README "E-mail"."""
    from supportdesk.errors import ExitCode
    from supportdesk.mail.send import SmtpTransport, smtp_settings
    from supportdesk.query import check_limit

    check_limit(limit, least=1)  # a bad --limit is refused alone, before the settings are read
    settings = None if dry_run else smtp_settings()
    if settings is not None and settings.warning:
        say(f"warning: {settings.warning}")
    with open_desk(ctx) as desk:
        outcome = desk.send_notices(
            SmtpTransport(settings) if settings else None, sender=settings.sender if settings else "", limit=limit, dry_run=dry_run
        )
        zone, now = desk.policy.zone, desk.now
    if json_:
        emit_json(outcome.to_json())
    else:
        _print_sent(outcome, zone, now)
    if outcome.unreachable:
        from supportdesk.cli.app import _error

        _error(outcome.unreachable)
        raise typer.Exit(int(ExitCode.UNAVAILABLE))
    if outcome.failed:
        raise typer.Exit(int(ExitCode.SKIPPED))


def _print_sent(outcome, zone, now) -> None:
    """What `outbox send` did, a line a notice on stdout; the counts on stderr."""
    from supportdesk.cli.history import local_short

    if outcome.dry_run:
        for item in outcome.would_send:
            about = f"#{item['ticket_id']} " if item["ticket_id"] is not None else ""
            if item.get("error"):
                typer.echo(f"notice {item['id']} ({about}{item['kind']}): cannot be sent: {item['error']}")
                continue
            typer.echo(f"notice {item['id']} ({about}{item['kind']}, {item['language']}) to {item['to']}: {item['subject']}")
            for line in item["lines"]:
                typer.echo(f"    {line}")
            if item["attachments"]:
                typer.echo(f"    attached: {', '.join(item['attachments'])}")
        say(f"would send {len(outcome.would_send)} notice(s); nothing was sent or changed (--dry-run)" if outcome.would_send else "nothing to send")
        return
    for item in outcome.sent:
        typer.echo(f"sent notice {item['id']} ({item['kind']}) to {item['to']}: {item['subject']}")
    for item in outcome.failed:
        then = f"given up after {item['attempts']} attempt(s)" if item["failed_at"] else f"tried again {local_short(item['next_attempt_at'], zone, now)}"
        typer.echo(f"failed notice {item['id']} ({item['kind']}) to {item['to'] or '-'}: {item['error']}; {then}")
    parts = [f"sent {len(outcome.sent)} notice(s)"] if outcome.sent or not outcome.failed else []
    if outcome.failed:
        gave_up = sum(1 for f in outcome.failed if f["failed_at"])
        parts.append(f"{len(outcome.failed)} failed" + (f" ({gave_up} given up on)" if gave_up else ""))
    if not outcome.sent and not outcome.failed and not outcome.unreachable:
        parts = ["nothing to send"]
    say("; ".join(parts))


@app.command()
def priority(
    ctx: typer.Context,
    ticket: TicketId,
    name: Annotated[str, typer.Argument(metavar="PRIORITY", help="The new priority.", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why, for the record.")] = "",
    json_: JsonOption = False,
) -> None:
    """Change a ticket's priority; its deadlines are recomputed and recorded."""
    ticket_id = parse_ticket_id(ticket)
    desk_command(ctx, json_, lambda desk: desk.set_priority(ticket_id, name, reason), _print_priority)


def _print_priority(data, zone, now) -> None:
    """`#12 is now urgent; respond by 14:30 (in 1 h), resolve by …`."""
    from supportdesk.cli.history import local_short

    if data.get("first_response_at"):
        respond = "already answered"
    else:
        respond = f"respond by {local_short(data['respond_by'], zone, now)}" if data.get("respond_by") else "no response deadline"
    if data.get("resolve_by"):
        resolve = f"resolve by {local_short(data['resolve_by'], zone, now)}"
    else:
        resolve = "resolution clock paused" if data.get("paused_at") else "no resolution deadline"
    say(f"#{data['id']} is now {data['priority']}; {respond}, {resolve}")


# `sla credit` and `sla credits` (SLA credits for outages) are in cli/credits.py.
from supportdesk.cli.credits import register_sla_commands  # noqa: E402

register_sla_commands(sla_app)
