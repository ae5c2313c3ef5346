"""The SQLite store's people and access reads and writes: customers, resellers, agents,
services, tokens and violations, the intake's history of a requester, and the concise
views of a scope."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils

    from supportdesk.model import Scope

# SQLite's bound-parameter limit is 32766 on modern builds; stay well below it.
CHUNK = 5000

# The tables `insert_row`, `update_row` and `rows` reach, and the orders `rows` takes.
PEOPLE_TABLES = {t: t for t in ("customers", "agents", "services", "tokens", "violations")}
ORDERS = {"id": "id", "email": "email COLLATE NOCASE", "login": "login", "created": "created_at, id"}


class SqlitePeople:
    """People and access, over the store's connection."""

    conn: sqlite3.Connection
    db: sqlite_utils.Database

    if TYPE_CHECKING:

        def _reads(self) -> sqlite3.Connection: ...

    # ---- people and access ------------------------------------------------------------

    def insert_row(self, table: str, row: dict[str, Any]) -> int:
        """Add a row to a people table (services, tokens, violations); returns its id."""
        return int(self.db[PEOPLE_TABLES[table]].insert(row).last_pk)

    def update_row(self, table: str, row_id: int, values: dict[str, Any]) -> None:
        """Change columns of a row of a people table (inside a transaction)."""
        self.db[PEOPLE_TABLES[table]].update(row_id, values)

    def rows(self, table: str, order: str = "id", **where: Any) -> list[dict[str, Any]]:
        """Rows of a people table (customers, agents, services, tokens, violations) whose
        columns equal the given values (None: IS NULL), in `order`."""
        name = PEOPLE_TABLES[table]
        # `IS NULL` written out, so that partial indexes (unpaid violations) serve it.
        conditions = [f"[{c}] IS NULL" if v is None else f"[{c}] = ?" for c, v in where.items()]
        sql = f"SELECT * FROM [{name}]" + (" WHERE " + " AND ".join(conditions) if conditions else "")
        sql += f" ORDER BY {ORDERS[order]}"
        return [dict(r) for r in self.conn.execute(sql, [v for v in where.values() if v is not None])]

    def customer_tickets(self, customer_id: int, since: str, columns: Sequence[str]) -> list[dict[str, Any]]:
        """A customer's tickets filed since an instant, newest first (the intake's history)."""
        select = ", ".join(f"[{c}]" for c in ("id", *columns))
        cursor = self.conn.execute(
            f"SELECT {select} FROM tickets INDEXED BY tickets_customer WHERE customer_id = ? AND created_at >= ? ORDER BY created_at DESC, id DESC",
            [customer_id, since],
        )
        return [dict(r) for r in cursor]

    def category_count(self, customer_id: int, category: str) -> int:
        """How many tickets of a category a customer has filed (quotas)."""
        return int(self.conn.execute(
            "SELECT count(*) FROM tickets INDEXED BY tickets_customer WHERE customer_id = ? AND category = ?", [customer_id, category]
        ).fetchone()[0])

    def move_customer_tickets(self, customer_id: int, reseller_id: int | None) -> int:
        """Carry a customer's tickets into its (new) reseller's scope; returns how many."""
        cursor = self.conn.execute("UPDATE tickets SET reseller_id = ? WHERE customer_id = ?", [reseller_id, customer_id])
        return cursor.rowcount

    def last_public_messages(self, ticket_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The latest public message of each ticket that has one, by ticket id."""
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ticket_ids), CHUNK):
            chunk = json.dumps(list(ticket_ids[start : start + CHUNK]))
            cursor = self.conn.execute(
                "SELECT m.* FROM messages m WHERE m.id IN (SELECT (SELECT id FROM messages WHERE ticket_id = j.value AND internal = 0 "
                "ORDER BY at DESC, id DESC LIMIT 1) FROM json_each(?) j)",
                [chunk],
            )
            found.update({row["ticket_id"]: dict(row) for row in cursor})
        return found

    def status_counts(self, scope: Scope | None, filed_by: str | None = None) -> dict[str, int]:
        """How many tickets of a scope (None: the desk) are in each status."""
        from supportdesk.store.sqlite_queries import scope_conditions

        within = scope_conditions(scope, table="")
        where = [condition for condition, _ in within]
        params: list[Any] = [value for _, values in within for value in values]
        if filed_by is not None:
            where.append("created_at <= ?")
            params.append(filed_by)
        sql = "SELECT status, count(*) FROM tickets" + (" WHERE " + " AND ".join(where) if where else "") + " GROUP BY status"
        return {status: int(n) for status, n in self.conn.execute(sql, params)}

    def customer_by_id(self, customer_id: int) -> dict[str, Any] | None:
        """A customer row by id, or None."""
        row = self.conn.execute("SELECT * FROM customers WHERE id = ?", [customer_id]).fetchone()
        return dict(row) if row else None

    def customers_by_ids(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Customer rows by id (missing ids absent)."""
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), CHUNK):
            cursor = self._reads().execute(
                "SELECT * FROM customers WHERE id IN (SELECT value FROM json_each(?))", [json.dumps(list(ids[start : start + CHUNK]))]
            )
            found.update({row["id"]: dict(row) for row in cursor})
        return found
