"""The ticket commands as a user runs them: what they print, change, and refuse."""

from __future__ import annotations

import json
import os
import stat

import pytest

from conftest import EXAMPLES, Cli, api, file_ticket

# Tickets are filed at 10:00 on Fri 20 Nov 2026 (file_ticket's default); the commands
# under test act after it.
LATER = "2026-11-20T11:00"

DESIGN_FIELDS = {
    "id", "subject", "status", "priority", "department", "channel", "category", "customer",
    "reseller", "assignee", "escalation_level", "created_at", "first_response_at", "respond_by",
    "resolve_by", "resolved_at", "closed_at", "close_reason", "flags",
}


# ---- init --------------------------------------------------------------------------


def test_init_creates_a_private_desk_with_the_policy(bare_cli):
    result = bare_cli.ok("init", "--policy", str(EXAMPLES / "hosting-general.toml"), now="2026-11-16T09:00")
    assert "Hosting General" in result.stderr
    mode = stat.S_IMODE(os.stat(bare_cli.path).st_mode)
    assert mode == 0o600
    agents = bare_cli.json("agent", "list", now="2026-11-16T09:00")
    assert [(a["login"], a["role"]) for a in agents] == [("tester", "admin")]


def test_init_without_policy_uses_the_default(bare_cli):
    bare_cli.ok("init", now="2026-11-16T09:00")
    ticket = file_ticket(bare_cli)
    assert bare_cli.json("show", str(ticket), now=LATER)["priority"] == "normal"


def test_init_twice_is_refused(cli):
    cli.refused(1, "a desk already exists", "init", now="2026-11-16T09:00")


def test_init_with_missing_policy_file_creates_nothing(bare_cli):
    bare_cli.refused(2, "no policy file at", "init", "--policy", "nope.toml", now="2026-11-16T09:00")
    assert not bare_cli.path.exists()


