"""Commands that carry tickets out of the desk and into it: export, import."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from supportdesk.cli.app import app, emit_json, globals_of, open_desk, raw_stdout, say
from supportdesk.cli.tickets import TicketFilters, with_filters
from supportdesk.errors import InvalidInput

# Bad rows an import lists for people (the JSON report holds up to transfer.MAX_REPORTED).
LISTED_BAD_ROWS = 200


# ---- progress ----------------------------------------------------------------------------


def stderr_is_terminal() -> bool:
    """Whether standard error is a terminal (progress is drawn only there)."""
    stream = getattr(sys.stderr, "raw", sys.stderr)
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress_bar(what: str, total: int | None, *, unit: str = "") -> Iterator[Callable[[int], None]]:
    """A callback `done(n)` that draws how far long work has come on standard error,
    when that is a terminal; elsewhere (a pipe, a file, a test) it does nothing. The bar
    is removed when the work ends."""
    if not stderr_is_terminal():
        yield lambda done: None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from supportdesk.cli.app import console

    amount = DownloadColumn() if unit == "bytes" else MofNCompleteColumn()
    with Progress(TextColumn(what), BarColumn(), amount, TimeRemainingColumn(), console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda done: bar.update(task, completed=done)


# ---- export ------------------------------------------------------------------------------


class _CsvLines:
    """CSV records written to a text stream, each ending in a newline; a field holding a
    carriage return or a newline is quoted (as `list --csv` writes them)."""

    def __init__(self, stream: Any):
        import csv
        import io

        self.stream = stream
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def write(self, values: list[Any]) -> None:
        self.writer.writerow(values)
        self.stream.write(self.buffer.getvalue()[:-2] + "\n")
        self.buffer.seek(0)
        self.buffer.truncate()


@contextmanager
def _target(output: str | None, force: bool, csv_: bool, desk_path: Any) -> Iterator[Any]:
    """Where the export is written: standard output, or a temporary file beside
    `output` (mode 0600: it may hold customer data) renamed into place once complete."""
    if output is None:
        # The exact text for a file or a pipe; CSV on a terminal is shown inert (JSON is inert already).
        yield sys.stdout if csv_ and raw_stdout().isatty() else raw_stdout()
        return
    import tempfile
    from pathlib import Path

    path = Path(output)
    if path.resolve() in {Path(f"{desk_path}{suffix}").resolve() for suffix in ("", "-wal", "-shm", "-journal")}:
        raise InvalidInput(f"{output} is the desk itself; write the export to another file")
    if path.is_dir():
        raise InvalidInput(f"{output} is a directory; give a file name, e.g. {path / 'tickets.jsonl'}")
    if path.exists() and not force:
        raise InvalidInput(f"{output} exists already; --force replaces it")
    if not path.parent.is_dir():
        raise InvalidInput(f"no directory {path.parent}; create it first")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".exporting", dir=path.parent)
    except OSError as error:
        raise InvalidInput(f"cannot write in {path.parent}: {error.strerror}") from None
    temp = Path(name)
    try:
        os.chmod(fd, 0o600)
        with open(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


@app.command()
@with_filters("export")
def export(
    ctx: typer.Context,
    filters: TicketFilters,
    format_: Annotated[str, typer.Option("--format", metavar="jsonl|csv", help="JSON Lines (every field, messages and events; import reads it back exactly) or CSV (one row a ticket).")] = "jsonl",
    output: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE", help="Write to FILE (mode 0600, complete or not at all) instead of standard output.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace --output FILE if it exists.")] = False,
    include_personal_data: Annotated[
        bool, typer.Option("--include-personal-data", help="Keep names, e-mail addresses, IP addresses and phone numbers (admins only).")
    ] = False,
) -> None:
    """Export tickets with their messages and events, as JSON Lines or CSV.

    The filters are those of `list`; tickets come in id order. Personal data (customers'
    names and e-mail addresses, IP and MAC addresses, phone numbers, wherever they occur)
    are replaced by placeholders, the same value by the same placeholder throughout one
    export, unless --include-personal-data, which only an admin may give (customer data
    are disclosed only on a court order). JSON Lines begin with a header line saying
    whether the export is redacted. A progress bar is drawn on standard error when it is
    a terminal."""
    from supportdesk import transfer

    if format_ not in transfer.FORMATS:
        raise InvalidInput(f"unknown --format {format_!r}; use jsonl or csv")
    csv_ = format_ == "csv"
    from supportdesk.config import locate_desk

    desk_path = locate_desk(globals_of(ctx).db).path
    with open_desk(ctx) as desk:
        flt = desk.filter(**filters, sort="id")
        with desk.export_tickets(flt, personal_data=include_personal_data, filters=filters) as exporting, _target(output, force, csv_, desk_path) as stream:
            with progress_bar("exporting", exporting.total) as done:
                if csv_:
                    lines = _CsvLines(stream)
                    lines.write(list(transfer.CSV_COLUMNS))
                else:
                    stream.write(transfer.export_line(exporting.header))
                for count, record in enumerate(exporting.records(), start=1):
                    if csv_:
                        lines.write(transfer.csv_row(record))
                    else:
                        stream.write(transfer.export_line(record))
                    if count % 100 == 0:
                        done(count)
            total, redacted = exporting.total, exporting.redacted
    if output is not None:
        say(f"exported {total} {'ticket' if total == 1 else 'tickets'} to {output}" + ("" if redacted else " with personal data"))


# ---- import ------------------------------------------------------------------------------


@contextmanager
def _source(file: str) -> Iterator[tuple[Any, int | None]]:
    """The file to import, opened for bytes, and its size (None for standard input)."""
    if file == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise InvalidInput("FILE is '-' but nothing is piped on standard input; e.g. supportdesk export | supportdesk --db other.db import -")
        yield sys.stdin.buffer, None
        return
    from supportdesk.errors import NotFound

    try:
        stream = open(file, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise NotFound(f"no file {file}; give the export or CSV file to import") from None
    except IsADirectoryError:
        raise InvalidInput(f"{file} is a directory; give the export or CSV file to import") from None
    except OSError as error:
        raise InvalidInput(f"cannot read {file}: {error.strerror}") from None
    try:
        yield stream, os.fstat(stream.fileno()).st_size
    finally:
        stream.close()


def _bad_lines(report: dict[str, Any]) -> None:
    """The bad rows of an import, one a line on standard output: `FILE:LINE: why`."""
    for row in report["bad_rows"][:LISTED_BAD_ROWS]:
        named = row.get("id") not in (None, "") and f"#{row['id']} " not in row["why"]
        ticket = f" (ticket {row['id']})" if named else ""
        typer.echo(f"{report['source']}:{row['line']}:{ticket} {row['why']}")
    more = report["bad"] - min(len(report["bad_rows"]), LISTED_BAD_ROWS)
    if more > 0:
        typer.echo(f"… and {more} more bad {'row' if more == 1 else 'rows'} (--json lists up to 1000)")


def _summary(report: dict[str, Any]) -> list[str]:
    """What an import did, for people."""
    count = report["importable"] if report["dry_run"] else report["imported"]
    noun = "ticket" if count == 1 else "tickets"
    ids = f" (#{report['first_id']}–#{report['last_id']})" if count > 1 else f" (#{report['first_id']})" if count == 1 else ""
    verb = "would import" if report["dry_run"] else "imported"
    head = f"{verb} {count} {noun}{ids} from {report['source']}"
    if report["customers_created"]:
        head += f"; {report['customers_created']} new {'customer' if report['customers_created'] == 1 else 'customers'}"
    lines = [head]
    if report["agents_created"]:
        lines.append(
            f"added {len(report['agents_created'])} inactive {'agent' if len(report['agents_created']) == 1 else 'agents'} the file assigns tickets to: "
            f"{', '.join(report['agents_created'])} (`supportdesk agent activate LOGIN` lets one work)"
        )
    if report["skipped_existing"]:
        lines.append(f"skipped {report['skipped_existing']} {'ticket' if report['skipped_existing'] == 1 else 'tickets'} already in the desk")
    if report["bad"]:
        lines.append(f"skipped {report['bad']} bad {'row' if report['bad'] == 1 else 'rows'} (listed above)")
    if report["redacted"]:
        lines.append(f"note: {report['source']} is a redacted export: names, addresses and phone numbers in it are placeholders")
    if report["ignored_columns"]:
        lines.append(f"note: columns not imported: {', '.join(report['ignored_columns'])}")
    if report["dry_run"]:
        lines.append("nothing was written (--dry-run)")
    return lines


@app.command(name="import")
def import_tickets(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="A JSON Lines export or a CSV file; '-' reads standard input.", show_default=False)],
    format_: Annotated[str | None, typer.Option("--format", metavar="jsonl|csv", help="The file's format (default: told from its content).")] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", metavar="OURS=THEIRS,...", help="CSV: which column holds each field, e.g. subject=Title,customer=Email,created_at=Created."),
    ] = None,
    value: Annotated[
        list[str] | None,
        typer.Option("--value", metavar="FIELD:THEIRS=OURS", help="CSV: translate a value, e.g. 'status:pending reminder=pending'; repeat for more."),
    ] = None,
    time_format: Annotated[
        str | None, typer.Option("--time-format", metavar="FORMAT", help="CSV: how times are written when not ISO 8601 (strptime), e.g. '%d.%m.%Y %H:%M'.")
    ] = None,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Import the good rows and report the bad ones (default: a bad row stops everything).")] = False,
    skip_existing: Annotated[bool, typer.Option("--skip-existing", help="Skip tickets already in the desk (imported before) instead of refusing them.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row and report; write nothing.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import tickets from a JSON Lines export or another help desk's CSV, in one transaction.

    JSON Lines (from `supportdesk export`) come back exactly: ids, times, messages and
    events. A CSV needs a header line; --map names the column of each field (columns
    named as ours need no mapping): id, subject, body, customer, customer_name,
    reseller, status, priority, department, channel, category, service, assignee,
    created_at, updated_at, first_response_at, paused_at, resolved_at, closed_at,
    close_reason, language, flags, fields, and field.NAME for a department field.
    Subject, customer (an e-mail address) and created_at are required. Times keep their
    original instants: ISO 8601 with an offset (2026-11-20 10:00:00 +0300) is exact;
    one without an offset is read in the desk's time zone, daylight saving included (a
    time the clocks skip moves forward by the gap, a repeated one is the first). Open
    tickets get deadlines under the desk's policy.

    Every row is checked first: a bad one is reported by its line number and nothing is
    imported (exit 2) unless --skip-bad. Customers new to the desk are added; agents it
    lacks are added inactive. Each ticket gets an `imported` event. A ticket whose id is
    in the desk already is refused by name (--skip-existing skips it when it is the same
    ticket, as when a file is imported twice). Admins only."""
    from supportdesk import transfer

    mapping = transfer.parse_map(map_ or [])
    values = transfer.parse_values(value or [])
    with _source(file) as (stream, size), open_desk(ctx) as desk:
        with progress_bar("importing", size, unit="bytes") as done:
            try:
                report = desk.import_tickets(
                    stream, name="standard input" if file == "-" else file, file_format=format_, mapping=mapping, values=values, time_format=time_format,
                    skip_bad=skip_bad, skip_existing=skip_existing, dry_run=dry_run, progress=done,
                )
            except transfer.ImportRefused as refused:
                if json_:
                    emit_json(refused.report)
                else:
                    _bad_lines(refused.report)
                raise
    if json_:
        emit_json(report)
        return
    _bad_lines(report)
    for line in _summary(report):
        say(line)
