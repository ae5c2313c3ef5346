"""backup, restore and check: consistent copies, safe replacement, and a desk that proves itself."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import EXAMPLES, Cli, api

from supportdesk.maintenance import Problem, replay_ticket
from supportdesk.store.migrations import SCHEMA_VERSION


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def leftovers(directory: Path) -> list[str]:
    """Temporary or companion files a command left behind."""
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".") or p.name.endswith(("-wal", "-shm", "-journal")))


def sql(path: Path, *statements: str, foreign_keys: bool = False) -> None:
    """Change a desk behind supportdesk's back (to make the damage `check` must find)."""
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


# The desks here are made on Mon 16 Nov and worked until Sun 22 Nov 2026; the commands
# under test run on Mon 23 Nov.
NOW = "2026-11-23T10:00"


def busy_desk(cli: Cli) -> list[int]:
    """A desk where tickets went through every kind of change (made through the API)."""
    from supportdesk import CloseReason

    stricter = cli.path.parent / "stricter.toml"
    stricter.write_text((EXAMPLES / "hosting-general.toml").read_text().replace('respond = "1h"\nresolve = "4h"', 'respond = "30m"\nresolve = "4h"'))
    with api(cli) as do:
        a = do.file(now="2026-11-20T10:00", priority="high")
        b = do.file(now="2026-11-20T10:05", customer="bob@example.com", subject="Mail bounces")
        c = do.file(now="2026-11-20T10:10", priority="low", subject="Invoice question")
        d = do.file(now="2026-11-20T10:15", priority="critical", subject="All sites down")
        do.at("2026-11-20T10:20").assign(a, "me")
        do.at("2026-11-20T10:30").reply(a, "Looking at it")
        do.at("2026-11-20T10:31").reply(a, "Kernel panic", internal=True)
        do.at("2026-11-20T10:40").wait(a)
        do.at("2026-11-21T11:00").resume(a)
        do.at("2026-11-20T10:50").set_priority(b, "critical", "all mail down")
        do.at("2026-11-20T10:55").set_package("bob@example.com", "enterprise")
        do.at("2026-11-20T11:00").close_tickets([c], CloseReason.RESOLVED)
        do.at("2026-11-20T12:00").reopen(c)
        do.at("2026-11-20T10:20").escalate(d, "engineer", "needs root")
        do.at("2026-11-22T12:00").escalate_auto()
        do.at("2026-11-22T12:30").apply_policy(stricter.read_text(encoding="utf-8"), str(stricter))
    return [a, b, c, d]


# ---- backup ----------------------------------------------------------------------------


def test_backup_writes_a_private_copy_that_is_a_desk(cli, tmp_path):
    busy_desk(cli)
    target = tmp_path / "backups" / "desk-1.db"
    target.parent.mkdir()
    result = cli.ok("backup", str(target), now=NOW)
    assert result.stdout == ""
    assert f"to {target}: 4 tickets," in result.stderr and " events, " in result.stderr and "KiB" in result.stderr
    assert mode(target) == 0o600
    copy = Cli(target)
    assert copy.dump() == cli.dump()
    assert "ok: 4 tickets" in copy.ok("check", now=NOW).stderr
    assert leftovers(target.parent) == []


def test_backup_json_says_what_it_wrote(cli, tmp_path):
    with api(cli) as do:
        do.file()
    data = cli.json("backup", str(tmp_path / "b.db"), now=NOW)
    events = sqlite3.connect(cli.path).execute("SELECT count(*) FROM events").fetchone()[0]
    assert data == {
        "desk": str(cli.path),
        "file": str(tmp_path / "b.db"),
        "schema_version": SCHEMA_VERSION,
        "tickets": 1,
        "events": events,
        "attachments": 0,
        "bytes": (tmp_path / "b.db").stat().st_size,
    }


def test_attachments_go_with_a_backup_and_come_back_with_a_restore(cli, tmp_path):
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4 the report")
    ticket = cli.ok("file", "-s", "Report", "-b", "attached", "-c", "ada@example.com", "--attach", str(report), now=NOW).stdout.strip()
    attachment = cli.json("show", ticket, now=NOW)["attachments"][0]["id"]
    backup = tmp_path / "b.db"
    assert cli.json("backup", str(backup), now=NOW)["attachments"] == 1
    kept = [p for p in Path(f"{backup}.files").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in kept] == [b"%PDF-1.4 the report"] and mode(kept[0]) == 0o600
    # The desk and its files are lost; the backup brings both back.
    cli.path.unlink()
    shutil.rmtree(f"{cli.path}.files")
    assert cli.json("restore", str(backup), now=NOW)["attachments"] == 1
    saved = tmp_path / "saved.pdf"
    cli.ok("attachment", "save", str(attachment), "-o", str(saved), now=NOW)
    assert saved.read_bytes() == b"%PDF-1.4 the report"


