"""Benchmark triage and escalation on a large desk, as whole processes.

Builds a desk of N tickets (default 1 000 000) through the store's bulk path, of which
50 000 are open with deadlines computed from the hosting-general policy (about 10 000 of
them breached), then times `supportdesk triage --limit 50`, `triage --json --limit 50`,
`escalate --auto --dry-run`, and one real `escalate --auto`. Prints a table and writes it
to benchmarks/RESULTS.md (section "triage").

    python benchmarks/triage.py [--tickets 1000000] [--open 50000] [--breached 10000]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from results import command_env, timed, timing_table, write_section  # noqa: E402
from tickets import BODIES, CHANNELS, DEPARTMENTS, SUBJECTS  # noqa: E402

from supportdesk import sla  # noqa: E402
from supportdesk.config import current_login  # noqa: E402
from supportdesk.desk import Desk  # noqa: E402
from supportdesk.timetext import to_utc_text  # noqa: E402

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # Friday 15:00 in Istanbul: office hours
PRIORITIES = ("critical", "high", "normal", "normal", "low", "low")
AGENTS = ("ayse", "burak", "cem", "deniz")


def build(path: Path, tickets: int, open_count: int, breached: int, seed: int = 11) -> tuple[float, int]:
    """Create the desk; returns (seconds, breached open tickets)."""
    rng = random.Random(seed)
    started = time.perf_counter()
    policy_text = (HERE.parent / "examples" / "hosting-general.toml").read_text(encoding="utf-8")
    desk = Desk.create(path, login=current_login(), clock=lambda: NOW - timedelta(days=800), policy_text=policy_text, policy_source="examples/hosting-general.toml")
    for login in AGENTS:
        desk.add_agent(login)
    store, policy = desk.store, desk.policy
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
            deadlines = sla.plan(policy, priority=priority, channel=channel, package=None, created_at=created_at)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--breached", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", metavar="DIR", help="build the desk in DIR and keep it")
    args = parser.parse_args()

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="sd-triage-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "desk.db"
    if path.exists():
        path.unlink()
    print(f"building a desk of {args.tickets:,} tickets, {args.open:,} open, in {path} …", flush=True)
    build_seconds, breached = build(path, args.tickets, args.open, args.breached)
    print(f"built in {build_seconds:.1f} s; {breached:,} open tickets breached", flush=True)

    exe = shutil.which("supportdesk", path=str(Path(sys.executable).parent)) or "supportdesk"
    env = command_env(SUPPORTDESK_DB=str(path), SUPPORTDESK_NOW=to_utc_text(NOW), NO_COLOR="1", COLUMNS="120")
    results: list[tuple[str, float, int, float | None]] = [("build", build_seconds, 1, None)]
    for label, argv, budget in (
        ("supportdesk triage --limit 50", [exe, "triage", "--limit", "50"], 0.5),
        ("supportdesk triage --json --limit 50", [exe, "triage", "--json", "--limit", "50"], None),
        ("supportdesk escalate --auto --dry-run", [exe, "escalate", "--auto", "--dry-run", "--json"], None),
    ):
        timed(argv, env)
        runs = [timed(argv, env) for _ in range(args.runs if "triage" in label else 3)]
        results.append((label, statistics.median(runs), len(runs), budget))
    results.append(("supportdesk escalate --auto", timed([exe, "escalate", "--auto", "--json"], env), 1, 5.0))
    conn = sqlite3.connect(path)
    escalated = conn.execute("SELECT count(*) FROM tickets WHERE escalation_level > 0").fetchone()[0]
    conn.close()
    again = timed([exe, "escalate", "--auto", "--json"], env)
    results.append(("supportdesk escalate --auto (again: nothing to do)", again, 1, None))

    table = timing_table(
        f"Desk of {args.tickets:,} tickets, {args.open:,} open, {breached:,} of them breached "
        f"(hosting-general policy); {os.cpu_count()} cores; Python {sys.version.split()[0]}; "
        f"{datetime.now(UTC):%Y-%m-%d}. Median wall time of whole processes. The real "
        f"`escalate --auto` raised {escalated:,} tickets one level.",
        results,
    )
    print()
    print(table)
    write_section("triage", f"Triage and escalation ({args.tickets:,} tickets)", table)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