def test_init_with_broken_policy_creates_nothing(bare_cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[desk\nname = 1")
    bare_cli.refused(2, "not valid TOML", "init", "--policy", str(bad), now="2026-11-16T09:00")
    assert not bare_cli.path.exists()


def test_default_desk_lives_in_the_user_data_dir_and_is_created_on_first_use(tmp_path):
    from typer.testing import CliRunner

    from supportdesk.cli import app

    result = CliRunner().invoke(app, ["--now", "2026-11-16T09:00", "list"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "data" / "supportdesk" / "desk.db").exists()
    assert "no tickets match" in result.stderr


def test_env_var_names_the_desk(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from supportdesk.cli import app

    path = tmp_path / "env.db"
    monkeypatch.setenv("SUPPORTDESK_DB", str(path))
    assert CliRunner().invoke(app, ["--now", "2026-11-16T09:00", "init"]).exit_code == 0
    assert path.exists()


def test_a_named_desk_that_does_not_exist_is_not_found(bare_cli):
    bare_cli.refused(3, "no desk at", "list", now=LATER)
    assert not bare_cli.path.exists()


# ---- file --------------------------------------------------------------------------


def test_file_prints_the_id_and_stores_every_field(cli):
    result = cli.ok(
        "file", "--subject", "Mail down", "--body", "No mail since 09:00",
        "--customer", "Ada@Example.com", "--priority", "high", "--department", "technical",
        "--channel", "email", "--category", "mail", "--service", "example.com",
        "--field", "server_ip=203.0.113.7", "--field", "panel_user=ada",
        now="2026-11-20T10:00",
    )
    assert result.stdout.strip() == "1"
    ticket = cli.json("show", "1", now=LATER)
    assert DESIGN_FIELDS <= set(ticket)
    assert ticket["status"] == "new"
    assert ticket["priority"] == "high"
    assert ticket["channel"] == "email"
    assert ticket["customer"] == "ada@example.com"
    assert ticket["fields"] == {"server_ip": "203.0.113.7", "panel_user": "ada"}
    assert ticket["created_at"] == "2026-11-20T07:00:00Z"  # 10:00 Istanbul is UTC+3
    assert ticket["body"] == "No mail since 09:00"
    assert [e["kind"] for e in ticket["events"]] == ["filed", "deadlines"]
    assert ticket["respond_by"] == "2026-11-21T07:00:00Z"  # by e-mail: 24 h, replacing high's 2 h
    assert ticket["resolve_by"] == "2026-11-20T15:00:00Z"  # high: 8 h


def test_file_reads_the_body_from_stdin(cli):
    result = cli.ok("file", "-s", "Piped", "-b", "-", "-c", "ada@example.com", input="line one\nline two\n", now=LATER)
    assert cli.json("show", result.stdout.strip(), now=LATER)["body"] == "line one\nline two"


def test_same_customer_in_other_case_is_one_customer(cli):
    file_ticket(cli, customer="ada@example.com")
    file_ticket(cli, customer="ADA@example.com")
    assert len(cli.json("list", "--customer", "ada@EXAMPLE.com", now=LATER)) == 2


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--priority", "urgent"], "unknown priority 'urgent'; this desk has: critical, high, normal, low"),
        (["--department", "legal"], "unknown department 'legal'"),
        (["--channel", "fax"], "unknown channel 'fax'"),
        (["--field", "novalue"], "is not KEY=VALUE"),
    ],
)
def test_file_refuses_values_the_policy_does_not_know(cli, args, fragment):
    cli.refused(2, fragment, "file", "-s", "x", "-b", "y", "-c", "ada@example.com", *args, now=LATER)


def test_file_refuses_a_bad_email(cli):
    cli.refused(2, "is not an e-mail address", "file", "-s", "x", "-b", "y", "-c", "ada", now=LATER)


def test_file_refuses_an_empty_subject(cli):
    cli.refused(2, "the subject is empty", "file", "-s", "  ", "-b", "y", "-c", "ada@example.com", now=LATER)


def test_file_refuses_a_missing_option_in_one_line(cli):
    cli.refused(2, "Missing option '--body'", "file", "-s", "x", now=LATER)


def test_an_agent_filing_without_a_customer_is_told_to_name_one(cli):
    # --customer is optional for a customer filing with its token (it files for itself).
    cli.refused(2, "give the customer the ticket is for: --customer EMAIL", "file", "-s", "x", "-b", "y", now=LATER)


def test_file_with_stdin_body_but_nothing_piped_is_refused(cli):
    # CliRunner's stdin is empty but not a terminal; an empty body is refused.
    cli.refused(2, "the body is empty", "file", "-s", "x", "-b", "-", "-c", "ada@example.com", now=LATER)


# ---- show --------------------------------------------------------------------------


def test_show_renders_the_ticket_for_people(cli):
    with api(cli) as do:
        ticket = do.file(subject="Booking page returns 500", priority="critical")
        do.at("2026-11-20T10:05").reply(ticket, "Looking at it now")
    out = cli.ok("show", f"#{ticket}", now="2026-11-20T12:00").stdout
    assert "#1 Booking page returns 500" in out
    assert "Fri 20 Nov 2026 10:00 +03 (2 h ago)" in out
    assert "Looking at it now" in out
    assert "first response" in out


def test_show_refuses_a_bad_id(cli):
    cli.refused(2, "'abc' is not a ticket number", "show", "abc", now=LATER)


def test_show_unknown_ticket_is_not_found(cli):
    cli.refused(3, "no ticket #99", "show", "99", now=LATER)


# ---- list --------------------------------------------------------------------------


@pytest.fixture
def busy(cli) -> Cli:
    with api(cli) as do:
        do.file(now="2026-11-18T10:00", subject="Mail bounces", customer="a@example.com", priority="high")
        do.file(now="2026-11-19T10:00", subject="Invoice twice", customer="b@example.com", department="billing")
        do.file(now="2026-11-20T10:00", subject="DNS MX records", customer="a@example.com", priority="low")
        do.at("2026-11-20T11:00").assign(1, "me")
        do.at("2026-11-20T11:00").wait(2)
    return cli


def _ids(cli, *args):
    return [t["id"] for t in cli.json("list", *args, now="2026-11-20T12:00")]


def test_list_filters(busy):
    assert _ids(busy) == [3, 2, 1]
    assert _ids(busy, "--sort", "oldest") == [1, 2, 3]
    assert _ids(busy, "--status", "pending") == [2]
    assert _ids(busy, "--status", "active") == [3, 2, 1]
    assert _ids(busy, "--priority", "high,low") == [3, 1]
    assert _ids(busy, "--department", "billing") == [2]
    assert _ids(busy, "--customer", "a@example.com") == [3, 1]
    assert _ids(busy, "--assignee", "me") == [1]
    assert _ids(busy, "--assignee", "tester") == [1]
    assert _ids(busy, "--assignee", "none") == [3, 2]
    assert _ids(busy, "--created-after", "2026-11-19T00:00") == [3, 2]
    assert _ids(busy, "--created-before", "2026-11-19T10:00") == [1]
    assert _ids(busy, "--search", "invoice") == [2]
    assert _ids(busy, "--search", "bounc") == [1]  # prefix match
    assert _ids(busy, "--limit", "2") == [3, 2]


def test_list_table_says_when_it_is_cut(busy):
    result = busy.ok("list", "--limit", "1", now="2026-11-20T12:00")
    assert "DNS MX records" in result.stdout
    assert "showing 1 of 3" in result.stderr


def test_list_csv_has_the_json_fields_as_columns(busy):
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(busy.ok("list", "--csv", now="2026-11-20T12:00").stdout)))
    assert [r["id"] for r in rows] == ["3", "2", "1"]
    assert rows[2]["assignee"] == "tester"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--status", "done"], "unknown status 'done'"),
        (["--created-after", "yesterdayish"], "cannot read time 'yesterdayish'"),
        (["--limit", "-1"], "--limit must be 0"),
        (["--sort", "random"], "unknown sort 'random'"),
        (["--json", "--csv"], "choose one of --json and --csv"),
        (["--customer", "nobody"], "is not an e-mail address"),
    ],
)
def test_list_refuses_bad_filters(busy, args, fragment):
    busy.refused(2, fragment, "list", *args, now="2026-11-20T12:00")


