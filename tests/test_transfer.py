"""`export` and `import`: an exact round trip between desks, redaction of personal data,
CSV from other help desks with their own columns and times, bad rows reported by line
with nothing half-imported, files imported twice, clashing ids, and hostile files."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import EXAMPLES, Cli, api, new_desk

# Desk A is made on Mon 16 Nov 2026 09:00 +03 (Istanbul); everything is exported and
# imported at NOW.
NOW = "2026-11-25T12:00"
NOW_UTC = "2026-11-25T09:00:00Z"
ENGINEER = {"SUPPORTDESK_USER": "burak"}
PERSONAL = ("shop@one.example", "ada@example.com", "ops@acme.example", "Selin", "Kaya", "Acme", "203.0.113.7", "555 01 23", "2001:db8::7")


def query(cli: Cli, sql: str, *params) -> list[dict]:
    conn = sqlite3.connect(cli.path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def without_imported(records: list[dict]) -> list[dict]:
    return [r | {"events": [e for e in r["events"] if e["kind"] != "imported"]} if "events" in r else r for r in records]


def fresh(tmp_path: Path, name: str, policy: Path = EXAMPLES / "hosting-general.toml") -> Cli:
    """Another desk (made, like A, on Mon 16 Nov 2026 09:00 in its zone)."""
    path = tmp_path / name
    new_desk(path, policy)
    return Cli(path)


@pytest.fixture
def desk(cli):
    """Desk A: a reseller (Acme Hosting) with a customer (Selin Kaya, premium), a customer
    new on first contact, an engineer; replies, a note, a pause, an assignment, a
    duplicate close; personal data in subjects, bodies, fields and messages; hostile text."""
    with api(cli) as do:
        do.agents("burak")
        setup = do.at("2026-11-16T09:30")
        setup.add_reseller("ops@acme.example", name="Acme Hosting")
        setup.add_customer("shop@one.example", name="Selin Kaya", reseller="Acme Hosting", package="premium")
        do.file(
            now="2026-11-16T10:00", customer="shop@one.example", subject="Mail for selin@one.example bounces",
            body="Hi, this is Selin Kaya. Call me on +90 (212) 555 01 23; server 203.0.113.7 and 2001:db8::7.",
            category="mail", field="domain=one.example",
        )  # 1
        do.file(now="2026-11-20T10:00", subject="Site down", body="It returns 503 \x1b[2J\u202e evil \x07 text")  # 2
        do.file(now="2026-11-20T11:00", subject="Site still down", priority="low")  # 3
        do.at("2026-11-16T11:00").reply(1, "Dear Selin, we are on it; write to ops@acme.example if needed.")
        do.at("2026-11-16T11:05").reply(1, "Customer's IP is 203.0.113.7", internal=True)
        do.at("2026-11-20T12:00").wait(2)
        do.at("2026-11-21T09:00").resume(2)
    cli.ok("assign", "1", "--to", "burak", now="2026-11-17T09:00")
    cli.ok("close", "3", "--reason", "duplicate", "--of", "2", now="2026-11-21T10:00")
    return cli


def export(cli: Cli, *args: str, env=None) -> list[dict]:
    return lines(cli.ok("export", *args, now=NOW, env=env).stdout)


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    """Write a file in the test's directory (the working directory); its name."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return name


