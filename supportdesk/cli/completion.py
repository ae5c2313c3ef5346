"""`supportdesk completion …`: tab completion for bash, zsh and fish.

The shell's completion script runs `supportdesk` with `_SUPPORTDESK_COMPLETE` set (and the
words typed so far in COMP_WORDS/COMP_CWORD or _TYPER_COMPLETE_ARGS, as Typer's completion
classes read them). DeskGroup.main sees the variable before anything else and calls
`respond` here; without it nothing of this module is imported. Commands and options come
from the command tree; values of options such as --priority, --department and --assignee
from the desk's policy and agents, read only while completing and silently left out when
the desk cannot be read.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import typer

from supportdesk.cli.app import COMPLETE_VAR, Globals, say, sub_app
from supportdesk.errors import InvalidInput, Refused

PROG = "supportdesk"
SHELLS = ("bash", "zsh", "fish")

completion_app = sub_app("completion", "Tab completion for bash, zsh and fish: install it, or print its script.")

ShellArgument = Annotated[
    str | None,
    typer.Argument(metavar="[SHELL]", help="bash, zsh or fish (default: the shell in $SHELL).", show_default=False),
]


@completion_app.command("install")
def completion_install(shell: ShellArgument = None) -> None:
    """Install tab completion for your shell; it works in shells started afterwards.

    \b
    bash  ~/.local/share/bash-completion/completions/supportdesk
    zsh   ~/.zfunc/_supportdesk (and ~/.zfunc on fpath in ~/.zshrc)
    fish  ~/.config/fish/completions/supportdesk.fish
    """
    name = _shell(shell)
    path = install_path(name)
    _write(path, script(name) + "\n")
    if name == "bash":
        note = f"bash-completion loads it in new shells (without bash-completion, add `source {path}` to ~/.bashrc)"
    elif name == "zsh":
        note = _zsh_fpath()
    else:
        note = "fish loads it in new shells"
    say(f"installed {name} completion in {path}; {note}")


@completion_app.command("show")
def completion_show(
    shell: Annotated[str, typer.Argument(metavar="SHELL", help="bash, zsh or fish.", show_default=False)],
) -> None:
    """Print the completion script of a shell, to install it elsewhere or source it.

    E.g. `source <(supportdesk completion show bash)` for the current bash only.
    """
    typer.echo(script(_shell(shell)))


def _shell(name: str | None) -> str:
    if name is None:
        detected = Path(os.environ.get("SHELL", "")).name
        if detected in SHELLS:
            return detected
        raise InvalidInput(
            f"cannot tell your shell from $SHELL ({detected or 'unset'}); name it: "
            "supportdesk completion install bash, zsh or fish"
        )
    if name.strip().lower() not in SHELLS:
        raise InvalidInput(f"no completion for the shell {name!r}; choose bash, zsh or fish")
    return name.strip().lower()


def install_path(shell: str) -> Path:
    """Where each shell looks for a user's completion scripts."""
    home = Path.home()
    if shell == "bash":
        data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
        user_dir = os.environ.get("BASH_COMPLETION_USER_DIR")
        return (Path(user_dir) if user_dir else data / "bash-completion") / "completions" / PROG
    if shell == "zsh":
        return home / ".zfunc" / f"_{PROG}"
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return config / "fish" / "completions" / f"{PROG}.fish"


ZSHRC_LINES = (
    "\n# supportdesk completion (added by `supportdesk completion install zsh`)\n"
    "fpath=(~/.zfunc $fpath)\n"
    "autoload -Uz compinit && compinit\n"
)


def _zsh_fpath() -> str:
    """Make sure ~/.zfunc is on zsh's fpath; say what was done."""
    rc = Path(os.environ.get("ZDOTDIR") or Path.home()) / ".zshrc"
    try:
        text = rc.read_text(encoding="utf-8") if rc.exists() else ""
    except (OSError, UnicodeDecodeError) as error:
        raise Refused(f"cannot read {rc} ({error}); add `fpath=(~/.zfunc $fpath)` before compinit yourself") from None
    if ".zfunc" in text:
        return f"{rc} has ~/.zfunc on fpath already; zsh loads it in new shells"
    try:
        with rc.open("a", encoding="utf-8") as out:
            out.write(ZSHRC_LINES)
    except OSError as error:
        raise Refused(f"cannot write {rc} ({error.strerror}); add `fpath=(~/.zfunc $fpath)` before compinit yourself") from None
    return f"added ~/.zfunc to fpath in {rc}; zsh loads it in new shells"


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as error:
        raise Refused(f"cannot write {path} ({error.strerror}); `supportdesk completion show` prints the script") from None


