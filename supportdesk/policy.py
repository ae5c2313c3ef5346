"""The desk's policy: TOML text in, a validated frozen Policy out. Pure.

Every key is declared once in a table of `Key`s with its default, a one-line meaning and
a converter; reading collects every problem (with its dotted key path) instead of
stopping at the first, so `policy check` can list them all, each at its line.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from supportdesk.errors import InvalidInput

if TYPE_CHECKING:
    from supportdesk.clock import Calendar, CalendarSpec
    from supportdesk.oncall import Layer, OnCall, Override, Rotation

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.toml")
ALWAYS_OPEN = "24/7"


# ---- problems ------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or doubtful) in a policy, at a dotted key path."""

    path: str
    message: str
    severity: str = "error"  # "error" | "warning"


class PolicyInvalid(InvalidInput):
    """A policy with errors; carries all of them."""

    def __init__(self, source: str, problems: list[Problem], text: str = ""):
        self.source = source
        self.problems = problems
        self.text = text
        errors = [p for p in problems if p.severity == "error"]
        first = format_problem(source, text, errors[0]) if errors else source
        more = f" (and {len(errors) - 1} more; see `supportdesk policy check {source}`)" if len(errors) > 1 else ""
        super().__init__(first + more)


def format_problem(source: str, text: str, problem: Problem) -> str:
    """`FILE:LINE: key.path: what is wrong; what would be right`."""
    line = locate(text, problem.path) if text else None
    where = f"{source}:{line}" if line else source
    label = "warning: " if problem.severity == "warning" else ""
    return f"{where}: {label}{problem.path}: {problem.message}" if problem.path else f"{where}: {label}{problem.message}"


_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY_RE = re.compile(r'^\s*((?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|\'[^\']*\'|[A-Za-z0-9_\-]+))*)\s*=')


def _split_dotted(text: str) -> list[str]:
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([A-Za-z0-9_\-]+)', text)
    return [a or b or c for a, b, c in parts]


def _path_text(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if part.startswith("["):
            out += part
        else:
            needs_quotes = not re.fullmatch(r"[A-Za-z0-9_\-]+", part)
            piece = f'"{part}"' if needs_quotes else part
            out += ("." if out else "") + piece
    return out


def key_lines(text: str) -> dict[str, int]:
    """Map each dotted key path (`priorities[1].respond`) to the line that sets it."""
    lines: dict[str, int] = {}
    table: list[str] = []
    array_counts: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER_RE.match(raw)
        if header and not _KEY_RE.match(raw):
            parts = _split_dotted(header.group(2))
            if header.group(1) == "[[":
                base = _path_text(parts)
                index = array_counts.get(base, 0)
                array_counts[base] = index + 1
                table = [*parts, f"[{index}]"]
            else:
                table = parts
            lines.setdefault(_path_text(table), number)
            continue
        key = _KEY_RE.match(raw)
        if key:
            lines.setdefault(_path_text(table + _split_dotted(key.group(1))), number)
    return lines


def locate(text: str, path: str) -> int | None:
    """The line of `path`, or of its nearest parent that has one."""
    lines = key_lines(text)
    candidate = path
    while candidate:
        if candidate in lines:
            return lines[candidate]
        cut = max(candidate.rfind("."), candidate.rfind("["))
        candidate = candidate[:cut] if cut > 0 else ""
    return None


# ---- converters ----------------------------------------------------------------------


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"expected text, got {_kind(value)}")
    return value.strip()


def _name(value: Any) -> str:
    text = _text(value).lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_\-/]*", text):
        raise InvalidInput(f"{value!r} is not a name; use lower-case letters, digits, - or _, e.g. \"technical\"")
    return text


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"expected true or false, got {_kind(value)}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"expected a whole number, got {_kind(value)}")
    return value


def _non_negative_int(value: Any) -> int:
    number = _int(value)
    if number < 0:
        raise InvalidInput(f"must be 0 or more, not {number}")
    return number


