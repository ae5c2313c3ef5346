"""Benchmark filing with every intake check, and a reseller's `status`, on a large desk.

Builds a desk of N tickets (default 1 000 000) through the store's bulk path, under the
Kristalium policy (examples/kristalium.toml) with every intake rule it lacks turned on as
well: the reseller rule and its channels, abuse, scope and after-delivery as Kristalium
has them, plus duplicates refused (not only flagged) within 7 days, a required `domain`
field in the technical department, verification for billing, a registered-sender e-mail
channel, the ticket channel on a calendar, a free quota of one `cms-install` and fines
that suspend while unpaid. On the desk:

- one reseller (BayiHost) with 500 end customers and 25 000 tickets (tickets.reseller_id
  set to it, customer_id to the end customer), its recent tickets answered (public
  replies and internal notes), a few hundred of them still active;
- the requester who files: a verified direct customer with 200 earlier tickets, 20 of
  them open and filed within the duplicate window, a delivered unmanaged VPS and a
  shared hosting account;
- everyone else's tickets, the latest of them active with deadlines from the policy and
  answered like the reseller's.

The desk is copied before timing (filings add tickets; the built desk stays as built, so
`--keep DIR` reuses it on the next run), a reseller token is issued with the CLI as the
admin, and then, taking turns, whole processes are timed:

- `supportdesk file -s … -b … -c REQUESTER --field domain=…` as the admin agent, with
  `--now` pinned to the instant the desk was built around (each run a new subject and
  description, so the duplicate rule lets it through); the same with `--priority high
  --category cms-install --service #ORDER`, which also meets the quota and
  after-delivery rules; and a filing that repeats an open ticket, refused as a duplicate
  (exit 1 expected);
- `SUPPORTDESK_TOKEN=… supportdesk status`, `status --json` and `status --all` as the
  reseller (at the real time: `--now` is for agents);
- beside them the floor, `supportdesk --version`, and the anchor: taskwarrior's `task add`
  into a TASKDATA holding as many pending tasks as the desk has active tickets (Debian
  package `taskwarrior`; --no-anchor leaves it out).

Budgets (the issue): under 0.3 s per `supportdesk file` on 1 000 000 tickets, under 0.3 s
for `status` as a reseller with 25 000 tickets. Medians and 90th percentiles; the store's
part of each (the requester's history, the reseller's view) timed inside a fresh process;
and EXPLAIN QUERY PLAN of every ticket and message read that one filing and one `status`
make, recorded as the desk runs them. Prints the tables and writes them to
benchmarks/RESULTS.md (section "intake").

    python benchmarks/intake.py [--tickets 1000000] [--reseller-tickets 25000] [--runs 21] [--keep DIR]
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from results import (
    command_env,
    finish,
    fresh,
    inside,
    machine,
    stamper,
    supportdesk_command,
    workspace,
)
from tickets import BODIES, SUBJECTS

from supportdesk import sla
from supportdesk.desk import Desk, TicketDraft
from supportdesk.model import Message
from supportdesk.timetext import to_utc_text

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # Friday 15:00 in Istanbul, as triage.py
ADMIN = "bench-admin"
AGENTS = ("ayse", "burak", "cem", "deniz", "emre")
RESELLER = ("destek@bayihost.example.com.tr", "BayiHost")
END_CUSTOMERS = 500
REQUESTER = "it@kristalyazilim.example.com"
REQUESTER_DOMAIN = "kristalyazilim.example.com"
VPS_ORDER = "#700123"
HISTORY, HISTORY_OPEN = 200, 20  # the requester's earlier tickets; open ones filed within the window
BUDGET = 0.3
SPAN_DAYS = 730
ACTIVE_DAYS = 14  # tickets filed in the last two weeks are mostly still being worked
ANSWERED_DAYS = 30  # tickets filed in the last month carry their replies as messages

PRIORITIES = ("urgent", "high", "normal", "normal", "normal")
DEPARTMENTS = ("technical", "technical", "technical", "billing", "sales")
CHANNELS = ("ticket", "ticket", "ticket", "email")
CATEGORIES = (None, None, None, "cms-install", "mail-settings", "site-migration", "themes-plugins", "website-software")
# Words for the timed filings' subjects and descriptions: each run's are new, so that the
# duplicate rule (subjects sharing 60 % of their words) lets them through.
WORDS = (
    "nginx", "apache", "php", "mysql", "mariadb", "redis", "cron", "backup", "restore", "quota", "inode", "ssl",
    "certificate", "renewal", "dns", "zone", "record", "mx", "spf", "dkim", "dmarc", "webmail", "imap", "smtp",
    "relay", "bounce", "cpanel", "plesk", "wordpress", "joomla", "laravel", "composer", "node", "npm", "git",
    "deploy", "firewall", "port", "ssh", "key", "password", "reset", "panel", "login", "latency", "timeout",
    "gateway", "upstream", "cache", "purge", "cdn", "ipv6", "reverse", "rdns", "snapshot", "disk", "io", "memory",
    "swap", "cpu", "load", "kernel", "reboot", "upgrade", "migration", "staging", "subdomain", "redirect",
    "htaccess",
)

# The requester's history and the quota count, as the desk reads them at filing.
HISTORY_PART = """
import sys, time
from pathlib import Path
from supportdesk.store import Store
started = time.perf_counter()
store = Store.open(Path(sys.argv[1]))
customer = store.customer_by_email(sys.argv[2])
rows = store.customer_tickets(customer["id"], sys.argv[3], ("subject", "body", "status", "created_at"))
store.category_count(customer["id"], "cms-install")
store.close()
print(time.perf_counter() - started, len(rows))
"""
# The reseller's view, as Access.status reads it: its active tickets, their last public
# replies, and the counts.
STATUS_PART = """
import sys, time
from pathlib import Path
from supportdesk.model import Scope
from supportdesk.query import Filter
from supportdesk.store import Store
started = time.perf_counter()
store = Store.open(Path(sys.argv[1]))
scope = Scope(reseller_id=int(sys.argv[2]))
rows = store.find_tickets(Filter(statuses=("new", "open", "pending"), scope=scope, limit=200, sort="newest"))
store.last_public_messages([r["id"] for r in rows])
counts = store.status_counts(scope)
store.close()
print(time.perf_counter() - started, len(rows), sum(counts.values()))
"""
# Only the counts of that view (every ticket of the reseller, by status).
COUNTS_PART = """
import sys, time
from pathlib import Path
from supportdesk.model import Scope
from supportdesk.store import Store
started = time.perf_counter()
store = Store.open(Path(sys.argv[1]))
store.status_counts(Scope(reseller_id=int(sys.argv[2])))
store.close()
print(time.perf_counter() - started)
"""


def all_rules_policy() -> str:
    """Kristalium's policy with every intake rule on (see the module's docstring)."""
    text = (HERE.parent / "examples" / "kristalium.toml").read_text(encoding="utf-8")
    edits = (
        ('[desk]\nname = "Kristalium"\n', '[desk]\nname = "Kristalium"\nverify_identity = true\nverify_departments = ["billing"]\n'),
        (
            '[[departments]]\nname = "technical"\nlabel = "Technical"\n',
            (
                '[[departments]]\nname = "technical"\nlabel = "Technical"\nfields = ["domain"]\n'
                'field_help = { domain = "The domain or server the ticket is about" }\n'
            ),
        ),
        ('name = "ticket"\nmeaning = "Tickets through the website"\n', 'name = "ticket"\nmeaning = "Tickets through the website"\ncalendar = "always"\n'),
        (
            "# \"No administrative support after delivery",
            (
                '[[channels]]\nname = "email"\nmeaning = "E-mail to support; account matters only from a registered address"\n'
                'registered_sender_only = true\n\n# "No administrative support after delivery'
            ),
        ),
        ("[scope]\n", "[scope]\nquotas = { cms-install = 1 }\n"),
        ('[rules.duplicates]\naction = "flag"\n', '[rules.duplicates]\naction = "refuse"\nwindow = "7d"\n'),
    )
    for old, new in edits:
        assert text.count(old) == 1, f"examples/kristalium.toml changed: {old!r} is not there once"
        text = text.replace(old, new)
    return text + (
        '\n[rules.fines]\nenabled = true\namount = "250 TRY"\nviolations = ["missing-info", "wrong-language"]\n'
        "suspend_when_unpaid = true\n"
    )


def build(path: Path, tickets: int, reseller_tickets: int, seed: int = 17) -> dict[str, Any]:
    """Create the desk; returns what the timing needs to know of it."""
    rng = random.Random(seed)
    started = time.perf_counter()
    desk = Desk.create(
        path, login=ADMIN, clock=lambda: NOW - timedelta(days=SPAN_DAYS + 30),
        policy_text=all_rules_policy(), policy_source="examples/kristalium.toml, every intake rule on",
    )
    for login in AGENTS:
        desk.add_agent(login)
    store, policy, calendars = desk.store, desk.policy, desk.calendars
    start = (NOW - timedelta(days=SPAN_DAYS)).replace(hour=0, minute=0, second=0)
    span = int((NOW - start).total_seconds())
    customers = max(10, tickets // 100)
    domains = [f"customer{i}.example.com" for i in range(customers)]
    joined = to_utc_text(start - timedelta(days=20))
    with store.transaction():
        store.bulk_insert_customers({"id": i + 1, "email": f"admin@{d}", "created_at": joined} for i, d in enumerate(domains))
    desk.add_reseller(RESELLER[0], name=RESELLER[1])
    reseller_id = store.customer_by_email(RESELLER[0])["id"]
    end_domains = [f"musteri{j}.bayihost-site.example.net" for j in range(END_CUSTOMERS)]
    with store.transaction():
        store.bulk_insert_customers(
            {"id": reseller_id + 1 + j, "email": f"info@{d}", "reseller_id": reseller_id, "created_at": joined}
            for j, d in enumerate(end_domains)
        )
    desk.add_customer(REQUESTER, name="Kristal Yazılım", verified=True)
    requester_id = store.customer_by_email(REQUESTER)["id"]
    serviced = desk.at(NOW - timedelta(days=200))
    serviced.add_service(REQUESTER, kind="vps", name="vps-ist-01", ip="203.0.113.71", order=VPS_ORDER, delivered=to_utc_text(NOW - timedelta(days=210)))
    serviced.add_service(REQUESTER, kind="shared", name=REQUESTER_DOMAIN, order="#611042", delivered=to_utc_text(NOW - timedelta(days=600)))

    # Three streams of (second since start, owner), each in time order, merged: everyone
    # else's tickets, the reseller's end customers', the requester's.
    regular = tickets - reseller_tickets - HISTORY
    old = sorted(rng.randrange(span - 8 * 86400) for _ in range(HISTORY - HISTORY_OPEN))
    recent = sorted(rng.randrange(span - 6 * 86400, span - 3600) for _ in range(HISTORY_OPEN))
    streams = [
        ((offset, "regular") for offset in sorted(rng.randrange(span) for _ in range(regular))),
        ((offset, "reseller") for offset in sorted(rng.randrange(span) for _ in range(reseller_tickets))),
        ((offset, "requester") for offset in [*old, *recent]),
    ]
    stamp = stamper(start)

    messages: list[Message] = []
    counts = {"active": 0, "reseller_active": 0, "messages": 0}
    ranks = {p.name: p.rank for p in policy.priorities}
    requester_seen = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal requester_seen
        for i, (offset, group) in enumerate(heapq.merge(*streams), start=1):
            age = span - offset
            if group == "requester":
                owner_id, reseller, domain = requester_id, None, REQUESTER_DOMAIN
                requester_seen += 1
                active = requester_seen > HISTORY - HISTORY_OPEN
            else:
                if group == "reseller":
                    owner = rng.randrange(END_CUSTOMERS)
                    owner_id, reseller, domain = reseller_id + 1 + owner, reseller_id, end_domains[owner]
                else:
                    owner = rng.randrange(customers)
                    owner_id, reseller, domain = owner + 1, None, domains[owner]
                active = (age < ACTIVE_DAYS * 86400 and rng.random() < 0.6) or rng.random() < 0.002
            priority, department, channel = rng.choice(PRIORITIES), rng.choice(DEPARTMENTS), rng.choice(CHANNELS)
            category = "cms-install" if group == "requester" and requester_seen % 40 == 1 else rng.choice(CATEGORIES)
            created = stamp(offset)
            answered = age > 2400 and rng.random() < 0.8  # most tickets older than 40 minutes have a first answer
            first_response = stamp(offset + min(2400, age)) if answered else None
            row: dict[str, Any] = {
                "id": i, "subject": rng.choice(SUBJECTS).format(d=domain), "body": rng.choice(BODIES),
                "priority": priority, "department": department, "channel": channel, "category": category,
                "service": None, "customer_id": owner_id, "reseller_id": reseller,
                "fields": json.dumps({"domain": domain}) if department == "technical" else "{}",
                "created_at": created, "first_response_at": first_response, "language": "en",
                "priority_rank": ranks[priority], "policy_version": 1,
                "respond_by": None, "resolve_by": None, "due_at": None, "risk_at": None, "sla": "{}",
            }
            if active:
                counts["active"] += 1
                counts["reseller_active"] += reseller is not None
                deadlines = sla.plan(calendars, priority=priority, channel=channel, package=None, created_at=start + timedelta(seconds=offset))
                row |= sla.ticket_values(deadlines, responded=answered, active=True, rank=ranks[priority])
                row |= {"status": "open" if answered else "new", "updated_at": first_response or created,
                        "resolved_at": None, "closed_at": None, "close_reason": None}
            else:
                done = stamp(min(offset + 86400, span - 60))
                row |= {"status": rng.choice(("closed", "closed", "resolved")), "updated_at": done,
                        "resolved_at": done, "closed_at": done, "close_reason": "resolved"}
                row["closed_at"] = done if row["status"] == "closed" else None
            if answered and age < ANSWERED_DAYS * 86400:
                customer_label = f"{'reseller' if group == 'reseller' and rng.random() < 0.3 else 'customer'}:info@{domain}"
                messages.append(Message(first_response, f"agent:{rng.choice(AGENTS)}", "We are looking into it; details follow.", False, channel, i))
                messages.append(Message(first_response, f"agent:{rng.choice(AGENTS)}", "Checked the logs; probably the upstream.", True, None, i))
                if rng.random() < 0.5 and age > 7200:
                    messages.append(Message(stamp(offset + 3600), customer_label, "Thank you, it still fails for some visitors.", False, channel, i))
            yield row

    with store.transaction():
        store.bulk_insert_tickets(rows())
        store.insert_messages(messages, None)
    counts["messages"] = len(messages)
    store.optimize()
    desk.close()
    return {"seconds": time.perf_counter() - started, "reseller_id": reseller_id, "requester_id": requester_id, **counts}


def described(path: Path) -> dict[str, Any] | None:
    """What build() returned, read back from a kept desk (None: not one of ours)."""
    conn = sqlite3.connect(path)
    try:
        reseller = conn.execute("SELECT id FROM customers WHERE email = ? AND kind = 'reseller'", [RESELLER[0]]).fetchone()
        requester = conn.execute("SELECT id FROM customers WHERE email = ?", [REQUESTER]).fetchone()
        if reseller is None or requester is None:
            return None
        active = "status IN ('new', 'open', 'pending')"
        return {
            "seconds": None, "reseller_id": reseller[0], "requester_id": requester[0],
            "active": conn.execute(f"SELECT count(*) FROM tickets WHERE {active}").fetchone()[0],
            "reseller_active": conn.execute(f"SELECT count(*) FROM tickets WHERE reseller_id = ? AND {active}", [reseller[0]]).fetchone()[0],
            "messages": conn.execute("SELECT count(*) FROM messages").fetchone()[0],
        }
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def desk_counts(path: Path, reseller_id: int) -> tuple[int, int]:
    """(tickets, the reseller's tickets) of a desk file."""
    conn = sqlite3.connect(path)
    try:
        total = conn.execute("SELECT max(id) FROM tickets").fetchone()[0] or 0
        theirs = conn.execute("SELECT count(*) FROM tickets WHERE reseller_id = ?", [reseller_id]).fetchone()[0]
        return total, theirs
    finally:
        conn.close()


# ---- timing ------------------------------------------------------------------------


def run(argv: list[str], env: dict[str, str], expect: int) -> float:
    """Wall seconds of one whole process, which must exit with `expect`."""
    started = time.perf_counter()
    done = subprocess.run(argv, check=False, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != expect:
        raise SystemExit(f"{' '.join(argv[:6])} … exited {done.returncode}, not {expect}: {done.stderr.strip()}")
    return elapsed


Command = tuple[Callable[[int], list[str]], dict[str, str], int]  # argv of run n, environment, exit code


def take_turns(commands: dict[str, Command], runs: int) -> dict[str, list[float]]:
    """Seconds of each command's runs: one warm-up run each, then rounds in which every
    command runs once, so that all meet the machine in the same states."""
    for argv, env, expect in commands.values():
        run(argv(0), env, expect)
    seconds: dict[str, list[float]] = {label: [] for label in commands}
    for n in range(1, runs + 1):
        for label, (argv, env, expect) in commands.items():
            seconds[label].append(run(argv(n), env, expect))
    return seconds


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def table(rows: list[tuple[str, list[float], float | None]]) -> str:
    lines = ["| what | median | p90 | runs | budget |", "|---|---:|---:|---:|---:|"]
    for label, values, budget in rows:
        median = statistics.median(values)
        verdict = "" if budget is None else f"< {budget:g} s " + ("ok" if median < budget and p90(values) < budget else "OVER")
        lines.append(f"| `{label}` | {median:.3f} s | {p90(values):.3f} s | {len(values)} | {verdict} |")
    return "\n".join(lines)


def filing_words(rng: random.Random, n: int) -> tuple[str, str]:
    """A new subject and description for run `n`."""
    subject = " ".join(rng.sample(WORDS, 5)).capitalize() + f" (request {n})"
    body = f"Since this morning: {' '.join(rng.sample(WORDS, 12))}. Reference {n}; please check and tell us what to change."
    return subject, body


# ---- query plans -------------------------------------------------------------------


class Recording:
    """A connection that keeps every statement run through `execute`, with its parameters."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn
        self.statements: list[tuple[str, Any]] = []

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        self.statements.append((sql, params))
        return self._conn.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


SCANNED = re.compile(r"\bSCAN (\w+)(?! USING)")
BIG_TABLES = {"tickets", "messages", "events", "customers", "services", "violations", "t", "m", "c", "r", "e"}


def plans(desk: Desk, use: Callable[[Desk], Any]) -> list[tuple[str, list[str], bool]]:
    """EXPLAIN QUERY PLAN of each read of tickets, messages and people that `use(desk)`
    runs: (statement, plan lines, whether it reads only through indexes or keys)."""
    recording = Recording(desk.store.conn)
    desk.store.conn = recording  # type: ignore[assignment]
    try:
        use(desk)
    finally:
        desk.store.conn = recording._conn
    found, seen = [], set()
    for sql, params in recording.statements:
        text = " ".join(sql.split())
        if text in seen:
            continue
        seen.add(text)
        if not re.match(r"(SELECT|WITH)\b", text, re.IGNORECASE) or not re.search(r"\b(tickets|messages|customers|services|violations)\b", text):
            continue
        lines = [r[3] for r in recording._conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
        indexed = not any(m.group(1) in BIG_TABLES for line in lines for m in [SCANNED.search(line)] if m)
        found.append((text, lines, indexed))
    return found


def plan_text(title: str, found: list[tuple[str, list[str], bool]], marker: str) -> tuple[str, bool]:
    """The plans as Markdown, the statements holding `marker` shown first; and whether
    those read through an index."""
    keyed = [f for f in found if marker in f[0]]
    others = [f for f in found if marker not in f[0]]
    lines = [title, ""]
    for text, plan, indexed in [*keyed, *others]:
        short = re.sub(r"SELECT t\.\*, c\.email AS customer.*?LEFT JOIN agents a ON a\.id = t\.assignee_id", "SELECT <ticket row>", text)
        lines.append(f"- {'index' if indexed else '**FULL SCAN**'}: `{short[:220]}{'…' if len(short) > 220 else ''}`")
        lines += [f"    - {p}" for p in plan]
    return "\n".join(lines), bool(keyed) and all(f[2] for f in keyed)


# ---- main --------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--reseller-tickets", type=int, default=25_000)
    parser.add_argument("--runs", type=int, default=21, help="runs per command (at least 11)")
    parser.add_argument("--no-anchor", action="store_true", help="leave out the taskwarrior anchor")
    parser.add_argument("--keep", metavar="DIR", help="build the desk in DIR and keep it (reused when there)")
    args = parser.parse_args()
    if args.runs < 11:
        parser.error("--runs: at least 11, for a 90th percentile")

    workdir = workspace(args.keep, "sd-intake-")
    built = workdir / f"intake-{args.tickets}.db"
    info = described(built) if built.exists() else None
    if info is not None and desk_counts(built, info["reseller_id"]) == (args.tickets, args.reseller_tickets):
        print(f"reusing {built}", flush=True)
    else:
        print(f"building a desk of {args.tickets:,} tickets ({args.reseller_tickets:,} of a reseller's customers) in {built} …", flush=True)
        info = build(fresh(built), args.tickets, args.reseller_tickets)
        print(f"built in {info['seconds']:.1f} s", flush=True)
    print(f"{info['active']:,} active tickets, {info['reseller_active']:,} of them the reseller's; {info['messages']:,} messages", flush=True)
    anchor = None
    if not args.no_anchor:
        from triage import taskwarrior

        anchor = taskwarrior(workdir, info["active"])  # refuses at once without `task`
        print(f"taskwarrior {anchor[1]}: {info['active']:,} pending tasks imported in {anchor[2]:.1f} s", flush=True)

    path = fresh(workdir / "timed.db")  # filings add tickets: time on a copy
    shutil.copyfile(built, path)
    exe = supportdesk_command()
    base = command_env(NO_COLOR="1", COLUMNS="120")
    base.pop("SUPPORTDESK_NOW", None)
    base.pop("SUPPORTDESK_TOKEN", None)
    admin = dict(base, SUPPORTDESK_USER=ADMIN)
    started = time.perf_counter()
    issued = subprocess.run([exe, "--db", str(path), "token", "issue", "--reseller", RESELLER[0], "--json"], check=False, env=admin, capture_output=True, text=True)
    token_seconds = time.perf_counter() - started
    if issued.returncode != 0:
        raise SystemExit(f"token issue failed ({issued.returncode}): {issued.stderr.strip()}")
    reseller = dict(base, SUPPORTDESK_TOKEN=json.loads(issued.stdout)["token"])

    conn = sqlite3.connect(path)
    repeated = conn.execute(
        "SELECT subject, body FROM tickets WHERE customer_id = ? AND status IN ('new', 'open') ORDER BY created_at DESC LIMIT 1", [info["requester_id"]]
    ).fetchone()
    conn.close()
    now = to_utc_text(NOW)
    filing = [exe, "--db", str(path), "--now", now, "file"]
    words = random.Random(5)

    def file_plain(n: int) -> list[str]:
        subject, body = filing_words(words, n)
        return [*filing, "-s", subject, "-b", body, "-c", REQUESTER, "--field", f"domain={REQUESTER_DOMAIN}"]

    def file_full(n: int) -> list[str]:
        subject, body = filing_words(words, n)
        return [*filing, "-s", subject, "-b", body, "-c", REQUESTER, "--field", f"domain={REQUESTER_DOMAIN}",
                "--priority", "high", "--category", "cms-install", "--service", VPS_ORDER]

    def file_again(n: int) -> list[str]:
        return [*filing, "-s", repeated[0], "-b", repeated[1], "-c", REQUESTER, "--field", f"domain={REQUESTER_DOMAIN}"]

    labels = {
        "floor": "supportdesk --version",
        "plain": "supportdesk file -s … -b … -c REQUESTER --field domain=…",
        "full": "supportdesk file … --priority high --category cms-install --service #ORDER",
        "again": "supportdesk file (repeats an open ticket: refused, exit 1)",
        "status": "supportdesk status (reseller token)",
        "json": "supportdesk status --json (reseller token)",
        "all": "supportdesk status --all (reseller token)",
        "task": "task add DESCRIPTION project:… priority:H due:2d",
    }
    commands: dict[str, Command] = {
        labels["floor"]: (lambda n: [exe, "--version"], base, 0),
        labels["plain"]: (file_plain, admin, 0),
        labels["full"]: (file_full, admin, 0),
        labels["again"]: (file_again, admin, 1),
        labels["status"]: (lambda n: [exe, "--db", str(path), "status"], reseller, 0),
        labels["json"]: (lambda n: [exe, "--db", str(path), "status", "--json"], reseller, 0),
        labels["all"]: (lambda n: [exe, "--db", str(path), "status", "--all"], reseller, 0),
    }
    if anchor:
        commands[labels["task"]] = (
            lambda n: ["task", "add", f"Site {n} of customer{n}.example.com returns 503", "project:technical", "priority:H", "due:2d"],
            dict(anchor[0]), 0,
        )
    print(f"timing {len(commands)} commands, {args.runs} rounds …", flush=True)
    seconds = take_turns(commands, args.runs)
    for label, values in seconds.items():
        print(f"  {label}: median {statistics.median(values):.3f} s, p90 {p90(values):.3f} s", flush=True)

    since = to_utc_text(NOW - timedelta(days=7))
    history_seconds, history_rows = inside(HISTORY_PART, [str(path), REQUESTER, since], base, args.runs)
    status_seconds, status_rest = inside(STATUS_PART, [str(path), str(info["reseller_id"])], base, args.runs)
    counts_seconds, _ = inside(COUNTS_PART, [str(path), str(info["reseller_id"])], base, args.runs)

    token = reseller["SUPPORTDESK_TOKEN"]
    with Desk.connect(path, login=ADMIN, now=NOW) as desk:
        subject, body = filing_words(words, 0)
        draft = TicketDraft(subject=subject, body=body, customer=REQUESTER, fields={"domain": REQUESTER_DOMAIN},
                            priority="high", category="cms-install", service=VPS_ORDER)
        filed = plans(desk, lambda d: d.file_ticket(draft))
    with Desk.connect(path, token=token) as desk:
        viewed = plans(desk, lambda d: (d.status(), d.status(finished=True)))
    filing_plans, history_indexed = plan_text(
        "EXPLAIN QUERY PLAN of the reads one filing makes (the one with `--category cms-install --service #ORDER`), "
        "recorded as the desk ran them; the requester's history first:", filed, "INDEXED BY tickets_customer"
    )
    status_plans, status_indexed = plan_text(
        "EXPLAIN QUERY PLAN of the reads of `status` and `status --all` as the reseller; its tickets first:", viewed, "t.reseller_id = ?"
    )
    total, theirs = desk_counts(built, info["reseller_id"])
    rows = [(labels[k], seconds[labels[k]], BUDGET if k in ("plain", "full", "again", "status", "json", "all") else None)
            for k in ("floor", "plain", "full", "again", "status", "json", "all")]
    text = (
        f"Desk of {total:,} tickets ({info['active']:,} active, {info['messages']:,} messages) under examples/kristalium.toml "
        f"with every intake rule on (duplicates refused within 7 days, a required domain field, verification, a "
        f"registered-sender channel, a quota, fines); a reseller with {END_CUSTOMERS} end customers and {theirs:,} tickets "
        f"({info['reseller_active']:,} active); the requester has {HISTORY} earlier tickets, {HISTORY_OPEN} open within the "
        f"window, and a delivered VPS; {'built in ' + format(info['seconds'], '.1f') + ' s' if info['seconds'] else 'a kept desk'}. "
        f"{machine()}. Whole processes, taking turns; each filing adds a ticket (agent, "
        f"`--now` pinned); `status` runs as the reseller at the real time. Budget: median and p90 under {BUDGET} s.\n\n"
        + table(rows)
    )
    text += (
        f"\n\nThe store's part, inside a fresh process (medians of {args.runs}): the requester's history and quota count "
        f"({int(history_rows)} tickets in the window) {history_seconds * 1000:.1f} ms; the reseller's view (active tickets, "
        f"last replies, counts: {status_rest.split()[0]} shown of {int(status_rest.split()[1]):,}) {status_seconds * 1000:.1f} ms, "
        f"of which the counts by status alone (opening the desk included) {counts_seconds * 1000:.1f} ms. "
        f"`token issue --reseller` (once): {token_seconds:.3f} s."
    )
    if anchor:
        task_values = seconds[labels["task"]]
        task_median, file_median = statistics.median(task_values), statistics.median(seconds[labels["plain"]])
        text += (
            f"\n\nBeside the anchor: taskwarrior {anchor[1]} with {info['active']:,} pending tasks (as many as the desk has "
            f"active tickets), loaded by `task import`; `task add` adds one, as `file` files one.\n\n"
            + table([(labels["task"], task_values, None)])
            + f"\n\n`supportdesk file` takes {file_median / task_median:.2f}× the time of `task add` "
            f"({file_median:.3f} s against {task_median:.3f} s, medians)."
        )
    text += (
        f"\n\n{filing_plans}\n\nThe history reads through an index: {'yes' if history_indexed else 'NO'}.\n\n"
        f"{status_plans}\n\nThe reseller's tickets are read through an index: {'yes' if status_indexed else 'NO'}."
    )
    finish("intake", f"Intake and the reseller's status ({total:,} tickets)", text, None if args.keep else workdir)


if __name__ == "__main__":
    main()
