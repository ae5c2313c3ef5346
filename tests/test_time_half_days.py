"""Half days across DST changes: the early close is an instant (in a gap it moves forward
by the gap, 02:30 -> 03:30) and it only ever shortens the day, so a half day never comes
out longer than the normal day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportdesk.clock import Calendar, CalendarSpec, HolidayCache, HolidayRule, Hours, YearHolidays
from supportdesk.timetext import local_to_utc

H = timedelta(hours=1)
M = timedelta(minutes=1)
BERLIN = ZoneInfo("Europe/Berlin")


class HalfDays(HolidayCache):
    """Holidays as a desk's cache would give them: no public holidays, these half days."""

    def __init__(self, *days: date):
        self.days = days

    def get(self, rule, year):
        return YearHolidays({}, {d: "eve" for d in self.days if d.year == year})


def calendar(zone: str, hours: tuple[Hours, ...], close: int, *half_days: date) -> Calendar:
    spec = CalendarSpec("test", zone, (hours,) * 7, HolidayRule("DE"), half_day_close=close)
    return Calendar(spec, HalfDays(*half_days))


def berlin(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def local(instant: datetime) -> str:
    value = instant.astimezone(BERLIN)
    return f"{value:%a %Y-%m-%d %H:%M} {value.tzname()}"


SPRING = date(2024, 3, 31)  # 02:00 CET -> 03:00 CEST
AUTUMN = date(2024, 10, 27)  # 03:00 CEST -> 02:00 CET


def test_a_half_day_closing_in_the_spring_gap_is_not_longer_than_the_day():
    # open 01:00-03:00; the half day closes at 02:30, which does not exist that night: it
    # moves forward to 03:30 CEST, after the normal close, so the day keeps its normal
    # close: 01:00 CET to 03:00 CEST is one real hour (not 01:00-02:30 read as 1 h 30).
    cal = calendar("Europe/Berlin", (Hours(60, 180),), 150, SPRING)
    info = cal.day_info(SPRING)
    assert info.half_day and info.hours == (Hours(60, 180),)
    assert cal.elapsed(berlin("2024-03-31T00:00"), berlin("2024-03-31T12:00")) == H
    normal = calendar("Europe/Berlin", (Hours(60, 180),), 150)
    assert normal.elapsed(berlin("2024-03-31T00:00"), berlin("2024-03-31T12:00")) == H
    assert cal.elapsed(berlin("2024-03-24T00:00"), berlin("2024-03-24T12:00")) == 2 * H  # a normal Sunday
    assert local(cal.add(berlin("2024-03-31T00:00"), 59 * M)) == "Sun 2024-03-31 01:59 CET"
    # the hour runs out at the close (03:00 CEST): the clock moves again at Monday's opening
    assert local(cal.add(berlin("2024-03-31T00:00"), H)) == "Mon 2024-04-01 01:00 CEST"
    assert local(cal.add(berlin("2024-03-31T01:30"), 30 * M)) == "Mon 2024-04-01 01:00 CEST"
    assert not cal.is_open(berlin("2024-03-31T03:15"))


def test_a_half_day_closing_in_the_gap_before_the_normal_close_moves_forward():
    # open 01:00-05:00; the half day closes at 02:30 -> 03:30 CEST: 01:00 CET to 03:30
    # CEST is 1 h 30 of real time, shorter than the normal 3 h of that night
    cal = calendar("Europe/Berlin", (Hours(60, 300),), 150, SPRING)
    assert cal.day_info(SPRING).hours == (Hours(60, 210),)
    assert cal.elapsed(berlin("2024-03-31T00:00"), berlin("2024-03-31T12:00")) == 90 * M
    assert local(cal.add(berlin("2024-03-31T00:00"), 90 * M - M)) == "Sun 2024-03-31 03:29 CEST"
    assert local(cal.add(berlin("2024-03-31T00:00"), 90 * M)) == "Mon 2024-04-01 01:00 CEST"


def test_a_half_day_closing_in_the_autumn_overlap_closes_at_the_first():
    # 02:30 happens twice; the close is the first (CEST): 01:00 CEST to 02:30 CEST = 1 h 30
    cal = calendar("Europe/Berlin", (Hours(60, 240),), 150, AUTUMN)
    assert cal.elapsed(berlin("2024-10-27T00:00"), berlin("2024-10-27T12:00")) == 90 * M
    assert local(cal.add(berlin("2024-10-27T00:00"), 90 * M - M)) == "Sun 2024-10-27 02:29 CEST"
    assert cal.add(berlin("2024-10-27T00:00"), 90 * M) == datetime(2024, 10, 28, 0, 0, tzinfo=UTC)  # Mon 01:00 CET


def test_an_interval_starting_after_the_moved_close_stays_closed():
    # 02:10-05:00 closing 02:40 in the gap: 03:10 to 03:40 CEST, half an hour
    cal = calendar("Europe/Berlin", (Hours(130, 300),), 160, SPRING)
    assert cal.elapsed(berlin("2024-03-31T00:00"), berlin("2024-03-31T12:00")) == 30 * M
    late = calendar("Europe/Berlin", (Hours(170, 300),), 160, SPRING)  # opens 02:50 -> 03:50, closes 03:40
    assert late.day_info(SPRING).hours == ()
    assert late.elapsed(berlin("2024-03-31T00:00"), berlin("2024-03-31T12:00")) == timedelta(0)


# Each zone with the days its clocks change, and the local hour around which they do.
DST_CHANGES = (
    ("Europe/Berlin", date(2024, 3, 31), 2), ("Europe/Berlin", date(2024, 10, 27), 2),
    ("America/New_York", date(2024, 3, 10), 2), ("America/New_York", date(2024, 11, 3), 1),
    ("America/Santiago", date(2024, 9, 8), 0), ("Australia/Lord_Howe", date(2024, 10, 6), 2),
    ("Australia/Lord_Howe", date(2024, 4, 7), 1), ("Asia/Tehran", date(2022, 3, 22), 0),
)


def _real_open(zone: ZoneInfo, day: date, hours: tuple[Hours, ...]) -> timedelta:
    """The real time a day's wall-clock hours hold (gap times move forward)."""
    midnight = datetime.combine(day, time(0))
    total = timedelta(0)
    for h in hours:
        start = local_to_utc(midnight + timedelta(minutes=h.start), zone)
        end = local_to_utc(midnight + timedelta(minutes=h.end), zone)
        total += max(end - start, timedelta(0))
    return total


@pytest.mark.parametrize(("zone", "day", "hour"), DST_CHANGES)
def test_a_half_day_is_never_longer_than_the_normal_day(zone, day, hour):
    # every open interval and early close on a half-hour grid around the change
    tz = ZoneInfo(zone)
    grid = [max(0, hour * 60 - 60) + 30 * i for i in range(7)]
    for start in grid:
        for end in (m for m in grid if m > start):
            normal = _real_open(tz, day, (Hours(start, end),))
            for close in grid:
                cal = calendar(zone, (Hours(start, end),), close, day)
                info = cal.day_info(day)
                assert info.half_day
                half = _real_open(tz, day, info.hours)
                assert half <= normal, (start, end, close, info.hours)
                if start < close < end:  # and the clock counts what the day says
                    a = datetime.combine(day, time(0)).replace(tzinfo=tz)
                    assert cal.elapsed(a, a + timedelta(hours=20)) == half