def _zone(value: Any) -> str:
    text = _text(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {text!r}; use an IANA name such as Europe/Istanbul") from None
    return text


def _duration(value: Any) -> timedelta:
    from supportdesk.timetext import parse_duration

    text = _text(value)
    if text.startswith("-"):
        raise InvalidInput(f"a duration cannot be negative ({text!r}); e.g. 4h")
    return parse_duration(text)


def _clock_time(value: Any) -> int:
    from supportdesk.clock import parse_clock_time

    return parse_clock_time(_text(value))


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        raise InvalidInput(f"cannot read date {value!r}; use YYYY-MM-DD such as 2024-04-09") from None


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise InvalidInput(f"expected a list such as [\"ayse\", \"burak\"], got {_kind(value)}")
    return tuple(_text(v) for v in value)


def _kind(value: Any) -> str:
    return {
        bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "a table",
    }.get(type(value), type(value).__name__)


def _raw(value: Any) -> Any:
    return value


def _optional(converter: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        return None if value is None else converter(value)

    return convert


@dataclass(frozen=True)
class Key:
    """A policy key: its default, its meaning, and how its value is read."""

    name: str
    default: Any
    help: str
    convert: Callable[[Any], Any] = _text
    required: bool = False


class Reader:
    """Reads tables against Key declarations, collecting every problem."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, path: str, message: str) -> None:
        """Record an error at `path`."""
        self.problems.append(Problem(path, message))

    def warn(self, path: str, message: str) -> None:
        """Record a warning at `path`."""
        self.problems.append(Problem(path, message, "warning"))

    def table(self, value: Any, path: str) -> dict[str, Any]:
        """`value` as a table, or an error and an empty one."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(path, f"expected a table, got {_kind(value)}")
            return {}
        return value

    def read(self, data: dict[str, Any], path: str, keys: tuple[Key, ...], extra_ok: tuple[str, ...] = ()) -> dict[str, Any]:
        """Every declared key converted (or defaulted); unknown keys are errors with a guess."""
        known = {k.name for k in keys} | set(extra_ok)
        for name in data:
            if name not in known:
                guess = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f"did you mean {guess[0]!r}?" if guess else f"known keys: {', '.join(sorted(known))}"
                self.error(_join(path, name), f"unknown key; {hint}")
        out: dict[str, Any] = {}
        for key in keys:
            if key.name not in data:
                if key.required:
                    self.error(_join(path, key.name), f"missing; {key.help[0].lower() + key.help[1:]}")
                out[key.name] = key.default
                continue
            try:
                out[key.name] = key.convert(data[key.name])
            except InvalidInput as error:
                self.error(_join(path, key.name), str(error))
                out[key.name] = key.default
        return out

    def items(self, value: Any, path: str) -> list[dict[str, Any]]:
        """An array of tables (`[[priorities]]`), each checked to be a table."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, f"expected an array of tables ([[{path}]]), got {_kind(value)}")
            return []
        result = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                result.append(item)
            else:
                self.error(f"{path}[{i}]", f"expected a table, got {_kind(item)}")
        return result


def _join(path: str, name: str) -> str:
    if not path:
        return name
    return f"{path}.{name}" if re.fullmatch(r"[A-Za-z0-9_\-]+", name) else f'{path}."{name}"'


# ---- the model -----------------------------------------------------------------------


@dataclass(frozen=True)
class Priority:
    """A priority: its name, rank (1 is most urgent) and what it means."""

    name: str
    rank: int
    meaning: str = ""


@dataclass(frozen=True)
class Department:
    """A department tickets are filed to."""

    name: str
    label: str


@dataclass(frozen=True)
class Channel:
    """A way tickets arrive: ticket, e-mail, chat, phone."""

    name: str


@dataclass(frozen=True)
class Policy:
    """Everything a desk enforces."""

    name: str
    timezone: str
    priorities: tuple[Priority, ...]
    departments: tuple[Department, ...]
    channels: tuple[Channel, ...]
    default_priority: str
    default_department: str
    default_channel: str
    reopen_within_days: int | None  # None: any time; 0: never
    office_calendar: str | None = None
    calendars: tuple[CalendarSpec, ...] = ()
    rotations: tuple[Rotation, ...] = ()
    layers: tuple[Layer, ...] = ()
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    @cached_property
    def zone(self) -> ZoneInfo:
        """The desk's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def priority_names(self) -> tuple[str, ...]:
        """Priority names, most urgent first."""
        return tuple(p.name for p in sorted(self.priorities, key=lambda p: p.rank))

    @property
    def department_names(self) -> tuple[str, ...]:
        """Department names as the policy lists them."""
        return tuple(d.name for d in self.departments)

    @property
    def channel_names(self) -> tuple[str, ...]:
        """Channel names as the policy lists them."""
        return tuple(c.name for c in self.channels)

    def priority(self, name: str) -> Priority:
        """The priority called `name` (KeyError when unknown)."""
        return next(p for p in self.priorities if p.name == name)

    @property
    def calendar_names(self) -> tuple[str, ...]:
        """Calendar names, with the always-open calendar that every desk has."""
        return (*(c.name for c in self.calendars), ALWAYS_OPEN)

    @property
    def default_calendar(self) -> str:
        """The calendar clock commands use when none is named."""
        return self.office_calendar or (self.calendars[0].name if self.calendars else ALWAYS_OPEN)

    def calendar_spec(self, name: str) -> CalendarSpec:
        """A calendar's spec by name; NotFound-style InvalidInput when unknown."""
        from supportdesk.clock import CalendarSpec

        if name == ALWAYS_OPEN and ALWAYS_OPEN not in {c.name for c in self.calendars}:
            return CalendarSpec.always_open(ALWAYS_OPEN, self.timezone)
        for spec in self.calendars:
            if spec.name == name:
                return spec
        raise InvalidInput(f"unknown calendar {name!r}; this policy has: {', '.join(self.calendar_names)}")

    def calendar(self, name: str | None = None) -> Calendar:
        """A compiled calendar (cached per policy)."""
        name = name or self.default_calendar
        cache = self.__dict__.setdefault("_calendars", {})
        if name not in cache:
            from supportdesk.clock import Calendar

            cache[name] = Calendar(self.calendar_spec(name))
        return cache[name]

    def oncall(self, overrides: tuple[Override, ...] = ()) -> OnCall:
        """The on-call model of this policy, with the desk's overrides."""
        from supportdesk.oncall import OnCall

        used = {layer.calendar for layer in self.layers if layer.calendar}
        return OnCall(self.layers, {r.name: r for r in self.rotations}, {n: self.calendar(n) for n in used}, overrides)


# ---- key tables (name, default, meaning, reader) ------------------------------------

DESK_KEYS = (
    Key("name", "supportdesk", "The desk's name, shown in headers."),
    Key("timezone", "UTC", "IANA time zone of the desk; instants without an offset are read in it.", _zone),
    Key("calendar", None, "The office-hours calendar: the default for clock commands and 'outside office hours'.", _optional(_name)),
)
DEFAULTS_KEYS = (
    Key("priority", None, "Priority of a ticket filed without one (default: the least urgent).", _optional(_name)),
    Key("department", None, "Department of a ticket filed without one (default: the first).", _optional(_name)),
    Key("channel", None, "Channel of a ticket filed without one (default: the first).", _optional(_name)),
)
PRIORITY_KEYS = (
    Key("name", None, "The priority's name, e.g. critical.", _name, required=True),
    Key("rank", None, "1 is the most urgent; default: the order in the file.", _optional(_int)),
    Key("meaning", "", "When to choose it, in the provider's words."),
)
DEPARTMENT_KEYS = (
    Key("name", None, "The department's name, e.g. technical.", _name, required=True),
    Key("label", None, "How it is shown, e.g. Technical.", _optional(_text)),
)
CHANNEL_KEYS = (Key("name", None, "The channel's name: ticket, email, chat, phone…", _name, required=True),)
REOPEN_KEYS = (
    Key("within_days", None, "A resolved or closed ticket may be reopened within this many days (0: never; absent: always).", _optional(_non_negative_int)),
)
CALENDAR_KEYS = (
    Key("timezone", None, "IANA time zone of the calendar (default: the desk's).", _optional(_zone)),
    Key("hours", {}, "Open hours per day: { \"mon-fri\" = \"09:00-18:00\" }; overnight \"22:00-06:00\" belongs to the day it starts.", _raw),
    Key("always_open", False, "Open 24/7 (calendar time).", _bool),
    Key("holidays", None, "Public holidays from python-holidays: a country code (\"TR\") or { country = \"DE\", subdivision = \"BE\" }.", _raw),
    Key("half_day_close", None, "On python-holidays half days (e.g. bayram eves) close at this time, e.g. \"13:00\".", _optional(_clock_time)),
    Key("closed_dates", [], "Extra closed dates, e.g. [\"2024-12-31\"].", _raw),
    Key("special_hours", {}, "Hours for particular dates, replacing the week's: { \"2024-04-09\" = \"09:00-13:00\" }.", _raw),
)
ROTATION_KEYS = (
    Key("members", (), "Who takes turns, in order (agent logins).", _names),
    Key("shift", None, "Length of a shift, e.g. \"1d\" or \"1w\"; absent: all members on duty together.", _optional(_duration)),
    Key("handoff", 9 * 60, "Local time shifts change, e.g. \"09:00\".", _clock_time),
    Key("timezone", None, "IANA time zone of the hand-off time (default: the desk's).", _optional(_zone)),
    Key("start", date(2024, 1, 1), "The date the first shift starts (its first member is on).", _date),
)
LAYER_KEYS = (
    Key("layer", None, "The layer's name, e.g. office or on-duty.", _name, required=True),
    Key("rotation", None, "The rotation that staffs it.", _name, required=True),
    Key("calendar", None, "The calendar that switches the layer on and off.", _optional(_name)),
    Key("when", "always", "When the layer is on duty: open (calendar open), closed (outside it) or always.", _name),
)

SECTIONS = ("desk", "defaults", "calendars", "rotations", "oncall", "priorities", "departments", "channels", "rules")


# ---- reading -------------------------------------------------------------------------


def policy_digest(text: str) -> str:
    """The SHA-256 of a policy's text, to tell versions apart."""
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_policy(text: str, source: str = "<policy>") -> Policy:
    """Parse and validate policy TOML; PolicyInvalid lists every error."""
    policy, problems = check_policy(text, source)
    if policy is None:
        raise PolicyInvalid(source, problems, text)
    return policy


def check_policy(text: str, source: str = "<policy>") -> tuple[Policy | None, list[Problem]]:
    """The policy (None when it has errors) and every problem found, warnings included."""
    return check_data(parse_toml(text, source))


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """TOML text as data, or one InvalidInput line pointing at the syntax error."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        message = str(error).split(" (at line")[0]
        where = f"{source}:{line}" if line else source
        raise InvalidInput(f"{where}: not valid TOML: {message}; check quotes, brackets and '=' signs") from None


def check_data(data: dict[str, Any]) -> tuple[Policy | None, list[Problem]]:
    """Validate parsed policy data: the policy (None on errors) and every problem."""
    reader = Reader()
    policy = _build(data, reader)
    errors = [p for p in reader.problems if p.severity == "error"]
    if errors:
        return None, reader.problems
    assert policy is not None
    return replace(policy, warnings=tuple(reader.problems)), reader.problems


def _named_list(reader: Reader, data: dict[str, Any], section: str, keys: tuple[Key, ...]) -> list[dict[str, Any]]:
    items = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(reader.items(data.get(section), section)):
        item = reader.read(raw, f"{section}[{i}]", keys)
        name = item.get("name")
        if name is None:
            continue
        if name in seen:
            reader.error(f"{section}[{i}].name", f"{name!r} is defined twice (also {section}[{seen[name]}]); names must be unique")
            continue
        seen[name] = i
        items.append(item)
    if not items and section in data:
        reader.error(section, "needs at least one entry")
    return items


def _build(data: dict[str, Any], reader: Reader) -> Policy | None:
    for name in data:
        if name not in SECTIONS:
            guess = difflib.get_close_matches(name, SECTIONS, n=1)
            hint = f"did you mean {guess[0]!r}?" if guess else f"sections are: {', '.join(SECTIONS)}"
            reader.error(name, f"unknown section; {hint}")
    desk = reader.read(reader.table(data.get("desk"), "desk"), "desk", DESK_KEYS)
    timezone = desk["timezone"]

    priorities = [
        Priority(p["name"], p["rank"] if p["rank"] is not None else i + 1, p["meaning"])
        for i, p in enumerate(_named_list(reader, data, "priorities", PRIORITY_KEYS))
    ]
    departments = [
        Department(d["name"], d["label"] or d["name"].title())
        for d in _named_list(reader, data, "departments", DEPARTMENT_KEYS)
    ]
    channels = [Channel(c["name"]) for c in _named_list(reader, data, "channels", CHANNEL_KEYS)]
    for section, items in (("priorities", priorities), ("departments", departments), ("channels", channels)):
        if section not in data:
            reader.error(section, f"missing; the policy needs [[{section}]] entries")

    defaults = reader.read(reader.table(data.get("defaults"), "defaults"), "defaults", DEFAULTS_KEYS)
    ranked = sorted(priorities, key=lambda p: p.rank)
    chosen = {
        "priority": defaults["priority"] or (ranked[-1].name if ranked else None),
        "department": defaults["department"] or (departments[0].name if departments else None),
        "channel": defaults["channel"] or (channels[0].name if channels else None),
    }
    for key, known in (
        ("priority", [p.name for p in priorities]),
        ("department", [d.name for d in departments]),
        ("channel", [c.name for c in channels]),
    ):
        if defaults[key] is not None and known and defaults[key] not in known:
            reader.error(f"defaults.{key}", f"{defaults[key]!r} is not one of {', '.join(known)}")

    rules = reader.table(data.get("rules"), "rules")
    reader.read(rules, "rules", (), extra_ok=("reopen",))
    reopen = reader.read(reader.table(rules.get("reopen"), "rules.reopen"), "rules.reopen", REOPEN_KEYS)

    calendars = _read_calendars(reader, reader.table(data.get("calendars"), "calendars"), timezone)
    calendar_names = {c.name for c in calendars} | {ALWAYS_OPEN}
    if desk["calendar"] is not None and desk["calendar"] not in calendar_names:
        reader.error("desk.calendar", f"unknown calendar {desk['calendar']!r}; define [calendars.{desk['calendar']}] or use one of: {', '.join(sorted(calendar_names))}")
    rotations = _read_rotations(reader, reader.table(data.get("rotations"), "rotations"), timezone)
    layers = _read_layers(reader, data.get("oncall"), {r.name for r in rotations}, calendar_names)

    if not (priorities and departments and channels):
        return None
    return Policy(
        name=desk["name"],
        timezone=timezone,
        priorities=tuple(priorities),
        departments=tuple(departments),
        channels=tuple(channels),
        default_priority=chosen["priority"],
        default_department=chosen["department"],
        default_channel=chosen["channel"],
        reopen_within_days=reopen["within_days"],
        office_calendar=desk["calendar"],
        calendars=tuple(calendars),
        rotations=tuple(rotations),
        layers=tuple(layers),
    )


def _read_week(reader: Reader, value: Any, path: str) -> tuple[tuple[Any, ...], ...]:
    from supportdesk.clock import parse_days, parse_hours

    week: list[tuple[Any, ...] | None] = [None] * 7
    for days_text, hours_text in reader.table(value, path).items():
        where = _join(path, days_text)
        try:
            days = parse_days(days_text)
            hours = parse_hours(hours_text)
        except InvalidInput as error:
            reader.error(where, str(error))
            continue
        for day in days:
            if week[day] is not None:
                reader.error(where, f"{('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')[day]} is given hours twice; list each day once")
            week[day] = hours
    return tuple(h or () for h in week)


def _read_calendars(reader: Reader, table: dict[str, Any], desk_zone: str) -> list[CalendarSpec]:
    from supportdesk.clock import CalendarSpec, HolidayRule, holiday_country_known, parse_hours

    specs = []
    for raw_name, raw in table.items():
        path = _join("calendars", raw_name)
        try:
            name = _name(raw_name)
        except InvalidInput as error:
            reader.error(path, str(error))
            continue
        values = reader.read(reader.table(raw, path), path, CALENDAR_KEYS)
        zone = values["timezone"] or desk_zone
        if values["always_open"]:
            if values["hours"]:
                reader.error(f"{path}.hours", "an always_open calendar has no hours; remove one of the two")
            week = CalendarSpec.always_open(name, zone).week
        else:
            before = len(reader.problems)
            week = _read_week(reader, values["hours"], f"{path}.hours")
            if not any(week) and not values["special_hours"] and len(reader.problems) == before:
                reader.error(f"{path}.hours", "the calendar is never open; give hours such as { \"mon-fri\" = \"09:00-18:00\" } or always_open = true")
        holidays = None
        raw_holidays = values["holidays"]
        if raw_holidays is not None:
            if isinstance(raw_holidays, str):
                raw_holidays = {"country": raw_holidays}
            if not isinstance(raw_holidays, dict):
                reader.error(f"{path}.holidays", f"expected a country code such as \"TR\" or a table, got {_kind(raw_holidays)}")
            else:
                h = reader.read(raw_holidays, f"{path}.holidays", (
                    Key("country", None, "ISO country code, e.g. TR.", _text, required=True),
                    Key("subdivision", None, "Subdivision code, e.g. BE for Berlin.", _optional(_text)),
                ))
                if h["country"]:
                    problem = holiday_country_known(h["country"].upper(), h["subdivision"])
                    if problem:
                        reader.error(f"{path}.holidays", f"{problem.rstrip('.')}; use an ISO code python-holidays knows, e.g. TR, IR, DE")
                    else:
                        holidays = HolidayRule(h["country"].upper(), h["subdivision"])
        closed: set[date] = set()
        raw_closed = values["closed_dates"]
        if not isinstance(raw_closed, list):
            reader.error(f"{path}.closed_dates", f"expected a list of dates, got {_kind(raw_closed)}")
        else:
            for i, item in enumerate(raw_closed):
                try:
                    closed.add(_date(item))
                except InvalidInput as error:
                    reader.error(f"{path}.closed_dates[{i}]", str(error))
        special = []
        for day_text, hours_text in reader.table(values["special_hours"], f"{path}.special_hours").items():
            where = _join(f"{path}.special_hours", str(day_text))
            try:
                special.append((_date(day_text), parse_hours(hours_text)))
            except InvalidInput as error:
                reader.error(where, str(error))
        specs.append(
            CalendarSpec(
                name=name,
                timezone=zone,
                week=week,
                holidays=holidays,
                half_day_close=values["half_day_close"],
                closed_dates=frozenset(closed),
                special_hours=tuple(sorted(special)),
            )
        )
    return specs


def _read_rotations(reader: Reader, table: dict[str, Any], desk_zone: str) -> list[Rotation]:
    from supportdesk.oncall import Rotation

    rotations = []
    for raw_name, raw in table.items():
        path = _join("rotations", raw_name)
        try:
            name = _name(raw_name)
        except InvalidInput as error:
            reader.error(path, str(error))
            continue
        values = reader.read(reader.table(raw, path), path, ROTATION_KEYS)
        if not values["members"]:
            reader.warn(f"{path}.members", "the rotation is empty; nobody will be on call for it")
        if values["shift"] is not None and values["shift"] <= timedelta(0):
            reader.error(f"{path}.shift", "a shift must last longer than 0; e.g. \"1d\" or \"1w\"")
            values["shift"] = None
        rotations.append(
            Rotation(name, tuple(values["members"]), values["shift"], values["handoff"], values["timezone"] or desk_zone, values["start"])
        )
    return rotations


def _read_layers(reader: Reader, value: Any, rotations: set[str], calendars: set[str]) -> list[Layer]:
    from supportdesk.oncall import LAYER_WHEN, Layer

    layers = []
    seen = set()
    for i, raw in enumerate(reader.items(value, "oncall")):
        path = f"oncall[{i}]"
        values = reader.read(raw, path, LAYER_KEYS)
        if values["layer"] is None or values["rotation"] is None:
            continue
        ok = True
        if values["layer"] in seen:
            reader.error(f"{path}.layer", f"layer {values['layer']!r} is defined twice")
            ok = False
        if values["rotation"] not in rotations:
            reader.error(f"{path}.rotation", f"unknown rotation {values['rotation']!r}; define [rotations.{values['rotation']}]")
            ok = False
        if values["when"] not in LAYER_WHEN:
            reader.error(f"{path}.when", f"unknown value {values['when']!r}; use open, closed or always")
            ok = False
        if values["when"] != "always" and values["calendar"] is None:
            reader.error(f"{path}.calendar", f"a layer on duty when a calendar is {values['when']} needs calendar = \"NAME\"")
            ok = False
        if values["calendar"] is not None and values["calendar"] not in calendars:
            reader.error(f"{path}.calendar", f"unknown calendar {values['calendar']!r}; use one of: {', '.join(sorted(calendars))}")
            ok = False
        seen.add(values["layer"])
        if ok:
            layers.append(Layer(values["layer"], values["rotation"], values["calendar"], values["when"]))
    return layers


def load_calendar_file(text: str, source: str) -> Policy:
    """A file of calendars (and rotations, on-call) alone, completed from the default policy."""
    data = parse_toml(text, source)
    base = tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    merged = {**base, **data, "desk": {**base.get("desk", {}), **data.get("desk", {})}}
    policy, problems = check_data(merged)
    if policy is None:
        raise PolicyInvalid(source, problems, text)
    return policy


def read_policy_file(path: Path) -> str:
    """The text of a policy file, or InvalidInput naming why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"no policy file at {path}") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a directory, not a policy file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"cannot read policy file {path}: {error}") from None
