"""Benchmark start-up: how long whole `supportdesk` processes take on a small desk.

Times (median wall time over several runs, bytecode compiled first as after
`pip install`) the floor every command pays, `python -c "import typer, sqlite3"`, beside
`supportdesk --version`, `supportdesk --help`, `supportdesk show 1` (and its `--json`)
and one bash completion request, on a desk built with `supportdesk init` and a few
`supportdesk file`. Prints a table and writes it to benchmarks/RESULTS.md (section
"startup").

    python benchmarks/startup.py              # 21 runs per command
    python benchmarks/startup.py --runs 51
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from results import command_env, timed, timing_table, write_section  # noqa: E402

BUDGETS = {
    "supportdesk --help": 0.25,
    "supportdesk show 1": 0.25,
}


def build(exe: str, env: dict[str, str], tickets: int) -> None:
    """A small desk through the CLI itself: init with an example policy, then a few tickets."""
    policy = HERE.parent / "examples" / "hosting-general.toml"
    subprocess.run([exe, "init", "--policy", str(policy)], env=env, check=True, capture_output=True)
    for number in range(1, tickets + 1):
        subprocess.run(
            [exe, "file", "--subject", f"Site {number} returns 503", "--body", "Since this morning.",
             "--customer", f"admin@customer{number}.example.com", "--priority", "high"],
            env=env,
            check=True,
            capture_output=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21, help="runs per command")
    parser.add_argument("--tickets", type=int, default=5, help="tickets on the desk")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="sd-startup-"))
    path = workdir / "desk.db"
    exe = shutil.which("supportdesk", path=str(Path(sys.executable).parent)) or "supportdesk"
    env = command_env(
        SUPPORTDESK_DB=str(path),
        SUPPORTDESK_USER=os.environ.get("SUPPORTDESK_USER") or "bench",
        NO_COLOR="1",
        COLUMNS="100",
    )
    env.pop("SUPPORTDESK_NOW", None)
    try:
        build(exe, env, args.tickets)
        complete = dict(env, _SUPPORTDESK_COMPLETE="complete_bash", COMP_WORDS="supportdesk file --priority ", COMP_CWORD="3")
        commands = {
            'python -c "import typer, sqlite3"': ([sys.executable, "-c", "import typer, sqlite3"], env),
            "supportdesk --version": ([exe, "--version"], env),
            "supportdesk --help": ([exe, "--help"], env),
            "supportdesk show 1": ([exe, "show", "1"], env),
            "supportdesk show 1 --json": ([exe, "show", "1", "--json"], env),
            "completion: supportdesk file --priority <Tab>": ([exe], complete),
        }
        results = []
        for label, (argv, command_environment) in commands.items():
            timed(argv, command_environment)  # warm the page cache once
            runs = [timed(argv, command_environment) for _ in range(args.runs)]
            results.append((label, statistics.median(runs), len(runs), BUDGETS.get(label)))
            print(f"{label}: {statistics.median(runs):.3f} s", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    table = timing_table(
        f"Desk of {args.tickets} tickets; {os.cpu_count()} cores; Python {sys.version.split()[0]}; "
        f"{datetime.now(UTC):%Y-%m-%d}. Median wall time of whole processes; the first row is "
        "the floor every command pays (the interpreter, typer and sqlite3).",
        results,
    )
    print()
    print(table)
    write_section("startup", "Start-up", table)


if __name__ == "__main__":
    main()
