"""The SQL text of ticket reads: the joined ticket row, the triage walk, sort orders, a
Filter turned into a WHERE clause over the ticket row alone (no join, so counts need none),
its search words into an FTS5 query, and a search answered in the list's own order.

A search with a limit walks the index of the list's order and keeps the tickets the
full-text index holds, asking that index only about the range of ids the walk has met:
the first page of a search that matches many tickets costs what the page costs, not what
the matches cost. Where the walk would have to go far (few tickets match), the database
answers the plain query instead: the same rows, found from the matches. A count of a
search asks the full-text index alone when nothing else narrows it."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from supportdesk.model import Scope
    from supportdesk.query import Filter
    from supportdesk.store.protocol import QueueScope

# The joined row every ticket read returns; model.ticket_json() shapes it for output.
TICKET_SELECT = """
SELECT t.*, c.email AS customer, c.package AS package, r.email AS reseller, a.login AS assignee
FROM tickets t
JOIN customers c ON c.id = t.customer_id
LEFT JOIN customers r ON r.id = t.reseller_id
LEFT JOIN agents a ON a.id = t.assignee_id
"""

# Triage walks the partial index in deadline order; without INDEXED BY the planner would
# walk the status index and sort every open ticket.
TRIAGE_SELECT = TICKET_SELECT.replace("FROM tickets t", "FROM tickets t INDEXED BY tickets_triage")
# The priority order (`[triage] order = "priority"`) walks its own partial index, which
# holds every open ticket in that order: with or without a running deadline, in one walk.
TRIAGE_PRIORITY_SELECT = TICKET_SELECT.replace("FROM tickets t", "FROM tickets t INDEXED BY tickets_triage_priority")
# Its order, as the index spells it: rank, then (as the deadline order has it within one
# rank) running deadlines soonest first, tickets without one after them, then age.
PRIORITY_ORDER = "t.priority_rank, t.due_at IS NULL, t.due_at, t.created_at"

SORTS = {
    "newest": "t.created_at DESC, t.id DESC",
    "oldest": "t.created_at ASC, t.id ASC",
    "updated": "t.updated_at DESC, t.id DESC",
    "id": "t.id ASC",
    "due": "t.due_at IS NULL, t.due_at, t.created_at, t.id",  # `status`: the soonest due first
}

# The index that holds each sort's order (None: the table itself, by id).
SORT_INDEXES: dict[str, str | None] = {
    "newest": "tickets_created",
    "oldest": "tickets_created",
    "updated": "tickets_updated",
    "id": None,
    "due": None,
}

# Open tickets, and open tickets with a running deadline (the triage indexes' condition).
ACTIVE = "t.status IN ('new', 'open', 'pending')"
DUE = "t.status IN ('new', 'open', 'pending') AND t.due_at IS NOT NULL"

SEARCH = "t.id IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ?)"
# The search's matches in a range of ids.
MATCHES_BETWEEN = "SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ? AND rowid BETWEEN ? AND ?"
# The words of the full-text index, read only through a range of words (created per
# connection, in its temporary schema: the desk file is not changed).
TERMS = "CREATE VIRTUAL TABLE IF NOT EXISTS temp.tickets_fts_terms USING fts5vocab(main, 'tickets_fts', 'row')"
PLAIN_WORD = re.compile(r"[A-Za-z0-9]+")
HAS_ALNUM = re.compile(r"[A-Za-z0-9]")
# A prefix that more indexed words than this begin stays a prefix query.
MAX_SPELLED = 8
# The longest page a search finds by walking its order's index; the rows it reads first,
# doubling on each read; the rows it may walk at least (200 a ticket of the page at most).
MAX_WALKED_PAGE = 500
FIRST_READ = 256
WALK_BUDGET = 4096
# The most tickets a count tells apart by their ids (those its time bounds keep or leave
# out); with more on both sides it asks the plain query.
MAX_SET = 100_000


def fts_query(search: str | None) -> str:
    """The search words as an FTS5 query: every word must appear (prefixes match)."""
    words = [w for w in re.split(r"\s+", search or "") if w]
    return " ".join('"' + w.replace('"', '""') + '"*' for w in words)


def search_query(conn: sqlite3.Connection, search: str) -> str:
    """fts_query(search), with each plain word whose prefix begins few indexed words
    spelled out as those words: the same matches, but FTS5 reads an exact word lazily and
    can seek in it, where it merges a prefix's every match in memory on each query."""
    words = [w for w in re.split(r"\s+", search) if w]
    # FTS5 drops a phrase without a word (`"-"*`) from a run of phrases, but an explicit
    # AND of one matches nothing: a word that may hold no letter or digit keeps the run.
    if not all(HAS_ALNUM.search(w) for w in words):
        return fts_query(search)
    conn.execute(TERMS)
    return " AND ".join((_spelled(conn, w) if PLAIN_WORD.fullmatch(w) else None) or fts_query(w) for w in words)


