"""Business calendars: hand-checked cases across Istanbul, Tehran and Berlin, and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportdesk.clock import Calendar, CalendarSpec, HolidayRule, Hours, parse_days, parse_hours
from supportdesk.errors import InvalidInput

H = timedelta(hours=1)
M = timedelta(minutes=1)


def week(spec: dict[str, str]) -> tuple[tuple[Hours, ...], ...]:
    days: list[tuple[Hours, ...]] = [()] * 7
    for day_text, hours_text in spec.items():
        for day in parse_days(day_text):
            days[day] = parse_hours(hours_text)
    return tuple(days)


def calendar(zone: str, hours: dict[str, str], **extra) -> Calendar:
    return Calendar(CalendarSpec("test", zone, week(hours), **extra))


ISTANBUL = calendar("Europe/Istanbul", {"mon-fri": "09:00-18:00"}, holidays=HolidayRule("TR"), half_day_close=13 * 60)
LUNCH = calendar("Europe/Istanbul", {"mon-fri": "09:00-12:00, 13:00-18:00"})
TEHRAN = calendar("Asia/Tehran", {"sat-wed": "09:00-17:00"}, holidays=HolidayRule("IR"))
BERLIN_247 = Calendar(CalendarSpec.always_open("24/7", "Europe/Berlin"))
BERLIN_NIGHTS = calendar("Europe/Berlin", {"daily": "22:00-06:00"})


def at(cal: Calendar, text: str) -> datetime:
    """Local wall time on the calendar's zone (fold=0), as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(cal.spec.timezone))


def local(cal: Calendar, instant: datetime) -> str:
    value = instant.astimezone(ZoneInfo(cal.spec.timezone))
    return f"{value:%a %Y-%m-%d %H:%M} {value.tzname()}"


# ---- Istanbul: Mon–Fri 09–18, Turkish holidays, half days close at 13:00 ------------

@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # the DESIGN example: a stopped clock has not moved again until Monday's opening
        ("2024-06-07T17:00", H, "Mon 2024-06-10 09:00 +03"),
        # past the weekend, the half-day eve (a Saturday) and Kurban Bayramı 16–19 June
        ("2024-06-14T17:00", H, "Thu 2024-06-20 09:00 +03"),
        # start before opening counts from the opening
        ("2024-06-10T07:00", H, "Mon 2024-06-10 10:00 +03"),
        # start on a holiday (Ramazan Bayramı, 10–12 April 2024)
        ("2024-04-10T10:00", 2 * H, "Mon 2024-04-15 11:00 +03"),
        # start on the half-day eve: one hour is left before 13:00
        ("2024-04-09T12:00", 2 * H, "Mon 2024-04-15 10:00 +03"),
        # a deadline landing on closing time is the next opening
        ("2024-06-10T09:00", 9 * H, "Tue 2024-06-11 09:00 +03"),
        ("2024-06-10T10:00", 8 * H, "Tue 2024-06-11 09:00 +03"),
        ("2024-06-10T10:00", 8 * H - M, "Mon 2024-06-10 17:59 +03"),
        # zero: from an open instant it is that instant; from a closed one, the next opening
        ("2024-06-10T10:00", timedelta(0), "Mon 2024-06-10 10:00 +03"),
        ("2024-06-08T10:00", timedelta(0), "Mon 2024-06-10 09:00 +03"),
        ("2024-06-10T18:00", timedelta(0), "Tue 2024-06-11 09:00 +03"),
        # multi-week: 100 h from 1 July 2024, past Democracy Day (Mon 15 July)
        ("2024-07-01T09:00", 100 * H, "Wed 2024-07-17 10:00 +03"),
        # across the new year and New Year's Day
        ("2024-12-31T17:00", 2 * H, "Thu 2025-01-02 10:00 +03"),
        # 72 business hours: eight days of nine hours
        ("2024-06-03T09:00", 72 * H, "Thu 2024-06-13 09:00 +03"),
    ],
)
def test_istanbul_deadlines(start, duration, expected):
    assert local(ISTANBUL, ISTANBUL.add(at(ISTANBUL, start), duration)) == expected


