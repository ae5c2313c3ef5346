"""SLA clocks per example policy, with --now: targets, pauses, recomputes, breaches, explain."""

from __future__ import annotations

import pytest

from conftest import EXAMPLES, Cli, api, file_ticket, new_desk


def desk_with(tmp_path, name: str, now: str = "2024-01-01T09:00", text: str | None = None) -> Cli:
    path = tmp_path / f"{name}.db"
    policy = EXAMPLES / f"{name}.toml"
    if text is not None:
        policy = tmp_path / f"{name}-custom.toml"
        policy.write_text(text, encoding="utf-8")
    new_desk(path, policy, now=now)
    return Cli(path)


def agents(cli: Cli, *logins: str) -> None:
    """The hosting-general rotations' people, added through the API."""
    with api(cli) as do:
        do.agents(*logins, now="2024-01-01T09:00")


def test_hosting_general_critical_on_friday_evening(tmp_path):
    cli = desk_with(tmp_path, "hosting-general")
    ticket = file_ticket(cli, now="2024-06-07T17:30", priority="critical")
    data = cli.json("show", str(ticket), now="2024-06-07T17:30")
    assert data["respond_by"] == "2024-06-07T15:30:00Z"  # 18:30 +03: 1 h in calendar time
    assert data["resolve_by"] == "2024-06-07T18:30:00Z"  # 21:30 +03: 4 h
    assert data["due_at"] == data["respond_by"]
    deadlines = [e for e in data["events"] if e["kind"] == "deadlines"][0]["details"]
    assert deadlines["sla"]["respond"] == {"seconds": 3600, "calendar": "24/7", "source": "priority critical"}
    assert deadlines["sla"]["outside_office_hours"] is False
    pages = [o for o in cli.json("outbox", now="2024-06-07T17:30") if o["kind"] == "page"]
    assert pages == []  # 17:30 is office hours: nobody is paged


def test_a_critical_ticket_out_of_hours_pages_the_on_duty_engineer(tmp_path):
    cli = desk_with(tmp_path, "hosting-general")
    agents(cli, "ayse", "burak", "cem", "deniz")
    ticket = file_ticket(cli, now="2024-06-07T19:00", priority="critical")
    outbox = [o for o in cli.json("outbox", now="2024-06-07T19:00") if o["recipient"].startswith("agent:")]
    assert [(o["recipient"], o["channel"], o["kind"], o["ticket_id"]) for o in outbox] == [("agent:burak", "sms", "page", ticket)]
    assert outbox[0]["sent_at"] is None and "critical ticket out of hours" in outbox[0]["subject"]
    assert "page" in [e["kind"] for e in cli.json("log", str(ticket), now="2024-06-07T19:00")]
    file_ticket(cli, now="2024-06-07T19:05", priority="high")  # not a paging priority
    assert len([o for o in cli.json("outbox", now="2024-06-07T19:05") if o["kind"] == "page"]) == 1
    assert "agent:burak" in cli.ok("outbox", "--pending", now="2024-06-07T19:05").stdout


def test_sitecom_outside_the_saturday_to_wednesday_week_gets_three_hours(tmp_path):
    cli = desk_with(tmp_path, "sitecom")
    # Site Com be Com helps only verified owners, in Persian (its intake rules 1 and 3).
    cli.ok("customer", "add", "ada@example.com", "--verified", now="2024-01-01T09:00")

    def persian(now: str, subject: str, **fields: str) -> int:
        # Distinct requests: the desk refuses a second ticket for the same one (rule 16).
        return file_ticket(cli, now=now, subject=subject, body=f"{subject}؛ لطفاً بررسی کنید", **fields)

    thursday = cli.json("show", str(persian("2024-06-06T10:00", "سرور در دسترس نیست", priority="urgent", field="service=vps-1")), now="2024-06-06T10:00")
    assert thursday["respond_by"] == "2024-06-06T09:30:00Z"  # 13:00 +0330
    saturday = cli.json("show", str(persian("2024-06-08T10:00", "پست الکترونیک کار نمی‌کند", priority="urgent", field="service=vps-1")), now="2024-06-08T10:00")
    assert saturday["respond_by"] == "2024-06-08T07:30:00Z"  # 11:00 +0330
    nowruz = cli.json("show", str(persian("2024-03-20T10:00", "پرسش درباره صورتحساب", priority="normal", field="service=vps-1")), now="2024-03-20T10:00")
    assert nowruz["respond_by"] == "2024-03-20T09:30:00Z"  # a holiday counts as outside: 3 h
    sla = [e for e in nowruz["events"] if e["kind"] == "deadlines"][0]["details"]["sla"]
    assert sla["respond"]["source"] == "priority normal outside office hours"
    assert sla["resolve"] is None and nowruz["resolve_by"] is None


