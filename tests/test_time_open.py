"""`clock open` on a calendar that is open around the clock and never closes again."""

from __future__ import annotations

from datetime import UTC, date, datetime

from supportdesk.clock import Calendar, CalendarSpec, Hours

ALWAYS_BUT_ONCE = """
[desk]
timezone = "Europe/Istanbul"
calendar = "office"

[calendars.office]
hours = { "daily" = "00:00-24:00" }
closed_dates = ["{closed}"]
"""


def _file(tmp_path, closed: str) -> str:
    path = tmp_path / "always.toml"
    path.write_text(ALWAYS_BUT_ONCE.replace("{closed}", closed))
    return str(path)


def test_open_now_and_never_closing_says_so(bare_cli, tmp_path):
    path = _file(tmp_path, "2020-01-01")
    result = bare_cli("clock", "open", "--calendar-file", path, now="2026-11-20T10:00")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "office (Europe/Istanbul) is open at Fri 20 Nov 2026 10:00 +03; never closes (no closed date or holiday ahead)"
    )
    data = bare_cli.json("clock", "open", "--calendar-file", path, now="2026-11-20T10:00")
    assert data["open"] is True and data["closes_at"] is None and data["opens_at"] is None


def test_a_closed_date_far_ahead_is_still_found(bare_cli, tmp_path):
    path = _file(tmp_path, "2060-01-01")
    data = bare_cli.json("clock", "open", "--calendar-file", path, now="2026-11-20T10:00")
    assert data["closes_at"] == "2059-12-31T21:00:00Z"


def test_on_the_closed_date_it_opens_the_next_day_and_then_never_closes(bare_cli, tmp_path):
    path = _file(tmp_path, "2026-11-20")
    out = bare_cli.ok("clock", "open", "--calendar-file", path, now="2026-11-20T10:00").stdout
    assert "is closed at Fri 20 Nov 2026 10:00 +03; opens Sat 21 Nov 2026 00:00 +03" in out
    assert "never closes" in bare_cli.ok("clock", "open", "--calendar-file", path, now="2026-11-21T10:00").stdout


def test_next_close_is_none_when_every_exception_lies_behind():
    whole = (Hours(0, 720), Hours(720, 1440))  # two halves touching: still never closed
    spec = CalendarSpec("x", "Europe/Berlin", (whole,) * 7, special_hours=((date(2021, 5, 1), (Hours(0, 600),)),))
    cal = Calendar(spec)
    assert cal.next_close(datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) is None
    assert cal.next_close(datetime(2021, 4, 30, 12, tzinfo=UTC)) == datetime(2021, 5, 1, 8, 0, tzinfo=UTC)
