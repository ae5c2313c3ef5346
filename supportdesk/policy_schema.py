"""How a policy key is declared: once, on the field of the model that holds it.

A field of a policy dataclass declared with `key(...)` carries its TOML path, default,
one-line meaning, its kind (how the TOML value is read and checked, and written back),
what names it must refer to, and whether the desk acts on it. Reading (`policy_read.py`),
dumping and `policy show --explain` (`policy_text.py`) and `policy check`'s warnings are
derived from these declarations; nothing else lists the keys.

`table(...)`, `array(...)` and `named(...)` declare fields holding nested tables:
`[scope]`, `[[priorities]]`, `[calendars.NAME]`.

Cheap to import: the kinds import what they parse with only when they read a value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import field, fields
from datetime import date, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from supportdesk.errors import InvalidInput
from supportdesk.frozen import Record, record

METADATA = "supportdesk.policy"
REQUIRED: Any = object()  # the default of a key that must be given

# What the desk does with a key: acts on it, or only keeps it as text for people to read,
# or records it without acting on it yet (`policy check` warns when such a key is set).
ACTS = "acts"
TEXT_ONLY = "text"
RECORDED = "recorded"


class Notes(Protocol):
    """Where a kind reports problems: the policy reader."""

    verify_holidays: bool

    def error(self, path: str, message: str) -> None: ...

    def warn(self, path: str, message: str) -> None: ...

    def table(self, value: Any, path: str) -> dict[str, Any]: ...


# ---- plain converters: a TOML value in, a model value out, InvalidInput when wrong ----


def kind_of(value: Any) -> str:
    """How a TOML value is named in messages: text, a number, a list…"""
    return {
        bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "a table",
    }.get(type(value), type(value).__name__)


def to_text(value: Any) -> str:
    """Text, stripped."""
    if not isinstance(value, str):
        raise InvalidInput(f"expected text, got {kind_of(value)}")
    return value.strip()


def to_name(value: Any) -> str:
    """A lower-case name such as `technical`."""
    text = to_text(value).lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_\-/]*", text):
        raise InvalidInput(f"{value!r} is not a name; use lower-case letters, digits, - or _, e.g. \"technical\"")
    return text


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"expected true or false, got {kind_of(value)}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"expected a whole number, got {kind_of(value)}")
    return value


def _non_negative_int(value: Any) -> int:
    number = _int(value)
    if number < 0:
        raise InvalidInput(f"must be 0 or more, not {number}")
    return number


# Day counts (reopen window, claim window) are at most this: a longer one would overflow
# the dates computed from it, and no rule needs more than a century.
MAX_DAYS = 36500
# Priority ranks: 1 is the most urgent; a rank is stored on every ticket (an SQLite integer).
MAX_RANK = 1000


def _days(value: Any) -> int:
    number = _non_negative_int(value)
    if number > MAX_DAYS:
        raise InvalidInput(f"must be at most {MAX_DAYS} days (100 years), not {number}")
    return number


def _rank(value: Any) -> int:
    number = _int(value)
    if not 1 <= number <= MAX_RANK:
        raise InvalidInput(f"must be between 1 (the most urgent) and {MAX_RANK}, not {number}")
    return number


def _bounded(low: float, high: float, what: str) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        number = _int(value)
        if not low <= number <= high:
            raise InvalidInput(f"must be between {low} and {high} {what}, not {number}")
        return number

    return convert


def to_zone(value: Any) -> str:
    """An IANA time zone name."""
    text = to_text(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {text!r}; use an IANA name such as Europe/Istanbul") from None
    return text


def to_duration(value: Any) -> timedelta:
    """A duration such as `4h`, never negative."""
    from supportdesk.timetext import parse_duration

    text = to_text(value)
    if text.startswith("-"):
        raise InvalidInput(f"a duration cannot be negative ({text!r}); e.g. 4h")
    return parse_duration(text)


def show_duration(delta: timedelta) -> str:
    """`1h30m`, `2d`, `10m`: the compact form a policy file uses."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0"
    if seconds % 604800 == 0:
        return f"{seconds // 604800}w"
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            out += f"{amount}{unit}"
    return out


def _clock_time(value: Any) -> int:
    from supportdesk.clock import parse_clock_time

    return parse_clock_time(to_text(value))


