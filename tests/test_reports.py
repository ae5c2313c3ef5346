"""Reports: `report sla`, `report volume` and `report agents` checked against figures worked
out by hand on a small desk in Berlin whose tickets cross the end of summer time (Sunday
25 October 2026, 03:00 CEST → 02:00 CET) and the end of a month in local time; scoped to
a reseller and a customer; unchanged by a stricter policy; and the HTML page as a
browser sees it (tests/test_reports_html.py)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import Cli, api, new_desk

POLICY = """
[desk]
name = "Berlin Desk"
timezone = "Europe/Berlin"
calendar = "office"

[calendars.office]
hours = { "mon-fri" = "09:00-17:00" }

[defaults]
priority = "normal"
department = "technical"
channel = "ticket"

[[priorities]]
name = "high"
respond = "2h"
resolve = "8h"
calendar = "office"

[[priorities]]
name = "normal"
respond = "4h"
resolve = "24h"

[[departments]]
name = "technical"

[[departments]]
name = "billing"

[[channels]]
name = "ticket"

[[packages]]
name = "gold"
"""

# The report's instant: Tue 3 Nov 2026 13:00 CET.
NOW = "2026-11-03T12:00:00Z"
SETUP = "2026-10-01T09:00"


def build(path: Path, policy_dir: Path) -> dict[str, int]:
    """The desk of the hand-worked figures; the ids of its tickets by letter.

    A  high (office hours, 2 h / 8 h business), ada (package gold), billing, ayse's:
       filed Fri 23 Oct 16:00 CEST; answered Mon 26 Oct 09:30 CET (1 h 30 min of office
       time: met; 66 h 30 min on the wall clock, one more than the local times say);
       resolved Mon 15:00 CET (7 h of office time, by 16:00: met; 72 h on the wall).
    B  normal (24/7, 4 h / 24 h): filed Sat 24 Oct 22:00 CEST; answered Sun 02:30 CET,
       5 h 30 min later (breached at 02:00 CEST = 00:00Z); pending from 03:00Z to 13:00Z
       (10 h); resolved Mon 26 Oct 05:00Z, by 06:00Z (met): 23 h of clock, 33 h on the wall.
    C  normal: filed Sat 31 Oct 23:30 CET (October); answered 2 h later (met); still open,
       its resolution overdue since Sun 1 Nov 23:30 CET.
    D  normal: filed Sun 1 Nov 00:30 CET (November, an hour after C); never answered:
       both clocks overdue.
    E  high: filed Mon 2 Nov 10:00 CET; answered 14:00 CET (4 h of office time: breached);
       closed as a duplicate at 16:00 CET (6 h: no resolution breach).
    F  normal, filed by the reseller's customer Tue 20 Oct 10:00 CEST; answered after 1 h
       (met); resolved after 48 h (breached at 24 h).
    """
    from supportdesk.model import CloseReason

    policy = policy_dir / "berlin.toml"
    policy.write_text(POLICY, encoding="utf-8")
    new_desk(path, policy, now=SETUP)
    ids: dict[str, int] = {}
    with api(path) as do:
        setup = do.at(SETUP)
        setup.add_agent("ayse")
        setup.add_customer("ada@example.com", package="gold")
        setup.add_reseller("ops@resell.example", name="Resell")
        setup.add_customer("shop@end.example", reseller="Resell")

        def file(letter: str, at: str, **fields: str) -> int:
            ids[letter] = do.file(at, subject=f"Ticket {letter}", body=f"What happened to {letter}", **fields)
            return ids[letter]

        f = file("F", "2026-10-20T08:00:00Z", customer="shop@end.example")
        do.at("2026-10-20T09:00:00Z").reply(f, "Looking")
        do.at("2026-10-22T08:00:00Z").close_tickets([f], CloseReason.RESOLVED)

        a = file("A", "2026-10-23T14:00:00Z", customer="ada@example.com", priority="high", department="billing")
        do.at("2026-10-23T14:05:00Z").assign(a, "ayse")
        b = file("B", "2026-10-24T20:00:00Z", customer="bob@example.com")
        do.at("2026-10-25T01:30:00Z").reply(b, "Looking")
        do.at("2026-10-25T03:00:00Z").wait(b)
        do.at("2026-10-25T13:00:00Z").resume(b)
        do.at("2026-10-26T05:00:00Z").close_tickets([b], CloseReason.RESOLVED)
        do.at("2026-10-26T08:30:00Z").reply(a, "Looking")
        do.at("2026-10-26T14:00:00Z").close_tickets([a], CloseReason.RESOLVED)

        c = file("C", "2026-10-31T22:30:00Z", customer="bob@example.com")
        do.at("2026-11-01T00:30:00Z").reply(c, "Looking")
        file("D", "2026-10-31T23:30:00Z", customer="carl@example.com")
        e = file("E", "2026-11-02T09:00:00Z", customer="dora@example.com", priority="high")
        do.at("2026-11-02T13:00:00Z").reply(e, "Looking")
        do.at("2026-11-02T15:00:00Z").close_tickets([e], CloseReason.DUPLICATE)
    return ids


@pytest.fixture
def berlin(tmp_path) -> Cli:
    cli = Cli(tmp_path / "berlin.db")
    cli.ids = build(cli.path, tmp_path)  # type: ignore[attr-defined]
    return cli


def clock(met, breached, running, overdue, no_deadline, met_pct, timed, business, calendar) -> dict:
    """A clock's expected figures; business and calendar as (median, p90) in seconds."""
    return {
        "met": met, "breached": breached, "running": running, "overdue": overdue, "no_deadline": no_deadline,
        "met_pct": met_pct, "timed": timed, "business_median": business[0], "business_p90": business[1],
        "calendar_median": calendar[0], "calendar_p90": calendar[1],
    }