def test_backup_refuses_an_existing_file_without_force(cli, tmp_path):
    target = tmp_path / "b.db"
    target.write_bytes(b"an older backup")
    line = cli.refused(1, "already exists", "backup", str(target), now=NOW)
    assert "--force" in line
    assert target.read_bytes() == b"an older backup"
    assert leftovers(tmp_path) == []
    cli.ok("backup", str(target), "--force", now=NOW)
    assert Cli(target).dump() == cli.dump() and mode(target) == 0o600


@pytest.mark.parametrize(
    ("where", "code", "fragment"),
    [
        ("desk.db", 2, "is the desk itself"),
        (".", 2, "is a directory"),
        ("no/such/dir/b.db", 2, "no directory"),
    ],
)
def test_backup_refuses_a_target_it_cannot_write(cli, tmp_path, where, code, fragment):
    cli.refused(code, fragment, "backup", str(tmp_path / where), now=NOW)
    assert not (tmp_path / "no").exists()
    assert leftovers(tmp_path) == []


def test_backup_of_a_missing_desk(bare_cli, tmp_path):
    bare_cli.refused(3, "no desk at", "backup", str(tmp_path / "b.db"), now=NOW)
    assert not (tmp_path / "b.db").exists()


def test_an_interrupted_backup_leaves_no_file(cli, tmp_path, monkeypatch):
    from supportdesk.store import Store

    real = Store.copy_to

    def interrupted(self, path):
        real(self, path)  # the copy is complete, but the rename never happens
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "copy_to", interrupted)
    result = cli("backup", str(tmp_path / "b.db"), now=NOW)
    assert result.exit_code == 130
    assert not (tmp_path / "b.db").exists()
    assert leftovers(tmp_path) == []


