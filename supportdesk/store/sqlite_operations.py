"""SQL of bulk operations and their undoing: the `operations` table, the ids a filter
matches, an operation's recorded column changes, and its queued notices."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from supportdesk.store.sqlite_queries import (
    filter_where,
    scope_conditions,
    search_query,
)

if TYPE_CHECKING:
    import sqlite3

    from supportdesk.model import Message, Scope, TicketChange, TicketNotices
    from supportdesk.query import Filter
    from supportdesk.store.sqlite_writer import BackgroundWriter

# Ids per query (SQLite's bound-parameter limit is far above; json_each takes one).
ID_CHUNK = 5000

# The page cache of the connection bulk reads go through (KiB; see background_writes).
ASIDE_CACHE_KIB = 4096

# Rows handed to SQLite as one JSON array of arrays (see _write_rows).
ROWS_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def shared(rows: Sequence[Sequence[Any]], index: int) -> bool:
    """Whether every row has the same value (of the same type) at `index`."""
    first = rows[0][index]
    column = [r[index] for r in rows]
    if column.count(first) != len(column):
        return False
    # 1 == 1.0 == True, but SQLite keeps an integer and a real apart.
    return isinstance(first, str) or first is None or all(type(v) is type(first) for v in column)


def json_field(index: int) -> str:
    """The SQL of field `index` of a row `given` by json_each over such an array
    (json_extract: the `->>` operator needs SQLite 3.38)."""
    return f"json_extract(given.value, '$[{index}]')"


class SqliteOperations:
    """Mixed into the SQLite store."""

    conn: sqlite3.Connection
    _stamp: tuple[str | None, str | None]
    # While background_writes() runs: the helper thread writing, and (read_aside) the
    # connection bulk reads go through.
    _writer: BackgroundWriter | None = None
    _aside: sqlite3.Connection | None = None

    if TYPE_CHECKING:

        def _reading(self) -> Any: ...

        def insert_event_rows(self, items: Any) -> None: ...

        def insert_messages(self, messages: Sequence[Message], ticket_id: int | None) -> None: ...

    # ---- writing many tickets at once ---------------------------------------------

    def apply_many(self, changes: Sequence[TicketChange]) -> None:
        """Write many updates to existing tickets in bulk, with their events and
        messages: one UPDATE for each set of columns the changes set (a ticket given twice
        is written in the order given). Inside background_writes() on its helper thread."""
        seen: set[int | None] = set()
        start = 0
        for i, change in enumerate(changes):
            if change.ticket_id in seen:
                self._update_tickets(changes[start:i])
                start, seen = i, set()
            seen.add(change.ticket_id)
        self._update_tickets(changes[start:])
        self.insert_event_rows(
            (change.ticket_id, change.column_changes(), event, i) for change in changes for i, event in enumerate(change.events)
        )
        for change in changes:
            if change.messages:
                self.insert_messages(change.messages, change.ticket_id)

    def _update_tickets(self, changes: Sequence[TicketChange]) -> None:
        """One UPDATE for each set of columns of changes to distinct tickets."""
        by_columns: dict[tuple[str, ...], list[list[Any]]] = {}
        ordered: dict[tuple[str, ...], tuple[str, ...]] = {}  # the columns as given -> sorted
        for change in changes:
            if change.values:
                given = tuple(change.values)
                columns = ordered.get(given)
                if columns is None:
                    columns = ordered[given] = tuple(sorted(given))
                by_columns.setdefault(columns, []).append([change.ticket_id, *map(change.values.__getitem__, columns)])
        for columns, rows in by_columns.items():
            names = ", ".join(f"[{c}]" for c in columns)
            self._write_rows(
                f"UPDATE tickets SET ({names}) = ({', '.join(f'?{k + 2}' for k in range(len(columns)))}) WHERE id = ?1",
                lambda fields, names=names: f"UPDATE tickets SET ({names}) = ({', '.join(fields[1:])}) FROM json_each(?1) AS given WHERE tickets.id = {fields[0]}",
                rows,
            )

    def _write_rows(self, sql: str, from_json: Callable[[list[str]], str], rows: Sequence[Sequence[Any]]) -> None:
        """Run `sql` (parameters ?1, ?2, … for each row's values) for every row. Inside
        background_writes() it runs as one statement on the helper thread instead:
        `from_json(fields)`, where fields[k] is the SQL of each row's value k, read from
        parameter ?1 (a JSON array `given` by json_each), or a parameter of its own when
        every row has the same value there (most do: SQLite reads JSON slowly)."""
        if not rows:
            return
        if self._writer is not None:
            width = len(rows[0])
            varying = [k for k in range(width) if not shared(rows, k)] or [0]  # one row: its first value
            fields, params = [""] * width, []
            for k in range(width):
                if k not in varying:
                    params.append(rows[0][k])
                    fields[k] = f"?{len(params) + 1}"
            if len(varying) == 1:
                (k,) = varying
                fields[k] = "given.value"
                text = ROWS_JSON([r[k] for r in rows])
            else:
                for n, k in enumerate(varying):
                    fields[k] = json_field(n)
                pick = itemgetter(*varying)
                text = ROWS_JSON([pick(r) for r in rows])
            # SQLite's JSON functions end a text at a NUL character: those rows are bound
            # (and so are those whose text holds a backslash and u0000, written alike).
            if "\\u0000" not in text:
                self._writer.submit(from_json(fields), [text, *params])
                return
        self.conn.executemany(sql, rows)

    @contextmanager
    def background_writes(self, read_aside: bool = False) -> Iterator[None]:
        """Inside a write transaction: the ticket updates, events and notices written in
        the block run on a helper thread, in the order given, while the caller goes on
        (a bulk close of 100 000 tickets plans its next tickets while SQLite writes the
        last ones). Any other use of the connection waits for them first, so reads see
        them; a failed write is raised at the next use, or when the block ends.

        `read_aside`: tickets_by_ids and customers_by_ids read through a second
        connection instead, without waiting, and see the desk as the transaction found
        it, not the block's own writes: for callers that read each ticket before they
        write it. (This transaction holds the write lock, so nobody else commits.)"""
        if self._writer is not None:  # nested: the outer block runs the writer
            yield
            return
        from supportdesk.store.sqlite_writer import BackgroundWriter, Drained

        conn = self.conn
        aside = self._open_aside() if read_aside else None
        writer = BackgroundWriter(conn)
        self._writer, self.conn, self._aside = writer, Drained(conn, writer), aside  # type: ignore[assignment]
        failed = True
        try:
            yield
            failed = False
        finally:
            self._writer, self.conn, self._aside = None, conn, None
            try:
                writer.close(failed=failed)
            finally:
                if aside is not None:
                    aside.close()  # ends its read transaction

    def _open_aside(self) -> sqlite3.Connection | None:
        """A second connection in a read transaction of its own, or None (then reads wait
        for the writer as any other use does)."""
        import sqlite3

        from supportdesk.store.sqlite_files import connect

        try:
            aside = connect(self.path)
            # Each ticket is read once: a small page cache keeps the bulk operation's memory down.
            aside.execute(f"PRAGMA cache_size=-{ASIDE_CACHE_KIB}")
            aside.execute("BEGIN")
            aside.execute("SELECT 1 FROM tickets LIMIT 1").fetchall()  # the read snapshot starts here
        except sqlite3.Error:
            return None
        return aside

    def _reads(self) -> sqlite3.Connection:
        """The connection bulk reads go through (see background_writes)."""
        return self._aside or self.conn

    def queue_ticket_notices(self, notices: TicketNotices) -> None:
        """Queue one notice to the customer of each of many tickets, worded once: each
        row gets its ticket's number and stored subject in place of the marks (the
        subject last, so that nothing in it is replaced), in one INSERT; a hundred
        thousand worded one by one in Python took twice as long."""
        from supportdesk.notices import TICKET_MARKS

        if not notices.ticket_ids:
            return
        self._submit("CREATE TEMP TABLE IF NOT EXISTS notice_recipients (customer_id INTEGER PRIMARY KEY, recipient TEXT NOT NULL)")
        self._write_rows(
            "INSERT INTO temp.notice_recipients VALUES (?1, ?2)",
            lambda fields: f"INSERT INTO temp.notice_recipients SELECT {', '.join(fields)} FROM json_each(?1) AS given",
            list(notices.recipients.items()),
        )
        worded = "replace(replace(?, ?, t.id), ?, t.subject)"
        self._submit(
            "INSERT INTO outbox (ticket_id, kind, recipient, channel, subject, body, created_at, fields, operation) "
            f"SELECT t.id, ?, r.recipient, ?, {worded}, {worded}, ?, ?, ? "
            "FROM json_each(?) AS given JOIN tickets t ON t.id = given.value "
            # LEFT: a customer missing from `recipients` fails loudly (recipient is NOT NULL).
            "LEFT JOIN temp.notice_recipients r ON r.customer_id = t.customer_id ORDER BY given.key",
            [
                notices.kind,
                notices.channel,
                *(notices.subject, TICKET_MARKS["id"], TICKET_MARKS["subject"]),
                *(notices.body, TICKET_MARKS["id"], TICKET_MARKS["subject"]),
                notices.created_at,
                notices.fields,
                self._stamp[0],
                json.dumps(notices.ticket_ids),
            ],
        )
        # A failed write rolls the transaction back, these rows with it.
        self._submit("DELETE FROM temp.notice_recipients")

    def _submit(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement: inside background_writes() on its helper thread."""
        if self._writer is not None:
            self._writer.submit(sql, params)
        else:
            self.conn.execute(sql, params)

    def stamp(self) -> tuple[str | None, str | None]:
        """The operation id of the write transaction under way and when it is really
        recorded (None, None outside one; recorded None: at the desk's instant)."""
        return self._stamp

    def matching_ids(self, flt: Filter) -> Sequence[int]:
        """Ids of every ticket a filter matches (ignoring its limit and order), ascending,
        as a compact array (8 bytes a ticket: a million ids take 8 MB)."""
        from array import array

        with self._reading():
            query = search_query(self.conn, flt.search) if flt.search else None
            where, params = filter_where(flt, query)
            found = array("q")
            # A filter's conditions name the ticket row only (count_matching reads them
            # so too): no join, and the ids come from an index.
            cursor = self.conn.execute(f"SELECT t.id FROM tickets t{where} ORDER BY t.id", params)
            while rows := cursor.fetchmany(10_000):
                found.extend(r[0] for r in rows)
            return found

    def existing_ids(self, ids: Sequence[int], scope: Scope | None = None) -> set[int]:
        """Which of `ids` are tickets (within `scope`)."""
        extra, params = "", []
        for condition, values in scope_conditions(scope):
            extra += f" AND {condition}"
            params += values
        found: set[int] = set()
        for start in range(0, len(ids), ID_CHUNK):
            chunk = json.dumps(list(ids[start : start + ID_CHUNK]))
            sql = f"SELECT t.id FROM tickets t WHERE t.id IN (SELECT value FROM json_each(?)){extra}"
            found.update(r[0] for r in self.conn.execute(sql, [chunk, *params]))
        return found

    def ticket_columns(self) -> list[str]:
        """The columns of the tickets table."""
        return [r[1] for r in self.conn.execute("PRAGMA table_info(tickets)")]

    # ---- the operations table -----------------------------------------------------

    def insert_operation(self, row: dict[str, Any]) -> None:
        """Record an operation (inside its transaction)."""
        columns = list(row)
        self.conn.execute(
            f"INSERT INTO operations ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [row[c] for c in columns],
        )

    def operation(self, operation_id: str) -> dict[str, Any] | None:
        """One operation's row, or None."""
        row = self.conn.execute("SELECT * FROM operations WHERE id = ?", [operation_id]).fetchone()
        return dict(row) if row else None

    def operations(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Operations, newest first."""
        sql = "SELECT * FROM operations ORDER BY at DESC, rowid DESC"
        params: list[Any] = []
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        return [dict(r) for r in self.conn.execute(sql, params)]

    def mark_undone(self, operation_id: str, by: str) -> None:
        self.conn.execute("UPDATE operations SET undone_by = ? WHERE id = ?", [by, operation_id])

    # ---- what an operation changed --------------------------------------------------

    def operation_changes(self, operation_id: str) -> dict[int, list[str]]:
        """{ticket id: the `changes` JSON ({column: [before, after]}) of each of the
        operation's events on it, in order}."""
        recorded: dict[int, list[str]] = {}
        cursor = self.conn.execute(
            "SELECT ticket_id, changes FROM events WHERE operation = ? AND ticket_id IS NOT NULL AND changes IS NOT NULL ORDER BY id",
            [operation_id],
        )
        for ticket_id, changes in cursor:
            recorded.setdefault(ticket_id, []).append(changes)
        return recorded

    def changed_after(self, operation_id: str) -> list[int]:
        """Tickets of an operation with an event written after the operation's last one."""
        sql = """
            SELECT o.ticket_id FROM (
                SELECT ticket_id, max(id) AS last FROM events
                WHERE operation = ? AND ticket_id IS NOT NULL GROUP BY ticket_id
            ) o
            WHERE EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = o.ticket_id AND e.id > o.last)
            ORDER BY o.ticket_id
        """
        return [r[0] for r in self.conn.execute(sql, [operation_id])]

    # The operation's events that record column changes, as a subquery named e.
    _RECORDED = "(SELECT id, ticket_id, changes FROM events WHERE operation = ? AND ticket_id IS NOT NULL AND changes IS NOT NULL)"

    def restore_conflicts(self, operation_id: str, columns: Sequence[str], at: str) -> tuple[dict[str, Any] | None, tuple[int, list[str]] | None]:
        """What stops an operation (each ticket changed by one event of it) from being put
        back at `at`: the first of its tickets, in the order of its events, filed or
        changed after `at` (id, created_at, updated_at), and the first whose `columns`
        no longer hold the values it left (id, those columns); None when there is none."""
        later = self.conn.execute(
            f"SELECT t.id, t.created_at, t.updated_at FROM {self._RECORDED} AS e JOIN tickets t ON t.id = e.ticket_id "
            "WHERE max(t.created_at, coalesce(t.updated_at, t.created_at)) > ? ORDER BY e.id LIMIT 1",
            [operation_id, at],
        ).fetchone()
        if not columns:
            return (dict(later) if later else None), None
        # A recorded column's value now (j.key names it) is not the one the operation left.
        moved = "(CASE j.key " + " ".join(f"WHEN '{c}' THEN t.[{c}]" for c in columns) + " END) IS NOT json_extract(j.value, '$[1]')"
        found = self.conn.execute(
            f"SELECT e.ticket_id FROM {self._RECORDED} AS e JOIN tickets t ON t.id = e.ticket_id "
            f"WHERE EXISTS (SELECT 1 FROM json_each(e.changes) AS j WHERE {moved}) ORDER BY e.id LIMIT 1",
            [operation_id],
        ).fetchone()
        first = None
        if found is not None:
            names = self.conn.execute(
                f"SELECT j.key FROM {self._RECORDED} AS e JOIN tickets t ON t.id = e.ticket_id, json_each(e.changes) AS j "
                f"WHERE e.ticket_id = ? AND {moved} ORDER BY e.id, j.id",
                [operation_id, found[0]],
            )
            first = (found[0], [r[0] for r in names])
        return (dict(later) if later else None), first

    def changed_columns(self, operation_id: str) -> list[str]:
        """The columns the operation's events recorded changes of, sorted."""
        return [
            r[0]
            for r in self.conn.execute(
                f"SELECT DISTINCT j.key FROM {self._RECORDED} AS e, json_each(e.changes) AS j ORDER BY j.key", [operation_id]
            )
        ]

    def restore_before(self, operation_id: str, columns: Sequence[str], updated_at: str) -> None:
        """Put back the value each of the operation's events recorded as before, in place
        (one UPDATE; inside background_writes() behind the caller), for the `columns` they
        changed, on the tickets that still hold the values the operation left and were not
        changed after `updated_at`; each ticket changed by one event. `restored(count)`
        then says whether every ticket was put back, and takes the restore back if not."""
        sets, holds = "", ""
        for c in columns:
            recorded = f"json_type(e.changes, '$.\"{c}\"') IS NULL"
            sets += f"[{c}] = CASE WHEN {recorded} THEN tickets.[{c}] ELSE json_extract(e.changes, '$.\"{c}\"[0]') END, "
            holds += f" AND ({recorded} OR tickets.[{c}] IS json_extract(e.changes, '$.\"{c}\"[1]'))"
        self._submit("CREATE TEMP TABLE IF NOT EXISTS restored (tickets INTEGER)")
        self._submit("DELETE FROM temp.restored")
        self._submit("SAVEPOINT restore_before")
        self._submit(
            f"UPDATE tickets SET {sets}updated_at = ? FROM {self._RECORDED} AS e WHERE tickets.id = e.ticket_id "
            f"AND max(tickets.created_at, coalesce(tickets.updated_at, tickets.created_at)) <= ?{holds}",
            [updated_at, operation_id, updated_at],
        )
        # changes(): the rows the UPDATE just wrote (read by `restored`, once the writes are done).
        self._submit("INSERT INTO temp.restored SELECT changes()")

    def restored(self, count: int) -> bool:
        """Whether the last restore_before put back all `count` tickets; if not, it is
        taken back with everything written since, and False returned."""
        (written,) = self.conn.execute("SELECT tickets FROM temp.restored").fetchone()
        if written != count:
            self.conn.execute("ROLLBACK TO restore_before")
        self.conn.execute("RELEASE restore_before")
        return written == count

    def pending_notices(self, operation_id: str) -> int:
        """Notices an operation queued that are neither sent nor withdrawn."""
        sql = "SELECT count(*) FROM outbox WHERE operation = ? AND sent_at IS NULL AND withdrawn_at IS NULL"
        return int(self.conn.execute(sql, [operation_id]).fetchone()[0])

    def withdraw_notices(self, operation_id: str, at: str) -> int:
        """Withdraw the notices an operation queued and that are not sent; how many."""
        cursor = self.conn.execute(
            "UPDATE outbox SET withdrawn_at = ? WHERE operation = ? AND sent_at IS NULL AND withdrawn_at IS NULL",
            [at, operation_id],
        )
        return int(cursor.rowcount)