H = 3600
# October: A, B, C, F. Response times (business / wall): A 1.5 h / 66.5 h, B 5.5 h / 5.5 h,
# C 2 h, F 1 h: medians (5.4+7.2)/2 ks and (7.2+19.8)/2 ks; p90 at rank 2.7 of 0..3.
OCTOBER = {
    "group": "2026-10",
    "tickets": 4,
    "respond": clock(3, 1, 0, 0, 0, 75.0, 4, (6300, 7200 + round(0.7 * (19800 - 7200))), (13500, 19800 + round(0.7 * (239400 - 19800)))),
    # Resolution: A 7 h / 72 h, B 23 h / 33 h, F 48 h / 48 h; C still running, overdue.
    "resolve": clock(2, 1, 1, 1, 0, 66.7, 3, (23 * H, 23 * H + round(0.8 * (48 - 23) * H)), (48 * H, 48 * H + round(0.8 * (72 - 48) * H))),
    "breaches": 2,
}
# November: D (both clocks overdue), E (response 4 h of office time: breached; closed as
# a duplicate after 6 h).
NOVEMBER = {
    "group": "2026-11",
    "tickets": 2,
    "respond": clock(0, 1, 1, 1, 0, 0.0, 1, (4 * H, 4 * H), (4 * H, 4 * H)),
    "resolve": clock(1, 0, 1, 1, 0, 100.0, 1, (6 * H, 6 * H), (6 * H, 6 * H)),
    "breaches": 1,
}
TOTAL = {
    "group": "total",
    "tickets": 6,
    # Response: 1 h, 1.5 h, 2 h, 4 h, 5.5 h (wall: 1 h, 2 h, 4 h, 5.5 h, 66.5 h).
    "respond": clock(3, 2, 1, 1, 0, 60.0, 5, (2 * H, 4 * H + round(0.6 * 1.5 * H)), (4 * H, round(5.5 * H + 0.6 * 61 * H))),
    # Resolution: 6 h, 7 h, 23 h, 48 h (wall: 6 h, 33 h, 48 h, 72 h).
    "resolve": clock(3, 1, 2, 2, 0, 75.0, 4, (15 * H, 23 * H + round(0.7 * 25 * H)), (round(40.5 * H), 48 * H + round(0.7 * 24 * H))),
    "breaches": 3,
}


def test_sla_by_month_matches_the_figures_worked_out_by_hand(berlin):
    report = berlin.json("report", "sla", "--by", "month", now=NOW)
    assert [g["group"] for g in report["groups"]] == ["2026-10", "2026-11"]
    october, november = report["groups"]
    assert october == OCTOBER
    assert november == NOVEMBER
    assert report["total"] == TOTAL
    assert {k: report[k] for k in ("report", "desk", "zone", "at", "since", "until", "by", "scope")} == {
        "report": "sla", "desk": "Berlin Desk", "zone": "Europe/Berlin", "at": NOW, "since": None, "until": None,
        "by": "month", "scope": None,
    }


