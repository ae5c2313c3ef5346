"""Checking each row of an import before anything is written: a JSON Lines ticket (as
`supportdesk export` writes it) or a CSV row with its columns mapped to ours, into an
ImportTicket, or a BadRow saying why, so that every bad row of a file is reported by its
line number. Also what a CSV ticket's clocks are under the desk's policy, and the
`changes` of the `imported` event. Pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any

from supportdesk.errors import InvalidInput
from supportdesk.model import (
    DONE_STATUSES,
    CloseReason,
    Status,
)
from supportdesk.timetext import EARLIEST_YEAR, LATEST_YEAR, local_to_utc, to_utc_text
from supportdesk.transfer import TIMESTAMP_FIELDS, BadRow

STATUSES = frozenset(s.value for s in Status)
CLOSE_REASONS = frozenset(r.value for r in CloseReason)


# ---- checking a row ------------------------------------------------------------------


@dataclass
class Names:
    """What rows are checked against: the policy's names, the desk's zone, the instant
    of the import and how CSV times are written."""

    priorities: tuple[str, ...]
    departments: tuple[str, ...]
    channels: tuple[str, ...]
    packages: tuple[str, ...]
    default_priority: str
    default_department: str
    default_channel: str
    zone: tzinfo
    now: str
    time_format: str | None = None


@dataclass
class ImportTicket:
    """One checked row: the ticket's own columns (the desk adds its ids for customer,
    reseller, assignee and policy), the people it refers to, its history."""

    line: int
    id: int | None
    values: dict[str, Any]
    customer: dict[str, Any]  # CUSTOMER_FIELDS of the ticket's customer
    reseller: dict[str, Any] | None  # the reseller whose scope the ticket is in
    assignee: str | None
    messages: list[tuple[Any, ...]] = field(default_factory=list)  # (at, author, internal, channel, body)
    events: list[tuple[Any, ...]] = field(default_factory=list)  # (at, recorded_at, actor, kind, operation, details, changes)
    folded: dict[str, Any] = field(default_factory=dict)  # each column as its events' changes leave it


def _bad_type(what: str, value: Any, wanted: str) -> BadRow:
    kind = {dict: "an object", list: "a list", str: "text", bool: "true or false", type(None): "null"}.get(type(value), "a number")
    return BadRow(f"{what} is {kind}, not {wanted}")


def _text(data: dict[str, Any], key: str, *, required: bool = False, line: bool = False, limit: int | None = None) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise BadRow(f"{key} is missing")
        return None
    if not isinstance(value, str):
        raise _bad_type(key, value, "text")
    if "\x00" in value:
        raise BadRow(f"{key} contains a NUL character (at position {value.index(chr(0))})")
    if required and not value.strip():
        raise BadRow(f"{key} is empty")
    if line and ("\n" in value or "\r" in value):
        raise BadRow(f"{key} holds a line break; it must be one line")
    if limit is not None and len(value) > limit:
        raise BadRow(f"{key} is {len(value):,} characters long; at most {limit:,}")
    return value


def _integer(data: dict[str, Any], key: str, *, least: int = 0, default: int | None = None) -> int | None:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad_type(key, value, "a whole number")
    if not least <= value <= 2**63 - 1:
        raise BadRow(f"{key} {value} is out of range ({least} to {2**63 - 1})")
    return value


def _instant(value: Any, what: str, zone: tzinfo | None = None, time_format: str | None = None) -> str | None:
    """A timestamp as stored (ISO 8601 UTC text), from ISO 8601 text with an offset, or
    (zone given: a CSV) without one, read as wall time in `zone` (a time the clocks skip
    moves forward by the gap; one they repeat is the first), or in `time_format`."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad_type(what, value, "an ISO 8601 time")
    if _STORED.fullmatch(value) and time_format is None:
        try:  # the common case, as an export writes it: checked, kept as it is
            if EARLIEST_YEAR <= datetime.fromisoformat(value).year <= LATEST_YEAR:
                return value
        except ValueError:
            pass
    text = value.strip()
    if not text:
        return None
    try:
        if time_format:
            parsed = datetime.strptime(text, time_format)
        else:
            parsed = datetime.fromisoformat(_iso(text))
    except ValueError:
        example = f"a time like {datetime(2026, 11, 20, 14, 30).strftime(time_format)}" if time_format else "a time in ISO 8601, e.g. 2026-11-20T14:30:00Z"
        raise BadRow(f"{what} {_shown(text)} is not {example}") from None
    if parsed.tzinfo is None:
        if zone is None:
            raise BadRow(f"{what} {_shown(text)} has no offset; write it as UTC (…Z) or with one (…+03:00)")
        parsed = local_to_utc(parsed, zone)
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        raise BadRow(f"{what} {_shown(text)} is out of range ({EARLIEST_YEAR} to {LATEST_YEAR})")
    return to_utc_text(parsed)


