"""Tickets, messages and events as plain values, and the ticket state machine. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypedDict

from supportdesk.errors import InvalidInput, Refused
from supportdesk.frozen import Record, record


class Status(StrEnum):
    """Where a ticket is in its life."""

    NEW = "new"  # filed, no agent has answered yet
    OPEN = "open"  # an agent is on it
    PENDING = "pending"  # waiting on the customer; the resolution clock is paused
    RESOLVED = "resolved"  # solved; may be reopened within the policy's window
    CLOSED = "closed"  # finished for good (or closed without a resolution)


ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)


class CloseReason(StrEnum):
    """Why a ticket was closed; `resolved` is the only one that resolves it."""

    RESOLVED = "resolved"
    DUPLICATE = "duplicate"
    OUT_OF_SCOPE = "out-of-scope"
    INCOMPLETE = "incomplete"
    NO_RESPONSE = "no-response"
    ABUSE = "abuse"


class Action(StrEnum):
    """Things that move a ticket between states."""

    RESPOND = "respond"  # a public agent reply
    WAIT = "wait"
    RESUME = "resume"
    RESOLVE = "resolve"  # close with reason `resolved`
    CLOSE = "close"  # close with any other reason, or archive a resolved ticket
    REOPEN = "reopen"


# action -> {from status: to status}; a missing pair is an illegal transition.
TRANSITIONS: dict[Action, dict[Status, Status]] = {
    Action.RESPOND: {
        Status.NEW: Status.OPEN,
        Status.OPEN: Status.OPEN,
        Status.PENDING: Status.PENDING,
    },
    Action.WAIT: {Status.NEW: Status.PENDING, Status.OPEN: Status.PENDING},
    Action.RESUME: {Status.PENDING: Status.OPEN},
    Action.RESOLVE: {
        Status.NEW: Status.RESOLVED,
        Status.OPEN: Status.RESOLVED,
        Status.PENDING: Status.RESOLVED,
        Status.RESOLVED: Status.CLOSED,
    },
    Action.CLOSE: {
        Status.NEW: Status.CLOSED,
        Status.OPEN: Status.CLOSED,
        Status.PENDING: Status.CLOSED,
        Status.RESOLVED: Status.CLOSED,
    },
    Action.REOPEN: {Status.RESOLVED: Status.OPEN, Status.CLOSED: Status.OPEN},
}

# What each action is called in a refusal, and what would work instead.
_ACTION_WORDS = {
    Action.RESPOND: "it cannot take a public reply",
    Action.WAIT: "it cannot be put on hold",
    Action.RESUME: "there is nothing to resume",
    Action.RESOLVE: "it cannot be resolved",
    Action.CLOSE: "it cannot be closed again",
    Action.REOPEN: "there is nothing to reopen",
}
_WHAT_WORKS = {
    Action.RESPOND: "reopen it first with `supportdesk reopen {id}`",
    Action.WAIT: "only new or open tickets can wait on the customer",
    Action.RESUME: "only a pending ticket can be resumed",
    Action.RESOLVE: "it is already closed",
    Action.CLOSE: "it is already closed",
    Action.REOPEN: "only resolved or closed tickets can be reopened",
}


def next_status(status: Status | str, action: Action) -> Status | None:
    """The status after `action`, or None when the state machine does not allow it."""
    return TRANSITIONS[action].get(Status(status))


def transition(ticket_id: int, status: Status | str, action: Action) -> Status:
    """The status after `action`, or Refused naming the current state."""
    current = Status(status)
    target = next_status(current, action)
    if target is None:
        hint = _WHAT_WORKS[action].format(id=ticket_id)
        raise Refused(f"ticket #{ticket_id} is {current.value}: {_ACTION_WORDS[action]}; {hint}")
    return target


def parse_close_reason(text: str) -> CloseReason:
    """A close reason from user text, or InvalidInput listing the valid ones."""
    try:
        return CloseReason(text.strip().lower())
    except ValueError:
        from supportdesk.query import quoted

        valid = ", ".join(r.value for r in CloseReason)
        raise InvalidInput(f"unknown close reason {quoted(text)}; use one of: {valid}") from None


def parse_statuses(text: str) -> tuple[Status, ...]:
    """Comma-separated statuses; `active` means new, open and pending."""
    result: list[Status] = []
    for typed in (p.strip() for p in text.split(",")):
        part = typed.lower()
        if not part:
            continue
        if part == "active":
            result.extend(ACTIVE_STATUSES)
            continue
        try:
            result.append(Status(part))
        except ValueError:
            from supportdesk.query import quoted

            valid = ", ".join([s.value for s in Status] + ["active"])
            raise InvalidInput(f"unknown status {quoted(typed)}; use one of: {valid}") from None
    if not result:
        raise InvalidInput("--status is empty; give a status such as open or active")
    return tuple(dict.fromkeys(result))


@record
class Actor(Record):
    """Who does something: an agent (by login), a customer (by e-mail) or the system."""

    kind: str  # "agent" | "customer" | "reseller" | "system"
    name: str
    id: int | None = None
    role: str | None = None  # for agents: "admin" | "engineer"

    @property
    def label(self) -> str:
        """The form stored in events: `agent:alice`."""
        return f"{self.kind}:{self.name}"

    @property
    def is_agent(self) -> bool:
        """Agents (and the system) see the whole desk; resellers and customers their own."""
        return self.kind in ("agent", "system")

    @property
    def scope(self) -> Scope | None:
        """The tickets this actor may see and touch: None for the whole desk."""
        if self.kind == "reseller":
            return Scope(reseller_id=self.id)
        if self.kind == "customer":
            return Scope(customer_id=self.id)
        return None


@record
class Scope(Record):
    """A reseller's tickets (its end customers' and its own) or one customer's."""

    reseller_id: int | None = None
    customer_id: int | None = None


