"""Use cases of filing: a ticket through the policy's intake rules (intake.py) — who
files for whom, the requester and its history, what a refusal leaves behind, and the new
ticket with its flags, deadlines, events and notices."""

from __future__ import annotations

import json
from typing import Any

from supportdesk.desk.tickets import TicketDraft, Tickets
from supportdesk.errors import InvalidInput, Refused
from supportdesk.model import CloseReason, Status, TicketChange, TicketRecord
from supportdesk.query import check_email, check_names
from supportdesk.text import check_body, check_fields, check_line
from supportdesk.timetext import from_utc_text, to_utc_text

# Intake rules whose verdicts only agents hear about (a filer is not told it was flagged).
AGENT_SIDE_RULES = ("abuse", "duplicate")


def categories(policy: Any) -> tuple[str, ...]:
    """The ticket categories a policy names (in and out of scope, quotas, the migrations
    its packages count, what is done before delivery); empty: any category goes."""
    scope = policy.scope
    named = [*scope.in_scope, *scope.out_of_scope, *(c for c, _ in scope.quotas)]
    if any(p.migrations is not None for p in policy.packages):
        named.append(scope.migration_category)
    if scope.after_delivery is not None:
        named += scope.after_delivery.included
    return tuple(dict.fromkeys(named))



class Filing(Tickets):
    """Filing tickets, through the intake rules."""

    def file_ticket(self, draft: TicketDraft) -> TicketRecord:
        """File a ticket for a customer (created on first contact), after the policy's
        intake rules (see intake.py): a refusal raises Refused after recording only the
        notices and violations the policy asks for; flags go on the ticket; a rule that
        closes closes it without an answer. Returns the ticket, with `intake` telling the
        filer the verdicts and reminders."""
        from supportdesk import intake
        from supportdesk.text import SUBJECT_MAX

        subject = check_line(draft.subject, "the subject", limit=SUBJECT_MAX)
        body = check_body(draft.body, "the body", max_bytes=self.policy.body_max_bytes)
        fields = check_fields(draft.fields)
        category = check_line(draft.category, "--category", limit=100).lower() if draft.category is not None else None
        service = check_line(draft.service, "--service", limit=200) if draft.service is not None else None
        email = check_email(draft.customer) if draft.customer else self.actor.name
        uploads = self._checked_uploads(draft.attachments)
        if not draft.customer and self.actor.is_agent:
            raise InvalidInput("give the customer the ticket is for: --customer EMAIL")
        refused: intake.Verdict | None = None
        with self._transaction():
            policy = self.policy  # the version in force now that the write lock is held
            priority = check_names("priority", (draft.priority or policy.default_priority,), policy.priority_names)[0]
            department = check_names("department", (draft.department or policy.default_department,), policy.department_names)[0]
            channel = check_names("channel", (draft.channel or policy.default_channel,), policy.channel_names)[0]
            if category is not None:
                category = check_names("category", (category,), categories(policy))[0] if categories(policy) else category
            customer = self.store.customer_by_email(email)
            reseller_id = self._filing_scope(customer, email)
            if draft.ref is not None:
                self._visible_row(draft.ref)  # NotFound outside the filer's scope
            filing = intake.Filing(
                subject=subject, body=body, priority=priority, department=department, channel=channel, category=category,
                service=service, fields=fields, by="agent" if self.actor.is_agent else self.actor.kind,
            )
            verdicts = intake.check(filing, self._requester(customer, email), self._history(customer, category), policy, self.calendars, self.now)
            if verdicts.refusal is not None:
                refused = verdicts.refusal
                self._record_refusal(refused, customer, subject)
            else:
                ticket_id = self._insert_ticket(
                    customer, email, reseller_id, verdicts, draft.ref,
                    subject=subject, body=body, priority=priority, department=department, channel=channel,
                    category=category, service=service, fields=fields,
                )
                self._keep_uploads(ticket_id, None, uploads)
        if refused is not None:
            raise Refused(refused.message)
        result = self.ticket(ticket_id)
        told = [v for v in verdicts.verdicts if v.action != "refuse"]
        result["intake"] = {
            "flags": list(verdicts.flags),
            "messages": [v.message for v in told],
            "reminder": verdicts.reminder,
            "language": verdicts.language,
        }
        if not self.actor.is_agent:  # the triage flags and their reasons are the agents' side
            result["intake"] = {"messages": [v.message for v in told if v.rule not in AGENT_SIDE_RULES], "reminder": verdicts.reminder}
        return result

    def _filing_scope(self, customer: dict[str, Any] | None, email: str) -> int | None:
        """The reseller scope a new ticket of `email` falls in; a customer files only for
        itself, a reseller for itself and its end customers."""
        if customer is not None and customer["kind"] == "reseller":
            owner = customer["id"]
        else:
            owner = customer["reseller_id"] if customer is not None else None
        if self.actor.kind == "customer" and email.lower() != self.actor.name.lower():
            raise Refused(f"you can file tickets only for yourself ({self.actor.name}); leave out --customer")
        if self.actor.kind == "reseller" and owner != self.actor.id:
            # The same words whether or not the address is known to the desk.
            raise Refused(f"{email} is not one of your customers; ask the desk to add them to your account")
        return owner

    def _requester(self, customer: dict[str, Any] | None, email: str) -> Any:
        """Who files, as the intake rules see them."""
        from supportdesk import intake

        if customer is None:
            return intake.Requester(email=email, known=False)
        notify = json.loads(customer.get("notify") or "{}")
        reseller = self.store.customer_by_id(customer["reseller_id"]) if customer["reseller_id"] else None
        services = tuple(
            intake.ServiceInfo(
                kind=s["kind"], name=s["name"], package=s["package"], ip=s["ip"], order_number=s["order_number"],
                delivered_at=from_utc_text(s["delivered_at"]) if s["delivered_at"] else None, managed=bool(s["managed"]),
            )
            for s in self.store.rows("services", customer_id=customer["id"])
        )
        return intake.Requester(
            email=customer["email"], known=True, kind=customer["kind"], status=customer["status"], verified=bool(customer["verified"]),
            package=customer["package"], reseller=(reseller["name"] or reseller["email"]) if reseller else None,
            registered=(customer["email"], *notify.values()),
            unpaid_fines=len(self.store.rows("violations", customer_id=customer["id"], paid_at=None)),
            services=services,
        )

    def _history(self, customer: dict[str, Any] | None, category: str | None) -> Any:
        """The requester's recent tickets (duplicates) and earlier ones of the category (quotas)."""
        from supportdesk import intake

        if customer is None:
            return intake.History()
        since = to_utc_text(self.now - self.policy.rules.duplicates.window)
        recent = tuple(
            intake.PastTicket(id=r["id"], subject=r["subject"], body=r["body"], status=r["status"], created_at=from_utc_text(r["created_at"]))
            for r in self.store.customer_tickets(customer["id"], since, ("subject", "body", "status", "created_at"))
        )
        scope = self.policy.scope
        counted = {c for c, _ in scope.quotas} | ({scope.migration_category} if any(p.migrations is not None for p in self.policy.packages) else set())
        # Only the categories a quota counts are counted (one indexed read, or none).
        counts = {category: self.store.category_count(customer["id"], category)} if category in counted else {}
        return intake.History(recent=recent, category_counts=counts)

    def _record_refusal(self, verdict: Any, customer: dict[str, Any] | None, subject: str) -> None:
        """What a refused filing leaves behind: the notices and the violation the policy
        asks for (and the event saying so); nothing when it asks for none."""
        outbox: list[dict[str, Any]] = []
        if customer is not None and "customer" in verdict.notify:
            outbox.append(self._customer_notice("refused", customer, None, subject=subject, why=verdict.message))
        if customer is not None and "reseller" in verdict.notify and customer["reseller_id"]:
            reseller = self.store.customer_by_id(customer["reseller_id"])
            outbox.append(self._customer_notice("end_customer", reseller, None, subject=subject, customer=customer["email"], why=verdict.message))
        violation = None
        if customer is not None and verdict.violation:
            violation = self._add_violation(customer, None, verdict.violation)
        if not outbox and violation is None:
            return
        self.store.insert_outbox(outbox)
        details = {"customer": customer["email"] if customer else None, "rule": verdict.rule, "notified": [o["recipient"] for o in outbox]}
        if violation is not None:
            details["violation"] = violation
        self.store.insert_events([self._event("filing_refused", details)])

    def _add_violation(self, customer: dict[str, Any], ticket_id: int | None, rule: str, fine: str | None = None) -> int:
        """Record a rule violation of a customer (with the policy's fine when none is given)."""
        fines = self.policy.rules.fines
        return self.store.insert_row(
            "violations",
            {
                "customer_id": customer["id"], "ticket_id": ticket_id, "rule": rule, "fine": fine or fines.amount or None,
                "created_at": self.now_text, "created_by": self.actor.label,
            },
        )

    def _insert_ticket(
        self, customer: dict[str, Any] | None, email: str, reseller_id: int | None, verdicts: Any, ref: int | None, **given: Any
    ) -> int:
        """Store a filed ticket with its intake flags, deadlines, events and notices."""
        from supportdesk import sla

        policy, now = self.policy, self.now_text
        new_customer = customer is None
        if customer is None:
            row = {"email": email, "created_at": now, "reseller_id": reseller_id if self.actor.kind == "reseller" else None}
            customer_id = self.store.insert_customer(row)
            customer = self.store.customer_by_id(customer_id)
        priority, channel = given["priority"], given["channel"]
        deadlines = sla.plan(self.calendars, priority=priority, channel=channel, package=customer["package"], created_at=self.now)
        values = given | {
            "status": Status.NEW.value,
            "customer_id": customer["id"],
            "reseller_id": reseller_id,
            "fields": json.dumps(given["fields"], ensure_ascii=False, sort_keys=True),
            "flags": json.dumps(list(verdicts.flags), ensure_ascii=False),
            "language": verdicts.language,
            "ref_id": ref,
            "created_at": now,
            "updated_at": now,
            "policy_version": self.policy_version_id,
        } | sla.ticket_values(deadlines, responded=False, active=True, rank=policy.priority(priority).rank)
        after = {"status": Status.NEW.value, "priority": priority, "department": given["department"], "channel": channel, "customer": email}
        details: dict[str, Any] = {"after": after, "new_customer": new_customer}
        if verdicts.flags:
            details["flags"] = list(verdicts.flags)
        if verdicts.language:
            details["language"] = verdicts.language
        if ref is not None:
            details["ref"] = ref
        events = [self._event("filed", details), self._deadline_event(values, "filed")]
        ticket_id = self.store.apply(TicketChange(None, values, events))
        row = self.store.ticket(ticket_id)
        for verdict in verdicts.verdicts:
            if verdict.violation:
                self._add_violation(customer, ticket_id, verdict.violation)
        outbox = [self._customer_notice(
            "filed", customer, ticket_id, subject=given["subject"], priority=priority, expect=self._expectation(row), notes="", respond_by=row["respond_by"],
        )]
        paid = [v for v in verdicts.verdicts if v.flag in ("out-of-scope", "paid-service", "admin-support-not-included") and v.message]
        outbox += [self._customer_notice("paid_service", customer, ticket_id, subject=given["subject"], message=v.message) for v in paid]
        if verdicts.closing is not None:
            closing = verdicts.closing
            closed = self._close_rows([row], CloseReason(closing.close_reason or "incomplete"))
            assert closed, "a new ticket can always be closed"
            outbox.append(self._customer_notice(
                "closed", customer, ticket_id, subject=given["subject"], reason=closing.message, reopen=self._reopen_hint(ticket_id),
                close_reason=closing.close_reason or "incomplete", message=closing.message,
            ))
        self.store.insert_outbox(outbox)
        if verdicts.closing is None and deadlines.outside_office_hours and policy.priority(priority).page_on_call:
            self._page(row)
        return ticket_id

    def _expectation(self, row: dict[str, Any]) -> str:
        """When the customer can expect an answer, in the desk's zone."""
        if row["respond_by"]:
            return f"Expect a first answer by {self._when(row['respond_by'])}."
        return "We will answer as soon as we can."
