"""Who the actor is and what it may do. Pure.

Agents (admins and engineers) see the whole desk. A reseller or a customer acts with a
token and sees only its scope: a reseller its end customers' tickets and its own, a
customer its own. Outside its scope a ticket does not exist for it, and the agents' side
of a ticket (internal notes, assignee, escalation, intake flags, the audit trail's
internals) never reaches it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from supportdesk.errors import Refused
from supportdesk.model import Actor

TOKEN_PREFIX = "sd_"
# The characters of a token kept in clear to tell tokens apart in `token list`.
PREFIX_LENGTH = 10
HOLDER_KINDS = ("agent", "reseller", "customer")

# Ticket fields only agents see.
AGENT_ONLY_FIELDS = (
    "assignee", "escalation_level", "flags", "due_at", "policy_version", "risk_at", "updated_at", "respond_breached_at", "resolve_breached_at",
)
# What a public event's details may say (the rest — intake flags, SLA sources, breaches,
# assignees — is the agents' side).
PUBLIC_DETAILS = ("before", "after", "reason", "of", "ref", "resumed", "reopened", "internal", "length", "first_response")
PUBLIC_STATE = ("status", "priority", "department", "channel", "customer", "resolved_at", "closed_at", "close_reason")
# The events of a ticket a reseller or customer sees (public replies only).
PUBLIC_EVENTS = frozenset({"filed", "reply", "customer_reply", "wait", "resume", "close", "reopen"})


def require_admin(actor: Actor, what: str) -> None:
    """Refuse unless the actor is an admin agent."""
    require_agent(actor, what)
    if actor.role != "admin":
        raise Refused(f"only an admin may {what}; you ({actor.name}) are an {actor.role}")


def require_agent(actor: Actor, what: str) -> None:
    """Refuse a reseller or customer token a command only the desk's agents may run."""
    if not actor.is_agent:
        raise Refused(f"only the desk's agents may {what}; your token is a {actor.kind}'s")


def new_token() -> str:
    """A fresh random token (shown once; only its hash is kept)."""
    import secrets

    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The SHA-256 of a token, as stored (tokens are random: no salt is needed)."""
    return hashlib.sha256(token.strip().encode("utf-8", "surrogateescape")).hexdigest()


def public_ticket(record: dict[str, Any]) -> dict[str, Any]:
    """A ticket as a reseller or customer sees it: no agent-only fields, internal notes
    or agents' events."""
    out = {k: v for k, v in record.items() if k not in AGENT_ONLY_FIELDS}
    if "messages" in out:
        out["messages"] = [m for m in out["messages"] if not m["internal"]]
    if "events" in out:
        out["events"] = public_events(out["events"])
    return out


def public_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events a reseller or customer sees: what happened to its ticket and when,
    without internal notes, assignments, escalations or the audit internals."""
    shown = []
    for event in events:
        if event["kind"] not in PUBLIC_EVENTS or event["details"].get("internal"):
            continue
        public = {k: v for k, v in event.items() if k not in ("changes", "operation", "recorded_at")}
        details = {k: v for k, v in event["details"].items() if k in PUBLIC_DETAILS}
        for side in ("before", "after"):
            if isinstance(details.get(side), dict):
                details[side] = {k: v for k, v in details[side].items() if k in PUBLIC_STATE}
        shown.append(public | {"details": details})
    return shown
