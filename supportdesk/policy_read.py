"""Reading a policy: TOML text in, a validated frozen Policy (or every problem, at its
line) out. Pure.

Which keys exist, their defaults, kinds and references are declared on the model's
fields (`policy_schema.py`); the Reader walks those declarations. What spans several keys
(a priority's rank from its place, the desk's zone for calendars that name none, which
channel is the default) is settled by the finishers below, one per model that needs one.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from supportdesk.clock import CalendarSpec
from supportdesk.errors import InvalidInput
from supportdesk.oncall import Layer, Rotation
from supportdesk.policy import (
    ALWAYS_OPEN,
    DEFAULT_POLICY_PATH,
    Department,
    Policy,
    PolicyInvalid,
    Priority,
    Problem,
    Scope,
)
from supportdesk.policy_schema import (
    RECORDED,
    REQUIRED,
    Key,
    Section,
    declaration,
    join,
    kind_of,
    show_duration,
    to_name,
)


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
    """The policy (None when it has errors) and every problem found, warnings included:
    also one for each key set that the desk records but does not act on yet."""
    data = parse_toml(text, source)
    policy, reader = read_data(data)
    recorded = [Problem(path, NOT_ACTED_ON, "warning") for path in reader.recorded]
    return policy, reader.problems + recorded + _levels_in_comments(text, data)


# A chain of escalation levels in a comment: `support → engineer → management`.
LEVEL_CHAIN = re.compile(r"[\w-]+(?:\s*(?:→|->)\s*[\w-]+)+")


def _levels_in_comments(text: str, data: dict[str, Any]) -> list[Problem]:
    """A warning for each level a comment's chain of levels names (`a → b → c`, with at
    least one level the policy defines) that the policy does not define: the comment
    promises an escalation that can never happen."""
    levels = data.get("escalation", {}).get("levels", []) if isinstance(data.get("escalation"), dict) else []
    defined = {str(level.get("name")) for level in levels if isinstance(level, dict)}
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.lstrip().startswith("#"):
            continue
        for chain in LEVEL_CHAIN.findall(line):
            names = re.split(r"\s*(?:→|->)\s*", chain)
            if defined & set(names):
                for name in (n for n in names if n not in defined):
                    problems.append(Problem(
                        "escalation.levels",
                        f"the comment on line {number} names a level {name!r} that is not defined, so no ticket can reach it; "
                        f"define it in [[escalation.levels]] or correct the comment",
                        "warning",
                    ))
    return problems


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


def check_report(source: str, text: str) -> dict[str, Any]:
    """What `policy check` says of one file: valid or not, every problem in file order
    (with its line), each as a `FILE:LINE: key: message` line, and a verdict."""
    from supportdesk.policy import format_problem, locate

    try:
        policy, problems = check_policy(text, source)
    except InvalidInput as error:
        return failed_report(source, error)
    # In file order: the line each problem is at (problems without one come last).
    located = sorted(((locate(text, p.path), i, p) for i, p in enumerate(problems)), key=lambda t: (t[0] is None, t[0] or 0, t[1]))
    report = {
        "file": source,
        "valid": policy is not None,
        "problems": [{"line": line, "path": p.path, "severity": p.severity, "message": p.message} for line, _, p in located],
        "lines": [format_problem(source, text, p) for _, _, p in located],
    }
    return report | {"verdict": _verdict(report)}


def failed_report(source: str, error: Exception) -> dict[str, Any]:
    """The report of a file that could not be read or parsed at all."""
    report = {"file": source, "valid": False, "problems": [{"line": None, "path": "", "severity": "error", "message": str(error)}], "lines": [str(error)]}
    return report | {"verdict": _verdict(report)}


def _verdict(report: dict[str, Any]) -> str:
    errors = sum(1 for p in report["problems"] if p["severity"] == "error")
    warnings = len(report["problems"]) - errors
    verdict = "ok" if report["valid"] else f"{errors} error(s)"
    return f"{report['file']}: {verdict}" + (f", {warnings} warning(s)" if warnings else "")


NOT_ACTED_ON = "supportdesk keeps this rule for people to read but does not act on it yet"


def check_data(data: dict[str, Any], *, verify_holidays: bool = True) -> tuple[Policy | None, list[Problem]]:
    """Validate parsed policy data: the policy (None on errors) and every problem."""
    policy, reader = read_data(data, verify_holidays=verify_holidays)
    return policy, reader.problems


def read_data(data: dict[str, Any], *, verify_holidays: bool = True) -> tuple[Policy | None, Reader]:
    """The policy read from parsed data (None on errors), and the reader with its notes."""
    reader = Reader(verify_holidays)
    policy = finish(reader, Policy, reader.model(Policy, data, "", "section"), "", 0)
    if policy is None or any(p.severity == "error" for p in reader.problems):
        return None, reader
    return replace(policy, warnings=tuple(p for p in reader.problems if p.severity == "warning")), reader


# ---- the reader ----------------------------------------------------------------------


class Reader:
    """Reads tables against the declarations of the model, collecting every problem."""

    def __init__(self, verify_holidays: bool = True) -> None:
        self.problems: list[Problem] = []
        # Asking python-holidays whether a country exists costs ~200 ms of imports: done
        # when a policy file is checked or applied, not each time a stored one is read.
        self.verify_holidays = verify_holidays
        self.references: list[tuple[str, Key, Any]] = []  # (path, key, value) of keys naming others
        self.recorded: list[str] = []  # paths of keys set that the desk does not act on yet
        self.paths: dict[int, str] = {}  # id of each array entry built -> its path

    def error(self, path: str, message: str) -> None:
        """Record an error at `path`."""
        self.problems.append(Problem(path, message))

    def warn(self, path: str, message: str) -> None:
        """Record a warning at `path`."""
        self.problems.append(Problem(path, message, "warning"))

    def table(self, value: Any, path: str) -> dict[str, Any]:
        """`value` as a table, or an error and an empty one."""
        if value is None or value is REQUIRED:
            return {}
        if not isinstance(value, dict):
            self.error(path, f"expected a table, got {kind_of(value)}")
            return {}
        return value

    def items(self, value: Any, path: str) -> list[dict[str, Any]]:
        """An array of tables (`[[priorities]]`), each checked to be a table."""
        if not isinstance(value, list):
            self.error(path, f"expected an array of tables ([[{path}]]), got {kind_of(value)}")
            return []
        result = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                result.append(item)
            else:
                self.error(f"{path}[{i}]", f"expected a table, got {kind_of(item)}")
        return result

    def unknown(self, data: dict[str, Any], path: str, known: tuple[str, ...], what: str = "key") -> None:
        """An error, with a guess, for each name in `data` that is not `known`."""
        for name in data:
            if name not in known:
                guess = difflib.get_close_matches(name, known, n=1)
                listed = f"sections are: {', '.join(known)}" if what == "section" else f"known keys: {', '.join(sorted(known))}"
                self.error(join(path, name), f"unknown {what}; " + (f"did you mean {guess[0]!r}?" if guess else listed))

    def model(self, model: type, data: dict[str, Any], path: str, what: str = "key") -> dict[str, Any]:
        """Every key and section declared on `model`, read from the table `data`."""
        entries = declaration(model)
        self.unknown(data, path, tuple(dict.fromkeys(e.path[0] for e in entries)), what)
        tables: dict[str, dict[str, Any]] = {}  # the tables dotted paths such as desk.name pass through
        for e in entries:
            if len(e.path) == 2 and e.path[0] not in tables:
                where = join(path, e.path[0])
                tables[e.path[0]] = self.table(data.get(e.path[0]), where)
                self.unknown(tables[e.path[0]], where, tuple(x.path[1] for x in entries if x.path[0] == e.path[0]))
        values = {}
        for e in entries:
            container = tables[e.path[0]] if len(e.path) == 2 else data
            where = join(join(path, e.path[0]), e.path[1]) if len(e.path) == 2 else join(path, e.name)
            raw = container.get(e.name, REQUIRED)  # REQUIRED here: not in the file
            values[e.attr] = self.key(e, raw, where) if isinstance(e, Key) else self.section(e, raw, where)
        return values

    def key(self, key: Key, raw: Any, path: str) -> Any:
        """One key's value: converted, or its default (after noting why)."""
        default = None if key.required else key.default
        if raw is REQUIRED:
            if key.required:
                self.error(path, f"missing; {key.help[0].lower() + key.help[1:]}")
            return default
        value = key.kind.read(self, path, raw)
        if value is REQUIRED:
            return default
        if key.refers:
            self.references.append((path, key, value))
        if key.acts == RECORDED and value != key.default:
            self.recorded.append(path)
        return value

    def section(self, section: Section, raw: Any, path: str) -> Any:
        """A nested table, array of tables or named tables, each entry finished."""
        if section.shape == "table":
            if raw is REQUIRED and section.optional:
                return None
            return finish(self, section.model, self.model(section.model, self.table(raw, path), path), path, 0)
        if section.shape == "named":
            found = []
            for raw_name, item in self.table(raw, path).items():
                where = join(path, raw_name)
                try:
                    name = to_name(raw_name)
                except InvalidInput as error:
                    self.error(where, str(error))
                    continue
                built = finish(self, section.model, self.model(section.model, self.table(item, where), where) | {"name": name}, where, 0)
                if built is not None:
                    found.append(built)
            return tuple(found)
        if raw is REQUIRED:
            if section.required:
                self.error(path, f"missing; the policy needs [[{path}]] entries")
            return ()
        name_key = next(k for k in declaration(section.model) if k.attr == "name")
        before = len(self.problems)
        found, seen = [], {}
        for i, item in enumerate(self.items(raw, path)):
            where = f"{path}[{i}]"
            values = self.model(section.model, item, where)
            name = values["name"]
            if name is None:
                continue
            if name in seen:
                self.error(f"{where}.{name_key.name}", f"{name!r} is defined twice (also {path}[{seen[name]}]); names must be unique")
                continue
            seen[name] = i
            built = finish(self, section.model, values, where, i)
            if built is not None:
                self.paths[id(built)] = where
                found.append(built)
        if not found and len(self.problems) == before:
            self.error(path, "needs at least one entry")
        return tuple(found)


