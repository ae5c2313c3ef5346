"""A command builds only itself: the root group imports a command's module, and builds
the command, when the command is called; `--help` lists every command from a table."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import typer
from conftest import api

from supportdesk.cli import app
from supportdesk.cli.app import COMMANDS

COMMAND_MODULES = {f"supportdesk.cli.{module}" for module, _ in COMMANDS.values()}
HEAVY = ("rich", "sqlite_utils", "pendulum", "holidays")
# Remote mode's client, and the server's stack: none of them on a local command's path.
REMOTE = ("supportdesk.remote", "http.client", "httpx", "fastapi", "uvicorn", "pydantic")

# Runs the CLI as the console script does, then reports (on a descriptor of its own,
# past the CLI's stream wrappers) which modules were imported.
PROBE = """\
import json, os, sys
from supportdesk.cli import main
for module in filter(None, os.environ.get("PROBE_PRELOAD", "").split()):
    __import__(module)
sys.argv = ["supportdesk", *sys.argv[1:]]
code = 0
try:
    main()
except SystemExit as done:
    code = done.code
with open(os.environ["PROBE_OUT"], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""


def run_fresh(tmp_path, *argv: str, preload: tuple[str, ...] = (), **extra: str) -> tuple[int, set[str], str]:
    """Run supportdesk in a new interpreter (after importing `preload`), acting at a
    fixed instant (SUPPORTDESK_NOW, unless `extra` variables say otherwise): exit code,
    modules imported, stdout and stderr."""
    report = tmp_path / "probe.json"
    env = {**os.environ, "PROBE_OUT": str(report), "PROBE_PRELOAD": " ".join(preload), "SUPPORTDESK_NOW": "2026-11-20T11:00", **extra}
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], env=env, capture_output=True, text=True, check=False)
    data = json.loads(report.read_text())
    return data["code"], set(data["modules"]), done.stdout + done.stderr


def test_show_imports_its_own_module_only(cli, tmp_path):
    with api(cli) as do:
        do.file()
    code, modules, output = run_fresh(tmp_path, "--db", str(cli.path), "show", "1", "--json")
    assert code == 0, output
    assert json.loads(output)["id"] == 1
    assert "supportdesk.cli.tickets" in modules
    assert not (COMMAND_MODULES - {"supportdesk.cli.tickets"}) & modules
    assert not [m for m in HEAVY + REMOTE if m in modules]


def test_show_as_a_table_brings_rich_but_no_other_command(cli, tmp_path):
    with api(cli) as do:
        do.file()
    code, modules, output = run_fresh(tmp_path, "show", "1", "--db", str(cli.path))
    assert code == 0, output
    assert "#1 Site down" in output
    assert not (COMMAND_MODULES - {"supportdesk.cli.tickets"}) & modules
    assert not [m for m in ("sqlite_utils", "pendulum", "holidays") if m in modules]


def test_help_and_version_import_no_command(tmp_path):
    for argv in (["--help"], ["--version"], []):
        code, modules, output = run_fresh(tmp_path, *argv)
        assert code == 0, output
        # Not even supportdesk.cli.completion: completion costs nothing unless asked for.
        assert not COMMAND_MODULES & modules, argv
        assert not [m for m in HEAVY + REMOTE if m in modules], argv


def test_help_lists_every_command_with_its_help_without_building_them(tmp_path):
    code, _, lazy = run_fresh(tmp_path, "--help")
    assert code == 0
    for name in COMMANDS:
        assert f"\n  {name} " in lazy
    # The same text as with every command built (every module imported beforehand,
    # Typer builds them all).
    code, modules, built = run_fresh(tmp_path, "--help", preload=tuple(sorted(COMMAND_MODULES)))
    assert code == 0 and COMMAND_MODULES <= modules
    assert built == lazy


def test_the_table_names_every_command_with_its_help():
    for module in COMMAND_MODULES:
        __import__(module)
    # With every module imported, Typer builds the whole tree the eager way.
    eager = typer.main.get_command(app)
    assert set(eager.commands) == set(COMMANDS), "a command is missing from COMMANDS in supportdesk/cli/app.py"
    for name, (module, short) in COMMANDS.items():
        command = eager.commands[name]
        first_paragraph = " ".join((command.help or "").split("\n\n")[0].split())
        assert short == first_paragraph, f"COMMANDS[{name!r}]: the help of the command is {first_paragraph!r}"
        leaf = command
        while getattr(leaf, "commands", None):
            leaf = next(iter(leaf.commands.values()))
        assert leaf.callback.__module__ == f"supportdesk.cli.{module}", name


def test_a_lazily_built_command_has_the_global_options(cli):
    from supportdesk.cli.app import _leaf_commands

    group = typer.main.get_command(app)
    for name in ("show", "oncall", "sla", "completion"):
        for leaf in _leaf_commands(group.get_command(None, name)):
            names = {opt for p in leaf.params for opt in getattr(p, "opts", [])}
            assert {"--db", "--now"} <= names, leaf.name


def test_usage_errors_stay_one_line(cli, tmp_path):
    for argv, fragment in (
        (["shwo", "1"], "No such command 'shwo'. Did you mean 'show'?"),
        (["show"], "Missing argument 'ID'"),
        (["show", "1", "--frobnicate"], "No such option: --frobnicate"),
        (["oncall", "frobnicate"], "No such command 'frobnicate'"),
    ):
        code, _, output = run_fresh(tmp_path, "--db", str(cli.path), *argv)
        assert code == 2, output
        lines = output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], output


def test_a_refusal_of_a_lazily_built_command_is_one_line(cli, tmp_path):
    code, _, output = run_fresh(tmp_path, "--db", str(cli.path), "show", "99")
    assert code == 3, output
    assert output.startswith("error: ") and len(output.strip().splitlines()) == 1


def test_remote_status_imports_the_stdlib_client_and_nothing_heavy(tmp_path):
    from test_remote_client import STATUS, Fake

    fake = Fake()
    fake.answer("GET", "/v1/status", STATUS)
    try:
        code, modules, output = run_fresh(tmp_path, "status", SUPPORTDESK_URL=fake.url, SUPPORTDESK_TOKEN="sdk_t0ken", SUPPORTDESK_NOW="")
    finally:
        fake.stop()
    assert code == 0, output
    assert "Shop returns 503" in output
    assert {"supportdesk.remote", "http.client", "supportdesk.cli.access"} <= modules
    assert not (COMMAND_MODULES - {"supportdesk.cli.access", "supportdesk.cli.tickets"}) & modules  # status reads ids with tickets.py
    # Neither httpx (see supportdesk/remote.py), the server's stack, nor the store.
    assert not [m for m in ("httpx", "fastapi", "uvicorn", "pydantic", "sqlite_utils", "sqlite3", "pendulum", "holidays") if m in modules]
