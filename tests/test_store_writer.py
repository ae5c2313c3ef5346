"""Writes on a helper thread (Store.background_writes): what lands is exactly what the
same writes leave when run inline, reads wait for them, and a failure anywhere rolls the
whole transaction back and leaves no thread behind."""

from __future__ import annotations

import sqlite3
import sys
import threading

import pytest

from conftest import ticket_row
from supportdesk.model import Event, Message, TicketChange
from supportdesk.store import Store
from supportdesk.store.sqlite_operations import shared

AT = "2026-11-20T12:00:00Z"


def _desk(path) -> Store:
    store = Store.create(path)
    with store.transaction():
        store.bulk_insert_customers({"id": i, "email": f"c{i}@example.com", "created_at": "2026-11-20T10:00:00Z"} for i in (1, 2))
        store.bulk_insert_tickets(ticket_row(i) for i in range(1, 9))
    return store


def _changes(store: Store) -> list[TicketChange]:
    """Changes of every kind a bulk write meets: values every ticket shares and values of
    its own, text with NUL, escape sequences and quotes, numbers that compare equal but
    are stored apart, None, a ticket changed twice, a message."""
    before = store.tickets_by_ids(list(range(1, 9)))
    odd = ["plain", "nul \x00 inside", "\x1b[31mred\x1b[0m", 'quote " and \\ backslash', "ünïcödé ✓", "", "1", "null"]
    changes = []
    for i in range(1, 9):
        values = {"status": "closed", "closed_at": AT, "close_reason": odd[i - 1], "resolution_seconds": i, "updated_at": AT}
        if i % 2:
            values["paused_seconds"] = 1.5 if i == 3 else 1  # a real among integers
        details = {"reason": odd[i - 1], "n": i} | ({"typed": "a backslash: \\u0000"} if i == 6 else {})
        event = Event("close", AT, "agent:deniz", details, i)
        changes.append(TicketChange(i, values, [event], [], before[i]))
    # Ticket 2 again, after its first change (its columns already changed once).
    again = {"escalation_level": 2, "updated_at": AT}
    note = Message(AT, "agent:deniz", "a note with \x00 and \x1b[2J", internal=True)
    changes.append(TicketChange(2, again, [Event("escalate", AT, "agent:deniz", {"level": 2}, 2)], [note], before[2]))
    return changes


def _written(path) -> tuple[list, list]:
    conn = sqlite3.connect(path)
    try:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(tickets)")]
        quoted = ", ".join(f"quote([{c}])" for c in columns)
        tickets = conn.execute(f"SELECT {quoted} FROM tickets ORDER BY id").fetchall()
        events = conn.execute("SELECT id, quote(ticket_id), quote(at), actor, kind, quote(details), quote(changes) FROM events ORDER BY id").fetchall()
        messages = conn.execute("SELECT quote(ticket_id), author, quote(body), internal FROM messages ORDER BY id").fetchall()
        return tickets, events + messages
    finally:
        conn.close()


def _batches(store: Store) -> list[list[TicketChange]]:
    """_changes in two calls: those SQLite can read from JSON, then those holding a NUL
    (ticket 2's reason) or a typed backslash-u0000 (ticket 6's event), which are bound."""
    changes = _changes(store)
    bound = [c for c in changes if c.ticket_id in (2, 6)]
    return [[c for c in changes if c not in bound], bound]


def test_writes_on_the_helper_thread_land_exactly_as_writes_inline(tmp_path, monkeypatch):
    from supportdesk.store.sqlite_writer import BackgroundWriter

    inline, behind = _desk(tmp_path / "inline.db"), _desk(tmp_path / "behind.db")
    with inline.transaction():
        for batch in _batches(inline):
            inline.apply_many(batch)
    handed: list[str] = []
    submit = BackgroundWriter.submit
    monkeypatch.setattr(BackgroundWriter, "submit", lambda self, sql, params=(): (handed.append(sql), submit(self, sql, params))[1])
    with behind.transaction(), behind.background_writes():
        for batch in _batches(behind):
            behind.apply_many(batch)
    # The first call went to the helper thread as JSON-fed statements (two sets of
    # columns, the events); of the second only ticket 2's later change could (its first
    # change and the events were bound).
    assert [sql.split(" (")[0].split(" SET")[0] for sql in handed] == ["UPDATE tickets", "UPDATE tickets", "INSERT INTO events", "UPDATE tickets"]
    assert all("json_each(?1)" in sql for sql in handed)
    assert _written(inline.path) == _written(behind.path)
    conn = sqlite3.connect(behind.path)
    assert conn.execute("SELECT close_reason FROM tickets WHERE id = 2").fetchone() == ("nul \x00 inside",)  # not cut at the NUL
    assert conn.execute("SELECT typeof(paused_seconds) FROM tickets WHERE id IN (1, 3)").fetchall() == [("integer",), ("real",)]
    assert conn.execute("SELECT escalation_level FROM tickets WHERE id = 2").fetchone() == (2,)
    assert '"typed": "a backslash: \\\\u0000"' in conn.execute("SELECT details FROM events WHERE ticket_id = 6 AND kind = 'close'").fetchone()[0]