def finish(reader: Reader, model: type, values: dict[str, Any], path: str, index: int) -> Any:
    """The model built from its values, by its finisher when it has one; None when a
    required key is missing."""
    if any(values.get(k.attr) is None for k in declaration(model) if isinstance(k, Key) and k.required):
        return None
    finisher = FINISHERS.get(model)
    return finisher(reader, values, path, index) if finisher else model(**values)


# ---- finishers: what spans several keys ------------------------------------------------

# The shortest on-call shift a rotation may have.
MIN_SHIFT = timedelta(hours=1)
# What each kind of reference names, and where it is defined.
REFERENCES = {
    "calendars": ("calendar", "[calendars.{}]"),
    "rotations": ("rotation", "[rotations.{}]"),
    "layers": ("on-call layer", "it in [[oncall]]"),
    "priorities": ("priority", "it in [[priorities]]"),
    "packages": ("package", "it in [[packages]]"),
    "departments": ("department", "it in [[departments]]"),
    "channels": ("channel", "it in [[channels]]"),
}


def _priority(reader: Reader, v: dict[str, Any], path: str, index: int) -> Priority:
    if v["respond"] and v["resolve"] and v["resolve"] < v["respond"]:
        reader.warn(f"{path}.resolve", f"the resolution target ({show_duration(v['resolve'])}) is shorter than the response target ({show_duration(v['respond'])})")
    if v["respond"] and v["respond_outside"] and v["respond_outside"] < v["respond"]:
        reader.warn(f"{path}.respond_outside", "the out-of-hours response target is stricter than the office-hours one")
    return Priority(**v | {"rank": v["rank"] if v["rank"] is not None else index + 1})


