"""Benchmark a bulk close by filter and its undo, as whole processes, with peak memory.

Builds a desk of N tickets (default 333 334, about 100 000 of them active) through the
store's bulk path (benchmarks/tickets.py builds it), then, on a fresh copy each run:

- `supportdesk close --status active --reason no-response --yes --json`: every active
  ticket closed in one transaction, one event each, customers' notices queued;
- `supportdesk undo OPERATION` of that close: every row restored, one event each.

Wall time and peak resident memory (the process's ru_maxrss) of each, beside the
budgets of the issue: closing 100 000 tickets by filter under 5 s and under 200 MiB,
its undo under 5 s. The anchor is SQLite itself: the same UPDATE of the same rows in
one statement from the sqlite3 shell (Debian package `sqlite3`), no events, no checks.
Prints a table and writes it to benchmarks/RESULTS.md (section "bulk").

    python benchmarks/bulk.py [--tickets 333334] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from results import command_env, finish, fresh, machine, supportdesk_command, workspace  # noqa: E402
from tickets import build  # noqa: E402

BUDGET_SECONDS = 5.0
BUDGET_MIB = 200.0

# Runs a command and prints its wall seconds and peak memory (KiB), then its stdout.
MEASURE = """
import resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
elapsed = time.perf_counter() - started
if done.returncode != 0:
    sys.exit(f"{' '.join(sys.argv[1:4])} failed ({done.returncode}): {done.stderr.strip()}")
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.stdout.write(done.stdout)
"""


def measured(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak MiB, stdout) of one whole process."""
    done = subprocess.run([sys.executable, "-c", MEASURE, *argv], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr.strip())
    first, _, rest = done.stdout.partition("\n")
    seconds, kib = first.split()
    return float(seconds), int(kib) / 1024, rest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=333_334)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="build (or reuse) the desk in this folder and keep it")
    args = parser.parse_args()

    folder = workspace(args.keep, "sd-bulk-")
    desk = folder / f"bulk-{args.tickets}.db"
    if not desk.exists():
        print(f"building {args.tickets} tickets …", flush=True)
        build(desk, args.tickets)
    # The desk at today's schema: a kept desk built by an older version is upgraded once
    # here, not by the first timed command.
    subprocess.run([supportdesk_command(), "operations", "--json"], env=command_env(SUPPORTDESK_DB=str(desk)), check=True, capture_output=True)
    conn = sqlite3.connect(desk)
    active = conn.execute("SELECT count(*) FROM tickets WHERE status IN ('new', 'open', 'pending')").fetchone()[0]
    conn.close()
    work = folder / "work.db"
    command = supportdesk_command()
    env = command_env(SUPPORTDESK_DB=str(work), SUPPORTDESK_NOW="2026-11-20T15:00")

    closes, undos, anchors = [], [], []
    for run in range(args.runs):
        shutil.copyfile(desk, fresh(work))
        seconds, mib, out = measured([command, "close", "--status", "active", "--reason", "no-response", "--yes", "--json"], env)
        outcome = json.loads(out)
        assert len(outcome["changed"]) == active, (len(outcome["changed"]), active)
        closes.append((seconds, mib))
        seconds, mib, _ = measured([command, "--now", "2026-11-20T15:05", "undo", outcome["operation"]], env)
        undos.append((seconds, mib))
        conn = sqlite3.connect(work)
        left = conn.execute("SELECT count(*) FROM tickets WHERE status IN ('new', 'open', 'pending')").fetchone()[0]
        conn.close()
        assert left == active, f"undo left {left} of {active} active"
        print(f"run {run + 1}: close {closes[-1][0]:.2f} s {closes[-1][1]:.0f} MiB; undo {undos[-1][0]:.2f} s {undos[-1][1]:.0f} MiB", flush=True)
        if shutil.which("sqlite3"):
            shutil.copyfile(desk, fresh(work))
            sql = (
                "UPDATE tickets SET status = 'closed', closed_at = '2026-11-20T12:00:00Z', close_reason = 'no-response' "
                "WHERE status IN ('new', 'open', 'pending');"
            )
            started = time.perf_counter()
            subprocess.run(["sqlite3", str(work), sql], check=True)
            anchors.append(time.perf_counter() - started)

    def row(label: str, values: list[tuple[float, float]], budget: bool = True) -> str:
        seconds = statistics.median(v[0] for v in values)
        mib = max(v[1] for v in values)
        verdict = f"< {BUDGET_SECONDS:g} s {'ok' if seconds < BUDGET_SECONDS else 'OVER'}"
        if label.startswith("supportdesk close"):
            verdict += f"; < {BUDGET_MIB:g} MiB {'ok' if mib < BUDGET_MIB else 'OVER'}"
        return f"| `{label}` | {seconds:.2f} s | {mib:.0f} MiB | {len(values)} | {verdict} |"

    lines = [
        f"{args.tickets} tickets, {active} of them active (closed by the filter); {machine()}.",
        "",
        "| what | median | peak memory | runs | budget |",
        "|---|---:|---:|---:|---:|",
        row("supportdesk close --status active --reason no-response --yes --json", closes),
        row("supportdesk undo OPERATION", undos),
    ]
    if anchors:
        lines.append(f"| `sqlite3: one UPDATE of the same rows (anchor: no events, no checks)` | {statistics.median(anchors):.2f} s | | {len(anchors)} | |")
    finish("bulk", "Bulk close by filter and its undo", "\n".join(lines), None if args.keep else folder)


if __name__ == "__main__":
    main()
