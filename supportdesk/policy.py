"""The desk's policy: TOML text in, a validated frozen Policy out. Pure."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from supportdesk.errors import InvalidInput

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.toml")


@dataclass(frozen=True)
class Priority:
    """A priority: its name, rank (1 is most urgent) and what it means."""

    name: str
    rank: int
    meaning: str = ""


@dataclass(frozen=True)
class Department:
    """A department tickets are filed to."""

    name: str
    label: str


@dataclass(frozen=True)
class Channel:
    """A way tickets arrive: ticket, e-mail, chat, phone."""

    name: str


@dataclass(frozen=True)
class Policy:
    """Everything a desk enforces."""

    name: str
    timezone: str
    priorities: tuple[Priority, ...]
    departments: tuple[Department, ...]
    channels: tuple[Channel, ...]
    default_priority: str
    default_department: str
    default_channel: str
    reopen_within_days: int | None  # None: any time; 0: never

    @cached_property
    def zone(self) -> ZoneInfo:
        """The desk's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def priority_names(self) -> tuple[str, ...]:
        """Priority names, most urgent first."""
        return tuple(p.name for p in sorted(self.priorities, key=lambda p: p.rank))

    @property
    def department_names(self) -> tuple[str, ...]:
        """Department names as the policy lists them."""
        return tuple(d.name for d in self.departments)

    @property
    def channel_names(self) -> tuple[str, ...]:
        """Channel names as the policy lists them."""
        return tuple(c.name for c in self.channels)

    def priority(self, name: str) -> Priority:
        """The priority called `name` (KeyError when unknown)."""
        return next(p for p in self.priorities if p.name == name)


def policy_digest(text: str) -> str:
    """The SHA-256 of a policy's text, to tell versions apart."""
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _names(items: list[dict[str, Any]], section: str) -> list[str]:
    names = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InvalidInput(f"{section}[{i}]: needs a name, e.g. name = \"high\"")
        names.append(item["name"].strip().lower())
    if len(set(names)) != len(names):
        raise InvalidInput(f"{section}: names must be unique, got {', '.join(names)}")
    if not names:
        raise InvalidInput(f"{section}: the policy needs at least one")
    return names


def load_policy(text: str, source: str = "<policy>") -> Policy:
    """Parse and validate policy TOML; InvalidInput names the first problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"{source}: not valid TOML: {error}") from None
    try:
        return _build(data)
    except InvalidInput as error:
        raise InvalidInput(f"{source}: {error}") from None


def _build(data: dict[str, Any]) -> Policy:
    desk = data.get("desk", {})
    timezone = desk.get("timezone", "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"desk.timezone: unknown time zone {timezone!r}; use an IANA name such as Europe/Istanbul"
        ) from None
    raw_priorities = data.get("priorities", [])
    pnames = _names(raw_priorities, "priorities")
    priorities = tuple(
        Priority(name=n, rank=int(p.get("rank", i + 1)), meaning=p.get("meaning", ""))
        for i, (n, p) in enumerate(zip(pnames, raw_priorities, strict=True))
    )
    raw_departments = data.get("departments", [])
    dnames = _names(raw_departments, "departments")
    departments = tuple(
        Department(name=n, label=d.get("label", n.title()))
        for n, d in zip(dnames, raw_departments, strict=True)
    )
    channels = tuple(Channel(n) for n in _names(data.get("channels", []), "channels"))
    defaults = data.get("defaults", {})
    default_priority = defaults.get("priority", priorities[-1].name)
    default_department = defaults.get("department", departments[0].name)
    default_channel = defaults.get("channel", channels[0].name)
    for key, value, known in (
        ("priority", default_priority, pnames),
        ("department", default_department, dnames),
        ("channel", default_channel, [c.name for c in channels]),
    ):
        if value not in known:
            raise InvalidInput(f"defaults.{key}: {value!r} is not one of {', '.join(known)}")
    reopen = data.get("rules", {}).get("reopen", {})
    within = reopen.get("within_days")
    return Policy(
        name=desk.get("name", "supportdesk"),
        timezone=timezone,
        priorities=priorities,
        departments=departments,
        channels=channels,
        default_priority=default_priority,
        default_department=default_department,
        default_channel=default_channel,
        reopen_within_days=None if within is None else int(within),
    )


def read_policy_file(path: Path) -> str:
    """The text of a policy file, or InvalidInput naming why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"no policy file at {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"cannot read policy file {path}: {error}") from None
