"""SLA targets, deadlines, pauses and breaches, and the explain timeline. Pure.

A ticket has two clocks. The response clock runs from filing to the first public agent
reply; its target is the strictest of the priority's (or its out-of-hours variant), the
customer's package guarantee and the channel's. The resolution clock runs from filing to
resolution, stops while the ticket is pending on the customer, and the paused open time
is added back to its deadline. Each target counts in its own calendar (business hours or
24/7), so "strictest" means "earliest deadline", not "shortest duration".
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from supportdesk.frozen import Record, record
from supportdesk.model import ACTIVE_STATUSES
from supportdesk.policy import ALWAYS_OPEN, Policy
from supportdesk.timetext import format_hours, from_utc_text, to_utc_text

if TYPE_CHECKING:
    from supportdesk.clock import Calendars


@record
class Candidate(Record):
    """A target that may apply to a clock, and where it comes from."""

    kind: str  # respond | resolve
    duration: timedelta
    calendar: str
    source: str  # e.g. "priority critical", "package premium", "channel email"

    def to_json(self) -> dict[str, Any]:
        """The stable JSON form."""
        return {"seconds": int(self.duration.total_seconds()), "calendar": self.calendar, "source": self.source}


@record
class Deadlines(Record):
    """Both clocks of a ticket as the policy sets them."""

    outside_office_hours: bool
    respond: Candidate | None
    respond_candidates: tuple[Candidate, ...]
    respond_by: datetime | None
    respond_risk_at: datetime | None
    resolve: Candidate | None
    resolve_by: datetime | None  # None while the clock is paused
    resolve_risk_at: datetime | None

    def sla_json(self) -> dict[str, Any]:
        """What the ticket's `sla` column keeps: the targets and their sources."""
        return {
            "outside_office_hours": self.outside_office_hours,
            "respond": self.respond.to_json() if self.respond else None,
            "respond_candidates": [c.to_json() for c in self.respond_candidates],
            "resolve": self.resolve.to_json() if self.resolve else None,
        }


def outside_office_hours(calendars: Calendars, at: datetime) -> bool:
    """Whether `at` falls outside the desk's office calendar (nights, weekends, holidays)."""
    office = calendars.policy.office_calendar
    if office is None:
        return False
    return not calendars(office).is_open(at)


def _with_outside(policy: Policy, kind: str, priority_name: str, outside: bool) -> Candidate | None:
    priority = policy.priority(priority_name)
    inside = priority.respond if kind == "respond" else priority.resolve
    variant = priority.respond_outside if kind == "respond" else priority.resolve_outside
    base = variant if (outside and variant is not None) else inside
    if base is None:
        return None
    allowance = priority.outside_allowance if outside and priority.outside_allowance else timedelta(0)
    special = outside and (variant is not None or bool(allowance))
    source = f"priority {priority.name}" + (" outside office hours" if special else "")
    return Candidate(kind, base + allowance, priority.calendar or ALWAYS_OPEN, source)


def respond_candidates(
    policy: Policy, priority: str, channel: str | None, package: str | None, outside: bool
) -> tuple[Candidate, ...]:
    """Every first-response target that applies: priority, package, channel."""
    found = []
    by_channel = policy.channel(channel) if channel and channel in policy.channel_names else None
    replaced = by_channel is not None and by_channel.respond is not None and by_channel.respond_replaces
    by_priority = None if replaced else _with_outside(policy, "respond", priority, outside)
    if by_priority is not None:
        found.append(by_priority)
    if package and package in {p.name for p in policy.packages}:
        guaranteed = policy.package(package)
        if guaranteed.respond is not None:
            found.append(Candidate("respond", guaranteed.respond, ALWAYS_OPEN, f"package {guaranteed.name}"))
    if by_channel is not None:
        if by_channel.respond is not None:
            found.append(Candidate("respond", by_channel.respond, by_channel.calendar or ALWAYS_OPEN, f"channel {by_channel.name}"))
    return tuple(found)


def _deadline(calendars: Calendars, candidate: Candidate, start: datetime, extra: timedelta = timedelta(0), share: float = 0.0) -> datetime:
    return calendars(candidate.calendar).add(start, candidate.duration * (1 - share) + extra)


