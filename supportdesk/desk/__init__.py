"""The desk service: use cases grouped by area over one shared context (store, policy,
actor, now). Returns plain data; never prints.

Every use case validates first, then hands the store its changes inside one transaction,
so a refused call leaves the desk exactly as it was.
"""

from __future__ import annotations

from typing import Any

from supportdesk.desk.access import Access
from supportdesk.desk.bulk import Bulk, BulkOutcome, CloseOutcome
from supportdesk.desk.context import Clock, DeskContext, StoredHolidays, resolve_now
from supportdesk.desk.credits import Credits
from supportdesk.desk.delivery import Delivery
from supportdesk.desk.filing import Filing
from supportdesk.desk.fines import Fines
from supportdesk.desk.mail import Mail
from supportdesk.desk.oncall import OnCallAdmin, TimeDesk
from supportdesk.desk.people import AGENT_ROLES, People
from supportdesk.desk.policy_admin import PolicyAdmin
from supportdesk.desk.reports import Reports
from supportdesk.desk.tickets import TicketDraft
from supportdesk.desk.transfer import Transfer
from supportdesk.triage import Triage


class Desk(Mail, Delivery, Fines, Filing, Bulk, OnCallAdmin, Access, Credits, Transfer, People, PolicyAdmin, Reports):
    """An open desk acting for one actor at one instant: every use case of the service."""


# The use cases a reseller or customer (a token holder) may call; they scope what they
# read and write to the actor. Every other public use case is for the desk's agents:
# guarded below, so that a use case added later is agent-only unless listed here.
SCOPED_USE_CASES = frozenset(
    {
        "ticket", "list_tickets", "filter", "log", "file_ticket", "reply", "close_tickets", "bulk_close", "reopen", "status", "at", "close", "attachment_file",
        "sla_report", "volume_report",
    }
)


def _agents_only(use_case: Any) -> Any:
    import functools

    @functools.wraps(use_case)
    def guarded(self: Desk, *args: Any, **kwargs: Any) -> Any:
        if not self.actor.is_agent:
            self._require_agent("use this command")
        return use_case(self, *args, **kwargs)

    return guarded


def _guard_use_cases() -> None:
    import types

    for cls in Desk.__mro__:
        for name, value in vars(cls).items():
            if not name.startswith("_") and isinstance(value, types.FunctionType) and name not in SCOPED_USE_CASES and name not in vars(Desk):
                setattr(Desk, name, _agents_only(getattr(Desk, name)))


_guard_use_cases()


__all__ = [
    "AGENT_ROLES",
    "BulkOutcome",
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
