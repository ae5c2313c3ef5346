"""Bulk operations: close, assign and escalate --auto over ids, standard input or
filters, as one operation each; dry runs, confirmation, exit codes, and undo."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys

import pytest

from conftest import api

NOW = "2026-11-27T10:00"
LATER = "2026-11-27T11:00"


@pytest.fixture
def desk(cli):
    """Eight tickets on the hosting-general desk: new, answered, pending (paused), breached,
    resolved; two agents."""
    from supportdesk import CloseReason

    with api(cli) as do:
        do.agents("ayse", "burak")
        for day, priority in [(16, "low"), (17, "normal"), (18, "high"), (19, "low"), (20, "normal"), (23, "critical"), (24, "low"), (26, "normal")]:
            do.file(now=f"2026-11-{day}T10:00", subject=f"Ticket of the {day}th", priority=priority)
        do.at("2026-11-18T11:00").reply(2, "Which domain?")
        do.at("2026-11-18T11:05").wait(2)  # pending: its resolution clock is paused
        do.at("2026-11-19T12:00").reply(3, "Looking")
        do.at("2026-11-20T09:00").close_tickets([1], CloseReason.RESOLVED)
        do.at("2026-11-24T11:00").assign(7, "ayse")
    return cli


def rows(cli) -> dict[int, dict]:
    conn = sqlite3.connect(cli.path)
    conn.row_factory = sqlite3.Row
    try:
        return {r["id"]: dict(r) for r in conn.execute("SELECT * FROM tickets ORDER BY id")}
    finally:
        conn.close()


def events_of(cli, operation: str) -> list[dict]:
    conn = sqlite3.connect(cli.path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM events WHERE operation = ? ORDER BY id", [operation])]
    finally:
        conn.close()


def run(cli, *args, code=0, **kwargs):
    result = cli(*args, **kwargs)
    assert result.exit_code == code, result.output
    return result


# ---- the three ways to name tickets ----------------------------------------------------


def test_close_by_filter_is_one_operation_with_one_event_a_ticket(desk):
    out = json.loads(run(desk, "close", "--priority", "low", "--reason", "no-response", "--json", now=NOW).stdout)
    assert out["action"] == "close" and out["reason"] == "no-response" and out["dry_run"] is False and out["source"] == "filter"
    # #1 was resolved: closing archives it; #4 and #7 were open.
    assert out["changed"] == [{"id": 1, "before": "resolved", "after": "closed"}, {"id": 4, "before": "new", "after": "closed"}, {"id": 7, "before": "new", "after": "closed"}]
    assert out["skipped"] == []
    events = events_of(desk, out["operation"])
    assert [(e["ticket_id"], e["kind"]) for e in events] == [(1, "close"), (4, "close"), (7, "close")]
    assert all(json.loads(e["changes"])["status"][1] == "closed" for e in events)
    listed = desk.json("operations", now=NOW)[0]
    assert (listed["id"], listed["kind"], listed["changed"], listed["arguments"]["reason"]) == (out["operation"], "close", 3, "no-response")


def test_close_reads_ids_one_a_line_or_the_json_of_list(desk):
    first = json.loads(run(desk, "close", "--stdin", "--json", "--reason", "incomplete", input="4\n#5\n\n", now=NOW).stdout)
    assert [t["id"] for t in first["changed"]] == [4, 5]
    listing = desk.ok("list", "--priority", "normal", "--status", "active", "--json", now=NOW).stdout
    second = json.loads(run(desk, "close", "--stdin", "--json", input=listing, now=NOW).stdout)
    assert sorted(t["id"] for t in second["changed"]) == [2, 8]
    assert second["source"] == "stdin" and first["operation"] != second["operation"]


def test_assign_takes_ids_stdin_and_filters(desk):
    by_ids = json.loads(run(desk, "assign", "3", "4", "--to", "burak", "--json", now=NOW).stdout)
    assert by_ids["changed"] == [{"id": 3, "before": None, "after": "burak"}, {"id": 4, "before": None, "after": "burak"}]
    by_stdin = json.loads(run(desk, "assign", "--stdin", "--to", "ayse", "--json", input="[5, 6]", now=NOW).stdout)
    assert [t["id"] for t in by_stdin["changed"]] == [5, 6]
    by_filter = run(desk, "assign", "--priority", "low", "--to", "me", now=NOW)
    assert "assigned 3 tickets to tester: #1 #4 #7; operation " in by_filter.stderr
    assert sorted(t["id"] for t in desk.json("list", "--assignee", "tester", now=NOW)) == [1, 4, 7]


def test_assign_skips_closed_tickets_and_those_already_theirs(desk):
    desk.ok("close", "4", "--reason", "no-response", now=NOW)
    result = run(desk, "assign", "4", "7", "8", "--to", "ayse", "--json", now=NOW, code=5)
    out = json.loads(result.stdout)
    assert [t["id"] for t in out["changed"]] == [8]
    assert out["skipped"] == [
        {"id": 4, "status": "closed", "why": "closed: cannot assign it; reopen it first"},
        {"id": 7, "status": "new", "why": "already assigned to ayse"},
    ]


def test_one_ticket_assign_keeps_its_answer_and_refusals(desk):
    assert desk.json("assign", "3", "--to", "ayse", now=NOW)["assignee"] == "ayse"
    desk.refused(1, "ticket #3 is already assigned to ayse", "assign", "3", "--to", "ayse", now=NOW)
    desk.refused(3, "no agent 'zed'", "assign", "3", "4", "--to", "zed", now=NOW)
    desk.refused(2, "say who gets the tickets with --to", "assign", "3", now=NOW)


def test_escalate_auto_over_a_filter_escalates_only_those(desk):
    everything = json.loads(run(desk, "escalate", "--auto", "--dry-run", "--json", now=NOW).stdout)
    assert len(everything["changed"]) > 2
    only = json.loads(run(desk, "escalate", "--auto", "--priority", "high,critical", "--json", "--yes", now=NOW).stdout)
    assert sorted(t["id"] for t in only["changed"]) == [3, 6]
    assert only["operation"] and only["action"] == "escalate"
    piped = json.loads(run(desk, "escalate", "--auto", "--stdin", "--json", input="5\n", now=NOW).stdout)
    assert [t["id"] for t in piped["changed"]] == [5]


# ---- dry runs, confirmation, exit codes -------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["close", "--status", "active", "--dry-run"],
        ["assign", "--status", "active", "--to", "ayse", "--dry-run"],
        ["escalate", "--auto", "--dry-run"],
    ],
)
def test_a_dry_run_changes_nothing(desk, args):
    before = desk.dump()
    result = desk(*args, "--json", now=NOW)
    out = json.loads(result.stdout)
    assert result.exit_code == (5 if out["skipped"] else 0), result.output
    assert out["dry_run"] is True and out["operation"] is None and out["changed"]
    assert desk.dump() == before


def many(cli, count: int) -> list[str]:
    with api(cli) as do:
        return [str(do.file(now="2026-11-26T12:00", subject=f"Batch {n}")) for n in range(count)]


def test_more_than_twenty_need_yes_without_a_terminal(cli):
    ids = many(cli, 21)
    cli.refused(1, "this would close 21 tickets with reason resolved; add --yes to confirm, or --dry-run to preview", "close", *ids, now=NOW)
    cli.refused(1, "this would assign 21 tickets to me; add --yes", "assign", *ids, "--to", "me", now=NOW)
    assert len(cli.json("close", *ids[:20], now=NOW)["changed"]) == 20  # twenty: no question


def test_the_threshold_comes_from_the_user_settings_file(cli, tmp_path, monkeypatch):
    ids = many(cli, 21)
    settings = tmp_path / "settings.toml"
    monkeypatch.setenv("SUPPORTDESK_CONFIG", str(settings))
    settings.write_text("[bulk]\nconfirm_above = 5\n")
    cli.refused(1, "this would close 6 tickets", "close", *ids[:6], now=NOW)
    settings.write_text("[bulk]\nconfirm_above = 50\n")
    assert len(cli.json("close", *ids, now=NOW)["changed"]) == 21
    settings.write_text("[bulk]\nconfirm_above = 'many'\n")
    cli.refused(2, f"{settings}: bulk.confirm_above must be a whole number", "assign", *ids, "--to", "me", now=NOW)
    settings.write_text("[bulk\n")
    cli.refused(2, f"the settings file {settings} is not valid TOML", "assign", *ids, "--to", "me", now=NOW)


def test_a_declined_confirmation_changes_nothing(desk):
    from supportdesk import CloseReason
    from supportdesk.errors import Refused

    before = desk.dump()
    with api(desk) as do, pytest.raises(Refused, match="nothing was closed"):
        do.at(NOW).bulk_close(CloseReason.RESOLVED, ids=[3, 4, 5], confirm=lambda count: count == 99, confirm_above=2)
    assert desk.dump() == before
    asked = []
    with api(desk) as do:
        outcome = do.at(NOW).bulk_close(CloseReason.RESOLVED, ids=[3, 4, 5], confirm=lambda count: asked.append(count) or True, confirm_above=2)
    assert asked == [3] and len(outcome.changed) == 3


@pytest.mark.parametrize(
    ("piped", "fragment"),
    [
        ('[{"id": 99999999999999999999}]', "larger than any ticket number can be"),
        ("[1, true]", "must be ticket objects with an id, or a list of ids"),
        ('{"id": "4"}', "must be ticket objects with an id, or a list of ids"),
        ("4\n\x1b[2J\n", "is not a ticket number"),
    ],
)
def test_bad_ids_on_standard_input_are_refused_and_nothing_changes(desk, piped, fragment):
    desk.refused(2, fragment, "close", "--stdin", "--reason", "no-response", input=piped, now=NOW)
    desk.refused(2, fragment, "assign", "--stdin", "--to", "ayse", input=piped, now=NOW)


def test_exit_codes_all_done_some_skipped_nothing_matched(desk):
    assert run(desk, "close", "4", now=NOW).exit_code == 0
    desk.ok("close", "4", now=NOW)  # resolved, then archived: closed
    skipped = run(desk, "close", "4", "5", "--reason", "no-response", now=NOW, code=5)
    assert "closed 1 ticket (reason no-response): #5; skipped 1 (#4 already closed); operation " in skipped.stderr
    nothing = run(desk, "close", "--customer", "nobody@example.com", now=NOW)
    assert "nothing to close: no ticket matches" in nothing.stderr
    empty = json.loads(run(desk, "close", "--stdin", "--json", input="", now=NOW).stdout)
    assert empty["changed"] == [] and empty["skipped"] == []


def test_the_summary_goes_to_stderr_and_json_to_stdout(desk):
    result = run(desk, "close", "4", "5", now=NOW)
    assert result.stdout == "" and "resolved 2 tickets: #4 #5; operation " in result.stderr
    assert "`supportdesk undo " in result.stderr


# ---- undo -------------------------------------------------------------------------------


def test_closed_notices_are_worded_for_each_ticket_whatever_its_subject(cli):
    """A close words its notice once and the store puts in each ticket's number and
    subject: the rows are those the notice's template gives for each ticket."""
    from supportdesk import notices

    subjects = ["Costs $id or {id} or %s, 100% \\ 'single' \"double\"", "Ünïcödé — 日本語 \ue000id\ue000 \ue000subject\ue000 #1"]
    with api(cli) as do:
        ids = [do.file(subject=subject, customer=customer) for subject, customer in zip(subjects, ["ada@example.com", "grace@example.com"])]
    cli.ok("close", *map(str, ids), "--reason", "no-response", now=NOW)
    conn = sqlite3.connect(cli.path)
    conn.row_factory = sqlite3.Row
    queued = {r["ticket_id"]: dict(r) for r in conn.execute("SELECT * FROM outbox WHERE kind = 'closed'")}
    conn.close()
    for ticket_id, subject, customer in zip(ids, subjects, ["ada@example.com", "grace@example.com"]):
        hint = f"Reply within 30 days to reopen it; after that, file a new ticket referencing #{ticket_id}."
        assert (queued[ticket_id]["subject"], queued[ticket_id]["body"]) == notices.render("closed", id=ticket_id, subject=subject, reason="no response", reopen=hint)
        assert queued[ticket_id]["recipient"] == f"customer:{customer}" and queued[ticket_id]["channel"] == "email"
        assert json.loads(queued[ticket_id]["fields"]) == {"close_reason": "no-response"}


