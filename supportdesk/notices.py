"""Every notification's wording, in one place. Pure.

Two wordings of each notice. When the desk queues it: an English summary from the
`$name` templates below, filled with values already formatted for people (local times
with their zone); the outbox keeps it as the desk's own record. When it is sent: the
recipient's language, from Jinja2 templates (built in, or the policy's), filled with the
values the outbox kept (`stored_fields`) and those of the ticket then.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from string import Template
from typing import Any

from supportdesk.frozen import Record, record

# kind -> (subject, body); `$name` fields, filled by `render`.
TEMPLATES: dict[str, tuple[str, str]] = {
    "page": (
        "$priority ticket out of hours: $subject",
        "$customer filed #$id ($priority) at $filed_at; respond by $respond_by. `supportdesk show $id`",
    ),
    "escalation": (
        "escalated to $level: $subject",
        "#$id ($priority, $customer) was escalated to $level: $reason. Deadline $due_at. `supportdesk show $id`",
    ),
    # To the customer (or reseller) who filed or owns the ticket.
    "filed": (
        "received: $subject",
        "We have your ticket #$id ($priority). $expect Reply to this message to add to it.$notes",
    ),
    "reply": (
        "new reply: $subject",
        "$author replied to your ticket #$id:\n\n$body",
    ),
    "closed": (
        "closed: $subject",
        "Your ticket #$id was closed ($reason). $reopen",
    ),
    "refused": (
        "not accepted: $subject",
        "Your ticket \"$subject\" was not accepted: $why",
    ),
    "end_customer": (
        "your customer $customer contacted us",
        "$customer, one of your customers, tried to file \"$subject\" with us directly. We told them: $why",
    ),
    "paid_service": (
        "paid service: $subject",
        "About your ticket #$id: $message",
    ),
}


def _format_string(template: str) -> str:
    """A `$name` template as a str.format string (a bulk close renders a notice per
    ticket: format_map is several times faster than Template.substitute)."""
    pattern = Template.pattern

    def convert(match: Any) -> str:
        name = match.group("named") or match.group("braced")
        if name is not None:
            return "{" + name + "}"
        if match.group("escaped") is not None:
            return "$"
        raise ValueError(f"bad placeholder in notice template {template!r}")

    pieces, last = [], 0
    for match in pattern.finditer(template):
        pieces.append(template[last : match.start()].replace("{", "{{").replace("}", "}}"))
        pieces.append(convert(match))
        last = match.end()
    pieces.append(template[last:].replace("{", "{{").replace("}", "}}"))
    return "".join(pieces)


# The templates as format strings, made once each.
_FORMATS: dict[str, tuple[str, str]] = {}


def _formats(kind: str) -> tuple[str, str]:
    formats = _FORMATS.get(kind)
    if formats is None:
        subject, body = TEMPLATES[kind]
        formats = _FORMATS[kind] = (_format_string(subject), _format_string(body))
    return formats


def render(kind: str, **fields: Any) -> tuple[str, str]:
    """The subject (with the ticket reference `[#ID]` when there is a ticket) and body of
    a notice of `kind`."""
    formats = _formats(kind)
    values = {k: "-" if v is None else str(v) for k, v in fields.items()}
    prefix = f"[#{values['id']}] " if values.get("id", "-") != "-" else ""
    return prefix + formats[0].format_map(values), formats[1].format_map(values)


# Stand-ins for each ticket's own number and subject in a notice worded once for many
# tickets (model.TicketNotices): private-use characters, and the desk's own words around
# them never hold any. The store puts the subject in last, so a subject that holds one
# is kept as it is.
TICKET_MARKS = {"id": "\ue000id\ue000", "subject": "\ue000subject\ue000"}


def render_for_many(kind: str, **shared: Any) -> tuple[str, str]:
    """`render` of a notice of `kind` about many tickets, with TICKET_MARKS where each
    ticket's number and subject go; `shared` are desk-made values (a hint made with the
    id mark for the ticket's number may hold that mark)."""
    return render(kind, **TICKET_MARKS, **shared)


# ---- the wording sent: per language, from templates (built in, or the policy's) -------
#
# What is queued above is the desk's own record of a notice, in English. What is sent is
# worded when it is sent (so that queueing stays cheap: a bulk close queues a notice per
# ticket), in the recipient's language, from Jinja2 templates: the built-in ones in
# supportdesk/templates/notices/LANG.toml, each replaceable by a policy's
# [notices.KIND.LANG] table. Plain text is rendered without escaping (it is not markup);
# the HTML part escapes everything; a subject is always one line.

