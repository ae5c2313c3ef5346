"""Checks at filing: who may file, by which channel, what a ticket must carry, its
language, duplicates, abuse, scope and free quotas. Pure: (filing, requester, history,
policy, calendars, now) in, verdicts out; the desk acts on them.

Each rule is a small function returning its verdicts; `check` runs every rule (a refusal
does not stop the others, so a caller may show them all) and puts refusals first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from supportdesk.frozen import Record, record
from supportdesk.language import LANGUAGE_SCRIPTS, detect, language_name
from supportdesk.model import ACTIVE_STATUSES
from supportdesk.timetext import format_local

if TYPE_CHECKING:
    from supportdesk.clock import Calendars
    from supportdesk.policy import Channel, Policy

RESELLER_MESSAGE = "support for your hosting comes from {reseller}; please contact them"
OUT_OF_SCOPE_MESSAGE = "this is outside what support covers"
SUBJECT_SIMILARITY = 0.6  # token-set Jaccard of two subjects that repeat one request
SHORT_SUBJECT = 3  # subjects with fewer words are too generic to match on their own


@record
class ServiceInfo(Record):
    """A service the requester has (the after-delivery rule looks at servers)."""

    kind: str  # shared | reseller | vps | vds | cloud | dedicated
    name: str | None = None
    package: str | None = None
    ip: str | None = None
    order_number: str | None = None
    delivered_at: datetime | None = None
    managed: bool = False


@record
class Requester(Record):
    """Who the ticket is for, as the desk knows them at filing."""

    email: str  # the address the ticket came from
    known: bool  # a customer record existed before this filing
    kind: str = "customer"  # customer | reseller
    status: str = "active"  # active | suspended | banned
    verified: bool = False
    package: str | None = None
    reseller: str | None = None  # for an end customer: the reseller's name (or e-mail when it has no name)
    registered: tuple[str, ...] = ()  # addresses registered for the customer (its e-mail and notification addresses)
    unpaid_fines: int = 0
    services: tuple[ServiceInfo, ...] = ()


@record
class Filing(Record):
    """A ticket about to be filed."""

    subject: str
    body: str
    priority: str
    department: str
    channel: str
    category: str | None = None
    service: str | None = None  # a service name or order number the ticket is about
    fields: dict[str, str] = field(default_factory=dict)
    by: str = "agent"  # who files: agent (on the customer's behalf) | reseller | customer


@record
class PastTicket(Record):
    """One of the requester's earlier tickets."""

    id: int
    subject: str
    body: str
    status: str
    created_at: datetime


@record
class History(Record):
    """What the requester filed before."""

    recent: tuple[PastTicket, ...] = ()  # tickets within the duplicate window, newest first
    category_counts: dict[str, int] = field(default_factory=dict)  # tickets filed before, per category (quotas)


@record
class Verdict(Record):
    """One rule's answer: refuse the filing, flag the ticket, or close it without an answer."""

    rule: str  # reseller | reseller-channel | banned | suspended | fines-unpaid | verification | registered-sender | channel-closed | channel-no-tickets | fields | language | duplicate | abuse | out-of-scope | admin-support | quota
    action: str  # refuse | flag | close
    message: str  # one line for the filer: what is wrong and what to do
    flag: str | None = None  # the flag on the ticket: missing-info, wrong-language, possible-duplicate:#12…
    notify: tuple[str, ...] = ()  # parties told by notice: customer, reseller
    violation: str | None = None  # the fines rule broken, when the policy fines it
    close_reason: str | None = None  # for action close: incomplete | abuse | duplicate | out-of-scope


