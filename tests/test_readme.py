"""The README's examples run, as written, against the demo desk."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportdesk.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"


def _examples_with_output() -> list[tuple[str, list[str]]]:
    """Each `$ command` of the console blocks, with the output lines printed under it."""
    text = README.read_text(encoding="utf-8")
    found: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", text, re.DOTALL):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif found:
                found[-1][1].append(line.rstrip())
    return found


def _examples() -> list[str]:
    return [command for command, _ in _examples_with_output()]


def _run(runner: CliRunner, argv: list[str], stdin: str | None):
    assert argv[0] == "supportdesk", argv
    return runner.invoke(app, argv[1:], input=stdin)


def test_readme_has_examples_for_each_user():
    examples = _examples()
    assert len(examples) >= 12
    assert any("close" in e for e in examples) and any("reply" in e for e in examples)


def test_readme_examples_run(tmp_path, monkeypatch):
    import glob

    (tmp_path / "examples").symlink_to(README.parent / "examples")
    path = tmp_path / "demo.db"
    runner = CliRunner()
    built = runner.invoke(app, ["--db", str(path), "--now", "2026-11-20T14:30", "demo"])
    assert built.exit_code == 0, built.output
    monkeypatch.setenv("SUPPORTDESK_DB", str(path))
    monkeypatch.setenv("SUPPORTDESK_NOW", "2026-11-20T14:45")
    monkeypatch.setenv("COLUMNS", "80")
    for example, expected in _examples_with_output():
        stdin = None
        for stage in example.split(" | "):
            argv = [
                expanded for word in shlex.split(stage, comments=True)
                for expanded in (sorted(glob.glob(word)) if "*" in word else [word])
            ]
            if argv[0] == "echo":
                stdin = " ".join(argv[1:]) + "\n"
                continue
            result = _run(runner, argv, stdin)
            assert result.exit_code == 0, f"{example}\n{result.output}"
            stdin = result.stdout
        if expected:  # the README shows real output: it must still be what the command prints
            assert [line.rstrip() for line in result.stdout.rstrip("\n").splitlines()] == expected, example


@pytest.mark.parametrize("command", ["show 26", "log 26"])
def test_readme_ticket_26_is_the_outage(tmp_path, command, monkeypatch):
    path = tmp_path / "demo.db"
    runner = CliRunner()
    runner.invoke(app, ["--db", str(path), "--now", "2026-11-20T14:30", "demo"])
    result = runner.invoke(app, ["--db", str(path), *command.split()])
    assert "srv14" in result.stdout or "deniz" in result.stdout
