"""What people give to name tickets, on the command line and in the API's bodies and
queries alike: ticket numbers and the filter options. Light to import: the CLI's start-up
reads it."""

from __future__ import annotations

from supportdesk.errors import InvalidInput

# The largest id SQLite's INTEGER PRIMARY KEY can hold.
MAX_TICKET_ID = 2**63 - 1


def parse_ticket_id(text: str) -> int:
    """`42` or `#42` -> 42; anything else is refused with an example."""
    from supportdesk.query import quoted

    raw = text.strip()
    raw = raw[1:] if raw.startswith("#") else raw
    if not (raw.isascii() and raw.isdigit()) or int(raw) == 0:
        raise InvalidInput(f"{quoted(text)} is not a ticket number; give one like 42 or #42")
    if len(raw) > 19 or int(raw) > MAX_TICKET_ID:
        raise InvalidInput(f"{quoted(text)} is larger than any ticket number can be; give one like 42 or #42")
    return int(raw)


def no_tickets_named(what: str) -> InvalidInput:
    """The refusal of a bulk command given no tickets, or more than one way to name them."""
    return InvalidInput(f"say which tickets to {what}: ids, --stdin, or filters such as --status (one of them)")


# The options that choose tickets by what they are, which `list`, `close`, `assign` and
# `export` share: name -> (metavar, its help in `list` and `export`, its help in the
# commands that change tickets).
FILTER_OPTIONS: dict[str, tuple[str, str, str]] = {
    "status": ("STATUSES", "new, open, pending, resolved, closed, or active (the first three); comma-separated.", "Filter: statuses, comma-separated."),
    "priority": ("NAMES", "Priorities, comma-separated.", "Filter: priorities."),
    "department": ("NAMES", "Departments, comma-separated.", "Filter: departments."),
    "customer": ("EMAIL", "One customer's tickets.", "Filter: one customer."),
    "assignee": ("LOGIN", "An agent's tickets; 'me' or 'none'.", "Filter: an agent, 'me' or 'none'."),
    "created_after": ("INSTANT", "Filed at or after this instant.", "Filter: filed at or after."),
    "created_before": ("INSTANT", "Filed before this instant.", "Filter: filed before."),
    "search": ("TEXT", "Words in the subject or description.", "Filter: words in subject or description."),
    "older_than": ("DURATION", "Filed more than this long ago, e.g. 30d.", "Filter: filed more than this long ago."),
    "idle_for": ("DURATION", "No public message for this long (nor filed in it), e.g. 14d.", "Filter: no public message for this long."),
    "breached": ("yes|no", "Whose response or resolution target was missed (or is overdue now).", "Filter: breached or not."),
    "reseller": ("RESELLER", "A reseller's tickets (its e-mail or name).", "Filter: a reseller's tickets."),
    "package": ("NAME", "Tickets of customers with this SLA package ('none': without one).", "Filter: customers' package."),
    "flag": ("FLAG", "Tickets the intake flagged so, e.g. missing-info or possible-duplicate.", "Filter: an intake flag."),
    "category": ("NAMES", "Categories, comma-separated.", "Filter: categories."),
}