def _show_clock_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def to_date(value: Any) -> date:
    """A date: a TOML date or `YYYY-MM-DD` text."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(to_text(value))
    except ValueError:
        raise InvalidInput(f"cannot read date {value!r}; use YYYY-MM-DD such as 2024-04-09") from None


def _list(value: Any, example: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(f"expected a list such as {example}, got {kind_of(value)}")
    return value


def _logins(value: Any) -> tuple[str, ...]:
    return tuple(to_text(v) for v in _list(value, '["ayse", "burak"]'))


def _name_list(value: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(to_name(v) for v in _list(value, '["mail", "dns"]')))


def to_texts(value: Any) -> tuple[str, ...]:
    """A list of texts."""
    if not isinstance(value, list):
        raise InvalidInput(f"expected a list of texts, got {kind_of(value)}")
    return tuple(to_text(v) for v in value)


def field_name(value: str) -> str:
    """A ticket field's name: lower_case_with_underscores."""
    text = value.strip().lower()
    if not re.fullmatch(r"[a-z][a-z0-9_]*", text):
        raise InvalidInput(f"{value!r} is not a field name; use lower_case_with_underscores, e.g. server_ip")
    return text


def field_list(value: Any) -> tuple[str, ...]:
    """Field specs: `domain`, or `server_ip|order_number` for one of several."""
    if not isinstance(value, list):
        raise InvalidInput(f"expected a list of field names such as [\"domain\", \"server_ip|order_number\"], got {kind_of(value)}")
    return tuple(dict.fromkeys("|".join(field_name(part) for part in to_text(item).split("|")) for item in value))


def to_languages(value: Any) -> tuple[str, ...]:
    """ISO 639-1 codes such as `fa`."""
    if not isinstance(value, list):
        raise InvalidInput(f"expected a list of ISO 639-1 codes such as [\"tr\", \"en\"], got {kind_of(value)}")
    codes = []
    for item in value:
        code = to_text(item).lower()
        if not re.fullmatch(r"[a-z]{2}", code):
            raise InvalidInput(f"{item!r} is not an ISO 639-1 language code; use two letters such as fa, tr, en")
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def _share(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"expected a share between 0 and 1 such as 0.25, got {kind_of(value)}")
    if not 0 < value < 1:
        raise InvalidInput(f"must be between 0 and 1 (0.25 means 25 %), not {value}")
    return float(value)