def _spelled(conn: sqlite3.Connection, word: str) -> str | None:
    low = word.lower()  # one word, as the index keeps it (unicode61 folds ASCII letters to lower case)
    after = low[:-1] + chr(ord(low[-1]) + 1)
    # Starting just past the word itself: FTS5 counts each word's matches as it lists it.
    longer = [
        r[0]
        for r in conn.execute(
            "SELECT term FROM temp.tickets_fts_terms WHERE term >= ? AND term < ? LIMIT ?",
            [low + "\x00", after, MAX_SPELLED + 1],
        )
    ]
    if len(longer) > MAX_SPELLED or not all(PLAIN_WORD.fullmatch(t) for t in longer):
        return None
    return "(" + " OR ".join(f'"{t}"' for t in (low, *longer)) + ")"


def scope_conditions(scope: Scope | None, table: str = "t") -> list[tuple[str, list[Any]]]:
    """The conditions that keep a reseller's or customer's tickets (none for the whole desk)."""
    if scope is None:
        return []
    prefix = f"{table}." if table else ""
    return [(f"{prefix}{column} = ?", [getattr(scope, column)]) for column in ("reseller_id", "customer_id") if getattr(scope, column) is not None]


def _conditions(flt: Filter, search: str | None) -> list[tuple[str, list[Any]]]:
    """Each condition of a Filter on the ticket row, with its parameters; the search (as
    the FTS5 query `search`) last, when given."""
    found: list[tuple[str, list[Any]]] = []
    if flt.ids:
        found.append(("t.id IN (SELECT value FROM json_each(?))", [json.dumps(list(flt.ids))]))
    for column, values in (("t.status", flt.statuses), ("t.priority", flt.priorities), ("t.department", flt.departments)):
        if values:
            found.append((f"{column} IN ({', '.join('?' for _ in values)})", list(values)))
    found.extend(scope_conditions(flt.scope))  # whose tickets the actor may see at all
    if flt.customer:  # e-mail addresses and logins are unique: one id or none
        found.append(("t.customer_id = (SELECT id FROM customers WHERE email = ? COLLATE NOCASE)", [flt.customer]))
    if flt.unassigned:
        found.append(("t.assignee_id IS NULL", []))
    elif flt.assignee:
        found.append(("t.assignee_id = (SELECT id FROM agents WHERE login = ?)", [flt.assignee]))
    found.extend(_created_conditions(flt))
    found.extend(_more_conditions(flt))
    if search:
        found.append((SEARCH, [search]))
    return found


def _more_conditions(flt: Filter) -> list[tuple[str, list[Any]]]:
    """The conditions of --older-than, --idle-for, --breached, --reseller, --package,
    --flag and --category."""
    found: list[tuple[str, list[Any]]] = []
    if flt.filed_before:
        found.append(("t.created_at < ?", [flt.filed_before]))
    if flt.idle_since:
        found.append((
            "t.created_at < ? AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id AND m.internal = 0 AND m.at >= ?)",
            [flt.idle_since, flt.idle_since],
        ))
    if flt.breached is not None:
        missed = "(t.respond_breached_at IS NOT NULL OR t.resolve_breached_at IS NOT NULL OR (t.due_at IS NOT NULL AND t.due_at < ?))"
        found.append((missed if flt.breached else f"NOT {missed}", [flt.breached_at]))
    if flt.reseller:
        found.append((
            "t.reseller_id IN (SELECT id FROM customers WHERE kind = 'reseller' AND (email = ? COLLATE NOCASE OR name = ? COLLATE NOCASE))",
            [flt.reseller, flt.reseller],
        ))
    if flt.package is not None:
        found.append(("t.customer_id IN (SELECT id FROM customers WHERE coalesce(package, '') = ?)", [flt.package]))
    if flt.flag:
        found.append(("EXISTS (SELECT 1 FROM json_each(t.flags) f WHERE f.value = ? OR f.value LIKE ? || ':%')", [flt.flag, flt.flag]))
    if flt.categories:
        found.append((f"t.category IN ({', '.join('?' for _ in flt.categories)})", list(flt.categories)))
    return found


