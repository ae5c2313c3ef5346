"""Bulk operations: close, assign and escalate many tickets at once, and undo them.

One command is one operation: every ticket it changes gets one event tagged with the
operation's id, all written in one transaction together with a row of `operations`
(what was done, by whom, with which arguments). Tickets are read and written in chunks
of ids, so closing a hundred thousand tickets holds only a chunk of rows in memory.

`undo OPERATION` puts back, column by column, the values the operation's events
recorded as "before", once it has checked that no ticket changed after the operation.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from supportdesk.desk.escalation import Escalation
from supportdesk.desk.tickets import CLOSE_COLUMNS, Tickets
from supportdesk.errors import InvalidInput, NotFound, Refused
from supportdesk.model import CloseReason, Event, Status, TicketChange, TicketNotices
from supportdesk.query import Filter

# Changing more tickets than this at once asks for confirmation (user config: bulk.confirm_above).
CONFIRM_ABOVE = 20

# Tickets read, planned and written at a time.
CHUNK = 5000

# What assigning needs to know of each ticket.
ASSIGN_COLUMNS = ("status", "created_at", "updated_at", "assignee_id")

# A planner turns ticket rows into (changes, a summary of each changed ticket, the
# skipped ones {id, why}, notices to queue: outbox rows, or one notice worded for many).
Plan = tuple[list[TicketChange], list[dict[str, Any]], list[dict[str, Any]], "list[dict[str, Any]] | TicketNotices"]
Planner = Callable[[list[dict[str, Any]]], Plan]

# Reports progress: (tickets done, tickets in all).
Progress = Callable[[int, int], None]


def without_cycle_collection(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run a bulk use case with Python's cycle collector paused: it makes hundreds of
    thousands of dicts and no reference cycles, and the collector would walk every one of
    them again and again (a third of an undo's time). Memory is still freed by reference
    counting; the collector runs again afterwards."""
    import functools

    @functools.wraps(method)
    def run(*args: Any, **kwargs: Any) -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return method(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return run

# Each kind of operation in the past tense, for refusals ("nothing was closed").
DONE = {"close": "closed", "assign": "assigned", "escalate": "escalated", "undo": "undone"}


@dataclass
class BulkOutcome:
    """What a bulk operation did (or, with dry_run, would do)."""

    action: str  # close | assign | escalate | undo
    dry_run: bool
    arguments: dict[str, Any] = field(default_factory=dict)  # reason, to, undoes…
    operation: str | None = None  # None: a dry run, or nothing changed
    changed: list[dict[str, Any]] = field(default_factory=list)  # {id, before, after}
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {id, why}
    notifications: int = 0  # notices queued (undo: withdrawn)

    @property
    def reason(self) -> str | None:
        return self.arguments.get("reason")

    def to_json(self) -> dict[str, Any]:
        """The stable JSON scripts read (README: "Bulk operations")."""
        return {
            "operation": self.operation,
            "action": self.action,
            "dry_run": self.dry_run,
            **self.arguments,
            "changed": self.changed,
            "skipped": self.skipped,
            "notifications": self.notifications,
        }


# The name library callers know from before bulk operations were general.
CloseOutcome = BulkOutcome


# The columns an undo names in its events and summary (it restores every changed one).
SHOWN_COLUMNS = ("status", "assignee_id", "escalation_level")


def combined_changes(texts: list[str]) -> dict[str, list[Any]]:
    """One ticket's {column: [before, after]} over the `changes` JSON of its events in an
    operation, in order: a column changed twice keeps its first before and last after."""
    combined: dict[str, list[Any]] = {}
    for text in texts:
        for column, (before, after) in json.loads(text).items():
            if column in combined:
                combined[column][1] = after
            else:
                combined[column] = [before, after]
    return combined


def chunks(items: list[int], size: int | None = None) -> Iterable[list[int]]:
    size = size or CHUNK
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Bulk(Escalation, Tickets):
    """Close, assign and escalate by ids, standard input or filters; undo; operations."""

    # ---- the one way every bulk operation runs --------------------------------------

    @without_cycle_collection
    def _run_bulk(
        self,
        outcome: BulkOutcome,
        select: Callable[[], list[int]],
        load: Callable[[list[int]], dict[int, dict[str, Any]]],
        planner: Planner,
        *,
        confirm: Callable[[int], bool] | None,
        confirm_above: int,
        progress: Progress | None,
        prepare: Callable[[], None] | None = None,
    ) -> BulkOutcome:
        """Plan (and, unless a dry run, write) the operation over the tickets `select`
        names, `load`ed and `planner`ed a chunk at a time. With `confirm`, the tickets
        are planned first and `confirm(count)` is asked when more than `confirm_above`
        would change; then only those are changed (each planned again inside the write
        transaction: one that changed meanwhile is skipped if nothing is left to do)."""
        done = DONE[outcome.action]
        if outcome.dry_run or confirm is not None:
            with self.store.snapshot():
                preview = self._pass(outcome, select(), load, planner, write=False, progress=None)
            if outcome.dry_run:
                return preview
            if len(preview.changed) > confirm_above and not confirm(len(preview.changed)):
                raise Refused(f"nothing was {done}")
            if not preview.changed:
                return preview
            planned = {t["id"] for t in preview.changed}
            skipped = preview.skipped
            chosen = select

            def select() -> list[int]:
                # Only tickets that were counted (and still qualify), never more.
                return [i for i in chosen() if i in planned]
        else:
            skipped = []
        if prepare is not None:
            prepare()
        with self._transaction():
            result = self._pass(outcome, select(), load, planner, write=True, progress=progress)
            result.skipped = skipped + result.skipped
            if result.changed:
                result.operation, recorded_at = self.store.stamp()
                self.store.insert_operation(
                    {
                        "id": result.operation,
                        "kind": outcome.action,
                        "actor": self.actor.label,
                        "at": self.now_text,
                        "recorded_at": recorded_at,
                        "arguments": json.dumps(outcome.arguments, ensure_ascii=False, sort_keys=True),
                        "changed": len(result.changed),
                        "skipped": len(result.skipped),
                    }
                )
        return result

    def _pass(
        self,
        outcome: BulkOutcome,
        ids: list[int],
        load: Callable[[list[int]], dict[int, dict[str, Any]]],
        planner: Planner,
        *,
        write: bool,
        progress: Progress | None,
    ) -> BulkOutcome:
        result = BulkOutcome(outcome.action, outcome.dry_run, dict(outcome.arguments))
        done = 0
        parts = list(chunks(ids))
        # Each ticket is read before it is written: reads need not wait for the writer.
        with self.store.background_writes(read_aside=True) if write else nullcontext():
            rows = load(parts[0]) if parts else {}
            for number, chunk in enumerate(parts):
                changes, changed, skipped, notices = planner([rows[i] for i in chunk if i in rows])
                # The next tickets are read before these are handed to the writer.
                rows = load(parts[number + 1]) if number + 1 < len(parts) else {}
                if write:
                    self.store.apply_many(changes)
                    if isinstance(notices, TicketNotices):
                        self.store.queue_ticket_notices(notices)
                    else:
                        self.store.insert_outbox(notices)
                result.changed += changed
                result.skipped += skipped
                result.notifications += len(notices)
                done += len(chunk)
                if progress is not None:
                    progress(done, len(ids))
        return result

    def _selection(self, ids: list[int] | None, flt: Filter | None, what: str) -> Callable[[], list[int]]:
        """The ids an operation acts on: the given ones (every one must exist within the
        actor's scope, or nothing is done), or those a filter matches, in id order."""
        if ids is not None:
            unique = list(dict.fromkeys(ids))
            if not unique:
                raise InvalidInput(f"no tickets to {what}; give ids, --stdin, or filters such as --status")

            def given() -> list[int]:
                found = self.store.existing_ids(unique, self.actor.scope)
                missing = [i for i in unique if i not in found]
                if missing:
                    shown = ", ".join(f"#{i}" for i in missing[:10]) + (" …" if len(missing) > 10 else "")
                    raise NotFound(f"{len(missing)} of the tickets do not exist ({shown}); nothing was {DONE[what]}")
                return unique

            return given
        assert flt is not None, "a bulk operation needs ids or a filter"
        self._require_agent(f"{what} tickets by filter; {what} your tickets by their numbers")
        if flt.is_empty:
            raise InvalidInput(f"refusing to {what} every ticket; narrow it with filters such as --status or --created-before")
        return lambda: list(self.store.matching_ids(flt))

    # ---- close ----------------------------------------------------------------------

    def bulk_close(
        self,
        reason: CloseReason,
        *,
        ids: list[int] | None = None,
        flt: Filter | None = None,
        dry_run: bool = False,
        confirm: Callable[[int], bool] | None = None,
        confirm_above: int = CONFIRM_ABOVE,
        of: int | None = None,
        progress: Progress | None = None,
        source: str | None = None,
    ) -> BulkOutcome:
        """Close tickets by id or by filter in one transaction, one operation; customers
        are told (queued notices). `of`: with reason duplicate, the ticket they repeat."""
        if of is not None and reason is not CloseReason.DUPLICATE:
            raise InvalidInput("--of names the ticket a duplicate repeats; use it with --reason duplicate")
        if of is not None and ids is not None and of in ids:
            raise InvalidInput(f"#{of} cannot be a duplicate of itself; --of names the ticket the others repeat")
        select = self._selection(ids, flt, "close")
        if of is not None:
            with self.store.snapshot():
                self._visible_row(of)  # NotFound outside the actor's scope
        columns = CLOSE_COLUMNS if self.actor.is_agent else (*CLOSE_COLUMNS, "reseller_id", "customer_id")

        recipients: dict[int, str] = {}  # customers' notice addresses, read once each

        def load(chunk: list[int]) -> dict[int, dict[str, Any]]:
            rows = self.store.tickets_by_ids(chunk, columns)
            self._read_recipients(rows.values(), recipients)  # here: planning reads nothing
            return rows

        def planner(rows: list[dict[str, Any]]) -> Plan:
            changes, changed, skipped = self._close_plan(rows, reason, of)
            before = [c.before for c in changes if c.before is not None]
            notices = self._closed_notices(before, reason, of, recipients) if changes else []
            return changes, changed, skipped, notices

        arguments: dict[str, Any] = {"reason": reason.value} | ({"of": of} if of is not None else {}) | ({"source": source} if source else {})
        return self._run_bulk(
            BulkOutcome("close", dry_run, arguments),
            select,
            load,
            planner,
            confirm=confirm,
            confirm_above=confirm_above,
            progress=progress,
            prepare=recipients.clear,  # read again inside the write transaction
        )

    def close_tickets(self, ids: list[int], reason: CloseReason, *, dry_run: bool = False, of: int | None = None) -> BulkOutcome:
        """Close tickets by id in one transaction; unknown ids refuse the whole batch."""
        return self.bulk_close(reason, ids=ids, dry_run=dry_run, of=of)

    def close_matching(self, flt: Filter, reason: CloseReason, *, dry_run: bool = False) -> BulkOutcome:
        """Close every ticket a filter matches, in one transaction."""
        return self.bulk_close(reason, flt=flt, dry_run=dry_run)

    # ---- assign ---------------------------------------------------------------------

    def bulk_assign(
        self,
        to: str,
        *,
        ids: list[int] | None = None,
        flt: Filter | None = None,
        dry_run: bool = False,
        confirm: Callable[[int], bool] | None = None,
        confirm_above: int = CONFIRM_ABOVE,
        progress: Progress | None = None,
        source: str | None = None,
    ) -> BulkOutcome:
        """Give tickets to an agent (`me`, a login, or `none`) in one operation; closed
        ones and those already theirs are skipped."""
        self._require_agent("assign tickets")
        agent_id, login = self._assignee(to)
        select = self._selection(ids, flt, "assign")
        logins = {a["id"]: a["login"] for a in self.store.agents()}

        def planner(rows: list[dict[str, Any]]) -> Plan:
            changes, changed, skipped = [], [], []
            for row in rows:
                before = logins.get(row["assignee_id"]) if row["assignee_id"] is not None else None
                if row["status"] == Status.CLOSED:
                    skipped.append({"id": row["id"], "status": row["status"], "why": "closed: cannot assign it; reopen it first"})
                    continue
                if row["assignee_id"] == agent_id:
                    skipped.append({"id": row["id"], "status": row["status"], "why": f"already assigned to {login or 'nobody'}"})
                    continue
                event = self._event("assign", {"before": {"assignee": before}, "after": {"assignee": login}}, row["id"])
                changes.append(self._change(row, {"assignee_id": agent_id}, [event]))
                changed.append({"id": row["id"], "before": before, "after": login})
            return changes, changed, skipped, []

        return self._run_bulk(
            BulkOutcome("assign", dry_run, {"to": login} | ({"source": source} if source else {})),
            select,
            lambda chunk: self.store.tickets_by_ids(chunk, ASSIGN_COLUMNS),
            planner,
            confirm=confirm,
            confirm_above=confirm_above,
            progress=progress,
        )

    def assign(self, ticket_id: int, to: str) -> dict[str, Any]:
        """Give one ticket to an agent (`me`, a login, or `none` to unassign)."""
        if not self.store.existing_ids([ticket_id], self.actor.scope):
            raise NotFound(f"no ticket #{ticket_id}; `supportdesk list` shows the tickets there are")
        outcome = self.bulk_assign(to, ids=[ticket_id])
        if outcome.skipped:
            why = outcome.skipped[0]["why"]
            hint = f" with `supportdesk reopen {ticket_id}`" if why.startswith("closed") else ""
            raise Refused(f"ticket #{ticket_id} is {why}{hint}")
        return self.ticket(ticket_id)

    # ---- escalate --auto ------------------------------------------------------------

    def escalate_auto(
        self,
        *,
        dry_run: bool = False,
        ids: list[int] | None = None,
        flt: Filter | None = None,
        confirm: Callable[[int], bool] | None = None,
        confirm_above: int = CONFIRM_ABOVE,
        source: str | None = None,
    ) -> BulkOutcome:
        """Raise every ticket past its deadline (of those given or matching, if any) one
        level, once per breach; the person on call there gets it and is told."""
        from supportdesk import sla

        levels = self.policy.escalation
        if not levels:
            raise NotFound("this policy defines no escalation levels; add [[escalation.levels]] to it")
        within = self._selection(ids, flt, "escalate") if ids is not None or flt is not None else None
        holidays = [] if dry_run else self._missing_holidays(self.policy)
        overdue: dict[int, dict[str, Any]] = {}

        staffing: list[Any] = []  # who is on duty and their load, fresh for each pass

        def select() -> list[int]:
            staffing.clear()
            rows = self.store.overdue(self.now_text, filed_by=self.as_of)
            chosen = set(within()) if within is not None else None
            overdue.clear()
            overdue.update((r["id"], r) for r in rows if chosen is None or r["id"] in chosen)
            return list(overdue)

        def planner(rows: list[dict[str, Any]]) -> Plan:
            if not staffing:
                staffing.append(self._staffing())
            changes, changed, skipped, notices = [], [], [], []
            for row in rows:
                level = row["escalation_level"] + 1
                if level >= len(levels):
                    skipped.append({"id": row["id"], "why": f"already at the top level ({levels[-1].name})"})
                    continue
                reason = f"{sla.due_kind(row)} deadline {row['due_at']} passed"
                change, notice, summary = self._escalation_change(row, level, reason, staffing[0], automatic=True)
                changes.append(change)
                changed.append(summary)
                if notice:
                    notices.append(notice)
            return changes, changed, skipped, notices

        return self._run_bulk(
            BulkOutcome("escalate", dry_run, {"source": source} if source else {}),
            select,
            lambda chunk: {i: overdue[i] for i in chunk if i in overdue},
            planner,
            confirm=confirm,
            confirm_above=confirm_above,
            progress=None,
            prepare=lambda: self._cache_holidays(holidays),
        )

    # ---- undo -----------------------------------------------------------------------

    @without_cycle_collection
    def undo(self, operation: str, *, dry_run: bool = False, progress: Progress | None = None) -> BulkOutcome:
        """Undo a bulk operation: every column it changed gets back its value from before,
        as one new operation (an `undo` event a ticket) that also withdraws the notices it
        queued and not yet sent. Refused when any of its tickets changed after it."""
        operation = operation.strip()
        outcome = BulkOutcome("undo", dry_run, {"undoes": operation})
        with self._writing(dry_run):
            original = self.store.operation(operation)
            if original is None:
                raise NotFound(f"no operation {operation!r}; `supportdesk operations` lists the recent ones")
            if original["undone_by"]:
                raise Refused(f"operation {operation} was undone already, by {original['undone_by']}")
            later = self.store.changed_after(operation)
            if later:
                shown = ", ".join(f"#{i}" for i in later[:10]) + (" …" if len(later) > 10 else "")
                raise Refused(
                    f"cannot undo {operation}: {len(later)} of its tickets changed after it ({shown}); "
                    "undo those later operations first, or change the tickets by hand"
                )
            recorded = self.store.operation_changes(operation)
            columns = set(self.store.ticket_columns())
            if not dry_run and self._changed_once(recorded):
                self._undo_in_place(operation, original["kind"], recorded, columns, outcome, progress)
            else:
                ids = list(recorded)
                done = 0
                with self.store.background_writes():
                    for chunk in chunks(ids):
                        changes = self._undo_chunk(operation, original["kind"], chunk, recorded, columns, outcome)
                        if not dry_run:
                            self.store.apply_many(changes)
                        done += len(chunk)
                        if progress is not None:
                            progress(done, len(ids))
            if dry_run:
                outcome.notifications = self.store.pending_notices(operation)
                return outcome
            outcome.notifications = self.store.withdraw_notices(operation, self.now_text)
            outcome.operation, recorded_at = self.store.stamp()
            self.store.insert_operation(
                {
                    "id": outcome.operation,
                    "kind": "undo",
                    "actor": self.actor.label,
                    "at": self.now_text,
                    "recorded_at": recorded_at,
                    "arguments": json.dumps(outcome.arguments, sort_keys=True),
                    "changed": len(outcome.changed),
                    "skipped": 0,
                    "undoes": operation,
                }
            )
            self.store.mark_undone(operation, outcome.operation)
        return outcome

    def _undo_chunk(
        self, operation: str, kind: str, chunk: list[int], recorded: dict[int, list[str]], columns: set[str], outcome: BulkOutcome
    ) -> list[TicketChange]:
        """The changes that put a chunk of an operation's tickets back (each added to
        `outcome.changed`); refused when one of them no longer has the values it left."""
        loads = json.loads
        # One event's changes (the usual case) need no combining.
        restores = {i: loads(texts[0]) if len(texts := recorded[i]) == 1 else combined_changes(texts) for i in chunk}
        named = {c for restore in restores.values() for c in restore}
        self._check_undo_columns(operation, named, columns)
        rows = self.store.tickets_by_ids(chunk, sorted(named | {"created_at", "updated_at"}))
        changes = []
        summary = self._undo_summary(operation, kind)
        for ticket_id in chunk:
            row, restore = rows[ticket_id], restores[ticket_id]
            drifted = [c for c, (_, after) in restore.items() if row[c] != after]
            if drifted:
                self._refuse_drifted(operation, ticket_id, drifted)
            values = {c: before for c, (before, _) in restore.items()}
            event, before, after = summary(restore)
            changes.append(self._change(row, values, [event]))
            outcome.changed.append({"id": ticket_id, "before": before, "after": after})
        return changes

    def _undo_in_place(
        self, operation: str, kind: str, recorded: dict[int, list[str]], columns: set[str], outcome: BulkOutcome, progress: Progress | None
    ) -> None:
        """Undo an operation that changed each of its tickets by one event: the store
        checks in SQL that every ticket still holds what the operation left and puts the
        values back in one UPDATE (a hundred thousand tickets planned one by one took a
        second more), running behind while the undo events are made here. Takes the
        tickets out of `recorded` as it goes (their texts freed while events queue up)."""
        loads = json.loads
        summary = self._undo_summary(operation, kind)
        named = self.store.changed_columns(operation)
        self._check_undo_columns(operation, set(named), columns)
        ids, done = list(recorded), 0
        with self.store.background_writes():
            # SQLite puts the tickets back while their undo events are made here.
            self.store.restore_before(operation, named, self.now_text)
            for chunk in chunks(ids):
                rows = []
                for ticket_id in chunk:
                    restore = loads(recorded.pop(ticket_id)[0])
                    event, before, after = summary(restore)
                    # The undo's own changes: every column back from what it was left at.
                    rows.append((ticket_id, {c: [left, was] for c, (was, left) in restore.items()}, event, 0))
                    outcome.changed.append({"id": ticket_id, "before": before, "after": after})
                self.store.insert_event_rows(rows)
                done += len(chunk)
                if progress is not None:
                    progress(done, len(ids))
        if not self.store.restored(len(ids)):
            # Some ticket does not hold what the operation left: say which and why.
            later, drifted = self.store.restore_conflicts(operation, named, self.now_text)
            if later is not None:
                self._check_order(later)
            if drifted is not None:
                self._refuse_drifted(operation, *drifted)
            raise Refused(f"cannot undo {operation}: some of its tickets changed after it; change them by hand")

    def _undo_summary(self, operation: str, kind: str) -> Callable[[dict[str, list[Any]]], tuple[Event, dict[str, Any], dict[str, Any]]]:
        """For a ticket's {column: [before, after]}: its undo event (ticket id left to the
        caller) and the shown columns before and after the undo. Tickets whose shown
        columns go back the same way share one event and details (the store encodes them
        once) and one summary."""
        now, actor = self.now_text, self.actor.label
        shared: dict[tuple[Any, ...], tuple[Event, dict[str, Any], dict[str, Any]]] = {}

        def summary(restore: dict[str, list[Any]]) -> tuple[Event, dict[str, Any], dict[str, Any]]:
            key = tuple((c, *restore[c]) for c in SHOWN_COLUMNS if c in restore)
            found = shared.get(key)
            if found is None:
                details: dict[str, Any] = {"undoes": operation, "action": kind}
                if key:
                    details["before"] = {c: after for c, _, after in key}
                    details["after"] = {c: before for c, before, _ in key}
                found = shared[key] = (Event("undo", now, actor, details), details.get("before", {}), details.get("after", {}))
            return found

        return summary

    @staticmethod
    def _changed_once(recorded: dict[int, list[str]]) -> bool:
        """Whether an operation changed each of its tickets by one event (the usual case,
        undone in place)."""
        return all(len(texts) == 1 for texts in recorded.values())

    @staticmethod
    def _check_undo_columns(operation: str, named: set[str], columns: set[str]) -> None:
        unknown = sorted(named - columns)
        if unknown:
            raise Refused(f"cannot undo {operation}: its events name columns this desk does not have ({', '.join(unknown)})")

    @staticmethod
    def _refuse_drifted(operation: str, ticket_id: int, drifted: list[str]) -> None:
        raise Refused(f"cannot undo {operation}: #{ticket_id} no longer has the values it left ({', '.join(drifted)}); change it by hand")

    def operations(self, limit: int | None = 20) -> list[dict[str, Any]]:
        """Recent operations (bulk changes and undos), newest first."""
        rows = self.store.operations(limit)
        return [row | {"arguments": json.loads(row["arguments"] or "{}")} for row in rows]

    # ---- helpers --------------------------------------------------------------------

    def _assignee(self, to: str) -> tuple[int | None, str | None]:
        """(agent id, login) of `assign --to`: `me`, a login, or `none`."""
        target = to.strip()
        if target.lower() in ("none", "nobody"):
            return None, None
        login = self.actor.name if target.lower() == "me" else target
        agent = self.store.agent_by_login(login)
        if agent is None or not agent["active"]:
            known = ", ".join(a["login"] for a in self.store.agents() if a["active"])
            raise NotFound(f"no agent {login!r}; agents of this desk: {known}")
        return agent["id"], login

