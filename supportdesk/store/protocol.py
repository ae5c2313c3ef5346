"""The store: every operation the desk service, maintenance, the demo and the CLI ask of
the place where a desk is kept, in backend-neutral terms.

`supportdesk.store.Store` (one SQLite file) is today's implementation; a PostgreSQL store
would be another. Rows are plain mappings of column name to value (timestamps as UTC
text, JSON columns as text); a missing ticket, policy version or override raises
NotFound, a desk that cannot be used DeskUnavailable. Writes happen inside
`transaction()`; everything in one commits together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Protocol,
    Self,
    TypedDict,
    Unpack,
    runtime_checkable,
)

if TYPE_CHECKING:
    from supportdesk.model import Event, Scope, TicketChange, TicketNotices
    from supportdesk.query import Filter


class QueueScope(TypedDict, total=False):
    """Which open tickets a triage view takes; a key left out does not narrow it."""

    department: str | None
    assignee_id: int | None
    unassigned: bool
    due_before: str | None  # only tickets due at or before this instant
    filed_by: str | None  # only tickets filed at or before this instant (a what-if view)


@runtime_checkable
class DeskStore(Protocol):
    """Where one desk is kept: tickets and their history, people, policy versions,
    on-call overrides, the outbox and the holiday cache."""

    path: Path
    # Called once a write transaction holds the write lock; returns the operation id and
    # recorded_at instant for every event the transaction writes (the desk sets it).
    on_begin: Callable[[], tuple[str | None, str | None]] | None
    # The exceptions the backend raises when stored data cannot be read (a damaged desk).
    read_errors: tuple[type[Exception], ...]

    # ---- opening and closing ---------------------------------------------------------

    @classmethod
    def create(cls, path: Path, *, publish: bool = True) -> Self:
        """Create a new, empty desk at the current schema; it appears at `path` only once published."""
        ...

    def publish(self) -> None:
        """Make a desk that create() is still building appear at its place, complete."""
        ...

    def discard(self) -> None:
        """Close and remove a desk that create() was still building."""
        ...

    @classmethod
    def open(cls, path: Path) -> Self:
        """Open an existing desk, upgrading an older schema and refusing a newer one."""
        ...

    def close(self) -> None:
        """Release the desk."""
        ...

    def schema_migrations(self) -> list[str]:
        """Names of the schema migrations applied to this desk, in order."""
        ...

    # ---- transactions ----------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[Self]:
        """One write transaction holding the write lock: all of it is kept, or none of it."""
        ...

    def snapshot(self) -> AbstractContextManager[Self]:
        """One read-only view: every read inside sees the same state, whatever others write."""
        ...

    # ---- writes (inside transaction()) -----------------------------------------------

    def apply(self, change: TicketChange) -> int:
        """Write one ticket change (new or existing ticket) with its events and messages; returns the ticket id."""
        ...

    def apply_many(self, changes: Sequence[TicketChange]) -> None:
        """Write many changes to existing tickets, with their events and messages, in bulk."""
        ...

    def insert_event_rows(self, items: Iterable[tuple[int | None, dict[str, list[Any]] | None, Event, int]]) -> None:
        """Append events given as (ticket id, {column: [before, after]}, event, its position in its change)."""
        ...

    def background_writes(self, read_aside: bool = False) -> AbstractContextManager[None]:
        """Inside a write transaction, run the block's ticket writes behind the caller (other uses wait for them)."""
        ...

    def insert_events(
        self, events: Iterable[Event], ticket_id: int | None = None, changes: dict[str, list[Any]] | None = None
    ) -> None:
        """Append events (to `ticket_id` where they name none), `changes` on the first."""
        ...

    def insert_customer(self, row: dict[str, Any]) -> int:
        """Add a customer; returns its id."""
        ...

    def set_customer(self, customer_id: int, values: dict[str, Any]) -> None:
        """Change some of a customer's fields."""
        ...

    def insert_agent(self, row: dict[str, Any]) -> int:
        """Add an agent; returns its id."""
        ...

    def insert_policy_version(self, row: dict[str, Any]) -> int:
        """Keep a new policy version; returns its number."""
        ...

    def set_compiled_policy(self, version: int, compiled: str) -> None:
        """Keep the compiled form of a stored policy version (its TOML is unchanged)."""
        ...

    def insert_override(self, row: dict[str, Any]) -> int:
        """Keep an on-call override; returns its id."""
        ...

    def remove_override(self, override_id: int, by: str, at: str) -> None:
        """Mark an on-call override removed, keeping it for the record."""
        ...

    def insert_outbox(self, rows: list[dict[str, Any]]) -> None:
        """Queue notifications for delivery."""
        ...

    def queue_ticket_notices(self, notices: TicketNotices) -> None:
        """Queue one notice to each of many tickets' customers, worded once (model.TicketNotices)."""
        ...

    def cache_holidays(self, country: str, subdivision: str | None, year: int, days: dict[str, Any]) -> None:
        """Keep (or replace) one year of a country's computed holidays."""
        ...

    # ---- bulk loading (benchmarks, import, demo) --------------------------------------

    def bulk_insert_tickets(self, rows: Iterable[dict[str, Any]], batch_size: int = 50000) -> int:
        """Load many ticket rows, each with its `filed` event, fast; returns how many."""
        ...

    def bulk_insert_customers(self, rows: Iterable[dict[str, Any]]) -> int:
        """Load many customer rows (the same fields in each); returns how many."""
        ...

    def optimize(self) -> None:
        """Refresh the backend's query-planning statistics after a bulk load."""
        ...

    # ---- reads -----------------------------------------------------------------------

    def ticket(self, ticket_id: int, scope: Scope | None = None) -> dict[str, Any]:
        """One ticket with its customer, package, reseller and assignee, or NotFound."""
        ...

    def tickets_by_ids(self, ids: Sequence[int], columns: Sequence[str] | None = None) -> dict[int, dict[str, Any]]:
        """Many tickets by id (missing ids absent): full rows, or only the named ticket fields."""
        ...

    def find_tickets(self, flt: Filter) -> list[dict[str, Any]]:
        """Tickets matching a filter (its conditions and full-text search), in its order, up to its limit."""
        ...

    def count_tickets(self, flt: Filter) -> int:
        """How many tickets match a filter, ignoring its limit."""
        ...

    def messages(self, ticket_id: int) -> list[dict[str, Any]]:
        """A ticket's messages, oldest first."""
        ...

    def events(
        self, ticket_id: int | None = None, limit: int | None = None, scope: Scope | None = None, kinds: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """A ticket's events, or the desk's latest `limit` (of the tickets in `scope`), oldest first."""
        ...

    def insert_row(self, table: str, row: dict[str, Any]) -> int:
        """Add a row to a people table (services, tokens, violations); returns its id."""
        ...

    def update_row(self, table: str, row_id: int, values: dict[str, Any]) -> None:
        """Change columns of a row of a people table (inside a transaction)."""
        ...

    def rows(self, table: str, order: str = "id", **where: Any) -> list[dict[str, Any]]:
        """Rows of a people table whose columns equal the given values (None: no value), in an order."""
        ...

    def customer_tickets(self, customer_id: int, since: str, columns: Sequence[str]) -> list[dict[str, Any]]:
        """A customer's tickets filed since an instant, newest first (the intake's history)."""
        ...

    def category_count(self, customer_id: int, category: str) -> int:
        """How many tickets of a category a customer has filed (quotas)."""
        ...

    def move_customer_tickets(self, customer_id: int, reseller_id: int | None) -> int:
        """Carry a customer's tickets into its (new) reseller's scope; returns how many."""
        ...

    def last_public_messages(self, ticket_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The latest public message of each ticket that has one, by ticket id."""
        ...

    def status_counts(self, scope: Scope | None, filed_by: str | None = None) -> dict[str, int]:
        """How many tickets of a scope (None: the whole desk) are in each status."""
        ...

    def customers_by_ids(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Customer rows by id (missing ids absent)."""
        ...

    def customer_by_id(self, customer_id: int) -> dict[str, Any] | None:
        """A customer row by id, or None."""
        ...

    def customer_by_email(self, email: str) -> dict[str, Any] | None:
        """A customer by e-mail address (case-insensitive), or None."""
        ...

    def agent_by_login(self, login: str) -> dict[str, Any] | None:
        """An agent by login, or None."""
        ...

    def agents(self) -> list[dict[str, Any]]:
        """Every agent, by login."""
        ...

    def latest_policy(self) -> dict[str, Any] | None:
        """The policy version in force with its text, or None for a desk without one."""
        ...

    def policy_versions(self) -> list[dict[str, Any]]:
        """Every policy version without its text, oldest first."""
        ...

    def policy_version(self, version: int) -> dict[str, Any]:
        """One policy version with its text, or NotFound."""
        ...

    def overrides(self, ends_after: str | None = None) -> list[dict[str, Any]]:
        """On-call overrides not removed (optionally only those ending after an instant), by start."""
        ...

    def override(self, override_id: int) -> dict[str, Any]:
        """One on-call override not removed, or NotFound."""
        ...

    def outbox(self, pending_only: bool = False, limit: int | None = None) -> list[dict[str, Any]]:
        """Queued notifications (optionally only undelivered ones), newest first."""
        ...

    def cached_holidays(self, country: str, subdivision: str | None, year: int) -> dict[str, Any] | None:
        """One cached year of a country's holidays, or None."""
        ...

    # ---- triage and deadlines --------------------------------------------------------

    def queue(self, *, limit: int, order: str = "deadline", **scope: Unpack[QueueScope]) -> list[dict[str, Any]]:
        """Open tickets in a scope, in triage order: "deadline" (deadline, priority rank, age; no deadline last) or "priority" (rank first)."""
        ...

    def queue_counts(self, now: str, **scope: Unpack[QueueScope]) -> dict[str, int]:
        """How many tickets the queue holds in a scope: open, breached, at risk, unassigned."""
        ...

    def overdue(self, now: str, filed_by: str | None = None) -> list[dict[str, Any]]:
        """Open tickets past their deadline and not yet escalated for it, most overdue first."""
        ...

    def active_tickets(self, customer_id: int | None = None) -> list[dict[str, Any]]:
        """Every open ticket (or one customer's), by id, for recomputing deadlines."""
        ...

    def active_usage(self) -> dict[str, dict[str, int]]:
        """How many open tickets use each priority, department and channel."""
        ...

    def open_load(self) -> dict[str, int]:
        """Open tickets per assigned agent login."""
        ...

    # ---- reports ---------------------------------------------------------------------

    def report_span(self, scope: Scope | None, filed_by: str | None = None) -> tuple[str, str] | None:
        """When the first and the last ticket of a scope were filed (None: no tickets)."""
        ...

    def clock_figures(
        self,
        periods: Sequence[tuple[str | None, str | None]],
        *,
        now: str,
        by: str | None = None,
        scope: Scope | None = None,
        filed_by: str | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Both SLA clocks of the tickets filed in each period [start, end), counted and timed per group, one period after another."""
        ...

    def unstamped_clocks(
        self, start: str | None, end: str | None, *, by: str | None = None, scope: Scope | None = None, filed_by: str | None = None
    ) -> list[dict[str, Any]]:
        """Tickets filed in [start, end) with a stopped clock whose running time was not stamped, with their group."""
        ...

    def daily_volume(
        self, start: str, end: str, offsets: Sequence[tuple[str, int]], *, scope: Scope | None = None, filed_by: str | None = None
    ) -> dict[str, Any]:
        """Tickets of a scope filed and closed in [start, end) per local day, and those open at its start."""
        ...

    # ---- backup, restore and check ---------------------------------------------------

    @classmethod
    def open_unchanged(cls, path: Path) -> Self:
        """Open a desk to read it as it is, without upgrading it; refuse what is not a desk."""
        ...

    @staticmethod
    def in_use(path: Path) -> bool:
        """Whether another process has the desk at `path` open."""
        ...

    def copy_to(self, path: Path) -> dict[str, int]:
        """Copy the whole desk, consistently, while others write, to `path`; returns the copy's counts."""
        ...

    def counts(self) -> dict[str, int]:
        """The desk's schema version and how many tickets and events it holds."""
        ...

    def integrity_problems(self, limit: int = 100) -> list[str]:
        """What the backend's own consistency check finds wrong (empty when sound)."""
        ...

    def foreign_key_problems(self) -> list[dict[str, Any]]:
        """Rows whose reference points at no row: table, rowid, column, value, parent."""
        ...

    def all_tickets(self) -> Iterator[Mapping[str, Any]]:
        """Every ticket's own fields, by id, streamed; rows are read by field name."""
        ...

    def ticket_events(self) -> Iterator[Mapping[str, Any]]:
        """Every ticket event's id, ticket_id, at, recorded_at and changes, by ticket and id, streamed."""
        ...

    def open_tickets_with_package(self) -> Iterator[dict[str, Any]]:
        """Every open ticket with its customer's package, by id, streamed."""
        ...

    # ---- for tests and schema checks -------------------------------------------------

    def columns(self, table: str) -> list[str]:
        """The field names of one kind of stored record (a table), for schema checks."""
        ...

    def dump(self) -> list[str]:
        """The whole desk as text, to prove a refused command changed nothing."""
        ...

    # ---- bulk operations and undo ----------------------------------------------------

    def stamp(self) -> tuple[str | None, str | None]:
        """(operation id, real time of recording) of the write under way; (None, None) outside one."""
        ...

    def matching_ids(self, flt: Filter) -> Sequence[int]:
        """Ids of every ticket a filter matches (its limit and order aside), ascending."""
        ...

    def existing_ids(self, ids: Sequence[int], scope: Scope | None = None) -> set[int]:
        """Which of `ids` are tickets (within `scope`)."""
        ...

    def ticket_columns(self) -> list[str]:
        """The fields of a ticket record."""
        ...

    def insert_operation(self, row: dict[str, Any]) -> None:
        """Record a bulk operation (inside its transaction)."""
        ...

    def operation(self, operation_id: str) -> dict[str, Any] | None:
        """One operation's record, or None."""
        ...

    def operations(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Operations, newest first."""
        ...

    def mark_undone(self, operation_id: str, by: str) -> None:
        """Note that an operation was undone by another."""
        ...

    def operation_changes(self, operation_id: str) -> dict[int, list[str]]:
        """{ticket id: the JSON `changes` ({field: [before, after]}) of each of its events in the operation}."""
        ...

    def changed_after(self, operation_id: str) -> list[int]:
        """The operation's tickets with an event recorded after the operation's own."""
        ...

    def restore_conflicts(self, operation_id: str, columns: Sequence[str], at: str) -> tuple[dict[str, Any] | None, tuple[int, list[str]] | None]:
        """(first of the operation's tickets changed after `at`, first ticket id whose `columns` moved on, with them), or None each."""
        ...

    def changed_columns(self, operation_id: str) -> list[str]:
        """The ticket columns the operation's events recorded changes of, sorted."""
        ...

    def restore_before(self, operation_id: str, columns: Sequence[str], updated_at: str) -> None:
        """Put back the tickets' `columns` as the operation's one event on each recorded them before, where none moved on (see restored)."""
        ...

    def restored(self, count: int) -> bool:
        """Whether the last restore_before put back all `count` tickets; if not, it and every write after it are taken back."""
        ...

    def pending_notices(self, operation_id: str) -> int:
        """How many notices the operation queued that are neither sent nor withdrawn."""
        ...

    def withdraw_notices(self, operation_id: str, at: str) -> int:
        """Withdraw the operation's unsent notices; how many."""
        ...

    # ---- outages and SLA credits -----------------------------------------------------

    def insert_outage(self, row: dict[str, Any]) -> int:
        """Record an outage of a service (inside a transaction); returns its id."""
        ...

    def outages(self, service_ids: Sequence[int] | None = None, start: str | None = None, end: str | None = None) -> list[dict[str, Any]]:
        """Outages (of these services; None: all) that share time with [start, end), by start."""
        ...

    def insert_credit(self, row: dict[str, Any]) -> int:
        """Record an SLA credit on a customer (inside a transaction); returns its id."""
        ...

    def credits(self, customer_id: int | None = None, month: str | None = None) -> list[dict[str, Any]]:
        """Recorded SLA credits (of a customer, of a month; None: any), oldest first."""
        ...

    # ---- export and import -----------------------------------------------------------

    def export_batch(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Tickets by id, in that order, each as {row, messages, events, customers (with reseller_email)}."""
        ...

    def max_ticket_id(self) -> int:
        """The highest ticket id so far (0 for an empty desk)."""
        ...

    def ticket_identity(self, ticket_id: int) -> dict[str, Any] | None:
        """A ticket's id, created_at, subject and customer e-mail, or None when there is no such ticket."""
        ...

    def same_ticket(self, customer_id: int, created_at: str, subject: str) -> int | None:
        """The id of a ticket of this customer filed at that instant with that subject, or None."""
        ...

    def insert_imported(self, tickets: Sequence[dict[str, Any]]) -> None:
        """Write imported tickets with their messages, their history as it was, and an `imported` event each."""
        ...

    # ---- notices going out (delivery) and attachments ---------------------------------

    def due_notices(self, now: str, limit: int | None = None, after: int = 0) -> list[dict[str, Any]]:
        """Notices due for sending at an instant, with ids above `after` (not sent, withdrawn or given up on), oldest first."""
        ...

    def claim_notice(self, notice_id: int, now: str, lease_until: str, message_id: str) -> dict[str, Any] | None:
        """Take a due notice for sending: one attempt more, leased until an instant, its Message-ID kept; None when no longer due."""
        ...

    def record_delivery(self, notice_id: int, values: dict[str, Any]) -> None:
        """Record what became of a notice's attempt: sent, or its error and next try, or given up."""
        ...

    def notice(self, notice_id: int) -> dict[str, Any] | None:
        """One queued notice, or None."""
        ...

    def mail_thread(self, ticket_id: int) -> list[str]:
        """The Message-IDs of a ticket's mail with its customer (received and sent), oldest first."""
        ...

    def latest_message_id(self, ticket_id: int) -> int | None:
        """The id of the message last added to a ticket, or None."""
        ...

    def message(self, message_id: int) -> dict[str, Any] | None:
        """One message of a ticket, or None."""
        ...

    def insert_attachment(self, row: dict[str, Any]) -> int:
        """Add an attachment's record (its bytes are kept beside the desk); returns its id."""
        ...

    def attachment(self, attachment_id: int) -> dict[str, Any] | None:
        """One attachment's record, or None."""
        ...

    def attachments(self, ticket_id: int) -> list[dict[str, Any]]:
        """A ticket's attachments, oldest first."""
        ...

    def message_attachments(self, message_id: int) -> list[dict[str, Any]]:
        """The attachments that came with one message, oldest first."""
        ...

    # ---- mail coming in (ingest) -----------------------------------------------------

    def savepoint(self) -> AbstractContextManager[None]:
        """A part of the transaction in progress that is undone alone when its block fails."""
        ...

    def seen_mail(self, keys: Sequence[str]) -> set[str]:
        """Which of these message keys have been seen before."""
        ...

    def record_mail(self, row: dict[str, Any]) -> None:
        """Record what became of a message (inside a transaction)."""
        ...

    def mail_answers(self, sender: str, since: str) -> int:
        """How many messages of this sender seen since an instant were answered."""
        ...

    def tickets_of_messages(self, message_ids: Sequence[str]) -> dict[str, int]:
        """The ticket of each of these Message-IDs that the desk sent (a notice) or took in."""
        ...

    def sent_notices(self, message_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The notices sent with these Message-IDs."""
        ...

    def record_bounce(self, outbox_id: int, at: str, bounce: str) -> None:
        """Record that a notice bounced, and what the bounce said."""
        ...

    def customers_by_address(self, address: str) -> list[dict[str, Any]]:
        """Customers and resellers whose own address, or one of their notification addresses, is `address`; their own first."""
        ...

    def last_outbox_id(self) -> int:
        """The id of the newest notice (0 when there is none)."""
        ...

    def notices_after(self, outbox_id: int) -> list[dict[str, Any]]:
        """The notices queued after the one with this id, oldest first."""
        ...

    def withdraw_notice_ids(self, ids: Sequence[int], at: str) -> None:
        """Withdraw these unsent notices (they stay, marked withdrawn)."""
        ...

    def insert_quarantine(self, row: dict[str, Any]) -> int:
        """Hold a message for an agent (inside a transaction); returns its quarantine id."""
        ...

    def quarantined(self, held_only: bool = True) -> list[dict[str, Any]]:
        """Quarantined messages without their bytes (only those still held, or all), oldest first."""
        ...

    def quarantined_message(self, quarantine_id: int) -> dict[str, Any] | None:
        """One quarantined message with its bytes, or None."""
        ...

    def set_quarantine(self, quarantine_id: int, values: dict[str, Any]) -> None:
        """Change columns of a quarantined message (released, dropped)."""
        ...

    def set_mail_outcome(self, key: str, values: dict[str, Any]) -> None:
        """Change what is recorded of a message seen (a released one's new outcome)."""
        ...