# The values every notice's wording may use.
COMMON = ("id", "subject", "desk", "name", "language")
# The values each kind's wording may use besides them.
FIELDS: dict[str, tuple[str, ...]] = {
    "filed": ("priority", "respond_by"),
    "reply": ("author", "body", "attachments"),
    "closed": ("reason", "message", "of", "reopen_days"),
    "refused": ("why",),
    "end_customer": ("customer", "why"),
    "paid_service": ("message",),
    "page": ("priority", "customer", "filed_at", "respond_by"),
    "escalation": ("priority", "customer", "level", "reason", "due_at"),
}
# What the desk keeps of a notice's values when it queues it (the `fields` of its outbox
# row); the rest is read from the ticket and the policy when it is sent.
STORED: dict[str, tuple[str, ...]] = {
    "filed": ("priority", "respond_by"),
    "reply": ("author", "message_id"),
    "closed": ("close_reason", "of", "message"),
    "refused": ("subject", "why", "to"),
    "end_customer": ("subject", "customer", "why", "to"),
    "paid_service": ("message",),
    "page": (),
    "escalation": ("level", "reason"),
}
# Notices a person wrote, not the desk: sent without `Auto-Submitted: auto-generated`.
WRITTEN_BY_PEOPLE = frozenset({"reply"})
# The languages the desk has built-in wording for.
BUILT_IN = ("en", "tr", "fa")
FALLBACK = "en"
SUBJECT_MAX = 250

# Values as sample data, to try a policy's template when it is checked.
_SAMPLES: dict[str, Any] = {
    "id": 42, "of": 41, "reopen_days": 14, "attachments": ["log.txt"], "subject": "Site down", "desk": "Desk",
    "name": "Ada", "language": "en", "reason": "resolved", "message": "", "body": "It works now.",
}


def stored_fields(kind: str, fields: dict[str, Any]) -> str | None:
    """The JSON text of the values of a notice kept with it in the outbox (None: none)."""
    import json

    kept = {k: fields[k] for k in STORED.get(kind, ()) if fields.get(k) is not None}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True) if kept else None


@record
class Wording(Record):
    """A notice worded for sending: one-line subject, plain text, HTML, and its language."""

    subject: str
    text: str
    html: str
    language: str


@record
class LanguageFormat(Record):
    """How a language writes an instant: names of weekdays and months, a pattern, its
    digits, its calendar (gregorian or jalali) and its direction (ltr or rtl)."""

    weekdays: tuple[str, ...]
    months: tuple[str, ...]
    pattern: str
    digits: str = "0123456789"
    calendar: str = "gregorian"
    direction: str = "ltr"

    def when(self, at: datetime, zone: tzinfo) -> str:
        """`at` as local wall time in `zone`, e.g. `Fri 20 Nov 2026 12:00 +03`."""
        local = at.astimezone(zone)
        year, month, day = (local.year, local.month, local.day) if self.calendar == "gregorian" else jalali(local.date())
        numbers = str.maketrans("0123456789", self.digits)
        return self.pattern.format(
            weekday=self.weekdays[local.weekday()], day=str(day).translate(numbers), month=self.months[month - 1],
            year=str(year).translate(numbers), time=f"{local:%H:%M}".translate(numbers), zone=local.tzname() or "",
        )


