"""`report sla`, `report volume`, `report agents`: the desk's figures as tables with bars
on a terminal, plain text in a pipe, `--json`, `--csv`, or one HTML page (`--html FILE`)."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from supportdesk.cli.app import (
    JsonOption,
    emit_json,
    open_desk,
    parameter,
    raw_stdout,
    say,
    shown_as,
    sub_app,
)
from supportdesk.errors import InvalidInput

if TYPE_CHECKING:
    from supportdesk.report_tables import Table

report_app = sub_app("report", "Reports: SLA compliance, tickets filed and closed, agents; tables, JSON, CSV or an HTML page.")

SinceOption = Annotated[
    str | None, typer.Option("--since", metavar="INSTANT", help="Tickets filed at or after this instant or date (in the desk's zone), e.g. 2026-10-01 or -30d.")
]
UntilOption = Annotated[
    str | None, typer.Option("--until", metavar="INSTANT", help="Tickets filed before this instant; a date alone takes in that whole day.")
]
CsvOption = Annotated[bool, typer.Option("--csv", help="Output CSV: a header, then one row per group, plain numbers.")]
HtmlOption = Annotated[
    str | None,
    typer.Option("--html", metavar="FILE", help="Write one self-contained HTML page with charts (no JavaScript) to FILE ('-': standard output)."),
]
# The width of a bar beside a figure, in characters.
BAR_WIDTH = 10
_EIGHTHS = " ▏▎▍▌▋▊▉"

# A report use case of the desk: (desk, since, until, progress, its own options) -> the report.
Report = Callable[..., dict[str, Any]]


def report_command(name: str) -> Callable[[Report], Report]:
    """Register `make` as `report NAME`: it takes the desk, --since, --until and a progress
    callback, then its own options, and returns the report; --since, --until, --json,
    --csv and --html follow its own options, declared here once for every report."""
    shared = [
        parameter("since", SinceOption, None),
        parameter("until", UntilOption, None),
        parameter("json_", JsonOption, False),
        parameter("csv_", CsvOption, False),
        parameter("html", HtmlOption, None),
    ]

    def register(make: Report) -> Report:
        own = list(inspect.signature(make, eval_str=True).parameters.values())[4:]

        def command(ctx: typer.Context, *, since: str | None, until: str | None, json_: bool, csv_: bool, html: str | None, **options: Any) -> None:
            if sum((json_, csv_, html is not None)) > 1:
                raise InvalidInput("choose one of --json, --csv and --html")
            with open_desk(ctx) as desk, progress_bar() as progress:
                data = make(desk, since, until, progress, **options)
                zone = desk.policy.zone
            if json_:
                emit_json(data)
            elif csv_:
                write_csv(data)
            elif html is not None:
                write_html(data, zone, html)
            else:
                show(data, zone)

        report_app.command(name)(shown_as(command, make, [parameter("ctx", typer.Context), *own, *shared]))
        return make

    return register


@report_command("sla")
def sla(
    desk: Any,
    since: str | None,
    until: str | None,
    progress: Any,
    by: Annotated[str | None, typer.Option("--by", metavar="GROUP", help="Group by priority, package, department, agent, reseller or month (local).")] = None,
) -> dict[str, Any]:
    """SLA compliance of the tickets filed in a period: first response and resolution met,
    breached and overdue, met %, median and 90th-percentile times (business and calendar)."""
    return desk.sla_report(since=since, until=until, by=by, progress=progress)


@report_command("volume")
def volume(
    desk: Any,
    since: str | None,
    until: str | None,
    progress: Any,
    by: Annotated[str, typer.Option("--by", metavar="PERIOD", help="Count per local day or week (from Monday).")] = "week",
) -> dict[str, Any]:
    """Tickets filed and closed per day or week, and the backlog at the end of each
    (default: from the first ticket until now)."""
    return desk.volume_report(since=since, until=until, by=by, progress=progress)


@report_command("agents")
def agents(desk: Any, since: str | None, until: str | None, progress: Any) -> dict[str, Any]:
    """Each agent's tickets filed in a period: open, closed, overdue, breaches, met % and
    median times."""
    return desk.agents_report(since=since, until=until, progress=progress)


# ---- long work, on a terminal --------------------------------------------------------


@contextmanager
def progress_bar() -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback that draws a bar on standard error while it is a terminal (and
    goes when the work is done); None elsewhere."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from supportdesk.cli.app import console

    with Progress(TextColumn("reading tickets"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("report", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


# ---- output ----------------------------------------------------------------------------


def write_csv(data: dict[str, Any]) -> None:
    """The report as CSV: one header row, then one row per group (no total)."""
    import csv

    from supportdesk.report import csv_table

    header, rows = csv_table(data)
    # The exact text for a file or a pipe; inert on a terminal.
    writer = csv.writer(sys.stdout if raw_stdout().isatty() else raw_stdout(), lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)


def write_html(data: dict[str, Any], zone: Any, path: str) -> None:
    """The report's page, written whole to `path` (or to standard output for '-')."""
    import os
    import tempfile
    from pathlib import Path

    from supportdesk.report_html import render

    page = render(data, zone)
    if path == "-":
        raw_stdout().write(page)
        return
    target = Path(path)
    name = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(page)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(name, 0o666 & ~umask)  # as any file the user writes (mkstemp makes it 0600)
        os.replace(name, target)
    except OSError as error:
        if name is not None:
            Path(name).unlink(missing_ok=True)
        raise InvalidInput(f"cannot write the page to {path}: {error.strerror}") from None
    say(f"wrote {target} ({len(page.encode('utf-8')) // 1024 + 1} KB)")