def test_a_month_is_local_and_its_edge_moves_with_summer_time(berlin):
    # C was filed 23:30 CET on 31 October, D an hour later on 1 November: a month is a
    # local one. So is --since: 1 November starts at 23:00Z in Berlin after the change.
    november = berlin.json("report", "sla", "--since", "2026-11-01", now=NOW)
    assert november["since"] == "2026-10-31T23:00:00Z"
    assert november["total"]["tickets"] == 2 and november["groups"][0]["group"] == "all"
    assert november["total"]["respond"]["breached"] == 1 and november["total"]["respond"]["overdue"] == 1
    # --until with a date takes in that whole local day.
    october = berlin.json("report", "sla", "--since", "2026-10-01", "--until", "2026-10-31", now=NOW)
    assert october["until"] == "2026-10-31T23:00:00Z"
    assert {k: v for k, v in october["total"].items() if k != "group"} == {k: v for k, v in OCTOBER.items() if k != "group"}


def test_sla_by_other_groupings(berlin):
    groupings = ("priority", "package", "department", "agent", "reseller")
    by = {name: {g["group"]: g for g in berlin.json("report", "sla", "--by", name, now=NOW)["groups"]} for name in groupings}
    assert list(by["priority"]) == ["high", "normal"]  # by rank
    high, normal = by["priority"]["high"], by["priority"]["normal"]
    assert (high["tickets"], high["respond"]["met"], high["respond"]["breached"], high["respond"]["met_pct"]) == (2, 1, 1, 50.0)
    assert (normal["tickets"], normal["respond"]["met"], normal["respond"]["breached"], normal["respond"]["overdue"]) == (4, 2, 1, 1)
    assert high["resolve"]["business_median"] == round((6 + 7) / 2 * H)
    assert list(by["package"]) == ["gold", "none"] and by["package"]["gold"]["tickets"] == 1
    assert {k: g["tickets"] for k, g in by["department"].items()} == {"billing": 1, "technical": 5}
    assert list(by["agent"]) == ["ayse", "unassigned"] and by["agent"]["ayse"]["respond"]["business_median"] == 1.5 * H
    assert {k: g["tickets"] for k, g in by["reseller"].items()} == {"ops@resell.example": 1, "direct": 5}
    assert by["reseller"]["ops@resell.example"]["resolve"]["breached"] == 1
    berlin.refused(2, "unknown grouping 'week'", "report", "sla", "--by", "week", now=NOW)


def test_sla_as_csv_has_a_header_and_a_row_per_group(berlin):
    out = berlin.ok("report", "sla", "--by", "month", "--csv", now=NOW).stdout
    rows = list(csv.reader(io.StringIO(out)))
    header, october, november = rows
    assert header[:5] == ["group", "tickets", "breaches", "respond_met", "respond_breached"]
    assert len(header) == 3 + 2 * 11 and "resolve_calendar_p90" in header
    figures = dict(zip(header, october, strict=True))
    assert figures["group"] == "2026-10" and figures["respond_met_pct"] == "75.0"
    assert figures["respond_calendar_p90"] == str(OCTOBER["respond"]["calendar_p90"])
    assert dict(zip(header, november, strict=True))["respond_met_pct"] == "0.0"


def test_sla_for_people_shows_each_clock_with_times_and_a_total(berlin):
    out = berlin.ok("report", "sla", "--by", "month", now=NOW).stdout
    assert "Berlin Desk — SLA compliance" in out
    assert "All tickets, by month; as of Tue 03 Nov 2026 13:00 CET" in out
    lines = out.splitlines()
    first = lines.index("First response")
    assert lines[first + 1].split() == ["month", "tickets", "met", "%", "breached", "overdue", "median", "p90", "calendar", "median", "calendar", "p90"]
    # The median business response is 6 300 s; the wall-clock p90, 173 520 s.
    assert lines[first + 2].split() == ["2026-10", "4", "75.0", "%", "1", "0", "1h45m", "4h27m", "3h45m", "48h12m"]
    assert lines[first + 4].split()[:3] == ["total", "6", "60.0"]
    resolution = lines.index("Resolution")
    assert lines[resolution + 3].split()[:6] == ["2026-11", "2", "100.0", "%", "0", "1"]


