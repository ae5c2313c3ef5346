"""Use cases of reports: SLA compliance per group (`report sla`), tickets filed and
closed per day or week with the backlog (`report volume`), and each agent's figures
(`report agents`). The figures' definitions are supportdesk/report.py's; a reseller's or
customer's report covers its own scope only."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from supportdesk import report
from supportdesk.desk.context import DeskContext
from supportdesk.errors import InvalidInput, Refused
from supportdesk.query import quoted
from supportdesk.timetext import from_utc_text, parse_instant, to_utc_text

# A date alone (2026-10-31), which --until takes in whole.
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# Called after each step of a long report with (steps done, steps in all).
Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    """Progress goes nowhere (a Python caller that gave none)."""


class Reports(DeskContext):
    """SLA, volume and agents' reports, over the actor's scope."""

    # ---- the period and the envelope ---------------------------------------------------

    def _instant(self, text: str, option: str) -> datetime:
        try:
            return parse_instant(text, self.policy.zone, self.now)
        except InvalidInput as error:
            raise InvalidInput(f"{option}: {error}") from None

    def _window(self, since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
        """--since and --until as instants: filed at or after `since`, before `until`; a date
        alone as `until` takes in that whole local day."""
        start = self._instant(since, "--since") if since else None
        end = None
        if until:
            end = self._instant(until, "--until")
            if DATE.fullmatch(until.strip()):  # a date: up to the start of the next local day
                end = report.day_start(self.policy.zone, end.astimezone(self.policy.zone).date() + timedelta(days=1))
        if start is not None and end is not None and end <= start:
            raise InvalidInput(f"--until ({quoted(until or '')}) must come after --since ({quoted(since or '')})")
        return start, end

    def _envelope(self, kind: str, start: datetime | None, end: datetime | None, by: str | None) -> dict[str, Any]:
        """What every report says of itself: which, of what desk and scope, when, over what."""
        return {
            "report": kind,
            "desk": self.policy.name,
            "zone": self.policy.timezone,
            "at": self.now_text,
            "since": to_utc_text(start) if start else None,
            "until": to_utc_text(end) if end else None,
            "by": by,
            "scope": None if self.actor.scope is None else self.actor.label,
        }

    def _span(self, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime] | None:
        """The period a report walks: the one asked, else from the first ticket of the
        scope to just after the last (None: no tickets)."""
        found = self.store.report_span(self.actor.scope, self.as_of)
        if found is None:
            return None
        first, last = from_utc_text(found[0]), from_utc_text(found[1]) + timedelta(seconds=1)
        start, end = start or first, end or last
        return (start, end) if end > start else None

    # ---- report sla --------------------------------------------------------------------

    def sla_report(self, *, since: str | None = None, until: str | None = None, by: str | None = None, progress: Progress | None = None) -> dict[str, Any]:
        """SLA compliance of the tickets filed in a period, per group: both clocks met,
        breached, running and overdue, met %, median and 90th-percentile business and
        calendar times (supportdesk/report.py defines each)."""
        if by is not None and by not in report.GROUPINGS:
            raise InvalidInput(f"unknown grouping {quoted(by)}; use one of: {', '.join(report.GROUPINGS)}")
        if by == "agent" and not self.actor.is_agent:
            raise Refused("only the desk's agents may see tickets by agent; group by something else, or leave --by out")
        start, end = self._window(since, until)
        groups = self._clock_groups(by, start, end, progress or _no_progress)
        shown = report.ordered(by, [g.to_json() for g in groups], {p.name: p.rank for p in self.policy.priorities})
        return self._envelope("sla", start, end, by) | {"groups": shown, "total": report.total(groups).to_json()}

    def _clock_groups(self, by: str | None, start: datetime | None, end: datetime | None, progress: Progress) -> list[report.Group]:
        """The clock figures of each group, read a local month at a time (each month's
        tickets are counted and sorted while the next month is read; a group's months add
        up without sorting again), with the times of clocks stopped before the desk
        stamped them worked out here."""
        span = self._span(start, end)
        months = report.month_ranges(self.policy.zone, *span) if span else []
        grouped = None if by == "month" else by
        names = self._group_names(by)
        groups: dict[str, report.Group] = {}
        periods = [(to_utc_text(a), to_utc_text(b)) for _, a, b in months]
        read = self.store.clock_figures(periods, now=self.now_text, by=grouped, scope=self.actor.scope, filed_by=self.as_of)
        for done, ((label, _, _), (a, b), found) in enumerate(zip(months, periods, read, strict=True), start=1):
            if any(f[c]["stopped"] > len(f[c]["business"]) for f in found for c in report.CLOCK_NAMES):
                self._time_unstamped(found, a, b, grouped)
            for figures in found:
                name = label if by == "month" else report.group_label(by, figures["key"], names)
                groups.setdefault(name, report.Group(name)).add(figures)
            progress(done, len(months))
        return list(groups.values())

    def _group_names(self, by: str | None) -> dict[Any, str]:
        """What a group's key is called: agents by login, resellers by e-mail."""
        if by == "agent":
            return {a["id"]: a["login"] for a in self.store.agents()}
        if by == "reseller":
            return {r["id"]: r["email"] for r in self.store.rows("customers", kind="reseller")}
        return {}

    def _time_unstamped(self, found: list[dict[str, Any]], start: str | None, end: str | None, by: str | None) -> None:
        """Add the business times of stopped clocks that carry none (stopped before the
        desk stamped them), worked out in the calendars of the policy version that set the
        ticket's deadlines, so that they too stay as they were when the policy changes."""
        from supportdesk import sla

        by_key = {figures["key"]: figures for figures in found}
        calendars: dict[int | None, Any] = {}
        for row in self.store.unstamped_clocks(start, end, by=by, scope=self.actor.scope, filed_by=self.as_of):
            version = row["policy_version"]
            if version not in calendars:
                calendars[version] = self._version_calendars(version)
            for clock in report.CLOCK_NAMES:
                stopped_at = row[f"{clock}_stopped_at"]
                if stopped_at is not None:
                    by_key[row["key"]][clock]["business"].append(sla.clock_seconds(calendars[version], row, clock, stopped_at))

    def _version_calendars(self, version: int | None) -> Any:
        """The calendars of a stored policy version (the one in force when it is unknown)."""
        from supportdesk.clock import Calendars
        from supportdesk.desk.context import StoredHolidays
        from supportdesk.errors import NotFound
        from supportdesk.policy_compiled import stored_policy

        if version is None or version == self.policy_version_id:
            return self.calendars
        try:
            return Calendars(stored_policy(self.store.policy_version(version)), StoredHolidays(self.store))
        except NotFound:
            return self.calendars

    # ---- report volume -----------------------------------------------------------------

    def volume_report(self, *, since: str | None = None, until: str | None = None, by: str = "week", progress: Progress | None = None) -> dict[str, Any]:
        """Tickets filed and closed (resolved, or closed unresolved) per local day or week
        of a period, and the backlog at the end of each: filed and not closed by then."""
        if by not in report.PERIODS:
            raise InvalidInput(f"unknown period {quoted(by)}; use one of: {', '.join(report.PERIODS)}")
        start, end = self._window(since, until)
        envelope = self._envelope("volume", start, end, by)
        if start is None:
            span = self._span(None, end)
            if span is None:
                return envelope | {"backlog_start": 0, "periods": [], "total": {"filed": 0, "closed": 0, "backlog": 0}}
            start = report.day_start(self.policy.zone, span[0].astimezone(self.policy.zone).date())
        end = end or self.now
        if end <= start:
            raise InvalidInput("--since must come before --until, or before now when --until is left out")
        zone = self.policy.zone
        counted = self.store.daily_volume(
            to_utc_text(start), to_utc_text(end), report.offset_spans(zone, start, end), scope=self.actor.scope, filed_by=self.as_of
        )
        (progress or _no_progress)(1, 1)
        periods = report.volume_periods(by, report.period_ranges(by, zone, start, end), counted["days"], counted["backlog"])
        totals = {
            "filed": sum(p["filed"] for p in periods),
            "closed": sum(p["closed"] for p in periods),
            "backlog": periods[-1]["backlog"] if periods else counted["backlog"],
        }
        envelope |= {"since": to_utc_text(start), "until": to_utc_text(end)}
        return envelope | {"backlog_start": counted["backlog"], "periods": periods, "total": totals}

    # ---- report agents -----------------------------------------------------------------

    def agents_report(self, *, since: str | None = None, until: str | None = None, progress: Progress | None = None) -> dict[str, Any]:
        """Each agent's tickets filed in a period (assigned to it now): open and closed,
        clocks overdue now and breached, both met %, and the median business times."""
        figures = self.sla_report(since=since, until=until, by="agent", progress=progress)
        groups = {g["group"]: g for g in figures["groups"]}
        rows = [report.agent_row(a["login"], bool(a["active"]), groups.get(a["login"])) for a in self.store.agents()]
        rows = [r for r in rows if r["active"] or r["tickets"]]  # a deactivated agent without tickets here says nothing
        unassigned = groups.get(report.NONE_LABELS["agent"])
        if unassigned is not None:
            rows.append(report.agent_row(None, False, unassigned))
        envelope = {k: v for k, v in figures.items() if k not in ("groups", "total", "by")}
        return envelope | {"report": "agents", "agents": rows}
