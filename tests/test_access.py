"""Resellers and customers with tokens: their view (`status`, `show`), their replies, and
what the desk tells them (the outbox); terminating abusive tickets; violations and fines;
linking duplicates and follow-ups. Token holders act at the real time (frozen here)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import EXAMPLES, FROZEN, Cli, api, new_desk

SETUP = "2026-11-20T10:00"  # agents set the desk up before FROZEN (Mon 23 Nov 10:00 +03)


def desk_of(tmp_path, name: str = "hosting-general") -> Cli:
    path = tmp_path / f"{name}.db"
    new_desk(path, EXAMPLES / f"{name}.toml", now="2026-11-16T09:00")
    return Cli(path)


def token(cli: Cli, *holder: str) -> dict[str, str]:
    issued = cli.json("token", "issue", *holder, now=SETUP)
    return {"SUPPORTDESK_TOKEN": issued["token"]}


@pytest.fixture
def acme(tmp_path, frozen_clock):
    """Kristalium with the reseller Acme Hosting and two of its customers, and a direct
    customer; a ticket each, filed by the reseller or the desk."""
    cli = desk_of(tmp_path, "kristalium")
    cli.ok("reseller", "add", "ops@acme.example", "--name", "Acme Hosting", now=SETUP)
    for email in ("shop@one.example", "blog@two.example"):
        cli.ok("customer", "add", email, "--reseller", "Acme Hosting", now=SETUP)
    cli.ok("customer", "add", "solo@direct.example", now=SETUP)
    reseller = token(cli, "--reseller", "Acme Hosting")
    for email, subject in (("shop@one.example", "Shop returns 503"), ("blog@two.example", "Blog mail bounces")):
        cli.ok("file", "-s", subject, "-b", f"{subject} since this morning", "-c", email, env=reseller)
    cli.ok("file", "-s", "DNS question", "-b", "How do I add an MX record?", "-c", "solo@direct.example", now=SETUP)
    return cli, reseller


def test_a_reseller_with_a_token_sees_exactly_its_customers_tickets(acme):
    cli, reseller = acme
    view = cli.json("status", env=reseller)
    assert view["actor"] == "reseller:ops@acme.example"
    assert sorted(t["customer"] for t in view["tickets"]) == ["blog@two.example", "shop@one.example"]
    assert view["counts"] == {"new": 2}
    assert all("assignee" not in t and "flags" not in t for t in view["tickets"])
    out = cli.ok("status", env=reseller)
    assert "Shop returns 503" in out.stdout and "DNS question" not in out.stdout
    listed = cli.json("list", env=reseller)
    assert sorted(t["id"] for t in listed) == [1, 2]
    # The direct customer's ticket does not exist for the reseller.
    missing = cli.refused(3, "no ticket #3", "show", "3", env=reseller)
    assert missing == cli.refused(3, "no ticket #99", "show", "99", env=reseller).replace("#99", "#3")
    cli.refused(3, "no ticket #3", "reply", "3", "-m", "hello", env=reseller)
    cli.refused(3, "1 of the tickets do not exist (#3)", "close", "3", env=reseller)


def test_an_end_customer_filing_directly_is_refused_naming_the_reseller_and_both_are_told(acme):
    cli, _ = acme
    result = cli("file", "-s", "Shop down", "-b", "My shop returns 503", "-c", "shop@one.example", now=SETUP)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: Your hosting is provided by Acme Hosting, who gives you support; please contact them. We have let them know."
    )
    told = {(o["recipient"], o["kind"]) for o in cli.json("outbox", now=SETUP) if o["ticket_id"] is None}
    assert told == {("customer:shop@one.example", "refused"), ("reseller:ops@acme.example", "end_customer")}
    assert len(cli.json("list", now="2026-11-23T12:00")) == 3  # nothing filed


def test_agent_only_commands_refuse_reseller_and_customer_tokens(acme):
    cli, reseller = acme
    customer = token(cli, "--customer", "solo@direct.example")
    for holder in (reseller, customer):
        for args in (["triage"], ["assign", "1", "--to", "me"], ["escalate", "--auto"], ["customer", "list"], ["token", "list"],
                     ["close", "--status", "new"], ["sla", "explain", "1"], ["policy", "versions"], ["outbox"]):
            cli.refused(1, "only the desk's agents may", *args, env=holder)
        cli.refused(1, "is for the desk's agents", "reply", "1", "-m", "x", now=SETUP, env=holder)
        cli.refused(1, "for the desk's agents", "backup", str(cli.path.with_suffix(".copy")), env=holder)


def test_a_customer_sees_its_own_ticket_without_the_agents_side(acme):
    cli, _ = acme
    with api(cli) as do:
        do.agents("emre")
        do.at(SETUP).assign(3, "emre")
        do.at(SETUP).reply(3, "customer is on the old plan", internal=True)
        do.at(SETUP).reply(3, "Add an MX record in the DNS zone editor.")
    customer = token(cli, "--customer", "solo@direct.example")
    data = cli.json("show", "3", env=customer)
    assert [m["body"] for m in data["messages"]] == ["Add an MX record in the DNS zone editor."]
    assert {"assignee", "flags", "escalation_level"}.isdisjoint(data)
    assert {e["kind"] for e in data["events"]} <= {"filed", "reply", "close", "reopen", "wait", "resume", "customer_reply"}
    assert "note" not in {e["kind"] for e in cli.json("log", env=customer)}
    status = cli.json("status", "3", env=customer)
    assert status["tickets"][0]["last_reply"]["body"] == "Add an MX record in the DNS zone editor."
    cli.refused(3, "no ticket #1", "status", "1", env=customer)
    cli.refused(1, "add internal notes", "reply", "3", "-m", "x", "--internal", env=customer)
    cli.refused(1, "only for yourself", "file", "-s", "x y z", "-b", "for someone else", "-c", "shop@one.example", env=customer)


def test_customer_replies_resume_a_pending_ticket_and_reopen_within_the_window(tmp_path, frozen_clock):
    cli = desk_of(tmp_path)  # Hosting General: reopen within 30 days, by replying
    cli.ok("customer", "add", "ada@example.com", now=SETUP)
    with api(cli) as do:
        ticket = do.file(now=SETUP, customer="ada@example.com", field="domain=example.com")
        do.at("2026-11-20T11:00").wait(ticket)
    ada = token(cli, "--customer", "ada@example.com")
    resumed = cli.json("reply", str(ticket), "-m", "Here is the log you asked for", env=ada)
    assert resumed["status"] == "open"
    assert [e for e in resumed["events"] if e["kind"] == "customer_reply"][-1]["details"]["resumed"] is True
    with api(cli) as do:
        do.at("2026-11-23T11:00").close_tickets([ticket], __import__("supportdesk.model").model.CloseReason.RESOLVED)
    frozen_clock(FROZEN + timedelta(days=2))
    reopened = cli.json("reply", str(ticket), "-m", "It is broken again", env=ada)
    assert reopened["status"] == "open"
    with api(cli) as do:
        do.at("2026-11-25T12:00").close_tickets([ticket], __import__("supportdesk.model").model.CloseReason.RESOLVED)
    frozen_clock(FROZEN + timedelta(days=40))
    cli.refused(1, f"file a new ticket referencing #{ticket}", "reply", str(ticket), "-m", "again", env=ada)
    follow = cli.ok("file", "-s", "Broken again", "-b", "Same as before", "--ref", str(ticket), "--field", "domain=example.com", env=ada)
    new = int(follow.stdout)
    assert cli.json("show", str(new), now="2027-01-03T12:00")["ref"] == ticket


def test_the_customer_is_told_of_filing_replies_and_closing(tmp_path):
    cli = desk_of(tmp_path)
    cli.ok("customer", "add", "ada@example.com", "--notify", "support=help@ada.example", now=SETUP)
    ticket = int(cli.ok("file", "-s", "Site down", "-b", "503", "-c", "ada@example.com", "--field", "domain=ada.example", now=SETUP).stdout)
    cli.ok("reply", str(ticket), "-m", "Looking into it", now="2026-11-20T10:10")
    cli.ok("close", str(ticket), now="2026-11-20T11:00")
    notices = [(o["kind"], o["recipient"]) for o in cli.json("outbox", now="2026-11-20T11:00") if o["ticket_id"] == ticket]
    assert notices == [("closed", "customer:help@ada.example"), ("reply", "customer:help@ada.example"), ("filed", "customer:help@ada.example")]
    bodies = {o["kind"]: o["body"] for o in cli.json("outbox", now="2026-11-20T11:00")}
    assert "Expect a first answer by" in bodies["filed"] and "Looking into it" in bodies["reply"]
    assert "Reply within 30 days to reopen it" in bodies["closed"]


def test_close_as_a_duplicate_links_the_tickets(tmp_path):
    cli = desk_of(tmp_path)
    with api(cli) as do:
        first = do.file(now=SETUP, field="domain=a.example")
        second = do.file(now="2026-11-20T10:05", subject="Mail bounces", field="domain=a.example")
    cli.refused(2, "use it with --reason duplicate", "close", str(second), "--of", str(first), now=SETUP)
    cli.refused(2, "cannot be a duplicate of itself", "close", str(second), "--reason", "duplicate", "--of", str(second), now=SETUP)
    cli.refused(3, "no ticket #99", "close", str(second), "--reason", "duplicate", "--of", "99", now=SETUP)
    cli.ok("close", str(second), "--reason", "duplicate", "--of", str(first), now="2026-11-20T10:30")
    data = cli.json("show", str(second), now="2026-11-20T10:30")
    assert (data["close_reason"], data["duplicate_of"]) == ("duplicate", first)
    assert [e for e in data["events"] if e["kind"] == "close"][0]["details"]["of"] == first


def test_terminate_closes_for_abuse_and_kristalium_bans_the_requester(tmp_path):
    cli = desk_of(tmp_path, "kristalium")
    filed = cli.ok("file", "-s", "You idiots", "-b", "fix it, idiot", "-c", "rude@example.com", now=SETUP)
    ticket = int(filed.stdout)
    assert "abusive" in cli.json("show", str(ticket), now=SETUP)["flags"]
    result = cli.json("terminate", str(ticket), now="2026-11-20T10:05")
    assert result == {"ticket": ticket, "customer": "rude@example.com", "banned": True, "status": "closed"}
    assert cli.json("customer", "show", "rude@example.com", now="2026-11-20T10:05")["status"] == "banned"
    closed = [o for o in cli.json("outbox", now="2026-11-20T10:05") if o["kind"] == "closed"]
    assert "insulting language" in closed[0]["body"]
    cli.refused(1, "banned", "file", "-s", "Hello", "-b", "please help", "-c", "rude@example.com", now="2026-11-20T10:10")
    cli.refused(1, "already closed", "terminate", str(ticket), now="2026-11-20T10:10")


def test_unpaid_fines_suspend_filing_at_site_com_be_com(tmp_path):
    cli = desk_of(tmp_path, "sitecom")
    cli.ok("customer", "add", "ali@example.ir", "--verified", now=SETUP)
    persian = ["-s", "سرور در دسترس نیست", "-b", "سایت ما از صبح پاسخ نمی‌دهد", "-c", "ali@example.ir", "--field", "domain=ali.ir"]
    ticket = int(cli.ok("file", *persian, now=SETUP).stdout)
    # Rule 16 refuses a second ticket for the same request, and rule 19 fines it.
    cli("file", *persian, now="2026-11-20T10:05")
    fines = cli.json("violation", "list", "ali@example.ir", now="2026-11-20T10:05")
    assert [(v["rule"], v["paid_at"]) for v in fines] == [("duplicates", None)]
    added = cli.json("violation", "add", "ali@example.ir", "--ticket", str(ticket), "--rule", "rule 15: reopened", "--fine", "50000 IRR", now="2026-11-20T10:06")
    assert added["fine"] == "50000 IRR"
    other = ["-s", "پرسش درباره صورتحساب", "-b", "مبلغ صورتحساب اشتباه است", "-c", "ali@example.ir", "--department", "sales"]
    cli.refused(1, "2 unpaid", "file", *other, now="2026-11-20T10:10")
    for violation in cli.json("violation", "list", "--unpaid", now="2026-11-20T10:10"):
        cli.ok("violation", "pay", str(violation["id"]), now="2026-11-20T10:11")
    cli.refused(1, "already paid", "violation", "pay", "1", now="2026-11-20T10:12")
    cli.ok("file", *other, now="2026-11-20T10:15")


def test_an_unknown_category_is_refused_with_the_desks_categories(tmp_path):
    cli = desk_of(tmp_path)
    line = cli.refused(2, "unknown category 'gardening'", "file", "-s", "x", "-b", "y", "-c", "a@b.example", "--category", "gardening", now=SETUP)
    assert "site-migration" in line and "hosting-account" in line


def test_tokens_are_listed_by_prefix_and_revoked(tmp_path, frozen_clock):
    cli = desk_of(tmp_path)
    cli.ok("customer", "add", "ada@example.com", now=SETUP)
    issued = cli.json("token", "issue", "--customer", "ada@example.com", "--expires", "30d", now=SETUP)
    listed = cli.json("token", "list", now=SETUP)
    assert [(t["prefix"], t["holder"], t["state"]) for t in listed] == [(issued["prefix"], "customer:ada@example.com", "active")]
    assert issued["token"] not in cli.ok("token", "list", now=SETUP).stdout
    cli.refused(2, "exactly one of --reseller, --customer or --agent", "token", "issue", now=SETUP)
    cli.refused(3, "no customer nobody@example.com", "token", "issue", "--customer", "nobody@example.com", now=SETUP)
    cli.refused(2, "--expires", "token", "issue", "--customer", "ada@example.com", "--expires", "soon", now=SETUP)
    env = {"SUPPORTDESK_TOKEN": issued["token"]}
    assert cli.json("status", env=env)["actor"] == "customer:ada@example.com"
    cli.ok("token", "revoke", issued["prefix"], now=SETUP)
    cli.refused(1, "was revoked", "status", env=env)
    cli.refused(1, "already revoked", "token", "revoke", str(issued["id"]), now=SETUP)


def test_a_customer_reads_its_ticket_as_people_do(acme):
    cli, _ = acme
    customer = token(cli, "--customer", "solo@direct.example")
    for args in (["show", "3"], ["list"], ["status"], ["status", "3"], ["log", "3"], ["reply", "3", "-m", "any news?"]):
        result = cli(*args, env=customer)
        assert result.exit_code == 0, (args, result.output)
        assert "assignee" not in result.stdout and "escalation" not in result.stdout


def test_show_lists_the_fields_the_department_asks_for_and_those_missing(tmp_path):
    cli = desk_of(tmp_path)  # Hosting General: technical tickets carry account info
    bare = int(cli.ok("file", "-s", "Site down", "-b", "503", "-c", "ada@example.com", now=SETUP).stdout)
    data = cli.json("show", str(bare), now=SETUP)
    assert data["required_fields"] == ["hosting_account|domain|panel_user"] == data["missing_fields"]
    assert "missing-info" in data["flags"]
    assert "hosting_account or domain or panel_user  (--field NAME=VALUE)" in cli.ok("show", str(bare), now=SETUP).stdout
    full = int(cli.ok("file", "-s", "Mail down", "-b", "550", "-c", "ada@example.com", "--field", "domain=ada.example", now=SETUP).stdout)
    assert cli.json("show", str(full), now=SETUP)["missing_fields"] == []


def test_a_ticket_ended_for_abuse_stays_ended_and_the_banned_cannot_write(tmp_path, frozen_clock):
    cli = desk_of(tmp_path, "kristalium")
    cli.ok("customer", "add", "rude@example.com", now=SETUP)
    ticket = int(cli.ok("file", "-s", "You idiots", "-b", "fix it, idiot", "-c", "rude@example.com", now=SETUP).stdout)
    rude = token(cli, "--customer", "rude@example.com")
    cli.ok("terminate", str(ticket), now="2026-11-20T10:05")  # Kristalium bans the requester too
    cli.refused(1, "you (rude@example.com) are banned from support", "reply", str(ticket), "-m", "sorry", env=rude)
    cli.refused(1, "banned from support", "reopen", str(ticket), env=rude)
    cli.ok("customer", "unban", "rude@example.com", now="2026-11-20T10:10")
    cli.refused(1, f"ticket #{ticket} was closed for abuse", "reply", str(ticket), "-m", "sorry", env=rude)


def test_a_token_holder_sees_no_on_call_rota_and_cannot_backdate(acme):
    cli, reseller = acme
    for args in (["oncall", "now"], ["oncall", "schedule"]):
        cli.refused(1, "only the desk's agents may", *args, env=reseller)
    cli.refused(1, "is for the desk's agents", "status", now=SETUP, env=reseller)
    from supportdesk import Desk

    with Desk.connect(cli.path, token=reseller["SUPPORTDESK_TOKEN"]) as desk:
        with pytest.raises(Exception, match="for the desk's agents"):
            desk.at(FROZEN - timedelta(days=1)).reply(1, "backdated")
