"""Keep benchmarks/RESULTS.md: one section per benchmark script, replaced on each run."""

from __future__ import annotations

import re
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
