"""The tenancy test of tests/test_tenancy.py repeated over HTTP: two resellers, their
customers and tickets, direct customers, the agents' side. Through every endpoint, each
holder sees exactly its tickets and nothing of the agents' side; every ticket outside its
scope is "not found" in the very words of an id that does not exist, for reads and
writes alike, and a refused write changes nothing.

The world is test_tenancy's, built smaller (60 tickets a reseller, 10 customers each).
"""

from __future__ import annotations

import io
import json
import sqlite3
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import test_tenancy as tenancy
from conftest import Cli

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note that it prefers httpx2: the client works with httpx
    from fastapi.testclient import TestClient

from supportdesk.server.app import create_app

NOW = "2026-11-23T10:00"  # FROZEN, where the holders act


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tenancy.World:
    """test_tenancy's desk, smaller (its sizes are put back at once: that module's own tests
    build the full one)."""
    sizes = {"TICKETS_EACH": 60, "CUSTOMERS_EACH": 10, "SAMPLED": 2}
    saved = {name: getattr(tenancy, name) for name in sizes}
    for name, value in sizes.items():
        setattr(tenancy, name, value)
    try:
        return tenancy.build_world(tmp_path_factory.mktemp("tenancy-http") / "desk.db")
    finally:
        for name, value in saved.items():
            setattr(tenancy, name, value)


def client(path: Path) -> Any:
    return TestClient(create_app(path, NOW, log=io.StringIO(), rate=0), raise_server_exceptions=False)


def get(http: Any, token: str, url: str) -> Any:
    return http.get(url, headers={"Authorization": f"Bearer {token}"})


def test_every_endpoint_shows_each_holder_exactly_its_own_and_nothing_of_the_agents_side(world):
    statuses = {r["id"]: r["status"] for r in tenancy.rows(world.path, "SELECT id, status FROM tickets")}
    with client(world.path) as http:
        wrong = reads_of_every_holder(world, http, statuses)
    assert not wrong, f"{len(wrong)} wrong answers, e.g. {wrong[:10]}"


def reads_of_every_holder(world: tenancy.World, http: Any, statuses: dict[int, str]) -> list[str]:
    """Each holder's lists; every id of the desk read one by one by both resellers, a
    customer of one and a direct customer (the other customers are like the first)."""
    wrong: list[str] = []
    swept = {*world.resellers, world.sampled[-1], tenancy.DIRECT[0]}
    for holder in world.holders:
        token, mine = world.tokens[holder], world.scope(holder)
        listed = get(http, token, "/v1/tickets")
        if sorted(t["id"] for t in listed.json()) != sorted(mine) or listed.headers["X-Total-Count"] != str(len(mine)):
            wrong.append(f"{holder}: list gave {len(listed.json())} of {len(mine)}")
        everything = get(http, token, "/v1/status?all=true").json()
        if sorted(t["id"] for t in everything["tickets"]) != sorted(mine) or everything["counts"] != dict(Counter(statuses[i] for i in mine)):
            wrong.append(f"{holder}: status --all")
        active = {i for i in mine if statuses[i] in ("new", "open", "pending")}
        if {t["id"] for t in get(http, token, "/v1/status").json()["tickets"]} != active:
            wrong.append(f"{holder}: status")
        events = get(http, token, "/v1/log?limit=0").json()
        if [e["id"] for e in events] != tenancy.public_events_of(world.path, mine):
            wrong.append(f"{holder}: log")
        for other in ("alphaonly", "betaonly", "directonly"):
            if not {t["id"] for t in get(http, token, f"/v1/tickets?search={other}&limit=20").json()} <= mine:
                wrong.append(f"{holder}: list --search {other} widened")
        views = [listed.json(), everything, events]
        absent = {
            what: get(http, token, url.format(id=world.missing)).json()["error"]
            for what, url in (("show", "/v1/tickets/{id}"), ("status", "/v1/status?ticket={id}"), ("log", "/v1/log?ticket={id}"))
        }
        for ticket in world.ids if holder in swept else ():
            for what, url in (("show", "/v1/tickets/{id}"), ("status", "/v1/status?ticket={id}"), ("log", "/v1/log?ticket={id}")):
                response = get(http, token, url.format(id=ticket))
                if ticket in mine:
                    data = response.json()
                    ids = {data["id"]} if what == "show" else {t["id"] for t in data["tickets"]} if what == "status" else {e["ticket_id"] for e in data}
                    if response.status_code != 200 or ids != {ticket}:
                        wrong.append(f"{holder}: {what} {ticket} gave {response.status_code} {sorted(ids)}")
                    views.append(data)
                    continue
                expected = absent[what].replace(f"#{world.missing}", f"#{ticket}")
                if response.status_code != 404 or response.json() != {"error": expected, "exit_code": 3}:
                    wrong.append(f"{holder}: {what} {ticket} (not theirs) gave {response.status_code} {response.text[:80]}")
        wrong += [f"{holder}: shows {item}" for view in views for item in tenancy.agents_side(view)]
    return wrong


def test_every_write_outside_the_scope_is_not_found_and_changes_nothing(world, tmp_path):
    copy = tmp_path / "copy.db"
    source, target = sqlite3.connect(world.path), sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    before = Cli(copy).dump()
    with client(copy) as http:
        wrong = writes_of_every_holder(world, http)
    assert not wrong, f"{len(wrong)} wrong answers, e.g. {wrong[:10]}"
    assert Cli(copy).dump() == before, "a refused write changed the desk"


def writes_of_every_holder(world: tenancy.World, http: Any) -> list[str]:
    writes = {
        "reply": lambda i: ("/v1/tickets/{}/replies".format(i), {"text": "let me in"}),
        "close": lambda i: ("/v1/close", {"ids": [i]}),
        "file --ref": lambda i: ("/v1/tickets", {"subject": "Follow-up", "body": "about that ticket", "ref": i}),
    }
    wrong: list[str] = []
    for holder in (*world.resellers, world.sampled[0], tenancy.DIRECT[0]):
        token, mine = world.tokens[holder], world.scope(holder)

        def post(url: str, body: dict, token: str = token) -> Any:
            return http.post(url, content=json.dumps(body), headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})

        absent = {name: post(*write(world.missing)).json()["error"] for name, write in writes.items()}
        for ticket in world.ids:
            if ticket in mine:
                continue
            for name, write in writes.items():
                response = post(*write(ticket))
                expected = absent[name].replace(f"#{world.missing}", f"#{ticket}")
                if response.status_code != 404 or response.json()["error"] != expected:
                    wrong.append(f"{holder}: {name} {ticket} gave {response.status_code} {response.text[:80]}")
    return wrong
