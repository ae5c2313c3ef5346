"""The policy file: five examples, facts read back from them, and refusals that point at lines."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from conftest import EXAMPLES
from supportdesk.clock import Calendars
from supportdesk.policy import check_policy, load_policy, locate
from supportdesk.policy_read import NOT_ACTED_ON
from supportdesk.policy_text import dump_policy

H = timedelta(hours=1)
NAMES = ("hosting-general", "introserv", "kristalium", "sitecom", "websight")


@pytest.fixture(autouse=True)
def fixed_instant(monkeypatch):
    """Every command here acts at one fixed instant."""
    monkeypatch.setenv("SUPPORTDESK_NOW", "2026-11-20T10:00")


def example(name: str):
    return load_policy((EXAMPLES / f"{name}.toml").read_text(encoding="utf-8"), name)


# ---- the five examples ------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_each_example_loads_without_problems_and_round_trips(name):
    policy, problems = check_policy((EXAMPLES / f"{name}.toml").read_text(encoding="utf-8"), name)
    assert policy is not None and [p for p in problems if p.message != NOT_ACTED_ON] == [], problems
    text = dump_policy(policy)
    assert load_policy(text, "dump") == policy
    assert dump_policy(load_policy(text, "dump")) == text  # normalised: a fixed point


def test_policy_check_passes_all_five(bare_cli):
    result = bare_cli.ok("policy", "check", *(str(EXAMPLES / f"{n}.toml") for n in NAMES))
    # Every rule of the five is acted on (notifications.to since the e-mail channel): nothing to warn about.
    assert result.stdout == ""
    assert result.stderr.count(": ok") == 5


def test_hosting_general_facts():
    p = example("hosting-general")
    critical = p.priority("critical")
    assert (critical.respond, critical.resolve, critical.page_on_call) == (H, 4 * H, True)
    assert [(x.name, x.respond, x.resolve) for x in p.priorities] == [
        ("critical", H, 4 * H), ("high", 2 * H, 8 * H), ("normal", 4 * H, 24 * H), ("low", 24 * H, 48 * H),
    ]
    assert [(k.name, k.uptime, k.respond) for k in p.packages] == [
        ("starter", 99.9, 4 * H), ("standard", 99.95, 2 * H), ("premium", 99.97, H), ("enterprise", 99.99, timedelta(minutes=30)),
    ]
    assert [(k.migrations, k.migrations_paid) for k in p.packages][:3] == [(1, True), (3, False), ("unlimited", False)]
    assert p.channel("email").respond == 24 * H and p.channel("chat").calendar == "office"
    assert p.rules.sla_credit.claim_within_days == 7 and p.rules.sla_credit.form == "service-credit"
    assert "hacked-site-cleanup" in p.scope.out_of_scope and "ssl" in p.scope.in_scope
    assert p.languages == ("tr", "en")
    office = Calendars(p)("office")
    assert office.spec.week[0][0].start == 9 * 60 and office.spec.week[5] == ()


def test_sitecom_facts():
    p = example("sitecom")
    assert p.timezone == "Asia/Tehran"
    office = p.calendar_spec("office")
    assert [bool(day) for day in office.week] == [True, True, True, False, False, True, True]  # Sat–Wed
    assert office.holidays.country == "IR"
    assert p.priority_names == ("urgent", "important", "normal")
    assert {(x.respond, x.respond_outside) for x in p.priorities} == {(H, 3 * H)}
    assert (p.languages, p.required_script, p.verify_identity) == (("fa",), "arabic", True)
    assert p.department("technical").on_missing == "close"
    assert p.rules.reopen_within_days == 0 and p.rules.duplicates.action == "refuse"
    assert p.rules.fines.enabled and p.rules.fines.suspend_when_unpaid
    assert not p.channel("phone").files_tickets


def test_introserv_facts():
    p = example("introserv")
    assert Calendars(p)("always").zone.key == "Europe/Berlin"
    assert [(x.name, x.respond) for x in p.priorities] == [("high", timedelta(minutes=10)), ("regular", timedelta(minutes=10))]
    assert p.department_names == ("technical", "financial")
    technical = p.department("technical")
    assert technical.required_fields("high") == ("server_ip|order_number", "service_name", "started_at", "diagnostics")
    assert technical.required_fields("regular") == ()
    assert technical.on_missing == "refuse"
    assert p.channel("email").registered_sender_only and p.channel("email").respond == timedelta(minutes=30)
    assert p.notify_types == ("invoices", "support", "abuse")


def test_kristalium_facts():
    p = example("kristalium")
    team = p.calendar_spec("team")
    assert all(day and str(day[0]) == "09:00-18:00" for day in team.week)  # weekdays and weekends
    assert p.rules.reseller.end_customers_may_file is False
    assert p.rules.reseller.notify == ("customer", "reseller") and p.rules.reseller.reseller_channels == ("ticket",)
    assert p.rules.abuse.action == "ban" and dict(p.rules.abuse.patterns)["tr"]
    after = p.scope.after_delivery
    assert after.services == ("vps", "vds", "cloud", "dedicated") and after.unless_packages == ("sla-service", "managed")
    assert p.scope.discretion


def test_websight_is_kristalium_with_another_name():
    from dataclasses import replace

    kristalium, websight = example("kristalium"), example("websight")
    assert websight.name == "Websight"
    assert replace(websight, name="Kristalium") == kristalium


def test_init_with_sitecom_then_show(bare_cli):
    bare_cli.ok("init", "--policy", str(EXAMPLES / "sitecom.toml"))
    shown = bare_cli.ok("policy", "show").stdout
    for fact in ('name = "Site Com be Com"', 'timezone = "Asia/Tehran"', 'sat-wed = "09:00-17:00"', 'holidays = "IR"',
                 'name = "urgent"', 'respond_outside = "3h"', 'on_missing = "close"', "within_days = 0", 'required_script = "arabic"'):
        assert fact in shown, fact
    assert load_policy(shown, "shown") == example("sitecom")


def test_show_explain_annotates_every_key(cli):
    out = cli.ok("policy", "show", "--explain").stdout
    assert "# First-response target, e.g. \"1h\". (default: none)\nrespond = \"1h\"" in out
    assert "# required_script = none  (unset)" in out
    assert "# at_risk_share" not in out or "share of its target" in out


def test_show_json(cli):
    data = cli.json("policy", "show")
    assert data["version"] == 1 and data["policy"]["desk"]["name"] == "Hosting General"


# ---- init, apply, versions, diff ----------------------------------------------------------


def test_policy_init_writes_a_valid_starter(bare_cli, tmp_path):
    target = tmp_path / "mine.toml"
    bare_cli.ok("policy", "init", str(target))
    assert load_policy(target.read_text(), "mine").name == "My hosting desk"
    bare_cli.refused(1, "exists; choose another file or add --force", "policy", "init", str(target))
    bare_cli.ok("policy", "init", "--from", "introserv", "--force", str(target))
    assert target.read_text().startswith("# A supportdesk policy, started from the example introserv.")
    assert load_policy(target.read_text(), "mine") == example("introserv")
    assert 'name = "My hosting desk"' in bare_cli.ok("policy", "init").stdout
    bare_cli.refused(2, "unknown example 'nope'; use one of: hosting-general, introserv, kristalium, sitecom, websight", "policy", "init", "--from", "nope")


def test_policy_apply_versions_and_diff(cli, tmp_path):
    changed = tmp_path / "changed.toml"
    changed.write_text((EXAMPLES / "hosting-general.toml").read_text().replace('respond = "1h"\nresolve = "4h"', 'respond = "30m"\nresolve = "4h"'))
    assert cli.json("policy", "apply", str(changed), now="2026-11-20T10:00") == {"version": 2, "changed": True, "name": "Hosting General", "recomputed": 0}
    again = cli.ok("policy", "apply", str(changed))
    assert "already in force as version 2; nothing changed" in again.stderr
    versions = cli.json("policy", "versions")
    assert [(v["id"], v["applied_by"]) for v in versions] == [(1, "agent:tester"), (2, "agent:tester")]
    diff = cli.ok("policy", "diff").stdout
    assert '-respond = "1h"\n+respond = "30m"' in diff
    assert cli.ok("policy", "diff", "2", "2").stderr.strip() == "versions 2 and 2 are the same policy"
    assert [e["kind"] for e in cli.json("log") if e["ticket_id"] is None][-1] == "policy_applied"
    cli.refused(3, "no policy version 9", "policy", "show", "--version", "9")


def test_only_admins_apply_and_bad_files_change_nothing(cli, tmp_path):
    cli.ok("agent", "add", "burak")
    cli.refused(1, "only an admin may apply a policy", "policy", "apply", str(EXAMPLES / "sitecom.toml"), env={"SUPPORTDESK_USER": "burak"})
    broken = tmp_path / "broken.toml"
    broken.write_text('[desk]\ntimezone = "Mars/Olympus"\n')
    cli.refused(2, "broken.toml:2: desk.timezone: unknown time zone 'Mars/Olympus'", "policy", "apply", str(broken))
    cli.refused(3, "nothing to compare", "policy", "diff")


# ---- invalid policies: every problem at its line, exit 2, never a traceback ------------------

BASE = """\
[desk]
name = "Test"
timezone = "Europe/Istanbul"