def test_istanbul_elapsed_over_the_bayram_week():
    a, b = at(ISTANBUL, "2024-04-08T09:00"), at(ISTANBUL, "2024-04-15T10:00")
    assert ISTANBUL.elapsed(a, b) == 14 * H  # 9 h Monday + 4 h half day + 1 h
    assert ISTANBUL.elapsed(b, a) == -14 * H


def test_istanbul_elapsed_across_a_weekend():
    assert ISTANBUL.elapsed(at(ISTANBUL, "2024-06-07T17:00"), at(ISTANBUL, "2024-06-10T10:00")) == 2 * H


def test_istanbul_half_day_closes_at_one():
    assert ISTANBUL.is_open(at(ISTANBUL, "2024-04-09T12:59"))
    assert not ISTANBUL.is_open(at(ISTANBUL, "2024-04-09T13:00"))
    info = ISTANBUL.day_info(date(2024, 4, 9))
    assert info.half_day and "Eid al-Fitr" in info.holiday
    assert info.hours == (Hours(9 * 60, 13 * 60),)


def test_istanbul_open_close_edges():
    assert ISTANBUL.is_open(at(ISTANBUL, "2024-06-10T09:00"))
    assert not ISTANBUL.is_open(at(ISTANBUL, "2024-06-10T18:00"))
    assert local(ISTANBUL, ISTANBUL.next_open(at(ISTANBUL, "2024-06-08T12:00"))) == "Mon 2024-06-10 09:00 +03"
    assert local(ISTANBUL, ISTANBUL.next_close(at(ISTANBUL, "2024-06-10T10:00"))) == "Mon 2024-06-10 18:00 +03"
    assert local(ISTANBUL, ISTANBUL.next_close(at(ISTANBUL, "2024-06-08T10:00"))) == "Mon 2024-06-10 18:00 +03"


def test_istanbul_open_spans_skip_the_holidays():
    spans = ISTANBUL.open_spans(at(ISTANBUL, "2024-04-08T12:00"), at(ISTANBUL, "2024-04-15T12:00"))
    assert [(local(ISTANBUL, a), local(ISTANBUL, b)) for a, b in spans] == [
        ("Mon 2024-04-08 12:00 +03", "Mon 2024-04-08 18:00 +03"),
        ("Tue 2024-04-09 09:00 +03", "Tue 2024-04-09 13:00 +03"),
        ("Mon 2024-04-15 09:00 +03", "Mon 2024-04-15 12:00 +03"),
    ]


def test_estimated_holidays_are_marked():
    info = ISTANBUL.day_info(date(2040, 10, 8))
    assert info.hours == () and info.estimated and "estimated" in info.holiday


# ---- several intervals a day ---------------------------------------------------------

@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2024-06-10T11:30", H, "Mon 2024-06-10 13:30 +03"),
        ("2024-06-10T11:00", H, "Mon 2024-06-10 13:00 +03"),  # lands on the lunch closing
        ("2024-06-10T12:30", 30 * M, "Mon 2024-06-10 13:30 +03"),
    ],
)
def test_lunch_break(start, duration, expected):
    assert local(LUNCH, LUNCH.add(at(LUNCH, start), duration)) == expected


def test_lunch_break_elapsed_and_open():
    assert LUNCH.elapsed(at(LUNCH, "2024-06-10T10:00"), at(LUNCH, "2024-06-10T14:00")) == 3 * H
    assert not LUNCH.is_open(at(LUNCH, "2024-06-10T12:30"))


# ---- Tehran: Saturday–Wednesday 09–17, Iranian holidays -----------------------------

