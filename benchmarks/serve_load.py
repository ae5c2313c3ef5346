"""Benchmark `supportdesk serve` under load: resellers reading their status while others
file and reply, on a large desk, over HTTP on localhost.

Builds a desk of N tickets (default 1 000 000) through the store's bulk path under the
hosting-general policy: R resellers (default 100: one for each client, as the issue's load
reads) with 50 end customers and T tickets each (default 1 000; `--resellers 20
--reseller-tickets 5000` is a heavier profile: five clients a reseller, 64 active tickets
in each answer) (about 1.4 % of them still active, with deadlines from the policy), the other tickets
direct customers'; tickets of the last month carry replies and internal notes. `--keep
DIR` keeps it and reuses it on the next run. Each server configuration then works on a
fresh copy of it:

- reader tokens (5 per reseller, one per client) and writer tokens (one per writer, each
  a reseller's) are issued through the Python API as the admin;
- `python -m supportdesk --db COPY serve --port P --workers W` starts on 127.0.0.1 in a
  subprocess with its default limits (rate limit, body limit, the access log to a file);
- after a short warm-up (each reader once), C clients (default 100) each make M requests
  (default 50) `GET /v1/status` one after the other on a keep-alive connection, while
  10 writers each file K tickets (`POST /v1/tickets`, for one of its customers) and
  reply to each (`POST /v1/tickets/ID/replies`); everything bounded by --timeout;
- afterwards the desk file is counted: every ticket and reply the server answered 201 or
  200 to must be there (zero lost writes).

The load generator is a single asyncio process with raw HTTP/1.1 over keep-alive streams,
so that it takes as little of the two cores as it can; it shares them with the server.
With supportdesk/remote.py present, the start-to-end time of `supportdesk status` in
remote mode (SUPPORTDESK_URL and a reseller's token) against the running server is timed
too. Budget (the issue): zero errors, zero lost writes, p99 of the reads under 200 ms.
Prints the table and writes it to benchmarks/RESULTS.md (section "serve").

    python benchmarks/serve_load.py [--tickets 1000000] [--workers 1 2] [--clients 100] [--requests 50]
                                    [--writers 10] [--writes 20] [--keep DIR] [--timeout 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from results import command_env, finish, fresh, machine, stamper, workspace  # noqa: E402
from tickets import BODIES, CHANNELS, DEPARTMENTS, SUBJECTS  # noqa: E402

from supportdesk import sla  # noqa: E402
from supportdesk.desk import Desk  # noqa: E402
from supportdesk.model import Message  # noqa: E402
from supportdesk.timetext import to_utc_text  # noqa: E402

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # as triage.py and intake.py
ADMIN = "bench-admin"
AGENTS = ("ayse", "burak", "cem", "deniz")
END_CUSTOMERS = 50  # each reseller's
TOKENS_PER_RESELLER = 5
SPAN_DAYS = 730
ACTIVE_DAYS = 14
ANSWERED_DAYS = 30
PRIORITIES = ("critical", "high", "normal", "normal", "low")
BUDGET_P99 = 0.200
MARK = "serve-load"  # in the subjects and replies the writers send


# ---- the desk ----------------------------------------------------------------------------


def reseller_email(n: int) -> str:
    return f"support@reseller{n:02d}.example.net"


def end_customer(n: int, j: int) -> str:
    return f"info@site{j:02d}.reseller{n:02d}-clients.example"


def build(path: Path, tickets: int, resellers: int, reseller_tickets: int, seed: int = 23) -> dict[str, Any]:
    """Create the desk; returns its counts."""
    rng = random.Random(seed)
    started = time.perf_counter()
    policy_text = (ROOT / "examples" / "hosting-general.toml").read_text(encoding="utf-8")
    desk = Desk.create(path, login=ADMIN, clock=lambda: NOW - timedelta(days=SPAN_DAYS + 30), policy_text=policy_text, policy_source="examples/hosting-general.toml")
    for login in AGENTS:
        desk.add_agent(login)
    store, policy, calendars = desk.store, desk.policy, desk.calendars
    start = (NOW - timedelta(days=SPAN_DAYS)).replace(hour=0, minute=0, second=0)
    span = int((NOW - start).total_seconds())
    direct = max(10, tickets // 100)
    joined = to_utc_text(start - timedelta(days=20))
    with store.transaction():
        store.bulk_insert_customers({"id": i + 1, "email": f"admin@customer{i}.example.com", "created_at": joined} for i in range(direct))
    owners: list[tuple[int, list[int]]] = []  # (reseller id, its end customers' ids)
    for n in range(resellers):
        desk.add_reseller(reseller_email(n), name=f"Reseller {n:02d}")
        reseller_id = store.customer_by_email(reseller_email(n))["id"]
        with store.transaction():
            store.bulk_insert_customers(
                {"id": reseller_id + 1 + j, "email": end_customer(n, j), "reseller_id": reseller_id, "created_at": joined} for j in range(END_CUSTOMERS)
            )
        owners.append((reseller_id, [reseller_id + 1 + j for j in range(END_CUSTOMERS)]))
    share = resellers * reseller_tickets / tickets
    ranks = {p.name: p.rank for p in policy.priorities}
    stamp = stamper(start)

    messages: list[Message] = []
    counts = {"active": 0, "reseller_active": 0}

    def rows():
        offsets = sorted(rng.randrange(span) for _ in range(tickets))
        for i, offset in enumerate(offsets, start=1):
            age = span - offset
            if rng.random() < share:
                reseller_id, customers = owners[rng.randrange(resellers)]
                owner_id = customers[rng.randrange(END_CUSTOMERS)]
            else:
                reseller_id, owner_id = None, rng.randrange(direct) + 1
            priority, department, channel = rng.choice(PRIORITIES), rng.choice(DEPARTMENTS), rng.choice(CHANNELS)
            created = stamp(offset)
            answered = age > 2400 and rng.random() < 0.8
            first_response = stamp(offset + min(2400, age)) if answered else None
            active = (age < ACTIVE_DAYS * 86400 and rng.random() < 0.6) or rng.random() < 0.002
            row: dict[str, Any] = {
                "id": i, "subject": rng.choice(SUBJECTS).format(d=f"site{owner_id}.example"), "body": rng.choice(BODIES),
                "priority": priority, "department": department, "channel": channel, "customer_id": owner_id, "reseller_id": reseller_id,
                "fields": json.dumps({"domain": f"site{owner_id}.example"}) if department == "technical" else "{}",
                "created_at": created, "first_response_at": first_response, "priority_rank": ranks[priority], "policy_version": 1,
                "respond_by": None, "resolve_by": None, "due_at": None, "risk_at": None, "sla": "{}",
            }
            if active:
                counts["active"] += 1
                counts["reseller_active"] += reseller_id is not None
                deadlines = sla.plan(calendars, priority=priority, channel=channel, package=None, created_at=start + timedelta(seconds=offset))
                row |= sla.ticket_values(deadlines, responded=answered, active=True, rank=ranks[priority])
                row |= {"status": "open" if answered else "new", "updated_at": first_response or created, "resolved_at": None, "closed_at": None, "close_reason": None}
            else:
                done = stamp(min(offset + 86400, span - 60))
                status = rng.choice(("closed", "closed", "resolved"))
                row |= {"status": status, "updated_at": done, "resolved_at": done, "closed_at": done if status == "closed" else None, "close_reason": "resolved"}
            if answered and age < ANSWERED_DAYS * 86400:
                messages.append(Message(first_response, f"agent:{rng.choice(AGENTS)}", "We are looking into it; details follow.", False, channel, i))
                messages.append(Message(first_response, f"agent:{rng.choice(AGENTS)}", "Checked the logs; probably the upstream.", True, None, i))
            yield row

    with store.transaction():
        store.bulk_insert_tickets(rows())
        store.insert_messages(messages, None)
    store.optimize()
    desk.close()
    return {"seconds": time.perf_counter() - started, "messages": len(messages), **counts}


def described(path: Path, resellers: int) -> dict[str, Any] | None:
    """The counts of a kept desk built by build(), or None when it is not one."""
    conn = sqlite3.connect(path)
    try:
        known = conn.execute("SELECT count(*) FROM customers WHERE kind = 'reseller'").fetchone()[0]
        if known != resellers:
            return None
        active = "status IN ('new', 'open', 'pending')"
        return {
            "seconds": None, "tickets": conn.execute("SELECT max(id) FROM tickets").fetchone()[0] or 0,
            "active": conn.execute(f"SELECT count(*) FROM tickets WHERE {active}").fetchone()[0],
            "reseller_active": conn.execute(f"SELECT count(*) FROM tickets WHERE reseller_id IS NOT NULL AND {active}").fetchone()[0],
            "messages": conn.execute("SELECT count(*) FROM messages").fetchone()[0],
        }
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def copy_desk(source: Path, target: Path) -> None:
    """A copy of the desk (SQLite's backup: consistent, WAL folded in)."""
    fresh(target)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    os.chmod(target, 0o600)


def issue_tokens(path: Path, resellers: int, readers: int, writers: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Reader tokens (spread over the resellers) and writer tokens with the end customer
    each files for, issued through the Python API as the admin."""
    desk = Desk.connect(path, login=ADMIN, now=NOW + timedelta(days=2))
    try:
        reading = [desk.issue_token("reseller", reseller_email(n % resellers))["token"] for n in range(readers)]
        writing = [(desk.issue_token("reseller", reseller_email(n % resellers))["token"], end_customer(n % resellers, n)) for n in range(writers)]
    finally:
        desk.close()
    return reading, writing


# ---- the load generator ------------------------------------------------------------------


class Client:
    """One keep-alive HTTP/1.1 connection, as light as the generator can make it."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.head = f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        data = json.dumps(body).encode() if body is not None else b""
        extra = f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n" if body is not None else ""
        self.writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}{extra}\r\n".encode() + data)
        assert self.reader is not None
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            payload = await self.reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError):
            await self.close()
            raise
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class Tally:
    """Latencies and failures of one kind of request."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.errors: list[str] = []
        self.sizes: list[int] = []

    async def timed(self, client: Client, method: str, path: str, body: Any = None, expect: int = 200) -> bytes | None:
        started = time.perf_counter()
        try:
            status, payload = await asyncio.wait_for(client.request(method, path, body), 30)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
            self.errors.append(f"{method} {path}: {type(error).__name__} {error}")
            return None
        self.seconds.append(time.perf_counter() - started)
        self.sizes.append(len(payload))
        if status != expect:
            self.errors.append(f"{method} {path}: {status} {payload[:200]!r}")
            return None
        return payload


async def reader(port: int, token: str, count: int, tally: Tally) -> None:
    client = Client(port, token)
    for _ in range(count):
        await tally.timed(client, "GET", "/v1/status")
    await client.close()


async def writer(port: int, token: str, customer: str, count: int, run: str, n: int, files: Tally, replies: Tally, done: dict[str, int]) -> None:
    client = Client(port, token)
    for k in range(count):
        body = {"subject": f"{MARK} {run} w{n} k{k}: mail bounces", "body": "Every mail to gmail bounces since noon.", "customer": customer,
                "fields": {"domain": customer.split("@")[1]}}
        payload = await files.timed(client, "POST", "/v1/tickets", body, expect=201)
        if payload is None:
            continue
        done["files"] += 1
        ticket = json.loads(payload)["id"]
        if await replies.timed(client, "POST", f"/v1/tickets/{ticket}/replies", {"text": f"{MARK} {run} reply w{n} k{k}"}) is not None:
            done["replies"] += 1
    await client.close()


async def load(port: int, readers: list[str], writers: list[tuple[str, str]], requests: int, writes: int, run: str, timeout: float) -> dict[str, Any]:
    """Warm up, then the readers and writers at once; returns the tallies."""
    warm = Tally()
    await asyncio.gather(*(reader(port, token, 1, warm) for token in readers))
    reads, files, replies = Tally(), Tally(), Tally()
    done = {"files": 0, "replies": 0}
    started = time.perf_counter()
    tasks = [reader(port, token, requests, reads) for token in readers]
    tasks += [writer(port, token, customer, writes, run, n, files, replies, done) for n, (token, customer) in enumerate(writers)]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout)
        timed_out = False
    except asyncio.TimeoutError:
        timed_out = True
    return {"warm": warm, "reads": reads, "files": files, "replies": replies, "done": done, "seconds": time.perf_counter() - started, "timed_out": timed_out}


# ---- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env() -> dict[str, str]:
    """This checkout's supportdesk, bytecode compiled, no instant or token of the caller's."""
    env = command_env(PYTHONPATH=str(ROOT), NO_COLOR="1")
    for name in ("SUPPORTDESK_NOW", "SUPPORTDESK_TOKEN", "SUPPORTDESK_URL", "SUPPORTDESK_DB"):
        env.pop(name, None)
    return env


def start_server(path: Path, port: int, workers: int, log: Path, token: str, threads: int | None) -> subprocess.Popen:
    """`supportdesk serve` in a subprocess, once it answers."""
    argv = [sys.executable, "-m", "supportdesk", "--db", str(path), "serve", "--port", str(port), "--workers", str(workers)]
    argv += ["--threads", str(threads)] if threads else []
    server = subprocess.Popen(argv, env=server_env(), stdout=subprocess.DEVNULL, stderr=log.open("w"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}): {log.read_text()[-2000:]}")
        try:
            status, _ = asyncio.run(Client(port, token).request("GET", "/v1/desk"))
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit("the server did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def tree_cpu(pid: int) -> float | None:
    """CPU seconds used so far by process `pid` and its descendants (Linux /proc; else None)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        child = int(stat.parent.name)
        parents[child] = int(fields[1])
        used[child] = (int(fields[11]) + int(fields[12])) / tick
    tree, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(used.get(p, 0.0) for p in tree)


