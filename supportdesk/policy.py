"""The desk's policy: TOML text in, a validated frozen Policy out. Pure.

Every key is declared once in a table of `Key`s with its default, a one-line meaning and
a converter; reading collects every problem (with its dotted key path) instead of
stopping at the first, so `policy check` can list them all, each at its line.
"""

from __future__ import annotations

import re
from dataclasses import field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from supportdesk.clock import CalendarSpec
from supportdesk.errors import InvalidInput
from supportdesk.frozen import Record, record
from supportdesk.oncall import Layer, Rotation
from supportdesk.policy_mail import (
    ATTACHMENT_DEFAULT,
    ATTACHMENT_LIMIT,
    DEPARTMENT_TYPES,
    LANGUAGE,
    NOTICE_TEMPLATES,
)
from supportdesk.policy_schema import (
    ABUSE_PATTERNS,
    BODY_LIMIT,
    BOOL,
    CREDIT_TABLE,
    DAYS,
    DURATION,
    FIELD_HELP,
    FIELDS,
    FIELDS_BY_PRIORITY,
    LANGUAGES,
    MIGRATIONS,
    NAME,
    NAMES,
    PERCENT,
    QUOTAS,
    RANK,
    REQUIRED,
    SHARE,
    TEXT,
    TEXT_ONLY,
    TEXTS,
    ZONE,
    Kind,
    array,
    choice,
    key,
    named,
    table,
    to_name,
)

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.toml")
ALWAYS_OPEN = "24/7"

SCRIPTS = ("latin", "arabic", "cyrillic", "greek", "hebrew", "armenian", "georgian")
ON_MISSING = ("refuse", "flag", "close")
DUPLICATE_ACTIONS = ("allow", "flag", "refuse")
ABUSE_ACTIONS = ("flag", "close", "ban")
LANGUAGE_ACTIONS = ("flag", "refuse")
QUEUE_ORDERS = ("deadline", "priority")
CREDIT_FORMS = ("service-credit", "cash")
NOTIFY_PARTIES = ("customer", "reseller")
NOTIFY = Kind(lambda value: tuple(choice(NOTIFY_PARTIES).convert(to_name(v)) for v in NAMES.convert(value)))


# ---- problems ------------------------------------------------------------------------


@record
class Problem(Record):
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


# ---- the model -----------------------------------------------------------------------
# Each key is declared once, on its field: TOML path, default, meaning, kind, what it
# refers to, and whether the desk acts on it (see policy_schema.py).


@record
class Priority(Record):
    """A priority: rank (1 is most urgent), meaning, and its SLA targets."""

    name: str = key(REQUIRED, "The priority's name, e.g. critical.", NAME)
    rank: int = key(None, "1 is the most urgent; default: the order in the file.", RANK, always=True)
    meaning: str = key("", "When to choose it, in the provider's words.", acts=TEXT_ONLY)
    respond: timedelta | None = key(None, "First-response target, e.g. \"1h\".", DURATION)
    resolve: timedelta | None = key(None, "Resolution target, e.g. \"4h\".", DURATION)
    calendar: str | None = key(None, "The calendar targets are counted in (default: calendar time, 24/7).", NAME, refers="calendars")
    respond_outside: timedelta | None = key(None, "First-response target for tickets filed outside office hours or on holidays.", DURATION)
    resolve_outside: timedelta | None = key(None, "Resolution target for tickets filed outside office hours or on holidays.", DURATION)
    outside_allowance: timedelta | None = key(None, "Time added to the targets of tickets filed outside office hours.", DURATION)
    page_on_call: bool = key(False, "Filed outside office hours: notify the on-duty person at once.", BOOL)


@record
class Department(Record):
    """A department and what a ticket filed to it must carry."""

    name: str = key(REQUIRED, "The department's name, e.g. technical.", NAME)
    label: str = key(None, "How it is shown, e.g. Technical (default: from the name).", TEXT, acts=TEXT_ONLY)
    meaning: str = key("", "What it handles.", acts=TEXT_ONLY)
    fields: tuple[str, ...] = key((), "Fields every ticket here must carry; \"a|b\" means one of them.", FIELDS)
    fields_by_priority: tuple[tuple[str, tuple[str, ...]], ...] = key(
        (), "More required fields per priority: { high = [\"server_ip|order_number\"] }.", FIELDS_BY_PRIORITY, refers="priorities"
    )
    field_help: tuple[tuple[str, str], ...] = key((), "What each field means, shown when it is missing: { server_ip = \"…\" }.", FIELD_HELP)
    on_missing: str = key("flag", "When required fields are missing: refuse, flag, or close (without an answer).", choice(ON_MISSING))

    def required_fields(self, priority: str) -> tuple[str, ...]:
        """Field specs a ticket of this priority must carry here."""
        extra = dict(self.fields_by_priority).get(priority, ())
        return tuple(dict.fromkeys((*self.fields, *extra)))