def test_undo_of_a_close_restores_every_row_exactly(desk):
    before = rows(desk)
    out = desk.json("close", "--status", "active", "--reason", "no-response", "--yes", now=NOW)
    closed = rows(desk)
    assert {t["id"] for t in out["changed"]} == {2, 3, 4, 5, 6, 7, 8}
    assert closed[2]["paused_at"] is None and closed[6]["respond_breached_at"] is not None  # the close stopped clocks
    assert desk.json("outbox", "--pending", now=NOW)
    undone = desk.json("undo", out["operation"], now=LATER)
    assert undone["action"] == "undo" and undone["undoes"] == out["operation"] and len(undone["changed"]) == 7
    assert undone["notifications"] == 7  # the closed notices, never sent, are withdrawn
    after = rows(desk)
    for ticket_id, row in before.items():
        # Every column as it was; updated_at records the undo itself.
        assert {k: v for k, v in after[ticket_id].items() if k != "updated_at"} == {k: v for k, v in row.items() if k != "updated_at"}, ticket_id
    assert after[2]["updated_at"] == "2026-11-27T08:00:00Z"
    log = desk.json("log", "2", now=LATER)
    assert [e["kind"] for e in log][-2:] == ["close", "undo"]
    assert log[-1]["details"] == {"undoes": out["operation"], "action": "close", "before": {"status": "closed"}, "after": {"status": "pending"}}
    assert f"undid the close of operation {out['operation']} (status closed → pending)" in desk.ok("log", "2", now=LATER).stdout
    listed = {o["id"]: o for o in desk.json("operations", now=LATER)}
    assert listed[out["operation"]]["undone_by"] == undone["operation"]
    assert listed[undone["operation"]]["undoes"] == out["operation"]


