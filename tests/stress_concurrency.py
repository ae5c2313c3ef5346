"""Concurrency harness: N worker processes run M mixed supportdesk commands each against
one desk file through the real CLI (the Typer app, in-process in each worker process),
then the desk is checked for lost writes, history that does not replay, and corruption.

    from stress_concurrency import run_concurrency
    report = run_concurrency(workdir, processes=4, operations=60)
    assert report.ok, report.summary()

Used by tests/test_concurrency.py (bounded) and benchmarks/stress.py (full size).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import secrets
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from stress_common import ADMIN, AGENTS, cli_ok, connect, integrity, run_cli, write_policies

# Operation kinds and how often a worker picks each (weights, not percentages).
KINDS = {
    "file": 14,
    "reply": 16,
    "note": 9,
    "wait": 8,
    "resume": 8,
    "assign": 9,
    "priority": 4,
    "close": 8,
    "close_many": 4,
    "reopen": 8,
    "escalate_auto": 6,
    "policy_apply": 4,
    "show": 2,
}
PRIORITIES = ("critical", "high", "normal", "low")
DEPARTMENTS = ("technical", "billing", "sales")
# Chat and phone take tickets only in office hours (the intake refuses them outside),
# and writers here file at any hour.
CHANNELS = ("ticket", "email")
REASONS = ("resolved", "resolved", "duplicate", "out-of-scope", "incomplete", "no-response", "abuse")

# Refusals that are part of the state machine, by kind: (exit code, pattern of the
# `error:` line). The patterns pin the meaning (which states refuse what), not the
# wording after the colon. Anything else a command says or does is a failure.
NOT_FOUND = (3, r"^no ticket #\d+\b")


def _state(statuses: str) -> tuple[int, str]:
    return (1, rf"^ticket #\d+ is ({statuses}):")


EXPECTED_REFUSALS: dict[str, tuple[tuple[int, str], ...]] = {
    "file": (),
    "reply": (NOT_FOUND, _state("resolved|closed")),
    "note": (NOT_FOUND,),
    "wait": (NOT_FOUND, _state("pending|resolved|closed")),
    "resume": (NOT_FOUND, _state("new|open|resolved|closed")),
    "assign": (NOT_FOUND, (1, r"^ticket #\d+ is already assigned to \w+$"), _state("closed")),
    "priority": (NOT_FOUND, (1, r"^ticket #\d+ is already (critical|high|normal|low)$"), _state("resolved|closed")),
    "close": ((3, r"^1 of the tickets? (do|does) not exist \(#\d+\)"),),
    "close_many": ((3, r"^\d+ of the tickets? (do|does) not exist \((#\d+(, )?)+\)"),),
    "reopen": (NOT_FOUND, _state("new|open|pending")),
    "escalate_auto": (),
    "policy_apply": (),
    "show": (NOT_FOUND,),
}


def _reason_key(kind: str, code: int, line: str) -> str:
    """A refusal's reason with the ticket numbers and logins taken out, for counting."""
    text = re.sub(r"#\d+", "#N", line)
    text = re.sub(r"\b(" + "|".join((ADMIN, *AGENTS)) + r")\b", "AGENT", text)
    text = re.sub(r"\(#N(, #N)*\)", "(#N…)", text)
    text = re.sub(r"^\d+ of the", "K of the", text)
    return f"{kind} exit {code}: {text.split(';')[0]}"


# ---- the desk ---------------------------------------------------------------------------


@dataclass
class Setup:
    db: Path
    policy_a: Path
    policy_b: Path
    seeded_ids: list[int]
    seeded_messages: int


