"""Every notification's wording, in one place. Pure.

Each notice is a template with named fields; the desk fills them with values already
formatted for people (local times with their zone). The e-mail work will load these per
language from the policy; until then they are the English defaults.
"""

from __future__ import annotations

from string import Template
from typing import Any

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


def render(kind: str, **fields: Any) -> tuple[str, str]:
    """The subject (with the ticket reference `[#ID]` when there is a ticket) and body of
    a notice of `kind`."""
    formats = _FORMATS.get(kind)
    if formats is None:
        subject, body = TEMPLATES[kind]
        formats = _FORMATS[kind] = (_format_string(subject), _format_string(body))
    values = {k: "-" if v is None else str(v) for k, v in fields.items()}
    prefix = f"[#{values['id']}] " if values.get("id", "-") != "-" else ""
    return prefix + formats[0].format_map(values), formats[1].format_map(values)
