"""Time refusals quote what the user typed as typed (not lower-cased, not re-formatted)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from supportdesk.clock import parse_days
from supportdesk.errors import InvalidInput
from supportdesk.timetext import parse_duration, parse_instant

NOW = datetime(2024, 3, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["clock", "add", "4X"], "cannot read duration '4X'"),
        (["clock", "add", "4H1"], "cannot read duration '4H1'"),
        (["clock", "add", "99999999999999999999H"], "duration '99999999999999999999H' is too long"),
        (["clock", "add", "P1Y"], "duration 'P1Y' uses years or months"),
        (["clock", "add", "Pt4X"], "cannot read ISO 8601 duration 'Pt4X'"),
        (["clock", "add", "4H", "--from", "FRI 25:00"], "no such time of day in 'FRI 25:00'; use 00:00 to 23:59"),
        (["clock", "add", "4H", "--from", "Someday"], "cannot read time 'Someday'"),
        (["clock", "between", "Last Fri 9:00", "In 99999999999D"], "time 'In 99999999999D' is out of range"),
    ],
)
def test_cli_refusals_quote_the_input_as_typed(cli, args, fragment):
    cli.refused(2, fragment, *args, now="2024-03-30T15:00")  # NOW, in the desk's zone


def test_upper_case_input_is_still_read():
    assert parse_duration("4H") == parse_duration("4h")
    assert parse_instant("FRI 17:30", ZoneInfo("Europe/Berlin"), NOW) == parse_instant("fri 17:30", ZoneInfo("Europe/Berlin"), NOW)


def test_weekdays_are_quoted_as_typed():
    with pytest.raises(InvalidInput, match="unknown weekday 'Funday'"):
        parse_days("Mon, Funday")
    assert parse_days("Mon-FRI") == (0, 1, 2, 3, 4)


def test_a_bad_hour_quotes_the_whole_instant():
    with pytest.raises(InvalidInput) as refused:
        parse_instant("Next Fri 24:30", ZoneInfo("Europe/Berlin"), NOW)
    assert str(refused.value) == "no such time of day in 'Next Fri 24:30'; use 00:00 to 23:59, e.g. fri 17:30"


def test_a_deadline_too_far_quotes_the_duration_as_typed(bare_cli, tmp_path):
    path = tmp_path / "sparse.toml"
    path.write_text('[desk]\ntimezone = "UTC"\ncalendar = "office"\n\n[calendars.office]\nhours = { "sun" = "00:00-00:01" }\n')
    bare_cli.refused(
        2, "error: '36500D' of open time on calendar 'office' from Thu 01 Jan 2026 00:00 UTC would end after the year 9998",
        "clock", "add", "36500D", "--calendar-file", str(path), now="2026-01-01",
    )
