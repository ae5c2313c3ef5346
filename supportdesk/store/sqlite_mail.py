"""The SQLite store's side of mail coming in (`supportdesk ingest`): the messages seen
and what became of them, the quarantine, the notices a reply or a bounce refers to, and
the answers a sender has had."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils

# SQLite's bound-parameter limit is 32766 on modern builds; stay well below it.
CHUNK = 5000
# What `quarantined` lists of each held message (its bytes are read one at a time).
QUARANTINE_COLUMNS = "id, key, sender, subject, ticket_id, why, length(raw) AS size, received_at, released_at, released_by, dropped_at, dropped_by"


class SqliteMail:
    """Mail coming in, over the store's connection."""

    conn: sqlite3.Connection
    db: sqlite_utils.Database
    _savepoints: int = 0

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the transaction in progress that is undone alone when its block fails."""
        self._savepoints += 1
        name = f"part{self._savepoints}"
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
            raise
        finally:
            self._savepoints -= 1
        self.conn.execute(f"RELEASE {name}")

    def seen_mail(self, keys: Sequence[str]) -> set[str]:
        """Which of these message keys have been seen before."""
        found: set[str] = set()
        for start in range(0, len(keys), CHUNK):
            chunk = list(keys[start : start + CHUNK])
            sql = f"SELECT key FROM mail_seen WHERE key IN ({', '.join('?' for _ in chunk)})"
            found.update(r[0] for r in self.conn.execute(sql, chunk))
        return found

    def record_mail(self, row: dict[str, Any]) -> None:
        """Record what became of a message (inside a transaction)."""
        columns = ("key", "sender", "subject", "ticket_id", "outcome", "why", "answer", "at")
        self.conn.execute(
            f"INSERT INTO mail_seen ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})", [row.get(c) for c in columns]
        )

    def mail_answers(self, sender: str, since: str) -> int:
        """How many messages of this sender seen since an instant were answered."""
        sql = "SELECT count(*) FROM mail_seen WHERE sender = ? AND at >= ? AND answer IS NOT NULL"
        return int(self.conn.execute(sql, [sender, since]).fetchone()[0])

    def tickets_of_messages(self, message_ids: Sequence[str]) -> dict[str, int]:
        """The ticket of each of these Message-IDs that the desk sent (a notice) or took in."""
        if not message_ids:
            return {}
        ids = json.dumps(list(message_ids))
        sql = (
            "SELECT message_id, ticket_id FROM outbox WHERE ticket_id IS NOT NULL AND message_id IN (SELECT value FROM json_each(?)) "
            "UNION ALL SELECT key, ticket_id FROM mail_seen WHERE ticket_id IS NOT NULL AND key IN (SELECT value FROM json_each(?))"
        )
        return {r[0]: r[1] for r in self.conn.execute(sql, [ids, ids])}

    def sent_notices(self, message_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The notices sent with these Message-IDs."""
        if not message_ids:
            return []
        sql = "SELECT * FROM outbox WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY id"
        return [dict(r) for r in self.conn.execute(sql, [json.dumps(list(message_ids))])]

    def record_bounce(self, outbox_id: int, at: str, bounce: str) -> None:
        """Record that a notice bounced, and what the bounce said."""
        self.conn.execute("UPDATE outbox SET bounced_at = ?, bounce = ? WHERE id = ?", [at, bounce, outbox_id])

    def customers_by_address(self, address: str) -> list[dict[str, Any]]:
        """Customers and resellers whose own address, or one of their notification
        addresses, is `address` (case-insensitive); their own first."""
        own = self.conn.execute("SELECT * FROM customers WHERE email = ? COLLATE NOCASE", [address]).fetchall()
        if own:
            return [dict(r) for r in own]
        sql = (
            "SELECT DISTINCT c.* FROM customers c, json_each(c.notify) n "
            "WHERE c.notify IS NOT NULL AND c.notify != '{}' AND lower(n.value) = lower(?) ORDER BY c.id"
        )
        return [dict(r) for r in self.conn.execute(sql, [address])]

    def last_outbox_id(self) -> int:
        """The id of the newest notice (0 when there is none)."""
        return int(self.conn.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0])

    def notices_after(self, outbox_id: int) -> list[dict[str, Any]]:
        """The notices queued after the one with this id, oldest first."""
        return [dict(r) for r in self.conn.execute("SELECT id, ticket_id, kind, recipient FROM outbox WHERE id > ? ORDER BY id", [outbox_id])]

    def withdraw_notice_ids(self, ids: Sequence[int], at: str) -> None:
        """Withdraw these unsent notices (they stay, marked withdrawn)."""
        if ids:
            self.conn.execute(
                "UPDATE outbox SET withdrawn_at = ? WHERE id IN (SELECT value FROM json_each(?)) AND sent_at IS NULL", [at, json.dumps(list(ids))]
            )

    def insert_quarantine(self, row: dict[str, Any]) -> int:
        """Hold a message for an agent (inside a transaction); returns its quarantine id."""
        return int(self.db["quarantine"].insert(row).last_pk)

    def quarantined(self, held_only: bool = True) -> list[dict[str, Any]]:
        """Quarantined messages without their bytes (only those still held, or all), oldest first."""
        where = " WHERE released_at IS NULL AND dropped_at IS NULL" if held_only else ""
        return [dict(r) for r in self.conn.execute(f"SELECT {QUARANTINE_COLUMNS} FROM quarantine{where} ORDER BY received_at, id")]

    def quarantined_message(self, quarantine_id: int) -> dict[str, Any] | None:
        """One quarantined message with its bytes, or None."""
        row = self.conn.execute("SELECT * FROM quarantine WHERE id = ?", [quarantine_id]).fetchone()
        return dict(row) if row else None

    def set_quarantine(self, quarantine_id: int, values: dict[str, Any]) -> None:
        """Change columns of a quarantined message (released, dropped)."""
        self.db["quarantine"].update(quarantine_id, values)

    def set_mail_outcome(self, key: str, values: dict[str, Any]) -> None:
        """Change what is recorded of a message seen (a released one's new outcome)."""
        self.db["mail_seen"].update(key, values)
