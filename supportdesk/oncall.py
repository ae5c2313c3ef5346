"""Who is on call: rotations, layers bound to calendars, and overrides. Pure.

A rotation hands off at a local wall time (09:00 stays 09:00 across DST); a layer is
active while its calendar is open, closed, or always; an override puts one person on a
layer from one instant to another.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from supportdesk.clock import Calendar
from supportdesk.frozen import Record, record
from supportdesk.policy_schema import (
    CLOCK_TIME,
    DATE,
    DURATION,
    LOGINS,
    NAME,
    REQUIRED,
    ZONE,
    choice,
    key,
)
from supportdesk.timetext import local_to_utc

LAYER_WHEN = ("open", "closed", "always")


@record
class Rotation(Record):
    """Members taking turns (or, without a shift length, all on duty together): `[rotations.NAME]`."""

    name: str
    members: tuple[str, ...] = key((), "Who takes turns, in order (agent logins).", LOGINS, positional=True, always=True)
    shift: timedelta | None = key(  # None: a team, everyone at once
        None, "Length of a shift, e.g. \"1d\" or \"1w\"; absent: all members on duty together.", DURATION, positional=True
    )
    handoff: int = key(9 * 60, "Local time shifts change, e.g. \"09:00\".", CLOCK_TIME, positional=True)  # minutes after local midnight
    timezone: str = key(None, "IANA time zone of the hand-off time (default: the desk's).", ZONE, positional=True)
    start: date = key(  # the first shift starts at start + handoff, local time
        date(2024, 1, 1), "The date the first shift starts (its first member is on).", DATE, positional=True
    )

    @property
    def zone(self) -> ZoneInfo:
        """The zone hand-offs are read in."""
        return ZoneInfo(self.timezone)

    def _origin(self) -> datetime:
        return datetime.combine(self.start, time(0)) + timedelta(minutes=self.handoff)

    def boundary(self, k: int) -> datetime:
        """The instant shift number k begins (shift 0 begins at start + handoff)."""
        assert self.shift is not None
        return local_to_utc(self._origin() + k * self.shift, self.zone)

    def shift_index(self, at: datetime) -> int:
        """The number of the shift running at `at` (negative before the start)."""
        assert self.shift is not None
        wall = at.astimezone(self.zone).replace(tzinfo=None)
        k = (wall - self._origin()) // self.shift
        while at < self.boundary(k):  # wall time is ambiguous around DST changes
            k -= 1
        while at >= self.boundary(k + 1):
            k += 1
        return k

    def on_shift(self, at: datetime) -> tuple[str, ...]:
        """Who is on this rotation's shift at `at`."""
        if not self.members:
            return ()
        if self.shift is None:
            return self.members
        return (self.members[self.shift_index(at) % len(self.members)],)

    def handoffs(self, a: datetime, b: datetime) -> list[datetime]:
        """Instants in (a, b) where the shift changes."""
        if self.shift is None or len(self.members) < 2:
            return []
        k = self.shift_index(a) + 1
        result = []
        while (at := self.boundary(k)) < b:
            result.append(at)
            k += 1
        return result


@record
class Layer(Record):
    """A line of duty: a rotation, active while a calendar is open, closed, or always."""

    name: str = key(REQUIRED, "The layer's name, e.g. office or on-duty.", NAME, toml="layer")
    rotation: str = key(REQUIRED, "The rotation that staffs it.", NAME, refers="rotations")
    calendar: str | None = key(None, "The calendar that switches the layer on and off.", NAME, refers="calendars")
    when: str = key(  # open | closed | always
        "always", "When the layer is on duty: open (calendar open), closed (outside it) or always.", choice(LAYER_WHEN, "use open, closed or always")
    )


@record
class Override(Record):
    """One person covering a layer from `starts` until `ends`."""

    layer: str
    person: str
    starts: datetime
    ends: datetime
    reason: str = ""
    id: int | None = None


@record
class Duty(Record):
    """A layer's state at an instant."""

    layer: str
    active: bool
    people: tuple[str, ...]
    override: Override | None = None

    def to_json(self) -> dict:
        """The stable JSON form."""
        return {
            "layer": self.layer,
            "active": self.active,
            "people": list(self.people),
            "override": self.override.id if self.override else None,
        }


@record
class Handoff(Record):
    """A change of who is on duty on one layer."""

    at: datetime
    layer: str
    active: bool
    people: tuple[str, ...]

    def to_json(self) -> dict:
        """The stable JSON form."""
        from supportdesk.timetext import to_utc_text

        return {"at": to_utc_text(self.at), "layer": self.layer, "active": self.active, "people": list(self.people)}


class OnCall:
    """Answers "who is on call at T?" for a policy's layers."""

    def __init__(
        self,
        layers: tuple[Layer, ...],
        rotations: dict[str, Rotation],
        calendars: dict[str, Calendar],
        overrides: tuple[Override, ...] = (),
    ):
        self.layers = layers
        self.rotations = rotations
        self.calendars = calendars
        self.overrides = overrides

    def _active(self, layer: Layer, at: datetime) -> bool:
        if layer.when == "always" or layer.calendar is None:
            return True
        is_open = self.calendars[layer.calendar].is_open(at)
        return is_open if layer.when == "open" else not is_open

    def at(self, at: datetime) -> list[Duty]:
        """Every layer's state at `at`, in policy order."""
        duties = []
        for layer in self.layers:
            active = self._active(layer, at)
            override = next(
                (o for o in reversed(self.overrides) if o.layer == layer.name and o.starts <= at < o.ends),
                None,
            )
            if not active:
                duties.append(Duty(layer.name, False, ()))
            elif override is not None:
                duties.append(Duty(layer.name, True, (override.person,), override))
            else:
                duties.append(Duty(layer.name, True, self.rotations[layer.rotation].on_shift(at)))
        return duties

    def _edges(self, a: datetime, b: datetime) -> list[datetime]:
        edges: set[datetime] = set()
        for layer in self.layers:
            edges.update(self.rotations[layer.rotation].handoffs(a, b))
            if layer.calendar is not None and layer.when != "always":
                for start, end in self.calendars[layer.calendar].open_spans(a, b):
                    edges.update((start, end))
        for o in self.overrides:
            edges.update(t for t in (o.starts, o.ends) if a < t < b)
        return sorted(t.astimezone(UTC) for t in edges if a < t < b)

    def schedule(self, a: datetime, b: datetime) -> list[Handoff]:
        """The state at `a`, then every change until `b`, layer by layer."""
        state = {d.layer: d for d in self.at(a)}
        result = [Handoff(a, d.layer, d.active, d.people) for d in state.values()]
        for edge in self._edges(a, b):
            for duty in self.at(edge):
                before = state[duty.layer]
                if (before.active, before.people) != (duty.active, duty.people):
                    result.append(Handoff(edge, duty.layer, duty.active, duty.people))
                state[duty.layer] = duty
        return result

    def next_changes(self, after: datetime, horizon: timedelta = timedelta(days=62)) -> list[Handoff]:
        """The first change after `after` of each layer that changes within the horizon."""
        seen: dict[str, Handoff] = {}
        for handoff in self.schedule(after, after + horizon):
            if handoff.at > after and handoff.layer not in seen:
                seen[handoff.layer] = handoff
        return sorted(seen.values(), key=lambda h: h.at)