def plan(
    calendars: Calendars,
    *,
    priority: str,
    channel: str | None,
    package: str | None,
    created_at: datetime,
    paused: timedelta = timedelta(0),
    paused_now: bool = False,
) -> Deadlines:
    """Both clocks' targets and deadlines for a ticket filed at `created_at`, counted in
    the policy's calendars."""
    policy = calendars.policy
    outside = outside_office_hours(calendars, created_at)
    candidates = respond_candidates(policy, priority, channel, package, outside)
    respond = respond_by = respond_risk = None
    if candidates:
        dated = [(_deadline(calendars, c, created_at), i, c) for i, c in enumerate(candidates)]
        respond_by, _, respond = min(dated)
        respond_risk = _deadline(calendars, respond, created_at, share=policy.at_risk_share)
    resolve = _with_outside(policy, "resolve", priority, outside)
    resolve_by = resolve_risk = None
    if resolve is not None and not paused_now:
        resolve_by = _deadline(calendars, resolve, created_at, paused)
        resolve_risk = _deadline(calendars, resolve, created_at, paused, policy.at_risk_share)
    return Deadlines(outside, respond, candidates, respond_by, respond_risk, resolve, resolve_by, resolve_risk)


def ticket_values(deadlines: Deadlines, *, responded: bool, active: bool, rank: int) -> dict[str, Any]:
    """The ticket columns the deadlines set: respond_by, resolve_by, due_at, risk_at, sla…"""
    due = risk = None
    if active:
        if not responded and deadlines.respond_by is not None:
            due, risk = deadlines.respond_by, deadlines.respond_risk_at
        elif deadlines.resolve_by is not None:
            due, risk = deadlines.resolve_by, deadlines.resolve_risk_at
    text = lambda at: to_utc_text(at) if at else None  # noqa: E731
    return {
        "respond_by": text(deadlines.respond_by),
        "resolve_by": text(deadlines.resolve_by),
        "due_at": text(due),
        "risk_at": text(risk),
        "priority_rank": rank,
        "sla": json.dumps(deadlines.sla_json(), sort_keys=True),
    }


def plan_for_row(calendars: Calendars, row: dict[str, Any], now: datetime, **changes: Any) -> dict[str, Any]:
    """Recomputed deadline columns for a stored ticket row (with `changes` applied first)."""
    values = row | changes
    deadlines = plan(
        calendars,
        priority=values["priority"],
        channel=values["channel"],
        package=values.get("package"),
        created_at=from_utc_text(values["created_at"]),
        paused=timedelta(seconds=values.get("paused_seconds") or 0),
        paused_now=values.get("paused_at") is not None,
    )
    return ticket_values(
        deadlines,
        responded=values.get("first_response_at") is not None,
        active=values["status"] in ACTIVE_STATUSES,
        rank=calendars.policy.priority(values["priority"]).rank,
    )


def paused_open_seconds(calendars: Calendars, row: dict[str, Any], since: str, until: datetime) -> int:
    """Open time of the resolution calendar between a pause's start and `until`."""
    resolve = json.loads(row.get("sla") or "{}").get("resolve")
    calendar = calendars(resolve["calendar"] if resolve else ALWAYS_OPEN)
    return int(calendar.elapsed(from_utc_text(since), until).total_seconds())


@functools.lru_cache(maxsize=256)
def _targets(text: str) -> dict[str, Any]:
    """A ticket's `sla` column read (tickets of one priority and package share it; the
    result is shared too, so never change it)."""
    return json.loads(text)


def timestamp(text: str) -> float:
    """The POSIX time of a stored UTC instant."""
    return datetime.fromisoformat(text).timestamp()


def clock_seconds(calendars: Calendars, row: dict[str, Any], clock: str, stopped_at: str) -> int:
    """Open time a ticket's `respond` or `resolve` clock ran from filing to `stopped_at`,
    in its own target's calendar (24/7 when it has no target); the resolution clock
    leaves out its paused time (`paused_seconds`, which must already include a pause
    that ends with the ticket)."""
    return stopped_clocks(calendars, row, [clock], stopped_at)["response_seconds" if clock == "respond" else "resolution_seconds"]


def stopped_clocks(calendars: Calendars, row: dict[str, Any], clocks: Iterable[str], at: str, stop: float | None = None) -> dict[str, int]:
    """The `response_seconds` / `resolution_seconds` columns of the clocks a change stops
    at `at` (see clock_seconds); `stop`, when given, is `timestamp(at)`."""
    targets = _targets(row.get("sla") or "{}")
    start = timestamp(row["created_at"])
    if stop is None:
        stop = timestamp(at)
    values = {}
    for clock in clocks:
        target = targets.get(clock)
        seconds = int(calendars(target["calendar"] if target else ALWAYS_OPEN).elapsed_seconds(start, stop))
        if clock == "resolve":
            seconds -= int(row.get("paused_seconds") or 0)
        values["response_seconds" if clock == "respond" else "resolution_seconds"] = max(seconds, 0)
    return values