@record
class Intake(Record):
    """Every rule's verdicts on a filing, refusals first."""

    verdicts: tuple[Verdict, ...]
    language: str | None  # detected language code, None when unsure (or not asked)
    missing: tuple[str, ...] = ()  # required field specs not given, e.g. ("server_ip|order_number",)
    reminder: str | None = None  # the policy's kb_first reminder

    @property
    def refusal(self) -> Verdict | None:
        """The first refusal (the one the filer is shown), or None when the filing is accepted."""
        return next((v for v in self.verdicts if v.action == "refuse"), None)

    @property
    def accepted(self) -> bool:
        """No rule refuses the filing."""
        return self.refusal is None

    @property
    def closing(self) -> Verdict | None:
        """The first verdict that closes the new ticket at once, or None."""
        return next((v for v in self.verdicts if v.action == "close"), None)

    @property
    def flags(self) -> tuple[str, ...]:
        """The flags the ticket carries, in rule order."""
        return tuple(dict.fromkeys(v.flag for v in self.verdicts if v.action != "refuse" and v.flag))

    @property
    def violations(self) -> tuple[str, ...]:
        """Fined rules the ticket breaks (of the verdicts that apply: the refusal, or all others)."""
        return tuple(dict.fromkeys(v.violation for v in self._applying if v.violation))

    @property
    def notices(self) -> tuple[tuple[str, str], ...]:
        """(party, message) to send: the refusal's when refused, else those of the flags and closing."""
        return tuple(dict.fromkeys((party, v.message) for v in self._applying for party in v.notify))

    @property
    def _applying(self) -> tuple[Verdict, ...]:
        refusal = self.refusal
        return (refusal,) if refusal else self.verdicts


