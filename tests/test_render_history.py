"""History in words: `log`, `show`'s History and `sla explain` say each event as a short
sentence in the desk's local time, never as Python values or UTC ISO text."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from conftest import Cli, api, instant

# What must never reach a person: Python reprs and stored UTC text.
PYTHON_REPRS = re.compile(r"[{}\[\]]|'|\bNone\b|\bTrue\b|\bFalse\b")
UTC_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _what_column(out: str) -> list[str]:
    """The table's lines without the header."""
    return [line.rstrip() for line in out.splitlines()[1:] if line.strip()]


def _assert_readable(text: str) -> None:
    assert not PYTHON_REPRS.search(text), PYTHON_REPRS.search(text).group(0) + "\n" + text
    assert not UTC_TEXT.search(text), text


@pytest.fixture
def story(cli) -> tuple[Cli, str]:
    """A critical ticket's whole life, out of hours, on the hosting-general desk (Istanbul)."""
    from supportdesk import CloseReason

    with api(cli) as do:
        do.agents("ayse", "burak", "cem", "deniz")
        ticket = do.file(now="2026-11-20T23:00", subject="All sites down", priority="critical", channel="email")
        do.at("2026-11-20T23:05").assign(ticket, "burak")
        do.at("2026-11-20T23:10").reply(ticket, "Looking")
        do.at("2026-11-20T23:11").reply(ticket, "kernel panic", internal=True)
        do.at("2026-11-20T23:12").wait(ticket)
        do.at("2026-11-21T09:12").resume(ticket)
        do.at("2026-11-21T09:13").set_priority(ticket, "high", "one site only")
        do.at("2026-11-21T09:14").escalate(ticket, "engineer", "needs root")
        do.at("2026-11-21T10:00").close_tickets([ticket], CloseReason.DUPLICATE)
        do.at("2026-11-21T11:00").reopen(ticket)
    return cli, str(ticket)


def test_log_says_every_ticket_event_as_a_sentence_in_local_time(story):
    cli, ticket = story
    out = cli.ok("log", ticket, now="2026-11-22T11:00").stdout
    lines = _what_column(out)
    expected = [
        ("Fri 20 Nov 23:00 +03", "filed", "filed for ada@example.com: critical, technical, by e-mail (new customer)"),
        (
            "Fri 20 Nov 23:00 +03", "deadlines",
            "deadlines set: respond by Sat 21 Nov 23:00 +03 (channel email, 24 h), "
            "resolve by Sat 21 Nov 03:00 +03 (priority critical, 4 h); filed outside office hours",
        ),
        ("Fri 20 Nov 23:00 +03", "page", "paged deniz by sms"),
        ("Fri 20 Nov 23:05 +03", "assign", "assigned to burak (was nobody)"),
        ("Fri 20 Nov 23:10 +03", "reply", "first response to the customer; status new → open"),
        ("Fri 20 Nov 23:11 +03", "note", "added an internal note"),
        ("Fri 20 Nov 23:12 +03", "wait", "waiting on the customer (status open → pending); the resolution clock stops"),
        ("Sat 21 Nov 09:12 +03", "resume", "resumed (status pending → open) after 10 h paused; resolve by Sat 21 Nov 13:00 +03"),
        ("Sat 21 Nov 09:13 +03", "priority", "priority critical → high: one site only"),
        (
            "Sat 21 Nov 09:13 +03", "deadlines",
            "deadlines recomputed (priority critical → high): respond by Sat 21 Nov 23:00 +03 "
            "(channel email, 24 h), resolve by Sat 21 Nov 17:00 +03 "
            "(priority high, 8 h; was Sat 21 Nov 13:00 +03)",
        ),
        ("Sat 21 Nov 09:14 +03", "escalate", "escalated to engineer (deniz): needs root"),
        ("Sat 21 Nov 10:00 +03", "close", "closed as a duplicate (status open → closed)"),
        ("Sat 21 Nov 11:00 +03", "reopen", "reopened (status closed → open); it was closed as duplicate"),
    ]
    assert len(lines) == len(expected), out
    for line, (when, kind, what) in zip(lines, expected, strict=True):
        assert line.startswith(when), line
        assert f" {kind} " in line, line
        assert what in line, f"{what!r} not in\n{line}"
    _assert_readable(out)


