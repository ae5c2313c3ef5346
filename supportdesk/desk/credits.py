"""Use cases of SLA credits: recording the outages of customers' services, and the
service credit a customer's claim earns for a month (Hosting General: "Compensation is
service credit by outage length, never cash; a claim must be made by ticket within 7
days of the outage"). The rules themselves are in `supportdesk/credits.py`."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from supportdesk import credits as rules
from supportdesk.desk.people import People
from supportdesk.errors import InvalidInput, NotFound, Refused
from supportdesk.frozen import Record, record
from supportdesk.query import check_email, quoted
from supportdesk.text import check_line
from supportdesk.timetext import format_local, from_utc_text, parse_instant, to_utc_text

NOTE_MAX = 500
# A service named on the command line: its id, or its order number ('#123456').
_SERVICE = re.compile(r"(#)?([0-9]{1,20})")


@record
class ServiceMonth(Record):
    """A customer's service, the package that gives it its guarantee (and where that
    came from: the service or the customer), and its month under a claim."""

    service: dict[str, Any]
    package: Any  # a policy Package, or None
    source: str | None  # "service" | "customer" | None
    assessment: rules.Assessment


class Credits(People):
    """Outages of services, and the SLA credits claimed for them."""

    # ---- outages -------------------------------------------------------------------

    def add_outage(self, service: str, *, started: str, ended: str, note: str | None = None) -> dict[str, Any]:
        """Record that a service was down from `started` until `ended` (instants as for
        --now; without an offset, in the desk's zone). Outages of a service never overlap."""
        self._require_agent("record outages")
        start = self._outage_instant(started, "--from")
        end = self._outage_instant(ended, "--until")
        note = check_line(note, "--note", limit=NOTE_MAX) if note is not None else None
        with self._transaction():
            if end <= start:
                raise InvalidInput(f"--until {self._shown_at(end)} is not after --from {self._shown_at(start)}; an outage ends after it starts")
            if end > self.now:
                raise InvalidInput(
                    f"--until {self._shown_at(end)} is after now ({self._shown_at(self.now)}); record an outage once it is over"
                )
            row = self._named_service(service)
            start_text, end_text = to_utc_text(start), to_utc_text(end)
            clash = self.store.outages([row["id"]], start_text, end_text)
            if clash:
                other = clash[0]
                raise Refused(
                    f"outage {other['id']} of {_service_label(row)} already covers {self._outage_span(other['started_at'], other['ended_at'])}; "
                    "outages of a service may not overlap: record only the time not yet covered"
                )
            outage = {
                "service_id": row["id"], "started_at": start_text, "ended_at": end_text, "note": note,
                "created_at": self.now_text, "created_by": self.actor.label,
            }
            outage["id"] = self.store.insert_outage(outage)
            owner = self._service_owner(row)
            details = {"customer": owner, "service": row["id"], "order": row["order_number"], "outage": outage["id"], "started_at": start_text, "ended_at": end_text}
            if note:
                details["note"] = note
            self.store.insert_events([self._event("outage_added", details)])
        return _outage_record(outage, row, owner)

    def outages(self, *, email: str | None = None, service: str | None = None, month: str | None = None) -> list[dict[str, Any]]:
        """Recorded outages, of one customer's services, of one service or all, within a
        month or any time, oldest first."""
        self._require_agent("read outages")
        bounds = rules.month_bounds(rules.parse_month(month), self.policy.zone) if month is not None else None
        if service is not None:
            services = [self._named_service(service)]
        elif email is not None:
            services = self.store.rows("services", customer_id=self._customer_row(check_email(email))["id"])
        else:
            services = self.store.rows("services")
        by_id = {s["id"]: s for s in services}
        start, end = (to_utc_text(bounds[0]), to_utc_text(bounds[1])) if bounds else (None, None)
        found = self.store.outages(sorted(by_id) if (service or email) else None, start, end)
        owners = self._service_owners(list(by_id.values()))
        return [_outage_record(o, by_id[o["service_id"]], owners[o["service_id"]]) for o in found if o["service_id"] in by_id]

    # ---- credits -------------------------------------------------------------------

    def claim_credit(self, email: str, *, month: str | None = None, ticket_id: int | None = None, dry_run: bool = False) -> dict[str, Any]:
        """A customer's claim for a month (default: the month of the claim): each of its
        services' uptime against its package's guarantee and the service credit the
        policy's table owes for the longest claimable outage, recorded on the customer
        once per service and month (not with `dry_run`). The claim is made when ticket
        `ticket_id` (the customer's) was filed, else now."""
        self._require_agent("record SLA credits")
        rule = self.policy.rules.sla_credit
        if not rule.table:
            raise Refused("this desk's policy has no SLA credit table ([rules.sla_credit] table); add one with `supportdesk policy apply FILE`")
        address = check_email(email)
        wanted = rules.parse_month(month) if month is not None else None
        with self._writing(dry_run):
            customer = self._customer_row(address)
            ticket = self._claim_ticket(ticket_id, customer) if ticket_id is not None else None
            claimed_at = from_utc_text(ticket["created_at"]) if ticket else self.now
            month_text = wanted or rules.month_of(claimed_at, self.policy.zone)
            start, end = rules.month_bounds(month_text, self.policy.zone)
            assessed = self._assess_services(customer, month_text, claimed_at)
            done = {c["service_id"]: c for c in self.store.credits(customer["id"], month_text)}
            self._refuse_recorded_again(assessed, done, address, month_text)
            self._check_claimable([item.assessment for item in assessed], address, month_text, claimed_at)
            shown = []
            for item in assessed:
                credit = done.get(item.service["id"])
                state = "already-recorded" if credit is not None else "none"
                if credit is None and item.assessment.reason is None:
                    state = "would-record" if dry_run else "recorded"
                    if not dry_run:
                        credit = self._record_credit(customer, item, month_text, claimed_at, ticket)
                shown.append(self._assessed_record(item, state, credit))
        return {
            "customer": address, "month": month_text, "zone": self.policy.timezone,
            "month_start": to_utc_text(start), "month_end": to_utc_text(end), "month_seconds": int((end - start).total_seconds()),
            "claimed_at": to_utc_text(claimed_at), "ticket": ticket_id, "claim_within_days": rule.claim_within_days,
            "form": rule.form, "dry_run": dry_run, "services": shown,
            "new_credits": sum(1 for s in shown if s["state"] in ("recorded", "would-record")),
        }

    def credits(self, email: str | None = None) -> list[dict[str, Any]]:
        """SLA credits recorded, on one customer or all, oldest first."""
        self._require_agent("read SLA credits")
        customer_id = self._customer_row(check_email(email))["id"] if email is not None else None
        rows = self.store.credits(customer_id)
        emails = {c["id"]: c["email"] for c in self.store.customers_by_ids(sorted({r["customer_id"] for r in rows})).values()}
        services = {sid: found[0] for sid in {r["service_id"] for r in rows} if (found := self.store.rows("services", id=sid))}
        return [_credit_record(r, emails.get(r["customer_id"], "?"), services.get(r["service_id"])) for r in rows]

    # ---- the parts -----------------------------------------------------------------

    def _claim_ticket(self, ticket_id: int, customer: dict[str, Any]) -> dict[str, Any]:
        """The ticket a claim was made by: the customer's, filed by now."""
        row = self.store.ticket(ticket_id) if 0 < ticket_id < 2**63 else None
        if row is None:
            raise NotFound(f"no ticket #{ticket_id}; `supportdesk list` shows the tickets there are")
        if row["customer_id"] != customer["id"]:
            raise InvalidInput(f"ticket #{ticket_id} is {row['customer']}'s, not {customer['email']}'s; name the ticket {customer['email']} claimed by")
        if row["created_at"] > self.now_text:
            raise InvalidInput(f"ticket #{ticket_id} was filed at {self._when(row['created_at'])}, after now ({self._shown_at(self.now)})")
        self._check_order(row)  # the credit's event goes into the ticket's history
        return row

    def _assess_services(self, customer: dict[str, Any], month: str, claimed_at: datetime) -> list[ServiceMonth]:
        """Each of the customer's services' month under a claim made at `claimed_at`;
        refused when the month has not begun, or has no outage to claim."""
        start, end = rules.month_bounds(month, self.policy.zone)
        name = rules.month_name(month)
        if start > claimed_at:
            raise InvalidInput(f"--month {month}: {name} had not begun by the claim ({self._shown_at(claimed_at)}); claim a month that has")
        address = customer["email"]
        services = self.store.rows("services", customer_id=customer["id"])
        if not services:
            raise Refused(f"{address} has no services recorded; `supportdesk service add {address} --kind KIND` records one")
        recorded = self.store.outages([s["id"] for s in services], to_utc_text(start), to_utc_text(end))
        if not recorded:
            raise Refused(
                f"no outage of {address}'s services is recorded in {name} ({self.policy.timezone}); nothing to claim "
                "(`supportdesk outage add SERVICE --from T --until T` records one; --month names another month)"
            )
        by_service: dict[int, list[rules.Outage]] = {}
        for o in recorded:
            by_service.setdefault(o["service_id"], []).append(rules.Outage(from_utc_text(o["started_at"]), from_utc_text(o["ended_at"]), (o["id"],)))
        rule = self.policy.rules.sla_credit
        found = []
        for service in services:
            package, source = self._guarantee_package(service, customer)
            assessment = rules.assess(
                by_service.get(service["id"], ()), start, end, guarantee=package.uptime if package is not None else None,
                table=rule.table, within_days=rule.claim_within_days, claimed_at=claimed_at,
            )
            found.append(ServiceMonth(service, package, source, assessment))
        return found

    def _refuse_recorded_again(self, assessed: list[ServiceMonth], done: dict[int, dict[str, Any]], address: str, month: str) -> None:
        """Refuse a claim that would record nothing new for a month already credited."""
        if any(item.assessment.reason is None and item.service["id"] not in done for item in assessed):
            return
        credited = [item.service for item in assessed if item.service["id"] in done]
        if credited:
            first = done[credited[0]["id"]]
            raise Refused(
                f"the {rules.month_name(month)} credit of {_service_label(credited[0])} was already recorded on "
                f"{self._when(first['created_at'])} ({rules.percent_text(first['credit_percent'])} %); "
                f"`supportdesk sla credits {address}` lists {address}'s credits"
            )

    def _check_claimable(self, assessed: list[rules.Assessment], address: str, month: str, claimed_at: datetime) -> None:
        """Refuse a claim none of whose outages may be claimed, saying why."""
        name = rules.month_name(month)
        outages = [o for a in assessed for o in a.outages]
        if not outages or any(o.reason is None for o in outages):
            return
        late = [o for o in outages if o.reason == rules.LATE]
        if late:
            last = max(late, key=lambda o: o.outage.end)
            window = self.policy.rules.sla_credit.claim_within_days
            raise Refused(
                f"claims are accepted within {window} days of an outage ([rules.sla_credit] claim_within_days), and the last outage "
                f"of {address}'s services in {name} ended {self._shown_at(last.outage.end)}, "
                f"{_days(claimed_at - last.outage.end)} before the claim ({self._shown_at(claimed_at)})"
            )
        first = min(outages, key=lambda o: o.outage.end)
        raise Refused(
            f"no outage of {address}'s services in {name} had ended by the claim ({self._shown_at(claimed_at)}); "
            f"the first ended {self._shown_at(first.outage.end)}: claim after it"
        )

    def _record_credit(
        self, customer: dict[str, Any], item: ServiceMonth, month: str, claimed_at: datetime, ticket: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Inside the transaction: the credit a service's month earns, recorded on the
        customer with an event (in the claim ticket's history when there is one)."""
        rule = self.policy.rules.sla_credit
        service, package, assessment = item.service, item.package, item.assessment
        longest = assessment.longest
        assert longest is not None and assessment.guarantee is not None, "a credit is owed for a claimed outage under a guarantee"
        row = {
            "customer_id": customer["id"], "service_id": service["id"], "month": month, "zone": self.policy.timezone,
            "month_seconds": assessment.month_seconds, "downtime_seconds": assessment.downtime_seconds,
            "uptime": rules.floor_places(assessment.uptime, 4), "guarantee": assessment.guarantee, "package": package.name,
            "outage_seconds": longest.in_month.seconds, "outage_started_at": to_utc_text(longest.in_month.start),
            "outage_ended_at": to_utc_text(longest.in_month.end), "credit_percent": assessment.credit, "form": rule.form,
            "claimed_at": to_utc_text(claimed_at), "ticket_id": ticket["id"] if ticket else None,
            "created_at": self.now_text, "created_by": self.actor.label,
        }
        row["id"] = self.store.insert_credit(row)
        details = {
            "customer": customer["email"], "service": service["id"], "order": service["order_number"], "month": month, "credit": row["id"],
            "credit_percent": row["credit_percent"], "form": rule.form, "uptime": row["uptime"], "guarantee": row["guarantee"],
            "outage_seconds": row["outage_seconds"], "claimed_at": row["claimed_at"],
        }
        self.store.insert_events([self._event("sla_credit", details, ticket["id"] if ticket else None)])
        return _credit_record(row, customer["email"], service)

    def _assessed_record(self, item: ServiceMonth, state: str, credit: dict[str, Any] | None) -> dict[str, Any]:
        """A service's month under the claim, as the JSON of `sla credit` shows it."""
        rule = self.policy.rules.sla_credit
        service, package, source, assessment = item.service, item.package, item.source, item.assessment
        longest = assessment.longest
        return {
            "service": service["id"], "order": service["order_number"], "name": service["name"], "kind": service["kind"],
            "package": package.name if package is not None else None, "package_from": source,
            "guarantee": assessment.guarantee, "uptime": rules.floor_places(assessment.uptime, 4), "met": assessment.met,
            "month_seconds": assessment.month_seconds, "downtime_seconds": assessment.downtime_seconds,
            "outages": [
                {
                    "ids": list(o.outage.ids), "started_at": to_utc_text(o.outage.start), "ended_at": to_utc_text(o.outage.end),
                    "seconds": o.outage.seconds, "seconds_in_month": o.in_month.seconds, "claimed": o.reason is None, "left_out": o.reason,
                }
                for o in assessment.outages
            ],
            "longest_claimed": None if longest is None else {
                "ids": list(longest.outage.ids), "started_at": to_utc_text(longest.in_month.start),
                "ended_at": to_utc_text(longest.in_month.end), "seconds": longest.in_month.seconds,
            },
            "table_row": None if assessment.row is None else {"outage": _duration(assessment.row[0]), "credit": assessment.row[1]},
            "first_row": _duration(min(rule.table)[0]),
            "credit_percent": assessment.credit, "form": rule.form, "owed": assessment.reason is None, "reason": assessment.reason,
            "state": state, "credit": credit,
        }

    def _guarantee_package(self, service: dict[str, Any], customer: dict[str, Any]) -> tuple[Any, str | None]:
        """The SLA package that gives a service its guarantee: the service's own when the
        policy knows it, else its customer's; and where it came from."""
        known = {p.name: p for p in self.policy.packages}
        for name, source in ((service["package"], "service"), (customer["package"], "customer")):
            if name and name.strip().lower() in known:
                return known[name.strip().lower()], source
        return None, None

    def _named_service(self, text: str) -> dict[str, Any]:
        """A service by id, or by order number ('#123456'; digits alone are an id first)."""
        value = check_line(text, "the service", limit=40)
        found = _SERVICE.fullmatch(value)
        if found is None:
            raise InvalidInput(f"{quoted(value)} is not a service; give its id (e.g. 3) or its order number (e.g. '#123456')")
        digits = found.group(2)
        rows = [] if found.group(1) or int(digits) >= 2**63 else self.store.rows("services", id=int(digits))
        if not rows:
            rows = self.store.rows("services", order_number=f"#{int(digits)}") or self.store.rows("services", order_number=f"#{digits}")
        if not rows:
            what = f"order #{digits}" if found.group(1) else f"service {digits} (nor order #{digits})"
            raise NotFound(f"no {what}; `supportdesk service list` shows the services")
        return rows[0]

    def _service_owner(self, service: dict[str, Any]) -> str:
        owner = self.store.customer_by_id(service["customer_id"])
        return owner["email"] if owner else str(service["customer_id"])

    def _service_owners(self, services: list[dict[str, Any]]) -> dict[int, str]:
        customers = self.store.customers_by_ids(sorted({s["customer_id"] for s in services}))
        return {s["id"]: customers[s["customer_id"]]["email"] if s["customer_id"] in customers else str(s["customer_id"]) for s in services}

    def _outage_instant(self, text: str, option: str) -> datetime:
        try:
            return parse_instant(text, self.policy.zone, self.now)
        except InvalidInput as error:
            raise InvalidInput(f"{option}: {error}") from None

    def _shown_at(self, at: datetime) -> str:
        return format_local(at, self.policy.zone)

    def _outage_span(self, start: str, end: str) -> str:
        return f"{self._when(start)} – {self._when(end)}"


def _service_label(row: dict[str, Any]) -> str:
    """`service 3 (#123456)`."""
    return f"service {row['id']}" + (f" ({row['order_number']})" if row.get("order_number") else "")


def _duration(delta: Any) -> str:
    from supportdesk.policy_schema import show_duration

    return show_duration(delta)


def _days(delta: Any) -> str:
    """`10 days`, `8 days 3 h`, `1 day`: how long before a claim an outage ended."""
    days, rest = divmod(int(delta.total_seconds()), 86400)
    hours = rest // 3600
    text = f"{days} day" + ("" if days == 1 else "s")
    return f"{text} {hours} h" if hours else text


def _outage_record(row: dict[str, Any], service: dict[str, Any], owner: str) -> dict[str, Any]:
    seconds = int((from_utc_text(row["ended_at"]) - from_utc_text(row["started_at"])).total_seconds())
    return {
        "id": row["id"], "service": service["id"], "order": service["order_number"], "customer": owner,
        "started_at": row["started_at"], "ended_at": row["ended_at"], "seconds": seconds, "note": row["note"],
        "created_at": row["created_at"], "created_by": row["created_by"],
    }


def _credit_record(row: dict[str, Any], email: str, service: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": row["id"], "customer": email, "service": row["service_id"], "order": service["order_number"] if service else None,
        "month": row["month"], "zone": row["zone"], "uptime": row["uptime"], "guarantee": row["guarantee"], "package": row["package"],
        "month_seconds": row["month_seconds"], "downtime_seconds": row["downtime_seconds"], "outage_seconds": row["outage_seconds"],
        "outage_started_at": row["outage_started_at"], "outage_ended_at": row["outage_ended_at"],
        "credit_percent": row["credit_percent"], "form": row["form"], "claimed_at": row["claimed_at"], "ticket": row["ticket_id"],
        "created_at": row["created_at"], "created_by": row["created_by"],
    }