def jalali(day: date) -> tuple[int, int, int]:
    """The Solar Hijri (Iranian) year, month and day of a Gregorian date."""
    before = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
    year = day.year + 1 if day.month > 2 else day.year
    days = 355666 + 365 * day.year + (year + 3) // 4 - (year + 99) // 100 + (year + 399) // 400 + day.day + before[day.month - 1]
    jy = -1595 + 33 * (days // 12053)
    days %= 12053
    jy += 4 * (days // 1461)
    days %= 1461
    if days > 365:
        jy += (days - 1) // 365
        days = (days - 1) % 365
    if days < 186:
        return jy, 1 + days // 31, 1 + days % 31
    return jy, 7 + (days - 186) // 30, 1 + (days - 186) % 30


_BUILT_IN: dict[str, dict[str, Any]] = {}


def built_in(language: str) -> dict[str, Any]:
    """The built-in wording of a language: {kind: {subject, body}, "format": {...}}; {}
    when there is none."""
    found = _BUILT_IN.get(language)
    if found is None:
        import tomllib
        from importlib.resources import files

        resource = files("supportdesk") / "templates" / "notices" / f"{language}.toml"
        found = tomllib.loads(resource.read_text(encoding="utf-8")) if language in BUILT_IN and resource.is_file() else {}
        _BUILT_IN[language] = found
    return found


_LAYOUT: list[str] = []


def _layout() -> str:
    """The HTML page a notice's text is set in (templates/notices/layout.html)."""
    if not _LAYOUT:
        from importlib.resources import files

        _LAYOUT.append((files("supportdesk") / "templates" / "notices" / "layout.html").read_text(encoding="utf-8"))
    return _LAYOUT[0]


def language_format(language: str) -> LanguageFormat:
    """How `language` writes instants (English's when it has no built-in wording)."""
    spec = built_in(language).get("format") or built_in(FALLBACK)["format"]
    return LanguageFormat(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()})


def language_for(policy: Any, *preferred: str | None) -> str:
    """The first of `preferred` (the customer's language, the ticket's) that the desk has
    wording for, else the policy's notice language."""
    known = set(BUILT_IN) | {lang for _, lang, _, _ in policy.notice_templates}
    for language in preferred:
        if language and language in known:
            return language
    return desk_language(policy)


def desk_language(policy: Any) -> str:
    """The language of notices to people whose language is not known (and to agents):
    `[notifications] language`, else the first of the desk's languages with wording."""
    if policy.notify_language:
        return policy.notify_language
    known = set(BUILT_IN) | {lang for _, lang, _, _ in policy.notice_templates}
    return next((lang for lang in policy.languages if lang in known), FALLBACK)


def templates_for(policy: Any, kind: str, language: str) -> tuple[str, str, str]:
    """(subject template, body template, language) of a notice: the policy's wording for
    the language, else the built-in one, else English (the policy's, else built in)."""
    own = {(k, lang): (subject, body) for k, lang, subject, body in policy.notice_templates if k == kind}
    for lang in dict.fromkeys((language, FALLBACK)):
        subject, body = own.get((kind, lang), (None, None))
        default = built_in(lang).get(kind, {})
        subject, body = subject or default.get("subject"), body or default.get("body")
        if subject and body:
            return subject, body, lang
    raise KeyError(f"no wording for notice {kind!r}")


_ENVIRONMENTS: dict[bool, Any] = {}
_COMPILED: dict[tuple[bool, str], Any] = {}


def _environment(html: bool) -> Any:
    """The Jinja2 environment: sandboxed (a policy's templates reach no Python
    internals), strict about unknown values, autoescaping for HTML only."""
    found = _ENVIRONMENTS.get(html)
    if found is None:
        from jinja2 import StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        found = SandboxedEnvironment(autoescape=html, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
        _ENVIRONMENTS[html] = found
    return found


def _template(source: str, html: bool = False) -> Any:
    key = (html, source)
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED[key] = _environment(html).from_string(source)
    return found


# C0 controls but tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Everything that would end or fold a header line.
_LINE_BREAKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def _clean(value: Any) -> Any:
    """A value as the plain-text wording may show it: no control characters (CR LF become
    LF, a lone CR a newline); lists cleaned item by item."""
    if isinstance(value, str):
        return _CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def one_line(text: str, limit: int = SUBJECT_MAX) -> str:
    """`text` as a header line: every line break and control character a single space, at
    most `limit` characters."""
    line = _LINE_BREAKS.sub(" ", text).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def word(policy: Any, kind: str, language: str, values: dict[str, Any]) -> Wording:
    """A notice of `kind` worded in `language` (or the fallback) with `values`: its
    subject (with `[#ID]` when there is a ticket), plain text and HTML."""
    subject_source, body_source, used = templates_for(policy, kind, language)
    given = {name: _clean(values.get(name)) for name in (*COMMON, *FIELDS[kind])} | {"language": used}
    subject = one_line(_template(subject_source).render(given))
    if given.get("id") is not None:
        subject = one_line(f"[#{given['id']}] {subject}")
    text = _template(body_source).render(given).strip() + "\n"
    paragraphs = [p.split("\n") for p in re.split(r"\n\s*\n", text.strip())]
    direction = language_format(used).direction
    html = _template(_layout(), html=True).render(subject=subject, paragraphs=paragraphs, language=used, direction=direction)
    return Wording(subject, text, html, used)


def check_template(kind: str, part: str, source: str) -> str | None:
    """What is wrong with a policy's template (`part` is subject or body), or None."""
    from jinja2 import TemplateSyntaxError, meta
    from jinja2.exceptions import SecurityError, UndefinedError

    environment = _environment(False)
    try:
        parsed = environment.parse(source)
    except TemplateSyntaxError as error:
        return f"not a valid template (line {error.lineno}: {error.message}); see the README's notice templates"
    allowed = (*COMMON, *FIELDS[kind])
    unknown = sorted(meta.find_undeclared_variables(parsed) - set(allowed))
    if unknown:
        return f"unknown value {unknown[0]!r}; a {kind} notice has: {', '.join(allowed)}"
    samples = {name: _SAMPLES.get(name, name) for name in allowed}
    try:
        environment.from_string(source).render(samples)
    except (UndefinedError, SecurityError, TypeError, ValueError, ArithmeticError) as error:
        return f"cannot be rendered ({error}); use the values as text, e.g. {{{{ {allowed[0]} }}}}"
    return None