def to_percent(value: Any) -> float:
    """A percentage above 0 and at most 100."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"expected a percentage such as 99.9, got {kind_of(value)}")
    if not 0 < value <= 100:
        raise InvalidInput(f"must be a percentage above 0 and at most 100, not {value}")
    return float(value)


def _migrations(value: Any) -> int | str:
    if value == "unlimited":
        return "unlimited"
    try:
        return _non_negative_int(value)
    except InvalidInput:
        raise InvalidInput(f"expected a number or \"unlimited\", got {value!r}") from None


def _same(value: Any) -> Any:
    return value


def _as_list(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


# ---- kinds ---------------------------------------------------------------------------


@record
class Kind(Record):
    """How one type of value is read from TOML, checked, and written back."""

    convert: Callable[[Any], Any]
    dump: Callable[[Any], Any] = _as_list

    def read(self, notes: Notes, path: str, value: Any) -> Any:
        """The model value, or REQUIRED (after noting the error) when it cannot be read."""
        try:
            return self.convert(value)
        except InvalidInput as error:
            notes.error(path, str(error))
            return REQUIRED

    def names(self, value: Any, path: str) -> list[tuple[str, str]]:
        """The names a value refers to (for keys declared with `refers`), each with the
        path to report it at."""
        if value is None:
            return []
        return [(path, name) for name in ((value,) if isinstance(value, str) else value)]


def choice(options: tuple[str, ...], hint: str = "") -> Kind:
    """One of `options`, case-insensitive."""

    def convert(value: Any) -> str:
        text = to_text(value).lower()
        if text not in options:
            raise InvalidInput(f"unknown value {text!r}; {hint or 'use one of: ' + ', '.join(options)}")
        return text

    return Kind(convert)


# The kinds whose values TOML writes as they are (lists as lists).
TEXT, NAME, BOOL, DAYS, RANK, ZONE, DATE, LOGINS, NAMES, TEXTS, FIELDS, LANGUAGES, SHARE, PERCENT, MIGRATIONS, BODY_LIMIT = (
    Kind(convert)
    for convert in (
        to_text, to_name, _bool, _days, _rank, to_zone, to_date, _logins, _name_list, to_texts, field_list, to_languages,
        _share, to_percent, _migrations, _bounded(1_000, 50_000_000, "bytes"),
    )
)
DURATION = Kind(to_duration, show_duration)
CLOCK_TIME = Kind(_clock_time, _show_clock_time)


class _Entries(Kind):
    """A TOML table or list whose entries are read one by one, each error at its own path."""

    def __init__(self, entry: Callable[[Notes, str, Any, Any], Any], dump: Callable[[Any], Any], container: type = dict, done: Callable[[list[Any]], Any] = tuple) -> None:
        super().__init__(_same, dump)
        object.__setattr__(self, "entry", entry)
        object.__setattr__(self, "container", container)
        object.__setattr__(self, "done", done)

    def read(self, notes: Notes, path: str, value: Any) -> Any:
        """Each entry read by `entry(notes, path, key, value)`; None entries are skipped."""
        if self.container is list:
            if not isinstance(value, list):
                notes.error(path, f"expected a list, got {kind_of(value)}")
                return REQUIRED
            pairs: Iterable[tuple[Any, Any]] = ((f"{path}[{i}]", item) for i, item in enumerate(value))
            found = [self.entry(notes, where, None, item) for where, item in pairs]
        else:
            found = [self.entry(notes, join(path, str(k)), k, v) for k, v in notes.table(value, path).items()]
        return self.done([item for item in found if item is not None])


def _guarded(read: Callable[[Notes, str, Any, Any], Any]) -> Callable[[Notes, str, Any, Any], Any]:
    def entry(notes: Notes, path: str, key: Any, value: Any) -> Any:
        try:
            return read(notes, path, key, value)
        except InvalidInput as error:
            notes.error(path, str(error))
            return None

    return entry


@_guarded
def _fields_entry(notes: Notes, path: str, priority: str, value: Any) -> tuple[str, tuple[str, ...]]:
    return priority, field_list(value)


@_guarded
def _help_entry(notes: Notes, path: str, name: str, value: Any) -> tuple[str, str]:
    return field_name(name), to_text(value)


@_guarded
def _pattern_entry(notes: Notes, path: str, language: str, value: Any) -> tuple[str, tuple[str, ...]]:
    code = to_languages([language])[0]
    texts = to_texts(value)
    for text in texts:
        try:
            re.compile(text)
        except re.error as error:
            raise InvalidInput(f"not a valid regular expression ({error}); escape special characters with \\\\") from None
    return code, texts


@_guarded
def _quota_entry(notes: Notes, path: str, category: str, value: Any) -> tuple[str, int | str]:
    return to_name(category), _migrations(value)


@_guarded
def _closed_entry(notes: Notes, path: str, _: Any, value: Any) -> date:
    return to_date(value)


@_guarded
def _special_entry(notes: Notes, path: str, day: str, value: Any) -> tuple[date, tuple[Any, ...]]:
    from supportdesk.clock import parse_hours

    return to_date(day), parse_hours(value, on_overlap=lambda message: notes.warn(path, message))


def _credit_entry(notes: Notes, path: str, _: Any, value: Any) -> tuple[timedelta, float] | None:
    row = notes.table(value, path)
    outage = Kind.read(DURATION, notes, f"{path}.outage", row["outage"]) if "outage" in row else None
    credit = Kind.read(PERCENT, notes, f"{path}.credit", row["credit"]) if "credit" in row else None
    for name, got in (("outage", outage), ("credit", credit)):
        if got is None:
            notes.error(f"{path}.{name}", "missing; " + ("the outage length from which this credit applies" if name == "outage" else "the credit in percent of the monthly fee"))
    for name in row:
        if name not in ("outage", "credit"):
            notes.error(join(path, name), "unknown key; a row has outage and credit")
    return None if outage in (None, REQUIRED) or credit in (None, REQUIRED) else (outage, credit)


def _week(notes: Notes, path: str, value: Any) -> Any:
    from supportdesk.clock import parse_days, parse_hours

    week: list[tuple[Any, ...] | None] = [None] * 7
    for days_text, hours_text in notes.table(value, path).items():
        where = join(path, days_text)
        try:
            days = parse_days(days_text)
            hours = parse_hours(hours_text, on_overlap=lambda message, where=where: notes.warn(where, message))
        except InvalidInput as error:
            notes.error(where, str(error))
            continue
        for day in days:
            if week[day] is not None:
                notes.error(where, f"{('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')[day]} is given hours twice; list each day once")
            week[day] = hours
    return tuple(h or () for h in week)


def _week_to_data(week: tuple[tuple[Any, ...], ...]) -> dict[str, str]:
    """Seven days of hours as day ranges: { "mon-fri" = "09:00-18:00", "sat" = "10:00-14:00" }."""
    from supportdesk.timetext import WEEKDAYS

    # Start the scan on a day that begins a run, so that sat-wed stays one range.
    start = next((d for d in range(7) if week[d] != week[(d - 1) % 7]), 0)
    runs: list[list[int]] = []
    for day in ((start + i) % 7 for i in range(7)):
        if runs and week[runs[-1][-1]] == week[day]:
            runs[-1].append(day)
        else:
            runs.append([day])
    out: dict[str, str] = {}
    for run in runs:
        if week[run[0]]:
            label = "daily" if len(run) == 7 else WEEKDAYS[run[0]] if len(run) == 1 else f"{WEEKDAYS[run[0]]}-{WEEKDAYS[run[-1]]}"
            out[label] = ", ".join(str(h) for h in week[run[0]])
    return out


class _Week(Kind):
    def read(self, notes: Notes, path: str, value: Any) -> Any:
        return _week(notes, path, value)


class _Holidays(Kind):
    """A country code (`"TR"`) or `{ country = "DE", subdivision = "BE" }`."""

    def read(self, notes: Notes, path: str, value: Any) -> Any:
        from supportdesk.clock import HolidayRule, holiday_country_known

        table = {"country": value} if isinstance(value, str) else value
        if not isinstance(table, dict):
            notes.error(path, f"expected a country code such as \"TR\" or a table, got {kind_of(value)}")
            return REQUIRED
        for name in table:
            if name not in ("country", "subdivision"):
                notes.error(join(path, name), "unknown key; use country and subdivision")
        if "country" not in table:
            notes.error(f"{path}.country", "missing; the ISO country code, e.g. TR")
            return REQUIRED
        try:
            country = to_text(table["country"]).upper()
            subdivision = to_text(table["subdivision"]) if "subdivision" in table else None
        except InvalidInput as error:
            notes.error(path, str(error))
            return REQUIRED
        problem = holiday_country_known(country, subdivision) if notes.verify_holidays else None
        if problem:
            notes.error(path, f"{problem.rstrip('.')}; use an ISO code python-holidays knows, e.g. TR, IR, DE")
            return REQUIRED
        return HolidayRule(country, subdivision)


def _holidays_to_data(rule: Any) -> Any:
    return rule.country if not rule.subdivision else {"country": rule.country, "subdivision": rule.subdivision}


def _pairs_to_data(pairs: tuple[tuple[Any, Any], ...]) -> dict[str, Any]:
    return {str(k): _as_list(v) for k, v in pairs}


class _PairNames(_Entries):
    """A table keyed by names ({ high = […] }): each key is reported at its own path."""

    def names(self, value: Any, path: str) -> list[tuple[str, str]]:
        return [(join(path, name), name) for name, _ in value or ()]


WEEK = _Week(_same, _week_to_data)
HOLIDAYS = _Holidays(_same, _holidays_to_data)
CLOSED_DATES = _Entries(_closed_entry, sorted, list, frozenset)
SPECIAL_HOURS = _Entries(
    _special_entry, lambda pairs: {day.isoformat(): ", ".join(str(h) for h in hours) or "closed" for day, hours in pairs},
    done=lambda found: tuple(sorted(found)),
)
FIELDS_BY_PRIORITY = _PairNames(_fields_entry, _pairs_to_data)
FIELD_HELP = _Entries(_help_entry, _pairs_to_data)
ABUSE_PATTERNS = _Entries(_pattern_entry, _pairs_to_data)
QUOTAS = _Entries(_quota_entry, _pairs_to_data)
CREDIT_TABLE = _Entries(
    _credit_entry, lambda rows: [{"outage": show_duration(outage), "credit": credit} for outage, credit in rows], list,
    lambda found: tuple(sorted(found)),
)


# ---- declarations --------------------------------------------------------------------


@record
class Key(Record):
    """One policy key, as declared on its field."""

    attr: str  # the model's attribute
    path: tuple[str, ...]  # TOML path from the model's own table: ("within_days",), ("reopen", "within_days")
    default: Any
    help: str
    kind: Kind = TEXT
    refers: str | None = None  # the section whose names its values must be: "calendars", "priorities"…
    always: bool = False  # written even when it equals the default
    acts: str = ACTS  # ACTS, TEXT_ONLY or RECORDED (kept, not acted on yet)

    @property
    def name(self) -> str:
        """The key's name in its table."""
        return self.path[-1]

    @property
    def required(self) -> bool:
        """The key must be given."""
        return self.default is REQUIRED


