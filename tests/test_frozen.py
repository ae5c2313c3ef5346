"""Frozen records (`supportdesk.frozen`): what `@dataclass(frozen=True)` promised, cheaper."""

from __future__ import annotations

import dataclasses

import pytest

from supportdesk.frozen import Record, record


@record
class Point(Record):
    x: int
    y: int = 0
    tags: list[str] = dataclasses.field(default_factory=list)
    note: str = dataclasses.field(default="", compare=False)


def test_records_are_built_compared_hashed_and_replaced_like_dataclasses():
    p = Point(1, tags=["a"])
    assert (p.x, p.y, p.tags, p.note) == (1, 0, ["a"], "")
    assert Point(1) == Point(1, 0) and Point(1) != Point(2) and Point(1, note="x") == Point(1)
    assert Point(1).tags is not Point(1).tags  # a fresh list each time
    assert hash(Point(1, 2, ())) == hash(Point(1, 2, ()))
    assert dataclasses.replace(p, y=5) == Point(1, 5, ["a"])
    assert [f.name for f in dataclasses.fields(Point)] == ["x", "y", "tags", "note"]
    assert repr(Point(1)) == "Point(x=1, y=0, tags=[], note='')"


def test_records_are_frozen_and_refuse_wrong_arguments():
    p = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del p.x
    for args, kwargs in (((), {}), ((1, 2, [], "", 5), {}), ((1,), {"x": 1}), ((1,), {"z": 1})):
        with pytest.raises(TypeError):
            Point(*args, **kwargs)
