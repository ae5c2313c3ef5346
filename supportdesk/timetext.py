"""Time as text: parsing instants and durations, and showing them in local time. Pure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from supportdesk.errors import InvalidInput

INSTANT_EXAMPLES = "e.g. 2026-11-20T14:30, 2026-11-20T14:30:00Z, now, fri 17:30, -2h"
DURATION_EXAMPLES = "e.g. 10m, 4h, 1h30m, 2d or PT4H"

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_ALIASES = {
    **{d: i for i, d in enumerate(WEEKDAYS)},
    **{
        n: i
        for i, n in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)", re.IGNORECASE)
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_ISO_DURATION_RE = re.compile(
    rf"^P(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$"
)
_RELATIVE_RE = re.compile(r"^(?:([+-])\s*(.+)|in\s+(.+)|(.+?)\s+ago)$", re.IGNORECASE)
_DAY_TIME_RE = re.compile(
    r"^(last\s+|next\s+)?(\w+)(?:\s+(\d{1,2})(?::(\d{2}))?)?$", re.IGNORECASE
)

# The instants supportdesk reads: local dates from EARLIEST_YEAR-01-01 to
# LATEST_YEAR-12-31. Durations are at most MAX_DURATION, so an instant plus a duration
# stays far inside what datetime can hold (year 9999) and what the clock computes.
EARLIEST_YEAR = 1970
LATEST_YEAR = 8999
MAX_DURATION_DAYS = 36500
MAX_DURATION = timedelta(days=MAX_DURATION_DAYS)
INSTANT_RANGE = f"{EARLIEST_YEAR}-01-01 to {LATEST_YEAR}-12-31"
DURATION_RANGE = f"{MAX_DURATION_DAYS}d (100 years)"


def to_utc_text(at: datetime) -> str:
    """ISO-8601 UTC text that sorts as text: 2026-11-20T14:30:00Z."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_utc_text(text: str) -> datetime:
    """An aware UTC datetime from stored text."""
    return datetime.fromisoformat(text).astimezone(UTC)


def local_to_utc(naive: datetime, zone: tzinfo) -> datetime:
    """A local wall time in `zone` as UTC; gap times move forward, overlaps take the first."""
    # zoneinfo with fold=0 reads a gap time with the pre-transition offset (02:30 -> 03:30)
    # and an ambiguous time as its first occurrence; pendulum would pick the second.
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def parse_duration(text: str) -> timedelta:
    """`90m`, `4h`, `1h30m`, `2d`, `1w`, ISO 8601 `PT4H`; `d` is 24 hours of the clock used.

    At most MAX_DURATION (100 years); longer is refused, saying so.
    """
    seconds = _duration_seconds(text)
    if seconds is None:
        raise InvalidInput(f"cannot read duration {text!r}; {DURATION_EXAMPLES}")
    if seconds > MAX_DURATION.total_seconds():
        raise InvalidInput(f"duration {text!r} is too long; use at most {DURATION_RANGE}")
    return timedelta(seconds=round(seconds))


def _duration_seconds(text: str) -> float | None:
    """The length of a duration in seconds (maybe huge, never negative), or None when
    the text is not a duration. An empty text and years or months are refused here."""
    raw = text.strip()
    if not raw:
        raise InvalidInput(f"empty duration; {DURATION_EXAMPLES}")
    if raw[:1] in ("P", "p"):
        return _iso_duration_seconds(text)
    if raw == "0":
        return 0.0
    compact = raw.replace(" ", "").lower()
    pos, total = 0, 0.0
    for match in _DURATION_RE.finditer(compact):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        pos = match.end()
    if pos != len(compact) or pos == 0:
        return None
    return total


def _iso_duration_seconds(text: str) -> float:
    """ISO 8601 `PnWnDTnHnMnS`; years and months have no fixed length and are refused."""
    raw = text.strip()
    match = _ISO_DURATION_RE.match(raw.upper())
    if not match or not any(match.groups()) or raw.upper().endswith("T"):
        raise InvalidInput(f"cannot read ISO 8601 duration {text!r}; {DURATION_EXAMPLES}")
    years, months, weeks, days, hours, minutes, seconds = (
        float(g.replace(",", ".")) if g else 0.0 for g in match.groups()
    )
    if years or months:
        raise InvalidInput(
            f"duration {text!r} uses years or months, which have no fixed length; "
            "use days or hours (e.g. P30D)"
        )
    return weeks * 604800 + days * 86400 + hours * 3600 + minutes * 60 + seconds


def _check_range(at: datetime, zone: tzinfo, text: str) -> datetime:
    """`at` (aware) when its local date is within the supported years; else refused."""
    if EARLIEST_YEAR - 1 <= at.year <= LATEST_YEAR + 1:
        year = at.astimezone(zone).year
        if EARLIEST_YEAR <= year <= LATEST_YEAR:
            return at
    raise _out_of_range(text)


def _out_of_range(text: str) -> InvalidInput:
    return InvalidInput(f"time {text!r} is out of range; use an instant from {INSTANT_RANGE}")


