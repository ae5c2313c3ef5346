"""Frozen records that are cheap to declare.

`@dataclass(frozen=True)` writes each class's `__init__`, `__eq__`, `__hash__`,
`__repr__`, `__setattr__` and `__delattr__` as source and compiles it: about half a
millisecond a class, and a command's start-up imports a few dozen. `@record` keeps the
dataclass machinery (`fields`, `replace`, field metadata, defaults and factories) but
gives the class these methods from `Record`, written once.
"""

from __future__ import annotations

from dataclasses import MISSING, FrozenInstanceError, dataclass, fields
from typing import Any


class Record:
    """Base of frozen records: compared and hashed by their fields."""

    _fields: tuple[tuple[str, Any, Any, bool], ...] = ()  # (name, default, factory, keyword-only)
    _compared: tuple[str, ...] = ()
    _names: frozenset[str] = frozenset()

    _positional: tuple[str, ...] = ()  # the names of the fields that may be given by position

    _all: tuple[str, ...] = ()  # every field's name, in order (empty when some are keyword-only)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and not kwargs and len(args) == len(self._all):
            # Every field given by position (bulk operations make records by the
            # hundred thousand): one update of the instance's dictionary.
            self.__dict__.update(zip(self._all, args))
            return
        spec = self._fields
        positional = self._positional
        if len(args) > len(positional):
            raise TypeError(f"{type(self).__name__}() takes {len(positional)} positional arguments, {len(args)} given")
        values = dict(zip(positional, args))
        for name, value in kwargs.items():
            if name in values or name not in self._names:
                raise TypeError(f"{type(self).__name__}() got an unexpected or repeated argument {name!r}")
            values[name] = value
        for name, default, factory, _ in spec:
            if name in values:
                value = values[name]
            elif default is not MISSING:
                value = default
            elif factory is not MISSING:
                value = factory()
            else:
                raise TypeError(f"{type(self).__name__}() missing argument {name!r}")
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._compared)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        shown = ", ".join(f"{f[0]}={getattr(self, f[0])!r}" for f in self._fields)
        return f"{type(self).__name__}({shown})"


def record(cls: type | None = None, *, kw_only: bool = False) -> Any:
    """Declare a frozen record (a subclass of Record) with dataclass fields."""

    def wrap(cls: type) -> type:
        made = dataclass(cls, init=False, repr=False, eq=False, kw_only=kw_only)
        declared = fields(made)
        made._fields = tuple((f.name, f.default, f.default_factory, f.kw_only) for f in declared)
        made._compared = tuple(f.name for f in declared if f.compare)
        made._positional = tuple(f.name for f in declared if not f.kw_only)
        made._names = frozenset(f.name for f in declared)
        made._all = tuple(f.name for f in declared) if all(not f.kw_only for f in declared) else ()
        return made

    return wrap if cls is None else wrap(cls)