def test_undo_of_an_assign_and_of_an_escalation(desk):
    before = rows(desk)
    assigned = desk.json("assign", "3", "4", "7", "--to", "burak", now=NOW)
    escalated = desk.json("escalate", "--auto", "--priority", "critical", "--yes", now=NOW)
    assert escalated["changed"][0]["id"] == 6
    desk.ok("undo", escalated["operation"], now=LATER)
    desk.ok("undo", assigned["operation"], now=LATER)
    after = rows(desk)
    assert all({k: v for k, v in after[i].items() if k != "updated_at"} == {k: v for k, v in before[i].items() if k != "updated_at"} for i in before)


def test_undo_is_refused_naming_the_tickets_changed_since(desk):
    out = desk.json("close", "4", "5", "8", "--reason", "no-response", now=NOW)
    desk.ok("reopen", "5", now=LATER)
    desk.ok("reply", "8", "-m", "One more thing, closed anyway", "--internal", now=LATER)
    desk.refused(1, f"cannot undo {out['operation']}: 2 of its tickets changed after it (#5, #8)", "undo", out["operation"], now=LATER)


def test_undo_is_refused_when_a_ticket_was_changed_without_an_event(desk):
    out = desk.json("close", "4", "5", "--reason", "no-response", now=NOW)
    conn = sqlite3.connect(desk.path)  # an edit outside supportdesk, which writes no event
    conn.execute("UPDATE tickets SET close_reason = 'spam' WHERE id = 5")
    conn.commit()
    conn.close()
    desk.refused(1, f"cannot undo {out['operation']}: #5 no longer has the values it left (close_reason)", "undo", out["operation"], now=LATER)