@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Thursday and Friday are the weekend
        ("2024-06-06T10:00", H, "Sat 2024-06-08 10:00 +0330"),
        # Oil Nationalization Day (19 March) and Nowruz (20–23 March 2024); Sunday works
        ("2024-03-18T16:00", 2 * H, "Sun 2024-03-24 10:00 +0330"),
        ("2024-06-08T09:00", 40 * H, "Sat 2024-06-15 09:00 +0330"),
    ],
)
def test_tehran_deadlines(start, duration, expected):
    assert local(TEHRAN, TEHRAN.add(at(TEHRAN, start), duration)) == expected


def test_tehran_week_and_nowruz():
    assert not TEHRAN.is_open(at(TEHRAN, "2024-06-07T10:00"))  # a Friday
    assert TEHRAN.is_open(at(TEHRAN, "2024-06-09T10:00"))  # a Sunday
    assert TEHRAN.elapsed(at(TEHRAN, "2024-06-08T09:00"), at(TEHRAN, "2024-06-12T17:00")) == 40 * H
    assert TEHRAN.day_info(date(2024, 3, 20)).holiday == "Nowruz"


# ---- Berlin: 24/7 and nights across both DST changes ---------------------------------

def test_berlin_247_days_are_23_and_25_hours():
    assert BERLIN_247.elapsed(at(BERLIN_247, "2024-03-31T00:00"), at(BERLIN_247, "2024-04-01T00:00")) == 23 * H
    assert BERLIN_247.elapsed(at(BERLIN_247, "2024-10-27T00:00"), at(BERLIN_247, "2024-10-28T00:00")) == 25 * H
    assert BERLIN_247.elapsed(at(BERLIN_247, "2024-06-01T00:00"), at(BERLIN_247, "2024-06-02T00:00")) == 24 * H


def test_berlin_247_add_is_real_time():
    assert local(BERLIN_247, BERLIN_247.add(at(BERLIN_247, "2024-03-31T01:00"), 2 * H)) == "Sun 2024-03-31 04:00 CEST"
    autumn = BERLIN_247.add(at(BERLIN_247, "2024-10-27T01:30"), 2 * H)
    assert autumn == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)  # 02:30 CET, the second one
    assert BERLIN_247.is_open(at(BERLIN_247, "2024-10-27T02:30"))
    assert BERLIN_247.next_close(at(BERLIN_247, "2024-10-27T02:30")) is None
    # a year-long add does not stop at the calendar's computed years
    assert BERLIN_247.add(at(BERLIN_247, "2024-12-31T12:00"), 24 * H) == at(BERLIN_247, "2025-01-01T12:00")


def test_berlin_nights_hold_7_and_9_hours_on_the_dst_nights():
    spring = BERLIN_NIGHTS.elapsed(at(BERLIN_NIGHTS, "2024-03-30T12:00"), at(BERLIN_NIGHTS, "2024-03-31T12:00"))
    autumn = BERLIN_NIGHTS.elapsed(at(BERLIN_NIGHTS, "2024-10-26T12:00"), at(BERLIN_NIGHTS, "2024-10-27T12:00"))
    normal = BERLIN_NIGHTS.elapsed(at(BERLIN_NIGHTS, "2024-06-01T12:00"), at(BERLIN_NIGHTS, "2024-06-02T12:00"))
    assert (spring, autumn, normal) == (7 * H, 9 * H, 8 * H)


def test_berlin_night_deadlines_cross_midnight_and_dst():
    start = at(BERLIN_NIGHTS, "2024-03-30T21:00")
    assert local(BERLIN_NIGHTS, BERLIN_NIGHTS.add(start, 7 * H - M)) == "Sun 2024-03-31 05:59 CEST"
    # seven hours end exactly at 06:00: the clock next moves at 22:00
    assert local(BERLIN_NIGHTS, BERLIN_NIGHTS.add(start, 7 * H)) == "Sun 2024-03-31 22:00 CEST"
    assert BERLIN_NIGHTS.is_open(at(BERLIN_NIGHTS, "2024-03-31T05:59"))
    assert not BERLIN_NIGHTS.is_open(at(BERLIN_NIGHTS, "2024-03-31T06:00"))


