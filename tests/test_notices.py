"""Notice wording lives in one place and speaks local time; breach stamping is one rule."""

from __future__ import annotations

import pytest

from conftest import EXAMPLES, Cli, api, file_ticket
from supportdesk import notices, sla


def test_a_notice_is_rendered_from_its_template_with_the_ticket_reference():
    subject, body = notices.render(
        "escalation", id=7, subject="Site down", priority="high", customer="ada@example.com",
        level="engineer", reason="needs root", due_at="Fri 20 Nov 2026 12:00 +03",
    )
    assert subject == "[#7] escalated to engineer: Site down"
    assert body == "#7 (high, ada@example.com) was escalated to engineer: needs root. Deadline Fri 20 Nov 2026 12:00 +03. `supportdesk show 7`"


def test_a_missing_field_is_a_bug_not_a_silent_blank():
    with pytest.raises(KeyError):
        notices.render("page", id=1, subject="s", priority="p", customer="c")


def test_pages_and_escalation_notices_speak_local_time(cli: Cli):
    with api(cli) as do:
        do.agents("ayse", "burak", "cem", "deniz")
    ticket = file_ticket(cli, priority="critical", now="2026-11-21T02:00")  # Saturday night: out of hours
    cli.ok("escalate", str(ticket), "--to", "engineer", "--reason", "disk", now="2026-11-21T02:05")
    queued = cli.json("outbox", now="2026-11-21T02:05")
    assert queued and all("Z" not in n["body"] and "+03" in n["body"] for n in queued), queued
    assert any(n["kind"] == "page" for n in queued) and any(n["kind"] == "escalation" for n in queued)


@pytest.mark.parametrize(
    ("row", "clocks", "expected"),
    [
        ({"respond_by": "2026-01-01T10:00:00Z"}, ["respond"], {"respond_breached_at": "2026-01-01T10:00:00Z"}),
        ({"respond_by": "2026-01-01T13:00:00Z"}, ["respond"], {}),  # not due yet
        ({"respond_by": "2026-01-01T10:00:00Z", "respond_breached_at": "2026-01-01T10:00:00Z"}, ["respond"], {}),  # stamped once
        ({"resolve_by": "2026-01-01T09:00:00Z", "respond_by": "2026-01-01T08:00:00Z"}, ["resolve"], {"resolve_breached_at": "2026-01-01T09:00:00Z"}),
        ({"resolve_by": None}, ["resolve"], {}),
    ],
)
def test_breaches_stamp_each_missed_deadline_once(row, clocks, expected):
    assert sla.breaches(row, "2026-01-01T12:00:00Z", clocks) == expected


def test_reply_close_and_escalation_stamp_breaches_the_same_way(cli: Cli):
    with api(cli) as do:
        late_reply = str(do.file(priority="critical", now="2026-11-20T10:00"))
        late_close = str(do.file(priority="critical", now="2026-11-20T10:00"))
    reply = cli.json("reply", late_reply, "-m", "sorry", now="2026-11-20T13:00")
    assert reply["respond_breached_at"] == reply["respond_by"]
    closed = cli.json("close", late_close, "--reason", "duplicate", now="2026-11-23T10:00")
    assert len(closed["changed"]) == 1
    row = cli.json("show", late_close, now="2026-11-23T10:00")
    assert row["respond_breached_at"] == row["respond_by"] and row["resolve_breached_at"] == row["resolve_by"]
    assert EXAMPLES.exists()
