"""The Python API: `from supportdesk import Desk` does what the CLI does, at a given instant."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from conftest import EXAMPLES, Cli

NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)  # Fri 20 Nov 2026 10:00 +03


def test_a_desk_made_and_worked_through_the_api_reads_the_same_from_the_cli(desk_path):
    from supportdesk import Desk, Refused, Status, TicketDraft

    with Desk.new(desk_path, login="tester", policy=EXAMPLES / "hosting-general.toml", now=NOW) as desk:
        desk.add_agent("ayse")
        ticket = desk.file_ticket(TicketDraft("Site down", "It returns 503", "ada@example.com", priority="high"))
        assert ticket["status"] == Status.NEW and ticket["respond_by"] == "2026-11-20T09:00:00Z"
        later = desk.at(datetime(2026, 11, 20, 8, 0, tzinfo=UTC)).acting_as("ayse")
        assert later.reply(ticket["id"], "Looking into it")["first_response_at"] == "2026-11-20T08:00:00Z"
        with pytest.raises(Refused, match="history stays in order"):
            desk.at(datetime(2026, 11, 20, 7, 30, tzinfo=UTC)).assign(ticket["id"], "me")
    shown = Cli(desk_path).json("show", str(ticket["id"]), now="2026-11-20T11:00")
    assert shown["messages"][0]["author"] == "agent:ayse"
    assert [e["kind"] for e in shown["events"]] == ["filed", "deadlines", "reply"]
    assert shown["events"][-1]["changes"]["first_response_at"] == [None, "2026-11-20T08:00:00Z"]


def test_connect_opens_an_existing_desk_and_refuses_a_stranger(cli):
    from supportdesk import Desk

    with Desk.connect(cli.path, login="tester", now=NOW) as desk:
        assert desk.pinned and desk.now_text == "2026-11-20T07:00:00Z"
        assert desk.list_tickets(desk.filter())[1] == 0
    from supportdesk import Refused

    with pytest.raises(Refused, match="not an agent"):
        Desk.connect(cli.path, login="mallory", now=NOW)


def test_importing_supportdesk_stays_light():
    code = "import sys, supportdesk; print(sorted(m for m in ('supportdesk.desk', 'sqlite_utils', 'rich', 'pendulum') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_unknown_names_are_an_attribute_error():
    import supportdesk

    with pytest.raises(AttributeError):
        supportdesk.Nothing  # noqa: B018


def test_desks_made_with_at_and_acting_as_leave_the_clock_of_the_first_alone(desk_path):
    """`at()` and `acting_as()` share the store; the desk that writes takes its own instant."""
    from supportdesk import Desk, TicketDraft

    ticks = iter([datetime(2026, 11, 22, 7, 0, tzinfo=UTC)] + [datetime(2026, 11, 22, 8, 0, tzinfo=UTC)] * 20)
    with Desk.new(desk_path, login="tester", policy=EXAMPLES / "hosting-general.toml", now=NOW) as pinned:
        pinned.add_agent("ayse")
    with Desk.connect(desk_path, login="tester", clock=lambda: next(ticks)) as desk:
        desk.at(datetime(2026, 11, 21, 7, 0, tzinfo=UTC)).acting_as("ayse")  # made, not used
        ticket = desk.file_ticket(TicketDraft("Down", "503", "ada@example.com"))
    assert ticket["created_at"] == "2026-11-22T08:00:00Z"  # the clock when it wrote, not when it opened
