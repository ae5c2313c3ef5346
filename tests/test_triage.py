"""`supportdesk triage` and escalation: order, flags, on-call header, JSON, idempotence."""

from __future__ import annotations

import json

import pytest

from conftest import Cli, api

NOW = "2024-06-10T15:00"  # a Monday, in office hours (Istanbul)


@pytest.fixture
def queue(cli) -> Cli:
    """Tickets in every triage situation on the hosting-general desk (made through the API)."""
    from supportdesk import CloseReason

    with api(cli) as do:
        do.agents("ayse", "burak", "cem", "deniz")
        # 1 critical, breached 1 h ago (respond_by 14:00)
        do.file(now="2024-06-10T13:00", subject="Site down", priority="critical")
        # 2 high, breached 30 min ago (respond_by 14:30)
        do.file(now="2024-06-10T12:30", subject="Mail down", priority="high")
        # 3 normal, due 16:00 (in 1 h): at risk (less than 25 % of 4 h left)
        do.file(now="2024-06-10T12:00", subject="Slow site", priority="normal", department="technical")
        # 4 critical, due 15:50: not at risk yet (50 of 60 min used? no: 10 min used)
        do.file(now="2024-06-10T14:50", subject="Panel down", priority="critical", customer="bob@example.com")
        # 5 low, due tomorrow
        do.file(now="2024-06-10T14:00", subject="Question", priority="low", department="billing")
        # 6 normal, due 16:00 like #3 but younger: after #3 (same deadline, same rank, age)
        do.file(now="2024-06-10T12:00", subject="Slow site too", priority="normal")
        # 7 pending: the resolution clock is stopped: last
        seven = do.file(now="2024-06-10T09:00", subject="Waiting", priority="high")
        do.at("2024-06-10T09:30").reply(seven, "Send logs")
        do.at("2024-06-10T09:31").wait(seven)
        # 8 closed: not in the queue
        eight = do.file(now="2024-06-10T09:00", subject="Done", priority="critical")
        do.at("2024-06-10T09:10").close_tickets([eight], CloseReason.RESOLVED)
        do.at("2024-06-10T12:40").assign(2, "ayse")
        do.at("2024-06-10T14:55").assign(4, "me")
    return cli


def test_triage_orders_breached_then_deadline_then_priority_then_age(queue):
    data = queue.json("triage", now=NOW)
    assert [(t["rank"], t["id"], t["state"]) for t in data["tickets"]] == [
        (1, 1, "breached"), (2, 2, "breached"), (3, 4, "ok"), (4, 3, "at-risk"), (5, 6, "at-risk"), (6, 5, "ok"), (7, 7, "none"),
    ]
    assert data["counts"] == {"open": 7, "breached": 2, "at_risk": 2, "unassigned": 5}
    first = data["tickets"][0]
    assert first["due_kind"] == "respond" and first["due_at"] == "2024-06-10T11:00:00Z"
    assert data["at"] == "2024-06-10T12:00:00Z"


def test_triage_json_carries_the_on_call_block(queue):
    data = queue.json("triage", now=NOW)
    assert data["on_call"] == [
        {"layer": "office", "active": True, "people": ["ayse", "burak", "cem"], "override": None},
        {"layer": "on-duty", "active": False, "people": [], "override": None},
        {"layer": "management", "active": True, "people": ["cem"], "override": None},
    ]
    night = queue.json("triage", now="2024-06-10T22:00")
    assert {d["layer"]: d["people"] for d in night["on_call"] if d["active"]} == {"on-duty": ["ayse"], "management": ["cem"]}


