"""Keep benchmarks/RESULTS.md: one section per benchmark script, replaced on each run."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = "# Benchmark results\n\nWritten by the scripts in this folder; each run replaces its own section.\n"


def write_section(key: str, title: str, body: str) -> None:
    """Replace (or add) the section `key` of RESULTS.md with `body`."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    start, end = f"<!-- {key} -->", f"<!-- /{key} -->"
    block = f"{start}\n## {title}\n\n{body}\n{end}"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def command_env(**extra: str) -> dict[str, str]:
    """The environment for timed commands: bytecode compiled and used, as after `pip install`.

    pip compiles an installed package's bytecode; a checkout run with
    PYTHONDONTWRITEBYTECODE=1 would recompile every module on every start instead.
    """
    import compileall
    import os

    import supportdesk

    compileall.compile_dir(str(Path(supportdesk.__file__).parent), quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def timed(argv: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one whole process; a failure stops the benchmark with its message."""
    import subprocess
    import time

    started = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} … failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed


def timing_table(intro: str, rows: list[tuple[str, float, int, float | None]]) -> str:
    """The Markdown table the scripts print and keep: what, median, runs, budget verdict."""
    lines = [intro, "", "| what | median | runs | budget |", "|---|---:|---:|---:|"]
    for label, seconds, runs, budget in rows:
        verdict = "" if budget is None else f"< {budget:g} s " + ("ok" if seconds < budget else "OVER")
        lines.append(f"| `{label}` | {seconds:.3f} s | {runs} | {verdict} |")
    return "\n".join(lines)


def supportdesk_command() -> str:
    """The `supportdesk` installed beside this interpreter (or the one on PATH)."""
    import shutil
    import sys

    return shutil.which("supportdesk", path=str(Path(sys.executable).parent)) or "supportdesk"


def workspace(keep: str | None, prefix: str) -> Path:
    """The folder the benchmark builds in: `keep` (kept afterwards), or a new temporary one."""
    import tempfile

    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix=prefix))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def fresh(path: Path) -> Path:
    """`path`, with any desk left there by an earlier run (and its -wal, -shm) removed."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def stamper(start: datetime) -> Callable[[int], str]:
    """The stored UTC text of `start` plus a number of seconds, for building desks of a
    million tickets (each day's date is formatted once)."""
    from datetime import timedelta

    days: dict[int, str] = {}

    def stamp(offset: int) -> str:
        day, second = divmod(offset, 86400)
        if day not in days:
            days[day] = f"{start + timedelta(days=day):%Y-%m-%d}"
        return f"{days[day]}T{second // 3600:02d}:{second % 3600 // 60:02d}:{second % 60:02d}Z"

    return stamp


def medians(commands: dict[str, tuple[list[str], dict[str, str]]], runs: int) -> dict[str, float]:
    """Median wall seconds of each command (argv, environment). Each runs once to warm the
    page cache, then they take turns, one run of each per round, so that every command of
    one comparison meets the machine in the same states."""
    import statistics

    for argv, env in commands.values():
        timed(argv, env)
    seconds: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, (argv, env) in commands.items():
            seconds[label].append(timed(argv, env))
    return {label: statistics.median(values) for label, values in seconds.items()}


def ratio_table(intro: str, rows: list[tuple[str, float, str, float, str, float]], runs: int) -> str:
    """The Markdown table of comparisons. Each row: a command and its median, what it is
    measured against and that one's median, and its budget: ("faster", 5) for at least 5×
    faster than the other, ("within", 2) for at most twice the other's time."""
    lines = [intro, "", "| what | median | against | median | ratio | budget |", "|---|---:|---|---:|---:|---:|"]
    for label, seconds, other, other_seconds, kind, bound in rows:
        if kind == "faster":
            ratio, wanted = other_seconds / seconds, f"≥ {bound:g}× faster"
            ok = ratio >= bound
        else:
            ratio, wanted = seconds / other_seconds, f"≤ {bound:g}× its time"
            ok = ratio <= bound
        lines.append(
            f"| `{label}` | {seconds:.3f} s | `{other}` | {other_seconds:.3f} s | "
            f"{ratio:.2f}× | {wanted} {'ok' if ok else 'OVER'} |"
        )
    lines.append(f"\nMedians of {runs} runs each; the commands compared take turns, in the same run.")
    return "\n".join(lines)


def machine() -> str:
    """Where and when the figures were taken: cores, Python, SQLite, date."""
    import os
    import sqlite3
    import sys
    from datetime import UTC, datetime

    return (
        f"{os.cpu_count()} cores; Python {sys.version.split()[0]}; SQLite {sqlite3.sqlite_version}; "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )


def finish(key: str, title: str, table: str, scratch: Path | None = None) -> None:
    """Print the table, keep it as section `key` of RESULTS.md, and remove the `scratch`
    folder (None: the desks were asked to be kept)."""
    import shutil

    print()
    print(table)
    write_section(key, title, table)
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


def inside(code: str, args: list[str], env: dict[str, str], runs: int) -> tuple[float, str]:
    """Median seconds a piece of work takes inside a fresh process each time (nothing
    cached but the operating system's pages): `code` runs with `args` as sys.argv[1:] and
    prints its seconds, then anything else, on one line. Returns the median and the rest
    of the last line."""
    import statistics
    import subprocess
    import sys

    seconds, rest = [], ""
    for _ in range(runs + 1):  # the first warms the page cache
        done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True)
        elapsed, _, rest = done.stdout.strip().partition(" ")
        seconds.append(float(elapsed))
    return statistics.median(seconds[1:]), rest
