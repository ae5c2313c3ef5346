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


# ---- more converters -----------------------------------------------------------------

SCRIPTS = ("latin", "arabic", "cyrillic", "greek", "hebrew", "armenian", "georgian")
ON_MISSING = ("refuse", "flag", "close")
DUPLICATE_ACTIONS = ("allow", "flag", "refuse")
ABUSE_ACTIONS = ("flag", "close", "ban")
CREDIT_FORMS = ("service-credit", "cash")
NOTIFY_PARTIES = ("customer", "reseller")


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        text = _text(value).lower()
        if text not in options:
            raise InvalidInput(f"unknown value {text!r}; use one of: {', '.join(options)}")
        return text

    return convert


def _name_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise InvalidInput(f"expected a list such as [\"mail\", \"dns\"], got {_kind(value)}")
    return tuple(dict.fromkeys(_name(v) for v in value))


def _field_list(value: Any) -> tuple[str, ...]:
    """Field specs: `domain`, or `server_ip|order_number` for one of several."""
    if not isinstance(value, list):
        raise InvalidInput(f"expected a list of field names such as [\"domain\", \"server_ip|order_number\"], got {_kind(value)}")
    specs = []
    for item in value:
        alternatives = [_field_name(part) for part in _text(item).split("|")]
        specs.append("|".join(alternatives))
    return tuple(dict.fromkeys(specs))


def _field_name(value: str) -> str:
    text = value.strip().lower()
    if not re.fullmatch(r"[a-z][a-z0-9_]*", text):
        raise InvalidInput(f"{value!r} is not a field name; use lower_case_with_underscores, e.g. server_ip")
    return text