def test_introserv_ten_minute_first_response(tmp_path):
    cli = desk_with(tmp_path, "introserv")
    data = cli.json("show", str(file_ticket(cli, now="2024-06-08T03:00", priority="regular", channel="email")), now="2024-06-08T03:00")
    assert data["respond_by"] == "2024-06-08T01:30:00Z"  # 03:30 CEST: by e-mail, 30 min replaces the 10
    sla = [e for e in data["events"] if e["kind"] == "deadlines"][0]["details"]["sla"]
    assert [c["source"] for c in sla["respond_candidates"]] == ["channel email"]
    by_ticket = cli.json("show", str(file_ticket(cli, now="2024-06-08T03:00", priority="regular")), now="2024-06-08T03:00")
    assert by_ticket["respond_by"] == "2024-06-08T01:10:00Z"  # 03:10 CEST: the ticket channel keeps 10 min


def test_a_package_guarantee_can_be_the_strictest(tmp_path):
    cli = desk_with(tmp_path, "hosting-general")
    ticket = str(file_ticket(cli, now="2024-06-10T10:00", priority="normal"))
    assert cli.json("show", ticket, now="2024-06-10T10:00")["respond_by"] == "2024-06-10T11:00:00Z"  # normal: 4 h
    result = cli.json("customer", "package", "ada@example.com", "enterprise", now="2024-06-10T10:05")
    assert result == {"customer": "ada@example.com", "package": "enterprise", "recomputed": 1}
    data = cli.json("show", ticket, now="2024-06-10T10:05")
    assert data["respond_by"] == "2024-06-10T07:30:00Z"  # enterprise guarantees 30 min
    event = [e for e in data["events"] if e["kind"] == "deadlines"][-1]["details"]
    assert event["reason"] == "package none → enterprise" and event["sla"]["respond"]["source"] == "package enterprise"
    assert event["before"]["respond_by"] == "2024-06-10T11:00:00Z"
    cli.refused(1, "already has package enterprise", "customer", "package", "ada@example.com", "enterprise", now="2024-06-10T10:10")
    cli.refused(2, "unknown package 'gold'", "customer", "package", "ada@example.com", "gold", now="2024-06-10T10:10")
    cli.refused(3, "no customer bob@example.com", "customer", "package", "bob@example.com", "premium", now="2024-06-10T10:10")


def test_a_priority_raise_recomputes_and_is_recorded(tmp_path):
    cli = desk_with(tmp_path, "hosting-general")
    with api(cli) as do:
        ticket = str(do.file(now="2024-06-10T10:00", priority="low"))
    data = cli.json("priority", ticket, "critical", "--reason", "whole site down", now="2024-06-10T10:20")
    assert data["priority"] == "critical"
    assert (data["respond_by"], data["resolve_by"]) == ("2024-06-10T08:00:00Z", "2024-06-10T11:00:00Z")
    kinds = [e["kind"] for e in data["events"]]
    assert kinds[-2:] == ["priority", "deadlines"]
    assert data["events"][-2]["details"] == {"before": {"priority": "low"}, "after": {"priority": "critical"}, "reason": "whole site down"}
    cli.refused(1, "already critical", "priority", ticket, "critical", now="2024-06-10T10:30")
    cli.refused(2, "unknown priority 'urgent'", "priority", ticket, "urgent", now="2024-06-10T10:30")


