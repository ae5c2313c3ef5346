"""Shared fixtures: every test runs in its own directory, never touching the real home,
and acts at fixed instants, never at the real clock time.

Time: a CLI invocation pins its instant (`now=` here, `--now`, or SUPPORTDESK_NOW), and a
Python API desk is opened with a fixed `now` (or a test's own clock). The autouse guard
`never_the_real_clock` fails a test that does otherwise, unless the test is marked
`@pytest.mark.real_clock("why")` (then it must assert against a window), or the command
does not read the time (help, version, completion, `policy check`, `policy init`).
`frozen_clock` stands the real clock still, for tests of what a command does when no
instant is given.

Setup: state a test needs but does not test is made through the Python API (`api`), not
through the CLI (a command costs tens of milliseconds; a call of the API, one or two).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

# Commands run in subprocesses import supportdesk from this checkout, as the tests do,
# whatever copy the environment has installed (a git worktree beside an editable install).
_CHECKOUT = str(Path(__file__).resolve().parent.parent)
if os.environ.get("PYTHONPATH", "").split(os.pathsep)[0] != _CHECKOUT:
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_CHECKOUT, os.environ.get("PYTHONPATH")) if p)

from supportdesk.cli import app  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HOSTING = EXAMPLES / "hosting-general.toml"

# "Today" for a test that needs a clock but not the real one: Mon 23 Nov 2026 10:00 +03,
# after every instant the tests' desks are given.
FROZEN = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def instant(text: str, zone: tzinfo | str = "Europe/Istanbul") -> datetime:
    """An instant written as for --now: wall time in the desk's zone (Istanbul for the
    hosting-general desk), or ISO with an offset; relative text counts from FROZEN."""
    from zoneinfo import ZoneInfo

    from supportdesk.timetext import parse_instant

    return parse_instant(text, ZoneInfo(zone) if isinstance(zone, str) else zone, FROZEN)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Point the desk, the user data dir and the acting user at a temp directory."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    monkeypatch.setenv("SUPPORTDESK_USER", "tester")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("SUPPORTDESK_DB", raising=False)
    monkeypatch.delenv("SUPPORTDESK_NOW", raising=False)
    monkeypatch.delenv("SUPPORTDESK_URL", raising=False)  # remote mode, where a test asks for it
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---- never the real clock ----------------------------------------------------------------

# Commands that never read the time: they need no --now.
TIME_FREE = {("completion",), ("policy", "check"), ("policy", "init")}


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "real_clock(reason): the test acts at the real clock time on purpose; it asserts against a window",
    )


def _command_path(args: list[str]) -> tuple[str, ...]:
    """The command words of an argv (global options and their values left out)."""
    words: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("--db", "--now"):
            skip = True
        elif not arg.startswith("-"):
            words.append(arg)
    return tuple(words[:2])


def _unpinned_invocation(args: Any, env: dict | None) -> str | None:
    """Why a CLI invocation would act at the real clock time, or None when it would not."""
    import os

    args = [str(a) for a in (args or [])]
    if any(a == "--now" or a.startswith("--now=") for a in args):
        return None
    if env and env.get("SUPPORTDESK_NOW") or (not env or "SUPPORTDESK_NOW" not in env) and os.environ.get("SUPPORTDESK_NOW"):
        return None
    if env and any(k.startswith("_SUPPORTDESK_COMPLETE") for k in env):
        return None  # shell completion
    if any(a in ("--help", "--version") for a in args):
        return None
    path = _command_path(args)
    if not path or path[:1] in TIME_FREE or path in TIME_FREE:
        return None
    return f"`supportdesk {' '.join(args)}` runs without --now (or SUPPORTDESK_NOW)"


@pytest.fixture(autouse=True)
def never_the_real_clock(request, monkeypatch):
    """Fail a test that acts at the real clock time: a CLI invocation without an instant,
    or a Python API desk that takes its instants from the real clock.

    A test of the real clock itself is marked `@pytest.mark.real_clock("why")`; a test of
    what happens without an instant uses `frozen_clock` instead."""
    import importlib

    from supportdesk.desk import context

    if request.node.get_closest_marker("real_clock"):
        yield
        return

    cli_app = importlib.import_module("supportdesk.cli.app")  # (supportdesk.cli.app is the Typer app)
    real_clocks = (cli_app.real_now, context._real_clock)
    invoke = CliRunner.invoke

    def pinned_invoke(self, cli, args=None, *more, **kwargs):
        why = _unpinned_invocation(args, kwargs.get("env"))
        if why and cli_app.real_now in real_clocks:
            pytest.fail(f"{why}: it acts at the real clock time; pass now= (or mark the test real_clock)", pytrace=False)
        return invoke(self, cli, args, *more, **kwargs)

    init = context.DeskContext.__init__

    def pinned_init(self, *args, clock=None, pinned=True, **kwargs):
        if not pinned and clock in real_clocks:
            pytest.fail(
                "a desk opened without `now` acts at the real clock time; give Desk.new/Desk.connect "
                "now=... (or a clock of the test's own)",
                pytrace=False,
            )
        init(self, *args, clock=clock, pinned=pinned, **kwargs)

    monkeypatch.setattr(CliRunner, "invoke", pinned_invoke)
    monkeypatch.setattr(context.DeskContext, "__init__", pinned_init)
    yield


@pytest.fixture
def frozen_clock(monkeypatch):
    """Stand the real clock still at FROZEN (or at the instant given to the returned
    function): a command without --now, a desk without `now`, acts then."""
    import importlib
    import pkgutil
    import sys

    import supportdesk.cli
    from supportdesk.desk import context

    cli_app = importlib.import_module("supportdesk.cli.app")
    # Import every command module first, so that none keeps the still clock after the test.
    for module in pkgutil.iter_modules(supportdesk.cli.__path__):
        importlib.import_module(f"supportdesk.cli.{module.name}")
    users = [m for n, m in list(sys.modules.items()) if n.startswith("supportdesk.") and getattr(m, "real_now", None) is cli_app.real_now]

    def stand_at(when: datetime = FROZEN) -> None:
        def still() -> datetime:
            return when

        for module in users:
            monkeypatch.setattr(module, "real_now", still)
        monkeypatch.setattr(context, "_real_clock", still)

    stand_at()
    return stand_at


def ticket_row(i: int, **values: Any) -> dict[str, Any]:
    """A bare ticket row for Store.bulk_insert_tickets (store-level tests): ticket `i`,
    open, of customer 1, filed at 10:00:i on 20 Nov 2026; `values` replace any column."""
    stamp = f"2026-11-20T10:00:{i:02d}Z"
    return {
        "id": i,
        "subject": f"Ticket {i}",
        "body": "see the log",
        "status": "open",
        "priority": "normal",
        "department": "technical",
        "channel": "ticket",
        "customer_id": 1,
        "created_at": stamp,
        "updated_at": stamp,
    } | values


@pytest.fixture
def desk_path(tmp_path) -> Path:
    return tmp_path / "desk.db"


class Cli:
    """Runs supportdesk commands against one desk file, each at the instant `now=` gives
    (as --now: wall time in the desk's zone); the guard fails a command without one."""

    def __init__(self, path: Path):
        self.path = path
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, now: str | None = None, env=None):
        argv = ["--db", str(self.path)]
        if now:
            argv += ["--now", now]
        return self.runner.invoke(app, argv + list(args), input=input, env=env)

    def ok(self, *args: str, **kwargs):
        result = self(*args, **kwargs)
        assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str, **kwargs):
        import json

        return json.loads(self.ok(*args, "--json", **kwargs).stdout)

    def dump(self) -> list[str]:
        """The desk's content as SQL (or its raw bytes when it is not a database)."""
        conn = sqlite3.connect(self.path)
        try:
            return list(conn.iterdump())
        except sqlite3.DatabaseError:
            return [self.path.read_bytes().hex()]
        finally:
            conn.close()

    def refused(self, code: int, fragment: str, *args: str, **kwargs):
        """Run a command that must be refused: exit code, one `error:` line, desk unchanged."""
        before = self.dump() if self.path.exists() else None
        result = self(*args, **kwargs)
        assert result.exit_code == code, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: "), lines[0]
        assert fragment in lines[0], lines[0]
        assert "Traceback" not in result.output
        if before is not None:
            assert self.dump() == before, "a refused command changed the desk"
        return lines[0]