def test_a_stricter_policy_leaves_an_old_months_figures_as_they_were(berlin, tmp_path):
    from supportdesk.model import CloseReason

    with api(berlin) as do:  # settle C and D, so that nothing of the two months still runs
        do.at("2026-11-05T12:00:00Z").close_tickets([berlin.ids["C"], berlin.ids["D"]], CloseReason.RESOLVED)
    later = "2026-11-10T12:00:00Z"
    before = berlin.json("report", "sla", "--by", "month", now=later)
    stricter = tmp_path / "stricter.toml"
    stricter.write_text(
        POLICY.replace('respond = "2h"', 'respond = "30m"').replace('respond = "4h"', 'respond = "1h"')
        .replace('resolve = "8h"', 'resolve = "1h"').replace('resolve = "24h"', 'resolve = "2h"')
        .replace('"09:00-17:00"', '"10:00-12:00"'),
        encoding="utf-8",
    )
    berlin.ok("policy", "apply", str(stricter), now=later)
    after = berlin.json("report", "sla", "--by", "month", now=later)
    assert after["groups"] == before["groups"] and after["total"] == before["total"]
    assert before["groups"][0]["respond"]["met"] == 3
    # The stricter policy is in force: a ticket filed now has an hour to be answered.
    with api(berlin) as do:
        new = do.file(later, subject="After the change")
    assert berlin.json("show", str(new), now=later)["respond_by"] == "2026-11-10T13:00:00Z"
    # The old tickets keep the targets they were filed under.
    explained = berlin.json("sla", "explain", str(berlin.ids["A"]), now=later)
    assert explained["clocks"]["respond"]["target"]["seconds"] == 7200


def test_clocks_stopped_before_the_desk_stamped_their_time_are_timed_as_they_ran(berlin, tmp_path):
    stamped = berlin.json("report", "sla", "--by", "month", now=NOW)
    conn = sqlite3.connect(berlin.path)  # as a desk upgraded from before migration 7 has them
    conn.execute("UPDATE tickets SET response_seconds = NULL, resolution_seconds = NULL")
    conn.commit()
    conn.close()
    assert berlin.json("report", "sla", "--by", "month", now=NOW) == stamped
    # Worked out in the calendars of the policy version that set their deadlines, not in
    # those of a later one with other office hours.
    other_hours = tmp_path / "other-hours.toml"
    other_hours.write_text(POLICY.replace('"09:00-17:00"', '"07:00-20:00"'), encoding="utf-8")
    berlin.ok("policy", "apply", str(other_hours), now=NOW)
    assert berlin.json("report", "sla", "--by", "month", now=NOW)["groups"] == stamped["groups"]


def test_volume_per_day_across_the_end_of_summer_time(berlin):
    report = berlin.json("report", "volume", "--by", "day", "--since", "2026-10-23", "--until", "2026-10-26", now=NOW)
    days = [(p["period"], p["start"], p["end"], p["filed"], p["closed"], p["backlog"]) for p in report["periods"]]
    assert days == [
        ("2026-10-23", "2026-10-22T22:00:00Z", "2026-10-23T22:00:00Z", 1, 0, 1),
        ("2026-10-24", "2026-10-23T22:00:00Z", "2026-10-24T22:00:00Z", 1, 0, 2),
        ("2026-10-25", "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", 0, 0, 2),  # 25 hours
        ("2026-10-26", "2026-10-25T23:00:00Z", "2026-10-26T23:00:00Z", 0, 2, 0),
    ]
    assert report["backlog_start"] == 0  # F was filed before and closed on 22 October
    assert report["total"] == {"filed": 2, "closed": 2, "backlog": 0}