BUSINESS_RESOLUTION = (EXAMPLES / "hosting-general.toml").read_text().replace(
    'name = "normal"\nmeaning = "Part affected, the core works"\nrespond = "4h"\nresolve = "24h"',
    'name = "normal"\nmeaning = "Part affected, the core works"\nrespond = "4h"\nresolve = "18h"\ncalendar = "office"',
)


def test_a_pending_period_pushes_resolve_by_by_exactly_the_paused_open_time(tmp_path):
    cli = desk_with(tmp_path, "hosting-general", text=BUSINESS_RESOLUTION)
    ticket = str(file_ticket(cli, now="2024-06-06T10:00", priority="normal"))  # a Thursday
    before = cli.json("show", ticket, now="2024-06-06T10:00")
    assert before["resolve_by"] == "2024-06-10T07:00:00Z"  # 18 office hours: Mon 10:00 +03
    cli.ok("reply", ticket, "-m", "Please send the logs", now="2024-06-06T11:00")
    paused = cli.json("wait", ticket, now="2024-06-06T16:00")
    assert paused["resolve_by"] is None and paused["due_at"] is None and paused["paused_at"] == "2024-06-06T13:00:00Z"
    # Pending from Thu 16:00 to Mon 11:00: 2 h Thu + 9 h Fri + 2 h Mon = 13 office hours
    resumed = cli.json("resume", ticket, now="2024-06-10T11:00")
    # 18 + 13 = 31 office hours from Thu 10:00: Thu 8 h, Fri 9 h, Mon 9 h, Tue 09:00 + 5 h
    assert resumed["resolve_by"] == "2024-06-11T11:00:00Z"  # Tue 14:00 +03
    event = [e for e in resumed["events"] if e["kind"] == "resume"][0]["details"]
    assert event["paused_seconds"] == 13 * 3600
    assert event["before"]["resolve_by"] is None and event["after"]["resolve_by"] == "2024-06-11T11:00:00Z"


def test_breaches_are_stored_when_they_happen(tmp_path):
    cli = desk_with(tmp_path, "hosting-general")
    with api(cli) as do:
        ticket = str(do.file(now="2024-06-10T10:00", priority="critical"))
        on_time = str(do.file(now="2024-06-10T10:00", priority="low"))
    cli.ok("reply", ticket, "-m", "Looking", now="2024-06-10T11:30")  # 30 min late
    data = cli.json("show", ticket, now="2024-06-10T11:30")
    assert data["respond_breached_at"] == data["respond_by"] == "2024-06-10T08:00:00Z"
    assert data["due_at"] == data["resolve_by"]
    cli.ok("close", ticket, now="2024-06-10T15:00")  # resolve_by was 14:00 +03
    data = cli.json("show", ticket, now="2024-06-10T15:00")
    assert data["resolve_breached_at"] == "2024-06-10T11:00:00Z" and data["due_at"] is None
    cli.ok("reply", on_time, "-m", "Here you go", now="2024-06-10T10:30")
    cli.ok("close", on_time, now="2024-06-10T11:00")
    data = cli.json("show", on_time, now="2024-06-10T15:00")
    assert (data["respond_breached_at"], data["resolve_breached_at"]) == (None, None)