# ---- the lifecycle -----------------------------------------------------------------


def test_a_ticket_lifecycle_is_fully_logged(cli):
    ticket = str(file_ticket(cli, now="2026-11-20T10:00"))
    cli.ok("reply", ticket, "-m", "Which domain?", now="2026-11-20T10:10")
    cli.ok("wait", ticket, now="2026-11-20T10:11")
    cli.ok("resume", ticket, now="2026-11-20T11:00")
    cli.ok("close", ticket, "--reason", "resolved", now="2026-11-20T12:00")
    cli.ok("reopen", ticket, now="2026-11-21T09:00")
    events = [e for e in cli.json("log", ticket, now="2026-11-21T09:00") if e["kind"] != "deadlines"]
    assert [(e["kind"], e["actor"], e["at"]) for e in events] == [
        ("filed", "agent:tester", "2026-11-20T07:00:00Z"),
        ("reply", "agent:tester", "2026-11-20T07:10:00Z"),
        ("wait", "agent:tester", "2026-11-20T07:11:00Z"),
        ("resume", "agent:tester", "2026-11-20T08:00:00Z"),
        ("close", "agent:tester", "2026-11-20T09:00:00Z"),
        ("reopen", "agent:tester", "2026-11-21T06:00:00Z"),
    ]
    assert events[2]["details"]["before"]["status"] == "open"
    assert events[2]["details"]["after"] == {"status": "pending", "resolve_by": None}
    table = cli.ok("log", ticket, now="2026-11-21T09:00").stdout
    for word in ("filed", "reply", "wait", "resume", "close", "reopen", "agent:tester", "Fri 20 Nov 10:11 +03"):
        assert word in table
    ticket_json = cli.json("show", ticket, now="2026-11-21T09:00")
    assert ticket_json["status"] == "open"
    assert ticket_json["resolved_at"] is None


def test_desk_log_lists_events_of_every_ticket(busy):
    events = busy.json("log", now="2026-11-20T12:00")
    assert {e["ticket_id"] for e in events} == {None, 1, 2, 3}
    assert busy.json("log", "--limit", "2", now="2026-11-20T12:00")[-1]["kind"] == "wait"


def test_log_of_unknown_ticket_is_not_found(cli):
    cli.refused(3, "no ticket #7", "log", "7", now=LATER)


# ---- reply -------------------------------------------------------------------------