def test_volume_per_week_from_the_first_ticket_until_now(berlin):
    report = berlin.json("report", "volume", now=NOW)
    weeks = [(p["period"], p["filed"], p["closed"], p["backlog"]) for p in report["periods"]]
    # D, filed on Sunday 1 November, belongs to the week from Monday 26 October.
    assert weeks == [("2026-10-19", 3, 1, 2), ("2026-10-26", 2, 2, 2), ("2026-11-02", 1, 1, 2)]
    assert report["since"] == "2026-10-19T22:00:00Z" and report["until"] == NOW
    assert report["total"] == {"filed": 6, "closed": 4, "backlog": 2}
    out = berlin.ok("report", "volume", "--csv", now=NOW).stdout.splitlines()
    assert out[0] == "period,start,end,filed,closed,backlog" and out[1].startswith("2026-10-19,2026-10-19T22:00:00Z,")


def test_agents(berlin):
    report = berlin.json("report", "agents", now=NOW)
    rows = {r["agent"]: r for r in report["agents"]}
    assert list(rows) == ["ayse", "tester", None]
    assert rows["ayse"] == {
        "agent": "ayse", "active": True, "tickets": 1, "open": 0, "closed": 1, "overdue": 0, "breaches": 0,
        "respond_met_pct": 100.0, "resolve_met_pct": 100.0, "response_median": 5400, "resolution_median": 7 * H,
    }
    assert rows[None] == {
        "agent": None, "active": False, "tickets": 5, "open": 2, "closed": 3, "overdue": 3, "breaches": 3,
        "respond_met_pct": 50.0, "resolve_met_pct": 66.7, "response_median": 3 * H, "resolution_median": 23 * H,
    }
    assert rows["tester"]["tickets"] == 0 and rows["tester"]["respond_met_pct"] is None
    out = berlin.ok("report", "agents", now=NOW).stdout
    assert "unassigned" in out and "response met %" in out
    rows = list(csv.reader(io.StringIO(berlin.ok("report", "agents", "--csv", now=NOW).stdout)))
    assert rows[0][:3] == ["agent", "active", "tickets"]
    assert rows[1] == ["ayse", "1", "1", "0", "1", "0", "0", "100.0", "100.0", "5400", "25200"]
    assert rows[3][:3] == ["unassigned", "0", "5"] and rows[2][7:] == ["", "", "", ""]


def test_a_reseller_and_a_customer_see_only_their_own(berlin, frozen_clock):
    issued = {who: berlin.json("token", "issue", kind, who, now=SETUP)["token"] for kind, who in (("--reseller", "Resell"), ("--customer", "ada@example.com"))}
    frozen_clock(datetime(2026, 11, 3, 12, tzinfo=UTC))
    reseller = {"SUPPORTDESK_TOKEN": issued["Resell"]}
    mine = berlin.json("report", "sla", "--by", "month", env=reseller)
    assert mine["scope"] == "reseller:ops@resell.example"
    assert [(g["group"], g["tickets"]) for g in mine["groups"]] == [("2026-10", 1)]
    assert mine["total"]["resolve"]["breached"] == 1 and mine["total"]["respond"]["business_median"] == H
    volume = berlin.json("report", "volume", env=reseller)
    assert volume["total"] == {"filed": 1, "closed": 1, "backlog": 0}
    customer = berlin.json("report", "sla", env={"SUPPORTDESK_TOKEN": issued["ada@example.com"]})
    assert customer["total"]["tickets"] == 1 and customer["total"]["respond"]["business_median"] == 5400
    berlin.refused(1, "only the desk's agents may see tickets by agent", "report", "sla", "--by", "agent", env=reseller)
    berlin.refused(1, "only the desk's agents", "report", "agents", env=reseller)


def test_html_pages_of_every_report_are_whole_and_script_free(berlin, tmp_path):
    for name, extra in (("sla", ["--by", "month"]), ("volume", []), ("agents", [])):
        page = tmp_path / f"{name}.html"
        result = berlin.ok("report", name, *extra, "--html", str(page), now=NOW)
        assert f"wrote {page}" in result.stderr and result.stdout == ""
        text = page.read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>") and text.count("<svg") == 2
        assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/", "")
        assert "https://" not in text and "<link" not in text and " src=" not in text
    streamed = berlin.ok("report", "sla", "--html", "-", now=NOW).stdout
    assert streamed.startswith("<!DOCTYPE html>") and "Berlin Desk" in streamed


