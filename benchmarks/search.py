"""Benchmark `list --search` on desks of several sizes: whole processes, and the store's
part inside one.

Builds desks of 100 000 and 1 000 000 tickets (and, with --large, 3 000 000: a few
minutes) through tickets.py's bulk path — a tenth of the tickets say "SSL certificate" —
then times, on each:

- `supportdesk list --search "ssl certificate" --limit 20`: median wall time of whole
  processes, the desks taking turns; beside it the floor every command pays,
  `python -c "import typer, sqlite3"`;
- the store's part of that command inside a fresh process: its first `find_tickets` and
  `count_tickets` (the page and the total under "showing 20 of N"), median.

Budgets: under 0.1 s on 1 000 000 tickets (the query; the whole process is shown beside
it, with the floor it cannot go below), and at most 1.3× the 100 000-ticket time on
3 000 000 (the whole command). Prints a table and writes it to benchmarks/RESULTS.md
(section "search").

    python benchmarks/search.py                     # 100 000 and 1 000 000
    python benchmarks/search.py --large             # and 3 000 000
    python benchmarks/search.py --keep /tmp/desks   # build once, reuse the desks later
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from results import (
    command_env,
    finish,
    fresh,
    inside,
    machine,
    medians,
    supportdesk_command,
    workspace,
)
from tickets import build

WORDS = "ssl certificate"
LIMIT = 20
NOW = "2026-11-20T12:00:00Z"  # the instant tickets.py builds its desks at, pinned as --now
# The store's part of `list --search … --limit 20`, as Desk.list_tickets asks it, timed
# in a fresh process (nothing cached by SQLite yet).
QUERY = """
import sys, time
from pathlib import Path
from supportdesk.query import Filter
from supportdesk.store import Store
store = Store.open(Path(sys.argv[1]))
flt = Filter(search=sys.argv[2], limit=int(sys.argv[3]), as_of=sys.argv[4])
started = time.perf_counter()
rows = store.find_tickets(flt)
total = store.count_tickets(flt) if len(rows) == flt.limit else len(rows)
print(time.perf_counter() - started, total)
"""


def desk(folder: Path, tickets: int) -> Path:
    """The desk of `tickets` tickets in `folder`: one kept there by an earlier run, or a new one."""
    path = folder / f"desk-{tickets}.db"
    if path.exists():
        conn = sqlite3.connect(path)
        try:
            if conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == tickets:
                print(f"reusing {path}", flush=True)
                return path
        finally:
            conn.close()
    print(f"building a desk of {tickets:,} tickets in {path} …", flush=True)
    print(f"built in {build(fresh(path), tickets):.1f} s", flush=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", action="store_true", help="add the desk of 3 000 000 tickets")
    parser.add_argument("--runs", type=int, default=11, help="runs per command")
    parser.add_argument("--keep", metavar="DIR", help="build the desks in DIR and keep them (reused when there)")
    args = parser.parse_args()

    folder = workspace(args.keep, "sd-search-")
    sizes = (100_000, 1_000_000, 3_000_000) if args.large else (100_000, 1_000_000)
    desks = {n: desk(folder, n) for n in sizes}
    exe = supportdesk_command()
    base = command_env(SUPPORTDESK_NOW=NOW, NO_COLOR="1", COLUMNS="120")
    floor = 'python -c "import typer, sqlite3"'
    commands = {floor: ([sys.executable, "-c", "import typer, sqlite3"], base)}
    for n, path in desks.items():
        commands[str(n)] = ([exe, "list", "--search", WORDS, "--limit", str(LIMIT)], dict(base, SUPPORTDESK_DB=str(path)))
    process = medians(commands, args.runs)
    query = {}
    for n, path in desks.items():
        seconds, total = inside(QUERY, [str(path), WORDS, str(LIMIT), NOW], base, args.runs)
        query[n] = (seconds, int(total))

    lines = [
        f"`supportdesk list --search \"{WORDS}\" --limit {LIMIT}` (`--now` pinned) on desks built by tickets.py, a tenth "
        f"of whose tickets match; {machine()}. Process: median wall time of whole processes, the desks and the floor "
        "taking turns. Query: the store's first `find_tickets` + `count_tickets` in a fresh process, median. "
        f"{args.runs} runs each.",
        "",
        "| tickets | matches | process | query | budget |",
        "|---:|---:|---:|---:|---|",
    ]
    for n in sizes:
        seconds, total = query[n]
        budget = ""
        if n == 1_000_000:
            budget = f"query < 0.1 s {'ok' if seconds < 0.1 else 'OVER'}; process < 0.1 s {'ok' if process[str(n)] < 0.1 else 'OVER'}"
        lines.append(f"| {n:,} | {total:,} | {process[str(n)]:.3f} s | {seconds * 1000:.1f} ms | {budget} |")
    lines.append(f"| floor: `{floor}` |  | {process[floor]:.3f} s |  |  |")
    if 3_000_000 in sizes:
        ratio = process["3000000"] / process["100000"]
        query_ratio = query[3_000_000][0] / query[100_000][0]
        lines += [
            "",
            f"3,000,000 against 100,000 tickets: the command takes {ratio:.2f}× the time (budget ≤ 1.3×: "
            f"{'ok' if ratio <= 1.3 else 'OVER'}); its query {query_ratio:.1f}× (the count reads every match "
            "from the full-text index; the page reads only its own).",
        ]
    finish("search", "Search", "\n".join(lines), None if args.keep else folder)


if __name__ == "__main__":
    main()