def new_desk(path: Path, policy: Path | None = HOSTING, now: str = "2026-11-16T09:00", login: str = "tester") -> None:
    """Create a desk through the Python API, as `init --policy POLICY --now NOW` would
    (`now` is read in the policy's zone)."""
    from supportdesk import Desk
    from supportdesk.policy import load_policy

    zone = load_policy(policy.read_text(encoding="utf-8"), str(policy), verify_holidays=False).zone if policy else UTC
    Desk.new(path, login=login, policy=policy, now=instant(now, zone)).close()


@pytest.fixture
def cli(desk_path) -> Cli:
    """A CLI bound to a fresh desk with the hosting-general example policy, made on
    Mon 16 Nov 2026 09:00 +03 (through the API; `init` itself is tested on its own)."""
    new_desk(desk_path)
    return Cli(desk_path)


@pytest.fixture
def bare_cli(desk_path) -> Cli:
    """A CLI bound to a desk path that does not exist yet."""
    return Cli(desk_path)


def file_ticket(cli: Cli, now: str | None = "2026-11-20T10:00", **fields) -> int:
    """File a ticket through the CLI and return its id (for a test of `file`; to set up
    tickets for something else, `api(cli).file` is quicker)."""
    args = ["file", "--subject", fields.pop("subject", "Site down"), "--body", fields.pop("body", "It returns 503")]
    args += ["--customer", fields.pop("customer", "ada@example.com")]
    for key, value in fields.items():
        args += [f"--{key.replace('_', '-')}", value]
    result = cli.ok(*args, now=now)
    return int(result.stdout.strip())


