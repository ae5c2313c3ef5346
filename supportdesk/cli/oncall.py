"""`supportdesk oncall …`: who is on call now, next, over the coming days; overrides."""

from __future__ import annotations

from typing import Annotated

import typer

from supportdesk.cli.app import (
    Answer,
    JsonOption,
    StartOption,
    TimeRequest,
    console,
    emit_json,
    open_desk,
    say,
    sub_app,
    time_command,
)

oncall_app = sub_app("oncall", "Who is on call: now, next, the schedule, and overrides.")
override_app = sub_app("override", "One person covering a layer for a while.", parent=oncall_app)

AtOption = Annotated[str | None, typer.Option("--at", metavar="INSTANT", help="Ask about this instant (default: now).")]
DaysOption = Annotated[int, typer.Option("--days", metavar="N", help="How many days ahead.")]


def _people(people) -> str:
    return ", ".join(people) if people else "nobody"


@time_command(oncall_app, "now")
def oncall_now(asked: TimeRequest, at: AtOption = None) -> Answer:
    """Who is on duty at each layer, and until when."""
    from supportdesk.timetext import format_local, relative, to_utc_text

    with asked.time() as time:
        oncall = time.oncall()
        when = time.instant(at)
        duties = oncall.at(when)
        changes = {h.layer: h for h in oncall.next_changes(when)}
        zone, now = time.policy.zone, time.now

    def show() -> None:
        from rich.table import Table

        table = Table(title=f"On call at {format_local(when, zone)}", title_justify="left", header_style="bold", box=None, pad_edge=False)
        table.add_column("Layer", no_wrap=True)
        table.add_column("On duty", no_wrap=True)
        table.add_column("Until", no_wrap=True)
        for duty in duties:
            until = changes.get(duty.layer)
            until_text = f"{format_local(until.at, zone)} ({relative(until.at, now)})" if until else "-"
            who = _people(duty.people) + (" (override)" if duty.override else "") if duty.active else "off duty"
            table.add_row(duty.layer, who, until_text)
        console().print(table)

    return Answer(
        {
            "at": to_utc_text(when),
            "layers": [
                d.to_json() | {"until": to_utc_text(changes[d.layer].at) if d.layer in changes else None}
                for d in duties
            ],
        },
        show,
    )


@time_command(oncall_app, "next")
def oncall_next(asked: TimeRequest) -> Answer:
    """The next hand-off of each layer."""
    from supportdesk.timetext import format_local, relative

    with asked.time() as time:
        changes = time.oncall().next_changes(time.now)
        zone, now = time.policy.zone, time.now

    def show() -> None:
        if not changes:
            say("no hand-offs in the next two months")
            return
        for change in changes:
            state = _people(change.people) if change.active else "off duty"
            typer.echo(f"{format_local(change.at, zone)} ({relative(change.at, now)}): {change.layer} → {state}")

    return Answer([h.to_json() for h in changes], show)


@time_command(oncall_app, "schedule")
def oncall_schedule(asked: TimeRequest, days: DaysOption = 7, start: StartOption = None) -> Answer:
    """Every hand-off over the coming days."""
    from datetime import timedelta

    from supportdesk.errors import InvalidInput
    from supportdesk.timetext import format_local

    if not 1 <= days <= 366:
        raise InvalidInput(f"--days must be between 1 and 366, not {days}")
    with asked.time() as time:
        begin = time.instant(start)
        handoffs = time.oncall().schedule(begin, begin + timedelta(days=days))
        zone = time.policy.zone

    def show() -> None:
        from rich.table import Table

        table = Table(header_style="bold", box=None, pad_edge=False)
        table.add_column("When", no_wrap=True)
        table.add_column("Layer", no_wrap=True)
        table.add_column("On duty")
        for h in handoffs:
            table.add_row(format_local(h.at, zone), h.layer, _people(h.people) if h.active else "off duty")
        console().print(table)

    return Answer([h.to_json() for h in handoffs], show)


@override_app.command("add")
def override_add(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(metavar="AGENT", help="Who covers.", show_default=False)],
    layer: Annotated[str, typer.Option("--layer", metavar="NAME", help="The on-call layer covered.", show_default=False)],
    starts: Annotated[str, typer.Option("--from", metavar="INSTANT", help="Start of the cover.", show_default=False)],
    ends: Annotated[str, typer.Option("--until", metavar="INSTANT", help="End of the cover.", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why, for the record.")] = "",
    json_: JsonOption = False,
) -> None:
    """Put AGENT on a layer from --from until --until."""
    from supportdesk.errors import InvalidInput
    from supportdesk.timetext import format_local, from_utc_text

    with open_desk(ctx) as desk:
        time = desk.time()
        instants = []
        for option, text in (("--from", starts), ("--until", ends)):
            try:
                instants.append(time.instant(text))
            except InvalidInput as error:
                raise InvalidInput(f"{option}: {error}") from None
        override = desk.add_override(layer, person, *instants, reason, starts_text=starts, ends_text=ends)
        zone = desk.policy.zone
    if json_:
        emit_json(override)
    else:
        span = f"{format_local(from_utc_text(override['starts_at']), zone)} until {format_local(from_utc_text(override['ends_at']), zone)}"
        say(f"override {override['id']}: {person} covers {layer} from {span}")


@override_app.command("list")
def override_list(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include overrides that have ended.")] = False,
    json_: JsonOption = False,
) -> None:
    """Current and future overrides."""
    from supportdesk.timetext import format_local, from_utc_text

    with open_desk(ctx) as desk:
        rows = desk.overrides(include_past=all_)
        zone = desk.policy.zone
    if json_:
        emit_json(rows)
        return
    if not rows:
        say("no overrides")
        return
    from rich.table import Table

    table = Table(header_style="bold", box=None, pad_edge=False)
    for column in ("ID", "Layer", "Agent", "From", "Until", "Reason"):
        table.add_column(column, no_wrap=column != "Reason")
    for r in rows:
        table.add_row(
            str(r["id"]), r["layer"], r["person"], format_local(from_utc_text(r["starts_at"]), zone),
            format_local(from_utc_text(r["ends_at"]), zone), r["reason"] or "-",
        )
    console().print(table)


@override_app.command("remove")
def override_remove(
    ctx: typer.Context,
    override_id: Annotated[int, typer.Argument(metavar="ID", help="The override's id.", show_default=False)],
) -> None:
    """Cancel an override (it stays in the desk's log)."""
    from supportdesk.errors import InvalidInput

    if not -(2**63 - 1) <= override_id <= 2**63 - 1:  # beyond SQLite's integers: no override has it
        raise InvalidInput(f"{override_id} is beyond any override id; `supportdesk oncall override list` shows them")
    with open_desk(ctx) as desk:
        row = desk.remove_override(override_id)
    say(f"removed override {override_id} ({row['person']} on {row['layer']})")
