"""Benchmark `supportdesk report sla --by month` over a year of 1 000 000 tickets.

Builds (or, with `--keep DIR`, reuses) a desk of N tickets (default 1 000 000) filed
evenly over the year before 20 Nov 2026, through the store's bulk path, under the
hosting-general policy: 10 000 direct customers (a third with an SLA package), 20
resellers with 50 end customers each (a tenth of the tickets), 10 agents. Every finished
ticket carries what the desk stamps when its clocks stop — first response, resolution,
the seconds each clock ran, breach stamps where it ran past its deadline, paused time —
and the tickets of the last days are still being worked, some of them overdue.

Then, as whole processes taking turns, it times `supportdesk report sla --by month`
(the budget: under 3 s), the same with `--json`, `report sla --by priority`, `report
volume --by week`, `report agents`, and `report sla --by month --html FILE`, and prints
medians and 90th percentiles beside the budget, and writes them to
benchmarks/RESULTS.md (section "reports").

    python benchmarks/reports.py [--tickets 1000000] [--runs 11] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from results import command_env, finish, fresh, machine, supportdesk_command, workspace  # noqa: E402
from tickets import BODIES, CHANNELS, DEPARTMENTS, SUBJECTS  # noqa: E402

from supportdesk.desk import Desk  # noqa: E402
from supportdesk.timetext import to_utc_text  # noqa: E402

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # Friday 15:00 in Istanbul, as triage.py
ADMIN = "bench-admin"
AGENTS = ("ayse", "burak", "cem", "deniz", "emre", "fatma", "gul", "hakan", "irem", "kaan")
PRIORITIES = ("critical", "high", "normal", "normal", "normal", "low", "low")
PACKAGES = (None, None, "starter", "standard", "premium", "enterprise")
RESELLERS, END_CUSTOMERS = 20, 50
SPAN = 365 * 86400
BUDGET = 3.0


def build(path: Path, tickets: int, seed: int = 23) -> dict[str, Any]:
    """Create the desk; returns what the report needs to know of it."""
    rng = random.Random(seed)
    started = time.perf_counter()
    policy_text = (HERE.parent / "examples" / "hosting-general.toml").read_text(encoding="utf-8")
    desk = Desk.create(path, login=ADMIN, clock=lambda: NOW - timedelta(days=400), policy_text=policy_text, policy_source="examples/hosting-general.toml")
    for login in AGENTS:
        desk.add_agent(login)
    store, policy = desk.store, desk.policy
    agent_ids = [a["id"] for a in store.agents() if a["login"] in AGENTS]
    start = NOW - timedelta(seconds=SPAN)
    joined = to_utc_text(start - timedelta(days=30))
    direct = max(10, tickets // 100)
    customers = [{"id": i + 1, "email": f"admin@customer{i}.example.com", "kind": "customer", "reseller_id": None,
                  "package": rng.choice(PACKAGES), "created_at": joined} for i in range(direct)]
    resellers = []
    for r in range(RESELLERS):
        reseller_id = len(customers) + 1
        resellers.append(reseller_id)
        customers.append({"id": reseller_id, "email": f"ops@reseller{r}.example.net", "kind": "reseller", "reseller_id": None,
                          "package": None, "created_at": joined})
        customers += [{"id": reseller_id + 1 + j, "email": f"info@site{j}.reseller{r}.example.net", "kind": "customer",
                       "reseller_id": reseller_id, "package": None, "created_at": joined} for j in range(END_CUSTOMERS)]
    with store.transaction():
        store.bulk_insert_customers(customers)
    targets = {p.name: (int(p.respond.total_seconds()), int(p.resolve.total_seconds()), p.rank) for p in policy.priorities}
    sla_json = {
        name: json.dumps({"outside_office_hours": False, "respond": {"seconds": r, "calendar": "always", "source": f"priority {name}"},
                          "respond_candidates": [{"seconds": r, "calendar": "always", "source": f"priority {name}"}],
                          "resolve": {"seconds": s, "calendar": "always", "source": f"priority {name}"}}, sort_keys=True)
        for name, (r, s, _) in targets.items()
    }
    now_text = to_utc_text(NOW)
    counts = {"open": 0, "overdue": 0}

    def stamp(second: float) -> str:
        return to_utc_text(start + timedelta(seconds=int(second)))

    def rows():
        offsets = sorted(rng.randrange(SPAN) for _ in range(tickets))
        for i, offset in enumerate(offsets, start=1):
            if rng.random() < 0.1:
                reseller_id = rng.choice(resellers)
                customer_id, scope = reseller_id + 1 + rng.randrange(END_CUSTOMERS), reseller_id
            else:
                customer_id, scope = rng.randrange(direct) + 1, None
            priority = rng.choice(PRIORITIES)
            respond, resolve, rank = targets[priority]
            paused = int(rng.expovariate(1 / 7200)) if rng.random() < 0.2 else 0
            answered = offset + rng.expovariate(1 / (respond * 0.45)) + 60
            solved = answered + rng.expovariate(1 / (resolve * 0.5)) + paused
            respond_by, resolve_by = offset + respond, offset + resolve + paused
            row = {
                "id": i, "subject": rng.choice(SUBJECTS).format(d=f"customer{customer_id}.example.com"), "body": rng.choice(BODIES),
                "priority": priority, "priority_rank": rank, "department": rng.choice(DEPARTMENTS), "channel": rng.choice(CHANNELS),
                "customer_id": customer_id, "reseller_id": scope, "assignee_id": rng.choice(agent_ids) if rng.random() < 0.9 else None,
                "created_at": stamp(offset), "updated_at": stamp(offset), "respond_by": stamp(respond_by), "resolve_by": stamp(resolve_by),
                "sla": sla_json[priority], "policy_version": 1, "paused_seconds": paused,
                "first_response_at": None, "respond_breached_at": None, "response_seconds": None,
                "resolved_at": None, "closed_at": None, "close_reason": None, "resolve_breached_at": None, "resolution_seconds": None,
                "status": "new", "due_at": None,
            }
            if answered <= SPAN:  # answered before NOW
                row |= {"status": "open", "first_response_at": stamp(answered), "response_seconds": int(answered) - offset,
                        "respond_breached_at": stamp(respond_by) if answered > respond_by else None}
            if solved <= SPAN:
                closed = solved + 3 * 86400
                row |= {"resolved_at": stamp(solved), "close_reason": "resolved", "resolution_seconds": int(solved) - offset - paused,
                        "resolve_breached_at": stamp(resolve_by) if solved > resolve_by else None,
                        "status": "closed" if closed <= SPAN else "resolved", "closed_at": stamp(closed) if closed <= SPAN else None}
            else:
                due = respond_by if row["first_response_at"] is None else resolve_by
                row["due_at"] = stamp(due)
                counts["open"] += 1
                counts["overdue"] += row["due_at"] < now_text
            yield row

    with store.transaction():
        store.bulk_insert_tickets(rows())
    store.optimize()
    desk.close()
    return {"seconds": time.perf_counter() - started, **counts}


def described(path: Path) -> int | None:
    """How many tickets a desk kept by an earlier run holds (None: not a desk of this benchmark)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return int(conn.execute("SELECT count(*) FROM tickets").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def run(argv: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one whole process; a failure stops the benchmark with its message."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[1:6])} … failed ({done.returncode}): {done.stderr.strip()}")
    return seconds


def take_turns(commands: dict[str, tuple[list[str], dict[str, str]]], runs: int) -> dict[str, list[float]]:
    """Each command once to warm the page cache, then `runs` rounds of one run each."""
    for argv, env in commands.values():
        run(argv, env)
    seconds: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, (argv, env) in commands.items():
            seconds[label].append(run(argv, env))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=11, help="runs per command (at least 11, for a 90th percentile)")
    parser.add_argument("--keep", metavar="DIR", help="build the desk in DIR and keep it (reused when there)")
    args = parser.parse_args()
    if args.runs < 11:
        parser.error("--runs: at least 11, for a 90th percentile")

    workdir = workspace(args.keep, "sd-reports-")
    path = workdir / f"reports-{args.tickets}.db"
    if described(path) == args.tickets:
        print(f"reusing {path}", flush=True)
        built = None
    else:
        print(f"building a desk of {args.tickets:,} tickets filed over a year in {path} …", flush=True)
        built = build(fresh(path), args.tickets)
        print(f"built in {built['seconds']:.1f} s; {built['open']:,} still open, {built['overdue']:,} of them overdue", flush=True)

    exe = supportdesk_command()
    env = command_env(SUPPORTDESK_DB=str(path), SUPPORTDESK_NOW=to_utc_text(NOW), SUPPORTDESK_USER=ADMIN, NO_COLOR="1", COLUMNS="120")
    env.pop("SUPPORTDESK_TOKEN", None)
    terminal = dict(env, TTY_COMPATIBLE="1")  # rich draws the tables and bars, as on a terminal
    page = workdir / "report.html"
    budgeted = "supportdesk report sla --by month"
    commands = {
        budgeted: ([exe, "report", "sla", "--by", "month"], env),
        f"{budgeted} (a terminal's rich tables)": ([exe, "report", "sla", "--by", "month"], terminal),
        f"{budgeted} --json": ([exe, "report", "sla", "--by", "month", "--json"], env),
        f"{budgeted} --html FILE": ([exe, "report", "sla", "--by", "month", "--html", str(page)], env),
        "supportdesk report sla --by priority": ([exe, "report", "sla", "--by", "priority"], env),
        "supportdesk report volume --by week": ([exe, "report", "volume", "--by", "week"], env),
        "supportdesk report agents": ([exe, "report", "agents"], env),
    }
    print(f"timing {len(commands)} commands, {args.runs} rounds …", flush=True)
    seconds = take_turns(commands, args.runs)
    lines = ["| what | median | p90 | runs | budget |", "|---|---:|---:|---:|---:|"]
    for label, values in seconds.items():
        median = statistics.median(values)
        verdict = ""
        if label == budgeted:
            verdict = f"< {BUDGET:g} s " + ("ok" if median < BUDGET and p90(values) < BUDGET else "OVER")
        lines.append(f"| `{label}` | {median:.3f} s | {p90(values):.3f} s | {len(values)} | {verdict} |")
        print(f"  {label}: median {median:.3f} s, p90 {p90(values):.3f} s", flush=True)

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    first, last = conn.execute("SELECT min(created_at), max(created_at) FROM tickets").fetchone()
    plan = conn.execute(
        "EXPLAIN QUERY PLAN SELECT count(*), group_concat(response_seconds) FROM tickets t INDEXED BY tickets_report "
        "WHERE t.created_at >= ? AND t.created_at < ?", [first, last]
    ).fetchall()
    conn.close()
    load = os.getloadavg()
    text = (
        f"Desk of {args.tickets:,} tickets filed from {first[:10]} to {last[:10]} (hosting-general policy; 10 agents, "
        f"20 resellers); {'built in ' + format(built['seconds'], '.1f') + ' s' if built else 'a kept desk'}. {machine()}; "
        f"load average {load[0]:.2f} at the end. Whole processes, taking turns, `--now` pinned; output to a pipe (plain "
        f"text) unless said. Budget: median and p90 under {BUDGET:g} s.\n\n" + "\n".join(lines)
        + "\n\nEach month is read through the covering index `tickets_report` ("
        + "; ".join(row[3] for row in plan) + "), a helper thread reading the next month while the last one's times are sorted."
    )
    finish("reports", f"Reports ({args.tickets:,} tickets over a year)", text, None if args.keep else workdir)


if __name__ == "__main__":
    main()
