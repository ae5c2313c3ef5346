"""supportdesk: a support desk for web-hosting providers that lives in the terminal.

The Python API (everything the CLI does, for scripts and tests)::

    from datetime import datetime, UTC
    from supportdesk import Desk, TicketDraft

    with Desk.new("desk.db", login="alice", policy="examples/hosting-general.toml") as desk:
        ticket = desk.file_ticket(TicketDraft("Site down", "It returns 503", "ada@example.com"))
        desk.reply(ticket["id"], "Looking into it")

Names are imported on first use, so `import supportdesk` (and the CLI) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> the module that defines it.
_API = {
    "Desk": "supportdesk.desk",
    "TicketDraft": "supportdesk.desk",
    "CloseOutcome": "supportdesk.desk",
    "Triage": "supportdesk.triage",
    "CloseReason": "supportdesk.model",
    "Status": "supportdesk.model",
    "TicketRecord": "supportdesk.model",
    "EventRecord": "supportdesk.model",
    "MessageRecord": "supportdesk.model",
    "SupportdeskError": "supportdesk.errors",
    "Refused": "supportdesk.errors",
    "InvalidInput": "supportdesk.errors",
    "NotFound": "supportdesk.errors",
    "DeskUnavailable": "supportdesk.errors",
    "ExitCode": "supportdesk.errors",
}

if TYPE_CHECKING:
    from supportdesk.desk import CloseOutcome, Desk, TicketDraft  # noqa: F401  (re-exported lazily)
    from supportdesk.errors import (  # noqa: F401  (re-exported lazily)
        DeskUnavailable,
        ExitCode,
        InvalidInput,
        NotFound,
        Refused,
        SupportdeskError,
    )
    from supportdesk.model import (  # noqa: F401  (re-exported lazily)
        CloseReason,
        EventRecord,
        MessageRecord,
        Status,
        TicketRecord,
    )
    from supportdesk.triage import Triage  # noqa: F401  (re-exported lazily)


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'supportdesk' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = ["__version__", *_API]
