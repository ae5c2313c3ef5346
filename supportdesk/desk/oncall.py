"""Use cases of time and on-call: the policy's calendars and rotations as of now, and the
overrides an admin adds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from supportdesk.clock import Calendar, Calendars
from supportdesk.desk.context import DeskContext
from supportdesk.errors import InvalidInput, NotFound, Refused
from supportdesk.policy import Policy
from supportdesk.timetext import from_utc_text, parse_instant, to_utc_text

if TYPE_CHECKING:
    from supportdesk.oncall import OnCall


@dataclass
class TimeDesk:
    """The time questions of a policy (calendars, on-call) as of one instant."""

    policy: Policy
    now: datetime
    overrides: tuple[Any, ...] = ()
    calendars: Calendars | None = None  # the desk's, when it has one; else built here

    def __post_init__(self) -> None:
        if self.calendars is None:
            self.calendars = Calendars(self.policy)

    def calendar(self, name: str | None = None) -> Calendar:
        """A compiled calendar of the policy (the office calendar when unnamed)."""
        assert self.calendars is not None
        return self.calendars(name)

    def instant(self, text: str | None) -> datetime:
        """An instant given by the user, read in the desk's zone; `now` when absent."""
        if text is None:
            return self.now
        return parse_instant(text, self.policy.zone, self.now)

    def oncall(self) -> OnCall:
        """The policy's on-call layers with the desk's overrides."""
        if not self.policy.layers:
            raise NotFound(
                "this policy defines no on-call; add [rotations.NAME] and [[oncall]] layers to it"
            )
        assert self.calendars is not None
        return self.calendars.oncall(self.overrides)


class OnCallAdmin(DeskContext):
    """Calendars and on-call of the policy, and the overrides stored in the desk."""

    def time(self) -> TimeDesk:
        """Calendars and on-call of this desk's policy, with its overrides (the agents'
        side: who is on duty when)."""
        return self._time()

    def _time(self) -> TimeDesk:
        from supportdesk.oncall import Override

        overrides = tuple(
            Override(
                r["layer"], r["person"], from_utc_text(r["starts_at"]), from_utc_text(r["ends_at"]), r["reason"], r["id"]
            )
            for r in self.store.overrides()
        )
        return TimeDesk(self.policy, self.now, overrides, self.calendars)

    def overrides(self, include_past: bool = False) -> list[dict[str, Any]]:
        """On-call overrides, current and future (or all)."""
        rows = self.store.overrides(None if include_past else self.now_text)
        keys = ("id", "layer", "person", "starts_at", "ends_at", "reason", "created_by", "created_at")
        return [{k: r[k] for k in keys} for r in rows]

    def add_override(
        self, layer: str, person: str, starts: datetime, ends: datetime, reason: str = "",
        *, starts_text: str | None = None, ends_text: str | None = None,
    ) -> dict[str, Any]:
        """Put `person` on a layer from `starts` until `ends` (typed as `starts_text` and
        `ends_text`, which refusals quote next to what they were read as)."""
        from supportdesk.timetext import WEEKDAYS
        from supportdesk.timetext import format_local as local

        zone = self.policy.zone
        names = [l.name for l in self.policy.layers]
        if layer not in names:
            raise InvalidInput(
                f"unknown on-call layer {layer!r}; this policy has: {', '.join(names) or 'none'}"
            )
        agent = self.store.agent_by_login(person)
        if agent is None or not agent["active"]:
            known = ", ".join(a["login"] for a in self.store.agents() if a["active"])
            raise NotFound(f"no agent {person!r}; agents of this desk: {known}")
        if ends <= starts:
            said_from = f"--from {starts_text!r} is" if starts_text else "it would start"
            said_until = f"--until {ends_text!r} is" if ends_text else "end"
            # "fri 18:00" is the coming Friday: on a weekend, "last fri 18:00" is likely meant.
            weekday_first = bool(starts_text) and starts_text.strip().split(" ")[0].lower()[:3] in WEEKDAYS
            hint = (
                f"give a later --until, or --from 'last {starts_text.strip()}' for the one before"
                if weekday_first
                else "give a later --until or an earlier --from"
            )
            raise InvalidInput(
                f"{said_from} {local(starts, zone)} but {said_until} {local(ends, zone)}; "
                f"the override must end after it starts: {hint}"
            )
        if ends <= self.now:
            until = f"--until {ends_text!r} is {local(ends, zone)}" if ends_text else f"it ends {local(ends, zone)}"
            raise InvalidInput(
                f"{until} and now is {local(self.now, zone)}: the override would end in the past; give a later --until"
            )
        row = {
            "layer": layer,
            "person": person,
            "starts_at": to_utc_text(starts),
            "ends_at": to_utc_text(ends),
            "reason": reason.strip(),
            "created_by": self.actor.label,
            "created_at": self.now_text,
        }
        with self._transaction():
            same = next(
                (
                    o for o in self.store.overrides()
                    if (o["layer"], o["person"], o["starts_at"], o["ends_at"]) == (layer, person, row["starts_at"], row["ends_at"])
                ),
                None,
            )
            if same is not None:
                raise Refused(
                    f"{person} already covers {layer} from {local(starts, zone)} until {local(ends, zone)} "
                    f"(override {same['id']}); nothing added: `supportdesk oncall override list` shows it"
                )
            override_id = self.store.insert_override(row)
            self.store.insert_events([self._event("oncall_override", {"id": override_id} | row)])
        return next(o for o in self.overrides(include_past=True) if o["id"] == override_id)

    def remove_override(self, override_id: int) -> dict[str, Any]:
        """Cancel an override (kept in the desk, marked removed)."""
        with self._transaction():
            row = self.store.override(override_id)
            self.store.remove_override(override_id, self.actor.label, self.now_text)
            self.store.insert_events([self._event("oncall_override_removed", {"id": override_id, "layer": row["layer"], "person": row["person"]})])
        return row