def breaches(row: dict[str, Any], now_text: str, clocks: Iterable[str]) -> dict[str, str]:
    """The breach stamps a change settles: for each clock it stops or escalates
    (`respond`, `resolve`) whose deadline passed before `now_text` and is not stamped
    yet, `{clock}_breached_at` = that deadline."""
    stamps = {}
    for clock in clocks:
        deadline = row.get(f"{clock}_by")
        if deadline and deadline < now_text and not row.get(f"{clock}_breached_at"):
            stamps[f"{clock}_breached_at"] = deadline
    return stamps


def due_kind(row: dict[str, Any]) -> str | None:
    """Which clock the ticket's next deadline belongs to: respond, resolve, or None."""
    if not row.get("due_at"):
        return None
    return "respond" if row.get("first_response_at") is None and row.get("respond_by") == row["due_at"] else "resolve"


def state(row: dict[str, Any], now: datetime) -> str:
    """`breached`, `at-risk`, `ok`, or `none` (no running deadline)."""
    if not row.get("due_at"):
        return "none"
    text = to_utc_text(now)
    if row["due_at"] < text:
        return "breached"
    if row.get("risk_at") and row["risk_at"] <= text:
        return "at-risk"
    return "ok"


# ---- explain -------------------------------------------------------------------------


def explain(calendars: Calendars, ticket: dict[str, Any], events: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """Both clocks as a timeline replayed from the ticket's events."""
    policy = calendars.policy
    sla = json.loads(ticket.get("sla") or "{}")
    filed = from_utc_text(ticket["created_at"])
    respond_steps: list[dict[str, Any]] = [{"at": ticket["created_at"], "what": "started", "why": "filed"}]
    resolve_steps: list[dict[str, Any]] = [{"at": ticket["created_at"], "what": "started", "why": "filed"}]
    running: list[tuple[datetime, datetime | None]] = [(filed, None)]
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    other: list[dict[str, Any]] = []
    for event in events:
        kind, at, details = event["kind"], event["at"], event["details"]
        when = from_utc_text(at)
        if kind == "reply" and details.get("first_response") and responded_at is None:
            responded_at = when
            respond_steps.append({"at": at, "what": "stopped", "why": f"first response by {event['actor']}"})
        elif kind == "wait" and running and running[-1][1] is None:
            running[-1] = (running[-1][0], when)
            resolve_steps.append({"at": at, "what": "paused", "why": "pending on the customer"})
        elif kind in ("resume", "reopen") and running and running[-1][1] is not None:
            paused_for = when - running[-1][1]
            running.append((when, None))
            resolved_at = None
            why = "resumed" if kind == "resume" else "reopened"
            after = details.get("after", {}).get("resolve_by")
            if details.get("paused_seconds") is not None:
                why += f": {format_hours(details['paused_seconds'])} paused"
            elif paused_for:
                why += f" after {format_hours(int(paused_for.total_seconds()))}"
            resolve_steps.append({"at": at, "what": "resumed", "why": why, "resolve_by": after})
        elif kind == "close":
            if running and running[-1][1] is None:
                running[-1] = (running[-1][0], when)
                resolved_at = when
                resolve_steps.append({"at": at, "what": "stopped", "why": f"{details.get('after', {}).get('status')} ({details.get('reason')})"})
        elif kind in ("escalate", "deadlines", "priority", "page"):
            other.append({"at": at, "kind": kind, "actor": event["actor"], "details": details})
    clocks = {}
    for kind, steps in (("respond", respond_steps), ("resolve", resolve_steps)):
        target = sla.get(kind)
        deadline = ticket.get(f"{kind}_by")
        if kind == "respond":
            spans = [(filed, responded_at)]
            stopped = responded_at
        else:
            spans = running
            stopped = resolved_at
        calendar = calendars(target["calendar"]) if target and target["calendar"] in policy.calendar_names else None
        counted = timedelta(0)
        open_spans: list[tuple[str, str]] = []
        if calendar is not None:
            for start, end in spans:
                end = end or now
                if end > start:
                    counted += calendar.elapsed(start, end)
                    open_spans.extend((to_utc_text(a), to_utc_text(b)) for a, b in calendar.open_spans(start, end))
        if target is None:
            verdict = "no target"
        elif stopped is not None:
            verdict = "met" if counted <= timedelta(seconds=target["seconds"]) else "breached"
        else:
            verdict = "breached" if counted > timedelta(seconds=target["seconds"]) else "running"
        clocks[kind] = {
            "target": target,
            "candidates": sla.get("respond_candidates", []) if kind == "respond" else ([target] if target else []),
            "deadline": deadline,
            "steps": steps,
            "counted_seconds": int(counted.total_seconds()),
            "open_spans": open_spans,
            "verdict": verdict,
            "stopped_at": to_utc_text(stopped) if stopped else None,
        }
    return {
        "ticket": ticket["id"],
        "outside_office_hours": sla.get("outside_office_hours", False),
        "clocks": clocks,
        "other": other,
    }
