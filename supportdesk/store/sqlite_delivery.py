"""The SQLite store's side of delivering notices (which are due, claiming one for a
sender, recording what became of it, the thread of Message-IDs a ticket's mail belongs
to) and of attachments."""

from __future__ import annotations

import sqlite3
from typing import Any

# A notice a sender may take: not sent, withdrawn or given up on, and due (never tried,
# or its retry time or a crashed sender's lease has passed).
DUE = (
    "sent_at IS NULL AND withdrawn_at IS NULL AND failed_at IS NULL "
    "AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
)
# What `record_delivery` may set.
DELIVERY_COLUMNS = ("sent_at", "address", "last_error", "next_attempt_at", "failed_at")


class SqliteDelivery:
    """Notices' delivery and attachments, over the store's connection."""

    conn: sqlite3.Connection

    # ---- delivering notices ----------------------------------------------------------

    def due_notices(self, now: str, limit: int | None = None, after: int = 0) -> list[dict[str, Any]]:
        """Notices due for sending at `now` whose id is above `after`, oldest first."""
        sql = f"SELECT * FROM outbox WHERE id > ? AND {DUE} ORDER BY id" + (" LIMIT ?" if limit else "")
        return [dict(r) for r in self.conn.execute(sql, [after, now, limit] if limit else [after, now])]

    def claim_notice(self, notice_id: int, now: str, lease_until: str, message_id: str) -> dict[str, Any] | None:
        """Take a due notice for sending (inside a transaction): one attempt more, nobody
        else's until `lease_until`, its Message-ID kept (the first one it was given stays);
        None when it is no longer due (another sender took it)."""
        cursor = self.conn.execute(
            f"UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, message_id = coalesce(message_id, ?) WHERE id = ? AND {DUE}",
            [lease_until, message_id, notice_id, now],
        )
        if cursor.rowcount == 0:
            return None
        return dict(self.conn.execute("SELECT * FROM outbox WHERE id = ?", [notice_id]).fetchone())

    def record_delivery(self, notice_id: int, values: dict[str, Any]) -> None:
        """Record what became of a notice's attempt (inside a transaction)."""
        columns = [c for c in values if c in DELIVERY_COLUMNS]
        assert len(columns) == len(values), f"not a delivery column: {set(values) - set(columns)}"
        self.conn.execute(
            f"UPDATE outbox SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?", [values[c] for c in columns] + [notice_id]
        )

    def notice(self, notice_id: int) -> dict[str, Any] | None:
        """One outbox row, or None."""
        row = self.conn.execute("SELECT * FROM outbox WHERE id = ?", [notice_id]).fetchone()
        return dict(row) if row else None

    def mail_thread(self, ticket_id: int) -> list[str]:
        """The Message-IDs of a ticket's mail with its customer, oldest first: the messages
        received for it and the notices sent to the customer."""
        cursor = self.conn.execute(
            """
            SELECT at, key FROM (
                SELECT at, key FROM mail_seen WHERE ticket_id = ? AND outcome IN ('filed', 'reply') AND key LIKE '<%'
                UNION ALL
                SELECT sent_at AS at, message_id AS key FROM outbox
                WHERE ticket_id = ? AND sent_at IS NOT NULL AND message_id IS NOT NULL AND recipient NOT LIKE 'agent:%'
            ) ORDER BY at, key
            """,
            [ticket_id, ticket_id],
        )
        return [key for _, key in cursor]

    def latest_message_id(self, ticket_id: int) -> int | None:
        """The id of the message last added to a ticket, or None."""
        row = self.conn.execute("SELECT max(id) FROM messages WHERE ticket_id = ?", [ticket_id]).fetchone()
        return row[0] if row else None

    def message(self, message_id: int) -> dict[str, Any] | None:
        """One message row, or None."""
        row = self.conn.execute("SELECT * FROM messages WHERE id = ?", [message_id]).fetchone()
        return dict(row) if row else None

    # ---- attachments -----------------------------------------------------------------

    def insert_attachment(self, row: dict[str, Any]) -> int:
        """Add an attachment's row (inside a transaction); returns its id."""
        columns = ("ticket_id", "message_id", "filename", "content_type", "size", "sha256", "created_at", "created_by")
        cursor = self.conn.execute(
            f"INSERT INTO attachments ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})", [row[c] for c in columns]
        )
        return int(cursor.lastrowid or 0)

    def attachment(self, attachment_id: int) -> dict[str, Any] | None:
        """One attachment's row, or None."""
        row = self.conn.execute("SELECT * FROM attachments WHERE id = ?", [attachment_id]).fetchone()
        return dict(row) if row else None

    def attachments(self, ticket_id: int) -> list[dict[str, Any]]:
        """A ticket's attachments, oldest first."""
        return [dict(r) for r in self.conn.execute("SELECT * FROM attachments WHERE ticket_id = ? ORDER BY id", [ticket_id])]

    def message_attachments(self, message_id: int) -> list[dict[str, Any]]:
        """The attachments that came with one message, oldest first."""
        return [dict(r) for r in self.conn.execute("SELECT * FROM attachments WHERE message_id = ? ORDER BY id", [message_id])]