@record
class Channel(Record):
    """A way tickets and talks arrive, with its hours and response target."""

    name: str = key(REQUIRED, "The channel's name: ticket, email, chat, phone…", NAME)
    meaning: str = key("", "How the channel is used.", acts=TEXT_ONLY)
    calendar: str | None = key(None, "When the channel is staffed (default: always); its response target counts in it.", NAME, refers="calendars")
    respond: timedelta | None = key(None, "Response target for tickets that arrive this way, e.g. \"24h\"; the strictest target applies.", DURATION)
    respond_replaces: bool = key(False, "Its response target replaces the priority's instead of only capping it (a package guarantee still caps it).", BOOL)
    files_tickets: bool = key(True, "Tickets may be filed through it (false: talk only).", BOOL)
    registered_sender_only: bool = key(False, "Account matters are taken only from the registered address.", BOOL)


@record
class Package(Record):
    """An SLA package: uptime guarantee, guaranteed response, what it includes."""

    name: str = key(REQUIRED, "The package's name, e.g. premium.", NAME)
    meaning: str = key("", "What it is.", acts=TEXT_ONLY)
    uptime: float | None = key(
        None, "Uptime guarantee in percent, e.g. 99.95; a service whose month falls below it is owed the credit table's credit (`sla credit`).", PERCENT
    )
    respond: timedelta | None = key(None, "Guaranteed first response, e.g. \"1h\"; the strictest target applies.", DURATION)
    migrations: int | str | None = key(None, "Site migrations included: a number or \"unlimited\".", MIGRATIONS)
    migrations_paid: bool = key(False, "The included migrations are charged for.", BOOL)
    admin_support: bool = key(False, "Restores administration support after a server is delivered.", BOOL)


@record
class AfterDelivery(Record):
    """What support covers for servers once they are delivered."""

    services: tuple[str, ...] = key((), "Server services this applies to, e.g. [\"vps\", \"dedicated\"].", NAMES)
    included: tuple[str, ...] = key((), "What is done before delivery, e.g. [\"setup\", \"site-migration\", \"tuning\"].", NAMES)
    unless_packages: tuple[str, ...] = key((), "Packages that restore administration support after delivery.", NAMES, refers="packages")
    message: str = key("", "What the customer is told about administration after delivery.")


@record
class Scope(Record):
    """What support covers, and what it does not (or only for a fee)."""

    in_scope: tuple[str, ...] = key((), "Categories support covers; with out_of_scope and the quotas, the categories a ticket may name.", NAMES)
    out_of_scope: tuple[str, ...] = key((), "Categories support does not cover (or sells as a paid service).", NAMES)
    out_message: str = key("", "What the customer is told when a ticket is out of scope or past a free quota (a paid service).")
    discretion: bool = key(False, "The engineer on the ticket may still decide to help (a statement for people).", BOOL, acts=TEXT_ONLY)
    quotas: tuple[tuple[str, int | str], ...] = key(
        (), "Work done free a set number of times per customer, by category: { module-install = 1 }; past it a ticket is flagged paid-service.", QUOTAS
    )
    migration_category: str = key("site-migration", "The ticket category the packages' `migrations` count.", NAME)
    after_delivery: AfterDelivery | None = table(AfterDelivery, "Administration support once a server is delivered.", optional=True)


@record
class ResellerRule(Record):
    """Whether a reseller's end customers may file, and who is told."""

    end_customers_may_file: bool = key(True, "A reseller's end customer may file directly.", BOOL)
    notify: tuple[str, ...] = key(("customer", "reseller"), "Who is told when an end customer is refused.", NOTIFY)
    message: str = key("", "What the refused end customer is told ({reseller} is replaced by the reseller).")
    reseller_channels: tuple[str, ...] = key((), "Channels resellers may file through; empty: any.", NAMES, refers="channels")


@record
class DuplicateRule(Record):
    """What to do with a ticket that repeats an open one."""

    action: str = key("flag", "A ticket repeating an open one of the same customer: allow, flag or refuse.", choice(DUPLICATE_ACTIONS))
    window: timedelta = key(timedelta(days=7), "How far back to look for the open ticket it repeats.", DURATION)