# ---- the shells --------------------------------------------------------------------------

# Typer's bash script, with its IFS written as `$'\n'` rather than a line break.
BASH_SCRIPT = r"""%(complete_func)s() {
    local IFS=$'\n'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   %(autocomplete_var)s=complete_bash $1 ) )
    return 0
}

complete -o default -F %(complete_func)s %(prog_name)s"""

# Typer's zsh script only registers the function when sourced; autoloaded from fpath
# (the way `install` sets it up) it must also complete on the first Tab.
ZSH_SCRIPT = """\
#compdef %(prog_name)s

%(complete_func)s() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" %(autocomplete_var)s=complete_zsh %(prog_name)s)
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  %(complete_func)s "$@"
else
  compdef %(complete_func)s %(prog_name)s
fi"""


@cache
def _classes() -> dict[str, Any]:
    """Typer's completion classes (they read the words typed in each shell's way), with
    plain help texts: supportdesk's help has no markup to render with rich."""
    import re

    from typer import _completion_classes as shells

    class Bash(shells.BashComplete):
        source_template = BASH_SCRIPT

    class Zsh(shells.ZshComplete):
        source_template = ZSH_SCRIPT

        def format_completion(self, item: Any) -> str:
            def escape(s: str) -> str:
                return s.replace('"', '""').replace("'", "''").replace("$", "\\$").replace("`", "\\`").replace(":", r"\\:")

            if item.help:
                return f'"{escape(item.value)}":"{escape(item.help)}"'
            return f'"{escape(item.value)}"'

    class Fish(shells.FishComplete):
        def format_completion(self, item: Any) -> str:
            if item.help:
                return item.value + "\t" + re.sub(r"\s", " ", item.help)
            return item.value

    return {"bash": Bash, "zsh": Zsh, "fish": Fish}


def script(shell: str) -> str:
    """The completion script for `shell`."""
    cls = _classes()[shell]
    return (cls.source_template % cls(None, {}, PROG, COMPLETE_VAR).source_vars()).strip()


def respond(group: Any, prog_name: str, complete_var: str, instruction: str, ctx_args: dict[str, Any]) -> int:
    """Answer one completion request (`complete_bash`, `source_zsh`…; Click's order,
    `bash_complete`, is understood too); nothing on standard error, ever."""
    first, _, second = instruction.partition("_")
    action, shell = (first, second) if first in ("complete", "source") else (second, first)
    cls = _classes().get(shell)
    if cls is None or action not in ("complete", "source"):
        return 1
    if action == "source":
        sys.stdout.write(script(shell) + "\n")
        return 0
    _read_desk_at.cache_clear()
    group.prepare = attach
    for command in list(group.commands.values()):
        attach(command)
    try:
        answer = cls(group, dict(ctx_args), prog_name, complete_var).complete()
    except SystemExit as done:  # fish asks "are there values?" with the exit status
        return done.code if isinstance(done.code, int) else 1
    except Exception:  # noqa: BLE001 - a broken completion must not print a traceback at the prompt
        return 1
    if answer:
        sys.stdout.write(answer + "\n")
    sys.stdout.flush()
    return 0


# ---- values ------------------------------------------------------------------------------


class DeskValues:
    """The names a desk knows: its policy's and its agents'."""

    def __init__(self, policy: Any, agents: list[dict[str, Any]]):
        self.policy = policy
        self.agents = agents


def _desk_option(ctx: Any) -> str | None:
    root = ctx.find_root()
    if isinstance(root.obj, Globals) and root.obj.db:  # --db after the command
        return root.obj.db
    return root.params.get("db")


def _read_desk(option: str | None) -> DeskValues | None:
    """The policy in force and the agents of the desk, or None when it cannot be read
    (no desk yet, not a desk, no permission…): completion then offers no values."""
    try:
        from supportdesk.config import locate_desk

        return _read_desk_at(locate_desk(option).path)
    except Exception:  # noqa: BLE001
        return None


