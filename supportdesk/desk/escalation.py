"""Use cases of the on-call engineer: triage, escalate (by hand and automatically), pages
and the outbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from supportdesk.desk.context import DeskContext
from supportdesk.desk.tickets import active_row
from supportdesk.errors import InvalidInput, NotFound
from supportdesk.escalation import Staffing
from supportdesk.model import TicketChange
from supportdesk.query import check_limit, check_names
from supportdesk.timetext import to_utc_text
from supportdesk.triage import Triage, annotate


class Escalation(DeskContext):
    """Triage, escalation, paging and the outbox."""

    def _staffing(self) -> Staffing:
        """Who answers each escalation level now, the agents, and their open tickets:
        read once per use case, however many tickets it touches."""
        duties = {d.layer: d for d in self._time().oncall().at(self.now)} if self.policy.layers else {}

        def on_duty(layers: tuple[str, ...] | None) -> tuple[str, ...]:
            names = layers if layers is not None else tuple(duties)
            return next((duties[n].people for n in names if n in duties and duties[n].active and duties[n].people), ())

        if self.policy.escalation:
            levels = [(level.name, on_duty(level.layers)) for level in self.policy.escalation]
        else:
            levels = [("on-call", on_duty(None))]
        agents = {a["login"]: a for a in self.store.agents() if a["active"]}
        return Staffing(levels, agents, self.store.open_load())

    def _notice(self, row: dict[str, Any], kind: str, recipient: str, channel: str, **fields: Any) -> dict[str, Any]:
        """An outbox row: the notice of `kind` about a ticket, worded by `notices`."""
        from supportdesk import notices

        subject, body = notices.render(
            kind, id=row["id"], subject=row["subject"], priority=row["priority"], customer=row["customer"], **fields
        )
        return {
            "ticket_id": row["id"], "kind": kind, "recipient": recipient, "channel": channel,
            "subject": subject, "body": body, "created_at": self.now_text, "fields": notices.stored_fields(kind, fields),
        }

    def _local(self, text: str | None) -> str | None:
        return self._when(text) if text else None

    def _page(self, row: dict[str, Any]) -> None:
        """Notify the person on duty at once about an urgent ticket filed out of hours."""
        level, people = self._staffing().levels[0]
        notices = [
            self._notice(
                row, "page", f"agent:{person}", self.policy.page_channel,
                filed_at=self._local(row["created_at"]), respond_by=self._local(row["respond_by"]),
            )
            for person in people
        ]
        self.store.insert_outbox(notices)
        self.store.insert_events([self._event("page", {"to": list(people), "level": level, "channel": self.policy.page_channel}, row["id"])])

    def triage(
        self,
        *,
        limit: int = 50,
        department: str | None = None,
        mine: bool = False,
        unassigned: bool = False,
        breaching_within: timedelta | None = None,
    ) -> Triage:
        """The open queue in the policy's order (`[triage] order`), its counts, and who is on call now."""
        if department is not None:
            department = check_names("department", (department,), self.policy.department_names)[0]
        if mine and unassigned:
            raise InvalidInput("choose one of --mine and --unassigned")
        check_limit(limit, least=1)
        assignee_id = self.actor.id if mine else None
        due_before = to_utc_text(self.now + breaching_within) if breaching_within is not None else None
        scope = dict(department=department, assignee_id=assignee_id, unassigned=unassigned, due_before=due_before, filed_by=self.as_of)
        rows = self.store.queue(limit=limit, order=self.policy.queue_order, **scope)
        counts = self.store.queue_counts(self.now_text, **scope)
        duties = self._time().oncall().at(self.now) if self.policy.layers else []
        return Triage(annotate(rows, self.now), counts, duties, self.now)

    def _level_index(self, name: str) -> int:
        names = [level.name for level in self.policy.escalation]
        if not names:
            raise NotFound("this policy defines no escalation levels; add [[escalation.levels]] to it")
        if name not in names:
            raise InvalidInput(f"unknown escalation level {name!r}; this policy has: {', '.join(names)}")
        return names.index(name)

    def _escalation_change(self, row: dict[str, Any], level: int, reason: str, staffing: Staffing, automatic: bool) -> tuple[TicketChange, dict[str, Any] | None, dict[str, Any]]:
        from supportdesk import sla

        level_name, people = staffing.levels[level]
        agent = staffing.pick(people)
        values: dict[str, Any] = {"escalation_level": level}
        if agent is not None:
            values["assignee_id"] = agent["id"]
        details: dict[str, Any] = {"reason": reason, "automatic": automatic}
        if automatic:
            values["escalated_for"] = row["due_at"]
            breached = sla.breaches(row, self.now_text, [sla.due_kind(row)])
            if breached:
                values |= breached
                details["breached"] = breached
        summary = {
            "id": row["id"],
            "before": {"level": row["escalation_level"], "assignee": row["assignee"]},
            "after": {"level": level, "level_name": level_name, "assignee": agent["login"] if agent else row["assignee"]},
            "on_duty": list(people),
        }
        event = self._event("escalate", {**{k: summary[k] for k in ("before", "after", "on_duty")}, **details}, row["id"])
        notice = None
        if agent is not None:
            notice = self._notice(
                row, "escalation", f"agent:{agent['login']}", self.policy.escalation_channel,
                level=level_name, reason=reason, due_at=self._local(row["due_at"]),
            )
        return self._change(row, values, [event]), notice, summary

    def escalate(self, ticket_id: int, level_name: str, reason: str) -> dict[str, Any]:
        """Raise (or lower) a ticket to a level; the person on call there gets it."""
        if not reason.strip():
            raise InvalidInput("say why with --reason TEXT")
        level = self._level_index(level_name.strip().lower())
        with self._transaction():
            row = active_row(self.store, ticket_id, "escalation_level", level, inactive="reopen it before escalating", same=f"at level {level_name}")
            change, notice, _ = self._escalation_change(row, level, reason.strip(), self._staffing(), automatic=False)
            self.store.apply(change)
            self.store.insert_outbox([notice] if notice else [])
        return self.ticket(ticket_id)

    def outbox(self, pending_only: bool = False, limit: int | None = None) -> list[dict[str, Any]]:
        """Queued notifications, newest first (without the values they are worded from
        when sent: the desk's own)."""
        return [{k: v for k, v in row.items() if k != "fields"} for row in self.store.outbox(pending_only, limit)]
