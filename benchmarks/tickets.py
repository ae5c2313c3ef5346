"""Benchmark the desk as users meet it: whole processes against a large desk.

Builds a desk of N tickets through the store's bulk path, then times (median wall time
over several runs) `supportdesk --help`, `show ID`, `list --status open --limit 50`, and
closing 10 000 tickets by id in one command. Prints a table and writes it to
benchmarks/RESULTS.md (section "tickets").

    python benchmarks/tickets.py                     # 100 000 tickets
    python benchmarks/tickets.py --tickets 1000000   # the budget's size
"""

from __future__ import annotations

import argparse
import random
import statistics
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
    machine,
    medians,
    stamper,
    supportdesk_command,
    timed,
    timing_table,
    workspace,
)

from supportdesk.desk import Desk  # noqa: E402
from supportdesk.timetext import to_utc_text  # noqa: E402

SUBJECTS = (
    "Site down: {d} returns 503",
    "Mail to gmail bounces for {d}",
    "SSL certificate expired on {d}",
    "Cannot log in to cPanel for {d}",
    "Invoice charged twice for {d}",
    "DNS records for {d}",
    "Please restore yesterday's backup of {d}",
    "Disk quota full on {d}",
    "PHP version for {d}",
    "Migration of {d} from another host",
)
BODIES = (
    "Since this morning visitors see an error page. Please check the server.",
    "Every mail comes back with 550 5.7.26 unauthenticated sender.",
    "Browsers show NET::ERR_CERT_DATE_INVALID on the main domain.",
    "The panel says my IP is blocked after failed logins.",
    "Our card was charged twice for the renewal; please refund one.",
)
PRIORITIES = ("critical", "high", "normal", "normal", "normal", "low", "low")
DEPARTMENTS = ("technical", "technical", "technical", "billing", "sales")
CHANNELS = ("ticket", "ticket", "ticket", "email", "chat", "phone")
# 70 % finished, 30 % still being worked: enough open tickets to close 10 000 per run.
STATUSES = ("closed",) * 5 + ("resolved",) * 2 + ("new", "open", "pending")

BUDGETS = {
    "build": 60.0,
    "supportdesk --help": 0.25,
    "supportdesk show ID": 0.25,
    "supportdesk list --status open --limit 50": None,
    "supportdesk close <10 000 ids>": 3.0,
}


def build(path: Path, tickets: int, seed: int = 7) -> float:
    """Create a desk at `path` with `tickets` tickets; returns the seconds it took."""
    rng = random.Random(seed)
    started = time.perf_counter()
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    policy = (HERE.parent / "examples" / "hosting-general.toml").read_text(encoding="utf-8")
    desk = Desk.create(path, login=_login(), clock=lambda: now - timedelta(days=800), policy_text=policy, policy_source="examples/hosting-general.toml")
    store = desk.store
    customers = max(10, tickets // 100)
    domains = [f"customer{i}.example.com" for i in range(customers)]
    span = 2 * 365 * 86400
    start = (now - timedelta(seconds=span)).replace(hour=0, minute=0, second=0)
    with store.transaction():
        store.bulk_insert_customers(
            {"id": i + 1, "email": f"admin@{d}", "created_at": to_utc_text(start)} for i, d in enumerate(domains)
        )
        offsets = sorted(rng.randrange(span) for _ in range(tickets))
        subjects = rng.choices(SUBJECTS, k=tickets)
        bodies = rng.choices(BODIES, k=tickets)
        statuses = rng.choices(STATUSES, k=tickets)
        priorities = rng.choices(PRIORITIES, k=tickets)
        departments = rng.choices(DEPARTMENTS, k=tickets)
        channels = rng.choices(CHANNELS, k=tickets)
        owners = [rng.randrange(customers) for _ in range(tickets)]
        stamp = stamper(start)

        def rows():
            for i in range(tickets):
                created = stamp(offsets[i])
                status = statuses[i]
                done = status in ("resolved", "closed")
                yield {
                    "id": i + 1,
                    "subject": subjects[i].format(d=domains[owners[i]]),
                    "body": bodies[i],
                    "status": status,
                    "priority": priorities[i],
                    "department": departments[i],
                    "channel": channels[i],
                    "customer_id": owners[i] + 1,
                    "created_at": created,
                    "updated_at": created,
                    "resolved_at": created if done else None,
                    "closed_at": created if status == "closed" else None,
                    "close_reason": "resolved" if done else None,
                }

        store.bulk_insert_tickets(rows())
    store.optimize()
    desk.close()
    return time.perf_counter() - started


def _login() -> str:
    from supportdesk.config import current_login

    return current_login()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7, help="runs per command (close: at most 3)")
    parser.add_argument("--keep", metavar="DIR", help="build the desk in DIR and keep it")
    args = parser.parse_args()

    workdir = workspace(args.keep, "sd-bench-")
    path = fresh(workdir / "desk.db")
    print(f"building a desk of {args.tickets:,} tickets in {path} …", flush=True)
    build_seconds = build(path, args.tickets)
    print(f"built in {build_seconds:.1f} s", flush=True)

    exe = supportdesk_command()
    env = command_env(SUPPORTDESK_DB=str(path), SUPPORTDESK_NOW="2026-11-20T12:00", NO_COLOR="1")
    import sqlite3

    conn = sqlite3.connect(path)
    some_id = conn.execute("SELECT id FROM tickets ORDER BY id LIMIT 1 OFFSET ?", [args.tickets // 2]).fetchone()[0]
    active = [r[0] for r in conn.execute("SELECT id FROM tickets WHERE status IN ('new','open','pending') ORDER BY random()")]
    conn.close()

    commands = {
        "supportdesk --help": ([exe, "--help"], env),
        "supportdesk show ID": ([exe, "show", str(some_id)], env),
        "supportdesk list --status open --limit 50": ([exe, "list", "--status", "open", "--limit", "50"], env),
    }
    results = [("build", build_seconds, 1)] + [(label, seconds, args.runs) for label, seconds in medians(commands, args.runs).items()]

    close_runs = []
    for run in range(min(3, len(active) // 10_000)):
        batch = active[run * 10_000 : (run + 1) * 10_000]
        close_runs.append(timed([exe, "close", *map(str, batch), "--reason", "resolved", "--yes"], env))
    if close_runs:
        results.append(("supportdesk close <10 000 ids>", statistics.median(close_runs), len(close_runs)))

    table = timing_table(
        f"Desk of {args.tickets:,} tickets; {machine()}. Median wall time of whole processes.",
        [(label, seconds, runs, BUDGETS.get(label)) for label, seconds, runs in results],
    )
    finish("tickets", f"Tickets ({args.tickets:,})", table, None if args.keep else workdir)


if __name__ == "__main__":
    main()
