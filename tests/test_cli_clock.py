"""`supportdesk clock` and `supportdesk oncall` as a user runs them."""

from __future__ import annotations

import json

import pytest

from conftest import Cli, api

TEHRAN_FILE = """
[desk]
timezone = "Asia/Tehran"
calendar = "office"

# Saturday–Wednesday 09:00–17:00, Iranian public holidays
[calendars.office]
hours = { "sat-wed" = "09:00-17:00" }
holidays = "IR"
"""
# The commands below act on Fri 7 Jun 2024 at noon unless a test says otherwise.
NOW = "2024-06-07T12:00"


def test_the_done_when_deadlines(cli):
    assert cli.ok("clock", "add", "1h", "--from", "2024-06-07T17:00", now=NOW).stdout.strip() == "Mon 10 Jun 2024 09:00 +03"
    assert cli.ok("clock", "add", "1h", "--from", "2024-06-14T17:00", now=NOW).stdout.strip() == "Thu 20 Jun 2024 09:00 +03"


def test_clock_add_json_and_default_start(cli):
    data = cli.json("clock", "add", "90m", now="2024-06-07T17:00")
    assert data == {
        "calendar": "office",
        "from": "2024-06-07T14:00:00Z",
        "duration_seconds": 5400,
        "deadline": "2024-06-10T06:30:00Z",
        "deadline_local": "Mon 10 Jun 2024 09:30 +03",
    }


def test_clock_add_on_the_always_open_calendar(cli):
    out = cli.ok("clock", "add", "PT4H", "--from", "2024-06-07T17:00", "--calendar", "always", now=NOW).stdout
    assert out.strip() == "Fri 07 Jun 2024 21:00 +03"


def test_clock_open_says_until_when(cli):
    out = cli.ok("clock", "open", now="2024-06-07T17:00").stdout
    assert "office (Europe/Istanbul) is open at Fri 07 Jun 2024 17:00 +03; closes Fri 07 Jun 2024 18:00 +03 (in 1 h)" in out
    closed = cli.ok("clock", "open", "--at", "2024-06-15T11:00", now="2024-06-15T11:00").stdout
    assert "is closed at Sat 15 Jun 2024 11:00 +03; opens Thu 20 Jun 2024 09:00 +03 (in 4 d 22 h)" in closed
    assert "Sat 15 Jun 2024 is a half day: Eid al-Adha (from 1pm)" in closed
    data = cli.json("clock", "open", "--at", "2024-06-17T10:00", now="2024-06-15T11:00")
    assert data["open"] is False and data["holiday"] == "Eid al-Adha" and data["opens_at"] == "2024-06-20T06:00:00Z"


def test_clock_between(cli):
    assert cli.ok("clock", "between", "2024-04-08T09:00", "2024-04-15T10:00", now=NOW).stdout.strip() == "14 h"
    assert cli.ok("clock", "between", "2024-04-15T10:00", "2024-04-08T09:00", now=NOW).stdout.strip() == "-14 h"
    assert cli.json("clock", "between", "2024-06-10T09:00", "2024-06-10T11:30", now=NOW)["open_seconds"] == 9000


def test_clock_week_marks_holidays_and_half_days(cli):
    out = cli.ok("clock", "week", "--from", "2024-04-08", now=NOW).stdout
    assert "Tue 09 Apr" in out and "09:00-13:00" in out and "half day: Eid al-Fitr" in out
    assert "·········█████████······" in out  # Monday 09–18
    days = cli.json("clock", "week", "--from", "2024-04-08", now=NOW)["days"]
    assert [d["open_minutes"] for d in days] == [540, 240, 0, 0, 0, 0, 0]
    assert days[2]["holiday"] == "Eid al-Fitr"


def test_clock_from_a_calendar_file_needs_no_desk(bare_cli, tmp_path):
    path = tmp_path / "tehran.toml"
    path.write_text(TEHRAN_FILE)
    out = bare_cli.ok("clock", "add", "2h", "--from", "2024-03-18T16:00", "--calendar-file", str(path), now=NOW).stdout
    assert out.strip() == "Sun 24 Mar 2024 10:00 +0330"
    assert not bare_cli.path.exists()


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["clock", "add", "4x"], 2, "cannot read duration '4x'; e.g. 10m, 4h"),
        (["clock", "add", "1h", "--from", "someday"], 2, "cannot read time 'someday'"),
        (["clock", "add", "1h", "--calendar", "night"], 2, "unknown calendar 'night'; this policy has: office, always, 24/7"),
        (["clock", "between", "2024-01-01", "soon"], 2, "cannot read time 'soon'"),
        (["clock", "open", "--calendar-file", "missing.toml"], 2, "no policy file at missing.toml"),
        (["oncall", "schedule", "--days", "0"], 2, "--days must be between 1 and 366"),
    ],
)
def test_clock_refusals(cli, args, code, fragment):
    cli.refused(code, fragment, *args, now=NOW)