def remote_status_seconds(port: int, token: str, runs: int) -> float | None:
    """Median wall time of `supportdesk status` in remote mode, if this checkout has one."""
    if not (ROOT / "supportdesk" / "remote.py").exists():
        return None
    env = dict(server_env(), SUPPORTDESK_URL=f"http://127.0.0.1:{port}", SUPPORTDESK_TOKEN=token)
    argv = [sys.executable, "-m", "supportdesk", "status"]
    seconds = []
    for _ in range(runs + 1):  # the first warms the page cache
        started = time.perf_counter()
        done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seconds.append(time.perf_counter() - started)
        if done.returncode != 0:
            print(f"remote `supportdesk status` failed ({done.returncode}): {done.stderr.strip()}", flush=True)
            return None
    return statistics.median(seconds[1:])


def landed(path: Path, run: str) -> tuple[int, int]:
    """(tickets, replies) of this run's writers in the desk file."""
    conn = sqlite3.connect(path)
    try:
        tickets = conn.execute("SELECT count(*) FROM tickets WHERE subject LIKE ?", [f"{MARK} {run} %"]).fetchone()[0]
        replies = conn.execute("SELECT count(*) FROM messages WHERE body LIKE ?", [f"{MARK} {run} reply %"]).fetchone()[0]
        return tickets, replies
    finally:
        conn.close()


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run_config(built: Path, folder: Path, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    """One server configuration on a fresh copy of the desk."""
    path = folder / f"served-{workers}.db"
    print(f"--workers {workers}: copying the desk …", flush=True)
    copy_desk(built, path)
    readers, writers = issue_tokens(path, args.resellers, args.clients, args.writers)
    os.sync()  # the copy's pages written out now, not while the server is timed
    port = free_port()
    log = folder / f"serve-{workers}.log"
    server = start_server(path, port, workers, log, readers[0], args.threads)
    run = f"{int(time.time())}-{workers}"
    try:
        print(f"--workers {workers}: {args.clients} clients × {args.requests} GET /v1/status, {args.writers} writers × {args.writes} (file + reply) …", flush=True)
        load_before, cpu_before, own_before = os.getloadavg()[0], tree_cpu(server.pid), time.process_time()
        result = asyncio.run(load(port, readers, writers, args.requests, args.writes, run, args.timeout))
        cpu_after = tree_cpu(server.pid)
        result["server_cpu"] = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
        result["generator_cpu"] = time.process_time() - own_before
        result["load"] = (load_before, os.getloadavg()[0])
        result["remote"] = remote_status_seconds(port, readers[0], args.remote_runs)
    finally:
        stop_server(server)
    tickets, replies = landed(path, run)
    result["lost"] = (result["done"]["files"] - tickets) + (result["done"]["replies"] - replies)
    result["landed"] = (tickets, replies)
    result["log_lines"] = sum(1 for line in log.read_text().splitlines() if " /v1/" in line)
    reads = result["reads"]
    errors = len(reads.errors) + len(result["files"].errors) + len(result["replies"].errors)
    result["errors"] = errors
    result["ok"] = errors == 0 and result["lost"] == 0 and not result["timed_out"] and pct(reads.seconds, 99) < BUDGET_P99 * 1000
    for tally in (reads, result["files"], result["replies"]):
        for line in tally.errors[:3]:
            print(f"  error: {line}", flush=True)
    writes = result["files"].seconds + result["replies"].seconds
    total = len(reads.seconds) + len(writes)
    result["cpu_per_request"] = None if result["server_cpu"] is None else 1000 * result["server_cpu"] / (total + len(readers))
    print(
        f"--workers {workers}: reads p50 {pct(reads.seconds, 50):.1f} ms, p99 {pct(reads.seconds, 99):.1f} ms; writes p50 {pct(writes, 50):.1f} ms, "
        f"p99 {pct(writes, 99):.1f} ms; {total / result['seconds']:.0f} requests/s; {errors} errors; {result['lost']} lost writes; "
        f"server CPU {result['cpu_per_request'] or 0:.2f} ms a request; load average {result['load'][0]:.1f} → {result['load'][1]:.1f}",
        flush=True,
    )
    fresh(path)  # (the copy: the built desk stays, with --keep)
    return result


def table(info: dict[str, Any], results: dict[int, dict[str, Any]], args: argparse.Namespace) -> str:
    built = "" if info["seconds"] is None else f"; built in {info['seconds']:.1f} s"
    lines = [
        f"Desk of {info['tickets']:,} tickets ({info['active']:,} active, {info['messages']:,} messages; hosting-general policy); "
        f"{args.resellers} resellers with {END_CUSTOMERS} end customers and {args.reseller_tickets:,} tickets each "
        f"({info['reseller_active']:,} active in all){built}. "
        f"{machine()}. `supportdesk serve{f' --threads {args.threads}' if args.threads else ''}` on 127.0.0.1 with its default limits "
        "(20 requests/s per token, bursts of 100; 2 MiB bodies; the access log on); "
        f"{args.clients} clients, each with its own reseller token, make {args.requests} `GET /v1/status` each on a keep-alive connection while "
        f"{args.writers} writers (reseller tokens) each file {args.writes} tickets and reply to each; one asyncio load generator on the same 2 cores. "
        f"Budget: p99 of the reads < {BUDGET_P99 * 1000:.0f} ms, zero errors, zero lost writes.",
        "",
        "| workers | reads | read p50 | read p99 | read max | writes | write p50 | write p99 | requests/s | server CPU a request | errors | lost writes | budget |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for workers, r in results.items():
        reads, writes = r["reads"].seconds, r["files"].seconds + r["replies"].seconds
        lines.append(
            f"| {workers} | {len(reads):,} | {pct(reads, 50):.1f} ms | {pct(reads, 99):.1f} ms | {pct(reads, 100):.1f} ms | {len(writes):,} | "
            f"{pct(writes, 50):.1f} ms | {pct(writes, 99):.1f} ms | {(len(reads) + len(writes)) / r['seconds']:.0f} | "
            f"{'-' if r['cpu_per_request'] is None else format(r['cpu_per_request'], '.2f') + ' ms'} | {r['errors']} | {r['lost']} | "
            f"{'ok' if r['ok'] else 'OVER'}{' (timed out)' if r['timed_out'] else ''} |"
        )
    landed_text = "; ".join(f"--workers {w}: {r['landed'][0]} tickets and {r['landed'][1]} replies found in the file, {r['log_lines']:,} access-log lines" for w, r in results.items())
    lines += ["", f"Every write the server acknowledged was counted in the desk file afterwards ({landed_text})."]
    loads = "; ".join(f"--workers {w}: {r['load'][0]:.1f} → {r['load'][1]:.1f}, the generator {r['generator_cpu']:.1f} s of CPU" for w, r in results.items())
    lines.append(
        "Server CPU a request: the CPU time of the server's processes during the load over the requests answered (warm-up included); "
        f"it rises when other work shares the cores. The load average before → after each run ({loads}) says how much of the 2 cores the server had."
    )
    sizes = [n for r in results.values() for n in r["reads"].sizes]
    if sizes:
        lines.append(f"A `status` answer held {statistics.mean(sizes) / 1024:.1f} KiB of JSON on average (the reseller's active tickets, up to 200, with their last public replies).")
    remote = {w: r["remote"] for w, r in results.items() if r.get("remote") is not None}
    if remote:
        shown = ", ".join(f"{s:.3f} s (--workers {w})" for w, s in remote.items())
        lines.append(f"`supportdesk status` in remote mode (SUPPORTDESK_URL, a reseller's token) against the server, whole process, median of {args.remote_runs}: {shown}; budget < 0.25 s.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--resellers", type=int, default=100)
    parser.add_argument("--reseller-tickets", type=int, default=1_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, help="serve's --threads (default: its own)")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--writers", type=int, default=10)
    parser.add_argument("--writes", type=int, default=20, help="tickets each writer files (and replies to)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds the load of one configuration may take")
    parser.add_argument("--remote-runs", type=int, default=11)
    parser.add_argument("--keep", metavar="DIR", help="build the desk in DIR and keep it (reused when there)")
    args = parser.parse_args()
    if args.resellers * args.reseller_tickets > args.tickets or args.writers > args.resellers * END_CUSTOMERS:
        parser.error("more reseller tickets than tickets, or more writers than end customers")

    folder = workspace(args.keep, "sd-serve-")
    built = folder / f"serve-{args.tickets}-{args.resellers}x{args.reseller_tickets}.db"
    info = described(built, args.resellers) if built.exists() else None
    if info is not None and info["tickets"] == args.tickets:
        print(f"reusing {built}", flush=True)
    else:
        print(f"building a desk of {args.tickets:,} tickets ({args.resellers} resellers × {args.reseller_tickets:,}) in {built} …", flush=True)
        counts = build(fresh(built), args.tickets, args.resellers, args.reseller_tickets)
        info = described(built, args.resellers) or {}
        info["seconds"] = counts["seconds"]
        print(f"built in {counts['seconds']:.1f} s", flush=True)
    print(f"{info['active']:,} active tickets, {info['reseller_active']:,} of them resellers'; {info['messages']:,} messages", flush=True)
    results = {workers: run_config(built, folder, workers, args) for workers in args.workers}
    # The default resellers keep the section "serve"; other sizes get a section of their own.
    profile = (args.resellers, args.reseller_tickets)
    key = "serve" if profile == (100, 1_000) else f"serve-{args.resellers}x{args.reseller_tickets}"
    title = f"The HTTP API under load ({info['tickets']:,} tickets, {args.resellers} resellers of {args.reseller_tickets:,})"
    finish(key, title, table(info, results, args), None if args.keep else folder)


if __name__ == "__main__":
    main()
