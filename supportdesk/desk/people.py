"""Use cases of people: agents, customers, resellers, their services and SLA packages.

A reseller is a customer row of kind 'reseller'; an end customer points at it with
`reseller_id`, and each ticket carries the reseller whose scope it is in, so a change of
reseller moves the customer's tickets in the same transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from supportdesk.desk.context import DeskContext
from supportdesk.errors import InvalidInput, NotFound, Refused
from supportdesk.model import ACTIVE_STATUSES, Scope
from supportdesk.query import Filter, check_email, quoted
from supportdesk.text import check_line

AGENT_ROLES = ("admin", "engineer")
CUSTOMER_STATUSES = ("active", "suspended", "banned")
SERVICE_KINDS = ("shared", "reseller", "vps", "vds", "cloud", "dedicated")
NAME_MAX = 200
# A notification type as a customer area names it: invoices, support, abuse…
_NOTIFY_TYPE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# An order number: `#` and digits (the `#` may be left out when typing it).
_ORDER = re.compile(r"#?([0-9]{1,20})")

# Status changes: (action, target status, the statuses it starts from, event kind).
_STATUS_CHANGES = {
    "ban": ("banned", ("active", "suspended"), "customer_banned"),
    "unban": ("active", ("banned",), "customer_unbanned"),
    "suspend": ("suspended", ("active",), "customer_suspended"),
    "activate": ("active", ("suspended",), "customer_activated"),
}


def _is_none(text: str | None) -> bool:
    """`none` given for an option that can be cleared."""
    return text is not None and text.strip().lower() == "none"


class People(DeskContext):
    """Agents, customers, resellers and services."""

    # ---- agents --------------------------------------------------------------------

    def agents(self) -> list[dict[str, Any]]:
        """The desk's agents, active or not, by login."""
        return [_agent_record(a) for a in self.store.agents()]

    def add_agent(self, login: str, *, name: str | None = None, email: str | None = None, role: str = "engineer") -> dict[str, Any]:
        """Register an agent (admins only)."""
        self._require_admin("add agents")
        login = login.strip()
        if not login or any(c.isspace() for c in login):
            raise InvalidInput(f"{login!r} is not a login; use the person's OS user name, e.g. alice")
        if role not in AGENT_ROLES:
            raise InvalidInput(f"unknown role {role!r}; use one of: {', '.join(AGENT_ROLES)}")
        address = check_email(email) if email else None
        with self._transaction():
            if self.store.agent_by_login(login):
                raise Refused(f"agent {login} already exists")
            self.store.insert_agent(
                {"login": login, "name": name or login, "email": address, "role": role, "created_at": self.now_text}
            )
            self.store.insert_events([self._event("agent_added", {"login": login, "role": role})])
        return next(a for a in self.agents() if a["login"] == login)

    def deactivate_agent(self, login: str) -> dict[str, Any]:
        """Stop an agent from using the desk, keeping them in its history (admins only)."""
        self._require_admin("deactivate agents")
        with self._transaction():
            agent = self._agent_row(login)
            if not agent["active"]:
                raise Refused(f"agent {agent['login']} is already inactive")
            if agent["login"] == self.actor.name:
                raise Refused("you cannot deactivate yourself; another admin can")
            admins = [a for a in self.store.agents() if a["active"] and a["role"] == "admin" and a["id"] != agent["id"]]
            if agent["role"] == "admin" and not admins:
                raise Refused(f"{agent['login']} is the last active admin; add or activate another admin first")
            assigned = self.store.open_load().get(agent["login"], 0)
            self.store.update_row("agents", agent["id"], {"active": 0})
            self.store.insert_events([self._event("agent_deactivated", {"login": agent["login"], "open_assigned": assigned})])
        return _agent_record(agent | {"active": 0}) | {"open_assigned": assigned}

    def activate_agent(self, login: str) -> dict[str, Any]:
        """Let a deactivated agent use the desk again (admins only)."""
        self._require_admin("activate agents")
        with self._transaction():
            agent = self._agent_row(login)
            if agent["active"]:
                raise Refused(f"agent {agent['login']} is already active")
            self.store.update_row("agents", agent["id"], {"active": 1})
            self.store.insert_events([self._event("agent_activated", {"login": agent["login"]})])
        return _agent_record(agent | {"active": 1})

    def _agent_row(self, login: str) -> dict[str, Any]:
        agent = self.store.agent_by_login(login.strip())
        if agent is None:
            raise NotFound(f"no agent {quoted(login)}; `supportdesk agent list` shows them")
        return agent

    # ---- customers -----------------------------------------------------------------

    def customers(self, *, reseller: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """End customers by e-mail: all, or a reseller's, or those with a status."""
        where: dict[str, Any] = {"kind": "customer"}
        if status is not None:
            where["status"] = _status(status)
        if reseller is not None:
            where["reseller_id"] = self._reseller_row(reseller)["id"]
        resellers = self._reseller_emails()
        return [self._customer_record(row, resellers) for row in self.store.rows("customers", order="email", **where)]

    def customer(self, email: str) -> dict[str, Any]:
        """One customer (or reseller) with its services, open tickets and unpaid fines."""
        row = self._customer_row(check_email(email))
        unpaid = self.store.rows("violations", customer_id=row["id"], paid_at=None)
        return self._customer_record(row) | {
            "services": [_service_record(s, row["email"]) for s in self.store.rows("services", customer_id=row["id"])],
            "open_tickets": self._open_tickets(Scope(customer_id=row["id"])),
            "unpaid_violations": len(unpaid),
        }

    def add_customer(
        self,
        email: str,
        *,
        name: str | None = None,
        package: str | None = None,
        reseller: str | None = None,
        language: str | None = None,
        verified: bool = False,
        notify: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Register a customer before their first ticket (admins only); `notify` holds
        `TYPE=EMAIL` texts, one address per notification type."""
        self._require_admin("add customers")
        address = check_email(email)
        name = _name(name) if name is not None else None
        package = self._package_name(package) if package is not None else None
        language = _language(language) if language is not None else None
        addresses = self._notify({}, notify, removing=False)
        with self._transaction():
            if self.store.customer_by_email(address):
                raise Refused(f"customer {address} already exists; change it with `supportdesk customer edit {address}`")
            owner = self._reseller_row(reseller) if reseller is not None else None
            row = {
                "email": address,
                "name": name,
                "kind": "customer",
                "reseller_id": owner["id"] if owner else None,
                "package": package,
                "verified": int(verified),
                "language": language,
                "notify": json.dumps(addresses, ensure_ascii=False),
                "created_at": self.now_text,
            }
            row["id"] = self.store.insert_customer(row)
            details = {"customer": address, "package": package, "reseller": owner["email"] if owner else None}
            details |= {k: v for k, v in (("name", name), ("language", language), ("verified", verified or None), ("notify", addresses or None)) if v}
            self.store.insert_events([self._event("customer_added", details)])
            return self._customer_record(self.store.customer_by_id(row["id"]) or row)

    def edit_customer(
        self,
        email: str,
        *,
        name: str | None = None,
        package: str | None = None,
        reseller: str | None = None,
        language: str | None = None,
        notify: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Change a customer's details (admins only). None leaves a field as it is; `none`
        clears the package, reseller or language; `TYPE=none` in `notify` drops that
        type's address. A package change recomputes open tickets' deadlines (see
        `set_package`), a reseller change carries the customer's tickets to its scope."""
        self._require_admin("change customers")
        address = check_email(email)
        notify = list(notify)
        if name is None and package is None and reseller is None and language is None and not notify:
            raise InvalidInput("nothing to change; give --name, --package, --reseller, --language or --notify")
        new_name = _name(name) if name is not None else None
        new_package = None if package is None or _is_none(package) else self._package_name(package)
        new_language = None if language is None or _is_none(language) else _language(language)
        with self._transaction():
            row = self._customer_row(address)
            changes: dict[str, list[Any]] = {}
            values: dict[str, Any] = {}
            if name is not None and new_name != row["name"]:
                changes["name"], values["name"] = [row["name"], new_name], new_name
            if language is not None and new_language != row["language"]:
                changes["language"], values["language"] = [row["language"], new_language], new_language
            if notify:
                current = _notify_of(row)
                merged = self._notify(current, notify, removing=True)
                if merged != current:
                    changes["notify"], values["notify"] = [current, merged], json.dumps(merged, ensure_ascii=False)
            if reseller is not None:
                if row["kind"] == "reseller":
                    raise Refused(f"{address} is a reseller; a reseller belongs to no other reseller")
                owner = None if _is_none(reseller) else self._reseller_row(reseller)
                owner_id = owner["id"] if owner else None
                if owner_id != row["reseller_id"]:
                    before = self.store.customer_by_id(row["reseller_id"]) if row["reseller_id"] is not None else None
                    changes["reseller"] = [before["email"] if before else None, owner["email"] if owner else None]
                    values["reseller_id"] = owner_id
            repackage = package is not None and new_package != row["package"]
            if not values and not repackage:
                raise Refused(f"{address} already has these values; nothing changed")
            result: dict[str, Any] = {}
            if values:
                self.store.set_customer(row["id"], values | {"updated_at": self.now_text})
                details: dict[str, Any] = {
                    "customer": address,
                    "before": {k: v[0] for k, v in changes.items()},
                    "after": {k: v[1] for k, v in changes.items()},
                }
                if "reseller_id" in values:
                    details["moved_tickets"] = result["moved_tickets"] = self.store.move_customer_tickets(row["id"], values["reseller_id"])
                self.store.insert_events([self._event("customer_changed", details)])
            if repackage:
                changes["package"] = [row["package"], new_package]
                result["recomputed"] = self._change_package(row, new_package)
            record = self._customer_record(self.store.customer_by_id(row["id"]) or row)
        return record | {"changes": changes} | result

    def verify_customer(self, email: str) -> dict[str, Any]:
        """Mark a customer's identity as verified (admins only)."""
        self._require_admin("verify customers")
        address = check_email(email)
        with self._transaction():
            row = self._customer_row(address)
            if row["verified"]:
                raise Refused(f"{address} is already verified")
            self.store.set_customer(row["id"], {"verified": 1, "updated_at": self.now_text})
            self.store.insert_events(
                [self._event("customer_verified", {"customer": address, "before": {"verified": False}, "after": {"verified": True}})]
            )
            return self._customer_record(self.store.customer_by_id(row["id"]) or row)

    def ban_customer(self, email: str, reason: str | None = None) -> dict[str, Any]:
        """Ban a customer: they can no longer file (admins only)."""
        return self._change_status("ban", email, reason)

    def unban_customer(self, email: str) -> dict[str, Any]:
        """Lift a ban: the customer is active again (admins only)."""
        return self._change_status("unban", email)

    def suspend_customer(self, email: str, reason: str | None = None) -> dict[str, Any]:
        """Suspend a customer: they cannot file until activated again (admins only)."""
        return self._change_status("suspend", email, reason)

    def activate_customer(self, email: str) -> dict[str, Any]:
        """Lift a suspension: the customer is active again (admins only)."""
        return self._change_status("activate", email)

    def _change_status(self, action: str, email: str, reason: str | None = None) -> dict[str, Any]:
        target, starts, kind = _STATUS_CHANGES[action]
        self._require_admin(f"{action} customers")
        address = check_email(email)
        reason = check_line(reason, "--reason", limit=NAME_MAX * 5) if reason is not None else None
        with self._transaction():
            row = self._customer_row(address)
            current = row["status"]
            if current not in starts:
                raise Refused(_status_refusal(action, address, current, target))
            self.store.set_customer(row["id"], {"status": target, "updated_at": self.now_text})
            details: dict[str, Any] = {"customer": address, "before": {"status": current}, "after": {"status": target}}
            if reason:
                details["reason"] = reason
            self.store.insert_events([self._event(kind, details)])
            return self._customer_record(self.store.customer_by_id(row["id"]) or row)

    def set_package(self, email: str, package: str | None) -> dict[str, Any]:
        """Give a customer an SLA package (or none); their open tickets' deadlines follow
        (admins only)."""
        self._require_admin("change customers' packages")
        address = check_email(email)
        if package is not None:
            package = self._package_name(package)
        with self._transaction():
            customer = self._customer_row(address)
            if customer["package"] == package:
                raise Refused(f"{address} already has package {package or 'none'}")
            recomputed = self._change_package(customer, package)
        return {"customer": address, "package": package, "recomputed": recomputed}

    def _change_package(self, customer: dict[str, Any], package: str | None) -> int:
        """Inside a transaction: give the customer `package` and recompute its open
        tickets' deadlines, with a `customer_package` event; how many tickets moved."""
        self.store.set_customer(customer["id"], {"package": package, "updated_at": self.now_text})
        rows = [r | {"package": package} for r in self.store.active_tickets(customer["id"])]
        changes = self._recompute(rows, f"package {customer['package'] or 'none'} → {package or 'none'}", restamp=True)
        self.store.apply_many(changes)
        details = {
            "customer": customer["email"],
            "before": {"package": customer["package"]},
            "after": {"package": package},
            "recomputed": len(changes),
        }
        self.store.insert_events([self._event("customer_package", details)])
        return len(changes)

    # ---- resellers -----------------------------------------------------------------

    def resellers(self) -> list[dict[str, Any]]:
        """Every reseller by e-mail, with how many customers and open tickets it has."""
        return [self._reseller_record(row) for row in self.store.rows("customers", order="email", kind="reseller")]

    def reseller(self, name_or_email: str) -> dict[str, Any]:
        """One reseller, named by e-mail or by name (case-insensitive)."""
        return self._reseller_record(self._reseller_row(name_or_email))

    def add_reseller(self, email: str, *, name: str, package: str | None = None, promote: bool = False) -> dict[str, Any]:
        """Register a reseller (admins only). An end customer without tickets or a
        reseller of its own becomes one with `promote`."""
        self._require_admin("add resellers")
        address = check_email(email)
        name = _name(name)
        package = self._package_name(package) if package is not None else None
        with self._transaction():
            same_name = [r for r in self.store.rows("customers", kind="reseller") if (r["name"] or "").casefold() == name.casefold()]
            if same_name and same_name[0]["email"] != address:
                raise Refused(f"reseller {same_name[0]['email']} is already named {same_name[0]['name']}; give another --name")
            existing = self.store.customer_by_email(address)
            details: dict[str, Any] = {"reseller": address, "name": name, "package": package}
            if existing is None:
                reseller_id = self.store.insert_customer(
                    {"email": address, "name": name, "kind": "reseller", "package": package, "created_at": self.now_text}
                )
            else:
                self._check_promotion(existing, promote)
                reseller_id = existing["id"]
                package = package or existing["package"]
                self.store.set_customer(reseller_id, {"kind": "reseller", "name": name, "package": package, "updated_at": self.now_text})
                details |= {"package": package, "promoted": True, "before": {"kind": "customer", "name": existing["name"]}}
            self.store.insert_events([self._event("reseller_added", details)])
            return self._reseller_record(self.store.customer_by_id(reseller_id) or {})

    def _check_promotion(self, existing: dict[str, Any], promote: bool) -> None:
        """Refuse to make an existing customer row a reseller unless it can be, and was asked to."""
        address = existing["email"]
        if existing["kind"] == "reseller":
            raise Refused(f"{address} is already a reseller; `supportdesk reseller show {address}` shows it")
        tickets = self.store.count_tickets(Filter(scope=Scope(customer_id=existing["id"])))
        if tickets:
            raise Refused(
                f"{address} is an end customer with {tickets} ticket(s); a reseller needs an address of its own: "
                "register the reseller with another e-mail"
            )
        if existing["reseller_id"] is not None:
            owner = self.store.customer_by_id(existing["reseller_id"])
            raise Refused(
                f"{address} is a customer of reseller {owner['email'] if owner else existing['reseller_id']}; "
                f"`supportdesk customer edit {address} --reseller none` first, then add it with --promote"
            )
        if not promote:
            raise Refused(f"{address} is already an end customer (without tickets); add --promote to make it a reseller")

    def _reseller_row(self, name_or_email: str) -> dict[str, Any]:
        """A reseller by e-mail or by name (case-insensitive), or NotFound."""
        value = check_line(name_or_email, "the reseller", limit=NAME_MAX)
        if "@" in value:
            address = check_email(value)
            row = self.store.customer_by_email(address)
            if row is None:
                raise NotFound(f"no reseller {address}; `supportdesk reseller list` shows them")
            if row["kind"] != "reseller":
                raise NotFound(f"{address} is an end customer, not a reseller; `supportdesk reseller list` shows the resellers")
            return row
        folded = value.casefold()
        found = [r for r in self.store.rows("customers", order="email", kind="reseller") if (r["name"] or "").casefold() == folded]
        if not found:
            raise NotFound(f"no reseller named {quoted(value)}; `supportdesk reseller list` shows them")
        if len(found) > 1:
            raise InvalidInput(f"several resellers are named {quoted(value)} ({', '.join(r['email'] for r in found)}); give the e-mail")
        return found[0]

    def _reseller_record(self, row: dict[str, Any]) -> dict[str, Any]:
        return self._customer_record(row) | {
            "customers": len(self.store.rows("customers", reseller_id=row["id"])),
            "open_tickets": self._open_tickets(Scope(reseller_id=row["id"])),
        }

    def _reseller_emails(self) -> dict[int, str]:
        return {r["id"]: r["email"] for r in self.store.rows("customers", kind="reseller")}

    # ---- services ------------------------------------------------------------------

    def services(self, email: str | None = None) -> list[dict[str, Any]]:
        """Services of every customer, or of one, oldest first."""
        if email is not None:
            row = self._customer_row(check_email(email))
            return [_service_record(s, row["email"]) for s in self.store.rows("services", customer_id=row["id"])]
        owners: dict[int, str] = {}
        found = []
        for service in self.store.rows("services"):
            if service["customer_id"] not in owners:
                owner = self.store.customer_by_id(service["customer_id"])
                owners[service["customer_id"]] = owner["email"] if owner else str(service["customer_id"])
            found.append(_service_record(service, owners[service["customer_id"]]))
        return found

    def add_service(
        self,
        email: str,
        *,
        kind: str,
        name: str | None = None,
        package: str | None = None,
        ip: str | None = None,
        order: str | None = None,
        delivered: str | None = None,
        managed: bool = False,
    ) -> dict[str, Any]:
        """Record a service a customer has (admins only); `delivered` is an instant as
        for --now, not after now."""
        self._require_admin("add services")
        address = check_email(email)
        kind = _service_kind(kind)
        name = check_line(name, "--name", limit=NAME_MAX) if name is not None else None
        package = check_line(package, "--package", limit=NAME_MAX) if package is not None else None
        ip_text = _ip(ip) if ip is not None else None
        order_number = _order_number(order) if order is not None else None
        delivered_at = self._delivered(delivered) if delivered is not None else None
        with self._transaction():
            row = self._customer_row(address)
            if order_number is not None:
                taken = self.store.rows("services", order_number=order_number)
                if taken:
                    owner = self.store.customer_by_id(taken[0]["customer_id"])
                    raise Refused(
                        f"order {order_number} is already service {taken[0]['id']} of {owner['email'] if owner else '?'}; "
                        "an order is one service"
                    )
            service = {
                "customer_id": row["id"],
                "kind": kind,
                "name": name,
                "package": package,
                "ip": ip_text,
                "order_number": order_number,
                "delivered_at": delivered_at,
                "managed": int(managed),
                "created_at": self.now_text,
            }
            service["id"] = self.store.insert_row("services", service)
            record = _service_record(service, address)
            details = {"customer": address, "service": service["id"]} | {k: v for k, v in record.items() if k not in ("id", "customer", "created_at")}
            self.store.insert_events([self._event("service_added", details)])
        return record

    def _delivered(self, text: str) -> str:
        from supportdesk.timetext import format_local, parse_instant, to_utc_text

        try:
            at = parse_instant(text, self.policy.zone, self.now)
        except InvalidInput as error:
            raise InvalidInput(f"--delivered: {error}") from None
        if at > self.now:
            raise InvalidInput(
                f"--delivered {format_local(at, self.policy.zone)} is after now ({format_local(self.now, self.policy.zone)}); "
                "record a service once it is delivered"
            )
        return to_utc_text(at)

    # ---- shared --------------------------------------------------------------------

    def _customer_row(self, address: str) -> dict[str, Any]:
        row = self.store.customer_by_email(address)
        if row is None:
            raise NotFound(
                f"no customer {address}; `supportdesk customer add {address}` registers one "
                "(customers also appear when they first file a ticket)"
            )
        return row

    def _customer_record(self, row: dict[str, Any], resellers: dict[int, str] | None = None) -> dict[str, Any]:
        """A customer row as the CLI's JSON shows it."""
        reseller = None
        if row.get("reseller_id") is not None:
            if resellers is not None and row["reseller_id"] in resellers:
                reseller = resellers[row["reseller_id"]]
            else:
                owner = self.store.customer_by_id(row["reseller_id"])
                reseller = owner["email"] if owner else None
        return {
            "email": row["email"],
            "name": row.get("name"),
            "kind": row.get("kind") or "customer",
            "reseller": reseller,
            "package": row.get("package"),
            "status": row.get("status") or "active",
            "verified": bool(row.get("verified")),
            "language": row.get("language"),
            "notify": _notify_of(row),
            "created_at": row.get("created_at"),
            "updated_at": row.get("updated_at"),
        }

    def _open_tickets(self, scope: Scope) -> int:
        statuses = tuple(s.value for s in ACTIVE_STATUSES)
        return self.store.count_tickets(Filter(statuses=statuses, scope=scope, as_of=self.as_of))

    def _package_name(self, package: str) -> str:
        """A package of the policy, as it spells it."""
        name = package.strip().lower()
        known = tuple(p.name for p in self.policy.packages)
        if name not in known:
            raise InvalidInput(f"unknown package {quoted(package)}; this policy has: {', '.join(known) or 'none'}")
        return name

    def _notify(self, current: dict[str, str], items: Iterable[str], *, removing: bool) -> dict[str, str]:
        """`current` with the `TYPE=EMAIL` (or, when `removing`, `TYPE=none`) texts applied."""
        allowed = {t.lower(): t for t in self.policy.notify_types}
        result = dict(current)
        seen: set[str] = set()
        for item in items:
            typed, sep, value = item.partition("=")
            kind = typed.strip().lower()
            if not sep or not kind or not value.strip():
                raise InvalidInput(f"--notify {quoted(item)} is not TYPE=EMAIL; give e.g. --notify invoices=billing@example.com")
            if allowed:
                if kind not in allowed:
                    raise InvalidInput(
                        f"--notify: unknown notification type {quoted(typed.strip())}; this desk's policy has: {', '.join(allowed.values())}"
                    )
                kind = allowed[kind]
            elif not _NOTIFY_TYPE.fullmatch(kind):
                raise InvalidInput(
                    f"--notify: {quoted(typed.strip())} is not a notification type; use a word of letters, digits, - and _, e.g. invoices"
                )
            if kind in seen:
                raise InvalidInput(f"--notify {kind} is given twice; give each type once")
            seen.add(kind)
            if _is_none(value):
                if not removing:
                    raise InvalidInput(f"--notify {kind}=none drops an address; a new customer takes addresses only")
                result.pop(kind, None)
            else:
                try:
                    result[kind] = check_email(value)
                except InvalidInput as error:
                    raise InvalidInput(f"--notify {kind}: {error}") from None
        return result


def _agent_record(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("login", "name", "email", "role")} | {"active": bool(row["active"])}


def _service_record(row: dict[str, Any], owner: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "customer": owner,
        "kind": row["kind"],
        "name": row["name"],
        "package": row["package"],
        "ip": row["ip"],
        "order": row["order_number"],
        "delivered_at": row["delivered_at"],
        "managed": bool(row["managed"]),
        "created_at": row["created_at"],
    }


def _notify_of(row: dict[str, Any]) -> dict[str, str]:
    try:
        value = json.loads(row.get("notify") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _name(text: str) -> str:
    return check_line(text, "--name", limit=NAME_MAX)


def _language(text: str) -> str:
    from supportdesk.policy_schema import to_languages

    try:
        return to_languages([text.strip()])[0]
    except InvalidInput as error:
        raise InvalidInput(f"--language: {error}") from None


def _status(text: str) -> str:
    value = text.strip().lower()
    if value not in CUSTOMER_STATUSES:
        raise InvalidInput(f"unknown customer status {quoted(text)}; use one of: {', '.join(CUSTOMER_STATUSES)}")
    return value


def _service_kind(text: str) -> str:
    value = text.strip().lower()
    if value not in SERVICE_KINDS:
        raise InvalidInput(f"unknown service kind {quoted(text)}; use one of: {', '.join(SERVICE_KINDS)}")
    return value


def _ip(text: str) -> str:
    import ipaddress

    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise InvalidInput(f"--ip {quoted(text)} is not an IP address; give one like 203.0.113.7 or 2001:db8::7") from None


def _order_number(text: str) -> str:
    found = _ORDER.fullmatch(text.strip())
    if found is None:
        raise InvalidInput(f"--order {quoted(text)} is not an order number; give # and digits, e.g. '#123456'")
    return "#" + found.group(1)


def _status_refusal(action: str, address: str, current: str, target: str) -> str:
    """Why a status change does not apply, and what would."""
    if action == "unban":
        hint = f"; lift a suspension with `supportdesk customer activate {address}`" if current == "suspended" else ""
        return f"{address} is {current}, not banned{hint}"
    if current == target:
        return f"{address} is already {target}"
    if current == "banned":
        return f"{address} is banned; lift the ban with `supportdesk customer unban {address}`"
    return f"{address} is {current}, not suspended"
