"""The desk service: use cases grouped by area over one shared context (store, policy,
actor, now). Returns plain data; never prints.

Every use case validates first, then hands the store its changes inside one transaction,
so a refused call leaves the desk exactly as it was.
"""

from __future__ import annotations

from supportdesk.desk.access import Access
from supportdesk.desk.context import Clock, DeskContext, StoredHolidays, resolve_now
from supportdesk.desk.escalation import Escalation
from supportdesk.desk.oncall import OnCallAdmin, TimeDesk
from supportdesk.desk.people import AGENT_ROLES, People
from supportdesk.desk.policy_admin import PolicyAdmin
from supportdesk.desk.tickets import CloseOutcome, TicketDraft, Tickets
from supportdesk.triage import Triage


class Desk(Tickets, Escalation, OnCallAdmin, People, PolicyAdmin, Access):
    """An open desk acting for one actor at one instant: every use case of the service."""


__all__ = [
    "AGENT_ROLES",
    "CloseOutcome",
    "Clock",
    "Desk",
    "DeskContext",
    "StoredHolidays",
    "TicketDraft",
    "TimeDesk",
    "Triage",
    "resolve_now",
]
