"""What the concurrency and crash harnesses share: the desk they build, the two policy
texts, running the real CLI (in-process or as a process), digests and integrity checks.

Not a test module (pytest collects test_*.py only): tests/test_concurrency.py,
tests/test_crash.py and benchmarks/stress.py import it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
ADMIN = "admin"  # the desk's creator (init makes it admin)
AGENTS = ("ayse", "burak", "cem", "deniz")  # the hosting-general rotations' people

# Two versions of the hosting-general policy that differ in at_risk_share: applying one
# over the other really moves every open ticket's `risk_at`.
POLICY_A = (EXAMPLES / "hosting-general.toml").read_text(encoding="utf-8")
POLICY_B = POLICY_A + "\n# stress: a second policy version\n[sla]\nat_risk_share = 0.5\n"

# Tables whose content makes up a desk (FTS shadow tables are checked by integrity).
DESK_TABLES = (
    "agents", "customers", "policy_versions", "tickets", "messages", "events",
    "outbox", "oncall_overrides", "holiday_cache", "operations",
)
# Columns that differ between two runs of the same command at the same --now: when the
# event was really written and the operation's random id.
RUN_DEPENDENT = {
    "events": ("recorded_at", "operation"),
    "outbox": ("operation",),
    "operations": ("id", "recorded_at", "undoes", "undone_by"),
}


def write_policies(directory: Path) -> tuple[Path, Path]:
    """The two policy files, written into `directory`."""
    a, b = directory / "policy-a.toml", directory / "policy-b.toml"
    a.write_text(POLICY_A, encoding="utf-8")
    b.write_text(POLICY_B, encoding="utf-8")
    return a, b


def cli_env(user: str) -> dict[str, str]:
    """The environment one supportdesk command runs with, acting as `user`."""
    return {"SUPPORTDESK_USER": user, "NO_COLOR": "1", "COLUMNS": "100", "SUPPORTDESK_NOW": ""}


@dataclass
class Outcome:
    """One CLI run: exit code, output, and whether Python saw an exception escape."""

    code: int
    stdout: str
    stderr: str
    escaped: str | None = None  # repr of an exception that escaped the CLI (a bug)

    @property
    def traceback(self) -> bool:
        return self.escaped is not None or "Traceback (most recent call last)" in self.stdout + self.stderr


_runner = None


def run_cli(db: Path | str, args: list[str], user: str, stdin: str | None = None) -> Outcome:
    """Run `supportdesk --db DB ARGS` in this process through the real Typer app."""
    global _runner
    from typer.testing import CliRunner

    from supportdesk.cli import app

    if _runner is None:
        _runner = CliRunner()
    result = _runner.invoke(app, ["--db", str(db), *args], input=stdin, env=cli_env(user))
    escaped = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        escaped = "".join(traceback.format_exception(result.exception))
    try:
        stderr = result.stderr
    except ValueError:
        stderr = ""
    return Outcome(result.exit_code, result.stdout, stderr, escaped)


def cli_ok(db: Path | str, args: list[str], user: str = ADMIN) -> Outcome:
    """Run a setup command that must succeed."""
    out = run_cli(db, args, user)
    if out.code != 0 or out.traceback:
        raise AssertionError(f"setup command {args} failed ({out.code}): {out.stderr}{out.stdout}{out.escaped or ''}")
    return out


def spawn_cli(db: Path | str, args: list[str], user: str = ADMIN, **popen: Any) -> subprocess.Popen:
    """Start `python -m supportdesk --db DB ARGS` as its own process."""
    env = os.environ | cli_env(user)
    env.pop("SUPPORTDESK_NOW", None)
    env.pop("SUPPORTDESK_DB", None)
    return subprocess.Popen(
        [sys.executable, "-m", "supportdesk", "--db", str(db), *args],
        env=env,
        cwd=str(REPO),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def connect(path: Path | str) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=120, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def integrity(path: Path | str) -> list[str]:
    """Problems SQLite finds in the desk: integrity_check, foreign_key_check, and the FTS
    index against its table. Empty when the file is sound."""
    problems: list[str] = []
    try:
        conn = connect(path)
    except sqlite3.Error as error:
        return [f"cannot open: {error}"]
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if rows != ["ok"]:
            problems.append(f"integrity_check: {rows[:5]}")
        fks = [tuple(r) for r in conn.execute("PRAGMA foreign_key_check")]
        if fks:
            problems.append(f"foreign_key_check: {len(fks)} rows, e.g. {fks[:5]}")
        has_fts = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'tickets_fts'").fetchone()
        if has_fts:
            try:
                # FTS5's own check of the index against the tickets table (changes nothing).
                conn.execute("INSERT INTO tickets_fts (tickets_fts, rank) VALUES ('integrity-check', 1)")
            except sqlite3.DatabaseError as error:
                problems.append(f"fts integrity-check: {error}")
    except sqlite3.DatabaseError as error:
        problems.append(f"SQLite cannot read the file: {error}")
    finally:
        conn.close()
    return problems


def table_digest(conn: sqlite3.Connection, table: str) -> str:
    """A digest of one table's rows in rowid order, without the run-dependent columns."""
    columns = [r["name"] for r in conn.execute(f"PRAGMA table_info([{table}])")]
    if not columns:
        return "absent"
    keep = [c for c in columns if c not in RUN_DEPENDENT.get(table, ())]
    order = "rowid" if table != "holiday_cache" else "country, subdivision, year"
    digest = hashlib.sha256()
    for row in conn.execute(f"SELECT {', '.join(f'[{c}]' for c in keep)} FROM [{table}] ORDER BY {order}"):
        digest.update(json.dumps(list(row), ensure_ascii=False, default=repr).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def desk_digest(path: Path | str) -> dict[str, str]:
    """{table: digest} of every desk table: two desks with the same digests hold the same data."""
    conn = connect(path)
    try:
        return {table: table_digest(conn, table) for table in DESK_TABLES}
    finally:
        conn.close()


def settle(path: Path | str) -> None:
    """Checkpoint the WAL into the main file so that the file alone is the whole desk."""
    conn = connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size:
        raise AssertionError(f"{wal} still holds {wal.stat().st_size} bytes after a checkpoint")


def copy_desk(source: Path, target: Path) -> None:
    """A byte copy of a settled desk (no WAL)."""
    import shutil

    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    os.chmod(target, 0o600)