def test_first_public_reply_is_the_first_response(cli):
    ticket = str(file_ticket(cli))
    cli.ok("reply", ticket, "-m", "note", "--internal", now="2026-11-20T10:05")
    assert cli.json("show", ticket, now="2026-11-20T10:05")["first_response_at"] is None
    cli.ok("reply", ticket, "-m", "On it", now="2026-11-20T10:20")
    cli.ok("reply", ticket, "-m", "Fixed?", now="2026-11-20T11:00")
    data = cli.json("show", ticket, now="2026-11-20T11:00")
    assert data["first_response_at"] == "2026-11-20T07:20:00Z"
    assert data["status"] == "open"
    assert [(m["internal"], m["body"]) for m in data["messages"]] == [
        (True, "note"), (False, "On it"), (False, "Fixed?"),
    ]


def test_reply_reads_stdin(cli):
    ticket = str(file_ticket(cli))
    cli.ok("reply", ticket, "-m", "-", input="from a pipe\n", now=LATER)
    assert cli.json("show", ticket, now=LATER)["messages"][0]["body"] == "from a pipe"


def closed_ticket(cli) -> str:
    """A ticket filed at 10:00 and closed as a duplicate at 10:30."""
    from supportdesk import CloseReason

    with api(cli) as do:
        ticket = do.file()
        do.at("2026-11-20T10:30").close_tickets([ticket], CloseReason.DUPLICATE)
    return str(ticket)


def test_reply_to_a_closed_ticket_is_refused(cli):
    ticket = closed_ticket(cli)
    cli.refused(1, f"ticket #{ticket} is closed: it cannot take a public reply; reopen it first", "reply", ticket, "-m", "hi", now=LATER)


def test_internal_note_on_a_closed_ticket_is_allowed(cli):
    ticket = closed_ticket(cli)
    cli.ok("reply", ticket, "-m", "for the record", "--internal", now=LATER)


def test_empty_reply_is_refused(cli):
    with api(cli) as do:
        ticket = str(do.file())
    cli.refused(2, "the message is empty", "reply", ticket, "-m", " ", now=LATER)


# ---- assign ------------------------------------------------------------------------


def test_assign_to_an_agent_and_back(cli):
    with api(cli) as do:
        do.at("2026-11-16T09:00").add_agent("ayse", name="Ayşe Demir")
        ticket = str(do.file())
    assert cli.json("assign", ticket, "--to", "ayse", now="2026-11-20T10:10")["assignee"] == "ayse"
    assert cli.json("assign", ticket, "--to", "me", now="2026-11-20T10:20")["assignee"] == "tester"
    assert cli.json("assign", ticket, "--to", "none", now="2026-11-20T10:30")["assignee"] is None
    kinds = [e["details"]["after"]["assignee"] for e in cli.json("log", ticket, now=LATER) if e["kind"] == "assign"]
    assert kinds == ["ayse", "tester", None]


def test_assign_to_an_unknown_agent_is_not_found(cli):
    with api(cli) as do:
        ticket = str(do.file())
    cli.refused(3, "no agent 'zeki'; agents of this desk: tester", "assign", ticket, "--to", "zeki", now=LATER)


def test_assign_to_the_same_agent_is_refused(cli):
    with api(cli) as do:
        ticket = str(do.file())
        do.at("2026-11-20T10:30").assign(int(ticket), "me")
    cli.refused(1, "already assigned to tester", "assign", ticket, "--to", "me", now=LATER)


# ---- wait / resume -----------------------------------------------------------------


def test_resume_an_open_ticket_names_its_state(cli):
    with api(cli) as do:
        ticket = str(do.file())
        do.at("2026-11-20T10:30").reply(int(ticket), "hi")
    cli.refused(1, f"ticket #{ticket} is open: there is nothing to resume", "resume", ticket, now=LATER)


def test_wait_on_a_pending_ticket_is_refused(cli):
    with api(cli) as do:
        ticket = str(do.file())
        do.at("2026-11-20T10:30").wait(int(ticket))
    cli.refused(1, "is pending: it cannot be put on hold", "wait", ticket, now=LATER)


# ---- close -------------------------------------------------------------------------


