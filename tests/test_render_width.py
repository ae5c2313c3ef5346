"""Tables on narrow terminals and in pipes: ids are never dropped or cut, the subject gets
the room that is left, and piped output is never cut at any width."""

from __future__ import annotations

import re

import pytest

from conftest import Cli, api

ANSI = re.compile(r"\x1b\[[0-9;]*m")
NOW = "2026-11-20T15:00"
# CliRunner's stdout is a pipe: rich is told it is a terminal (one that takes no escape
# codes, so the text is plain) of COLUMNS columns.
TERMINAL = {"TTY_COMPATIBLE": "1", "TERM": "dumb", "LINES": "25"}

SUBJECTS = [
    "Website very slow in the evenings since the last update",
    "Booking form does not send e-mails to the hotel",
    "Need an extra IP address for the VPS in Frankfurt",
    "Disk quota full, cannot receive mail on any mailbox",
]


@pytest.fixture
def desk(cli) -> Cli:
    """Twelve open tickets (ids #1–#12) with long subjects and customers, most breached."""
    with api(cli) as do:
        do.agents("ayse", "burak", "cem", "deniz")
        for i in range(12):
            do.file(
                now=f"2026-11-19T{8 + i:02d}:00",
                subject=SUBJECTS[i % len(SUBJECTS)],
                customer=f"operations{i}@karadeniz-otel-group.com.tr",
                priority=("critical", "high", "normal", "low")[i % 4],
                field="domain=karadeniz-otel-group.com.tr",  # what the technical department asks for
            )
        for i, who in ((1, "ayse"), (2, "burak"), (3, "deniz")):
            do.at("2026-11-19T20:00").assign(i, who)
    return cli


def _rows(out: str) -> list[str]:
    """The table's body lines (after the header line that starts with the ID column)."""
    lines = [ANSI.sub("", line).rstrip() for line in out.splitlines()]
    header = next(i for i, line in enumerate(lines) if re.search(r"\bID\b", line))
    return [line for line in lines[header + 1 :] if line.strip()]


def _ids(rows: list[str]) -> list[str]:
    return [re.search(r"#\d+", row).group(0) for row in rows]


@pytest.mark.parametrize("columns", [30, 40, 50, 60, 80, 100, 140])
def test_list_keeps_every_id_whole_at_any_width(desk, columns):
    out = desk.ok("list", "--sort", "id", now=NOW, env=TERMINAL | {"COLUMNS": str(columns)}).stdout
    rows = _rows(out)
    assert len(rows) == 12
    assert [row.split()[0] for row in rows] == [f"#{i}" for i in range(1, 13)], out
    assert max(len(ANSI.sub("", line)) for line in out.splitlines()) <= columns
    assert "…" not in " ".join(row.split()[0] for row in rows)


def test_list_at_50_columns_drops_the_customer_not_the_id(desk):
    out = desk.ok("list", "--sort", "id", now=NOW, env=TERMINAL | {"COLUMNS": "50"}).stdout
    header = ANSI.sub("", out.splitlines()[0])
    assert header.split() == ["ID", "Status", "Priority", "Subject", "Assignee", "Age"], header
    assert _rows(out)[0] == " #1 new    critical Website very sl… ayse     1d7h", out
    assert _rows(out)[9] == "#10 new    high     Booking form do… -         22h", out


@pytest.mark.parametrize("columns", [30, 40, 50, 60, 70, 80, 100])
def test_triage_keeps_every_id_whole_at_any_width(desk, columns):
    out = desk.ok("triage", now=NOW, env=TERMINAL | {"COLUMNS": str(columns)}).stdout
    rows = _rows(out)
    assert len(rows) == 12
    assert sorted(_ids(rows), key=lambda t: int(t[1:])) == [f"#{i}" for i in range(1, 13)], out
    for row in rows:
        assert re.match(r"^\s*\d+\s+#\d+ ", row), row  # rank, then the whole id
    table = [ANSI.sub("", line) for line in out.splitlines()[4:]]
    assert max(len(line) for line in table) <= columns


def test_triage_at_80_columns_gives_the_subject_a_useful_width(desk):
    out = desk.ok("triage", now=NOW, env=TERMINAL | {"COLUMNS": "80"}).stdout
    rows = _rows(out)
    assert max(len(ANSI.sub("", line)) for line in out.splitlines()) <= 80
    for row in rows:
        assert any(subject[:24] in row for subject in SUBJECTS), row
    # The deadline says the overrun in few words; the customer keeps a recognisable start.
    assert re.search(r" #1 critical Website very slow in the… operations… 1d7h 1d overdue  ayse    0", out), out


def test_triage_at_100_columns_keeps_the_full_deadline_text(desk):
    out = desk.ok("triage", now=NOW, env=TERMINAL | {"COLUMNS": "100"}).stdout
    assert "Next deadline" in out
    assert re.search(r"\d\d:\d\d breached \d+[hdm] ago", out), out
    for row in _rows(out):
        assert any(subject[:25] in row for subject in SUBJECTS), row


def test_piped_list_and_triage_are_not_cut(desk):
    """Not a terminal: whole subjects and customers, whatever COLUMNS says."""
    for columns in ("80", "40"):
        listing = desk.ok("list", "--sort", "id", now=NOW, env={"COLUMNS": columns}).stdout
        assert "…" not in listing
        first = _rows(listing)[0]
        assert SUBJECTS[0] in first and "operations0@karadeniz-otel-group.com.tr" in first, listing
        triage = desk.ok("triage", now=NOW, env={"COLUMNS": columns}).stdout
        assert "…" not in triage
        for subject in SUBJECTS:
            assert subject in triage
        assert "operations11@karadeniz-otel-group.com.tr" in triage
        assert re.search(r"\d\d:\d\d breached \d+[hdm] ago", triage)


def test_piped_log_keeps_each_event_on_one_line(desk):
    out = desk.ok("log", "1", now=NOW, env={"COLUMNS": "60"}).stdout
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[0].split() == ["When", "Who", "Event", "What"]
    assert [line.split()[6] for line in lines[1:]] == ["filed", "deadlines", "page", "assign"], out
    assert "deadlines set: respond by Thu 19 Nov 09:00 +03 (priority critical, 1 h), resolve by" in out


def test_narrow_terminal_log_wraps_the_sentence_not_the_id(desk):
    out = desk.ok("log", now=NOW, env=TERMINAL | {"COLUMNS": "80"}).stdout
    lines = [ANSI.sub("", line) for line in out.splitlines()]
    assert max(len(line) for line in lines) <= 80
    assert lines[0].split() == ["When", "Ticket", "Who", "What"]
    tickets = {m.group(0) for line in lines for m in [re.search(r"\s(#\d+)\s", line)] if m}
    assert {f"#{i}" for i in (10, 11, 12)} <= {t.strip() for t in tickets}