@record
class Event(Record):
    """One entry of a ticket's history: who did what, when, with before/after."""

    kind: str
    at: str  # ISO-8601 UTC text
    actor: str
    details: dict[str, Any] = field(default_factory=dict)
    ticket_id: int | None = None


@record
class Message(Record):
    """A public reply or an internal note on a ticket."""

    at: str
    author: str
    body: str
    internal: bool = False
    channel: str | None = None
    ticket_id: int | None = None


@dataclass
class TicketChange:
    """One ticket's new values with the events and messages that explain them.

    `before` is the ticket row the change was planned from: the store records the
    previous and new value of every column that changes on the change's first event,
    so that history replays to the ticket row and can be undone.
    """

    ticket_id: int | None  # None: a new ticket, `values` is the whole row
    values: dict[str, Any]
    events: list[Event] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    before: dict[str, Any] | None = None

    def column_changes(self) -> dict[str, list[Any]]:
        """{column: [before, after]} for every column this change sets to a new value."""
        if self.ticket_id is None or self.before is None:
            return {c: [None, v] for c, v in self.values.items() if c not in UNTRACKED_COLUMNS}
        return {
            c: [self.before[c], v]
            for c, v in self.values.items()
            if c not in UNTRACKED_COLUMNS and self.before[c] != v
        }


@record
class TicketNotices(Record):
    """One notice of `kind` to the customer of each of many tickets, worded once: the
    store queues a row a ticket, with the ticket's number and subject in place of
    notices.TICKET_MARKS in `subject` and `body` (a bulk close tells a hundred thousand
    customers)."""

    kind: str
    channel: str  # email | sms | …
    ticket_ids: list[int]
    recipients: dict[int, str]  # customer id -> recipient, for every customer of those tickets
    subject: str
    body: str
    fields: str | None  # the JSON the outbox keeps for wording it when it is sent
    created_at: str

    def __len__(self) -> int:
        return len(self.ticket_ids)


# Columns every change touches or that the events already are: not repeated in `changes`.
UNTRACKED_COLUMNS = frozenset({"updated_at"})


# The ticket JSON contract (DESIGN.md); adding fields is fine, renaming is breaking.
TICKET_FIELDS = (
    "id",
    "subject",
    "status",
    "priority",
    "department",
    "channel",
    "category",
    "service",
    "customer",
    "package",
    "reseller",
    "assignee",
    "escalation_level",
    "created_at",
    "updated_at",
    "first_response_at",
    "respond_by",
    "resolve_by",
    "due_at",
    "paused_at",
    "respond_breached_at",
    "resolve_breached_at",
    "resolved_at",
    "closed_at",
    "close_reason",
    "flags",
    "fields",
    "language",
    "ref",
    "duplicate_of",
)


class TicketRecord(TypedDict, total=False):
    """A ticket as the desk returns it (`show --json`; `list --json` has all but the last
    three). Timestamps are ISO 8601 UTC text; None where not set."""

    id: int
    subject: str
    status: str  # new | open | pending | resolved | closed
    priority: str
    department: str
    channel: str
    category: str | None
    service: str | None
    customer: str
    package: str | None
    reseller: str | None
    assignee: str | None
    escalation_level: int
    created_at: str
    updated_at: str
    first_response_at: str | None
    respond_by: str | None
    resolve_by: str | None
    due_at: str | None
    paused_at: str | None
    respond_breached_at: str | None
    resolve_breached_at: str | None
    resolved_at: str | None
    closed_at: str | None
    close_reason: str | None
    flags: list[str]
    fields: dict[str, str]
    body: str
    messages: list[MessageRecord]
    events: list[EventRecord]


class EventRecord(TypedDict):
    """One event of a ticket's (or the desk's) history."""

    id: int
    ticket_id: int | None
    at: str
    recorded_at: str | None  # when it was really written (None before schema 4)
    actor: str  # agent:alice, customer:ada@example.com, system:import
    kind: str
    operation: str | None  # the command (one transaction) it belongs to
    details: dict[str, Any]
    changes: dict[str, list[Any]]  # column -> [before, after]


class MessageRecord(TypedDict):
    """A public reply or an internal note."""

    id: int
    at: str
    author: str
    internal: bool
    channel: str | None
    body: str


def ticket_json(row: dict[str, Any]) -> dict[str, Any]:
    """The stable JSON form of a joined ticket row from the store."""
    out = {name: row.get(name) for name in TICKET_FIELDS}
    out["flags"] = json.loads(row["flags"]) if row.get("flags") else []
    out["fields"] = json.loads(row["fields"]) if row.get("fields") else {}
    out["escalation_level"] = row.get("escalation_level") or 0
    out["ref"] = row.get("ref_id")
    return out


def event_json(row: dict[str, Any]) -> dict[str, Any]:
    """The stable JSON form of an event row."""
    return {
        "id": row["id"],
        "ticket_id": row["ticket_id"],
        "at": row["at"],
        "recorded_at": row.get("recorded_at"),
        "actor": row["actor"],
        "kind": row["kind"],
        "operation": row.get("operation"),
        "details": json.loads(row["details"]) if row.get("details") else {},
        "changes": json.loads(row["changes"]) if row.get("changes") else {},
    }


def message_json(row: dict[str, Any]) -> dict[str, Any]:
    """The stable JSON form of a message row."""
    return {
        "id": row["id"],
        "at": row["at"],
        "author": row["author"],
        "internal": bool(row["internal"]),
        "channel": row.get("channel"),
        "body": row["body"],
    }
