"""Many supportdesk processes writing one desk at once.

The bounded run: 4 worker processes x 60 mixed commands each through the real CLI (the
full 8 x 300 run is `python benchmarks/stress.py`). Then: no busy refusal, no internal
error or traceback, no lost or doubled write, every ticket's history replays to its row,
and SQLite finds the file sound. The harness is tests/stress_concurrency.py.

The last tests reproduce, deterministically, defects the harness found (a process's other
connections losing their locks, writes queued behind `policy apply` using the old policy,
an incomplete `filed` event); each failed before its fix.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from stress_common import ADMIN, AGENTS, POLICY_A, POLICY_B, cli_ok, connect, run_cli
from stress_concurrency import KINDS, Report, classify, replay_problems, run_concurrency, setup_desk, verify_desk

PROCESSES, OPERATIONS = 4, 60


@pytest.mark.real_clock("concurrent writers without --now each take the real instant under the write lock")
def test_concurrent_cli_writers_lose_nothing_and_history_replays(tmp_path):
    started = datetime.now(UTC).replace(microsecond=0)  # real clock: the window of the run
    report = run_concurrency(tmp_path / "run", PROCESSES, OPERATIONS, seed=11, seed_tickets=20)
    ended = datetime.now(UTC)  # real clock
    print(report.summary())
    # The workers' writes (no --now: dated when they were recorded) fall inside the run.
    conn = connect(tmp_path / "run" / "desk.db")
    first, last = conn.execute("SELECT min(at), max(at) FROM events WHERE at = recorded_at AND ticket_id IS NOT NULL").fetchone()
    conn.close()
    assert first is not None and started <= datetime.fromisoformat(first) <= datetime.fromisoformat(last) <= ended

    # Every worker was its own process and ran its whole schedule.
    assert len(set(report.pids)) == PROCESSES
    assert report.ran == PROCESSES * OPERATIONS
    # (a) nothing that must never happen: busy (exit 4), internal error (70), traceback,
    # an unexpected refusal or exit code.
    assert report.busy == []
    assert report.failures == []
    # Every command either succeeded or was a refusal of the state machine.
    assert sum(report.succeeded.values()) + sum(report.refusals.values()) == report.ran
    # The mix really ran: each kind in every worker's schedule, and these always succeed.
    assert all(report.counts[kind] >= PROCESSES for kind in KINDS)
    for kind in ("file", "escalate_auto", "policy_apply"):
        assert report.succeeded[kind] == report.counts[kind], kind
    for kind in ("reply", "note", "assign", "close", "reopen"):
        assert report.succeeded[kind] > 0, kind
    # Policy applies alternated between the two versions and moved open tickets' deadlines.
    assert report.stats["policy applies that changed the version"] >= 2
    assert report.stats["tickets recomputed by them"] > 0
    assert report.stats["escalations"] > 0  # seeded tickets were breached: escalate --auto acted
    # (b) no lost write, (c) history replays and stays in order, (d) a sound file.
    for name, problems in report.checks.items():
        assert problems == [], f"{name}: {problems[:5]}"


def _fake(kind: str, code: int, stderr: str = "", **extra) -> dict:
    return {
        "worker": 0, "n": 0, "kind": kind, "args": [kind], "user": "ayse", "max_id": 3, "code": code,
        "stdout": "", "stderr": stderr, "traceback": False, "escaped": None, "seconds": 0.0, **extra,
    }


def test_the_checks_catch_busy_lost_writes_and_broken_history(tmp_path):
    """The harness can fail: a busy refusal, an unexpected refusal, a lost ticket, a
    lost or doubled reply, a column changed without an event, and an event out of order
    are all reported."""
    setup = setup_desk(tmp_path, seed_tickets=3, now=datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    cli_ok(setup.db, ["--now", "2026-11-20T12:00:00Z", "reply", "1", "-m", "a reply that is there", "--internal"], user=AGENTS[0])
    setup.seeded_messages += 1
    report = Report(1, 6)
    report.records = [
        _fake("reply", 4, "error: the desk is busy (another supportdesk is writing); try again in a moment\n", ticket=1, text="x1"),
        _fake("wait", 1, "error: ticket #2 last changed at Fri 20 Nov, after the instant of this change\n", ticket=2),
        _fake("reopen", 3, "error: no ticket #2; `supportdesk list` shows the tickets there are\n", ticket=2),
        _fake("file", 0, subject="never stored", ) | {"stdout": "99\n"},
        _fake("reply", 0, ticket=1, text="a reply that is not there"),
        _fake("note", 3, "error: no ticket #7; `supportdesk list` shows them\n", ticket=7, text="a reply that is there"),
    ]
    classify(report)
    assert len(report.busy) == 1
    assert any("unexpected exit 1" in f for f in report.failures)
    assert any("existing ticket(s) [2] reported missing" in f for f in report.failures)
    assert report.refusals == {"note exit 3: no ticket #N": 1}

    conn = connect(setup.db)
    conn.execute("UPDATE tickets SET priority = 'bogus' WHERE id = 1")  # no event says so
    conn.execute(
        "INSERT INTO events (ticket_id, at, actor, kind, details, recorded_at) VALUES (2, '2000-01-01T00:00:00Z', 'x', 'note', '{}', '2000-01-01T00:00:00Z')"
    )
    conn.close()
    verify_desk(setup, report)
    lost = report.checks["(b) no lost or doubled write"]
    assert any("#99 filed by worker 0" in p for p in lost)
    assert any("'a reply that is not there' to #1 is in the desk 0 times" in p for p in lost)
    assert any("refused note 'a reply that is there' (exit 3) is in the desk anyway" in p for p in lost)
    assert any("#1: replay differs from the row: priority" in p for p in report.checks["(c) events replay to the ticket row"])
    assert any("#2: event" in p for p in report.checks["(c) event instants in order per ticket"])
    assert any("recorded at 2000-01-01" in p for p in report.checks["operations serialised"])
    assert not report.ok


def test_the_filed_event_lists_every_column_of_the_new_row(tmp_path):
    db = tmp_path / "desk.db"
    cli_ok(db, ["--now", "2026-11-16T09:00", "init", "--policy", str(Path(__file__).parent.parent / "examples" / "hosting-general.toml")])
    ticket = int(cli_ok(db, ["--now", "2026-11-20T10:00", "file", "-s", "Site down", "-b", "503", "-c", "ada@example.com"]).stdout)
    conn = connect(db)
    row = dict(conn.execute("SELECT * FROM tickets WHERE id = ?", [ticket]).fetchone())
    changes = json.loads(conn.execute("SELECT changes FROM events WHERE ticket_id = ? ORDER BY id LIMIT 1", [ticket]).fetchone()[0])
    problems, gaps, _ = replay_problems(conn, strict_filed=True)
    conn.close()
    expected = {c: [None, v] for c, v in row.items() if c not in ("id", "updated_at")}
    assert gaps == [] and problems == []
    assert changes == expected


def test_a_write_queued_behind_a_policy_apply_uses_the_policy_now_in_force(tmp_path):
    """Two commands as the CLI runs them: both open the desk, then the second applies a
    new policy (at_risk_share 0.5) while the first waits for the write lock to file."""
    from supportdesk.config import DeskLocation
    from supportdesk.desk import Desk, TicketDraft

    clock = lambda: datetime(2026, 11, 20, 7, 0, tzinfo=UTC)  # noqa: E731  (a still clock: no --now, not the real one)
    Desk.create(tmp_path / "desk.db", login=ADMIN, clock=clock, policy_text=POLICY_A, policy_source="a").close()
    where = DeskLocation(tmp_path / "desk.db", explicit=True)
    filing = Desk.open(where, login=ADMIN, clock=clock)
    applying = Desk.open(where, login=ADMIN, clock=clock)
    assert applying.apply_policy(POLICY_B, "b")["version"] == 2
    applying.close()
    ticket = filing.file_ticket(TicketDraft(subject="Site down", body="503", customer="ada@example.com"))
    filing.close()
    conn = connect(tmp_path / "desk.db")
    row = conn.execute("SELECT policy_version, created_at, due_at, risk_at FROM tickets WHERE id = ?", [ticket["id"]]).fetchone()
    conn.close()
    assert row["policy_version"] == 2
    # at_risk_share 0.5: a 4 h response target is at risk 2 h before it is due.
    due, risk = (datetime.fromisoformat(row[k].replace("Z", "+00:00")) for k in ("due_at", "risk_at"))
    assert (due - risk).total_seconds() == 2 * 3600


def test_opening_a_desk_keeps_the_locks_of_this_process_other_connections(tmp_path):
    """A program holding a connection to the desk (a library user, a long-running
    process) opens the desk through the store: afterwards another process believes it is
    the desk's last user, checkpoints and deletes the WAL under the first connection, and
    the first connection's next commit is lost."""
    from supportdesk.store import Store

    db = tmp_path / "desk.db"
    cli_ok(db, ["--now", "2026-11-16T09:00", "init"])
    mine = sqlite3.connect(db, isolation_level=None)
    mine.execute("SELECT count(*) FROM customers").fetchall()
    Store.open(db).close()
    other = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT count(*) FROM tickets').fetchall(); c.close()"
    subprocess.run([sys.executable, "-c", other, str(db)], check=True)
    mine.execute("INSERT INTO customers (email, created_at) VALUES ('kept@example.com', '2026-11-20T12:00:00Z')")
    count = "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM customers WHERE email = 'kept@example.com'\").fetchone()[0])"
    seen = subprocess.run([sys.executable, "-c", count, str(db)], check=True, capture_output=True, text=True).stdout.strip()
    mine.close()
    assert seen == "1", "a committed insert is invisible to other processes: its WAL was deleted under it"
