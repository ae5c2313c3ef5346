"""Benchmark the CLI's remote mode: how long a whole `supportdesk status` process takes
against a `supportdesk serve` on this machine (budget: under 0.25 s), beside the same
command on the desk file, and what the HTTP client's import costs (httpx against the
standard library's http.client, which remote mode uses: see supportdesk/remote.py).

Builds a desk with a reseller, 20 customers and 200 tickets through the Python API,
starts `supportdesk serve` on 127.0.0.1 (a free port, no rate limit), and times whole
processes (median of --runs, taking turns; bytecode compiled first, as after
`pip install`). Prints a table and writes it to benchmarks/RESULTS.md (section
"remote-start"), with the import times `python -X importtime` gives for the remote path.

    python benchmarks/remote_start.py              # 21 runs per command
    python benchmarks/remote_start.py --runs 51
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(CHECKOUT))

from results import (  # noqa: E402
    command_env,
    medians,
    supportdesk_command,
    timing_table,
    write_section,
)

BUDGETS = {"supportdesk status (remote)": 0.25}
START = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)


def build(path: Path, customers: int, tickets: int) -> str:
    """A desk with a reseller, its customers and their tickets; the reseller's token."""
    from supportdesk import Desk, TicketDraft

    Desk.new(path, login="bench", policy=CHECKOUT / "examples" / "kristalium.toml", now=START).close()
    with Desk.connect(path, login="bench", now=START) as admin:
        admin.add_reseller("ops@acme.example", name="Acme Hosting")
        for n in range(customers):
            admin.add_customer(f"site{n}@customer.example", reseller="Acme Hosting")
        token = admin.issue_token("reseller", "Acme Hosting")["token"]
    minutes = itertools.count(1)  # each reading of the clock a minute later
    with Desk.connect(path, token=token, clock=lambda: START + timedelta(minutes=next(minutes))) as reseller:
        for n in range(tickets):
            reseller.file_ticket(TicketDraft(f"Site {n} returns 503", "Since this morning.", f"site{n % customers}@customer.example"))
    return token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(server: subprocess.Popen, port: int, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"supportdesk serve exited {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/v1/desk")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"supportdesk serve did not answer on port {port} within {within:g} s")


def import_times(argv: list[str], env: dict[str, str], names: tuple[str, ...]) -> dict[str, float]:
    """Cumulative import milliseconds of `names` (top level, as first imported) in one run
    of `python -X importtime`, and the sum over every top-level import ("all")."""
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], env=env, capture_output=True, text=True, check=True)
    found = {"all": 0.0}
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)", line)
        if not match:
            continue
        micros, indent, name = int(match.group(1)), match.group(2), match.group(3)
        if not indent:
            found["all"] += micros / 1000
        if name in names and name not in found:
            found[name] = micros / 1000
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21, help="runs per command (at least 9)")
    args = parser.parse_args()
    runs = max(args.runs, 9)

    workdir = Path(tempfile.mkdtemp(prefix="sd-remote-"))
    path = workdir / "desk.db"
    token = build(path, customers=20, tickets=200)
    exe = supportdesk_command()
    # This checkout's supportdesk, whatever copy is installed; no desk or instant from the caller.
    env = {k: v for k, v in command_env(PYTHONPATH=str(CHECKOUT), NO_COLOR="1", COLUMNS="100").items() if not k.startswith("SUPPORTDESK_")}
    port = free_port()
    server = subprocess.Popen(
        [exe, "--db", str(path), "serve", "--host", "127.0.0.1", "--port", str(port), "--rate-limit", "0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(server, port)
        local = dict(env, SUPPORTDESK_DB=str(path), SUPPORTDESK_TOKEN=token)
        remote = dict(env, SUPPORTDESK_URL=f"http://127.0.0.1:{port}", SUPPORTDESK_TOKEN=token)
        commands = {
            'python -c "import typer, sqlite3"': ([sys.executable, "-c", "import typer, sqlite3"], env),
            "supportdesk status (local desk file)": ([exe, "status"], local),
            "supportdesk status (remote)": ([exe, "status"], remote),
            "supportdesk status --json (remote)": ([exe, "status", "--json"], remote),
            "supportdesk list (remote)": ([exe, "list"], remote),
            'python -c "import supportdesk.cli.app, http.client, ssl"': (
                [sys.executable, "-c", "import supportdesk.cli.app, http.client, ssl"], env),
            'python -c "import supportdesk.cli.app, httpx"': ([sys.executable, "-c", "import supportdesk.cli.app, httpx"], env),
        }
        found = medians(commands, runs)
        imports = import_times(["-m", "supportdesk", "status"], remote, ("supportdesk.remote", "http.client", "ssl", "rich"))
        httpx = import_times(["-c", "import httpx"], env, ("httpx",))
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    rows = [(label, seconds, runs, BUDGETS.get(label)) for label, seconds in found.items()]
    table = timing_table(
        f"Desk of 200 tickets of one reseller, served by `supportdesk serve` on 127.0.0.1 (this machine); "
        f"{os.cpu_count()} cores; Python {sys.version.split()[0]}; {datetime.now(UTC):%Y-%m-%d}. Median wall time "
        "of whole processes, as the reseller (its token); the commands take turns.",
        rows,
    )
    shown = ", ".join(f"{name} {ms:.0f} ms" for name, ms in imports.items() if name != "all")
    table += (
        f"\n\n`python -X importtime -m supportdesk status` in remote mode: {imports['all']:.0f} ms of imports in all "
        f"(cumulative, first import of each: {shown}). `import httpx` alone: {httpx.get('httpx', 0):.0f} ms "
        "(httpx 0.28 imports click, pygments and rich for its own command line), which is why remote mode uses http.client."
    )
    print(table)
    write_section("remote-start", "Remote mode start-up", table)


if __name__ == "__main__":
    main()
