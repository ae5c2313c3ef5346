"""Use cases of abuse and fines: ending an abusive ticket (and banning its requester), and
the violations and fines a policy may charge (Site Com be Com rule 19)."""

from __future__ import annotations

from typing import Any

from supportdesk.desk.filing import Filing
from supportdesk.errors import InvalidInput, NotFound, Refused
from supportdesk.model import CloseReason
from supportdesk.query import check_email
from supportdesk.text import check_line


class Fines(Filing):
    """Terminating abusive tickets; violations and fines."""

    def terminate(self, ticket_id: int, *, ban: bool = False) -> dict[str, Any]:
        """Close a ticket for abuse, telling the requester the policy's message; ban the
        requester too with `ban` or when the policy's abuse action is `ban`."""
        self._require_agent("terminate tickets")
        rule = self.policy.rules.abuse
        ban = ban or rule.action == "ban"
        with self._transaction():
            row = self._row(ticket_id)
            closed = self._close_rows([row], CloseReason.ABUSE)
            if not closed:
                raise Refused(f"ticket #{ticket_id} is already closed; `supportdesk customer ban {row['customer']}` bans its requester")
            customer = self.store.customer_by_id(row["customer_id"])
            assert customer is not None, "a ticket's customer is kept"
            reason = rule.message or "This ticket is closed because of abusive language."
            notices = [self._customer_notice("closed", customer, ticket_id, subject=row["subject"], reason=reason, reopen="", close_reason="abuse", message=reason)]
            banned = ban and customer["status"] != "banned"
            if banned:
                self.store.set_customer(customer["id"], {"status": "banned", "updated_at": self.now_text})
                self.store.insert_events(
                    [self._event("customer_banned", {"customer": customer["email"], "before": {"status": customer["status"]}, "after": {"status": "banned"}, "reason": f"abuse in #{ticket_id}"})]
                )
            self.store.insert_outbox(notices)
        return {"ticket": ticket_id, "customer": customer["email"], "banned": banned, "status": closed[0]["after"]}

    def add_violation(self, email: str, rule: str, *, ticket_id: int | None = None, fine: str | None = None) -> dict[str, Any]:
        """Record that a customer broke a rule, with a fine (the policy's by default)."""
        self._require_agent("record violations")
        rule = check_line(rule, "--rule", limit=200)
        fine = check_line(fine, "--fine", limit=100) if fine is not None else None
        address = check_email(email)
        with self._transaction():
            customer = self.store.customer_by_email(address)
            if customer is None:
                raise NotFound(f"no customer {address}; `supportdesk customer list` shows them")
            if ticket_id is not None:
                row = self._row(ticket_id)
                if row["customer_id"] != customer["id"]:
                    raise InvalidInput(f"ticket #{ticket_id} is {row['customer']}'s, not {address}'s; name that customer's ticket")
            violation_id = self._add_violation(customer, ticket_id, rule, fine)
            row = self.store.rows("violations", id=violation_id)[0]
            self.store.insert_events([self._event("violation_added", {"customer": address, "violation": violation_id, "rule": rule, "fine": row["fine"]}, ticket_id)])
        return self._violation_json(row, address)

    def pay_violation(self, violation_id: int) -> dict[str, Any]:
        """Mark a violation's fine paid (admins only); unpaid fines may suspend filing."""
        self._require_admin("mark fines paid")
        with self._transaction():
            rows = self.store.rows("violations", id=violation_id) if 0 < violation_id < 2**63 else []
            if not rows:
                raise NotFound(f"no violation {violation_id}; `supportdesk violation list` shows them")
            row = rows[0]
            if row["paid_at"] is not None:
                raise Refused(f"violation {violation_id} was already paid on {row['paid_at'][:10]}")
            self.store.update_row("violations", violation_id, {"paid_at": self.now_text, "paid_by": self.actor.label})
            customer = self.store.customer_by_id(row["customer_id"])
            email = customer["email"] if customer else "?"
            self.store.insert_events([self._event("violation_paid", {"customer": email, "violation": violation_id}, row["ticket_id"])])
            row = self.store.rows("violations", id=violation_id)[0]
        return self._violation_json(row, email)

    def violations(self, email: str | None = None, *, unpaid: bool = False) -> list[dict[str, Any]]:
        """Violations, of one customer or all, oldest first."""
        self._require_agent("read violations")
        where: dict[str, Any] = {}
        if email is not None:
            customer = self.store.customer_by_email(check_email(email))
            if customer is None:
                raise NotFound(f"no customer {email.strip()}; `supportdesk customer list` shows them")
            where["customer_id"] = customer["id"]
        if unpaid:
            where["paid_at"] = None
        rows = self.store.rows("violations", **where)
        emails = {c["id"]: c["email"] for c in self.store.customers_by_ids(sorted({r["customer_id"] for r in rows})).values()}
        return [self._violation_json(r, emails.get(r["customer_id"], "?")) for r in rows]

    @staticmethod
    def _violation_json(row: dict[str, Any], email: str) -> dict[str, Any]:
        return {
            "id": row["id"], "customer": email, "ticket": row["ticket_id"], "rule": row["rule"], "fine": row["fine"],
            "created_at": row["created_at"], "created_by": row["created_by"], "paid_at": row["paid_at"],
        }