@cache
def _read_desk_at(path: Path) -> DeskValues | None:
    """The desk's names, read once per completion request (respond() clears this)."""
    try:
        if not path.is_file():
            return None  # never create the default desk while completing
        from supportdesk.policy_compiled import stored_policy
        from supportdesk.store import Store

        store = Store.open(path)
        try:
            row = store.latest_policy()
            people = store.agents()
        finally:
            store.close()
        if row is None:
            return None
        return DeskValues(stored_policy(row), people)
    except Exception:  # noqa: BLE001 - whatever is wrong, completion just offers nothing
        return None


def _from_desk(pick: Callable[[DeskValues], Any]) -> Callable[[Any], list[str]]:
    def values(ctx: Any) -> list[str]:
        desk = _read_desk(_desk_option(ctx))
        return list(pick(desk)) if desk is not None else []

    return values


def _fixed(make: Callable[[], Any]) -> Callable[[Any], list[str]]:
    return lambda ctx: list(make())


def _statuses() -> list[str]:
    from supportdesk.model import Status

    return [s.value for s in Status] + ["active"]


def _close_reasons() -> list[str]:
    from supportdesk.model import CloseReason

    return [r.value for r in CloseReason]


def _sorts() -> tuple[str, ...]:
    from supportdesk.query import SORTS

    return SORTS


def _roles() -> tuple[str, ...]:
    from supportdesk.desk.people import AGENT_ROLES

    return AGENT_ROLES


def _examples() -> list[str]:
    from supportdesk.config import example_policies

    return list(example_policies())


def _logins(desk: DeskValues) -> list[str]:
    return [a["login"] for a in desk.agents if a.get("active", 1)]


priorities = _from_desk(lambda d: d.policy.priority_names)
departments = _from_desk(lambda d: d.policy.department_names)
channels = _from_desk(lambda d: d.policy.channel_names)
calendars = _from_desk(lambda d: d.policy.calendar_names)
layers = _from_desk(lambda d: [layer.name for layer in d.policy.layers])
levels = _from_desk(lambda d: [level.name for level in d.policy.escalation])
packages = _from_desk(lambda d: [p.name for p in d.policy.packages] + ["none"])
agents = _from_desk(_logins)


def assignees(ctx: Any) -> list[str]:
    return ["me", "none", *agents(ctx)]


# (command name or None for any command, parameter name) -> where its values come from.
VALUES: dict[tuple[str | None, str], Callable[[Any], list[str]]] = {
    (None, "priority"): priorities,
    (None, "department"): departments,
    (None, "channel"): channels,
    (None, "status"): _fixed(_statuses),
    (None, "assignee"): assignees,
    (None, "calendar"): calendars,
    (None, "layer"): layers,
    (None, "role"): _fixed(_roles),
    (None, "sort"): _fixed(_sorts),
    (None, "shell"): _fixed(lambda: SHELLS),
    ("assign", "to"): assignees,
    ("escalate", "to"): levels,
    ("close", "reason"): _fixed(_close_reasons),
    ("priority", "name"): priorities,
    ("package", "package"): packages,
    ("add", "person"): agents,  # oncall override add AGENT
    ("init", "from_"): _fixed(_examples),  # policy init --from EXAMPLE
}

# Options that take a comma-separated list (`list --priority critical,high`).
LIST_METAVARS = ("NAMES", "STATUSES")


def completer(values: Callable[[Any], list[str]], listed: bool) -> Callable[[Any, Any, str], list[Any]]:
    """A Click shell_complete callback offering `values` that start with what was typed
    (after the last comma for a list); values that would not show as typed are left out."""

    def complete(ctx: Any, param: Any, incomplete: str) -> list[Any]:
        from typer._click.shell_completion import CompletionItem

        from supportdesk.text import inert

        try:
            offered = values(ctx)
        except Exception:  # noqa: BLE001
            return []
        done, comma, last = incomplete.rpartition(",") if listed else ("", "", incomplete)
        taken = set(done.split(",")) if done else set()
        return [
            CompletionItem(done + comma + value)
            for value in offered
            if value.startswith(last) and value not in taken and value and inert(value) == value and not any(c.isspace() for c in value)
        ]

    return complete


def attach(command: Any) -> None:
    """Give the parameters of `command` (and of every command under it) their value
    completion."""
    from supportdesk.cli.app import _leaf_commands

    for leaf in _leaf_commands(command, load=False):
        for param in leaf.params:
            values = VALUES.get((leaf.name, param.name)) or VALUES.get((None, param.name))
            if values is not None:
                param._custom_shell_complete = completer(values, getattr(param, "metavar", None) in LIST_METAVARS)
