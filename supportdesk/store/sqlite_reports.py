"""The SQLite store's report reads: both SLA clocks of the tickets filed in a period,
counted and timed per group, the tickets whose stopped clocks carry no stamped time (filed
before the desk stamped them), and tickets filed and closed per local day.

The whole desk's reads go through the `tickets_report` index (migration 9), which holds
every column they read, so a year of a million tickets is read without touching the
ticket rows; a reseller's or customer's go through the index of its scope. The
definitions of met, breached, running and overdue are supportdesk/report.py's; the SQL
below is their translation.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supportdesk.store.sqlite_queries import scope_conditions

if TYPE_CHECKING:
    from supportdesk.model import Scope

# Each clock's columns: when it stopped (the response clock at the first public reply,
# or when the ticket was resolved or closed without one; NULL while it runs), its breach
# stamp, its deadline and the running time stamped when it stopped.
CLOCKS = {
    "respond": {
        "stopped_at": "coalesce(t.first_response_at, t.resolved_at, t.closed_at)",
        "stamp": "t.respond_breached_at",
        "deadline": "t.respond_by",
        "seconds": "t.response_seconds",
    },
    "resolve": {
        "stopped_at": "coalesce(t.resolved_at, t.closed_at)",
        "stamp": "t.resolve_breached_at",
        "deadline": "t.resolve_by",
        "seconds": "t.resolution_seconds",
    },
}

# Whole seconds between two UTC texts: unixepoch() where SQLite has it (3.38), which is
# cheaper than julianday() over a million tickets.
if sqlite3.sqlite_version_info >= (3, 38):
    SECONDS_BETWEEN = "unixepoch({b}) - unixepoch({a})"
else:  # pragma: no cover - older SQLite
    SECONDS_BETWEEN = "CAST(round((julianday({b}) - julianday({a})) * 86400) AS INTEGER)"

# What the aggregate answers for each clock, in this order (see clock_figures), written
# as counts of non-NULL values: cheaper than sums of conditions over a million rows.
FIGURES = ("stopped", "stamped", "stamped_running", "met", "overdue", "business", "calendar")


def _clock_columns(clock: str) -> list[str]:
    stopped, stamp, deadline, seconds = (CLOCKS[clock][k] for k in ("stopped_at", "stamp", "deadline", "seconds"))
    return [
        f"count({stopped})",
        f"count({stamp})",
        f"count(CASE WHEN {stopped} IS NULL THEN {stamp} END)",
        f"count(CASE WHEN {stopped} IS NOT NULL AND {stamp} IS NULL THEN {deadline} END)",
        f"count(CASE WHEN {stopped} IS NULL AND {stamp} IS NULL AND {deadline} < :now THEN 1 END)",
        f"group_concat(CASE WHEN {stopped} IS NOT NULL THEN {seconds} END)",
        "group_concat(" + SECONDS_BETWEEN.format(a="t.created_at", b=stopped) + ")",
    ]


CLOCK_AGGREGATES = ", ".join(["count(*)", *_clock_columns("respond"), *_clock_columns("resolve")])

# The keys the clock figures are grouped by (the reseller's and agent's by id, the
# customer's package by name).
GROUP_KEYS = {
    "priority": "t.priority",
    "department": "t.department",
    "agent": "t.assignee_id",
    "reseller": "t.reseller_id",
    "package": "(SELECT c.package FROM customers c WHERE c.id = t.customer_id)",
}

# What a stopped clock without its stamped time needs to have it computed.
UNSTAMPED_COLUMNS = ", ".join(
    [
        "t.id, t.created_at, t.paused_seconds, t.sla, t.policy_version",
        *(
            f"CASE WHEN {c['seconds']} IS NULL THEN {c['stopped_at']} END AS {clock}_stopped_at"
            for clock, c in CLOCKS.items()
        ),
    ]
)
UNSTAMPED = " OR ".join(f"({c['stopped_at']} IS NOT NULL AND {c['seconds']} IS NULL)" for c in CLOCKS.values())


def _integers(text: str | None) -> list[int]:
    """The values of a group_concat of integers (read as a JSON array: the fastest way)."""
    return json.loads(f"[{text}]") if text else []


def _period(start: str | None, end: str | None, scope: Scope | None, filed_by: str | None, column: str = "t.created_at") -> tuple[list[str], dict[str, Any]]:
    """The conditions (and named parameters) of tickets in a scope whose `column` lies in
    [start, end), filed at or before `filed_by`."""
    where, params = [], {}
    for name, sql, value in (("start", f"{column} >= :start", start), ("end", f"{column} < :end", end), ("filed_by", "t.created_at <= :filed_by", filed_by)):
        if value is not None:
            where.append(sql)
            params[name] = value
    for i, (sql, values) in enumerate(scope_conditions(scope)):
        where.append(sql.replace("?", f":scope{i}"))
        params[f"scope{i}"] = values[0]
    return where, params


def _offset_case(column: str, offsets: Sequence[tuple[str, int]]) -> str:
    """The SQL modifier that turns `column` (UTC text) into local wall time: the offset
    in force at it, from `offsets` ((UTC instant it starts at, minutes east of UTC), in
    time order)."""
    if len(offsets) == 1:
        return f"'{int(offsets[0][1]):+d} minutes'"
    branches = " ".join(f"WHEN {column} < '{start}' THEN '{int(minutes):+d} minutes'" for (_, minutes), (start, _) in pairwise(offsets))
    return f"CASE {branches} ELSE '{int(offsets[-1][1]):+d} minutes' END"


def _groups(rows: list[Any]) -> list[dict[str, Any]]:
    """The groups of one period's aggregate: its key, tickets, and each clock's figures."""
    found = []
    for row in rows:
        if not row[1]:
            continue  # no tickets (an aggregate without GROUP BY still answers one row)
        group: dict[str, Any] = {"key": row[0], "tickets": row[1]}
        for i, clock in enumerate(CLOCKS):
            figures = dict(zip(FIGURES, row[2 + i * len(FIGURES) : 2 + (i + 1) * len(FIGURES)], strict=True))
            figures["business"], figures["calendar"] = _integers(figures["business"]), _integers(figures["calendar"])
            group[clock] = figures
        found.append(group)
    return found


def read_ahead(path: Path, statements: Sequence[tuple[str, dict[str, Any]]]) -> Iterator[list[Any]]:
    """The rows of each read statement, in order, read on a connection of their own in one
    read transaction (one state of the desk) by a helper thread that reads the next
    statement while the caller works on the rows before: SQLite reads without Python's
    lock, so a report's reading and its sorting share the machine's cores."""
    import queue
    import threading

    from supportdesk.store.sqlite_files import connect

    answers: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def work() -> None:
        try:
            conn = connect(path)
            try:
                conn.execute("BEGIN")
                for sql, params in statements:
                    if stop.is_set():
                        return
                    answers.put((True, conn.execute(sql, params).fetchall()))
            finally:
                conn.close()
        except BaseException as error:  # noqa: BLE001 - handed to the caller, raised there
            answers.put((False, error))

    worker = threading.Thread(target=work, name="supportdesk-report-reader", daemon=True)
    worker.start()
    try:
        for _ in statements:
            done, value = answers.get()
            if not done:
                raise value
            yield value
    finally:
        stop.set()
        while worker.is_alive():  # it finishes the statement under way, then its connection
            try:
                answers.get(timeout=0.05)
            except queue.Empty:
                pass


def _from(scope: Scope | None, where: list[str]) -> str:
    """FROM and WHERE of a report's read: the whole desk's reads walk `tickets_report` (the
    planner would take a narrower index and read every ticket row besides); a reseller's
    or a customer's walk the index of its scope."""
    table = "tickets t" if scope is not None else "tickets t INDEXED BY tickets_report"
    return f" FROM {table}" + (" WHERE " + " AND ".join(where) if where else "")


