"""Use cases of people: agents, customers and their SLA packages."""

from __future__ import annotations

from typing import Any

from supportdesk.desk.context import DeskContext
from supportdesk.errors import InvalidInput, NotFound, Refused
from supportdesk.query import check_email

AGENT_ROLES = ("admin", "engineer")


class People(DeskContext):
    """Agents and customers."""

    def agents(self) -> list[dict[str, Any]]:
        """The desk's agents."""
        return [
            {k: a[k] for k in ("login", "name", "email", "role")} | {"active": bool(a["active"])}
            for a in self.store.agents()
        ]

    def add_customer(self, email: str, *, name: str | None = None, package: str | None = None) -> dict[str, Any]:
        """Register a customer before their first ticket (admins only)."""
        self._require_admin("add customers")
        address = check_email(email)
        if package is not None and package not in {p.name for p in self.policy.packages}:
            raise InvalidInput(f"unknown package {package!r}; this policy has: {', '.join(p.name for p in self.policy.packages) or 'none'}")
        with self._transaction():
            if self.store.customer_by_email(address):
                raise Refused(f"customer {address} already exists")
            self.store.insert_customer({"email": address, "name": name, "package": package, "created_at": self.now_text})
            self.store.insert_events([self._event("customer_added", {"customer": address, "package": package})])
        return {"email": address, "name": name, "package": package}

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

    def set_package(self, email: str, package: str | None) -> dict[str, Any]:
        """Give a customer an SLA package (or none); their open tickets' deadlines follow."""
        address = check_email(email)
        if package is not None:
            package = package.strip().lower()
            known = tuple(p.name for p in self.policy.packages)
            if package not in known:
                raise InvalidInput(f"unknown package {package!r}; this policy has: {', '.join(known) or 'none'}")
        with self._transaction():
            customer = self.store.customer_by_email(address)
            if customer is None:
                raise NotFound(f"no customer {address}; customers appear when they first file a ticket")
            if customer["package"] == package:
                raise Refused(f"{address} already has package {package or 'none'}")
            self.store.set_customer(customer["id"], {"package": package})
            rows = [r | {"package": package} for r in self.store.active_tickets(customer["id"])]
            changes = self._recompute(rows, f"package {customer['package'] or 'none'} → {package or 'none'}", restamp=True)
            self.store.apply_many(changes)
            self.store.insert_events(
                [self._event("customer_package", {"customer": address, "before": {"package": customer["package"]}, "after": {"package": package}, "recomputed": len(changes)})]
            )
        return {"customer": address, "package": package, "recomputed": len(changes)}