def test_policy_apply_recomputes_open_tickets_in_one_go(tmp_path):
    cli = desk_with(tmp_path, "hosting-general")
    from supportdesk import CloseReason

    with api(cli) as do:
        critical = str(do.file(now="2024-06-10T10:00", priority="critical"))
        low = str(do.file(now="2024-06-10T10:00", priority="low"))
        done = str(do.file(now="2024-06-10T10:00", priority="critical"))
        do.at("2024-06-10T10:01").close_tickets([int(done)], CloseReason.DUPLICATE)
    stricter = tmp_path / "stricter.toml"
    stricter.write_text((EXAMPLES / "hosting-general.toml").read_text().replace('respond = "1h"\nresolve = "4h"', 'respond = "30m"\nresolve = "4h"'))
    result = cli.json("policy", "apply", str(stricter), now="2024-06-10T10:10")
    assert result["recomputed"] == 1
    assert cli.json("show", critical, now="2024-06-10T10:10")["respond_by"] == "2024-06-10T07:30:00Z"
    event = [e for e in cli.json("log", critical, now="2024-06-10T10:10") if e["kind"] == "deadlines"][-1]["details"]
    assert event["reason"] == "policy version 2" and event["before"]["respond_by"] == "2024-06-10T08:00:00Z"
    assert [e["kind"] for e in cli.json("log", low, now="2024-06-10T10:10")].count("deadlines") == 1  # unchanged: no event
    assert cli.json("show", done, now="2024-06-10T10:10")["respond_by"] == "2024-06-10T08:00:00Z"  # closed tickets keep theirs


def test_policy_apply_refuses_to_drop_a_priority_open_tickets_use(tmp_path):
    cli = desk_with(tmp_path, "hosting-general")
    with api(cli) as do:
        do.file(now="2024-06-10T10:00", priority="critical")
    cli.refused(1, "the new policy has no priority critical (1 open)", "policy", "apply", str(EXAMPLES / "sitecom.toml"), now="2024-06-10T10:10")


def test_out_of_hours_allowance(tmp_path):
    text = (EXAMPLES / "hosting-general.toml").read_text().replace(
        'respond = "2h"\nresolve = "8h"', 'respond = "2h"\nresolve = "8h"\noutside_allowance = "1h"'
    )
    cli = desk_with(tmp_path, "hosting-general", text=text)
    inside = cli.json("show", str(file_ticket(cli, now="2024-06-10T10:00", priority="high")), now="2024-06-10T10:00")
    outside = cli.json("show", str(file_ticket(cli, now="2024-06-10T20:00", priority="high")), now="2024-06-10T20:00")
    assert inside["respond_by"] == "2024-06-10T09:00:00Z"  # 2 h
    assert outside["respond_by"] == "2024-06-10T20:00:00Z"  # 2 h + 1 h allowance


def test_reopen_does_not_count_the_time_it_was_resolved(tmp_path):
    cli = desk_with(tmp_path, "hosting-general")
    from supportdesk import CloseReason

    with api(cli) as do:
        ticket = do.file(now="2024-06-10T10:00", priority="normal")  # resolve 24 h
        do.at("2024-06-10T11:00").reply(ticket, "Fixed")
        do.at("2024-06-10T12:00").close_tickets([ticket], CloseReason.RESOLVED)
    ticket = str(ticket)
    data = cli.json("reopen", ticket, now="2024-06-11T12:00")
    assert data["resolve_by"] == "2024-06-12T07:00:00Z"  # 24 h + the 24 h it was resolved
    assert data["due_at"] == data["resolve_by"]


# ---- sla explain -------------------------------------------------------------------------


def test_explain_tells_the_story_of_a_paused_and_escalated_ticket(tmp_path):
    cli = desk_with(tmp_path, "hosting-general")
    from supportdesk import CloseReason

    with api(cli) as do:
        do.agents("ayse", "burak", "cem", "deniz", now="2024-01-01T09:00")
        ticket = do.file(now="2024-06-10T10:00", priority="high")  # respond 2 h, resolve 8 h
        do.at("2024-06-10T10:30").reply(ticket, "Which mailbox?")
        do.at("2024-06-10T11:00").wait(ticket)
        do.at("2024-06-10T13:00").resume(ticket)
        do.at("2024-06-10T14:00").escalate(ticket, "engineer", "needs root access")
        do.at("2024-06-10T20:30").close_tickets([ticket], CloseReason.RESOLVED)
    ticket = str(ticket)
    story = cli.json("sla", "explain", ticket, now="2024-06-10T21:00")
    respond, resolve = story["clocks"]["respond"], story["clocks"]["resolve"]
    assert (respond["verdict"], respond["counted_seconds"]) == ("met", 30 * 60)
    assert [s["what"] for s in resolve["steps"]] == ["started", "paused", "resumed", "stopped"]
    assert resolve["counted_seconds"] == 8 * 3600 + 30 * 60  # 10:00–11:00 and 13:00–20:30
    assert resolve["verdict"] == "breached"
    assert resolve["deadline"] == "2024-06-10T17:00:00Z"  # 18:00 + the 2 h pause = 20:00 +03
    assert [o["kind"] for o in story["other"]] == ["deadlines", "escalate"]
    text = cli.ok("sla", "explain", ticket, now="2024-06-10T21:00").stdout
    for fragment in (
        "First response", "target    2 h in 24/7 — priority high", "counted   30 min of 2 h — met",
        "paused    Mon 10 Jun 11:00 +03  pending on the customer",
        "resumed   Mon 10 Jun 13:00 +03  resumed: 2 h paused; due Mon 10 Jun 20:00 +03",
        "counted   8 h 30 min of 8 h — BREACHED", "tester: escalated to engineer (ayse): needs root access", "needs root access",
    ):
        assert fragment in text, fragment


