"""`supportdesk clock …`: business-time questions against the policy's calendars."""

from __future__ import annotations

from typing import Annotated

import typer

from supportdesk.cli.app import (
    Answer,
    StartOption,
    TimeRequest,
    console,
    sub_app,
    time_command,
)

clock_app = sub_app("clock", "Business time: is it open, deadlines, open time between instants, the week.")

AtOption = Annotated[str | None, typer.Option("--at", metavar="INSTANT", help="When to ask about (default: now).")]
DurationArgument = Annotated[str, typer.Argument(metavar="DURATION", help="Open time to add: 90m, 4h, 1h30m, 2d, PT4H.", show_default=False)]
FirstDayOption = Annotated[str | None, typer.Option("--from", metavar="DATE", help="First day (default: today).")]


@time_command(clock_app, "open", calendar=True)
def clock_open(asked: TimeRequest, at: AtOption = None) -> Answer:
    """Is the calendar open, and until when (or from when)?"""
    from supportdesk.timetext import format_local, relative, to_utc_text

    with asked.calendar() as (time, cal):
        when = time.instant(at)
        is_open = cal.is_open(when)
        closes = cal.next_close(when) if is_open else None
        opens = None if is_open else cal.next_open(when)
        today = cal.day_info(when.astimezone(cal.zone).date())
        now = time.now

    def show() -> None:
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

    return Answer(
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
        },
        show,
    )


@time_command(clock_app, "add", calendar=True)
def clock_add(asked: TimeRequest, duration: DurationArgument, start: StartOption = None) -> Answer:
    """The deadline: when DURATION of open time has passed after --from."""
    from supportdesk.timetext import format_local, parse_duration, to_utc_text

    amount = parse_duration(duration)
    with asked.calendar() as (time, cal):
        begin = time.instant(start)
        deadline = cal.add(begin, amount, typed=duration)
    return Answer(
        {
            "calendar": cal.name,
            "from": to_utc_text(begin),
            "duration_seconds": int(amount.total_seconds()),
            "deadline": to_utc_text(deadline),
            "deadline_local": format_local(deadline, cal.zone),
        },
        lambda: typer.echo(format_local(deadline, cal.zone)),
    )


@time_command(clock_app, "between", calendar=True)
def clock_between(
    asked: TimeRequest,
    start: Annotated[str, typer.Argument(metavar="A", help="From this instant.", show_default=False)],
    end: Annotated[str, typer.Argument(metavar="B", help="To this instant.", show_default=False)],
) -> Answer:
    """Open time between A and B (negative when B is before A)."""
    from supportdesk.errors import InvalidInput
    from supportdesk.timetext import (
        DURATION_RANGE,
        MAX_DURATION,
        format_hours,
        to_utc_text,
    )

    with asked.calendar() as (time, cal):
        a, b = time.instant(start), time.instant(end)
        if abs(b - a) > MAX_DURATION:
            raise InvalidInput(
                f"{start!r} and {end!r} are more than {DURATION_RANGE} apart; "
                "ask about instants closer together"
            )
        elapsed = cal.elapsed(a, b)
    return Answer(
        {"calendar": cal.name, "from": to_utc_text(a), "to": to_utc_text(b), "open_seconds": int(elapsed.total_seconds())},
        lambda: typer.echo(format_hours(elapsed.total_seconds())),
    )


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


@time_command(clock_app, "week", calendar=True)
def clock_week(asked: TimeRequest, start: FirstDayOption = None) -> Answer:
    """A week of open hours, one row a day, holidays and half days marked."""
    from datetime import timedelta

    with asked.calendar() as (time, cal):
        first = time.instant(start).astimezone(cal.zone).date()
        before = cal.day_info(first - timedelta(days=1))
        days = [cal.day_info(first + timedelta(days=i)) for i in range(7)]
    data = {
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
    return Answer(data, lambda: console().print(_week_table(cal, first, before, days)))


def _week_table(cal, first, before, days):
    """The week as a table: a row a day, its hours as a bar, holidays and notes."""
    from rich.table import Table

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
    return table