def check(filing: Filing, requester: Requester, history: History, policy: Policy, calendars: Calendars, now: datetime) -> Intake:
    """Run every intake rule on a filing at `now` (an aware instant)."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    language, language_verdicts = _language(filing, policy)
    missing = _missing(filing, policy)
    verdicts = [
        *_reseller(filing, requester, policy),
        *_standing(requester, policy),
        *_verification(filing, requester, policy),
        *_registered_sender(filing, requester, policy),
        *_channel(filing, policy, calendars, now),
        *_fields(filing, policy, missing),
        *language_verdicts,
        *_duplicate(filing, history, policy, now),
        *_abuse(filing, policy),
        *_out_of_scope(filing, policy),
        *_after_delivery(filing, requester, policy, now),
        *_quota(filing, requester, history, policy),
    ]
    ordered = sorted(verdicts, key=lambda v: v.action != "refuse")  # stable: rule order within each
    return Intake(tuple(ordered), language, missing, policy.kb_first or None)


# ---- who files -----------------------------------------------------------------------


def _reseller(filing: Filing, requester: Requester, policy: Policy) -> Iterator[Verdict]:
    """A reseller's end customer, on a desk that does not support them (unless the reseller
    files for it); a reseller filing through a channel not open to resellers."""
    rule = policy.rules.reseller
    if requester.reseller and not rule.end_customers_may_file and filing.by != "reseller":
        message = (rule.message or RESELLER_MESSAGE).replace("{reseller}", requester.reseller)
        yield Verdict("reseller", "refuse", message, notify=rule.notify)
    by_reseller = filing.by == "reseller" or requester.kind == "reseller"
    if by_reseller and rule.reseller_channels and filing.channel not in rule.reseller_channels:
        allowed = " or ".join(rule.reseller_channels)
        yield Verdict(
            "reseller-channel", "refuse",
            f"resellers file tickets only by {allowed}, not by {filing.channel}; file it again with --channel {rule.reseller_channels[0]}",
        )


def _standing(requester: Requester, policy: Policy) -> Iterator[Verdict]:
    """Banned and suspended requesters, and unpaid fines where they suspend support."""
    if requester.status == "banned":
        yield Verdict("banned", "refuse", f"{requester.email} is banned from support; no tickets are taken from this requester")
    elif requester.status == "suspended":
        yield Verdict("suspended", "refuse", f"support for {requester.email} is suspended; ask the provider to lift the suspension")
    fines = policy.rules.fines
    if fines.enabled and fines.suspend_when_unpaid and requester.unpaid_fines > 0:
        n = requester.unpaid_fines
        yield Verdict(
            "fines-unpaid", "refuse",
            f"support for {requester.email} is suspended: {n} unpaid fine{'s' if n != 1 else ''}; paying {'them' if n != 1 else 'it'} restores support",
        )


def _needs_verification(filing: Filing, policy: Policy) -> bool:
    """Whether this filing is an account matter or emergency that needs a verified owner
    (every ticket when the policy names neither priorities nor departments)."""
    if not policy.verify_priorities and not policy.verify_departments:
        return True
    return filing.priority in policy.verify_priorities or filing.department in policy.verify_departments


def _verification(filing: Filing, requester: Requester, policy: Policy) -> Iterator[Verdict]:
    """Only a verified owner of the service is helped (where the policy asks for it); an
    unverified requester's other tickets are flagged, so the agent checks before
    discussing the account."""
    if not policy.verify_identity or requester.verified:
        return
    if _needs_verification(filing, policy):
        yield Verdict(
            "verification", "refuse",
            f"only the verified owner of the service {_verification_scope(filing, policy)}, and {requester.email} is not verified; "
            "to be verified, reply from your registered address or give your order number and a recent invoice, then file again",
        )
    else:
        yield Verdict(
            "verification", "flag",
            f"{requester.email} is not verified as the owner of the service; verify before discussing the account",
            flag="unverified",
        )


def _verification_scope(filing: Filing, policy: Policy) -> str:
    """`may file a high-priority ticket`, `… to the financial department`, `is helped here`."""
    ticket = f"a {filing.priority}-priority ticket" if filing.priority in policy.verify_priorities else "a ticket"
    to = f" to the {filing.department} department" if filing.department in policy.verify_departments else ""
    return f"may file {ticket}{to}" if ticket != "a ticket" or to else "is helped here"


def _registered_sender(filing: Filing, requester: Requester, policy: Policy) -> Iterator[Verdict]:
    """Account matters and emergencies through a registered-sender-only channel (e-mail)
    are taken only from an address registered for the customer."""
    channel = _channels(policy).get(filing.channel)
    if channel is None or not channel.registered_sender_only or not _needs_verification(filing, policy):
        return
    sender = requester.email.strip().casefold()
    if requester.known and sender in {a.strip().casefold() for a in requester.registered}:
        return
    others = [c.name for c in policy.channels if c.files_tickets and not c.registered_sender_only]
    instead = f", or file through {others[0]}" if others else ""
    yield Verdict(
        "registered-sender", "refuse",
        f"by {channel.name}, account matters and emergencies are taken only from a registered address, "
        f"and {requester.email} is not registered; write from your registered address{instead}",
    )


# ---- channel -------------------------------------------------------------------------


def _channels(policy: Policy) -> dict[str, Channel]:
    return {c.name: c for c in policy.channels}


def _channel(filing: Filing, policy: Policy, calendars: Calendars, now: datetime) -> Iterator[Verdict]:
    """A channel that takes no tickets, or whose hours are over."""
    channel = _channels(policy).get(filing.channel)
    if channel is None:
        return  # an unknown channel is the desk's to refuse, with the list of names
    if not channel.files_tickets:
        yield Verdict(
            "channel-no-tickets", "refuse",
            f"tickets cannot be filed by {channel.name}; {_alternative(channel, policy, calendars, now)}",
        )
    elif channel.calendar and not calendars(channel.calendar).is_open(now):
        opens = calendars(channel.calendar).next_open(now)
        yield Verdict(
            "channel-closed", "refuse",
            f"{channel.name} is closed now; it opens {format_local(opens, policy.zone)}; {_alternative(channel, policy, calendars, now)}",
        )


def _alternative(channel: Channel, policy: Policy, calendars: Calendars, now: datetime) -> str:
    """Where to file instead: the first channel that files tickets and is open now."""
    others = [c for c in policy.channels if c.files_tickets and c.name != channel.name]
    for other in others:
        if not other.calendar or calendars(other.calendar).is_open(now):
            return f"file by {other.name} (--channel {other.name})"
    if others:
        first = others[0]
        return f"file by {first.name} when it opens, {format_local(calendars(first.calendar).next_open(now), policy.zone)}"
    return "no channel that files tickets is open"


# ---- what the ticket carries ---------------------------------------------------------


def _missing(filing: Filing, policy: Policy) -> tuple[str, ...]:
    """Required field specs the filing lacks; `a|b` is satisfied by either, and the
    filing's service stands for a field named `service`."""
    department = next((d for d in policy.departments if d.name == filing.department), None)
    if department is None:
        return ()
    given = {name for name, value in filing.fields.items() if value and value.strip()}
    if filing.service and filing.service.strip():
        given.add("service")
    return tuple(spec for spec in department.required_fields(filing.priority) if not given & set(spec.split("|")))