def setup_desk(workdir: Path, seed_tickets: int = 20, rng: random.Random | None = None, now: datetime | None = None) -> Setup:
    """A hosting-general desk with agents and `seed_tickets` tickets filed over the two
    days before `now` (so that some are breached), a few answered and a few closed.

    Without `now` the desk is made and seeded relative to the real clock, for workers
    that act at the real clock time (no --now), as concurrent writers do."""
    rng = rng or random.Random(1)
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "desk.db"
    policy_a, policy_b = write_policies(workdir)

    def before(minutes: int) -> str:
        """--now for `minutes` before `now` (before the real clock's now without one)."""
        return f"-{minutes}m" if now is None else (now - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")

    made = [] if now is None else ["--now", before(3 * 24 * 60)]
    cli_ok(db, [*made, "init", "--policy", str(policy_a)])
    for login in AGENTS:
        cli_ok(db, [*made, "agent", "add", login])
    ids, messages = [], 0
    hours = sorted((rng.uniform(1, 48) for _ in range(seed_tickets)), reverse=True)
    for n, ago in enumerate(hours):
        at = before(int(ago * 60))
        out = cli_ok(db, ["--now", at, "file", "-s", f"seed ticket {n} {secrets.token_hex(3)}", "-b", "seeded by the harness",
                          "-c", f"seed{n % 7}@example.com", "--priority", rng.choice(PRIORITIES),
                          "--department", rng.choice(DEPARTMENTS), "--channel", rng.choice(CHANNELS)],
                     user=rng.choice(AGENTS))
        ids.append(int(out.stdout.strip()))
        later = before(max(1, int(ago * 60) - 30))
        roll = rng.random()
        if roll < 0.3:
            cli_ok(db, ["--now", later, "reply", str(ids[-1]), "-m", f"seed reply {n}"], user=rng.choice(AGENTS))
            messages += 1
        elif roll < 0.5:
            cli_ok(db, ["--now", later, "close", str(ids[-1]), "--reason", rng.choice(REASONS)], user=rng.choice(AGENTS))
    return Setup(db, policy_a, policy_b, ids, messages)


# ---- the workers ------------------------------------------------------------------------


def _pick_id(rng: random.Random, max_id: int) -> int:
    """Mostly an existing ticket, sometimes one that may not exist yet."""
    if max_id == 0 or rng.random() < 0.04:
        return max_id + rng.randint(1, 3)
    return rng.randint(1, max_id)


def schedule(rng: random.Random, operations: int) -> list[str]:
    """A worker's operation kinds: every kind at least once (when there is room), the
    rest drawn by weight, in random order."""
    kinds = list(KINDS)[:operations]
    kinds += rng.choices(list(KINDS), list(KINDS.values()), k=operations - len(kinds))
    rng.shuffle(kinds)
    return kinds


def _plan(kind: str, rng: random.Random, max_id: int, tag: str, policies: tuple[str, str], applies: int = 0) -> tuple[list[str], str, dict[str, Any]]:
    """(arguments, acting user, what to remember) for one operation; `applies` is how
    many policy applies this worker did before (they alternate between the two files)."""
    user = rng.choice((ADMIN, *AGENTS))
    extra: dict[str, Any] = {}
    if kind == "file":
        subject = f"stress {tag} {secrets.token_hex(4)}"
        extra["subject"] = subject
        args = ["file", "-s", subject, "-b", f"body of {subject}", "-c", f"cust{rng.randrange(40)}@example.com",
                "--priority", rng.choice(PRIORITIES), "--department", rng.choice(DEPARTMENTS),
                "--channel", rng.choice(CHANNELS)]
        if rng.random() < 0.3:
            args += ["--field", f"domain=site{rng.randrange(99)}.example.com"]
    elif kind in ("reply", "note"):
        ticket = _pick_id(rng, max_id)
        text = f"{kind} {tag} {secrets.token_hex(6)}"
        extra |= {"ticket": ticket, "text": text}
        args = ["reply", str(ticket), "-m", text] + (["--internal"] if kind == "note" else [])
    elif kind in ("wait", "resume", "reopen", "show"):
        ticket = _pick_id(rng, max_id)
        extra["ticket"] = ticket
        args = [kind, str(ticket)]
    elif kind == "assign":
        ticket = _pick_id(rng, max_id)
        extra["ticket"] = ticket
        args = ["assign", str(ticket), "--to", rng.choice((*AGENTS, "me", "none"))]
    elif kind == "priority":
        ticket = _pick_id(rng, max_id)
        extra["ticket"] = ticket
        args = ["priority", str(ticket), rng.choice(PRIORITIES), "--reason", f"stress {tag}"]
    elif kind == "close":
        ticket = _pick_id(rng, max_id)
        extra["tickets"] = [ticket]
        args = ["close", str(ticket), "--reason", rng.choice(REASONS)]
    elif kind == "close_many":
        tickets = sorted({_pick_id(rng, max_id) for _ in range(rng.randint(2, 5))})
        extra["tickets"] = tickets
        args = ["close", *map(str, tickets), "--reason", rng.choice(REASONS)]
    elif kind == "escalate_auto":
        args = ["escalate", "--auto", "--yes"]
    elif kind == "policy_apply":
        user = ADMIN  # only admins apply policies
        which = applies % 2
        extra["policy"] = "ab"[which]
        args = ["policy", "apply", policies[which], "--json"]
    else:
        raise ValueError(kind)
    return args, user, extra


def _max_id(db: str) -> int:
    """The highest ticket id now, read with a connection closed again at once: a worker
    must hold no connection of its own while a command runs (see PERSISTENT_READER)."""
    conn = sqlite3.connect(db, timeout=120)
    try:
        return conn.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchall()[0][0]
    finally:
        conn.close()


def worker(
    index: int, db: str, policies: tuple[str, str], operations: int, seed: int, barrier: Any, out: str,
    persistent_reader: bool = False,
) -> None:
    """One worker process: `operations` random commands, each recorded to `out` (JSON).

    With `persistent_reader` the worker keeps one read connection open across its
    commands, as a program using supportdesk as a library next to its own reads would.
    """
    rng = random.Random(seed * 7919 + index)
    reads = sqlite3.connect(db, timeout=120) if persistent_reader else None
    # The kinds come from their own generator: the same schedule whatever the timing.
    kinds = schedule(random.Random(seed * 104729 + index), operations)
    applies = index  # worker i starts with policy (i % 2): B is applied early on
    records: list[dict[str, Any]] = []
    read_errors: list[str] = []
    run_cli(db, ["--version"], ADMIN)  # import the CLI before the start line
    barrier.wait()
    started = time.perf_counter()
    try:
        for n in range(operations):
            try:
                if reads is not None:
                    max_id = reads.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchall()[0][0]
                else:
                    max_id = _max_id(db)
            except sqlite3.Error as error:
                read_errors.append(f"op {n}: {error}")
                max_id = records[-1]["max_id"] if records else 0
            kind = kinds[n]
            args, user, extra = _plan(kind, rng, max_id, f"w{index}-{n}", policies, applies)
            applies += kind == "policy_apply"
            t0 = time.perf_counter()
            outcome = run_cli(db, args, user)
            if kind == "policy_apply" and outcome.code == 0:
                try:
                    extra |= {k: v for k, v in json.loads(outcome.stdout).items() if k in ("version", "changed", "recomputed")}
                except ValueError:
                    pass  # classify() reports it: an apply must print its JSON
            records.append(
                {
                    "worker": index, "n": n, "kind": kind, "args": args, "user": user, "max_id": max_id,
                    "code": outcome.code, "stdout": outcome.stdout[-2000:], "stderr": outcome.stderr[-2000:],
                    "traceback": outcome.traceback, "escaped": outcome.escaped, "seconds": time.perf_counter() - t0,
                    **extra,
                }
            )
    finally:
        if reads is not None:
            reads.close()
        Path(out).write_text(
            json.dumps({"pid": os.getpid(), "seconds": time.perf_counter() - started, "records": records, "read_errors": read_errors}),
            encoding="utf-8",
        )


# ---- the run and its checks -------------------------------------------------------------


@dataclass
class Report:
    processes: int
    operations: int
    wall_seconds: float = 0.0
    records: list[dict[str, Any]] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # kind -> runs
    succeeded: Counter = field(default_factory=Counter)  # kind -> exit 0
    refusals: Counter = field(default_factory=Counter)  # reason -> count
    busy: list[dict[str, Any]] = field(default_factory=list)  # exit 4
    failures: list[str] = field(default_factory=list)  # anything that must never happen
    checks: dict[str, list[str]] = field(default_factory=dict)  # invariant -> problems
    findings: dict[str, list[str]] = field(default_factory=dict)  # known defects, kept apart
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ran(self) -> int:
        return len(self.records)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.busy and not any(self.checks.values())

    def summary(self, limit: int = 8) -> str:
        lines = [
            f"{self.ran} operations by {self.processes} processes ({len(set(self.pids))} distinct pids) "
            f"in {self.wall_seconds:.1f} s: {self.ran / max(self.wall_seconds, 1e-9):.1f} ops/s",
            "per kind (ran / exit 0): " + ", ".join(f"{k} {self.counts[k]}/{self.succeeded[k]}" for k in KINDS if self.counts[k]),
            "refusals by reason:",
            *(f"  {n:5d}  {reason}" for reason, n in self.refusals.most_common()),
            f"busy or unusable-desk refusals (exit 4): {len(self.busy)}",
            f"failures: {len(self.failures)}",
            *(f"  {f}" for f in self.failures[:limit]),
        ]
        for name, problems in self.checks.items():
            lines.append(f"check {name}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
            lines += [f"  {p}" for p in problems[:limit]]
        for name, problems in self.findings.items():
            lines.append(f"finding {name}: {'none' if not problems else f'{len(problems)} occurrence(s)'}")
            lines += [f"  {p}" for p in problems[:limit]]
        if self.stats:
            lines.append("desk: " + ", ".join(f"{k} {v}" for k, v in self.stats.items()))
        return "\n".join(lines)


def run_concurrency(
    workdir: Path, processes: int = 4, operations: int = 60, seed: int = 1, seed_tickets: int = 20, timeout: float = 900,
    persistent_reader: bool = False,
) -> Report:
    """Set up a desk in `workdir`, run the workers at once, then check the desk."""
    setup = setup_desk(workdir, seed_tickets, random.Random(seed))
    report = Report(processes, operations)
    ctx = multiprocessing.get_context("spawn")  # each worker a fresh interpreter, nothing shared
    barrier = ctx.Barrier(processes + 1)
    outs = [workdir / f"worker-{i}.json" for i in range(processes)]
    workers = [
        ctx.Process(
            target=worker,
            args=(i, str(setup.db), (str(setup.policy_a), str(setup.policy_b)), operations, seed, barrier, str(outs[i]), persistent_reader),
            name=f"stress-worker-{i}",
        )
        for i in range(processes)
    ]
    for w in workers:
        w.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    deadline = started + timeout
    for w in workers:
        w.join(max(0.0, deadline - time.perf_counter()))
    report.wall_seconds = time.perf_counter() - started
    for i, w in enumerate(workers):
        if w.is_alive():
            w.kill()
            w.join()
            report.failures.append(f"worker {i} did not finish within {timeout:.0f} s")
        elif w.exitcode != 0:
            report.failures.append(f"worker {i} died with exit code {w.exitcode}")
        if outs[i].exists():
            data = json.loads(outs[i].read_text(encoding="utf-8"))
            report.pids.append(data["pid"])
            report.records += data["records"]
            report.failures += [f"worker {i} could not read the desk: {e}" for e in data.get("read_errors", [])[:5]]
        else:
            report.failures.append(f"worker {i} wrote no results")
    if len(set(report.pids)) != len(report.pids) or os.getpid() in report.pids:
        report.failures.append(f"workers did not run in separate processes: pids {report.pids}")
    classify(report)
    verify_desk(setup, report)
    return report


def classify(report: Report) -> None:
    """Count outcomes; every exit that is neither success nor an expected refusal fails."""
    for r in report.records:
        kind, code = r["kind"], r["code"]
        report.counts[kind] += 1
        where = f"worker {r['worker']} op {r['n']} ({' '.join(r['args'])} as {r['user']})"
        if r["traceback"]:
            report.failures.append(f"{where}: traceback: {(r['escaped'] or r['stderr'])[-600:]}")
            continue
        lines = r["stderr"].strip().splitlines()
        errors = [l for l in lines if l.startswith("error:")]
        if code == 0:
            report.succeeded[kind] += 1
            if errors:
                report.failures.append(f"{where}: exit 0 with {errors[0]}")
            if kind == "policy_apply" and "version" not in r:
                report.failures.append(f"{where}: exit 0 but no JSON result: {r['stdout'][:200]!r}")
            continue
        if code == 5 and kind in ("close", "close_many", "escalate_auto"):
            # A bulk operation that skipped tickets (already closed, at the top level):
            # done as far as it could be, its summary on stderr, no error line.
            report.succeeded[kind] += 1
            if errors:
                report.failures.append(f"{where}: exit 5 with {errors[0]}")
            continue
        if code == 4:
            report.busy.append(r)
            report.failures.append(f"{where}: BUSY exit 4: {r['stderr'].strip()}")
            continue
        line = errors[0][len("error: "):] if len(errors) == 1 else ""
        if len(errors) != 1:
            report.failures.append(f"{where}: exit {code} without exactly one error line: {r['stderr'].strip()[:300]!r}")
            continue
        if not any(code == c and re.search(p, line) for c, p in EXPECTED_REFUSALS[kind]):
            report.failures.append(f"{where}: unexpected exit {code}: {line}")
            continue
        if code == 3:
            # An id at or below the highest one seen before the command existed already:
            # tickets are never deleted, so "not found" for it would be a lost ticket.
            named = [int(x) for x in re.findall(r"#(\d+)", line)]
            lost = [i for i in named if i <= r["max_id"]]
            if lost:
                report.failures.append(f"{where}: existing ticket(s) {lost} reported missing: {line}")
                continue
        report.refusals[_reason_key(kind, code, line)] += 1


def _defaults(conn: sqlite3.Connection) -> dict[str, Any]:
    """Each ticket column's value when an insert does not name it (the schema default)."""
    values = {}
    for col in conn.execute("PRAGMA table_info(tickets)"):
        values[col["name"]] = conn.execute(f"SELECT {col['dflt_value']}").fetchone()[0] if col["dflt_value"] is not None else None
    return values


def replay_problems(conn: sqlite3.Connection, strict_filed: bool = False) -> tuple[list[str], list[str], list[str]]:
    """Replay every ticket's events against its row.

    Returns (problems, filed-event gaps, order problems): problems are changes whose
    `before` is not the value so far or a final value that differs from the row; gaps
    are columns of a new row its `filed` event does not list (replayed from the schema
    default unless `strict_filed`); order problems are events whose `at` goes back.
    """
    defaults = _defaults(conn)
    columns = [c for c in defaults if c not in ("id", "updated_at")]
    problems: list[str] = []
    gaps: Counter = Counter()
    order: list[str] = []
    state: dict[int, dict[str, Any]] = {}
    last_at: dict[int, str] = {}
    for ev in conn.execute("SELECT id, ticket_id, at, kind, changes FROM events WHERE ticket_id IS NOT NULL ORDER BY id"):
        tid = ev["ticket_id"]
        changes = json.loads(ev["changes"]) if ev["changes"] else None
        if tid in last_at and ev["at"] < last_at[tid]:
            order.append(f"#{tid}: event {ev['id']} ({ev['kind']}) at {ev['at']} is before the previous event at {last_at[tid]}")
        last_at[tid] = max(ev["at"], last_at.get(tid, ev["at"]))
        if tid not in state:
            if ev["kind"] != "filed" or not changes:
                problems.append(f"#{tid}: first event {ev['id']} is {ev['kind']} {'with' if changes else 'without'} changes, not a filed event with the new row")
                state[tid] = {}
                continue
            row: dict[str, Any] = {}
            for col in columns:
                if col in changes:
                    before, after = changes[col]
                    if before is not None:
                        problems.append(f"#{tid}: filed event lists {col} with before {before!r}, not null")
                    row[col] = after
                else:
                    gaps[col] += 1
                    row[col] = None if strict_filed else defaults[col]
            unknown = set(changes) - set(columns)
            if unknown:
                problems.append(f"#{tid}: filed event lists unknown or untracked columns {sorted(unknown)}")
            state[tid] = row
            continue
        if ev["kind"] == "filed":
            problems.append(f"#{tid}: a second filed event {ev['id']}")
        if not changes:
            continue
        row = state[tid]
        for col, (before, after) in changes.items():
            if col not in columns:
                problems.append(f"#{tid}: event {ev['id']} ({ev['kind']}) changes unknown or untracked column {col}")
                continue
            if row.get(col) != before:
                problems.append(f"#{tid}: event {ev['id']} ({ev['kind']}) says {col} was {before!r}, but replay has {row.get(col)!r}")
            if before == after:
                problems.append(f"#{tid}: event {ev['id']} ({ev['kind']}) lists {col} unchanged ({after!r})")
            row[col] = after
    seen = set()
    for t in conn.execute("SELECT * FROM tickets ORDER BY id"):
        tid = t["id"]
        seen.add(tid)
        if tid not in state:
            problems.append(f"#{tid}: no events")
            continue
        replayed = state[tid]
        diffs = [f"{c}: replay {replayed.get(c)!r} != row {t[c]!r}" for c in columns if replayed.get(c) != t[c]]
        if diffs:
            problems.append(f"#{tid}: replay differs from the row: " + "; ".join(diffs[:4]))
        if tid in last_at and t["updated_at"] != last_at[tid]:
            problems.append(f"#{tid}: updated_at {t['updated_at']} is not its last event's instant {last_at[tid]}")
    for tid in set(state) - seen:
        problems.append(f"events of ticket #{tid}, which does not exist")
    gap_list = [f"filed events omit {col} ({n} tickets)" for col, n in sorted(gaps.items())]
    return problems, gap_list, order


def policy_staleness(conn: sqlite3.Connection) -> list[str]:
    """Ticket writes that stamped a policy version other than the one in force when the
    write committed (writes are serialised, so event ids follow commit order)."""
    found = []
    applied_in: dict[str, int] = {}
    for ev in conn.execute("SELECT operation, details FROM events WHERE kind = 'policy_applied'"):
        applied_in[ev["operation"]] = json.loads(ev["details"])["version"]
    current = 1
    for ev in conn.execute("SELECT id, ticket_id, kind, operation, details, changes FROM events ORDER BY id"):
        if ev["kind"] == "policy_applied":
            current = json.loads(ev["details"])["version"]
            continue
        if not ev["changes"]:
            continue
        changes = json.loads(ev["changes"])
        if "policy_version" not in changes:
            continue
        in_force = applied_in.get(ev["operation"], current)
        stamped = changes["policy_version"][1]
        if stamped != in_force:
            found.append(f"#{ev['ticket_id']}: event {ev['id']} ({ev['kind']}) computed deadlines under policy version {stamped} while version {in_force} was in force")
    return found


def verify_desk(setup: Setup, report: Report) -> None:
    """The invariants after the run: (b) no lost or doubled write, (c) history replays,
    (d) the file is sound; plus the ordering of operations."""
    try:
        _verify_content(setup, report)
    except Exception as error:  # noqa: BLE001 - a damaged desk breaks the checks themselves
        report.checks["desk readable"] = [f"the checks could not read the desk: {type(error).__name__}: {error}"]
    # (d) the file itself.
    report.checks["(d) integrity and foreign keys"] = integrity(setup.db)


def _verify_content(setup: Setup, report: Report) -> None:
    checks = report.checks
    conn = connect(setup.db)
    try:
        tickets = {r["id"]: dict(r) for r in conn.execute("SELECT id, subject FROM tickets")}
        messages = [dict(r) for r in conn.execute("SELECT id, ticket_id, author, internal, body FROM messages")]
        by_body: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for m in messages:
            by_body[m["body"]].append(m)

        # (b) every successful file has its own id and ticket; no ticket from nowhere.
        lost: list[str] = []
        files = [r for r in report.records if r["kind"] == "file" and r["code"] == 0]
        ids = []
        for r in files:
            text = r["stdout"].strip()
            if not text.isdigit():
                lost.append(f"file by worker {r['worker']} op {r['n']} printed {text!r}, not an id")
                continue
            ids.append(int(text))
            row = tickets.get(int(text))
            if row is None:
                lost.append(f"#{text} filed by worker {r['worker']} op {r['n']} is not in the desk")
            elif row["subject"] != r["subject"]:
                lost.append(f"#{text} holds {row['subject']!r}, not the ticket filed as it ({r['subject']!r})")
        doubled = [i for i, n in Counter(ids).items() if n > 1]
        if doubled:
            lost.append(f"ids returned to more than one file: {doubled[:10]}")
        expected = len(setup.seeded_ids) + len(files)
        if len(tickets) != expected:
            lost.append(f"the desk holds {len(tickets)} tickets; {len(setup.seeded_ids)} seeded + {len(files)} filed = {expected}")

        # (b) every successful reply or note is there exactly once; no refused one is.
        written = 0
        for r in report.records:
            if r["kind"] not in ("reply", "note"):
                continue
            found = by_body.get(r["text"], [])
            if r["code"] != 0:
                if found:
                    lost.append(f"refused {r['kind']} {r['text']!r} (exit {r['code']}) is in the desk anyway")
                continue
            written += 1
            if len(found) != 1:
                lost.append(f"{r['kind']} {r['text']!r} to #{r['ticket']} is in the desk {len(found)} times")
                continue
            m = found[0]
            if (m["ticket_id"], bool(m["internal"]), m["author"]) != (r["ticket"], r["kind"] == "note", f"agent:{r['user']}"):
                lost.append(f"{r['kind']} {r['text']!r} landed as ticket #{m['ticket_id']}, internal {m['internal']}, by {m['author']}")
        if len(messages) != setup.seeded_messages + written:
            lost.append(f"the desk holds {len(messages)} messages; {setup.seeded_messages} seeded + {written} written")
        checks["(b) no lost or doubled write"] = lost

        # (c) every ticket's events replay to its row; `at` never goes back.
        problems, gaps, order = replay_problems(conn)
        checks["(c) events replay to the ticket row"] = problems
        checks["(c) event instants in order per ticket"] = order
        report.findings["filed event omits columns of the new row"] = gaps

        # Operations are serialised: each one's events are contiguous, stamped once, and
        # recorded in commit order.
        seq: list[str] = []
        prev = None
        spans: dict[str, list[int]] = defaultdict(list)
        stamps: dict[str, set[str]] = defaultdict(set)
        for ev in conn.execute("SELECT id, recorded_at, operation FROM events ORDER BY id"):
            if ev["recorded_at"] is None:
                seq.append(f"event {ev['id']} has no recorded_at")
                continue
            if prev is not None and ev["recorded_at"] < prev:
                seq.append(f"event {ev['id']} recorded at {ev['recorded_at']}, before the event ahead of it ({prev})")
            prev = ev["recorded_at"]
            if ev["operation"]:
                spans[ev["operation"]].append(ev["id"])
                stamps[ev["operation"]].add(ev["recorded_at"])
        for op, ids_ in spans.items():
            if max(ids_) - min(ids_) + 1 != len(ids_):
                seq.append(f"operation {op}: its events {min(ids_)}…{max(ids_)} interleave with another's")
            if len(stamps[op]) != 1:
                seq.append(f"operation {op}: recorded at {sorted(stamps[op])}")
        checks["operations serialised"] = seq

        report.findings["write computed under a superseded policy"] = policy_staleness(conn)
        applies = [r for r in report.records if r["kind"] == "policy_apply" and r["code"] == 0]
        report.stats = {
            "policy applies that changed the version": sum(1 for r in applies if r.get("changed")),
            "tickets recomputed by them": sum(r.get("recomputed", 0) for r in applies),
            "tickets": len(tickets),
            "messages": len(messages),
            "events": conn.execute("SELECT count(*) FROM events").fetchone()[0],
            "policy versions": conn.execute("SELECT count(*) FROM policy_versions").fetchone()[0],
            "escalations": conn.execute("SELECT count(*) FROM events WHERE kind = 'escalate'").fetchone()[0],
            "outbox": conn.execute("SELECT count(*) FROM outbox").fetchone()[0],
            "statuses": dict(conn.execute("SELECT status, count(*) FROM tickets GROUP BY status").fetchall()),
        }
    finally:
        conn.close()


if __name__ == "__main__":  # a quick manual run: python tests/stress_concurrency.py DIR [P M]
    import tempfile

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="sd-conc-"))
    p, m = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (4, 60)
    print(run_concurrency(target, p, m, persistent_reader=os.environ.get("PERSISTENT_READER") == "1").summary())
