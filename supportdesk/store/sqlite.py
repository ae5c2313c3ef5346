"""The desk in one SQLite file: today's implementation of the store (DeskStore).

Reads use the plain `sqlite3` connection so that `supportdesk show 42` does not pay for
importing sqlite-utils; schema changes and writes go through sqlite-utils. The SQL text of
ticket reads is in sqlite_queries, the file handling in sqlite_files, backup, restore and
check in sqlite_maintenance, and the reports' reads in sqlite_reports.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

from supportdesk.errors import DeskUnavailable, InvalidInput, NotFound
from supportdesk.model import UNTRACKED_COLUMNS, Event, Message, TicketChange
from supportdesk.store.migrations import SCHEMA_VERSION, migration_set
from supportdesk.store.sqlite_credits import SqliteCredits
from supportdesk.store.sqlite_delivery import SqliteDelivery
from supportdesk.store.sqlite_files import (
    connect,
    explain_error,
)
from supportdesk.store.sqlite_mail import SqliteMail
from supportdesk.store.sqlite_maintenance import SqliteMaintenance
from supportdesk.store.sqlite_operations import SqliteOperations
from supportdesk.store.sqlite_people import SqlitePeople
from supportdesk.store.sqlite_queries import (
    ACTIVE,
    DUE,
    PRIORITY_ORDER,
    SORTS,
    TICKET_SELECT,
    TRIAGE_PRIORITY_SELECT,
    TRIAGE_SELECT,
    count_matching,
    filter_where,
    queue_filters,
    scope_conditions,
    search_query,
    walk_search,
)
from supportdesk.store.sqlite_reports import SqliteReports
from supportdesk.store.sqlite_transfer import SqliteTransfer
from supportdesk.text import json_encoder

if TYPE_CHECKING:
    import sqlite_utils

    from supportdesk.model import Scope
    from supportdesk.query import Filter
    from supportdesk.store.protocol import QueueScope

# SQLite's bound-parameter limit is 32766 on modern builds; stay well below it.
CHUNK = 5000



# Events' details and changes as JSON text, keys sorted (a bulk close encodes 200 000).
EVENT_JSON = json_encoder(sort_keys=True)


class Store(SqliteOperations, SqlitePeople, SqliteMaintenance, SqliteCredits, SqliteTransfer, SqliteReports, SqliteMail, SqliteDelivery):
    """One open desk file."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self.conn = conn
        self._db: sqlite_utils.Database | None = None
        # Called once the write lock is held; returns (operation id, recorded_at) for
        # every event the transaction writes. The desk service sets it.
        self.on_begin: Callable[[], tuple[str | None, str | None]] | None = None
        self._stamp: tuple[str | None, str | None] = (None, None)
        self._final_path: Path | None = None  # set while create() builds the desk

    # ---- opening -------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, *, publish: bool = True) -> Store:
        """A new desk (mode 0600, current schema) built in a temporary file beside `path`.

        Nothing appears at `path` until `publish()` renames the finished file into place
        (at once, unless `publish` is False so that the caller can fill it first), so a
        crash or Ctrl-C while a desk is being built leaves no half-made desk.
        """
        if path.exists() and (path.is_dir() or path.stat().st_size > 0):
            raise InvalidInput(f"a file already exists at {path}; choose another --db path")
        import tempfile

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".creating", dir=path.parent)
            os.close(fd)
            os.chmod(name, 0o600)
        except OSError as error:
            raise DeskUnavailable(f"cannot create the desk {path}: {error.strerror}") from None
        temp = Path(name)
        try:
            store = cls(temp, connect(temp))
        except sqlite3.Error as error:
            temp.unlink(missing_ok=True)
            raise explain_error(path, error) from None
        store._final_path = path
        try:
            store.conn.execute("PRAGMA journal_mode=WAL")
            with store.transaction():
                store._migrate()
        except BaseException as error:
            store.discard()
            if isinstance(error, sqlite3.Error):
                raise explain_error(path, error) from None
            raise
        if publish:
            store.publish()
        return store

    def publish(self) -> None:
        """Move a desk built by `create()` to its place and reopen it there."""
        final = self._final_path
        if final is None:
            return
        self.conn.close()  # checkpoints the WAL into the file
        if final.exists() and final.stat().st_size > 0:
            Path(self.path).unlink(missing_ok=True)
            raise InvalidInput(f"a file appeared at {final} while the desk was being built; choose another --db path")
        os.replace(self.path, final)
        self.path, self._final_path, self._db = final, None, None
        self.conn = connect(final)

    def discard(self) -> None:
        """Close and delete a desk that `create()` was still building."""
        self.conn.close()
        if self._final_path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open an existing desk, upgrading an older schema; refuse a newer one."""

        def upgrade(store: Store, version: int) -> None:
            if version < SCHEMA_VERSION:
                if version == 0 and not store._has_table("tickets"):
                    raise DeskUnavailable(f"{path} is an SQLite file but not a supportdesk desk")
                with store.transaction():
                    store._migrate()

        return cls._open_file(
            path,
            upgrade,
            missing=f"no desk at {path}; create one with `supportdesk --db {path} init`",
            empty=f"; make it one with `supportdesk --db {path} init`",
            foreign="; check --db or SUPPORTDESK_DB",
        )

    def _has_table(self, name: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [name]
        ).fetchone()
        return row is not None

    def _has_any_table(self) -> bool:
        return self.conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None

    @property
    def db(self) -> sqlite_utils.Database:
        """The sqlite-utils view of the connection, created on first write."""
        conn = self.conn
        if self._writer is not None:  # background_writes(): the real connection, once they are done
            self._writer.drain()
            conn = self._writer.conn
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(conn, execute_plugins=False)
        return self._db

    def _migrate(self) -> None:
        migrations = migration_set()
        self._refuse_unknown({m.name for m in migrations.applied(self.db)})
        migrations.apply(self.db)
        self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def schema_migrations(self) -> list[str]:
        """Names of the migrations applied to this desk, in order."""
        return [m.name for m in migration_set().applied(self.db)]

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    # ---- transactions ----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """One write transaction; everything inside commits together or not at all.

        BEGIN IMMEDIATE takes the write lock before anything is read, so a read that
        decides a write cannot be overtaken by another writer; `on_begin` runs once the
        lock is held (the desk takes its instant there).
        """
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise explain_error(self.path, error) from None
        try:
            self._stamp = self.on_begin() if self.on_begin else (None, None)
            yield self
        except BaseException:
            self._stamp = (None, None)
            try:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
            except sqlite3.ProgrammingError:
                # Closed already: a Ctrl-C between the yield and the `with` body left this
                # generator suspended, and closing the connection rolled the write back.
                pass
            raise
        self._stamp = (None, None)
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as error:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise explain_error(self.path, error) from None

    # ---- writes (call inside transaction()) ------------------------------------------

    def apply(self, change: TicketChange) -> int:
        """Write one ticket change with its events and messages; returns the ticket id."""
        if change.ticket_id is None:
            ticket_id = self.db["tickets"].insert(change.values).last_pk
            # The whole new row, schema defaults included, so that history replays from it.
            row = self.conn.execute("SELECT * FROM tickets WHERE id = ?", [ticket_id]).fetchone()
            changes = {c: [None, row[c]] for c in row.keys() if c != "id" and c not in UNTRACKED_COLUMNS}
        else:
            ticket_id = change.ticket_id
            if change.values:
                self.db["tickets"].update(ticket_id, change.values)
            changes = change.column_changes()
        self.insert_events(change.events, ticket_id, changes)
        self.insert_messages(change.messages, ticket_id)
        return int(ticket_id)

    def insert_events(
        self, events: Iterable[Event], ticket_id: int | None = None, changes: dict[str, list[Any]] | None = None
    ) -> None:
        """Append events; an event without a ticket id takes `ticket_id`. `changes`
        ({column: [before, after]}) goes on the first event."""
        self.insert_event_rows((ticket_id, changes, event, i) for i, event in enumerate(events))

    def insert_event_rows(self, items: Iterable[tuple[int | None, dict[str, list[Any]] | None, Event, int]]) -> None:
        """Append events given as (ticket id, column changes, event, its position in its
        change): the changes go on the first event of each change."""
        operation, recorded_at = self._stamp
        dumps = EVENT_JSON
        # Events may share one details object (a bulk close's: one per before/after
        # status): each is encoded once. The object is kept with its text, so its id
        # cannot be reused while this runs.
        encoded: dict[int, tuple[Any, str]] = {}

        def details(value: dict[str, Any]) -> str:
            found = encoded.get(id(value))
            if found is None:
                found = encoded[id(value)] = (value, dumps(value))
            return found[1]

        rows = [
            (
                e.ticket_id if e.ticket_id is not None else ticket_id,
                e.at,
                recorded_at,
                e.actor,
                e.kind,
                details(e.details),
                dumps(changes) if changes and i == 0 else None,
                operation,
            )
            for ticket_id, changes, e, i in items
        ]
        into = "INSERT INTO events (ticket_id, at, recorded_at, actor, kind, details, changes, operation) "
        self._write_rows(
            into + "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            lambda fields: into + f"SELECT {', '.join(fields)} FROM json_each(?1) AS given ORDER BY given.key",
            rows,
        )

    def insert_messages(self, messages: Iterable[Message], ticket_id: int | None) -> None:
        """Append messages to a ticket."""
        rows = [
            (
                m.ticket_id if m.ticket_id is not None else ticket_id,
                m.at,
                m.author,
                int(m.internal),
                m.channel,
                m.body,
            )
            for m in messages
        ]
        if rows:
            self.conn.executemany(
                "INSERT INTO messages (ticket_id, at, author, internal, channel, body) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def insert_customer(self, row: dict[str, Any]) -> int:
        """Add a customer; returns its id."""
        return int(self.db["customers"].insert(row).last_pk)

    def insert_agent(self, row: dict[str, Any]) -> int:
        """Add an agent; returns its id."""
        return int(self.db["agents"].insert(row).last_pk)

    def insert_policy_version(self, row: dict[str, Any]) -> int:
        """Store a policy version; returns its number."""
        return int(self.db["policy_versions"].insert(row).last_pk)

    def set_compiled_policy(self, version: int, compiled: str) -> None:
        """Keep the compiled form of a stored policy version (its TOML is unchanged)."""
        try:
            self.conn.execute("UPDATE policy_versions SET compiled = ? WHERE id = ?", [compiled, version])
        except sqlite3.Error as error:
            raise explain_error(self.path, error) from None

    # ---- bulk loading (benchmarks, import, demo) -------------------------------------

    def bulk_insert_tickets(self, rows: Iterable[dict[str, Any]], batch_size: int = 50000) -> int:
        """Insert many ticket rows, each with a `filed` event; call inside transaction().

        Secondary indexes and the search trigger are dropped for the load and rebuilt
        once at the end, which is several times faster than maintaining them row by row.
        Returns the number of tickets inserted.
        """
        from operator import itemgetter

        before = self.max_ticket_id()
        saved = [
            (r["name"], r["sql"])
            for r in self.conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE tbl_name IN ('tickets', 'events') "
                "AND sql IS NOT NULL AND (type = 'index' OR name = 'tickets_fts_insert')"
            )
        ]
        for name, sql in saved:
            kind = "TRIGGER" if sql.lstrip().upper().startswith("CREATE TRIGGER") else "INDEX"
            self.conn.execute(f"DROP {kind} [{name}]")
        count = 0
        columns: list[str] | None = None
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            assert columns is not None
            values = itemgetter(*columns)
            self.conn.executemany(
                f"INSERT INTO tickets ({', '.join(f'[{c}]' for c in columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})",
                [values(r) for r in batch],
            )
            operation, recorded_at = self._stamp
            self.conn.executemany(
                "INSERT INTO events (ticket_id, at, recorded_at, actor, kind, details, operation) "
                "VALUES (?, ?, ?, ?, 'filed', '{}', ?)",
                [(r["id"], r["created_at"], recorded_at, r.get("_actor", "system:import"), operation) for r in batch],
            )
            batch.clear()

        for row in rows:
            if columns is None:
                columns = [c for c in row if not c.startswith("_")]
            batch.append(row)
            count += 1
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
        for _, sql in saved:
            self.conn.execute(sql)
        self.conn.execute(
            "INSERT INTO tickets_fts (rowid, subject, body) SELECT id, subject, body FROM tickets WHERE id > ?",
            [before],
        )
        return count

    def bulk_insert_customers(self, rows: Iterable[dict[str, Any]]) -> int:
        """Insert many customer rows (the same columns in each); call inside transaction().
        Returns the number of customers inserted."""
        rows = list(rows)
        if not rows:
            return 0
        columns = list(rows[0])
        self.conn.executemany(
            f"INSERT INTO customers ({', '.join(f'[{c}]' for c in columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            [[r[c] for c in columns] for r in rows],
        )
        return len(rows)

    def optimize(self) -> None:
        """Refresh the query planner's statistics (after a bulk load); outside a transaction."""
        self.conn.execute("PRAGMA optimize")

    # ---- reads -----------------------------------------------------------------------

    def ticket(self, ticket_id: int, scope: Scope | None = None) -> dict[str, Any]:
        """The joined row of one ticket, or NotFound (also outside `scope`)."""
        where, params = " WHERE t.id = ?", [ticket_id]
        for condition, values in scope_conditions(scope):
            where += f" AND {condition}"
            params += values
        row = self.conn.execute(TICKET_SELECT + where, params).fetchone()
        if row is None:
            raise NotFound(f"no ticket #{ticket_id}; `supportdesk list` shows the tickets there are")
        return dict(row)

    def tickets_by_ids(self, ids: Sequence[int], columns: Sequence[str] | None = None) -> dict[int, dict[str, Any]]:
        """Rows for many ids at once (missing ids are simply absent): joined rows, or only
        the named ticket columns (faster for bulk changes)."""
        select = TICKET_SELECT if columns is None else f"SELECT {', '.join(f't.[{c}]' for c in ('id', *columns))} FROM tickets t"
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            cursor = self._reads().cursor()
            cursor.row_factory = None  # plain tuples, zipped with the names below
            cursor.execute(select + " WHERE t.id IN (SELECT value FROM json_each(?))", [json.dumps(list(chunk))])
            names = [d[0] for d in cursor.description]
            for row in cursor:
                found[row[0]] = dict(zip(names, row))
        return found

    def find_tickets(self, flt: Filter) -> list[dict[str, Any]]:
        """Joined ticket rows matching a filter, in its order, up to its limit."""
        with self._reading():
            query = search_query(self.conn, flt.search) if flt.search else None
            ids = walk_search(self.conn, flt, query) if query else None
            if ids is not None:
                rows = self.tickets_by_ids(ids)
                return [rows[i] for i in ids if i in rows]
            where, params = filter_where(flt, query)
            sql = f"{TICKET_SELECT}{where} ORDER BY {SORTS[flt.sort]}"
            if flt.limit:
                sql += " LIMIT ?"
                params.append(flt.limit)
            # zip with the names: dict(row) looks each of the ~40 names up again (2.5× slower).
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, r)) for r in cursor]

    def count_tickets(self, flt: Filter) -> int:
        """How many tickets match a filter, ignoring its limit."""
        with self._reading():
            return count_matching(self.conn, flt)

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Reads that must see one state of the desk: inside the transaction under way, or
        in a read transaction of their own."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    def messages(self, ticket_id: int) -> list[dict[str, Any]]:
        """A ticket's messages, oldest first."""
        cursor = self.conn.execute(
            "SELECT * FROM messages WHERE ticket_id = ? ORDER BY at, id", [ticket_id]
        )
        return [dict(r) for r in cursor]

    def events(
        self, ticket_id: int | None = None, limit: int | None = None, scope: Scope | None = None, kinds: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """Events of one ticket (oldest first) or of the whole desk (newest `limit`, oldest
        first); with a scope, only the events of the tickets in it; with kinds, only those."""
        only = f" AND kind IN (SELECT value FROM json_each('{json.dumps(sorted(kinds))}'))" if kinds is not None else ""
        if ticket_id is not None:
            sql, params = f"SELECT * FROM events WHERE ticket_id = ?{only} ORDER BY id", [ticket_id]
            rows = [dict(r) for r in self.conn.execute(sql, params)]
            return rows[-limit:] if limit else rows
        sql = f"SELECT * FROM events WHERE 1{only} ORDER BY id DESC"
        params: list[Any] = []
        if scope is not None:
            within = scope_conditions(scope, table="")
            tickets = " AND ".join(condition for condition, _ in within)
            sql = f"SELECT e.* FROM events e WHERE e.ticket_id IN (SELECT id FROM tickets WHERE {tickets}){only} ORDER BY e.id DESC"
            params += [value for _, values in within for value in values]
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        rows = [dict(r) for r in self.conn.execute(sql, params)]
        rows.reverse()
        return rows

    # ---- triage and SLA ----------------------------------------------------------------

    def queue(self, *, limit: int, order: str = "deadline", **scope: Unpack[QueueScope]) -> list[dict[str, Any]]:
        """Open tickets in triage order. "deadline": by deadline (overdue first), priority
        rank, age; tickets without a running deadline come last. "priority": by priority
        rank, then within one rank as the deadline order has it."""
        extra, params = queue_filters(scope)
        if order == "priority":
            sql = f"{TRIAGE_PRIORITY_SELECT} WHERE {ACTIVE}{extra} ORDER BY {PRIORITY_ORDER} LIMIT ?"
            return [dict(r) for r in self.conn.execute(sql, [*params, limit])]
        if order != "deadline":
            raise ValueError(f"unknown queue order {order!r}")
        sql = f"{TRIAGE_SELECT} WHERE {DUE}{extra} ORDER BY t.due_at, t.priority_rank, t.created_at LIMIT ?"
        rows = [dict(r) for r in self.conn.execute(sql, [*params, limit])]
        if len(rows) < limit and not scope.get("due_before"):
            sql = (
                f"{TICKET_SELECT} WHERE {ACTIVE} AND t.due_at IS NULL{extra} "
                "ORDER BY t.priority_rank, t.created_at LIMIT ?"
            )
            rows += [dict(r) for r in self.conn.execute(sql, [*params, limit - len(rows)])]
        return rows

    def queue_counts(self, now: str, **scope: Unpack[QueueScope]) -> dict[str, int]:
        """How many tickets the queue holds (with the same scope), breached, at risk, and
        unassigned."""
        extra, params = queue_filters(scope)

        def count(columns: str, where: str, more: list[Any], index: str) -> tuple[int, ...]:
            sql = f"SELECT {columns} FROM tickets t INDEXED BY {index} WHERE {where}{extra}"
            return tuple(int(n) for n in self.conn.execute(sql, [*more, *params]).fetchone())

        # Every count walks a partial index of open tickets: left to itself, the planner
        # may walk every ticket ever filed (all unassigned closed ones, say) instead.
        whole = "tickets_triage" if scope.get("due_before") else "tickets_active"
        open_count, unassigned = count("count(*), count(*) - count(t.assignee_id)", ACTIVE, [], whole)
        (breached,) = count("count(*)", f"{DUE} AND t.due_at < ?", [now], "tickets_triage")
        (at_risk,) = count("count(*)", f"{DUE} AND t.risk_at <= ? AND t.due_at >= ?", [now, now], "tickets_triage_risk")
        return {"open": open_count, "breached": breached, "at_risk": at_risk, "unassigned": unassigned}

    def overdue(self, now: str, filed_by: str | None = None) -> list[dict[str, Any]]:
        """Open tickets past their deadline and not yet escalated for that deadline."""
        extra, params = queue_filters({"filed_by": filed_by})
        sql = (
            f"{TRIAGE_SELECT} WHERE {DUE} AND t.due_at < ?{extra} "
            "AND (t.escalated_for IS NULL OR t.escalated_for != t.due_at) ORDER BY t.due_at, t.priority_rank, t.id"
        )
        return [dict(r) for r in self.conn.execute(sql, [now, *params])]

    def active_tickets(self, customer_id: int | None = None) -> list[dict[str, Any]]:
        """Every open ticket (or one customer's), for recomputing deadlines."""
        sql = f"{TICKET_SELECT} WHERE {ACTIVE}"
        params: list[Any] = []
        if customer_id is not None:
            sql += " AND t.customer_id = ?"
            params.append(customer_id)
        return [dict(r) for r in self.conn.execute(sql + " ORDER BY t.id", params)]

    def active_usage(self) -> dict[str, dict[str, int]]:
        """How many open tickets use each priority, department and channel."""
        usage: dict[str, dict[str, int]] = {"priority": {}, "department": {}, "channel": {}}
        for column in usage:
            sql = f"SELECT {column}, count(*) FROM tickets t WHERE {ACTIVE} GROUP BY {column}"
            usage[column] = {name: n for name, n in self.conn.execute(sql)}
        return usage

    def open_load(self) -> dict[str, int]:
        """Open tickets per assigned agent login."""
        sql = f"SELECT a.login, count(*) FROM tickets t JOIN agents a ON a.id = t.assignee_id WHERE {ACTIVE} GROUP BY a.login"
        return {login: n for login, n in self.conn.execute(sql)}

    def insert_outbox(self, rows: list[dict[str, Any]]) -> None:
        """Queue notifications."""
        if rows:
            columns = ("ticket_id", "kind", "recipient", "channel", "subject", "body", "created_at")
            operation = self._stamp[0]
            self.conn.executemany(
                f"INSERT INTO outbox ({', '.join(columns)}, fields, operation) VALUES ({', '.join('?' for _ in columns)}, ?, ?)",
                [[r[c] for c in columns] + [r.get("fields"), operation] for r in rows],
            )

    def outbox(self, pending_only: bool = False, limit: int | None = None) -> list[dict[str, Any]]:
        """Queued notifications, newest first."""
        sql = "SELECT * FROM outbox" + (" WHERE sent_at IS NULL" if pending_only else "") + " ORDER BY id DESC"
        params: list[Any] = []
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        return [dict(r) for r in self.conn.execute(sql, params)]

    def cached_holidays(self, country: str, subdivision: str | None, year: int) -> dict[str, Any] | None:
        """A cached year of holidays, or None."""
        row = self.conn.execute(
            "SELECT days FROM holiday_cache WHERE country = ? AND subdivision = ? AND year = ?",
            [country, subdivision or "", year],
        ).fetchone()
        return json.loads(row["days"]) if row else None

    def cache_holidays(self, country: str, subdivision: str | None, year: int, days: dict[str, Any]) -> None:
        """Keep a year of holidays (inside a transaction)."""
        self.conn.execute(
            "INSERT OR REPLACE INTO holiday_cache (country, subdivision, year, days) VALUES (?, ?, ?, ?)",
            [country, subdivision or "", year, json.dumps(days, ensure_ascii=False, sort_keys=True)],
        )

    def set_customer(self, customer_id: int, values: dict[str, Any]) -> None:
        """Change a customer's columns (inside a transaction)."""
        self.db["customers"].update(customer_id, values)

    def customer_by_email(self, email: str) -> dict[str, Any] | None:
        """A customer row by e-mail (case-insensitive), or None."""
        row = self.conn.execute(
            "SELECT * FROM customers WHERE email = ? COLLATE NOCASE", [email]
        ).fetchone()
        return dict(row) if row else None

    def agent_by_login(self, login: str) -> dict[str, Any] | None:
        """An agent row by login, or None."""
        row = self.conn.execute("SELECT * FROM agents WHERE login = ?", [login]).fetchone()
        return dict(row) if row else None

    def agents(self) -> list[dict[str, Any]]:
        """All agents, by login."""
        return [dict(r) for r in self.conn.execute("SELECT * FROM agents ORDER BY login")]

    def latest_policy(self) -> dict[str, Any] | None:
        """The policy version in force, or None for a desk without one."""
        row = self.conn.execute(
            "SELECT * FROM policy_versions ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return dict(row) if row else None

    def policy_versions(self) -> list[dict[str, Any]]:
        """Every policy version, oldest first, without its text."""
        cursor = self.conn.execute(
            "SELECT id, applied_at, applied_by, source, sha256 FROM policy_versions ORDER BY id"
        )
        return [dict(r) for r in cursor]

    def policy_version(self, version: int) -> dict[str, Any]:
        """One policy version with its text, or NotFound."""
        row = self.conn.execute("SELECT * FROM policy_versions WHERE id = ?", [version]).fetchone()
        if row is None:
            raise NotFound(f"no policy version {version}; `supportdesk policy versions` lists them")
        return dict(row)

    def max_ticket_id(self) -> int:
        """The highest ticket id so far (0 for an empty desk)."""
        return int(self.conn.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0])

    def overrides(self, ends_after: str | None = None) -> list[dict[str, Any]]:
        """On-call overrides not removed, optionally only those ending after an instant."""
        sql = "SELECT * FROM oncall_overrides WHERE removed_at IS NULL"
        params: list[Any] = []
        if ends_after:
            sql += " AND ends_at > ?"
            params.append(ends_after)
        return [dict(r) for r in self.conn.execute(sql + " ORDER BY starts_at, id", params)]

    def override(self, override_id: int) -> dict[str, Any]:
        """One on-call override, or NotFound."""
        row = self.conn.execute("SELECT * FROM oncall_overrides WHERE id = ?", [override_id]).fetchone()
        if row is None or row["removed_at"] is not None:
            raise NotFound(f"no on-call override {override_id}; `supportdesk oncall override list` shows them")
        return dict(row)

    def insert_override(self, row: dict[str, Any]) -> int:
        """Store an on-call override; returns its id."""
        return int(self.db["oncall_overrides"].insert(row).last_pk)

    def remove_override(self, override_id: int, by: str, at: str) -> None:
        """Mark an override removed (it stays in the desk for the record)."""
        self.conn.execute(
            "UPDATE oncall_overrides SET removed_by = ?, removed_at = ? WHERE id = ?", [by, at, override_id]
        )
