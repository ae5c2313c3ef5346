"""`supportdesk outage add|list` and `supportdesk sla credit|credits`: the outages of
customers' services, and the service credits a claim earns for them (the rules are in
supportdesk/credits.py)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from supportdesk.cli.app import JsonOption, desk_command, say, sub_app

outage_app = sub_app("outage", "Outages of customers' services, for SLA credits: add, list.")

ServiceArgument = Annotated[
    str, typer.Argument(metavar="SERVICE", help="The service: its id, or its order number such as '#123456'.", show_default=False)
]
MonthOption = Annotated[
    str | None, typer.Option("--month", metavar="YYYY-MM", help="A calendar month in the desk's time zone, e.g. 2026-10.")
]

# Why a service is owed no credit, for people (the JSON's `reason`).
NO_CREDIT = {
    "no-outage": "no outage in the month",
    "no-guarantee": "its package guarantees no uptime",
    "met": "the uptime meets the guarantee",
    "out-of-window": "no outage of it may be claimed any more",
    "below-table": "the longest claimed outage is shorter than the table's first row ({first_row})",
}


def _local(text: str | None, zone: Any, now: Any) -> str:
    from supportdesk.cli.history import local_short

    return local_short(text, zone, now)


def _length(seconds: int) -> str:
    from datetime import timedelta

    from supportdesk.timetext import format_duration

    return format_duration(timedelta(seconds=seconds)) if seconds else "0 min"


def _span(start: str, end: str, zone: Any, now: Any) -> str:
    """`Sat 17 Oct 10:00 – 11:10 +03`; both instants in full when they are on other days
    (or in other offsets)."""
    from supportdesk.timetext import from_utc_text

    first, last = (from_utc_text(t).astimezone(zone) for t in (start, end))
    if first.date() == last.date() and first.utcoffset() == last.utcoffset():
        shown = _local(start, zone, now)
        return f"{shown[: -len(first.tzname() or '') - 1]} – {last:%H:%M} {last.tzname()}"
    return f"{_local(start, zone, now)} – {_local(end, zone, now)}"


def _service(s: dict[str, Any]) -> str:
    """`service 1 (#123456, vps-ada)`."""
    from supportdesk.text import inert

    extra = [x for x in (s.get("order"), inert(s["name"], multiline=False) if s.get("name") else None) if x]
    return f"service {s['service']}" + (f" ({', '.join(extra)})" if extra else "")


# ---- outages ---------------------------------------------------------------------------


@outage_app.command("add")
def outage_add(
    ctx: typer.Context,
    service: ServiceArgument,
    started: Annotated[str, typer.Option("--from", metavar="INSTANT", help="When the service went down, e.g. 2026-10-17T10:00.", show_default=False)],
    ended: Annotated[str, typer.Option("--until", metavar="INSTANT", help="When it was up again (not after now).", show_default=False)],
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="What happened, for the record.")] = None,
    json_: JsonOption = False,
) -> None:
    """Record that a service was down from --from until --until (without an offset, in the desk's time zone)."""

    def show(o: dict[str, Any], zone: Any, now: Any) -> None:
        order = f" ({o['order']})" if o["order"] else ""
        say(
            f"recorded outage {o['id']} of service {o['service']}{order} of {o['customer']}: "
            f"{_span(o['started_at'], o['ended_at'], zone, now)}, {_length(o['seconds'])}"
        )

    desk_command(ctx, json_, lambda desk: desk.add_outage(service, started=started, ended=ended, note=note), show)


@outage_app.command("list")
def outage_list(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Option("--customer", metavar="EMAIL", help="Only this customer's services.")] = None,
    service: Annotated[str | None, typer.Option("--service", metavar="SERVICE", help="Only this service (id or order number).")] = None,
    month: MonthOption = None,
    json_: JsonOption = False,
) -> None:
    """List recorded outages, oldest first."""

    def show(rows: list[dict[str, Any]], zone: Any, now: Any) -> None:
        from supportdesk.cli.render import print_rows
        from supportdesk.text import inert

        if not rows:
            say("no outages recorded" + (" in that month" if month else "") + "; `supportdesk outage add SERVICE --from T --until T` records one")
            return
        cells = [
            [
                str(o["id"]), inert(o["customer"], multiline=False), f"{o['service']}" + (f" {o['order']}" if o["order"] else ""),
                _local(o["started_at"], zone, now), _local(o["ended_at"], zone, now), _length(o["seconds"]),
                inert(o["note"], multiline=False) if o["note"] else "-",
            ]
            for o in rows
        ]
        print_rows([("Id", True), ("Customer", False), ("Service", False), ("From", False), ("Until", False), ("Length", False), ("Note", False)], cells, wraps="Note")

    desk_command(ctx, json_, lambda desk: desk.outages(email=customer, service=service, month=month), show)


# ---- credits (registered on `sla` by cli/triage.py) ------------------------------------


