"""Tests act at fixed instants, never at the real clock time: the guard in conftest.py
fails a test that does otherwise, and this module checks the guard and what it cannot
see (the clock read in test code, and commands run as other processes)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import FROZEN, Cli, _unpinned_invocation, api, instant
from typer.testing import CliRunner

from supportdesk.cli import app

TESTS = Path(__file__).resolve().parent
# The clock read in test code: allowed only on a line that says why ("real clock").
CLOCK_READS = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today|time\.time|pendulum\.now|pendulum\.today)\(")
# Commands run as another process, where the guard cannot look.
OTHER_PROCESS = re.compile(r"-m supportdesk|\"-m\", \"supportdesk\"|\bspawn_cli\(|\brun_concurrency\(")


def _sources() -> list[Path]:
    return sorted(TESTS.glob("*.py"))


def test_the_guard_fails_a_command_without_now(desk_path):
    with pytest.raises(pytest.fail.Exception, match="runs without --now"):
        Cli(desk_path)("list")
    with pytest.raises(pytest.fail.Exception, match="acts at the real clock time"):
        CliRunner().invoke(app, ["--db", str(desk_path), "file", "-s", "x", "-b", "y", "-c", "ada@example.com"])


def test_the_guard_fails_a_desk_opened_without_now(cli):
    from supportdesk import Desk

    with pytest.raises(pytest.fail.Exception, match="without `now`"):
        Desk.connect(cli.path, login="tester")


def test_the_guard_lets_pinned_and_timeless_commands_through(monkeypatch):
    assert _unpinned_invocation(["--db", "d.db", "--now", "2026-11-20T10:00", "list"], None) is None
    assert _unpinned_invocation(["list", "--db", "d.db", "--now=2026-11-20T10:00"], None) is None
    assert _unpinned_invocation(["list"], {"SUPPORTDESK_NOW": "2026-11-20T10:00"}) is None
    for timeless in (["--help"], ["list", "--help"], ["--version"], [], ["completion", "show", "bash"], ["policy", "check", "a.toml"]):
        assert _unpinned_invocation(timeless, None) is None, timeless
    assert _unpinned_invocation(["list"], {"SUPPORTDESK_NOW": ""}) is not None  # empty: not pinned
    assert _unpinned_invocation(["policy", "apply", "a.toml"], None) is not None
    monkeypatch.setenv("SUPPORTDESK_NOW", "2026-11-20T10:00")
    assert _unpinned_invocation(["list"], None) is None
    assert _unpinned_invocation(["list"], {"SUPPORTDESK_NOW": None}) is not None  # unset for the command


def test_the_still_clock_is_what_a_command_without_now_acts_at(cli, frozen_clock):
    with api(cli) as do:
        do.file(now="2026-11-20T10:00")
    reply = cli.json("reply", "1", "-m", "on it")
    assert reply["events"][-1]["at"] == "2026-11-23T07:00:00Z" == reply["events"][-1]["recorded_at"]
    frozen_clock(instant("2026-11-24T10:00"))
    assert cli.json("show", "1")["messages"][0]["at"] == "2026-11-23T07:00:00Z"
    assert cli.json("reply", "1", "-m", "again")["messages"][-1]["at"] == "2026-11-24T07:00:00Z"
    assert FROZEN.isoformat() == "2026-11-23T07:00:00+00:00"


def test_no_test_reads_the_clock_without_saying_why():
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in _sources()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CLOCK_READS.search(line) and "real clock" not in line and path.name != Path(__file__).name
    ]
    assert found == [], "a test reads the real clock; use a fixed instant (or say `# real clock: why`):\n" + "\n".join(found)


def test_commands_run_as_other_processes_are_pinned_or_marked():
    """The guard sees CliRunner only: a test that runs supportdesk as another process
    gives it --now or SUPPORTDESK_NOW (a shell completion request needs none), or is
    marked real_clock."""
    found = []
    for path in _sources():
        if not path.name.startswith("test_") or path.name == Path(__file__).name:
            continue
        text = path.read_text(encoding="utf-8")
        if not OTHER_PROCESS.search(text):
            continue
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
                continue
            source = "\n".join(lines[node.lineno - 1 : node.end_lineno])
            marked = any("real_clock" in ast.unparse(d) for d in node.decorator_list)
            pinned = any(word in source for word in ("--now", "SUPPORTDESK_NOW", "_SUPPORTDESK_COMPLETE"))
            if OTHER_PROCESS.search(source) and not marked and not pinned:
                found.append(f"{path.name}::{node.name}")
    assert found == [], "these run supportdesk as another process without an instant: " + ", ".join(found)