def _department(reader: Reader, v: dict[str, Any], path: str, index: int) -> Department:
    return Department(**v | {"label": v["label"] or v["name"].replace("-", " ").title()})


def _calendar(reader: Reader, v: dict[str, Any], path: str, index: int) -> CalendarSpec:
    week = v["week"] or ((),) * 7
    if v["open_always"]:
        if any(week):
            reader.error(f"{path}.hours", "an always_open calendar has no hours; remove one of the two")
        week = CalendarSpec.always_open(v["name"], "UTC").week
    elif not any(week) and not v["special_hours"] and not any(p.path.startswith(f"{path}.hours") for p in reader.problems):
        reader.error(f"{path}.hours", "the calendar is never open; give hours such as { \"mon-fri\" = \"09:00-18:00\" } or always_open = true")
    return CalendarSpec(**v | {"week": week})


def _rotation(reader: Reader, v: dict[str, Any], path: str, index: int) -> Rotation:
    if not v["members"]:
        reader.warn(f"{path}.members", "the rotation is empty; nobody will be on call for it")
    if v["shift"] is not None and v["shift"] <= timedelta(0):
        reader.error(f"{path}.shift", "a shift must last longer than 0; e.g. \"1d\" or \"1w\"")
        v["shift"] = None
    elif v["shift"] is not None and v["shift"] < MIN_SHIFT:
        # Shorter shifts make every on-call question walk millions of hand-offs.
        reader.error(f"{path}.shift", f"a shift must last at least {show_duration(MIN_SHIFT)}; e.g. \"8h\", \"1d\" or \"1w\"")
        v["shift"] = None
    return Rotation(**v)


def _layer(reader: Reader, v: dict[str, Any], path: str, index: int) -> Layer:
    if v["when"] != "always" and v["calendar"] is None:
        reader.error(f"{path}.calendar", f"a layer on duty when a calendar is {v['when']} needs calendar = \"NAME\"")
    return Layer(**v)


def _scope(reader: Reader, v: dict[str, Any], path: str, index: int) -> Scope:
    both = set(v["in_scope"]) & set(v["out_of_scope"])
    if both:
        reader.error(f"{path}.out_of_scope", f"{', '.join(sorted(both))} cannot be both in and out of scope")
    return Scope(**v)


