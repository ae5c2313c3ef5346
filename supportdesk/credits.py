"""SLA credits: a month's uptime per service against its package's guarantee, and the
service credit a claim earns from the policy's table. Pure: instants come in; nothing
reads the clock or the desk.

What the words of a policy such as Hosting General's ("Compensation is service credit by
outage length, never cash; a claim must be made by ticket within 7 days of the outage")
mean here:

- A month is the desk's local calendar month: from local midnight on the 1st to local
  midnight on the 1st of the next month, counted in real seconds, so October in
  Europe/Berlin has 745 hours and March 743.
- An outage is one span during which a service was down. Outages of a service that touch
  are one outage; only the part inside a month counts for that month.
- The month's uptime is (month - downtime) / month, the downtime being every recorded
  outage of the service in the month. The package's guarantee is measured against it.
- "Outage length", which picks the row of the credit table, is the length of the longest
  single outage claimed, not the month's total downtime: the seed speaks of "the outage"
  as one event with its own length and its own claim window ("within 7 days of the
  outage"), so outages are claimed one by one; the month's total is what the uptime
  guarantee already measures.
- An outage is claimable when it had ended by the claim and ended at most
  `claim_within_days` days (of 24 hours, as the reopen window counts them) before it.
- A claim earns, per service, the credit of the table's last row whose outage is at most
  the longest claimable outage, when the month's uptime is below the guarantee: a
  percentage of the service's monthly fee, in the policy's form (service credit), never
  an amount of money.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, tzinfo
from fractions import Fraction

from supportdesk.errors import InvalidInput
from supportdesk.frozen import Record, record

MONTH_EXAMPLE = "e.g. 2026-10"
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
)

# Why a service is owed no credit (None: it is owed one).
NO_OUTAGE = "no-outage"  # no outage recorded in the month
NO_GUARANTEE = "no-guarantee"  # its package guarantees no uptime (or it has no package)
MET = "met"  # the month's uptime meets the guarantee
NOT_CLAIMABLE = "out-of-window"  # every outage of the month is outside the claim window
BELOW_TABLE = "below-table"  # the longest claimed outage is shorter than the table's first row

# Why an outage is left out of a claim (None: it is claimed).
LATE = "late"  # it ended longer than the window before the claim
NOT_OVER = "not-over"  # it had not ended by the claim


# ---- months --------------------------------------------------------------------------


def parse_month(text: str) -> str:
    """`YYYY-MM` (the month may have one digit), normalised; InvalidInput otherwise."""
    from supportdesk.timetext import EARLIEST_YEAR, LATEST_YEAR

    found = _MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise InvalidInput(f"cannot read month {text.strip()!r}; give YYYY-MM, {MONTH_EXAMPLE}")
    year, month = int(found.group(1)), int(found.group(2))
    if not EARLIEST_YEAR <= year <= LATEST_YEAR - 1:
        raise InvalidInput(f"month {text.strip()!r} is out of range; give a month from {EARLIEST_YEAR} to {LATEST_YEAR - 1}")
    return f"{year:04d}-{month:02d}"


def month_of(at: datetime, zone: tzinfo) -> str:
    """The local calendar month an instant falls in, as `YYYY-MM`."""
    local = at.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def month_bounds(month: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """The month's first and last instants (local midnights, as UTC): [start, end)."""
    from supportdesk.timetext import local_to_utc

    year, number = (int(part) for part in month.split("-"))
    following = (year + 1, 1) if number == 12 else (year, number + 1)
    start = local_to_utc(datetime(year, number, 1), zone)
    end = local_to_utc(datetime(*following, 1), zone)
    return start, end


def month_name(month: str) -> str:
    """`October 2026`."""
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number) - 1]} {year}"


# ---- outages -------------------------------------------------------------------------


@record
class Outage(Record):
    """A span a service was down, [start, end), with the ids of the recorded outages it
    is made of (several when recorded outages touch)."""

    start: datetime
    end: datetime
    ids: tuple[int, ...] = ()

    @property
    def seconds(self) -> int:
        """Its length in whole seconds."""
        return int((self.end - self.start).total_seconds())

    def clipped(self, start: datetime, end: datetime) -> Outage | None:
        """The part of it inside [start, end), or None when there is none."""
        low, high = max(self.start, start), min(self.end, end)
        return Outage(low, high, self.ids) if low < high else None


def merged(outages: Iterable[Outage]) -> list[Outage]:
    """Outages in time order, those that overlap or touch made one."""
    out: list[Outage] = []
    for outage in sorted(outages, key=lambda o: (o.start, o.end)):
        if out and outage.start <= out[-1].end:
            last = out[-1]
            out[-1] = Outage(last.start, max(last.end, outage.end), (*last.ids, *outage.ids))
        else:
            out.append(outage)
    return out


