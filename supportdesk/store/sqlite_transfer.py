"""The SQLite store's part of export and import: the tickets a filter matches in id
order, read in batches with their messages, events and customers; what an import asks
of tickets already in the desk; and writing imported tickets with their history in
bulk (executemany), inside the caller's transaction."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from supportdesk.store.sqlite_queries import TICKET_SELECT

if TYPE_CHECKING:
    pass


class SqliteTransfer:
    """Export and import, over the store's connection."""

    conn: sqlite3.Connection
    _stamp: tuple[str | None, str | None]

    # ---- export ------------------------------------------------------------------------

    def export_batch(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Each ticket of `ids` (in that order; missing ones left out) with its joined
        row, its messages (oldest first), its events (by id) and its customer, reseller
        and the customer's reseller (each with `reseller_email`)."""
        chunk = json.dumps(list(ids))
        rows = {r["id"]: dict(r) for r in self.conn.execute(f"{TICKET_SELECT} WHERE t.id IN (SELECT value FROM json_each(?))", [chunk])}
        messages: dict[int, list[dict[str, Any]]] = {}
        for m in self.conn.execute("SELECT * FROM messages WHERE ticket_id IN (SELECT value FROM json_each(?)) ORDER BY ticket_id, at, id", [chunk]):
            messages.setdefault(m["ticket_id"], []).append(dict(m))
        events: dict[int, list[dict[str, Any]]] = {}
        for e in self.conn.execute("SELECT * FROM events WHERE ticket_id IN (SELECT value FROM json_each(?)) ORDER BY ticket_id, id", [chunk]):
            events.setdefault(e["ticket_id"], []).append(dict(e))
        people_ids = {r["customer_id"] for r in rows.values()} | {r["reseller_id"] for r in rows.values() if r["reseller_id"]}
        people = self._people_with_resellers(people_ids)
        people_ids = {p["reseller_id"] for p in people.values() if p["reseller_id"] and p["reseller_id"] not in people}
        people |= self._people_with_resellers(people_ids)
        out = []
        for ticket_id in ids:
            row = rows.get(ticket_id)
            if row is None:
                continue
            customer = people[row["customer_id"]]
            ids_of_people = [row["customer_id"], row["reseller_id"], customer["reseller_id"]]
            own = [people[i] for i in dict.fromkeys(i for i in ids_of_people if i)]
            out.append({"row": row, "messages": messages.get(ticket_id, []), "events": events.get(ticket_id, []), "customers": own})
        return out

    def _people_with_resellers(self, ids: set[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        cursor = self.conn.execute(
            "SELECT c.*, r.email AS reseller_email FROM customers c LEFT JOIN customers r ON r.id = c.reseller_id "
            "WHERE c.id IN (SELECT value FROM json_each(?))",
            [json.dumps(sorted(ids))],
        )
        return {row["id"]: dict(row) for row in cursor}

    # ---- import ------------------------------------------------------------------------

    def ticket_identity(self, ticket_id: int) -> dict[str, Any] | None:
        """What tells a ticket apart (created_at, subject, customer e-mail), or None when
        there is no such ticket."""
        row = self.conn.execute(
            "SELECT t.id, t.created_at, t.subject, c.email AS customer FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.id = ?",
            [ticket_id],
        ).fetchone()
        return dict(row) if row else None

    def same_ticket(self, customer_id: int, created_at: str, subject: str) -> int | None:
        """The id of a ticket of this customer filed at that instant with that subject."""
        row = self.conn.execute(
            "SELECT id FROM tickets INDEXED BY tickets_customer WHERE customer_id = ? AND created_at = ? AND subject = ? LIMIT 1",
            [customer_id, created_at, subject],
        ).fetchone()
        return int(row[0]) if row else None

    def insert_imported(self, tickets: Sequence[dict[str, Any]]) -> None:
        """Write imported tickets (inside transaction()): each a dict of `row` (every
        column, with its id), `messages` ((at, author, internal, channel, body) tuples),
        `events` ((at, recorded_at, actor, kind, operation, details, changes) as stored:
        its history, kept as it was) and `imported` (the `imported` event's actor,
        details and changes, stamped with this transaction's operation)."""
        if not tickets:
            return
        columns = list(tickets[0]["row"])
        # The search index's insert trigger is left out while the batch is written and the
        # batch indexed at once after: FTS5 flushes its index at every row a trigger
        # inserts (a statement savepoint), about ten times the cost. The trigger is back
        # before the batch ends, and a rollback brings it back in any case.
        trigger = self.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'tickets_fts_insert'").fetchone()
        if trigger is not None:
            self.conn.execute("DROP TRIGGER tickets_fts_insert")
        self.conn.executemany(
            f"INSERT INTO tickets ({', '.join(f'[{c}]' for c in columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [[t["row"][c] for c in columns] for t in tickets],
        )
        if trigger is not None:
            self.conn.execute(
                "INSERT INTO tickets_fts (rowid, subject, body) SELECT id, subject, body FROM tickets WHERE id IN (SELECT value FROM json_each(?))",
                [json.dumps([t["row"]["id"] for t in tickets])],
            )
            self.conn.execute(trigger[0])
        self.conn.executemany(
            "INSERT INTO messages (ticket_id, at, author, internal, channel, body) VALUES (?, ?, ?, ?, ?, ?)",
            [(t["row"]["id"], *m) for t in tickets for m in t["messages"]],
        )
        operation, recorded_at = self._stamp
        events: list[tuple[Any, ...]] = []
        for t in tickets:
            ticket_id = t["row"]["id"]
            events.extend((ticket_id, *e) for e in t["events"])
            actor, at, details, changes = t["imported"]
            events.append((
                ticket_id, at, recorded_at, actor, "imported", operation,
                json.dumps(details, ensure_ascii=False, sort_keys=True),
                json.dumps(changes, ensure_ascii=False, sort_keys=True) if changes else None,
            ))
        self.conn.executemany(
            "INSERT INTO events (ticket_id, at, recorded_at, actor, kind, operation, details, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            events,
        )
