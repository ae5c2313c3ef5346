"""Piped triage without rich: the lines are exactly what rich prints to a pipe."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import api

ZONE = ZoneInfo("Europe/Istanbul")
ASCII = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40)


@pytest.fixture(scope="module")
def desk_state(tmp_path_factory):
    """A real desk: breached, at-risk and fine tickets, one assigned and answered (a
    public reply and an internal note); its triage view and its first ticket."""
    from conftest import new_desk
    from supportdesk import Desk

    path = tmp_path_factory.mktemp("plain") / "desk.db"
    new_desk(path, now="2026-11-16T09:00")
    with api(path) as do:
        do.agents("ayse")
        for i, (priority, when) in enumerate((("critical", "2026-11-19T09:00"), ("high", "2026-11-20T09:30"), ("low", "2026-11-20T10:00"))):
            do.file(now=when, priority=priority, subject=f"Ticket {i}", customer=f"c{i}@example.com", field="domain=example.com")
        do.at("2026-11-20T10:05").assign(2, "ayse")
        do.at("2026-11-20T10:30", "ayse").reply(1, "Looking into it")
        do.at("2026-11-20T10:40", "ayse").reply(1, "Checked the MX", internal=True)
    with Desk.connect(path, login="tester", now=datetime(2026, 11, 20, 8, 30, tzinfo=UTC)) as desk:
        view = desk.triage(limit=50), desk.policy.name
        return view, desk.at(NOW).ticket(1)


@pytest.fixture(scope="module")
def view(desk_state):
    return desk_state[0]


@pytest.fixture(scope="module")
def shown(desk_state):
    return desk_state[1]


def rich_lines(view, name, width: int = 80) -> str:
    """What the rich renderer prints to a pipe (a console that is not a terminal)."""
    from supportdesk.cli.safe_console import SafeConsole
    from supportdesk.cli.triage import render_triage

    out = io.StringIO()
    console = SafeConsole(file=out, highlight=False, soft_wrap=False, markup=False, emoji=False, width=width)
    assert not console.is_terminal
    console.print(render_triage(view, name, ZONE, console.width))
    return out.getvalue()


def plain_lines(view, name, monkeypatch) -> str | None:
    import supportdesk.cli.render as render
    from supportdesk.cli.triage import plain_triage

    monkeypatch.setattr(render, "plain_output", lambda: True)
    lines = plain_triage(view, name, ZONE)
    return None if lines is None else "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subjects=st.lists(ASCII, min_size=3, max_size=3), customers=st.lists(ASCII, min_size=3, max_size=3),
       who=st.one_of(st.none(), ASCII), flags=st.lists(st.text("abc-:#[]", min_size=1, max_size=12), max_size=2),
       level=st.integers(0, 12000), name=ASCII, columns=st.sampled_from([None, 40, 120]))
def test_piped_triage_is_what_rich_prints(view, monkeypatch, subjects, customers, who, flags, level, name, columns):
    triage, _ = view
    rows = [row | {"subject": s, "customer": c} for row, s, c in zip(triage.rows, subjects, customers, strict=True)]
    rows[1] = rows[1] | {"assignee": who, "flags": flags, "escalation_level": level}
    changed = type(triage)(rows, triage.counts, triage.duties, triage.now)
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", str(columns))
    plain = plain_lines(changed, name, monkeypatch)
    if plain is not None:  # None: only rich can print it the same (too wide, a level beyond its column)
        assert plain == rich_lines(changed, name, columns or 80)


def test_text_that_is_not_plain_goes_to_rich(view, monkeypatch):
    triage, name = view
    for subject in ("Site \x1b[31mdown", "Сайт не работает", "サイト"):
        rows = [triage.rows[0] | {"subject": subject}, *triage.rows[1:]]
        assert plain_lines(type(triage)(rows, triage.counts, triage.duties, triage.now), name, monkeypatch) is None
    assert plain_lines(triage, name, monkeypatch) == rich_lines(triage, name)


def test_the_cli_prints_the_plain_lines_when_piped(cli, monkeypatch):
    with api(cli) as do:
        do.file(now="2026-11-20T09:00", priority="critical", subject="Down")
    piped = cli.ok("triage", now="2026-11-20T11:30").stdout
    assert "#1" in piped and "Down" in piped and "\x1b" not in piped
    import supportdesk.cli.render as render

    monkeypatch.setattr(render, "plain_output", lambda: False)  # as on a terminal: rich draws it
    assert cli.ok("triage", now="2026-11-20T11:30").stdout == piped


def rich_ticket(ticket, width: int = 80) -> str:
    from supportdesk.cli.render import ticket_detail
    from supportdesk.cli.safe_console import SafeConsole

    out = io.StringIO()
    console = SafeConsole(file=out, highlight=False, soft_wrap=False, markup=False, emoji=False, width=width)
    console.print(ticket_detail(ticket, ZONE, NOW))
    return out.getvalue()


NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from("\n—é"), min_size=1, max_size=120)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subject=ASCII, body=TEXT, reply=TEXT, customer=ASCII, columns=st.sampled_from([None, 60, 120]))
def test_piped_show_is_what_rich_prints(shown, monkeypatch, subject, body, reply, customer, columns):
    from supportdesk.cli.render import plain_ticket

    messages = [shown["messages"][0] | {"body": reply}, *shown["messages"][1:]]
    ticket = shown | {"subject": subject, "body": body, "customer": customer, "messages": messages}
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", str(columns))
    lines = plain_ticket(ticket, ZONE, NOW)
    if lines is not None:  # None: only rich prints it the same (wraps, or text that is not plain)
        assert "\n".join(lines) + "\n" == rich_ticket(ticket, columns or 80)


def test_a_plain_ticket_is_printed_without_rich_and_the_same(shown, monkeypatch):
    from supportdesk.cli.render import plain_ticket

    monkeypatch.delenv("COLUMNS", raising=False)
    lines = plain_ticket(shown, ZONE, NOW)
    assert lines is not None and "\n".join(lines) + "\n" == rich_ticket(shown)
    assert plain_ticket(shown | {"body": "x" * 200}, ZONE, NOW) is None  # rich wraps it
    assert plain_ticket(shown | {"subject": "Сайт"}, ZONE, NOW) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subjects=st.lists(ASCII, min_size=3, max_size=3), customers=st.lists(ASCII, min_size=3, max_size=3), who=st.one_of(st.none(), ASCII))
def test_piped_list_is_what_rich_prints(view, subjects, customers, who):
    from supportdesk.cli.render import ticket_table
    from supportdesk.cli.safe_console import SafeConsole

    triage, _ = view
    rows = [row | {"subject": s, "customer": c} for row, s, c in zip(triage.rows, subjects, customers, strict=True)]
    rows[0] = rows[0] | {"assignee": who}
    lines = ticket_table(rows, ZONE, triage.now, width=None).piped()
    out = io.StringIO()
    console = SafeConsole(file=out, highlight=False, soft_wrap=False, markup=False, emoji=False, width=80)
    console.print(ticket_table(rows, ZONE, triage.now, width=console.width))
    assert lines is not None and "\n".join(lines) + "\n" == out.getvalue()
    assert ticket_table([rows[0] | {"subject": "サイト"}], ZONE, triage.now, width=None).piped() is None


def test_control_characters_rich_would_drop_are_shown_escaped(cli):
    """rich strips BEL and backspace from text before the console makes it inert."""
    with api(cli) as do:
        do.file(now="2026-11-20T10:00", subject="Bell", body="ring\x07 back\x08 esc\x1b[31m")
    shown = cli.ok("show", "1", now="2026-11-20T10:05").stdout
    assert "ring\\x07 back\\x08 esc\\x1b[31m" in shown and "\x07" not in shown and "\x1b" not in shown