def test_undo_is_refused_when_its_events_name_a_column_the_desk_lacks(desk):
    out = desk.json("close", "4", "--reason", "no-response", now=NOW)
    conn = sqlite3.connect(desk.path)  # an event of the operation from some other desk
    conn.execute(
        "INSERT INTO events (ticket_id, at, actor, kind, details, changes, operation) VALUES (5, ?, 'agent:x', 'close', '{}', ?, ?)",
        ["2026-11-27T07:00:00Z", json.dumps({"colour": ["red", "blue"]}), out["operation"]],
    )
    conn.commit()
    conn.close()
    desk.refused(1, f"cannot undo {out['operation']}: its events name columns this desk does not have (colour)", "undo", out["operation"], now=LATER)


def test_undo_in_place_writes_what_undo_planned_ticket_by_ticket_writes(desk, tmp_path, monkeypatch):
    """The usual undo (each ticket changed by one event) is checked and written in SQL;
    one planned ticket by ticket (as for a ticket changed twice) leaves the same rows
    and the same events."""
    from conftest import Cli
    from supportdesk.desk.bulk import Bulk

    out = desk.json("close", "--status", "active", "--reason", "no-response", "--yes", now=NOW)
    planned = Cli(tmp_path / "planned.db")
    shutil.copyfile(desk.path, planned.path)
    in_place = desk.json("undo", out["operation"], now=LATER)
    monkeypatch.setattr(Bulk, "_changed_once", staticmethod(lambda recorded: False))
    one_by_one = planned.json("undo", out["operation"], now=LATER)
    assert rows(desk) == rows(planned)
    assert {k: v for k, v in in_place.items() if k != "operation"} == {k: v for k, v in one_by_one.items() if k != "operation"}

    def written(cli, operation):
        return [(e["ticket_id"], e["at"], e["actor"], e["kind"], json.loads(e["details"]), json.loads(e["changes"])) for e in events_of(cli, operation)]

    assert written(desk, in_place["operation"]) == written(planned, one_by_one["operation"])
    assert len(written(desk, in_place["operation"])) == 7


