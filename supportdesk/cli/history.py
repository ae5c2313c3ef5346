"""A ticket's history in words: one short English sentence per event, in local time.

The wording of every event kind lives here, in `SENTENCES` (kind -> function). `show`'s
History, `log` and `sla explain`'s "Escalations and changes" all say events through
`sentence`. An unknown kind, or a known kind whose details are not what its function
expects, falls back to `generic`, which still never shows Python reprs: values are said
readably (none, yes/no, lists joined with commas, durations in hours, timestamps in local
time).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from supportdesk.timetext import format_hours, format_local, from_utc_text

# Stored instants: `2026-11-20T14:30:00Z` (also with an offset or fractional seconds).
_INSTANT = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})")
# A recorded_at this close to `at` is the same moment (the clock read twice), not `--now`.
RECORDED_SLACK_SECONDS = 60

CHANNELS = {"email": "by e-mail", "ticket": "by ticket", "web": "through the web form", "api": "through the API"}
CLOSE_REASONS = {
    "duplicate": "closed as a duplicate",
    "out-of-scope": "closed as out of scope",
    "incomplete": "closed as incomplete",
    "no-response": "closed for no response",
    "abuse": "closed for abuse",
}


def local_short(text: str | None, zone: tzinfo, now: datetime | None = None) -> str:
    """`Fri 20 Nov 15:30 +03`; with the year (`Fri 20 Nov 2025 15:30 +03`) when it is not
    the year of `now`; `-` for no time."""
    if not text:
        return "-"
    local = from_utc_text(text).astimezone(zone)
    if now is not None and local.year != now.astimezone(zone).year:
        return f"{local:%a %d %b %Y %H:%M} {local.tzname()}"
    return f"{local:%a %d %b %H:%M} {local.tzname()}"


def who(actor: str | None) -> str:
    """`agent:cem` -> `cem`, `customer:ada@example.com` -> `ada@example.com`."""
    if not actor:
        return "someone"
    kind, _, name = actor.partition(":")
    if not name:
        return kind
    return name if kind in ("agent", "customer") else f"{name} ({kind})"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class Say:
    """Values as words, for one zone and one `now`."""

    def __init__(self, zone: tzinfo, now: datetime | None = None):
        self.zone, self.now = zone, now

    def when(self, text: str | None) -> str:
        return local_short(text, self.zone, self.now)

    def text(self, value: Any) -> str:
        """Free text with any stored instant in it said in local time."""
        return _INSTANT.sub(lambda m: self._instant(m.group(0)), str(value))

    def _instant(self, text: str) -> str:
        try:
            return self.when(text)
        except ValueError:
            return text

    def value(self, value: Any, key: str = "") -> str:
        """Any stored value readably: none, yes/no, lists, nested tables, durations, times."""
        if value is None:
            return "none"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, (int, float)):
            if key == "seconds" or key.endswith("_seconds"):
                return format_hours(value)
            return f"{value:g}" if isinstance(value, float) else str(value)
        if isinstance(value, (list, tuple)):
            return ", ".join(self.value(v, key) for v in value) if value else "none"
        if isinstance(value, dict):
            if not value:
                return "none"
            return ", ".join(f"{words(k)} {self.value(v, str(k))}" for k, v in value.items())
        return self.text(value)

    def nested(self, value: Any, key: str = "") -> str:
        """A value inside a sentence: a table goes in parentheses."""
        said = self.value(value, key)
        return f"({said})" if isinstance(value, dict) and value else said


def words(key: Any) -> str:
    return str(key).replace("_", " ")


def _details(event: dict[str, Any]) -> dict[str, Any]:
    details = event.get("details")
    return details if isinstance(details, dict) else {}


def _pair(details: dict[str, Any], key: str) -> tuple[Any, Any]:
    return (details.get("before") or {}).get(key), (details.get("after") or {}).get(key)


def _status_change(details: dict[str, Any]) -> str:
    before, after = _pair(details, "status")
    if before and after and before != after:
        return f"status {before} → {after}"
    return ""


def _joined(*parts: str, sep: str = "; ") -> str:
    return sep.join(p for p in parts if p)


# ---- one function per event kind ------------------------------------------------------


def _filed(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    after = details.get("after") or {}
    if not after:
        return "imported"  # the bulk path writes `filed` with no details
    customer = after.get("customer")
    by_customer = event.get("actor") in (f"customer:{customer}", None) or who(event.get("actor")) == customer
    head = "filed" if not customer else (f"filed by {customer}" if by_customer else f"filed for {customer}")
    channel = after.get("channel")
    facts = [say.text(after[k]) for k in ("priority", "department") if after.get(k)]
    if channel:
        facts.append(CHANNELS.get(channel, f"by {say.text(channel)}"))
    text = head + (": " + ", ".join(facts) if facts else "")
    return text + (" (new customer)" if details.get("new_customer") else "")


def _target(target: Any) -> str:
    if not isinstance(target, dict) or target.get("seconds") is None:
        return ""
    hours = format_hours(target["seconds"])
    calendar = target.get("calendar")
    length = hours if calendar in (None, "24/7") else f"{hours} of {calendar} time"
    return f"{target['source']}, {length}" if target.get("source") else length


def _deadlines(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    sla = details.get("sla") or {}
    before, after = details.get("before") or {}, details.get("after") or {}
    reason = details.get("reason")
    clocks = []
    for key, verb, target in (("respond_by", "respond by", "respond"), ("resolve_by", "resolve by", "resolve")):
        if not after.get(key):
            continue
        notes = [_target(sla.get(target))]
        if before.get(key) and before[key] != after[key]:
            notes.append(f"was {say.when(before[key])}")
        note = "; ".join(n for n in notes if n)
        clocks.append(f"{verb} {say.when(after[key])}" + (f" ({note})" if note else ""))
    head = "deadlines set" if reason in (None, "filed") else f"deadlines recomputed ({say.text(reason)})"
    if not clocks:
        text = f"{head}: none" if before else f"{head}: no targets apply"
    else:
        text = f"{head}: " + ", ".join(clocks)
    if sla.get("outside_office_hours") and reason == "filed":
        text += "; filed outside office hours"
    return text


def _reply(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    text = "first response to the customer" if details.get("first_response") else "replied to the customer"
    breached = details.get("breached") or {}
    missed = breached.get("respond_breached_at") or breached.get("respond_by")  # older events: respond_by
    if missed:
        text += f", after the response deadline {say.when(missed)}"
    return _joined(text, _status_change(details))


def _note(event: dict[str, Any], say: Say) -> str:
    return "added an internal note"


def _assign(event: dict[str, Any], say: Say) -> str:
    before, after = _pair(_details(event), "assignee")
    if after:
        return f"assigned to {after} (was {before or 'nobody'})"
    return f"unassigned (was {before or 'nobody'})"


def _wait(event: dict[str, Any], say: Say) -> str:
    change = _status_change(_details(event))
    return "waiting on the customer" + (f" ({change})" if change else "") + "; the resolution clock stops"


def _resume(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    change = _status_change(details)
    text = "resumed" + (f" ({change})" if change else "")
    if details.get("paused_seconds") is not None:
        text += f" after {format_hours(details['paused_seconds'])} paused"
    _, resolve_by = _pair(details, "resolve_by")
    return text + (f"; resolve by {say.when(resolve_by)}" if resolve_by else "")


def _close(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    before, after = _pair(details, "status")
    reason = details.get("reason")
    if after == "resolved":
        text = "resolved"
    elif before == "resolved":
        text = "archived"
    else:
        text = CLOSE_REASONS.get(reason, f"closed ({say.text(reason)})" if reason else "closed")
    change = _status_change(details)
    text += f" ({change})" if change else ""
    breached = details.get("breached") or {}
    late = [
        f"the {what} deadline {say.when(breached[key])} had passed"
        for key, what in (("respond_breached_at", "response"), ("resolve_breached_at", "resolution"))
        if breached.get(key)
    ]
    return _joined(text, ", ".join(late))


def _reopen(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    change = _status_change(details)
    reason = (details.get("before") or {}).get("close_reason")
    text = "reopened" + (f" ({change})" if change else "")
    return text + (f"; it was closed as {say.text(reason)}" if reason and reason != "resolved" else "")


def _priority(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    before, after = _pair(details, "priority")
    reason = details.get("reason")
    return f"priority {before or '-'} → {after or '-'}" + (f": {say.text(reason)}" if reason else "")


def _escalate(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    before, after = details.get("before") or {}, details.get("after") or {}
    level = after.get("level_name") or f"level {after.get('level')}"
    verb = "escalated"
    if isinstance(before.get("level"), int) and isinstance(after.get("level"), int) and after["level"] < before["level"]:
        verb = "moved down"
    if details.get("automatic"):
        verb += " automatically"
    text = f"{verb} to {say.text(level)} ({after.get('assignee') or 'nobody on duty'})"
    return text + (f": {say.text(details['reason'])}" if details.get("reason") else "")


def _page(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    people = details.get("to") or []
    channel = details.get("channel")
    by = f" by {say.text(channel)}" if channel else ""
    if not people:
        level = details.get("level")
        return "nobody to page" + (f": nobody on duty at {say.text(level)}" if level else "")
    return f"paged {say.value(people)}{by}"


def _recomputed(details: dict[str, Any]) -> str:
    n = details.get("recomputed")
    if not isinstance(n, int) or not n:
        return ""
    return f"{plural(n, 'open ticket')} got new deadlines"


def _customer_package(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    before, after = _pair(details, "package")
    text = f"customer {details.get('customer') or '-'}: package {before or 'none'} → {after or 'none'}"
    return _joined(text, _recomputed(details))


def _customer_added(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    package = details.get("package")
    return f"customer {details.get('customer') or '-'} added" + (f" with package {package}" if package else "")


def _agent_added(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    role = details.get("role")
    return f"agent {details['login']} added" + (f" as {role}" if role else "")


def _policy_applied(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    before, _ = _pair(details, "version")
    text = f"policy version {details['version']} applied"
    if details.get("source"):
        text += f" from {details['source']}"
    if before:
        text += f" (was version {before})"
    return _joined(text, _recomputed(details))


def _oncall_override(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    number = f" #{details['id']}" if details.get("id") is not None else ""
    text = (
        f"on-call override{number}: {details['person']} on {details['layer']} "
        f"from {say.when(details.get('starts_at'))} until {say.when(details.get('ends_at'))}"
    )
    return text + (f": {say.text(details['reason'])}" if details.get("reason") else "")


def _oncall_override_removed(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    number = f" #{details['id']}" if details.get("id") is not None else ""
    return f"on-call override{number} removed ({details['person']} on {details['layer']})"


def _desk_created(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    text = "desk created"
    if details.get("policy_version") is not None:
        text += f" with policy version {details['policy_version']}"
    if details.get("policy_source"):
        text += f" from {details['policy_source']}"
    return text


def _undo(event: dict[str, Any], say: Say) -> str:
    details = _details(event)
    text = f"undid the {details.get('action', 'operation')} of operation {details.get('undoes')}"
    before, after = _pair(details, "status")
    return text + (f" (status {before} → {after})" if before and after else "")


SENTENCES: dict[str, Callable[[dict[str, Any], Say], str]] = {
    "filed": _filed,
    "deadlines": _deadlines,
    "reply": _reply,
    "note": _note,
    "assign": _assign,
    "wait": _wait,
    "resume": _resume,
    "close": _close,
    "reopen": _reopen,
    "priority": _priority,
    "escalate": _escalate,
    "page": _page,
    "customer_package": _customer_package,
    "customer_added": _customer_added,
    "agent_added": _agent_added,
    "policy_applied": _policy_applied,
    "oncall_override": _oncall_override,
    "oncall_override_removed": _oncall_override_removed,
    "desk_created": _desk_created,
    "undo": _undo,
}


def generic(event: dict[str, Any], say: Say) -> str:
    """`kind: key value; key before → after` for a kind without its own sentence."""
    details = _details(event)
    before, after = details.get("before"), details.get("after")
    parts: list[str] = []
    if isinstance(before, dict) or isinstance(after, dict):
        before, after = before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
        for key in dict.fromkeys([*before, *after]):
            old, new = before.get(key), after.get(key)
            if key in before and key in after and old == new:
                continue
            parts.append(f"{words(key)} {say.nested(old, key)} → {say.nested(new, key)}")
    else:
        for key, value in (("before", before), ("after", after)):
            if value is not None:
                parts.append(f"{key} {say.nested(value)}")
    skip = {"before", "after", "changes"}
    parts += [f"{words(k)} {say.nested(v, str(k))}" for k, v in details.items() if k not in skip]
    if not parts:  # only the columns it changed tell what it did
        changes = details.get("changes") or event.get("changes")
        if isinstance(changes, dict):
            for column, pair in changes.items():
                if isinstance(pair, (list, tuple)) and len(pair) == 2:
                    parts.append(f"{words(column)} {say.nested(pair[0], column)} → {say.nested(pair[1], column)}")
                else:
                    parts.append(f"{words(column)} {say.nested(pair, column)}")
    head = words(event.get("kind") or "event")
    return f"{head}: " + "; ".join(parts) if parts else head


def sentence(event: dict[str, Any], zone: tzinfo, now: datetime | None = None) -> str:
    """What the event did, as one short sentence in the desk's local time."""
    say = Say(zone, now)
    write = SENTENCES.get(event.get("kind") or "")
    if write is not None:
        try:
            return write(event, say)
        except (KeyError, TypeError, AttributeError, ValueError):
            pass  # details of an older or newer shape: say them generically
    return generic(event, say)


def recorded_note(event: dict[str, Any], zone: tzinfo) -> str:
    """`(recorded Mon 23 Nov 2026 18:40 +03)` when the event was written at another time
    than the one it is dated (`--now`); empty otherwise or without `recorded_at`."""
    recorded, at = event.get("recorded_at"), event.get("at")
    if not recorded or not at:
        return ""
    try:
        apart = abs((from_utc_text(recorded) - from_utc_text(at)).total_seconds())
    except (TypeError, ValueError):
        return ""
    if apart < RECORDED_SLACK_SECONDS:
        return ""
    return f"(recorded {format_local(from_utc_text(recorded), zone)})"