def test_an_interval_starting_in_the_spring_gap_moves_forward():
    cal = calendar("Europe/Berlin", {"sun": "02:30-05:00"})
    sunday = cal.elapsed(at(cal, "2024-03-31T00:00"), at(cal, "2024-03-31T12:00"))
    assert sunday == timedelta(hours=1, minutes=30)  # opens 03:30 CEST, not 02:30
    assert local(cal, cal.next_open(at(cal, "2024-03-31T00:00"))) == "Sun 2024-03-31 03:30 CEST"
    assert cal.elapsed(at(cal, "2024-03-24T00:00"), at(cal, "2024-03-24T12:00")) == timedelta(hours=2, minutes=30)


def test_an_interval_starting_in_the_autumn_overlap_takes_the_first():
    cal = calendar("Europe/Berlin", {"sun": "02:30-04:00"})
    assert cal.next_open(at(cal, "2024-10-27T00:00")) == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    # from the first 02:30 (CEST) to 04:00 CET is two and a half real hours
    assert cal.elapsed(at(cal, "2024-10-27T00:00"), at(cal, "2024-10-27T12:00")) == timedelta(hours=2, minutes=30)


# ---- closed dates and special hours -------------------------------------------------

def test_closed_dates_and_special_hours():
    closed = calendar("Europe/Istanbul", {"mon-fri": "09:00-18:00"}, closed_dates=frozenset({date(2024, 6, 12)}))
    assert local(closed, closed.add(at(closed, "2024-06-11T17:00"), 2 * H)) == "Thu 2024-06-13 10:00 +03"
    short = calendar("Europe/Istanbul", {"mon-fri": "09:00-18:00"}, special_hours=((date(2024, 6, 12), parse_hours("10:00-12:00")),))
    assert local(short, short.add(at(short, "2024-06-11T17:00"), 2 * H)) == "Wed 2024-06-12 11:00 +03"
    decree = calendar(
        "Europe/Istanbul", {"mon-fri": "09:00-18:00"}, holidays=HolidayRule("TR"), half_day_close=780,
        special_hours=((date(2024, 4, 10), parse_hours("10:00-14:00")),),
    )
    assert local(decree, decree.add(at(decree, "2024-04-09T12:00"), 2 * H)) == "Wed 2024-04-10 11:00 +03"
    assert decree.day_info(date(2024, 4, 10)).special


def test_a_calendar_that_is_never_open_is_refused():
    with pytest.raises(InvalidInput, match="is never open"):
        calendar("UTC", {})


def test_negative_durations_are_refused():
    with pytest.raises(InvalidInput, match="must not be negative"):
        ISTANBUL.add(at(ISTANBUL, "2024-06-10T10:00"), -H)


# ---- parsing hours and days ---------------------------------------------------------

def test_parse_hours():
    assert parse_hours("22:00-06:00") == (Hours(22 * 60, 30 * 60),)
    assert parse_hours("00:00-24:00") == (Hours(0, 1440),)
    assert parse_hours(["13:00-18:00", "09:00-12:00"]) == (Hours(540, 720), Hours(780, 1080))
    assert parse_hours("closed") == ()
    assert str(Hours(22 * 60, 30 * 60)) == "22:00-06:00"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("9-5", "cannot read hours"), ("25:00-26:00", "no such time"), ("09:00-12:00, 11:00-13:00", "overlap"), ("10:00-10:00", "24 h")],
)
def test_parse_hours_refusals(text, fragment):
    with pytest.raises(InvalidInput, match=fragment):
        parse_hours(text)