def test_close_resolves_then_archives(cli):
    ticket = str(file_ticket(cli))
    summary = cli.json("close", ticket, now="2026-11-20T12:00")
    assert summary["changed"] == [{"id": 1, "before": "new", "after": "resolved"}] and summary["skipped"] == []
    data = cli.json("show", ticket, now="2026-11-20T12:00")
    assert (data["status"], data["close_reason"], data["resolved_at"]) == ("resolved", "resolved", "2026-11-20T09:00:00Z")
    cli.ok("close", ticket, now="2026-11-21T12:00")
    data = cli.json("show", ticket, now="2026-11-21T12:00")
    assert (data["status"], data["closed_at"]) == ("closed", "2026-11-21T09:00:00Z")


def test_close_with_another_reason_closes_at_once(cli):
    ticket = str(file_ticket(cli))
    data = cli.json("close", ticket, "--reason", "out-of-scope", now=LATER)
    assert data["changed"] == [{"id": 1, "before": "new", "after": "closed"}]
    assert cli.json("show", ticket, now=LATER)["close_reason"] == "out-of-scope"


def test_close_many_ids_skips_the_already_closed(cli):
    from supportdesk import CloseReason

    with api(cli) as do:
        for _ in range(3):
            do.file()
        do.at("2026-11-20T10:30").close_tickets([2], CloseReason.DUPLICATE)
    result = cli("close", "1", "2", "3", "--reason", "duplicate", now=LATER)
    assert result.exit_code == 5, result.output  # some were skipped
    assert "closed 2 tickets (reason duplicate): #1 #3; skipped 1 (#2 already closed); operation " in result.stderr
    assert {t["status"] for t in cli.json("list", now=LATER)} == {"closed"}


def test_close_with_an_unknown_id_closes_nothing(cli):
    with api(cli) as do:
        do.file()
    cli.refused(3, "1 of the tickets do not exist (#5); nothing was closed", "close", "1", "5", now=LATER)


def test_close_reads_ids_from_stdin(cli):
    with api(cli) as do:
        for _ in range(3):
            do.file()
    cli.ok("close", "--stdin", "--reason", "no-response", input="1\n#3\n", now=LATER)
    assert [t["status"] for t in cli.json("list", "--sort", "id", now=LATER)] == ["closed", "new", "closed"]


def test_close_reads_list_json_from_stdin(cli):
    with api(cli) as do:
        for customer in ("a@example.com", "b@example.com", "a@example.com"):
            do.file(customer=customer)
    listing = cli.ok("list", "--customer", "a@example.com", "--json", now=LATER).stdout
    summary = json.loads(cli.ok("close", "--stdin", "--json", input=listing, now=LATER).stdout)
    assert sorted(t["id"] for t in summary["changed"]) == [1, 3]


def test_close_by_filter(busy):
    summary = busy.json("close", "--customer", "a@example.com", "--reason", "resolved", now="2026-11-20T12:00")
    assert sorted(t["id"] for t in summary["changed"]) == [1, 3]


def test_close_dry_run_changes_nothing(busy):
    before = busy.dump()
    result = busy.ok("close", "--status", "active", "--dry-run", now="2026-11-20T12:00")
    assert "would resolve 3 tickets: #1 #2 #3" in result.stderr
    assert busy.dump() == before


def test_closing_many_needs_yes_when_not_interactive(cli):
    with api(cli) as do:
        ids = [str(do.file()) for _ in range(21)]
    cli.refused(1, "this would close 21 tickets with reason resolved; add --yes to confirm", "close", *ids, now=LATER)
    assert len(cli.json("close", *ids, "--yes", now=LATER)["changed"]) == 21


@pytest.mark.parametrize(
    ("args", "piped", "fragment"),
    [
        (["1", "--reason", "bored"], None, "unknown close reason 'bored'"),
        ([], None, "say which tickets to close"),
        (["1", "--status", "new"], None, "say which tickets to close"),
        (["--stdin", "--json"], "[{", "standard input is not valid JSON"),
        (["--stdin"], '[{"name": 1}]', "must be ticket objects with an id"),
        (["--stdin"], "1\nx\n", "'x' is not a ticket number"),
    ],
)
def test_close_refusals(cli, args, piped, fragment):
    with api(cli) as do:
        do.file()
    cli.refused(2, fragment, "close", *args, input=piped, now=LATER)