def test_explain_unknown_ticket(cli):
    cli.refused(3, "no ticket #5", "sla", "explain", "5", now="2026-11-20T10:00")


@pytest.mark.parametrize("name", ["kristalium", "websight"])
def test_kristalium_and_websight_give_the_same_deadlines(tmp_path, name):
    cli = desk_with(tmp_path, name)
    data = cli.json("show", str(file_ticket(cli, now="2024-06-10T20:00", priority="urgent")), now="2024-06-10T20:00")
    assert (data["respond_by"], data["resolve_by"]) == ("2024-06-10T18:00:00Z", "2024-06-11T01:00:00Z")


def test_deadlines_across_both_dst_changes_in_berlin(tmp_path):
    cli = desk_with(tmp_path, "introserv", now="2024-03-01T09:00")
    cli.ok("customer", "add", "ada@example.com", "--verified", now="2024-03-01T09:00")  # High needs a verified owner
    # 01:55 CET + 10 real minutes is 03:05 CEST: the clock skips the missing hour
    high = ["server_ip=203.0.113.7", "service_name=VDS-1", "started_at=01:50 CET", "diagnostics=ping times out"]
    with api(cli) as do:
        spring_id = do.file(now="2024-03-31T01:55", priority="high", fields=dict(f.split("=", 1) for f in high))
    spring = cli.json("show", str(spring_id), now="2024-03-31T04:00")
    assert spring["respond_by"] == "2024-03-31T01:05:00Z"
    # 02:55 CEST (the first one) + 10 minutes is 02:05 CET, the second pass through 02:00
    autumn = cli.json("show", str(file_ticket(cli, now="2024-10-27T02:55", priority="regular")), now="2024-10-27T03:00")
    assert autumn["respond_by"] == "2024-10-27T01:05:00Z"
    assert cli.ok("show", str(autumn["id"]), now="2024-10-27T03:00").stdout.count("CET") >= 1


def test_a_pause_over_the_autumn_change_adds_25_hours_back(tmp_path):
    text = (EXAMPLES / "introserv.toml").read_text().replace('meaning = "Standard requests"\nrespond = "10m"', 'meaning = "Standard requests"\nrespond = "10m"\nresolve = "48h"')
    cli = desk_with(tmp_path, "introserv", now="2024-10-01T09:00", text=text)
    ticket = str(file_ticket(cli, now="2024-10-26T12:00", priority="regular"))
    assert cli.json("show", ticket, now="2024-10-26T12:00")["resolve_by"] == "2024-10-28T10:00:00Z"  # 48 real hours (11:00 CET)
    with api(cli) as do:
        do.at("2024-10-26T12:00").reply(int(ticket), "Logs please")
        do.at("2024-10-26T12:00").wait(int(ticket))  # 12:00 CEST
    resumed = cli.json("resume", ticket, now="2024-10-27T12:00")  # 12:00 CET: 25 real hours later
    assert resumed["resolve_by"] == "2024-10-29T11:00:00Z"  # pushed by exactly those 25 hours
