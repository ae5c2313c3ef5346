"""Export and import of tickets: the export's format, reading a file back line by line,
and checking each row before anything is written. Pure (the streams are given).

The export is JSON Lines: a header object, then one object per ticket, in id order,
holding the ticket's JSON fields, its description, every stored column an exact round
trip needs, the customers it refers to, its messages and its events (with their
`changes`). CSV has one row per ticket (the `list --csv` columns and a few more) for
spreadsheets and other help desks; it does not round-trip history.

An import reads such a file (or a CSV with its columns mapped to ours) row by row; each
row is checked here into an ImportTicket, or refused with a BadRow saying why, so that
every bad row of a file is reported by its line number.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from supportdesk.errors import InvalidInput
from supportdesk.model import (
    TICKET_FIELDS,
    event_json,
    message_json,
    ticket_json,
)
from supportdesk.redaction import Redactor, customer_names

FORMAT = "supportdesk-export"
VERSION = 1
FORMATS = ("jsonl", "csv")
# The longest line (JSONL) or field (CSV) an import reads; a longer one is a bad row,
# read past in pieces so that memory stays bounded.
LINE_LIMIT = 32 * 1024 * 1024
# How many bytes of the start of a file tell its format (and whether it is text at all).
SNIFF_BYTES = 64 * 1024

# Stored columns beyond the ticket JSON that an exact round trip needs.
STORED_FIELDS = ("priority_rank", "sla", "paused_seconds", "risk_at", "escalated_for", "response_seconds", "resolution_seconds")
# What the export says of each message and event of a ticket (their row ids are this
# desk's; another desk gives them anew).
MESSAGE_FIELDS = ("at", "author", "internal", "channel", "body")
EVENT_FIELDS = ("at", "recorded_at", "actor", "kind", "operation", "details", "changes")
# Ticket timestamps, as stored: ISO 8601 UTC text.
TIMESTAMP_FIELDS = (
    "created_at", "updated_at", "first_response_at", "respond_by", "resolve_by", "due_at", "risk_at", "paused_at",
    "respond_breached_at", "resolve_breached_at", "resolved_at", "closed_at", "escalated_for",
)
# The CSV export's columns: those of `list --csv`, then these.
CSV_EXTRA = ("customer_name", "body", "messages", "events")
CSV_COLUMNS = (*TICKET_FIELDS, *CSV_EXTRA)

# The fields a CSV import fills (`--map OURS=THEIRS`), with what each holds; `field.NAME`
# fills the department field NAME.
CSV_FIELDS: dict[str, str] = {
    "id": "the ticket number (default: numbered after the desk's highest)",
    "subject": "the subject (required)",
    "body": "the description (default: empty)",
    "customer": "the customer's e-mail address (required)",
    "customer_name": "the customer's name, for a customer new to the desk",
    "reseller": "the e-mail address of the customer's reseller (a reseller of the desk)",
    "status": "new, open, pending, resolved or closed (default: from the times given)",
    "priority": "a priority of the policy (default: the policy's)",
    "department": "a department of the policy (default: the policy's)",
    "channel": "a channel of the policy (default: the policy's)",
    "category": "what it is about",
    "service": "the service concerned",
    "assignee": "an agent's login",
    "created_at": "when it was filed (required)",
    "updated_at": "when it last changed (default: the latest time given)",
    "first_response_at": "the first public answer",
    "paused_at": "pending since (default: when it last changed)",
    "resolved_at": "when it was resolved",
    "closed_at": "when it was closed",
    "close_reason": "resolved, duplicate, out-of-scope, incomplete, no-response or abuse (default: resolved)",
    "language": "its language, e.g. tr",
    "flags": "intake flags, separated by ;",
    "fields": "department fields as KEY=VALUE, separated by ;",
}
CSV_REQUIRED = ("subject", "customer", "created_at")
# A department field's name in `--map field.NAME=…` and `--value field.NAME:…`.
_MAP_NAME = re.compile(r"^(?:[a-z_]+|field\.[^\s=,]{1,64})$")
# Bad rows reported at most, each with its line (the rest are counted).
MAX_REPORTED = 1000


class BadRow(Exception):
    """A row that cannot be imported, and why (reported with its line number)."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


class ImportRefused(InvalidInput):
    """An import refused as a whole: bad rows (listed in `report`) and no --skip-bad."""

    def __init__(self, message: str, report: dict[str, Any]):
        super().__init__(message)
        self.report = report


