"""The reports' figures: met and breached clocks, medians and 90th percentiles, groups,
local months and days, tickets filed and closed, the backlog. Pure.

Each ticket has two clocks (sla.py): the response clock stops at the first public reply
by an agent, or when the ticket is resolved or closed without one; the resolution clock
stops when the ticket is resolved or closed (pending time does not count). A report
counts the clocks of the tickets *filed* in its period, from what the desk stamped when
each clock stopped or escalated, so an old month's figures never change when the policy
does:

- breached: the clock ran past its deadline (its breach stamp is set), whether it has
  stopped since or still runs;
- met: it stopped, with a deadline, and no breach stamp;
- running: it has not stopped and is not stamped; of these, overdue: its deadline has
  passed at the report's instant (breached so far; the stamp comes when it stops or
  escalates);
- no deadline: it stopped without a deadline on the ticket: a priority without that
  target, or a resolution clock that ended while pending on the customer (the desk
  clears the resolution deadline while a ticket waits).

met % = met / (met + breached), the clocks that are settled; running and overdue clocks
are reported beside it, not in it. Times are those of the stopped clocks: business time
is how long the clock ran in its own target's calendar (business hours or 24/7; the
resolution clock without its pending time), as stamped when it stopped; calendar time is
the plain wall-clock time from filing to the stop. Medians and 90th percentiles
interpolate linearly between the two nearest values (as a spreadsheet's PERCENTILE.INC
does) and are rounded to whole seconds, halves up.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from supportdesk.timetext import local_to_utc, to_utc_text

CLOCK_NAMES = ("respond", "resolve")
# The times of a stopped clock: in its target's calendar, and on the wall clock.
TIMES = ("business", "calendar")
# What `report sla --by` groups by.
GROUPINGS = ("priority", "package", "department", "agent", "reseller", "month")
# What `report volume --by` counts per.
PERIODS = ("day", "week")
# The label of the group of tickets without the grouping's value.
NONE_LABELS = {"package": "none", "agent": "unassigned", "reseller": "direct"}
TOTAL = "total"

# The figures of one clock in a group, in the order of the CSV columns.
CLOCK_FIELDS = (
    "met", "breached", "running", "overdue", "no_deadline", "met_pct", "timed",
    "business_median", "business_p90", "calendar_median", "calendar_p90",
)


# ---- percentiles -----------------------------------------------------------------------


def _kth(runs: Sequence[Sequence[int]], k: int) -> int:
    """The k-th smallest (from 0) of the values of several sorted lists of integers."""
    if len(runs) == 1:
        return runs[0][k]
    low = min(run[0] for run in runs if run)
    high = max(run[-1] for run in runs if run)
    while low < high:  # the least value with more than k values at or below it
        middle = (low + high) // 2
        if sum(bisect_right(run, middle) for run in runs) > k:
            high = middle
        else:
            low = middle + 1
    return low


def percentile(runs: Sequence[Sequence[int]], q: float) -> int | None:
    """The q-th percentile (0–100) of the values of sorted lists of whole seconds,
    interpolated between the two nearest ranks and rounded to a whole second (None:
    no values)."""
    count = sum(len(run) for run in runs)
    if count == 0:
        return None
    rank = (count - 1) * q / 100
    below = math.floor(rank)
    value = float(_kth(runs, below))
    if rank > below:
        value += (rank - below) * (_kth(runs, below + 1) - value)
    return math.floor(value + 0.5)


def met_pct(met: int, breached: int) -> float | None:
    """Met clocks as a percentage of the settled ones, to one decimal (None: none settled)."""
    settled = met + breached
    return round(100 * met / settled, 1) if settled else None


# ---- one group's figures ---------------------------------------------------------------


def clock_json(tickets: int, counted: dict[str, Any], runs: dict[str, list[list[int]]]) -> dict[str, Any]:
    """One clock's figures in a group: `counted` as the store counts them (stopped,
    stamped, stamped_running, met, overdue), `runs` its stopped clocks' business and
    calendar seconds as sorted lists."""
    breached, still = counted["stamped"], counted["stamped_running"]
    figures = {
        "met": counted["met"],
        "breached": breached,
        "running": tickets - counted["stopped"] - still,
        "overdue": counted["overdue"],
        "no_deadline": counted["stopped"] - counted["met"] - (breached - still),
        "met_pct": met_pct(counted["met"], breached),
        "timed": counted["stopped"],
    }
    for kind in TIMES:
        figures[f"{kind}_median"] = percentile(runs[kind], 50)
        figures[f"{kind}_p90"] = percentile(runs[kind], 90)
    return figures


# What the store counts of each clock in a group (see clock_json).
COUNTS = ("stopped", "stamped", "stamped_running", "met", "overdue")


class Group:
    """One group's clocks as the store counted them, with their times as sorted lists;
    groups add up (into a total, or a group's months) without sorting again."""

    def __init__(self, label: str):
        self.label = label
        self.tickets = 0
        self.counted = {clock: dict.fromkeys(COUNTS, 0) for clock in CLOCK_NAMES}
        self.runs: dict[str, dict[str, list[list[int]]]] = {clock: {kind: [] for kind in TIMES} for clock in CLOCK_NAMES}

    def add(self, found: dict[str, Any]) -> None:
        """Count in a group the store found ({tickets, respond: {…}, resolve: {…}}); its
        lists of times are sorted here, in place."""
        part = Group(self.label)
        part.tickets = found["tickets"]
        for clock in CLOCK_NAMES:
            part.counted[clock] = {name: found[clock][name] for name in COUNTS}
            for kind in TIMES:
                found[clock][kind].sort()
                part.runs[clock][kind].append(found[clock][kind])
        self.absorb(part)

    def absorb(self, other: Group) -> None:
        """Count another group's clocks in with this one's."""
        self.tickets += other.tickets
        for clock in CLOCK_NAMES:
            for name in COUNTS:
                self.counted[clock][name] += other.counted[clock][name]
            for kind in TIMES:
                self.runs[clock][kind].extend(other.runs[clock][kind])

    def to_json(self) -> dict[str, Any]:
        """The group's figures (see the module's docstring)."""
        clocks = {clock: clock_json(self.tickets, self.counted[clock], self.runs[clock]) for clock in CLOCK_NAMES}
        return {"group": self.label, "tickets": self.tickets, **clocks, "breaches": sum(c["breached"] for c in clocks.values())}


def total(groups: Iterable[Group]) -> Group:
    """All groups together."""
    whole = Group(TOTAL)
    for group in groups:
        whole.absorb(group)
    return whole


def group_label(by: str | None, key: Any, names: dict[Any, str] | None = None) -> str:
    """The label of a group's key: a name for an id, or the grouping's word for none."""
    if by is None:
        return "all"
    if key is None:
        return NONE_LABELS.get(by, "none")
    return (names or {}).get(key, str(key))


def ordered(by: str | None, groups: list[dict[str, Any]], ranks: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Groups in the order people read them: months and days in time order, priorities by
    rank, others by name, the group without a value last."""
    missing = NONE_LABELS.get(by or "")

    def key(group: dict[str, Any]) -> tuple[Any, ...]:
        label = group["group"]
        if by == "priority":
            return ((ranks or {}).get(label, math.inf), label)
        return (label == missing, label.lower() if isinstance(label, str) else label)

    return sorted(groups, key=key)


# ---- local months and days -------------------------------------------------------------


def month_ranges(zone: tzinfo, start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """The local months of `zone` that [start, end) touches: (YYYY-MM, where the month or
    the range starts, where it ends), DST and all."""
    local = start.astimezone(zone)
    year, month = local.year, local.month
    found = []
    while True:
        begins = local_to_utc(datetime(year, month, 1), zone)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        ends = local_to_utc(datetime(year, month, 1), zone)
        found.append((f"{begins.astimezone(zone):%Y-%m}", max(begins, start), min(ends, end)))
        if ends >= end:
            return found


def day_start(zone: tzinfo, day: date) -> datetime:
    """The instant a local day begins (its first wall-clock minute, after a DST gap)."""
    return local_to_utc(datetime(day.year, day.month, day.day), zone)


def period_of(by: str, day: date) -> date:
    """The first day of the period (`day`, or a week from Monday) a local day is in."""
    return day - timedelta(days=day.weekday()) if by == "week" else day


def period_ranges(by: str, zone: tzinfo, start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """The local days or weeks (from Monday) that [start, end) touches: (first day,
    where it or the range starts, where it ends)."""
    found = []
    first = period_of(by, start.astimezone(zone).date())
    while True:
        following = first + timedelta(days=7 if by == "week" else 1)
        begins, ends = day_start(zone, first), day_start(zone, following)
        found.append((first.isoformat(), max(begins, start), min(ends, end)))
        if ends >= end:
            return found
        first = following


def _minutes(zone: tzinfo, at: datetime) -> int:
    offset = at.astimezone(zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def offset_spans(zone: tzinfo, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """The zone's offsets over [start, end): (UTC instant from which it holds, minutes east
    of UTC), in time order; a change is found to the second."""
    found = [(to_utc_text(start), _minutes(zone, start))]
    step = timedelta(hours=6)  # zones change their offset at most twice a year
    at = start
    while at < end:
        following = min(at + step, end)
        if _minutes(zone, following) != _minutes(zone, at):
            low, high = at, following  # the offset of `low` holds; that of `high` is new
            while high - low > timedelta(seconds=1):
                middle = low + timedelta(seconds=(high - low).total_seconds() // 2)
                low, high = (low, middle) if _minutes(zone, middle) != _minutes(zone, at) else (middle, high)
            found.append((to_utc_text(high), _minutes(zone, high)))
        at = following
    return found


# ---- volume ----------------------------------------------------------------------------


def volume_periods(by: str, ranges: list[tuple[str, datetime, datetime]], days: dict[str, dict[str, int]], backlog: int) -> list[dict[str, Any]]:
    """Tickets filed and closed in each period, and the backlog (filed and not closed)
    at its end, from the counts per local day and the backlog at the start."""
    per: dict[str, dict[str, int]] = {}
    for day, counts in days.items():
        label = period_of(by, date.fromisoformat(day)).isoformat()
        into = per.setdefault(label, {"filed": 0, "closed": 0})
        into["filed"] += counts["filed"]
        into["closed"] += counts["closed"]
    found = []
    for label, begins, ends in ranges:
        counts = per.get(label, {"filed": 0, "closed": 0})
        backlog += counts["filed"] - counts["closed"]
        found.append({"period": label, "start": to_utc_text(begins), "end": to_utc_text(ends), **counts, "backlog": backlog})
    return found


VOLUME_COLUMNS = ("period", "start", "end", "filed", "closed", "backlog")


# ---- agents ----------------------------------------------------------------------------

AGENT_COLUMNS = (
    "agent", "active", "tickets", "open", "closed", "overdue", "breaches",
    "respond_met_pct", "resolve_met_pct", "response_median", "resolution_median",
)


def agent_row(agent: str | None, active: bool, group: dict[str, Any] | None) -> dict[str, Any]:
    """An agent's line of `report agents`, from its group of `report sla --by agent`
    (None: no tickets): tickets assigned to it, open and closed, its clocks overdue now
    and breached, both met %, and its median business times."""
    if group is None:
        return {"agent": agent, "active": active, "tickets": 0, "open": 0, "closed": 0, "overdue": 0, "breaches": 0,
                "respond_met_pct": None, "resolve_met_pct": None, "response_median": None, "resolution_median": None}
    respond, resolve = group["respond"], group["resolve"]
    return {
        "agent": agent,
        "active": active,
        "tickets": group["tickets"],
        "open": group["tickets"] - resolve["timed"],
        "closed": resolve["timed"],
        "overdue": respond["overdue"] + resolve["overdue"],
        "breaches": group["breaches"],
        "respond_met_pct": respond["met_pct"],
        "resolve_met_pct": resolve["met_pct"],
        "response_median": respond["business_median"],
        "resolution_median": resolve["business_median"],
    }


# ---- as CSV ----------------------------------------------------------------------------


def sla_columns() -> list[str]:
    """The CSV header of `report sla`: the group, its tickets and breaches, each clock's figures."""
    return ["group", "tickets", "breaches", *(f"{clock}_{field}" for clock in CLOCK_NAMES for field in CLOCK_FIELDS)]


def csv_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """A report as CSV: its header, and one row per group, period or agent (no total;
    `unassigned` for tickets without one), plain numbers (yes/no as 1/0; nothing for no
    figure)."""
    kind = report["report"]
    if kind == "sla":
        rows = [
            [g["group"], g["tickets"], g["breaches"], *(g[clock][field] for clock in CLOCK_NAMES for field in CLOCK_FIELDS)]
            for g in report["groups"]
        ]
        header = sla_columns()
    elif kind == "volume":
        header, rows = list(VOLUME_COLUMNS), [[p[c] for c in VOLUME_COLUMNS] for p in report["periods"]]
    else:
        header = list(AGENT_COLUMNS)
        rows = [[a["agent"] or NONE_LABELS["agent"], *(a[c] for c in AGENT_COLUMNS[1:])] for a in report["agents"]]
    return header, [["" if v is None else int(v) if isinstance(v, bool) else v for v in row] for row in rows]


# ---- as people read them ---------------------------------------------------------------


def format_pct(value: float | None) -> str:
    """`87.5 %`, or `-` when there is nothing to divide."""
    return "-" if value is None else f"{value:.1f} %"


def format_seconds(value: int | None) -> str:
    """`4h12m`, `52h`, `35m`, `40s` (hours and whole minutes, as business time is counted),
    or `-` when no clock stopped."""
    if value is None:
        return "-"
    if value < 60:
        return f"{value}s"
    hours, minutes = divmod(value // 60, 60)
    if not hours:
        return f"{minutes}m"
    return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
