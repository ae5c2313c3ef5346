"""Rendering tickets, events and summaries for people (rich) and scripts (CSV).

rich is imported inside each function so that importing this module costs nothing.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from supportdesk.model import TICKET_FIELDS
from supportdesk.timetext import (
    coarse_duration,
    format_hours,
    format_local,
    from_utc_text,
    largest_unit,
    relative,
)

STATUS_STYLE = {
    "new": "bold cyan",
    "open": "green",
    "pending": "yellow",
    "resolved": "dim",
    "closed": "dim",
}


def _local_short(text: str | None, zone: tzinfo, now: datetime | None = None) -> str:
    """`Fri 20 Nov 15:30 +03`, with the year when it is not the year of `now`."""
    from supportdesk.cli.history import local_short

    return local_short(text, zone, now)


def _age(text: str, now: datetime) -> str:
    return coarse_duration(now - from_utc_text(text))


class Fitted:
    """A table laid out for where it is printed.

    On a terminal it fits the terminal's width (`width`, at most the console's). Piped or
    redirected (the console is not a terminal) it takes the natural width of its content,
    so that nothing is cut: a script or `grep` sees whole subjects and ids. rich crops
    every printed line at the console's width, so for that print the console is widened
    to the table's natural width.
    """

    def __init__(self, build: Callable[[int | None], Any], width: int | None = None, piped: Callable[[], list[str] | None] | None = None):
        self.build, self.width = build, width
        # The same table's lines at natural width without rich, or None when only rich can.
        self.piped = piped or (lambda: None)

    def __rich_console__(self, console, options):
        if console.is_terminal:
            width = options.max_width if self.width is None else min(self.width, options.max_width)
            yield self.build(max(width, 1))
            return
        table = self.build(None)
        natural = console.measure(table, options=options.update_width(NATURAL)).maximum
        if natural > console.width:
            console.width = natural
        yield from console.render(table, options.update_width(max(natural, options.max_width)))

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        return Measurement.get(console, options, self.build(options.max_width if console.is_terminal else None))


# Wide enough for any table's natural width.
NATURAL = 100_000
# The width rich gives a console that is not a terminal when COLUMNS does not say.
PIPED_WIDTH = 80
_PLAIN_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) | frozenset("—–·→…")


def plain_output() -> bool:
    """Whether standard output is a plain pipe or file, where rich would draw without
    colour at its natural width (nothing in the environment asks for a terminal)."""
    import os

    asked = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS")
    stream = getattr(sys.stdout, "raw", sys.stdout)
    return not any(os.environ.get(name) for name in asked) and not (hasattr(stream, "isatty") and stream.isatty())


def print_view(plain_lines: Callable[[], list[str] | None], drawing: Callable[[int], Any]) -> None:
    """Print a view for people: its plain lines when the output is a plain pipe and they
    can be had (rich is not even imported), else rich's drawing at the console's width."""
    lines = plain_lines() if plain_output() else None
    if lines is not None:
        print("\n".join(lines))
        return
    from supportdesk.cli.app import console

    out = console()
    out.print(drawing(out.width))


def print_rows(headers: list[tuple[str, bool]], rows: list[list[str]], wraps: str | None = None) -> None:
    """A simple table for people: (header, right-justified) columns as wide as their widest
    cell; only the column named `wraps` may wrap. Plain lines when piped, else rich."""
    columns = [(name, max([len(name), *(len(r[i]) for r in rows)]), right) for i, (name, right) in enumerate(headers)]

    def drawing(width: int) -> Any:
        from rich.table import Table

        table = Table(header_style="bold", box=None, pad_edge=False)
        for name, _, right in columns:
            table.add_column(name, no_wrap=name != wraps, justify="right" if right else "left")
        for row in rows:
            table.add_row(*row)
        return table

    print_view(lambda: plain_table(columns, rows), drawing)


def piped_width() -> int:
    """The width rich gives a console that is not a terminal: COLUMNS, else 80."""
    import os

    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() else PIPED_WIDTH


def plain(text: str) -> bool:
    """Text that prints as itself, one column a character (printable ASCII, and the
    dashes, dot, arrow and ellipsis of our own wording): no escaping, no wide or
    combining characters."""
    return all(c in _PLAIN_CHARS for c in text)


def plain_table(columns: list[tuple[str, int, bool]], rows: list[list[str]]) -> list[str] | None:
    """A box-less table (`box=None, pad_edge=False`, one space between columns) as the
    lines rich prints piped: (header, width, right-justified) columns, each cell padded
    to its column's width. None when a cell is not `plain` or wider than its column
    (rich would escape, measure or cut it): then rich draws it."""
    lines = []
    for cells in ([header for header, _, _ in columns], *rows):
        parts = []
        for text, (_, width, right) in zip(cells, columns, strict=True):
            if len(text) > width or not plain(text):
                return None
            parts.append(text.rjust(width) if right else text.ljust(width))
        lines.append(" ".join(parts))
    return lines


def _fit(width: int | None, stages: list[tuple[dict[str, int], str, int]]) -> tuple[dict[str, int], int]:
    """The first stage whose columns leave the flexible column at least its floor.

    Each stage is (its columns' widths, the flexible column's key, that column's floor):
    the flexible column gets what the others leave of `width` (one space between
    columns), at most its own width in the stage. Without a width (piped), the first
    stage as it is: natural widths."""
    if width is None:
        columns, key, _ = stages[0]
        return columns, columns[key]
    for columns, key, floor in stages:
        others = {k: v for k, v in columns.items() if k != key}
        room = width - sum(others.values()) - len(columns) + 1
        natural = columns[key]
        if room >= min(natural, floor):
            return columns, max(1, min(natural, room))
    columns, key, _ = stages[-1]
    room = width - sum(v for k, v in columns.items() if k != key) - len(columns) + 1
    return columns, max(1, min(columns[key], room))


def ticket_table(
    rows: list[dict[str, Any]], zone: tzinfo, now: datetime, *, width: int | None, title: str | None = None
):
    """A table of tickets that fits `width` columns on a terminal (piped: its natural
    width). Ids are never cut; the subject gets what is left; when the terminal is too
    narrow the customer, age, assignee, status and priority go, in that order."""

    ages = [_age(r["created_at"], now) for r in rows]
    spec = {
        "id": ("ID", dict(justify="right")),
        "status": ("Status", {}),
        "priority": ("Priority", {}),
        "subject": ("Subject", {}),
        "customer": ("Customer", {}),
        "assignee": ("Assignee", {}),
        "age": ("Age", dict(justify="right")),
    }

    def cells_of(row: dict[str, Any], age: str) -> dict[str, Any]:
        return {
            "id": f"#{row['id']}", "status": row["status"], "priority": row["priority"], "subject": row["subject"],
            "customer": row["customer"], "assignee": row.get("assignee") or "-", "age": age,
        }

    def piped() -> list[str] | None:
        """The table's lines at its natural width without rich, when they can be."""
        if title is not None:
            return None
        cells = [cells_of(row, age) for row, age in zip(rows, ages, strict=True)]
        widths = {key: max([len(header)] + [len(c[key]) for c in cells]) for key, (header, _) in spec.items()}
        columns = [(header, widths[key], extra.get("justify") == "right") for key, (header, extra) in spec.items()]
        return plain_table(columns, [[c[key] for key in spec] for c in cells])

    def build(room: int | None):
        from rich.cells import cell_len as width_of
        from rich.table import Table
        from rich.text import Text

        natural = {
            "id": max([len(f"#{r['id']}") for r in rows] + [2]),
            "status": max([len(r["status"]) for r in rows] + [6]),
            "priority": max([width_of(r["priority"]) for r in rows] + [8]),
            "subject": max([width_of(r["subject"]) for r in rows] + [7]),
            "customer": max([width_of(r["customer"]) for r in rows] + [8]),
            "assignee": max([width_of(r.get("assignee") or "-") for r in rows] + [8]),
            "age": max([len(a) for a in ages] + [3]),
        }
        capped = natural | {"customer": min(natural["customer"], 24), "assignee": min(natural["assignee"], 12)}
        narrow = capped | {"customer": min(natural["customer"], 14), "assignee": min(natural["assignee"], 8)}

        def without(columns, *keys):
            return {k: v for k, v in columns.items() if k not in keys}

        stages = [
            (natural, "subject", NATURAL),  # everything whole
            (capped, "subject", 24),
            (narrow, "subject", 20),
            (without(narrow, "customer"), "subject", 16),
            (without(narrow, "customer", "age"), "subject", 14),
            (without(narrow, "customer", "age", "assignee"), "subject", 12),
            (without(narrow, "customer", "age", "assignee", "status"), "subject", 10),
            (without(narrow, "customer", "age", "assignee", "status", "priority"), "subject", 1),
        ]
        columns, subject = _fit(room, stages)
        widths = columns | {"subject": subject}
        table = Table(title=title, title_justify="left", header_style="bold", pad_edge=False, box=None, padding=(0, 1, 0, 0))
        for key in spec:
            if key in widths:
                header, extra = spec[key]
                table.add_column(header, no_wrap=True, overflow="ellipsis", width=widths[key], **extra, **({"min_width": widths[key]} if key == "id" else {}))
        for row, age in zip(rows, ages, strict=True):
            cells = cells_of(row, age) | {"status": Text(row["status"], style=STATUS_STYLE.get(row["status"], ""))}
            table.add_row(*[cells[k] for k in spec if k in widths])
        return table

    return Fitted(build, width, piped)


def event_summary(event: dict[str, Any], zone: tzinfo, now: datetime | None = None) -> str:
    """One sentence saying what an event did (see supportdesk.cli.history)."""
    from supportdesk.cli.history import sentence

    return sentence(event, zone, now)


def events_table(events: list[dict[str, Any]], zone: tzinfo, *, with_ticket: bool, now: datetime):
    """A table of events, oldest first: when, (ticket,) who, the kind, and what it did in
    words, with when it was really recorded if that was another time (`--now`)."""
    from supportdesk.cli.history import recorded_note, sentence

    lines = []
    for event in events:
        what = sentence(event, zone, now)
        note = recorded_note(event, zone)
        lines.append(f"{what} {note}" if note else what)

    def cells_of(with_kind: bool) -> list[list[str]]:
        rows = []
        for event, what in zip(events, lines, strict=True):
            cells = [_local_short(event["at"], zone, now)]
            if with_ticket:
                cells.append(f"#{event['ticket_id']}" if event.get("ticket_id") else "-")
            cells.append(event["actor"])
            if with_kind:
                cells.append(event["kind"])
            rows.append([*cells, what])
        return rows

    def piped() -> list[str] | None:
        """The table's lines at its natural width without rich, when they can be."""
        headers = ["When", *(["Ticket"] if with_ticket else []), "Who", "Event", "What"]
        rows = cells_of(True)
        widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
        return plain_table([(h, w, h == "Ticket") for h, w in zip(headers, widths, strict=True)], rows)

    def build(room: int | None):
        from rich.table import Table

        # A narrow terminal keeps room for the sentence: shorter names, no kind column
        # (the sentence says what happened).
        with_kind = room is None or room >= 100
        table = Table(header_style="bold", pad_edge=False, box=None, padding=(0, 1, 0, 0))
        table.add_column("When", no_wrap=True)
        if with_ticket:
            table.add_column("Ticket", justify="right", no_wrap=True)
        who_width = None if room is None else (24 if room >= 120 else 16)
        table.add_column("Who", no_wrap=True, max_width=who_width, overflow="ellipsis")
        if with_kind:
            table.add_column("Event", no_wrap=True)
        table.add_column("What", overflow="fold")
        for cells in cells_of(with_kind):
            table.add_row(*cells)
        return table

    return Fitted(build, piped=piped)


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
    for label, value in _facts(ticket, zone, now):
        facts.add_row(label, value)

    from supportdesk.text import inert

    # Made inert here, not only by the console: rich drops some control characters (BEL,
    # backspace…) from text before the console sees it, and they should show, escaped.
    parts: list[Any] = [head, facts, Text(""), Text("Description", style="bold"), Padding(inert(ticket["body"]), (0, 0, 0, 2))]
    if ticket["messages"]:
        parts += [Text(""), Text("Messages", style="bold")]
        for message in ticket["messages"]:
            line = Text(_message_line(message, zone, now), style="dim")
            parts += [Padding(line, (0, 0, 0, 2)), Padding(inert(message["body"]), (0, 0, 0, 4))]
    if ticket.get("attachments"):
        parts += [Text(""), Text("Attachments", style="bold"), *(Padding(inert(line, multiline=False), (0, 0, 0, 2)) for line in attachment_lines(ticket))]
    parts += [Text(""), Text("History", style="bold"), events_table(ticket["events"], zone, with_ticket=False, now=now)]
    return Group(*parts)


def plain_ticket(ticket: dict[str, Any], zone: tzinfo, now: datetime) -> list[str] | None:
    """`ticket_detail` as rich prints it to a pipe, without rich; None when only rich can
    print it the same (text that is not plain, or would wrap)."""
    width = piped_width()

    def padded(indent: int, text: str) -> list[str] | None:
        # rich pads each line of an indented block to the console's width.
        lines = text.split("\n")
        if text.endswith("\n") or any(not plain(line) or line != line.rstrip() or len(line) > width - indent for line in lines):
            return None
        return [" " * indent + line.ljust(width - indent) for line in lines]

    head = f"#{ticket['id']} {ticket['subject']}  [{ticket['status']}]"
    facts = _facts(ticket, zone, now)
    label_width = max(len(label) for label, _ in facts)
    value_width = max(len(value) for _, value in facts)
    if not plain(head) or len(head) > width or label_width + 2 + value_width > width:
        return None
    if any(not plain(label) or not plain(value) for label, value in facts):
        return None
    out = [head, *(f"{label.ljust(label_width)}  {value.ljust(value_width)}" for label, value in facts), "", "Description"]
    blocks = [padded(2, ticket["body"])]
    if ticket["messages"]:
        blocks.append(["", "Messages"])
        for message in ticket["messages"]:
            blocks += [padded(2, _message_line(message, zone, now)), padded(4, message["body"])]
    if ticket.get("attachments"):
        blocks += [["", "Attachments"], *(padded(2, line) for line in attachment_lines(ticket))]
    history = events_table(ticket["events"], zone, with_ticket=False, now=now).piped()
    blocks += [["", "History"], history]
    if any(block is None for block in blocks):
        return None
    for block in blocks:
        out += block
    return out


def attachment_lines(ticket: dict[str, Any]) -> list[str]:
    """`3  invoice.pdf  (12.4 KiB, application/pdf)`: a ticket's attachments, a line each."""
    return [f"{a['id']:>3}  {a['name']}  ({size_text(a['size'])}, {a['type']})" for a in ticket["attachments"]]


def size_text(size: int) -> str:
    """`512 B`, `12.4 KiB`, `3.0 MiB`."""
    if size < 1024:
        return f"{size} B"
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}"
    return f"{size} B"


