"""The SQL text of ticket reads: the joined ticket row, the triage walk, sort orders, and
a Filter turned into a WHERE clause, its search words into an FTS5 query."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from supportdesk.query import Filter

# The joined row every ticket read returns; model.ticket_json() shapes it for output.
TICKET_SELECT = """
SELECT t.*, c.email AS customer, c.package AS package, r.email AS reseller, a.login AS assignee
FROM tickets t
JOIN customers c ON c.id = t.customer_id
LEFT JOIN customers r ON r.id = c.reseller_id
LEFT JOIN agents a ON a.id = t.assignee_id
"""

# Triage walks the partial index in deadline order; without INDEXED BY the planner would
# walk the status index and sort every open ticket.
TRIAGE_SELECT = TICKET_SELECT.replace("FROM tickets t", "FROM tickets t INDEXED BY tickets_triage")

SORTS = {
    "newest": "t.created_at DESC, t.id DESC",
    "oldest": "t.created_at ASC, t.id ASC",
    "updated": "t.updated_at DESC, t.id DESC",
    "id": "t.id ASC",
}

# Open tickets, and open tickets with a running deadline (the triage indexes' condition).
ACTIVE = "t.status IN ('new', 'open', 'pending')"
DUE = "t.status IN ('new', 'open', 'pending') AND t.due_at IS NOT NULL"


def fts_query(search: str | None) -> str:
    """The search words as an FTS5 query: every word must appear (prefixes match)."""
    words = [w for w in re.split(r"\s+", search or "") if w]
    return " ".join('"' + w.replace('"', '""') + '"*' for w in words)


def filter_where(flt: Filter) -> tuple[str, list[Any]]:
    """The WHERE clause (empty, or starting with a space) and parameters of a Filter over
    the joined ticket row."""
    clauses: list[str] = []
    params: list[Any] = []
    if flt.ids:
        clauses.append("t.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(flt.ids)))
    for column, values in (
        ("t.status", flt.statuses),
        ("t.priority", flt.priorities),
        ("t.department", flt.departments),
    ):
        if values:
            clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    if flt.customer:
        clauses.append("c.email = ? COLLATE NOCASE")
        params.append(flt.customer)
    if flt.unassigned:
        clauses.append("t.assignee_id IS NULL")
    elif flt.assignee:
        clauses.append("a.login = ?")
        params.append(flt.assignee)
    if flt.created_after:
        clauses.append("t.created_at >= ?")
        params.append(flt.created_after)
    if flt.created_before:
        clauses.append("t.created_at < ?")
        params.append(flt.created_before)
    if flt.as_of:
        clauses.append("t.created_at <= ?")
        params.append(flt.as_of)
    if flt.search:
        clauses.append(
            "t.id IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ?)"
        )
        params.append(fts_query(flt.search))
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return where, params


def queue_filters(
    department: str | None, assignee_id: int | None, unassigned: bool, filed_by: str | None = None
) -> tuple[str, list[Any]]:
    """The extra conditions (each as ` AND …`) and parameters of a triage view."""
    clauses, params = [], []
    if filed_by:
        clauses.append("t.created_at <= ?")
        params.append(filed_by)
    if department:
        clauses.append("t.department = ?")
        params.append(department)
    if unassigned:
        clauses.append("t.assignee_id IS NULL")
    elif assignee_id is not None:
        clauses.append("t.assignee_id = ?")
        params.append(assignee_id)
    return "".join(f" AND {c}" for c in clauses), params