def _fields(filing: Filing, policy: Policy, missing: tuple[str, ...]) -> Iterator[Verdict]:
    """Missing required fields: refused, flagged missing-info, or closed as incomplete."""
    if not missing:
        return
    department = policy.department(filing.department)
    helps = dict(department.field_help)
    listed = "; ".join(_describe_spec(spec, helps) for spec in missing)
    example = missing[0].split("|")[0]
    how = f"add {'it' if len(missing) == 1 else 'them'} with --field name=value (e.g. --field {example}=…)"
    violation = _fined(policy, "missing-info")
    action = department.on_missing
    if action == "refuse":
        yield Verdict("fields", "refuse", f"a {filing.priority} {department.name} ticket must carry: {listed}; {how}", violation=violation)
    elif action == "close":
        yield Verdict(
            "fields", "close", f"closed without an answer: a {department.name} ticket must carry: {listed}; file a new ticket and {how}",
            flag="missing-info", violation=violation, close_reason="incomplete", notify=("customer",),
        )
    else:
        yield Verdict("fields", "flag", f"missing: {listed}; {how}", flag="missing-info", violation=violation)


def _describe_spec(spec: str, helps: dict[str, str]) -> str:
    """`server_ip (The server's IP address) or order_number (…)`."""
    return " or ".join(f"{name} ({helps[name]})" if name in helps else name for name in spec.split("|"))


def _fined(policy: Policy, violation: str) -> str | None:
    fines = policy.rules.fines
    return violation if fines.enabled and violation in fines.violations else None


# ---- language ------------------------------------------------------------------------


def _language(filing: Filing, policy: Policy) -> tuple[str | None, tuple[Verdict, ...]]:
    """The detected language, and a verdict when the text is surely not in the desk's
    script or languages (an unsure text is never refused)."""
    if not policy.required_script and not policy.languages:
        return None, ()
    found = detect(f"{filing.subject}\n{filing.body}")
    if found.script is None:
        return None, ()
    expected = _expected_scripts(policy)
    allowed = policy.languages

    def fits(script: str, language: str | None) -> bool:
        return (not expected or script in expected) and (not allowed or language is None or language in allowed)

    if any(fits(script, language) for script, _, language in found.main):
        return found.language, ()
    wanted = " or ".join(language_name(code) for code in allowed) if allowed else ""
    if policy.required_script:
        script_text = f"{policy.required_script.capitalize()} script"
        wanted = f"{wanted} ({script_text})" if wanted else script_text
    script, _, language = found.main[0]
    seen = language_name(language) if language else f"{script.capitalize()} script"
    message = f"tickets here must be written in {wanted}; this one is in {seen}"
    violation = _fined(policy, "wrong-language")
    if policy.on_wrong_language == "refuse":
        return found.language, (Verdict("language", "refuse", f"{message}; please write it again in {wanted}", violation=violation),)
    return found.language, (Verdict("language", "flag", message, flag="wrong-language", violation=violation),)


def _expected_scripts(policy: Policy) -> frozenset[str]:
    """The scripts tickets may be in: the required one, or those of the desk's languages
    (none, meaning any, when a language's script is not known)."""
    if policy.required_script:
        return frozenset((policy.required_script,))
    scripts = [LANGUAGE_SCRIPTS.get(code) for code in policy.languages]
    return frozenset() if None in scripts else frozenset(scripts)  # type: ignore[arg-type]


