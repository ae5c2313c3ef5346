"""Benchmark triage and escalation on a large desk, as whole processes, beside an anchor.

Builds a desk of N tickets (default 1 000 000) through the store's bulk path, of which
50 000 are open with deadlines computed from the hosting-general policy (about 10 000 of
them breached), then times `supportdesk triage --limit 50`, `triage --json --limit 50`,
`show ID`, `escalate --auto --dry-run`, and one real `escalate --auto`. Last, it applies
the same policy with `[triage] order = "priority"` and times the two triage commands again
in that order; the store's part of triage is timed in both orders.

The anchor: taskwarrior (Debian package `taskwarrior`) with as many pending tasks as the
desk has open tickets, each with a due date, loaded by `task import` into a temporary
TASKDATA/TASKRC. `task limit:50 next` is timed beside `supportdesk triage --limit 50`
(budget: triage at least 5× faster), and `supportdesk show ID` beside the floor every
command pays, `python -c "import typer, sqlite3"` (budget: at most twice its time), all
in the same run, taking turns; medians. Without `task` installed the benchmark stops and
says so (--no-anchor leaves the anchor out). Prints the tables and writes them to
benchmarks/RESULTS.md (section "triage").

    python benchmarks/triage.py [--tickets 1000000] [--open 50000] [--breached 10000] [--runs 11]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from results import (  # noqa: E402
    command_env,
    finish,
    fresh,
    inside,
    machine,
    medians,
    ratio_table,
    supportdesk_command,
    timed,
    timing_table,
    workspace,
)
from tickets import BODIES, CHANNELS, DEPARTMENTS, SUBJECTS  # noqa: E402

from supportdesk import sla  # noqa: E402
from supportdesk.config import current_login  # noqa: E402
from supportdesk.desk import Desk  # noqa: E402
from supportdesk.timetext import to_utc_text  # noqa: E402

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # Friday 15:00 in Istanbul: office hours
PRIORITIES = ("critical", "high", "normal", "normal", "low", "low")
AGENTS = ("ayse", "burak", "cem", "deniz")
# The store's part of `triage --limit 50` under a pinned --now: open the desk, read the
# queue (in the order sys.argv[3]) and its counts, in a fresh process.
STORE_PART = """
import sys, time
from pathlib import Path
from supportdesk.store import Store
started = time.perf_counter()
store = Store.open(Path(sys.argv[1]))
store.queue(limit=50, order=sys.argv[3], filed_by=sys.argv[2])
store.queue_counts(sys.argv[2], filed_by=sys.argv[2])
store.close()
print(time.perf_counter() - started)
"""


def build(path: Path, tickets: int, open_count: int, breached: int, seed: int = 11) -> tuple[float, int]:
    """Create the desk; returns (seconds, breached open tickets)."""
    rng = random.Random(seed)
    started = time.perf_counter()
    policy_text = (HERE.parent / "examples" / "hosting-general.toml").read_text(encoding="utf-8")
    desk = Desk.create(path, login=current_login(), clock=lambda: NOW - timedelta(days=800), policy_text=policy_text, policy_source="examples/hosting-general.toml")
    for login in AGENTS:
        desk.add_agent(login)
    store, policy, calendars = desk.store, desk.policy, desk.calendars
    customers = max(10, tickets // 100)
    domains = [f"customer{i}.example.com" for i in range(customers)]
    span = 2 * 365 * 86400
    start = NOW - timedelta(seconds=span)
    closed = tickets - open_count
    count_breached = 0

    def closed_rows():
        offsets = sorted(rng.randrange(span - 7 * 86400) for _ in range(closed))
        for i, offset in enumerate(offsets, start=1):
            created = to_utc_text(start + timedelta(seconds=offset))
            owner = rng.randrange(customers)
            yield {
                "id": i, "subject": rng.choice(SUBJECTS).format(d=domains[owner]), "body": rng.choice(BODIES),
                "status": "closed", "priority": rng.choice(PRIORITIES), "department": rng.choice(DEPARTMENTS),
                "channel": rng.choice(CHANNELS), "customer_id": owner + 1, "created_at": created, "updated_at": created,
                "resolved_at": created, "closed_at": created, "close_reason": "resolved", "priority_rank": 3,
            }

    def open_rows():
        nonlocal count_breached
        for j in range(open_count):
            priority = rng.choice(PRIORITIES)
            if j < breached:  # filed 2–5 days ago and never answered: past every target
                created_at = NOW - timedelta(seconds=rng.randrange(2 * 86400, 5 * 86400))
            else:  # filed in the last hour: nothing is breached yet
                created_at = NOW - timedelta(seconds=rng.randrange(0, 3000))
            channel = rng.choice(CHANNELS)
            deadlines = sla.plan(calendars, priority=priority, channel=channel, package=None, created_at=created_at)
            values = sla.ticket_values(deadlines, responded=False, active=True, rank=policy.priority(priority).rank)
            if values["due_at"] and values["due_at"] < to_utc_text(NOW):
                count_breached += 1
            owner = rng.randrange(customers)
            created = to_utc_text(created_at)
            yield {
                "id": closed + j + 1, "subject": rng.choice(SUBJECTS).format(d=domains[owner]), "body": rng.choice(BODIES),
                "status": rng.choice(("new", "open")), "priority": priority, "department": rng.choice(DEPARTMENTS),
                "channel": channel, "customer_id": owner + 1, "created_at": created, "updated_at": created,
                "resolved_at": None, "closed_at": None, "close_reason": None,
                "policy_version": 1, **values,
            }

    with store.transaction():
        store.bulk_insert_customers(
            {"id": i + 1, "email": f"admin@{d}", "created_at": to_utc_text(start)} for i, d in enumerate(domains)
        )
        store.bulk_insert_tickets(closed_rows())
        store.bulk_insert_tickets(open_rows())
    store.optimize()
    desk.close()
    return time.perf_counter() - started, count_breached


def taskwarrior(folder: Path, count: int, seed: int = 13) -> tuple[dict[str, str], str, float]:
    """The anchor: a taskwarrior with `count` pending tasks, each with a due date (a fifth
    overdue), a priority and a project, in `folder`, loaded by one `task import`. Returns
    the environment that points `task` at it, its version, and the seconds the load took."""
    import json
    import subprocess
    import uuid

    task = shutil.which("task")
    if task is None:
        raise SystemExit(
            "taskwarrior's `task` is not installed, so the anchor (`task limit:50 next`) cannot be timed: "
            "install it (Debian: apt-get install taskwarrior), or pass --no-anchor to leave it out"
        )
    version = subprocess.run([task, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    data, rc, tasks = folder / "taskdata", folder / "taskrc", folder / "tasks.json"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    # news.version: no "recently upgraded" notice in the timed output.
    rc.write_text(f"data.location={data}\nconfirmation=off\nnews.version={version}\n", encoding="utf-8")
    env = dict(os.environ, TASKRC=str(rc), TASKDATA=str(data))
    rng = random.Random(seed)
    now = datetime.now(UTC)  # taskwarrior reads the real clock: dates around it

    def stamp(moment: datetime) -> str:
        return f"{moment:%Y%m%dT%H%M%SZ}"

    rows = [
        {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "status": "pending",
            "description": rng.choice(SUBJECTS).format(d=f"customer{rng.randrange(10_000)}.example.com"),
            "entry": stamp(now - timedelta(seconds=rng.randrange(30 * 86400))),
            "due": stamp(now + timedelta(seconds=rng.randrange(-5 * 86400, 20 * 86400))),
            "priority": rng.choice("HMML"),
            "project": rng.choice(DEPARTMENTS),
        }
        for _ in range(count)
    ]
    tasks.write_text(json.dumps(rows), encoding="utf-8")
    started = time.perf_counter()
    subprocess.run([task, "rc.verbose=nothing", "import", str(tasks)], env=env, check=True, capture_output=True)
    return env, version, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--breached", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--no-anchor", action="store_true", help="leave out the taskwarrior anchor")
    parser.add_argument("--keep", metavar="DIR", help="build the desk in DIR and keep it")
    args = parser.parse_args()

    workdir = workspace(args.keep, "sd-triage-")
    anchor = None if args.no_anchor else taskwarrior(workdir, args.open)  # refuses at once without `task`
    if anchor:
        print(f"taskwarrior {anchor[1]}: {args.open:,} pending tasks imported in {anchor[2]:.1f} s", flush=True)
    path = fresh(workdir / "desk.db")
    print(f"building a desk of {args.tickets:,} tickets, {args.open:,} open, in {path} …", flush=True)
    build_seconds, breached = build(path, args.tickets, args.open, args.breached)
    print(f"built in {build_seconds:.1f} s; {breached:,} open tickets breached", flush=True)

    exe = supportdesk_command()
    env = command_env(SUPPORTDESK_DB=str(path), SUPPORTDESK_NOW=to_utc_text(NOW), NO_COLOR="1", COLUMNS="120")
    triage, show, floor, task = (
        "supportdesk triage --limit 50",
        "supportdesk show ID",
        'python -c "import typer, sqlite3"',
        "task limit:50 next",
    )
    commands = {
        triage: ([exe, "triage", "--limit", "50"], env),
        "supportdesk triage --json --limit 50": ([exe, "triage", "--json", "--limit", "50"], env),
        show: ([exe, "show", str(args.tickets - args.open // 2)], env),
        floor: ([sys.executable, "-c", "import typer, sqlite3"], env),
    }
    if anchor:
        commands[task] = (["task", "limit:50", "next"], dict(anchor[0], COLUMNS="120"))
    seconds = medians(commands, args.runs)
    results: list[tuple[str, float, int, float | None]] = [("build", build_seconds, 1, None)]
    results += [(label, seconds[label], args.runs, 0.5 if label == triage else None) for label in commands if label != task]
    dry = [exe, "escalate", "--auto", "--dry-run", "--json"]
    results.append(("supportdesk escalate --auto --dry-run", medians({"dry": (dry, env)}, 3)["dry"], 3, None))
    results.append(("supportdesk escalate --auto", timed([exe, "escalate", "--auto", "--json"], env), 1, 5.0))
    conn = sqlite3.connect(path)
    escalated = conn.execute("SELECT count(*) FROM tickets WHERE escalation_level > 0").fetchone()[0]
    conn.close()
    again = timed([exe, "escalate", "--auto", "--json"], env)
    results.append(("supportdesk escalate --auto (again: nothing to do)", again, 1, None))
    store_parts = {order: inside(STORE_PART, [str(path), to_utc_text(NOW), order], env, args.runs)[0] for order in ("deadline", "priority")}

    # The same desk in the priority order (INTROSERV's "High is handled first").
    by_priority = workdir / "hosting-general-by-priority.toml"
    policy_text = (HERE.parent / "examples" / "hosting-general.toml").read_text(encoding="utf-8")
    by_priority.write_text(policy_text + '\n[triage]\norder = "priority"\n', encoding="utf-8")
    results.append(("supportdesk policy apply (order = priority)", timed([exe, "policy", "apply", str(by_priority)], env), 1, None))
    ordered = {
        f"{label} (order = priority)": (argv, env)
        for label, (argv, _) in commands.items()
        if label.startswith("supportdesk triage")
    }
    results += [(label, taken, args.runs, None) for label, taken in medians(ordered, args.runs).items()]

    table = timing_table(
        f"Desk of {args.tickets:,} tickets, {args.open:,} open, {breached:,} of them breached "
        f"(hosting-general policy); {machine()}. Median wall time of whole processes. The real "
        f"`escalate --auto` raised {escalated:,} tickets one level.",
        results,
    )
    comparisons = [(show, seconds[show], floor, seconds[floor], "within", 2.0)]
    if anchor:
        comparisons.insert(0, (triage, seconds[triage], task, seconds[task], "faster", 5.0))
        intro = (
            f"Beside the anchor: taskwarrior {anchor[1]} with {args.open:,} pending tasks, each with a "
            "due date, loaded by `task import`; `task limit:50 next` shows the 50 most urgent, as "
            "`triage --limit 50` shows the 50 most pressing of the desk's open tickets."
        )
    else:
        intro = "The taskwarrior anchor was left out (--no-anchor)."
    table += "\n\n" + ratio_table(intro, comparisons, args.runs)
    table += (
        f"\n\nThe store's part of `triage --limit 50` (opening the desk, the queue and its counts), "
        f"timed inside a fresh process: {store_parts['deadline'] * 1000:.1f} ms in the deadline order, "
        f"{store_parts['priority'] * 1000:.1f} ms in the priority order (medians of {args.runs})."
    )
    finish("triage", f"Triage and escalation ({args.tickets:,} tickets)", table, None if args.keep else workdir)


if __name__ == "__main__":
    main()