# Each time bound of a Filter: the condition of the tickets it keeps, and of those it leaves out.
CREATED_BOUNDS = (
    ("created_after", "t.created_at >= ?", "t.created_at < ?"),
    ("created_before", "t.created_at < ?", "t.created_at >= ?"),
    ("as_of", "t.created_at <= ?", "t.created_at > ?"),
)


def _created_conditions(flt: Filter, left_out: bool = False) -> list[tuple[str, list[Any]]]:
    """The conditions of a filter's time bounds, or (left_out) one per bound of the
    tickets it leaves out."""
    return [(out if left_out else keep, [getattr(flt, name)]) for name, keep, out in CREATED_BOUNDS if getattr(flt, name)]


def _joined(conditions: list[tuple[str, list[Any]]]) -> tuple[str, list[Any]]:
    """Conditions joined by AND, and their parameters in order."""
    return " AND ".join(sql for sql, _ in conditions), [p for _, params in conditions for p in params]


def filter_where(flt: Filter, search: str | None = None) -> tuple[str, list[Any]]:
    """The WHERE clause (empty, or starting with a space) and parameters of a Filter over
    the ticket row `t`; `search` replaces fts_query(flt.search) (see search_query)."""
    conditions = _conditions(flt, (search or fts_query(flt.search)) if flt.search else None)
    sql, params = _joined(conditions)
    return (" WHERE " + sql if sql else ""), params


def count_matching(conn: sqlite3.Connection, flt: Filter) -> int:
    """How many tickets match a filter, from the ticket rows alone (no join); a search
    alone, or with time bounds only, is counted by the full-text index."""
    if not flt.search:
        where, params = filter_where(flt)
        return int(conn.execute(f"SELECT count(*) FROM tickets t{where}", params).fetchone()[0])
    query = search_query(conn, flt.search)
    bounds = _created_conditions(flt)
    if _conditions(flt, None) == bounds:
        counted = _count_within(conn, query, bounds, _created_conditions(flt, left_out=True))
        if counted is not None:
            return counted
    where, params = filter_where(flt, query)
    return int(conn.execute(f"SELECT count(*) FROM tickets t{where}", params).fetchone()[0])


def _count_within(
    conn: sqlite3.Connection, query: str, bounds: list[tuple[str, list[Any]]], outside: list[tuple[str, list[Any]]]
) -> int | None:
    """How many matches of the search the time bounds keep: all of them, less those among
    the few tickets the bounds leave out, or those among the few they keep; None when
    there are many of both."""
    count = "SELECT count(*) FROM tickets_fts WHERE tickets_fts MATCH ?"
    if not bounds:
        return int(conn.execute(count, [query]).fetchone()[0])

    def tickets(conditions: list[tuple[str, list[Any]]]) -> tuple[str, list[Any]]:
        """The ids of the tickets that meet any one of the conditions."""
        sql = " UNION ".join(f"SELECT t.id FROM tickets t INDEXED BY tickets_created WHERE {c}" for c, _ in conditions)
        return sql, [p for _, params in conditions for p in params]

    for (ids, params), kept in ((tickets(outside), False), (tickets([_joined(bounds)]), True)):
        size, low, high = conn.execute(f"SELECT count(*), min(id), max(id) FROM ({ids} LIMIT ?)", [*params, MAX_SET + 1]).fetchone()
        if size > MAX_SET:
            continue
        among = 0
        if size:
            among = conn.execute(f"{count} AND rowid BETWEEN ? AND ? AND +rowid IN ({ids})", [query, low, high, *params]).fetchone()[0]
        return int(among) if kept else int(conn.execute(count, [query]).fetchone()[0]) - int(among)
    return None


