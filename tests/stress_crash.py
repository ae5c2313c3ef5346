"""Crash-safety harness: start one big supportdesk command as its own process, kill it
(SIGKILL) at a random moment, and check that the desk holds exactly what it held before
the command or exactly what an uninterrupted run of the same command leaves, and that
SQLite finds the file sound. Ctrl-C (SIGINT) during a bulk close must exit 130 with the
same all-or-nothing result.

Operations (all at a pinned --now, so that two runs write the same rows; only the events'
`recorded_at` and `operation` differ between runs and are left out of the digests):
  close     close --status active --yes --reason no-response   (every open ticket)
  policy    policy apply FILE (another at_risk_share)         (recomputes every open ticket)
  escalate  escalate --auto                                    (every breached ticket)
  demo      demo --now 2026-11-20T14:45 into a new file

Used by tests/test_crash.py (bounded) and benchmarks/stress.py --kills N.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stress_common import (
    ADMIN,
    AGENTS,
    POLICY_A,
    cli_ok,
    connect,
    copy_desk,
    desk_digest,
    integrity,
    run_cli,
    settle,
    spawn_cli,
    write_policies,
)

NOW = "2026-11-20T12:00:00Z"  # every operation acts at this instant
DEMO_NOW = "2026-11-20T14:45"
OPERATIONS = ("close", "policy", "escalate", "demo")
# The bulk-loaded tickets: two thirds still open, the rest finished.
STATUSES = ("new", "new", "open", "open", "open", "pending", "resolved", "closed", "closed")
PRIORITIES = ("critical", "high", "normal", "normal", "low")
DEPARTMENTS = ("technical", "technical", "billing", "sales")
CHANNELS = ("ticket", "ticket", "email", "chat", "phone")


def _text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Base:
    """The desk every trial starts from, and what each operation makes of it."""

    workdir: Path
    db: Path
    args: dict[str, list[str]]
    before: dict[str, str] = field(default_factory=dict)
    after: dict[str, dict[str, str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # uninterrupted, whole process
    writing: dict[str, tuple[float, float]] = field(default_factory=dict)  # first/last seen holding the write lock
    startup: float = 0.0  # `python -m supportdesk --version`
    stats: dict[str, Any] = field(default_factory=dict)


def build_desk(db: Path, tickets: int = 3000, seed: int = 3) -> dict[str, Any]:
    """A hosting-general desk with agents and `tickets` tickets (bulk path, as
    benchmarks/tickets.py builds its desks) filed over the 20 days before NOW, then a
    policy apply that gives every open ticket its deadlines. Returns counts."""
    from supportdesk.desk import Desk

    rng = random.Random(seed)
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    start = now - timedelta(days=20)
    desk = Desk.create(db, login=ADMIN, clock=lambda: start - timedelta(days=1), policy_text=POLICY_A,
                       policy_source="examples/hosting-general.toml")
    try:
        for login in AGENTS:
            desk.add_agent(login)
        store = desk.store
        with store.transaction():
            store.conn.executemany(
                "INSERT INTO customers (id, email, created_at) VALUES (?, ?, ?)",
                [(i + 1, f"admin@customer{i}.example.com", _text(start)) for i in range(60)],
            )
            offsets = sorted(rng.randrange(int((now - start).total_seconds()) - 3600) for _ in range(tickets))

            def rows():
                for i, offset in enumerate(offsets):
                    created = start + timedelta(seconds=offset)
                    status = rng.choice(STATUSES)
                    done = status in ("resolved", "closed")
                    yield {
                        "id": i + 1,
                        "subject": f"Bulk ticket {i + 1}: site{i % 97}.example.com",
                        "body": "Loaded by the crash harness.",
                        "status": status,
                        "priority": rng.choice(PRIORITIES),
                        "department": rng.choice(DEPARTMENTS),
                        "channel": rng.choice(CHANNELS),
                        "customer_id": rng.randrange(60) + 1,
                        "created_at": _text(created),
                        "updated_at": _text(created),
                        "paused_at": _text(created + timedelta(minutes=30)) if status == "pending" else None,
                        "resolved_at": _text(created + timedelta(minutes=50)) if done else None,
                        "closed_at": _text(created + timedelta(minutes=50)) if status == "closed" else None,
                        "close_reason": "resolved" if done else None,
                    }

            store.bulk_insert_tickets(rows())
    finally:
        desk.close()
    # Deadlines for the open tickets: the same policy with a changed comment is a new
    # version, so applying it recomputes every open ticket.
    a2 = db.parent / "policy-a2.toml"
    a2.write_text(POLICY_A + "\n# crash harness: the same rules, a new version\n", encoding="utf-8")
    cli_ok(db, ["--now", NOW, "policy", "apply", str(a2)])
    conn = connect(db)
    try:
        stats = {
            "tickets": conn.execute("SELECT count(*) FROM tickets").fetchone()[0],
            "open": conn.execute("SELECT count(*) FROM tickets WHERE status IN ('new','open','pending')").fetchone()[0],
            "breached": conn.execute(
                "SELECT count(*) FROM tickets WHERE status IN ('new','open','pending') AND due_at < ?", [NOW]
            ).fetchone()[0],
        }
    finally:
        conn.close()
    settle(db)
    return stats


def _timed_run(db: Path, args: list[str], timeout: float = 300, probe: bool = False) -> tuple[float, int, str, tuple[float, float] | None]:
    """Run a command to its end: (seconds, exit code, stderr, and with `probe` when it
    first and last held the write lock, seen by polling)."""
    started = time.perf_counter()
    proc = spawn_cli(db, args)
    first = last = None
    building = db.with_name(f".{db.name}.building-{proc.pid}")  # where `demo` builds its desk
    if probe:
        while proc.poll() is None:
            now = time.perf_counter() - started
            if "demo" in args:
                # From the work file's appearance to the finished desk's.
                if first is None and building.exists():
                    first = now
                if first is not None and db.exists():
                    last = now
                    break
            elif db.exists() and _holds_write_lock(db):
                first = now if first is None else first
                last = now
            time.sleep(0.002)
    _, err = proc.communicate(timeout=timeout)
    window = (first, last) if first is not None else None
    return time.perf_counter() - started, proc.returncode, err, window


def prepare(workdir: Path, tickets: int = 3000, check_repeatable: bool = True) -> Base:
    """Build the base desk and run every operation once uninterrupted (twice with
    `check_repeatable`, to prove the digests do not depend on the run)."""
    workdir.mkdir(parents=True, exist_ok=True)
    _, policy_b = write_policies(workdir)
    db = workdir / "base.db"
    stats = build_desk(db, tickets)
    base = Base(
        workdir,
        db,
        {
            "close": ["--now", NOW, "close", "--status", "active", "--yes", "--reason", "no-response"],
            "policy": ["--now", NOW, "policy", "apply", str(policy_b)],
            "escalate": ["--now", NOW, "escalate", "--auto", "--yes"],
            "demo": ["--now", DEMO_NOW, "demo"],
        },
        stats=stats,
    )
    base.before = desk_digest(db)
    started = time.perf_counter()
    spawn_cli(db, ["--version"]).communicate(timeout=60)
    base.startup = time.perf_counter() - started
    runs = 2 if check_repeatable else 1
    for op in OPERATIONS:
        digests = []
        for run in range(runs):
            target = workdir / f"reference-{op}-{run}.db"
            if op != "demo":
                copy_desk(db, target)
            seconds, code, err, window = _timed_run(target, base.args[op], probe=run == 0)
            if window:
                base.writing[op] = window
            if code != 0:
                raise AssertionError(f"uninterrupted {op} exited {code}: {err[-500:]}")
            problems = integrity(target)
            if problems:
                raise AssertionError(f"uninterrupted {op} left an unsound desk: {problems}")
            digests.append(desk_digest(target))
            base.seconds[op] = max(base.seconds.get(op, 0.0), seconds)
            _remove(target)
        if any(d != digests[0] for d in digests):
            changed = sorted(t for t in digests[0] if digests[0][t] != digests[1][t])
            raise AssertionError(f"two uninterrupted runs of {op} wrote different desks (tables {changed})")
        if op != "demo" and digests[0] == base.before:
            raise AssertionError(f"{op} changed nothing on the base desk; the trial would prove nothing")
        base.after[op] = digests[0]
    return base


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@dataclass
class Trial:
    op: str
    signal: str
    delay: float
    outcome: str  # before | after | broken
    interrupted: bool  # the process was still running when the signal was sent
    returncode: int | None = None
    detail: str = ""
    leftovers: list[str] = field(default_factory=list)
    stderr_noise: bool = False  # exit 130 and a sound desk, but Python printed an ignored exception


def _judge(base: Base, op: str, db: Path) -> tuple[str, str]:
    """before / after / broken, and why when broken."""
    problems = integrity(db)
    if problems:
        return "broken", "; ".join(problems)
    digest = desk_digest(db)
    if digest == base.before:
        outcome = "before"
    elif digest == base.after[op]:
        outcome = "after"
    else:
        against = base.after[op]
        tables = sorted(t for t in digest if digest[t] not in (base.before[t], against[t]))
        mixed = sorted(t for t in digest if digest[t] == base.before[t] and base.before[t] != against[t])
        return "broken", f"neither before nor after: tables {tables} match neither; {mixed} still as before"
    # The recovered desk must still take a write through the CLI.
    out = run_cli(db, ["--now", NOW, "reply", "1", "-m", "written after the crash", "--internal"], AGENTS[0])
    if out.code != 0:
        return "broken", f"desk refuses a write after recovery: exit {out.code} {out.stderr.strip()[:200]}"
    return outcome, ""


def kill_trial(base: Base, op: str, rng: random.Random, trial_dir: Path) -> Trial:
    """One SIGKILL at a random moment of `op`; the verdict on what it left."""
    trial_dir.mkdir(parents=True, exist_ok=True)
    for leftover in trial_dir.iterdir():
        leftover.unlink()
    total = base.seconds[op]
    first, last = base.writing.get(op, (base.startup, total))
    db = trial_dir / ("demo.db" if op == "demo" else "desk.db")
    if op != "demo":
        copy_desk(base.db, db)
    proc = spawn_cli(db, base.args[op])
    started = time.perf_counter()
    # A quarter of the kills anywhere in the run (start-up included); the rest while the
    # command holds the write lock or just after (reading, planning, writing, committing,
    # printing), timed from when this run is seen taking the lock (the demo: from when its
    # work file appears until the desk is renamed into place), so that a slower or faster
    # machine still lands them there.
    if rng.random() < 0.25:
        delay = rng.uniform(0, total)
        time.sleep(delay)
    else:
        building = db.with_name(f".{db.name}.building-{proc.pid}")
        while proc.poll() is None and not (building.exists() if op == "demo" else _holds_write_lock(db)):
            if time.perf_counter() - started > total * 4 + 10:
                break
            time.sleep(0.002)
        time.sleep(rng.uniform(0, (last - first) * 1.15 + 0.03))
        delay = time.perf_counter() - started
    interrupted = proc.poll() is None
    if interrupted:
        proc.kill()
    proc.communicate(timeout=60)
    trial = Trial(op, "SIGKILL", delay, "", interrupted, proc.returncode)
    if op == "demo":
        trial.leftovers = sorted(p.name for p in trial_dir.iterdir() if p.name not in ("demo.db", "demo.db-wal", "demo.db-shm"))
        if not db.exists():
            trial.outcome = "before"
        else:
            trial.outcome, trial.detail = _judge(base, op, db)
    else:
        trial.leftovers = sorted(p.name for p in trial_dir.iterdir() if p.name not in ("desk.db", "desk.db-wal", "desk.db-shm"))
        trial.outcome, trial.detail = _judge(base, op, db)
    if not interrupted:
        if proc.returncode != 0:
            trial.outcome, trial.detail = "broken", f"the uninterrupted process exited {proc.returncode}"
        elif trial.outcome == "broken" and "neither before nor after" in trial.detail:
            # A run that was never interrupted wrote something else than the reference
            # run: the reference no longer applies (supportdesk changed under the run, or
            # its output depends on more than --now). Kills cannot be judged against it.
            trial.outcome, trial.detail = "drift", "an uninterrupted run differs from the reference: " + trial.detail
    return trial


def _holds_write_lock(db: Path) -> bool:
    """Whether another process holds the desk's write lock now (probe: BEGIN IMMEDIATE
    without waiting; released at once when it succeeds)."""
    conn = sqlite3.connect(str(db), timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            return True
        raise
    finally:
        conn.close()


def sigint_trial(base: Base, rng: random.Random, trial_dir: Path) -> Trial:
    """Ctrl-C during the bulk close, once it holds the write lock: exit 130, no traceback,
    and the desk all before or all after."""
    trial_dir.mkdir(parents=True, exist_ok=True)
    for leftover in trial_dir.iterdir():
        leftover.unlink()
    db = trial_dir / "desk.db"
    copy_desk(base.db, db)
    proc = spawn_cli(db, base.args["close"])
    started = time.perf_counter()
    while proc.poll() is None and not _holds_write_lock(db):
        if time.perf_counter() - started > base.seconds["close"] * 4 + 10:
            break
        time.sleep(0.003)
    locked_after = time.perf_counter() - started
    # The write transaction lasts roughly what the run takes after start-up.
    delay = rng.uniform(0, max(0.05, (base.seconds["close"] - base.startup) * 0.8))
    time.sleep(delay)
    interrupted = proc.poll() is None
    if interrupted:
        proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    trial = Trial("close", "SIGINT", locked_after + delay, "", interrupted, proc.returncode)
    trial.leftovers = sorted(p.name for p in trial_dir.iterdir() if p.name not in ("desk.db", "desk.db-wal", "desk.db-shm"))
    trial.outcome, trial.detail = _judge(base, "close", db)
    completed = "closed " in err  # the summary line: the command ran to its end
    if interrupted and completed and trial.outcome == "after" and proc.returncode in (0, -signal.SIGINT):
        # The signal landed after the command had finished and printed its summary,
        # while the interpreter was exiting (Python restores the default SIGINT action
        # then): not an interrupted close.
        trial.interrupted = False
        trial.detail = f"signal after completion: exit {proc.returncode}"
        return trial
    # What else the command printed: nothing but the newline of an interrupted command,
    # or, when the signal landed after the commit, the summary line.
    noise = "".join(l for l in err.splitlines() if not l.startswith("closed ")).strip()
    if interrupted and trial.outcome != "broken":
        if proc.returncode != 130:
            trial.outcome, trial.detail = "broken", f"Ctrl-C exited {proc.returncode}, not 130: {err.strip()[-300:]}"
        elif KNOWN_SIGINT_NOISE in err:
            trial.stderr_noise = True
            trial.detail = "exit 130, but stderr has: " + err[err.find(KNOWN_SIGINT_NOISE):][:400]
        elif noise:
            trial.outcome, trial.detail = "broken", f"Ctrl-C printed more than a newline: {err.strip()[-300:]}"
    return trial


# What a Ctrl-C that lands right after BEGIN IMMEDIATE (between the generator's yield and
# the `with` body) prints: see test_crash.py::test_transaction_left_by_ctrl_c_closes_quietly.
KNOWN_SIGINT_NOISE = "Exception ignored in: <generator object Store.transaction"


@dataclass
class KillReport:
    trials: list[Trial] = field(default_factory=list)
    seconds: float = 0.0

    def kills(self, op: str | None = None, sig: str = "SIGKILL") -> list[Trial]:
        return [t for t in self.trials if t.interrupted and t.signal == sig and (op is None or t.op == op)]

    def broken(self) -> list[Trial]:
        return [t for t in self.trials if t.outcome == "broken"]

    def drift(self) -> list[Trial]:
        """Uninterrupted runs that did not reproduce the reference: the verdicts are void."""
        return [t for t in self.trials if t.outcome == "drift"]

    def summary(self) -> str:
        lines = [f"{len(self.kills())} kills (SIGKILL while running) in {len(self.trials)} trials, {self.seconds:.1f} s"]
        by: dict[tuple[str, str], Counter] = defaultdict(Counter)
        for t in self.trials:
            key = (t.op, t.signal)
            by[key]["trials"] += 1
            by[key]["interrupted" if t.interrupted else "finished first"] += 1
            if t.interrupted:
                by[key][t.outcome] += 1
            if t.leftovers:
                by[key]["left files"] += 1
            if t.stderr_noise:
                by[key]["noise"] += 1
        for (op, sig), c in sorted(by.items()):
            lines.append(
                f"  {op:<9} {sig:<7} trials {c['trials']:3d}: interrupted {c['interrupted']:3d} "
                f"(before {c['before']}, after {c['after']}, broken {c['broken']}); "
                f"finished before the signal {c['finished first']}; left files {c['left files']}"
                + (f"; stderr noise {c['noise']}" if c["noise"] else "")
            )
        names = Counter(_leftover_kind(n) for t in self.trials for n in t.leftovers)
        if names:
            lines.append("  leftover files: " + ", ".join(f"{n} ×{k}" for n, k in names.most_common()))
        for t in [t for t in self.trials if t.stderr_noise][:3]:
            lines.append(f"  NOISE {t.op} {t.signal} at {t.delay:.2f} s: {t.detail}")
        if self.drift():
            lines.append(f"  REFERENCE DRIFT: {len(self.drift())} uninterrupted run(s) differ from the reference; "
                         f"the verdicts of this run are void (first: {self.drift()[0].detail})")
        for t in self.broken()[:10]:
            lines.append(f"  BROKEN {t.op} {t.signal} at {t.delay:.2f} s (exit {t.returncode}): {t.detail}")
        return "\n".join(lines)


def _leftover_kind(name: str) -> str:
    import re

    return re.sub(r"\d{2,}", "PID", re.sub(r"\.[a-z0-9_]{8}\.creating", ".XXXXXXXX.creating", name))


def run_kills(base: Base, kills: int, sigints: int = 0, seed: int = 5, ops: tuple[str, ...] = OPERATIONS,
              max_trials: int | None = None) -> KillReport:
    """Kill trials round-robin over `ops` until `kills` processes were killed while
    running (each op gets its share), plus `sigints` Ctrl-C trials of the bulk close."""
    rng = random.Random(seed)
    report = KillReport()
    started = time.perf_counter()
    trial_dir = base.workdir / "trial"
    want = {op: kills // len(ops) + (1 if i < kills % len(ops) else 0) for i, op in enumerate(ops)}
    limit = max_trials or kills * 3 + 10
    while sum(1 for t in report.trials if t.signal == "SIGKILL") < limit:
        pending = [op for op in ops if len(report.kills(op)) < want[op]]
        if not pending:
            break
        report.trials.append(kill_trial(base, pending[0] if len(pending) == 1 else rng.choice(pending), rng, trial_dir))
    done = 0
    while done < sigints and sum(1 for t in report.trials if t.signal == "SIGINT") < sigints * 3 + 5:
        trial = sigint_trial(base, rng, trial_dir)
        report.trials.append(trial)
        done += trial.interrupted
    report.seconds = time.perf_counter() - started
    return report


if __name__ == "__main__":  # python tests/stress_crash.py DIR [KILLS]
    import tempfile

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="sd-crash-"))
    base = prepare(target)
    print(f"base: {base.stats}; uninterrupted seconds {base.seconds}; write lock {base.writing}; start-up {base.startup:.2f} s")
    print(run_kills(base, int(sys.argv[2]) if len(sys.argv) > 2 else 12, sigints=3).summary())