def _languages(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise InvalidInput(f"expected a list of ISO 639-1 codes such as [\"tr\", \"en\"], got {_kind(value)}")
    codes = []
    for item in value:
        code = _text(item).lower()
        if not re.fullmatch(r"[a-z]{2}", code):
            raise InvalidInput(f"{item!r} is not an ISO 639-1 language code; use two letters such as fa, tr, en")
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def _share(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"expected a share between 0 and 1 such as 0.25, got {_kind(value)}")
    if not 0 < value < 1:
        raise InvalidInput(f"must be between 0 and 1 (0.25 means 25 %), not {value}")
    return float(value)


def _percent(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"expected a percentage such as 99.9, got {_kind(value)}")
    if not 0 < value <= 100:
        raise InvalidInput(f"must be a percentage above 0 and at most 100, not {value}")
    return float(value)


def _migrations(value: Any) -> int | str:
    if value == "unlimited":
        return "unlimited"
    try:
        return _non_negative_int(value)
    except InvalidInput:
        raise InvalidInput(f"expected a number of migrations or \"unlimited\", got {value!r}") from None


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise InvalidInput(f"expected a list of texts, got {_kind(value)}")
    return tuple(_text(v) for v in value)


# ---- key tables (name, default, meaning, reader) ------------------------------------
# `policy show --explain` prints these: every key, its default and what it means.

DESK_KEYS = (
    Key("name", "supportdesk", "The desk's name, shown in headers."),
    Key("timezone", "UTC", "IANA time zone of the desk; instants without an offset are read in it.", _zone),
    Key("calendar", None, "The office-hours calendar: the default for clock commands and 'outside office hours'.", _optional(_name)),
    Key("languages", (), "Languages tickets may be written in (ISO 639-1 codes); empty: any.", _languages),
    Key("required_script", None, "The script ticket text must be written in: " + ", ".join(SCRIPTS) + ".", _optional(_choice(SCRIPTS))),
    Key("verify_identity", False, "Only a verified owner of the service may be helped.", _bool),
    Key("kb_first", "", "A reminder shown when filing: read the knowledge base first."),
    Key("notes", (), "Rules the desk states but cannot enforce, kept for people to read.", _texts),
)
DEFAULTS_KEYS = (
    Key("priority", None, "Priority of a ticket filed without one (default: the least urgent).", _optional(_name)),
    Key("department", None, "Department of a ticket filed without one (default: the first).", _optional(_name)),
    Key("channel", None, "Channel of a ticket filed without one (default: the first).", _optional(_name)),
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
PRIORITY_KEYS = (
    Key("name", None, "The priority's name, e.g. critical.", _name, required=True),
    Key("rank", None, "1 is the most urgent; default: the order in the file.", _optional(_rank)),
    Key("meaning", "", "When to choose it, in the provider's words."),
    Key("respond", None, "First-response target, e.g. \"1h\".", _optional(_duration)),
    Key("resolve", None, "Resolution target, e.g. \"4h\".", _optional(_duration)),
    Key("calendar", None, "The calendar targets are counted in (default: calendar time, 24/7).", _optional(_name)),
    Key("respond_outside", None, "First-response target for tickets filed outside office hours or on holidays.", _optional(_duration)),
    Key("resolve_outside", None, "Resolution target for tickets filed outside office hours or on holidays.", _optional(_duration)),
    Key("outside_allowance", None, "Time added to the targets of tickets filed outside office hours.", _optional(_duration)),
    Key("page_on_call", False, "Filed outside office hours: notify the on-duty person at once.", _bool),
)
DEPARTMENT_KEYS = (
    Key("name", None, "The department's name, e.g. technical.", _name, required=True),
    Key("label", None, "How it is shown, e.g. Technical.", _optional(_text)),
    Key("meaning", "", "What it handles."),
    Key("fields", (), "Fields every ticket here must carry; \"a|b\" means one of them.", _field_list),
    Key("fields_by_priority", {}, "More required fields per priority: { high = [\"server_ip|order_number\"] }.", _raw),
    Key("field_help", {}, "What each field means, shown when it is missing: { server_ip = \"…\" }.", _raw),
    Key("on_missing", "flag", "When required fields are missing: refuse, flag, or close (without an answer).", _choice(ON_MISSING)),
)
CHANNEL_KEYS = (
    Key("name", None, "The channel's name: ticket, email, chat, phone…", _name, required=True),
    Key("meaning", "", "How the channel is used."),
    Key("calendar", None, "When the channel is staffed (default: always).", _optional(_name)),
    Key("respond", None, "Response target for tickets that arrive this way, e.g. \"24h\".", _optional(_duration)),
    Key("files_tickets", True, "Tickets may be filed through it (false: talk only).", _bool),
    Key("registered_sender_only", False, "Account matters are taken only from the registered address.", _bool),
)
PACKAGE_KEYS = (
    Key("name", None, "The package's name, e.g. premium.", _name, required=True),
    Key("meaning", "", "What it is."),
    Key("uptime", None, "Uptime guarantee in percent, e.g. 99.95.", _optional(_percent)),
    Key("respond", None, "Guaranteed first response, e.g. \"1h\"; the strictest target applies.", _optional(_duration)),
    Key("migrations", None, "Site migrations included: a number or \"unlimited\".", _optional(_migrations)),
    Key("migrations_paid", False, "The included migrations are charged for.", _bool),
    Key("admin_support", False, "Restores administration support after a server is delivered.", _bool),
)
SCOPE_KEYS = (
    Key("in_scope", (), "Categories support covers.", _name_list),
    Key("out_of_scope", (), "Categories support does not cover (or sells as a paid service).", _name_list),
    Key("out_message", "", "What the customer is told when a ticket is out of scope."),
    Key("discretion", False, "The engineer on the ticket may still decide to help.", _bool),
)
AFTER_DELIVERY_KEYS = (
    Key("services", (), "Server services this applies to, e.g. [\"vps\", \"dedicated\"].", _name_list),
    Key("included", (), "What is done before delivery, e.g. [\"setup\", \"site-migration\", \"tuning\"].", _name_list),
    Key("unless_packages", (), "Packages that restore administration support after delivery.", _name_list),
    Key("message", "", "What the customer is told about administration after delivery."),
)
RESELLER_KEYS = (
    Key("end_customers_may_file", True, "A reseller's end customer may file directly.", _bool),
    Key("notify", ("customer", "reseller"), "Who is told when an end customer is refused.", lambda v: tuple(_choice(NOTIFY_PARTIES)(x) for x in _names(v))),
    Key("message", "", "What the refused end customer is told ({reseller} is replaced by the reseller)."),
    Key("reseller_channels", (), "Channels resellers may file through; empty: any.", _name_list),
)
REOPEN_KEYS = (
    Key("within_days", None, "A resolved or closed ticket may be reopened within this many days (0: never; absent: always).", _optional(_days)),
)
DUPLICATE_KEYS = (
    Key("action", "flag", "A ticket repeating an open one of the same customer: allow, flag or refuse.", _choice(DUPLICATE_ACTIONS)),
    Key("window", timedelta(days=7), "How far back to look for the open ticket it repeats.", _duration),
)
ABUSE_KEYS = (
    Key("action", "flag", "Abusive language: flag the ticket, close it, or close it and ban the requester.", _choice(ABUSE_ACTIONS)),
    Key("patterns", {}, "Words or regular expressions per language: { en = [\"idiot\"] }.", _raw),
    Key("message", "", "What the requester is told when the ticket is closed for abuse."),
)
FINE_KEYS = (
    Key("enabled", False, "Breaking the rules may be fined per ticket.", _bool),
    Key("amount", "", "The fine, as the provider states it."),
    Key("violations", (), "Which rules: duplicates, wrong-language, missing-info, reopen…", _name_list),
    Key("suspend_when_unpaid", False, "Unpaid fines suspend support for the customer.", _bool),
)
CREDIT_KEYS = (
    Key("claim_within_days", None, "An SLA credit claim must be filed by ticket within this many days of the outage.", _optional(_days)),
    Key("form", "service-credit", "How compensation is paid: service-credit or cash.", _choice(CREDIT_FORMS)),
    Key("table", (), "Credit by outage length: [{ outage = \"1h\", credit = 5 }] (credit in percent).", _raw),
)
ESCALATION_LEVEL_KEYS = (
    Key("name", None, "The level's name, e.g. support, engineer, management.", _name, required=True),
    Key("layers", (), "On-call layers staffing it; the first one on duty answers.", _name_list),
    Key("meaning", "", "Who they are."),
)
SLA_KEYS = (
    Key("at_risk_share", 0.25, "A ticket is at risk when less than this share of its target is left.", _share),
)
LIMITS_KEYS = (
    Key("body_max_bytes", 1_000_000, "The largest description or reply, in bytes of UTF-8; larger ones are refused.", _body_limit),
)
NOTIFICATION_KEYS = (
    Key("to", (), "Where notifications go: customer-area, email…", _name_list),
    Key("types", (), "Notification types that can have their own address: invoices, support, abuse…", _name_list),
    Key("page_channel", "sms", "How the on-duty person is paged for an urgent ticket filed out of hours.", _name),
    Key("escalation_channel", "email", "How the person a ticket is escalated to is told.", _name),
)

SECTIONS = (
    "desk", "defaults", "calendars", "rotations", "oncall", "priorities", "departments", "channels",
    "packages", "scope", "rules", "escalation", "sla", "limits", "notifications",
)
RULES = ("reopen", "reseller", "duplicates", "abuse", "fines", "sla_credit")

# For `policy show --explain`: table paths and the keys they take.
KEY_TABLES: tuple[tuple[str, tuple[Key, ...]], ...] = (
    ("desk", DESK_KEYS),
    ("defaults", DEFAULTS_KEYS),
    ("calendars.NAME", CALENDAR_KEYS),
    ("rotations.NAME", ROTATION_KEYS),
    ("oncall[]", LAYER_KEYS),
    ("priorities[]", PRIORITY_KEYS),
    ("departments[]", DEPARTMENT_KEYS),
    ("channels[]", CHANNEL_KEYS),
    ("packages[]", PACKAGE_KEYS),
    ("scope", SCOPE_KEYS),
    ("scope.after_delivery", AFTER_DELIVERY_KEYS),
    ("rules.reopen", REOPEN_KEYS),
    ("rules.reseller", RESELLER_KEYS),
    ("rules.duplicates", DUPLICATE_KEYS),
    ("rules.abuse", ABUSE_KEYS),
    ("rules.fines", FINE_KEYS),
    ("rules.sla_credit", CREDIT_KEYS),
    ("escalation.levels[]", ESCALATION_LEVEL_KEYS),
    ("sla", SLA_KEYS),
    ("limits", LIMITS_KEYS),
    ("notifications", NOTIFICATION_KEYS),
)


# ---- reading -------------------------------------------------------------------------


def policy_digest(text: str) -> str:
    """The SHA-256 of a policy's text, to tell versions apart."""
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_policy(text: str, source: str = "<policy>", *, verify_holidays: bool = True) -> Policy:
    """Parse and validate policy TOML; PolicyInvalid lists every error.

    A policy the desk stored was verified when applied: pass verify_holidays=False.
    """
    policy, problems = check_data(parse_toml(text, source), verify_holidays=verify_holidays)
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
        found = re.search(r"\(at line (\d+), column \d+\)", str(error))
        line = getattr(error, "lineno", None) or (int(found.group(1)) if found else None)
        message = str(error).split(" (at line")[0].split(" (at end of document")[0]
        where = f"{source}:{line}" if line else source
        raise InvalidInput(f"{where}: not valid TOML: {message}; check quotes, brackets and '=' signs") from None
    except RecursionError:  # tomllib recurses once per level of [ or {
        raise InvalidInput(f"{source}: arrays or inline tables are nested too deeply to read; a policy needs a few levels") from None


def check_data(data: dict[str, Any], *, verify_holidays: bool = True) -> tuple[Policy | None, list[Problem]]:
    """Validate parsed policy data: the policy (None on errors) and every problem."""
    reader = Reader(verify_holidays)
    policy = _build(data, reader)
    errors = [p for p in reader.problems if p.severity == "error"]
    if errors or policy is None:
        return None, reader.problems
    return replace(policy, warnings=tuple(p for p in reader.problems if p.severity == "warning")), reader.problems


def _named_list(
    reader: Reader, data: dict[str, Any], section: str, keys: tuple[Key, ...], prefix: str = ""
) -> list[tuple[str, dict[str, Any]]]:
    """An array of named tables: (path, values) of each valid, uniquely named entry."""
    items = []
    seen: dict[str, int] = {}
    before = len(reader.problems)
    for i, raw in enumerate(reader.items(data.get(section), prefix + section)):
        path = f"{prefix}{section}[{i}]"
        item = reader.read(raw, path, keys)
        name = item.get("name")
        if name is None:
            continue
        if name in seen:
            reader.error(f"{path}.name", f"{name!r} is defined twice (also {prefix}{section}[{seen[name]}]); names must be unique")
            continue
        seen[name] = i
        items.append((path, item))
    if section in data and not items and len(reader.problems) == before:
        reader.error(prefix + section, "needs at least one entry")
    return items


def _check_refs(reader: Reader, path: str, names: tuple[str, ...], known: set[str], what: str, how: str) -> None:
    for name in names:
        if name not in known:
            reader.error(path, f"unknown {what} {name!r}; {how}")


def _build(data: dict[str, Any], reader: Reader) -> Policy | None:
    for name in data:
        if name not in SECTIONS:
            guess = difflib.get_close_matches(name, SECTIONS, n=1)
            hint = f"did you mean {guess[0]!r}?" if guess else f"sections are: {', '.join(SECTIONS)}"
            reader.error(name, f"unknown section; {hint}")
    desk = reader.read(reader.table(data.get("desk"), "desk"), "desk", DESK_KEYS)
    timezone = desk["timezone"]

    calendars = _read_calendars(reader, data.get("calendars"), timezone)
    calendar_names = {c.name for c in calendars} | {ALWAYS_OPEN}
    known_calendars = ", ".join(sorted(calendar_names))
    if desk["calendar"] is not None and desk["calendar"] not in calendar_names:
        reader.error("desk.calendar", f"unknown calendar {desk['calendar']!r}; define [calendars.{desk['calendar']}] or use one of: {known_calendars}")
    rotations = _read_rotations(reader, data.get("rotations"), timezone)
    layers = _read_layers(reader, data.get("oncall"), {r.name for r in rotations}, calendar_names)

    priorities = []
    for i, (path, p) in enumerate(_named_list(reader, data, "priorities", PRIORITY_KEYS)):
        if p["calendar"] is not None and p["calendar"] not in calendar_names:
            reader.error(f"{path}.calendar", f"unknown calendar {p['calendar']!r}; use one of: {known_calendars}")
        outside = [k for k in ("respond_outside", "resolve_outside", "outside_allowance") if p[k] is not None]
        if outside and desk["calendar"] is None:
            reader.error(f"{path}.{outside[0]}", "outside office hours needs the office calendar; set desk.calendar = \"NAME\"")
        if p["respond"] and p["resolve"] and p["resolve"] < p["respond"]:
            reader.warn(f"{path}.resolve", f"the resolution target ({_show_duration(p['resolve'])}) is shorter than the response target ({_show_duration(p['respond'])})")
        if p["respond"] and p["respond_outside"] and p["respond_outside"] < p["respond"]:
            reader.warn(f"{path}.respond_outside", "the out-of-hours response target is stricter than the office-hours one")
        priorities.append(Priority(
            p["name"], p["rank"] if p["rank"] is not None else i + 1, p["meaning"], p["respond"], p["resolve"],
            p["calendar"], p["respond_outside"], p["resolve_outside"], p["outside_allowance"], p["page_on_call"],
        ))
    priority_names = {p.name for p in priorities}
    ranks = [p.rank for p in priorities]
    if len(set(ranks)) != len(ranks):
        reader.error("priorities", f"two priorities share a rank ({', '.join(str(r) for r in ranks)}); give each its own")

    departments = [_read_department(reader, path, d, priority_names) for path, d in _named_list(reader, data, "departments", DEPARTMENT_KEYS)]
    channels = []
    for path, c in _named_list(reader, data, "channels", CHANNEL_KEYS):
        if c["calendar"] is not None and c["calendar"] not in calendar_names:
            reader.error(f"{path}.calendar", f"unknown calendar {c['calendar']!r}; use one of: {known_calendars}")
        channels.append(Channel(c["name"], c["meaning"], c["calendar"], c["respond"], c["files_tickets"], c["registered_sender_only"]))
    for section in ("priorities", "departments", "channels"):
        if section not in data:
            reader.error(section, f"missing; the policy needs [[{section}]] entries")
    if channels and not any(c.files_tickets for c in channels):
        reader.error("channels", "no channel files tickets; set files_tickets = true on at least one")

    packages = [Package(**p) for _, p in _named_list(reader, data, "packages", PACKAGE_KEYS)]
    responds = [p.respond for p in priorities if p.respond]
    for i, package in enumerate(packages):
        if package.respond and responds and package.respond >= max(responds):
            reader.warn(f"packages[{i}].respond", f"the guarantee ({_show_duration(package.respond)}) is looser than every priority's response target, so it never applies")

    defaults = reader.read(reader.table(data.get("defaults"), "defaults"), "defaults", DEFAULTS_KEYS)
    ranked = sorted(priorities, key=lambda p: p.rank)
    chosen = {
        "priority": defaults["priority"] or (ranked[-1].name if ranked else None),
        "department": defaults["department"] or (departments[0].name if departments else None),
        "channel": defaults["channel"] or (next((c.name for c in channels if c.files_tickets), None)),
    }
    for key, known in (("priority", priority_names), ("department", {d.name for d in departments}), ("channel", {c.name for c in channels})):
        if defaults[key] is not None and known and defaults[key] not in known:
            reader.error(f"defaults.{key}", f"{defaults[key]!r} is not one of {', '.join(sorted(known))}")

    scope = _read_scope(reader, reader.table(data.get("scope"), "scope"), {p.name for p in packages})
    rules = _read_rules(reader, reader.table(data.get("rules"), "rules"), {c.name for c in channels})
    escalation = _read_escalation(reader, reader.table(data.get("escalation"), "escalation"), {layer.name for layer in layers})
    sla = reader.read(reader.table(data.get("sla"), "sla"), "sla", SLA_KEYS)
    limits = reader.read(reader.table(data.get("limits"), "limits"), "limits", LIMITS_KEYS)
    notifications = reader.read(reader.table(data.get("notifications"), "notifications"), "notifications", NOTIFICATION_KEYS)

    if not (priorities and departments and channels and chosen["channel"]):
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
        office_calendar=desk["calendar"],
        languages=desk["languages"],
        required_script=desk["required_script"],
        verify_identity=desk["verify_identity"],
        kb_first=desk["kb_first"],
        notes=desk["notes"],
        calendars=tuple(calendars),
        rotations=tuple(rotations),
        layers=tuple(layers),
        packages=tuple(packages),
        scope=scope,
        rules=rules,
        escalation=escalation,
        at_risk_share=sla["at_risk_share"],
        body_max_bytes=limits["body_max_bytes"],
        notify_to=notifications["to"],
        notify_types=notifications["types"],
        page_channel=notifications["page_channel"],
        escalation_channel=notifications["escalation_channel"],
    )


def _read_department(reader: Reader, path: str, d: dict[str, Any], priorities: set[str]) -> Department:
    by_priority = []
    for name, fields in reader.table(d["fields_by_priority"], f"{path}.fields_by_priority").items():
        where = _join(f"{path}.fields_by_priority", name)
        if name not in priorities:
            reader.error(where, f"unknown priority {name!r}; use one of: {', '.join(sorted(priorities))}")
            continue
        try:
            by_priority.append((name, _field_list(fields)))
        except InvalidInput as error:
            reader.error(where, str(error))
    help_pairs = []
    for name, text in reader.table(d["field_help"], f"{path}.field_help").items():
        try:
            help_pairs.append((_field_name(name), _text(text)))
        except InvalidInput as error:
            reader.error(_join(f"{path}.field_help", name), str(error))
    return Department(
        d["name"], d["label"] or d["name"].replace("-", " ").title(), d["meaning"], d["fields"],
        tuple(by_priority), tuple(help_pairs), d["on_missing"],
    )


def _read_scope(reader: Reader, table: dict[str, Any], packages: set[str]) -> Scope:
    values = reader.read(table, "scope", SCOPE_KEYS, extra_ok=("after_delivery",))
    both = set(values["in_scope"]) & set(values["out_of_scope"])
    if both:
        reader.error("scope.out_of_scope", f"{', '.join(sorted(both))} cannot be both in and out of scope")
    after = None
    if "after_delivery" in table:
        a = reader.read(reader.table(table["after_delivery"], "scope.after_delivery"), "scope.after_delivery", AFTER_DELIVERY_KEYS)
        _check_refs(reader, "scope.after_delivery.unless_packages", a["unless_packages"], packages, "package", "define it in [[packages]]")
        after = AfterDelivery(a["services"], a["included"], a["unless_packages"], a["message"])
    return Scope(values["in_scope"], values["out_of_scope"], values["out_message"], values["discretion"], after)


def _read_rules(reader: Reader, table: dict[str, Any], channels: set[str]) -> Rules:
    reader.read(table, "rules", (), extra_ok=RULES)

    def section(name: str, keys: tuple[Key, ...]) -> dict[str, Any]:
        return reader.read(reader.table(table.get(name), f"rules.{name}"), f"rules.{name}", keys)

    reopen = section("reopen", REOPEN_KEYS)
    reseller = section("reseller", RESELLER_KEYS)
    _check_refs(reader, "rules.reseller.reseller_channels", reseller["reseller_channels"], channels, "channel", "use a channel of [[channels]]")
    duplicates = section("duplicates", DUPLICATE_KEYS)
    abuse = section("abuse", ABUSE_KEYS)
    patterns = []
    for language, words in reader.table(abuse["patterns"], "rules.abuse.patterns").items():
        where = _join("rules.abuse.patterns", language)
        try:
            code = _languages([language])[0]
            texts = _texts(words)
            for text in texts:
                re.compile(text)
        except InvalidInput as error:
            reader.error(where, str(error))
            continue
        except re.error as error:
            reader.error(where, f"not a valid regular expression ({error}); escape special characters with \\\\")
            continue
        patterns.append((code, texts))
    fines = section("fines", FINE_KEYS)
    credit = section("sla_credit", CREDIT_KEYS)
    rows = []
    raw_table = credit["table"]
    if not isinstance(raw_table, (list, tuple)):
        reader.error("rules.sla_credit.table", f"expected a list of {{ outage = \"1h\", credit = 5 }}, got {_kind(raw_table)}")
        raw_table = []
    for i, row in enumerate(raw_table):
        values = reader.read(reader.table(row, f"rules.sla_credit.table[{i}]"), f"rules.sla_credit.table[{i}]", (
            Key("outage", None, "Outage length from which this credit applies.", _duration, required=True),
            Key("credit", None, "Credit in percent of the monthly fee.", _percent, required=True),
        ))
        if values["outage"] is not None and values["credit"] is not None:
            rows.append((values["outage"], values["credit"]))
    return Rules(
        reopen_within_days=reopen["within_days"],
        reseller=ResellerRule(reseller["end_customers_may_file"], reseller["notify"], reseller["message"], reseller["reseller_channels"]),
        duplicates=DuplicateRule(duplicates["action"], duplicates["window"]),
        abuse=AbuseRule(abuse["action"], tuple(patterns), abuse["message"]),
        fines=FineRule(fines["enabled"], fines["amount"], fines["violations"], fines["suspend_when_unpaid"]),
        sla_credit=CreditRule(credit["claim_within_days"], credit["form"], tuple(sorted(rows))),
    )


def _read_escalation(reader: Reader, table: dict[str, Any], layers: set[str]) -> tuple[EscalationLevel, ...]:
    reader.read(table, "escalation", (), extra_ok=("levels",))
    levels = []
    for path, level in _named_list(reader, table, "levels", ESCALATION_LEVEL_KEYS, prefix="escalation."):
        where = f"{path}.layers"
        _check_refs(reader, where, level["layers"], layers, "on-call layer", "define it in [[oncall]]")
        levels.append(EscalationLevel(level["name"], level["layers"], level["meaning"]))
    return tuple(levels)


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


def _read_week(reader: Reader, value: Any, path: str) -> tuple[tuple[Any, ...], ...]:
    from supportdesk.clock import parse_days, parse_hours

    week: list[tuple[Any, ...] | None] = [None] * 7
    for days_text, hours_text in reader.table(value, path).items():
        where = _join(path, days_text)
        try:
            days = parse_days(days_text)
            hours = parse_hours(hours_text, on_overlap=lambda message, where=where: reader.warn(where, message))
        except InvalidInput as error:
            reader.error(where, str(error))
            continue
        for day in days:
            if week[day] is not None:
                reader.error(where, f"{('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')[day]} is given hours twice; list each day once")
            week[day] = hours
    return tuple(h or () for h in week)


def _read_calendars(reader: Reader, table: Any, desk_zone: str) -> list[CalendarSpec]:
    from supportdesk.clock import (
        CalendarSpec,
        HolidayRule,
        holiday_country_known,
        parse_hours,
    )

    specs = []
    for path, name, values in reader.named_tables(table, "calendars", CALENDAR_KEYS):
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
                    problem = holiday_country_known(h["country"].upper(), h["subdivision"]) if reader.verify_holidays else None
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
                special.append((_date(day_text), parse_hours(hours_text, on_overlap=lambda m, w=where: reader.warn(w, m))))
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


# The shortest on-call shift a rotation may have.
MIN_SHIFT = timedelta(hours=1)


def _read_rotations(reader: Reader, table: Any, desk_zone: str) -> list[Rotation]:
    from supportdesk.oncall import Rotation

    rotations = []
    for path, name, values in reader.named_tables(table, "rotations", ROTATION_KEYS):
        if not values["members"]:
            reader.warn(f"{path}.members", "the rotation is empty; nobody will be on call for it")
        if values["shift"] is not None and values["shift"] <= timedelta(0):
            reader.error(f"{path}.shift", "a shift must last longer than 0; e.g. \"1d\" or \"1w\"")
            values["shift"] = None
        elif values["shift"] is not None and values["shift"] < MIN_SHIFT:
            # Shorter shifts make every on-call question walk millions of hand-offs.
            reader.error(f"{path}.shift", f"a shift must last at least {_show_duration(MIN_SHIFT)}; e.g. \"8h\", \"1d\" or \"1w\"")
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
    desk = data.get("desk", {})
    if not isinstance(desk, dict):  # `desk = "…"`: report it as the policy check would
        raise PolicyInvalid(source, [Problem("desk", f"expected a table, got {_kind(desk)}")], text)
    merged = {**base, **data, "desk": {**base.get("desk", {}), **desk}}
    policy, problems = check_data(merged)
    if policy is None:
        raise PolicyInvalid(source, problems, text)
    return policy


# ---- writing -------------------------------------------------------------------------


def _week_to_data(week: tuple[tuple[Any, ...], ...]) -> dict[str, str]:
    """Seven days of hours as day ranges: { "mon-fri" = "09:00-18:00", "sat" = "10:00-14:00" }."""
    from supportdesk.timetext import WEEKDAYS

    # Start the scan on a day that begins a run, so that sat-wed stays one range.
    start = next((d for d in range(7) if week[d] != week[(d - 1) % 7]), 0)
    order = [(start + i) % 7 for i in range(7)]
    runs: list[list[int]] = []
    for day in order:
        if runs and week[runs[-1][-1]] == week[day]:
            runs[-1].append(day)
        else:
            runs.append([day])
    out: dict[str, str] = {}
    for run in runs:
        if not week[run[0]]:
            continue
        if len(run) == 7:
            label = "daily"
        elif len(run) == 1:
            label = WEEKDAYS[run[0]]
        else:
            label = f"{WEEKDAYS[run[0]]}-{WEEKDAYS[run[-1]]}"
        out[label] = ", ".join(str(h) for h in week[run[0]])
    return out


def _clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _drop_defaults(values: dict[str, Any], keys: tuple[Key, ...]) -> dict[str, Any]:
    """Keep what differs from the key table's defaults (and required keys); drop empties."""
    defaults = {k.name: k.default for k in keys}
    required = {k.name for k in keys if k.required}
    out = {}
    for name, value in values.items():
        if name not in required and (value is None or value == defaults.get(name) or value in ((), [], {}, "")):
            continue
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


def policy_to_data(policy: Policy) -> dict[str, Any]:
    """The policy as TOML-ready data; loading it back gives an equal Policy."""
    from supportdesk.clock import CalendarSpec

    d = _show_duration
    opt = lambda value, convert: None if value is None else convert(value)  # noqa: E731
    doc: dict[str, Any] = {
        "desk": _drop_defaults(
            {
                "name": policy.name,
                "timezone": policy.timezone,
                "calendar": policy.office_calendar,
                "languages": policy.languages,
                "required_script": policy.required_script,
                "verify_identity": policy.verify_identity,
                "kb_first": policy.kb_first,
                "notes": policy.notes,
            },
            DESK_KEYS,
        )
        | {"name": policy.name, "timezone": policy.timezone},
        "defaults": {"priority": policy.default_priority, "department": policy.default_department, "channel": policy.default_channel},
    }
    calendars = {}
    for spec in policy.calendars:
        always = spec.week == CalendarSpec.always_open(spec.name, spec.timezone).week
        holidays = None
        if spec.holidays is not None:
            holidays = spec.holidays.country if not spec.holidays.subdivision else {"country": spec.holidays.country, "subdivision": spec.holidays.subdivision}
        calendars[spec.name] = _drop_defaults(
            {
                "timezone": spec.timezone,
                "always_open": always,
                "hours": {} if always else _week_to_data(spec.week),
                "holidays": holidays,
                "half_day_close": opt(spec.half_day_close, _clock_text),
                "closed_dates": sorted(spec.closed_dates),
                "special_hours": {day.isoformat(): ", ".join(str(h) for h in hours) or "closed" for day, hours in spec.special_hours},
            },
            CALENDAR_KEYS,
        )
    if calendars:
        doc["calendars"] = calendars
    if policy.rotations:
        doc["rotations"] = {
            r.name: _drop_defaults(
                {"members": r.members, "shift": opt(r.shift, d), "handoff": _clock_text(r.handoff), "timezone": r.timezone, "start": r.start},
                ROTATION_KEYS,
            )
            | {"members": list(r.members)}
            for r in policy.rotations
        }
    if policy.layers:
        doc["oncall"] = [
            _drop_defaults({"layer": layer.name, "rotation": layer.rotation, "calendar": layer.calendar, "when": layer.when}, LAYER_KEYS)
            for layer in policy.layers
        ]
    doc["priorities"] = [
        _drop_defaults(
            {
                "name": p.name, "rank": p.rank, "meaning": p.meaning, "respond": opt(p.respond, d), "resolve": opt(p.resolve, d),
                "calendar": p.calendar, "respond_outside": opt(p.respond_outside, d), "resolve_outside": opt(p.resolve_outside, d),
                "outside_allowance": opt(p.outside_allowance, d), "page_on_call": p.page_on_call,
            },
            PRIORITY_KEYS,
        )
        | {"rank": p.rank}
        for p in policy.priorities
    ]
    doc["departments"] = [
        _drop_defaults(
            {
                "name": dep.name, "label": dep.label, "meaning": dep.meaning, "fields": dep.fields,
                "fields_by_priority": {k: list(v) for k, v in dep.fields_by_priority},
                "field_help": dict(dep.field_help), "on_missing": dep.on_missing,
            },
            DEPARTMENT_KEYS,
        )
        for dep in policy.departments
    ]
    doc["channels"] = [
        _drop_defaults(
            {
                "name": c.name, "meaning": c.meaning, "calendar": c.calendar, "respond": opt(c.respond, d),
                "files_tickets": c.files_tickets, "registered_sender_only": c.registered_sender_only,
            },
            CHANNEL_KEYS,
        )
        for c in policy.channels
    ]
    if policy.packages:
        doc["packages"] = [
            _drop_defaults(
                {
                    "name": pk.name, "meaning": pk.meaning, "uptime": pk.uptime, "respond": opt(pk.respond, d),
                    "migrations": pk.migrations, "migrations_paid": pk.migrations_paid, "admin_support": pk.admin_support,
                },
                PACKAGE_KEYS,
            )
            for pk in policy.packages
        ]
    scope = _drop_defaults(
        {
            "in_scope": policy.scope.in_scope, "out_of_scope": policy.scope.out_of_scope,
            "out_message": policy.scope.out_message, "discretion": policy.scope.discretion,
        },
        SCOPE_KEYS,
    )
    if policy.scope.after_delivery is not None:
        a = policy.scope.after_delivery
        scope["after_delivery"] = _drop_defaults(
            {"services": a.services, "included": a.included, "unless_packages": a.unless_packages, "message": a.message},
            AFTER_DELIVERY_KEYS,
        )
    if scope:
        doc["scope"] = scope
    r = policy.rules
    rules = {
        "reopen": _drop_defaults({"within_days": r.reopen_within_days}, REOPEN_KEYS),
        "reseller": _drop_defaults(
            {"end_customers_may_file": r.reseller.end_customers_may_file, "notify": r.reseller.notify,
             "message": r.reseller.message, "reseller_channels": r.reseller.reseller_channels},
            RESELLER_KEYS,
        ),
        "duplicates": _drop_defaults({"action": r.duplicates.action, "window": d(r.duplicates.window)}, DUPLICATE_KEYS),
        "abuse": _drop_defaults(
            {"action": r.abuse.action, "patterns": {lang: list(words) for lang, words in r.abuse.patterns}, "message": r.abuse.message},
            ABUSE_KEYS,
        ),
        "fines": _drop_defaults(
            {"enabled": r.fines.enabled, "amount": r.fines.amount, "violations": r.fines.violations,
             "suspend_when_unpaid": r.fines.suspend_when_unpaid},
            FINE_KEYS,
        ),
        "sla_credit": _drop_defaults(
            {"claim_within_days": r.sla_credit.claim_within_days, "form": r.sla_credit.form,
             "table": [{"outage": d(outage), "credit": credit} for outage, credit in r.sla_credit.table]},
            CREDIT_KEYS,
        ),
    }
    if r.duplicates.window == timedelta(days=7):
        rules["duplicates"].pop("window", None)
    rules = {k: v for k, v in rules.items() if v}
    if rules:
        doc["rules"] = rules
    if policy.escalation:
        doc["escalation"] = {
            "levels": [_drop_defaults({"name": e.name, "layers": e.layers, "meaning": e.meaning}, ESCALATION_LEVEL_KEYS) for e in policy.escalation]
        }
    if policy.at_risk_share != 0.25:
        doc["sla"] = {"at_risk_share": policy.at_risk_share}
    if policy.body_max_bytes != 1_000_000:
        doc["limits"] = {"body_max_bytes": policy.body_max_bytes}
    notifications = _drop_defaults(
        {"to": policy.notify_to, "types": policy.notify_types, "page_channel": policy.page_channel, "escalation_channel": policy.escalation_channel},
        NOTIFICATION_KEYS,
    )
    if notifications:
        doc["notifications"] = notifications
    return doc


def dump_policy(policy: Policy) -> str:
    """The policy as normalised TOML (written with tomli-w), sections in a fixed order."""
    import tomli_w

    def array_item(path: str, item: dict[str, Any]) -> str:
        nested: Any = item
        for part in reversed(path.split(".")):
            nested = {part: nested}
        text = tomli_w.dumps(nested)
        header = f"[{path}]"
        return f"[[{path}]]{text[len(header):]}" if text.startswith(header) else text

    doc = policy_to_data(policy)
    chunks = []
    for section in SECTIONS:
        value = doc.get(section)
        if value is None:
            continue
        if isinstance(value, list):
            chunks.extend(array_item(section, item) for item in value)
        elif section == "escalation":
            chunks.extend(array_item("escalation.levels", item) for item in value["levels"])
        else:
            chunks.append(tomli_w.dumps({section: value}))
    return "\n".join(chunk.strip() + "\n" for chunk in chunks)


def _table_keys(path: str) -> tuple[Key, ...] | None:
    """The key table of a TOML table path such as `calendars.office` or `priorities[2]`."""
    generic = re.sub(r"\[\d+\]", "[]", path)
    parts = generic.split(".")
    if len(parts) == 2 and parts[0] in ("calendars", "rotations"):
        generic = f"{parts[0]}.NAME"
    return dict(KEY_TABLES).get(generic)


def _show_default(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, timedelta):
        return _show_duration(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def explain_policy(toml_text: str) -> str:
    """Normalised policy TOML with each key's meaning above it and unset keys listed."""
    out: list[str] = []
    table_keys: tuple[Key, ...] | None = None
    seen: set[str] = set()

    def close_table() -> None:
        if table_keys:
            unset = [k for k in table_keys if k.name not in seen and not k.required]
            for key in unset:
                out.append(f"# {key.name} = {_show_default(key.default)}  (unset) {key.help}")
            if unset and out and out[-1] != "":
                pass

    lines = toml_text.splitlines()
    paths = {line: path for path, line in key_lines(toml_text).items()}
    for number, raw in enumerate(lines, start=1):
        header = _HEADER_RE.match(raw)
        if header and not _KEY_RE.match(raw):
            close_table()
            path = paths.get(number, "")
            table_keys = _table_keys(path)
            seen = set()
            if out and out[-1] != "":
                out.append("")
            out.append(raw)
            continue
        key = _KEY_RE.match(raw)
        if key and table_keys:
            name = _split_dotted(key.group(1))[0]
            spec = next((k for k in table_keys if k.name == name), None)
            if spec is not None:
                seen.add(name)
                out.append(f"# {spec.help} (default: {_show_default(spec.default)})")
        if raw.strip():
            out.append(raw)
    close_table()
    return "\n".join(out) + "\n"


def read_policy_file(path: Path) -> str:
    """The text of a policy file, or InvalidInput naming why it cannot be read."""
    if "\x00" in str(path):
        raise InvalidInput(f"the policy file name {str(path)!r} contains a NUL character; name the file without it")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"no policy file at {path}") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a directory, not a policy file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"cannot read policy file {path}: {error}") from None
