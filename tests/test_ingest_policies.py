"""What the example policies say about mail, as `ingest` applies it: INTROSERV takes
account matters only from a registered address (and general questions from any);
Kristalium and its twins take no tickets by e-mail; a reseller may answer for its
customers; `notifications.to` without email means mail is answered by no e-mail."""

from __future__ import annotations

import json
import sqlite3

from conftest import EXAMPLES, Cli, api, new_desk

from supportdesk.model import CloseReason

SETUP = "2026-11-16T09:00"
NOW = "2026-11-16T10:00"


def desk_of(tmp_path, name: str, policy_text: str | None = None) -> Cli:
    path = tmp_path / f"{name}.db"
    policy = EXAMPLES / f"{name}.toml"
    if policy_text is not None:
        policy = tmp_path / f"{name}.toml"
        policy.write_text(policy_text, encoding="utf-8")
    new_desk(path, policy, now=SETUP)
    return Cli(path)


def message(sender: str, subject: str, key: str, *, to: str = "support@desk.example", body: str = "Invoice 2026-11 was charged twice; please refund one.", extra: str = "") -> bytes:
    return f"From: {sender}\nTo: {to}\nSubject: {subject}\nMessage-ID: <{key}@example.net>\n{extra}\n{body}\n".encode()


def take(cli: Cli, raw: bytes, now: str = NOW) -> dict:
    result = cli("ingest", "-", "--json", now=now, input=raw)
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)
    return entry


def notices(cli: Cli) -> list[tuple[str, str, str | None]]:
    """(kind, recipient, withdrawn_at) of every notice queued."""
    conn = sqlite3.connect(cli.path)
    try:
        return list(conn.execute("SELECT kind, recipient, withdrawn_at FROM outbox ORDER BY id"))
    finally:
        conn.close()


def test_introserv_takes_account_matters_by_mail_only_from_a_registered_address(tmp_path):
    cli = desk_of(tmp_path, "introserv")
    with api(cli) as do:
        do.at(SETUP).add_customer("ada@example.com", verified=True, notify=["invoices=billing@ada.example"])
    # From the customer's registered invoices address, to the financial department (by the
    # recipient's +tag): an account matter, filed as the customer.
    filed = take(cli, message("Ada Billing <billing@ada.example>", "Double charge", "a1", to="support+financial@introserv.com"))
    assert (filed["outcome"], filed["answered"]) == ("filed", "filed")
    ticket = cli.json("show", str(filed["ticket"]), now=NOW)
    assert (ticket["customer"], ticket["department"], ticket["channel"]) == ("ada@example.com", "financial", "email")
    assert ticket["respond_by"] == "2026-11-16T09:30:00Z"  # the e-mail channel's 30 minutes
    # The same matter from an address the desk does not know: the policy's answer, once a day.
    refused = take(cli, message("Mallory <mallory@else.example>", "Double charge", "a2", to="support+financial@introserv.com"))
    assert (refused["outcome"], refused["ticket"], refused["answered"]) == ("refused", None, "refused")
    assert "may file a ticket to the financial department, and mallory@else.example is not verified" in refused["why"]
    assert "reply from your registered address" in refused["why"]
    again = take(cli, message("Mallory <mallory@else.example>", "Double charge!!", "a3", to="support+financial@introserv.com"))
    assert again["outcome"] == "refused" and again["answered"] is None
    assert again["why"].endswith("not answered: mallory@else.example was answered 1 time in the last day already")
    assert [(k, r) for k, r, withdrawn in notices(cli) if withdrawn is None] == [
        ("filed", "customer:ada@example.com"), ("refused", "customer:mallory@else.example"),
    ]
    # "General questions are answered from any e-mail": a technical question from anyone is filed.
    general = take(cli, message("Mallory <mallory@else.example>", "Which PHP versions?", "a4", body="Which PHP versions do your servers run?"))
    assert general["outcome"] == "filed"
    assert cli.json("show", str(general["ticket"]), now=NOW)["department"] == "technical"


def test_kristalium_takes_no_tickets_by_mail_and_says_where_to_file(tmp_path):
    cli = desk_of(tmp_path, "kristalium")
    with api(cli) as do:
        do.at(SETUP).add_customer("solo@direct.example")
    entry = take(cli, message("solo@direct.example", "Site down", "k1", body="Sitem açılmıyor, yardım eder misiniz?"))
    assert entry == {
        "key": "<k1@example.net>", "outcome": "refused", "ticket": None, "sender": "solo@direct.example", "answered": "refused",
        "why": "this desk takes no tickets by e-mail; file through ticket",
    }
    assert notices(cli) == [("refused", "customer:solo@direct.example", None)]
    assert cli.json("list", now=NOW) == []


