"""`supportdesk backup`, `restore` and `check`: keep the desk file safe and sound."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from supportdesk.cli.app import (
    Answer,
    app,
    emit_json,
    globals_of,
    parameter,
    real_now,
    say,
    shown_as,
)

if TYPE_CHECKING:
    from pathlib import Path

WrittenJsonOption = Annotated[bool, typer.Option("--json", help="Print what was written as JSON on stdout.")]


def _desk_path(ctx: typer.Context) -> Path:
    import os

    from supportdesk.config import TOKEN_ENV, locate_desk
    from supportdesk.errors import Refused

    if os.environ.get(TOKEN_ENV):
        raise Refused("backup, restore and check work on the desk file itself, for the desk's agents; unset SUPPORTDESK_TOKEN")
    return locate_desk(globals_of(ctx).db).path


def _size(count: int) -> str:
    """A file size for people: 812 bytes, 280.0 KiB, 87.5 MiB."""
    if count < 1024:
        return f"{count} bytes"
    size = count / 1024
    for unit in ("KiB", "MiB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def copy_command(name: str, *, file_help: str, force_help: str) -> Callable[[Callable[..., Answer]], Callable[..., Answer]]:
    """Register `copy` as the command `name`, which writes a desk file: it takes FILE
    (`file_help`), --force (`force_help`) and --json; `copy(ctx, file, force)` writes
    and returns an Answer, whose data (what was written) --json prints."""

    def register(copy: Callable[..., Answer]) -> Callable[..., Answer]:
        def command(ctx: typer.Context, file: str, force: bool, json_: bool) -> None:
            copy(ctx, file, force).print(json_)

        params = [
            parameter("ctx", typer.Context),
            parameter("file", Annotated[str, typer.Argument(metavar="FILE", help=file_help, show_default=False)]),
            parameter("force", Annotated[bool, typer.Option("--force", help=force_help)], False),
            parameter("json_", WrittenJsonOption, False),
        ]
        app.command(name)(shown_as(command, copy, params))
        return copy

    return register


@copy_command("backup", file_help="The backup file to write (mode 0600).", force_help="Replace FILE if it exists.")
def backup_command(ctx: typer.Context, file: str, force: bool) -> Answer:
    """Back up the desk to FILE while others keep working.

    SQLite's online backup copies one snapshot of the desk; FILE (mode 0600) appears
    only when complete, and is a desk that `restore`, `check` and `--db` accept."""
    from pathlib import Path

    from supportdesk.maintenance import backup

    result = backup(_desk_path(ctx), Path(file).expanduser(), force=force)
    return Answer(
        result,
        lambda: say(
            f"backed up {result['desk']} to {result['file']}: {result['tickets']} tickets, "
            f"{result['events']} events, {_size(result['bytes'])}"
        ),
    )


@copy_command("restore", file_help="The backup (a desk file) to restore.", force_help="Replace the existing desk (everything in it now is lost).")
def restore_command(ctx: typer.Context, file: str, force: bool) -> Answer:
    """Replace the desk with a copy of a backup FILE.

    FILE must be a supportdesk desk; the copy is integrity-checked before it takes the
    place of the desk named by --db or SUPPORTDESK_DB (mode 0600), which is replaced only
    with --force. Stop other supportdesk commands (cron jobs, triage --watch) first. A
    desk of an older schema is upgraded when it is next opened."""
    from pathlib import Path

    from supportdesk.maintenance import restore

    result = restore(Path(file).expanduser(), _desk_path(ctx), force=force)
    return Answer(result, lambda: _say_restored(result))


def _say_restored(result: dict) -> None:
    from supportdesk.store.migrations import SCHEMA_VERSION

    upgrade = ""
    if result["schema_version"] < SCHEMA_VERSION:
        upgrade = f"; its schema ({result['schema_version']}) is upgraded to {SCHEMA_VERSION} when it is next opened"
    verb = "replaced the desk" if result["replaced"] else "restored the desk"
    say(f"{verb} {result['desk']} with {result['file']}: {result['tickets']} tickets, {result['events']} events{upgrade}")


@app.command("check")
def check_command(
    ctx: typer.Context,
    json_: Annotated[bool, typer.Option("--json", help="Output the report as JSON.")] = False,
) -> None:
    """Check the desk's file, history and deadlines.

    Runs SQLite's integrity and foreign-key checks, replays every ticket's events to its
    row, and recomputes open tickets' deadlines under the policy version that set them.
    Prints "ok: N tickets, M events checked", or a line per problem (the ticket and what
    differs) and exits 1."""
    from supportdesk.errors import Refused
    from supportdesk.maintenance import check

    report = check(_desk_path(ctx), now_text=globals_of(ctx).now, clock=real_now)
    if json_:
        emit_json(report.to_json())
    else:
        for problem in report.problems:
            typer.echo(problem.message)
        if report.ok:
            say(report.summary())
        if report.unverified_note:
            # Beside the problems on stdout when there are any: stderr keeps one error line.
            (say if report.ok else typer.echo)(f"note: {report.unverified_note}")
    if not report.ok:
        raise Refused(f"{report.summary()}; the report on standard output names each")
