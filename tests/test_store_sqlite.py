"""The SQLite store's own pieces: full-text search syntax, filter-to-SQL, the bulk paths
the benchmarks use, and SQLite's errors worded for people."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import ticket_row
from supportdesk.query import Filter
from supportdesk.store import Store, backend_error_message
from supportdesk.store.sqlite_queries import filter_where, fts_query


@pytest.mark.parametrize(
    ("words", "query"),
    [
        ("ssl certificate", '"ssl"* "certificate"*'),
        ("  ssl \t\n certificate ", '"ssl"* "certificate"*'),
        ('say "hi"', '"say"* """hi"""*'),
        ("OR NOT (a*) NEAR", '"OR"* "NOT"* "(a*)"* "NEAR"*'),
        ("", ""),
        (None, ""),
    ],
)
def test_search_words_become_an_fts5_query_of_quoted_prefixes(words, query):
    assert fts_query(words) == query


def test_a_filter_becomes_a_where_clause_with_parameters():
    assert filter_where(Filter()) == ("", [])
    where, params = filter_where(Filter(ids=(3, 1), statuses=("open",), customer="a@b.co", search="disk full"))
    assert where.startswith(" WHERE ") and where.count(" AND ") == 3
    assert params == ["[3, 1]", "open", "a@b.co", '"disk"* "full"*']


def _desk(tmp_path) -> Store:
    store = Store.create(tmp_path / "d.db")
    with store.transaction():
        assert store.bulk_insert_customers(
            {"id": i, "email": f"admin@customer{i}.example.com", "created_at": "2026-11-20T10:00:00Z"} for i in (1, 2, 3)
        ) == 3
        assert store.bulk_insert_customers([]) == 0
        store.bulk_insert_tickets(
            ticket_row(i, subject=subject, customer_id=1 + i % 3)
            for i, subject in enumerate(['Mail "quota" full', "SSL certificate expired", "Mailbox OR forward"], start=1)
        )
    store.optimize()
    return store


def test_bulk_loaded_customers_and_tickets_are_found(tmp_path):
    store = _desk(tmp_path)
    assert store.customer_by_email("ADMIN@customer2.example.com")["id"] == 2
    assert store.ticket(1)["customer"] == "admin@customer2.example.com"
    store.close()


@pytest.mark.parametrize(
    ("words", "ids"),
    [
        ("mail", [1, 3]),  # a prefix
        ("mail full", [1]),  # every word
        ('"quota"', [1]),  # quotes are text, not syntax
        ("OR", [3]),  # an FTS5 operator is a word
        ("certif expired", [2]),
        ("nothing", []),
    ],
)
def test_search_finds_every_word_as_a_prefix_and_treats_syntax_as_text(tmp_path, words, ids):
    store = _desk(tmp_path)
    assert [r["id"] for r in store.find_tickets(Filter(search=words, sort="id"))] == ids
    assert store.count_tickets(Filter(search=words)) == len(ids)
    store.close()


def test_sqlite_errors_are_worded_for_people_and_others_left_alone():
    assert backend_error_message(sqlite3.OperationalError("database is locked")) == (
        "the desk is busy (another supportdesk is writing); try again in a moment"
    )
    assert "check its permissions and free space" in backend_error_message(sqlite3.OperationalError("disk I/O error"))
    assert backend_error_message(sqlite3.DatabaseError("database disk image is malformed")) == (
        "the desk file cannot be used (SQLite says: database disk image is malformed); run `supportdesk check`"
    )
    assert backend_error_message(ValueError("no")) is None
    assert backend_error_message(KeyError("x")) is None


def test_a_damaged_read_is_one_of_the_stores_read_errors(tmp_path):
    store = Store.create(tmp_path / "d.db")
    assert issubclass(sqlite3.DatabaseError, store.read_errors)
    assert not issubclass(ValueError, store.read_errors)
    store.close()


def test_a_closed_desk_is_not_in_use(tmp_path):
    path = tmp_path / "d.db"
    Store.create(path).close()
    assert not Store.in_use(path)
    other = Store.open(path)
    try:
        assert Store.in_use(path)
    finally:
        other.close()