def test_a_close_in_chunks_written_behind_writes_what_one_inline_pass_writes(desk, tmp_path, monkeypatch):
    """A bulk operation reads the next chunk of tickets while a helper thread writes the
    last: in chunks of two, written behind, the desk ends as after one pass written
    inline, and so does its undo."""
    from contextlib import contextmanager

    from conftest import Cli
    from supportdesk.desk import bulk
    from supportdesk.store.sqlite_operations import SqliteOperations

    inline = Cli(tmp_path / "inline.db")
    shutil.copyfile(desk.path, inline.path)
    monkeypatch.setattr(bulk, "CHUNK", 2)
    behind = desk.json("close", "--status", "active", "--reason", "no-response", "--yes", now=NOW)
    monkeypatch.setattr(bulk, "CHUNK", 5000)
    monkeypatch.setattr(SqliteOperations, "background_writes", contextmanager(lambda self, read_aside=False: iter([None])))
    one_pass = inline.json("close", "--status", "active", "--reason", "no-response", "--yes", now=NOW)
    assert {k: v for k, v in behind.items() if k != "operation"} == {k: v for k, v in one_pass.items() if k != "operation"}
    assert rows(desk) == rows(inline)

    def written(cli, operation):
        conn = sqlite3.connect(cli.path)
        try:
            events = conn.execute("SELECT ticket_id, at, actor, kind, details, changes FROM events WHERE operation = ? ORDER BY id", [operation]).fetchall()
            outbox = conn.execute("SELECT ticket_id, kind, recipient, subject, body, fields FROM outbox WHERE operation = ? ORDER BY id", [operation]).fetchall()
            return events, outbox
        finally:
            conn.close()

    events, outbox = written(desk, behind["operation"])
    assert (events, outbox) == written(inline, one_pass["operation"])
    assert len(events) == len(outbox) == len(behind["changed"]) == 7
    monkeypatch.setattr(bulk, "CHUNK", 2)
    monkeypatch.setattr(bulk.Bulk, "_changed_once", staticmethod(lambda recorded: False))  # planned chunk by chunk
    desk.json("undo", behind["operation"], now=LATER)
    inline.json("undo", one_pass["operation"], now=LATER)
    assert rows(desk) == rows(inline)


def test_undo_twice_unknown_and_dry_run(desk):
    out = desk.json("close", "4", now=NOW)
    before = desk.dump()
    preview = desk.json("undo", out["operation"], "--dry-run", now=LATER)
    assert preview["dry_run"] and preview["changed"][0]["after"]["status"] == "new" and desk.dump() == before
    desk.ok("undo", out["operation"], now=LATER)
    desk.refused(1, f"operation {out['operation']} was undone already", "undo", out["operation"], now=LATER)
    desk.refused(3, "no operation 'nope'; `supportdesk operations` lists the recent ones", "undo", "nope", now=LATER)
    desk.refused(1, "history stays in order", "undo", desk.json("close", "5", now=LATER)["operation"], now=NOW)