def test_a_reseller_may_answer_for_its_customers_and_another_may_not(tmp_path):
    cli = desk_of(tmp_path, "hosting-general")
    with api(cli) as do:
        setup = do.at(SETUP)
        setup.add_reseller("ops@acme.example", name="Acme Hosting")
        setup.add_reseller("ops@other.example", name="Other Hosting")
        setup.add_customer("shop@one.example", reseller="Acme Hosting")
    filed = take(cli, message("shop@one.example", "Shop returns 503", "r1", body="Our shop returns 503 since this morning."))
    assert filed["outcome"] == "filed"
    reply = message("Acme Ops <OPS@acme.example>", f"Re: [#{filed['ticket']}] received: Shop returns 503", "r2", body="We restarted PHP-FPM; still 503.")
    assert take(cli, reply)["outcome"] == "reply"
    (written,) = cli.json("show", str(filed["ticket"]), now=NOW)["messages"]
    assert written["author"] == "reseller:ops@acme.example"
    other = take(cli, message("ops@other.example", f"Re: [#{filed['ticket']}] received", "r3", body="Hello?"))
    assert other["outcome"] == "quarantined"
    assert other["why"].startswith(f"from ops@other.example, who is neither the requester of #{filed['ticket']} nor its reseller (shop@one.example or its reseller ops@acme.example)")
    missing = take(cli, message("shop@one.example", "Re: [#99] old", "r4", body="About my old ticket."))
    assert (missing["outcome"], missing["why"]) == ("quarantined", "its subject names [#99], but this desk has no ticket #99")
    # Released, it is filed as a new ticket (there is no #99 to add it to).
    (held,) = [q for q in cli.json("ingest", "quarantine", "list", now=NOW) if q["key"] == "<r4@example.net>"]
    released = cli.json("ingest", "quarantine", "release", str(held["id"]), now=NOW)
    assert released["outcome"] == "filed"
    assert cli.json("show", str(released["ticket"]), now=NOW)["customer"] == "shop@one.example"


def test_a_reply_past_the_reopen_window_is_refused_and_answered_with_why(tmp_path):
    cli = desk_of(tmp_path, "sitecom")  # "do not reopen old closed tickets": reopen.within_days = 0
    with api(cli) as do:
        do.at(SETUP).add_customer("maryam@example.ir", verified=True)
        ticket_id = do.file(now="2026-11-16T10:00", customer="maryam@example.ir", subject="سایت از دسترس خارج است", body="سایت من از صبح امروز باز نمی‌شود.")
        do.at("2026-11-16T11:00").close_tickets([ticket_id], CloseReason.RESOLVED)
    before = cli.json("show", str(ticket_id), now="2026-11-16T12:00")
    entry = take(cli, message("maryam@example.ir", f"Re: [#{ticket_id}] بسته شد", "s1", body="هنوز کار نمی‌کند."), now="2026-11-16T12:00")
    assert (entry["outcome"], entry["ticket"], entry["answered"]) == ("refused", ticket_id, "refused")
    assert entry["why"] == f"this desk does not reopen tickets; file a new ticket referencing #{ticket_id}"
    after = cli.json("show", str(ticket_id), now="2026-11-16T12:00")
    assert (after["status"], after["messages"]) == (before["status"], []) and before["status"] in ("resolved", "closed")


def test_without_email_in_notifications_to_mail_is_answered_by_no_email(tmp_path):
    text = (EXAMPLES / "hosting-general.toml").read_text(encoding="utf-8").replace("[notifications]\n", '[notifications]\nto = ["customer-area"]\n')
    cli = desk_of(tmp_path, "hosting-general", text)
    assert cli.ok("policy", "check", str(tmp_path / "hosting-general.toml")).stdout == ""  # acted on: no warning
    with api(cli) as do:
        do.at(SETUP).add_customer("ada@example.com")
    entry = take(cli, message("ada@example.com", "Site down", "n1", body="My site returns 503."))
    assert (entry["outcome"], entry["answered"]) == ("filed", None)
    assert entry["why"] == "not acknowledged: the policy sends notifications to customer-area, not by e-mail (notifications.to)"
    assert notices(cli) == [("filed", "customer:ada@example.com", "2026-11-16T07:00:00Z")]  # queued by the intake, withdrawn