def test_show_history_uses_the_same_sentences(story):
    cli, ticket = story
    out = cli.ok("show", ticket, now="2026-11-22T11:00").stdout
    history = out.split("History", 1)[1]
    assert "paged deniz by sms" in history
    assert "escalated to engineer (deniz): needs root" in history
    assert "deadlines set: respond by Sat 21 Nov 23:00 +03 (channel email, 24 h)" in history
    _assert_readable(history)


def test_desk_log_says_desk_events_in_words(cli):
    with api(cli) as do:
        do.agents("cem", now="2026-11-16T09:05")
        do.file(now="2026-11-16T10:00", customer="ada@example.com")
        do.at("2026-11-16T10:30").set_package("ada@example.com", "premium")
        do.at("2026-11-16T11:00").add_override(
            "on-duty", "cem", instant("2026-11-20T18:00"), instant("2026-11-23T09:00"), "swap with burak"
        )
        do.at("2026-11-16T11:05").remove_override(1)
    out = cli.ok("log", now="2026-11-16T12:00").stdout
    for what in (
        "desk created with policy version 1 from ",
        "agent cem added as engineer",
        "filed for ada@example.com: normal, technical, by ticket (new customer)",
        "customer ada@example.com: package none → premium; 1 open ticket got new deadlines",
        "deadlines recomputed (package none → premium): respond by Mon 16 Nov",
        "on-call override #1: cem on on-duty from Fri 20 Nov 18:00 +03 until Mon 23 Nov 09:00 +03: swap with burak",
        "on-call override #1 removed (cem on on-duty)",
    ):
        assert what in out, f"{what!r} not in\n{out}"
    _assert_readable(out)


def test_policy_applied_is_said_in_words(cli, tmp_path):
    from conftest import EXAMPLES

    cli.ok("policy", "apply", str(EXAMPLES / "kristalium.toml"), now="2026-11-17T09:00")
    out = cli.ok("log", now="2026-11-17T10:00").stdout
    assert "policy version 2 applied from " in out and "kristalium.toml (was version 1)" in out
    _assert_readable(out)


def _add_event(cli: Cli, ticket_id: int | None, kind: str, details: dict | str, at: str = "2026-11-20T08:00:00Z", **extra) -> None:
    conn = sqlite3.connect(cli.path)
    columns = {"ticket_id": ticket_id, "at": at, "actor": "system:import", "kind": kind}
    columns["details"] = details if isinstance(details, str) else json.dumps(details)
    columns |= extra
    names = ", ".join(columns)
    conn.execute(f"INSERT INTO events ({names}) VALUES ({', '.join('?' * len(columns))})", list(columns.values()))
    conn.commit()
    conn.close()


def test_a_bulk_loaded_ticket_is_imported_not_none(cli):
    """The bulk path writes `filed` events whose details are `{}`."""
    with api(cli) as do:
        ticket = do.file(now="2026-11-20T10:00")
    _add_event(cli, ticket, "filed", "{}")
    out = cli.ok("log", str(ticket), now="2026-11-20T12:00").stdout
    assert "None" not in out and "·" not in out
    assert _what_column(out)[-1].endswith("imported"), out


def test_an_unknown_kind_is_said_generically_without_python_values(cli):
    with api(cli) as do:
        ticket = do.file(now="2026-11-20T10:00")
    _add_event(
        cli, ticket, "merged",
        {
            "into": 7, "due": "2026-11-20T09:30:00Z", "people": ["ayse", "burak"], "urgent": True, "quiet": False,
            "note": None, "target": {"seconds": 5400, "calendar": "24/7"}, "empty": [],
            "before": {"status": "open"}, "after": {"status": "closed"},
            "reason": "deadline 2026-11-20T09:30:00Z passed",
        },
    )
    out = cli.ok("log", str(ticket), now="2026-11-20T12:00").stdout
    line = _what_column(out)[-1]
    assert line.endswith(
        "merged: status open → closed; into 7; due Fri 20 Nov 12:30 +03; people ayse, burak; urgent yes; quiet no; "
        "note none; target (seconds 1 h 30 min, calendar 24/7); empty none; reason deadline Fri 20 Nov 12:30 +03 passed"
    ), line
    _assert_readable(out)