def _bar(share: float) -> str:
    """A bar of BAR_WIDTH characters, `share` of it full, to the eighth of a character."""
    eighths = round(share * BAR_WIDTH * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part else "")
    return text + "░" * (BAR_WIDTH - len(text))


def _rich_table(table: Table) -> Any:
    from rich.table import Table as RichTable
    from rich.text import Text

    drawn = RichTable(
        title=table.title, title_justify="left", title_style="bold", header_style="bold", box=None, pad_edge=False, collapse_padding=True
    )
    for column in table.columns:
        drawn.add_column(column.heading, justify="left" if column.kind == "label" else "right", no_wrap=True)
        if column.bar:
            drawn.add_column("", no_wrap=True)
    for row in table.rows:
        total = row.get("group") == "total"
        cells: list[Any] = []
        for column in table.columns:
            cells.append(Text(table.cell_text(column, row), style="bold" if total else ""))
            if column.bar:
                share = table.bar_share(column, row)
                cells.append(Text("" if share is None else _bar(share), style="green"))
        drawn.add_row(*cells)
    return drawn


def _plain_lines(table: Table) -> list[str] | None:
    """The table as plain lines for a pipe (no bars); None when a cell is not plain text."""
    from supportdesk.cli.render import plain_table

    rows = table.text_rows()
    headings = table.headings()
    columns = [(h, max([len(h), *(len(r[i]) for r in rows)]), c.kind != "label") for i, (h, c) in enumerate(zip(headings, table.columns, strict=True))]
    return plain_table(columns, rows)


def show(data: dict[str, Any], zone: Any) -> None:
    """The report for people: its heading, then each table (with bars on a terminal)."""
    from supportdesk.cli.render import plain_output
    from supportdesk.report_tables import tables, title

    heading, line = title(data, zone)
    drawn = tables(data)
    if plain_output():
        parts = [_plain_lines(t) for t in drawn]
        if all(p is not None for p in parts):
            lines = [heading, line]
            for table, part in zip(drawn, parts, strict=True):
                lines += ["", table.title, *(part or []), *([table.note] if table.note else [])]
            print("\n".join(lines))
            return
    from rich.console import Group
    from rich.text import Text

    from supportdesk.cli.app import console
    from supportdesk.cli.render import Fitted

    pieces: list[Any] = [Text(heading, style="bold"), Text(line)]
    for table in drawn:
        pieces += [Text(""), Fitted(lambda width, t=table: _rich_table(t))]
        if table.note:
            pieces.append(Text(table.note, style="dim"))
    console().print(Group(*pieces))
