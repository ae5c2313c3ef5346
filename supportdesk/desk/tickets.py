"""Use cases of tickets: file, read, reply, assign, wait/resume, close, reopen, priority."""

from __future__ import annotations

import json
from dataclasses import field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from supportdesk.access import PUBLIC_EVENTS, public_events, public_ticket
from supportdesk.attachments import attachment_json
from supportdesk.desk.context import DeskContext
from supportdesk.errors import NotFound, Refused
from supportdesk.frozen import Record, record
from supportdesk.model import (
    ACTIVE_STATUSES,
    TRANSITIONS,
    Action,
    CloseReason,
    Event,
    Message,
    Status,
    TicketChange,
    TicketNotices,
    TicketRecord,
    event_json,
    message_json,
    ticket_json,
    transition,
)
from supportdesk.query import Filter, build_filter, check_names
from supportdesk.text import check_body, check_line
from supportdesk.timetext import from_utc_text

if TYPE_CHECKING:
    from collections.abc import Iterable

    from supportdesk.store import Store

# What closing needs to know of each ticket (every column it may change, with their
# previous values for the events): enough to read 10 000 of them quickly.
CLOSE_COLUMNS = (
    "status", "created_at", "updated_at", "first_response_at", "respond_by", "resolve_by", "due_at", "risk_at",
    "paused_at", "paused_seconds", "sla", "respond_breached_at", "resolve_breached_at", "resolved_at", "closed_at",
    "close_reason", "customer_id", "duplicate_of", "response_seconds", "resolution_seconds",
)


def notice_recipient(customer: dict[str, Any]) -> str:
    """Where a customer's (or reseller's) notices go: its support address, if it set one."""
    address = json.loads(customer.get("notify") or "{}").get("support") or customer["email"]
    return f"{customer['kind']}:{address}"


@record
class TicketDraft(Record):
    """What a user gives to file a ticket; defaults come from the policy."""

    subject: str
    body: str
    customer: str
    department: str | None = None
    priority: str | None = None
    channel: str | None = None
    category: str | None = None
    service: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    ref: int | None = None  # an earlier ticket this one follows up (`file --ref N`)
    attachments: tuple[Any, ...] = ()  # attachments.Upload: files to keep with it (`file --attach`)


def active_row(store: Store, ticket_id: int, column: str, new: Any, *, inactive: str, same: str) -> dict[str, Any]:
    """The row of a ticket whose `column` is to become `new`, read in the caller's
    transaction: refused when the ticket is no longer active (`inactive` says what to do)
    or when `column` is `new` already (`same` says what it is)."""
    row = store.ticket(ticket_id)
    if row["status"] not in [s.value for s in ACTIVE_STATUSES]:
        raise Refused(f"ticket #{ticket_id} is {row['status']}: {inactive}")
    if row[column] == new:
        raise Refused(f"ticket #{ticket_id} is already {same}")
    return row


