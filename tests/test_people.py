"""People as an admin manages them through the CLI: agents, customers, resellers and
services; what each command prints, stores, records as an event, and refuses."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import EXAMPLES, Cli, api, new_desk

# The desk is made on Mon 16 Nov 2026 09:00 +03; tickets are filed at 10:00 on Fri 20 Nov.
NOW = "2026-11-20T11:00"
ENGINEER = {"SUPPORTDESK_USER": "burak"}


def query(cli: Cli, sql: str, *params) -> list[dict]:
    conn = sqlite3.connect(cli.path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def events(cli: Cli, kind: str) -> list[dict]:
    """The desk-wide events of a kind, oldest first, with their details decoded."""
    rows = query(cli, "SELECT kind, actor, ticket_id, details FROM events WHERE kind = ? ORDER BY id", kind)
    return [r | {"details": json.loads(r["details"])} for r in rows]


def customer_row(cli: Cli, email: str) -> dict:
    return query(cli, "SELECT * FROM customers WHERE email = ?", email)[0]


@pytest.fixture
def people(cli):
    """The desk with an engineer (burak) and a reseller (Hostco, hostco@example.net)."""
    with api(cli) as do:
        do.agents("burak")
        do.at("2026-11-16T09:30").add_reseller("hostco@example.net", name="Hostco")
    return cli


# ---- customers: add, list, show ---------------------------------------------------------


def test_customer_add_stores_every_detail_and_records_it(people):
    added = people.json(
        "customer", "add", "Ada@Example.com", "--name", "Ada Lovelace", "--package", "Premium", "--reseller", "hostco",
        "--language", "FA", "--verified", "--notify", "invoices=Billing@Example.com", now=NOW,
    )
    assert added == {
        "email": "ada@example.com", "name": "Ada Lovelace", "kind": "customer", "reseller": "hostco@example.net",
        "package": "premium", "status": "active", "verified": True, "language": "fa",
        "notify": {"invoices": "billing@example.com"}, "created_at": "2026-11-20T08:00:00Z", "updated_at": None,
    }
    row = customer_row(people, "ada@example.com")
    assert row["reseller_id"] == customer_row(people, "hostco@example.net")["id"]
    assert (row["package"], row["verified"], row["language"], json.loads(row["notify"])) == ("premium", 1, "fa", {"invoices": "billing@example.com"})
    [event] = events(people, "customer_added")
    assert event["actor"] == "agent:tester" and event["ticket_id"] is None
    assert event["details"] == {
        "customer": "ada@example.com", "package": "premium", "reseller": "hostco@example.net", "name": "Ada Lovelace",
        "language": "fa", "verified": True, "notify": {"invoices": "billing@example.com"},
    }
    result = people.ok("customer", "add", "bob@example.com", now=NOW)
    assert result.stderr.strip() == "added customer bob@example.com (package none)"


def test_customer_add_refusals_change_nothing(people):
    people.ok("customer", "add", "ada@example.com", now=NOW)
    people.refused(2, "is not an e-mail address", "customer", "add", "not-an-address", now=NOW)
    people.refused(2, "unknown package 'gold'", "customer", "add", "bob@example.com", "--package", "gold", now=NOW)
    people.refused(3, "no reseller named 'Nobody'", "customer", "add", "bob@example.com", "--reseller", "Nobody", now=NOW)
    people.refused(3, "ada@example.com is an end customer, not a reseller", "customer", "add", "bob@example.com", "--reseller", "ada@example.com", now=NOW)
    people.refused(1, "customer ada@example.com already exists", "customer", "add", "ADA@example.com", now=NOW)
    people.refused(1, "only an admin may add customers", "customer", "add", "bob@example.com", now=NOW, env=ENGINEER)
    people.refused(2, "--name contains the control character \\x1b", "customer", "add", "bob@example.com", "--name", "Bob \x1b[31mred", now=NOW)
    people.refused(2, "--language:", "customer", "add", "bob@example.com", "--language", "persian", now=NOW)
    people.refused(2, "is not TYPE=EMAIL", "customer", "add", "bob@example.com", "--notify", "invoices", now=NOW)
    people.refused(2, "--notify invoices: 'nope' is not an e-mail address", "customer", "add", "bob@example.com", "--notify", "invoices=nope", now=NOW)
    people.refused(2, "--notify invoices is given twice", "customer", "add", "bob@example.com", "--notify", "invoices=a@example.com", "--notify", "Invoices=b@example.com", now=NOW)
    people.refused(2, "drops an address", "customer", "add", "bob@example.com", "--notify", "invoices=none", now=NOW)
    assert len(events(people, "customer_added")) == 1


def test_notification_types_are_those_of_the_policy_when_it_lists_some(bare_cli):
    new_desk(bare_cli.path, EXAMPLES / "introserv.toml")
    line = bare_cli.refused(2, "unknown notification type 'sales'", "customer", "add", "ada@example.com", "--notify", "sales=s@example.com", now=NOW)
    assert "this desk's policy has: invoices, support, abuse" in line
    added = bare_cli.json("customer", "add", "ada@example.com", "--notify", "Abuse=abuse@example.com", "--notify", "invoices=inv@example.com", now=NOW)
    assert added["notify"] == {"abuse": "abuse@example.com", "invoices": "inv@example.com"}


def test_customer_list_filters_by_reseller_and_status(people):
    with api(people) as do:
        desk = do.at("2026-11-20T09:00")
        desk.add_customer("ada@example.com", name="Ada", reseller="hostco@example.net")
        desk.add_customer("bob@example.com", name="Bob", package="premium")
        desk.ban_customer("bob@example.com")
    everyone = people.json("customer", "list", now=NOW)
    assert [c["email"] for c in everyone] == ["ada@example.com", "bob@example.com"]  # resellers are listed apart
    assert [c["email"] for c in people.json("customer", "list", "--reseller", "HOSTCO", now=NOW)] == ["ada@example.com"]
    assert [c["email"] for c in people.json("customer", "list", "--status", "banned", now=NOW)] == ["bob@example.com"]
    table = people.ok("customer", "list", now=NOW).stdout.splitlines()
    assert table[0].split() == ["E-mail", "Name", "Reseller", "Package", "Status", "Verified"]
    assert table[1].split() == ["ada@example.com", "Ada", "hostco@example.net", "-", "active", "no"]
    assert table[2].split() == ["bob@example.com", "Bob", "-", "premium", "banned", "no"]
    result = people.ok("customer", "list", "--status", "suspended", now=NOW)
    assert result.stdout == "" and "no customers match" in result.stderr
    people.refused(2, "unknown customer status 'gone'", "customer", "list", "--status", "gone", now=NOW)
    people.refused(3, "no reseller named 'acme'", "customer", "list", "--reseller", "acme", now=NOW)
    # Engineers may read.
    assert len(people.json("customer", "list", now=NOW, env=ENGINEER)) == 2


def test_customer_show_has_services_open_tickets_and_unpaid_fines(people):
    with api(people) as do:
        do.at("2026-11-20T09:00").add_customer("ada@example.com", name="Ada")
        do.file(customer="ada@example.com")
        do.file(customer="ada@example.com", subject="Mail bounces")
        do.at("2026-11-20T10:10").add_service("ada@example.com", kind="vps", name="vps-1", ip="203.0.113.7", order="#1001")
        do.desk.store.conn.execute(
            "INSERT INTO violations (customer_id, rule, fine, created_at, created_by) SELECT id, 'spam', '50 EUR', ?, 'agent:tester' FROM customers WHERE email = ?",
            ["2026-11-20T07:30:00Z", "ada@example.com"],
        )
        do.desk.store.conn.commit()
    shown = people.json("customer", "show", "ada@example.com", now=NOW)
    assert (shown["open_tickets"], shown["unpaid_violations"]) == (2, 1)
    assert [(s["kind"], s["name"], s["ip"], s["order"]) for s in shown["services"]] == [("vps", "vps-1", "203.0.113.7", "#1001")]
    out = people.ok("customer", "show", "ada@example.com", now=NOW, env=ENGINEER).stdout
    assert "Open tickets  2" in out and "Unpaid fines  1" in out
    assert "Services" in out and "vps-1" in out and "#1001" in out
    people.refused(3, "no customer zed@example.com", "customer", "show", "zed@example.com", now=NOW)


# ---- customers: edit ---------------------------------------------------------------------


def test_customer_edit_records_before_and_after(people):
    with api(people) as do:
        do.at("2026-11-20T09:00").add_customer("ada@example.com", name="Ada", notify=["invoices=a@example.com"])
    edited = people.json(
        "customer", "edit", "ada@example.com", "--name", "Ada Lovelace", "--language", "tr",
        "--notify", "invoices=none", "--notify", "support=help@example.com", now=NOW,
    )
    assert edited["name"] == "Ada Lovelace" and edited["language"] == "tr"
    assert edited["notify"] == {"support": "help@example.com"} and edited["updated_at"] == "2026-11-20T08:00:00Z"
    row = customer_row(people, "ada@example.com")
    assert (row["name"], row["language"], json.loads(row["notify"])) == ("Ada Lovelace", "tr", {"support": "help@example.com"})
    [event] = events(people, "customer_changed")
    assert event["details"] == {
        "customer": "ada@example.com",
        "before": {"name": "Ada", "language": None, "notify": {"invoices": "a@example.com"}},
        "after": {"name": "Ada Lovelace", "language": "tr", "notify": {"support": "help@example.com"}},
    }
    result = people.ok("customer", "edit", "ada@example.com", "--language", "none", now=NOW)
    assert result.stderr.strip() == "changed ada@example.com: language tr → none"
    people.refused(1, "ada@example.com already has these values", "customer", "edit", "ada@example.com", "--name", "Ada Lovelace", now=NOW)
    people.refused(2, "nothing to change", "customer", "edit", "ada@example.com", now=NOW)
    people.refused(3, "no customer zed@example.com", "customer", "edit", "zed@example.com", "--name", "Zed", now=NOW)
    people.refused(1, "only an admin may change customers", "customer", "edit", "ada@example.com", "--name", "X", now=NOW, env=ENGINEER)
    people.refused(1, "a reseller belongs to no other reseller", "customer", "edit", "hostco@example.net", "--reseller", "none", now=NOW)


def test_changing_the_reseller_carries_the_tickets_into_its_scope(people):
    with api(people) as do:
        first = do.file(customer="ada@example.com")
        second = do.file(customer="ada@example.com", subject="Mail bounces")
    reseller_id = customer_row(people, "hostco@example.net")["id"]
    edited = people.json("customer", "edit", "ada@example.com", "--reseller", "Hostco", now=NOW)
    assert edited["reseller"] == "hostco@example.net" and edited["moved_tickets"] == 2
    tickets = query(people, "SELECT id, reseller_id FROM tickets ORDER BY id")
    assert tickets == [{"id": first, "reseller_id": reseller_id}, {"id": second, "reseller_id": reseller_id}]
    [event] = events(people, "customer_changed")
    assert event["details"] == {
        "customer": "ada@example.com", "before": {"reseller": None}, "after": {"reseller": "hostco@example.net"}, "moved_tickets": 2,
    }
    result = people.ok("customer", "edit", "ada@example.com", "--reseller", "none", now=NOW)
    assert "reseller hostco@example.net → none" in result.stderr
    assert {t["reseller_id"] for t in query(people, "SELECT reseller_id FROM tickets")} == {None}
    assert customer_row(people, "ada@example.com")["reseller_id"] is None


def test_changing_the_package_recomputes_open_deadlines_as_customer_package_does(people):
    with api(people) as do:
        ticket = do.file(customer="ada@example.com")
    before = query(people, "SELECT respond_by FROM tickets WHERE id = ?", ticket)[0]["respond_by"]
    edited = people.json("customer", "edit", "ada@example.com", "--package", "enterprise", "--name", "Ada", now=NOW)
    assert edited["package"] == "enterprise" and edited["recomputed"] == 1
    assert edited["changes"] == {"name": [None, "Ada"], "package": [None, "enterprise"]}
    assert query(people, "SELECT respond_by FROM tickets WHERE id = ?", ticket)[0]["respond_by"] != before
    [event] = events(people, "customer_package")
    assert event["details"]["after"] == {"package": "enterprise"} and event["details"]["recomputed"] == 1
    assert events(people, "customer_changed")[0]["details"]["after"] == {"name": "Ada"}
    # `customer package` keeps working, and is for admins only.
    assert people.json("customer", "package", "ada@example.com", "none", now=NOW) == {"customer": "ada@example.com", "package": None, "recomputed": 1}
    people.refused(1, "only an admin may change customers' packages", "customer", "package", "ada@example.com", "premium", now=NOW, env=ENGINEER)


# ---- customers: verify, ban, suspend -----------------------------------------------------


def test_verify_ban_unban_suspend_activate(people):
    with api(people) as do:
        do.at("2026-11-20T09:00").add_customer("ada@example.com")
    assert people.json("customer", "verify", "ada@example.com", now=NOW)["verified"] is True
    people.refused(1, "ada@example.com is already verified", "customer", "verify", "ada@example.com", now=NOW)

    result = people.ok("customer", "ban", "ada@example.com", "--reason", "phishing pages", now=NOW)
    assert result.stderr.strip() == "banned ada@example.com (now banned)"
    assert customer_row(people, "ada@example.com")["status"] == "banned"
    [event] = events(people, "customer_banned")
    assert event["details"] == {"customer": "ada@example.com", "before": {"status": "active"}, "after": {"status": "banned"}, "reason": "phishing pages"}
    people.refused(1, "ada@example.com is already banned", "customer", "ban", "ada@example.com", now=NOW)
    people.refused(1, "ada@example.com is banned; lift the ban with `supportdesk customer unban", "customer", "activate", "ada@example.com", now=NOW)
    people.refused(1, "ada@example.com is banned; lift the ban", "customer", "suspend", "ada@example.com", now=NOW)
    assert people.json("customer", "unban", "ada@example.com", now=NOW)["status"] == "active"
    assert events(people, "customer_unbanned")[0]["details"]["after"] == {"status": "active"}
    people.refused(1, "ada@example.com is active, not banned", "customer", "unban", "ada@example.com", now=NOW)

    assert people.json("customer", "suspend", "ada@example.com", "--reason", "unpaid invoice", now=NOW)["status"] == "suspended"
    assert events(people, "customer_suspended")[0]["details"]["reason"] == "unpaid invoice"
    people.refused(1, "ada@example.com is already suspended", "customer", "suspend", "ada@example.com", now=NOW)
    people.refused(1, "lift a suspension with `supportdesk customer activate ada@example.com`", "customer", "unban", "ada@example.com", now=NOW)
    assert people.json("customer", "activate", "ada@example.com", now=NOW)["status"] == "active"
    assert len(events(people, "customer_activated")) == 1
    people.refused(1, "ada@example.com is already active", "customer", "activate", "ada@example.com", now=NOW)


def test_only_admins_change_a_customers_standing(people):
    with api(people) as do:
        do.at("2026-11-20T09:00").add_customer("ada@example.com")
    for command in ("verify", "ban", "unban", "suspend", "activate"):
        people.refused(1, f"only an admin may {command} customers", "customer", command, "ada@example.com", now=NOW, env=ENGINEER)
    people.refused(3, "no customer zed@example.com", "customer", "ban", "zed@example.com", now=NOW)
    people.refused(2, "is not an e-mail address", "customer", "ban", "zed", now=NOW)
    people.refused(2, "--reason is empty", "customer", "ban", "ada@example.com", "--reason", " ", now=NOW)


# ---- resellers ---------------------------------------------------------------------------


def test_reseller_add_list_and_show(people):
    added = people.json("reseller", "add", "sales@webco.example", "--name", "WebCo", "--package", "premium", now=NOW)
    assert added | {"created_at": None} == {
        "email": "sales@webco.example", "name": "WebCo", "kind": "reseller", "reseller": None, "package": "premium",
        "status": "active", "verified": False, "language": None, "notify": {}, "created_at": None, "updated_at": None,
        "customers": 0, "open_tickets": 0,
    }
    assert customer_row(people, "sales@webco.example")["kind"] == "reseller"
    assert events(people, "reseller_added")[-1]["details"] == {"reseller": "sales@webco.example", "name": "WebCo", "package": "premium"}
    with api(people) as do:
        do.file(customer="ada@example.com")
        do.at("2026-11-20T10:30").edit_customer("ada@example.com", reseller="webco")
    shown = people.json("reseller", "show", "WEBCO", now=NOW)
    assert (shown["email"], shown["customers"], shown["open_tickets"]) == ("sales@webco.example", 1, 1)
    assert people.json("reseller", "show", "sales@webco.example", now=NOW)["name"] == "WebCo"
    assert [r["email"] for r in people.json("reseller", "list", now=NOW, env=ENGINEER)] == ["hostco@example.net", "sales@webco.example"]
    lines = people.ok("reseller", "list", now=NOW).stdout.splitlines()
    assert lines[0].split() == ["E-mail", "Name", "Package", "Status", "Customers", "Open", "tickets"]
    assert lines[2].split() == ["sales@webco.example", "WebCo", "premium", "active", "1", "1"]
    people.refused(3, "no reseller named 'acme'", "reseller", "show", "acme", now=NOW)
    people.refused(1, "reseller sales@webco.example is already named WebCo", "reseller", "add", "x@webco.example", "--name", "webco", now=NOW)
    people.refused(1, "is already a reseller", "reseller", "add", "sales@webco.example", "--name", "Other", now=NOW)
    people.refused(1, "only an admin may add resellers", "reseller", "add", "r@example.org", "--name", "R", now=NOW, env=ENGINEER)
    people.refused(2, "Missing option '--name'", "reseller", "add", "r@example.org", now=NOW)


def test_an_existing_customer_becomes_a_reseller_only_without_tickets_and_when_asked(people):
    with api(people) as do:
        do.file(customer="ada@example.com")
        do.at("2026-11-20T10:00").add_customer("bob@example.com", package="starter")
    people.refused(1, "ada@example.com is an end customer with 1 ticket(s)", "reseller", "add", "ada@example.com", "--name", "Ada Hosting", now=NOW)
    people.refused(1, "add --promote to make it a reseller", "reseller", "add", "bob@example.com", "--name", "Bob Hosting", now=NOW)
    promoted = people.json("reseller", "add", "bob@example.com", "--name", "Bob Hosting", "--promote", now=NOW)
    assert (promoted["kind"], promoted["name"], promoted["package"]) == ("reseller", "Bob Hosting", "starter")
    details = events(people, "reseller_added")[-1]["details"]
    assert details["promoted"] is True and details["before"] == {"kind": "customer", "name": None}


# ---- agents ------------------------------------------------------------------------------


def test_agent_deactivate_and_activate(people):
    with api(people) as do:
        ticket = do.file()
        do.at("2026-11-20T10:30").assign(ticket, "burak")
    result = people.ok("agent", "deactivate", "burak", now=NOW)
    assert result.stderr.splitlines()[0] == "deactivated agent burak"
    assert "1 open ticket(s) are still assigned to burak" in result.stderr
    assert query(people, "SELECT active FROM agents WHERE login = 'burak'") == [{"active": 0}]
    assert events(people, "agent_deactivated")[0]["details"] == {"login": "burak", "open_assigned": 1}
    # A deactivated agent cannot open the desk; the record stays in the list.
    people.refused(1, "you (burak) are", "list", now=NOW, env=ENGINEER)
    assert {a["login"]: a["active"] for a in people.json("agent", "list", now=NOW)} == {"burak": False, "tester": True}
    people.refused(1, "agent burak is already inactive", "agent", "deactivate", "burak", now=NOW)
    assert people.json("agent", "activate", "burak", now=NOW) == {"login": "burak", "name": "burak", "email": None, "role": "engineer", "active": True}
    assert len(events(people, "agent_activated")) == 1
    people.refused(1, "agent burak is already active", "agent", "activate", "burak", now=NOW)
    people.refused(1, "only an admin may deactivate agents", "agent", "deactivate", "tester", now=NOW, env=ENGINEER)
    people.refused(1, "you cannot deactivate yourself", "agent", "deactivate", "tester", now=NOW)
    people.refused(3, "no agent 'ghost'", "agent", "deactivate", "ghost", now=NOW)


# ---- services ----------------------------------------------------------------------------


def test_service_add_and_list(people):
    with api(people) as do:
        do.at("2026-11-20T09:00").add_customer("ada@example.com")
    added = people.json(
        "service", "add", "ada@example.com", "--kind", "VPS", "--name", "vps-ada", "--package", "VPS L", "--ip", "2001:DB8::7",
        "--order", "123456", "--delivered", "2026-11-18T12:00", "--managed", now=NOW,
    )
    assert added == {
        "id": 1, "customer": "ada@example.com", "kind": "vps", "name": "vps-ada", "package": "VPS L", "ip": "2001:db8::7",
        "order": "#123456", "delivered_at": "2026-11-18T09:00:00Z", "managed": True, "created_at": "2026-11-20T08:00:00Z",
    }
    assert query(people, "SELECT order_number, managed FROM services") == [{"order_number": "#123456", "managed": 1}]
    [event] = events(people, "service_added")
    assert event["details"] == {
        "customer": "ada@example.com", "service": 1, "kind": "vps", "name": "vps-ada", "package": "VPS L", "ip": "2001:db8::7",
        "order": "#123456", "delivered_at": "2026-11-18T09:00:00Z", "managed": True,
    }
    result = people.ok("service", "add", "ada@example.com", "--kind", "shared", now=NOW)
    assert result.stderr.strip() == "added service 2 (shared) for ada@example.com"
    assert [s["id"] for s in people.json("service", "list", now=NOW, env=ENGINEER)] == [1, 2]
    assert [s["id"] for s in people.json("service", "list", "ada@example.com", now=NOW)] == [1, 2]
    lines = people.ok("service", "list", now=NOW).stdout.splitlines()
    assert lines[0].split()[:4] == ["Id", "Customer", "Kind", "Name"] and "#123456" in lines[1]


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["--kind", "vm"], 2, "unknown service kind 'vm'; use one of: shared, reseller, vps, vds, cloud, dedicated"),
        (["--kind", "vps", "--ip", "300.1.1.1"], 2, "--ip '300.1.1.1' is not an IP address"),
        (["--kind", "vps", "--order", "A-12"], 2, "--order 'A-12' is not an order number"),
        (["--kind", "vps", "--order", "#777"], 1, "order #777 is already service 1 of ada@example.com"),
        (["--kind", "vps", "--delivered", "2026-11-21T09:00"], 2, "is after now"),
        (["--kind", "vps", "--delivered", "someday"], 2, "--delivered:"),
    ],
)
def test_service_add_refusals(people, args, code, fragment):
    with api(people) as do:
        do.at("2026-11-20T09:00").add_customer("ada@example.com")
        do.at("2026-11-20T09:00").add_service("ada@example.com", kind="shared", order="777")
    people.refused(code, fragment, "service", "add", "ada@example.com", *args, now=NOW)


def test_service_refusals_for_people(people):
    people.refused(3, "no customer zed@example.com", "service", "add", "zed@example.com", "--kind", "vps", now=NOW)
    people.refused(3, "no customer zed@example.com", "service", "list", "zed@example.com", now=NOW)
    people.refused(1, "only an admin may add services", "service", "add", "zed@example.com", "--kind", "vps", now=NOW, env=ENGINEER)
    result = people.ok("service", "list", now=NOW)
    assert result.stdout == "" and "no services recorded" in result.stderr


# ---- hostile text ------------------------------------------------------------------------

EVIL = "Evil \x1b[31mred\x1b[0m \u202eabc"


def test_escapes_in_names_are_inert_in_tables_and_exact_in_json(people):
    # An agent's name is taken as given; a customer's name with control characters is
    # refused on the way in, so it is planted as an import or an old desk could hold it.
    people.ok("agent", "add", "ali", "--name", EVIL, now=NOW)
    with api(people) as do:
        do.at("2026-11-20T09:00").add_customer("ada@example.com", name="Ada")
    conn = sqlite3.connect(people.path)
    conn.execute("UPDATE customers SET name = ? WHERE email IN ('ada@example.com', 'hostco@example.net')", [EVIL])
    conn.commit()
    conn.close()
    for args in (["agent", "list"], ["customer", "list"], ["customer", "show", "ada@example.com"], ["reseller", "list"]):
        out = people.ok(*args, now=NOW).stdout
        assert "\x1b" not in out and "\u202e" not in out, args
        assert "\\x1b[31mred" in out and "\\u202eabc" in out, (args, out)
        raw = people.ok(*args, "--json", now=NOW).stdout
        assert "\u202e" not in raw and "\\u202e" in raw  # JSON escapes it…
        data = json.loads(raw)
        names = [r["name"] for r in data] if isinstance(data, list) else [data["name"]]
        assert EVIL in names, args  # …and keeps the exact text