@record
class AbuseRule(Record):
    """Insults and profanity: patterns per language, and what follows."""

    action: str = key("flag", "What `terminate ID` does to an abusive ticket (the intake flags it `abusive`): flag only (terminate bans with --ban), close, or close and ban the requester.", choice(ABUSE_ACTIONS))
    patterns: tuple[tuple[str, tuple[str, ...]], ...] = key((), "Words or regular expressions per language: { en = [\"idiot\"] }.", ABUSE_PATTERNS)
    message: str = key("", "What the requester is told when the ticket is closed for abuse.")


@record
class FineRule(Record):
    """Fines for breaking the rules, and suspension while unpaid."""

    enabled: bool = key(False, "Breaking the rules may be fined per ticket.", BOOL)
    amount: str = key("", "The fine, as the provider states it.")
    violations: tuple[str, ...] = key((), "Which rules: duplicates, wrong-language, missing-info, reopen…", NAMES)
    suspend_when_unpaid: bool = key(False, "Unpaid fines suspend support for the customer.", BOOL)


@record
class CreditRule(Record):
    """SLA compensation: how long a claim may wait, and in what form."""

    claim_within_days: int | None = key(
        None, "An SLA credit claim must be filed by ticket within this many days of the outage (its end); `sla credit` leaves out older outages.", DAYS
    )
    form: str = key(
        "service-credit", "How compensation is paid: service-credit or cash; `sla credit` names it beside the percentage (never an amount).", choice(CREDIT_FORMS)
    )
    table: tuple[tuple[timedelta, float], ...] = key(
        (), "Credit in percent of the monthly fee by outage length: [{ outage = \"1h\", credit = 5 }]; `sla credit` takes the row of the longest outage claimed.",
        CREDIT_TABLE,
    )


@record
class Rules(Record):
    """The policy's rules about requests and requesters."""

    reopen_within_days: int | None = key(
        None, "A resolved or closed ticket may be reopened within this many days (0: never; absent: always).", DAYS, toml="reopen.within_days"
    )
    reseller: ResellerRule = table(ResellerRule, "Resellers and their end customers.")
    duplicates: DuplicateRule = table(DuplicateRule, "Tickets that repeat an open one.")
    abuse: AbuseRule = table(AbuseRule, "Abusive language.")
    fines: FineRule = table(FineRule, "Fines for breaking the rules.")
    sla_credit: CreditRule = table(CreditRule, "Compensation for missed uptime.")


@record
class EscalationLevel(Record):
    """A level tickets climb to, staffed by on-call layers (the first active one answers)."""

    name: str = key(REQUIRED, "The level's name, e.g. support, engineer, management.", NAME)
    layers: tuple[str, ...] = key((), "On-call layers staffing it; the first one on duty answers.", NAMES, refers="layers")
    meaning: str = key("", "Who they are.", acts=TEXT_ONLY)