class Tickets(DeskContext):
    """Filing, reading and working tickets."""

    def _row(self, ticket_id: int) -> dict[str, Any]:
        """A ticket's row, within the actor's scope (outside it: NotFound, as for a ticket
        that does not exist)."""
        return self.store.ticket(ticket_id, self.actor.scope)

    def _visible_row(self, ticket_id: int) -> dict[str, Any]:
        """A ticket's row; under a pinned past instant a ticket filed later does not exist yet."""
        row = self._row(ticket_id)
        if self.as_of is not None and row["created_at"] > self.as_of:
            raise NotFound(f"no ticket #{ticket_id} at {self._when(self.as_of)}: it was filed later, at {self._when(row['created_at'])}")
        return row

    def ticket(self, ticket_id: int) -> TicketRecord:
        """One ticket as JSON, with its description, messages and events."""
        row = self._visible_row(ticket_id)
        result = ticket_json(row)
        result["body"] = row["body"]
        result["messages"] = [message_json(m) for m in self.store.messages(ticket_id)]
        result["events"] = [event_json(e) for e in self.store.events(ticket_id)]
        result["required_fields"], result["missing_fields"] = self._required(result)
        # A note's attachments are as internal as the note.
        notes = set() if self.actor.is_agent else {m["id"] for m in result["messages"] if m["internal"]}
        result["attachments"] = [attachment_json(a) for a in self.store.attachments(ticket_id) if a["message_id"] not in notes]
        return result if self.actor.is_agent else public_ticket(result)

    def _required(self, ticket: dict[str, Any]) -> tuple[list[str], list[str]]:
        """The fields the ticket's department and priority ask for ("a|b": either), and
        those it lacks, under the policy in force."""
        try:
            specs = self.policy.department(ticket["department"]).required_fields(ticket["priority"])
        except StopIteration:  # a department a later policy dropped
            return [], []
        given = {k for k, v in (ticket["fields"] or {}).items() if str(v).strip()} | ({"service"} if ticket.get("service") else set())
        return list(specs), [spec for spec in specs if not set(spec.split("|")) & given]

    def filter(self, **options: Any) -> Filter:
        """A Filter from the text options of `list`/`close`, checked against the policy."""
        if not self.actor.is_agent and (options.get("assignee") is not None or options.get("sort") == "updated"):
            what = "by assignee" if options.get("assignee") is not None else "by when they were last updated"
            raise Refused(f"only the desk's agents may list tickets {what}; leave the option out")
        return build_filter(
            zone=self.policy.zone,
            now=self.now,
            priorities_known=self.policy.priority_names,
            departments_known=self.policy.department_names,
            agents_known=tuple(a["login"] for a in self.store.agents()) if options.get("assignee") else (),
            me=self.actor.name,
            as_of=self.as_of,
            scope=self.actor.scope,
            packages_known=tuple(p.name for p in self.policy.packages),
            **options,
        )

    def list_tickets(self, flt: Filter) -> tuple[list[dict[str, Any]], int]:
        """Tickets matching `flt` as JSON, and how many match in all."""
        if flt.scope != self.actor.scope:
            import dataclasses

            flt = dataclasses.replace(flt, scope=self.actor.scope)
        if not self.actor.is_agent and (flt.assignee or flt.unassigned or flt.sort == "updated"):
            raise Refused("only the desk's agents may list tickets by assignee or by when they were last updated")
        rows = self.store.find_tickets(flt)
        total = len(rows) if not flt.limit or len(rows) < flt.limit else self.store.count_tickets(flt)
        shape = ticket_json if self.actor.is_agent else (lambda row: public_ticket(ticket_json(row)))
        return [shape(r) for r in rows], total

    def log(self, ticket_id: int | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Events of one ticket, or the latest of the whole desk, oldest first."""
        if ticket_id is not None:
            self._visible_row(ticket_id)  # NotFound for a bad id, or one outside the actor's scope
        if self.actor.is_agent:
            return [event_json(e) for e in self.store.events(ticket_id, limit)]
        events = [event_json(e) for e in self.store.events(ticket_id, limit, self.actor.scope, kinds=PUBLIC_EVENTS)]
        return public_events(events)

    def _reopen_hint(self, ticket_id: int | str) -> str:
        """How a closed ticket can be taken up again, under the policy's reopen rule."""
        within = self.policy.reopen_within_days
        if within == 0:
            return f"This desk does not reopen tickets: file a new one referencing #{ticket_id}."
        if within is None:
            return "Reply to reopen it."
        return f"Reply within {within} days to reopen it; after that, file a new ticket referencing #{ticket_id}."

    def reply(self, ticket_id: int, text: str, *, internal: bool = False, attachments: tuple[Any, ...] = ()) -> TicketRecord:
        """Add a public reply (an agent's first one is the first response) or an internal
        note, with `attachments` (attachments.Upload); a reseller's or customer's reply
        resumes a pending ticket and reopens a finished one within the policy's reopen window."""
        body = check_body(text, "the message", max_bytes=self.policy.body_max_bytes)
        if internal:
            self._require_agent("add internal notes")
        uploads = self._checked_uploads(attachments)
        with self._transaction():
            row = self._row(ticket_id)
            change = self._reply_change(row, body, internal) if self.actor.is_agent else self._customer_reply_change(row, body)
            self.store.apply(change)
            message_id = self.store.latest_message_id(ticket_id)
            self._keep_uploads(ticket_id, message_id, uploads)
            if self.actor.is_agent and not internal:
                customer = self.store.customers_by_ids([row["customer_id"]])[row["customer_id"]]
                notice = self._customer_notice("reply", customer, ticket_id, subject=row["subject"], author=self.actor.name, body=body, message_id=message_id)
                self.store.insert_outbox([notice])
        return self.ticket(ticket_id)

    def _customer_reply_change(self, row: dict[str, Any], body: str) -> TicketChange:
        """A reply from the customer's side: on a pending ticket the desk's clock runs
        again; on a resolved or closed one it reopens the ticket, within the window."""
        from supportdesk import sla

        self._check_standing(row)
        self._check_order(row)
        values: dict[str, Any] = {}
        details: dict[str, Any] = {"internal": False, "length": len(body)}
        if row["status"] == Status.PENDING:
            values = {"status": Status.OPEN.value, "paused_at": None}
            values["paused_seconds"] = row["paused_seconds"] + sla.paused_open_seconds(self.calendars, row, row["paused_at"], self.now)
            values |= self._clock_values(row, **values)
            details |= {"before": {"status": row["status"]}, "after": {"status": Status.OPEN.value}, "resumed": True}
        elif row["status"] not in [s.value for s in ACTIVE_STATUSES]:
            reopened = self._reopen_change(row)
            values = reopened.values
            details |= {"before": {"status": row["status"]}, "after": {"status": Status.OPEN.value}, "reopened": True}
        message = Message(self.now_text, self.actor.label, body, False, row["channel"])
        event = self._event("customer_reply", details)
        return self._change(row, values, [event], [message])

    def _customer_notice(self, kind: str, to: dict[str, Any], ticket_id: int | None, *, stored: Any = None, **fields: Any) -> dict[str, Any]:
        """An outbox row telling a customer (or reseller) something, sent to its support
        address when it set one, with the values it is worded from when sent (`stored`:
        already as JSON, shared by a bulk change's notices)."""
        from supportdesk import notices

        subject, body = notices.render(kind, id=ticket_id, **fields)
        if stored is None:
            stored = notices.stored_fields(kind, fields | ({"to": to["id"]} if to.get("id") is not None else {}))
        return self._notice_row(ticket_id, kind, to.get("_recipient") or notice_recipient(to), subject, body, stored)

    def _notice_row(self, ticket_id: int | None, kind: str, recipient: str, subject: str, body: str, stored: str | None) -> dict[str, Any]:
        """An outbox row of a customer's notice, queued now, sent by e-mail."""
        return {
            "ticket_id": ticket_id, "kind": kind, "recipient": recipient, "channel": "email",
            "subject": subject, "body": body, "created_at": self.now_text, "fields": stored,
        }

    def _reply_change(self, row: dict[str, Any], body: str, internal: bool) -> TicketChange:
        from supportdesk import sla

        ticket_id = row["id"]
        now = self.now_text
        values: dict[str, Any] = {}
        if internal:
            event = self._event("note", {"internal": True, "length": len(body)})
        else:
            status = transition(ticket_id, row["status"], Action.RESPOND)
            details: dict[str, Any] = {"internal": False, "length": len(body)}
            if status != row["status"]:
                values["status"] = status.value
                details["before"] = {"status": row["status"]}
                details["after"] = {"status": status.value}
            if row["first_response_at"] is None:
                values["first_response_at"] = now
                details["first_response"] = True
                breached = sla.breaches(row, now, ["respond"])
                if breached:
                    values |= breached
                    details["breached"] = breached
                values |= self._clock_values(row, first_response_at=now, status=values.get("status", row["status"]))
                values |= sla.stopped_clocks(self.calendars, row, ["respond"], now)
            event = self._event("reply", details)
        message = Message(now, self.actor.label, body, internal, None if internal else row["channel"])
        return self._change(row, values, [event], [message])

    def _move(self, ticket_id: int, action: Action, kind: str) -> dict[str, Any]:
        from supportdesk import sla

        self._require_agent(f"{kind} tickets" if kind == "resume" else "put tickets on hold")
        with self._transaction():
            row = self._row(ticket_id)
            status = transition(ticket_id, row["status"], action)
            self._check_order(row)
            values: dict[str, Any] = {"status": status.value}
            if action is Action.WAIT:
                values["paused_at"] = self.now_text
                # The resolution clock stops here (its deadline is cleared until the
                # ticket resumes): a deadline already passed is settled as a breach now,
                # or a close while pending would never stamp it.
                values |= sla.breaches(row, self.now_text, ["resolve"])
            elif row["paused_at"] is not None:
                values["paused_at"] = None
                values["paused_seconds"] = row["paused_seconds"] + sla.paused_open_seconds(self.calendars, row, row["paused_at"], self.now)
            values |= self._clock_values(row, **values)
            details = {"before": {"status": row["status"], "resolve_by": row["resolve_by"]}, "after": {"status": status.value, "resolve_by": values["resolve_by"]}}
            if "paused_seconds" in values:
                details["paused_seconds"] = values["paused_seconds"] - row["paused_seconds"]
            if "resolve_breached_at" in values:
                details["breached"] = {"resolve_breached_at": values["resolve_breached_at"]}
            self.store.apply(self._change(row, values, [self._event(kind, details)]))
        return self.ticket(ticket_id)

    def wait(self, ticket_id: int) -> TicketRecord:
        """Put a ticket on hold, waiting on the customer: the resolution clock stops."""
        return self._move(ticket_id, Action.WAIT, "wait")

    def resume(self, ticket_id: int) -> TicketRecord:
        """Take a ticket off hold: the paused open time is added to its resolution deadline."""
        return self._move(ticket_id, Action.RESUME, "resume")

    def reopen(self, ticket_id: int) -> TicketRecord:
        """Reopen a resolved or closed ticket, within the policy's reopen window."""
        with self._transaction():
            row = self._row(ticket_id)
            self.store.apply(self._reopen_change(row))
        return self.ticket(ticket_id)

    def _check_standing(self, row: dict[str, Any]) -> None:
        """A reseller or customer may not take up a ticket the desk ended for abuse, nor
        reply at all while banned or suspended."""
        if self.actor.is_agent:
            return
        customer = self.store.customer_by_id(self.actor.id) if self.actor.id is not None else None
        if customer is not None and customer["status"] != "active":
            raise Refused(f"you ({self.actor.name}) are {customer['status']} from support; contact the desk's admins")
        if row["close_reason"] == "abuse":
            raise Refused(f"ticket #{row['id']} was closed for abuse and cannot be taken up again")

    def _reopen_change(self, row: dict[str, Any]) -> TicketChange:
        from supportdesk import sla

        self._check_standing(row)
        ticket_id = row["id"]
        transition(ticket_id, row["status"], Action.REOPEN)
        self._check_order(row)
        ended = row["closed_at"] or row["resolved_at"]
        within = self.policy.reopen_within_days
        if within is not None and ended is not None:
            ended_at = from_utc_text(ended)
            if within == 0 or self.now - ended_at > timedelta(days=within):
                rule = (
                    "this desk does not reopen tickets"
                    if within == 0
                    else f"this desk reopens tickets within {within} days and #{ticket_id} ended on {ended[:10]}"
                )
                raise Refused(f"{rule}; file a new ticket referencing #{ticket_id}")
        status = Status.OPEN
        event = self._event(
            "reopen",
            {
                "before": {
                    "status": row["status"],
                    "resolved_at": row["resolved_at"],
                    "closed_at": row["closed_at"],
                    "close_reason": row["close_reason"],
                },
                "after": {"status": status.value},
            },
        )
        values: dict[str, Any] = {
            "status": status.value,
            "resolved_at": None,
            "closed_at": None,
            "close_reason": None,
            "resolution_seconds": None,  # the resolution clock runs again
        }
        if ended is not None:
            values["paused_seconds"] = row["paused_seconds"] + sla.paused_open_seconds(self.calendars, row, ended, self.now)
        values |= self._clock_values(row, **values)
        return self._change(row, values, [event])

    def _close_plan(self, rows: list[dict[str, Any]], reason: CloseReason, of: int | None = None) -> tuple[list[TicketChange], list[dict[str, Any]], list[dict[str, Any]]]:
        """The changes that close `rows` for `reason`: (changes, a summary of each changed
        ticket {id, before, after}, the skipped ones {id, status, why}).

        A bulk close plans a hundred thousand tickets: the loop keeps what is the same for
        every ticket (the instant, the targets' names, the event's actor) out of it."""
        from supportdesk import sla

        action = Action.RESOLVE if reason is CloseReason.RESOLVED else Action.CLOSE
        targets = {status.value: target.value for status, target in TRANSITIONS[action].items()}
        now, actor, calendars, reason_text = self.now_text, self.actor.label, self.calendars, reason.value
        stop = sla.timestamp(now)
        resolved = Status.RESOLVED.value
        changes: list[TicketChange] = []
        changed: list[dict[str, Any]] = []
        skipped: list[dict[str, Any]] = []
        shared: dict[tuple[str, str], dict[str, Any]] = {}

        def details_for(before: str, target: str) -> dict[str, Any]:
            found = shared.get((before, target))
            if found is None:
                found = shared[(before, target)] = {"before": {"status": before}, "after": {"status": target}, "reason": reason_text} | (
                    {"of": of} if of is not None else {}
                )
            return found

        # The clocks a close stops: by (no first response yet, not resolved yet).
        clocks = {(r, s): ("respond",) * r + ("resolve",) * s for r in (False, True) for s in (False, True)}
        for row in rows:
            before = row["status"]
            target = targets.get(before)
            if target is None:
                skipped.append({"id": row["id"], "status": before, "why": f"already {before}"})
                continue
            values: dict[str, Any] = {"status": target, "due_at": None, "risk_at": None, "paused_at": None}
            timed = row
            if row["paused_at"] is not None:
                # The pause ends with the ticket: its open time counts as paused, so a
                # reopen later starts from the deadline the ticket had when it closed.
                values["paused_seconds"] = row["paused_seconds"] + sla.paused_open_seconds(calendars, row, row["paused_at"], self.now)
                timed = {**row, "paused_seconds": values["paused_seconds"]}
            stopped = clocks[(row["first_response_at"] is None, before != resolved)]
            breached = sla.breaches(row, now, stopped)
            values |= breached
            values |= sla.stopped_clocks(calendars, timed, stopped, now, stop=stop)
            if target == resolved:
                values["resolved_at"] = now
                values["close_reason"] = reason_text
            else:
                values["closed_at"] = now
                if before != resolved:
                    values["close_reason"] = reason_text
            if of is not None:
                values["duplicate_of"] = of
            if breached:
                details = {**details_for(before, target), "breached": breached}
            else:
                details = details_for(before, target)  # shared: the store encodes it once
            changes.append(self._change(row, values, [Event("close", now, actor, details, row["id"])]))
            changed.append({"id": row["id"], "before": before, "after": target})
        return changes, changed, skipped

    def _close_rows(self, rows: list[dict[str, Any]], reason: CloseReason, of: int | None = None) -> list[dict[str, Any]]:
        """Close rows at once, inside the caller's transaction, without telling the
        customers (the caller words that); returns a summary of each closed ticket."""
        changes, changed, _ = self._close_plan(rows, reason, of)
        self.store.apply_many(changes)
        return changed

    def _read_recipients(self, rows: Iterable[dict[str, Any]], recipients: dict[int, str]) -> dict[int, str]:
        """`recipients` ({customer id: recipient}) with those of the rows' customers it lacks read."""
        missing = {r["customer_id"] for r in rows} - recipients.keys()
        if missing:
            recipients.update((i, notice_recipient(c)) for i, c in self.store.customers_by_ids(sorted(missing)).items())
        return recipients

    def _closed_notices(
        self, rows: list[dict[str, Any]], reason: CloseReason, of: int | None, recipients: dict[int, str] | None = None
    ) -> TicketNotices:
        """Tell each customer their ticket was closed, why, and how to take it up again:
        worded once, the store puts in each ticket's number and subject. `recipients`
        ({customer id: recipient}) is filled as customers are read: a bulk close passes
        the same one for each chunk of its tickets."""
        from supportdesk import notices

        recipients = self._read_recipients(rows, {} if recipients is None else recipients)
        words = {CloseReason.RESOLVED: "resolved", CloseReason.DUPLICATE: f"a duplicate of #{of}" if of else "a duplicate"}
        reason_text = words.get(reason, reason.value.replace("-", " "))
        subject, body = notices.render_for_many("closed", reason=reason_text, reopen=self._reopen_hint(notices.TICKET_MARKS["id"]))
        return TicketNotices(
            "closed",
            "email",
            [r["id"] for r in rows],
            {r["customer_id"]: recipients[r["customer_id"]] for r in rows},
            subject,
            body,
            notices.stored_fields("closed", {"close_reason": reason.value, "of": of}),
            self.now_text,
        )

    def set_priority(self, ticket_id: int, priority: str, reason: str = "") -> dict[str, Any]:
        """Change a ticket's priority; its deadlines are recomputed in the same transaction."""
        self._require_agent("change priorities")
        name = check_names("priority", (priority,), self.policy.priority_names)[0]
        reason = check_line(reason, "--reason", required=False)
        with self._transaction():
            row = active_row(self.store, ticket_id, "priority", name, inactive="its priority no longer matters; reopen it first", same=name)
            values = {"priority": name} | self._clock_values(row, priority=name)
            events = [
                self._event("priority", {"before": {"priority": row["priority"]}, "after": {"priority": name}, "reason": reason.strip()}),
                self._deadline_event(values, f"priority {row['priority']} → {name}", row),
            ]
            self.store.apply(self._change(row, values, events))
        return self.ticket(ticket_id)

    def explain(self, ticket_id: int) -> dict[str, Any]:
        """The ticket's clocks as a timeline replayed from its events."""
        from supportdesk import sla

        self._require_agent("read the SLA clocks")
        row = self._row(ticket_id)
        events = [event_json(e) for e in self.store.events(ticket_id)]
        return sla.explain(self.calendars, row, events, self.now) | {"subject": row["subject"], "status": row["status"], "priority": row["priority"]}
