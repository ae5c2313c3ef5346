"""The queue order is a policy setting: `[triage] order = "priority"` (INTROSERV: "High is
handled first") puts every more urgent priority above every less urgent one, in every view
of the queue; the default order is the deadline's. The store walks an index either way."""

from __future__ import annotations


import pytest
from conftest import EXAMPLES, Cli, api, new_desk


INTROSERV = EXAMPLES / "introserv.toml"
CUSTOMER = "ops@example.com"
# Every High ticket needs these (a critical incident must include them); a Regular one none.
INCIDENT = ("server_ip=203.0.113.7", "service_name=VDS-1", "started_at=09:55 CEST", "diagnostics=ping times out")


def introserv(tmp_path, order: str | None = None) -> Cli:
    """An INTROSERV desk (made Mon 10 Jun 2024 09:00 Berlin); `order` rewrites its
    `[triage] order`."""
    policy = INTROSERV
    if order is not None:
        text = INTROSERV.read_text(encoding="utf-8")
        assert '[triage]\norder = "priority"\n' in text
        policy = tmp_path / f"introserv-{order}.toml"
        policy.write_text(text.replace('[triage]\norder = "priority"\n', f'[triage]\norder = "{order}"\n'), encoding="utf-8")
    path = tmp_path / f"introserv-{order or 'example'}.db"
    new_desk(path, policy, now="2024-06-10T09:00")
    return verified_owner(Cli(path))


def verified_owner(cli: Cli) -> Cli:
    """The desk's customer, registered as the verified owner: INTROSERV helps only the
    verified owner with High and Financial tickets."""
    with api(cli) as do:
        do.at("2024-06-10T09:00").add_customer(CUSTOMER, verified=True)
    return cli


def file(cli: Cli, now: str, priority: str, *more: str, subject: str = "Server down") -> int:
    """File a ticket through the CLI at `now`; its id."""
    args = ["file", "-s", subject, "-b", "It stopped answering", "-c", CUSTOMER, "--priority", priority, *more]
    if priority == "high":
        for field in INCIDENT:
            args += ["--field", field]
    return int(cli.ok(*args, now=now).stdout.strip())


def ids(cli: Cli, *args: str, now: str) -> list[int]:
    return [t["id"] for t in cli.json("triage", *args, now=now)["tickets"]]


def two_tickets(cli: Cli) -> tuple[int, int]:
    """An earlier Regular ticket (a chat an agent turned into a ticket; due 10:10) and a
    later High one (due 10:15)."""
    regular = file(cli, "2024-06-10T10:00", "regular", "--channel", "chat", subject="Question from chat")
    high = file(cli, "2024-06-10T10:05", "high")
    return regular, high


def test_introserv_handles_high_first(tmp_path):
    cli = introserv(tmp_path)
    regular, high = two_tickets(cli)
    data = cli.json("triage", now="2024-06-10T10:06")
    assert [(t["id"], t["priority"], t["rank"]) for t in data["tickets"]] == [(high, "high", 1), (regular, "regular", 2)]
    assert data["tickets"][1]["respond_by"] < data["tickets"][0]["respond_by"]  # the Regular one is due sooner
    # Breached or not, High stays first; the counts do not depend on the order.
    late = cli.json("triage", now="2024-06-10T10:13")
    assert [(t["id"], t["state"]) for t in late["tickets"]] == [(high, "at-risk"), (regular, "breached")]
    assert late["counts"] == {"open": 2, "breached": 1, "at_risk": 1, "unassigned": 2}


def test_the_same_tickets_in_deadline_order(tmp_path):
    cli = introserv(tmp_path, order="deadline")
    regular, high = two_tickets(cli)
    assert ids(cli, now="2024-06-10T10:06") == [regular, high]  # the soonest deadline first
    assert ids(cli, now="2024-06-10T10:13") == [regular, high]


def test_the_default_order_is_the_deadline_order(tmp_path):
    text = INTROSERV.read_text(encoding="utf-8").replace('[triage]\norder = "priority"\n', "")
    policy = tmp_path / "introserv-default.toml"
    policy.write_text(text, encoding="utf-8")
    new_desk(tmp_path / "default.db", policy, now="2024-06-10T09:00")
    cli = verified_owner(Cli(tmp_path / "default.db"))
    regular, high = two_tickets(cli)
    assert ids(cli, now="2024-06-10T10:06") == [regular, high]


