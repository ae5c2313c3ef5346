"""Rendering tickets, events and summaries for people (rich) and scripts (CSV).

rich is imported inside each function so that importing this module costs nothing.
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime, tzinfo
from typing import Any

from supportdesk.model import TICKET_FIELDS
from supportdesk.timetext import coarse_duration, format_hours, format_local, from_utc_text, largest_unit, relative

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
    return coarse_duration(now - from_utc_text(text))


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


ROW_STYLE = {"breached": "red", "at-risk": "yellow"}


def due_text(row: dict[str, Any], zone: tzinfo, now: datetime) -> str:
    """`18:00 in 3h15m`, `Mon 09:00 in 2d18h`, `14:30 breached 2h ago`, `paused`, `-`."""
    if not row.get("due_at"):
        return "paused" if row.get("paused_at") else "-"
    due = from_utc_text(row["due_at"])
    local, today = due.astimezone(zone), now.astimezone(zone)
    if due < now:  # the time and how long ago, in its largest unit: it fits 80 columns
        return f"{local:%H:%M} breached {largest_unit(now - due)} ago"
    when = f"{local:%H:%M}" if local.date() == today.date() else f"{local:%a %H:%M}"
    return f"{when} in {coarse_duration(due - now)}"


def triage_table(rows: list[dict[str, Any]], zone: tzinfo, now: datetime, *, width: int):
    """The queue: rank, id, priority, subject, customer, age, next deadline, flags, assignee, level."""
    from rich.table import Table

    dues = [due_text(r, zone, now) for r in rows]
    flags = [", ".join(r["flags"]) for r in rows]
    widths = {
        "rank": max(len(str(len(rows))), 1),
        "id": max(len(f"#{r['id']}") for r in rows),
        "priority": max(len(r["priority"]) for r in rows),
        "age": max(3, max(len(_age(r["created_at"], now)) for r in rows)),
        "due": min(22, max(len(d) for d in dues)),
        "flags": min(16, max([len(f) for f in flags] + [5])) if any(flags) else 0,
        "who": min(7, max([len(r["assignee"] or "-") for r in rows] + [3])),
        "level": 3,
    }
    left = width - sum(widths.values()) - (9 if widths["flags"] else 8)  # a space between columns
    customer = max(6, min(18, int(left * 0.4)))
    subject = max(8, left - customer)
    table = Table(header_style="bold", box=None, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("#", justify="right", no_wrap=True, width=widths["rank"])
    table.add_column("ID", justify="right", no_wrap=True, width=widths["id"])
    table.add_column("Priority", no_wrap=True, width=widths["priority"], overflow="ellipsis")
    table.add_column("Subject", no_wrap=True, width=subject, overflow="ellipsis")
    table.add_column("Customer", no_wrap=True, width=customer, overflow="ellipsis")
    table.add_column("Age", justify="right", no_wrap=True, width=widths["age"])
    table.add_column("Next deadline", no_wrap=True, width=widths["due"], overflow="ellipsis")
    if widths["flags"]:  # shown when the intake raised any
        table.add_column("Flags", no_wrap=True, width=widths["flags"], overflow="ellipsis")
    table.add_column("Who", no_wrap=True, width=widths["who"], overflow="ellipsis")
    table.add_column("Lvl", justify="right", no_wrap=True, width=widths["level"])
    for row, due, flag in zip(rows, dues, flags, strict=True):
        cells = [
            str(row["rank"]), f"#{row['id']}", row["priority"], row["subject"], row["customer"],
            _age(row["created_at"], now), due, *([flag] if widths["flags"] else []), row["assignee"] or "-",
            str(row["escalation_level"]),
        ]
        table.add_row(*cells, style=ROW_STYLE.get(row["state"], ""))
    return table


def _span_text(a: str, b: str, zone: tzinfo) -> str:
    start, end = from_utc_text(a).astimezone(zone), from_utc_text(b).astimezone(zone)
    if start.date() == end.date():
        return f"{start:%a %d %b %H:%M}–{end:%H:%M} {end.tzname()}"
    return f"{_local_short(a, zone)}–{_local_short(b, zone)}"


def explain_text(story: dict[str, Any], zone: tzinfo, now: datetime) -> str:
    """`sla explain` for people: each clock's target, where it came from, and its story."""
    def when(text: str | None) -> str:
        return _local_short(text, zone) if text else "-"

    lines = [
        f"#{story['ticket']} {story['subject']} — {story['priority']}, {story['status']}",
        "Filed " + ("outside office hours" if story["outside_office_hours"] else "in office hours") + ".",
    ]
    titles = {"respond": "First response", "resolve": "Resolution"}
    for kind, clock in story["clocks"].items():
        lines.append("")
        lines.append(titles[kind])
        target = clock["target"]
        if target is None:
            lines.append("  no target in the policy")
            continue
        line = f"  target    {format_hours(target['seconds'])} in {target['calendar']} — {target['source']}"
        others = [c for c in clock["candidates"] if c != target]
        if others:
            line += "; strictest of " + ", ".join(f"{c['source']} {format_hours(c['seconds'])}" for c in clock["candidates"])
        lines.append(line)
        paused = kind == "resolve" and clock["deadline"] is None and clock["verdict"] == "running"
        lines.append(f"  deadline  {'none while paused' if paused else when(clock['deadline'])}")
        for step in clock["steps"]:
            moved = f"; due {when(step['resolve_by'])}" if step.get("resolve_by") else ""
            lines.append(f"  {step['what']:<9} {when(step['at'])}  {step['why']}{moved}")
        if kind == "resolve" and clock["open_spans"]:
            for i, (a, b) in enumerate(clock["open_spans"][:8]):
                lines.append(f"  {'open time' if i == 0 else '':<9} {_span_text(a, b, zone)}")
            if len(clock["open_spans"]) > 8:
                lines.append(f"  {'':<9} … and {len(clock['open_spans']) - 8} more")
        verdict = {"met": "met", "breached": "BREACHED", "running": "running", "no target": "no target"}[clock["verdict"]]
        lines.append(f"  counted   {format_hours(clock['counted_seconds'])} of {format_hours(target['seconds'])} — {verdict}")
    if story["other"]:
        lines.append("")
        lines.append("Escalations and changes")
        for item in story["other"]:
            details = item["details"]
            if item["kind"] == "escalate":
                what = f"escalated to {details['after'].get('level_name', details['after']['level'])}, {details['after'].get('assignee') or 'nobody'}: {details['reason']}"
            elif item["kind"] == "deadlines":
                after = details["after"]
                what = f"deadlines ({details['reason']}): respond {when(after['respond_by'])}, resolve {when(after['resolve_by'])}"
            elif item["kind"] == "page":
                what = f"paged {', '.join(details['to']) or 'nobody'} by {details['channel']}"
            else:
                what = f"priority {details['before']['priority']} → {details['after']['priority']}"
            lines.append(f"  {when(item['at'])}  {item['actor'].split(':', 1)[-1]}: {what}")
    return "\n".join(lines)