def test_triage_table_has_header_rows_and_no_colour_when_piped(queue):
    out = queue.ok("triage", now=NOW, env={"COLUMNS": "120"}).stdout
    assert "\x1b[" not in out
    lines = out.splitlines()
    assert lines[0] == "Hosting General — triage at Mon 10 Jun 2024 15:00 +03"
    assert lines[1] == "On call: office: ayse, burak, cem; management: cem"
    assert lines[2] == "7 open · 2 breached · 2 at risk · 5 unassigned"
    rows = [line for line in lines[4:] if line.strip()]
    assert rows[0].split()[:3] == ["#", "ID", "Priority"]
    assert "14:00 breached 1h ago" in rows[1] and "Site down" in rows[1]
    assert "15:50 in 50m" in rows[3] and "tester" in rows[3]
    assert "paused" in rows[7]


def test_triage_fits_80_columns(queue):
    out = queue.ok("triage", now=NOW, env={"COLUMNS": "80", "LINES": "25", "TERM": "dumb", "TTY_COMPATIBLE": "1"}).stdout
    assert max(len(line) for line in out.splitlines()) <= 80


def test_triage_filters(queue):
    ids = lambda *args: [t["id"] for t in queue.json("triage", *args, now=NOW)["tickets"]]  # noqa: E731
    assert ids("--department", "billing") == [5]
    assert ids("--mine") == [4]
    assert ids("--unassigned") == [1, 3, 6, 5, 7]
    assert ids("--breaching-within", "1h") == [1, 2, 4, 3, 6]
    assert ids("--breaching-within", "0") == [1, 2]
    assert ids("--limit", "2") == [1, 2]
    assert queue.json("triage", "--department", "billing", now=NOW)["counts"]["open"] == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--department", "legal"], "unknown department 'legal'"),
        (["--mine", "--unassigned"], "choose one of --mine and --unassigned"),
        (["--limit", "0"], "--limit must be 1 or more"),
        (["--breaching-within", "soon"], "cannot read duration 'soon'"),
        (["--watch", "--json"], "--watch shows a live table; leave out --json"),
        (["--watch", "0.1"], "--watch needs at least 1 second"),
        (["--watch", "often"], "--watch takes seconds"),
    ],
)
def test_triage_refusals(queue, args, fragment):
    queue.refused(2, fragment, "triage", *args, now=NOW)


def test_triage_shows_intake_flags(queue):
    import sqlite3

    conn = sqlite3.connect(queue.path)
    conn.execute("UPDATE tickets SET flags = ? WHERE id = 1", [json.dumps(["duplicate-of-#6", "missing-info"])])
    conn.commit()
    conn.close()
    assert queue.json("triage", now=NOW)["tickets"][0]["flags"] == ["duplicate-of-#6", "missing-info"]
    assert "duplicate-of-#6" in queue.ok("triage", now=NOW, env={"COLUMNS": "140"}).stdout


def test_triage_watch_redraws_until_ctrl_c(queue, monkeypatch):
    import time

    calls = []

    def sleep(seconds):
        calls.append(seconds)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", sleep)
    result = queue("triage", "--watch", now=NOW)
    assert result.exit_code == 0, result.output
    assert calls == [10.0, 10.0]
    assert "Hosting General — triage" in result.stdout


def test_watch_without_seconds_takes_the_default():
    from supportdesk.cli.app import expand_watch

    assert expand_watch(["triage", "--watch"]) == ["triage", "--watch", "10"]
    assert expand_watch(["triage", "--watch", "--limit", "5"]) == ["triage", "--watch", "10", "--limit", "5"]
    assert expand_watch(["triage", "--watch", "3"]) == ["triage", "--watch", "3"]


def test_an_empty_queue(cli):
    out = cli.ok("triage", now=NOW).stdout
    assert "0 open · 0 breached · 0 at risk · 0 unassigned" in out and "Nothing in the queue." in out


# ---- escalation --------------------------------------------------------------------------