def _policy(reader: Reader, v: dict[str, Any], path: str, index: int) -> Policy | None:
    zone = v["timezone"]
    v["calendars"] = tuple(replace(c, timezone=c.timezone or zone) for c in v["calendars"])
    v["rotations"] = tuple(replace(r, timezone=r.timezone or zone) for r in v["rotations"])
    _check_references(reader, v)
    for department, kind in v["department_types"] if v["notify_types"] else ():
        if kind not in v["notify_types"]:
            reader.error(join("notifications.department_types", department), f"unknown notification type {kind!r}; notifications.types has: {', '.join(v['notify_types'])}")
    for p in v["priorities"]:
        outside = [k for k in ("respond_outside", "resolve_outside", "outside_allowance") if getattr(p, k) is not None]
        if outside and v["office_calendar"] is None:
            reader.error(f"{reader.paths[id(p)]}.{outside[0]}", "outside office hours needs the office calendar; set desk.calendar = \"NAME\"")
    ranks = [p.rank for p in v["priorities"]]
    if len(set(ranks)) != len(ranks):
        reader.error("priorities", f"two priorities share a rank ({', '.join(str(r) for r in ranks)}); give each its own")
    if v["channels"] and not any(c.files_tickets for c in v["channels"]):
        reader.error("channels", "no channel files tickets; set files_tickets = true on at least one")
    responds = [p.respond for p in v["priorities"] if p.respond]
    for channel in v["channels"]:
        where = reader.paths[id(channel)]
        if channel.respond_replaces and channel.respond is None:
            reader.warn(f"{where}.respond_replaces", "the channel has no response target to replace the priority's with; set respond too")
        elif channel.respond and not channel.respond_replaces and responds and channel.respond >= max(responds):
            reader.warn(
                f"{where}.respond", f"the channel's target ({show_duration(channel.respond)}) is looser than every priority's, so it never applies; "
                "set respond_replaces = true if it should replace them"
            )
    office = next((c for c in v["calendars"] if c.name == v["office_calendar"]), None)
    never_outside = v["office_calendar"] in (None, ALWAYS_OPEN) or (office is not None and office.is_always_open)
    for p in v["priorities"]:
        if p.page_on_call and never_outside:
            reader.warn(f"{reader.paths[id(p)]}.page_on_call", "the desk is never outside office hours, so this never pages; set desk.calendar to an office-hours calendar")
    for package in v["packages"]:
        if package.respond and responds and package.respond >= max(responds):
            reader.warn(f"{reader.paths[id(package)]}.respond", f"the guarantee ({show_duration(package.respond)}) is looser than every priority's response target, so it never applies")
    ranked = sorted(v["priorities"], key=lambda p: p.rank)
    chosen = {
        "default_priority": ranked[-1].name if ranked else None,
        "default_department": v["departments"][0].name if v["departments"] else None,
        "default_channel": next((c.name for c in v["channels"] if c.files_tickets), None),
    }
    for attr, section in (("default_priority", "priorities"), ("default_department", "departments"), ("default_channel", "channels")):
        known = {item.name for item in v[section]}
        if v[attr] is not None and known and v[attr] not in known:
            reader.error(f"defaults.{attr.removeprefix('default_')}", f"{v[attr]!r} is not one of {', '.join(sorted(known))}")
        v[attr] = v[attr] or chosen[attr]
    if not (v["priorities"] and v["departments"] and v["channels"] and v["default_channel"]):
        return None
    return Policy(**v)


def _check_references(reader: Reader, v: dict[str, Any]) -> None:
    """Every key that names a calendar, rotation, layer… names one the policy defines."""
    known = {section: {item.name for item in v[section]} for section in REFERENCES}
    known["calendars"].add(ALWAYS_OPEN)
    for path, key, value in reader.references:
        what, where = REFERENCES[key.refers]
        names = known[key.refers]
        for at, name in key.kind.names(value, path):
            if name not in names:
                listed = f" or use one of: {', '.join(sorted(names))}" if names else ""
                reader.error(at, f"unknown {what} {name!r}; define {where.format(name)}{listed}")


FINISHERS: dict[type, Callable[[Reader, dict[str, Any], str, int], Any]] = {
    Priority: _priority,
    Department: _department,
    CalendarSpec: _calendar,
    Rotation: _rotation,
    Layer: _layer,
    Scope: _scope,
    Policy: _policy,
}


def load_calendar_file(text: str, source: str) -> Policy:
    """A file of calendars (and rotations, on-call) alone, completed from the default policy."""
    data = parse_toml(text, source)
    base = tomllib.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    desk = data.get("desk", {})
    if not isinstance(desk, dict):  # `desk = "…"`: report it as the policy check would
        raise PolicyInvalid(source, [Problem("desk", f"expected a table, got {kind_of(desk)}")], text)
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
