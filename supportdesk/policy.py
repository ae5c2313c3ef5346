"""The desk's policy: TOML text in, a validated frozen Policy out. Pure.

Every key is declared once in a table of `Key`s with its default, a one-line meaning and
a converter; reading collects every problem (with its dotted key path) instead of
stopping at the first, so `policy check` can list them all, each at its line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
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
    array_index: dict[tuple[str, ...], int] = {}  # array-of-tables path -> current index

    def indexed(parts: list[str]) -> list[str]:
        # [departments.fields_by_priority] after [[departments]] belongs to its last entry
        for cut in range(len(parts), 0, -1):
            base = tuple(parts[:cut])
            if base in array_index:
                return [*parts[:cut], f"[{array_index[base]}]", *parts[cut:]]
        return parts

    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER_RE.match(raw)
        if header and not _KEY_RE.match(raw):
            parts = _split_dotted(header.group(2))
            if header.group(1) == "[[":
                base = tuple(parts)
                array_index[base] = array_index.get(base, -1) + 1
                table = [*indexed(parts[:-1]), parts[-1], f"[{array_index[base]}]"] if len(parts) > 1 else [*parts, f"[{array_index[base]}]"]
            else:
                table = indexed(parts)
            lines.setdefault(_path_text(table), number)
            continue
        key = _KEY_RE.match(raw)
        if key:
            lines.setdefault(_path_text(table + _split_dotted(key.group(1))), number)
    return lines


def locate(text: str, path: str) -> int | None:
    """The line of `path`, or of its nearest parent that has one."""
    lines = key_lines(text)
    if path and path not in lines:
        inside = [n for p, n in lines.items() if p.startswith((f"{path}[", f"{path}."))]
        if inside:
            return min(inside)
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


# Day counts (reopen window, claim window) are at most this: a longer one would overflow
# the dates computed from it, and no rule needs more than a century.
MAX_DAYS = 36500


def _days(value: Any) -> int:
    number = _non_negative_int(value)
    if number > MAX_DAYS:
        raise InvalidInput(f"must be at most {MAX_DAYS} days (100 years), not {number}")
    return number


# Priority ranks: 1 is the most urgent; a rank is stored on every ticket (an SQLite integer).
MAX_RANK = 1000


def _rank(value: Any) -> int:
    number = _int(value)
    if not 1 <= number <= MAX_RANK:
        raise InvalidInput(f"must be between 1 (the most urgent) and {MAX_RANK}, not {number}")
    return number


def _body_limit(value: Any) -> int:
    number = _int(value)
    if not 1_000 <= number <= 50_000_000:
        raise InvalidInput(f"must be between 1000 and 50000000 bytes, not {number}")
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

    def __init__(self, verify_holidays: bool = True) -> None:
        self.problems: list[Problem] = []
        # Asking python-holidays whether a country exists costs ~200 ms of imports: done
        # when a policy file is checked or applied, not each time a stored one is read.
        self.verify_holidays = verify_holidays

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

    def named_tables(self, value: Any, section: str, keys: tuple[Key, ...]) -> list[tuple[str, str, dict[str, Any]]]:
        """Tables keyed by name (`[calendars.office]`): (path, name, values) of each."""
        found = []
        for raw_name, raw in self.table(value, section).items():
            path = _join(section, raw_name)
            try:
                name = _name(raw_name)
            except InvalidInput as error:
                self.error(path, str(error))
                continue
            found.append((path, name, self.read(self.table(raw, path), path, keys)))
        return found

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
    """A priority: rank (1 is most urgent), meaning, and its SLA targets."""

    name: str
    rank: int
    meaning: str = ""
    respond: timedelta | None = None  # first-response target
    resolve: timedelta | None = None  # resolution target
    calendar: str | None = None  # the calendar targets count in; None: calendar time (24/7)
    respond_outside: timedelta | None = None  # first-response target for tickets filed outside office hours
    resolve_outside: timedelta | None = None
    outside_allowance: timedelta | None = None  # added to the targets when filed outside office hours
    page_on_call: bool = False  # filed outside office hours: notify the on-duty person at once


@dataclass(frozen=True)
class Department:
    """A department and what a ticket filed to it must carry."""

    name: str
    label: str
    meaning: str = ""
    fields: tuple[str, ...] = ()  # each `a|b` means one of them
    fields_by_priority: tuple[tuple[str, tuple[str, ...]], ...] = ()
    field_help: tuple[tuple[str, str], ...] = ()
    on_missing: str = "flag"  # refuse | flag | close

    def required_fields(self, priority: str) -> tuple[str, ...]:
        """Field specs a ticket of this priority must carry here."""
        extra = dict(self.fields_by_priority).get(priority, ())
        return tuple(dict.fromkeys((*self.fields, *extra)))


@dataclass(frozen=True)
class Channel:
    """A way tickets and talks arrive, with its hours and response target."""

    name: str
    meaning: str = ""
    calendar: str | None = None  # when it is staffed; None: always
    respond: timedelta | None = None  # response target for tickets that arrive this way
    files_tickets: bool = True  # False: talk only (phone, chat); tickets come another way
    registered_sender_only: bool = False  # account matters only from the registered address


@dataclass(frozen=True)
class Package:
    """An SLA package: uptime guarantee, guaranteed response, what it includes."""

    name: str
    meaning: str = ""
    uptime: float | None = None  # percent
    respond: timedelta | None = None  # guaranteed first response
    migrations: int | str | None = None  # site migrations included: a number or "unlimited"
    migrations_paid: bool = False
    admin_support: bool = False  # restores administration support after server delivery


@dataclass(frozen=True)
class AfterDelivery:
    """What support covers for servers once they are delivered."""

    services: tuple[str, ...] = ()
    included: tuple[str, ...] = ()  # done before delivery
    unless_packages: tuple[str, ...] = ()  # packages that restore administration support
    message: str = ""


@dataclass(frozen=True)
class Scope:
    """What support covers, and what it does not (or only for a fee)."""

    in_scope: tuple[str, ...] = ()
    out_of_scope: tuple[str, ...] = ()
    out_message: str = ""
    discretion: bool = False  # the engineer on the ticket may still help
    after_delivery: AfterDelivery | None = None


@dataclass(frozen=True)
class ResellerRule:
    """Whether a reseller's end customers may file, and who is told."""

    end_customers_may_file: bool = True
    notify: tuple[str, ...] = ("customer", "reseller")
    message: str = ""
    reseller_channels: tuple[str, ...] = ()  # resellers may file only this way; empty: any