# ---- setting up state through the Python API ---------------------------------------------


class Api:
    """One desk through the Python API (`from supportdesk import Desk`), acting at
    instants written as for --now. For setup, so: `with api(cli) as do: do.file(...)`."""

    def __init__(self, path: Path, login: str = "tester"):
        from supportdesk import Desk

        self.desk = Desk.connect(path, login=login, now=FROZEN)

    def at(self, now: str, login: str | None = None):
        """The desk acting at `now` (as `login`, or the desk's admin tester)."""
        desk = self.desk.at(instant(now, self.desk.policy.zone))
        return desk.acting_as(login) if login else desk

    def file(self, now: str = "2026-11-20T10:00", login: str | None = None, **fields: str) -> int:
        """File a ticket, as `file_ticket` does through the CLI; its id."""
        from supportdesk import TicketDraft

        extra = dict([fields.pop("field").split("=", 1)]) if "field" in fields else {}
        extra |= fields.pop("fields", {})  # several fields at once: fields={"a": "1", "b": "2"}
        draft = TicketDraft(
            fields.pop("subject", "Site down"), fields.pop("body", "It returns 503"),
            fields.pop("customer", "ada@example.com"), fields=extra, **fields,
        )
        return self.at(now, login).file_ticket(draft)["id"]

    def agents(self, *logins: str, now: str = "2026-11-16T09:00") -> None:
        """Add engineers, as `agent add LOGIN` does."""
        desk = self.at(now)
        for login in logins:
            desk.add_agent(login)

    def close(self) -> None:
        self.desk.close()


@contextmanager
def api(cli_or_path: Cli | Path, login: str = "tester") -> Iterator[Api]:
    """The desk of a Cli (or at a path) through the Python API, closed after the block."""
    handle = Api(cli_or_path.path if isinstance(cli_or_path, Cli) else cli_or_path, login)
    try:
        yield handle
    finally:
        handle.close()
