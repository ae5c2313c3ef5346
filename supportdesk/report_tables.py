"""The reports as people read them: titles, and tables whose cells carry both the text
shown and the figure it shows. The terminal (cli/report.py) and the HTML page
(report_html.py) draw the same tables, so they show the same figures. Pure.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from supportdesk.frozen import Record, record
from supportdesk.report import CLOCK_NAMES, format_pct, format_seconds
from supportdesk.timetext import format_local, from_utc_text

CLOCK_TITLES = {"respond": "First response", "resolve": "Resolution"}
TIMES_NOTE = (
    "met %: of the clocks settled (met or breached); overdue: still running past the deadline now; "
    "median and p90: business time, in the target's calendar (resolution without pending time); "
    "calendar: wall-clock time from filing"
)


@record
class Column(Record):
    """A column: its heading, the figure's field in the report's JSON, and how it is shown."""

    heading: str
    field: str
    kind: str = "count"  # label | count | pct | seconds | date
    bar: bool = False  # drawn beside a bar (a share of 100 %, or of the column's largest)


@record
class Table(Record):
    """A table of a report: its title, columns and rows of figures (one dict a row, by field)."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[dict[str, Any], ...]
    note: str = ""

    def cell_text(self, column: Column, row: dict[str, Any]) -> str:
        """A figure as shown."""
        value = row.get(column.field)
        if column.kind == "pct":
            return format_pct(value)
        if column.kind == "seconds":
            return format_seconds(value)
        if value is None:
            return "-"
        return str(value)

    def bar_share(self, column: Column, row: dict[str, Any]) -> float | None:
        """How much of its bar a figure fills, 0–1 (None: no bar)."""
        value = row.get(column.field)
        if not column.bar or value is None:
            return None
        if column.kind == "pct":
            return max(0.0, min(1.0, value / 100))
        largest = max((r.get(column.field) or 0 for r in self.rows), default=0)
        return value / largest if largest else 0.0

    def headings(self) -> list[str]:
        """The column headings on one line each (a pipe's table; the terminal's break them)."""
        return [c.heading.replace("\n", " ") for c in self.columns]

    def text_rows(self) -> list[list[str]]:
        """Every row's cells as shown."""
        return [[self.cell_text(c, row) for c in self.columns] for row in self.rows]


def _when(text: str, zone: tzinfo) -> str:
    """`16 Nov 2026` for a local midnight, else `20 Nov 2026 14:45 +03`."""
    at = from_utc_text(text)
    local = at.astimezone(zone)
    return f"{local:%d %b %Y}" if (local.hour, local.minute, local.second) == (0, 0, 0) else format_local(at, zone, with_weekday=False)


def _period(report: dict[str, Any], zone: tzinfo) -> str:
    """` filed from … to …`, ` filed since …`, ` filed before …`, or nothing: when the
    tickets were filed."""
    since, until = report.get("since"), report.get("until")
    shown = {k: _when(v, zone) for k, v in (("since", since), ("until", until)) if v}
    if since and until:
        return f" filed from {shown['since']} to {shown['until']}"
    if since:
        return f" filed since {shown['since']}"
    if until:
        return f" filed before {shown['until']}"
    return ""


def title(report: dict[str, Any], zone: tzinfo) -> tuple[str, str]:
    """The report's heading and the line under it."""
    what = {"sla": "SLA compliance", "volume": "Tickets filed and closed", "agents": "Agents"}[report["report"]]
    by = report.get("by")
    by = "" if not by else f", by {by}" if report["report"] == "sla" else f", per {by}"
    period = _period(report, zone)
    scope = f" of {report['scope'].split(':', 1)[1]}" if report.get("scope") else ""
    line = f"{'Tickets' if period else 'All tickets'}{scope}{period}{by}; as of {format_local(from_utc_text(report['at']), zone)}"
    return f"{report['desk']} — {what}", line


def sla_tables(report: dict[str, Any]) -> list[Table]:
    """One table per clock: each group's tickets, met %, breached, overdue and times."""
    rows = list(report["groups"])
    if len(rows) != 1:
        rows.append(report["total"])
    group = report.get("by") or "group"
    tables = []
    for clock in CLOCK_NAMES:
        columns = (
            Column(group, "group", "label"),
            Column("tickets", "tickets"),
            Column("met %", f"{clock}.met_pct", "pct", bar=True),
            Column("breached", f"{clock}.breached"),
            Column("overdue", f"{clock}.overdue"),
            Column("median", f"{clock}.business_median", "seconds"),
            Column("p90", f"{clock}.business_p90", "seconds"),
            Column("calendar\nmedian", f"{clock}.calendar_median", "seconds"),
            Column("calendar\np90", f"{clock}.calendar_p90", "seconds"),
        )
        flat = tuple({"group": r["group"], "tickets": r["tickets"], **{f"{clock}.{k}": v for k, v in r[clock].items()}} for r in rows)
        tables.append(Table(CLOCK_TITLES[clock], columns, flat, TIMES_NOTE if clock == "resolve" else ""))
    return tables


def volume_tables(report: dict[str, Any]) -> list[Table]:
    """Per period: tickets filed (with a bar), closed, and the backlog at its end."""
    columns = (
        Column(report["by"], "period", "label"),
        Column("filed", "filed", bar=True),
        Column("closed", "closed"),
        Column("backlog", "backlog"),
    )
    note = (
        f"backlog: filed and not yet resolved or closed at the end of the period ({report['backlog_start']} at the start); "
        f"in all: {report['total']['filed']} filed, {report['total']['closed']} closed"
    )
    return [Table("Volume", columns, tuple(report["periods"]), note)]


def agents_tables(report: dict[str, Any]) -> list[Table]:
    """Per agent: tickets, open, closed, overdue, breaches, both met % and median times."""
    columns = (
        Column("agent", "agent", "label"),
        Column("tickets", "tickets"),
        Column("open", "open"),
        Column("closed", "closed"),
        Column("overdue", "overdue"),
        Column("breaches", "breaches"),
        Column("response\nmet %", "respond_met_pct", "pct", bar=True),
        Column("resolution\nmet %", "resolve_met_pct", "pct"),
        Column("response\nmedian", "response_median", "seconds"),
        Column("resolution\nmedian", "resolution_median", "seconds"),
    )
    rows = tuple(r | {"agent": r["agent"] or "unassigned"} for r in report["agents"])
    note = "tickets assigned to each agent now; response and resolution: median business times; overdue and breaches count clocks"
    return [Table("Agents", columns, rows, note)]


def tables(report: dict[str, Any]) -> list[Table]:
    """The tables of any report."""
    return {"sla": sla_tables, "volume": volume_tables, "agents": agents_tables}[report["report"]](report)
