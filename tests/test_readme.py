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


# The README's samples come from the demo desk built as of BUILT and shown at NOW (a
# Friday, 14:45 in Istanbul): fixed instants, never the real clock.
BUILT = "2026-11-20T14:30"
NOW = "2026-11-20T14:45"
# The samples show what a 100-column terminal shows. CliRunner's stdout is a pipe, so
# rich is told it is a terminal, one that takes no escape codes (plain text); any
# escape code that still came through is stripped.
TERMINAL = {"TTY_COMPATIBLE": "1", "TERM": "dumb", "COLUMNS": "100", "LINES": "25"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _run(runner: CliRunner, argv: list[str], stdin: str | None):
    assert argv[0] == "supportdesk", argv
    return runner.invoke(app, argv[1:], input=stdin)


def _build_demo(path: Path) -> None:
    built = CliRunner().invoke(app, ["--db", str(path), "--now", BUILT, "demo"])
    assert built.exit_code == 0, built.output


def test_readme_has_examples_for_each_user():
    examples = _examples()
    assert len(examples) >= 12
    assert any("close" in e for e in examples) and any("reply" in e for e in examples)


def test_readme_samples_are_real_output_at_a_fixed_now():
    """The samples this file compares exactly: triage, sla explain and escalate --auto."""
    with_output = {command.split("  #")[0].rstrip() for command, expected in _examples_with_output() if expected}
    assert {"supportdesk triage --limit 8", "supportdesk sla explain 12", "supportdesk escalate --auto --dry-run"} <= with_output
    text = README.read_text(encoding="utf-8")
    assert "On the demo desk, at 14:45 on a Friday" in text
    assert "triage at Fri 20 Nov 2026 14:45 +03" in text


def test_readme_examples_run(tmp_path, monkeypatch):
    import glob

    (tmp_path / "examples").symlink_to(README.parent / "examples")
    path = tmp_path / "demo.db"
    _build_demo(path)
    runner = CliRunner()
    monkeypatch.setenv("SUPPORTDESK_DB", str(path))
    monkeypatch.setenv("SUPPORTDESK_NOW", NOW)  # a command's own --now still wins
    for name, value in TERMINAL.items():
        monkeypatch.setenv(name, value)
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
            declared = re.search(r"#\s*exit (\d+)", stage)  # `$ command   # exit 5: why`
            assert result.exit_code == (int(declared[1]) if declared else 0), f"{example}\n{result.output}"
            stdin = result.stdout
        if expected:  # the README shows real output: it must still be what the command prints
            printed = ANSI.sub("", result.stdout)
            assert [line.rstrip() for line in printed.rstrip("\n").splitlines()] == expected, example


@pytest.mark.parametrize("command", ["show 26", "log 26"])
def test_readme_ticket_26_is_the_outage(tmp_path, command):
    path = tmp_path / "demo.db"
    _build_demo(path)
    result = CliRunner().invoke(app, ["--db", str(path), "--now", NOW, *command.split()])
    assert result.exit_code == 0, result.output
    assert "srv14" in result.stdout or "deniz" in result.stdout
    assert "escalated to management (cem): four sites of a hospital group down" in result.stdout
