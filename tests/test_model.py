"""The ticket state machine and the values around it."""

from __future__ import annotations

import pytest

from supportdesk.errors import InvalidInput, Refused
from supportdesk.model import (
    Action,
    CloseReason,
    Status,
    next_status,
    parse_close_reason,
    parse_statuses,
    ticket_json,
    transition,
)


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        ("new", Action.RESPOND, "open"),
        ("pending", Action.RESPOND, "pending"),
        ("open", Action.WAIT, "pending"),
        ("new", Action.WAIT, "pending"),
        ("pending", Action.RESUME, "open"),
        ("open", Action.RESOLVE, "resolved"),
        ("resolved", Action.RESOLVE, "closed"),
        ("pending", Action.CLOSE, "closed"),
        ("resolved", Action.REOPEN, "open"),
        ("closed", Action.REOPEN, "open"),
    ],
)
def test_legal_transitions(status, action, expected):
    assert transition(7, status, action) == Status(expected)


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("closed", Action.RESPOND),
        ("resolved", Action.RESPOND),
        ("pending", Action.WAIT),
        ("open", Action.RESUME),
        ("closed", Action.CLOSE),
        ("closed", Action.RESOLVE),
        ("open", Action.REOPEN),
        ("new", Action.REOPEN),
    ],
)
def test_illegal_transitions_name_the_current_state(status, action):
    assert next_status(status, action) is None
    with pytest.raises(Refused, match=f"ticket #7 is {status}: (it cannot|there is nothing)") as refused:
        transition(7, status, action)
    assert f"cannot {action.value} it" not in str(refused.value)  # reads as English


def test_close_reasons():
    assert parse_close_reason(" Out-Of-Scope ") is CloseReason.OUT_OF_SCOPE
    with pytest.raises(InvalidInput, match="use one of: resolved, duplicate"):
        parse_close_reason("fixed")


def test_statuses_parse_with_the_active_alias():
    assert parse_statuses("active,closed") == (Status.NEW, Status.OPEN, Status.PENDING, Status.CLOSED)
    assert parse_statuses("open, open") == (Status.OPEN,)
    with pytest.raises(InvalidInput, match="--status is empty"):
        parse_statuses(" , ")


def test_ticket_json_shapes_lists_and_defaults():
    row = {"id": 1, "flags": '["missing-info"]', "fields": '{"ip": "1.2.3.4"}', "escalation_level": None}
    data = ticket_json(row)
    assert data["flags"] == ["missing-info"]
    assert data["fields"] == {"ip": "1.2.3.4"}
    assert data["escalation_level"] == 0
    assert data["assignee"] is None
