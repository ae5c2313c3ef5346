"""The triage queue and its counts, in every scope, against a naive reading of the rows:
the store walks partial indexes of open tickets (and counts the open and the unassigned in
one walk), which must not change what it finds."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportdesk.store import Store

NOW = "2026-11-20T12:00:00Z"
STAMPS = tuple(f"2026-11-{d:02d}T{h:02d}:00:00Z" for d in (10, 15, 19, 20, 21, 25) for h in (0, 12))
ACTIVE = ("new", "open", "pending")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    rng = random.Random(9)
    opened = Store.create(tmp_path_factory.mktemp("queue") / "d.db")
    with opened.transaction():
        opened.bulk_insert_customers([{"id": 1, "email": "a@example.com", "created_at": STAMPS[0]}])
        for login in ("ayse", "burak"):
            opened.insert_agent({"login": login, "created_at": STAMPS[0]})

        def rows():
            for i in range(1, 301):
                status = rng.choice((*ACTIVE, "resolved", "closed"))
                due = rng.choice((None, *STAMPS)) if status in ACTIVE else None
                yield {
                    "id": i, "subject": "s", "body": "b", "status": status, "priority": "normal",
                    "priority_rank": rng.randrange(1, 4), "department": rng.choice(("technical", "billing")),
                    "channel": "ticket", "customer_id": 1, "assignee_id": rng.choice((None, None, 1, 2)),
                    "created_at": rng.choice(STAMPS), "updated_at": STAMPS[-1], "due_at": due,
                    "risk_at": None if due is None else rng.choice([s for s in STAMPS if s <= due]),
                }

        opened.bulk_insert_tickets(rows())
    yield opened
    opened.close()


def kept_rows(store: Store, scope: dict) -> list[dict]:
    """The open tickets a queue scope keeps, read naively."""
    rows = [dict(r) for r in store.conn.execute("SELECT * FROM tickets ORDER BY id")]

    def kept(r):
        return (
            r["status"] in ACTIVE
            and (not scope.get("filed_by") or r["created_at"] <= scope["filed_by"])
            and (not scope.get("department") or r["department"] == scope["department"])
            and (not scope.get("unassigned") or r["assignee_id"] is None)
            and (scope.get("unassigned") or scope.get("assignee_id") is None or r["assignee_id"] == scope["assignee_id"])
            and (not scope.get("due_before") or (r["due_at"] is not None and r["due_at"] <= scope["due_before"]))
        )

    return [r for r in rows if kept(r)]


def naive(store: Store, now: str, scope: dict) -> tuple[list[dict], dict[str, int]]:
    open_rows = kept_rows(store, scope)
    due = sorted((r for r in open_rows if r["due_at"]), key=lambda r: (r["due_at"], r["priority_rank"], r["created_at"]))
    rest = sorted((r for r in open_rows if not r["due_at"]), key=lambda r: (r["priority_rank"], r["created_at"]))
    counts = {
        "open": len(open_rows),
        "breached": sum(1 for r in due if r["due_at"] < now),
        "at_risk": sum(1 for r in due if r["risk_at"] <= now <= r["due_at"]),
        "unassigned": sum(1 for r in open_rows if r["assignee_id"] is None),
    }
    return due + rest, counts


scopes = st.fixed_dictionaries(
    {},
    optional={
        "department": st.sampled_from(("technical", "billing")),
        "assignee_id": st.sampled_from((1, 2, 3)),
        "unassigned": st.booleans(),
        "due_before": st.sampled_from(STAMPS),
        "filed_by": st.sampled_from(STAMPS),
    },
)


def order(row: dict) -> tuple:
    return (row["due_at"] is None, row["due_at"] or "", row["priority_rank"], row["created_at"])


@settings(max_examples=150, deadline=None)
@given(scope=scopes, now=st.sampled_from(STAMPS), limit=st.integers(1, 320))
def test_the_queue_and_its_counts_are_those_of_the_rows(store, scope, now, limit):
    expected, counts = naive(store, now, scope)
    assert store.queue_counts(now, **scope) == counts
    found = store.queue(limit=limit, **scope)
    # Tickets alike in deadline, rank and filing instant may come in either order.
    assert [order(r) for r in found] == [order(r) for r in expected[:limit]]
    assert len({r["id"] for r in found}) == len(found) and {r["id"] for r in found} <= {r["id"] for r in expected}


def by_priority(row: dict) -> tuple:
    return (row["priority_rank"], row["due_at"] is None, row["due_at"] or "", row["created_at"])


# ---- the priority order (`[triage] order = "priority"`) -------------------------------------


def by_priority_rows(store: Store, scope: dict) -> list[dict]:
    return sorted(kept_rows(store, scope), key=by_priority)


@settings(max_examples=100, deadline=None)
@given(scope=scopes, limit=st.integers(1, 320))
def test_the_priority_queue_is_that_of_the_rows(store, scope, limit):
    expected = by_priority_rows(store, scope)
    found = store.queue(limit=limit, order="priority", **scope)
    # Tickets alike in rank, deadline and filing instant may come in either order.
    assert [by_priority(r) for r in found] == [by_priority(r) for r in expected[:limit]]
    assert len({r["id"] for r in found}) == len(found) and {r["id"] for r in found} <= {r["id"] for r in expected}


@pytest.mark.parametrize("order", ["deadline", "priority"])
@pytest.mark.parametrize("scope", [{}, {"department": "billing"}, {"assignee_id": 1}, {"unassigned": True}, {"due_before": STAMPS[5]}])
def test_the_queue_walks_an_index_in_its_order_without_sorting(store, order, scope):
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        store.queue(limit=50, order=order, filed_by=STAMPS[-1], **scope)
    finally:
        store.conn.set_trace_callback(None)
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert queries
    for sql in queries:
        if order == "deadline" and "due_at IS NULL" in sql:
            continue  # the tail of tickets without a running deadline (few): sorted as it always was
        plan = " / ".join(row[-1] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "TEMP B-TREE" not in plan and "INDEX tickets_triage" in plan, plan


def test_an_unknown_order_is_refused_by_the_store(store):
    with pytest.raises(ValueError, match="unknown queue order 'age'"):
        store.queue(limit=5, order="age")
