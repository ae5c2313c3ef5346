"""Intake through the CLI: each rule of each example policy that states it, as `file`
applies it — what it prints, its exit code, and what it leaves in the desk (the ticket's
flags and status, the outbox's notices, the customer's unpaid fines, the log's events).

The rules themselves (every branch) are tested purely in test_intake.py; here one case
per rule and policy shows the desk acting on the verdict. Customers, resellers and
services are set up through the Python API (quicker); every filing goes through the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, Cli, api, instant, new_desk

CREATED = "2026-11-16T09:00"  # Mon 16 Nov 2026 09:00 in each desk's zone: when the desks are made
WEEKDAY = "2026-11-18T10:00"  # Wed 18 Nov 2026 10:00: every office open (Tehran's week too)
RESELLER_POLICIES = ["kristalium", "websight"]  # the same policy under two names

PERSIAN_SUBJECT = "سایت از دسترس خارج است"
PERSIAN = "سایت من از صبح امروز باز نمی‌شود و خطای ۵۰۳ می‌دهد. لطفاً بررسی کنید."
ARABIC_SUBJECT = "مشكلة في الموقع"
ARABIC = "الموقع لا يعمل منذ الصباح، أرجو المساعدة في أقرب وقت ممكن من فضلكم."
ENGLISH = "My site has been down since this morning and returns a 503 error."


def desk(tmp_path: Path, policy: str) -> Cli:
    """A CLI on a new desk of the example policy `policy`, made at CREATED."""
    path = tmp_path / f"{policy}.db"
    new_desk(path, EXAMPLES / f"{policy}.toml", now=CREATED)
    return Cli(path)


@contextmanager
def setup(cli: Cli, now: str = CREATED) -> Iterator[Any]:
    """The desk through the Python API as its admin at `now`, for the people and services
    a test needs."""
    with api(cli) as do:
        yield do.at(now)


def file(cli: Cli, *args: str, now: str = WEEKDAY, customer: str = "ada@example.com", subject: str = "Site down", body: str = ENGLISH):
    """Run `file` (not asserting its outcome)."""
    return cli("file", "-s", subject, "-b", body, "-c", customer, *args, now=now)


def filed(result) -> tuple[int, list[str]]:
    """A filing that worked: the id on stdout, and the lines on stderr."""
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return int(result.stdout.strip()), result.stderr.strip().splitlines()


def refusal(result, code: int = 1) -> str:
    """A refused filing: its one `error:` line, without the prefix."""
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert result.stdout == ""
    return lines[0].removeprefix("error: ")


def ticket(cli: Cli, ticket_id: int, now: str = WEEKDAY) -> dict[str, Any]:
    return cli.json("show", str(ticket_id), now=now)


def tickets(cli: Cli, now: str = WEEKDAY) -> list[dict[str, Any]]:
    return cli.json("list", "--status", "new,open,pending,resolved,closed", now=now)


def outbox(cli: Cli, now: str = WEEKDAY) -> list[tuple[str, str, int | None]]:
    """(recipient, kind, ticket id) of each queued notice, oldest first."""
    return sorted(((o["recipient"], o["kind"], o["ticket_id"]) for o in cli.json("outbox", now=now)), key=str)


def notices(cli: Cli, kind: str, now: str = WEEKDAY) -> list[dict[str, Any]]:
    return [o for o in cli.json("outbox", now=now) if o["kind"] == kind]


def unpaid(cli: Cli, email: str, now: str = WEEKDAY) -> int:
    return cli.json("customer", "show", email, now=now)["unpaid_violations"]


def events(cli: Cli, kind: str, now: str = WEEKDAY) -> list[dict[str, Any]]:
    return [e for e in cli.json("log", now=now) if e["kind"] == kind]


# ---- Kristalium and Websight: resellers, abuse, scope, after delivery ---------------------

RESELLER_MESSAGE = "Your hosting is provided by Example Reseller, who gives you support; please contact them. We have let them know."


def reseller_desk(tmp_path: Path, policy: str) -> Cli:
    cli = desk(tmp_path, policy)
    with setup(cli) as d:
        d.add_reseller("res@example.net", name="Example Reseller")
        d.add_customer("end@customer.example", reseller="res@example.net")
    return cli


@pytest.mark.parametrize("policy", RESELLER_POLICIES)
def test_a_resellers_end_customer_filing_directly_is_refused_and_both_are_told(tmp_path, policy):
    cli = reseller_desk(tmp_path, policy)
    assert refusal(file(cli, customer="end@customer.example")) == RESELLER_MESSAGE
    assert tickets(cli) == []
    assert outbox(cli) == [("customer:end@customer.example", "refused", None), ("reseller:res@example.net", "end_customer", None)]
    told = {o["recipient"]: o["body"] for o in cli.json("outbox", now=WEEKDAY)}
    assert RESELLER_MESSAGE in told["customer:end@customer.example"]
    assert "end@customer.example" in told["reseller:res@example.net"] and RESELLER_MESSAGE in told["reseller:res@example.net"]
    [event] = events(cli, "filing_refused")
    assert event["details"]["rule"] == "reseller"
    assert sorted(event["details"]["notified"]) == ["customer:end@customer.example", "reseller:res@example.net"]


@pytest.mark.parametrize("policy", RESELLER_POLICIES)
def test_the_reseller_files_for_its_customer_through_the_website_but_not_by_phone(tmp_path, policy, frozen_clock):
    # A reseller acts with its token at the real time (here the clock stands still at
    # Mon 23 Nov 2026 10:00 +03): no --now.
    cli = reseller_desk(tmp_path, policy)
    with setup(cli) as d:
        token = d.issue_token("reseller", "res@example.net")["token"]
    as_reseller = {"SUPPORTDESK_TOKEN": token}
    args = ["file", "-s", "Site down", "-b", ENGLISH, "-c", "end@customer.example"]
    ticket_id, said = filed(cli(*args, env=as_reseller))
    assert said == [f"filed #{ticket_id} for end@customer.example (normal, technical)"]
    shown = cli.json("show", str(ticket_id), env=as_reseller)
    assert (shown["customer"], shown["status"]) == ("end@customer.example", "new")

    by_phone = refusal(cli(*args, "--channel", "phone", env=as_reseller))
    assert by_phone == "resellers file tickets only by ticket, not by phone; file it again with --channel ticket"
    assert len(tickets(cli, now="2026-11-23T10:00")) == 1


@pytest.mark.parametrize("policy", RESELLER_POLICIES)
def test_the_phone_takes_no_tickets(tmp_path, policy):
    cli = desk(tmp_path, policy)
    line = cli.refused(1, "", "file", "-s", "Site down", "-b", ENGLISH, "-c", "ada@example.com", "--channel", "phone", now=WEEKDAY)
    assert line == "error: tickets cannot be filed by phone; file by ticket (--channel ticket)"


@pytest.mark.parametrize("policy", RESELLER_POLICIES)
@pytest.mark.parametrize(
    ("subject", "body", "word"),
    [("You idiot", "Fix my site now", "idiot"), ("Site hâlâ kapalı", "Salak mısınız, site hâlâ açılmıyor", "Salak")],
)
def test_insults_flag_the_ticket_abusive(tmp_path, policy, subject, body, word):
    cli = desk(tmp_path, policy)
    ticket_id, said = filed(file(cli, subject=subject, body=body))
    assert said == [
        f"filed #{ticket_id} for ada@example.com (normal, technical)",
        f'note: insulting language ("{word}"); an agent may close the ticket and end support to the sender',
        "flagged for triage: abusive",
    ]
    shown = ticket(cli, ticket_id)
    assert (shown["flags"], shown["status"]) == (["abusive"], "new")


@pytest.mark.parametrize("policy", RESELLER_POLICIES)
def test_a_banned_person_is_refused_permanently(tmp_path, policy):
    cli = desk(tmp_path, policy)
    with setup(cli) as d:
        d.add_customer("rude@example.com")
    cli.ok("customer", "ban", "rude@example.com", now=CREATED)
    line = cli.refused(1, "", "file", "-s", "Site down", "-b", ENGLISH, "-c", "rude@example.com", now=WEEKDAY)
    assert line == "error: rude@example.com is banned from support; no tickets are taken from this requester"


AFTER_DELIVERY = "After delivery we do not administer servers unless an SLA service is bought or a managed plan is chosen."


@pytest.mark.parametrize("policy", RESELLER_POLICIES)
def test_a_delivered_unmanaged_vps_gets_no_administration(tmp_path, policy):
    cli = desk(tmp_path, policy)
    with setup(cli) as d:
        d.add_customer("vps@customer.example")
        d.add_service("vps@customer.example", kind="vps", name="vps-ist-1", order="#123456", delivered="2026-11-10T12:00")
    ticket_id, said = filed(file(cli, customer="vps@customer.example", subject="Nginx config", body="Please set up nginx virtual hosts"))
    message = f"{AFTER_DELIVERY} (vps-ist-1, delivered 10 Nov 2026 12:00 +03)"
    assert said == [
        f"filed #{ticket_id} for vps@customer.example (normal, technical)",
        f"note: {message}",
        "flagged for triage: admin-support-not-included",
    ]
    assert ticket(cli, ticket_id)["flags"] == ["admin-support-not-included"]
    [notice] = notices(cli, "paid_service")
    assert (notice["recipient"], notice["ticket_id"]) == ("customer:vps@customer.example", ticket_id)
    assert message in notice["body"]


@pytest.mark.parametrize("policy", RESELLER_POLICIES)
def test_a_managed_vps_is_administered_and_so_is_set_up_work(tmp_path, policy):
    cli = desk(tmp_path, policy)
    with setup(cli) as d:
        d.add_customer("managed@customer.example")
        d.add_service("managed@customer.example", kind="vps", delivered="2026-11-10T12:00", managed=True)
        d.add_customer("vps@customer.example")
        d.add_service("vps@customer.example", kind="vps", delivered="2026-11-10T12:00")
    ticket_id, said = filed(file(cli, customer="managed@customer.example", subject="Nginx config", body="Please set up nginx virtual hosts"))
    assert said == [f"filed #{ticket_id} for managed@customer.example (normal, technical)"]
    assert ticket(cli, ticket_id)["flags"] == []
    # Moving sites over is done after delivery too (scope.after_delivery.included).
    ticket_id, said = filed(file(cli, "--category", "site-migration", customer="vps@customer.example", subject="Move my sites"))
    assert ticket(cli, ticket_id)["flags"] == [] and len(said) == 1
    assert notices(cli, "paid_service") == []


OUT_OF_SCOPE = "This is outside our support; we can send you the right settings and a how-to article, or the engineer on your ticket may decide to help."


@pytest.mark.parametrize("policy", RESELLER_POLICIES)
def test_themes_and_plugins_are_out_of_scope(tmp_path, policy):
    cli = desk(tmp_path, policy)
    ticket_id, said = filed(file(cli, "--category", "themes-plugins", subject="Theme broken", body="My WordPress theme shows a blank page"))
    assert said == [f"filed #{ticket_id} for ada@example.com (normal, technical)", f"note: {OUT_OF_SCOPE}", "flagged for triage: out-of-scope"]
    shown = ticket(cli, ticket_id)
    assert (shown["flags"], shown["status"], shown["category"]) == (["out-of-scope"], "new", "themes-plugins")
    [notice] = notices(cli, "paid_service")
    assert notice["recipient"] == "customer:ada@example.com" and OUT_OF_SCOPE in notice["body"]


# ---- Hosting General: account info, chat hours, duplicates, migrations, languages, reopen ----

HOSTING = "hosting-general"
MISSING_ACCOUNT = (
    "note: missing: hosting_account (Your hosting account name) or domain (The domain concerned, e.g. example.com.tr) "
    "or panel_user (Your control-panel user name); add it with --field name=value (e.g. --field hosting_account=…)"
)


def test_hosting_general_flags_a_technical_ticket_without_account_info(tmp_path):
    cli = desk(tmp_path, HOSTING)
    ticket_id, said = filed(file(cli, subject="Mail bounces", body="Outgoing mail is rejected since this morning"))
    assert said == [f"filed #{ticket_id} for ada@example.com (normal, technical)", MISSING_ACCOUNT, "flagged for triage: missing-info"]
    shown = ticket(cli, ticket_id)
    assert (shown["flags"], shown["status"]) == (["missing-info"], "new")
    # One of the three is enough; billing asks for none.
    ticket_id, said = filed(file(cli, "--field", "panel_user=ada", subject="SSL expired", body="The certificate of my shop expired"))
    assert ticket(cli, ticket_id)["flags"] == [] and len(said) == 1
    ticket_id, said = filed(file(cli, "--department", "billing", subject="Invoice copy", body="Please send last month's invoice"))
    assert ticket(cli, ticket_id)["flags"] == [] and len(said) == 1


@pytest.mark.parametrize(
    ("channel", "now", "opens"),
    [
        ("chat", "2026-11-21T10:00", "Mon 23 Nov 2026 09:00 +03"),  # Saturday
        ("chat", "2026-11-18T18:30", "Thu 19 Nov 2026 09:00 +03"),  # a weekday evening
        ("phone", "2026-11-20T19:30", "Mon 23 Nov 2026 09:00 +03"),  # Friday evening
    ],
)
def test_hosting_general_chat_and_phone_take_tickets_only_on_weekdays_9_to_18(tmp_path, channel, now, opens):
    cli = desk(tmp_path, HOSTING)
    args = ("file", "-s", "Site down", "-b", ENGLISH, "-c", "ada@example.com", "--field", "domain=example.com.tr", "--channel", channel)
    line = cli.refused(1, "", *args, now=now)
    assert line == f"error: {channel} is closed now; it opens {opens}; file by ticket (--channel ticket)"
    ticket_id, _ = filed(cli(*args, now="2026-11-18T17:59"))
    assert ticket(cli, ticket_id, now="2026-11-18T17:59")["channel"] == channel


def test_hosting_general_flags_a_repeated_request(tmp_path):
    cli = desk(tmp_path, HOSTING)
    first, _ = filed(file(cli, "--field", "domain=example.com.tr", subject="Mail bounces", body="Outgoing mail is rejected"))
    second, said = filed(
        file(cli, "--field", "domain=example.com.tr", subject="Mail bounces again", body="Outgoing mail is rejected", now="2026-11-19T10:00")
    )
    assert said == [
        f"filed #{second} for ada@example.com (normal, technical)",
        f"note: this may repeat #{first} (Mail bounces), still open",
        f"flagged for triage: possible-duplicate:#{first}",
    ]
    assert ticket(cli, second, now="2026-11-19T10:00")["flags"] == [f"possible-duplicate:#{first}"]
    assert ticket(cli, first, now="2026-11-19T10:00")["flags"] == []


MIGRATION = ("--category", "site-migration", "--field", "domain=example.com.tr")
# Requests different enough not to be taken for repeats of each other.
MIGRATIONS = [
    ("Move my shop", "Please move shop.example.com.tr from my old host"),
    ("Transfer the blog", "The blog at blog.example.com.tr needs to come over"),
    ("Company site migration", "Our corporate pages are on another provider"),
    ("One more site to bring", "A small landing page, static HTML only"),
    ("Fifth: archive", "An archive of old newsletters, mostly images"),
]
PAID = "This is outside our standard support: our professional services department offers it for a fee and will send you a quote."


def _migrations(cli: Cli, email: str, count: int) -> list[tuple[list[str], list[str]]]:
    """File `count` migration tickets for `email` (`file --json`): each one's stored flags
    and intake notes."""
    out = []
    for subject, body in MIGRATIONS[:count]:
        result = file(cli, *MIGRATION, "--json", customer=email, subject=subject, body=body)
        assert result.exit_code == 0, result.output
        filed_ticket = json.loads(result.stdout)
        out.append((filed_ticket["flags"], filed_ticket["intake"]["messages"]))
    return out


def test_hosting_general_starter_pays_for_its_migration(tmp_path):
    cli = desk(tmp_path, HOSTING)
    with setup(cli) as d:
        d.add_customer("s@customer.example", package="starter")
    ticket_id, said = filed(file(cli, *MIGRATION, customer="s@customer.example", subject=MIGRATIONS[0][0], body=MIGRATIONS[0][1]))
    assert ticket(cli, ticket_id)["flags"] == ["paid-service"]
    assert said[1:] == [
        f"note: {PAID} (site-migration: the starter package's migrations are paid; 0 filed before)",
        "flagged for triage: paid-service",
    ]
    [notice] = notices(cli, "paid_service")
    assert notice["recipient"] == "customer:s@customer.example" and PAID in notice["body"]


def test_hosting_general_standard_has_three_free_migrations(tmp_path):
    cli = desk(tmp_path, HOSTING)
    with setup(cli) as d:
        d.add_customer("std@customer.example", package="standard")
    filings = _migrations(cli, "std@customer.example", 4)
    assert [flags for flags, _ in filings] == [[], [], [], ["paid-service"]]
    assert filings[3][1] == [f"{PAID} (site-migration: the standard package includes 3; 3 filed before)"]


def test_hosting_general_premium_migrations_are_unlimited(tmp_path):
    cli = desk(tmp_path, HOSTING)
    with setup(cli) as d:
        d.add_customer("pro@customer.example", package="premium")
    filings = _migrations(cli, "pro@customer.example", 5)
    assert [flags for flags, _ in filings] == [[]] * 5
    assert notices(cli, "paid_service") == []


def test_hosting_general_flags_a_ticket_in_neither_turkish_nor_english(tmp_path):
    cli = desk(tmp_path, HOSTING)
    ticket_id, said = filed(file(cli, "--field", "domain=example.ir", subject=PERSIAN_SUBJECT, body=PERSIAN))
    assert said == [
        f"filed #{ticket_id} for ada@example.com (normal, technical)",
        "note: tickets here must be written in Turkish or English; this one is in Persian",
        "flagged for triage: wrong-language",
    ]
    shown = ticket(cli, ticket_id)
    assert (shown["flags"], shown["language"]) == (["wrong-language"], "fa")
    ticket_id, said = filed(file(cli, "--field", "domain=example.com.tr", subject="Site çalışmıyor", body="Sitem sabahtan beri açılmıyor, yardımcı olur musunuz?"))
    assert (ticket(cli, ticket_id)["flags"], len(said)) == ([], 1)


def _closed_ticket_with_customer_token(cli: Cli) -> tuple[int, dict[str, str]]:
    """A ticket of ada@example.com filed Mon 16 Nov 10:00 and closed at 11:00, and the
    environment that acts as ada (with a token: at the real time, so no --now)."""
    with setup(cli) as d:
        d.add_customer("ada@example.com")
    ticket_id, _ = filed(file(cli, "--field", "domain=example.com.tr", now="2026-11-16T10:00"))
    cli.ok("close", str(ticket_id), now="2026-11-16T11:00")  # resolved
    cli.ok("close", str(ticket_id), now="2026-11-16T11:00")  # and archived: closed
    with setup(cli) as d:
        token = d.issue_token("customer", "ada@example.com")["token"]
    return ticket_id, {"SUPPORTDESK_TOKEN": token}


def test_hosting_general_a_customer_reopens_a_closed_ticket_by_replying_within_30_days(tmp_path, frozen_clock):
    cli = desk(tmp_path, HOSTING)
    ticket_id, as_customer = _closed_ticket_with_customer_token(cli)
    frozen_clock(instant("2026-12-15T10:00"))  # 29 days after it closed
    replied = cli.json("reply", str(ticket_id), "-m", "It is down again", env=as_customer)
    assert replied["status"] == "open"
    [event] = [e for e in events(cli, "customer_reply", now="2026-12-15T10:00") if e["ticket_id"] == ticket_id]
    assert event["details"]["reopened"] is True

    cli.ok("close", str(ticket_id), now="2026-12-15T11:00")
    cli.ok("close", str(ticket_id), now="2026-12-15T11:00")
    frozen_clock(instant("2027-01-15T11:01"))  # 31 days after it closed again
    result = cli("reply", str(ticket_id), "-m", "And again", env=as_customer)
    assert refusal(result) == (
        f"this desk reopens tickets within 30 days and #{ticket_id} ended on 2026-12-15; file a new ticket referencing #{ticket_id}"
    )
    assert ticket(cli, ticket_id, now="2027-01-15T11:01")["status"] == "closed"


def test_a_customers_reply_that_reopens_says_so(tmp_path, frozen_clock):
    cli = desk(tmp_path, HOSTING)
    ticket_id, as_customer = _closed_ticket_with_customer_token(cli)
    frozen_clock(instant("2026-12-15T10:00"))
    result = cli("reply", str(ticket_id), "-m", "It is down again", env=as_customer)
    assert result.exit_code == 0, result.output
    assert f"#{ticket_id} (open, normal" in result.stderr


# ---- INTROSERV: incident facts, verification, registered senders --------------------------

INTROSERV = "introserv"
INCIDENT = ("--priority", "high", "-f", "order_number=#123456", "-f", "service_name=vps-fra-1", "-f", "started_at=09:40 CET", "-f", "diagnostics=ping: 100% loss")
INCIDENT_FIELDS = (
    "a high technical ticket must carry: server_ip (The server's IP address) or order_number (The order number, like #123456); "
    "service_name (The service name shown in your customer area); "
    "started_at (When the problem started, in CET/CEST or with your time zone); "
    "diagnostics (Any diagnostic data you have (ping, traceroute, error messages)); "
    "add them with --field name=value (e.g. --field server_ip=…)"
)
TO_BE_VERIFIED = "to be verified, reply from your registered address or give your order number and a recent invoice, then file again"


def introserv(tmp_path: Path) -> Cli:
    cli = desk(tmp_path, INTROSERV)
    with setup(cli) as d:
        d.add_customer("ops@client.example", verified=True)
        d.add_customer("new@client.example")
    return cli


def test_introserv_refuses_a_high_ticket_without_the_incident_facts(tmp_path):
    cli = introserv(tmp_path)
    args = ("file", "-s", "Server unreachable", "-b", "No ping since 09:40", "-c", "ops@client.example")
    assert cli.refused(1, "", *args, "--priority", "high", now=WEEKDAY) == f"error: {INCIDENT_FIELDS}"
    # Only some of them: the rest are listed.
    line = cli.refused(1, "", *args, "--priority", "high", "-f", "server_ip=203.0.113.7", "-f", "service_name=vps-fra-1", now=WEEKDAY)
    assert line.startswith("error: a high technical ticket must carry: started_at (") and "diagnostics (" in line and "server_ip" not in line.split(";")[0]


def test_introserv_files_a_verified_customers_high_ticket_with_every_fact(tmp_path):
    cli = introserv(tmp_path)
    ticket_id, said = filed(file(cli, *INCIDENT, customer="ops@client.example", subject="Server unreachable", body="No ping since 09:40"))
    assert said == [f"filed #{ticket_id} for ops@client.example (high, technical)"]
    shown = ticket(cli, ticket_id)
    assert (shown["priority"], shown["flags"], shown["status"]) == ("high", [], "new")
    assert shown["fields"]["order_number"] == "#123456"


def test_introserv_refuses_an_unverified_customers_high_ticket(tmp_path):
    cli = introserv(tmp_path)
    args = ("file", "-s", "Server unreachable", "-b", "No ping since 09:40", "-c", "new@client.example", *INCIDENT)
    line = cli.refused(1, "", *args, now=WEEKDAY)
    assert line == f"error: only the verified owner of the service may file a high-priority ticket, and new@client.example is not verified; {TO_BE_VERIFIED}"


def test_introserv_flags_an_unverified_customers_regular_ticket(tmp_path):
    cli = introserv(tmp_path)
    ticket_id, said = filed(file(cli, customer="new@client.example", subject="Slow disk", body="Disk writes are slow since yesterday"))
    assert said == [
        f"filed #{ticket_id} for new@client.example (regular, technical)",
        "note: new@client.example is not verified as the owner of the service; verify before discussing the account",
        "flagged for triage: unverified",
    ]
    assert ticket(cli, ticket_id)["flags"] == ["unverified"]


def test_introserv_takes_financial_tickets_only_from_the_verified_owner(tmp_path):
    cli = introserv(tmp_path)
    args = ("file", "-s", "Charged twice", "-b", "Why was I charged twice this month?", "--department", "financial")
    line = cli.refused(1, "", *args, "-c", "new@client.example", now=WEEKDAY)
    assert line == f"error: only the verified owner of the service may file a ticket to the financial department, and new@client.example is not verified; {TO_BE_VERIFIED}"
    ticket_id, said = filed(cli(*args, "-c", "ops@client.example", now=WEEKDAY))
    assert ticket(cli, ticket_id)["department"] == "financial" and len(said) == 1


def test_introserv_takes_financial_email_only_from_a_registered_address(tmp_path):
    # The stranger's address is refused (by the verification rule, which comes first and
    # says to write from the registered address); the registered one is taken.
    cli = introserv(tmp_path)
    args = ("file", "-s", "Charged twice", "-b", "Why was I charged twice this month?", "--department", "financial", "--channel", "email")
    line = cli.refused(1, "", *args, "-c", "stranger@elsewhere.example", now=WEEKDAY)
    assert "stranger@elsewhere.example is not verified" in line and "reply from your registered address" in line
    ticket_id, _ = filed(cli(*args, "-c", "ops@client.example", now=WEEKDAY))
    assert ticket(cli, ticket_id)["channel"] == "email"


# ---- Site Com be Com: Persian only, verified owners, closed when incomplete, fines ----------

SITECOM = "sitecom"
REMINDER = "reminder: لطفاً پیش از ارسال تیکت، پایگاه دانش را مطالعه کنید. (Please read the knowledge base before filing.)"
SITECOM_CUSTOMERS = ("ali@example.ir", "sara@example.ir", "omid@example.ir")


def sitecom(tmp_path: Path) -> Cli:
    cli = desk(tmp_path, SITECOM)
    with setup(cli) as d:
        for email in SITECOM_CUSTOMERS:
            d.add_customer(email, verified=True)
        d.add_customer("new@example.ir")
    return cli


@pytest.mark.parametrize(
    ("subject", "body", "seen"),
    [("Site down", ENGLISH, "English"), (ARABIC_SUBJECT, ARABIC, "Arabic")],
)
def test_sitecom_refuses_a_ticket_not_in_persian_and_fines_it(tmp_path, subject, body, seen):
    cli = sitecom(tmp_path)
    result = file(cli, "--service", "example.ir", customer="ali@example.ir", subject=subject, body=body)
    assert refusal(result) == (
        f"tickets here must be written in Persian (Arabic script); this one is in {seen}; please write it again in Persian (Arabic script)"
    )
    assert tickets(cli) == []
    assert unpaid(cli, "ali@example.ir") == 1  # rule 19: breaking the rules is fined
    [event] = events(cli, "filing_refused")
    assert (event["details"]["rule"], event["details"]["notified"]) == ("language", [])


def test_sitecom_files_persian_with_the_knowledge_base_reminder(tmp_path):
    cli = sitecom(tmp_path)
    ticket_id, said = filed(file(cli, "--service", "example.ir", customer="ali@example.ir", subject=PERSIAN_SUBJECT, body=PERSIAN))
    assert said == [f"filed #{ticket_id} for ali@example.ir (normal, technical)", REMINDER]
    shown = ticket(cli, ticket_id)
    assert (shown["language"], shown["flags"], shown["status"]) == ("fa", [], "new")
    assert unpaid(cli, "ali@example.ir") == 0


def test_sitecom_helps_only_the_verified_owner(tmp_path):
    cli = sitecom(tmp_path)
    args = ("file", "-s", PERSIAN_SUBJECT, "-b", PERSIAN, "--service", "example.ir")
    expected = f"error: only the verified owner of the service is helped here, and {{}} is not verified; {TO_BE_VERIFIED}"
    assert cli.refused(1, "", *args, "-c", "new@example.ir", now=WEEKDAY) == expected.format("new@example.ir")
    assert cli.refused(1, "", *args, "-c", "stranger@example.ir", now=WEEKDAY) == expected.format("stranger@example.ir")


def test_sitecom_closes_a_ticket_without_its_service_or_domain_unanswered(tmp_path):
    cli = sitecom(tmp_path)
    ticket_id, said = filed(file(cli, customer="ali@example.ir", subject=PERSIAN_SUBJECT, body=PERSIAN))
    why = (
        "closed without an answer: a technical ticket must carry: service (The service (order) the ticket is about) "
        "or domain (The domain the ticket is about); file a new ticket and add it with --field name=value (e.g. --field service=…)"
    )
    assert said == [f"closed without an answer #{ticket_id} for ali@example.ir (normal, technical)", f"note: {why}", "flagged for triage: missing-info", REMINDER]
    shown = ticket(cli, ticket_id)
    assert (shown["status"], shown["close_reason"], shown["flags"], shown["messages"]) == ("closed", "incomplete", ["missing-info"], [])
    [closed] = notices(cli, "closed")
    assert (closed["recipient"], closed["ticket_id"]) == ("customer:ali@example.ir", ticket_id)
    assert why in closed["body"] and f"file a new one referencing #{ticket_id}" in closed["body"]
    assert unpaid(cli, "ali@example.ir") == 1  # missing information is fined too


def test_sitecom_refuses_and_fines_a_second_ticket_for_the_same_request_then_suspends(tmp_path):
    cli = sitecom(tmp_path)
    first, _ = filed(file(cli, "--service", "example.ir", customer="ali@example.ir", subject=PERSIAN_SUBJECT, body=PERSIAN))
    again = file(cli, "--service", "example.ir", customer="ali@example.ir", subject=PERSIAN_SUBJECT, body=PERSIAN, now="2026-11-18T10:05")
    assert refusal(again) == f"you already have #{first} open for this ({PERSIAN_SUBJECT}); reply to it with `supportdesk reply {first}`"
    assert [t["id"] for t in tickets(cli)] == [first]
    assert unpaid(cli, "ali@example.ir") == 1
    [event] = events(cli, "filing_refused")
    assert event["details"]["rule"] == "duplicate" and "violation" in event["details"]
    # Rule 19: unpaid fines suspend support — even for a new request.
    other = file(cli, "--service", "example.ir", customer="ali@example.ir", subject="سؤال درباره صورتحساب", body="پرسشی درباره صورتحساب ماه گذشته دارم.", now="2026-11-18T10:10")
    assert refusal(other) == "support for ali@example.ir is suspended: 1 unpaid fine; paying it restores support"


def test_sitecom_installs_a_module_once_for_free(tmp_path):
    cli = sitecom(tmp_path)
    args = ("--service", "example.ir", "--category", "module-install")
    first, said = filed(file(cli, *args, customer="sara@example.ir", subject="نصب ماژول", body="لطفاً ماژول پرداخت را روی سایت من نصب کنید."))
    assert ticket(cli, first)["flags"] == [] and said == [f"filed #{first} for sara@example.ir (normal, technical)", REMINDER]
    second, said = filed(
        file(cli, *args, customer="sara@example.ir", subject="نصب دوباره ماژول", body="ماژول پرداخت حذف شده است، لطفاً آن را دوباره نصب کنید.")
    )
    assert said[1:] == [
        "note: این درخواست خارج از حیطه پشتیبانی است و هزینه دارد. (This is outside support and is paid.) (module-install: 1 free per customer; 1 filed before)",
        "flagged for triage: paid-service",
        REMINDER,
    ]
    assert ticket(cli, second)["flags"] == ["paid-service"]
    [notice] = notices(cli, "paid_service")
    assert notice["ticket_id"] == second


def test_sitecom_takes_no_tickets_by_phone(tmp_path):
    cli = sitecom(tmp_path)
    args = ("file", "-s", PERSIAN_SUBJECT, "-b", PERSIAN, "-c", "omid@example.ir", "--service", "example.ir", "--channel", "phone")
    assert cli.refused(1, "", *args, now=WEEKDAY) == "error: tickets cannot be filed by phone; file by ticket (--channel ticket)"
