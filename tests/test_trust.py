"""Trust: hostile text stays inert, every input ends in one error line, history stays in
order, and the defects found by trying supportdesk as a new (and hostile) user."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import EXAMPLES, Cli, api, file_ticket
from supportdesk.cli import app

HOSTILE = "Pay \x1b]8;;http://evil.example\x1b\\here\x1b]8;;\x1b\\ \x1b[2J\x9b31m \u202egnp.exe\u2066 \x07"
BAD = ("\x1b", "\x9b", "\u202e", "\u2066", "\x07")
# Tickets are filed at 10:00 on Fri 20 Nov 2026 (file_ticket's default); commands act after.
LATER = "2026-11-20T11:00"


def plant_hostile_ticket(cli: Cli) -> int:
    """A ticket whose subject, body, field and note carry escapes, as an import or an old
    desk could hold them (the CLI refuses control characters in subjects)."""
    with api(cli) as do:
        ticket = do.file(body=f"body {HOSTILE}", field="server=ok")
        do.at("2026-11-20T10:05").reply(ticket, f"note {HOSTILE}", internal=True)
    conn = sqlite3.connect(cli.path)
    conn.execute("UPDATE tickets SET subject = ?, fields = ? WHERE id = ?", [HOSTILE, json.dumps({"srv": HOSTILE}), ticket])
    conn.execute("UPDATE customers SET name = ?", [HOSTILE])
    conn.commit()
    conn.close()
    return ticket


# ---- 1. terminal safety ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("show", "1"),
        ("list",),
        ("log",),
        ("log", "1"),
        ("triage",),
        ("sla", "explain", "1"),
        ("list", "--search", "Pay"),
    ],
)
def test_escape_sequences_from_tickets_never_reach_the_output(cli, args):
    plant_hostile_ticket(cli)
    result = cli.ok(*args, now="2026-11-20T11:00")
    for bad in BAD:
        assert bad not in result.stdout and bad not in result.stderr, (args, bad)
    if args[0] != "log":
        assert "\\x1b" in result.stdout or "\\u202e" in result.stdout  # shown, not hidden


def test_csv_keeps_the_exact_text_for_a_pipe_and_json_escapes_it(cli):
    ticket = plant_hostile_ticket(cli)
    data = cli.json("show", str(ticket), now="2026-11-20T11:00")
    assert data["subject"] == HOSTILE and data["fields"]["srv"] == HOSTILE
    raw = cli.ok("show", str(ticket), "--json", now="2026-11-20T11:00").stdout
    for bad in BAD:
        assert bad not in raw  # JSON escapes C0, C1 and bidi characters: same value, inert text
    # Piped CSV is data: the exact subject, quoted.
    assert HOSTILE in cli.ok("list", "--csv", now=LATER).stdout


def test_a_rich_terminal_gets_escapes_shown_too(cli, monkeypatch):
    """The check at the console level holds when rich writes colours (a real terminal)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    from rich.console import Console

    from supportdesk.cli.safe_console import SafeConsole

    assert isinstance(SafeConsole(), Console)
    import io

    buffer = io.StringIO()
    SafeConsole(file=buffer, force_terminal=True, color_system="truecolor", markup=False, highlight=False).print(f"[bold]{HOSTILE}[/bold]", style="red")
    out = buffer.getvalue()
    assert "\x1b[" in out  # rich's own colour codes
    assert "\x1b]8" not in out and "\x9b" not in out and "\u202e" not in out
    assert "[bold]" in out  # markup from a ticket is text, not styling


def test_error_lines_show_what_was_typed_inertly(cli):
    line = cli.refused(2, "unknown priority", "list", "--priority", "HIGH\x1b[31m", now=LATER)
    assert "\x1b" not in line and "'HIGH\\x1b[31m'" in line


@pytest.mark.parametrize(
    ("subject", "fragment"),
    [
        ("Site\ndown", "control character \\x0a"),
        ("Site\x1b[31m down", "control character \\x1b"),
        ("\u200b\u200d\ufeff", "only invisible characters"),
        ("   ", "is empty"),
        ("x" * 201, "keep it to 200"),
    ],
)
def test_subjects_refuse_control_characters_line_breaks_and_invisible_text(cli, subject, fragment):
    cli.refused(2, fragment, "file", "-s", subject, "-b", "b", "-c", "ada@example.com", now="2026-11-20T10:00")


def test_nul_is_refused_on_standard_input(cli):
    cli.refused(2, "contains a NUL character", "file", "-s", "s", "-b", "-", "-c", "ada@example.com", input="a\x00b", now="2026-11-20T10:00")


