"""Shared fixtures: every test runs in its own directory, never touching the real home."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportdesk.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


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
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def desk_path(tmp_path) -> Path:
    return tmp_path / "desk.db"


class Cli:
    """Runs supportdesk commands against one desk file."""

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


@pytest.fixture
def cli(desk_path) -> Cli:
    """A CLI bound to a fresh desk with the hosting-general example policy."""
    runner = Cli(desk_path)
    runner.ok("init", "--policy", str(EXAMPLES / "hosting-general.toml"), now="2026-11-16T09:00")
    return runner


@pytest.fixture
def bare_cli(desk_path) -> Cli:
    """A CLI bound to a desk path that does not exist yet."""
    return Cli(desk_path)


def file_ticket(cli: Cli, now: str = "2026-11-20T10:00", **fields) -> int:
    """File a ticket through the CLI and return its id."""
    args = ["file", "--subject", fields.pop("subject", "Site down"), "--body", fields.pop("body", "It returns 503")]
    args += ["--customer", fields.pop("customer", "ada@example.com")]
    for key, value in fields.items():
        args += [f"--{key.replace('_', '-')}", value]
    result = cli.ok(*args, now=now)
    return int(result.stdout.strip())