[[priorities]]
name = "high"
respond = "1h"
resolve = "4h"

[[priorities]]
name = "low"
respond = "8h"

[[departments]]
name = "technical"

[[channels]]
name = "ticket"
"""

OFFICE = '\n[calendars.office]\nhours = { "mon-fri" = "09:00-18:00" }\n'
LAYERS = '\n[rotations.team]\nmembers = ["ayse"]\n\n[[oncall]]\nlayer = "office"\nrotation = "team"\n'

INVALID = [
    ("not toml", "this is not toml\n", 1, "not valid TOML"),
    ("wrong type", BASE.replace('name = "Test"', "name = 5"), 2, "desk.name: expected text, got a number"),
    ("did you mean", BASE.replace("timezone =", "timezon ="), 3, "desk.timezon: unknown key; did you mean 'timezone'?"),
    ("unknown section", BASE + "\n[priorites]\nx = 1\n", 20, "priorites: unknown section; did you mean 'priorities'?"),
    ("bad duration", BASE.replace('respond = "1h"', 'respond = "4x"'), 7, "priorities[0].respond: cannot read duration '4x'; e.g. 10m, 4h"),
    ("negative target", BASE.replace('respond = "8h"', 'respond = "-8h"'), 12, "priorities[1].respond: a duration cannot be negative"),
    ("bad time zone", BASE.replace("Europe/Istanbul", "Mars/Olympus"), 3, "desk.timezone: unknown time zone 'Mars/Olympus'; use an IANA name"),
    ("bad weekday", BASE + '\n[calendars.office]\nhours = { "funday" = "09:00-18:00" }\n', 21, "calendars.office.hours.funday: unknown weekday 'funday'"),
    ("bad hours", BASE + '\n[calendars.office]\nhours = { "mon" = "9-5" }\n', 21, "cannot read hours '9-5'; use HH:MM-HH:MM"),
    ("no priorities", BASE.split("[[priorities]]")[0] + "[[departments]]\nname = \"t\"\n\n[[channels]]\nname = \"ticket\"\n", None, "priorities: missing; the policy needs [[priorities]] entries"),
    ("twice", BASE.replace('name = "low"', 'name = "high"'), 11, "priorities[1].name: 'high' is defined twice"),
    ("default unknown", BASE + '\n[defaults]\npriority = "urgent"\n', 21, "defaults.priority: 'urgent' is not one of high, low"),
    ("priority calendar", BASE.replace('resolve = "4h"', 'resolve = "4h"\ncalendar = "office"'), 9, "priorities[0].calendar: unknown calendar 'office'"),
    ("outside needs office", BASE.replace('respond = "8h"', 'respond = "8h"\nrespond_outside = "12h"'), 13, "respond_outside: outside office hours needs the office calendar; set desk.calendar"),
    ("holiday country", BASE + OFFICE.replace("}\n", '}\nholidays = "XX"\n'), 22, "calendars.office.holidays: Country XX not available; use an ISO code python-holidays knows"),
    ("half day time", BASE + OFFICE.replace("}\n", '}\nhalf_day_close = "25:00"\n'), 22, "calendars.office.half_day_close: no such time of day '25:00'"),
    ("closed date", BASE + OFFICE.replace("}\n", '}\nclosed_dates = ["2024-13-01"]\n'), 22, "calendars.office.closed_dates[0]: cannot read date '2024-13-01'"),
    ("zero shift", BASE + '\n[rotations.team]\nmembers = ["ayse"]\nshift = "0"\n', 22, "rotations.team.shift: a shift must last longer than 0"),
    ("layer rotation", BASE + '\n[[oncall]]\nlayer = "office"\nrotation = "ghosts"\n', 22, "oncall[0].rotation: unknown rotation 'ghosts'; define [rotations.ghosts]"),
    ("layer when", BASE + LAYERS + 'when = "sometimes"\ncalendar = "always"\n', 26, "oncall[0].when: unknown value 'sometimes'; use open, closed or always"),
    ("layer calendar", BASE + LAYERS + 'when = "open"\n', 23, "oncall[0].calendar: a layer on duty when a calendar is open needs calendar"),
    ("on_missing", BASE.replace('name = "technical"', 'name = "technical"\non_missing = "ignore"'), 16, "departments[0].on_missing: unknown value 'ignore'; use one of: refuse, flag, close"),
    ("field name", BASE.replace('name = "technical"', 'name = "technical"\nfields = ["Server IP"]'), 16, "departments[0].fields: 'Server IP' is not a field name"),
    ("fields by priority", BASE.replace('name = "technical"', 'name = "technical"\nfields_by_priority = { urgent = ["server_ip"] }'), 16, "departments[0].fields_by_priority.urgent: unknown priority 'urgent'"),
    ("no filing channel", BASE.replace('name = "ticket"', 'name = "ticket"\nfiles_tickets = false'), 17, "channels: no channel files tickets"),
    ("uptime", BASE + '\n[[packages]]\nname = "gold"\nuptime = 120\n', 22, "packages[0].uptime: must be a percentage above 0 and at most 100, not 120"),
    ("migrations", BASE + '\n[[packages]]\nname = "gold"\nmigrations = "lots"\n', 22, "packages[0].migrations: expected a number or \"unlimited\""),
    ("scope overlap", BASE + '\n[scope]\nin_scope = ["dns"]\nout_of_scope = ["dns"]\n', 22, "scope.out_of_scope: dns cannot be both in and out of scope"),
    ("after delivery", BASE + '\n[scope.after_delivery]\nunless_packages = ["gold"]\n', 21, "scope.after_delivery.unless_packages: unknown package 'gold'"),
    ("reseller channel", BASE + '\n[rules.reseller]\nreseller_channels = ["fax"]\n', 21, "rules.reseller.reseller_channels: unknown channel 'fax'"),
    ("bad regex", BASE + '\n[rules.abuse]\npatterns = { en = ["(idiot"] }\n', 21, "rules.abuse.patterns.en: not a valid regular expression"),
    ("abuse action", BASE + '\n[rules.abuse]\naction = "kill"\n', 21, "rules.abuse.action: unknown value 'kill'; use one of: flag, close, ban"),
    ("at risk share", BASE + "\n[sla]\nat_risk_share = 1.5\n", 21, "sla.at_risk_share: must be between 0 and 1 (0.25 means 25 %), not 1.5"),
    ("escalation layer", BASE + '\n[[escalation.levels]]\nname = "support"\nlayers = ["office"]\n', 22, "escalation.levels[0].layers: unknown on-call layer 'office'"),
    ("language code", BASE.replace('name = "Test"', 'name = "Test"\nlanguages = ["persian"]'), 3, "desk.languages: 'persian' is not an ISO 639-1 language code"),
    ("script", BASE.replace('name = "Test"', 'name = "Test"\nrequired_script = "klingon"'), 3, "desk.required_script: unknown value 'klingon'"),
    ("rank clash", BASE.replace('name = "high"', 'name = "high"\nrank = 1').replace('name = "low"', 'name = "low"\nrank = 1'), 5, "priorities: two priorities share a rank"),
    ("not an array", 'priorities = "high"\n\n' + BASE.split("[[priorities]]")[0] + '[[departments]]\nname = "t"\n\n[[channels]]\nname = "ticket"\n', 1, "priorities: expected an array of tables ([[priorities]]), got text"),
    ("reopen negative", BASE + "\n[rules.reopen]\nwithin_days = -1\n", 21, "rules.reopen.within_days: must be 0 or more, not -1"),
    ("credit row", BASE + '\n[rules.sla_credit]\ntable = [{ outage = "1h" }]\n', 21, "rules.sla_credit.table[0].credit: missing"),
    ("desk calendar", BASE.replace('name = "Test"', 'name = "Test"\ncalendar = "office"'), 3, "desk.calendar: unknown calendar 'office'; define [calendars.office]"),
]


@pytest.mark.parametrize(("label", "text", "line", "fragment"), INVALID, ids=[case[0] for case in INVALID])
def test_invalid_policies_point_at_the_line(bare_cli, tmp_path, label, text, line, fragment):
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    result = bare_cli("policy", "check", str(path))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    hits = [row for row in result.stdout.splitlines() if fragment in row]
    assert hits, result.stdout
    where = f"{path}:{line}: " if line else f"{path}: "
    assert hits[0].startswith(where), hits[0]
    assert "error(s)" in result.stderr


def test_every_problem_is_listed_at_once(bare_cli, tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(BASE.replace('respond = "1h"', 'respond = "4x"').replace("Europe/Istanbul", "Mars/Olympus") + "\n[sla]\nat_risk_share = 2\n")
    out = bare_cli("policy", "check", str(path), "--json")
    assert out.exit_code == 2
    problems = json.loads(out.stdout)[0]["problems"]
    assert [(p["line"], p["path"]) for p in problems] == [(3, "desk.timezone"), (7, "priorities[0].respond"), (21, "sla.at_risk_share")]


def test_lint_warnings_do_not_fail(bare_cli, tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(
        BASE.replace('resolve = "4h"', 'resolve = "30m"')
        + '\n[calendars.office]\nhours = { "mon-fri" = "09:00-14:00, 13:00-18:00" }\n'
        + "\n[rotations.empty]\nmembers = []\n"
        + '\n[[packages]]\nname = "basic"\nrespond = "12h"\n'
    )
    result = bare_cli.ok("policy", "check", str(path))
    lines = result.stdout.splitlines()
    assert f"{path}:8: warning: priorities[0].resolve: the resolution target (30m) is shorter than the response target (1h)" in lines
    assert any(":21: warning: calendars.office.hours.mon-fri: hours 09:00-14:00 and 13:00-18:00 overlap; read as 09:00-18:00" in row for row in lines)
    assert any("warning: rotations.empty.members: the rotation is empty" in row for row in lines)
    assert any("warning: packages[0].respond: the guarantee (12h) is looser than every priority's response target" in row for row in lines)
    assert "ok, 4 warning(s)" in result.stderr
    policy = load_policy(path.read_text(), "p")
    assert str(policy.calendar_spec("office").week[0][0]) == "09:00-18:00"


def test_a_policy_error_on_init_is_one_line(bare_cli, tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(BASE.replace('respond = "1h"', 'respond = "4x"').replace("Europe/Istanbul", "Mars/Olympus"))
    line = bare_cli.refused(2, f"{path}:3: desk.timezone: unknown time zone", "init", "--policy", str(path))
    assert f"(and 1 more; see `supportdesk policy check {path}`)" in line
    assert not bare_cli.path.exists()


def test_check_a_missing_file_and_a_directory(bare_cli, tmp_path):
    result = bare_cli("policy", "check", "nope.toml", str(tmp_path))
    assert result.exit_code == 2
    assert "no policy file at nope.toml" in result.stdout and "is a directory" in result.stdout


def test_locate_finds_nested_paths():
    text = "[[departments]]\nname = \"a\"\n\n[[departments]]\nname = \"b\"\n\n[departments.field_help]\nx = \"y\"\n"
    assert locate(text, "departments[1].name") == 5
    assert locate(text, "departments[1].field_help.x") == 8
    assert locate(text, "departments") == 1


def test_calendar_dump_keeps_wrapping_weeks_together():
    policy = example("sitecom")
    assert 'sat-wed = "09:00-17:00"' in dump_policy(policy)
    assert policy.calendar_spec("office").special_hours == ()
    assert example("hosting-general").rotations[1].start == date(2024, 1, 1)


# ---- one declaration per key: the worked example of docs/architecture.md ----------------


def test_a_channel_target_may_replace_the_priority_target(tmp_path):
    """`channels[].respond_replaces`: declared once on Channel; read, dumped, explained
    and acted on (a 24 h e-mail target replaces a 1 h priority target)."""
    from supportdesk import Desk, TicketDraft
    from supportdesk.policy_text import explain_policy

    text = BASE.replace('name = "ticket"\n', 'name = "ticket"\n\n[[channels]]\nname = "email"\nrespond = "24h"\nrespond_replaces = true\n')
    policy = load_policy(text, "p")
    assert policy.channel("email").respond_replaces and not policy.channel("ticket").respond_replaces
    dumped = dump_policy(policy)
    assert "respond_replaces = true" in dumped and load_policy(dumped, "dump") == policy
    assert "# Its response target replaces the priority's instead of only capping it" in explain_policy(dumped)
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    now = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    with Desk.new(tmp_path / "desk.db", login="tester", policy=path, now=now) as desk:
        by_mail = desk.file_ticket(TicketDraft("Mail", "body", "ada@example.com", priority="high", channel="email"))
        by_ticket = desk.file_ticket(TicketDraft("Form", "body", "ada@example.com", priority="high", channel="ticket"))
    assert by_mail["respond_by"] == "2026-11-21T07:00:00Z"  # the channel's 24 h, not the priority's 1 h
    assert by_ticket["respond_by"] == "2026-11-20T08:00:00Z"
    refused = BASE.replace('name = "ticket"\n', 'name = "ticket"\nrespond_replaces = "yes"\n')
    assert check_policy(refused, "p")[1][0].message == "expected true or false, got text"


def test_notifications_to_is_acted_on_so_it_is_no_longer_said_not_to_be(bare_cli, tmp_path):
    # The e-mail channel acts on notifications.to (mail is answered by e-mail only when it
    # names email: tests/test_ingest_policies.py), so `policy check` no longer warns about it.
    path = tmp_path / "policy.toml"
    path.write_text(BASE + '\n[notifications]\nto = ["customer-area"]\n', encoding="utf-8")
    result = bare_cli.ok("policy", "check", str(path))
    assert result.stdout == "" and NOT_ACTED_ON not in result.output
    from supportdesk.policy_text import explain_policy

    explained = explain_policy(dump_policy(load_policy(path.read_text(), "p")))
    assert "# Where notifications go: customer-area, email… (empty: both)" in explained
    assert "Not acted on yet" not in explained
    assert "(unset) Languages tickets may be written in (ISO 639-1 codes); empty: any.\n" in explained  # acted on since the intake
    assert "# First-response target, e.g. \"1h\". (default: none)" in explained  # acted on: no such note


def test_every_declared_key_is_explained_and_checked_for_unknown_names():
    from supportdesk.policy_schema import REQUIRED
    from supportdesk.policy_text import KEY_TABLES

    assert set(KEY_TABLES) >= {"desk", "calendars.NAME", "rotations.NAME", "oncall[]", "priorities[]", "rules.reseller", "escalation.levels[]", "limits"}
    for table, keys in KEY_TABLES.items():
        assert keys, table
        for key in keys:
            assert key.help.endswith((".", ")", "…")), (table, key.name)
            assert key.default is REQUIRED or key.required is False
    problems = check_policy(BASE + "\n[[channels]]\nname = \"x\"\nrespnd = \"1h\"\n", "p")[1]
    assert problems[0].message == "unknown key; did you mean 'respond'?"


# ---- compiled once per version -----------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_a_compiled_policy_reads_back_equal(name):
    from supportdesk.policy_compiled import compile_policy, read_compiled

    policy = example(name)
    assert read_compiled(compile_policy(policy)) == policy


def test_a_compiled_policy_for_another_model_or_with_foreign_classes_is_not_used():
    from supportdesk.policy_compiled import compile_policy, read_compiled, stored_policy

    policy = example("introserv")
    compiled = json.loads(compile_policy(policy))
    assert read_compiled(json.dumps(compiled | {"model": "0" * 16})) is None
    compiled["policy"]["priorities"][0]["@"] = "Path"  # only the policy model's classes are built
    assert read_compiled(json.dumps(compiled)) is None
    assert read_compiled("not json") is None and read_compiled(None) is None
    toml = (EXAMPLES / "introserv.toml").read_text(encoding="utf-8")
    assert stored_policy({"id": 1, "toml": toml, "compiled": "garbage"}) == policy


def test_the_desk_reads_its_policy_compiled_and_never_writes_to_it(cli, monkeypatch):
    import dataclasses

    import supportdesk.policy_read as policy_read
    from supportdesk import Desk

    cli.ok("file", "-s", "Down", "-b", "503", "-c", "ada@example.com", now="2026-11-20T10:00")
    monkeypatch.setattr(policy_read, "load_policy", lambda *a, **k: pytest.fail("read the TOML again"))
    with Desk.connect(cli.path, login="tester", now=datetime(2026, 11, 21, 10, 0, tzinfo=UTC)) as desk:
        desk.time().calendar()
        desk.time().oncall() if desk.policy.layers else None
        assert desk.list_tickets(desk.filter())[1] == 1
        policy = desk.policy
        assert set(vars(policy)) == {f.name for f in dataclasses.fields(policy)}  # no caches written into it


def test_a_version_without_a_compiled_form_is_compiled_on_first_use(cli):
    import sqlite3

    conn = sqlite3.connect(cli.path)
    conn.execute("UPDATE policy_versions SET compiled = NULL")  # as a desk upgraded from schema 4
    conn.commit()
    conn.close()
    assert cli.json("policy", "show")["version"] == 1
    conn = sqlite3.connect(cli.path)
    (compiled,) = conn.execute("SELECT compiled FROM policy_versions WHERE id = 1").fetchone()
    conn.close()
    from supportdesk.policy_compiled import read_compiled

    assert read_compiled(compiled) == example("hosting-general")


def test_policy_check_warns_about_keys_that_can_never_take_effect(bare_cli, tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(
        BASE.replace('respond = "1h"', 'respond = "1h"\npage_on_call = true')
        .replace('name = "ticket"\n', 'name = "ticket"\n\n[[channels]]\nname = "email"\nrespond = "24h"\n\n[[channels]]\nname = "fax"\nrespond_replaces = true\n'),
        encoding="utf-8",
    )
    lines = bare_cli.ok("policy", "check", str(path)).stdout.splitlines()
    assert any("priorities[0].page_on_call: the desk is never outside office hours, so this never pages" in line for line in lines)
    assert any("channels[1].respond: the channel's target (1d) is looser than every priority's, so it never applies" in line for line in lines)
    assert any("channels[2].respond_replaces: the channel has no response target to replace" in line for line in lines)


def test_a_comment_naming_an_escalation_level_that_is_not_defined_is_warned_about(bare_cli, tmp_path):
    text = (EXAMPLES / "sitecom.toml").read_text(encoding="utf-8")
    path = tmp_path / "sitecom.toml"
    path.write_text(text.replace("[[escalation.levels]]", "# support → engineer → management\n[[escalation.levels]]", 1), encoding="utf-8")
    lines = bare_cli.ok("policy", "check", str(path)).stdout.splitlines()
    assert [line for line in lines if "comment" in line] == [
        f"{path}:{text[: text.index('[[escalation.levels]]')].count(chr(10)) + 2}: warning: escalation.levels: the comment on line "
        f"{text[: text.index('[[escalation.levels]]')].count(chr(10)) + 1} names a level 'management' that is not defined, so no ticket "
        "can reach it; define it in [[escalation.levels]] or correct the comment"
    ]
    # A chain of levels the policy defines, and arrows that are not about levels, say nothing.
    path.write_text(text.replace("[[escalation.levels]]", "# support → engineer; ticket -> email\n[[escalation.levels]]", 1), encoding="utf-8")
    assert not [line for line in bare_cli.ok("policy", "check", str(path)).stdout.splitlines() if "comment" in line]
