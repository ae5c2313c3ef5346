"""The triage queue: its rows annotated with their rank and state, its counts and who is
on call. Pure over rows the store returns in the policy's queue order (`[triage] order`:
deadline, priority rank, age; or priority rank first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from supportdesk.model import ticket_json
from supportdesk.timetext import to_utc_text


@dataclass
class Triage:
    """The queue in the policy's order, with its counts and who is on call."""

    rows: list[dict[str, Any]]
    counts: dict[str, int]
    duties: list[Any]
    now: datetime

    def to_json(self) -> dict[str, Any]:
        """The stable JSON form: rows, counts and the on-call block."""
        return {
            "at": to_utc_text(self.now),
            "counts": self.counts,
            "on_call": [d.to_json() for d in self.duties],
            "tickets": self.rows,
        }


def annotate(rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Ticket JSON for queue rows, with rank, state (breached, at-risk…) and which clock is due."""
    from supportdesk import sla

    tickets = []
    for rank, row in enumerate(rows, start=1):
        data = ticket_json(row)
        data |= {"rank": rank, "state": sla.state(row, now), "due_kind": sla.due_kind(row), "priority_rank": row["priority_rank"]}
        tickets.append(data)
    return tickets
