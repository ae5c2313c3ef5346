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
}


def render(kind: str, **fields: Any) -> tuple[str, str]:
    """The subject (with the ticket reference `[#ID]`) and body of a notice of `kind`."""
    subject, body = TEMPLATES[kind]
    values = {k: "-" if v is None else str(v) for k, v in fields.items()}
    return f"[#{values['id']}] " + Template(subject).substitute(values), Template(body).substitute(values)