def test_the_body_limit_is_a_policy_key(cli, tmp_path):
    cli.refused(2, "this desk takes at most 1,000,000", "file", "-s", "s", "-b", "-", "-c", "ada@example.com", input="x" * 1_000_001, now="2026-11-20T10:00")
    small = tmp_path / "small.toml"
    small.write_text((EXAMPLES / "hosting-general.toml").read_text() + "\n[limits]\nbody_max_bytes = 2000\n")
    cli.ok("policy", "apply", str(small), now="2026-11-20T09:00")
    with api(cli) as do:
        ticket = do.file()
    cli.refused(2, "at most 2,000", "reply", str(ticket), "-m", "y" * 2001, now="2026-11-20T10:01")


def test_field_limits(cli):
    many = [a for i in range(51) for a in ("--field", f"k{i}=v")]
    cli.refused(2, "51 fields given; a ticket takes at most 50", "file", "-s", "s", "-b", "b", "-c", "a@example.com", *many, now=LATER)
    cli.refused(2, "keep it to 1000", "file", "-s", "s", "-b", "b", "-c", "a@example.com", "--field", "k=" + "v" * 1001, now=LATER)


def test_e_mail_addresses_are_validated_and_stored_normalised(cli):
    cli.refused(2, "is not an e-mail address", "file", "-s", "s", "-b", "b", "-c", "ada@exa\x1bmple.com", now=LATER)
    cli.refused(2, "is not an e-mail address", "file", "-s", "s", "-b", "b", "-c", "ada@localhost", now=LATER)
    ticket = file_ticket(cli, customer="  Ada.Lovelace@Example.COM ")
    assert cli.json("show", str(ticket), now=LATER)["customer"] == "ada.lovelace@example.com"


# ---- 2. every input ends in a documented exit code ---------------------------------------


def test_an_id_beyond_sqlites_integer_range_is_refused(cli):
    cli.refused(2, "larger than any ticket number", "show", "99999999999999999999", now=LATER)
    cli.refused(2, "is not a ticket number", "show", "٣", now=LATER)  # a digit, but not an ASCII one


def test_arguments_that_are_not_utf8_are_refused_naming_the_offset(cli):
    bad = b"ab\xffcd".decode("utf-8", "surrogateescape")
    line = cli.refused(2, "not valid UTF-8", "list", "--search", bad, now=LATER)
    assert "byte 0xff at offset 2" in line


def test_standard_input_that_is_not_utf8_is_refused_naming_the_offset(cli):
    with api(cli) as do:
        ticket = do.file()
    result = cli.runner.invoke(app, ["--db", str(cli.path), "--now", LATER, "reply", str(ticket), "-m", "-"], input=b"hello \xfe")
    assert result.exit_code == 2, result.output
    assert "not valid UTF-8 (byte 0xfe at offset 6)" in result.stderr


@pytest.mark.parametrize("content", [b"", b"hello, I am not a database\n" * 10])
def test_an_empty_or_foreign_file_is_not_a_desk_and_keeps_its_bytes_and_mode(bare_cli, content):
    bare_cli.path.write_bytes(content)
    bare_cli.path.chmod(0o644)
    bare_cli.refused(4, "not a desk" if not content else "not a supportdesk desk", "list", now=LATER)
    assert bare_cli.path.read_bytes() == content
    assert bare_cli.path.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in bare_cli.path.parent.iterdir()) == [bare_cli.path.name]


def test_init_on_an_empty_file_makes_a_desk(bare_cli):
    bare_cli.path.write_bytes(b"")
    bare_cli.ok("init", now="2026-11-16T09:00")
    assert bare_cli.json("list", now=LATER) == []
    assert bare_cli.path.stat().st_mode & 0o777 == 0o600