def write_export(tmp_path: Path, name: str, records: list[dict]) -> str:
    return write(tmp_path, name, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


# ---- the round trip ----------------------------------------------------------------------


def test_export_and_import_round_trip_exactly(desk, tmp_path):
    exported = export(desk, "--include-personal-data")
    header, tickets = exported[0], exported[1:]
    assert header == {
        "format": "supportdesk-export", "version": 1, "redacted": False, "exported_at": NOW_UTC, "exported_by": "agent:tester",
        "timezone": "Europe/Istanbul", "tickets": 3, "filters": {},
    }
    assert [t["id"] for t in tickets] == [1, 2, 3]
    one = tickets[0]
    assert one["customers"] == [
        {"email": "shop@one.example", "name": "Selin Kaya", "kind": "customer", "reseller": "ops@acme.example", "package": "premium", "language": None},
        {"email": "ops@acme.example", "name": "Acme Hosting", "kind": "reseller", "reseller": None, "package": None, "language": None},
    ]
    assert [m["internal"] for m in one["messages"]] == [False, True]
    assert one["events"][0]["kind"] == "filed" and one["events"][0]["changes"]["subject"] == [None, "Mail for selin@one.example bounces"]

    other = fresh(tmp_path, "b.db")
    result = other.ok("import", write_export(tmp_path, "a.jsonl", exported), now=NOW)
    assert result.stderr.splitlines()[0] == "imported 3 tickets (#1–#3) from a.jsonl; 3 new customers"
    assert "inactive agent the file assigns tickets to: burak" in result.stderr
    again = export(other, "--include-personal-data")
    assert without_imported(again) == exported
    # Each ticket ends with its `imported` event; the history before it is as it was.
    for ticket in again[1:]:
        imported = ticket["events"][-1]
        assert (imported["kind"], imported["at"], imported["actor"]) == ("imported", NOW_UTC, "agent:tester")
        assert imported["details"]["source"] == "a.jsonl" and imported["details"]["format"] == "jsonl"
        assert imported["changes"]["policy_version"] == [1, None]  # deadlines came from desk A's policy
    assert len({t["events"][-1]["operation"] for t in again[1:]}) == 1  # one transaction
    assert other.ok("check", now=NOW).stderr.startswith("ok: 3 tickets")
    agents = {a["login"]: a for a in other.json("agent", "list", now=NOW)}
    assert agents["burak"]["active"] is False
    selin = other.json("customer", "show", "shop@one.example", now=NOW)
    assert (selin["name"], selin["reseller"], selin["package"]) == ("Selin Kaya", "ops@acme.example", "premium")


def test_text_from_outside_is_kept_exactly_and_shown_inert(desk, tmp_path):
    other = fresh(tmp_path, "b.db")
    other.ok("import", write(tmp_path, "a.jsonl", desk.ok("export", "--include-personal-data", now=NOW).stdout), now=NOW)
    assert other.json("show", "2", now=NOW)["body"] == "It returns 503 \x1b[2J\u202e evil \x07 text"
    shown = other.ok("show", "2", now=NOW).stdout
    assert "\x1b" not in shown and "\u202e" not in shown and "\\x1b[2J" in shown


def test_export_streams_through_standard_input_into_another_desk(desk, tmp_path):
    other = fresh(tmp_path, "b.db")
    text = desk.ok("export", "--include-personal-data", now=NOW).stdout
    result = other.ok("import", "-", input=text, now=NOW)
    assert result.stderr.startswith("imported 3 tickets (#1–#3) from standard input; 3 new customers")
    assert [t["id"] for t in other.json("list", now=NOW)] == [3, 2, 1]


# ---- redaction ---------------------------------------------------------------------------


def test_export_redacts_personal_data_by_default_with_stable_placeholders(desk):
    text = desk.ok("export", now=NOW).stdout
    for value in PERSONAL:
        assert value not in text, value
    header, one, two, _ = lines(text)
    assert header["redacted"] is True
    customer = one["customer"]
    assert customer.startswith("email-") and customer.endswith("@redacted.example")
    assert one["customers"][0]["email"] == customer and one["customers"][0]["name"].startswith("name-")
    assert one["customers"][0]["reseller"] == one["reseller"] == one["customers"][1]["email"]
    filed = one["events"][0]
    assert filed["details"]["after"]["customer"] == customer
    assert filed["changes"]["subject"][1] == one["subject"] == "Mail for " + one["subject"].split()[2] + " bounces"
    assert "phone-" in one["body"] and "ipv4-" in one["body"] and "ipv6-" in one["body"] and "name-" in one["body"]
    # What is not personal stays: states, the policy's names, agents, times, fields' keys.
    assert (one["status"], one["priority"], one["assignee"], one["created_at"]) == ("open", "normal", "burak", "2026-11-16T07:00:00Z")
    assert one["messages"][0]["author"] == "agent:tester" and one["fields"] == {"domain": "one.example"}
    assert two["body"] == "It returns 503 \x1b[2J\u202e evil \x07 text"
    # Placeholders differ from one export to the next (the key is new each time).
    assert lines(desk.ok("export", now=NOW).stdout)[1]["customer"] != customer


def test_a_redacted_export_imports_and_is_marked_as_such(desk, tmp_path):
    other = fresh(tmp_path, "b.db")
    result = other.ok("import", write(tmp_path, "r.jsonl", desk.ok("export", now=NOW).stdout), now=NOW)
    assert "note: r.jsonl is a redacted export" in result.stderr
    events = [e for e in other.json("log", "1", now=NOW) if e["kind"] == "imported"]
    assert events[0]["details"]["redacted"] is True
    assert other.ok("check", now=NOW).stderr.startswith("ok: 3 tickets")


def test_personal_data_and_imports_are_for_admins_only(desk, tmp_path, frozen_clock):
    desk.refused(1, "only an admin may export personal data", "export", "--include-personal-data", now=NOW, env=ENGINEER)
    assert lines(desk.ok("export", now=NOW, env=ENGINEER).stdout)[0]["redacted"] is True
    token = desk.json("token", "issue", "--customer", "ada@example.com", now=NOW)["token"]
    desk.refused(1, "only the desk's agents may use this command", "export", env={"SUPPORTDESK_TOKEN": token})
    file = write(tmp_path, "a.jsonl", desk.ok("export", now=NOW).stdout)
    desk.refused(1, "only an admin may import tickets", "import", file, now=NOW, env=ENGINEER)


# ---- filters, CSV, files -----------------------------------------------------------------


def test_export_takes_the_filters_of_list(desk):
    assert [t["id"] for t in export(desk, "--status", "closed")[1:]] == [3]
    assert [t["id"] for t in export(desk, "--customer", "shop@one.example", "--include-personal-data")[1:]] == [1]
    assert [t["id"] for t in export(desk, "--search", "still")[1:]] == [3]
    header = export(desk, "--status", "active", "--customer", "ada@example.com")[0]
    assert header["tickets"] == 1 and header["filters"]["status"] == "active"
    assert "ada@example.com" not in json.dumps(header)  # the filter's address is redacted too
    desk.refused(2, "unknown --format 'xml'", "export", "--format", "xml", now=NOW)
    desk.refused(2, "unknown status 'gone'", "export", "--status", "gone", now=NOW)


def test_csv_export_has_the_list_columns_and_counts(desk):
    import csv
    import io

    from supportdesk.transfer import CSV_COLUMNS

    rows = list(csv.DictReader(io.StringIO(desk.ok("export", "--format", "csv", "--include-personal-data", now=NOW).stdout)))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [(r["id"], r["customer"], r["customer_name"], r["messages"], r["fields"]) for r in rows[:1]] == [("1", "shop@one.example", "Selin Kaya", "2", "domain=one.example")]
    assert int(rows[0]["events"]) >= 4 and rows[2]["duplicate_of"] == "2"


def test_csv_export_imports_into_another_desk_without_a_map(desk, tmp_path):
    other = fresh(tmp_path, "b.db")
    file = write(tmp_path, "a.csv", desk.ok("export", "--format", "csv", "--include-personal-data", now=NOW).stdout)
    result = other.ok("import", file, now=NOW)
    assert "imported 3 tickets (#1–#3) from a.csv" in result.stderr
    assert "note: columns not imported: package, escalation_level" in result.stderr
    one = other.json("show", "1", now=NOW)
    assert (one["customer"], one["reseller"], one["assignee"], one["fields"], one["created_at"]) == (
        "shop@one.example", "ops@acme.example", "burak", {"domain": "one.example"}, "2026-11-16T07:00:00Z",
    )
    assert [e["kind"] for e in one["events"]] == ["imported"]  # a CSV carries no history
    assert other.ok("check", now=NOW).stderr.startswith("ok: 3 tickets")


def test_output_file_is_private_complete_and_not_overwritten_by_accident(desk, tmp_path):
    target = tmp_path / "out" / "tickets.jsonl"
    desk.refused(2, "no directory", "export", "-o", str(target), now=NOW)
    target.parent.mkdir()
    result = desk.ok("export", "-o", str(target), now=NOW)
    assert result.stdout == "" and result.stderr.strip() == f"exported 3 tickets to {target}"
    assert target.stat().st_mode & 0o777 == 0o600
    desk.refused(2, "exists already; --force replaces it", "export", "-o", str(target), now=NOW)
    desk.refused(2, "is the desk itself", "export", "-o", str(desk.path), "--force", now=NOW)
    desk.ok("export", "-o", str(target), "--force", "--status", "closed", "--include-personal-data", now=NOW)
    assert len(target.read_text().splitlines()) == 2
    assert sorted(p.name for p in target.parent.iterdir()) == ["tickets.jsonl"]  # no temporary file left


# ---- CSV from other help desks -----------------------------------------------------------

ZAMMAD = """\
Number,Title,State,Priority,Group,Owner,Customer,Customer Email,Created at,Updated at,Closed at,Article
31001,Mail bounces,closed,2 normal,Users,,Ayşe Yılmaz,ayse@example.com.tr,2026-11-02 10:15:00 +0300,2026-11-03 09:00:00 +0300,2026-11-03 09:00:00 +0300,"Bounces since Monday,
second line"
31002,VPS unreachable,open,3 high,Servers,burak,Mehmet Öz,mehmet@example.net,2026-11-24T21:30:00Z,2026-11-24T22:00:00Z,,Ping times out
31003,Refund please,pending reminder,1 low,Billing,,Ayşe Yılmaz,ayse@example.com.tr,2026-11-20 14:00:00 +03:00,2026-11-21 10:00:00 +03:00,,Charged twice
"""
ZAMMAD_MAP = (
    "--map", "id=Number,subject=Title,status=State,priority=Priority,department=Group,assignee=Owner,customer_name=Customer",
    "--map", "customer=Customer Email,created_at=Created at,updated_at=Updated at,closed_at=Closed at,body=Article",
    "--value", "status:pending reminder=pending", "--value", "priority:1 low=low", "--value", "priority:2 normal=normal",
    "--value", "priority:3 high=high", "--value", "department:users=technical", "--value", "department:servers=technical",
    "--value", "department:billing=billing",
)


def test_csv_as_zammad_exports_it_comes_in_with_its_times(cli, tmp_path):
    file = write(tmp_path, "zammad.csv", ZAMMAD)
    result = cli.ok("import", file, *ZAMMAD_MAP, now=NOW)
    assert result.stderr.splitlines()[0] == "imported 3 tickets (#31001–#31003) from zammad.csv; 2 new customers"
    closed, vps, refund = (cli.json("show", str(i), now=NOW) for i in (31001, 31002, 31003))
    assert (closed["status"], closed["created_at"], closed["closed_at"], closed["close_reason"]) == (
        "closed", "2026-11-02T07:15:00Z", "2026-11-03T06:00:00Z", "resolved",
    )
    assert closed["body"] == "Bounces since Monday,\nsecond line" and closed["priority"] == "normal"
    # Its deadlines and stopped clocks under this desk's policy, as closing stamps them.
    assert closed["respond_by"] == "2026-11-02T11:15:00Z" and closed["respond_breached_at"] == "2026-11-02T11:15:00Z"
    assert closed["due_at"] is None
    assert (vps["status"], vps["priority"], vps["assignee"], vps["created_at"]) == ("open", "high", "burak", "2026-11-24T21:30:00Z")
    assert vps["due_at"] is not None and vps["respond_by"] is not None
    assert (refund["status"], refund["paused_at"], refund["resolve_by"]) == ("pending", "2026-11-21T07:00:00Z", None)
    ayse = cli.json("customer", "show", "ayse@example.com.tr", now=NOW)
    assert ayse["name"] == "Ayşe Yılmaz"
    [event] = closed["events"]
    assert event["kind"] == "imported" and event["details"] == {"source": "zammad.csv", "line": 2, "format": "csv", "policy_version": 1, "new_customer": True}
    assert event["changes"]["created_at"] == [None, "2026-11-02T07:15:00Z"]
    assert refund["events"][0]["details"]["line"] == 5  # the line the record starts on
    assert cli.ok("check", now=NOW).stderr.startswith("ok: 3 tickets")


OSTICKET = """\
\ufeffTicket Number,Date Created,Subject,From,From Email,Priority,Department,Source,Current Status
104233,11/23/2026 09:05 AM,Cannot log in to cPanel,Can Öztürk,can@ozturk.example,Emergency,Support,Email,Open
104234,11/23/2026 11:40 PM,Invoice question,Can Öztürk,can@ozturk.example,Normal,Sales,Web,Resolved
"""


def test_csv_as_osticket_exports_it_with_local_times_and_its_own_words(cli, tmp_path):
    file = write(tmp_path, "osticket.csv", OSTICKET)
    args = (
        "--map", "id=Ticket Number,created_at=Date Created,subject=Subject,customer_name=From,customer=From Email",
        "--map", "priority=Priority,department=Department,channel=Source,status=Current Status",
        "--value", "priority:emergency=critical", "--value", "department:support=technical", "--value", "channel:web=ticket",
        "--time-format", "%m/%d/%Y %I:%M %p",
    )
    # A resolved ticket needs the time it was resolved: the file has none.
    cli.refused(2, "1 of 2 rows of osticket.csv cannot be imported", "import", file, *args, now=NOW)
    result = cli.ok("import", file, *args, "--skip-bad", now=NOW)
    assert result.stdout == "osticket.csv:3: (ticket 104234) status resolved needs resolved_at (or updated_at); map a column to it\n"
    login = cli.json("show", "104233", now=NOW)
    # Times without an offset are the desk's wall time (Istanbul, +03).
    assert (login["created_at"], login["priority"], login["channel"], login["department"]) == ("2026-11-23T06:05:00Z", "critical", "email", "technical")


DST_CSV = """\
subject,customer,created_at
spring gap,ada@example.com,2026-03-29 02:30
autumn overlap,ada@example.com,2026-10-25 02:30
summer,ada@example.com,2026-07-01 12:00
winter,ada@example.com,2026-01-15 12:00
with offset,ada@example.com,2026-10-25T02:30:00+01:00
"""


def test_csv_times_without_an_offset_follow_daylight_saving_of_the_desks_zone(tmp_path):
    berlin = fresh(tmp_path, "berlin.db", EXAMPLES / "introserv.toml")
    berlin.ok("import", write(tmp_path, "dst.csv", DST_CSV), now="2026-11-25T12:00")
    created = {t["subject"]: t["created_at"] for t in berlin.json("list", now="2026-11-25T12:00")}
    assert created == {
        "spring gap": "2026-03-29T01:30:00Z",  # 02:30 does not exist: it is 03:30 CEST
        "autumn overlap": "2026-10-25T00:30:00Z",  # 02:30 happens twice: the first, CEST
        "summer": "2026-07-01T10:00:00Z",
        "winter": "2026-01-15T11:00:00Z",
        "with offset": "2026-10-25T01:30:00Z",
    }


def test_csv_options_that_cannot_work_are_refused_before_anything(cli, tmp_path):
    file = write(tmp_path, "z.csv", ZAMMAD)
    cli.refused(2, "has no column for subject, customer, created_at", "import", file, now=NOW)
    cli.refused(2, "--map: unknown field 'title'", "import", file, "--map", "title=Title", now=NOW)
    cli.refused(2, "z.csv has no column 'Titel'", "import", file, "--map", "subject=Titel,customer=Customer Email,created_at=Created at", now=NOW)
    cli.refused(2, "is not FIELD:THEIRS=OURS", "import", file, "--value", "status", now=NOW)
    jsonl = write(tmp_path, "a.jsonl", '{"id": 1}\n')
    cli.refused(2, "--map, --value and --time-format are for CSV", "import", jsonl, "--map", "subject=Title", now=NOW)


# ---- bad rows ----------------------------------------------------------------------------


def good(ticket_id: int, **more) -> dict:
    return {
        "id": ticket_id, "subject": f"Ticket {ticket_id}", "status": "new", "priority": "normal", "department": "technical",
        "channel": "ticket", "customer": "ada@example.com", "created_at": "2026-11-20T07:00:00Z", "body": "text",
    } | more


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(cli, tmp_path):
    content = (
        json.dumps(good(1)) + "\n"
        + "{not json\n"
        + "[1, 2]\n"
        + "\n"  # a blank line is no row
        + '"just text"\n'
        + json.dumps(good(2, subject="")) + "\n"
        + json.dumps(good(3, priority="urgent")) + "\n"
    ).encode() + b'{"id": 4, "subject": "caf\xe9"}\n' + (
        json.dumps(good(5, body="nul \u0000 inside")) + "\n"
        + json.dumps(good(6, created_at="2026-11-20 10:00")) + "\n"
        + json.dumps(good(7, customer="not an address")) + "\n"
        + json.dumps(good(8, created_at="2026-12-01T00:00:00Z")) + "\n"
        + json.dumps(good(1, subject="again")) + "\n"
        + json.dumps(good(9, messages=[{"at": "2026-11-20T08:00:00Z", "author": "agent:x", "body": 5}])) + "\n"
    ).encode()
    file = write(tmp_path, "bad.jsonl", content)
    line = cli.refused(2, "12 of 13 rows of", "import", file, now=NOW)
    assert line.endswith("nothing was imported: fix them, or import the others with --skip-bad")
    listed = cli(*("import", file), now=NOW).stdout.splitlines()
    name = file
    assert listed == [
        f"{name}:2: not valid JSON (Expecting property name enclosed in double quotes at column 2)",
        f"{name}:3: the line is a list, not a JSON object (one ticket)",
        f"{name}:5: the line is text, not a JSON object (one ticket)",
        f"{name}:6: (ticket 2) subject is empty",
        f"{name}:7: (ticket 3) priority 'urgent' is not in this desk's policy (it has: critical, high, normal, low)",
        f"{name}:8: not valid UTF-8 (byte 0xe9 at column 26)",
        f"{name}:9: (ticket 5) body contains a NUL character (at position 4)",
        f"{name}:10: (ticket 6) created_at '2026-11-20 10:00' has no offset; write it as UTC (…Z) or with one (…+03:00)",
        f"{name}:11: (ticket 7) customer 'not an address' is not an e-mail address",
        f"{name}:12: (ticket 8) its history runs to 2026-12-01T00:00:00Z, after the instant of this import ({NOW_UTC}); import at a later --now",
        f"{name}:13: ticket #1 appears on an earlier line of the file too",
        f"{name}:14: (ticket 9) messages[1]: body is a number, not text",
    ]
    report = json.loads(cli("import", file, "--json", now=NOW).stdout)
    assert (report["bad"], report["imported"], report["importable"]) == (12, 0, 1)
    assert report["bad_rows"][0] == {"line": 2, "id": None, "why": "not valid JSON (Expecting property name enclosed in double quotes at column 2)"}


def test_skip_bad_imports_the_good_rows_and_reports_the_others(cli, tmp_path):
    file = write(tmp_path, "mixed.jsonl", json.dumps(good(1)) + "\n[]\n" + json.dumps(good(2)) + "\n")
    result = cli.ok("import", file, "--skip-bad", now=NOW)
    assert result.stdout == f"{file}:2: the line is a list, not a JSON object (one ticket)\n"
    assert result.stderr.splitlines() == ["imported 2 tickets (#1–#2) from mixed.jsonl; 1 new customer", "skipped 1 bad row (listed above)"]
    assert [t["id"] for t in cli.json("list", now=NOW)] == [2, 1]


def test_a_dry_run_checks_everything_and_writes_nothing(cli, tmp_path):
    file = write(tmp_path, "a.jsonl", json.dumps(good(1)) + "\n")
    before = cli.dump()
    result = cli.ok("import", file, "--dry-run", now=NOW)
    assert result.stderr.splitlines() == ["would import 1 ticket (#1) from a.jsonl; 1 new customer", "nothing was written (--dry-run)"]
    assert cli.dump() == before


# ---- importing twice, clashing ids -------------------------------------------------------


def test_importing_the_same_file_twice_is_refused_by_name_or_skipped(desk, tmp_path):
    other = fresh(tmp_path, "b.db")
    file = write(tmp_path, "a.jsonl", desk.ok("export", "--include-personal-data", now=NOW).stdout)
    other.ok("import", file, now=NOW)
    other.refused(2, "3 of 3 rows of", "import", file, now=NOW)
    listed = other("import", file, now=NOW).stdout
    assert f"{file}:2: ticket #1 is in this desk already (the same ticket: imported before?); --skip-existing skips tickets already there" in listed
    before = other.dump()
    result = other.ok("import", file, "--skip-existing", now=NOW)
    assert result.stderr.splitlines() == ["imported 0 tickets from a.jsonl", "skipped 3 tickets already in the desk"]
    assert other.dump() == before
    # A CSV without ids: the same customer, filing time and subject is the same ticket.
    csv_file = write(tmp_path, "z.csv", ZAMMAD)
    args = list(ZAMMAD_MAP)
    args[1] = args[1].removeprefix("id=Number,")
    other.ok("import", csv_file, *args, now=NOW)
    other.refused(2, "3 of 3 rows of", "import", csv_file, *args, now=NOW)
    assert "the desk has this ticket already as #4" in other("import", csv_file, *args, now=NOW).stdout
    assert "skipped 3 tickets already in the desk" in other.ok("import", csv_file, *args, "--skip-existing", now=NOW).stderr


def test_an_id_of_another_ticket_in_the_desk_is_a_clash(desk, tmp_path):
    other = fresh(tmp_path, "b.db")
    with api(other) as do:
        do.file(now="2026-11-18T10:00", subject="B's own first ticket")
    file = write(tmp_path, "a.jsonl", desk.ok("export", "--include-personal-data", now=NOW).stdout)
    other.refused(2, "1 of 3 rows of", "import", file, now=NOW)
    assert "ticket #1 is another ticket in this desk (filed 2026-11-18T07:00:00Z); ids must not clash" in other("import", file, now=NOW).stdout
    other.refused(2, "1 of 3 rows of", "import", file, "--skip-existing", now=NOW)
    assert "imported 2 tickets (#2–#3)" in other.ok("import", file, "--skip-bad", now=NOW).stderr


def test_an_import_cannot_write_history_before_its_own_instant(desk, tmp_path):
    other = fresh(tmp_path, "b.db")
    file = write(tmp_path, "a.jsonl", desk.ok("export", "--include-personal-data", now=NOW).stdout)
    # #1 was last changed on the 17th; #2 and #3 on the 21st.
    other.refused(2, "2 of 3 rows", "import", file, now="2026-11-18T12:00")
    listed = other("import", file, now="2026-11-18T12:00").stdout.splitlines()
    assert [line.split(":")[1] for line in listed] == ["3", "4"]
    assert "after the instant of this import (2026-11-18T09:00:00Z); import at a later --now" in listed[0]


# ---- hostile files -----------------------------------------------------------------------


def test_empty_binary_and_foreign_files_are_refused_whole(cli, tmp_path):
    cli.refused(2, "is empty; there is nothing to import", "import", write(tmp_path, "empty.jsonl", b""), now=NOW)
    cli.refused(2, "holds only blank space", "import", write(tmp_path, "blank.jsonl", b"\n \n"), now=NOW)
    cli.refused(2, "is not a text file (a NUL byte at offset 2)", "import", write(tmp_path, "x.bin", b"\x7fE\x00LF\x02\x01" * 10), now=NOW)
    cli.refused(3, "no file", "import", str(tmp_path / "missing.jsonl"), now=NOW)
    cli.refused(2, "is a directory", "import", str(tmp_path), now=NOW)
    header = json.dumps({"format": "supportdesk-export", "version": 2}) + "\n"
    cli.refused(2, "of version 2; this supportdesk reads version 1", "import", write(tmp_path, "v2.jsonl", header), now=NOW)
    cli.refused(2, "not 'supportdesk-export'", "import", write(tmp_path, "o.jsonl", '{"format": "other"}\n'), now=NOW)
    listed = cli.json("list", now=NOW)
    cli.refused(2, "holds a JSON list; import reads JSON Lines", "import", write(tmp_path, "list.json", json.dumps(listed)), now=NOW)
    unclosed = write(tmp_path, "q.csv", 'subject,customer,created_at\n"open quote,a@b.example,2026-11-20T07:00:00Z\n')
    cli.refused(2, "1 of 1 row of q.csv", "import", unclosed, now=NOW)
    assert cli("import", unclosed, now=NOW).stdout == "q.csv:2: 1 columns where the header has 3\n"
    garbage = bytes(range(1, 256)) * 50
    line = cli.refused(2, "of garbage.bin cannot be imported", "import", write(tmp_path, "garbage.bin", garbage), "--format", "jsonl", now=NOW)
    assert "nothing was imported" in line


def test_a_huge_line_is_a_bad_row_read_past_in_pieces(cli, tmp_path, monkeypatch):
    import supportdesk.transfer

    monkeypatch.setattr(supportdesk.transfer, "LINE_LIMIT", 4096)
    huge = json.dumps(good(2, body="x" * 100_000))
    file = write(tmp_path, "huge.jsonl", json.dumps(good(1)) + "\n" + huge + "\n" + json.dumps(good(3)) + "\n")
    result = cli.ok("import", file, "--skip-bad", now=NOW)
    assert result.stdout == f"{file}:2: the line is {len(huge) + 1:,} bytes long; a line may hold at most 4,096\n"
    assert [t["id"] for t in cli.json("list", now=NOW)] == [3, 1]


def test_a_csv_field_too_long_to_read_stops_the_import(cli, tmp_path, monkeypatch):
    import supportdesk.transfer

    monkeypatch.setattr(supportdesk.transfer, "LINE_LIMIT", 4096)
    rows = 'subject,customer,created_at\nfine,a@b.example,2026-11-20T07:00:00Z\n"' + "x" * 10_000 + '",a@b.example,2026-11-20T07:00:00Z\n'
    line = cli.refused(2, "long.csv: line 3 cannot be read as CSV", "import", write(tmp_path, "long.csv", rows), "--skip-bad", now=NOW)
    assert line.endswith("nothing was imported: fix the quoting there")


def test_control_characters_in_csv_text_are_kept_exactly(cli, tmp_path):
    text = 'subject,customer,created_at,body\n"Alert \x1b]52;c;bad\x07",ada@example.com,2026-11-20T07:00:00Z,"\u202egnp.exe\r\nline"\n'
    cli.ok("import", write(tmp_path, "c.csv", text), now=NOW)
    ticket = cli.json("show", "1", now=NOW)
    assert ticket["subject"] == "Alert \x1b]52;c;bad\x07" and ticket["body"] == "\u202egnp.exe\r\nline"
    listed = cli.ok("list", now=NOW).stdout
    assert "\x1b" not in listed and "\\x1b]52" in listed


# ---- progress ----------------------------------------------------------------------------


def test_progress_is_drawn_on_a_terminal_only(desk, tmp_path):
    import pty
    import subprocess
    import sys

    # Not a terminal (a test's captured stderr): only the summary.
    result = desk.ok("export", "-o", str(tmp_path / "a.jsonl"), now=NOW)
    assert result.stderr == f"exported 3 tickets to {tmp_path / 'a.jsonl'}\n"
    # A terminal: the bar is drawn there (and removed when done).
    main, side = pty.openpty()
    env = {**os.environ, "SUPPORTDESK_DB": str(desk.path), "SUPPORTDESK_NOW": NOW, "TERM": "xterm", "SUPPORTDESK_USER": "tester"}
    done = subprocess.run(
        [sys.executable, "-m", "supportdesk", "export", "-o", str(tmp_path / "b.jsonl")],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=side, check=False, timeout=60,
    )
    os.close(side)
    drawn = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(main)
    assert done.returncode == 0
    assert b"exporting" in drawn and b"exported 3 tickets" in drawn