@record
class Section(Record):
    """A field holding nested tables: `[scope]`, `[[priorities]]` or `[calendars.NAME]`."""

    attr: str
    path: tuple[str, ...]
    model: type
    shape: str  # "table" | "array" | "named"
    help: str
    required: bool = False  # an array that must have entries
    optional: bool = False  # a table that is None unless given

    @property
    def name(self) -> str:
        """The table's name in its parent."""
        return self.path[-1]


def key(
    default: Any, help: str, kind: Kind = TEXT, *, toml: str | None = None, refers: str | None = None,
    always: bool = False, acts: str = ACTS, positional: bool = False,
) -> Any:
    """A policy key on a model field; `toml` is its dotted path when not the field's name.

    positional: the model's field has no default (the reader fills it in) though the key
    may be left out of the file.
    """
    spec = {"what": "key", "default": default, "help": help, "kind": kind, "toml": toml, "refers": refers, "always": always, "acts": acts}
    if default is REQUIRED or positional:
        return field(metadata={METADATA: spec})
    return field(default=default, metadata={METADATA: spec})


def _section(shape: str, model: type, help: str, toml: str | None, **extra: Any) -> Any:
    spec = {"what": "section", "shape": shape, "model": model, "help": help, "toml": toml, **extra}
    default = (None if extra.get("optional") else model()) if shape == "table" else ()
    return field(default=default, metadata={METADATA: spec})


