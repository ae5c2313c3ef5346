"""Benchmark export and import as users meet them: whole processes on a large desk.

Builds a desk of N tickets through the store's bulk path (each ticket with two messages
and two more events that record their changes, as replies and assignments do), then
times, once each (they are long): `export` with personal data, `export` redacted,
`export --format csv`, `import` of the JSON Lines into an empty desk, and `import` of the
CSV into another. Prints wall time, tickets a second and the peak memory (maximum
resident set) of each process, which stays flat however large the desk: both commands
stream. Nothing is written to RESULTS.md.

    python benchmarks/transfer.py                        # 100 000 tickets
    python benchmarks/transfer.py --keep /tmp/sd-transfer  # keep (and reuse) the desk there
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from results import command_env, fresh, machine, supportdesk_command, workspace  # noqa: E402

NOW = "2026-11-20T12:00"  # the instant the desk is built at: after all its history
POLICY = HERE.parent / "examples" / "hosting-general.toml"


def add_history(path: Path) -> None:
    """Give every ticket two messages (a reply with an address and a phone number, an
    internal note with an IP address) and two events with their changes."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        rows = conn.execute("SELECT id, created_at FROM tickets ORDER BY id").fetchall()
        conn.executemany(
            "INSERT INTO messages (ticket_id, at, author, internal, channel, body) VALUES (?, ?, ?, ?, ?, ?)",
            [
                message
                for ticket_id, at in rows
                for message in (
                    (ticket_id, at, "agent:bench", 0, "ticket", f"Hello, please call +90 (212) 555 {ticket_id % 100:02d} 23 or write to ops{ticket_id % 97}@example.com."),
                    (ticket_id, at, "agent:bench", 1, None, f"Customer's server is 203.0.{ticket_id % 250}.7; checked the logs."),
                )
            ],
        )
        conn.executemany(
            "INSERT INTO events (ticket_id, at, recorded_at, actor, kind, details, changes, operation) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                event
                for ticket_id, at in rows
                for event in (
                    (ticket_id, at, at, "agent:bench", "reply", json.dumps({"first_response": True}), json.dumps({"first_response_at": [None, at]}), None),
                    (ticket_id, at, at, "agent:bench", "escalate", json.dumps({"reason": "customer asked"}), json.dumps({"escalation_level": [0, 0]}), None),
                )
            ],
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def build_desk(path: Path, tickets: int) -> float:
    """Build the desk in a process of its own (so that this one stays small: a process
    it starts counts the memory it had when started in its own peak); its seconds."""
    code = (
        "import sys, time; sys.path[:0] = sys.argv[3:5]; from pathlib import Path; "
        "from tickets import build; from transfer import add_history; "
        "started = time.perf_counter(); build(Path(sys.argv[1]), int(sys.argv[2])); add_history(Path(sys.argv[1])); "
        "print(time.perf_counter() - started)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path), str(tickets), str(HERE), str(HERE.parent)], capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds and peak memory (MiB) of one whole process, and its standard error."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    error = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[:6])} … failed: {error.strip()}")
    return elapsed, usage.ru_maxrss / 1024, error.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--keep", metavar="DIR", help="build the desk in DIR and keep it; a desk left there is reused")
    args = parser.parse_args()

    workdir = workspace(args.keep, "sd-transfer-")
    path = workdir / "desk.db"
    if args.keep and path.exists():
        print(f"reusing {path}", flush=True)
    else:
        fresh(path)
        print(f"building a desk of {args.tickets:,} tickets in {path} …", flush=True)
        print(f"built in {build_desk(path, args.tickets):.1f} s", flush=True)
    conn = sqlite3.connect(path)
    tickets, messages, events = (conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("tickets", "messages", "events"))
    conn.close()

    exe = supportdesk_command()
    env = command_env(SUPPORTDESK_DB=str(path), SUPPORTDESK_NOW=NOW, NO_COLOR="1")
    files = {name: workdir / name for name in ("full.jsonl", "redacted.jsonl", "tickets.csv")}
    targets = {name: fresh(workdir / name) for name in ("from-jsonl.db", "from-csv.db")}
    for target in targets.values():
        subprocess.run([exe, "--db", str(target), "init", "--policy", str(POLICY)], env=env, check=True, capture_output=True)

    runs = [
        ("supportdesk export --include-personal-data -o full.jsonl", [exe, "export", "--include-personal-data", "-o", str(files["full.jsonl"]), "--force"]),
        ("supportdesk export -o redacted.jsonl  (redacted)", [exe, "export", "-o", str(files["redacted.jsonl"]), "--force"]),
        ("supportdesk export --format csv --include-personal-data", [exe, "export", "--format", "csv", "--include-personal-data", "-o", str(files["tickets.csv"]), "--force"]),
        ("supportdesk import full.jsonl  (into an empty desk)", [exe, "--db", str(targets["from-jsonl.db"]), "import", str(files["full.jsonl"])]),
        ("supportdesk import tickets.csv  (into an empty desk)", [exe, "--db", str(targets["from-csv.db"]), "import", str(files["tickets.csv"])]),
    ]
    lines = [
        f"Desk of {tickets:,} tickets, {messages:,} messages, {events:,} events; {machine()}. One run each, whole processes.",
        "",
        "| what | wall time | tickets/s | peak memory | file |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, argv in runs:
        print(f"{label} …", flush=True)
        seconds, peak, _ = timed(argv, env)
        written = next((f for name, f in files.items() if str(f) in argv and "export" in argv), None)
        size = f"{written.stat().st_size / 2**20:.0f} MiB" if written is not None else ""
        lines.append(f"| `{label}` | {seconds:.1f} s | {tickets / seconds:,.0f} | {peak:.0f} MiB | {size} |")
    print()
    print("\n".join(lines))
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