def test_a_known_kind_with_unexpected_details_falls_back_to_words(cli):
    with api(cli) as do:
        ticket = do.file(now="2026-11-20T10:00")
    _add_event(cli, ticket, "escalate", {"after": "engineer", "reason": ["a", "b"]})
    _add_event(cli, ticket, "agent_added", {"role": "engineer"})
    out = cli.ok("log", str(ticket), now="2026-11-20T12:00").stdout
    lines = _what_column(out)
    assert re.search(r" escalate +escalate: after engineer; reason a, b$", lines[-2]), lines[-2]
    assert re.search(r" agent_added +agent added: role engineer$", lines[-1]), lines[-1]
    _assert_readable(out)


def test_log_shows_when_an_event_was_really_recorded(cli):
    with api(cli) as do:
        ticket = do.file(now="2026-11-20T10:00")
    conn = sqlite3.connect(cli.path)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(events)")]
    conn.close()
    if "recorded_at" not in columns:
        pytest.skip("this desk schema has no events.recorded_at")
    # Events are append-only: add ones with each kind of recorded_at.
    _add_event(cli, ticket, "note", {"internal": True}, at="2026-11-20T08:00:00Z", recorded_at="2026-11-23T15:40:00Z")
    _add_event(cli, ticket, "assign", {"before": {"assignee": None}, "after": {"assignee": "tester"}}, at="2026-11-20T08:05:00Z", recorded_at="2026-11-20T08:05:00Z")
    _add_event(cli, ticket, "wait", {"before": {"status": "new"}, "after": {"status": "pending"}}, at="2026-11-20T08:10:00Z", recorded_at=None)
    out = cli.ok("log", str(ticket), now="2026-11-24T10:00").stdout
    lines = _what_column(out)
    assert lines[-3].endswith("added an internal note (recorded Mon 23 Nov 2026 18:40 +03)"), lines[-3]
    assert lines[-2].endswith("assigned to tester (was nobody)"), lines[-2]  # recorded when it is dated
    assert lines[-1].endswith("the resolution clock stops"), lines[-1]  # not known when it was recorded
    _assert_readable(out)


