"""The context every use case of the desk service shares: store, policy, actor and now;
opening and creating a desk; the rules every change follows (history in order, the
previous values of what it changes)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from supportdesk.access import require_admin, require_agent
from supportdesk.clock import Calendars
from supportdesk.config import DeskLocation
from supportdesk.errors import InvalidInput, Refused, SupportdeskError
from supportdesk.model import (
    Actor,
    Event,
    Message,
    TicketChange,
)
from supportdesk.policy import Policy
from supportdesk.policy_compiled import compile_policy, stored_policy
from supportdesk.store import Store
from supportdesk.timetext import format_local, from_utc_text, parse_instant, to_utc_text

Clock = Callable[[], datetime]


def _real_clock() -> datetime:
    """The wall clock, for Python callers that give none (the CLI passes its own)."""
    return datetime.now(UTC)


def resolve_now(now_text: str | None, policy: Policy, clock: datetime) -> datetime:
    """The instant a command acts at: `--now` read in the desk's zone, else the clock."""
    if not now_text:
        return clock
    try:
        return parse_instant(now_text, policy.zone, clock)
    except InvalidInput as error:
        raise InvalidInput(f"--now: {error}") from None


def _keep_compiled(store: Store, version: int, compiled: str) -> None:
    """Store a policy version's compiled form, compiled on first use (a version applied
    by an older supportdesk); a desk that cannot be written now is read from TOML again."""
    try:
        with store.transaction():
            store.set_compiled_policy(version, compiled)
    except SupportdeskError:
        pass


def login_actor(store: Store, login: str, path: Path) -> Actor:
    """The agent of the OS user `login`, or Refused with how to get access."""
    agent = store.agent_by_login(login)
    if agent is None:
        raise Refused(
            f"you ({login}) are not an agent of the desk {path}; an admin can add you with "
            f"`supportdesk agent add {login}`, or set SUPPORTDESK_TOKEN to a token an admin issued you"
        )
    if not agent["active"]:
        raise Refused(f"you ({login}) are not an agent of the desk {path} any more; an admin can reactivate you with `supportdesk agent activate {login}`")
    return Actor("agent", login, agent["id"], agent["role"])


def token_actor(store: Store, token: str, now: datetime) -> Actor:
    """The holder of a token: refused when the token is unknown, revoked or expired, or
    its holder can no longer act."""
    from supportdesk.access import token_hash

    how = "ask an admin of the desk for a new one (`supportdesk token issue`)"
    found = store.rows("tokens", hash=token_hash(token))
    if not token.strip() or not found:
        raise Refused(f"the token in SUPPORTDESK_TOKEN is not known to this desk; {how}")
    row = found[0]
    if row["revoked_at"] is not None:
        raise Refused(f"the token {row['prefix']}… was revoked on {row['revoked_at'][:10]}; {how}")
    if row["expires_at"] is not None and to_utc_text(now) >= row["expires_at"]:
        raise Refused(f"the token {row['prefix']}… expired on {row['expires_at'][:10]}; {how}")
    if row["holder_kind"] == "agent":
        agent = store.rows("agents", id=row["agent_id"])[0]
        if not agent["active"]:
            raise Refused(f"the token {row['prefix']}… belongs to {agent['login']}, who is no longer an active agent; {how}")
        return Actor("agent", agent["login"], agent["id"], agent["role"])
    customer = store.customer_by_id(row["customer_id"])
    assert customer is not None, "a token's customer is kept (customers are never deleted)"
    if customer["kind"] != row["holder_kind"]:  # e.g. a customer since made a reseller: no wider scope
        raise Refused(f"the token {row['prefix']}… was issued to {customer['email']} as a {row['holder_kind']}, which it no longer is; {how}")
    return Actor(customer["kind"], customer["email"], customer["id"])


class StoredHolidays:
    """The desk's holiday cache, as the clock asks for it."""

    def __init__(self, store: Store):
        self.store = store

    def get(self, rule: Any, year: int) -> Any:
        from supportdesk.clock import YearHolidays

        data = self.store.cached_holidays(rule.country, rule.subdivision, year)
        return YearHolidays.from_json(data) if data is not None else None