def test_parse_days():
    assert parse_days("sat-wed") == (5, 6, 0, 1, 2)
    assert parse_days("mon,wed") == (0, 2)
    assert parse_days("daily") == tuple(range(7))
    assert parse_days("Friday") == (4,)
    with pytest.raises(InvalidInput, match="unknown weekday 'funday'"):
        parse_days("funday")


# ---- properties over random calendars -----------------------------------------------

ZONES = ("Europe/Berlin", "Europe/Istanbul", "Asia/Tehran", "America/New_York", "UTC")


@st.composite
def calendars(draw):
    days = []
    for _ in range(7):
        count = draw(st.integers(0, 2))
        cuts = sorted(draw(st.lists(st.integers(0, 47), min_size=2 * count, max_size=2 * count, unique=True)))
        days.append(tuple(Hours(cuts[i] * 30, cuts[i + 1] * 30) for i in range(0, len(cuts), 2)))
    if draw(st.booleans()):  # sometimes an overnight interval on one day
        day = draw(st.integers(0, 6))
        if not days[day] or days[day][-1].end <= 20 * 60:
            days[day] = (*days[day], Hours(22 * 60, 30 * 60))
    if not any(days):
        days[0] = (Hours(9 * 60, 17 * 60),)
    holidays = draw(st.sampled_from([None, HolidayRule("TR"), HolidayRule("DE", "BE")]))
    return Calendar(CalendarSpec("random", draw(st.sampled_from(ZONES)), tuple(days), holidays))


instants = st.integers(
    int(datetime(2023, 1, 1, tzinfo=UTC).timestamp()), int(datetime(2026, 12, 31, tzinfo=UTC).timestamp())
).map(lambda ts: datetime.fromtimestamp(ts, UTC))
durations = st.integers(0, 200 * 3600).map(lambda s: timedelta(seconds=s))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(calendars(), instants, durations)
def test_elapsed_undoes_add(cal, start, duration):
    assert cal.elapsed(start, cal.add(start, duration)) == duration


@SETTINGS
@given(calendars(), instants, durations, durations)
def test_add_is_monotone(cal, start, d1, d2):
    small, large = sorted((d1, d2))
    assert cal.add(start, small) <= cal.add(start, large)


@SETTINGS
@given(calendars(), instants, durations, durations)
def test_add_composes(cal, start, a, b):
    assert cal.add(start, a + b) == cal.add(cal.add(start, a), b)


@SETTINGS
@given(calendars(), instants, instants, instants)
def test_elapsed_is_additive(cal, a, b, c):
    assert cal.elapsed(a, c) == cal.elapsed(a, b) + cal.elapsed(b, c)


def _brute_force_open_minutes(cal: Calendar, start: datetime, minutes: int) -> int:
    """Count open minutes by looking at each minute's local wall time: no UTC spans used."""
    zone = ZoneInfo(cal.spec.timezone)
    count = 0
    for i in range(minutes):
        local_time = (start + timedelta(minutes=i)).astimezone(zone)
        minute = local_time.hour * 60 + local_time.minute
        today = cal.spec.week[local_time.weekday()]
        yesterday = cal.spec.week[(local_time.weekday() - 1) % 7]
        if any(h.start <= minute < h.end for h in today) or any(minute + 1440 < h.end for h in yesterday):
            count += 1
    return count


@settings(max_examples=60, deadline=None)
@given(
    calendars().filter(lambda c: c.spec.holidays is None and c.spec.timezone in ("Europe/Istanbul", "Asia/Tehran", "UTC")),
    st.integers(0, 3 * 365 * 24 * 60).map(lambda m: datetime(2023, 1, 1, tzinfo=UTC) + timedelta(minutes=m)),
    st.integers(1, 3 * 24 * 60),
)
def test_elapsed_matches_a_minute_by_minute_count(cal, start, minutes):
    expected = _brute_force_open_minutes(cal, start, minutes)
    assert cal.elapsed(start, start + timedelta(minutes=minutes)) == timedelta(minutes=expected)
