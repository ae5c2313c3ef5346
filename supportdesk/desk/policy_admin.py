"""Use cases of the policy: its stored versions, and applying a new one."""

from __future__ import annotations

from typing import Any

from supportdesk.clock import Calendars
from supportdesk.desk.context import DeskContext, StoredHolidays
from supportdesk.errors import Refused


class PolicyAdmin(DeskContext):
    """The desk's policy versions."""

    def policy_versions(self) -> list[dict[str, Any]]:
        """Every version of the desk's policy, oldest first."""
        return self.store.policy_versions()

    def policy_version(self, version: int | None = None) -> dict[str, Any]:
        """A stored policy version (the one in force when unnamed), with its text."""
        if version is None:
            row = self.store.latest_policy()
            assert row is not None
            return row
        return self.store.policy_version(version)

    def apply_policy(self, text: str, source: str) -> dict[str, Any]:
        """Validate a policy, store it as the desk's new version and recompute the open
        tickets' deadlines under it, in one transaction (admins only)."""
        from supportdesk import sla

        self._require_admin("apply a policy")
        from supportdesk.policy import load_policy, policy_digest
        from supportdesk.policy_compiled import compile_policy

        policy = load_policy(text, source)
        calendars = Calendars(policy, StoredHolidays(self.store))
        digest = policy_digest(text)
        # The expensive part — holidays and every open ticket's new deadlines — is worked
        # out before the write lock; inside it only tickets changed meanwhile are redone.
        holidays = self._missing_holidays(policy)
        known = (set(policy.priority_names), set(policy.channel_names))
        planned = {
            r["id"]: (r["updated_at"], sla.plan_for_row(calendars, r, self.now))
            for r in self.store.active_tickets()
            if r["priority"] in known[0] and r["channel"] in known[1]  # else refused below
        }
        with self._transaction():
            current = self.store.latest_policy()
            if current is not None and current["sha256"] == digest:
                return {"version": current["id"], "changed": False, "name": policy.name, "recomputed": 0}
            usage = self.store.active_usage()
            for what, known in (("priority", policy.priority_names), ("department", policy.department_names), ("channel", policy.channel_names)):
                lost = {name: n for name, n in usage[what].items() if name not in known}
                if lost:
                    listed = ", ".join(f"{name} ({n} open)" for name, n in sorted(lost.items()))
                    raise Refused(f"the new policy has no {what} {listed}; keep it in the policy or move those tickets first")
            version = self.store.insert_policy_version(
                {"applied_at": self.now_text, "applied_by": self.actor.label, "source": source, "sha256": digest, "toml": text, "compiled": compile_policy(policy)}
            )
            self._cache_holidays(holidays)
            self._policy_version = version
            changes = self._recompute(self.store.active_tickets(), f"policy version {version}", calendars, planned)
            self.store.apply_many(changes)
            self.store.insert_events(
                [self._event("policy_applied", {"version": version, "source": source, "recomputed": len(changes), "before": {"version": current["id"] if current else None}, "after": {"version": version}})]
            )
        self.policy = policy
        self.calendars = calendars  # keep the calendars built while planning
        return {"version": version, "changed": True, "name": policy.name, "recomputed": len(changes)}