def test_text_from_outside_is_escaped_in_the_page(berlin, tmp_path):
    marked = tmp_path / "marked.toml"
    marked.write_text(POLICY.replace('name = "Berlin Desk"', 'name = "<script>alert(1)</script> & Co"'), encoding="utf-8")
    berlin.ok("policy", "apply", str(marked), now=NOW)
    berlin.ok("agent", "add", "<i>eve</i>", now=NOW)
    berlin.ok("assign", str(berlin.ids["D"]), "--to", "<i>eve</i>", now=NOW)
    page = tmp_path / "page.html"
    berlin.ok("report", "sla", "--by", "agent", "--html", str(page), now=NOW)
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text and "<i>" not in text
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co — SLA compliance</title>" in text
    assert text.count("&lt;i&gt;eve&lt;/i&gt;") >= 3  # the table's row and both charts' labels
    assert berlin.ok("report", "sla", "--by", "agent", "--html", "-", now=NOW).stdout == text  # the same page each time


def test_on_a_terminal_the_tables_have_bars(berlin):
    terminal = {"TTY_COMPATIBLE": "1", "COLUMNS": "100"}
    out = berlin.ok("report", "sla", "--by", "month", now=NOW, env=terminal).stdout
    assert "75.0 % ███████▌░░" in out and "calendar" in out
    assert "██████████" in berlin.ok("report", "agents", now=NOW, env=terminal).stdout
    days = berlin.ok("report", "volume", "--by", "day", now=NOW, env=terminal).stdout
    assert "2026-10-25" in days and "░░░░░░░░░░" in days


def test_report_options_are_checked(berlin):
    berlin.refused(2, "choose one of --json, --csv and --html", "report", "sla", "--json", "--csv", now=NOW)
    backwards = ("--since", "2026-10-02", "--until", "2026-10-01")
    berlin.refused(2, "--until ('2026-10-01') must come after --since ('2026-10-02')", "report", "sla", *backwards, now=NOW)
    berlin.refused(2, "--since: cannot read time", "report", "volume", "--since", "someday", now=NOW)
    berlin.refused(2, "unknown period 'month'", "report", "volume", "--by", "month", now=NOW)
    berlin.refused(2, "cannot write the page to", "report", "sla", "--html", str(berlin.path.parent / "nowhere" / "page.html"), now=NOW)


def test_an_empty_desk_reports_nothing_without_failing(tmp_path):
    policy_dir = tmp_path
    (policy_dir / "berlin.toml").write_text(POLICY, encoding="utf-8")
    new_desk(tmp_path / "empty.db", policy_dir / "berlin.toml", now=SETUP)
    cli = Cli(tmp_path / "empty.db")
    report = cli.json("report", "sla", "--by", "month", now=NOW)
    assert report["groups"] == [] and report["total"]["tickets"] == 0 and report["total"]["respond"]["met_pct"] is None
    assert cli.json("report", "volume", now=NOW)["periods"] == []
    assert "All tickets" in cli.ok("report", "sla", now=NOW).stdout
    assert json.loads(cli.ok("report", "agents", "--json", now=NOW).stdout)["agents"][0]["agent"] == "tester"


def test_only_a_page_brings_the_template_engine_and_the_charts(berlin, tmp_path):
    from test_cli_start import run_fresh

    code, modules, output = run_fresh(tmp_path, "--db", str(berlin.path), "report", "sla", "--by", "month", "--json")
    assert code == 0, output
    assert json.loads(output)["total"]["tickets"] == 6
    assert not {"jinja2", "pygal", "rich"} & modules
    code, modules, output = run_fresh(tmp_path, "--db", str(berlin.path), "report", "sla", "--html", str(tmp_path / "page.html"))
    assert code == 0, output
    assert {"jinja2", "pygal"} <= modules


# ---- the pure parts --------------------------------------------------------------------


def test_percentiles_interpolate_and_round_halves_up():
    from supportdesk.report import percentile

    assert percentile([[]], 50) is None
    assert percentile([[7]], 90) == 7
    assert percentile([[1, 2, 3, 4]], 50) == 3  # 2.5, rounded up
    assert percentile([[10, 20, 30, 40, 50]], 90) == 46  # rank 3.6: 40 + 0.6 × 10