def parse_instant(text: str, zone: tzinfo, now: datetime) -> datetime:
    """An instant as aware UTC; text without an offset is wall time in `zone`.

    Its local date must lie within EARLIEST_YEAR..LATEST_YEAR; outside, it is refused.
    """
    raw = text.strip()
    if not raw:
        raise InvalidInput(f"empty time; {INSTANT_EXAMPLES}")
    lowered = raw.lower()
    if lowered == "now":
        return now.astimezone(UTC).replace(microsecond=0)
    rel = _RELATIVE_RE.match(raw)
    if rel:
        sign, after_sign, after_in, before_ago = rel.groups()
        amount = after_sign or after_in or before_ago
        try:
            seconds = _duration_seconds(amount)
        except InvalidInput:
            seconds = None
        if seconds is not None:
            if seconds > (LATEST_YEAR - EARLIEST_YEAR + 1) * 366 * 86400:
                raise _out_of_range(text)
            delta = timedelta(seconds=round(seconds))
            forward = (sign == "+") or bool(after_in)
            try:
                moved = now + delta if forward else now - delta
            except OverflowError:
                raise _out_of_range(text) from None
            return _check_range(moved.astimezone(UTC).replace(microsecond=0), zone, text)
    parsed = _parse_iso_instant(raw)
    if parsed is not None:
        if isinstance(parsed, date) and not isinstance(parsed, datetime):
            parsed = datetime.combine(parsed, time(0))
        if not EARLIEST_YEAR - 1 <= parsed.year <= LATEST_YEAR + 1:
            raise _out_of_range(text)
        if parsed.tzinfo is None:
            return _check_range(local_to_utc(parsed, zone), zone, text)
        return _check_range(parsed.astimezone(UTC), zone, text)
    day_time = _parse_day_time(raw, zone, now)
    if day_time is not None:
        return _check_range(day_time, zone, text)
    raise InvalidInput(f"cannot read time {text!r}; {INSTANT_EXAMPLES}")


def _parse_iso_instant(raw: str) -> datetime | date | None:
    if not raw[:1].isdigit():
        return None
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
        return datetime.fromisoformat(raw.replace(" ", "T", 1))
    except ValueError:
        pass
    import pendulum

    try:
        value = pendulum.parse(raw, exact=True, tz=None)
    except Exception:
        return None
    if isinstance(value, datetime):
        return datetime.fromisoformat(value.isoformat())
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    return None


def _parse_day_time(raw: str, zone: tzinfo, now: datetime) -> datetime | None:
    match = _DAY_TIME_RE.match(raw.lower())
    if not match:
        return None
    direction, word, hour, minute = match.groups()
    today = now.astimezone(zone).date()
    if word in ("today", "tomorrow", "yesterday"):
        if direction:
            return None
        day = today + timedelta(days={"today": 0, "tomorrow": 1, "yesterday": -1}[word])
    elif word in _WEEKDAY_ALIASES:
        ahead = (_WEEKDAY_ALIASES[word] - today.weekday()) % 7
        if direction and direction.strip() == "last":
            ahead = ahead - 7 if ahead else -7
        elif direction and direction.strip() == "next" and ahead == 0:
            ahead = 7
        day = today + timedelta(days=ahead)
    else:
        return None
    h, m = int(hour or 0), int(minute or 0)
    if h > 23 or m > 59:
        raise InvalidInput(f"no such time of day in {raw!r}; use 00:00 to 23:59, e.g. fri 17:30")
    return local_to_utc(datetime.combine(day, time(h, m)), zone)


def zone_abbreviation(at: datetime, zone: tzinfo) -> str:
    """CET, CEST, +03, +0330: what the zone calls itself at that instant."""
    return at.astimezone(zone).tzname() or ""


def format_local(at: datetime | None, zone: tzinfo, *, with_weekday: bool = True) -> str:
    """`Mon 10 Jun 2024 09:00 +03`: local wall time with the zone's abbreviation."""
    if at is None:
        return "-"
    local = at.astimezone(zone)
    pattern = "%a %d %b %Y %H:%M" if with_weekday else "%d %b %Y %H:%M"
    return f"{local.strftime(pattern)} {local.tzname()}"


def format_duration(delta: timedelta) -> str:
    """`2 h 10 min`, `3 d 4 h`, `45 s`: the two largest adjacent units, rounded down."""
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    units = (("d", 86400), ("h", 3600), ("min", 60))
    first = next(i for i, (_, size) in enumerate(units) if seconds >= size)
    out = []
    for name, size in units[first : first + 2]:
        amount, seconds = divmod(seconds, size)
        if amount:
            out.append(f"{amount} {name}")
    return " ".join(out)


def format_hours(seconds: float) -> str:
    """`14 h`, `2 h 30 min`, `-1 h 5 min`, `0 min`: business time is counted in hours."""
    sign = "-" if seconds < 0 else ""
    hours, minutes = divmod(int(round(abs(seconds))) // 60, 60)
    if hours and minutes:
        return f"{sign}{hours} h {minutes} min"
    return f"{sign}{hours} h" if hours else f"{sign}{minutes} min"


def compact_duration(delta: timedelta) -> str:
    """`3d4h`, `22h5m`, `50m`, `40s`: for narrow table columns."""
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d{hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def coarse_duration(delta: timedelta) -> str:
    """`2d3h`, `14h`, `4h25m`, `30m`: short enough for a narrow column."""
    seconds = int(abs(delta.total_seconds()))
    if seconds >= 86400:
        days, hours = seconds // 86400, seconds % 86400 // 3600
        return f"{days}d{hours}h" if hours else f"{days}d"
    if seconds >= 10 * 3600:
        return f"{seconds // 3600}h"
    return compact_duration(delta)


def largest_unit(delta: timedelta) -> str:
    """`3d`, `4h`, `35m`: the largest whole unit only."""
    seconds = int(abs(delta.total_seconds()))
    if seconds >= 86400:
        return f"{seconds // 86400}d"
    return f"{seconds // 3600}h" if seconds >= 3600 else f"{seconds // 60}m"


def relative(at: datetime, now: datetime) -> str:
    """`in 2 h 10 min`, `35 min ago`, `now`."""
    delta = at - now
    if abs(delta.total_seconds()) < 30:
        return "now"
    text = format_duration(delta)
    return f"in {text}" if delta.total_seconds() > 0 else f"{text} ago"