def test_close_stdin_needs_a_pipe(cli, monkeypatch):
    import io

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr("sys.stdin", Tty(""))
    from supportdesk.cli.bulk import ids_from_stdin
    from supportdesk.errors import InvalidInput

    with pytest.raises(InvalidInput, match="--stdin given but nothing is piped"):
        ids_from_stdin("close")


def test_close_filter_matching_everything_is_refused(cli):
    with api(cli) as do:
        do.file()
    cli.refused(2, "say which tickets to close", "close", now=LATER)


# ---- reopen ------------------------------------------------------------------------


def test_reopen_within_the_window(cli):
    from supportdesk import CloseReason

    with api(cli) as do:
        ticket = str(do.file())
        do.at("2026-11-20T12:00").close_tickets([int(ticket)], CloseReason.RESOLVED)
    assert cli.json("reopen", ticket, now="2026-12-19T12:00")["status"] == "open"


def test_reopen_after_the_window_asks_for_a_new_ticket(cli):
    from supportdesk import CloseReason

    with api(cli) as do:
        ticket = str(do.file())
        do.at("2026-11-20T12:00").close_tickets([int(ticket)], CloseReason.RESOLVED)
    cli.refused(
        1,
        f"this desk reopens tickets within 30 days and #{ticket} ended on 2026-11-20; file a new ticket referencing #{ticket}",
        "reopen", ticket, now="2026-12-21T12:00",
    )


def test_reopen_an_open_ticket_is_refused(cli):
    with api(cli) as do:
        ticket = str(do.file())
    cli.refused(1, "is new: there is nothing to reopen; only resolved or closed tickets", "reopen", ticket, now=LATER)


# ---- global options and the desk file -----------------------------------------------


def test_bad_now_is_refused(cli):
    cli.refused(2, "--now: cannot read time 'teatime'", "list", now="teatime")


def test_now_env_var_is_used(cli, monkeypatch):
    with api(cli) as do:
        ticket = do.file(now="2026-11-19T10:00")
    monkeypatch.setenv("SUPPORTDESK_NOW", "2026-11-20T10:00")
    cli.ok("reply", str(ticket), "-m", "hi")
    assert cli.json("show", str(ticket))["first_response_at"] == "2026-11-20T07:00:00Z"


def test_a_user_who_is_not_an_agent_is_refused(cli):
    cli.refused(1, "you (mallory) are not an agent", "list", env={"SUPPORTDESK_USER": "mallory"}, now=LATER)


def test_unknown_command_is_one_line(cli):
    cli.refused(2, "No such command", "frobnicate", now=LATER)


def test_version(bare_cli):
    from supportdesk import __version__

    assert bare_cli.ok("--version").stdout.strip() == f"supportdesk {__version__}"


def test_no_arguments_prints_help(bare_cli):
    from typer.testing import CliRunner

    from supportdesk.cli import app

    result = CliRunner().invoke(app, [])
    assert result.exit_code == 0
    assert "Commands" in result.stdout


def test_a_file_that_is_not_a_desk_is_refused(bare_cli):
    bare_cli.path.write_text("hello, I am a text file" * 100)
    bare_cli.refused(4, "is not a supportdesk desk", "list", now=LATER)


def test_a_locked_desk_is_refused_clearly(cli, monkeypatch):
    import sqlite3

    import supportdesk.store.sqlite_files

    with api(cli) as do:
        ticket = str(do.file())
    monkeypatch.setattr(supportdesk.store.sqlite_files, "BUSY_TIMEOUT_SECONDS", 0.05)
    holder = sqlite3.connect(cli.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = cli("reply", ticket, "-m", "hi", now=LATER)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 4, result.output
    assert result.stderr.strip() == f"error: the desk {cli.path} is busy (another supportdesk is writing); try again in a moment"
    assert cli.json("show", ticket, now=LATER)["messages"] == []


def test_agent_add_is_for_admins(cli):
    cli.ok("agent", "add", "burak", now=LATER)
    cli.refused(1, "only an admin may add agents", "agent", "add", "zeki", env={"SUPPORTDESK_USER": "burak"}, now=LATER)
    cli.refused(1, "agent burak already exists", "agent", "add", "burak", now=LATER)
    cli.refused(2, "unknown role 'boss'", "agent", "add", "cem", "--role", "boss", now=LATER)
    out = cli.ok("agent", "list", now=LATER).stdout
    assert "burak" in out and "engineer" in out
