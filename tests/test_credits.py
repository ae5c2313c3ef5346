"""SLA credits (Hosting General: "Compensation is service credit by outage length, never
cash; a claim must be made by ticket within 7 days of the outage"): outages recorded on
services, a month's uptime against the package's guarantee, the credit the policy's table
owes for the longest claimed outage, the claim window, and the credit recorded once.

Months are the desk's local calendar months: Istanbul's October has 744 h, Berlin's 745 h
(the clocks go back on 25 Oct 2026) and Berlin's March 743 h. Hosting General's table:
from 1 h 5 %, from 4 h 10 %, from 12 h 25 %, from 24 h 50 % (of the monthly fee)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import EXAMPLES, HOSTING, Cli, api, new_desk

from supportdesk import credits as rules
from supportdesk.policy import load_policy
from supportdesk.policy_read import NOT_ACTED_ON

ISTANBUL, BERLIN = ZoneInfo("Europe/Istanbul"), ZoneInfo("Europe/Berlin")
OCTOBER_HOURS = 31 * 24  # 744 h in Istanbul (no DST since 2016)
TABLE = load_policy(HOSTING.read_text(encoding="utf-8"), "hg", verify_holidays=False).rules.sla_credit.table
H, MIN = timedelta(hours=1), timedelta(minutes=1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def october(zone=ISTANBUL) -> tuple[datetime, datetime]:
    return rules.month_bounds("2026-10", zone)


def outage(start: datetime, length: timedelta, outage_id: int = 1) -> rules.Outage:
    return rules.Outage(start, start + length, (outage_id,))


def assess(outages, guarantee=99.9, claimed_at=utc(2026, 10, 20, 7), zone=ISTANBUL, month="2026-10", within_days=7):
    start, end = rules.month_bounds(month, zone)
    return rules.assess(outages, start, end, guarantee=guarantee, table=TABLE, within_days=within_days, claimed_at=claimed_at)


# ---- the rules, by hand ------------------------------------------------------------------


def test_a_month_is_the_local_calendar_month_in_real_hours_across_dst():
    start, end = october()
    assert (start, end) == (utc(2026, 9, 30, 21), utc(2026, 10, 31, 21))  # local midnights, +03
    assert (end - start) == timedelta(hours=OCTOBER_HOURS)
    start, end = october(BERLIN)
    assert (start, end) == (utc(2026, 9, 30, 22), utc(2026, 10, 31, 23))  # CEST to CET
    assert end - start == timedelta(hours=745)
    march = rules.month_bounds("2026-03", BERLIN)
    assert march[1] - march[0] == timedelta(hours=743)
    december = rules.month_bounds("2026-12", ISTANBUL)
    assert december == (utc(2026, 11, 30, 21), utc(2026, 12, 31, 21))
    assert rules.month_of(utc(2026, 10, 31, 21, 30), ISTANBUL) == "2026-11"  # 00:30 local on 1 Nov
    assert rules.parse_month(" 2026-3 ") == "2026-03"
    for bad in ("2026-13", "2026/10", "October", "10-2026", "2026-00"):
        with pytest.raises(Exception, match="cannot read month"):
            rules.parse_month(bad)


def test_a_starter_month_with_50_minutes_down_misses_99_9_but_earns_nothing_below_the_first_row():
    # 44 640 min in October; 50 min down: 44 590 / 44 640 = 99.888 % < 99.9 %. The table
    # starts at 1 h, so a 50-minute outage earns no credit although the guarantee is missed.
    found = assess([outage(utc(2026, 10, 17, 7), 50 * MIN)])
    assert (found.month_seconds, found.downtime_seconds) == (OCTOBER_HOURS * 3600, 3000)
    assert found.uptime == Fraction(44590, 44640) * 100
    assert rules.floor_places(found.uptime, 4) == 99.8879 and rules.percent_text(found.uptime) == "99.887"
    assert found.met is False
    assert (found.reason, found.credit, found.row) == (rules.BELOW_TABLE, 0.0, None)


def test_a_starter_month_with_70_minutes_down_earns_the_first_row():
    # 70 min down: 44 570 / 44 640 = 99.843 %; the longest outage, 1 h 10 min, is in the
    # row from 1 h: 5 % of the monthly fee.
    found = assess([outage(utc(2026, 10, 17, 7), 70 * MIN)])
    assert rules.floor_places(found.uptime, 4) == 99.8431
    assert (found.met, found.reason, found.row, found.credit) == (False, None, (H, 5.0), 5.0)
    assert found.longest is not None and found.longest.in_month.seconds == 4200


def test_a_premium_month_within_its_guarantee_earns_nothing():
    # Premium guarantees 99.97 %: 13.39 min of a 744 h month. 10 min down: 99.9775 %.
    found = assess([outage(utc(2026, 10, 17, 7), 10 * MIN)], guarantee=99.97)
    assert rules.floor_places(found.uptime, 4) == 99.9775
    assert (found.met, found.reason, found.credit) == (True, rules.MET, 0.0)
    # Exactly at the guarantee is meeting it: 744 h × 0.03 % = 803.52 s.
    at_edge = assess([outage(utc(2026, 10, 17, 7), timedelta(seconds=803))], guarantee=99.97)
    assert at_edge.met is True
    over = assess([outage(utc(2026, 10, 17, 7), timedelta(seconds=804))], guarantee=99.97)
    assert (over.met, over.reason) == (False, rules.BELOW_TABLE)


def test_the_longest_single_outage_picks_the_row_not_the_total_downtime():
    # Three outages of 3 h (9 h in all): each is in the row from 1 h (5 %), not the row
    # from 4 h that the total would reach. A 5 h outage is in the row from 4 h (10 %).
    three = [outage(utc(2026, 10, d, 7), 3 * H, d) for d in (14, 15, 16)]
    found = assess(three)
    assert (found.downtime_seconds, found.credit) == (9 * 3600, 5.0)
    assert assess([*three, outage(utc(2026, 10, 18, 7), 5 * H, 18)]).credit == 10.0
    assert assess([outage(utc(2026, 10, 18, 7), 12 * H)]).credit == 25.0
    assert assess([outage(utc(2026, 10, 18, 7), 30 * H)], claimed_at=utc(2026, 10, 21)).credit == 50.0
    assert rules.table_row(59 * MIN, TABLE) is None and rules.table_row(4 * H, TABLE) == (4 * H, 10.0)


def test_outages_that_touch_are_one_outage():
    parts = [outage(utc(2026, 10, 17, 7), 40 * MIN, 1), outage(utc(2026, 10, 17, 7, 40), 40 * MIN, 2)]
    [one] = rules.merged(parts)
    assert (one.seconds, one.ids) == (80 * 60, (1, 2))
    assert assess(parts).credit == 5.0  # 1 h 20 min: the row from 1 h
    apart = [parts[0], outage(utc(2026, 10, 17, 7, 41), 40 * MIN, 2)]
    assert len(rules.merged(apart)) == 2 and assess(apart).reason == rules.BELOW_TABLE


def test_an_outage_across_the_month_boundary_counts_its_part_in_each_month():
    # Sat 31 Oct 22:00 to Sun 1 Nov 02:00 +03: 2 h in October, 2 h in November.
    crossing = outage(utc(2026, 10, 31, 19), 4 * H)
    claim = utc(2026, 11, 2, 7)
    in_october = assess([crossing], claimed_at=claim)
    in_november = assess([crossing], claimed_at=claim, month="2026-11")
    assert in_october.downtime_seconds == in_november.downtime_seconds == 7200
    assert in_november.month_seconds == 30 * 24 * 3600
    assert in_october.outages[0].in_month == rules.Outage(utc(2026, 10, 31, 19), utc(2026, 10, 31, 21), (1,))
    assert in_october.credit == in_november.credit == 5.0  # 2 h in each month
    # Outside the month it does not count at all.
    assert assess([crossing], claimed_at=claim, month="2026-09").reason == rules.NO_OUTAGE


def test_a_berlin_october_has_745_hours_in_its_uptime():
    # 3 h down: 1 - 3/745 = 99.5973 %; over 744 h it would be 99.5967 %.
    found = assess([outage(utc(2026, 10, 24, 23, 30), 3 * H)], zone=BERLIN, claimed_at=utc(2026, 10, 26))
    assert found.month_seconds == 745 * 3600
    assert rules.floor_places(found.uptime, 4) == 99.5973
    assert found.uptime == (1 - Fraction(3, 745)) * 100


def test_the_claim_window_counts_from_the_outages_end():
    ended = utc(2026, 10, 17, 8)
    gone = outage(utc(2026, 10, 17, 6), 2 * H)
    window = rules.claim_window(7)
    assert rules.left_out(gone, ended + timedelta(days=7), window) is None  # the last moment
    assert rules.left_out(gone, ended + timedelta(days=7, seconds=1), window) == rules.LATE
    assert rules.left_out(gone, ended - timedelta(seconds=1), window) == rules.NOT_OVER  # claimed while still down
    assert rules.left_out(gone, ended + timedelta(days=900), None) is None  # no window: any time
    # A late outage is left out of the claim but still counts in the month's uptime.
    late = outage(utc(2026, 10, 2, 7), 5 * H, 1)
    fresh = outage(utc(2026, 10, 17, 7), 70 * MIN, 2)
    found = assess([late, fresh])
    assert found.downtime_seconds == 5 * 3600 + 4200
    assert [o.reason for o in found.outages] == [rules.LATE, None]
    assert found.credit == 5.0  # the row of the 70-minute outage, not of the 5 h one
    assert assess([late]).reason == rules.NOT_CLAIMABLE


def test_without_a_guarantee_no_credit_is_owed():
    assert assess([outage(utc(2026, 10, 17, 7), 30 * H)], guarantee=None).reason == rules.NO_GUARANTEE
    assert assess([]).reason == rules.NO_OUTAGE and assess([]).uptime == 100


# ---- the desk through the CLI ------------------------------------------------------------

CREATED = "2026-09-01T09:00"


def make_desk(tmp_path: Path, policy: Path = HOSTING) -> Cli:
    """A desk of `policy` made on 1 Sep 2026 with ada (package starter) and two services:
    1, vps-ada, order #123456 (the customer's package, starter) and 2, shared, order #123457
    on premium."""
    path = tmp_path / "credits.db"
    new_desk(path, policy, now=CREATED)
    cli = Cli(path)
    with api(cli) as do:
        desk = do.at("2026-09-01T10:00")
        desk.add_customer("ada@example.com", package="starter")
        desk.add_customer("bob@example.com", package="premium")
        desk.add_service("ada@example.com", kind="vps", name="vps-ada", order="#123456")
        desk.add_service("ada@example.com", kind="shared", package="premium", order="123457")
        desk.add_service("bob@example.com", kind="dedicated", order="#555")
    return cli


@pytest.fixture
def desk(tmp_path) -> Cli:
    return make_desk(tmp_path)


def outages_of(cli: Cli, *spans: tuple[str, str, str], now: str = "2026-11-25T09:00") -> None:
    """Record (service, from, until) outages through the Python API."""
    with api(cli) as do:
        for service, start, end in spans:
            do.at(now).add_outage(service, started=start, ended=end)


def query(cli: Cli, sql: str) -> list[dict]:
    conn = sqlite3.connect(cli.path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def test_outage_add_records_an_outage_and_an_event(desk):
    result = desk.ok("outage", "add", "#123456", "--from", "2026-10-17T10:00", "--until", "2026-10-17T11:10", "--note", "disk failure", now="2026-10-17T12:00")
    assert result.stderr.strip() == "recorded outage 1 of service 1 (#123456) of ada@example.com: Sat 17 Oct 10:00 – 11:10 +03, 1 h 10 min"
    assert result.stdout == ""
    added = desk.json("outage", "add", "2", "--from", "2026-10-31T22:00", "--until", "2026-11-01T02:00+03:00", now="2026-11-02T09:00")
    assert added == {
        "id": 2, "service": 2, "order": "#123457", "customer": "ada@example.com", "started_at": "2026-10-31T19:00:00Z",
        "ended_at": "2026-10-31T23:00:00Z", "seconds": 14400, "note": None, "created_at": "2026-11-02T06:00:00Z", "created_by": "agent:tester",
    }
    [event] = query(desk, "SELECT kind, ticket_id, details FROM events WHERE kind = 'outage_added' AND details LIKE '%disk%'")
    assert json.loads(event["details"]) == {
        "customer": "ada@example.com", "service": 1, "order": "#123456", "outage": 1, "started_at": "2026-10-17T07:00:00Z",
        "ended_at": "2026-10-17T08:10:00Z", "note": "disk failure",
    }
    listed = desk.json("outage", "list", "--customer", "ada@example.com", "--month", "2026-11", now="2026-11-02T09:00")
    assert [o["id"] for o in listed] == [2]  # crosses into November
    assert [o["id"] for o in desk.json("outage", "list", "--month", "2026-10", now="2026-11-02T09:00")] == [1, 2]
    assert desk.json("outage", "list", "--service", "#555", now="2026-11-02T09:00") == []
    lines = desk.ok("outage", "list", now="2026-11-02T09:00").stdout.splitlines()
    assert lines[0].split() == ["Id", "Customer", "Service", "From", "Until", "Length", "Note"]
    assert "disk failure" in lines[1] and "1 h 10 min" in lines[1]


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["1", "--from", "2026-10-17T12:00", "--until", "2026-10-17T11:00"], 2, "--until Sat 17 Oct 2026 11:00 +03 is not after --from Sat 17 Oct 2026 12:00 +03"),
        (["1", "--from", "2026-10-17T12:00", "--until", "2026-10-17T12:00"], 2, "is not after --from"),
        (["1", "--from", "2026-10-20T09:00", "--until", "2026-10-20T11:00"], 2, "--until Tue 20 Oct 2026 11:00 +03 is after now (Tue 20 Oct 2026 10:00 +03); record an outage once it is over"),
        (["9", "--from", "2026-10-17T09:00", "--until", "2026-10-17T10:00"], 3, "no service 9 (nor order #9); `supportdesk service list` shows the services"),
        (["#9", "--from", "2026-10-17T09:00", "--until", "2026-10-17T10:00"], 3, "no order #9"),
        (["vps-ada", "--from", "2026-10-17T09:00", "--until", "2026-10-17T10:00"], 2, "'vps-ada' is not a service; give its id (e.g. 3) or its order number"),
        (["1", "--from", "last tuesdayish", "--until", "2026-10-17T10:00"], 2, "--from: cannot read time 'last tuesdayish'"),
        (["1", "--from", "2026-10-17T09:00", "--until", "2026-02-30T10:00"], 2, "--until: cannot read time"),
        (["1", "--from", "2026-10-17T09:00", "--until", "2026-10-17T10:00", "--note", "a\x1b[31mb"], 2, "--note contains the control character"),
        # Overlapping outage 1 (10:00–11:10) of the same service: refused, not merged.
        (["1", "--from", "2026-10-17T11:00", "--until", "2026-10-17T12:00"], 1, "outage 1 of service 1 (#123456) already covers Sat 17 Oct 2026 10:00 +03 – Sat 17 Oct 2026 11:10 +03; outages of a service may not overlap"),
        (["#123456", "--from", "2026-10-17T09:00", "--until", "2026-10-17T12:00"], 1, "already covers"),
    ],
)
def test_outage_add_refusals_are_one_line_and_change_nothing(desk, args, code, fragment):
    outages_of(desk, ("1", "2026-10-17T10:00", "2026-10-17T11:10"), now="2026-10-17T12:00")
    desk.refused(code, fragment, "outage", "add", *args, now="2026-10-20T10:00")


def test_touching_and_other_services_outages_are_not_overlaps(desk):
    outages_of(desk, ("1", "2026-10-17T10:00", "2026-10-17T11:10"), now="2026-10-17T12:00")
    desk.ok("outage", "add", "1", "--from", "2026-10-17T11:10", "--until", "2026-10-17T11:20", now="2026-10-20T10:00")
    desk.ok("outage", "add", "2", "--from", "2026-10-17T10:30", "--until", "2026-10-17T10:40", now="2026-10-20T10:00")
    claim = desk.json("sla", "credit", "ada@example.com", "--dry-run", now="2026-10-20T10:00")
    vps = claim["services"][0]
    assert vps["outages"] == [
        {"ids": [1, 2], "started_at": "2026-10-17T07:00:00Z", "ended_at": "2026-10-17T08:20:00Z", "seconds": 4800, "seconds_in_month": 4800, "claimed": True, "left_out": None}
    ]


def test_a_starter_claim_owes_the_tables_service_credit_never_cash(desk):
    # vps-ada (starter, the customer's package) down 1 h 10 min; the premium shared
    # service down 10 min (99.977 %, within its 99.97 %).
    outages_of(desk, ("#123456", "2026-10-17T10:00", "2026-10-17T11:10"), ("#123457", "2026-10-18T10:00", "2026-10-18T10:10"))
    result = desk.ok("sla", "credit", "ada@example.com", "--month", "2026-10", now="2026-10-20T10:00")
    assert result.stdout.splitlines() == [
        "ada@example.com — October 2026 (Europe/Istanbul, 744 h); claimed Tue 20 Oct 10:00 +03",
        "Claims are accepted within 7 days of an outage; the credit is service-credit, in percent of the monthly fee.",
        "",
        "service 1 (#123456, vps-ada), package starter (the customer's)",
        "  uptime    99.843 % of 99.9 % guaranteed — missed",
        "  downtime  1 h 10 min in 1 outage",
        "  outage    Sat 17 Oct 10:00 – 11:10 +03, 1 h 10 min — claimed",
        "  credit    5 % of the monthly fee as service-credit (the table's row from 1h: longest claimed outage 1 h 10 min) — recorded",
        "",
        "service 2 (#123457), package premium",
        "  uptime    99.977 % of 99.97 % guaranteed — met",
        "  downtime  10 min in 1 outage",
        "  outage    Sun 18 Oct 10:00 – 10:10 +03, 10 min — claimed",
        "  credit    none: the uptime meets the guarantee",
    ]
    assert result.stderr.strip() == "recorded 1 credit for ada@example.com in October 2026"
    [credit] = desk.json("sla", "credits", "ada@example.com", now="2026-10-20T10:05")
    assert credit == {
        "id": 1, "customer": "ada@example.com", "service": 1, "order": "#123456", "month": "2026-10", "zone": "Europe/Istanbul",
        "uptime": 99.8431, "guarantee": 99.9, "package": "starter", "month_seconds": 2678400, "downtime_seconds": 4200,
        "outage_seconds": 4200, "outage_started_at": "2026-10-17T07:00:00Z", "outage_ended_at": "2026-10-17T08:10:00Z",
        "credit_percent": 5.0, "form": "service-credit", "claimed_at": "2026-10-20T07:00:00Z", "ticket": None,
        "created_at": "2026-10-20T07:00:00Z", "created_by": "agent:tester",
    }
    # Never cash: a percentage in the policy's form, no amount, no currency.
    text = result.stdout + desk.ok("sla", "credits", now="2026-10-20T10:05").stdout
    assert not any(word in text.lower() for word in ("cash", "$", "€", "₺", " tl", "amount", "price"))
    assert not any(key in json.dumps(credit) for key in ("amount", "price", "cash", "money"))
    [event] = query(desk, "SELECT ticket_id, details FROM events WHERE kind = 'sla_credit'")
    assert event["ticket_id"] is None
    assert json.loads(event["details"]) == {
        "customer": "ada@example.com", "service": 1, "order": "#123456", "month": "2026-10", "credit": 1, "credit_percent": 5.0,
        "form": "service-credit", "uptime": 99.8431, "guarantee": 99.9, "outage_seconds": 4200, "claimed_at": "2026-10-20T07:00:00Z",
    }


def test_the_claims_json_names_the_form_and_percent_and_why_nothing_is_owed(desk):
    # vps-ada down 50 min: 99.888 % misses 99.9 %, but 50 min is below the table's 1 h.
    outages_of(desk, ("1", "2026-10-17T10:00", "2026-10-17T10:50"))
    claim = desk.json("sla", "credit", "ada@example.com", "--month", "2026-10", "--dry-run", now="2026-10-20T10:00")
    assert {k: claim[k] for k in ("customer", "month", "zone", "month_start", "month_end", "month_seconds", "claimed_at", "ticket", "claim_within_days", "form", "dry_run", "new_credits")} == {
        "customer": "ada@example.com", "month": "2026-10", "zone": "Europe/Istanbul", "month_start": "2026-09-30T21:00:00Z",
        "month_end": "2026-10-31T21:00:00Z", "month_seconds": 2678400, "claimed_at": "2026-10-20T07:00:00Z", "ticket": None,
        "claim_within_days": 7, "form": "service-credit", "dry_run": True, "new_credits": 0,
    }
    vps, shared = claim["services"]
    assert {k: vps[k] for k in ("service", "package", "package_from", "guarantee", "uptime", "met", "downtime_seconds", "table_row", "credit_percent", "form", "owed", "reason", "state")} == {
        "service": 1, "package": "starter", "package_from": "customer", "guarantee": 99.9, "uptime": 99.8879, "met": False,
        "downtime_seconds": 3000, "table_row": None, "credit_percent": 0.0, "form": "service-credit", "owed": False,
        "reason": "below-table", "state": "none",
    }
    assert (shared["package_from"], shared["reason"], shared["uptime"], shared["outages"]) == ("service", "no-outage", 100.0, [])
    shown = desk.ok("sla", "credit", "ada@example.com", "--month", "2026-10", now="2026-10-20T10:00")
    assert "  credit    none: the longest claimed outage is shorter than the table's first row (1h)" in shown.stdout
    assert shown.stderr.strip() == "no credit owed to ada@example.com for October 2026"
    assert query(desk, "SELECT count(*) AS n FROM credits") == [{"n": 0}]


def test_a_dry_run_records_nothing_and_a_credit_is_recorded_once(desk):
    outages_of(desk, ("1", "2026-10-17T10:00", "2026-10-17T15:00"))
    before = desk.dump()
    ahead = desk.json("sla", "credit", "ada@example.com", "--dry-run", now="2026-10-20T10:00")
    assert ahead["services"][0]["state"] == "would-record" and ahead["services"][0]["credit_percent"] == 10.0
    assert desk.dump() == before
    first = desk.json("sla", "credit", "ada@example.com", now="2026-10-20T10:00")  # --month: the claim's month
    assert first["month"] == "2026-10" and first["services"][0]["state"] == "recorded"
    assert first["services"][0]["credit"]["credit_percent"] == 10.0
    desk.refused(
        1, "the October 2026 credit of service 1 (#123456) was already recorded on Tue 20 Oct 2026 10:00 +03 (10 %); "
        "`supportdesk sla credits ada@example.com` lists ada@example.com's credits",
        "sla", "credit", "ada@example.com", "--month", "2026-10", now="2026-10-21T10:00",
    )
    desk.refused(1, "already recorded", "sla", "credit", "ada@example.com", "--dry-run", now="2026-10-21T10:00")
    # A new owed credit on another service is recorded beside it; the first is shown as is.
    outages_of(desk, ("2", "2026-10-21T10:00", "2026-10-21T11:30"), now="2026-10-22T09:00")
    again = desk.json("sla", "credit", "ada@example.com", now="2026-10-22T10:00")
    assert [s["state"] for s in again["services"]] == ["already-recorded", "recorded"]
    assert [(c["service"], c["credit_percent"]) for c in desk.json("sla", "credits", now="2026-10-22T10:00")] == [(1, 10.0), (2, 5.0)]


def test_a_claim_after_the_window_is_refused_naming_the_window_and_the_outage(desk):
    outages_of(desk, ("1", "2026-10-09T10:00", "2026-10-09T12:00"), ("2", "2026-10-02T10:00", "2026-10-02T12:00"))
    desk.refused(
        1,
        "claims are accepted within 7 days of an outage ([rules.sla_credit] claim_within_days), and the last outage of "
        "ada@example.com's services in October 2026 ended Fri 09 Oct 2026 12:00 +03, 7 days 22 h before the claim (Sat 17 Oct 2026 10:00 +03)",
        "sla", "credit", "ada@example.com", now="2026-10-17T10:00",
    )
    # At 11:59 on the 16th the last outage is still claimable; the earlier one is left out.
    claim = desk.json("sla", "credit", "ada@example.com", "--dry-run", now="2026-10-16T11:59")
    assert [o["left_out"] for s in claim["services"] for o in s["outages"]] == [None, "late"]
    shown = desk.ok("sla", "credit", "ada@example.com", "--dry-run", now="2026-10-16T11:59").stdout
    assert "  outage    Fri 02 Oct 10:00 – 12:00 +03, 2 h — left out: it ended more than 7 days before the claim" in shown


def test_a_claim_made_by_ticket_counts_from_the_tickets_filing(desk):
    outages_of(desk, ("1", "2026-10-17T10:00", "2026-10-17T12:00"))
    with api(desk) as do:
        ticket = do.file("2026-10-20T09:00", customer="ada@example.com", subject="SLA claim", department="billing")
        others = do.file("2026-10-20T09:05", customer="bob@example.com", subject="Hello", department="billing")
    # Recorded on 3 Nov, two weeks after the outage, for the claim filed on 20 Oct.
    claim = desk.json("sla", "credit", "ada@example.com", "--month", "2026-10", "--ticket", f"#{ticket}", now="2026-11-03T10:00")
    assert (claim["claimed_at"], claim["ticket"], claim["services"][0]["state"]) == ("2026-10-20T06:00:00Z", ticket, "recorded")
    assert desk.json("sla", "credits", now="2026-11-03T10:00")[0]["ticket"] == ticket
    log = desk.json("log", str(ticket), now="2026-11-03T10:00")
    assert "sla_credit" in [e["kind"] for e in log]
    desk.refused(2, f"ticket #{others} is bob@example.com's, not ada@example.com's", "sla", "credit", "ada@example.com", "--month", "2026-10", "--ticket", str(others), now="2026-11-03T10:00")
    desk.refused(3, "no ticket #99", "sla", "credit", "ada@example.com", "--ticket", "99", now="2026-11-03T10:00")
    desk.refused(1, "already recorded", "sla", "credit", "ada@example.com", "--month", "2026-10", now="2026-11-03T10:00")


def test_without_the_ticket_the_claim_is_made_now(desk):
    outages_of(desk, ("1", "2026-10-17T10:00", "2026-10-17T12:00"))
    desk.refused(1, "ended Sat 17 Oct 2026 12:00 +03, 16 days 22 h before the claim (Tue 03 Nov 2026 10:00 +03)", "sla", "credit", "ada@example.com", "--month", "2026-10", now="2026-11-03T10:00")


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["zed@example.com"], 3, "no customer zed@example.com"),
        (["ada@example.com", "--month", "2026-13"], 2, "cannot read month '2026-13'; give YYYY-MM, e.g. 2026-10"),
        (["ada@example.com", "--month", "2026-12"], 2, "--month 2026-12: December 2026 had not begun by the claim"),
        (["ada@example.com", "--month", "2026-09"], 1, "no outage of ada@example.com's services is recorded in September 2026 (Europe/Istanbul); nothing to claim"),
        (["ada@example.com", "--ticket", "x"], 2, "'x' is not a ticket number"),
        (["carl@example.com"], 1, "carl@example.com has no services recorded"),
    ],
)
def test_claim_refusals(desk, args, code, fragment):
    outages_of(desk, ("1", "2026-10-17T10:00", "2026-10-17T12:00"))
    with api(desk) as do:
        do.at("2026-10-01T09:00").add_customer("carl@example.com")
    desk.refused(code, fragment, "sla", "credit", *args, now="2026-10-20T10:00")


def test_an_outage_still_going_on_at_the_claim_is_left_out(desk):
    outages_of(desk, ("1", "2026-10-17T10:00", "2026-10-17T12:00"))
    with api(desk) as do:
        ticket = do.file("2026-10-17T11:00", customer="ada@example.com", subject="Down!", department="technical", field="domain=ada.example")
    desk.refused(1, "had ended by the claim (Sat 17 Oct 2026 11:00 +03)", "sla", "credit", "ada@example.com", "--ticket", str(ticket), now="2026-10-18T10:00")


def test_the_crossing_outage_is_claimed_in_both_months(desk):
    outages_of(desk, ("1", "2026-10-31T22:00", "2026-11-01T03:00"), now="2026-11-02T09:00")
    october_claim = desk.json("sla", "credit", "ada@example.com", "--month", "2026-10", now="2026-11-02T10:00")
    november_claim = desk.json("sla", "credit", "ada@example.com", "--month", "2026-11", now="2026-11-02T10:00")
    assert [c["services"][0]["longest_claimed"]["seconds"] for c in (october_claim, november_claim)] == [7200, 10800]
    assert [c["services"][0]["credit_percent"] for c in (october_claim, november_claim)] == [5.0, 5.0]
    assert november_claim["month_seconds"] == 720 * 3600
    shown = desk.ok("outage", "list", now="2026-11-02T10:00").stdout
    assert "Sat 31 Oct 22:00 +03" in shown and "Sun 01 Nov 03:00 +03" in shown


def test_a_berlin_desk_counts_its_745_hour_october(tmp_path):
    policy = tmp_path / "berlin.toml"
    policy.write_text(HOSTING.read_text(encoding="utf-8").replace('timezone = "Europe/Istanbul"', 'timezone = "Europe/Berlin"'), encoding="utf-8")
    cli = make_desk(tmp_path, policy)
    # 01:30 CEST to 03:30 CET on 25 Oct, read in the desk's zone: 3 h, not 2 h.
    added = cli.json("outage", "add", "1", "--from", "2026-10-25T01:30", "--until", "2026-10-25T03:30", now="2026-10-26T09:00")
    assert (added["started_at"], added["ended_at"], added["seconds"]) == ("2026-10-24T23:30:00Z", "2026-10-25T02:30:00Z", 10800)
    claim = cli.json("sla", "credit", "ada@example.com", now="2026-10-26T09:00")
    assert (claim["zone"], claim["month_start"], claim["month_end"], claim["month_seconds"]) == (
        "Europe/Berlin", "2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z", 745 * 3600,
    )
    assert (claim["services"][0]["uptime"], claim["services"][0]["credit_percent"]) == (99.5973, 5.0)
    shown = cli.ok("outage", "list", now="2026-10-26T09:00").stdout
    assert "Sun 25 Oct 01:30 CEST" in shown and "Sun 25 Oct 03:30 CET" in shown


def test_a_policy_without_a_credit_table_refuses_claims(tmp_path):
    policy = tmp_path / "plain.toml"
    text = HOSTING.read_text(encoding="utf-8")
    start = text.index("[rules.sla_credit]")
    policy.write_text(text[:start] + text[text.index("# Seed silent on escalation"):], encoding="utf-8")
    cli = make_desk(tmp_path, policy)
    cli.refused(1, "this desk's policy has no SLA credit table ([rules.sla_credit] table)", "sla", "credit", "ada@example.com", now="2026-10-20T10:00")


def test_outages_and_credits_are_for_agents_only(desk, frozen_clock):
    with api(desk) as do:
        token = do.at("2026-10-01T09:00").issue_token("customer", "ada@example.com")["token"]
    env = {"SUPPORTDESK_TOKEN": token}
    for args in (["sla", "credit", "ada@example.com"], ["sla", "credits"], ["outage", "list"], ["outage", "add", "1", "--from", "-2h", "--until", "-1h"]):
        result = desk(*args, env=env)
        assert result.exit_code == 1, result.output
        assert "only the desk's agents may" in result.stderr


# ---- the policy says it acts on these keys now -------------------------------------------


def test_policy_check_no_longer_calls_the_credit_keys_not_acted_on(bare_cli, tmp_path):
    result = bare_cli.ok("policy", "check", str(HOSTING))
    assert NOT_ACTED_ON not in result.stdout and result.stdout == ""
    assert result.stderr.strip() == f"{HOSTING}: ok"
    desk = make_desk(tmp_path)
    explained = desk.ok("policy", "show", "--explain", now="2026-10-20T10:00").stdout
    lines = {key: [line for line in explained.splitlines() if key in line] for key in ("sla credit", "Uptime guarantee", "claim must be filed", "How compensation")}
    assert all(lines.values()), lines
    assert not any("Not acted on" in line for found in lines.values() for line in found)
    assert "# Uptime guarantee in percent, e.g. 99.95" in explained
    # INTROSERV's notifications.to is acted on too since the e-mail channel: no example warns.
    assert bare_cli.ok("policy", "check", str(EXAMPLES / "introserv.toml")).stdout == ""


# ---- the store -----------------------------------------------------------------------------


def test_a_new_desk_has_the_outages_and_credits_tables(tmp_path):
    from supportdesk.store import Store

    store = Store.create(tmp_path / "d.db")
    try:
        assert store.columns("outages") == ["id", "service_id", "started_at", "ended_at", "note", "created_at", "created_by"]
        assert store.columns("credits") == [
            "id", "customer_id", "service_id", "month", "zone", "month_seconds", "downtime_seconds", "uptime", "guarantee", "package",
            "outage_seconds", "outage_started_at", "outage_ended_at", "credit_percent", "form", "claimed_at", "ticket_id",
            "created_at", "created_by",
        ]
        assert "m008_credits" in store.schema_migrations()
    finally:
        store.close()


def test_the_credit_use_cases_helpers_are_not_shadowed_by_another_part_of_the_desk():
    # The desk's areas are mixins of one class: a private helper of the same name in
    # another area would silently replace this one's.
    from supportdesk.desk import Desk
    from supportdesk.desk.credits import Credits

    for name, value in vars(Credits).items():
        if callable(value) and not name.startswith("__"):
            assert getattr(Desk, name).__qualname__.startswith("Credits."), name