def test_a_driver_error_is_one_line_with_exit_4(cli):
    with api(cli) as do:
        do.file()
    conn = sqlite3.connect(cli.path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(cli.path.read_bytes())
    page = 4096
    for offset in range(page * 2, min(len(data), page * 8)):  # scribble over b-tree pages
        data[offset] = 0x5A
    cli.path.write_bytes(bytes(data))
    result = cli("list", now=LATER)
    assert result.exit_code == 4, result.output
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_an_unknown_os_user_is_refused_not_guessed(cli, monkeypatch):
    import getpass

    monkeypatch.delenv("SUPPORTDESK_USER")

    def no_user():
        raise KeyError("no passwd entry")

    monkeypatch.setattr(getpass, "getuser", no_user)
    cli.refused(1, "cannot tell which OS user you are", "list", now=LATER)


# ---- 3. honest history ----------------------------------------------------------------


def test_a_write_before_the_last_event_is_refused_naming_both_instants(cli):
    with api(cli) as do:
        ticket = do.file(now="2026-11-20T10:00")
        do.at("2026-11-20T12:00").reply(ticket, "on it")
        other = do.file(now="2026-11-20T10:00")
    line = cli.refused(1, "history stays in order", "close", str(ticket), now="2026-11-20T11:00")
    assert "Fri 20 Nov 2026 12:00 +03" in line and "Fri 20 Nov 2026 11:00 +03" in line
    cli.refused(1, "last changed at", "assign", str(ticket), "--to", "me", now="2026-11-19T10:00")
    cli.refused(1, f"ticket #{other} was filed at", "assign", str(other), "--to", "me", now="2026-11-19T10:00")


def test_events_record_when_they_were_really_written(cli):
    ticket = file_ticket(cli, now="2026-11-20T10:00")
    event = cli.json("log", str(ticket), now=LATER)[0]
    assert event["at"] == "2026-11-20T07:00:00Z"
    assert event["recorded_at"] and event["recorded_at"] != event["at"]
    assert event["operation"]
    assert event["changes"]["subject"] == [None, "Site down"]


@pytest.mark.real_clock("a write without --now takes the real instant under the write lock")
def test_a_write_without_now_takes_its_instant_when_it_writes(cli):
    from datetime import UTC, datetime

    before = datetime.now(UTC).replace(microsecond=0)  # real clock: the window the write must land in
    ticket = file_ticket(cli, now=None)
    after = datetime.now(UTC)  # real clock
    event = cli.json("log", str(ticket))[-1]
    assert event["at"] == event["recorded_at"]
    assert before <= datetime.fromisoformat(event["at"]) <= after


def test_views_under_a_past_now_leave_out_later_tickets(cli):
    with api(cli) as do:
        early = do.file(now="2026-11-20T10:00", subject="Early")
        late = do.file(now="2026-11-20T12:00", subject="Late")
    assert [t["id"] for t in cli.json("list", now="2026-11-20T11:00")] == [early]
    assert [t["id"] for t in cli.json("triage", now="2026-11-20T11:00")["tickets"]] == [early]
    assert cli.json("triage", now="2026-11-20T11:00")["counts"]["open"] == 1
    cli.refused(3, "it was filed later", "show", str(late), now="2026-11-20T11:00")
    assert "Late" not in cli.ok("list", now="2026-11-20T11:00").stdout


# ---- 9. defects found by a new user -------------------------------------------------------


@pytest.mark.parametrize("fmt", ["--csv", "--json", ""])
def test_every_output_format_exits_0_when_the_reader_closes_early(cli, fmt):
    with api(cli) as do:
        for i in range(60):
            do.file(subject=f"Ticket {i}")
    env = os.environ | {"SUPPORTDESK_DB": str(cli.path), "SUPPORTDESK_NOW": LATER}
    command = f"set -o pipefail; {sys.executable} -m supportdesk list {fmt} --limit 0 | head -1"
    done = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system to stand for a full disk")
@pytest.mark.parametrize("fmt", ["--csv", "--json", ""])
def test_output_to_a_full_disk_is_one_line_and_exit_2_not_a_bug(cli, fmt):
    with api(cli) as do:
        do.file()
    env = os.environ | {"SUPPORTDESK_DB": str(cli.path), "SUPPORTDESK_NOW": LATER}
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "supportdesk", "list", *fmt.split()], env=env, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (2, "error: cannot write the output: No space left on device; what the command changed is done (check before running it again); free some space, or write the output elsewhere\n")


def test_a_carriage_return_in_a_subject_stays_inside_its_csv_field(cli):
    import csv
    import io

    with api(cli) as do:
        ticket = do.file()
    conn = sqlite3.connect(cli.path)
    conn.execute("UPDATE tickets SET subject = 'line one\rline two' WHERE id = ?", [ticket])
    conn.commit()
    conn.close()
    text = cli.ok("list", "--csv", now=LATER).stdout
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 2 and rows[1][1] == "line one\rline two"


@pytest.mark.parametrize(
    "argv",
    [
        ["list", "--db", "{db}"],
        ["list", "--now", "2026-11-20T12:00", "--db", "{db}", "--json"],
        ["sla", "explain", "1", "--db", "{db}"],
    ],
)
def test_global_options_work_after_the_command(cli, argv):
    with api(cli) as do:
        do.file()
    result = CliRunner().invoke(app, [a.format(db=cli.path) for a in argv], env={"SUPPORTDESK_NOW": LATER})
    assert result.exit_code == 0, result.output


def test_demo_takes_db_after_the_command(tmp_path):
    path = tmp_path / "demo.db"
    result = CliRunner().invoke(app, ["demo", "--db", str(path), "--now", "2026-11-20T14:45"])
    assert result.exit_code == 0, result.output
    assert path.exists()


