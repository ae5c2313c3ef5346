"""The desk file: schema, migrations, append-only events, search, bulk paths."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import ticket_row
from supportdesk.errors import DeskUnavailable, InvalidInput, NotFound
from supportdesk.store import Store
from supportdesk.store.migrations import MIGRATION_NAMES, SCHEMA_VERSION


def test_a_blank_desk_has_every_table_and_column(tmp_path):
    store = Store.create(tmp_path / "d.db")
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.schema_migrations() == list(MIGRATION_NAMES)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert set(store.columns("tickets")) >= {
        "id", "subject", "body", "status", "priority", "department", "channel", "category",
        "service", "customer_id", "assignee_id", "escalation_level", "fields", "flags",
        "created_at", "updated_at", "first_response_at", "respond_by", "resolve_by",
        "resolved_at", "closed_at", "close_reason", "policy_version",
    }
    assert store.columns("events") == ["id", "ticket_id", "at", "actor", "kind", "details", "recorded_at", "changes", "operation"]
    assert set(store.columns("messages")) == {"id", "ticket_id", "at", "author", "internal", "channel", "body"}
    assert {"email", "name", "kind", "reseller_id", "package", "status", "verified"} <= set(store.columns("customers"))
    assert {"login", "name", "email", "role", "active"} <= set(store.columns("agents"))
    assert {"applied_at", "applied_by", "source", "sha256", "toml"} <= set(store.columns("policy_versions"))
    assert "tickets_fts" in {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
    store.close()


def test_create_refuses_an_existing_file(tmp_path):
    path = tmp_path / "d.db"
    Store.create(path).close()
    with pytest.raises(InvalidInput, match="a file already exists"):
        Store.create(path)


def test_an_empty_file_is_not_a_desk_and_keeps_its_bytes_and_mode(tmp_path):
    path = tmp_path / "old.db"
    path.write_bytes(b"")
    path.chmod(0o640)
    with pytest.raises(DeskUnavailable, match="is an empty file, not a desk"):
        Store.open(path)
    assert path.read_bytes() == b"" and path.stat().st_mode & 0o777 == 0o640


def test_a_desk_behind_on_user_version_catches_up(tmp_path):
    path = tmp_path / "d.db"
    Store.create(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=0")
    conn.close()
    store = Store.open(path)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    store.close()


def test_a_desk_from_a_newer_supportdesk_is_refused(tmp_path):
    path = tmp_path / "d.db"
    Store.create(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(DeskUnavailable, match="newer than this supportdesk understands"):
        Store.open(path)


def test_a_desk_with_unknown_migrations_is_refused(tmp_path):
    path = tmp_path / "d.db"
    Store.create(path).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('supportdesk', 'm999_future', 'x')"
    )
    conn.execute("PRAGMA user_version=0")
    conn.commit()
    conn.close()
    with pytest.raises(DeskUnavailable, match="written by a newer supportdesk"):
        Store.open(path)


def test_another_sqlite_database_is_not_a_desk(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.close()
    with pytest.raises(DeskUnavailable, match="not a supportdesk desk"):
        Store.open(path)


def test_a_directory_is_not_a_desk(tmp_path):
    with pytest.raises(DeskUnavailable, match="is a directory"):
        Store.open(tmp_path)


def test_a_missing_desk_is_not_found(tmp_path):
    with pytest.raises(NotFound, match="no desk at"):
        Store.open(tmp_path / "missing.db")


def _seed(store: Store) -> None:
    with store.transaction():
        store.conn.execute("INSERT INTO customers (email, created_at) VALUES ('a@b.co', 'x')")
        store.bulk_insert_tickets(
            ticket_row(i, subject=f"Subject {i} mailbox" if i % 2 else f"Subject {i} invoice", body="body", status="new")
            for i in range(1, 11)
        )


def test_events_are_append_only(tmp_path):
    store = Store.create(tmp_path / "d.db")
    _seed(store)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE events SET actor = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("DELETE FROM events")
    store.close()


def test_bulk_insert_writes_a_filed_event_per_ticket_and_indexes_text(tmp_path):
    from supportdesk.query import Filter

    store = Store.create(tmp_path / "d.db")
    _seed(store)
    assert store.conn.execute("SELECT count(*) FROM events WHERE kind = 'filed'").fetchone()[0] == 10
    found = store.find_tickets(Filter(search="invoice", sort="id"))
    assert [r["id"] for r in found] == [2, 4, 6, 8, 10]
    assert store.count_tickets(Filter(search="mailbox")) == 5
    store.close()


def test_a_status_update_keeps_the_search_index_right(tmp_path):
    from supportdesk.query import Filter

    store = Store.create(tmp_path / "d.db")
    _seed(store)
    with store.transaction():
        store.conn.execute("UPDATE tickets SET status = 'closed'")
        store.conn.execute("UPDATE tickets SET subject = 'renamed' WHERE id = 2")
    assert [r["id"] for r in store.find_tickets(Filter(search="renamed"))] == [2]
    assert store.count_tickets(Filter(search="invoice")) == 4
    store.close()


def test_a_failed_transaction_writes_nothing(tmp_path):
    store = Store.create(tmp_path / "d.db")
    before = store.dump()
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.conn.execute("INSERT INTO customers (email, created_at) VALUES ('a@b.co', 'x')")
            raise RuntimeError("boom")
    assert store.dump() == before
    store.close()


def test_tickets_by_ids_handles_more_than_one_chunk(tmp_path, monkeypatch):
    import supportdesk.store.sqlite

    monkeypatch.setattr(supportdesk.store.sqlite, "CHUNK", 3)
    store = Store.create(tmp_path / "d.db")
    _seed(store)
    assert sorted(store.tickets_by_ids(list(range(1, 12)))) == list(range(1, 11))
    store.close()


def test_a_desk_of_an_older_schema_upgrades_itself_keeping_its_tickets(tmp_path):
    import sqlite_utils
    from sqlite_utils import Migrations

    from supportdesk.store.migrations import MIGRATION_SET, MIGRATIONS

    path = tmp_path / "v1.db"
    db = sqlite_utils.Database(path)
    first = Migrations(MIGRATION_SET)
    first()(MIGRATIONS[0])
    first.apply(db)
    db.execute("PRAGMA user_version=1")
    db.execute("INSERT INTO customers (email, created_at) VALUES ('a@b.co', 'x')")
    db.execute(
        "INSERT INTO tickets (subject, body, status, priority, department, channel, customer_id, created_at, updated_at) "
        "VALUES ('old', 'ticket', 'new', 'normal', 'technical', 'ticket', 1, 'x', 'x')"
    )
    db.close()
    store = Store.open(path)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.schema_migrations() == list(MIGRATION_NAMES)
    assert "person" in store.columns("oncall_overrides")
    assert store.ticket(1)["subject"] == "old"
    store.close()