@pytest.fixture
def queue(tmp_path) -> tuple[Cli, dict[str, int]]:
    """An INTROSERV desk with tickets of both priorities, due at different times, one of
    them waiting on the customer (no running deadline), some assigned."""
    cli = introserv(tmp_path)
    with api(cli) as do:
        do.agents("anna", "jan", now="2024-06-10T09:00")
    tickets = {
        "regular-1": file(cli, "2024-06-10T10:00", "regular"),  # due 10:10
        "regular-2": file(cli, "2024-06-10T10:01", "regular", "--department", "financial"),  # due 10:11
        "high-waiting": file(cli, "2024-06-10T09:30", "high"),  # answered, then waiting: no deadline
        "high-1": file(cli, "2024-06-10T10:03", "high", "--department", "financial"),  # due 10:13
        "high-2": file(cli, "2024-06-10T10:04", "high"),  # due 10:14
        "regular-3": file(cli, "2024-06-10T10:02", "regular"),  # due 10:12
    }
    with api(cli) as do:
        do.at("2024-06-10T09:35").reply(tickets["high-waiting"], "Please send a traceroute")
        do.at("2024-06-10T09:36").wait(tickets["high-waiting"])
        do.at("2024-06-10T10:05").assign(tickets["high-2"], "anna")
        do.at("2024-06-10T10:05").assign(tickets["regular-3"], "tester")
    return cli, tickets


NOW = "2024-06-10T10:06"


def test_priority_order_within_a_priority_keeps_the_deadline_order(queue):
    cli, t = queue
    expected = ["high-1", "high-2", "high-waiting", "regular-1", "regular-2", "regular-3"]
    assert ids(cli, now=NOW) == [t[name] for name in expected]
    # At 10:12 the first two Regular tickets are breached: still below every High one.
    data = cli.json("triage", now="2024-06-10T10:12")
    assert [t_["id"] for t_ in data["tickets"]] == [t[name] for name in expected]
    assert [t_["state"] for t_ in data["tickets"]][3:5] == ["breached", "breached"]


def test_every_view_of_the_queue_keeps_the_priority_order(queue):
    cli, t = queue
    assert ids(cli, "--limit", "1", now=NOW) == [t["high-1"]]
    assert ids(cli, "--limit", "4", now=NOW) == [t["high-1"], t["high-2"], t["high-waiting"], t["regular-1"]]
    assert ids(cli, "--department", "technical", now=NOW) == [t["high-2"], t["high-waiting"], t["regular-1"], t["regular-3"]]
    assert ids(cli, "--department", "financial", now=NOW) == [t["high-1"], t["regular-2"]]
    assert ids(cli, "--unassigned", now=NOW) == [t["high-1"], t["high-waiting"], t["regular-1"], t["regular-2"]]
    assert ids(cli, "--mine", now=NOW) == [t["regular-3"]]
    # Only running deadlines within 7 minutes (by 10:13): the waiting ticket has none.
    assert ids(cli, "--breaching-within", "7m", now=NOW) == [t["high-1"], t["regular-1"], t["regular-2"], t["regular-3"]]


def test_the_table_and_the_watch_show_the_priority_order(queue, monkeypatch):
    import time

    cli, t = queue
    order = [t[name] for name in ("high-1", "high-2", "high-waiting", "regular-1", "regular-2", "regular-3")]

    def rows(out: str) -> list[int]:
        found = []
        for line in out.splitlines():
            words = line.replace("│", " ").split()
            if len(words) > 1 and words[0].isdigit() and words[1].startswith("#"):
                found.append(int(words[1][1:]))  # the rank, then the ticket's #id
        return found

    assert rows(cli.ok("triage", now=NOW, env={"COLUMNS": "160"}).stdout) == order

    def sleep(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", sleep)
    watched = cli("triage", "--watch", "--limit", "3", now=NOW, env={"COLUMNS": "160"})
    assert watched.exit_code == 0, watched.output
    assert rows(watched.stdout) == order[:3]