def test_every_command_shows_the_global_options_in_its_help():
    from supportdesk.cli.app import _leaf_commands
    from typer.main import get_command

    for command in _leaf_commands(get_command(app)):
        names = {opt for p in command.params for opt in getattr(p, "opts", [])}
        assert {"--db", "--now"} <= names, command.name


def test_closing_a_pending_ticket_keeps_its_pause(cli):
    ticket = str(file_ticket(cli, now="2026-11-20T10:00", priority="normal"))
    filed = cli.json("show", ticket, now="2026-11-20T10:00")["resolve_by"]
    cli.ok("wait", ticket, now="2026-11-20T11:00")
    cli.ok("close", ticket, now="2026-11-20T15:00")  # 4 h on hold
    reopened = cli.json("reopen", ticket, now="2026-11-20T16:00")  # 1 h closed
    from supportdesk.timetext import from_utc_text

    assert from_utc_text(reopened["resolve_by"]) - from_utc_text(filed) == __import__("datetime").timedelta(hours=5)
    assert reopened["resolve_by"] > "2026-11-20T13:00:00Z"  # not already in the past


def test_triage_counts_follow_breaching_within(cli):
    with api(cli) as do:
        do.file(priority="critical", now="2026-11-20T10:00")
        do.file(priority="low", now="2026-11-20T10:00")
    counts = cli.json("triage", "--breaching-within", "2h", now="2026-11-20T10:30")["counts"]
    assert counts["open"] == 1
    assert cli.json("triage", now="2026-11-20T10:30")["counts"]["open"] == 2


def test_close_says_what_happened(cli):
    with api(cli) as do:
        first, second = do.file(), do.file()
    assert "resolved 1 ticket: #1" in cli.ok("close", str(first), now=LATER).stderr
    assert "closed 1 ticket (reason duplicate): #2" in cli.ok("close", str(second), "--reason", "duplicate", now=LATER).stderr
    assert "closed 1 ticket (reason resolved): #1" in cli.ok("close", str(first), now=LATER).stderr  # archiving it


def test_an_empty_selection_on_stdin_is_nothing_to_close(cli):
    with api(cli) as do:
        do.file()
    before = cli.dump()
    result = cli.ok("close", "--stdin", input="[]", now=LATER)
    assert "nothing to close" in result.stderr
    assert cli.dump() == before
    assert "nothing to close" in cli.ok("close", "--status", "closed", now=LATER).stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("list", "--assignee", "zzz"), "no agent 'zzz'"),
        (("list", "--priority", ","), "--priority ',' names nothing"),
        (("list", "--department", "Nowhere"), "unknown department 'Nowhere'"),
        (("list", "--status", "Opened"), "unknown status 'Opened'"),
        (("close", "1", "--reason", "Fixed"), "unknown close reason 'Fixed'"),
    ],
)
def test_filters_refuse_unknown_names_quoting_them_as_typed(cli, args, fragment):
    with api(cli) as do:
        do.file()
    cli.refused(2, fragment, *args, now=LATER)


def test_state_refusals_read_as_english(cli):
    from supportdesk import CloseReason

    with api(cli) as do:
        ticket = str(do.file())
        do.at("2026-11-20T10:30").close_tickets([int(ticket)], CloseReason.DUPLICATE)
    line = cli.refused(1, "it cannot take a public reply", "reply", ticket, "-m", "hi", now=LATER)
    assert "respond it" not in line
    assert "cannot wait it" not in cli.refused(1, "it cannot be put on hold", "wait", ticket, now=LATER)


def test_ctrl_c_in_a_bulk_close_leaves_nothing_half_done(cli, monkeypatch):
    from supportdesk.store import Store

    with api(cli) as do:
        for _ in range(5):
            do.file()
    before = cli.dump()
    real = Store.insert_event_rows

    def interrupted(self, items, *args, **kwargs):
        real(self, items, *args, **kwargs)
        raise KeyboardInterrupt  # after the tickets' rows and their events were written

    monkeypatch.setattr(Store, "insert_event_rows", interrupted)
    result = cli("close", "--status", "active", "--yes", now=LATER)
    assert result.exit_code == 130, result.output
    monkeypatch.undo()
    assert cli.dump() == before


def test_an_unexpected_error_is_one_line_with_exit_70(cli, monkeypatch):
    from supportdesk import desk

    def broken(self, *args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(desk.Desk, "list_tickets", broken)
    line = cli.refused(70, "unexpected ZeroDivisionError: boom; this is a bug in supportdesk", "list", now=LATER)
    assert line.count("\n") == 0


def test_the_wal_desk_stays_private(cli):
    assert cli.path.stat().st_mode & 0o777 == 0o600
    assert not list(Path(cli.path.parent).glob(".*.creating"))
