"""Backup, restore and check of the SQLite desk file: opening a file as it is, copying it
with SQLite's online backup API, read snapshots, integrity and foreign-key checks, and the
streams a history check replays. Mixed into the SQLite Store."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from supportdesk.errors import DeskUnavailable, NotFound
from supportdesk.store.migrations import MIGRATION_NAMES, MIGRATION_SET, SCHEMA_VERSION
from supportdesk.store.sqlite_files import (
    READ_ERRORS,
    connect_existing,
    explain_error,
)
from supportdesk.store.sqlite_files import in_use as file_in_use
from supportdesk.store.sqlite_queries import ACTIVE


class SqliteMaintenance:
    """The backup, restore and check part of the SQLite Store."""

    if TYPE_CHECKING:
        path: Path
        conn: sqlite3.Connection

        def __init__(self, path: Path, conn: sqlite3.Connection) -> None: ...
        def _has_table(self, name: str) -> bool: ...
        def close(self) -> None: ...

    # What the backend raises when stored data cannot be read (a damaged file).
    read_errors: tuple[type[Exception], ...] = READ_ERRORS

    @classmethod
    def open_unchanged(cls, path: Path) -> Self:
        """Open a desk file to read it as it is, without migrating it (a backup, or the
        source of a restore). Refuses (DeskUnavailable) a file that is not a supportdesk
        desk or was written by a newer supportdesk; NotFound when there is no file."""

        def check(store: Self, version: int) -> None:
            if not store._has_table("tickets"):
                raise DeskUnavailable(f"{path} is an SQLite file but not a supportdesk desk (it has no tickets table)")
            if store._has_table("_sqlite_migrations"):
                sql = "SELECT name FROM _sqlite_migrations WHERE migration_set = ?"
                store._refuse_unknown({r[0] for r in store.conn.execute(sql, [MIGRATION_SET])})

        return cls._open_file(path, check, missing=f"no file {path}")

    @classmethod
    def _open_file(
        cls, path: Path, check: Callable[[Self, int], None], *, missing: str, empty: str = "", foreign: str = ""
    ) -> Self:
        """The desk file at `path` once it is a readable SQLite file of a schema version
        this supportdesk knows; `check(store, version)` then refuses it or brings it up to
        date. Each refusal is one line (`missing`, `empty` and `foreign` add what to do)."""
        if not path.exists():
            raise NotFound(missing)
        if path.is_dir():
            raise DeskUnavailable(f"{path} is a directory, not a desk file")
        if not os.access(path, os.R_OK):
            raise DeskUnavailable(f"cannot read the desk {path}; check its permissions")
        # An empty or foreign file keeps its bytes: stat() it, and let SQLite read the
        # header (it writes nothing to a file that is not a database).
        if path.stat().st_size == 0:
            raise DeskUnavailable(f"{path} is an empty file, not a desk{empty}")
        try:
            conn = connect_existing(path)
        except sqlite3.Error as error:
            raise explain_error(path, error) from None
        if conn is None:
            raise DeskUnavailable(f"{path} is not a supportdesk desk (not an SQLite file){foreign}")
        store = cls(path, conn)
        try:
            version = store.conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise DeskUnavailable(
                    f"{path} has schema version {version}, newer than this supportdesk "
                    f"understands ({SCHEMA_VERSION}); upgrade supportdesk"
                )
            check(store, version)
        except sqlite3.Error as error:
            store.close()
            raise explain_error(path, error) from None
        except DeskUnavailable:
            store.close()
            raise
        return store

    def _refuse_unknown(self, applied: set[str]) -> None:
        """Refuse a desk on which a newer supportdesk applied migrations this one lacks."""
        unknown = applied - set(MIGRATION_NAMES)
        if unknown:
            raise DeskUnavailable(
                f"{self.path} was written by a newer supportdesk (unknown migrations: "
                f"{', '.join(sorted(unknown))}); upgrade supportdesk"
            )

    def copy_to(self, path: Path) -> dict[str, int]:
        """Copy the whole desk into the empty file at `path` with SQLite's online backup
        API, in one step: a consistent snapshot, taken while other processes keep writing
        (WAL readers do not stop writers). Returns the copy's schema version and counts."""
        target = sqlite3.connect(str(path), isolation_level=None)
        try:
            self.conn.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
            return self._counts(target)
        except sqlite3.Error as error:
            raise DeskUnavailable(f"cannot copy the desk {self.path} to {path}: {error}") from None
        finally:
            target.close()

    @staticmethod
    def _counts(conn: sqlite3.Connection) -> dict[str, int]:
        def one(sql: str) -> int:
            return int(conn.execute(sql).fetchone()[0])

        return {
            "schema_version": one("PRAGMA user_version"),
            "tickets": one("SELECT count(*) FROM tickets"),
            "events": one("SELECT count(*) FROM events"),
        }

    def counts(self) -> dict[str, int]:
        """The desk's schema version and how many tickets and events it holds."""
        return self._counts(self.conn)

    @staticmethod
    def in_use(path: Path) -> bool:
        """Whether another connection has the SQLite file at `path` open: its -wal, -shm or
        -journal stays after ours (which folds a leftover WAL or journal into the file)
        closes. A file SQLite cannot read, without those companions, is not in use."""
        return file_in_use(path)

    @contextmanager
    def snapshot(self) -> Iterator[Self]:
        """One read transaction: every read inside sees the same state of the desk, however
        others write meanwhile (WAL); nothing is written."""
        self.conn.execute("BEGIN")
        try:
            yield self
        finally:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")

    def integrity_problems(self, limit: int = 100) -> list[str]:
        """What SQLite's integrity check finds wrong with the file (empty when sound)."""
        rows = [r[0] for r in self.conn.execute(f"PRAGMA integrity_check({int(limit)})")]
        if rows == ["ok"]:
            return []
        lines = (line.strip() for text in rows for line in str(text).splitlines())
        return [line for line in lines if line and not line.startswith("*** in database")]

    def foreign_key_problems(self) -> list[dict[str, Any]]:
        """Rows whose reference points at no row: table, rowid, column, value, parent."""
        found = []
        columns: dict[tuple[str, int], str] = {}
        for table, rowid, parent, fkid in self.conn.execute("PRAGMA foreign_key_check").fetchall():
            if (table, fkid) not in columns:
                for fk in self.conn.execute(f"PRAGMA foreign_key_list([{table}])"):
                    columns[(table, fk["id"])] = fk["from"]
            column = columns.get((table, fkid), "?")
            value = None
            if rowid is not None and column != "?":
                row = self.conn.execute(f"SELECT [{column}] FROM [{table}] WHERE rowid = ?", [rowid]).fetchone()
                value = row[0] if row else None
            found.append({"table": table, "rowid": rowid, "column": column, "value": value, "parent": parent})
        return found

    def all_tickets(self) -> Iterator[sqlite3.Row]:
        """Every ticket row (the table's own columns), by id, streamed; rows are read by
        column name (not made dicts: a check of a big desk reads every one)."""
        return iter(self.conn.execute("SELECT * FROM tickets ORDER BY id"))

    def ticket_events(self) -> Iterator[sqlite3.Row]:
        """Every event of a ticket (id, ticket_id, at, recorded_at, changes), by ticket and
        id, streamed; rows are read by column name."""
        return iter(
            self.conn.execute(
                "SELECT id, ticket_id, at, recorded_at, changes FROM events WHERE ticket_id IS NOT NULL ORDER BY ticket_id, id"
            )
        )

    def open_tickets_with_package(self) -> Iterator[dict[str, Any]]:
        """Every open ticket's row with its customer's package, by id, streamed."""
        cursor = self.conn.execute(
            "SELECT t.*, c.package AS package FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id "
            f"WHERE {ACTIVE} ORDER BY t.id"
        )
        for row in cursor:
            yield dict(row)

    def columns(self, table: str) -> list[str]:
        """Column names of a table, for schema checks."""
        return [r["name"] for r in self.conn.execute(f"PRAGMA table_info([{table}])")]

    def dump(self) -> list[str]:
        """The whole desk as SQL text, to prove a refused command changed nothing."""
        return list(self.conn.iterdump())