# ---- duplicates ----------------------------------------------------------------------

_FOLD = (("ı", "i"), ("ي", "ی"), ("ك", "ک"), ("\u200c", " "))  # Turkish dotless i; Arabic and Persian yeh, kaf; ZWNJ
_NON_WORD = re.compile(r"[\W_]+")
# Combining marks left by NFKD: Latin accents, Hebrew points, Arabic harakat.
_MARKS = re.compile("[\u0300-\u036f\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]+")
COMPARED_CHARS = 4000  # descriptions are compared on their first characters


def normalise(text: str) -> str:
    """Text for comparison: case, accents, punctuation and spacing folded away
    (`Sunucum ÇALIŞMIYOR!` and `sunucum calismiyor` are the same)."""
    if not text.isascii():
        text = _fold(_MARKS.sub("", unicodedata.normalize("NFKD", _fold(text))).casefold())
    return _NON_WORD.sub(" ", text.casefold()).strip()


def _fold(text: str) -> str:
    for letter, common in _FOLD:
        text = text.replace(letter, common)
    return text


@record
class _Request(Record):
    """A ticket's subject and description, normalised for comparison."""

    subject: str
    body: str

    @classmethod
    def of(cls, subject: str, body: str) -> _Request:
        return cls(normalise(subject), normalise(body[:COMPARED_CHARS]))


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def same_request(subject: str, body: str, past: PastTicket) -> bool:
    """Whether a filing repeats a past ticket: the same description, or subjects sharing
    at least SUBJECT_SIMILARITY of their words (token-set Jaccard), or one subject
    containing the other. A subject of fewer than SHORT_SUBJECT words ("help", "sorun")
    is too generic: it matches only when the descriptions match too."""
    return _same(_Request.of(subject, body), _Request.of(past.subject, past.body))


def _same(new: _Request, old: _Request) -> bool:
    if new.body and new.body == old.body:
        return True
    words_new, words_old = set(new.subject.split()), set(old.subject.split())
    if not words_new or not words_old:
        return False
    contained = f" {new.subject} " in f" {old.subject} " or f" {old.subject} " in f" {new.subject} "
    if not contained and _jaccard(words_new, words_old) < SUBJECT_SIMILARITY:
        return False
    if min(len(words_new), len(words_old)) >= SHORT_SUBJECT:
        return True
    return _jaccard(set(new.body.split()), set(old.body.split())) >= SUBJECT_SIMILARITY


def _duplicate(filing: Filing, history: History, policy: Policy, now: datetime) -> Iterator[Verdict]:
    """An open ticket of the requester, filed within the window, asking the same thing."""
    rule = policy.rules.duplicates
    if rule.action == "allow":
        return
    since = now - rule.window
    new = _Request.of(filing.subject, filing.body)
    for past in history.recent:
        if past.status in ACTIVE_STATUSES and past.created_at >= since and _same(new, _Request.of(past.subject, past.body)):
            violation = _fined(policy, "duplicates")
            if rule.action == "refuse":
                yield Verdict(
                    "duplicate", "refuse",
                    f"you already have #{past.id} open for this ({past.subject}); reply to it with `supportdesk reply {past.id}`",
                    violation=violation,
                )
            else:
                yield Verdict(
                    "duplicate", "flag", f"this may repeat #{past.id} ({past.subject}), still open",
                    flag=f"possible-duplicate:#{past.id}", violation=violation,
                )
            return


# ---- abuse ---------------------------------------------------------------------------


_ABUSE_NEXT = {"flag": "", "close": "; an agent may close the ticket", "ban": "; an agent may close the ticket and end support to the sender"}


