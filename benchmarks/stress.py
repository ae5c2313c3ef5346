"""Stress the desk as a busy team and a careless admin would: many writers at once, and
commands killed half-way.

Concurrency (default): a hosting-general desk with agents and seeded tickets, then N
worker processes each running M mixed commands (file, reply, internal note, wait,
resume, assign, priority, close of one and of a few ids, reopen, escalate --auto, policy
apply alternating two versions, show) through the real CLI, all at once. Then checks: no
busy refusal or internal error, no lost or doubled write, every ticket's events replay to
its row, PRAGMA integrity_check / foreign_key_check clean.

    python benchmarks/stress.py --processes 8 --operations 300

Crash safety (--kills N): a desk of 3 000 tickets (2 000 open), then N SIGKILLs at random
moments of a bulk close, a policy apply recomputing every open ticket, escalate --auto
over every breached ticket and the demo build, each checked to leave the desk all-before
or all-after; plus --sigints K Ctrl-C trials of the bulk close (exit 130).

    python benchmarks/stress.py --kills 100 --sigints 20

Exit status 1 when anything that must never happen happened. The harnesses live in
tests/stress_concurrency.py and tests/stress_crash.py (tests/test_concurrency.py and
tests/test_crash.py run bounded versions).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))


def concurrency(args: argparse.Namespace, workdir: Path) -> bool:
    from stress_concurrency import run_concurrency

    print(f"{args.processes} processes x {args.operations} operations on one desk ({os.cpu_count()} cores) …", flush=True)
    report = run_concurrency(
        workdir / "concurrency",
        args.processes,
        args.operations,
        seed=args.seed,
        seed_tickets=args.seed_tickets,
        persistent_reader=args.persistent_reader,
    )
    print(report.summary(limit=20))
    print(f"\noperations run: {report.ran}; failures: {len(report.failures)}; busy: {len(report.busy)}; "
          f"wall time {report.wall_seconds:.1f} s; {report.ran / max(report.wall_seconds, 1e-9):.1f} ops/s")
    return report.ok


def kills(args: argparse.Namespace, workdir: Path) -> bool:
    from stress_crash import OPERATIONS, prepare, run_kills

    print(f"building a desk of {args.tickets:,} tickets and running each operation uninterrupted …", flush=True)
    started = time.perf_counter()
    base = prepare(workdir / "crash", tickets=args.tickets)
    print(f"base desk: {base.stats}; built and measured in {time.perf_counter() - started:.1f} s")
    print("uninterrupted: " + ", ".join(f"{op} {base.seconds[op]:.2f} s" for op in OPERATIONS) + f"; start-up {base.startup:.2f} s")
    print(f"{args.kills} kills, {args.sigints} Ctrl-C …", flush=True)
    report = run_kills(base, args.kills, sigints=args.sigints, seed=args.seed)
    print(report.summary())
    print(f"\nkills done: {len(report.kills())}; "
          + ", ".join(f"{op} {len(report.kills(op))}" for op in OPERATIONS)
          + f"; Ctrl-C interrupts: {len(report.kills(sig='SIGINT'))}; broken: {len(report.broken())}"
          + (f"; reference drift: {len(report.drift())} (verdicts void)" if report.drift() else ""))
    return not report.broken() and not report.drift()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--operations", type=int, default=300, help="per process")
    parser.add_argument("--seed-tickets", type=int, default=20)
    parser.add_argument("--persistent-reader", action="store_true",
                        help="each worker keeps a read connection open across its commands (shows the Store.open lock defect)")
    parser.add_argument("--kills", type=int, default=0, help="crash-safety mode: this many SIGKILLs")
    parser.add_argument("--sigints", type=int, default=None, help="Ctrl-C trials in crash mode (default: kills // 5)")
    parser.add_argument("--tickets", type=int, default=3000, help="crash mode: tickets on the desk")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it")
    args = parser.parse_args()
    if args.sigints is None:
        args.sigints = args.kills // 5

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="sd-stress-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NO_COLOR", "1")
    os.environ.pop("SUPPORTDESK_DB", None)
    os.environ.pop("SUPPORTDESK_NOW", None)
    try:
        ok = kills(args, workdir) if args.kills else concurrency(args, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
