"""Business calendars and open-time arithmetic. Pure: no I/O, no reading of the clock.

A calendar is a time zone, open intervals per weekday in local wall time, public holidays
(python-holidays, whole local days), half days, extra closed dates and per-date special
hours. Its open time is a monotone, piecewise-linear function of the instant; the open
spans of a range of years are precomputed in UTC with prefix sums, so `add` and `elapsed`
are two binary searches, not a walk over days.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from supportdesk.errors import InvalidInput
from supportdesk.frozen import Record, record
from supportdesk.policy_schema import (
    BOOL,
    CLOCK_TIME,
    CLOSED_DATES,
    HOLIDAYS,
    SPECIAL_HOURS,
    WEEK,
    ZONE,
    key,
)
from supportdesk.timetext import WEEKDAYS, format_hours, local_to_utc

MINUTES_PER_DAY = 1440
# How far the clock looks ahead for an opening (or a closing) before declaring there is
# none, and how many years without any open time make `add` give up.
MAX_SEARCH_YEARS = 20
# The local years the clock computes: datetime holds years 1 to 9999, and the computed
# years reach a day past either end. Instants outside are answered as at these ends.
FIRST_YEAR = 2
LAST_YEAR = 9998

_HOURS_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$")
_DAY_ALIASES = {
    "daily": tuple(range(7)),
    "everyday": tuple(range(7)),
    "weekdays": (0, 1, 2, 3, 4),
    "weekends": (5, 6),
}


# ---- the calendar as data ------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Hours:
    """One open interval in local wall time, belonging to the day it starts.

    `start` is minutes after that day's midnight; `end` may pass midnight (an overnight
    interval such as 22:00-06:00 has end 1800) and is at most 48:00.
    """

    start: int
    end: int

    def __str__(self) -> str:
        end = self.end - MINUTES_PER_DAY if self.end > MINUTES_PER_DAY else self.end
        return f"{self.start // 60:02d}:{self.start % 60:02d}-{end // 60:02d}:{end % 60:02d}"

    @property
    def overnight(self) -> bool:
        """True when the interval ends on the next day."""
        return self.end > MINUTES_PER_DAY


def parse_clock_time(text: str, *, allow_24: bool = False) -> int:
    """`09:30` -> 570 minutes; `24:00` only where allowed."""
    match = re.match(r"^(\d{1,2}):(\d{2})$", text.strip())
    if not match:
        raise InvalidInput(f"cannot read time of day {text!r}; use HH:MM such as 09:00")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise InvalidInput(f"no such time of day {text!r}; use 00:00 to 23:59" + (" or 24:00" if allow_24 else ""))
    return hours * 60 + minutes


def parse_hours(value: str | Iterable[str], on_overlap: Callable[[str], None] | None = None) -> tuple[Hours, ...]:
    """`"09:00-12:00, 13:00-18:00"` (or a list of such) -> Hours; `closed` or empty -> ().

    Overlapping intervals are refused, unless `on_overlap` is given: then they are merged
    and it is told what was merged.
    """
    parts = [value] if isinstance(value, str) else list(value)
    pieces = [p.strip() for part in parts for p in str(part).split(",") if p.strip()]
    if pieces in ([], ["closed"]):
        return ()
    result: list[Hours] = []
    for piece in pieces:
        match = _HOURS_RE.match(piece)
        if not match:
            raise InvalidInput(f"cannot read hours {piece!r}; use HH:MM-HH:MM such as 09:00-18:00 or 22:00-06:00")
        start = parse_clock_time(f"{match.group(1)}:{match.group(2)}")
        end = parse_clock_time(f"{match.group(3)}:{match.group(4)}", allow_24=True)
        if end <= start:
            end += MINUTES_PER_DAY  # crosses midnight: belongs to the day it starts
        if end == start + MINUTES_PER_DAY and start != 0:
            raise InvalidInput(f"hours {piece!r} would last 24 h from mid-day; use 00:00-24:00 for a whole day")
        result.append(Hours(start, end))
    result.sort()
    merged: list[Hours] = []
    for hours in result:
        if merged and hours.start < merged[-1].end:
            message = f"hours {merged[-1]} and {hours} overlap"
            if on_overlap is None:
                raise InvalidInput(f"{message}; merge them into one interval")
            merged[-1] = Hours(merged[-1].start, max(merged[-1].end, hours.end))
            on_overlap(f"{message}; read as {merged[-1]}")
        else:
            merged.append(hours)
    return tuple(merged)


def parse_days(text: str) -> tuple[int, ...]:
    """`mon-fri`, `sat-wed` (wraps), `mon,wed`, `daily`, `weekdays` -> weekday numbers (Mon=0)."""
    days: list[int] = []
    for typed in (p.strip() for p in text.split(",")):
        part = typed.lower()
        if part in _DAY_ALIASES:
            days.extend(_DAY_ALIASES[part])
            continue
        first, _, last = part.partition("-")
        try:
            a = WEEKDAYS.index(first[:3]) if len(first) >= 3 else -1
            b = WEEKDAYS.index(last[:3]) if last else a
        except ValueError:
            a = b = -1
        if a < 0 or first not in _weekday_spellings(a) or (last and last not in _weekday_spellings(b)):
            raise InvalidInput(
                f"unknown weekday {typed!r}; use mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri or sat-wed, or daily"
            )
        day = a
        while True:
            days.append(day)
            if day == b:
                break
            day = (day + 1) % 7
    return tuple(dict.fromkeys(days))


def _weekday_spellings(index: int) -> set[str]:
    full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[index]
    return {WEEKDAYS[index], full}


@record
class HolidayRule(Record):
    """Public holidays from python-holidays: a country, optionally a subdivision."""

    country: str
    subdivision: str | None = None


@record
class CalendarSpec(Record):
    """A business calendar as the policy states it (`[calendars.NAME]`)."""

    name: str
    timezone: str = key(None, "IANA time zone of the calendar (default: the desk's).", ZONE, positional=True)
    week: tuple[tuple[Hours, ...], ...] = key(  # seven entries, Monday first
        (), "Open hours per day: { \"mon-fri\" = \"09:00-18:00\" }; overnight \"22:00-06:00\" belongs to the day it starts.",
        WEEK, toml="hours", positional=True,
    )
    holidays: HolidayRule | None = key(
        None, "Public holidays from python-holidays: a country code (\"TR\") or { country = \"DE\", subdivision = \"BE\" }.", HOLIDAYS
    )
    half_day_close: int | None = key(  # minutes after midnight; None: half days are normal days
        None, "On python-holidays half days (e.g. bayram eves) close at this time, e.g. \"13:00\".", CLOCK_TIME
    )
    closed_dates: frozenset[date] = key(frozenset(), "Extra closed dates, e.g. [\"2024-12-31\"].", CLOSED_DATES)
    special_hours: tuple[tuple[date, tuple[Hours, ...]], ...] = key(
        (), "Hours for particular dates, replacing the week's: { \"2024-04-09\" = \"09:00-13:00\" }.", SPECIAL_HOURS
    )
    open_always: bool = key(False, "Open 24/7 (calendar time).", BOOL, toml="always_open")

    @classmethod
    def always_open(cls, name: str, timezone: str) -> CalendarSpec:
        """A 24/7 calendar: calendar time is business time that never closes."""
        whole_day = (Hours(0, MINUTES_PER_DAY),)
        return cls(name, timezone, (whole_day,) * 7, open_always=True)

    @property
    def is_always_open(self) -> bool:
        """True for a 24/7 calendar with no holidays or exceptions."""
        return (
            all(day == (Hours(0, MINUTES_PER_DAY),) for day in self.week)
            and self.holidays is None
            and not self.closed_dates
            and not self.special_hours
        )


@record
class DayInfo(Record):
    """What a local date looks like on a calendar."""

    day: date
    hours: tuple[Hours, ...]
    holiday: str | None = None  # the holiday's name when it closes (or shortens) the day
    half_day: bool = False
    estimated: bool = False  # the holidays package only estimates this date
    special: bool = False  # hours set by hand for this date
    closed_by_hand: bool = False


# ---- holidays ------------------------------------------------------------------------


@record
class YearHolidays(Record):
    """One year of a country's public holidays and half days, by local date."""

    public: dict[date, str]
    half: dict[date, str]
    estimated: frozenset[date] = frozenset()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form, for the desk's holiday cache."""
        return {
            "public": {d.isoformat(): n for d, n in sorted(self.public.items())},
            "half": {d.isoformat(): n for d, n in sorted(self.half.items())},
            "estimated": sorted(d.isoformat() for d in self.estimated),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> YearHolidays:
        """The inverse of to_json."""
        return cls(
            {date.fromisoformat(d): n for d, n in data["public"].items()},
            {date.fromisoformat(d): n for d, n in data["half"].items()},
            frozenset(date.fromisoformat(d) for d in data["estimated"]),
        )


class HolidayCache:
    """Where computed holidays may be kept between runs (the desk implements it)."""

    def get(self, rule: HolidayRule, year: int) -> YearHolidays | None:  # pragma: no cover - interface
        """Cached holidays of a year, or None."""
        return None


def compute_holidays(rule: HolidayRule, years: Iterable[int]) -> dict[int, YearHolidays]:
    """Public holidays and half days from python-holidays, year by year (English names)."""
    import holidays

    wanted = sorted(set(years))
    try:
        cls = holidays.country_holidays(rule.country, subdiv=rule.subdivision, years=[]).__class__
    except NotImplementedError as error:
        raise InvalidInput(f"holidays: {error}") from None
    language = "en_US" if "en_US" in getattr(cls, "supported_languages", ()) else None
    categories = tuple(c for c in ("public", "half_day") if c in getattr(cls, "supported_categories", ("public",)))
    found: dict[int, tuple[dict[date, str], dict[date, str], set[date]]] = {y: ({}, {}, set()) for y in wanted}
    for category in categories:
        book = holidays.country_holidays(
            rule.country, subdiv=rule.subdivision, years=wanted, categories=(category,), language=language
        )
        marker = _estimated_marker(book)
        for day, name in book.items():
            if day.year not in found:
                continue
            public, half, estimated = found[day.year]
            (public if category == "public" else half)[day] = name
            if marker and marker in name:
                estimated.add(day)
    return {y: YearHolidays(p, h, frozenset(e)) for y, (p, h, e) in found.items()}


@dataclass
class _HolidayBook:
    """Public holidays and half days of one country, loaded a year at a time."""

    rule: HolidayRule
    cache: HolidayCache | None = None
    public: dict[date, str] = field(default_factory=dict)
    half: dict[date, str] = field(default_factory=dict)
    estimated: set[date] = field(default_factory=set)
    years: set[int] = field(default_factory=set)

    def load(self, years: Iterable[int]) -> None:
        missing = sorted(set(years) - self.years)
        if not missing:
            return
        loaded: dict[int, YearHolidays] = {}
        if self.cache is not None:
            for year in missing:
                cached = self.cache.get(self.rule, year)
                if cached is not None:
                    loaded[year] = cached
        rest = [y for y in missing if y not in loaded]
        if rest:
            loaded.update(compute_holidays(self.rule, rest))
        for year_holidays in loaded.values():
            self.public.update(year_holidays.public)
            self.half.update(year_holidays.half)
            self.estimated.update(year_holidays.estimated)
        self.years.update(missing)


def _estimated_marker(book: Any) -> str | None:
    label = getattr(book, "estimated_label", None)
    if not label:
        return None
    try:
        text = book.tr(label)
    except Exception:  # a translation table without the label
        text = label
    return text.replace("%s", "").strip(" ()（）") or None


def holiday_country_known(country: str, subdivision: str | None = None) -> str | None:
    """None when python-holidays knows the country (and subdivision); else what is wrong."""
    import holidays

    try:
        holidays.country_holidays(country, subdiv=subdivision, years=[])
    except NotImplementedError as error:
        return str(error)
    return None


# ---- the compiled calendar -----------------------------------------------------------


class Calendar:
    """A calendar that answers open-time questions in O(log n)."""

    def __init__(self, spec: CalendarSpec, holiday_cache: HolidayCache | None = None):
        if not any(spec.week) and not any(hours for _, hours in spec.special_hours):
            raise InvalidInput(f"calendar {spec.name!r} is never open; give it hours such as mon-fri = \"09:00-18:00\"")
        self.spec = spec
        self.zone = ZoneInfo(spec.timezone)
        self._special = dict(spec.special_hours)
        self._book = _HolidayBook(spec.holidays, holiday_cache) if spec.holidays else None
        self._first_year = 0
        self._last_year = -1
        self._safe_lo = 0.0  # instants in [safe_lo, safe_hi) need no rebuild
        self._safe_hi = 0.0
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._cum_start: list[float] = []  # open seconds before each span
        self._cum_end: list[float] = []  # open seconds at each span's end

    @property
    def name(self) -> str:
        """The calendar's name in the policy."""
        return self.spec.name

    # ---- days ----

    def day_info(self, day: date) -> DayInfo:
        """The open hours of a local date and why they are what they are."""
        if self._book is not None:
            self._book.load((day.year,))
        holiday = self._book.public.get(day) if self._book else None
        half = self._book.half.get(day) if self._book else None
        estimated = bool(self._book and day in self._book.estimated)
        if day in self._special:
            return DayInfo(day, self._special[day], holiday, False, estimated, special=True)
        if day in self.spec.closed_dates:
            return DayInfo(day, (), holiday, False, estimated, closed_by_hand=True)
        if holiday is not None:
            return DayInfo(day, (), holiday, False, estimated)
        hours = self.spec.week[day.weekday()]
        if half is not None and self.spec.half_day_close is not None:
            # The early close is an instant: in a DST gap it moves forward by the gap
            # (02:30 -> 03:30), and it only ever shortens the day, so a half day is never
            # longer than the normal day. Clip in wall minutes after that move.
            close = self._wall_minutes(day, self.spec.half_day_close)
            hours = tuple(
                Hours(h.start, min(h.end, close)) for h in hours if self._wall_minutes(day, h.start) < close
            )
            return DayInfo(day, hours, half, True, estimated)
        return DayInfo(day, hours)

    def _wall_minutes(self, day: date, minutes: int) -> int:
        """Minutes after local midnight of the wall time `minutes` stands for on `day`:
        the same, except inside a DST gap, where it moves forward by the gap."""
        midnight = datetime.combine(day, time(0))
        wall = local_to_utc(midnight + timedelta(minutes=minutes), self.zone).astimezone(self.zone)
        return round((wall.replace(tzinfo=None) - midnight).total_seconds() / 60)

    def _day_spans(self, day: date) -> list[tuple[float, float]]:
        spans = []
        midnight = datetime.combine(day, time(0))
        for hours in self.day_info(day).hours:
            start = local_to_utc(midnight + timedelta(minutes=hours.start), self.zone).timestamp()
            end = local_to_utc(midnight + timedelta(minutes=hours.end), self.zone).timestamp()
            if end > start:  # an interval swallowed by a DST gap has no length
                spans.append((start, end))
        return spans

    # ---- spans ----

    def _build(self, first_year: int, last_year: int) -> None:
        first_year = min(max(first_year, FIRST_YEAR), LAST_YEAR)
        last_year = min(max(last_year, first_year), LAST_YEAR)
        if self._book is not None:
            self._book.load(range(first_year - 1, last_year + 1))
        spans: list[tuple[float, float]] = []
        day = date(first_year, 1, 1) - timedelta(days=1)  # an overnight span may reach in
        last = date(last_year, 12, 31)
        while day <= last:
            spans.extend(self._day_spans(day))
            day += timedelta(days=1)
        spans.sort()
        starts: list[float] = []
        ends: list[float] = []
        for start, end in spans:
            if ends and start <= ends[-1]:
                ends[-1] = max(ends[-1], end)  # touching or overlapping: one span
            else:
                starts.append(start)
                ends.append(end)
        cum_start, cum_end, total = [], [], 0.0
        for start, end in zip(starts, ends, strict=True):
            cum_start.append(total)
            total += end - start
            cum_end.append(total)
        self._first_year, self._last_year = first_year, last_year
        self._starts, self._ends, self._cum_start, self._cum_end = starts, ends, cum_start, cum_end
        # Inside these, every span that can touch an instant is computed: the day before
        # (an overnight span reaching in) and the days after (up to the year's end).
        self._safe_lo = local_to_utc(datetime(first_year, 1, 2), self.zone).timestamp()
        self._safe_hi = local_to_utc(datetime(last_year, 12, 30), self.zone).timestamp()

    def _year_of(self, ts: float) -> int:
        """The local year of an instant, held within FIRST_YEAR..LAST_YEAR."""
        try:
            year = datetime.fromtimestamp(ts, self.zone).year
        except (OverflowError, OSError, ValueError):
            year = FIRST_YEAR if ts < 0 else LAST_YEAR
        return min(max(year, FIRST_YEAR), LAST_YEAR)

    @staticmethod
    def _utc(ts: float) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    def _total(self) -> float:
        return self._cum_end[-1] if self._cum_end else 0.0

    def _cover(self, *timestamps: float) -> None:
        """Make sure the spans cover the local years of these instants."""
        if all(self._safe_lo <= ts < self._safe_hi for ts in timestamps):
            return
        # Near a year's end or start the neighbouring year is needed too.
        years = [self._year_of(ts + shift) for ts in timestamps for shift in (-2 * 86400, 2 * 86400)]
        lo, hi = min(years), max(years)
        # Keep the years already computed unless they are far away: a question about a
        # distant year should not compute every year in between.
        if self._starts and lo - MAX_SEARCH_YEARS <= self._last_year and hi + MAX_SEARCH_YEARS >= self._first_year:
            lo, hi = min(lo, self._first_year), max(hi, self._last_year)
        self._build(lo, hi)

    def _open_before(self, ts: float) -> float:
        """Open seconds from the start of the covered range up to `ts`."""
        i = bisect_right(self._starts, ts) - 1
        if i < 0:
            return 0.0
        return self._cum_start[i] + min(ts, self._ends[i]) - self._starts[i]

    # ---- public arithmetic ----

    def elapsed(self, a: datetime, b: datetime) -> timedelta:
        """Open time between two instants; negative when b is before a."""
        return timedelta(seconds=self.elapsed_seconds(a.timestamp(), b.timestamp()))

    def elapsed_seconds(self, ta: float, tb: float) -> float:
        """Open seconds between two POSIX timestamps (elapsed, for many tickets at once)."""
        if not (self._safe_lo <= ta < self._safe_hi and self._safe_lo <= tb < self._safe_hi):
            self._cover(ta, tb)
        return self._open_before(tb) - self._open_before(ta)

    def add(self, start: datetime, duration: timedelta, *, typed: str | None = None) -> datetime:
        """The latest instant by which `duration` of open time has passed since `start`.

        `typed` is the duration as the user typed it, for refusals to quote.
        """
        seconds = duration.total_seconds()
        amount = repr(typed) if typed else format_hours(seconds)
        if seconds < 0:
            raise InvalidInput("a duration to add must not be negative")
        ts = start.timestamp()
        self._cover(ts)
        idle_years = 0  # years searched lately without finding any open time
        while self._total() - self._open_before(ts) <= seconds:
            found = self._total() - self._open_before(ts)
            room = LAST_YEAR - self._last_year
            span_years = max(1, self._last_year - self._year_of(ts) + 1)
            needed = (seconds - found) / (found / span_years) if found > 0 else 0.0
            if found > 0 and (room <= 0 or (idle_years == 0 and span_years >= 4 and needed > 4 * room)):
                raise InvalidInput(
                    f"{amount} of open time on calendar {self.name!r} from "
                    f"{self._local_text(ts)} would end after the year {LAST_YEAR}; give a shorter duration"
                )
            if room <= 0:
                raise InvalidInput(
                    f"calendar {self.name!r} has no open time after {self._local_text(ts)}; "
                    f"the clock computes years up to {LAST_YEAR}"
                )
            # Grow by the estimated years still needed, at most doubling the range:
            # geometric growth keeps the rebuilds linear in the years finally needed.
            step = min(math.ceil(needed * 1.1) + 1, max(2 * span_years, MAX_SEARCH_YEARS)) if found > 0 else 2
            step = max(2, min(step, room))
            before = self._total()
            self._build(self._first_year, self._last_year + step)
            idle_years = 0 if self._total() > before else idle_years + step
            if idle_years > MAX_SEARCH_YEARS:
                last = self._ends[-1] if found > 0 and self._ends else ts
                raise InvalidInput(
                    f"calendar {self.name!r} has no open time within {MAX_SEARCH_YEARS} years after "
                    f"{self._local_text(last)}, so {amount} of open time never passes; "
                    "give it hours for those years or a shorter duration"
                )
        target = self._open_before(ts) + seconds
        j = bisect_right(self._cum_end, target)
        return self._utc(self._starts[j] + max(0.0, target - self._cum_start[j]))

    def _local_text(self, ts: float) -> str:
        try:
            local = self._utc(ts).astimezone(self.zone)
        except (OverflowError, OSError, ValueError):
            return f"the year {LAST_YEAR}" if ts > 0 else f"the year {FIRST_YEAR}"
        return f"{local:%a %d %b %Y %H:%M} {local.tzname()}"

    def is_open(self, at: datetime) -> bool:
        """Whether the calendar is open at this instant (openings count, closings do not)."""
        ts = at.timestamp()
        self._cover(ts)
        i = bisect_right(self._starts, ts) - 1
        return i >= 0 and ts < self._ends[i]

    def _next_span(self, ts: float, use_end: bool) -> float | None:
        """The first opening (or closing) at or after `ts`; for a closing, None when
        there is none within MAX_SEARCH_YEARS and none of the calendar's dated exceptions
        lies further ahead (it is open from then on)."""
        horizon = self._year_of(ts) + MAX_SEARCH_YEARS
        if use_end:
            dated = [*self.spec.closed_dates, *self._special]
            horizon = max([horizon, *(d.year + 1 for d in dated)])
        horizon = min(horizon, LAST_YEAR)
        while True:
            edges = self._ends if use_end else self._starts
            i = bisect_left(edges, ts)
            # The last span's end is only where the computed years stop: look further.
            if i < len(edges) - 1 or (i == len(edges) - 1 and not use_end):
                return edges[i]
            if self._last_year >= horizon:
                if use_end and i == len(edges) - 1:
                    return None  # open at (or from) ts until the end of the search
                raise InvalidInput(
                    f"calendar {self.name!r} has no open time within {MAX_SEARCH_YEARS} years after "
                    f"{self._local_text(ts)}; give it hours for those years, or ask about an earlier instant"
                )
            span = max(2, self._last_year - self._first_year + 1)
            self._build(self._first_year, min(horizon, self._last_year + span))

    def next_open(self, after: datetime) -> datetime:
        """The first opening at or after `after`."""
        ts = after.timestamp()
        self._cover(ts)
        found = self._next_span(ts, use_end=False)
        assert found is not None
        return self._utc(found)

    def next_close(self, after: datetime) -> datetime | None:
        """The first closing at or after `after` (for a closed instant, that of the next
        opening); None for a calendar that never closes from then on: always open, or
        whose closed dates and holidays all lie behind (none within MAX_SEARCH_YEARS)."""
        if self.spec.is_always_open:
            return None
        ts = after.timestamp()
        self._cover(ts)
        found = self._next_span(ts, use_end=True)
        return None if found is None else self._utc(found)

    def open_spans(self, a: datetime, b: datetime) -> list[tuple[datetime, datetime]]:
        """The open stretches between two instants, clipped to them."""
        ta, tb = a.timestamp(), b.timestamp()
        if tb <= ta:
            return []
        self._cover(ta, tb)
        first = max(0, bisect_right(self._starts, ta) - 1)
        result = []
        for i in range(first, len(self._starts)):
            start, end = self._starts[i], self._ends[i]
            if start >= tb:
                break
            if end <= ta:
                continue
            result.append((datetime.fromtimestamp(max(start, ta), UTC), datetime.fromtimestamp(min(end, tb), UTC)))
        return result


class Calendars:
    """The compiled calendars of one policy, each built on first use.

    Whoever reads a policy owns one (the desk keeps one per policy version, reading
    public holidays from its store), so the frozen Policy itself is never written to.
    """

    def __init__(self, policy: Any, holiday_cache: HolidayCache | None = None) -> None:
        self.policy = policy
        self.holiday_cache = holiday_cache
        self._built: dict[str, Calendar] = {}

    def __call__(self, name: str | None = None) -> Calendar:
        """The calendar called `name` (the policy's default calendar when None)."""
        name = name or self.policy.default_calendar
        calendar = self._built.get(name)
        if calendar is None:
            calendar = self._built[name] = Calendar(self.policy.calendar_spec(name), self.holiday_cache)
        return calendar

    def oncall(self, overrides: tuple[Any, ...] = ()) -> Any:
        """The on-call model of the policy (an oncall.OnCall), with the desk's overrides."""
        from supportdesk.oncall import OnCall

        policy = self.policy
        used = {layer.calendar for layer in policy.layers if layer.calendar}
        return OnCall(policy.layers, {r.name: r for r in policy.rotations}, {n: self(n) for n in used}, overrides)
