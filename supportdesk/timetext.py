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
_RELATIVE_RE = re.compile(r"^(?:([+-])\s*(.+)|in\s+(.+)|(.+?)\s+ago)$", re.IGNORECASE)
_DAY_TIME_RE = re.compile(
    r"^(last\s+|next\s+)?(\w+)(?:\s+(\d{1,2})(?::(\d{2}))?)?$", re.IGNORECASE
)


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
    """`90m`, `4h`, `1h30m`, `2d`, `1w`, ISO 8601 `PT4H`; `d` is 24 hours of the clock used."""
    raw = text.strip()
    if not raw:
        raise InvalidInput(f"empty duration; {DURATION_EXAMPLES}")
    if raw.upper().startswith("P"):
        return _parse_iso_duration(raw)
    if raw == "0":
        return timedelta(0)
    compact = raw.replace(" ", "").lower()
    pos, total = 0, 0.0
    for match in _DURATION_RE.finditer(compact):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        pos = match.end()
    if pos != len(compact) or pos == 0:
        raise InvalidInput(f"cannot read duration {text!r}; {DURATION_EXAMPLES}")
    return timedelta(seconds=round(total))


def _parse_iso_duration(text: str) -> timedelta:
    import pendulum

    try:
        value = pendulum.parse(text.upper())
    except Exception:
        value = None
    if not isinstance(value, pendulum.Duration):
        raise InvalidInput(f"cannot read ISO 8601 duration {text!r}; {DURATION_EXAMPLES}")
    if value.years or value.months:
        raise InvalidInput(
            f"duration {text!r} uses years or months, which have no fixed length; "
            "use days or hours (e.g. P30D)"
        )
    return timedelta(seconds=value.total_seconds())


def parse_instant(text: str, zone: tzinfo, now: datetime) -> datetime:
    """An instant as aware UTC; text without an offset is wall time in `zone`."""
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
            delta = parse_duration(amount)
        except InvalidInput:
            delta = None
        if delta is not None:
            forward = (sign == "+") or bool(after_in)
            return (now + delta if forward else now - delta).astimezone(UTC).replace(microsecond=0)
    parsed = _parse_iso_instant(raw)
    if parsed is not None:
        if isinstance(parsed, date) and not isinstance(parsed, datetime):
            parsed = datetime.combine(parsed, time(0))
        if parsed.tzinfo is None:
            return local_to_utc(parsed, zone)
        return parsed.astimezone(UTC)
    day_time = _parse_day_time(lowered, zone, now)
    if day_time is not None:
        return day_time
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


def _parse_day_time(lowered: str, zone: tzinfo, now: datetime) -> datetime | None:
    match = _DAY_TIME_RE.match(lowered)
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
        raise InvalidInput(f"no such time of day {h:02d}:{m:02d}; use 00:00 to 23:59")
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