@dataclass(frozen=True)
class DuplicateRule:
    """What to do with a ticket that repeats an open one."""

    action: str = "flag"  # allow | flag | refuse
    window: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class AbuseRule:
    """Insults and profanity: patterns per language, and what follows."""

    action: str = "flag"  # flag | close | ban
    patterns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    message: str = ""


@dataclass(frozen=True)
class FineRule:
    """Fines for breaking the rules, and suspension while unpaid."""

    enabled: bool = False
    amount: str = ""
    violations: tuple[str, ...] = ()
    suspend_when_unpaid: bool = False


@dataclass(frozen=True)
class CreditRule:
    """SLA compensation: how long a claim may wait, and in what form."""

    claim_within_days: int | None = None
    form: str = "service-credit"  # service-credit | cash
    table: tuple[tuple[timedelta, float], ...] = ()  # (outage at least, credit percent)


@dataclass(frozen=True)
class Rules:
    """The policy's rules about requests and requesters."""

    reopen_within_days: int | None = None  # None: any time; 0: never
    reseller: ResellerRule = ResellerRule()
    duplicates: DuplicateRule = DuplicateRule()
    abuse: AbuseRule = AbuseRule()
    fines: FineRule = FineRule()
    sla_credit: CreditRule = CreditRule()


@dataclass(frozen=True)
class EscalationLevel:
    """A level tickets climb to, staffed by on-call layers (the first active one answers)."""

    name: str
    layers: tuple[str, ...] = ()
    meaning: str = ""


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
    office_calendar: str | None = None
    languages: tuple[str, ...] = ()
    required_script: str | None = None
    verify_identity: bool = False
    kb_first: str = ""
    notes: tuple[str, ...] = ()
    calendars: tuple[CalendarSpec, ...] = ()
    rotations: tuple[Rotation, ...] = ()
    layers: tuple[Layer, ...] = ()
    packages: tuple[Package, ...] = ()
    scope: Scope = Scope()
    rules: Rules = Rules()
    escalation: tuple[EscalationLevel, ...] = ()
    at_risk_share: float = 0.25
    body_max_bytes: int = 1_000_000
    notify_to: tuple[str, ...] = ()
    notify_types: tuple[str, ...] = ()
    page_channel: str = "sms"
    escalation_channel: str = "email"
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    @cached_property
    def zone(self) -> ZoneInfo:
        """The desk's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def reopen_within_days(self) -> int | None:
        """Days a finished ticket may be reopened (None: always; 0: never)."""
        return self.rules.reopen_within_days

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

    def department(self, name: str) -> Department:
        """The department called `name` (KeyError when unknown)."""
        return next(d for d in self.departments if d.name == name)

    def channel(self, name: str) -> Channel:
        """The channel called `name` (KeyError when unknown)."""
        return next(c for c in self.channels if c.name == name)

    def package(self, name: str) -> Package:
        """The package called `name` (KeyError when unknown)."""
        return next(p for p in self.packages if p.name == name)

    @property
    def calendar_names(self) -> tuple[str, ...]:
        """Calendar names, with the always-open calendar that every desk has."""
        names = tuple(c.name for c in self.calendars)
        return names if ALWAYS_OPEN in names else (*names, ALWAYS_OPEN)

    @property
    def default_calendar(self) -> str:
        """The calendar clock commands use when none is named."""
        return self.office_calendar or (self.calendars[0].name if self.calendars else ALWAYS_OPEN)

    def calendar_spec(self, name: str) -> CalendarSpec:
        """A calendar's spec by name; InvalidInput listing the known ones when unknown."""
        from supportdesk.clock import CalendarSpec

        for spec in self.calendars:
            if spec.name == name:
                return spec
        if name == ALWAYS_OPEN:
            return CalendarSpec.always_open(ALWAYS_OPEN, self.timezone)
        raise InvalidInput(f"unknown calendar {name!r}; this policy has: {', '.join(self.calendar_names)}")

    def calendar(self, name: str | None = None) -> Calendar:
        """A compiled calendar (cached per policy)."""
        name = name or self.default_calendar
        cache = self.__dict__.setdefault("_calendars", {})
        if name not in cache:
            from supportdesk.clock import Calendar

            cache[name] = Calendar(self.calendar_spec(name), self.__dict__.get("_holiday_cache"))
        return cache[name]

    def use_holiday_cache(self, holiday_cache: Any) -> None:
        """Read public holidays from this cache before asking python-holidays."""
        self.__dict__["_holiday_cache"] = holiday_cache
        self.__dict__.pop("_calendars", None)

    @property
    def holiday_rules(self) -> tuple[Any, ...]:
        """Every holiday rule the policy's calendars use."""
        return tuple(dict.fromkeys(c.holidays for c in self.calendars if c.holidays is not None))

    def oncall(self, overrides: tuple[Override, ...] = ()) -> OnCall:
        """The on-call model of this policy, with the desk's overrides."""
        from supportdesk.oncall import OnCall

        used = {layer.calendar for layer in self.layers if layer.calendar}
        return OnCall(self.layers, {r.name: r for r in self.rotations}, {n: self.calendar(n) for n in used}, overrides)


def _show_duration(delta: timedelta) -> str:
    """`1h30m`, `2d`, `10m`: the compact form a policy file uses."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0"
    out = ""
    if seconds % 604800 == 0:
        return f"{seconds // 604800}w"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            out += f"{amount}{unit}"
    return out


# Reading lives in policy_read.py (a module of its own, to stay small); its public
# functions are part of this module's interface.
from supportdesk.policy_read import (  # noqa: E402 - after the model it builds on
    check_policy,
    load_calendar_file,
    load_policy,
    parse_toml,
    policy_digest,
    read_policy_file,
)

__all__ = ["check_policy", "load_calendar_file", "load_policy", "parse_toml", "policy_digest", "read_policy_file"]