class DeskContext:
    """What every use case works with: the store, the policy in force, the actor, and the
    instant it acts at.

    With a `clock` and no pinned instant (no `--now`), a write takes its instant from the
    clock once it holds the write lock, so writers queued behind each other write history
    in order. A pinned instant (`--now`) stays fixed, and a write with it is refused where
    it would land before a ticket's last event.
    """

    def __init__(
        self,
        store: Store,
        policy: Policy,
        actor: Actor,
        now: datetime,
        policy_version: int | None = None,
        *,
        clock: Clock | None = None,
        pinned: bool = True,
    ):
        self.store = store
        self.policy = policy
        self.actor = actor
        self._clock = clock
        self.pinned = pinned or clock is None
        self._set_now(now)
        self._policy_version = policy_version
        self.created = False  # True when opening made a new default desk
        self.by_token = False  # True when the actor is the holder of a token
        store.on_begin = self._began

    def _transaction(self) -> Any:
        """The store's transaction, with this desk taking its instant once the lock is
        held (desks made by `at` and `acting_as` share the store: the one writing decides)."""
        self.store.on_begin = self._began
        return self.store.transaction()

    @property
    def policy(self) -> Policy:
        """The policy in force (frozen; never written to)."""
        return self._policy

    @policy.setter
    def policy(self, policy: Policy) -> None:
        self._policy = policy
        # The desk owns the compiled calendars of its policy, reading holidays from its store.
        self.calendars = Calendars(policy, StoredHolidays(self.store))

    def _set_now(self, now: datetime) -> None:
        self.now = now.astimezone(UTC).replace(microsecond=0)
        self.now_text = to_utc_text(self.now)

    def _began(self) -> tuple[str, str | None]:
        """The write lock is held: catch up with a policy applied since the desk was
        opened, take the instant (unless pinned) and name the operation."""
        import secrets

        if self.pinned and self.by_token and not self.actor.is_agent:
            raise Refused("--now (SUPPORTDESK_NOW) is for the desk's agents; a reseller or customer acts at the real time: leave it out")

        self._catch_up_policy()
        real = self._clock().astimezone(UTC).replace(microsecond=0) if self._clock else None
        if real is not None and not self.pinned:
            self._set_now(real)
        stamp = real or self.now
        return f"{stamp:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}", to_utc_text(real) if real else None

    def _catch_up_policy(self) -> None:
        """Another command may have applied a policy between opening the desk and this
        write's lock (writers queue behind a long apply): plan the write under the
        version in force now, read inside the transaction."""
        if self._policy_version is None:
            return
        latest = self.store.latest_policy()
        if latest is None or latest["id"] == self._policy_version:
            return
        self.policy = stored_policy(latest)
        self._policy_version = latest["id"]

    @property
    def as_of(self) -> str | None:
        """Under a pinned instant, views leave out what was filed after it."""
        return self.now_text if self.pinned else None

    def _when(self, text: str) -> str:
        return format_local(from_utc_text(text), self.policy.zone)

    def _check_order(self, row: dict[str, Any]) -> None:
        """Refuse a write that would land before the ticket was filed or last changed."""
        last = max(row["created_at"], row.get("updated_at") or row["created_at"])
        if self.now_text < last:
            what = "was filed" if last == row["created_at"] else "last changed"
            raise Refused(
                f"ticket #{row['id']} {what} at {self._when(last)}, after the instant of this change "
                f"({self._when(self.now_text)}); history stays in order: use a later --now, or none"
            )

    def _change(self, row: dict[str, Any], values: dict[str, Any], events: list[Event], messages: list[Message] | None = None) -> TicketChange:
        """A change to a stored ticket at the desk's instant, checked to keep history in order."""
        self._check_order(row)
        return TicketChange(row["id"], values | {"updated_at": self.now_text}, events, messages or [], row)

    @property
    def policy_version_id(self) -> int:
        """The number of the policy version in force."""
        if self._policy_version is None:
            row = self.store.latest_policy()
            self._policy_version = row["id"] if row else 0
        return self._policy_version

    def _missing_holidays(self, policy: Policy) -> list[tuple[Any, int, Any]]:
        """The holidays around now that the desk's cache lacks, computed (python-holidays
        takes a tenth of a second or more, so this runs before any write lock)."""
        from supportdesk.clock import compute_holidays

        # A calendar asked about year Y reads Y-2 … Y+1: cover that around now.
        years = range(self.now.year - 2, self.now.year + 4)
        found: list[tuple[Any, int, Any]] = []
        for rule in policy.holiday_rules:
            missing = [y for y in years if self.store.cached_holidays(rule.country, rule.subdivision, y) is None]
            if missing:
                found += [(rule, year, days) for year, days in compute_holidays(rule, missing).items()]
        return found

    def _cache_holidays(self, found: list[tuple[Any, int, Any]]) -> None:
        """Keep computed holidays in the desk (inside the use case's transaction, so a
        refused command leaves the file as it was; writing a year twice is harmless)."""
        for rule, year, days in found:
            self.store.cache_holidays(rule.country, rule.subdivision, year, days.to_json())

    @classmethod
    def open(
        cls,
        location: DeskLocation,
        *,
        login: str,
        clock: Clock,
        now_text: str | None = None,
        token: str | None = None,
    ) -> Self:
        """Open the desk at `location` (creating the default desk on first use), acting
        as the holder of `token`, or else as the agent `login`."""
        if token is not None and not location.path.exists():
            raise Refused(f"there is no desk at {location.path} for this token; check --db or SUPPORTDESK_DB")
        if not location.explicit and not location.path.exists():
            desk = cls.create(location.path, login=login, clock=clock, now_text=now_text)
            desk.created = True
            return desk
        store = Store.open(location.path)
        try:
            policy_row = store.latest_policy()
            if policy_row is None:
                raise InvalidInput(f"the desk {location.path} has no policy; apply one with `supportdesk policy apply FILE`")
            policy = stored_policy(policy_row, keep=lambda version, text: _keep_compiled(store, version, text))
            now = resolve_now(now_text, policy, clock())
            actor = token_actor(store, token, clock()) if token is not None else login_actor(store, login, location.path)
            if now_text and not actor.is_agent:
                raise Refused("--now (SUPPORTDESK_NOW) is for the desk's agents; a reseller or customer acts at the real time: leave it out")
        except BaseException:
            store.close()
            raise
        desk = cls(store, policy, actor, now, policy_row["id"], clock=clock, pinned=bool(now_text))
        desk.by_token = token is not None
        return desk

    @classmethod
    def create(
        cls,
        path: Path,
        *,
        login: str,
        clock: Clock,
        now_text: str | None = None,
        policy_text: str | None = None,
        policy_source: str = "default",
    ) -> Self:
        """Create a desk with a policy (the default one if none) and its first admin; the
        file appears at `path` only once it is complete."""
        from supportdesk.policy import DEFAULT_POLICY_PATH, load_policy, policy_digest

        if policy_text is None:
            policy_text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
        policy = load_policy(policy_text, policy_source)
        now = resolve_now(now_text, policy, clock())
        store = Store.create(path, publish=False)
        try:
            store.on_begin = lambda: (None, to_utc_text(clock()))
            with store.transaction():
                agent_id = store.insert_agent(
                    {"login": login, "name": login, "role": "admin", "created_at": to_utc_text(now)}
                )
                actor = Actor("agent", login, agent_id, "admin")
                version = store.insert_policy_version(
                    {
                        "applied_at": to_utc_text(now),
                        "applied_by": actor.label,
                        "source": policy_source,
                        "sha256": policy_digest(policy_text),
                        "toml": policy_text,
                        "compiled": compile_policy(policy),
                    }
                )
                store.insert_events(
                    [
                        Event(
                            "desk_created",
                            to_utc_text(now),
                            actor.label,
                            {"policy_version": version, "policy_source": policy_source},
                        )
                    ]
                )
                desk = cls(store, policy, actor, now, version, clock=clock, pinned=bool(now_text))
                desk._cache_holidays(desk._missing_holidays(policy))
            store.publish()
        except BaseException:
            store.discard()
            raise
        return desk

    # ---- the Python API's ways in ---------------------------------------------------

    @classmethod
    def connect(
        cls, path: str | Path, *, login: str = "", token: str | None = None, now: datetime | None = None, clock: Clock | None = None
    ) -> Self:
        """Open an existing desk file as the agent `login` (or the holder of `token`),
        acting at `now` (pinned) or at the time `clock` gives when it writes (default:
        the real clock)."""
        from supportdesk.config import DeskLocation

        desk = cls.open(
            DeskLocation(Path(path), explicit=True),
            login=login,
            clock=clock or _real_clock,
            now_text=to_utc_text(now) if now is not None else None,
            token=token,
        )
        return desk

    @classmethod
    def new(
        cls,
        path: str | Path,
        *,
        login: str,
        policy: str | Path | None = None,
        now: datetime | None = None,
        clock: Clock | None = None,
    ) -> Self:
        """Create a desk file with a policy file (the generic one if none) and `login` as
        its admin."""
        text = Path(policy).read_text(encoding="utf-8") if policy is not None else None
        return cls.create(
            Path(path),
            login=login,
            clock=clock or _real_clock,
            now_text=to_utc_text(now) if now is not None else None,
            policy_text=text,
            policy_source=str(policy) if policy is not None else "default",
        )

    def at(self, now: datetime) -> Self:
        """The same desk and actor acting at another instant (pinned; a token holder's
        writes there are refused, as with --now)."""
        desk = type(self)(self.store, self.policy, self.actor, now, self._policy_version, clock=self._clock)
        desk.by_token = self.by_token
        return desk

    def acting_as(self, login: str) -> Self:
        """The same desk at the same instant, acting as another agent of it."""
        agent = self.store.agent_by_login(login)
        if agent is None or not agent["active"]:
            raise Refused(f"{login} is not an agent of this desk; add them with `supportdesk agent add {login}`")
        actor = Actor("agent", login, agent["id"], agent["role"])
        return type(self)(self.store, self.policy, actor, self.now, self._policy_version, clock=self._clock, pinned=self.pinned)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the desk file."""
        self.store.close()

    def _event(self, kind: str, details: dict[str, Any], ticket_id: int | None = None) -> Event:
        return Event(kind, self.now_text, self.actor.label, details, ticket_id)

    def _clock_values(self, row: dict[str, Any], **changes: Any) -> dict[str, Any]:
        """The deadline columns of a ticket row after `changes`, under the desk's policy."""
        from supportdesk import sla

        return sla.plan_for_row(self.calendars, row, self.now, **changes) | {"policy_version": self.policy_version_id}

    def _deadline_event(self, values: dict[str, Any], reason: str, before: dict[str, Any] | None = None, ticket_id: int | None = None) -> Event:
        """An event saying which targets apply, where they come from, and the deadlines."""
        details: dict[str, Any] = {
            "reason": reason,
            "sla": json.loads(values["sla"]),
            "after": {"respond_by": values["respond_by"], "resolve_by": values["resolve_by"]},
        }
        if before is not None:
            details["before"] = {"respond_by": before["respond_by"], "resolve_by": before["resolve_by"]}
        return self._event("deadlines", details, ticket_id)

    def _recompute(
        self,
        rows: list[dict[str, Any]],
        reason: str,
        calendars: Calendars | None = None,
        planned: dict[int, tuple[str, dict[str, Any]]] | None = None,
        restamp: bool = False,
    ) -> list[TicketChange]:
        """Changes that bring open tickets' deadlines in line with the policy (only those
        that move). `planned` holds deadlines worked out earlier, by ticket id with the
        `updated_at` they were worked out from; they are used while still current."""
        from supportdesk import sla

        calendars = calendars or self.calendars
        planned = planned or {}
        changes = []
        for row in rows:
            known = planned.get(row["id"])
            fresh = known[1] if known and known[0] == row["updated_at"] else sla.plan_for_row(calendars, row, self.now)
            values = fresh | {"policy_version": self.policy_version_id}
            # Only tickets whose deadlines move change (and get an event); the others keep
            # the policy version their deadlines came from.
            keys = ("respond_by", "resolve_by", "due_at", "risk_at", "priority_rank", "sla")
            # With `restamp` (an input such as the package changed) a ticket also moves to
            # the version in force, so that its version still says where its deadlines came from.
            stale = restamp and row.get("policy_version") != values["policy_version"]
            if all(values[k] == row.get(k) for k in keys) and not stale:
                continue
            changes.append(self._change(row, values, [self._deadline_event(values, reason, row, row["id"])]))
        return changes

    def _writing(self, dry_run: bool):
        from contextlib import nullcontext

        return nullcontext() if dry_run else self._transaction()

    def _require_admin(self, what: str) -> None:
        require_admin(self.actor, what)

    def _require_agent(self, what: str) -> None:
        require_agent(self.actor, what)