def test_events_without_the_newer_keys_still_render():
    """Rows from before events had recorded_at/changes/operation (and desk events)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from rich.console import Console

    from supportdesk.cli.render import events_table

    events = [
        {"id": 1, "ticket_id": None, "at": "2026-11-16T06:00:00Z", "actor": "agent:tester", "kind": "desk_created", "details": {}},
        {"id": 2, "ticket_id": 4, "at": "2026-11-16T07:00:00Z", "actor": "agent:tester", "kind": "assign",
         "details": {"before": {"assignee": "ayse"}, "after": {"assignee": None}}, "changes": {"assignee_id": [2, None]}},
        {"id": 3, "ticket_id": 4, "at": "2026-11-16T07:05:00Z", "actor": "agent:tester", "kind": "touched",
         "details": {}, "changes": {"subject": ["Old", "New"]}, "recorded_at": None},
    ]
    zone = ZoneInfo("Europe/Istanbul")
    console = Console(width=200, record=True, force_terminal=False)
    console.print(events_table(events, zone, with_ticket=True, now=datetime(2026, 11, 16, 8, tzinfo=UTC)))
    text = console.export_text()
    assert "Mon 16 Nov 09:00 +03      - agent:tester desk_created desk created" in text
    assert "#4 agent:tester assign       unassigned (was ayse)" in text
    assert "touched: subject Old → New" in text
    _assert_readable(text)


def test_dates_carry_the_year_when_it_is_not_the_current_one(cli):
    with api(cli) as do:
        ticket = do.file(now="2025-12-30T10:00", priority="low")
        do.at("2025-12-30T11:00").reply(ticket, "On it")
    ticket = str(ticket)
    log = cli.ok("log", ticket, now="2026-01-02T09:00").stdout
    assert _what_column(log)[0].startswith("Tue 30 Dec 2025 10:00 +03"), log
    assert "respond by Wed 31 Dec 2025 10:00 +03" in log
    show = cli.ok("show", ticket, now="2026-01-02T09:00").stdout
    assert "Tue 30 Dec 2025 11:00 +03  agent:tester  (public reply)" in show
    assert "History" in show and "Tue 30 Dec 2025 10:00 +03" in show.split("History", 1)[1]
    explain = cli.ok("sla", "explain", ticket, now="2026-01-02T09:00").stdout
    assert "started   Tue 30 Dec 2025 10:00 +03  filed" in explain
    same_year = cli.ok("log", ticket, now="2025-12-31T09:00").stdout
    assert _what_column(same_year)[0].startswith("Tue 30 Dec 10:00 +03"), same_year


def test_sla_explain_says_changes_with_the_history_sentences(cli):
    with api(cli) as do:
        do.agents("ayse", "burak", "cem")
        ticket = str(do.file(now="2026-11-20T10:00", priority="high"))
        do.at("2026-11-20T10:10").set_priority(int(ticket), "critical", "all sites")
        do.at("2026-11-20T10:20").escalate(int(ticket), "engineer", "needs root")
    out = cli.ok("sla", "explain", ticket, now="2026-11-20T10:30").stdout
    changes = [line.strip() for line in out.split("Escalations and changes", 1)[1].strip().splitlines()]
    assert changes == [
        "Fri 20 Nov 10:00 +03  tester: deadlines set: respond by Fri 20 Nov 12:00 +03 (priority high, 2 h), "
        "resolve by Fri 20 Nov 18:00 +03 (priority high, 8 h)",
        "Fri 20 Nov 10:10 +03  tester: priority high → critical: all sites",
        "Fri 20 Nov 10:10 +03  tester: deadlines recomputed (priority high → critical): respond by Fri 20 Nov 11:00 +03 "
        "(priority critical, 1 h; was Fri 20 Nov 12:00 +03), resolve by Fri 20 Nov 14:00 +03 "
        "(priority critical, 4 h; was Fri 20 Nov 18:00 +03)",
        "Fri 20 Nov 10:20 +03  tester: escalated to engineer (ayse): needs root",
    ]


def test_automatic_escalation_reason_is_in_local_time(cli):
    with api(cli) as do:
        do.agents("ayse", "burak", "cem")
        ticket = str(do.file(now="2026-11-20T10:00", priority="critical"))
        do.at("2026-11-20T11:30").escalate_auto()
    out = cli.ok("log", ticket, now="2026-11-20T12:00").stdout
    assert "escalated automatically to engineer (" in out
    assert "respond deadline Fri 20 Nov 11:00 +03 passed" in out
    _assert_readable(out)


def test_priority_output_and_policy_versions_are_in_local_time(cli):
    with api(cli) as do:
        ticket = str(do.file(now="2026-11-20T10:00"))
    result = cli.ok("priority", ticket, "high", now="2026-11-20T10:05")
    assert result.stderr.strip() == "#1 is now high; respond by Fri 20 Nov 12:00 +03, resolve by Fri 20 Nov 18:00 +03"
    versions = cli.ok("policy", "versions", now="2026-11-20T10:05").stdout
    assert versions.splitlines()[0].startswith("  1  Mon 16 Nov 2026 09:00 +03  agent:tester"), versions
    assert not UTC_TEXT.search(versions)
    header = cli.ok("policy", "show", now="2026-11-20T10:05").stdout.splitlines()[0]
    assert header.startswith("# policy version 1, applied Mon 16 Nov 2026 09:00 +03 by agent:tester"), header


def test_outbox_says_when_a_notification_was_sent_in_local_time(cli):
    with api(cli) as do:
        do.agents("ayse", "burak", "cem", "deniz")
        do.file(now="2026-11-20T23:00", priority="critical")  # out of hours: pages deniz
    conn = sqlite3.connect(cli.path)
    conn.execute("UPDATE outbox SET sent_at = '2026-11-20T20:01:00Z'")
    conn.commit()
    conn.close()
    out = cli.ok("outbox", now="2026-11-21T09:00").stdout
    assert "sent Fri 20 Nov 23:01 +03" in out
    assert not UTC_TEXT.search(out)
