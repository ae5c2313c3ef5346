"""Tenancy: two resellers with 50 customers and 500 tickets each, a few direct customers,
and the agents' side of the tickets (internal notes, assignments, escalations). Every read
as each reseller and a sample of customers returns exactly its own tickets and never the
agents' side; every write outside its scope is refused and changes nothing; tokens are
kept hashed and refused once revoked or expired.

The desk is built once (through the Python API, as the holders and the agents would work
it) and read by every test of the first part; a test that writes works on a copy."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import FROZEN, HOSTING, Cli, api, new_desk

from supportdesk.errors import Refused

# Everything happens on the desk before FROZEN (Mon 23 Nov 2026 10:00 +03), the instant the
# holders' commands run at (frozen_clock).
BUILT_FROM = datetime(2026, 11, 17, 5, 0, tzinfo=UTC)
RESELLERS = {"alpha": ("ops@alpha.example", "Alpha Hosting"), "beta": ("ops@beta.example", "Beta Hosting")}
CUSTOMERS_EACH = 50
TICKETS_EACH = 500
SAMPLED = 5  # customers of each reseller who get a token
DIRECT = ("solo@direct.example", "other@direct.example")  # customers without a reseller
SECRET = "zebracode"  # a word only internal notes hold
# Events a reseller or customer must never see, and those it must see.
AGENT_EVENTS = {"note", "assign", "escalate", "deadlines", "priority", "page", "token_issued"}
PUBLIC_EVENTS = {"filed", "reply", "customer_reply", "wait", "resume", "close", "reopen"}
AGENT_ONLY_KEYS = {"assignee", "escalation_level", "flags", "due_at", "risk_at", "policy_version"}
EVENT_KEYS = {"id", "ticket_id", "at", "actor", "kind", "details"}


class StillClock:
    """A clock the test moves by hand: every write takes the instant it says."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def tick(self, seconds: int = 20) -> None:
        self.at += timedelta(seconds=seconds)


@dataclass(repr=False)
class World:
    """The built desk and what each holder may see of it (worked out from how it was
    built, not read back from the code under test)."""

    path: Path
    tokens: dict[str, str] = field(default_factory=dict)  # holder (e-mail) -> token
    owner: dict[int, str] = field(default_factory=dict)  # ticket id -> its customer's e-mail
    reseller_of: dict[str, str | None] = field(default_factory=dict)  # customer e-mail -> reseller e-mail
    customers: dict[str, list[str]] = field(default_factory=dict)  # reseller e-mail -> its customers
    sampled: list[str] = field(default_factory=list)  # customers with a token
    secrets: dict[int, str] = field(default_factory=dict)  # ticket id -> its internal note
    built_in: float = 0.0

    def __repr__(self) -> str:
        return f"World({self.path.name}: {len(self.owner)} tickets, built in {self.built_in:.1f}s)"

    @property
    def ids(self) -> list[int]:
        return sorted(self.owner)

    @property
    def missing(self) -> int:
        return max(self.owner) + 1

    @property
    def resellers(self) -> list[str]:
        return [email for email, _ in RESELLERS.values()]

    @property
    def holders(self) -> list[str]:
        """Every holder of a token the sweeps act as: both resellers, the sampled
        customers, a direct customer."""
        return [*self.resellers, *self.sampled, DIRECT[0]]

    def scope(self, holder: str) -> set[int]:
        """The tickets a holder may see: a reseller its own and its customers', a customer its own."""
        if holder in self.resellers:
            return {i for i, email in self.owner.items() if email == holder or self.reseller_of.get(email) == holder}
        return {i for i, email in self.owner.items() if email == holder}

    def token_env(self, holder: str) -> dict[str, str]:
        return {"SUPPORTDESK_TOKEN": self.tokens[holder]}


