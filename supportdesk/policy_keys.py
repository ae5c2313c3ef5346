"""Every policy key: its name, default, one-line meaning and reader (converter), by table.
Reading (`policy_read.py`), dumping and `policy show --explain` (`policy_text.py`) and
lint are derived from these tables."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from supportdesk.errors import InvalidInput
from supportdesk.policy import (
    Key,
    _body_limit,
    _bool,
    _clock_time,
    _date,
    _days,
    _duration,
    _kind,
    _name,
    _names,
    _non_negative_int,
    _optional,
    _rank,
    _raw,
    _text,
    _zone,
)

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