# ---- percentages ---------------------------------------------------------------------


def uptime(downtime_seconds: int, month_seconds: int) -> Fraction:
    """The share of the month the service was up, in percent, exactly."""
    return Fraction(month_seconds - downtime_seconds, month_seconds) * 100


def percent(value: float) -> Fraction:
    """A policy's percentage (99.97) as the exact decimal it was written as."""
    return Fraction(str(value))


def floor_places(value: Fraction, places: int) -> float:
    """`value` cut (not rounded) to `places` decimals: a missed guarantee never shows as met."""
    scale = 10**places
    return math.floor(value * scale) / scale


def percent_text(value: Fraction | float, places: int = 3) -> str:
    """`99.887`, `100`, `5`, `99.95`: a percentage cut to `places` decimals, without
    trailing zeros."""
    cut = floor_places(Fraction(str(value)) if isinstance(value, float) else value, places)
    return f"{cut:.{places}f}".rstrip("0").rstrip(".")


# ---- the claim -----------------------------------------------------------------------


def claim_window(within_days: int | None) -> timedelta | None:
    """How long after an outage ends it may be claimed (None: any time)."""
    return None if within_days is None else timedelta(days=within_days)


def left_out(outage: Outage, claimed_at: datetime, window: timedelta | None) -> str | None:
    """Why an outage is not part of a claim made at `claimed_at` (None: it is)."""
    if outage.end > claimed_at:
        return NOT_OVER
    if window is not None and claimed_at - outage.end > window:
        return LATE
    return None


def table_row(length: timedelta, table: Sequence[tuple[timedelta, float]]) -> tuple[timedelta, float] | None:
    """The credit table's row for an outage of `length`: the last whose outage is at most
    it (rows from shortest to longest), or None when it is shorter than the first."""
    found = None
    for row in sorted(table):
        if row[0] <= length:
            found = row
    return found


@record
class ClaimedOutage(Record):
    """One outage of a service in the month: its part in the month, and whether the
    claim takes it (reason None) or leaves it out, and why."""

    outage: Outage  # as recorded (its whole length, across months too)
    in_month: Outage  # the part inside the month
    reason: str | None


@record
class Assessment(Record):
    """A service's month under a claim: uptime against the guarantee, and the credit."""

    month_seconds: int
    downtime_seconds: int
    uptime: Fraction  # percent, exact
    guarantee: float | None  # percent, the package's; None: no uptime guarantee
    outages: tuple[ClaimedOutage, ...]
    longest: ClaimedOutage | None  # the longest claimed outage (its part in the month)
    row: tuple[timedelta, float] | None  # the table row that applies
    credit: float  # percent of the monthly fee; 0 when none is owed
    reason: str | None  # why none is owed (NO_OUTAGE, NO_GUARANTEE, MET, NOT_CLAIMABLE, BELOW_TABLE)

    @property
    def met(self) -> bool | None:
        """Whether the uptime meets the guarantee (None without a guarantee)."""
        return None if self.guarantee is None else self.uptime >= percent(self.guarantee)


def assess(
    outages: Iterable[Outage],
    month_start: datetime,
    month_end: datetime,
    *,
    guarantee: float | None,
    table: Sequence[tuple[timedelta, float]],
    within_days: int | None,
    claimed_at: datetime,
) -> Assessment:
    """A service's month, from its recorded outages, for a claim made at `claimed_at`."""
    month_seconds = int((month_end - month_start).total_seconds())
    window = claim_window(within_days)
    found = []
    for outage in merged(outages):
        part = outage.clipped(month_start, month_end)
        if part is not None:
            found.append(ClaimedOutage(outage, part, left_out(outage, claimed_at, window)))
    downtime = sum(o.in_month.seconds for o in found)
    up = uptime(downtime, month_seconds)
    claimed = [o for o in found if o.reason is None]
    longest = max(claimed, key=lambda o: (o.in_month.seconds, o.in_month.start), default=None)
    row = table_row(timedelta(seconds=longest.in_month.seconds), table) if longest else None
    if not found:
        reason: str | None = NO_OUTAGE
    elif guarantee is None:
        reason = NO_GUARANTEE
    elif up >= percent(guarantee):
        reason = MET
    elif longest is None:
        reason = NOT_CLAIMABLE
    elif row is None:
        reason = BELOW_TABLE
    else:
        reason = None
    credit = row[1] if reason is None and row is not None else 0.0
    return Assessment(month_seconds, downtime, up, guarantee, tuple(found), longest, row, credit, reason)

