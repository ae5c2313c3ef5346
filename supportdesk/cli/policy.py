"""`supportdesk policy …`: check, show, start, apply and compare the desk's policy."""

from __future__ import annotations

from typing import Annotated

import typer

from supportdesk.cli.app import JsonOption, app, emit_json, open_desk, say

policy_app = typer.Typer(
    help="The desk's policy: check a file, show, init, apply, list versions, diff.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(policy_app, name="policy")

STARTER_HEADER = """\
# A supportdesk policy{origin}. `supportdesk policy show --explain` lists every key with
# its default and meaning; `supportdesk policy check FILE` validates this file and
# `supportdesk policy apply FILE` puts it in force.

"""


# The largest number SQLite's INTEGER PRIMARY KEY (a policy version's id) can hold.
MAX_VERSION = 2**63 - 1


def _version_number(value: int | None, what: str) -> int | None:
    """A policy version number as given, refused when no stored version can have it."""
    from supportdesk.errors import InvalidInput

    if value is not None and not -MAX_VERSION <= value <= MAX_VERSION:
        raise InvalidInput(f"{what} {value} is beyond any policy version number; `supportdesk policy versions` lists them")
    return value


@policy_app.command("check")
def policy_check(
    files: Annotated[list[str], typer.Argument(metavar="FILE...", help="Policy files to validate.", show_default=False)],
    json_: JsonOption = False,
) -> None:
    """Validate policy files: every problem, each as FILE:LINE: key: what is wrong; what would be right."""
    from pathlib import Path

    from supportdesk.errors import InvalidInput
    from supportdesk.policy import read_policy_file
    from supportdesk.policy_read import check_report, failed_report

    reports = []
    for name in files:
        try:
            text = read_policy_file(Path(name))
        except InvalidInput as error:
            reports.append(failed_report(name, error))
            continue
        reports.append(check_report(name, text))
    verdicts = [report["verdict"] for report in reports]
    if json_:
        emit_json([{k: v for k, v in r.items() if k not in ("lines", "verdict")} for r in reports])
    else:
        for report in reports:
            for line in report["lines"]:
                typer.echo(line)
    if not all(r["valid"] for r in reports):
        # A failure ends in the one `error:` line every refusal ends in (the problems
        # themselves are on standard output, one a line, or in the JSON).
        where = "in the JSON on standard output" if json_ else "above"
        raise InvalidInput(f"{'; '.join(verdicts)}; the problems are listed {where}")
    if not json_:
        for verdict in verdicts:
            say(verdict)


@policy_app.command("show")
def policy_show(
    ctx: typer.Context,
    explain: Annotated[bool, typer.Option("--explain", help="Annotate every key with its meaning and default; list the unset ones.")] = False,
    version: Annotated[int | None, typer.Option("--version", metavar="N", help="A stored version (default: the one in force).")] = None,
    json_: JsonOption = False,
) -> None:
    """The desk's policy as normalised TOML."""
    from supportdesk.policy_compiled import stored_policy
    from supportdesk.policy_text import dump_policy, explain_policy, policy_to_data
    from supportdesk.timetext import format_local, from_utc_text

    with open_desk(ctx) as desk:
        row = desk.policy_version(_version_number(version, "--version"))
        zone = desk.policy.zone
    policy = stored_policy(row)
    if json_:
        import json

        from supportdesk.cli.app import raw_stdout
        from supportdesk.text import json_safe

        # The exact text, as every --json gives it: not through the inert stream, whose
        # visible escapes (\x85) would not be JSON.
        data = {"version": row["id"], "policy": policy_to_data(policy)}
        raw_stdout().write(json_safe(json.dumps(data, indent=2, ensure_ascii=False, default=str)) + "\n")
        return
    text = dump_policy(policy)
    applied = format_local(from_utc_text(row["applied_at"]), zone)
    header = f"# policy version {row['id']}, applied {applied} by {row['applied_by']} from {row['source']}\n\n"
    typer.echo(header + (explain_policy(text) if explain else text), nl=False)


@policy_app.command("init")
def policy_init(
    target: Annotated[str | None, typer.Argument(metavar="[FILE]", help="Where to write it (default: standard output).", show_default=False)] = None,
    from_: Annotated[str | None, typer.Option("--from", metavar="EXAMPLE", help="Start from an example: hosting-general, introserv, kristalium, sitecom, websight.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Write a starter policy (normalised with tomli-w) to edit and apply."""
    from pathlib import Path

    from supportdesk.config import example_policies
    from supportdesk.errors import InvalidInput, Refused
    from supportdesk.policy import DEFAULT_POLICY_PATH, load_policy, read_policy_file
    from supportdesk.policy_text import dump_policy

    if from_ is not None:
        examples = example_policies()
        if from_ not in examples:
            raise InvalidInput(f"unknown example {from_!r}; use one of: {', '.join(examples)}")
        source, origin = examples[from_], f", started from the example {from_}"
    else:
        source, origin = DEFAULT_POLICY_PATH, ""
    text = STARTER_HEADER.format(origin=origin) + dump_policy(load_policy(read_policy_file(source), str(source)))
    if target is None:
        typer.echo(text, nl=False)
        return
    path = Path(target)
    if path.exists() and not force:
        raise Refused(f"{path} exists; choose another file or add --force to overwrite it")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"cannot write {path}: {error.strerror}") from None
    say(f"wrote {path}; edit it, then `supportdesk policy check {path}` and `supportdesk policy apply {path}`")


@policy_app.command("apply")
def policy_apply(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="The policy to put in force.", show_default=False)],
    json_: JsonOption = False,
) -> None:
    """Validate a policy file and make it the desk's new policy version (admins)."""
    from pathlib import Path

    from supportdesk.policy import read_policy_file

    text = read_policy_file(Path(file))
    with open_desk(ctx) as desk:
        result = desk.apply_policy(text, file)
    if json_:
        emit_json(result)
    elif result["changed"]:
        say(f"policy version {result['version']} ({result['name']}) is now in force")
    else:
        say(f"{file} is already in force as version {result['version']}; nothing changed")


@policy_app.command("versions")
def policy_versions(ctx: typer.Context, json_: JsonOption = False) -> None:
    """Every policy version the desk has had: when, by whom, from which file."""
    with open_desk(ctx) as desk:
        rows = desk.policy_versions()
        zone = desk.policy.zone
    if json_:
        emit_json(rows)
        return
    from supportdesk.timetext import format_local, from_utc_text

    for row in rows:
        applied = format_local(from_utc_text(row["applied_at"]), zone)
        typer.echo(f"{row['id']:>3}  {applied}  {row['applied_by']:<16}  {row['source']}")


@policy_app.command("diff")
def policy_diff(
    ctx: typer.Context,
    old: Annotated[int | None, typer.Argument(metavar="[V1]", help="Older version (default: the one before V2).", show_default=False)] = None,
    new: Annotated[int | None, typer.Argument(metavar="[V2]", help="Newer version (default: the one in force).", show_default=False)] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON: the versions and the diff's text.")] = False,
) -> None:
    """What changed between two policy versions, as a unified diff of normalised TOML."""
    from supportdesk.errors import NotFound
    from supportdesk.policy_compiled import stored_policy
    from supportdesk.policy_text import diff_policies

    old, new = _version_number(old, "V1"), _version_number(new, "V2")
    with open_desk(ctx) as desk:
        right = desk.policy_version(new)
        if old is None:
            if right["id"] == 1:
                raise NotFound("the desk has only one policy version; nothing to compare")
            old = right["id"] - 1
        left = desk.policy_version(old)
    diff = diff_policies(stored_policy(left), stored_policy(right), f"version {left['id']}", f"version {right['id']}")
    if json_:
        emit_json({"old": left["id"], "new": right["id"], "same": not diff, "diff": diff})
        return
    if not diff:
        say(f"versions {left['id']} and {right['id']} are the same policy")
        return
    typer.echo(diff, nl=False)