def build_world(path: Path) -> World:
    """The desk: two resellers, their customers and tickets (interleaved, so that ids of
    different scopes sit next to each other), direct customers, and the agents' work."""
    from supportdesk import CloseReason, Desk, TicketDraft

    started = time.perf_counter()
    world = World(path)
    new_desk(path, HOSTING, now="2026-11-16T09:00")
    clock = StillClock(BUILT_FROM)
    admin = Desk.connect(path, login="tester", clock=clock)
    opened = [admin]
    try:
        admin.add_agent("bob")
        admin.add_agent("carol")
        for key, (email, name) in RESELLERS.items():
            admin.add_reseller(email, name=name)
            world.customers[email] = [f"c{n:02d}@{key}-clients.example" for n in range(CUSTOMERS_EACH)]
            world.reseller_of[email] = None
            for customer in world.customers[email]:
                admin.add_customer(customer, reseller=name)
                world.reseller_of[customer] = email
            world.sampled += world.customers[email][:SAMPLED]
        for email in DIRECT:
            world.reseller_of[email] = None
        for holder in [*world.resellers, *world.sampled, DIRECT[0]]:
            kind = "reseller" if holder in world.resellers else "customer"
            if holder == DIRECT[0]:
                admin.add_customer(holder)
            world.tokens[holder] = admin.issue_token(kind, holder)["token"]
        holders = {h: Desk.connect(path, token=t, clock=clock) for h, t in world.tokens.items()}
        opened += holders.values()

        def file(desk: Any, customer: str, subject: str, **more: Any) -> int:
            clock.tick()
            ticket = desk.file_ticket(TicketDraft(subject, f"{subject}: the details", customer, **more))["id"]
            world.owner[ticket] = customer if customer else desk.actor.name
            return ticket

        # 500 tickets per reseller, interleaved: its own (filed by itself), some filed by
        # it for its customers, some by the sampled customers themselves, the rest by the
        # desk on the customers' behalf.
        for n in range(TICKETS_EACH):
            for key, (reseller, _) in RESELLERS.items():
                customers = world.customers[reseller]
                customer = customers[(n - n // 50 - 1) % CUSTOMERS_EACH]
                subject = f"{key}only ticket {n} for {customer}"
                if n % 50 == 0:
                    file(holders[reseller], "", subject)
                elif n % 10 == 1:
                    file(holders[reseller], customer, subject, fields={"domain": f"{key}{n}.example"})
                elif customer in holders and n % 3 == 0:
                    file(holders[customer], "", subject)
                else:
                    file(admin, customer, subject, channel="email" if n % 4 == 0 else None)
        # A reseller files for an end customer the desk does not know yet: refused (the same
        # words as for another's customer: no oracle of who the desk knows), until an admin
        # adds the customer to the reseller's account.
        newcomer = "newcomer@alpha-clients.example"
        with pytest.raises(Refused, match="is not one of your customers"):
            file(holders[world.resellers[0]], newcomer, "alphaonly first ticket of a newcomer")
        admin.add_customer(newcomer, reseller=world.resellers[0])
        file(holders[world.resellers[0]], newcomer, "alphaonly first ticket of a newcomer")
        world.reseller_of[newcomer] = world.resellers[0]
        world.customers[world.resellers[0]].append(newcomer)
        for n, email in enumerate(DIRECT * 3):
            file(admin, email, f"directonly ticket {n} for {email}")

        # The agents' work, and the holders' replies.
        bob = admin.acting_as("bob")
        for k, ticket in enumerate(world.ids):
            clock.tick()
            if k % 7 == 3:
                world.secrets[ticket] = f"internal {SECRET}{ticket}: customer owes us money"
                bob.reply(ticket, world.secrets[ticket], internal=True)
            if k % 5 == 1:
                admin.assign(ticket, "bob" if (k // 10) % 2 else "carol")
            if k % 3 == 0:
                admin.reply(ticket, f"Public answer to #{ticket}")
                if k % 39 == 0:
                    admin.wait(ticket)
            if k % 17 == 6:
                admin.escalate(ticket, "engineer", "customer is important")
            if k % 23 == 7:
                admin.set_priority(ticket, "high", "looks urgent")
            if k % 11 == 5:
                admin.close_tickets([ticket], CloseReason.RESOLVED)
        for holder, desk in holders.items():
            mine = sorted(world.scope(holder))
            for ticket in mine[1:4]:
                clock.tick()
                desk.reply(ticket, f"Reply from {holder} on #{ticket}")
    finally:
        for desk in opened:
            desk.close()
    assert clock.at < FROZEN, "the desk is built before the holders' commands run"
    world.built_in = time.perf_counter() - started
    return world


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    return build_world(tmp_path_factory.mktemp("tenancy") / "desk.db")


@pytest.fixture
def world_cli(world) -> Cli:
    """The CLI on the built desk, for reads only (every test of the first part shares it)."""
    return Cli(world.path)


@pytest.fixture
def world_copy(world, tmp_path) -> Cli:
    """The CLI on a copy of the built desk, for a test that writes."""
    copy = tmp_path / "copy.db"
    source, target = sqlite3.connect(world.path), sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return Cli(copy)


def holder_desk(path: Path, token: str) -> Any:
    """The desk through the Python API as the holder of `token`, at the real time (FROZEN)."""
    from supportdesk import Desk

    return Desk.connect(path, token=token, clock=lambda: FROZEN)


def error_of(call: Any) -> Exception | None:
    """The supportdesk error a call raises, or None when it returns."""
    from supportdesk import SupportdeskError

    try:
        call()
    except SupportdeskError as error:
        return error
    return None


def rows(path: Path, sql: str, *params: Any) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def public_events_of(path: Path, tickets: set[int]) -> list[int]:
    """The ids of the events of `tickets` a holder must see, read from the desk file."""
    found = rows(path, f"SELECT id, ticket_id, kind FROM events WHERE kind IN ({', '.join('?' * len(PUBLIC_EVENTS))}) ORDER BY id", *PUBLIC_EVENTS)
    return [e["id"] for e in found if e["ticket_id"] in tickets]


def nested_keys(value: Any, path: str = "") -> list[str]:
    """Every key of a JSON value, with where it is (`events[3].details.flags`)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found.append(f"{path}.{key}".lstrip("."))
            found += nested_keys(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            found += nested_keys(inner, f"{path}[{n}]")
    return found


def agents_side(value: Any) -> list[str]:
    """What of the agents' side a holder's view shows: agent-only keys at any depth, the
    internal notes' word, the agents who only ever worked behind the scenes."""
    shown = [k for k in nested_keys(value) if k.rsplit(".", 1)[-1] in AGENT_ONLY_KEYS]
    text = json.dumps(value)
    return shown + [word for word in (SECRET, "agent:bob", "agent:carol", '"bob"', '"carol"') if word in text]


# ---- the desk as built -------------------------------------------------------------------


def test_the_desk_holds_two_resellers_of_500_tickets_and_the_agents_side(world):
    assert world.built_in < 30, f"building the desk took {world.built_in:.1f}s"
    customers = {r["id"]: r for r in rows(world.path, "SELECT id, email, kind, reseller_id FROM customers")}
    by_email = {c["email"]: c for c in customers.values()}
    tickets = rows(world.path, "SELECT id, customer_id, reseller_id, status, assignee_id, escalation_level FROM tickets ORDER BY id")
    assert [t["id"] for t in tickets] == world.ids
    for ticket in tickets:
        email = world.owner[ticket["id"]]
        owner = email if email in world.resellers else world.reseller_of[email]
        assert customers[ticket["customer_id"]]["email"] == email, ticket
        assert ticket["reseller_id"] == (by_email[owner]["id"] if owner else None), ticket
    alpha, beta = world.resellers
    assert (len(world.scope(alpha)), len(world.scope(beta))) == (TICKETS_EACH + 1, TICKETS_EACH)
    assert len(world.customers[beta]) == CUSTOMERS_EACH
    assert all(any(world.owner[i] == c for i in world.ids) for c in world.customers[alpha] + world.customers[beta])
    assert {world.owner[i] for i in world.ids} >= {*DIRECT, alpha, beta}
    kinds = Counter(r["kind"] for r in rows(world.path, "SELECT kind FROM events"))
    assert all(kinds[k] > 20 for k in ("note", "assign", "escalate", "reply", "customer_reply", "close", "wait", "priority"))
    assert sum(t["assignee_id"] is not None for t in tickets) > 100 and sum(t["escalation_level"] > 0 for t in tickets) > 20
    assert rows(world.path, "SELECT count(*) AS n FROM tickets WHERE flags != '[]'")[0]["n"] > 500


# ---- reads: exactly the holder's tickets ------------------------------------------------


def test_every_ticket_id_is_found_exactly_within_the_holders_scope(world):
    """show, status ID and log ID, as each holder, for every ticket id of the desk: its own
    are found, every other is "not found" in the very words of an id that does not exist."""
    from supportdesk import NotFound

    wrong: list[str] = []
    for holder in world.holders:
        mine = world.scope(holder)
        with holder_desk(world.path, world.tokens[holder]) as desk:
            reads = {"show": desk.ticket, "status": desk.status, "log": desk.log}
            absent = {name: str(error_of(lambda read=read: read(world.missing))) for name, read in reads.items()}
            assert all(f"#{world.missing}" in text for text in absent.values()), absent
            for ticket in world.ids:
                for name, read in reads.items():
                    if ticket in mine:
                        result = read(ticket)
                        ids = {result["id"]} if name == "show" else {t["id"] for t in result["tickets"]} if name == "status" else {e["ticket_id"] for e in result}
                        if ids != {ticket}:
                            wrong.append(f"{holder}: {name} {ticket} gave {sorted(ids)}")
                        continue
                    error = error_of(lambda read=read: read(ticket))
                    expected = absent[name].replace(f"#{world.missing}", f"#{ticket}")
                    if not isinstance(error, NotFound) or str(error) != expected:
                        wrong.append(f"{holder}: {name} {ticket} (not theirs) gave {error!r}")
    assert not wrong, f"{len(wrong)} wrong answers, e.g. {wrong[:10]}"


def test_lists_hold_exactly_the_tickets_in_scope(world):
    """list, status (--all) and log as each holder: exactly its tickets and their public
    events, whatever the filter; the counts are its own."""
    statuses = {r["id"]: r["status"] for r in rows(world.path, "SELECT id, status FROM tickets")}
    alpha, beta = world.resellers
    for holder in world.holders:
        mine = world.scope(holder)
        with holder_desk(world.path, world.tokens[holder]) as desk:
            listed, total = desk.list_tickets(desk.filter(limit=0))
            assert sorted(t["id"] for t in listed) == sorted(mine) and total == len(mine), holder
            everything = desk.status(finished=True, limit=0)
            assert sorted(t["id"] for t in everything["tickets"]) == sorted(mine), holder
            assert everything["counts"] == dict(Counter(statuses[i] for i in mine)), holder
            active = {i for i in mine if statuses[i] in ("new", "open", "pending")}
            assert sorted(t["id"] for t in desk.status(limit=0)["tickets"]) == sorted(active), holder
            events = desk.log()
            assert [e["id"] for e in events] == public_events_of(world.path, mine), holder
            # Filters narrow the holder's tickets, never widen them.
            for other in ("alphaonly", "betaonly", "directonly"):
                for limit in (0, 20):  # (a short page walks the search index)
                    found, _ = desk.list_tickets(desk.filter(search=other, limit=limit))
                    assert {t["id"] for t in found} <= mine, (holder, other)
            found, _ = desk.list_tickets(desk.filter(search="betaonly", limit=0))
            assert bool(found) == (holder == beta or world.reseller_of.get(holder) == beta), holder
            for customer in (world.customers[alpha][7], world.customers[beta][7], DIRECT[1]):
                found, _ = desk.list_tickets(desk.filter(customer=customer, limit=0))
                assert {t["id"] for t in found} == {i for i in mine if world.owner[i] == customer}, (holder, customer)
            found, _ = desk.list_tickets(desk.filter(ids=tuple(world.ids), limit=0))
            assert {t["id"] for t in found} == mine, holder


def test_public_views_show_no_internal_note_and_no_agents_event(world):
    """Each in-scope ticket as its holders see it: the public messages exactly, the public
    events exactly (ids), no agent-only field at the top, no internal note's text."""
    messages: dict[int, list[str]] = {}
    for m in rows(world.path, "SELECT ticket_id, body FROM messages WHERE internal = 0 ORDER BY at, id"):
        messages.setdefault(m["ticket_id"], []).append(m["body"])
    public = public_events_of(world.path, set(world.ids))
    events_of: dict[int, list[int]] = {}
    for e in rows(world.path, "SELECT id, ticket_id FROM events WHERE ticket_id IS NOT NULL ORDER BY id"):
        if e["id"] in public:
            events_of.setdefault(e["ticket_id"], []).append(e["id"])
    wrong: list[str] = []
    for holder in world.holders:
        with holder_desk(world.path, world.tokens[holder]) as desk:
            views = {t["id"]: t for t in desk.status(finished=True, limit=0)["tickets"]}
            listed = {t["id"]: t for t in desk.list_tickets(desk.filter(limit=0))[0]}
            for ticket in sorted(world.scope(holder)):
                shown = desk.ticket(ticket)
                for where, view in (("show", shown), ("status", views[ticket]), ("list", listed[ticket])):
                    if AGENT_ONLY_KEYS & set(view):
                        wrong.append(f"{holder}: {where} {ticket} has {sorted(AGENT_ONLY_KEYS & set(view))}")
                    if SECRET in json.dumps(view):
                        wrong.append(f"{holder}: {where} {ticket} shows an internal note")
                if [m["body"] for m in shown["messages"]] != messages.get(ticket, []) or any(m["internal"] for m in shown["messages"]):
                    wrong.append(f"{holder}: show {ticket} messages {[m['body'] for m in shown['messages']]}")
                if [e["id"] for e in shown["events"]] != events_of.get(ticket, []):
                    wrong.append(f"{holder}: show {ticket} events {[e['kind'] for e in shown['events']]}")
                if any(set(e) - EVENT_KEYS for e in shown["events"]):
                    wrong.append(f"{holder}: show {ticket} events carry {sorted(set().union(*map(set, shown['events'])) - EVENT_KEYS)}")
                last = views[ticket]["last_reply"]
                if (last["body"] if last else None) != (messages.get(ticket) or [None])[-1]:
                    wrong.append(f"{holder}: status {ticket} last reply {last}")
            for event in desk.log():
                if event["kind"] in AGENT_EVENTS or SECRET in json.dumps(event):
                    wrong.append(f"{holder}: log shows {event['kind']} #{event['id']}")
    assert not wrong, f"{len(wrong)} leaks, e.g. {wrong[:10]}"


def test_leak_no_agent_only_data_anywhere_in_a_holders_json(world):
    """Was a leak: the `filed` event a reseller or customer sees
    keeps the intake flags in its details (`events[0].details.flags`, e.g.
    ["missing-info", "possible-duplicate:#12"]), in `show --json` and `log --json`: flags
    are agent-only. Reproduce: file a ticket without --field domain=…, issue the customer
    a token, `SUPPORTDESK_TOKEN=… supportdesk show 1 --json`."""
    wrong: list[str] = []
    for holder in world.holders:
        with holder_desk(world.path, world.tokens[holder]) as desk:
            for ticket in sorted(world.scope(holder)):
                wrong += [f"{holder}: show {ticket}: {k}" for k in agents_side(desk.ticket(ticket))]
                wrong += [f"{holder}: status {ticket}: {k}" for k in agents_side(desk.status(ticket))]
            wrong += [f"{holder}: log: {k}" for k in agents_side(desk.log())]
            wrong += [f"{holder}: list: {k}" for k in agents_side(desk.list_tickets(desk.filter(limit=0))[0])]
    assert not wrong, f"{len(wrong)} agent-only items shown, e.g. {wrong[:8]}"


# ---- the same reads through the CLI, for a sample of holders and ids ---------------------


def sample_ids(world: World, holder: str) -> tuple[list[int], list[int]]:
    """A few of the holder's tickets, and a few of every other scope's (the other
    reseller's, a sibling customer's, the reseller's own, a direct customer's)."""
    mine = sorted(world.scope(holder))
    others: list[int] = []
    for other in [*world.resellers, world.sampled[1], world.sampled[SAMPLED + 1], DIRECT[0], DIRECT[1]]:
        theirs = sorted({i for i, owner in world.owner.items() if owner == other} - set(mine))
        others += theirs[-1:]
    return [mine[0], mine[-1]], sorted(set(others))


def cli_holders(world: World) -> list[str]:
    """The holders the CLI sample acts as: both resellers, a customer of one, a direct one."""
    return [*world.resellers, world.sampled[SAMPLED], DIRECT[0]]


def test_the_cli_reads_of_each_holder_match_its_scope(world, world_cli, frozen_clock):
    """status, list and log (--json) as each holder, and show / status ID / log ID for a
    sample of ids: its own tickets only; any other id is exactly "not found"."""
    statuses = {r["id"]: r["status"] for r in rows(world.path, "SELECT id, status FROM tickets")}
    for holder in cli_holders(world):
        env = world.token_env(holder)
        mine = world.scope(holder)
        view = world_cli.json("status", env=env)
        assert view["actor"].endswith(f":{holder}") and view["counts"] == dict(Counter(statuses[i] for i in mine))
        assert {t["id"] for t in view["tickets"]} <= {i for i in mine if statuses[i] in ("new", "open", "pending")}
        assert {t["id"] for t in world_cli.json("status", "--all", env=env)["tickets"]} <= mine
        assert sorted(t["id"] for t in world_cli.json("list", "--limit", "0", env=env)) == sorted(mine)
        events = public_events_of(world.path, mine)
        assert set(e["id"] for e in world_cli.json("log", env=env)) <= set(events[-50:])
        assert [e["id"] for e in world_cli.json("log", "--limit", "0", env=env)] == events
        own, others = sample_ids(world, holder)
        for args in (["status"], ["show"], ["log"]):
            absent = world_cli(*args, str(world.missing), "--json", env=env)
            assert absent.exit_code == 3 and absent.stderr.count("\n") == 1, absent.output
            for ticket in own:
                shown = world_cli.json(*args, str(ticket), env=env)
                ids = {shown["id"]} if args == ["show"] else {t["id"] for t in shown["tickets"]} if args == ["status"] else {e["ticket_id"] for e in shown}
                assert ids == {ticket}, (holder, args, ticket)
            for ticket in others:
                result = world_cli(*args, str(ticket), "--json", env=env)
                assert (result.exit_code, result.stdout) == (3, ""), (holder, args, ticket, result.output)
                assert result.stderr == absent.stderr.replace(f"#{world.missing}", f"#{ticket}"), (holder, args, ticket)


def test_plain_views_of_a_holder_work_and_show_no_agents_side(world, world_cli, frozen_clock):
    """The views for people, as a reseller or customer: no crash (`show ID` and `list`
    once failed with exit 70, KeyError 'assignee'), no internal note, no agent who only
    worked behind the scenes, no intake flag."""
    failed = []
    for holder in (world.resellers[0], world.sampled[0]):
        env = world.token_env(holder)
        own, _ = sample_ids(world, holder)
        secret = next(i for i in sorted(world.scope(holder)) if i in world.secrets)
        for args in (["status"], ["status", str(own[0])], ["list"], ["list", "--limit", "0"], ["list", "--csv"], ["log"],
                     ["log", str(secret)], ["show", str(own[0])], ["show", str(secret)]):
            result = world_cli(*args, env=env)
            if result.exit_code != 0 or "Traceback" in result.output:
                failed.append(f"{holder}: {' '.join(args)} → {result.exit_code} {result.stderr.strip()}")
                continue
            for word in (SECRET, "bob", "carol", "missing-info", "possible-duplicate"):
                if word in result.stdout:
                    failed.append(f"{holder}: {' '.join(args)} shows {word!r}")
    assert not failed, "\n".join(failed)


def test_status_of_a_big_reseller_shows_the_soonest_due_tickets(world, world_cli, frozen_clock):
    """Was a bug: `status` promises the active tickets "soonest due first", but it took the
    200 NEWEST active tickets and sorted those: a reseller with 450
    active tickets never sees its oldest, most overdue ones (the counts say 450). Reproduce:
    this desk, `SUPPORTDESK_TOKEN=<Alpha's token> supportdesk status --json`: ticket #1's
    successors filed first are missing although they are due first."""
    alpha = world.resellers[0]
    mine = world.scope(alpha)
    due = []
    for r in rows(world.path, "SELECT id, status, respond_by, resolve_by, first_response_at FROM tickets"):
        if r["id"] in mine and r["status"] in ("new", "open", "pending"):
            next_due = None if r["status"] == "pending" else r["respond_by"] if r["first_response_at"] is None else r["resolve_by"]
            due.append((next_due, r["id"]))
    soonest = [d for d, _ in sorted(due, key=lambda d: (d[0] is None, d[0] or ""))]
    shown = [(t["next_due"], t["id"]) for t in world_cli.json("status", env=world.token_env(alpha))["tickets"]]
    assert len(soonest) > 200 and len(shown) >= 200
    # Tickets due at the same instant may come in any order; the instants may not.
    assert [d for d, _ in shown] == soonest[: len(shown)], f"shown first: {shown[:5]}, due first: {soonest[:5]}"
    assert all((d, i) in set(due) for d, i in shown)


def test_leak_list_filters_on_agent_only_fields_tell_a_holder_who_works_its_tickets(world, world_cli, frozen_clock):
    """Was a leak: a reseller or customer can filter `list` by
    `--assignee LOGIN` (or `none`) and so learn which of its tickets each agent works, an
    agent-only field; an unknown login is refused listing every agent's login. Reproduce:
    `SUPPORTDESK_TOKEN=<Alpha's token> supportdesk list --assignee bob --json` gives the
    tickets assigned to bob; `… list --assignee zed` says "agents of this desk: bob, carol,
    tester"."""
    env = world.token_env(world.resellers[0])
    everything = world_cli.json("list", env=env)
    for login in ("bob", "carol", "none", "me"):
        result = world_cli("list", "--assignee", login, "--json", env=env)
        assert result.exit_code != 0 or json.loads(result.stdout) == everything, f"--assignee {login} narrows the list"
    unknown = world_cli("list", "--assignee", "zed", env=env)
    assert unknown.exit_code != 0 and "carol" not in unknown.stderr and "tester" not in unknown.stderr, unknown.stderr


# ---- writes outside the scope ------------------------------------------------------------


def test_every_write_outside_the_scope_is_not_found_and_changes_nothing(world, world_copy):
    """reply, close, reopen and file --ref, as each holder, on every ticket outside its
    scope: refused as "not found" in the very words of an id that does not exist; the desk
    is unchanged after all of them."""
    from supportdesk import CloseReason, NotFound, TicketDraft

    before = world_copy.dump()
    wrong: list[str] = []
    for holder in world.holders:
        mine = world.scope(holder)
        with holder_desk(world_copy.path, world.tokens[holder]) as desk:
            writes = {
                "reply": lambda i: desk.reply(i, "let me in"),
                "close": lambda i: desk.close_tickets([i], CloseReason.RESOLVED),
                "reopen": desk.reopen,
                "file --ref": lambda i: desk.file_ticket(TicketDraft("Follow-up", "about that ticket", "", ref=i)),
            }
            absent = {name: str(error_of(lambda write=write: write(world.missing))) for name, write in writes.items()}
            for ticket in world.ids:
                if ticket in mine:
                    continue
                for name, write in writes.items():
                    error = error_of(lambda write=write: write(ticket))
                    if not isinstance(error, NotFound) or str(error) != absent[name].replace(f"#{world.missing}", f"#{ticket}"):
                        wrong.append(f"{holder}: {name} {ticket} gave {error!r}")
    assert not wrong, f"{len(wrong)} wrong answers, e.g. {wrong[:10]}"
    assert world_copy.dump() == before, "a refused write changed the desk"


def test_the_cli_refuses_writes_outside_the_scope(world, world_copy, frozen_clock):
    cli = world_copy
    alpha, beta = world.resellers
    customer, sibling = world.customers[alpha][0], world.customers[alpha][1]
    closed = {r["id"] for r in rows(world.path, "SELECT id FROM tickets WHERE status IN ('resolved', 'closed')")}

    def one_of(holder: str, closed_only: bool = False) -> int:
        return min(i for i in world.scope(holder) if world.owner[i] in (holder, *world.customers.get(holder, [])) and (i in closed) >= closed_only)

    def of_customer(email: str, closed_only: bool = False) -> int:
        return min(i for i, owner in world.owner.items() if owner == email and (i in closed) >= closed_only)

    absent = cli("reply", str(world.missing), "-m", "x", env=world.token_env(alpha)).stderr.strip()
    as_alpha = world.token_env(alpha)
    for ticket in (one_of(beta), of_customer(DIRECT[1])):
        line = cli.refused(3, f"no ticket #{ticket}", "reply", str(ticket), "-m", "Let me in", env=as_alpha)
        assert line == absent.replace(f"#{world.missing}", f"#{ticket}")
        cli.refused(3, f"1 of the tickets do not exist (#{ticket}); nothing was closed", "close", str(ticket), env=as_alpha)
        cli.refused(3, f"1 of the tickets do not exist (#{ticket})", "close", str(one_of(alpha)), str(ticket), env=as_alpha)
        cli.refused(3, f"no ticket #{ticket}", "close", str(one_of(alpha)), "--reason", "duplicate", "--of", str(ticket), env=as_alpha)
        cli.refused(3, f"no ticket #{ticket}", "file", "-s", "Same again", "-b", "see there", "-c", customer, "--ref", str(ticket), env=as_alpha)
    cli.refused(3, f"no ticket #{one_of(beta, True)}", "reopen", str(one_of(beta, True)), env=as_alpha)
    for other in (world.customers[beta][0], DIRECT[1], beta):
        cli.refused(1, f"{other} is not one of your customers", "file", "-s", "For them", "-b", "please", "-c", other, env=as_alpha)
    cli.refused(1, "add internal notes", "reply", str(one_of(alpha)), "-m", "psst", "--internal", env=as_alpha)

    as_customer = world.token_env(customer)
    for ticket in (of_customer(sibling), one_of(alpha), one_of(beta), of_customer(DIRECT[0])):
        cli.refused(3, f"no ticket #{ticket}", "reply", str(ticket), "-m", "Let me in", env=as_customer)
        cli.refused(3, f"1 of the tickets do not exist (#{ticket})", "close", str(ticket), env=as_customer)
    cli.refused(3, f"no ticket #{of_customer(sibling, True)}", "reopen", str(of_customer(sibling, True)), env=as_customer)
    cli.refused(3, f"no ticket #{of_customer(sibling)}", "file", "-s", "Same again", "-b", "see there", "--ref", str(of_customer(sibling)), env=as_customer)
    for other in (sibling, alpha, DIRECT[0]):
        cli.refused(1, "only for yourself", "file", "-s", "For them", "-b", "please", "-c", other, env=as_customer)
    cli.refused(1, "add internal notes", "reply", str(of_customer(customer)), "-m", "psst", "--internal", env=as_customer)



def test_the_log_limit_counts_only_the_events_a_holder_can_see(world, world_cli, frozen_clock):
    """Was a bug: `log` (default: the latest 50) and `log --limit N`
    take the desk's latest N events of the holder's tickets and only then drop the agents'
    ones: a holder gets fewer than N although it has more, and how many fewer tells it how
    much went on behind its back (`--limit 1` gives [] right after an internal note).
    Reproduce: this desk, `SUPPORTDESK_TOKEN=<Alpha's token> supportdesk log --json`: 33
    events, not 50."""
    for holder in (world.resellers[0], world.sampled[0]):
        events = public_events_of(world.path, world.scope(holder))
        assert len(events) > 5
        env = world.token_env(holder)
        assert [e["id"] for e in world_cli.json("log", env=env)] == events[-50:], holder
        assert [e["id"] for e in world_cli.json("log", "--limit", "5", env=env)] == events[-5:], holder


# ---- writes within the scope, and a customer moving to another reseller ------------------


def test_holders_work_their_own_tickets_and_what_they_file_stays_in_their_scope(world, world_copy, frozen_clock):
    cli = world_copy
    alpha, beta = world.resellers
    customer = world.customers[alpha][0]
    theirs = min(i for i, owner in world.owner.items() if owner == world.customers[alpha][9])
    as_alpha, as_beta, as_customer = world.token_env(alpha), world.token_env(beta), world.token_env(customer)
    replied = cli.json("reply", str(theirs), "-m", "We are on it with the desk", env=as_alpha)
    assert replied["messages"][-1]["author"] == f"reseller:{alpha}"
    assert cli.json("close", str(theirs), env=as_alpha)["changed"] == [{"id": theirs, "before": "new", "after": "resolved"}]
    assert cli.json("reopen", str(theirs), env=as_alpha)["status"] == "open"
    # An address the desk does not know is refused in the words used for another's customer,
    # until an admin adds it to the reseller's account.
    cli.refused(1, "fresh@newshop.example is not one of your customers", "file", "-s", "New site", "-b", "please set up", "-c", "fresh@newshop.example", env=as_alpha)
    cli.ok("customer", "add", "fresh@newshop.example", "--reseller", alpha)
    filed = {
        "for its customer": int(cli.ok("file", "-s", "Mail down", "-b", "since noon", "-c", world.customers[alpha][3], env=as_alpha).stdout),
        "for a new customer": int(cli.ok("file", "-s", "New site", "-b", "please set up", "-c", "fresh@newshop.example", env=as_alpha).stdout),
        "for itself": int(cli.ok("file", "-s", "Our invoice", "-b", "is wrong", "--department", "billing", env=as_alpha).stdout),
        "by its customer": int(cli.ok("file", "-s", "Shop slow", "-b", "very slow", env=as_customer).stdout),
    }
    alpha_id = rows(cli.path, "SELECT id FROM customers WHERE email = ?", alpha)[0]["id"]
    stored = {r["id"]: r for r in rows(cli.path, "SELECT t.id, t.reseller_id, c.email FROM tickets t JOIN customers c ON c.id = t.customer_id")}
    assert [stored[i]["email"] for i in filed.values()] == [world.customers[alpha][3], "fresh@newshop.example", alpha, customer]
    assert {stored[i]["reseller_id"] for i in filed.values()} == {alpha_id}
    assert rows(cli.path, "SELECT reseller_id FROM customers WHERE email = 'fresh@newshop.example'")[0]["reseller_id"] == alpha_id
    listed = {t["id"] for t in cli.json("list", "--limit", "0", env=as_alpha)}
    assert set(filed.values()) <= listed and theirs in listed
    assert {t["id"] for t in cli.json("list", "--limit", "0", env=as_customer)} & set(filed.values()) == {filed["by its customer"]}
    for ticket in filed.values():
        cli.refused(3, f"no ticket #{ticket}", "show", str(ticket), env=as_beta)


def test_a_customer_moved_to_another_reseller_takes_its_tickets_along(world, world_copy, frozen_clock):
    cli = world_copy
    alpha, beta = world.resellers
    moving = world.customers[alpha][7]
    tickets = {i for i, owner in world.owner.items() if owner == moving}
    as_alpha, as_beta = world.token_env(alpha), world.token_env(beta)
    assert tickets <= {t["id"] for t in cli.json("list", "--limit", "0", env=as_alpha)}
    cli.ok("customer", "edit", moving, "--reseller", "Beta Hosting")
    assert not tickets & {t["id"] for t in cli.json("list", "--limit", "0", env=as_alpha)}
    assert tickets <= {t["id"] for t in cli.json("list", "--limit", "0", env=as_beta)}
    for ticket in sorted(tickets)[:2]:
        cli.refused(3, f"no ticket #{ticket}", "show", str(ticket), env=as_alpha)
        cli.refused(3, f"no ticket #{ticket}", "reply", str(ticket), "-m", "still mine?", env=as_alpha)
        assert cli.json("show", str(ticket), env=as_beta)["reseller"] == beta
    cli.refused(1, f"{moving} is not one of your customers", "file", "-s", "For them", "-b", "please", "-c", moving, env=as_alpha)


# ---- tokens --------------------------------------------------------------------------------

SETUP = "2026-11-20T10:00"  # the admin sets the small desks up before FROZEN


@pytest.fixture
def small(cli):
    """A small desk: the reseller Hostco with its customer Ada, a direct customer Bo, the
    engineer bob, and a ticket each."""
    with api(cli) as do:
        do.agents("bob")
        desk = do.at(SETUP)
        desk.add_reseller("ops@hostco.example", name="Hostco")
        desk.add_customer("ada@example.com", reseller="Hostco")
        desk.add_customer("bo@example.org")
        do.file(now=SETUP, customer="ada@example.com", field="domain=ada.example")
        do.file(now="2026-11-20T10:05", customer="bo@example.org", field="domain=bo.example")
    return cli


def issue(cli: Cli, *holder: str, **kwargs: Any) -> dict[str, Any]:
    return cli.json("token", "issue", *holder, **({"now": SETUP} | kwargs))


def test_tokens_are_kept_only_as_a_hash_and_a_prefix(small):
    issued = [issue(small, "--reseller", "Hostco"), issue(small, "--customer", "ada@example.com"), issue(small, "--agent", "bob")]
    printed = small.ok("token", "issue", "--customer", "bo@example.org", now=SETUP)
    token = printed.stdout.strip()
    assert printed.stdout == token + "\n" and token not in printed.stderr and "hand it over safely" in printed.stderr
    issued.append({"token": token, "prefix": token[:10]})
    stored = rows(small.path, "SELECT prefix, hash FROM tokens ORDER BY id")
    assert stored == [{"prefix": t["token"][:10], "hash": hashlib.sha256(t["token"].encode()).hexdigest()} for t in issued]
    assert all(len(t["token"]) >= 40 and t["prefix"] == t["token"][:10] for t in issued)
    dump = "\n".join(small.dump())
    files = b"".join(p.read_bytes() for p in small.path.parent.glob(small.path.name + "*"))
    for t in issued:
        secret = t["token"][10:]
        assert secret not in dump and secret.encode() not in files, "a token is stored in clear"
    listed = small.ok("token", "list", "--json", now=SETUP).stdout + small.ok("token", "list", now=SETUP).stdout
    logged = small.ok("log", "--json", "--limit", "0", now=SETUP).stdout
    assert not any(t["token"][10:] in listed + logged for t in issued)
    assert [e["details"]["prefix"] for e in json.loads(logged) if e["kind"] == "token_issued"] == [t["prefix"] for t in issued]


def test_a_revoked_token_is_refused_and_the_holders_other_tokens_still_work(small, frozen_clock):
    first, second = issue(small, "--customer", "ada@example.com"), issue(small, "--customer", "ada@example.com")
    env, other = {"SUPPORTDESK_TOKEN": first["token"]}, {"SUPPORTDESK_TOKEN": second["token"]}
    assert small.json("status", env=env)["actor"] == "customer:ada@example.com"
    small.ok("token", "revoke", first["prefix"], now=SETUP)
    for args in (["status"], ["show", "1"], ["list"], ["log"], ["reply", "1", "-m", "hello?"], ["close", "1"]):
        small.refused(1, f"the token {first['prefix']}… was revoked on 2026-11-20", *args, env=env)
    assert [t["id"] for t in small.json("status", env=other)["tickets"]] == [1]
    small.ok("token", "revoke", str(second["id"]), now=SETUP)
    small.refused(1, "revoked", "status", env=other)
    assert [t["state"] for t in small.json("token", "list", now=SETUP)] == ["revoked", "revoked"]


def test_an_expired_token_is_refused_even_when_it_names_an_earlier_instant(small, frozen_clock):
    issued = small.json("token", "issue", "--reseller", "Hostco", "--expires", "1h")  # at FROZEN, by the clock
    assert issued["expires_at"] == "2026-11-23T08:00:00Z"
    env = {"SUPPORTDESK_TOKEN": issued["token"]}
    frozen_clock(FROZEN + timedelta(minutes=59))
    assert [t["id"] for t in small.json("status", env=env)["tickets"]] == [1]
    frozen_clock(FROZEN + timedelta(hours=2))
    for args in (["status"], ["list"], ["reply", "1", "-m", "hello?"]):
        small.refused(1, f"the token {issued['prefix']}… expired on 2026-11-23", *args, env=env)
    # The instant a read names does not bring an expired token back.
    small.refused(1, "expired", "status", now="2026-11-23T10:30", env=env)
    small.refused(1, "expired", "status", env=env | {"SUPPORTDESK_NOW": "2026-11-23T10:30"})
    assert [t["state"] for t in small.json("token", "list")] == ["expired"]


def test_an_unknown_token_is_refused(small, tmp_path, frozen_clock):
    elsewhere = Cli(tmp_path / "elsewhere.db")
    new_desk(elsewhere.path)
    with api(elsewhere) as do:
        do.at(SETUP).add_customer("ada@example.com")
    foreign = issue(elsewhere, "--customer", "ada@example.com")["token"]
    real = issue(small, "--customer", "ada@example.com")["token"]
    for wrong in (foreign, real[:-1], real.upper(), "sd_" + "A" * 43, "   ", "not-a-token"):
        small.refused(1, "the token in SUPPORTDESK_TOKEN is not known to this desk", "status", env={"SUPPORTDESK_TOKEN": wrong})
        small.refused(1, "is not known", "reply", "1", "-m", "hello", env={"SUPPORTDESK_TOKEN": wrong})
    small.refused(1, f"there is no desk at {tmp_path / 'none.db'}", "--db", str(tmp_path / "none.db"), "status", env={"SUPPORTDESK_TOKEN": real})
    assert not (tmp_path / "none.db").exists()


def test_a_deactivated_agents_token_is_refused_until_the_agent_is_active_again(small, frozen_clock):
    env = {"SUPPORTDESK_TOKEN": issue(small, "--agent", "bob")["token"]}
    assert len(small.json("list", env=env)) == 2
    small.ok("agent", "deactivate", "bob", now=SETUP)
    for args in (["list"], ["status"], ["reply", "1", "-m", "hi"], ["triage"]):
        small.refused(1, "belongs to bob, who is no longer an active agent", *args, env=env)
    small.refused(3, "no active agent 'bob'", "token", "issue", "--agent", "bob", now=SETUP)
    small.ok("agent", "activate", "bob", now=SETUP)
    assert len(small.json("list", env=env)) == 2


def test_now_is_refused_on_a_holders_writes(small, frozen_clock):
    reseller = {"SUPPORTDESK_TOKEN": issue(small, "--reseller", "Hostco")["token"]}
    customer = {"SUPPORTDESK_TOKEN": issue(small, "--customer", "ada@example.com")["token"]}
    small.ok("close", "1", now="2026-11-20T11:00")
    for env in (reseller, customer):
        for args in (["reply", "1", "-m", "hello"], ["reopen", "1"], ["file", "-s", "Again", "-b", "broken", "-c", "ada@example.com"]):
            small.refused(1, "--now (SUPPORTDESK_NOW) is for the desk's agents", *args, now="2026-11-23T10:00", env=env)
            small.refused(1, "is for the desk's agents", *args, env=env | {"SUPPORTDESK_NOW": "2026-11-23T10:00"})
    assert small.json("reopen", "1", env=customer)["status"] == "open"  # at the real time it is fine


def test_an_agent_token_acts_as_that_agent(small, frozen_clock):
    env = {"SUPPORTDESK_TOKEN": issue(small, "--agent", "bob")["token"]}
    noted = small.json("reply", "2", "-m", "checked the logs", "--internal", env=env)
    assert (noted["messages"][-1]["author"], noted["messages"][-1]["internal"]) == ("agent:bob", True)
    assert small.json("assign", "2", "--to", "me", env=env)["assignee"] == "bob"
    assert [e["actor"] for e in small.json("log", "2", env=env)][-2:] == ["agent:bob", "agent:bob"]
    assert small.json("reply", "1", "-m", "On it", now="2026-11-23T11:00", env=env)["first_response_at"] == "2026-11-23T08:00:00Z"
    assert {t["id"] for t in small.json("list", env=env)} == {1, 2}  # the whole desk
    small.refused(1, "only an admin may issue tokens; you (bob) are an engineer", "token", "issue", "--customer", "bo@example.org", env=env)
    admin = {"SUPPORTDESK_TOKEN": issue(small, "--agent", "tester")["token"]}
    assert small.json("token", "issue", "--customer", "bo@example.org", env=admin)["holder"] == "customer:bo@example.org"


def test_agent_only_commands_refuse_holders_even_on_their_own_ticket(small, frozen_clock, tmp_path):
    with api(small) as do:
        do.at("2026-11-20T10:30").reply(1, "Which domain?")
        do.at("2026-11-20T10:31").wait(1)
    policy = tmp_path / "policy.toml"
    policy.write_text(HOSTING.read_text(encoding="utf-8"), encoding="utf-8")
    for holder in (["--reseller", "Hostco"], ["--customer", "ada@example.com"]):
        env = {"SUPPORTDESK_TOKEN": issue(small, *holder)["token"]}
        assert [t["id"] for t in small.json("status", env=env)["tickets"]] == [1]
        for args in (
            ["assign", "1", "--to", "me"], ["assign", "1", "--to", "bob"], ["wait", "1"], ["resume", "1"],
            ["priority", "1", "critical"], ["escalate", "1", "--to", "engineer", "--reason", "now"], ["escalate", "--auto"],
            ["sla", "explain", "1"], ["close", "--status", "pending", "--yes"], ["triage"], ["outbox"],
            ["customer", "list"], ["customer", "show", "ada@example.com"], ["customer", "add", "new@example.com", "--reseller", "Hostco"],
            ["customer", "edit", "ada@example.com", "--name", "Ada"], ["reseller", "list"], ["reseller", "add", "x@y.example", "--name", "Y"],
            ["agent", "list"], ["agent", "add", "mallory"], ["token", "issue", "--customer", "ada@example.com"], ["token", "list"],
            ["token", "revoke", "1"], ["policy", "versions"], ["policy", "show"], ["policy", "apply", str(policy)],
            ["oncall", "override", "add", "bob", "--layer", "office", "--from", "2026-11-24T09:00", "--until", "2026-11-24T18:00"],
        ):
            small.refused(1, "only the desk's agents", *args, env=env)


def test_leak_a_holders_own_filing_does_not_hand_it_the_intake_flags(small, frozen_clock):
    """OPEN LEAK (minor, reported to the lead): `file --json` run by a reseller or customer
    returns `intake.flags` (["missing-info", "possible-duplicate:#1"]; on Kristalium
    "abusive"), an agent-only field; the notes meant for the filer are in
    `intake.messages` already. Reproduce: `SUPPORTDESK_TOKEN=<a customer's token>
    supportdesk file -s 'Site down' -b '503' --json`."""
    for holder in (["--reseller", "Hostco"], ["--customer", "ada@example.com"]):
        env = {"SUPPORTDESK_TOKEN": issue(small, *holder)["token"]}
        filed = small.json("file", "-s", "Site down", "-b", "It returns 503", "-c", "ada@example.com", env=env)
        assert filed["intake"]["messages"], "the filer is told what is missing"
        assert not [k for k in nested_keys(filed) if k.rsplit(".", 1)[-1] in AGENT_ONLY_KEYS], holder


def test_leak_updated_at_does_not_betray_the_agents_hidden_work(world):
    """OPEN LEAK (minor, reported to the lead): a holder's views (show, list, status) carry
    `updated_at`, which an internal note, an assignment, an escalation or a priority change
    moves: the holder learns that, and when, agents did something it cannot see (and `list
    --sort updated` orders by it). Reproduce: an agent adds an internal note to a customer's
    ticket; `SUPPORTDESK_TOKEN=<its token> supportdesk show ID --json`: `updated_at` is the
    note's time, while the last event shown is older."""
    public = set(public_events_of(world.path, set(world.ids)))
    last_public: dict[int, str] = {}
    for e in rows(world.path, "SELECT id, ticket_id, at FROM events WHERE ticket_id IS NOT NULL ORDER BY id"):
        if e["id"] in public:
            last_public[e["ticket_id"]] = max(e["at"], last_public.get(e["ticket_id"], ""))
    betrayed = []
    for holder in (world.resellers[0], world.sampled[0]):
        with holder_desk(world.path, world.tokens[holder]) as desk:
            for ticket in desk.list_tickets(desk.filter(limit=0))[0]:
                if "updated_at" in ticket and ticket["updated_at"] != last_public[ticket["id"]]:
                    betrayed.append(ticket["id"])
    assert not betrayed, f"{len(betrayed)} tickets show an updated_at later than anything the holder can see, e.g. {betrayed[:5]}"
