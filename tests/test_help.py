"""Every command explains itself, and the CLI starts without its heavy libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from supportdesk.cli import app


def _walk(command, path=()):
    """Every command under `command`, built: the root group builds its commands only
    when asked for them by name."""
    yield path, command
    if getattr(command, "commands", None) is None:
        return
    for name in command.list_commands(None):
        yield from _walk(command.get_command(None, name), (*path, name))


COMMANDS = [(path, cmd) for path, cmd in _walk(typer.main.get_command(app)) if path]


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_and_option_has_help(path, command):
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
    for param in command.params:
        if param.name in ("help", "ctx"):
            continue
        assert (getattr(param, "help", None) or "").strip(), f"{' '.join(path)}: {param.name} has no help"
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout
    assert "<str>" not in result.stdout and "<int>" not in result.stdout, "name the option's value"


def test_the_cli_imports_no_heavy_library_at_start():
    code = (
        "import sys, supportdesk.cli; "
        "heavy = [m for m in ('rich', 'sqlite_utils', 'pendulum', 'holidays') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