def test_a_broken_calendar_file_points_at_the_line(cli, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('[calendars.office]\nhours = { "mon-fri" = "9-5" }\n')
    line = cli.refused(2, "cannot read hours '9-5'", "clock", "open", "--calendar-file", str(path), now=NOW)
    assert f"{path}:2: calendars.office.hours.mon-fri:" in line


# ---- on-call ---------------------------------------------------------------------------


@pytest.fixture
def staffed(cli) -> Cli:
    with api(cli) as do:
        do.agents("ayse", "burak", "cem", "deniz")
    return cli


def test_oncall_now_names_the_team_in_hours_and_the_on_duty_outside(staffed):
    inside = staffed.ok("oncall", "now", now="2024-06-07T15:00").stdout
    assert "office      ayse, burak, cem" in inside
    assert "on-duty     off duty" in inside
    assert "management  cem" in inside
    outside = staffed.json("oncall", "now", now="2024-06-07T20:00")
    layers = {layer["layer"]: layer for layer in outside["layers"]}
    assert layers["on-duty"] == {"layer": "on-duty", "active": True, "people": ["burak"], "override": None, "until": "2024-06-10T06:00:00Z"}
    assert layers["office"]["active"] is False


def test_oncall_next_and_schedule(staffed):
    out = staffed.ok("oncall", "next", now="2024-06-07T20:00").stdout
    assert "Mon 10 Jun 2024 09:00 +03 (in 2 d 13 h): office → ayse, burak, cem" in out
    plan = staffed.json("oncall", "schedule", "--days", "3", "--from", "2024-06-07T12:00", now="2024-06-07T20:00")
    assert [(p["at"], p["layer"], p["people"]) for p in plan][:5] == [
        ("2024-06-07T09:00:00Z", "office", ["ayse", "burak", "cem"]),
        ("2024-06-07T09:00:00Z", "on-duty", []),
        ("2024-06-07T09:00:00Z", "management", ["cem"]),
        ("2024-06-07T15:00:00Z", "office", []),
        ("2024-06-07T15:00:00Z", "on-duty", ["burak"]),
    ]
    table = staffed.ok("oncall", "schedule", "--days", "1", "--from", "2024-06-07T12:00", now="2024-06-07T20:00").stdout
    assert "Fri 07 Jun 2024 18:00 +03  on-duty     burak" in table


def test_overrides_are_stored_listed_used_and_removed(staffed):
    added = staffed.json(
        "oncall", "override", "add", "cem", "--layer", "on-duty", "--from", "2024-06-07T18:00",
        "--until", "2024-06-08T09:00", "--reason", "burak at a wedding", now="2024-06-07T12:00",
    )
    assert (added["id"], added["person"], added["starts_at"]) == (1, "cem", "2024-06-07T15:00:00Z")
    now = staffed.ok("oncall", "now", now="2024-06-07T20:00").stdout
    assert "cem (override)" in now
    assert [o["id"] for o in staffed.json("oncall", "override", "list", now="2024-06-07T20:00")] == [1]
    assert staffed.json("oncall", "override", "list", now="2024-06-09T00:00") == []
    assert len(staffed.json("oncall", "override", "list", "--all", now="2024-06-09T00:00")) == 1
    staffed.ok("oncall", "override", "remove", "1", now="2024-06-07T13:00")
    assert "burak" in staffed.ok("oncall", "now", now="2024-06-07T20:00").stdout
    kinds = [e["kind"] for e in staffed.json("log", now="2024-06-07T20:00") if e["ticket_id"] is None]
    assert kinds[-2:] == ["oncall_override", "oncall_override_removed"]


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["zeki", "--layer", "on-duty"], 3, "no agent 'zeki'"),
        (["cem", "--layer", "night"], 2, "unknown on-call layer 'night'; this policy has: office, on-duty, management"),
        (["cem", "--layer", "on-duty", "--until", "2024-06-07T10:00"], 2, "must end after it starts"),
    ],
)
def test_override_refusals(staffed, args, code, fragment):
    argv = ["oncall", "override", "add", *args]
    if "--until" not in args:
        argv += ["--until", "2024-06-08T09:00"]
    argv += ["--from", "2024-06-07T18:00"]
    staffed.refused(code, fragment, *argv, now="2024-06-07T12:00")


def test_override_in_the_past_and_unknown_removal_are_refused(staffed):
    staffed.refused(
        2, "would end in the past", "oncall", "override", "add", "cem", "--layer", "on-duty",
        "--from", "2024-06-01T18:00", "--until", "2024-06-02T09:00", now="2024-06-07T12:00",
    )
    staffed.refused(3, "no on-call override 9", "oncall", "override", "remove", "9", now="2024-06-07T12:00")


def test_a_policy_without_oncall_says_so(bare_cli):
    bare_cli.ok("init", now="2024-06-07T09:00")
    bare_cli.refused(3, "this policy defines no on-call", "oncall", "now", now="2024-06-07T12:00")
    out = bare_cli.ok("clock", "open", now="2024-06-07T12:00").stdout
    assert "24/7 (UTC) is open" in out and "open 24/7" in out


def test_clock_json_outputs_are_json(cli):
    for args in (["clock", "open"], ["clock", "week"], ["clock", "add", "1h"], ["clock", "between", "1d ago", "now"]):
        json.loads(cli.ok(*args, "--json", now=NOW).stdout)