def _message_line(message: dict[str, Any], zone: tzinfo, now: datetime) -> str:
    kind = "internal note" if message["internal"] else "public reply"
    return f"{_local_short(message['at'], zone, now)}  {message['author']}  ({kind})"


def _facts(ticket: dict[str, Any], zone: tzinfo, now: datetime) -> list[tuple[str, str]]:
    """The label and value of each fact `show` lists about a ticket."""
    created = from_utc_text(ticket["created_at"])
    rows = [
        ("priority", ticket["priority"]),
        ("department", ticket["department"]),
        ("channel", ticket["channel"]),
        ("customer", ticket["customer"] + (f"  (reseller {ticket['reseller']})" if ticket["reseller"] else "")),
        *((("assignee", ticket["assignee"] or "-"), ("escalation", str(ticket["escalation_level"]))) if "assignee" in ticket else ()),
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
    if ticket.get("missing_fields"):
        rows.append(("missing", ", ".join(f.replace("|", " or ") for f in ticket["missing_fields"]) + "  (--field NAME=VALUE)"))
    if ticket.get("flags"):
        rows.append(("flags", ", ".join(ticket["flags"])))
    return rows


def write_csv(rows: list[dict[str, Any]], stream: Any = None) -> None:
    """Tickets as CSV on stdout (the exact text, like JSON), the JSON fields as columns.

    Records end in a newline; a field holding a carriage return or a newline is quoted
    (the csv module quotes only the characters of its line terminator, so each record
    is written with CRLF and its terminator replaced).
    """
    import io

    stream = stream or sys.stdout
    buffer = io.StringIO()
    quoting = csv.writer(buffer, lineterminator="\r\n")

    class _Records:
        @staticmethod
        def writerow(values: list[Any]) -> None:
            quoting.writerow(values)
            stream.write(buffer.getvalue()[:-2] + "\n")
            buffer.seek(0)
            buffer.truncate()

    writer = _Records()
    writer.writerow(list(TICKET_FIELDS))
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


def due_text(row: dict[str, Any], zone: tzinfo, now: datetime, *, compact: bool = False) -> str:
    """`18:00 in 3h15m`, `Mon 09:00 in 2d18h`, `14:30 breached 2h ago`, `paused`, `-`;
    compact (for a narrow terminal): `in 3h15m`, `2h overdue`."""
    if not row.get("due_at"):
        return "paused" if row.get("paused_at") else "-"
    due = from_utc_text(row["due_at"])
    local, today = due.astimezone(zone), now.astimezone(zone)
    if due < now:  # the time and how long ago, in its largest unit
        if compact:
            return f"{largest_unit(now - due)} overdue"
        return f"{local:%H:%M} breached {largest_unit(now - due)} ago"
    if compact:
        return f"in {coarse_duration(due - now)}"
    when = f"{local:%H:%M}" if local.date() == today.date() else f"{local:%a %H:%M}"
    return f"{when} in {coarse_duration(due - now)}"


# The triage subject gets at least this many characters when the terminal allows it
# (80 columns do), the customer between these.
TRIAGE_SUBJECT = 25
TRIAGE_CUSTOMER = (10, 18)


def triage_table(rows: list[dict[str, Any]], zone: tzinfo, now: datetime, *, width: int | None):
    """The queue: rank, id, priority, subject, customer, age, next deadline, flags, who,
    level. On a terminal it fits `width`: the deadline gets shorter words and the
    customer fewer characters before the subject drops under a useful width; ids are
    never cut. Piped, every column has its natural width."""
    dues = {False: [due_text(r, zone, now) for r in rows], True: [due_text(r, zone, now, compact=True) for r in rows]}
    flags = [", ".join(r["flags"]) for r in rows]
    ages = [_age(r["created_at"], now) for r in rows]

    def layout(room: int | None) -> tuple[dict[str, int], bool]:
        from rich.cells import cell_len as width_of

        natural = {
            "rank": max([len(str(r["rank"])) for r in rows] + [1]),
            "id": max([len(f"#{r['id']}") for r in rows] + [2]),
            "priority": max([width_of(r["priority"]) for r in rows] + [8]),
            "subject": max([width_of(r["subject"]) for r in rows] + [7]),
            "customer": max([width_of(r["customer"]) for r in rows] + [8]),
            "age": max([len(a) for a in ages] + [3]),
            "due": max([len(d) for d in dues[False]] + [13]),
            **({"flags": max([width_of(f) for f in flags] + [5])} if any(flags) else {}),
            "who": max([width_of(r["assignee"] or "-") for r in rows] + [3]),
            "level": 3,
        }
        if room is None:
            return natural, False
        short = natural | {"who": min(natural["who"], 7), **({"flags": min(natural["flags"], 16)} if "flags" in natural else {})}
        compact = short | {"due": max([len(d) for d in dues[True]] + [8])}
        for columns in (short, compact):
            # The customer's share: what the subject does not need of its goal.
            others = sum(v for k, v in columns.items() if k not in ("subject", "customer")) + len(columns) - 1
            rest = room - others
            goal = max(TRIAGE_SUBJECT, min(columns["subject"], int(rest * 0.6)))
            low, high = TRIAGE_CUSTOMER
            customer = min(columns["customer"], high, max(low, rest - goal))
            subject = min(columns["subject"], rest - customer)
            if subject >= min(columns["subject"], TRIAGE_SUBJECT):
                return columns | {"customer": customer, "subject": subject}, columns is compact
        # Narrower still: columns go, least useful first; the id and the subject stay.
        columns = compact | {"customer": min(compact["customer"], 8)}

        def left() -> int:
            return room - sum(v for k, v in columns.items() if k != "subject") - len(columns) + 1

        for key in (None, "customer", "age", "flags", "level", "who", "priority", "due", "rank"):
            columns.pop(key, None)
            if left() >= min(columns["subject"], 16 if key in (None, "customer", "age", "flags") else 8):
                break
        return columns | {"subject": max(1, min(columns["subject"], left()))}, True

    spec = {
        "rank": ("#", dict(justify="right")),
        "id": ("ID", dict(justify="right")),
        "priority": ("Priority", {}),
        "subject": ("Subject", {}),
        "customer": ("Customer", {}),
        "age": ("Age", dict(justify="right")),
        "due": ("Next deadline", {}),
        "flags": ("Flags", {}),
        "who": ("Who", {}),
        "level": ("Lvl", dict(justify="right")),
    }

    def cells_of(keys: list[str], compact: bool) -> list[list[str]]:
        return [
            [{
                "rank": str(row["rank"]), "id": f"#{row['id']}", "priority": row["priority"], "subject": row["subject"],
                "customer": row["customer"], "age": age, "due": due, "flags": flag, "who": row["assignee"] or "-",
                "level": str(row["escalation_level"]),
            }[k] for k in keys]
            for row, due, flag, age in zip(rows, dues[compact], flags, ages, strict=True)
        ]

    def piped() -> list[str] | None:
        """The table's lines at its natural width without rich, when they can be."""
        widths, compact = layout(None)
        keys = [k for k in spec if k in widths]
        columns = [(spec[k][0], widths[k], spec[k][1].get("justify") == "right") for k in keys]
        return plain_table(columns, cells_of(keys, compact))

    def build(room: int | None):
        from rich.table import Table

        widths, compact = layout(room)
        table = Table(header_style="bold", box=None, pad_edge=False, padding=(0, 1, 0, 0))
        spec = {
            "rank": ("#", dict(justify="right")),
            "id": ("ID", dict(justify="right", min_width=widths["id"])),
            "priority": ("Priority", {}),
            "subject": ("Subject", {}),
            "customer": ("Customer", {}),
            "age": ("Age", dict(justify="right")),
            "due": ("Next deadline" if widths.get("due", 0) >= 13 else "Deadline", {}),
            "flags": ("Flags", {}),
            "who": ("Who", {}),
            "level": ("Lvl", dict(justify="right")),
        }
        keys = [k for k in spec if k in widths]
        for key in keys:
            header, extra = spec[key]
            table.add_column(header, no_wrap=True, overflow="ellipsis", width=widths[key], **extra)
        for row, cells in zip(rows, cells_of(keys, compact), strict=True):
            table.add_row(*cells, style=ROW_STYLE.get(row["state"], ""))
        return table

    return Fitted(build, width, piped)


def _span_text(a: str, b: str, zone: tzinfo, now: datetime | None = None) -> str:
    start, end = from_utc_text(a).astimezone(zone), from_utc_text(b).astimezone(zone)
    if start.date() == end.date():
        return f"{_local_short(a, zone, now).rsplit(' ', 1)[0]}–{end:%H:%M} {end.tzname()}"
    return f"{_local_short(a, zone, now)}–{_local_short(b, zone, now)}"


def explain_text(story: dict[str, Any], zone: tzinfo, now: datetime) -> str:
    """`sla explain` for people: each clock's target, where it came from, and its story."""
    from supportdesk.cli.history import sentence, who

    def when(text: str | None) -> str:
        return _local_short(text, zone, now) if text else "-"

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
                lines.append(f"  {'open time' if i == 0 else '':<9} {_span_text(a, b, zone, now)}")
            if len(clock["open_spans"]) > 8:
                lines.append(f"  {'':<9} … and {len(clock['open_spans']) - 8} more")
        verdict = {"met": "met", "breached": "BREACHED", "running": "running", "no target": "no target"}[clock["verdict"]]
        lines.append(f"  counted   {format_hours(clock['counted_seconds'])} of {format_hours(target['seconds'])} — {verdict}")
    if story["other"]:
        lines.append("")
        lines.append("Escalations and changes")
        for item in story["other"]:
            lines.append(f"  {when(item['at'])}  {who(item['actor'])}: {sentence(item, zone, now)}")
    return "\n".join(lines)
