"""The SQLite store's outages and SLA credits (`outage add|list`, `sla credit|credits`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils


class SqliteCredits:
    """Outages of services and the credits recorded for them, over the store's connection."""

    conn: sqlite3.Connection
    db: sqlite_utils.Database

    def insert_outage(self, row: dict[str, Any]) -> int:
        """Record an outage of a service (inside a transaction); returns its id."""
        return int(self.db["outages"].insert(row).last_pk)

    def outages(self, service_ids: Sequence[int] | None = None, start: str | None = None, end: str | None = None) -> list[dict[str, Any]]:
        """Outages (of these services; None: all) that share time with [start, end), by start."""
        where, params = [], []
        if service_ids is not None:
            where.append("service_id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(service_ids)))
        if start is not None:
            where.append("ended_at > ?")
            params.append(start)
        if end is not None:
            where.append("started_at < ?")
            params.append(end)
        sql = "SELECT * FROM outages" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY started_at, id"
        return [dict(r) for r in self.conn.execute(sql, params)]

    def insert_credit(self, row: dict[str, Any]) -> int:
        """Record an SLA credit on a customer (inside a transaction); returns its id."""
        return int(self.db["credits"].insert(row).last_pk)

    def credits(self, customer_id: int | None = None, month: str | None = None) -> list[dict[str, Any]]:
        """Recorded SLA credits (of a customer, of a month; None: any), oldest first."""
        where, params = [], []
        for column, value in (("customer_id", customer_id), ("month", month)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "SELECT * FROM credits" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY created_at, id"
        return [dict(r) for r in self.conn.execute(sql, params)]