def test_a_read_in_the_block_sees_every_write_handed_over_before_it(tmp_path):
    store = _desk(tmp_path / "d.db")
    with store.transaction(), store.background_writes():
        store.apply_many(_changes(store)[:4])
        rows = store.tickets_by_ids([1, 2, 3, 4, 5], ["status"])
        assert [rows[i]["status"] for i in (1, 2, 3, 4, 5)] == ["closed"] * 4 + ["open"]


def test_a_failed_write_is_raised_and_nothing_of_the_transaction_is_kept(tmp_path):
    store = _desk(tmp_path / "d.db")
    before = _written(store.path)
    bad = [TicketChange(i, {"status": None, "updated_at": AT}, [Event("close", AT, "agent:deniz", {}, i)], [], {"status": "open"}) for i in (1, 2)]
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
        with store.transaction(), store.background_writes():
            store.apply_many(_changes(store)[:4])
            store.apply_many(bad)  # fails on the helper thread
            store.apply_many(_changes(store)[4:8])  # never written
    assert _written(store.path) == before
    assert store._writer is None and not [t for t in threading.enumerate() if t.name == "supportdesk-writer"]
    with store.transaction():  # the desk is usable again
        store.apply_many(_changes(store)[:1])


def test_an_error_in_the_block_stops_the_writer_and_rolls_everything_back(tmp_path):
    store = _desk(tmp_path / "d.db")
    before, interval = _written(store.path), sys.getswitchinterval()
    with pytest.raises(RuntimeError, match="planning failed"):
        with store.transaction(), store.background_writes():
            store.apply_many(_changes(store)[:4])
            raise RuntimeError("planning failed")
    assert _written(store.path) == before
    assert sys.getswitchinterval() == interval
    assert not [t for t in threading.enumerate() if t.name == "supportdesk-writer"]


@pytest.mark.parametrize(
    ("column", "same"),
    [
        (["a", "a", "a"], True),
        ([None, None], True),
        ([1, 1, 1], True),
        ([1, 1.0, 1], False),
        ([1, True], False),
        (["1", 1], False),
        ([None, "x"], False),
    ],
)
def test_a_value_is_bound_once_only_when_every_row_has_it_of_the_same_type(column, same):
    assert shared([[v] for v in column], 0) is same


def test_writers_on_two_threads_leave_python_as_they_found_it(tmp_path):
    """The server runs requests on threads: two bulk writes at once, ending in either
    order, leave the interpreter's switch interval as it was."""
    first, second = _desk(tmp_path / "a.db"), _desk(tmp_path / "b.db")
    interval = sys.getswitchinterval()
    one, two = first.background_writes(), second.background_writes()
    with first.transaction(), second.transaction():
        one.__enter__()
        two.__enter__()
        assert sys.getswitchinterval() < interval
        one.__exit__(None, None, None)
        assert sys.getswitchinterval() < interval  # the second still writes
        two.__exit__(None, None, None)
    assert sys.getswitchinterval() == interval


def test_one_ticket_written_behind_every_value_shared(tmp_path):
    """A batch of one row has every value in common: it still names its ticket."""
    inline, behind = _desk(tmp_path / "inline.db"), _desk(tmp_path / "behind.db")
    with inline.transaction():
        inline.apply_many(_changes(inline)[4:5])
    with behind.transaction(), behind.background_writes():
        behind.apply_many(_changes(behind)[4:5])
    assert _written(inline.path) == _written(behind.path)
    assert sqlite3.connect(behind.path).execute("SELECT id FROM tickets WHERE status = 'closed'").fetchall() == [(5,)]


def test_reads_aside_see_the_desk_as_the_transaction_found_it(tmp_path):
    """read_aside: tickets and customers come from a second connection without waiting
    for the writer; they show the desk before the block's writes (a bulk operation reads
    each ticket before writing it), and the connection is gone after the block."""
    store = _desk(tmp_path / "d.db")
    with store.transaction(), store.background_writes(read_aside=True):
        assert store._aside is not None
        store.apply_many(_changes(store)[:2])  # tickets 1 and 2 closed, behind
        assert [r["status"] for r in store.tickets_by_ids([1, 3], ["status"]).values()] == ["open", "open"]
        assert store.customers_by_ids([1])[1]["email"] == "c1@example.com"
    assert store._aside is None
    assert [r["status"] for r in store.tickets_by_ids([1, 3], ["status"]).values()] == ["closed", "open"]


def test_without_a_second_connection_reads_wait_for_the_writer_instead(tmp_path, monkeypatch):
    from supportdesk.store import sqlite_files

    store = _desk(tmp_path / "d.db")

    def refuse(path):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(sqlite_files, "connect", refuse)
    with store.transaction(), store.background_writes(read_aside=True):
        assert store._aside is None
        store.apply_many(_changes(store)[:1])
        assert store.tickets_by_ids([1], ["status"])[1]["status"] == "closed"