def test_a_percentile_of_several_sorted_runs_is_that_of_all_their_values():
    from hypothesis import given
    from hypothesis import strategies as st

    from supportdesk.report import percentile

    @given(st.lists(st.lists(st.integers(0, 10**7), max_size=30), min_size=1, max_size=6), st.integers(0, 100))
    def same(runs, q):
        assert percentile([sorted(r) for r in runs], q) == percentile([sorted(v for r in runs for v in r)], q)

    same()


def test_local_months_and_offsets_follow_summer_time():
    from zoneinfo import ZoneInfo

    from supportdesk.report import month_ranges, offset_spans
    from supportdesk.timetext import to_utc_text

    berlin = ZoneInfo("Europe/Berlin")
    start, end = datetime(2026, 3, 15, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC)
    months = [(label, to_utc_text(a), to_utc_text(b)) for label, a, b in month_ranges(berlin, start, end)]
    assert months[0] == ("2026-03", "2026-03-15T00:00:00Z", "2026-03-31T22:00:00Z")  # April begins in summer time
    assert months[-2] == ("2026-10", "2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z")  # November in winter time
    assert months[-1] == ("2026-11", "2026-10-31T23:00:00Z", "2026-11-15T00:00:00Z")
    assert offset_spans(berlin, start, end) == [
        ("2026-03-15T00:00:00Z", 60), ("2026-03-29T01:00:00Z", 120), ("2026-10-25T01:00:00Z", 60),
    ]
    assert offset_spans(ZoneInfo("Asia/Tehran"), start, end) == [("2026-03-15T00:00:00Z", 210)]


def test_long_work_shows_a_progress_bar_on_a_terminal_only(monkeypatch):
    from supportdesk.cli import report as report_cli

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    with report_cli.progress_bar() as progress:
        assert progress is None  # the tests' standard error is no terminal
    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    with report_cli.progress_bar() as progress:
        assert progress is not None
        progress(1, 13)
        progress(13, 13)
    assert "reading tickets" in screen.getvalue()


# ---- the README documents every field ----------------------------------------------------


def _documented() -> dict[str, dict[str, dict[str, str]]]:
    """The README's `### supportdesk report … --json` tables: command -> part of the output
    (named in code by the paragraph above the table, e.g. `groups[]`; "" for the output
    itself) -> field -> type."""
    import re

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Reports\n", 1)[1].split("\n## ", 1)[0]
    found: dict[str, dict[str, dict[str, str]]] = {}
    command, caption, table = "", "", None
    for line in [*section.splitlines(), ""]:
        if line.startswith("### "):
            command, caption = re.match(r"### `supportdesk report (\w+) --json`", line)[1], ""
            found[command] = {}
        elif line.startswith("|"):
            table = [] if table is None else table
            table.append([c.strip() for c in line.strip("|").split(" | ")])
        elif table is not None:
            spans = re.findall(r"`([^`]+)`", caption)
            parts = spans if caption.startswith("`") and all(re.fullmatch(r"[a-z_]+(\[\])?(\.[a-z_]+)?", s) for s in spans) else [""]
            for part in parts:
                found[command][part] = {name.strip("`"): kind for name, kind, _ in table[2:]}
            table, caption = None, ""
        elif line.strip() and command:
            caption = line.strip() if not caption else f"{caption} {line.strip()}"
    return found


def _values(data, part: str) -> list[dict]:
    """The objects at a part of a report's JSON: `groups[].respond`, `total`, … ("": all of it)."""
    values = [data]
    for step in filter(None, part.split(".")):
        name, many = step.removesuffix("[]"), step.endswith("[]")
        values = [v for value in values for v in (value[name] if many else [value[name]])]
    return values


def test_the_readme_documents_every_field_of_the_reports_json(berlin):
    kinds = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "object": dict, "list of objects": list, "null": type(None)}
    documented = _documented()
    assert set(documented) == {"sla", "volume", "agents"}
    for command, args in (("sla", ["--by", "month"]), ("volume", []), ("agents", [])):
        data = berlin.json("report", command, *args, now=NOW)
        for part, fields in documented[command].items():
            for value in _values(data, part):
                assert set(value) == set(fields), (command, part, set(value) ^ set(fields))
                for name, kind in fields.items():
                    allowed = tuple(kinds[k] for k in kind.split(" or "))
                    assert isinstance(value[name], allowed) and not (isinstance(value[name], bool) and bool not in allowed), (command, part, name)
