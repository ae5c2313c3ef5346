"""Upgrades: a desk written by an older schema opens, migrates and loses nothing.

tests/fixtures/desk-v3.db was written by supportdesk at schema version 3 (before events
recorded `recorded_at`, `changes` and `operation`): the demo desk, one on-call override
and an `escalate --auto`. Every later schema must open a copy of it, migrate it and keep
every row it had, with the same values; new columns and new rows may appear. The fixture
itself is never opened (SQLite would leave -wal and -shm files beside it): tests copy it.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import Cli
from supportdesk.store.migrations import SCHEMA_VERSION

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "desk-v3.db"
FIXTURE_VERSION = 3
# The demo's "now" when the fixture was written (the last event is the escalate --auto).
LATER = "2026-11-20T16:00"  # Istanbul time: after every event of the fixture

Rows = dict[str, tuple[list[str], dict[int, tuple]]]  # table -> (columns, rowid -> values)


# The shadow tables in which SQLite's full-text search keeps its index: their bytes may
# change when a migration rebuilds the index; the search table's own rows are compared.
FTS_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")


def read_rows(path: Path) -> Rows:
    """Every row of every table with plain sqlite3, by rowid."""
    conn = sqlite3.connect(path)
    try:
        listed = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        virtual = [name for name, sql in listed if sql.upper().startswith("CREATE VIRTUAL TABLE")]
        shadows = {f"{name}{suffix}" for name in virtual for suffix in FTS_SHADOWS}
        tables = [name for name, _ in listed if name not in shadows]
        found: Rows = {}
        for table in tables:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")]
            selected = ", ".join(f"[{c}]" for c in columns)
            rows = {r[0]: tuple(r[1:]) for r in conn.execute(f"SELECT rowid, {selected} FROM [{table}]")}
            found[table] = (columns, rows)
        return found
    finally:
        conn.close()


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def fixture_digest() -> str:
    assert FIXTURE.is_file(), f"missing upgrade fixture {FIXTURE}"
    return digest(FIXTURE)


@pytest.fixture
def old_desk(tmp_path, fixture_digest) -> Cli:
    """A copy of the schema-3 desk; the fixture file is checked to stay untouched."""
    path = tmp_path / "desk.db"
    shutil.copyfile(FIXTURE, path)
    assert user_version(path) == FIXTURE_VERSION
    yield Cli(path)
    assert digest(FIXTURE) == fixture_digest, "a test changed the fixture file"
    assert sorted(p.name for p in FIXTURE.parent.iterdir() if p.name.startswith(FIXTURE.name)) == [FIXTURE.name]


def assert_nothing_lost(before: Rows, after: Rows) -> None:
    """Every table, column and row of `before` is in `after` with the same values."""
    for table, (columns, rows) in before.items():
        assert table in after, f"table {table} is gone"
        new_columns, new_rows = after[table]
        missing = [c for c in columns if c not in new_columns]
        assert not missing, f"{table} lost columns {missing}"
        positions = [new_columns.index(c) for c in columns]
        for rowid, values in rows.items():
            assert rowid in new_rows, f"{table} lost row {rowid}"
            kept = tuple(new_rows[rowid][i] for i in positions)
            assert kept == values, f"{table} row {rowid} changed: {values} -> {kept}"


def test_the_old_desk_opens_migrates_and_loses_nothing(old_desk):
    before = read_rows(old_desk.path)
    assert len(before["tickets"][1]) == 33 and len(before["oncall_overrides"][1]) == 1
    listed = old_desk.json("list", "--limit", "100", now=LATER)
    assert len(listed) == len(before["tickets"][1])
    assert user_version(old_desk.path) == SCHEMA_VERSION
    after = read_rows(old_desk.path)
    assert_nothing_lost(before, after)
    # Opening again is a no-op: nothing changes a second time.
    old_desk.json("list", now=LATER)
    assert read_rows(old_desk.path) == after


def test_check_passes_on_the_old_desk_and_says_what_it_could_not_verify(old_desk):
    before = read_rows(old_desk.path)
    tickets, events = len(before["tickets"][1]), len(before["events"][1])
    result = old_desk.ok("check", now=LATER)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"ok: {tickets} tickets, {events} events checked"
    assert lines[1].startswith(f"note: {tickets} ticket(s) could not be fully verified")
    data = old_desk.json("check", now=LATER)
    assert data["ok"] is True and data["history_unverified"] == tickets and data["problems"] == []
    assert data["open_tickets"] > 0 and data["deadlines_unverified"] == 0


def test_normal_commands_work_on_the_old_desk(old_desk):
    shown = old_desk.json("show", "12", now=LATER)
    assert shown["escalation_level"] == 2 and [e["kind"] for e in shown["events"]][-1] == "escalate"
    assert all(e["changes"] == {} for e in shown["events"])  # old events recorded no changes
    triage = old_desk.json("triage", now=LATER)
    assert triage["counts"]["open"] > 0
    assert old_desk.json("oncall", "override", "list", "--all", now=LATER)[0]["person"] == "cem"
    replied = old_desk.json("reply", "18", "-m", "Added the extra mailbox.", now=LATER)
    assert replied["status"] == "open" and replied["first_response_at"] is not None
    assert replied["events"][-1]["changes"]["status"] == ["new", "open"]
    # The new event carries changes; the replay starts from them and agrees with the row.
    assert old_desk.ok("check", now=LATER).stderr.startswith("ok: ")


def test_a_backup_of_the_old_desk_restores_and_upgrades_when_opened(old_desk, tmp_path):
    before = read_rows(old_desk.path)
    fresh = Cli(tmp_path / "restored.db")
    result = fresh.ok("restore", str(old_desk.path), now=LATER)
    assert f"is upgraded to {SCHEMA_VERSION} when it is next opened" in result.stderr
    assert user_version(fresh.path) == FIXTURE_VERSION
    assert read_rows(old_desk.path) == before  # the source was only read
    fresh.json("list", now=LATER)
    assert user_version(fresh.path) == SCHEMA_VERSION
    assert_nothing_lost(before, read_rows(fresh.path))
