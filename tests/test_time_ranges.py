"""Instants and durations out of range: one `error:` line and exit 2, never a traceback.

Supported: instants whose local date is 1970-01-01 to 8999-12-31, durations up to
36500d (100 years); the clock computes up to the year 9998, so anything the parser lets
through can be added to without overflowing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportdesk.clock import LAST_YEAR, Calendar, CalendarSpec, HolidayRule, Hours
from supportdesk.errors import InvalidInput
from supportdesk.timetext import parse_duration, parse_instant, to_utc_text

ISTANBUL = ZoneInfo("Europe/Istanbul")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RANGE = "use an instant from 1970-01-01 to 8999-12-31"
TOO_LONG = "use at most 36500d (100 years)"


# ---- through the CLI ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "args", "fragment"),
    [
        ("0001-01-01", ["list"], f"--now: time '0001-01-01' is out of range; {RANGE}"),
        ("in 999999999d", ["list"], f"--now: time 'in 999999999d' is out of range; {RANGE}"),
        ("999999999d ago", ["list"], "out of range"),
        ("9999-12-31T23:59", ["clock", "add", "1h"], f"--now: time '9999-12-31T23:59' is out of range; {RANGE}"),
        ("9999-12-31T23:59", ["triage"], "out of range"),
        ("1969-12-31T23:59", ["list"], "out of range"),
        ("2026-11-20T15:00", ["clock", "week", "--from", "9999-12-31"], f"time '9999-12-31' is out of range; {RANGE}"),
        ("2026-11-20T15:00", ["clock", "add", "99999999999999999999h"], f"duration '99999999999999999999h' is too long; {TOO_LONG}"),
        ("2026-11-20T15:00", ["clock", "add", "PT99999999999999H"], f"duration 'PT99999999999999H' is too long; {TOO_LONG}"),
        ("2026-11-20T15:00", ["clock", "add", "P99999999999D"], "is too long"),
        ("2026-11-20T15:00", ["clock", "add", "36501d"], "is too long"),
        ("2026-11-20T15:00", ["triage", "--breaching-within", "99999999999d"], f"duration '99999999999d' is too long; {TOO_LONG}"),
        ("2026-11-20T15:00", ["clock", "between", "0001-01-01", "2024-01-01"], f"time '0001-01-01' is out of range; {RANGE}"),
        ("2026-11-20T15:00", ["clock", "between", "2024-01-01", "9999-12-31T23:59:59Z"], "out of range"),
        ("2026-11-20T15:00", ["clock", "between", "1970-01-01", "8999-12-31"], "'1970-01-01' and '8999-12-31' are more than 36500d (100 years) apart"),
        ("2026-11-20T15:00", ["oncall", "schedule", "--days", "99999999"], "--days must be between 1 and 366"),
        ("2026-11-20T15:00", ["oncall", "schedule", "--from", "0001-01-01"], "out of range"),
        ("2026-11-20T15:00", ["list", "--created-after", "0001-01-01"], "out of range"),
        ("2026-11-20T15:00", ["clock", "add", "1h", "--from", "in 99999999999999999999h"], "out of range"),
    ],
)
def test_out_of_range_is_one_error_line_and_exit_2(cli, now, args, fragment, frozen_clock):
    cli.refused(2, fragment, *args, now=now)  # a relative --now counts from the still clock


def test_the_edges_of_the_range_work_and_time_can_be_added_there(cli):
    assert cli.ok("clock", "add", "1h", now="8999-12-31T23:59").stdout.strip() == "Wed 01 Jan 9000 10:00 +03"
    # a hundred years of business time from the last supported day
    assert cli.ok("clock", "add", "36500d", now="8999-12-31T23:59").stdout.strip().endswith("9373 12:00 +03")
    assert cli.ok("clock", "add", "36500d", "--calendar", "always", now="8999-12-31T23:59").stdout.strip() == "Thu 07 Dec 9099 23:59 +03"
    cli.ok("clock", "week", "--from", "8999-12-31", now="2026-11-20T15:00")
    cli.ok("clock", "between", "8999-01-01", "8999-12-31T23:59", now="2026-11-20T15:00")
    cli.ok("triage", "--breaching-within", "36500d", now="8999-12-31T23:59")
    cli.ok("oncall", "schedule", "--days", "366", now="8999-12-31T23:59")
    cli.ok("clock", "open", now="1970-01-01T00:00")
    cli.ok("clock", "add", "1h", now="1970-01-01T00:00")
    cli.ok("file", "--subject", "Late", "--body", "x", "--customer", "ada@example.com", now="8999-12-31T23:59")
    assert cli.ok("triage", now="8999-12-31T23:59").stdout.count("Late") == 1


# ---- the parser ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1970-01-01", "1969-12-31T22:00:00Z"),  # Istanbul was +02 then
        ("8999-12-31T23:59", "8999-12-31T20:59:00Z"),
        ("in 36600d", "2127-02-04T12:00:00Z"),
        ("3000d ago", "2018-09-03T12:00:00Z"),
    ],
)
def test_instants_at_the_edges_of_the_range(text, expected):
    assert to_utc_text(parse_instant(text, ISTANBUL, NOW)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01", "1969-12-31T23:59", "9000-01-01", "9999-12-31", "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00+14:00", "in 999999999d", "99999999999999999999999999w ago", "+3000000d",
    ],
)
def test_instants_out_of_range_are_refused_as_typed(text):
    with pytest.raises(InvalidInput, match=f"time '{text}' is out of range; {RANGE}".replace("+", r"\+")):
        parse_instant(text, ISTANBUL, NOW)


def test_a_relative_instant_must_land_in_range():
    late = datetime(8999, 12, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="'in 60d' is out of range"):
        parse_instant("in 60d", ISTANBUL, late)
    with pytest.raises(InvalidInput, match="'fri 17:00' is out of range"):
        parse_instant("fri 17:00", ISTANBUL, datetime(8999, 12, 31, 12, tzinfo=UTC))


@pytest.mark.parametrize("text", ["36500d", "P36500D", "5214w", "876000h"])
def test_durations_up_to_a_hundred_years(text):
    assert parse_duration(text) <= timedelta(days=36500)


@pytest.mark.parametrize(
    "text", ["36501d", "P36501D", "99999999999999999999h", "99999999999999999999H", "PT99999999999999H", "9" * 400 + "s"]
)
def test_longer_durations_are_refused_as_typed(text):
    with pytest.raises(InvalidInput) as refused:
        parse_duration(text)
    assert str(refused.value) == f"duration {text!r} is too long; {TOO_LONG}"


# ---- the clock near the ends -----------------------------------------------------------


def _office() -> Calendar:
    weekdays = ((Hours(540, 1080),),) * 5 + ((), ())
    return Calendar(CalendarSpec("office", "Europe/Istanbul", weekdays, HolidayRule("TR"), half_day_close=780))


def test_the_clock_refuses_a_deadline_past_the_years_it_computes():
    cal = _office()
    with pytest.raises(InvalidInput, match=f"would end after the year {LAST_YEAR}; give a shorter duration"):
        cal.add(datetime(9990, 1, 1, tzinfo=UTC), timedelta(days=36500))
    # a calendar open one minute a week never fits a hundred years of open time: refused at once
    sparse = Calendar(CalendarSpec("sparse", "UTC", ((Hours(0, 1),),) + ((),) * 6))
    with pytest.raises(InvalidInput, match="would end after the year"):
        sparse.add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(days=36500))


def test_the_clock_answers_at_the_last_years_without_crashing():
    cal = _office()
    late = datetime(LAST_YEAR, 12, 31, 20, tzinfo=UTC)
    assert cal.is_open(late) is False
    assert cal.elapsed(datetime(LAST_YEAR, 12, 1, tzinfo=UTC), late) > timedelta(0)
    with pytest.raises(InvalidInput):
        cal.next_open(late)
    with pytest.raises(InvalidInput):
        cal.add(late, timedelta(hours=1))
    always = Calendar(CalendarSpec.always_open("24/7", "Pacific/Kiritimati"))
    assert always.add(datetime(9100, 1, 1, tzinfo=UTC), timedelta(days=1)) == datetime(9100, 1, 2, tzinfo=UTC)


def test_a_hundred_years_of_business_time_is_computed_quickly_and_exactly():
    cal = _office()
    start = datetime(2026, 1, 5, 6, tzinfo=UTC)  # Monday 09:00
    deadline = cal.add(start, timedelta(days=36500))
    assert deadline.year > 2300
    assert cal.elapsed(start, deadline) == timedelta(days=36500)


def test_a_calendar_open_only_once_says_so_instead_of_searching_forever():
    once = Calendar(CalendarSpec("once", "UTC", ((),) * 7, special_hours=((date(2024, 5, 1), (Hours(540, 600),)),)))
    assert once.add(datetime(2024, 1, 1, tzinfo=UTC), timedelta(minutes=30)) == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="has no open time within 20 years after Wed 01 May 2024 10:00 UTC"):
        once.add(datetime(2024, 1, 1, tzinfo=UTC), timedelta(hours=2))
