"""A validated policy compiled to JSON, once per policy version, and read back without
parsing or validating TOML. Pure.

The JSON names each object's class (only the policy model's classes are accepted) and
marks the few values JSON lacks: durations, dates and sets. A compiled text carries a
fingerprint of the model's fields (a CRC of their names: it tells models apart, it is not
a security check); when the model changes, older compiled texts no
longer match and the policy is read from its TOML again.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import date, timedelta
from typing import Any

from supportdesk.clock import CalendarSpec, HolidayRule, Hours
from supportdesk.oncall import Layer, Rotation
from supportdesk.policy import (
    AbuseRule,
    AfterDelivery,
    Channel,
    CreditRule,
    Department,
    DuplicateRule,
    EscalationLevel,
    FineRule,
    Package,
    Policy,
    Priority,
    Problem,
    ResellerRule,
    Rules,
    Scope,
)

# Bump when what a compiled policy means changes without its fields changing.
COMPILER = 1
MODEL = {
    cls.__name__: cls
    for cls in (
        Policy, Priority, Department, Channel, Package, AfterDelivery, Scope, ResellerRule, DuplicateRule, AbuseRule,
        FineRule, CreditRule, Rules, EscalationLevel, CalendarSpec, HolidayRule, Hours, Rotation, Layer, Problem,
    )
}


def fingerprint() -> str:
    """What compiled texts must match: the compiler version and every model field."""
    shape = ";".join(f"{name}:{','.join(f.name for f in fields(cls))}" for name, cls in sorted(MODEL.items()))
    return f"{COMPILER}-{zlib.crc32(shape.encode()):08x}"


FINGERPRINT = fingerprint()


def _encode(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if MODEL.get(name) is not type(value):
            raise TypeError(f"{name} is not part of the policy model")
        return {"@": name} | {f.name: _encode(getattr(value, f.name)) for f in fields(value) if f.init}
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    if isinstance(value, frozenset):
        return {"@set": [_encode(v) for v in sorted(value)]}
    if isinstance(value, timedelta):
        return {"@seconds": value.total_seconds()}
    if isinstance(value, date):
        return {"@date": value.isoformat()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot compile a {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    if not isinstance(value, dict):
        return value
    if "@" in value:
        cls = MODEL[value["@"]]
        return cls(**{k: _decode(v) for k, v in value.items() if k != "@"})
    if "@seconds" in value:
        return timedelta(seconds=value["@seconds"])
    if "@date" in value:
        return date.fromisoformat(value["@date"])
    if "@set" in value:
        return frozenset(_decode(v) for v in value["@set"])
    raise ValueError("unknown value in a compiled policy")


def compile_policy(policy: Policy) -> str:
    """The policy as compiled JSON, with the model's fingerprint."""
    return json.dumps({"model": FINGERPRINT, "policy": _encode(policy)}, separators=(",", ":"), ensure_ascii=False)


def read_compiled(text: str | None) -> Policy | None:
    """The policy a compiled text holds; None when there is none, it was compiled for
    another model, or it cannot be read (then the TOML is read instead)."""
    if not text:
        return None
    try:
        data = json.loads(text)
        if data.get("model") != FINGERPRINT:
            return None
        policy = _decode(data["policy"])
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
    return policy if isinstance(policy, Policy) else None


def stored_policy(row: dict[str, Any], keep: Callable[[int, str], None] | None = None) -> Policy:
    """The policy of a stored version: compiled when it can be, else read from its TOML
    (and, with `keep`, compiled and handed to it to store, so that the next read is fast)."""
    policy = read_compiled(row.get("compiled"))
    if policy is not None:
        return policy
    from supportdesk.policy_read import load_policy

    policy = load_policy(row["toml"], f"policy version {row['id']}", verify_holidays=False)
    if keep is not None:
        keep(row["id"], compile_policy(policy))
    return policy
