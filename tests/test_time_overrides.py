"""On-call overrides given with weekday phrases, shown in local time, never added twice."""

from __future__ import annotations

import pytest

from conftest import Cli, api

SATURDAY = "2026-11-21T10:00"
THURSDAY = "2026-11-19T10:00"
README_ARGS = ("oncall", "override", "add", "cem", "--layer", "on-duty", "--from", "fri 18:00", "--until", "mon 09:00")


@pytest.fixture
def staffed(cli) -> Cli:
    with api(cli) as do:
        do.agents("ayse", "burak", "cem", "deniz")
    return cli


def test_the_readme_override_on_a_saturday_says_what_each_instant_was_read_as(staffed):
    line = staffed.refused(2, "", *README_ARGS, "--reason", "swap with burak", now=SATURDAY)
    assert line == (
        "error: --from 'fri 18:00' is Fri 27 Nov 2026 18:00 +03 but --until 'mon 09:00' is Mon 23 Nov 2026 09:00 +03; "
        "the override must end after it starts: give a later --until, or --from 'last fri 18:00' for the one before"
    )
    # and the way out it names works
    staffed.ok("oncall", "override", "add", "cem", "--layer", "on-duty", "--from", "last fri 18:00", "--until", "mon 09:00", now=SATURDAY)


def test_the_refusal_quotes_the_instants_as_typed(staffed):
    line = staffed.refused(
        2, "--from 'FRI 18:00' is Fri 27 Nov 2026 18:00 +03 but --until '2026-11-23T09:00' is Mon 23 Nov 2026 09:00 +03",
        "oncall", "override", "add", "cem", "--layer", "on-duty", "--from", "FRI 18:00", "--until", "2026-11-23T09:00",
        now=SATURDAY,
    )
    assert "--from 'last FRI 18:00'" in line
    line = staffed.refused(
        2, "--from '2026-11-24T09:00' is Tue 24 Nov 2026 09:00 +03 but --until '2026-11-24T09:00' is Tue 24 Nov 2026 09:00 +03",
        "oncall", "override", "add", "cem", "--layer", "on-duty", "--from", "2026-11-24T09:00", "--until", "2026-11-24T09:00",
        now=SATURDAY,
    )
    assert line.endswith("give a later --until or an earlier --from")
    staffed.refused(
        2, "--until '-1h' is Sat 21 Nov 2026 09:00 +03 and now is Sat 21 Nov 2026 10:00 +03: the override would end in the past",
        "oncall", "override", "add", "cem", "--layer", "on-duty", "--from", "-2h", "--until", "-1h", now=SATURDAY,
    )
    staffed.refused(2, "--until: cannot read time 'Mon 9h'", "oncall", "override", "add", "cem", "--layer", "on-duty",
                    "--from", "fri 18:00", "--until", "Mon 9h", now=SATURDAY)


def test_an_identical_override_is_not_added_twice(staffed):
    staffed.ok(*README_ARGS, "--reason", "swap with burak", now=THURSDAY)
    staffed.refused(
        1, "cem already covers on-duty from Fri 20 Nov 2026 18:00 +03 until Mon 23 Nov 2026 09:00 +03 (override 1)",
        *README_ARGS, "--reason", "another reason", now=THURSDAY,
    )
    assert len(staffed.json("oncall", "override", "list", now=THURSDAY)) == 1
    # another person, layer or span is another override; a removed one no longer counts
    staffed.ok("oncall", "override", "add", "ayse", "--layer", "on-duty", "--from", "fri 18:00", "--until", "mon 09:00", now=THURSDAY)
    staffed.ok("oncall", "override", "add", "cem", "--layer", "on-duty", "--from", "fri 18:00", "--until", "mon 10:00", now=THURSDAY)
    staffed.ok("oncall", "override", "remove", "1", now=THURSDAY)
    added = staffed.json(*README_ARGS, now=THURSDAY)
    assert added["id"] == 4


def test_add_and_list_show_local_time_with_the_zone(staffed):
    result = staffed.ok(*README_ARGS, "--reason", "swap with burak", now=THURSDAY)
    assert result.stderr.strip() == "override 1: cem covers on-duty from Fri 20 Nov 2026 18:00 +03 until Mon 23 Nov 2026 09:00 +03"
    listed = staffed.ok("oncall", "override", "list", now=THURSDAY, env={"COLUMNS": "120"}).stdout
    assert "Fri 20 Nov 2026 18:00 +03" in listed and "Mon 23 Nov 2026 09:00 +03" in listed
    assert "2026-11-20T15:00:00Z" not in listed and "Z " not in listed
    # JSON keeps the stable UTC form
    assert staffed.json("oncall", "override", "list", now=THURSDAY)[0]["starts_at"] == "2026-11-20T15:00:00Z"
