"""Rendering tickets, events and summaries for people (rich) and scripts (CSV).

rich is imported inside each function so that importing this module costs nothing.
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime, tzinfo
from typing import Any

from supportdesk.model import TICKET_FIELDS
from supportdesk.timetext import compact_duration, format_local, from_utc_text, relative

STATUS_STYLE = {
    "new": "bold cyan",
    "open": "green",
    "pending": "yellow",
    "resolved": "dim",
    "closed": "dim",
}


def _local_short(text: str | None, zone: tzinfo) -> str:
    if not text:
        return "-"
    local = from_utc_text(text).astimezone(zone)
    return f"{local:%a %d %b %H:%M} {local.tzname()}"


def _age(text: str, now: datetime) -> str:
    return compact_duration(now - from_utc_text(text))


def _truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def ticket_table(
    rows: list[dict[str, Any]], zone: tzinfo, now: datetime, *, width: int, title: str | None = None
):
    """A table of tickets that fits `width` columns: the subject gets what is left."""
    from rich.table import Table
    from rich.text import Text

    id_width = max([len(f"#{r['id']}") for r in rows] + [2])
    priority_width = max([len(r["priority"]) for r in rows] + [8])
    customer_width = min(18, max([len(r["customer"]) for r in rows] + [8]))
    fixed = id_width + 8 + priority_width + customer_width + 8 + 5
    subject_width = max(12, width - fixed - 6)
    table = Table(
        title=title,
        title_justify="left",
        header_style="bold",
        pad_edge=False,
        box=None,
        padding=(0, 1, 0, 0),
    )
    table.add_column("ID", justify="right", no_wrap=True, width=id_width)
    table.add_column("Status", no_wrap=True, width=8)
    table.add_column("Priority", no_wrap=True, width=priority_width)
    table.add_column("Subject", no_wrap=True, overflow="ellipsis", width=subject_width)
    table.add_column("Customer", no_wrap=True, overflow="ellipsis", width=customer_width)
    table.add_column("Assignee", no_wrap=True, overflow="ellipsis", width=8)
    table.add_column("Age", justify="right", no_wrap=True, width=5)
    for row in rows:
        table.add_row(
            f"#{row['id']}",
            Text(row["status"], style=STATUS_STYLE.get(row["status"], "")),
            row["priority"],
            row["subject"],
            row["customer"],
            row["assignee"] or "-",
            _age(row["created_at"], now),
        )
    return table


def event_summary(event: dict[str, Any]) -> str:
    """One line saying what an event changed."""
    details = event["details"]
    kind = event["kind"]
    before, after = details.get("before") or {}, details.get("after") or {}
    changes = [
        f"{key} {before.get(key) or '-'} → {after.get(key) or '-'}"
        for key in after
        if key in before and before.get(key) != after.get(key)
    ]
    extra: list[str] = []
    if kind == "filed":
        extra.append(
            f"{after.get('priority')} · {after.get('department')} · {after.get('channel')} · "
            f"{after.get('customer')}"
        )
    if kind == "reply":
        extra.append("first response" if details.get("first_response") else "public reply")
    if kind == "note":
        extra.append("internal note")
    if details.get("reason"):
        extra.append(f"reason {details['reason']}")
    skip = {"before", "after", "reason", "first_response", "internal", "length", "new_customer"}
    extra.extend(f"{k} {v}" for k, v in details.items() if k not in skip)
    return "; ".join(changes + extra)


def events_table(events: list[dict[str, Any]], zone: tzinfo, *, with_ticket: bool):
    """A table of events, oldest first."""
    from rich.table import Table

    table = Table(header_style="bold", pad_edge=False, box=None)
    table.add_column("When", no_wrap=True)
    if with_ticket:
        table.add_column("Ticket", justify="right", no_wrap=True)
    table.add_column("Who", no_wrap=True, max_width=24, overflow="ellipsis")
    table.add_column("Event", no_wrap=True)
    table.add_column("What", ratio=1, overflow="fold")
    for event in events:
        cells = [_local_short(event["at"], zone)]
        if with_ticket:
            cells.append(f"#{event['ticket_id']}" if event["ticket_id"] else "-")
        cells += [event["actor"], event["kind"], event_summary(event)]
        table.add_row(*cells)
    return table


def ticket_detail(ticket: dict[str, Any], zone: tzinfo, now: datetime):
    """Everything about one ticket, as a group of renderables."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    head = Text()
    head.append(f"#{ticket['id']} ", style="bold")
    head.append(ticket["subject"], style="bold")
    head.append("  ")
    head.append(f"[{ticket['status']}]", style=STATUS_STYLE.get(ticket["status"], ""))

    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="dim", no_wrap=True)
    facts.add_column()
    created = from_utc_text(ticket["created_at"])
    rows = [
        ("priority", ticket["priority"]),
        ("department", ticket["department"]),
        ("channel", ticket["channel"]),
        ("customer", ticket["customer"] + (f"  (reseller {ticket['reseller']})" if ticket["reseller"] else "")),
        ("assignee", ticket["assignee"] or "-"),
        ("escalation", str(ticket["escalation_level"])),
        ("filed", f"{format_local(created, zone)} ({relative(created, now)})"),
    ]
    for label in ("category", "service"):
        if ticket.get(label):
            rows.append((label, ticket[label]))
    for label in ("first_response_at", "respond_by", "resolve_by", "resolved_at", "closed_at"):
        if ticket.get(label):
            at = from_utc_text(ticket[label])
            rows.append((label.replace("_", " "), f"{format_local(at, zone)} ({relative(at, now)})"))
    if ticket.get("close_reason"):
        rows.append(("close reason", ticket["close_reason"]))
    for key, value in (ticket.get("fields") or {}).items():
        rows.append((key, str(value)))
    if ticket.get("flags"):
        rows.append(("flags", ", ".join(ticket["flags"])))
    for label, value in rows:
        facts.add_row(label, value)

    parts: list[Any] = [head, facts, Text(""), Text("Description", style="bold"), Padding(ticket["body"], (0, 0, 0, 2))]
    if ticket["messages"]:
        parts += [Text(""), Text("Messages", style="bold")]
        for message in ticket["messages"]:
            kind = "internal note" if message["internal"] else "public reply"
            line = Text(f"{_local_short(message['at'], zone)}  {message['author']}  ({kind})", style="dim")
            parts += [Padding(line, (0, 0, 0, 2)), Padding(message["body"], (0, 0, 0, 4))]
    parts += [Text(""), Text("History", style="bold"), events_table(ticket["events"], zone, with_ticket=False)]
    return Group(*parts)


def write_csv(rows: list[dict[str, Any]]) -> None:
    """Tickets as CSV on stdout, the JSON fields as columns."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(TICKET_FIELDS)
    for row in rows:
        out = []
        for name in TICKET_FIELDS:
            value = row.get(name)
            if name == "flags":
                value = ";".join(value or [])
            elif name == "fields":
                value = ";".join(f"{k}={v}" for k, v in (value or {}).items())
            out.append("" if value is None else value)
        writer.writerow(out)
