"""`supportdesk undo`, `operations`, and what close, assign and escalate --auto share:
where the tickets come from (ids, --stdin, filters), confirmation, progress, the summary
on stderr, the JSON on stdout, and the exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from supportdesk.cli.app import app, emit_json, open_desk, read_stdin, say
from supportdesk.errors import ExitCode, InvalidInput, Refused

if TYPE_CHECKING:
    from supportdesk.desk.bulk import BulkOutcome

# A bulk operation over at least this many tickets shows a progress bar (on a terminal).
PROGRESS_FROM = 2000

# Tickets named in a one-line summary before "…".
SHOWN = 20


def ticket_ids(tickets: list[str] | None, stdin: bool, filters: dict[str, str | None] | None, what: str) -> tuple[list[int] | None, str]:
    """The ids given as arguments or on standard input (None: choose by filter), and
    where they came from: ids, stdin or filter. Exactly one source is allowed."""
    from supportdesk.given import no_tickets_named, parse_ticket_id

    has_filters = filters is not None and any(v is not None for v in filters.values())
    if sum([bool(tickets), stdin, has_filters]) != 1:
        raise no_tickets_named(what)
    if tickets:
        return [parse_ticket_id(t) for t in tickets], "ids"
    if stdin:
        return ids_from_stdin(what), "stdin"
    return None, "filter"


def ids_from_stdin(what: str) -> list[int]:
    """Ids one a line (`42` or `#42`), or the JSON of `list --json` / a JSON list of ids."""
    import json

    from supportdesk.given import MAX_TICKET_ID, parse_ticket_id

    if sys.stdin is None or sys.stdin.isatty():
        raise InvalidInput(f"--stdin given but nothing is piped; e.g. supportdesk list --json | supportdesk {what} --stdin")
    text = read_stdin("--stdin")
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise InvalidInput(f"standard input is not valid JSON ({error.msg} at line {error.lineno})") from None
        except RecursionError:
            raise InvalidInput("standard input JSON is nested too deeply; give `list --json` output or a list of ids") from None
        items = data if isinstance(data, list) else [data]
        ids = []
        for item in items:
            value = item.get("id") if isinstance(item, dict) else item
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidInput("standard input JSON must be ticket objects with an id, or a list of ids")
            if value > MAX_TICKET_ID:
                raise InvalidInput(f"{value} on standard input is larger than any ticket number can be")
            ids.append(value)
        return ids
    return [parse_ticket_id(line) for line in text.splitlines() if line.strip()]


def confirmation(yes: bool, stdin: bool, what: Callable[[int], str]) -> Callable[[int], bool] | None:
    """None with --yes; else a function asking on the terminal whether to do `what(count)`
    (e.g. "close 21 tickets"), refused when there is no terminal to ask on."""
    if yes:
        return None

    def confirm(count: int) -> bool:
        if stdin or sys.stdin is None or not sys.stdin.isatty():
            raise Refused(f"this would {what(count)}; add --yes to confirm, or --dry-run to preview")
        return typer.confirm(f"{what(count)[:1].upper()}{what(count)[1:]}?", err=True)

    return confirm


def confirm_above() -> int:
    """The user's confirmation threshold (settings file, [bulk] confirm_above)."""
    from supportdesk.config import user_setting

    return user_setting("bulk", "confirm_above")


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback drawing a bar on stderr when it is a terminal; else None."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    from supportdesk.cli.app import console

    with Progress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            if total >= PROGRESS_FROM:
                bar.update(task, completed=done, total=total)

        yield update


def run_bulk(
    ctx: typer.Context,
    action: str,
    arguments: dict[str, Any],
    ids: list[int] | None,
    source: str,
    filters: dict[str, str | None] | None,
    *,
    dry_run: bool,
    yes: bool,
    json_: bool,
    what: Callable[[int], str],
    label: str,
    use: Callable[..., BulkOutcome],
    summary: Callable[[BulkOutcome], str],
) -> None:
    """The course close and assign share: nothing named on standard input, confirmation,
    the desk's bulk use case (`use(desk, ids=, flt=, …)`) under a progress bar, and the
    outcome printed with its exit code."""
    if ids == []:
        from supportdesk.desk.bulk import BulkOutcome

        finish(BulkOutcome(action, dry_run, arguments), json_, f"nothing to {action}: standard input named no tickets")
        return
    confirm = confirmation(yes, source == "stdin", what)
    threshold = confirm_above() if confirm is not None else 0
    with open_desk(ctx) as desk, progress_bar(label) as progress:
        outcome = use(
            desk,
            ids=ids,
            flt=desk.filter(**(filters or {})) if ids is None else None,
            dry_run=dry_run,
            confirm=confirm,
            confirm_above=threshold,
            progress=progress,
            source=source,
        )
    finish(outcome, json_, summary(outcome))