class SqliteReports:
    """Report reads, over the store's connection."""

    conn: sqlite3.Connection
    path: Path

    def report_span(self, scope: Scope | None, filed_by: str | None = None) -> tuple[str, str] | None:
        """When the first and the last ticket of a scope were filed (None: no tickets)."""
        where, params = _period(None, None, scope, filed_by)
        # One min() and one max() each: SQLite answers each from the end of an index.
        first, last = (
            self.conn.execute(f"SELECT {edge}(t.created_at) FROM tickets t" + (" WHERE " + " AND ".join(where) if where else ""), params).fetchone()[0]
            for edge in ("min", "max")
        )
        return (first, last) if first is not None else None

    def clock_figures(
        self,
        periods: Sequence[tuple[str | None, str | None]],
        *,
        now: str,
        by: str | None = None,
        scope: Scope | None = None,
        filed_by: str | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Both SLA clocks of the tickets filed in each period [start, end), counted and timed per group, one period after another."""
        key = GROUP_KEYS[by] if by else "NULL"
        statements = []
        for start, end in periods:
            where, params = _period(start, end, scope, filed_by)
            sql = f"SELECT {key} AS k, {CLOCK_AGGREGATES}{_from(scope, where)}" + (" GROUP BY k" if by else "")
            statements.append((sql, params | {"now": now}))
        if len(statements) == 1:
            yield _groups(self.conn.execute(*statements[0]).fetchall())
            return
        for rows in read_ahead(self.path, statements):
            yield _groups(rows)

    def unstamped_clocks(
        self, start: str | None, end: str | None, *, by: str | None = None, scope: Scope | None = None, filed_by: str | None = None
    ) -> list[dict[str, Any]]:
        """Tickets filed in [start, end) with a stopped clock whose running time was not stamped, with their group."""
        where, params = _period(start, end, scope, filed_by)
        key = GROUP_KEYS[by] if by else "NULL"
        sql = f"SELECT {key} AS key, {UNSTAMPED_COLUMNS}{_from(scope, [*where, f'({UNSTAMPED})'])}"
        return [dict(row) for row in self.conn.execute(sql, params)]

    def daily_volume(
        self, start: str, end: str, offsets: Sequence[tuple[str, int]], *, scope: Scope | None = None, filed_by: str | None = None
    ) -> dict[str, Any]:
        """Tickets of a scope filed and closed in [start, end) per local day, and those open at its start."""
        days: dict[str, dict[str, int]] = {}
        for what, column in (("filed", "t.created_at"), ("closed", "coalesce(t.resolved_at, t.closed_at)")):
            where, params = _period(start, end, scope, filed_by, column)
            sql = f"SELECT date({column}, {_offset_case(column, offsets)}) AS day, count(*){_from(scope, where)} GROUP BY day"
            for day, n in self.conn.execute(sql, params):
                days.setdefault(day, {"filed": 0, "closed": 0})[what] = n
        where, params = _period(None, start, scope, filed_by)
        # Filed before the start and not closed before it (NULL: not closed at all).
        where.append("coalesce(t.resolved_at, t.closed_at, :start) >= :start")
        params["start"] = start
        backlog = self.conn.execute(f"SELECT count(*){_from(scope, where)}", params).fetchone()[0]
        return {"days": days, "backlog": int(backlog)}
