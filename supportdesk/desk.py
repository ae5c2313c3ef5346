"""The desk service: one method per use case. Returns plain data; never prints.

Every method validates first, then hands the store its changes inside one transaction,
so a refused call leaves the desk exactly as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from supportdesk import sla
from supportdesk.config import DeskLocation
from supportdesk.errors import InvalidInput, NotFound, Refused
from supportdesk.model import (
    ACTIVE_STATUSES,
    Action,
    Actor,
    CloseReason,
    Event,
    Message,
    Status,
    TicketChange,
    event_json,
    message_json,
    next_status,
    ticket_json,
    transition,
)
from supportdesk.policy import Policy, load_policy, policy_digest
from supportdesk.query import Filter, build_filter, check_email, check_names
from supportdesk.store import Store
from supportdesk.text import check_body, check_fields, check_line
from supportdesk.timetext import format_local, from_utc_text, parse_instant, to_utc_text

AGENT_ROLES = ("admin", "engineer")
# What closing needs to know of each ticket (every column it may change, with their
# previous values for the events): enough to read 10 000 of them quickly.
CLOSE_COLUMNS = (
    "status", "created_at", "updated_at", "first_response_at", "respond_by", "resolve_by", "due_at", "risk_at",
    "paused_at", "paused_seconds", "sla", "respond_breached_at", "resolve_breached_at", "resolved_at", "closed_at",
    "close_reason",
)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class TicketDraft:
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


@dataclass
class CloseOutcome:
    """What a bulk close did (or, with dry_run, would do)."""

    reason: str
    dry_run: bool
    changed: list[dict[str, Any]] = field(default_factory=list)  # id, before, after
    skipped: list[dict[str, Any]] = field(default_factory=list)  # id, status, why

    def to_json(self) -> dict[str, Any]:
        """The stable JSON summary scripts read."""
        return {
            "reason": self.reason,
            "dry_run": self.dry_run,
            "changed": len(self.changed),
            "skipped": len(self.skipped),
            "tickets": self.changed,
            "skipped_tickets": self.skipped,
        }


def resolve_now(now_text: str | None, policy: Policy, clock: datetime) -> datetime:
    """The instant a command acts at: `--now` read in the desk's zone, else the clock."""
    if not now_text:
        return clock
    try:
        return parse_instant(now_text, policy.zone, clock)
    except InvalidInput as error:
        raise InvalidInput(f"--now: {error}") from None


@dataclass
class TimeDesk:
    """The time questions of a policy (calendars, on-call) as of one instant."""

    policy: Policy
    now: datetime
    overrides: tuple[Any, ...] = ()

    def calendar(self, name: str | None = None):
        """A compiled calendar of the policy (the office calendar when unnamed)."""
        return self.policy.calendar(name)

    def instant(self, text: str | None) -> datetime:
        """An instant given by the user, read in the desk's zone; `now` when absent."""
        if text is None:
            return self.now
        return parse_instant(text, self.policy.zone, self.now)

    def oncall(self):
        """The policy's on-call layers with the desk's overrides."""
        if not self.policy.layers:
            raise NotFound(
                "this policy defines no on-call; add [rotations.NAME] and [[oncall]] layers to it"
            )
        return self.policy.oncall(self.overrides)


class _StoredHolidays:
    """The desk's holiday cache, as the clock asks for it."""

    def __init__(self, store: Store):
        self.store = store

    def get(self, rule: Any, year: int) -> Any:
        from supportdesk.clock import YearHolidays

        data = self.store.cached_holidays(rule.country, rule.subdivision, year)
        return YearHolidays.from_json(data) if data is not None else None


@dataclass
class Triage:
    """The queue in breach order, with its counts and who is on call."""

    rows: list[dict[str, Any]]
    counts: dict[str, int]
    duties: list[Any]
    now: datetime

    def to_json(self) -> dict[str, Any]:
        """The stable JSON form: rows, counts and the on-call block."""
        return {
            "at": to_utc_text(self.now),
            "counts": self.counts,
            "on_call": [d.to_json() for d in self.duties],
            "tickets": self.rows,
        }


@dataclass
class _Staffing:
    """Who is on duty at each escalation level, the desk's agents, and their open tickets."""

    levels: list[tuple[str, tuple[str, ...]]]  # (level name, people on duty)
    agents: dict[str, dict[str, Any]]  # active agents by login
    load: dict[str, int]  # open tickets per login

    def pick(self, people: tuple[str, ...]) -> dict[str, Any] | None:
        """The agent among `people` with the fewest open tickets (the first on a tie)."""
        candidates = [self.agents[p] for p in people if p in self.agents]
        if not candidates:
            return None
        chosen = min(candidates, key=lambda a: (self.load.get(a["login"], 0), people.index(a["login"])))
        self.load[chosen["login"]] = self.load.get(chosen["login"], 0) + 1
        return chosen