def test_undo_of_an_undo_redoes(desk):
    out = desk.json("close", "4", "5", now=NOW)
    undone = desk.json("undo", out["operation"], now=LATER)
    desk.ok("undo", undone["operation"], now="2026-11-27T12:00")
    assert [t["status"] for t in desk.json("list", "--sort", "id", now="2026-11-27T12:00")][3:5] == ["resolved", "resolved"]


def test_only_agents_undo(desk, frozen_clock):
    out = desk.json("close", "4", now="2026-11-23T09:00")
    token = desk.json("token", "issue", "--customer", "ada@example.com", now="2026-11-23T09:00")["token"]
    before = desk.dump()
    refusal = desk("undo", out["operation"], env={"SUPPORTDESK_TOKEN": token})
    assert refusal.exit_code == 1 and "desk's agents" in refusal.stderr, refusal.output
    assert desk.dump() == before


# ---- the pipeline of the README ---------------------------------------------------------


def readme_pipeline() -> str:
    """The pipeline the README shows admins, as written there."""
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    return next(line for line in text.splitlines() if line.startswith("supportdesk list --status resolved --idle-for 14d --json | jq"))


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed (Debian package jq)")
def test_the_readme_pipeline_runs_as_written_with_a_real_jq(desk):
    """list --json | jq … | close --stdin, as separate processes, exactly as the README has it."""
    import os
    from pathlib import Path

    desk.ok("close", "3", "4", "5", "8", now="2026-11-27T09:00")  # resolved; quiet since
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])  # this supportdesk first
    env = os.environ | {"SUPPORTDESK_DB": str(desk.path), "SUPPORTDESK_NOW": "2026-12-12T10:00", "PATH": path}
    done = subprocess.run(["bash", "-o", "pipefail", "-c", readme_pipeline()], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # Low-priority tickets resolved and quiet for 14 days: #4 and #1 (resolved on 20 Nov);
    # #7 is low but still new, #3, #5 and #8 are resolved but not low.
    assert "closed 2 tickets (reason no-response): #4 #1; operation " in done.stderr
    statuses = {t["id"]: t["status"] for t in desk.json("list", now="2026-12-12T10:00")}
    assert (statuses[1], statuses[4], statuses[7]) == ("closed", "closed", "new")
    assert statuses[3] == statuses[5] == statuses[8] == "resolved"


# ---- progress ---------------------------------------------------------------------------


def test_a_progress_bar_only_on_a_terminal(monkeypatch):
    import io

    from supportdesk.cli.bulk import PROGRESS_FROM, progress_bar

    with progress_bar("closing") as update:
        assert update is None  # stderr is not a terminal here: nothing drawn, nothing to call

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    monkeypatch.setenv("TERM", "xterm")
    with progress_bar("closing") as update:
        assert update is not None
        update(PROGRESS_FROM // 2, PROGRESS_FROM * 2)
        update(PROGRESS_FROM * 2, PROGRESS_FROM * 2)
    assert "closing" in screen.getvalue()


def test_a_resolution_deadline_passed_before_the_wait_is_a_breach_when_closed_pending(cli):
    """Waiting clears the resolution deadline until the ticket resumes; a close while
    pending used to leave a deadline that had already passed unstamped."""
    from datetime import datetime, timedelta

    with api(cli) as do:
        late, early = do.file(now="2026-11-16T10:00", priority="low"), do.file(now="2026-11-16T10:00", priority="low")
    deadline = cli.json("show", str(late), now="2026-11-16T10:05")["resolve_by"]
    after = (datetime.fromisoformat(deadline) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    cli.ok("reply", str(late), "-m", "Send the logs", now="2026-11-16T10:10")
    cli.ok("reply", str(early), "-m", "Send the logs", now="2026-11-16T10:10")
    cli.ok("wait", str(early), now="2026-11-16T10:20")  # well within its deadline
    cli.ok("wait", str(late), now=after)  # an hour past it
    assert cli.json("log", str(late), now=after)[-1]["details"]["breached"] == {"resolve_breached_at": deadline}
    later = (datetime.fromisoformat(deadline) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    cli.ok("close", str(late), str(early), "--reason", "no-response", now=later)
    assert cli.json("show", str(late), now=later)["resolve_breached_at"] == deadline
    assert cli.json("show", str(early), now=later)["resolve_breached_at"] is None
