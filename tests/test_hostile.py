"""Hostile inputs against the real CLI: properties every command keeps, whatever it is given.

The strategies, the shared desk and the checks are in hostile_harness.py (shared with
`python benchmarks/hostile.py --examples 10000`, the long run). Here a bounded,
derandomized number of cases per command runs in CI; then the regression tests of the
defects that hostile runs found and that are fixed, and the reminders of those found in
files this suite does not own (KNOWN_DEFECTS: reported with a proposed patch).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import EXAMPLES, Cli
from hostile_harness import COMMANDS, KNOWN_DEFECTS, Case, Harness, Step, known_defect
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from supportdesk.cli import app

# Examples per command in CI (under a minute in all on two cores); the benchmark runs more.
EXAMPLES_PER_COMMAND = 12
FEWER = {"demo": 3, "init": 6, "policy extreme": 5, "policy apply": 8}
MORE = {"file": 20, "list": 20, "close": 16, "clock": 16, "policy check": 16}


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Harness:
    """One shared desk for the module; every case runs on a fresh copy of it."""
    return Harness(tmp_path_factory.mktemp("hostile"))


def _unexplained(case: Case, problems: list[str]) -> list[str]:
    return [p for p in problems if known_defect(case, p) is None]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_hostile_inputs_keep_every_promise(harness, command, frozen_clock):
    """Documented exit code, no traceback, one `error:` line and an unchanged desk on
    failure, no raw control/escape/bidi character in human output, JSON that loads and
    gives back what was filed. (A case drawn without --now acts when the clock, stood
    still at FROZEN, says: the same every run.)"""
    count = FEWER.get(command) or MORE.get(command) or EXAMPLES_PER_COMMAND

    @settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )
    @given(case=COMMANDS[command])
    def check(case: Case) -> None:
        outcome = harness.run(case)
        problems = _unexplained(case, outcome.problems)
        assert not problems, "\n".join(problems) + "\n  input: " + case.short()

    check()


# ---- regressions: defects found by hostile runs, fixed -------------------------------------

BASE = (EXAMPLES / "hosting-general.toml").read_text(encoding="utf-8")
NOW = "2026-11-20T15:00"  # after the desks' history (the `cli` desk's, the shared desk's)


def _one_error_line(result) -> str:
    assert "Traceback" not in result.output
    lines = result.stderr.split("\n")
    assert len(lines) == 2 and lines[1] == "" and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_policy_check_that_fails_ends_in_one_error_line(bare_cli, tmp_path):
    """It printed one verdict line per file on stderr, so a failure was several lines."""
    bad = tmp_path / "bad.toml"
    bad.write_text(BASE.replace('timezone = "Europe/Istanbul"', 'timezone = "Mars/Olympus"'), encoding="utf-8")
    good = EXAMPLES / "sitecom.toml"
    result = bare_cli("policy", "check", str(good), str(bad), "nope\n.toml")
    assert result.exit_code == 2
    line = _one_error_line(result)
    assert f"{good}: ok" in line and f"{bad}: 1 error(s)" in line and "nope\\x0a.toml: 1 error(s)" in line
    assert "unknown time zone 'Mars/Olympus'" in result.stdout  # the problems themselves
    as_json = bare_cli("policy", "check", str(bad), "--json")
    assert as_json.exit_code == 2 and json.loads(as_json.stdout)[0]["valid"] is False
    assert "listed in the JSON" in _one_error_line(as_json)
    kept = EXAMPLES / "introserv.toml"
    passing = bare_cli.ok("policy", "check", str(kept))
    # One verdict line: ok (every rule of it is acted on since the e-mail channel: no warnings).
    assert passing.stderr == f"{kept}: ok\n"


def test_policy_show_json_is_json_when_the_policy_holds_c1_and_bidi_text(cli, tmp_path):
    """It was written through the inert stream: a C1 character became `\\x9b`, not JSON."""
    name = "Desk \x9b31m \u202eevil \x85 end"
    path = tmp_path / "c1.toml"
    path.write_text(BASE.replace('name = "Hosting General"', 'name = "Desk \\u009b31m \\u202eevil \\u0085 end"', 1), encoding="utf-8")
    cli.ok("policy", "apply", str(path), now="2026-11-20T09:00")
    raw = cli.ok("policy", "show", "--json", now=NOW).stdout
    assert json.loads(raw)["policy"]["desk"]["name"] == name
    assert not any(c in raw for c in "\x9b\u202e\x85\x1b")
    shown = cli.ok("policy", "show", now=NOW).stdout
    assert "\x9b" not in shown and "\u202e" not in shown


@pytest.mark.parametrize(
    "args",
    [
        ("policy", "show", "--version", "99999999999999999999"),
        ("policy", "diff", "1", "99999999999999999999"),
        ("policy", "diff", "--", "-99999999999999999999"),
        ("oncall", "override", "remove", "18446744073709551616"),
        ("oncall", "override", "remove", "--", "-99999999999999999999"),
    ],
)
def test_numbers_beyond_sqlites_integers_are_refused_not_a_crash(cli, args):
    """They reached SQLite and came back as OverflowError: exit 70."""
    cli.refused(2, "is beyond any", *args, now=NOW)


def test_a_policy_file_name_with_nul_is_refused(cli):
    """Path('\\x00').read_text raised ValueError: exit 70."""
    for args in (("policy", "apply", "\x00"), ("clock", "open", "--calendar-file", "\x00"), ("init", "--db", "new.db", "--policy", "\x00")):
        result = cli(*args, now=NOW)
        assert result.exit_code == 2, result.output
        assert "NUL character" in _one_error_line(result)
    check = cli("policy", "check", "a\x00b")
    assert check.exit_code == 2 and "contains a NUL character" in check.stdout
    _one_error_line(check)


@pytest.mark.parametrize("opening", ["[", "{a="])
def test_a_policy_nested_too_deeply_is_invalid_not_a_crash(cli, tmp_path, opening):
    """tomllib recurses once per level: RecursionError, exit 70, for policy check,
    policy apply, init --policy and --calendar-file."""
    closing = "]" if opening == "[" else "}"
    path = tmp_path / "deep.toml"
    path.write_text(BASE + "\n[limits]\nx = " + opening * 5000 + ("1" if opening != "[" else "") + closing * 5000 + "\n")
    check = cli("policy", "check", str(path))
    assert check.exit_code == 2 and "nested too deeply" in check.stdout
    _one_error_line(check)
    cli.refused(2, "nested too deeply", "policy", "apply", str(path), now=NOW)
    cli.refused(2, "nested too deeply", "oncall", "now", "--calendar-file", str(path), now=NOW)
    fresh = Cli(tmp_path / "new.db")
    fresh.refused(2, "nested too deeply", "init", "--policy", str(path), now=NOW)
    assert not (tmp_path / "new.db").exists()


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        # A rank is stored on every ticket: 10**20 overflowed SQLite in policy apply (exit 70).
        (lambda t: t.replace('name = "critical"\n', 'name = "critical"\nrank = 99999999999999999999\n', 1), "priorities[0].rank: must be between 1"),
        (lambda t: t.replace('name = "critical"\n', 'name = "critical"\nrank = 0\n', 1), "priorities[0].rank: must be between 1"),
        # The reopen window became a timedelta: OverflowError in `reopen` (exit 70).
        (lambda t: t.replace("within_days = 30", "within_days = 99999999999999999999"), "rules.reopen.within_days: must be at most 36500 days"),
        (lambda t: t.replace("claim_within_days = 7", "claim_within_days = 36501") if "claim_within_days = 7" in t else t + "\n[rules.sla_credit]\nclaim_within_days = 36501\n", "claim_within_days: must be at most 36500 days"),
        # A one-minute shift made `oncall schedule --days 366` walk 500 000 hand-offs (minutes).
        (lambda t: t.replace('shift = "1w"', 'shift = "1m"'), "rotations.on-duty.shift: a shift must last at least 1h"),
    ],
)
def test_policy_numbers_that_broke_the_desk_are_refused(cli, tmp_path, edit, fragment):
    path = tmp_path / "edge.toml"
    text = edit(BASE)
    assert text != BASE
    path.write_text(text, encoding="utf-8")
    cli.refused(2, fragment, "policy", "apply", str(path), now="2026-11-20T15:00")
    result = cli("policy", "check", str(path))
    assert result.exit_code == 2 and fragment in result.stdout


def test_the_edges_of_those_numbers_are_accepted(cli, tmp_path):
    path = tmp_path / "edge.toml"
    path.write_text(
        BASE.replace('name = "low"\n', 'name = "low"\nrank = 1000\n', 1).replace("within_days = 30", "within_days = 36500").replace('shift = "1w"', 'shift = "1h"'),
        encoding="utf-8",
    )
    cli.ok("policy", "apply", str(path), now="2026-11-20T09:00")
    cli.ok("oncall", "schedule", "--days", "14", now="2026-11-20T09:00")


def test_a_calendar_file_whose_desk_is_not_a_table_is_invalid(cli, tmp_path):
    """`desk = "Mars/Olympus"` in a --calendar-file: TypeError (not a mapping), exit 70."""
    path = tmp_path / "cal.toml"
    path.write_text('desk = "Mars/Olympus"\n', encoding="utf-8")
    for args in (("clock", "open"), ("oncall", "now"), ("clock", "add", "4h")):
        cli.refused(2, "desk: expected a table, got text", *args, "--calendar-file", str(path), now=NOW)


def test_the_harness_sees_a_change_to_the_desk(harness, tmp_path):
    """The desk check works: a step that changes the desk and then fails is caught."""
    case = Case("self-test", [Step(["reply", "13", "-m", "x"]), Step(["show", "999"])], now="2026-11-20T15:00")
    outcome = harness.run(case)
    assert outcome.codes == [0, 3] and not outcome.problems
    before = harness.base.read_bytes()
    desk = harness.work / "desk.db"
    desk.write_bytes(before)
    state = harness._state(desk)
    conn = sqlite3.connect(desk)
    conn.execute("UPDATE tickets SET subject = 'changed' WHERE id = 1")
    conn.commit()
    conn.close()
    result = CliRunner().invoke(app, ["--db", str(desk), "--now", NOW, "show", "abc"], env={"SUPPORTDESK_USER": "tester"})
    problems = harness.check(Step(["show", "abc"]), result, state, desk)
    assert any("changed the desk file" in p and "changed" in p for p in problems), problems


# ---- defects the suite found outside its files, now fixed -----------------------------------
# Each input once crashed (exit 70) or broke the --json contract.

FIXED_INPUTS = {
    "limit-overflow": Case("list", [Step(["list", "--limit", "99999999999999999999"])], now="2026-11-20T15:00"),
    "close-json-nothing": Case("close", [Step(["close", "--stdin", "--json"], stdin=b"", mode="json")], now="2026-11-20T15:00"),
    "close-stdin-deep-json": Case("close", [Step(["close", "--stdin", "--dry-run"], stdin=b"[" * 5000 + b"]" * 5000)], now="2026-11-20T15:00"),
    "user-not-utf8": Case("list", [Step(["list"])], now="2026-11-20T15:00", env={"SUPPORTDESK_USER": b"ab\xffcd".decode("utf-8", "surrogateescape")}),
}


@pytest.mark.parametrize("label", sorted(FIXED_INPUTS))
def test_defects_found_outside_the_suite_stay_fixed(harness, label):
    outcome = harness.run(FIXED_INPUTS[label])
    assert not outcome.problems, outcome.problems


def test_no_failure_is_waived():
    assert KNOWN_DEFECTS == {}


def test_strategies_reach_every_command():
    """Each strategy draws cases (a quick smoke check of the generators themselves)."""
    seen = set()

    @settings(max_examples=len(COMMANDS) * 3, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(sorted(COMMANDS)).flatmap(lambda name: COMMANDS[name].map(lambda case: (name, case))))
    def draw(pair):
        name, case = pair
        assert case.steps and all(step.args for step in case.steps)
        seen.add(name)

    draw()
    assert len(seen) > len(COMMANDS) // 2


def test_the_benchmark_counts_what_it_tries(tmp_path, monkeypatch, capsys, frozen_clock):
    """benchmarks/hostile.py runs, counts per command, and reports (a tiny run, as a
    script in this process, so that its cases without --now act at the still clock)."""
    import runpy
    import sys

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "hostile.py"
    argv = ["--examples", "4", "--seed", "7", "--command", "show", "--command", "clock", "--allow-known"]
    monkeypatch.setattr(sys, "argv", [str(script), *argv])
    monkeypatch.setattr(sys, "path", list(sys.path))  # the script puts tests/ and the repository first
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr()
    assert done.value.code == 0, out.out + out.err
    assert "tried" in out.out and "per command: show" in out.out
