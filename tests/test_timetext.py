"""Parsing instants and durations, and showing them in local time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportdesk.errors import InvalidInput
from supportdesk.timetext import (
    compact_duration,
    format_duration,
    format_local,
    parse_duration,
    parse_instant,
    relative,
    to_utc_text,
)

BERLIN = ZoneInfo("Europe/Berlin")
ISTANBUL = ZoneInfo("Europe/Istanbul")
TEHRAN = ZoneInfo("Asia/Tehran")
NOW = datetime(2024, 3, 30, 12, 0, tzinfo=UTC)  # a Saturday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10m", timedelta(minutes=10)),
        ("4h", timedelta(hours=4)),
        ("1h30m", timedelta(minutes=90)),
        ("1h 30m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(days=7)),
        ("45s", timedelta(seconds=45)),
        ("0", timedelta(0)),
        ("PT4H", timedelta(hours=4)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("pt10m", timedelta(minutes=10)),
    ],
)
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "4", "4x", "h4", "1h-2m", "PXYZ", "P1M", "-3h"])
def test_bad_durations_say_what_works(text):
    with pytest.raises(InvalidInput, match="e.g. 10m, 4h|no fixed length"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2024-06-07T17:00", ISTANBUL, "2024-06-07T14:00:00Z"),
        ("2024-06-07 17:00", ISTANBUL, "2024-06-07T14:00:00Z"),
        ("2024-06-07T17:00:00Z", ISTANBUL, "2024-06-07T17:00:00Z"),
        ("2024-06-07T17:00+02:00", ISTANBUL, "2024-06-07T15:00:00Z"),
        ("2024-06-07", TEHRAN, "2024-06-06T20:30:00Z"),
        ("20240607T1700", BERLIN, "2024-06-07T15:00:00Z"),
        # spring gap in Berlin: 02:30 does not exist and moves forward to 03:30 CEST
        ("2024-03-31T02:30", BERLIN, "2024-03-31T01:30:00Z"),
        # autumn overlap: 02:30 happens twice; the first (CEST) is taken
        ("2024-10-27T02:30", BERLIN, "2024-10-27T00:30:00Z"),
        ("now", BERLIN, "2024-03-30T12:00:00Z"),
        ("-2h", BERLIN, "2024-03-30T10:00:00Z"),
        ("+30m", BERLIN, "2024-03-30T12:30:00Z"),
        ("2h ago", BERLIN, "2024-03-30T10:00:00Z"),
        ("in 1d", BERLIN, "2024-03-31T12:00:00Z"),
        ("today 09:00", BERLIN, "2024-03-30T08:00:00Z"),
        ("tomorrow 9:00", BERLIN, "2024-03-31T07:00:00Z"),  # after the change: CEST
        ("yesterday 17:00", BERLIN, "2024-03-29T16:00:00Z"),
        ("fri 17:30", BERLIN, "2024-04-05T15:30:00Z"),
        ("last fri 17:30", BERLIN, "2024-03-29T16:30:00Z"),
        ("sat 10:00", BERLIN, "2024-03-30T09:00:00Z"),
        ("next saturday", BERLIN, "2024-04-05T22:00:00Z"),
    ],
)
def test_instants(text, zone, expected):
    assert to_utc_text(parse_instant(text, zone, NOW)) == expected


@pytest.mark.parametrize("text", ["", "teatime", "2024-13-01", "fri 25:00", "someday 10:00", "next today"])
def test_bad_instants_say_what_works(text):
    with pytest.raises(InvalidInput):
        parse_instant(text, BERLIN, NOW)


def test_local_display_uses_the_zone_abbreviation():
    winter = datetime(2024, 1, 15, 12, tzinfo=UTC)
    summer = datetime(2024, 7, 15, 12, tzinfo=UTC)
    assert format_local(winter, BERLIN) == "Mon 15 Jan 2024 13:00 CET"
    assert format_local(summer, BERLIN) == "Mon 15 Jul 2024 14:00 CEST"
    assert format_local(summer, ISTANBUL) == "Mon 15 Jul 2024 15:00 +03"
    assert format_local(summer, TEHRAN) == "Mon 15 Jul 2024 15:30 +0330"
    assert format_local(None, BERLIN) == "-"


def test_relative_phrases():
    assert relative(NOW + timedelta(hours=2, minutes=10), NOW) == "in 2 h 10 min"
    assert relative(NOW - timedelta(minutes=35), NOW) == "35 min ago"
    assert relative(NOW + timedelta(seconds=10), NOW) == "now"
    assert format_duration(timedelta(days=3, hours=4, minutes=59)) == "3 d 4 h"
    assert format_duration(timedelta(days=1, minutes=5)) == "1 d"
    assert format_duration(timedelta(seconds=42)) == "42 s"
    assert compact_duration(timedelta(days=2, hours=3)) == "2d3h"
    assert compact_duration(timedelta(hours=5)) == "5h"
    assert compact_duration(timedelta(minutes=50)) == "50m"
    assert compact_duration(timedelta(seconds=5)) == "5s"