def sla_credit(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(metavar="EMAIL", help="The customer who claims.", show_default=False)],
    month: Annotated[
        str | None,
        typer.Option("--month", metavar="YYYY-MM", help="The month claimed for, in the desk's time zone (default: the claim's month)."),
    ] = None,
    ticket: Annotated[str | None, typer.Option("--ticket", metavar="ID", help="The customer's ticket the claim was made by; its filing is the claim's time.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be owed; record nothing.")] = False,
    json_: JsonOption = False,
) -> None:
    """A customer's SLA credit claim for a month: each service's uptime against its
    package's guarantee, and the service credit the policy's table owes for the longest
    outage claimed within the window; recorded on the customer once per service and month.

    The credit is a percentage of the service's monthly fee in the policy's form (e.g.
    service-credit), never an amount of money. An outage that ended longer ago than the
    policy's claim window before the claim (the ticket's filing, or now) is left out.
    """
    from supportdesk.given import parse_ticket_id

    ticket_id = parse_ticket_id(ticket) if ticket is not None else None
    desk_command(ctx, json_, lambda desk: desk.claim_credit(customer, month=month, ticket_id=ticket_id, dry_run=dry_run), _print_claim)


def _print_claim(claim: dict[str, Any], zone: Any, now: Any) -> None:
    from supportdesk.credits import month_name, percent_text

    by = f" by ticket #{claim['ticket']}" if claim["ticket"] else ""
    hours = f"{claim['month_seconds'] / 3600:g} h"
    window = f"within {claim['claim_within_days']} days of an outage" if claim["claim_within_days"] is not None else "at any time"
    typer.echo(f"{claim['customer']} — {month_name(claim['month'])} ({claim['zone']}, {hours}); claimed {_local(claim['claimed_at'], zone, now)}{by}")
    typer.echo(f"Claims are accepted {window}; the credit is {claim['form']}, in percent of the monthly fee.")
    for s in claim["services"]:
        typer.echo("")
        package = f"package {s['package']}" + (" (the customer's)" if s["package_from"] == "customer" else "") if s["package"] else "no SLA package"
        typer.echo(f"{_service(s)}, {package}")
        if s["guarantee"] is None:
            typer.echo(f"  uptime    {percent_text(s['uptime'])} % (no uptime guarantee)")
        else:
            verdict = "met" if s["met"] else "missed"
            typer.echo(f"  uptime    {percent_text(s['uptime'])} % of {percent_text(s['guarantee'])} % guaranteed — {verdict}")
        count = len(s["outages"])
        typer.echo(f"  downtime  {_length(s['downtime_seconds'])} in {count} outage{'' if count == 1 else 's'}" if count else "  downtime  none")
        for o in s["outages"]:
            span = _span(o["started_at"], o["ended_at"], zone, now)
            length = _length(o["seconds_in_month"]) + ("" if o["seconds_in_month"] == o["seconds"] else f" in the month, {_length(o['seconds'])} in all")
            state = "claimed" if o["claimed"] else ("left out: it ended after the claim" if o["left_out"] == "not-over" else f"left out: it ended more than {claim['claim_within_days']} days before the claim")
            typer.echo(f"  outage    {span}, {length} — {state}")
        credit = s["credit"]
        if s["state"] == "already-recorded":
            typer.echo(f"  credit    {percent_text(credit['credit_percent'])} % of the monthly fee as {credit['form']} — already recorded on {_local(credit['created_at'], zone, now)}")
        elif s["owed"]:
            longest, row = s["longest_claimed"], s["table_row"]
            done = "recorded" if s["state"] == "recorded" else "would be recorded (dry run)"
            typer.echo(
                f"  credit    {percent_text(s['credit_percent'])} % of the monthly fee as {s['form']} "
                f"(the table's row from {row['outage']}: longest claimed outage {_length(longest['seconds'])}) — {done}"
            )
        else:
            typer.echo(f"  credit    none: {NO_CREDIT[s['reason']].format(first_row=s['first_row'])}")
    verb = "would record" if claim["dry_run"] else "recorded"
    owed = claim["new_credits"]
    say(f"{verb} {owed} credit{'' if owed == 1 else 's'} for {claim['customer']} in {month_name(claim['month'])}" if owed else f"no credit owed to {claim['customer']} for {month_name(claim['month'])}")


def sla_credits(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Argument(metavar="[EMAIL]", help="One customer's (default: everyone's).", show_default=False)] = None,
    json_: JsonOption = False,
) -> None:
    """List the SLA credits recorded on customers, oldest first."""

    def show(rows: list[dict[str, Any]], zone: Any, now: Any) -> None:
        from supportdesk.cli.render import print_rows
        from supportdesk.credits import percent_text
        from supportdesk.text import inert

        if not rows:
            say("no SLA credits recorded; `supportdesk sla credit EMAIL --month YYYY-MM` assesses a claim")
            return
        cells = [
            [
                str(c["id"]), inert(c["customer"], multiline=False), f"{c['service']}" + (f" {c['order']}" if c["order"] else ""), c["month"],
                f"{percent_text(c['uptime'], 4)} %", f"{percent_text(c['guarantee'])} %", _length(c["outage_seconds"]),
                f"{percent_text(c['credit_percent'])} %", c["form"], f"#{c['ticket']}" if c["ticket"] else "-", _local(c["created_at"], zone, now),
            ]
            for c in rows
        ]
        headers = [("Id", True), ("Customer", False), ("Service", False), ("Month", False), ("Uptime", True), ("Guarantee", True)]
        headers += [("Outage", False), ("Credit", True), ("Form", False), ("Ticket", False), ("Recorded", False)]
        print_rows(headers, cells)

    desk_command(ctx, json_, lambda desk: desk.credits(customer), show)


def register_sla_commands(sla_app: typer.Typer) -> None:
    """Add `credit` and `credits` to the `sla` group (cli/triage.py calls this)."""
    sla_app.command("credit")(sla_credit)
    sla_app.command("credits")(sla_credits)