_STORED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
# JSON as the store writes its columns and event details (encoders made once: json.dumps
# with options builds a new encoder on every call).
_SORTED_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
_PLAIN_JSON = json.JSONEncoder(ensure_ascii=False).encode
_ASCII_SORTED_JSON = json.JSONEncoder(sort_keys=True).encode


def _iso(text: str) -> str:
    """ISO 8601 as other help desks write it, as datetime.fromisoformat reads it:
    `2026-11-20 10:00:00 +0300` and `… UTC` too."""
    text = re.sub(r"\s+(UTC|GMT)$", "+00:00", text, flags=re.IGNORECASE)
    return re.sub(r"(\d)\s+([+-]\d{2}(?::?\d{2})?)$", r"\1\2", text)


def _shown(text: str) -> str:
    from supportdesk.query import quoted

    return quoted(text if len(text) <= 60 else text[:60] + "…")


@lru_cache(maxsize=65536)
def _email(text: str) -> str:
    from supportdesk.query import check_email

    return check_email(text)


def _address(value: Any, what: str, *, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise BadRow(f"{what} is missing")
        return None
    if not isinstance(value, str):
        raise _bad_type(what, value, "an e-mail address")
    try:
        return _email(value)
    except InvalidInput:
        raise BadRow(f"{what} {_shown(value)} is not an e-mail address") from None


@lru_cache(maxsize=64)
def _by_lower(known: tuple[str, ...]) -> dict[str, str]:
    return {k.lower(): k for k in known}


def _policy_name(value: Any, what: str, known: tuple[str, ...], default: str | None = None) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is not None:
            return default
        raise BadRow(f"{what} is missing")
    if not isinstance(value, str):
        raise _bad_type(what, value, "a name")
    found = _by_lower(known).get(value.strip().lower())
    if found is None:
        raise BadRow(f"{what} {_shown(value)} is not in this desk's policy (it has: {', '.join(known)})")
    return found


def _login(value: Any, what: str = "assignee") -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise _bad_type(what, value, "an agent's login")
    login = value.strip()
    if len(login) > 64 or any(c.isspace() or not c.isprintable() for c in login):
        raise BadRow(f"{what} {_shown(value)} is not an agent's login (one word, as `agent add` takes)")
    return login


def _customer(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _bad_type(what, data, "an object")
    kind = data.get("kind") or "customer"
    if kind not in ("customer", "reseller"):
        raise BadRow(f"{what}: kind {_shown(str(kind))} is not customer or reseller")
    name = _text(data, "name", line=True, limit=200)
    return {
        "email": _address(data.get("email"), f"{what}: email"),
        "name": name if name and name.strip() else None,
        "kind": kind,
        "reseller": _address(data.get("reseller"), f"{what}: reseller", required=False),
        "package": _text(data, "package", line=True, limit=200),
        "language": _text(data, "language", line=True, limit=16),
    }


def _json_object(value: Any, what: str, *, optional: bool = False) -> dict[str, Any] | None:
    if value is None and optional:
        return None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad_type(what, value, "an object")
    return value


def jsonl_ticket(data: Any, line: int, names: Names) -> ImportTicket:
    """A line of a JSONL export checked into an ImportTicket, or BadRow."""
    if not isinstance(data, dict):
        raise _bad_type("the line", data, "a JSON object (one ticket)")
    ticket_id = _integer(data, "id", least=1)
    if ticket_id is None:
        raise BadRow("id is missing")
    status = _text(data, "status", required=True)
    if status not in STATUSES:
        raise BadRow(f"status {_shown(status or '')} is not one of {', '.join(s.value for s in Status)}")
    stamps = {name: _instant(data.get(name), name) for name in TIMESTAMP_FIELDS}
    if stamps["created_at"] is None:
        raise BadRow("created_at is missing")
    close_reason = _text(data, "close_reason")
    if close_reason is not None and close_reason not in CLOSE_REASONS:
        raise BadRow(f"close_reason {_shown(close_reason)} is not one of {', '.join(r.value for r in CloseReason)}")
    flags = data.get("flags") or []
    if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
        raise BadRow("flags is not a list of texts")
    fields = _json_object(data.get("fields"), "fields") or {}
    if not all(isinstance(v, str) for v in fields.values()):
        raise BadRow("fields holds a value that is not text")
    sla_value = _json_object(data.get("sla"), "sla") or {}
    customer_email = _address(data.get("customer"), "customer")
    reseller_email = _address(data.get("reseller"), "reseller", required=False)
    people = data.get("customers") or []
    if not isinstance(people, list):
        raise _bad_type("customers", people, "a list")
    known = {}
    for i, person in enumerate(people, start=1):
        record = _customer(person, f"customers[{i}]")
        if record["package"] is not None and record["package"] not in names.packages:
            raise BadRow(f"customers[{i}]: package {_shown(record['package'])} is not in this desk's policy (it has: {', '.join(names.packages) or 'none'})")
        known[record["email"]] = record
    customer = known.get(customer_email) or {"email": customer_email, "name": None, "kind": "customer", "reseller": None, "package": None, "language": None}
    reseller = None
    if reseller_email is not None:
        reseller = known.get(reseller_email) or {"email": reseller_email, "name": None, "kind": "reseller", "reseller": None, "package": None, "language": None}
        if reseller["kind"] != "reseller":
            raise BadRow(f"reseller {reseller_email} is listed in customers as a {reseller['kind']}")
    if customer["reseller"] is not None and customer["reseller"] not in known and customer["reseller"] != reseller_email:
        raise BadRow(f"the customer's reseller {customer['reseller']} is not among the ticket's customers")
    messages = _messages(data.get("messages"))
    events, folded = _events(data.get("events"))
    values = {
        "subject": _text(data, "subject", required=True),
        "body": _text(data, "body") or "",
        "status": status,
        "priority": _policy_name(data.get("priority"), "priority", names.priorities),
        "department": _policy_name(data.get("department"), "department", names.departments),
        "channel": _policy_name(data.get("channel"), "channel", names.channels),
        "category": _text(data, "category", line=True, limit=1000),
        "service": _text(data, "service", line=True, limit=1000),
        "escalation_level": _integer(data, "escalation_level", default=0),
        "fields": _SORTED_JSON(fields),
        "flags": _PLAIN_JSON(flags),
        **stamps,
        "updated_at": stamps["updated_at"] or stamps["created_at"],
        "paused_seconds": _integer(data, "paused_seconds", default=0),
        "close_reason": close_reason,
        "sla": _ASCII_SORTED_JSON(sla_value),
        "language": _text(data, "language", line=True, limit=16),
        "ref_id": _integer(data, "ref", least=1),
        "duplicate_of": _integer(data, "duplicate_of", least=1),
        "response_seconds": _integer(data, "response_seconds"),
        "resolution_seconds": _integer(data, "resolution_seconds"),
    }
    ticket = ImportTicket(line, ticket_id, values, customer, reseller, _login(data.get("assignee")), messages, events, folded)
    _check_history(ticket, names.now)
    return ticket


def _messages(value: Any) -> list[tuple[Any, ...]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad_type("messages", value, "a list")
    out = []
    for i, message in enumerate(value, start=1):
        what = f"messages[{i}]"
        if not isinstance(message, dict):
            raise _bad_type(what, message, "an object")
        internal = message.get("internal", False)
        if internal not in (True, False, 0, 1):
            raise BadRow(f"{what}: internal is not true or false")
        at = _instant(message.get("at"), f"{what}: at")
        if at is None:
            raise BadRow(f"{what}: at is missing")
        try:
            author = _text(message, "author", required=True, line=True, limit=1000)
            channel = _text(message, "channel", line=True, limit=200)
            body = _text(message, "body") or ""
        except BadRow as error:
            raise BadRow(f"{what}: {error.why}") from None
        out.append((at, author, int(bool(internal)), channel, body))
    return out


def _events(value: Any) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    if value is None:
        return [], {}
    if not isinstance(value, list):
        raise _bad_type("events", value, "a list")
    out = []
    folded: dict[str, Any] = {}
    for i, event in enumerate(value, start=1):
        what = f"events[{i}]"
        if not isinstance(event, dict):
            raise _bad_type(what, event, "an object")
        at = _instant(event.get("at"), f"{what}: at")
        if at is None:
            raise BadRow(f"{what}: at is missing")
        try:
            actor = _text(event, "actor", required=True, line=True, limit=1000)
            kind = _text(event, "kind", required=True, line=True, limit=64)
            operation = _text(event, "operation", line=True, limit=200)
            details = _json_object(event.get("details"), "details")
            changes = _json_object(event.get("changes"), "changes", optional=True)
        except BadRow as error:
            raise BadRow(f"{what}: {error.why}") from None
        for column, pair in (changes or {}).items():
            if isinstance(pair, list) and len(pair) == 2:
                folded[column] = pair[1]
        out.append((
            at, _instant(event.get("recorded_at"), f"{what}: recorded_at"), actor, kind, operation,
            _SORTED_JSON(details),
            _SORTED_JSON(changes) if changes is not None else None,
        ))
    return out, folded


def _check_history(ticket: ImportTicket, now: str) -> None:
    """Refuse a ticket whose times run past the instant of the import (the `imported`
    event must be its history's last) or whose finish comes before its start."""
    values = ticket.values
    latest = max(
        [v for k, v in values.items() if k in ("created_at", "updated_at", "first_response_at", "resolved_at", "closed_at", "paused_at") and v]
        + [m[0] for m in ticket.messages]
        + [e[0] for e in ticket.events]
    )
    if latest > now:
        raise BadRow(f"its history runs to {latest}, after the instant of this import ({now}); import at a later --now")
    for name in ("first_response_at", "resolved_at", "closed_at"):
        if values.get(name) and values[name] < values["created_at"]:
            raise BadRow(f"{name} {values[name]} is before created_at {values['created_at']}")


def csv_ticket(row: dict[str, str], line: int, columns: dict[str, str], values_map: dict[str, dict[str, str]], names: Names) -> ImportTicket:
    """A CSV record checked into an ImportTicket (without deadlines, which the desk works
    out under its policy), or BadRow."""

    def get(ours: str) -> str | None:
        column = columns.get(ours)
        if column is None:
            return None
        value = row[column]
        if "\x00" in value:
            raise BadRow(f"column {column!r} contains a NUL character")
        translated = values_map.get(ours, {}).get(value.strip().casefold())
        if translated is not None:
            return translated
        return value if value.strip() else None

    def when(ours: str) -> str | None:
        return _instant(get(ours), ours, names.zone, names.time_format)

    raw_id = get("id")
    ticket_id = None
    if raw_id is not None:
        digits = raw_id.strip().removeprefix("#")
        if not (digits.isascii() and digits.isdigit()) or int(digits) == 0 or int(digits) > 2**63 - 1:
            raise BadRow(f"id {_shown(raw_id)} is not a ticket number")
        ticket_id = int(digits)
    elif "id" in columns:
        raise BadRow("id is empty")
    subject = get("subject")
    if subject is None:
        raise BadRow("subject is empty")
    created = when("created_at")
    if created is None:
        raise BadRow("created_at is empty")
    stamps = {name: when(name) for name in ("updated_at", "first_response_at", "paused_at", "resolved_at", "closed_at")}
    status = get("status")
    if status is None:
        status = "closed" if stamps["closed_at"] else "resolved" if stamps["resolved_at"] else "open" if stamps["first_response_at"] else "new"
    status = status.strip().lower()
    if status not in STATUSES:
        raise BadRow(f"status {_shown(status)} is not one of {', '.join(s.value for s in Status)}; translate it with --value 'status:{status}=closed'")
    if status == Status.NEW and stamps["first_response_at"]:
        status = Status.OPEN.value  # answered: no longer new
    latest = max(v for v in (created, *stamps.values()) if v)
    updated = stamps["updated_at"] or latest
    paused = None
    if status == Status.RESOLVED:
        stamps["resolved_at"] = stamps["resolved_at"] or stamps["closed_at"] or stamps["updated_at"]
        stamps["closed_at"] = None
    elif status == Status.CLOSED:
        stamps["closed_at"] = stamps["closed_at"] or stamps["resolved_at"] or stamps["updated_at"]
    else:
        stamps["resolved_at"] = stamps["closed_at"] = None  # reopened: an old finish does not count
        paused = (stamps["paused_at"] or updated) if status == Status.PENDING else None
    if status in DONE_STATUSES and stamps[f"{status}_at"] is None:
        raise BadRow(f"status {status} needs {status}_at (or updated_at); map a column to it")
    reason = get("close_reason")
    if status in DONE_STATUSES:
        reason = (reason or "resolved").strip().lower()
        if reason not in CLOSE_REASONS:
            raise BadRow(f"close_reason {_shown(reason)} is not one of {', '.join(r.value for r in CloseReason)}")
        if status == Status.CLOSED and reason == CloseReason.RESOLVED and not stamps["resolved_at"]:
            stamps["resolved_at"] = stamps["closed_at"]  # resolved as it was closed
    else:
        reason = None
    fields = {}
    for ours, column in columns.items():
        if ours.startswith("field."):
            value = get(ours)
            if value is not None:
                fields[ours.removeprefix("field.")] = value.strip()
    for item in (get("fields") or "").split(";"):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            fields.setdefault(key.strip(), value.strip())
    flags = [f.strip() for f in (get("flags") or "").split(";") if f.strip()]
    email = _address(get("customer"), "customer")
    name = get("customer_name")
    if name is not None and ("\n" in name or "\r" in name or len(name) > 200):
        raise BadRow("customer_name must be one line of at most 200 characters")
    reseller_email = _address(get("reseller"), "reseller", required=False)
    customer = {"email": email, "name": name.strip() if name else None, "kind": "customer", "reseller": reseller_email, "package": None, "language": None}
    reseller = {"email": reseller_email, "name": None, "kind": "reseller", "reseller": None, "package": None, "language": None} if reseller_email else None
    language = get("language")
    values = {
        "subject": subject.strip(),
        "body": (get("body") or "").strip(),
        "status": status,
        "priority": _policy_name(get("priority"), "priority", names.priorities, names.default_priority),
        "department": _policy_name(get("department"), "department", names.departments, names.default_department),
        "channel": _policy_name(get("channel"), "channel", names.channels, names.default_channel),
        "category": (get("category") or "").strip().lower() or None,
        "service": (get("service") or "").strip() or None,
        "escalation_level": 0,
        "fields": _SORTED_JSON(fields),
        "flags": _PLAIN_JSON(flags),
        "created_at": created,
        "updated_at": max(updated, created),
        "first_response_at": stamps["first_response_at"],
        "paused_at": paused,
        "paused_seconds": 0,
        "resolved_at": stamps["resolved_at"],
        "closed_at": stamps["closed_at"],
        "close_reason": reason,
        "language": language.strip() if language else None,
        "ref_id": None,
        "duplicate_of": None,
    }
    ticket = ImportTicket(line, ticket_id, values, customer, reseller, _login(get("assignee")))
    _check_history(ticket, names.now)
    return ticket


def csv_clock_values(calendars: Any, values: dict[str, Any], package: str | None, rank: int) -> dict[str, Any]:
    """The deadline columns of a ticket from another help desk under the desk's policy:
    both deadlines from its filing time, and for a clock it stopped (a first response,
    a resolution) the breach stamp and how long the clock ran, as answering and closing
    stamp them."""
    from supportdesk import sla
    from supportdesk.model import ACTIVE_STATUSES

    row = values | {"package": package}
    deadlines = sla.plan(
        calendars, priority=row["priority"], channel=row["channel"], package=package,
        created_at=datetime.fromisoformat(row["created_at"]), paused_now=row["paused_at"] is not None,
    )
    out = sla.ticket_values(deadlines, responded=row["first_response_at"] is not None, active=row["status"] in ACTIVE_STATUSES, rank=rank)
    out |= {"respond_breached_at": None, "resolve_breached_at": None, "response_seconds": None, "resolution_seconds": None}
    row |= out
    if row["first_response_at"]:
        out |= sla.breaches(row, row["first_response_at"], ["respond"])
        out |= sla.stopped_clocks(calendars, row, ["respond"], row["first_response_at"])
    done_at = row["resolved_at"] or row["closed_at"]
    if row["status"] in DONE_STATUSES and done_at:
        clocks = ["resolve"] + ([] if row["first_response_at"] else ["respond"])
        out |= sla.breaches(row | out, done_at, clocks)
        out |= sla.stopped_clocks(calendars, row | out, clocks, done_at)
    return out


def imported_changes(row: dict[str, Any], folded: dict[str, Any], untracked: Iterable[str]) -> dict[str, list[Any]]:
    """The `changes` of an `imported` event: every column of the new row whose value its
    history (`folded`, the after-values of its events' changes) does not already end
    at, from that value (None when the history never set it)."""
    skip = {"id", *untracked}
    return {c: [folded.get(c), v] for c, v in row.items() if c not in skip and (c not in folded or folded[c] != v)}