def finish(outcome: BulkOutcome, json_: bool, summary: str) -> None:
    """Print the outcome (JSON on stdout, or the summary on stderr) and exit 5 when some
    tickets were skipped."""
    if json_:
        emit_json(outcome.to_json())
    else:
        say(summary)
    if outcome.skipped:
        raise typer.Exit(int(ExitCode.SKIPPED))


def listed(ids: list[int]) -> str:
    return " ".join(f"#{i}" for i in ids[:SHOWN]) + (" …" if len(ids) > SHOWN else "")


def tail(outcome: BulkOutcome, verb: str) -> list[str]:
    """The skipped tickets and how to undo, for a summary."""
    parts = []
    if outcome.skipped:
        whys = ", ".join(f"#{s['id']} {s['why']}" for s in outcome.skipped[:5]) + (" …" if len(outcome.skipped) > 5 else "")
        parts.append(f"skipped {len(outcome.skipped)} ({whys})")
    if not outcome.changed:
        parts.insert(0, f"nothing to {verb}")
    if outcome.operation:
        parts.append(f"operation {outcome.operation} (`supportdesk undo {outcome.operation}` undoes it)")
    return parts


def assign_summary(outcome: BulkOutcome) -> str:
    """`assigned 3 tickets to ali: #1 #2 #3; operation …`"""
    if not outcome.changed and not outcome.skipped:
        return "nothing to assign: no ticket matches"
    parts = []
    if outcome.changed:
        verb = "would assign" if outcome.dry_run else "assigned"
        noun = "ticket" if len(outcome.changed) == 1 else "tickets"
        to = outcome.arguments.get("to") or "nobody"
        parts.append(f"{verb} {len(outcome.changed)} {noun} to {to}: {listed([t['id'] for t in outcome.changed])}")
    return "; ".join(parts + tail(outcome, "assign"))


# ---- undo and operations ----------------------------------------------------------------

Operation = Annotated[str, typer.Argument(metavar="OPERATION", help="An operation id, as `supportdesk operations` lists them.", show_default=False)]


@app.command()
def undo(
    ctx: typer.Context,
    operation: Operation,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be restored; change nothing.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Undo a bulk close, assign or escalation: restore every column it changed.

    Refused, naming the tickets, when any of them changed after the operation. The undo is
    itself an operation (an `undo` event on each ticket); notices the operation queued and
    not yet sent are withdrawn.
    """
    with open_desk(ctx) as desk, progress_bar("undoing") as progress:
        outcome = desk.undo(operation, dry_run=dry_run, progress=progress)
    verb = "would restore" if dry_run else "restored"
    notices = f"; {'would withdraw' if dry_run else 'withdrew'} {outcome.notifications} queued notice(s)" if outcome.notifications else ""
    noun = "ticket" if len(outcome.changed) == 1 else "tickets"
    summary = f"{verb} {len(outcome.changed)} {noun} as they were before {operation}: {listed([t['id'] for t in outcome.changed])}{notices}"
    if outcome.operation:
        summary += f"; operation {outcome.operation}"
    finish(outcome, json_, summary)


@app.command()
def operations(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="How many, newest first (0: all).")] = 20,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Recent bulk operations (close, assign, escalate, undo): id, who, when, how many."""
    from supportdesk.cli.render import print_rows
    from supportdesk.timetext import format_local, from_utc_text

    with open_desk(ctx) as desk:
        rows = desk.operations(limit or None)
        zone = desk.policy.zone
    if json_:
        emit_json(rows)
        return
    if not rows:
        say("no operations yet: close, assign and escalate --auto record theirs")
        return
    table = []
    for row in rows:
        arguments = row["arguments"]
        what = ", ".join(f"{k} {v}" for k, v in arguments.items() if k != "source")
        state = f"undone by {row['undone_by']}" if row["undone_by"] else ""
        table.append(
            [row["id"], row["kind"], format_local(from_utc_text(row["at"]), zone), row["actor"], str(row["changed"]), str(row["skipped"]), what, state]
        )
    print_rows(
        [("OPERATION", False), ("KIND", False), ("AT", False), ("BY", False), ("CHANGED", True), ("SKIPPED", True), ("WITH", False), ("", False)],
        table,
        wraps="WITH",
    )