class Desk:
    """An open desk acting for one actor at one instant.

    With a `clock` and no pinned instant (no `--now`), a write takes its instant from the
    clock once it holds the write lock, so writers queued behind each other write history
    in order. A pinned instant (`--now`) stays fixed, and a write with it is refused where
    it would land before a ticket's last event.
    """

    def __init__(
        self,
        store: Store,
        policy: Policy,
        actor: Actor,
        now: datetime,
        policy_version: int | None = None,
        *,
        clock: Clock | None = None,
        pinned: bool = True,
    ):
        self.store = store
        self.policy = policy
        self.actor = actor
        self._clock = clock
        self.pinned = pinned or clock is None
        self._set_now(now)
        self._policy_version = policy_version
        self.created = False  # True when opening made a new default desk
        store.on_begin = self._began
        current = policy.__dict__.get("_holiday_cache")
        if not (isinstance(current, _StoredHolidays) and current.store is store):
            policy.use_holiday_cache(_StoredHolidays(store))

    def _set_now(self, now: datetime) -> None:
        self.now = now.astimezone(UTC).replace(microsecond=0)
        self.now_text = to_utc_text(self.now)

    def _began(self) -> tuple[str, str | None]:
        """The write lock is held: take the instant (unless pinned) and name the operation."""
        import secrets

        real = self._clock().astimezone(UTC).replace(microsecond=0) if self._clock else None
        if real is not None and not self.pinned:
            self._set_now(real)
        stamp = real or self.now
        return f"{stamp:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}", to_utc_text(real) if real else None

    @property
    def as_of(self) -> str | None:
        """Under a pinned instant, views leave out what was filed after it."""
        return self.now_text if self.pinned else None

    def _when(self, text: str) -> str:
        return format_local(from_utc_text(text), self.policy.zone)

    def _check_order(self, row: dict[str, Any]) -> None:
        """Refuse a write that would land before the ticket was filed or last changed."""
        last = max(row["created_at"], row.get("updated_at") or row["created_at"])
        if self.now_text < last:
            what = "was filed" if last == row["created_at"] else "last changed"
            raise Refused(
                f"ticket #{row['id']} {what} at {self._when(last)}, after the instant of this change "
                f"({self._when(self.now_text)}); history stays in order: use a later --now, or none"
            )

    def _change(self, row: dict[str, Any], values: dict[str, Any], events: list[Event], messages: list[Message] | None = None) -> TicketChange:
        """A change to a stored ticket at the desk's instant, checked to keep history in order."""
        self._check_order(row)
        return TicketChange(row["id"], values | {"updated_at": self.now_text}, events, messages or [], before=row)

    @property
    def policy_version_id(self) -> int:
        """The number of the policy version in force."""
        if self._policy_version is None:
            row = self.store.latest_policy()
            self._policy_version = row["id"] if row else 0
        return self._policy_version

    def _missing_holidays(self, policy: Policy) -> list[tuple[Any, int, Any]]:
        """The holidays around now that the desk's cache lacks, computed (python-holidays
        takes a tenth of a second or more, so this runs before any write lock)."""
        from supportdesk.clock import compute_holidays

        # A calendar asked about year Y reads Y-2 … Y+1: cover that around now.
        years = range(self.now.year - 2, self.now.year + 4)
        found: list[tuple[Any, int, Any]] = []
        for rule in policy.holiday_rules:
            missing = [y for y in years if self.store.cached_holidays(rule.country, rule.subdivision, y) is None]
            if missing:
                found += [(rule, year, days) for year, days in compute_holidays(rule, missing).items()]
        return found

    def _cache_holidays(self, found: list[tuple[Any, int, Any]]) -> None:
        """Keep computed holidays in the desk (inside the use case's transaction, so a
        refused command leaves the file as it was; writing a year twice is harmless)."""
        for rule, year, days in found:
            self.store.cache_holidays(rule.country, rule.subdivision, year, days.to_json())

    # ---- opening ---------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        location: DeskLocation,
        *,
        login: str,
        clock: Clock,
        now_text: str | None = None,
    ) -> Desk:
        """Open the desk at `location` (creating the default desk on first use)."""
        if not location.explicit and not location.path.exists():
            desk = cls.create(location.path, login=login, clock=clock, now_text=now_text)
            desk.created = True
            return desk
        store = Store.open(location.path)
        try:
            policy_row = store.latest_policy()
            if policy_row is None:
                raise InvalidInput(f"the desk {location.path} has no policy; apply one with `supportdesk policy apply FILE`")
            policy = load_policy(policy_row["toml"], f"policy version {policy_row['id']}", verify_holidays=False)
            now = resolve_now(now_text, policy, clock())
            agent = store.agent_by_login(login)
            if agent is None or not agent["active"]:
                raise Refused(
                    f"you ({login}) are not an agent of the desk {location.path}; "
                    f"an admin can add you with `supportdesk agent add {login}`"
                )
            actor = Actor("agent", login, agent["id"], agent["role"])
        except BaseException:
            store.close()
            raise
        return cls(store, policy, actor, now, policy_row["id"], clock=clock, pinned=bool(now_text))

    @classmethod
    def create(
        cls,
        path: Path,
        *,
        login: str,
        clock: Clock,
        now_text: str | None = None,
        policy_text: str | None = None,
        policy_source: str = "default",
    ) -> Desk:
        """Create a desk with a policy (the default one if none) and its first admin; the
        file appears at `path` only once it is complete."""
        from supportdesk.policy import DEFAULT_POLICY_PATH

        if policy_text is None:
            policy_text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
        policy = load_policy(policy_text, policy_source)
        now = resolve_now(now_text, policy, clock())
        store = Store.create(path, publish=False)
        try:
            store.on_begin = lambda: (None, to_utc_text(clock()))
            with store.transaction():
                agent_id = store.insert_agent(
                    {"login": login, "name": login, "role": "admin", "created_at": to_utc_text(now)}
                )
                actor = Actor("agent", login, agent_id, "admin")
                version = store.insert_policy_version(
                    {
                        "applied_at": to_utc_text(now),
                        "applied_by": actor.label,
                        "source": policy_source,
                        "sha256": policy_digest(policy_text),
                        "toml": policy_text,
                    }
                )
                store.insert_events(
                    [
                        Event(
                            "desk_created",
                            to_utc_text(now),
                            actor.label,
                            {"policy_version": version, "policy_source": policy_source},
                        )
                    ]
                )
                desk = cls(store, policy, actor, now, version, clock=clock, pinned=bool(now_text))
                desk._cache_holidays(desk._missing_holidays(policy))
            store.publish()
        except BaseException:
            store.discard()
            raise
        return desk


    def close(self) -> None:
        """Release the desk file."""
        self.store.close()

    # ---- reading ---------------------------------------------------------------------

    def _visible_row(self, ticket_id: int) -> dict[str, Any]:
        """A ticket's row; under a pinned past instant a ticket filed later does not exist yet."""
        row = self.store.ticket(ticket_id)
        if self.as_of is not None and row["created_at"] > self.as_of:
            raise NotFound(f"no ticket #{ticket_id} at {self._when(self.as_of)}: it was filed later, at {self._when(row['created_at'])}")
        return row

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        """One ticket as JSON, with its description, messages and events."""
        row = self._visible_row(ticket_id)
        result = ticket_json(row)
        result["body"] = row["body"]
        result["messages"] = [message_json(m) for m in self.store.messages(ticket_id)]
        result["events"] = [event_json(e) for e in self.store.events(ticket_id)]
        return result

    def filter(self, **options: Any) -> Filter:
        """A Filter from the text options of `list`/`close`, checked against the policy."""
        return build_filter(
            zone=self.policy.zone,
            now=self.now,
            priorities_known=self.policy.priority_names,
            departments_known=self.policy.department_names,
            agents_known=tuple(a["login"] for a in self.store.agents()) if options.get("assignee") else (),
            me=self.actor.name,
            as_of=self.as_of,
            **options,
        )

    def list_tickets(self, flt: Filter) -> tuple[list[dict[str, Any]], int]:
        """Tickets matching `flt` as JSON, and how many match in all."""
        rows = self.store.find_tickets(flt)
        total = len(rows) if not flt.limit or len(rows) < flt.limit else self.store.count_tickets(flt)
        return [ticket_json(r) for r in rows], total

    def log(self, ticket_id: int | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Events of one ticket, or the latest of the whole desk, oldest first."""
        if ticket_id is not None:
            self._visible_row(ticket_id)  # NotFound for a bad id
        return [event_json(e) for e in self.store.events(ticket_id, limit)]

    def agents(self) -> list[dict[str, Any]]:
        """The desk's agents."""
        return [
            {k: a[k] for k in ("login", "name", "email", "role")} | {"active": bool(a["active"])}
            for a in self.store.agents()
        ]

    # ---- helpers ---------------------------------------------------------------------

    def _event(self, kind: str, details: dict[str, Any], ticket_id: int | None = None) -> Event:
        return Event(kind, self.now_text, self.actor.label, details, ticket_id)

    def _clock_values(self, row: dict[str, Any], **changes: Any) -> dict[str, Any]:
        """The deadline columns of a ticket row after `changes`, under the desk's policy."""
        return sla.plan_for_row(self.policy, row, self.now, **changes) | {"policy_version": self.policy_version_id}

    def _deadline_event(self, values: dict[str, Any], reason: str, before: dict[str, Any] | None = None, ticket_id: int | None = None) -> Event:
        """An event saying which targets apply, where they come from, and the deadlines."""
        details: dict[str, Any] = {
            "reason": reason,
            "sla": json.loads(values["sla"]),
            "after": {"respond_by": values["respond_by"], "resolve_by": values["resolve_by"]},
        }
        if before is not None:
            details["before"] = {"respond_by": before["respond_by"], "resolve_by": before["resolve_by"]}
        return self._event("deadlines", details, ticket_id)

    def _recompute(
        self,
        rows: list[dict[str, Any]],
        reason: str,
        policy: Policy | None = None,
        planned: dict[int, tuple[str, dict[str, Any]]] | None = None,
        restamp: bool = False,
    ) -> list[TicketChange]:
        """Changes that bring open tickets' deadlines in line with the policy (only those
        that move). `planned` holds deadlines worked out earlier, by ticket id with the
        `updated_at` they were worked out from; they are used while still current."""
        policy = policy or self.policy
        planned = planned or {}
        changes = []
        for row in rows:
            known = planned.get(row["id"])
            fresh = known[1] if known and known[0] == row["updated_at"] else sla.plan_for_row(policy, row, self.now)
            values = fresh | {"policy_version": self.policy_version_id}
            # Only tickets whose deadlines move change (and get an event); the others keep
            # the policy version their deadlines came from.
            keys = ("respond_by", "resolve_by", "due_at", "risk_at", "priority_rank", "sla")
            # With `restamp` (an input such as the package changed) a ticket also moves to
            # the version in force, so that its version still says where its deadlines came from.
            stale = restamp and row.get("policy_version") != values["policy_version"]
            if all(values[k] == row.get(k) for k in keys) and not stale:
                continue
            changes.append(self._change(row, values, [self._deadline_event(values, reason, row, row["id"])]))
        return changes

    def _staffing(self) -> _Staffing:
        """Who answers each escalation level now, the agents, and their open tickets:
        read once per use case, however many tickets it touches."""
        duties = {d.layer: d for d in self.time().oncall().at(self.now)} if self.policy.layers else {}

        def on_duty(layers: tuple[str, ...] | None) -> tuple[str, ...]:
            names = layers if layers is not None else tuple(duties)
            return next((duties[n].people for n in names if n in duties and duties[n].active and duties[n].people), ())

        if self.policy.escalation:
            levels = [(level.name, on_duty(level.layers)) for level in self.policy.escalation]
        else:
            levels = [("on-call", on_duty(None))]
        agents = {a["login"]: a for a in self.store.agents() if a["active"]}
        return _Staffing(levels, agents, self.store.open_load())

    def _notice(self, row: dict[str, Any], kind: str, recipient: str, channel: str, subject: str, body: str) -> dict[str, Any]:
        return {
            "ticket_id": row["id"], "kind": kind, "recipient": recipient, "channel": channel,
            "subject": f"[#{row['id']}] {subject}", "body": body, "created_at": self.now_text,
        }

    def _page(self, row: dict[str, Any]) -> None:
        """Notify the person on duty at once about an urgent ticket filed out of hours."""
        level, people = self._staffing().levels[0]
        notices = [
            self._notice(
                row, "page", f"agent:{person}", self.policy.page_channel, f"{row['priority']} ticket out of hours: {row['subject']}",
                f"{row['customer']} filed #{row['id']} ({row['priority']}) at {row['created_at']}; respond by {row['respond_by']}. "
                f"`supportdesk show {row['id']}`",
            )
            for person in people
        ]
        self.store.insert_outbox(notices)
        self.store.insert_events([self._event("page", {"to": list(people), "level": level, "channel": self.policy.page_channel}, row["id"])])

    def _require_admin(self, what: str) -> None:
        if self.actor.role != "admin":
            raise Refused(f"only an admin may {what}; you ({self.actor.name}) are an {self.actor.role}")

    # ---- use cases -------------------------------------------------------------------

    def file_ticket(self, draft: TicketDraft) -> dict[str, Any]:
        """File a ticket for a customer (created on first contact); returns the ticket."""
        from supportdesk.text import SUBJECT_MAX

        subject = check_line(draft.subject, "the subject", limit=SUBJECT_MAX)
        body = check_body(draft.body, "the body", max_bytes=self.policy.body_max_bytes)
        fields = check_fields(draft.fields)
        category = check_line(draft.category, "--category", limit=100) if draft.category is not None else None
        service = check_line(draft.service, "--service", limit=200) if draft.service is not None else None
        email = check_email(draft.customer)
        policy = self.policy
        priority = check_names("priority", (draft.priority or policy.default_priority,), policy.priority_names)[0]
        department = check_names("department", (draft.department or policy.default_department,), policy.department_names)[0]
        channel = check_names("channel", (draft.channel or policy.default_channel,), policy.channel_names)[0]
        with self.store.transaction():
            now = self.now_text
            customer = self.store.customer_by_email(email)
            if customer is None:
                customer_id = self.store.insert_customer({"email": email, "created_at": now})
            else:
                customer_id = customer["id"]
            deadlines = sla.plan(
                policy,
                priority=priority,
                channel=channel,
                package=customer["package"] if customer else None,
                created_at=self.now,
            )
            values = {
                "subject": subject,
                "body": body,
                "status": Status.NEW.value,
                "priority": priority,
                "department": department,
                "channel": channel,
                "category": category,
                "service": service,
                "customer_id": customer_id,
                "fields": json.dumps(fields, ensure_ascii=False, sort_keys=True),
                "flags": "[]",
                "created_at": now,
                "updated_at": now,
                "policy_version": self.policy_version_id,
            } | sla.ticket_values(deadlines, responded=False, active=True, rank=policy.priority(priority).rank)
            event = self._event(
                "filed",
                {
                    "after": {
                        "status": Status.NEW.value,
                        "priority": priority,
                        "department": department,
                        "channel": channel,
                        "customer": email,
                    },
                    "new_customer": customer is None,
                },
            )
            ticket_id = self.store.apply(TicketChange(None, values, [event, self._deadline_event(values, "filed")]))
            if deadlines.outside_office_hours and policy.priority(priority).page_on_call:
                self._page(self.store.ticket(ticket_id))
        return self.ticket(ticket_id)

    def reply(self, ticket_id: int, text: str, *, internal: bool = False) -> dict[str, Any]:
        """Add a public reply (the first one is the first response) or an internal note."""
        body = check_body(text, "the message", max_bytes=self.policy.body_max_bytes)
        with self.store.transaction():
            row = self.store.ticket(ticket_id)
            self.store.apply(self._reply_change(row, body, internal))
        return self.ticket(ticket_id)

    def _reply_change(self, row: dict[str, Any], body: str, internal: bool) -> TicketChange:
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
                if row["respond_by"] and row["respond_by"] < now:
                    values["respond_breached_at"] = row["respond_by"]
                    details["breached"] = {"respond_by": row["respond_by"]}
                values |= self._clock_values(row, first_response_at=now, status=values.get("status", row["status"]))
            event = self._event("reply", details)
        message = Message(now, self.actor.label, body, internal, None if internal else row["channel"])
        return self._change(row, values, [event], [message])

    def assign(self, ticket_id: int, to: str) -> dict[str, Any]:
        """Give a ticket to an agent (`me`, a login, or `none` to unassign)."""
        with self.store.transaction():
            row = self.store.ticket(ticket_id)
            self.store.apply(self._assign_change(row, to))
        return self.ticket(ticket_id)

    def _assign_change(self, row: dict[str, Any], to: str) -> TicketChange:
        ticket_id = row["id"]
        if row["status"] == Status.CLOSED:
            raise Refused(f"ticket #{ticket_id} is closed: cannot assign it; reopen it first with `supportdesk reopen {ticket_id}`")
        target = to.strip()
        if target.lower() in ("none", "nobody"):
            agent_id, login = None, None
        else:
            login = self.actor.name if target.lower() == "me" else target
            agent = self.store.agent_by_login(login)
            if agent is None or not agent["active"]:
                known = ", ".join(a["login"] for a in self.store.agents() if a["active"])
                raise NotFound(f"no agent {login!r}; agents of this desk: {known}")
            agent_id = agent["id"]
        if row["assignee_id"] == agent_id:
            raise Refused(f"ticket #{ticket_id} is already assigned to {login or 'nobody'}")
        event = self._event("assign", {"before": {"assignee": row["assignee"]}, "after": {"assignee": login}})
        return self._change(row, {"assignee_id": agent_id}, [event])

    def _move(self, ticket_id: int, action: Action, kind: str) -> dict[str, Any]:
        with self.store.transaction():
            row = self.store.ticket(ticket_id)
            status = transition(ticket_id, row["status"], action)
            self._check_order(row)
            values: dict[str, Any] = {"status": status.value}
            if action is Action.WAIT:
                values["paused_at"] = self.now_text
            elif row["paused_at"] is not None:
                values["paused_at"] = None
                values["paused_seconds"] = row["paused_seconds"] + sla.paused_open_seconds(self.policy, row, row["paused_at"], self.now)
            values |= self._clock_values(row, **values)
            details = {"before": {"status": row["status"], "resolve_by": row["resolve_by"]}, "after": {"status": status.value, "resolve_by": values["resolve_by"]}}
            if "paused_seconds" in values:
                details["paused_seconds"] = values["paused_seconds"] - row["paused_seconds"]
            self.store.apply(self._change(row, values, [self._event(kind, details)]))
        return self.ticket(ticket_id)

    def wait(self, ticket_id: int) -> dict[str, Any]:
        """Put a ticket on hold, waiting on the customer: the resolution clock stops."""
        return self._move(ticket_id, Action.WAIT, "wait")

    def resume(self, ticket_id: int) -> dict[str, Any]:
        """Take a ticket off hold: the paused open time is added to its resolution deadline."""
        return self._move(ticket_id, Action.RESUME, "resume")

    def reopen(self, ticket_id: int) -> dict[str, Any]:
        """Reopen a resolved or closed ticket, within the policy's reopen window."""
        with self.store.transaction():
            row = self.store.ticket(ticket_id)
            self.store.apply(self._reopen_change(row))
        return self.ticket(ticket_id)

    def _reopen_change(self, row: dict[str, Any]) -> TicketChange:
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
        }
        if ended is not None:
            values["paused_seconds"] = row["paused_seconds"] + sla.paused_open_seconds(self.policy, row, ended, self.now)
        values |= self._clock_values(row, **values)
        return self._change(row, values, [event])

    def close_tickets(
        self, ids: list[int], reason: CloseReason, *, dry_run: bool = False
    ) -> CloseOutcome:
        """Close tickets by id in one transaction; unknown ids refuse the whole batch."""
        unique = list(dict.fromkeys(ids))
        if not unique:
            raise InvalidInput("no tickets to close; give ids, --stdin, or filters such as --status")
        with self._writing(dry_run):
            rows = self.store.tickets_by_ids(unique, CLOSE_COLUMNS)
            missing = [i for i in unique if i not in rows]
            if missing:
                shown = ", ".join(f"#{i}" for i in missing[:10]) + (" …" if len(missing) > 10 else "")
                raise NotFound(f"{len(missing)} of the tickets do not exist ({shown}); nothing was closed")
            return self._close_rows([rows[i] for i in unique], reason, dry_run)

    def close_matching(self, flt: Filter, reason: CloseReason, *, dry_run: bool = False) -> CloseOutcome:
        """Close every ticket a filter matches, in one transaction."""
        if flt.is_empty:
            raise InvalidInput("refusing to close every ticket; narrow it with filters such as --status or --created-before")
        with self._writing(dry_run):
            return self._close_rows(self.store.find_tickets(flt), reason, dry_run)

    def _writing(self, dry_run: bool):
        from contextlib import nullcontext

        return nullcontext() if dry_run else self.store.transaction()

    def _close_rows(self, rows: list[dict[str, Any]], reason: CloseReason, dry_run: bool) -> CloseOutcome:
        outcome = CloseOutcome(reason=reason.value, dry_run=dry_run)
        action = Action.RESOLVE if reason is CloseReason.RESOLVED else Action.CLOSE
        now = self.now_text
        changes: list[TicketChange] = []
        for row in rows:
            before = row["status"]
            target = next_status(before, action)
            if target is None:
                outcome.skipped.append({"id": row["id"], "status": before, "why": f"already {before}"})
                continue
            self._check_order(row)
            values: dict[str, Any] = {"status": target.value, "due_at": None, "risk_at": None, "paused_at": None}
            if row["paused_at"] is not None:
                # The pause ends with the ticket: its open time counts as paused, so a
                # reopen later starts from the deadline the ticket had when it closed.
                values["paused_seconds"] = row["paused_seconds"] + sla.paused_open_seconds(self.policy, row, row["paused_at"], self.now)
            if row["first_response_at"] is None and row["respond_by"] and row["respond_by"] < now and not row["respond_breached_at"]:
                values["respond_breached_at"] = row["respond_by"]
            if row["resolve_by"] and row["resolve_by"] < now and not row["resolve_breached_at"] and before != Status.RESOLVED:
                values["resolve_breached_at"] = row["resolve_by"]
            if target is Status.RESOLVED:
                values |= {"resolved_at": now, "close_reason": reason.value}
            else:
                values["closed_at"] = now
                if before != Status.RESOLVED:
                    values["close_reason"] = reason.value
            details: dict[str, Any] = {"before": {"status": before}, "after": {"status": target.value}, "reason": reason.value}
            breached = {k: values[k] for k in ("respond_breached_at", "resolve_breached_at") if k in values}
            if breached:
                details["breached"] = breached
            event = self._event("close", details, row["id"])
            changes.append(self._change(row, values, [event]))
            outcome.changed.append({"id": row["id"], "before": before, "after": target.value})
        if changes and not dry_run:
            self.store.apply_many(changes)
        return outcome

    # ---- the policy ------------------------------------------------------------------

    def policy_versions(self) -> list[dict[str, Any]]:
        """Every version of the desk's policy, oldest first."""
        return self.store.policy_versions()

    def policy_version(self, version: int | None = None) -> dict[str, Any]:
        """A stored policy version (the one in force when unnamed), with its text."""
        if version is None:
            row = self.store.latest_policy()
            assert row is not None
            return row
        return self.store.policy_version(version)

    def apply_policy(self, text: str, source: str) -> dict[str, Any]:
        """Validate a policy, store it as the desk's new version and recompute the open
        tickets' deadlines under it, in one transaction (admins only)."""
        self._require_admin("apply a policy")
        policy = load_policy(text, source)
        policy.use_holiday_cache(_StoredHolidays(self.store))
        digest = policy_digest(text)
        # The expensive part — holidays and every open ticket's new deadlines — is worked
        # out before the write lock; inside it only tickets changed meanwhile are redone.
        holidays = self._missing_holidays(policy)
        known = (set(policy.priority_names), set(policy.channel_names))
        planned = {
            r["id"]: (r["updated_at"], sla.plan_for_row(policy, r, self.now))
            for r in self.store.active_tickets()
            if r["priority"] in known[0] and r["channel"] in known[1]  # else refused below
        }
        with self.store.transaction():
            current = self.store.latest_policy()
            if current is not None and current["sha256"] == digest:
                return {"version": current["id"], "changed": False, "name": policy.name, "recomputed": 0}
            usage = self.store.active_usage()
            for what, known in (("priority", policy.priority_names), ("department", policy.department_names), ("channel", policy.channel_names)):
                lost = {name: n for name, n in usage[what].items() if name not in known}
                if lost:
                    listed = ", ".join(f"{name} ({n} open)" for name, n in sorted(lost.items()))
                    raise Refused(f"the new policy has no {what} {listed}; keep it in the policy or move those tickets first")
            version = self.store.insert_policy_version(
                {"applied_at": self.now_text, "applied_by": self.actor.label, "source": source, "sha256": digest, "toml": text}
            )
            self._cache_holidays(holidays)
            self._policy_version = version
            changes = self._recompute(self.store.active_tickets(), f"policy version {version}", policy, planned)
            self.store.apply_many(changes)
            self.store.insert_events(
                [self._event("policy_applied", {"version": version, "source": source, "recomputed": len(changes), "before": {"version": current["id"] if current else None}, "after": {"version": version}})]
            )
        self.policy = policy
        return {"version": version, "changed": True, "name": policy.name, "recomputed": len(changes)}

    # ---- on-call ---------------------------------------------------------------------

    def time(self) -> TimeDesk:
        """Calendars and on-call of this desk's policy, with its overrides."""
        from supportdesk.oncall import Override

        overrides = tuple(
            Override(
                r["layer"], r["person"], from_utc_text(r["starts_at"]), from_utc_text(r["ends_at"]), r["reason"], r["id"]
            )
            for r in self.store.overrides()
        )
        return TimeDesk(self.policy, self.now, overrides)

    def overrides(self, include_past: bool = False) -> list[dict[str, Any]]:
        """On-call overrides, current and future (or all)."""
        rows = self.store.overrides(None if include_past else self.now_text)
        keys = ("id", "layer", "person", "starts_at", "ends_at", "reason", "created_by", "created_at")
        return [{k: r[k] for k in keys} for r in rows]

    def add_override(
        self, layer: str, person: str, starts: datetime, ends: datetime, reason: str = "",
        *, starts_text: str | None = None, ends_text: str | None = None,
    ) -> dict[str, Any]:
        """Put `person` on a layer from `starts` until `ends` (typed as `starts_text` and
        `ends_text`, which refusals quote next to what they were read as)."""
        from supportdesk.timetext import WEEKDAYS
        from supportdesk.timetext import format_local as local

        zone = self.policy.zone
        names = [l.name for l in self.policy.layers]
        if layer not in names:
            raise InvalidInput(
                f"unknown on-call layer {layer!r}; this policy has: {', '.join(names) or 'none'}"
            )
        agent = self.store.agent_by_login(person)
        if agent is None or not agent["active"]:
            known = ", ".join(a["login"] for a in self.store.agents() if a["active"])
            raise NotFound(f"no agent {person!r}; agents of this desk: {known}")
        if ends <= starts:
            said_from = f"--from {starts_text!r} is" if starts_text else "it would start"
            said_until = f"--until {ends_text!r} is" if ends_text else "end"
            # "fri 18:00" is the coming Friday: on a weekend, "last fri 18:00" is likely meant.
            weekday_first = bool(starts_text) and starts_text.strip().split(" ")[0].lower()[:3] in WEEKDAYS
            hint = (
                f"give a later --until, or --from 'last {starts_text.strip()}' for the one before"
                if weekday_first
                else "give a later --until or an earlier --from"
            )
            raise InvalidInput(
                f"{said_from} {local(starts, zone)} but {said_until} {local(ends, zone)}; "
                f"the override must end after it starts: {hint}"
            )
        if ends <= self.now:
            until = f"--until {ends_text!r} is {local(ends, zone)}" if ends_text else f"it ends {local(ends, zone)}"
            raise InvalidInput(
                f"{until} and now is {local(self.now, zone)}: the override would end in the past; give a later --until"
            )
        row = {
            "layer": layer,
            "person": person,
            "starts_at": to_utc_text(starts),
            "ends_at": to_utc_text(ends),
            "reason": reason.strip(),
            "created_by": self.actor.label,
            "created_at": self.now_text,
        }
        with self.store.transaction():
            same = next(
                (
                    o for o in self.store.overrides()
                    if (o["layer"], o["person"], o["starts_at"], o["ends_at"]) == (layer, person, row["starts_at"], row["ends_at"])
                ),
                None,
            )
            if same is not None:
                raise Refused(
                    f"{person} already covers {layer} from {local(starts, zone)} until {local(ends, zone)} "
                    f"(override {same['id']}); nothing added: `supportdesk oncall override list` shows it"
                )
            override_id = self.store.insert_override(row)
            self.store.insert_events([self._event("oncall_override", {"id": override_id} | row)])
        return next(o for o in self.overrides(include_past=True) if o["id"] == override_id)

    def remove_override(self, override_id: int) -> dict[str, Any]:
        """Cancel an override (kept in the desk, marked removed)."""
        with self.store.transaction():
            row = self.store.override(override_id)
            self.store.remove_override(override_id, self.actor.label, self.now_text)
            self.store.insert_events([self._event("oncall_override_removed", {"id": override_id, "layer": row["layer"], "person": row["person"]})])
        return row

    # ---- SLA, priority, package ---------------------------------------------------------

    def set_priority(self, ticket_id: int, priority: str, reason: str = "") -> dict[str, Any]:
        """Change a ticket's priority; its deadlines are recomputed in the same transaction."""
        name = check_names("priority", (priority,), self.policy.priority_names)[0]
        reason = check_line(reason, "--reason", required=False)
        with self.store.transaction():
            row = self.store.ticket(ticket_id)
            if row["status"] not in [s.value for s in ACTIVE_STATUSES]:
                raise Refused(f"ticket #{ticket_id} is {row['status']}: its priority no longer matters; reopen it first")
            if row["priority"] == name:
                raise Refused(f"ticket #{ticket_id} is already {name}")
            values = {"priority": name} | self._clock_values(row, priority=name)
            events = [
                self._event("priority", {"before": {"priority": row["priority"]}, "after": {"priority": name}, "reason": reason.strip()}),
                self._deadline_event(values, f"priority {row['priority']} → {name}", row),
            ]
            self.store.apply(self._change(row, values, events))
        return self.ticket(ticket_id)

    def set_package(self, email: str, package: str | None) -> dict[str, Any]:
        """Give a customer an SLA package (or none); their open tickets' deadlines follow."""
        address = check_email(email)
        if package is not None:
            package = package.strip().lower()
            known = tuple(p.name for p in self.policy.packages)
            if package not in known:
                raise InvalidInput(f"unknown package {package!r}; this policy has: {', '.join(known) or 'none'}")
        with self.store.transaction():
            customer = self.store.customer_by_email(address)
            if customer is None:
                raise NotFound(f"no customer {address}; customers appear when they first file a ticket")
            if customer["package"] == package:
                raise Refused(f"{address} already has package {package or 'none'}")
            self.store.set_customer(customer["id"], {"package": package})
            rows = [r | {"package": package} for r in self.store.active_tickets(customer["id"])]
            changes = self._recompute(rows, f"package {customer['package'] or 'none'} → {package or 'none'}", restamp=True)
            self.store.apply_many(changes)
            self.store.insert_events(
                [self._event("customer_package", {"customer": address, "before": {"package": customer["package"]}, "after": {"package": package}, "recomputed": len(changes)})]
            )
        return {"customer": address, "package": package, "recomputed": len(changes)}

    def explain(self, ticket_id: int) -> dict[str, Any]:
        """The ticket's clocks as a timeline replayed from its events."""
        row = self.store.ticket(ticket_id)
        events = [event_json(e) for e in self.store.events(ticket_id)]
        return sla.explain(self.policy, row, events, self.now) | {"subject": row["subject"], "status": row["status"], "priority": row["priority"]}

    # ---- triage and escalation -----------------------------------------------------------

    def triage(
        self,
        *,
        limit: int = 50,
        department: str | None = None,
        mine: bool = False,
        unassigned: bool = False,
        breaching_within: timedelta | None = None,
    ) -> Triage:
        """The open queue in breach order, its counts, and who is on call now."""
        if department is not None:
            department = check_names("department", (department,), self.policy.department_names)[0]
        if mine and unassigned:
            raise InvalidInput("choose one of --mine and --unassigned")
        if limit < 1:
            raise InvalidInput(f"--limit must be 1 or more, not {limit}")
        assignee_id = self.actor.id if mine else None
        due_before = to_utc_text(self.now + breaching_within) if breaching_within is not None else None
        scope = dict(department=department, assignee_id=assignee_id, unassigned=unassigned, due_before=due_before, filed_by=self.as_of)
        rows = self.store.queue(limit=limit, **scope)
        counts = self.store.queue_counts(self.now_text, **scope)
        duties = self.time().oncall().at(self.now) if self.policy.layers else []
        tickets = []
        for rank, row in enumerate(rows, start=1):
            data = ticket_json(row)
            data |= {"rank": rank, "state": sla.state(row, self.now), "due_kind": sla.due_kind(row), "priority_rank": row["priority_rank"]}
            tickets.append(data)
        return Triage(tickets, counts, duties, self.now)

    def _level_index(self, name: str) -> int:
        names = [level.name for level in self.policy.escalation]
        if not names:
            raise NotFound("this policy defines no escalation levels; add [[escalation.levels]] to it")
        if name not in names:
            raise InvalidInput(f"unknown escalation level {name!r}; this policy has: {', '.join(names)}")
        return names.index(name)

    def _escalation_change(self, row: dict[str, Any], level: int, reason: str, staffing: _Staffing, automatic: bool) -> tuple[TicketChange, dict[str, Any] | None, dict[str, Any]]:
        level_name, people = staffing.levels[level]
        agent = staffing.pick(people)
        values: dict[str, Any] = {"escalation_level": level}
        if agent is not None:
            values["assignee_id"] = agent["id"]
        details: dict[str, Any] = {"reason": reason, "automatic": automatic}
        if automatic:
            values["escalated_for"] = row["due_at"]
            kind = sla.due_kind(row)
            if not row[f"{kind}_breached_at"]:
                values[f"{kind}_breached_at"] = row["due_at"]
                details["breached"] = {f"{kind}_breached_at": row["due_at"]}
        summary = {
            "id": row["id"],
            "before": {"level": row["escalation_level"], "assignee": row["assignee"]},
            "after": {"level": level, "level_name": level_name, "assignee": agent["login"] if agent else row["assignee"]},
            "on_duty": list(people),
        }
        event = self._event("escalate", {**{k: summary[k] for k in ("before", "after", "on_duty")}, **details}, row["id"])
        notice = None
        if agent is not None:
            notice = self._notice(
                row, "escalation", f"agent:{agent['login']}", self.policy.escalation_channel, f"escalated to {level_name}: {row['subject']}",
                f"#{row['id']} ({row['priority']}, {row['customer']}) was escalated to {level_name}: {reason}. "
                f"Deadline {row['due_at'] or '-'}. `supportdesk show {row['id']}`",
            )
        return self._change(row, values, [event]), notice, summary

    def escalate(self, ticket_id: int, level_name: str, reason: str) -> dict[str, Any]:
        """Raise (or lower) a ticket to a level; the person on call there gets it."""
        if not reason.strip():
            raise InvalidInput("say why with --reason TEXT")
        level = self._level_index(level_name.strip().lower())
        with self.store.transaction():
            row = self.store.ticket(ticket_id)
            if row["status"] not in [s.value for s in ACTIVE_STATUSES]:
                raise Refused(f"ticket #{ticket_id} is {row['status']}: reopen it before escalating")
            if row["escalation_level"] == level:
                raise Refused(f"ticket #{ticket_id} is already at level {level_name}")
            change, notice, _ = self._escalation_change(row, level, reason.strip(), self._staffing(), automatic=False)
            self.store.apply(change)
            self.store.insert_outbox([notice] if notice else [])
        return self.ticket(ticket_id)

    def escalate_auto(self, *, dry_run: bool = False) -> dict[str, Any]:
        """Raise every ticket past its deadline one level, once per breach."""
        levels = self.policy.escalation
        if not levels:
            raise NotFound("this policy defines no escalation levels; add [[escalation.levels]] to it")
        holidays = [] if dry_run else self._missing_holidays(self.policy)
        with self._writing(dry_run):
            self._cache_holidays(holidays)
            rows = self.store.overdue(self.now_text, filed_by=self.as_of)
            staffing = self._staffing()
            changes, notices, escalated, skipped = [], [], [], []
            for row in rows:
                level = row["escalation_level"] + 1
                if level >= len(levels):
                    skipped.append({"id": row["id"], "why": f"already at the top level ({levels[-1].name})"})
                    continue
                reason = f"{sla.due_kind(row)} deadline {row['due_at']} passed"
                change, notice, summary = self._escalation_change(row, level, reason, staffing, automatic=True)
                changes.append(change)
                escalated.append(summary)
                if notice:
                    notices.append(notice)
            if not dry_run:
                self.store.apply_many(changes)
                self.store.insert_outbox(notices)
        return {"dry_run": dry_run, "escalated": escalated, "skipped": skipped, "notifications": len(notices)}

    def outbox(self, pending_only: bool = False, limit: int | None = None) -> list[dict[str, Any]]:
        """Queued notifications, newest first."""
        return self.store.outbox(pending_only, limit)

    def add_customer(self, email: str, *, name: str | None = None, package: str | None = None) -> dict[str, Any]:
        """Register a customer before their first ticket (admins only)."""
        self._require_admin("add customers")
        address = check_email(email)
        if package is not None and package not in {p.name for p in self.policy.packages}:
            raise InvalidInput(f"unknown package {package!r}; this policy has: {', '.join(p.name for p in self.policy.packages) or 'none'}")
        with self.store.transaction():
            if self.store.customer_by_email(address):
                raise Refused(f"customer {address} already exists")
            self.store.insert_customer({"email": address, "name": name, "package": package, "created_at": self.now_text})
            self.store.insert_events([self._event("customer_added", {"customer": address, "package": package})])
        return {"email": address, "name": name, "package": package}

    def add_agent(self, login: str, *, name: str | None = None, email: str | None = None, role: str = "engineer") -> dict[str, Any]:
        """Register an agent (admins only)."""
        self._require_admin("add agents")
        login = login.strip()
        if not login or any(c.isspace() for c in login):
            raise InvalidInput(f"{login!r} is not a login; use the person's OS user name, e.g. alice")
        if role not in AGENT_ROLES:
            raise InvalidInput(f"unknown role {role!r}; use one of: {', '.join(AGENT_ROLES)}")
        address = check_email(email) if email else None
        with self.store.transaction():
            if self.store.agent_by_login(login):
                raise Refused(f"agent {login} already exists")
            self.store.insert_agent(
                {"login": login, "name": name or login, "email": address, "role": role, "created_at": self.now_text}
            )
            self.store.insert_events([self._event("agent_added", {"login": login, "role": role})])
        return next(a for a in self.agents() if a["login"] == login)


