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


def render(kind: str, **fields: Any) -> tuple[str, str]:
    """The subject (with the ticket reference `[#ID]` when there is a ticket) and body of
    a notice of `kind`."""
    subject, body = TEMPLATES[kind]
    values = {k: "-" if v is None else str(v) for k, v in fields.items()}
    prefix = f"[#{values['id']}] " if values.get("id", "-") != "-" else ""
    return prefix + Template(subject).substitute(values), Template(body).substitute(values)