def table(model: type, help: str, *, toml: str | None = None, optional: bool = False) -> Any:
    """A nested table read into `model` (`[scope]`); optional: None when absent."""
    return _section("table", model, help, toml, optional=optional)


def array(model: type, help: str, *, toml: str | None = None, required: bool = False) -> Any:
    """An array of tables read into a tuple of `model` (`[[priorities]]`), unique by name."""
    return _section("array", model, help, toml, required=required)


def named(model: type, help: str, *, toml: str | None = None) -> Any:
    """Tables keyed by name read into a tuple of `model` (`[calendars.office]`)."""
    return _section("named", model, help, toml)


_DECLARED: dict[type, tuple[Key | Section, ...]] = {}


def declaration(model: type) -> tuple[Key | Section, ...]:
    """The keys and sections declared on a model's fields, in field order."""
    found = _DECLARED.get(model)
    if found is None:
        entries: list[Key | Section] = []
        for f in fields(model):
            spec = f.metadata.get(METADATA)
            if spec is None:
                continue
            path = tuple((spec["toml"] or f.name).split("."))
            if spec["what"] == "key":
                entries.append(Key(f.name, path, spec["default"], spec["help"], spec["kind"], spec["refers"], spec["always"], spec["acts"]))
            else:
                entries.append(Section(f.name, path, spec["model"], spec["shape"], spec["help"], spec.get("required", False), spec.get("optional", False)))
        found = _DECLARED[model] = tuple(entries)
    return found


def join(path: str, name: str) -> str:
    """`path.name`, quoting a name that is not a bare TOML key."""
    if not path:
        return name
    return f"{path}.{name}" if re.fullmatch(r"[A-Za-z0-9_\-]+", name) else f'{path}."{name}"'
