"""Tab completion: commands, options, and the desk's own names, for bash, zsh and fish."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES
from typer.testing import CliRunner

from supportdesk.cli import app
from supportdesk.policy import load_policy

POLICY = load_policy((EXAMPLES / "hosting-general.toml").read_text(encoding="utf-8"), verify_holidays=False)
PRIORITIES = list(POLICY.priority_names)


def complete_bash(line: str, env: dict[str, str] | None = None):
    """What bash gets back for the words of `line` (the last one being completed)."""
    words = line.split(" ")
    result = CliRunner().invoke(
        app,
        [],
        env={"_SUPPORTDESK_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1), **(env or {})},
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result.stdout.splitlines()


def test_bash_gets_the_priorities_of_the_desks_policy(cli):
    assert PRIORITIES and complete_bash(f"supportdesk --db {cli.path} file --priority ") == PRIORITIES
    assert complete_bash(f"supportdesk file --db {cli.path} --priority h") == [p for p in PRIORITIES if p.startswith("h")]
    assert complete_bash("supportdesk file --priority ", env={"SUPPORTDESK_DB": str(cli.path)}) == PRIORITIES


def test_a_completion_request_in_a_new_process(cli):
    env = {
        **os.environ,
        "_SUPPORTDESK_COMPLETE": "complete_bash",
        "COMP_WORDS": f"supportdesk --db {cli.path} list --priority {PRIORITIES[0]},",
        "COMP_CWORD": "5",
    }
    done = subprocess.run([sys.executable, "-m", "supportdesk"], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.splitlines() == [f"{PRIORITIES[0]},{p}" for p in PRIORITIES[1:]]


def test_the_desks_names_for_other_options(cli):
    db = f"--db {cli.path}"
    assert complete_bash(f"supportdesk {db} triage --department ") == list(POLICY.department_names)
    assert complete_bash(f"supportdesk {db} file --channel ") == list(POLICY.channel_names)
    assert complete_bash(f"supportdesk {db} list --status ") == ["new", "open", "pending", "resolved", "closed", "active"]
    assert complete_bash(f"supportdesk {db} list --assignee ") == ["me", "none", "tester"]
    assert complete_bash(f"supportdesk {db} assign 1 --to t") == ["tester"]
    assert complete_bash(f"supportdesk {db} escalate 1 --to ") == [level.name for level in POLICY.escalation]
    assert "no-response" in complete_bash(f"supportdesk {db} close --reason ")
    assert complete_bash(f"supportdesk {db} priority 1 ") == PRIORITIES
    assert complete_bash(f"supportdesk {db} customer package ada@example.com ") == [p.name for p in POLICY.packages] + ["none"]
    assert complete_bash(f"supportdesk {db} oncall override add cem --layer ") == [layer.name for layer in POLICY.layers]
    assert "office" in complete_bash(f"supportdesk {db} clock open --calendar ")
    assert "sitecom" in complete_bash("supportdesk policy init --from ")


def test_commands_and_options():
    assert complete_bash("supportdesk s") == ["show", "sla", "service", "status", "serve"]
    assert complete_bash("supportdesk oncall ") == ["now", "next", "schedule", "override"]
    assert complete_bash("supportdesk file --pri") == ["--priority"]
    assert complete_bash("supportdesk completion install ") == ["bash", "zsh", "fish"]


def test_no_desk_no_values_and_nothing_created(tmp_path):
    missing = tmp_path / "missing.db"
    assert complete_bash(f"supportdesk --db {missing} file --priority ") == []
    assert not missing.exists()
    # Without --db the default desk is not created by completing either.
    assert complete_bash("supportdesk file --priority ") == []
    assert not list((tmp_path / "home").rglob("desk.db"))
    not_a_desk = tmp_path / "notes.txt"
    not_a_desk.write_text("hello")
    assert complete_bash(f"supportdesk --db {not_a_desk} file --priority ") == []
    assert not_a_desk.read_text() == "hello"


def test_zsh_and_fish_answers(cli):
    base = {"_TYPER_COMPLETE_ARGS": f"supportdesk --db {cli.path} file --priority "}
    zsh = CliRunner().invoke(app, [], env={**base, "_SUPPORTDESK_COMPLETE": "complete_zsh"})
    assert zsh.exit_code == 0 and all(f'"{p}"' in zsh.stdout for p in PRIORITIES)
    fish = CliRunner().invoke(app, [], env={**base, "_SUPPORTDESK_COMPLETE": "complete_fish", "_TYPER_COMPLETE_FISH_ACTION": "get-args"})
    assert fish.exit_code == 0 and fish.stdout.splitlines() == PRIORITIES
    asks = {**base, "_SUPPORTDESK_COMPLETE": "complete_fish", "_TYPER_COMPLETE_FISH_ACTION": "is-args"}
    assert CliRunner().invoke(app, [], env=asks).exit_code == 0
    asks["_TYPER_COMPLETE_ARGS"] = "supportdesk --db "  # a file name: fish completes files
    assert CliRunner().invoke(app, [], env=asks).exit_code == 1
    # Click's order of the instruction is understood too.
    assert complete_bash("supportdesk s", env={"_SUPPORTDESK_COMPLETE": "bash_complete"}) == ["show", "sla", "service", "status", "serve"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_show_prints_the_script(bare_cli, shell):
    result = bare_cli.ok("completion", "show", shell)
    assert "supportdesk" in result.stdout and f"_SUPPORTDESK_COMPLETE=complete_{shell}" in result.stdout


def test_completion_show_refuses_another_shell(bare_cli):
    bare_cli.refused(2, "choose bash, zsh or fish", "completion", "show", "tcsh")


def test_completion_install_writes_where_each_shell_looks(bare_cli, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("BASH_COMPLETION_USER_DIR", raising=False)
    monkeypatch.delenv("ZDOTDIR", raising=False)
    assert "installed bash completion" in bare_cli.ok("completion", "install", "bash").stderr
    bash = home / "data" / "bash-completion" / "completions" / "supportdesk"  # XDG_DATA_HOME
    assert "complete -o default -F _supportdesk_completion supportdesk" in bash.read_text()

    bare_cli.ok("completion", "install", "fish")
    assert "complete --command supportdesk" in (home / ".config" / "fish" / "completions" / "supportdesk.fish").read_text()

    monkeypatch.setenv("SHELL", "/usr/bin/zsh")
    bare_cli.ok("completion", "install")
    bare_cli.ok("completion", "install", "zsh")
    assert (home / ".zfunc" / "_supportdesk").read_text().startswith("#compdef supportdesk")
    assert (home / ".zshrc").read_text().count("fpath=(~/.zfunc $fpath)") == 1

    monkeypatch.setenv("SHELL", "/bin/tcsh")
    bare_cli.refused(2, "cannot tell your shell", "completion", "install")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_bash_script_completes_in_bash(cli):
    exe = shutil.which("supportdesk", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("supportdesk is not installed beside this Python")
    script = cli.ok("completion", "show", "bash").stdout
    probe = (
        f"{script}\n"
        f'COMP_WORDS=(supportdesk --db "{cli.path}" file --priority ""); COMP_CWORD=5\n'
        f'_supportdesk_completion "{exe}"\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "--norc", "-c", probe], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == PRIORITIES
