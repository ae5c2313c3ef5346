"""A search with a limit walks the list's index and reads the full-text index only as far
as it must; a count asks the full-text index. Whatever path the store takes, the rows, their
order and the total are those of the plain query the store used to run (joined rows,
filtered, sorted, then cut), which these tests keep as the reference."""

from __future__ import annotations

import random
from contextlib import contextmanager
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportdesk.query import SORTS as SORT_NAMES
from supportdesk.query import Filter
from supportdesk.store import Store, sqlite_queries
from supportdesk.store.sqlite_queries import (
    SORTS,
    TICKET_SELECT,
    fts_query,
    search_query,
)

WORDS = (
    "ssl", "sslv3", "certificate", "cert", "certification", "mail", "mailbox", "mailer",
    "quota", "disk", "full", "café", "naïve", "straße", "dns", "503", "cPanel", "OR", "NOT",
    *(f"m{i}" for i in range(12)),  # more words begin with "m" than a search spells out
)
NOISE = ("ssl-cert", '"quoted"', "(a*)", "e-mail", "x.y")
STATUSES = ("new", "open", "pending", "resolved", "closed")
PRIORITIES = ("critical", "high", "normal", "low")
DEPARTMENTS = ("technical", "billing", "sales")
CUSTOMERS = tuple(f"admin@customer{i}.example.com" for i in range(1, 6))
AGENTS = ("ayse", "burak")
TICKETS = 500


def _stamp(second: int) -> str:
    day, rest = divmod(second, 86400)
    return f"2026-11-{1 + day:02d}T{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}Z"


# Instants the filters bound by: some fall on tickets' own instants (inclusive/exclusive edges).
INSTANTS = tuple(_stamp(s) for s in (0, 3600, 86400, 5 * 86400, 9 * 86400 + 7, 15 * 86400, 20 * 86400, 40 * 86400))


def build(path) -> Store:
    """A desk whose ids, filing times and change times do not run in the same order, with
    dense, sparse, prefixed, accented and punctuated words."""
    rng = random.Random(5)
    store = Store.create(path)
    with store.transaction():
        store.bulk_insert_customers(
            {"id": i, "email": email, "created_at": INSTANTS[0]} for i, email in enumerate(CUSTOMERS, start=1)
        )
        for login in AGENTS:
            store.insert_agent({"login": login, "created_at": INSTANTS[0]})

        def rows():
            for i in range(1, TICKETS + 1):
                # Mostly filed in id order, some out of it, some at the same second.
                second = i * 3000 + (rng.randrange(-400_000, 400_000) if rng.random() < 0.2 else 0)
                if rng.random() < 0.1:
                    second = 9 * 86400 + 7
                created = _stamp(max(0, second))
                words = rng.sample(WORDS, rng.randrange(1, 5)) + (["ssl"] if rng.random() < 0.5 else [])
                if rng.random() < 0.2:
                    words.append(rng.choice(NOISE))
                yield {
                    "id": i,
                    "subject": " ".join(words[:2]) or "x",
                    "body": " ".join(words[2:]) + " see the log",
                    "status": rng.choice(STATUSES),
                    "priority": rng.choice(PRIORITIES),
                    "department": rng.choice(DEPARTMENTS),
                    "channel": "ticket",
                    "customer_id": rng.randrange(1, len(CUSTOMERS) + 1),
                    "assignee_id": rng.choice((None, 1, 2)),
                    "created_at": created,
                    "updated_at": _stamp(max(0, second) + rng.randrange(0, 30 * 86400)),
                }

        store.bulk_insert_tickets(rows())
    store.optimize()
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    opened = build(tmp_path_factory.mktemp("search") / "d.db")
    yield opened
    opened.close()


def _reference_where(flt: Filter) -> tuple[str, list]:
    """The WHERE clause the store built before searches walked an index (joined rows)."""
    clauses, params = [], []
    if flt.ids:
        clauses.append("t.id IN (SELECT value FROM json_each(?))")
        params.append("[" + ", ".join(map(str, flt.ids)) + "]")
    for column, values in (("t.status", flt.statuses), ("t.priority", flt.priorities), ("t.department", flt.departments)):
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
    for sql, value in (("t.created_at >= ?", flt.created_after), ("t.created_at < ?", flt.created_before), ("t.created_at <= ?", flt.as_of)):
        if value:
            clauses.append(sql)
            params.append(value)
    if flt.search:
        clauses.append("t.id IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ?)")
        params.append(fts_query(flt.search))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def reference(store: Store, flt: Filter) -> tuple[list[dict], int]:
    where, params = _reference_where(flt)
    sql = f"{TICKET_SELECT}{where} ORDER BY {SORTS[flt.sort]}" + (f" LIMIT {flt.limit}" if flt.limit else "")
    rows = [dict(r) for r in store.conn.execute(sql, params)]
    count_sql = (
        "SELECT count(*) FROM tickets t JOIN customers c ON c.id = t.customer_id "
        f"LEFT JOIN agents a ON a.id = t.assignee_id{where}"
    )
    return rows, store.conn.execute(count_sql, params).fetchone()[0]