@lru_cache(maxsize=32)
def _abuse_patterns(patterns: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[re.Pattern[str], ...]:
    """Every language's patterns, compiled once per policy's pattern table."""
    return tuple(re.compile(p, re.IGNORECASE) for _, texts in patterns for p in texts)


def _abuse(filing: Filing, policy: Policy) -> Iterator[Verdict]:
    """Insults or profanity (any language's patterns, in subject or body) flag the ticket.

    At intake this only flags, whatever the policy's abuse action (flag, close or ban):
    ending the ticket and banning the requester is done by an agent (`terminate`), who
    reads the words in context first."""
    text = f"{filing.subject}\n{filing.body}"
    for pattern in _abuse_patterns(policy.rules.abuse.patterns):
        found = pattern.search(text)
        if found:
            then = _ABUSE_NEXT[policy.rules.abuse.action]
            yield Verdict("abuse", "flag", f'insulting language ("{found.group()}"){then}', flag="abusive")
            return


# ---- scope and quotas ----------------------------------------------------------------


def _out_of_scope(filing: Filing, policy: Policy) -> Iterator[Verdict]:
    """A category support does not cover (or sells)."""
    if filing.category and filing.category in policy.scope.out_of_scope:
        yield Verdict(
            "out-of-scope", "flag", policy.scope.out_message or OUT_OF_SCOPE_MESSAGE, flag="out-of-scope", notify=("customer",),
        )


def _service_key(text: str | None) -> str:
    return (text or "").strip().lstrip("#").casefold()


def _after_delivery(filing: Filing, requester: Requester, policy: Policy, now: datetime) -> Iterator[Verdict]:
    """A ticket about a delivered, unmanaged server, outside what is done before delivery,
    from a requester without a package that restores administration support. The ticket
    is about a server when it names it (name or order number), or names none and the
    requester has exactly one such server."""
    rule = policy.scope.after_delivery
    if rule is None or (filing.category and filing.category in rule.included):
        return
    restoring = {*rule.unless_packages, *(p.name for p in policy.packages if p.admin_support)}
    if requester.package in restoring:
        return
    servers = [
        s for s in requester.services
        if s.kind in rule.services and s.delivered_at is not None and s.delivered_at <= now
        and not s.managed and s.package not in restoring
    ]
    wanted = _service_key(filing.service)
    if wanted:
        about = [s for s in servers if wanted in (_service_key(s.name), _service_key(s.order_number))]
    else:
        about = servers if len(servers) == 1 else []
    if about:
        server = about[0]
        label = server.name or server.order_number or server.kind
        message = rule.message or "administration of a delivered server is not included"
        yield Verdict(
            "admin-support", "flag", f"{message} ({label}, delivered {format_local(server.delivered_at, policy.zone, with_weekday=False)})",
            flag="admin-support-not-included", notify=("customer",),
        )


def _included(filing: Filing, requester: Requester, policy: Policy) -> tuple[int | str, str] | None:
    """How many tickets of the filing's category are free, and why; None: no limit.
    The packages' `migrations` count the migration category (when any package states
    them; no package: none included; `migrations_paid`: none free); `quotas` the rest."""
    category = filing.category
    if not category:
        return None
    if category == policy.scope.migration_category and any(p.migrations is not None for p in policy.packages):
        package = next((p for p in policy.packages if p.name == requester.package), None)
        if package is None:
            return 0, "no package includes them for you"
        if package.migrations_paid:
            return 0, f"the {package.name} package's migrations are paid"
        return package.migrations or 0, f"the {package.name} package includes {package.migrations or 0}"
    quota = dict(policy.scope.quotas).get(category)
    return None if quota is None else (quota, f"{quota} free per customer")


def _quota(filing: Filing, requester: Requester, history: History, policy: Policy) -> Iterator[Verdict]:
    """Past a free quota (a category's, or the package's migrations), the work is paid."""
    included = _included(filing, requester, policy)
    if included is None or included[0] == "unlimited":
        return
    free, why = included
    used = history.category_counts.get(filing.category or "", 0)
    if used >= int(free):
        message = policy.scope.out_message or "this is a paid service"
        yield Verdict(
            "quota", "flag", f"{message} ({filing.category}: {why}; {used} filed before)", flag="paid-service", notify=("customer",),
        )