def test_manual_escalation_assigns_the_person_on_call_at_that_level(queue):
    data = queue.json("escalate", "3", "--to", "management", "--reason", "customer threatens to leave", now=NOW)
    assert (data["escalation_level"], data["assignee"]) == (2, "cem")
    event = [e for e in data["events"] if e["kind"] == "escalate"][0]["details"]
    assert event["before"] == {"level": 0, "assignee": None}
    assert event["after"] == {"level": 2, "level_name": "management", "assignee": "cem"}
    assert event["reason"] == "customer threatens to leave" and event["automatic"] is False
    outbox = [o for o in queue.json("outbox", now=NOW) if o["recipient"].startswith("agent:")]
    assert [(o["recipient"], o["kind"], o["ticket_id"]) for o in outbox] == [("agent:cem", "escalation", 3)]


def test_escalation_to_the_engineer_at_night_goes_to_the_on_duty_rota(queue):
    data = queue.json("escalate", "5", "--to", "engineer", "--reason", "needs a root shell", now="2024-06-10T22:00")
    assert data["assignee"] == "ayse"  # on duty the week of 10 June 2024


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["3", "--to", "ceo", "--reason", "x"], 2, "unknown escalation level 'ceo'; this policy has: support, engineer, management"),
        (["3", "--to", "engineer"], 2, "say why with --reason TEXT"),
        (["3", "--to", "support", "--reason", "x"], 1, "ticket #3 is already at level support"),
        (["8", "--to", "engineer", "--reason", "x"], 1, "ticket #8 is resolved: reopen it before escalating"),
        (["3"], 2, "give a ticket and a level"),
        (["3", "--auto"], 2, "--auto escalates every breached ticket; leave out ID"),
        (["3", "--to", "engineer", "--reason", "x", "--dry-run"], 2, "--dry-run, --yes, --stdin and filters go with --auto"),
    ],
)
def test_escalation_refusals(queue, args, code, fragment):
    queue.refused(code, fragment, "escalate", *args, now=NOW)


def test_auto_escalation_is_idempotent(queue):
    preview = queue.json("escalate", "--auto", "--dry-run", now=NOW)
    before = queue.dump()
    assert [e["id"] for e in preview["changed"]] == [1, 2] and preview["dry_run"]
    assert queue.dump() == before
    result = queue.json("escalate", "--auto", now=NOW)
    assert [(e["id"], e["after"]["level_name"], e["after"]["assignee"]) for e in result["changed"]] == [
        (1, "engineer", "burak"), (2, "engineer", "cem"),
    ]
    assert result["notifications"] == 2
    one = queue.json("show", "1", now=NOW)
    assert one["escalation_level"] == 1 and one["respond_breached_at"] == "2024-06-10T11:00:00Z"
    settled = queue.dump()
    again = queue.json("escalate", "--auto", now="2024-06-10T15:05")
    assert again["changed"] == [] and queue.dump() == settled
    # a new breach (the resolution deadline) escalates once more
    queue.ok("reply", "1", "-m", "On it", now="2024-06-10T15:10")
    later = queue.json("escalate", "--auto", now="2024-06-10T17:30")
    # #2 is still breached on the same deadline: not again; #1's resolution deadline (17:00)
    # is a new breach; #4, #3 and #6 breached their first-response deadlines meanwhile.
    assert [e["id"] for e in later["changed"]] == [4, 3, 6, 1]
    assert queue.json("show", "1", now="2024-06-10T17:30")["escalation_level"] == 2


def test_auto_escalation_stops_at_the_top_level(queue):
    queue.ok("escalate", "1", "--to", "management", "--reason", "already with the boss", now=NOW)
    result = queue("escalate", "--auto", "--json", now=NOW)
    assert result.exit_code == 5, result.output  # some tickets were left as they were
    assert json.loads(result.stdout)["skipped"] == [{"id": 1, "why": "already at the top level (management)"}]
    text = queue("escalate", "--auto", now=NOW).stderr
    assert "escalated 0 ticket(s); 0 notification(s) queued; skipped 1 (#1 already at the top level (management))" in text


def test_a_policy_without_escalation_levels(bare_cli):
    bare_cli.ok("init", now="2024-06-10T09:00")
    bare_cli.refused(3, "this policy defines no escalation levels", "escalate", "--auto", now=NOW)
