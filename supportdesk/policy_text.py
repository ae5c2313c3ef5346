"""A policy as text: normalised TOML (dumping) and `policy show --explain`, derived from
the key tables of `policy.py`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from supportdesk.policy import (
    _HEADER_RE,
    _KEY_RE,
    Key,
    Policy,
    _show_duration,
    _split_dotted,
    key_lines,
)
from supportdesk.policy_keys import (
    ABUSE_KEYS,
    AFTER_DELIVERY_KEYS,
    CALENDAR_KEYS,
    CHANNEL_KEYS,
    CREDIT_KEYS,
    DEPARTMENT_KEYS,
    DESK_KEYS,
    DUPLICATE_KEYS,
    ESCALATION_LEVEL_KEYS,
    FINE_KEYS,
    KEY_TABLES,
    LAYER_KEYS,
    NOTIFICATION_KEYS,
    PACKAGE_KEYS,
    PRIORITY_KEYS,
    REOPEN_KEYS,
    RESELLER_KEYS,
    ROTATION_KEYS,
    SCOPE_KEYS,
    SECTIONS,
)


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