@contextmanager
def small_steps():
    """Reads of a few rows at a time, a tiny walking budget, few words spelled out and few
    tickets told apart by one lookup: every fallback path on a small desk."""
    with (
        mock.patch.object(sqlite_queries, "FIRST_READ", 2),
        mock.patch.object(sqlite_queries, "WALK_BUDGET", 16),
        mock.patch.object(sqlite_queries, "MAX_SPELLED", 2),
        mock.patch.object(sqlite_queries, "MAX_SET", 3),
    ):
        yield


def _some(values):
    return st.lists(st.sampled_from(values), max_size=3, unique=True).map(tuple)


searches = st.lists(
    st.one_of(
        st.sampled_from(WORDS + NOISE),
        st.sampled_from(WORDS).map(lambda w: w[: max(1, len(w) // 2)]),  # a prefix
        st.sampled_from(WORDS).map(str.upper),
        st.text(alphabet="abcdeflmnqrsvz3\"*-é ", min_size=1, max_size=6),
    ),
    min_size=1,
    max_size=3,
).map(" ".join).filter(str.strip)

filters = st.builds(
    Filter,
    ids=st.one_of(st.just(()), st.lists(st.integers(1, TICKETS + 5), max_size=40).map(tuple)),
    statuses=_some(STATUSES),
    priorities=_some(PRIORITIES),
    departments=_some(DEPARTMENTS),
    customer=st.one_of(st.none(), st.sampled_from(CUSTOMERS + ("ADMIN@customer2.example.com", "nobody@example.com"))),
    assignee=st.one_of(st.none(), st.sampled_from(AGENTS + ("nobody",))),
    unassigned=st.booleans(),
    created_after=st.one_of(st.none(), st.sampled_from(INSTANTS)),
    created_before=st.one_of(st.none(), st.sampled_from(INSTANTS)),
    search=st.one_of(st.none(), searches),
    limit=st.one_of(st.none(), st.integers(1, 40), st.just(600)),
    sort=st.sampled_from(SORT_NAMES),
    as_of=st.one_of(st.none(), st.sampled_from(INSTANTS)),
)
# Mostly just a search, sometimes a time bound: the cases the fast paths are for.
plain_searches = st.builds(
    Filter,
    search=searches,
    limit=st.one_of(st.none(), st.integers(1, 60)),
    sort=st.sampled_from(SORT_NAMES),
    as_of=st.one_of(st.none(), st.sampled_from(INSTANTS)),
    created_after=st.one_of(st.none(), st.sampled_from(INSTANTS)),
)


def check(store: Store, flt: Filter) -> None:
    rows, total = reference(store, flt)
    assert store.find_tickets(flt) == rows, flt
    assert store.count_tickets(flt) == total, flt


@pytest.mark.parametrize("steps", ["ordinary", "small steps"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flt=st.one_of(filters, plain_searches))
def test_a_filter_finds_and_counts_what_the_plain_query_does(store, steps, flt):
    if steps == "ordinary":
        check(store, flt)
    else:
        with small_steps():
            check(store, flt)


@pytest.mark.parametrize("sort", SORT_NAMES)
@pytest.mark.parametrize("words", ["ssl", "SSL cert", "m", "m1", "café", "cafe", "naive", "strasse", "ssl-cert", "zzz"])
@pytest.mark.parametrize("limit", [1, 7, 20, None])
def test_every_order_and_kind_of_word(store, sort, words, limit):
    for flt in (Filter(search=words, sort=sort, limit=limit), Filter(search=words, sort=sort, limit=limit, as_of=INSTANTS[5])):
        check(store, flt)
        with small_steps():
            check(store, flt)


def test_a_spelled_out_search_matches_what_the_prefix_search_matches(store):
    def ids(query):
        return {r[0] for r in store.conn.execute("SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ?", [query])}

    for words in ("ssl", "ssl cert", "m", "mail", "MAILBOX m1", "café", "50", "zz", "ssl-cert", '"quoted"'):
        assert ids(search_query(store.conn, words)) == ids(fts_query(words)), words
    # A plain word that begins a few indexed words becomes those words, exactly.
    assert search_query(store.conn, "mail") == '("mail" OR "mailbox" OR "mailer")'
    assert search_query(store.conn, "ssl-cert") == fts_query("ssl-cert")


def test_a_search_inside_a_transaction_sees_its_writes_and_survives_a_rollback(store):
    flt = Filter(search="ssl", limit=5)
    before, total = store.find_tickets(flt), store.count_tickets(flt)

    class Undo(Exception):
        pass

    with pytest.raises(Undo), store.transaction():
        store.conn.execute(
            "INSERT INTO tickets (id, subject, body, status, priority, department, channel, customer_id, created_at, updated_at) "
            "VALUES (9999, 'ssl again', '', 'new', 'low', 'sales', 'ticket', 1, '2026-12-31T00:00:00Z', '2026-12-31T00:00:00Z')"
        )
        assert store.find_tickets(flt)[0]["id"] == 9999
        assert store.count_tickets(flt) == total + 1
        raise Undo
    assert store.find_tickets(flt) == before and store.count_tickets(flt) == total
    assert not store.conn.in_transaction