# ---- export --------------------------------------------------------------------------


def export_header(*, redacted: bool, exported_at: str, exported_by: str, timezone: str, tickets: int, filters: dict[str, Any]) -> dict[str, Any]:
    """The first line of a JSONL export: what it is and how it was made."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "redacted": redacted,
        "exported_at": exported_at,
        "exported_by": exported_by,
        "timezone": timezone,
        "tickets": tickets,
        "filters": {k: v for k, v in filters.items() if v is not None},
    }


def customer_record(row: dict[str, Any], reseller_email: str | None) -> dict[str, Any]:
    """A customer (or reseller) as an export names it: email, name, kind, reseller
    (its reseller's e-mail), package, language."""
    return {
        "email": row["email"],
        "name": row.get("name"),
        "kind": row.get("kind") or "customer",
        "reseller": reseller_email,
        "package": row.get("package"),
        "language": row.get("language"),
    }


def export_record(row: dict[str, Any], messages: Iterable[dict[str, Any]], events: Iterable[dict[str, Any]], customers: list[dict[str, Any]]) -> dict[str, Any]:
    """One ticket as a line of the export: its JSON fields and description, the stored
    columns a round trip needs, its customers, messages and events (without the row ids
    of this desk, which another desk gives anew)."""
    out = ticket_json(row)
    out["body"] = row["body"]
    for name in STORED_FIELDS:
        out[name] = row.get(name)
    out["sla"] = json.loads(row["sla"]) if row.get("sla") else {}
    out["paused_seconds"] = row.get("paused_seconds") or 0
    out["customers"] = customers
    out["messages"] = [{k: shaped[k] for k in MESSAGE_FIELDS} for shaped in map(message_json, messages)]
    out["events"] = [{k: shaped[k] for k in EVENT_FIELDS} for shaped in map(event_json, events)]
    return out


def _actor(redactor: Redactor, label: str | None) -> str | None:
    """An actor or author label: agents and the system as they are, others redacted."""
    if label is None or label.startswith(("agent:", "system:")):
        return label
    return redactor.text(label)


def redact_record(record: dict[str, Any], redactor: Redactor, keep: frozenset[str] = frozenset()) -> dict[str, Any]:
    """An export record without personal data: addresses, names, IP addresses and phone
    numbers replaced by the redactor's placeholders in every text (the ticket's people's
    names wherever they occur); values exactly equal to one of `keep` (the policy's
    names, agents' logins) stay."""
    names = customer_names(record.get("customers") or [])

    def value(v: Any) -> Any:
        kind = type(v)
        if kind is str:
            return v if v in keep else redactor.text(v, names)
        if kind is list:
            return [value(x) for x in v]
        if kind is dict:
            return {k: value(x) for k, x in v.items()}
        return v

    out = dict(record)
    out["customer"] = redactor.email(record.get("customer"))
    out["reseller"] = redactor.email(record.get("reseller"))
    out["subject"] = redactor.text(record["subject"], names)
    out["body"] = redactor.text(record.get("body") or "", names)
    if record.get("service") is not None:
        out["service"] = redactor.text(record["service"], names)
    if record.get("category") is not None:
        out["category"] = value(record["category"])
    out["fields"] = {k: redactor.text(str(v), names) for k, v in (record.get("fields") or {}).items()}
    out["customers"] = [
        c | {"email": redactor.email(c["email"]), "reseller": redactor.email(c.get("reseller")), "name": redactor.name(c.get("name"))}
        for c in record.get("customers") or []
    ]
    out["messages"] = [m | {"author": _actor(redactor, m["author"]), "body": redactor.text(m["body"], names)} for m in record.get("messages") or []]
    out["events"] = [
        e | {"actor": _actor(redactor, e["actor"]), "details": value(e.get("details") or {}), "changes": value(e.get("changes"))}
        for e in record.get("events") or []
    ]
    return out


_LINE_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def export_line(data: dict[str, Any]) -> str:
    """One JSON Lines line: compact, UTF-8, the exact text; C1 controls, bidi overrides
    and line separators written as escapes (same value), so no tool splits or shows them."""
    from supportdesk.text import json_safe

    text = json_safe(_LINE_JSON(data))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"


def csv_row(record: dict[str, Any]) -> list[Any]:
    """One export record as a CSV row of CSV_COLUMNS (flags `a;b`, fields `k=v;k=v`, as
    `list --csv` writes them; messages and events as counts)."""
    customer = next((c for c in record.get("customers") or [] if c["email"] == record["customer"]), {})
    out: list[Any] = []
    for name in CSV_COLUMNS:
        if name == "flags":
            value: Any = ";".join(record.get("flags") or [])
        elif name == "fields":
            value = ";".join(f"{k}={v}" for k, v in (record.get("fields") or {}).items())
        elif name == "customer_name":
            value = customer.get("name")
        elif name in ("messages", "events"):
            value = len(record.get(name) or [])
        else:
            value = record.get(name)
        out.append("" if value is None else value)
    return out


# ---- reading a file --------------------------------------------------------------------


class Counted(io.RawIOBase):
    """A binary stream that counts the bytes read from it (for progress), giving back
    first the bytes read ahead to tell its format. Read it through io.BufferedReader."""

    def __init__(self, stream: BinaryIO, head: bytes = b""):
        super().__init__()
        self.stream = stream
        self.head = head
        self.done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:
            data, self.head = self.head[: len(buffer)], self.head[len(buffer) :]
        else:
            data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        self.done += len(data)
        return len(data)


def open_source(stream: BinaryIO, name: str, given: str | None) -> tuple[str, Counted, io.BufferedReader]:
    """The format of a file to import (see detect_format), a counter of the bytes read
    from it, and the file to read it from."""
    head = stream.read(SNIFF_BYTES)
    fmt = detect_format(head, name, given)
    counted = Counted(stream, head)
    return fmt, counted, io.BufferedReader(counted, buffer_size=1 << 20)


def detect_format(head: bytes, name: str, given: str | None) -> str:
    """`jsonl` or `csv`: as given, or told from the first bytes (JSON Lines begin with
    `{`). Refuses an empty file and one that is not text."""
    if not head:
        raise InvalidInput(f"{name} is empty; there is nothing to import")
    if b"\x00" in head:
        offset = head.index(b"\x00")
        raise InvalidInput(f"{name} is not a text file (a NUL byte at offset {offset}); import reads JSON Lines (from `supportdesk export`) or CSV")
    if given is not None:
        if given not in FORMATS:
            raise InvalidInput(f"unknown --format {given!r}; use jsonl or csv")
        return given
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if not text:
        raise InvalidInput(f"{name} holds only blank space; there is nothing to import")
    if text[:1] == b"[":
        raise InvalidInput(
            f"{name} holds a JSON list; import reads JSON Lines, one ticket object a line, as `supportdesk export` writes them "
            "(give --format csv for a CSV file)"
        )
    return "jsonl" if text[:1] == b"{" else "csv"


def jsonl_lines(stream: io.BufferedReader, limit: int | None = None) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, parsed JSON, None) or (line number, None, why it is bad) for every
    line that is not blank; a line longer than `limit` (LINE_LIMIT) is read past in pieces."""
    limit = limit or LINE_LIMIT
    number = 0
    while True:
        raw = stream.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            size = len(raw)
            while True:
                rest = stream.readline(1 << 20)
                size += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None, f"the line is {size:,} bytes long; a line may hold at most {limit:,}"
            continue
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield number, None, f"not valid UTF-8 (byte 0x{raw[error.start]:02x} at column {error.start + 1})"
            continue
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            yield number, None, f"not valid JSON ({error.msg} at column {error.colno})"
            continue
        except RecursionError:
            yield number, None, "JSON nested too deeply"
            continue
        yield number, data, None


def csv_rows(stream: io.BufferedReader, name: str, limit: int | None = None) -> tuple[list[str], Iterator[tuple[int, dict[str, str] | None, str | None]]]:
    """The header of a CSV file and its records: (line number where the record starts,
    {column: value}, None) or (line number, None, why it is bad). A record the csv
    module cannot read (an unclosed quote, a field over `limit`) ends the reading:
    what follows cannot be told apart reliably."""
    csv.field_size_limit(limit or LINE_LIMIT)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(f"{name} has no header line; a CSV import needs one naming the columns") from None
    except csv.Error as error:
        raise InvalidInput(f"{name}: its header line cannot be read as CSV ({error})") from None
    bad = [i for i, column in enumerate(header) if _has_surrogates(column)]
    if bad:
        raise InvalidInput(f"{name}: its header line is not valid UTF-8 (column {bad[0] + 1}); convert the file, e.g. with iconv -t UTF-8")
    header = [column.strip() for column in header]

    def records() -> Iterator[tuple[int, dict[str, str] | None, str | None]]:
        while True:
            start = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise _CsvBroken(start, str(error)) from None
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield start, None, f"{len(values)} columns where the header has {len(header)}"
                continue
            broken = next((header[i] for i, v in enumerate(values) if _has_surrogates(v)), None)
            if broken is not None:
                yield start, None, f"column {broken!r} is not valid UTF-8"
                continue
            yield start, dict(zip(header, values, strict=True)), None

    return header, records()


class _CsvBroken(Exception):
    """The csv module lost its place: a record from `line` on cannot be read."""

    def __init__(self, line: int, why: str):
        super().__init__(why)
        self.line, self.why = line, why


def csv_broken(error: Exception) -> tuple[int, str] | None:
    """(line, why) when `error` says a CSV file cannot be read on from a line."""
    return (error.line, error.why) if isinstance(error, _CsvBroken) else None


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in text)


# ---- the options of a CSV import --------------------------------------------------------


def parse_map(items: Iterable[str]) -> dict[str, str]:
    """`--map subject=Title,customer=Email` (repeatable) → {ours: theirs}. A column name
    may hold commas and spaces: a comma starts a new pair only before `name=`."""
    mapping: dict[str, str] = {}
    for item in items:
        for pair in re.split(r",(?=\s*[a-z_][a-z_.]*\s*=)", item):
            ours, sep, theirs = pair.partition("=")
            ours, theirs = ours.strip(), theirs.strip()
            if not sep or not ours or not theirs:
                raise InvalidInput(f"--map {pair!r} is not OURS=THEIRS; e.g. --map subject=Title,customer=Email")
            check_field_name(ours, "--map")
            mapping[ours] = theirs
    return mapping


def check_field_name(name: str, option: str) -> str:
    """One of CSV_FIELDS or `field.NAME`, or refused listing them."""
    if name in CSV_FIELDS or (name.startswith("field.") and _MAP_NAME.match(name)):
        return name
    raise InvalidInput(f"{option}: unknown field {name!r}; use one of: {', '.join(CSV_FIELDS)}, or field.NAME for a department field")


def parse_values(items: Iterable[str]) -> dict[str, dict[str, str]]:
    """`--value 'status:pending reminder=pending'` (repeatable) → {field: {theirs (folded): ours}}."""
    values: dict[str, dict[str, str]] = {}
    for item in items:
        name, colon, rest = item.partition(":")
        theirs, equals, ours = rest.rpartition("=")
        if not colon or not equals or not name.strip() or not theirs.strip():
            raise InvalidInput(f"--value {item!r} is not FIELD:THEIRS=OURS; e.g. --value 'status:pending reminder=pending'")
        check_field_name(name.strip(), "--value")
        values.setdefault(name.strip(), {})[theirs.strip().casefold()] = ours.strip()
    return values


def check_columns(header: list[str], mapping: dict[str, str], name: str) -> dict[str, str]:
    """{ours: their column} for every field the CSV fills: mapped ones, and columns
    named as ours. Refuses a mapped column the file lacks or holds twice, and a file
    without the required fields."""
    counts: dict[str, int] = {}
    for column in header:
        counts[column] = counts.get(column, 0) + 1
    columns: dict[str, str] = {}
    for ours, theirs in mapping.items():
        if theirs not in counts:
            known = ", ".join(repr(c) for c in header[:30]) + (" …" if len(header) > 30 else "")
            raise InvalidInput(f"--map {ours}={theirs}: {name} has no column {theirs!r}; its columns are {known}")
        if counts[theirs] > 1:
            raise InvalidInput(f"--map {ours}={theirs}: {name} has {counts[theirs]} columns named {theirs!r}; rename one")
        columns[ours] = theirs
    for column in header:
        if (column in CSV_FIELDS or column.startswith("field.")) and column not in columns and column not in mapping.values():
            columns[column] = column
    missing = [f for f in CSV_REQUIRED if f not in columns]
    if missing:
        raise InvalidInput(
            f"{name} has no column for {', '.join(missing)}; name them with --map, e.g. --map "
            + ",".join(f"{m}=COLUMN" for m in missing)
        )
    return columns
