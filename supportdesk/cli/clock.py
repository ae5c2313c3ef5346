"""`supportdesk clock …`: business-time questions against the policy's calendars."""

from __future__ import annotations

from typing import Annotated

import typer

from supportdesk.cli.app import (
    CalendarFileOption,
    JsonOption,
    app,
    console,
    emit_json,
    open_time,
)

clock_app = typer.Typer(
    help="Business time: is it open, deadlines, open time between instants, the week.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(clock_app, name="clock")

CalendarOption = Annotated[
    str | None,
    typer.Option("--calendar", metavar="NAME", help="Which calendar (default: the desk's office calendar)."),
]


@clock_app.command("open")
def clock_open(
    ctx: typer.Context,
    at: Annotated[str | None, typer.Option("--at", metavar="INSTANT", help="When to ask about (default: now).")] = None,
    calendar: CalendarOption = None,
    calendar_file: CalendarFileOption = None,
    json_: JsonOption = False,
) -> None:
    """Is the calendar open, and until when (or from when)?"""
    from supportdesk.timetext import format_local, relative, to_utc_text

    with open_time(ctx, calendar_file) as time:
        cal = time.calendar(calendar)
        when = time.instant(at)
        is_open = cal.is_open(when)
        closes = cal.next_close(when) if is_open else None
        opens = None if is_open else cal.next_open(when)
        today = cal.day_info(when.astimezone(cal.zone).date())
        now = time.now
    if json_:
        emit_json(
            {
                "calendar": cal.name,
                "timezone": cal.spec.timezone,
                "at": to_utc_text(when),
                "open": is_open,
                "closes_at": to_utc_text(closes) if closes else None,
                "opens_at": to_utc_text(opens) if opens else None,
                "holiday": today.holiday,
                "half_day": today.half_day,
                "estimated": today.estimated,
            }
        )
        return
    where = f"{cal.name} ({cal.spec.timezone})"
    if is_open:
        if closes:
            until = f"closes {format_local(closes, cal.zone)} ({relative(closes, now)})"
        elif cal.spec.is_always_open:
            until = "open 24/7"
        else:  # open around the clock, and every closed date or holiday lies behind
            until = "never closes (no closed date or holiday ahead)"
        line = f"{where} is open at {format_local(when, cal.zone)}; {until}"
    else:
        line = f"{where} is closed at {format_local(when, cal.zone)}; opens {format_local(opens, cal.zone)} ({relative(opens, now)})"
    typer.echo(line)
    if today.holiday:
        kind = "half day" if today.half_day else "holiday"
        note = " (date estimated)" if today.estimated else ""
        typer.echo(f"{today.day:%a %d %b %Y} is a {kind}: {today.holiday}{note}")


@clock_app.command("add")
def clock_add(
    ctx: typer.Context,
    duration: Annotated[str, typer.Argument(metavar="DURATION", help="Open time to add: 90m, 4h, 1h30m, 2d, PT4H.", show_default=False)],
    start: Annotated[str | None, typer.Option("--from", metavar="INSTANT", help="Start (default: now).")] = None,
    calendar: CalendarOption = None,
    calendar_file: CalendarFileOption = None,
    json_: JsonOption = False,
) -> None:
    """The deadline: when DURATION of open time has passed after --from."""
    from supportdesk.timetext import format_local, parse_duration, to_utc_text

    amount = parse_duration(duration)
    with open_time(ctx, calendar_file) as time:
        cal = time.calendar(calendar)
        begin = time.instant(start)
        deadline = cal.add(begin, amount, typed=duration)
    if json_:
        emit_json(
            {
                "calendar": cal.name,
                "from": to_utc_text(begin),
                "duration_seconds": int(amount.total_seconds()),
                "deadline": to_utc_text(deadline),
                "deadline_local": format_local(deadline, cal.zone),
            }
        )
        return
    typer.echo(format_local(deadline, cal.zone))


@clock_app.command("between")
def clock_between(
    ctx: typer.Context,
    start: Annotated[str, typer.Argument(metavar="A", help="From this instant.", show_default=False)],
    end: Annotated[str, typer.Argument(metavar="B", help="To this instant.", show_default=False)],
    calendar: CalendarOption = None,
    calendar_file: CalendarFileOption = None,
    json_: JsonOption = False,
) -> None:
    """Open time between A and B (negative when B is before A)."""
    from supportdesk.errors import InvalidInput
    from supportdesk.timetext import (
        DURATION_RANGE,
        MAX_DURATION,
        format_hours,
        to_utc_text,
    )

    with open_time(ctx, calendar_file) as time:
        cal = time.calendar(calendar)
        a, b = time.instant(start), time.instant(end)
        if abs(b - a) > MAX_DURATION:
            raise InvalidInput(
                f"{start!r} and {end!r} are more than {DURATION_RANGE} apart; "
                "ask about instants closer together"
            )
        elapsed = cal.elapsed(a, b)
    if json_:
        emit_json({"calendar": cal.name, "from": to_utc_text(a), "to": to_utc_text(b), "open_seconds": int(elapsed.total_seconds())})
        return
    typer.echo(format_hours(elapsed.total_seconds()))


def _bar(info, previous) -> str:
    """24 cells, one per local hour: full, partly open, or closed (overnight hours of the
    day before included)."""
    minutes = [0] * 24
    for hours in info.hours:
        for minute in range(hours.start, min(hours.end, 1440)):
            minutes[minute // 60] += 1
    for hours in previous.hours:
        for minute in range(1440, hours.end):
            minutes[(minute - 1440) // 60] += 1
    return "".join("█" if m == 60 else ("▄" if m else "·") for m in minutes)


@clock_app.command("week")
def clock_week(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option("--from", metavar="DATE", help="First day (default: today).")] = None,
    calendar: CalendarOption = None,
    calendar_file: CalendarFileOption = None,
    json_: JsonOption = False,
) -> None:
    """A week of open hours, one row a day, holidays and half days marked."""
    from datetime import timedelta

    from rich.table import Table

    with open_time(ctx, calendar_file) as time:
        cal = time.calendar(calendar)
        first = time.instant(start).astimezone(cal.zone).date()
        before = cal.day_info(first - timedelta(days=1))
        days = [cal.day_info(first + timedelta(days=i)) for i in range(7)]
    if json_:
        emit_json(
            {
                "calendar": cal.name,
                "timezone": cal.spec.timezone,
                "days": [
                    {
                        "date": d.day.isoformat(),
                        "weekday": f"{d.day:%a}",
                        "hours": [str(h) for h in d.hours],
                        "open_minutes": sum(h.end - h.start for h in d.hours),
                        "holiday": d.holiday,
                        "half_day": d.half_day,
                        "estimated": d.estimated,
                        "special": d.special,
                        "closed_by_hand": d.closed_by_hand,
                    }
                    for d in days
                ],
            }
        )
        return
    table = Table(
        title=f"{cal.name} ({cal.spec.timezone}), week of {first:%d %b %Y}",
        title_justify="left",
        header_style="bold",
        box=None,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    table.add_column("Day", no_wrap=True)
    table.add_column("0     6     12    18   ", no_wrap=True)
    table.add_column("Hours", no_wrap=True)
    table.add_column("Note", overflow="fold")
    for previous, d in zip([before, *days], days, strict=False):
        notes = []
        if d.holiday:
            notes.append(("half day: " if d.half_day else "") + d.holiday + (" (estimated)" if d.estimated else ""))
        if d.special:
            notes.append("special hours")
        if d.closed_by_hand:
            notes.append("closed")
        hours = ", ".join(str(h) for h in d.hours) or "closed"
        table.add_row(f"{d.day:%a %d %b}", _bar(d, previous), hours, "; ".join(notes))
    console().print(table)
