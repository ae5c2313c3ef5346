"""Reading a policy: TOML text in, a validated frozen Policy (or every problem, at its
line) out. Pure. The model and the key tables it reads are in `policy.py`."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supportdesk.errors import InvalidInput
from supportdesk.policy import (
    ALWAYS_OPEN,
    DEFAULT_POLICY_PATH,
    AbuseRule,
    AfterDelivery,
    Channel,
    CreditRule,
    Department,
    DuplicateRule,
    EscalationLevel,
    FineRule,
    Key,
    Package,
    Policy,
    PolicyInvalid,
    Priority,
    Problem,
    Reader,
    ResellerRule,
    Rules,
    Scope,
    _date,
    _duration,
    _join,
    _kind,
    _optional,
    _show_duration,
    _text,
)
from supportdesk.policy_keys import (
    ABUSE_KEYS,
    AFTER_DELIVERY_KEYS,
    CALENDAR_KEYS,
    CHANNEL_KEYS,
    CREDIT_KEYS,
    DEFAULTS_KEYS,
    DEPARTMENT_KEYS,
    DESK_KEYS,
    DUPLICATE_KEYS,
    ESCALATION_LEVEL_KEYS,
    FINE_KEYS,
    LAYER_KEYS,
    LIMITS_KEYS,
    NOTIFICATION_KEYS,
    PACKAGE_KEYS,
    PRIORITY_KEYS,
    REOPEN_KEYS,
    RESELLER_KEYS,
    ROTATION_KEYS,
    RULES,
    SCOPE_KEYS,
    SECTIONS,
    SLA_KEYS,
    _field_list,
    _field_name,
    _languages,
    _percent,
    _texts,
)

if TYPE_CHECKING:
    from supportdesk.clock import CalendarSpec
    from supportdesk.oncall import Layer, Rotation


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