def test_a_file_that_appears_during_the_backup_is_kept(cli, tmp_path, monkeypatch):
    from supportdesk.store import Store

    real = Store.copy_to
    target = tmp_path / "b.db"

    def racing(self, path):
        counts = real(self, path)
        target.write_bytes(b"written by someone else meanwhile")
        return counts

    monkeypatch.setattr(Store, "copy_to", racing)
    cli.refused(1, "already exists", "backup", str(target), now=NOW)
    assert target.read_bytes() == b"written by someone else meanwhile"
    assert leftovers(tmp_path) == []


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path

    from supportdesk.config import DeskLocation
    from supportdesk.desk import Desk, TicketDraft

    path, stop = Path(sys.argv[1]), Path(sys.argv[2])
    # Pinned at 10:00 on 20 Nov; the real clock only stamps when each event was recorded.
    desk = Desk.open(DeskLocation(path, True), login="tester", clock=lambda: datetime.now(UTC), now_text="2026-11-20T10:00")  # real clock: recorded_at
    count = 0
    while not stop.exists():
        ticket = desk.file_ticket(TicketDraft(subject=f"Load {count}", body="x" * 2000, customer=f"c{count % 7}@example.com"))
        desk.reply(ticket["id"], "on it")
        count += 1
        if count == 1:
            print("writing", flush=True)
    print(count, flush=True)
    """
)


def test_backups_taken_while_another_process_writes_are_consistent(cli, tmp_path):
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(cli.path), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"SUPPORTDESK_USER": "tester"},
    )
    try:
        assert writer.stdout.readline().strip() == "writing", writer.stderr.read()
        copies = []
        for n in range(6):
            target = tmp_path / f"b{n}.db"
            cli.ok("backup", str(target), now=NOW)
            copies.append(target)
        assert writer.poll() is None, "the writer stopped before the backups were done"
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    written = int(out.strip())
    counts = []
    for target in copies:
        result = Cli(target).ok("check", now=NOW)
        assert result.stderr.startswith("ok: "), result.output
        conn = sqlite3.connect(target)
        tickets = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        # Filing and answering are two transactions: at most the last ticket is unanswered.
        answered = conn.execute("SELECT count(*) FROM events WHERE kind = 'reply'").fetchone()[0]
        assert answered in (tickets, tickets - 1)
        conn.close()
        counts.append(tickets)
    assert counts == sorted(counts) and counts[-1] <= written


# ---- restore ---------------------------------------------------------------------------


@pytest.fixture
def backup_file(cli, tmp_path) -> Path:
    busy_desk(cli)
    target = tmp_path / "backup.db"
    cli.ok("backup", str(target), now=NOW)
    return target


def test_restore_to_a_new_desk(cli, backup_file, tmp_path):
    fresh = Cli(tmp_path / "elsewhere" / "restored.db")
    result = fresh.ok("restore", str(backup_file), now=NOW)
    assert "restored the desk" in result.stderr and "4 tickets" in result.stderr
    assert mode(fresh.path) == 0o600
    assert fresh.dump() == Cli(backup_file).dump()
    assert len(fresh.json("list", now=NOW)) == 4
    assert leftovers(fresh.path.parent) == []


def test_restore_refuses_to_overwrite_a_desk_without_force(cli, backup_file, tmp_path):
    with api(cli) as do:
        do.file(now="2026-11-23T10:00", subject="Filed after the backup")
    backup_bytes = backup_file.read_bytes()
    line = cli.refused(1, f"a desk already exists at {cli.path}", "restore", str(backup_file), now=NOW)
    assert f"restore {backup_file} --force` replaces it" in line
    assert backup_file.read_bytes() == backup_bytes
    assert leftovers(tmp_path) == []
    data = cli.json("restore", str(backup_file), "--force", now=NOW)
    assert data["replaced"] is True and data["tickets"] == 4
    assert [t["subject"] for t in cli.json("list", now=NOW) if t["subject"] == "Filed after the backup"] == []
    assert cli.dump() == Cli(backup_file).dump()
    assert mode(cli.path) == 0o600
    assert "ok: 4 tickets" in cli.ok("check", now=NOW).stderr


def not_sqlite(path: Path) -> None:
    path.write_text("name,email\nada,ada@example.com\n")


def empty(path: Path) -> None:
    path.write_bytes(b"")


def foreign_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()


def newer_desk(path: Path) -> None:
    from supportdesk.store import Store

    Store.create(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (not_sqlite, "is not a supportdesk desk (not an SQLite file)"),
        (empty, "is an empty file, not a desk"),
        (foreign_sqlite, "is an SQLite file but not a supportdesk desk"),
        (newer_desk, f"has schema version {SCHEMA_VERSION + 1}, newer than this supportdesk"),
    ],
    ids=["not-sqlite", "empty", "foreign-sqlite", "newer-schema"],
)
def test_restore_refuses_a_file_that_is_not_a_desk(cli, tmp_path, make, fragment):
    source = tmp_path / "source.db"
    make(source)
    source_bytes = source.read_bytes()
    line = cli.refused(4, fragment, "restore", str(source), "--force", now=NOW)
    assert line.endswith("nothing was restored")
    assert source.read_bytes() == source_bytes
    assert leftovers(tmp_path) == []
    # Not into a new desk either.
    fresh = Cli(tmp_path / "new.db")
    fresh.refused(4, fragment, "restore", str(source), now=NOW)
    assert not fresh.path.exists()


def test_restore_of_a_missing_file(cli, tmp_path):
    cli.refused(3, "no file", "restore", str(tmp_path / "nope.db"), "--force", now=NOW)


def test_restore_refuses_the_desk_itself(cli):
    cli.refused(2, "is the desk itself", "restore", str(cli.path), "--force", now=NOW)


def test_restore_refuses_a_damaged_backup(cli, backup_file, tmp_path):
    damage(backup_file)
    damaged = backup_file.read_bytes()
    cli.refused(4, "fails SQLite's integrity check", "restore", str(backup_file), "--force", now=NOW)
    assert backup_file.read_bytes() == damaged
    assert leftovers(tmp_path) == []


def test_restore_refuses_while_another_process_has_the_desk_open(cli, backup_file):
    other = sqlite3.connect(cli.path)
    other.execute("SELECT count(*) FROM tickets").fetchone()
    try:
        cli.refused(4, "is open in another process", "restore", str(backup_file), "--force", now=NOW)
    finally:
        other.close()
    cli.ok("restore", str(backup_file), "--force", now=NOW)


# ---- check -----------------------------------------------------------------------------


def test_check_passes_on_a_desk_that_went_through_every_kind_of_change(cli):
    busy_desk(cli)
    result = cli.ok("check", now=NOW)
    events = sqlite3.connect(cli.path).execute("SELECT count(*) FROM events").fetchone()[0]
    assert result.stderr == f"ok: 4 tickets, {events} events checked\n"
    assert result.stdout == ""
    data = cli.json("check", now=NOW)
    assert data == {
        "ok": True,
        "tickets": 4,
        "events": events,
        "open_tickets": 4,
        "history_unverified": 0,
        "deadlines_unverified": 0,
        "problems": [],
    }


def test_check_passes_after_a_package_change_under_a_newer_policy(cli, tmp_path):
    without = tmp_path / "v2.toml"  # enterprise no longer guarantees a response time
    without.write_text((EXAMPLES / "hosting-general.toml").read_text().replace('uptime = 99.99\nrespond = "30m"\n', "uptime = 99.99\n"))
    with api(cli) as do:
        ticket = do.file(now="2026-11-20T10:00")
        do.at("2026-11-20T10:05").apply_policy(without.read_text(encoding="utf-8"), str(without))
        do.at("2026-11-20T10:10").set_package("ada@example.com", "enterprise")
    result = cli("check", now=NOW)
    assert result.exit_code == 0, f"#{ticket}: " + result.stdout


def test_check_on_an_empty_desk(cli):
    assert cli.ok("check", now=NOW).stderr.startswith("ok: 0 tickets, 1 events checked")


def failed_check(cli: Cli, *fragments: str) -> str:
    """Run a check that must fail: exit 1, one error line, the report on stdout."""
    before = cli.dump()
    result = cli("check", now=NOW)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: check found "), result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stdout, result.stdout
    assert cli.dump() == before
    return result.stdout


def test_check_names_a_ticket_changed_behind_the_desks_back(cli):
    ids = busy_desk(cli)
    sql(cli.path, f"UPDATE tickets SET subject = 'Edited by hand' WHERE id = {ids[1]}")
    report = failed_check(cli, f"#{ids[1]}: subject is 'Edited by hand', but its events end at 'Mail bounces' (event ")
    assert f"#{ids[0]}" not in report


def test_check_names_an_event_that_does_not_match_the_history(cli):
    with api(cli) as do:
        ticket = do.file()
    sql(
        cli.path,
        "INSERT INTO events (ticket_id, at, actor, kind, details, changes) VALUES "
        f"({ticket}, '2026-11-20T08:00:00Z', 'agent:mallory', 'close', '{{}}', '{{\"status\": [\"open\", \"closed\"]}}')",
    )
    event = sqlite3.connect(cli.path).execute("SELECT max(id) FROM events").fetchone()[0]
    failed_check(
        cli,
        f"#{ticket}: event {event} changes status from 'open', but event ",
        "left it 'new'",
        f"#{ticket}: status is 'new', but its events end at 'closed' (event {event})",
    )
    data = json.loads(cli("check", "--json", now=NOW).stdout)
    assert data["ok"] is False
    assert {(p["check"], p["ticket"], p["event"], p["column"]) for p in data["problems"]} == {
        ("history", ticket, event, "status"),
    }


def test_check_names_history_out_of_order(cli):
    with api(cli) as do:
        ticket = do.file(now="2026-11-20T10:00")
    sql(cli.path, f"INSERT INTO events (ticket_id, at, actor, kind) VALUES ({ticket}, '2026-11-19T00:00:00Z', 'agent:x', 'note')")
    failed_check(cli, f"#{ticket}: event ", "at 2026-11-19T00:00:00Z is earlier than event ", "(history out of order)")


def test_check_names_a_ticket_without_history(cli):
    with api(cli) as do:
        ticket = do.file()
    sql(cli.path, "DROP TRIGGER events_no_delete", f"DELETE FROM events WHERE ticket_id = {ticket}")
    failed_check(cli, f"#{ticket}: it has no events")


def test_check_names_deadlines_the_policy_does_not_give(cli):
    with api(cli) as do:
        ticket = do.file(now="2026-11-20T10:00", priority="high")
    row = sqlite3.connect(cli.path).execute(f"SELECT respond_by, due_at FROM tickets WHERE id = {ticket}").fetchone()
    # The row and its history agree (an event records the change), but the policy disagrees.
    changes = json.dumps({"respond_by": [row[0], "2026-12-01T00:00:00Z"], "due_at": [row[1], "2026-12-01T00:00:00Z"]})
    sql(
        cli.path,
        f"UPDATE tickets SET respond_by = '2026-12-01T00:00:00Z', due_at = '2026-12-01T00:00:00Z' WHERE id = {ticket}",
        f"INSERT INTO events (ticket_id, at, actor, kind, changes) VALUES ({ticket}, '2026-11-20T07:30:00Z', 'agent:x', 'note', '{changes}')",
    )
    report = failed_check(
        cli,
        f"#{ticket}: respond_by is '2026-12-01T00:00:00Z', but policy version 1 gives '{row[0]}'",
        f"#{ticket}: due_at is '2026-12-01T00:00:00Z', but policy version 1 gives '{row[1]}'",
    )
    assert "events end at" not in report


def test_check_names_rows_that_refer_to_nothing(cli):
    with api(cli) as do:
        ticket = do.file()
    sql(cli.path, f"INSERT INTO messages (ticket_id, at, author, body) VALUES ({ticket + 41}, '2026-11-20T08:00:00Z', 'agent:x', 'lost')")
    failed_check(cli, f"messages row 1: ticket_id {ticket + 41} refers to no tickets row")


def damage(path: Path, name: str = "tickets_created") -> None:
    """Flip bytes in the cells of a table's or index's root page: SQLite opens the file,
    its integrity check does not pass."""
    conn = sqlite3.connect(path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [name]).fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    page = (root - 1) * size
    content = int.from_bytes(data[page + 5 : page + 7], "big")  # where the page's cells start
    for i in range(page + content, page + size, 7):
        data[i] ^= 0x55
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("tickets_created", ["integrity: ", "missing from index tickets_created"]),
        ("events", ["cannot be read to the end (SQLite says: database disk image is malformed)"]),
    ],
)
def test_check_reports_a_damaged_file(cli, tmp_path, name, fragments):
    busy_desk(cli)
    copy = tmp_path / "copy.db"
    cli.ok("backup", str(copy), now=NOW)
    damage(copy, name)
    failed_check(Cli(copy), *fragments)


def test_check_of_a_file_that_is_not_a_desk(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    Cli(path).refused(4, "is not a supportdesk desk", "check", now=NOW)


# ---- the replay, one ticket at a time ----------------------------------------------------


def event(event_id: int, at: str, changes: dict | None) -> dict:
    return {"id": event_id, "at": at, "recorded_at": None, "changes": None if changes is None else json.dumps(changes)}


def test_replay_starts_an_unknown_column_from_its_first_before():
    row = {"id": 7, "status": "open", "priority": "high"}
    problems: list[Problem] = []
    events = [
        event(1, "2026-01-01T00:00:00Z", None),  # filed by an older supportdesk: no changes
        event(2, "2026-01-02T00:00:00Z", {"status": ["new", "open"]}),
        event(3, "2026-01-03T00:00:00Z", {"priority": ["normal", "high"]}),
    ]
    assert replay_ticket(row, events, problems) is False  # not fully verified
    assert problems == []
    events.append(event(4, "2026-01-04T00:00:00Z", {"status": ["pending", "open"]}))
    assert replay_ticket(row, events, problems) is False
    assert [p.message for p in problems] == ["#7: event 4 changes status from 'pending', but event 2 left it 'open'"]


def test_replay_reports_malformed_changes():
    row = {"id": 3, "status": "new"}
    problems: list[Problem] = []
    events = [
        event(1, "2026-01-01T00:00:00Z", {"status": [None, "new"]}),
        {"id": 2, "at": "2026-01-02T00:00:00Z", "recorded_at": None, "changes": "not json"},
        event(3, "2026-01-03T00:00:00Z", {"colour": [None, "red"], "status": "new"}),
    ]
    assert replay_ticket(row, events, problems) is True
    assert [p.message for p in problems] == [
        "#3: event 2 has changes that are not a JSON object",
        "#3: event 3 records colour which tickets do not have",
        "#3: event 3 records status as 'new', not [before, after]",
    ]