@record(kw_only=True)
class Policy(Record):
    """Everything a desk enforces. Field order is the order of sections in a dumped file."""

    name: str = key("supportdesk", "The desk's name, shown in headers.", toml="desk.name", always=True)
    timezone: str = key("UTC", "IANA time zone of the desk; instants without an offset are read in it.", ZONE, toml="desk.timezone", always=True)
    office_calendar: str | None = key(
        None, "The office-hours calendar: the default for clock commands and 'outside office hours'.", NAME, toml="desk.calendar", refers="calendars"
    )
    languages: tuple[str, ...] = key((), "Languages tickets may be written in (ISO 639-1 codes); empty: any.", LANGUAGES, toml="desk.languages")
    required_script: str | None = key(
        None, "The script ticket text must be written in: " + ", ".join(SCRIPTS) + ".", choice(SCRIPTS), toml="desk.required_script"
    )
    on_wrong_language: str = key(
        "flag", "A ticket not in the desk's languages or script: flag it for triage, or refuse it.", choice(LANGUAGE_ACTIONS), toml="desk.on_wrong_language"
    )
    verify_identity: bool = key(False, "Only a verified owner of the service may be helped.", BOOL, toml="desk.verify_identity")
    verify_priorities: tuple[str, ...] = key(
        (), "Verification is needed only at these priorities (with verify_departments; both empty: every ticket).", NAMES,
        toml="desk.verify_priorities", refers="priorities",
    )
    verify_departments: tuple[str, ...] = key(
        (), "Verification is needed only in these departments, the account matters (with verify_priorities; both empty: every ticket).", NAMES,
        toml="desk.verify_departments", refers="departments",
    )
    kb_first: str = key("", "A reminder shown when filing: read the knowledge base first.", toml="desk.kb_first")
    notes: tuple[str, ...] = key((), "Rules the desk states but cannot enforce, kept for people to read.", TEXTS, toml="desk.notes", acts=TEXT_ONLY)
    default_priority: str = key(None, "Priority of a ticket filed without one (default: the least urgent).", NAME, toml="defaults.priority")
    default_department: str = key(None, "Department of a ticket filed without one (default: the first).", NAME, toml="defaults.department")
    default_channel: str = key(None, "Channel of a ticket filed without one (default: the first that files tickets).", NAME, toml="defaults.channel")
    calendars: tuple[CalendarSpec, ...] = named(CalendarSpec, "Business-hours calendars, by name.")
    rotations: tuple[Rotation, ...] = named(Rotation, "On-call rotations, by name.")
    layers: tuple[Layer, ...] = array(Layer, "On-call layers: who is on duty when.", toml="oncall")
    priorities: tuple[Priority, ...] = array(Priority, "Priorities and their targets.", required=True)
    departments: tuple[Department, ...] = array(Department, "Departments.", required=True)
    channels: tuple[Channel, ...] = array(Channel, "Channels tickets arrive through.", required=True)
    packages: tuple[Package, ...] = array(Package, "SLA packages.")
    scope: Scope = table(Scope, "What support covers.")
    rules: Rules = table(Rules, "Rules about requests and requesters.")
    escalation: tuple[EscalationLevel, ...] = array(EscalationLevel, "Escalation levels, lowest first.", toml="escalation.levels")
    queue_order: str = key(
        "deadline", "How triage orders the open queue: deadline (breached, soonest deadline, priority, age) or priority (priority first, then breached, deadline, age).",
        choice(QUEUE_ORDERS), toml="triage.order",
    )
    at_risk_share: float = key(0.25, "A ticket is at risk when less than this share of its target is left.", SHARE, toml="sla.at_risk_share")
    body_max_bytes: int = key(1_000_000, "The largest description or reply, in bytes of UTF-8; larger ones are refused.", BODY_LIMIT, toml="limits.body_max_bytes")
    attachment_max_bytes: int = key(
        ATTACHMENT_DEFAULT, "The largest attachment (`file --attach`, `reply --attach`, mail), in bytes; larger ones are refused.", ATTACHMENT_LIMIT,
        toml="limits.attachment_max_bytes",
    )
    notify_to: tuple[str, ...] = key(
        (), "Where notifications go: customer-area, email… (empty: both); without email, mail that comes in is answered by no e-mail (no acknowledgement or refusal).",
        NAMES, toml="notifications.to",
    )
    notify_types: tuple[str, ...] = key(
        (), "Notification types that can have their own address: invoices, support, abuse…", NAMES, toml="notifications.types"
    )
    page_channel: str = key("sms", "How the on-duty person is paged for an urgent ticket filed out of hours.", NAME, toml="notifications.page_channel")
    escalation_channel: str = key("email", "How the person a ticket is escalated to is told.", NAME, toml="notifications.escalation_channel")
    notify_language: str | None = key(
        None, "The language of notices to people whose language is not known, and to agents (default: the first of desk.languages with wording, else en).",
        LANGUAGE, toml="notifications.language",
    )
    department_types: tuple[tuple[str, str], ...] = key(
        (), "The notification type of a department's tickets, whose notices go to the customer's address of that type: { financial = \"invoices\" } (default: support).",
        DEPARTMENT_TYPES, toml="notifications.department_types", refers="departments",
    )
    notice_templates: tuple[tuple[str, str, str | None, str | None], ...] = key(
        (), "Notices reworded per kind and language: [notices.filed.tr] subject = \"…\", body = \"…\" (Jinja2; the README lists each kind's values).",
        NOTICE_TEMPLATES, toml="notices",
    )
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    @property
    def zone(self) -> ZoneInfo:
        """The desk's time zone (zoneinfo keeps one object per name)."""
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
        for spec in self.calendars:
            if spec.name == name:
                return spec
        if name == ALWAYS_OPEN:
            return CalendarSpec.always_open(ALWAYS_OPEN, self.timezone)
        raise InvalidInput(f"unknown calendar {name!r}; this policy has: {', '.join(self.calendar_names)}")

    @property
    def holiday_rules(self) -> tuple[Any, ...]:
        """Every holiday rule the policy's calendars use."""
        return tuple(dict.fromkeys(c.holidays for c in self.calendars if c.holidays is not None))


# Reading, dumping and compiling live in modules of their own (policy_read, policy_text,
# policy_compiled), imported on first use: a desk that loads its compiled policy needs
# only the model above.
_LAZY = {
    "check_policy": "policy_read", "load_calendar_file": "policy_read", "load_policy": "policy_read",
    "parse_toml": "policy_read", "policy_digest": "policy_read", "read_policy_file": "policy_read",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"supportdesk.{module}"), name)