class _Matches:
    """Which tickets the search matches, read from the full-text index over one range of
    ids that grows as far as the tickets asked about need (the walk of an order mostly
    moves through neighbouring ids)."""

    def __init__(self, conn: sqlite3.Connection, query: str):
        self._conn, self._query = conn, query
        self._read: set[int] = set()
        self._range: tuple[int, int] | None = None

    def cover(self, ids: list[int]) -> None:
        """Read the matches among ids from the lowest to the highest of `ids`."""
        if not ids:
            return
        low, high = min(ids), max(ids)
        if self._range is None:
            self._fetch(low, high)
        else:
            if low < self._range[0]:
                self._fetch(low, self._range[0] - 1)
            if high > self._range[1]:
                self._fetch(self._range[1] + 1, high)
            low, high = min(low, self._range[0]), max(high, self._range[1])
        self._range = (low, high)

    def _fetch(self, low: int, high: int) -> None:
        self._read.update(r[0] for r in self._conn.execute(MATCHES_BETWEEN, [self._query, low, high]))

    def __contains__(self, ticket_id: int) -> bool:
        return ticket_id in self._read


def walk_search(conn: sqlite3.Connection, flt: Filter, query: str) -> list[int] | None:
    """The ids of the first `flt.limit` tickets a search filter matches, in its order,
    found by walking the order's index; None when the walk would read too far (few tickets
    match) or the page is long, for the caller to ask the plain query."""
    if not flt.limit or flt.limit > MAX_WALKED_PAGE:
        return None
    index = SORT_INDEXES[flt.sort]
    others = _conditions(flt, None)
    # On the index's own column the time bounds narrow the walk; the rest are tested per row.
    bounds = _created_conditions(flt) if index == "tickets_created" else []
    tests = [c for c in others if c not in bounds]
    test, test_params = _joined(tests) if tests else ("1", [])
    where, where_params = _joined(bounds)
    cursor = conn.execute(
        f"SELECT t.id, ({test}) FROM tickets t{f' INDEXED BY {index}' if index else ''}"
        f"{' WHERE ' + where if where else ''} ORDER BY {SORTS[flt.sort]}",
        [*test_params, *where_params],
    )
    try:
        return _walk(cursor, _Matches(conn, query), flt.limit)
    finally:
        cursor.close()


def _walk(cursor: sqlite3.Cursor, matches: _Matches, limit: int) -> list[int] | None:
    budget = max(WALK_BUDGET, 200 * limit)  # rows walked, beyond which the plain query is cheaper
    found: list[int] = []
    walked, batch = 0, max(FIRST_READ, 8 * limit)
    while True:
        rows = cursor.fetchmany(batch)
        candidates = [ticket_id for ticket_id, passes in rows if passes]
        matches.cover(candidates)
        for ticket_id in candidates:
            if ticket_id in matches:
                found.append(ticket_id)
                if len(found) == limit:
                    return found
        if len(rows) < batch:
            return found  # every ticket walked
        walked += len(rows)
        if walked * limit > budget * max(len(found), 0.5):
            return None  # at this rate the page would not fill within the budget: few match
        batch *= 2


def queue_filters(scope: QueueScope) -> tuple[str, list[Any]]:
    """The extra conditions (each as ` AND …`) and parameters of a triage view's scope."""
    keys = (("filed_by", "t.created_at <= ?"), ("department", "t.department = ?"), ("due_before", "t.due_at IS NOT NULL AND t.due_at <= ?"))
    clauses: list[tuple[str, list[Any]]] = [(sql, [scope.get(key)]) for key, sql in keys if scope.get(key)]
    if scope.get("unassigned"):
        clauses.append(("t.assignee_id IS NULL", []))
    elif scope.get("assignee_id") is not None:
        clauses.append(("t.assignee_id = ?", [scope.get("assignee_id")]))
    return "".join(f" AND {sql}" for sql, _ in clauses), [p for _, params in clauses for p in params]
