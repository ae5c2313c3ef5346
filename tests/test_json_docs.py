"""The README's `## JSON output` section is the contract of every `--json`: each command it
documents is run against the demo desk, and what it prints must have exactly the fields the
section's tables name, of the types they say. A field that disappears fails, and so does a
field added without a line in the README.

How the section is read: each `### ` heading names its commands as code (`supportdesk list
--json`); a table's caption (the paragraph above it) starting with code names the part of
the output it describes (`messages[]`: each element of `messages`; `clocks.*`: each value of
`clocks`), otherwise the table describes the output itself (each element, for a list). Each
field's value must be of its type (string, integer, boolean, object, list of strings, …,
"or null"). A meaning starting with a parenthesis marks a field that is not always there:
"(agents only)" — printed for agents, never for a reseller or customer token;
"(`close` only)" — printed exactly when the command line has those words; any other
"(when …)" — printed sometimes, checked when present.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import FROZEN, HOSTING
from test_readme import NOW, _build_demo
from typer.testing import CliRunner

from supportdesk.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"

# Commands whose JSON is documented in their own README section (## Reports) and
# checked by their own tests (tests/test_reports.py).
NOT_HERE = ("report",)


# ---- the README section ------------------------------------------------------------------


@dataclass
class Field:
    name: str
    type: str
    meaning: str


@dataclass
class Section:
    title: str
    commands: list[str]  # the heading's code, e.g. "supportdesk show ID --json"
    tables: dict[str, dict[str, Field]]  # part of the output ("": the output itself) -> fields


PATH = re.compile(r"^(?:[a-z_]+|\*)(?:\[\])?(?:\.(?:[a-z_]+|\*)(?:\[\])?)*$")


def json_section_text() -> str:
    text = README.read_text(encoding="utf-8")
    assert "\n## JSON output\n" in text, "README.md has no `## JSON output` section"
    return text.split("\n## JSON output\n", 1)[1].split("\n## ", 1)[0]


def _caption_paths(caption: str) -> list[str]:
    """The parts of the output a table's caption (the paragraph above it) names at its
    start, e.g. `messages[]`; [""] (the output itself) when it starts otherwise."""
    leading = re.match(r"^((?:`[^`]+`(?:,\s*|\s+and\s+|\s+or\s+)?)+)", caption.strip())
    if not leading:
        return [""]
    spans = re.findall(r"`([^`]+)`", leading[1])
    return spans if all(PATH.match(s) for s in spans) else [""]


def _row(line: str) -> list[str]:
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
    return [c.replace("\\|", "|") for c in cells]


def json_sections() -> dict[str, Section]:
    """The `### ` subsections of `## JSON output`, by the first command of their heading."""
    sections: dict[str, Section] = {}
    current: Section | None = None
    lines = json_section_text().splitlines()
    caption = ""  # the paragraph above a table
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("### "):
            commands = re.findall(r"`([^`]+)`", line)
            assert commands, f"README `{line}`: a JSON subsection's heading names its commands as code"
            current = Section(line[4:], commands, {})
            assert commands[0] not in sections, f"README: two subsections for `{commands[0]}`"
            sections[commands[0]] = current
            caption = ""
        elif line.startswith("|") and current is not None:
            header = _row(line)
            assert header == ["field", "type", "meaning"], f"README {current.title}: a table's columns are field | type | meaning, not {header}"
            i += 2  # the header and the |---| line
            fields: dict[str, Field] = {}
            while i < len(lines) and lines[i].startswith("|"):
                cells = _row(lines[i])
                assert len(cells) == 3, f"README {current.title}: a row with {len(cells)} cells: {lines[i]}"
                name = cells[0].strip("`")
                assert name not in fields, f"README {current.title}: `{name}` twice in one table"
                fields[name] = Field(name, cells[1], cells[2])
                i += 1
            for path in _caption_paths(caption):
                assert path not in current.tables, f"README {current.title}: two tables for `{path or 'the output'}`"
                current.tables[path] = fields
            caption = ""
            continue
        elif line.strip():
            caption = f"{caption} {line.strip()}" if i and lines[i - 1].strip() else line.strip()
        i += 1
    return sections


def command_words(command: str) -> tuple[str, ...]:
    """`supportdesk oncall override list --json` -> ("oncall", "override", "list")."""
    words = []
    for word in command.split()[1:]:
        if word.startswith(("-", "[")) or not word.islower() or not word.isalpha():
            break
        words.append(word)
    return tuple(words)


# ---- types and markers -------------------------------------------------------------------


def _accepts(kind: str, value: Any) -> bool:
    """Whether `value` is of the README's type `kind`: string, integer, number, boolean,
    object, list, list of strings/integers/objects/lists, any of them joined by "or"."""
    kinds = [k.strip() for k in re.split(r",\s*or\s+|\s+or\s+|,\s*", kind) if k.strip()]
    assert kinds, "an empty type"
    for k in kinds:
        if k == "null":
            ok = value is None
        elif k == "string":
            ok = isinstance(value, str)
        elif k == "integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif k == "number":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif k == "boolean":
            ok = isinstance(value, bool)
        elif k == "object":
            ok = isinstance(value, dict)
        elif k.startswith("list"):
            of = {"list": None, "list of strings": str, "list of integers": int, "list of objects": dict, "list of lists": list}
            assert k in of, f"unknown type {k!r} (use string, integer, number, boolean, object, list of strings/integers/objects/lists, or null)"
            ok = isinstance(value, list) and (of[k] is None or all(isinstance(v, of[k]) for v in value))
        else:
            raise AssertionError(f"unknown type {k!r} (use string, integer, number, boolean, object, list of strings/integers/objects/lists, or null)")
        if ok:
            return True
    return False


def presence(field: Field, run: Run) -> bool | None:
    """Whether the field must be printed for this run (True), must not be (False), or may be (None)."""
    if not field.meaning.startswith("("):
        return True
    marker = field.meaning[1 : field.meaning.index(")")]
    if marker == "agents only":
        return run.holder is None
    only = re.fullmatch(r"((?:`[^`]+`(?:,\s*|\s+or\s+)?)+)\s+only", marker)
    if only:
        return any(set(span.split()) <= set(run.argv) for span in re.findall(r"`([^`]+)`", only[1]))
    return None


# ---- the runs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One command line of a documented command, run with --json on one of the desks."""

    section: str  # the README subsection it checks (the first command of its heading)
    argv: tuple[str, ...]  # without --db, --now and --json; {name[key]} takes a saved output's value
    desk: str = "work"  # demo: the demo desk, never changed; work: a copy of it that runs change
    holder: str | None = None  # a saved `token issue` output: run with that token, at the real (frozen) time
    exit: int = 0
    save: str | None = None  # keep the output under this name



LIST, SHOW, LOG, TICKET, FILE = (
    "supportdesk list --json", "supportdesk show ID --json", "supportdesk log [ID] --json",
    "supportdesk reply ID --json", "supportdesk file --json",
)
BULK, OPERATIONS, TRIAGE, STATUS, EXPLAIN, OUTBOX, TERMINATE = (
    "supportdesk close --json", "supportdesk operations --json", "supportdesk triage --json", "supportdesk status [ID] --json",
    "supportdesk sla explain ID --json", "supportdesk outbox --json", "supportdesk terminate ID --json",
)
CUSTOMER, CUSTOMER_SHOW, CUSTOMER_EDIT, PACKAGE, RESELLER, AGENT, SERVICE = (
    "supportdesk customer list --json", "supportdesk customer show EMAIL --json", "supportdesk customer edit EMAIL --json",
    "supportdesk customer package EMAIL PACKAGE --json", "supportdesk reseller list --json", "supportdesk agent list --json",
    "supportdesk service list --json",
)
TOKENS, TOKEN_ISSUE, VIOLATIONS = "supportdesk token list --json", "supportdesk token issue --json", "supportdesk violation list --json"
ONCALL_NOW, HANDOFFS, OVERRIDES = "supportdesk oncall now --json", "supportdesk oncall next --json", "supportdesk oncall override list --json"
CLOCK_OPEN, CLOCK_ADD, CLOCK_BETWEEN, CLOCK_WEEK = (
    "supportdesk clock open --json", "supportdesk clock add DURATION --json", "supportdesk clock between A B --json", "supportdesk clock week --json",
)
POLICY_SHOW, POLICY_VERSIONS, POLICY_CHECK, POLICY_APPLY, POLICY_DIFF = (
    "supportdesk policy show --json", "supportdesk policy versions --json", "supportdesk policy check FILE... --json",
    "supportdesk policy apply FILE --json", "supportdesk policy diff [V1] [V2] --json",
)
CHECK, BACKUP = "supportdesk check --json", "supportdesk backup FILE --json"
IMPORT = "supportdesk import FILE --json"
SEND, ATTACHMENT = "supportdesk outbox send --json", "supportdesk attachment save ID --json"
OUTAGES, CREDIT, CREDITS = (
    "supportdesk outage add SERVICE --json", "supportdesk sla credit EMAIL --json", "supportdesk sla credits [EMAIL] --json",
)

INGEST, QUARANTINE, RELEASE, DROP = (
    "supportdesk ingest read PATH --json", "supportdesk ingest quarantine list --json",
    "supportdesk ingest quarantine release ID --json", "supportdesk ingest quarantine drop ID --json",
)
MAIL = Path(__file__).resolve().parent / "fixtures" / "mail"

ACME = "Acme Hosting"
RUNS: list[Run] = [
    # The demo desk as the README shows it, read by an agent at NOW.
    Run(LIST, ("list",), "demo"),
    Run(SHOW, ("show", "26"), "demo"),
    Run(SHOW, ("show", "12"), "demo"),
    Run(LOG, ("log", "26"), "demo"),
    Run(LOG, ("log", "--limit", "5"), "demo"),
    Run(TRIAGE, ("triage",), "demo"),
    Run(STATUS, ("status",), "demo"),
    Run(EXPLAIN, ("sla", "explain", "12"), "demo"),
    Run(EXPLAIN, ("sla", "explain", "26"), "demo"),
    Run(OUTBOX, ("outbox", "--limit", "5"), "demo"),
    Run(CLOCK_OPEN, ("clock", "open"), "demo"),
    Run(CLOCK_OPEN, ("clock", "open", "--at", "2026-11-21T10:00"), "demo"),
    Run(CLOCK_ADD, ("clock", "add", "4h", "--from", "fri 17:00"), "demo"),
    Run(CLOCK_BETWEEN, ("clock", "between", "last mon 09:00", "fri 18:00"), "demo"),
    Run(CLOCK_WEEK, ("clock", "week", "--from", "2026-03-16"), "demo"),
    Run(ONCALL_NOW, ("oncall", "now"), "demo"),
    Run(HANDOFFS, ("oncall", "next"), "demo"),
    Run(HANDOFFS, ("oncall", "schedule", "--days", "2"), "demo"),
    Run(POLICY_SHOW, ("policy", "show"), "demo"),
    Run(POLICY_VERSIONS, ("policy", "versions"), "demo"),
    Run(POLICY_CHECK, ("policy", "check", str(HOSTING), "{dir}/broken.toml"), "demo", exit=2),
    Run(CHECK, ("check",), "demo"),
    Run(CHECK, ("check",), "broken", exit=1),
    Run(CUSTOMER, ("customer", "list"), "demo"),
    Run(AGENT, ("agent", "list"), "demo"),
    Run(OPERATIONS, ("operations",), "demo"),
    # Bulk changes previewed on the demo desk (#19 is closed already, #26 at the top level: exit 5).
    Run(BULK, ("close", "19", "24", "--reason", "no-response", "--dry-run"), "demo", exit=5),
    Run(BULK, ("assign", "--status", "pending", "--to", "cem", "--dry-run"), "demo"),
    Run(BULK, ("escalate", "--auto", "--dry-run"), "demo", exit=5),
    # A copy of the demo desk, changed by an agent at NOW.
    Run(BACKUP, ("backup", "{dir}/work.db"), "demo"),
    Run(BACKUP, ("restore", "{dir}/work.db"), "restored"),
    Run(RESELLER, ("reseller", "add", "ops@acme.example", "--name", ACME, "--package", "standard")),
    Run(CUSTOMER, ("customer", "add", "shop@acme.example", "--name", "Acme Shop", "--reseller", ACME, "--verified")),
    Run(CUSTOMER_EDIT, ("customer", "edit", "zeynep@pastane-zeynep.com", "--reseller", ACME)),
    Run(CUSTOMER_EDIT, ("customer", "edit", "shop@acme.example", "--package", "premium", "--name", "Acme Web Shop")),
    Run(CUSTOMER, ("customer", "verify", "can@ozturk-mimarlik.com")),
    Run(CUSTOMER, ("customer", "suspend", "shop@acme.example", "--reason", "unpaid invoice")),
    Run(CUSTOMER, ("customer", "activate", "shop@acme.example")),
    Run(CUSTOMER, ("customer", "ban", "shop@acme.example", "--reason", "abuse")),
    Run(CUSTOMER, ("customer", "unban", "shop@acme.example")),
    Run(PACKAGE, ("customer", "package", "can@ozturk-mimarlik.com", "standard")),
    Run(SERVICE, ("service", "add", "shop@acme.example", "--kind", "vps", "--order", "#123456", "--ip", "203.0.113.7", "--delivered", "2026-11-01T10:00")),
    Run(SERVICE, ("service", "list",)),
    Run(CUSTOMER_SHOW, ("customer", "show", "shop@acme.example")),
    Run(OUTAGES, ("outage", "add", "#123456", "--from", "2026-11-02T01:00", "--until", "2026-11-02T01:20")),
    Run(OUTAGES, ("outage", "add", "#123456", "--from", "2026-11-17T02:00", "--until", "2026-11-17T04:30", "--note", "RAID controller")),
    Run(OUTAGES, ("outage", "list",)),
    Run(CREDIT, ("sla", "credit", "shop@acme.example", "--dry-run")),
    Run(CREDIT, ("sla", "credit", "shop@acme.example")),
    Run(CREDITS, ("sla", "credits",)),
    Run(CUSTOMER_SHOW, ("customer", "show", "can@ozturk-mimarlik.com")),
    Run(RESELLER, ("reseller", "list")),
    Run(RESELLER, ("reseller", "show", ACME)),
    Run(AGENT, ("agent", "add", "eren", "--name", "Eren Şahin", "--email", "eren@hosting.example")),
    Run(AGENT, ("agent", "deactivate", "eren")),
    Run(AGENT, ("agent", "activate", "eren")),
    Run(TOKEN_ISSUE, ("token", "issue", "--reseller", ACME), save="reseller"),
    Run(TOKEN_ISSUE, ("token", "issue", "--customer", "can@ozturk-mimarlik.com"), save="customer"),
    Run(TOKEN_ISSUE, ("token", "issue", "--agent", "eren", "--expires", "90d"), save="eren"),
    Run(TOKENS, ("token", "revoke", "{eren[id]}")),
    Run(TOKENS, ("token", "list")),
    Run(VIOLATIONS, ("violation", "add", "can@ozturk-mimarlik.com", "--rule", "rule 15", "--ticket", "31", "--fine", "100 TRY"), save="violation"),
    Run(VIOLATIONS, ("violation", "pay", "{violation[id]}")),
    Run(VIOLATIONS, ("violation", "list",)),
    Run(OVERRIDES, ("oncall", "override", "add", "cem", "--layer", "on-duty", "--from", "2026-11-20T18:00", "--until", "2026-11-23T09:00", "--reason", "swap")),
    Run(OVERRIDES, ("oncall", "override", "list")),
    Run(POLICY_APPLY, ("policy", "apply", str(HOSTING))),
    Run(POLICY_DIFF, ("policy", "diff", "1", "1")),
    Run(FILE, ("file", "-s", "Mail bounces", "-b", "Every mail bounces with 550 5.7.26", "-c", "ada@example.com", "--priority", "high")),
    Run(TICKET, ("reply", "27", "-m", "Looking at the DNS records now.")),
    Run(TICKET, ("reply", "27", "-m", "SPF lacks the new relay.", "--internal")),
    Run(TICKET, ("assign", "27", "--to", "ayse")),
    Run(TICKET, ("wait", "27")),
    Run(TICKET, ("resume", "27")),
    Run(TICKET, ("priority", "27", "high", "--reason", "mail to customers bounces")),
    Run(TICKET, ("escalate", "27", "--to", "engineer", "--reason", "needs DNS access")),
    Run(BULK, ("close", "27")),
    Run(TICKET, ("reopen", "27")),
    Run(TERMINATE, ("terminate", "28")),
    Run(BULK, ("close", "24", "25", "--reason", "no-response", "--yes"), save="closed"),
    Run(BULK, ("assign", "30", "32", "--to", "burak")),
    Run(BULK, ("undo", "{closed[operation]}", "--dry-run")),
    Run(BULK, ("undo", "{closed[operation]}")),
    Run(OPERATIONS, ("operations",)),
    Run(IMPORT, ("import", "{dir}/desk.jsonl", "--skip-existing", "--dry-run")),
    Run(FILE, ("file", "-s", "Export attached", "-b", "The export, attached", "-c", "ada@example.com", "--attach", "{dir}/desk.jsonl"), save="attached"),
    Run(SHOW, ("show", "{attached[id]}")),
    Run(ATTACHMENT, ("attachment", "save", "{attached[attachments][0][id]}", "-o", "{dir}/saved.jsonl")),
    Run(SEND, ("outbox", "send", "--dry-run", "--limit", "3")),
    Run(IMPORT, ("import", "{dir}/desk.jsonl"), exit=2),
    Run(ONCALL_NOW, ("oncall", "now", "--at", "2026-11-21T10:00")),
    # Mail taken in by an agent: a new ticket, a message without a sender, a reply from a stranger.
    Run(INGEST, ("ingest", "read", str(MAIL / "thunderbird_multipart.eml"))),
    Run(INGEST, ("ingest", "read", str(MAIL / "malformed_header.eml"))),
    Run(INGEST, ("ingest", "read", str(MAIL / "reply_quoted_tr.eml"))),
    Run(QUARANTINE, ("ingest", "quarantine", "list")),
    Run(DROP, ("ingest", "quarantine", "drop", "1")),
    Run(RELEASE, ("ingest", "quarantine", "release", "2")),
    Run(QUARANTINE, ("ingest", "quarantine", "list", "--all")),
    # A reseller and a customer with tokens, at the real time (stood still at FROZEN).
    Run(STATUS, ("status", "--all"), holder="reseller"),
    Run(LIST, ("list",), holder="reseller"),
    Run(SHOW, ("show", "13"), holder="reseller"),
    Run(LOG, ("log", "13"), holder="reseller"),
    Run(LOG, ("log",), holder="reseller"),
    Run(STATUS, ("status",), holder="customer"),
    Run(STATUS, ("status", "12"), holder="customer"),
    Run(SHOW, ("show", "12"), holder="customer"),
    Run(TICKET, ("reply", "12", "-m", "The old host unblocked your IP.")),
    Run(TICKET, ("reply", "12", "-m", "Thank you, trying again now."), holder="customer"),
    Run(FILE, ("file", "-s", "Second site", "-b", "Please add a second site to my account.", "--field", "domain=ozturk-mimarlik.com"), holder="customer"),
    Run(BULK, ("close", "31"), holder="customer"),
]

# Parts of the output one section describes by pointing at another's table: section ->
# {part: [(section, part)]}.
SHARED: dict[str, dict[str, list[tuple[str, str]]]] = {
    SHOW: {"": [(LIST, "")]},
    LOG: {"": [(SHOW, "events[]")]},
    TICKET: {"": [(SHOW, "")], "messages[]": [(SHOW, "messages[]")], "events[]": [(SHOW, "events[]")]},
    FILE: {"": [(SHOW, "")], "events[]": [(SHOW, "events[]")]},  # a ticket just filed has no messages
    TRIAGE: {"tickets[]": [(LIST, "")]},
    STATUS: {"tickets[]": [(LIST, "")]},
    CUSTOMER_SHOW: {"": [(CUSTOMER, "")], "services[]": [(SERVICE, "")]},
    CUSTOMER_EDIT: {"": [(CUSTOMER, "")]},
    RESELLER: {"": [(CUSTOMER, "")]},
}


def _stand_still(patch: pytest.MonkeyPatch, when: datetime) -> None:
    """The real clock stood still at `when` for the CLI (as conftest's frozen_clock does)."""
    import importlib
    import pkgutil
    import sys

    import supportdesk.cli
    from supportdesk.desk import context

    cli_app = importlib.import_module("supportdesk.cli.app")
    for module in pkgutil.iter_modules(supportdesk.cli.__path__):
        importlib.import_module(f"supportdesk.cli.{module.name}")
    for name, module in list(sys.modules.items()):
        if name.startswith("supportdesk.") and getattr(module, "real_now", None) is cli_app.real_now:
            patch.setattr(module, "real_now", lambda: when)
    patch.setattr(context, "_real_clock", lambda: when)


@dataclass
class Printed:
    """What one run printed."""

    run: Run
    argv: list[str]  # as run: --db and --now first
    exit_code: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        words = self.argv[4:] if "--now" in self.argv[:4] else self.argv[2:]
        return "supportdesk " + " ".join(words) + (f" (with the {self.run.holder} token)" if self.run.holder else "")


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, list[Printed]]:
    """Every run of RUNS, in order, by section: the demo desk is built once."""
    base = tmp_path_factory.mktemp("json-docs")
    desks = {name: base / f"{name}.db" for name in ("demo", "work", "broken", "restored")}
    saved: dict[str, Any] = {"dir": str(base)}
    results: dict[str, list[Printed]] = {}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"HOME": base / "home", "XDG_DATA_HOME": base / "data", "XDG_CACHE_HOME": base / "cache"}.items():
            patch.setenv(name, str(value))
        patch.setenv("SUPPORTDESK_USER", "tester")
        patch.setenv("COLUMNS", "100")
        for name in ("SUPPORTDESK_DB", "SUPPORTDESK_NOW", "SUPPORTDESK_TOKEN"):
            patch.delenv(name, raising=False)
        patch.chdir(base)
        _stand_still(patch, FROZEN)
        _build_demo(desks["demo"])
        source, copy = sqlite3.connect(desks["demo"]), sqlite3.connect(desks["broken"])
        source.backup(copy)
        copy.execute("UPDATE tickets SET priority = 'low' WHERE id = 26")  # a change no event records
        copy.commit()
        source.close()
        copy.close()
        (base / "broken.toml").write_text("[desk]\nname = 1\nbogus = 2\n", encoding="utf-8")
        runner = CliRunner()
        exported = runner.invoke(app, ["--db", str(desks["demo"]), "--now", NOW, "export", "--include-personal-data", "-o", str(base / "desk.jsonl")])
        assert exported.exit_code == 0, exported.output
        for run in RUNS:
            argv = ["--db", str(desks[run.desk])] + ([] if run.holder else ["--now", NOW])
            try:
                argv += [word.format(**saved) for word in run.argv] + ["--json"]
                env = {"SUPPORTDESK_TOKEN": saved[run.holder]["token"]} if run.holder else None
            except KeyError as missing:
                failed = f"needs the output of an earlier run ({missing}), which failed"
                results.setdefault(run.section, []).append(Printed(run, argv + list(run.argv), -1, "", failed))
                continue
            result = runner.invoke(app, argv, env=env)
            results.setdefault(run.section, []).append(Printed(run, argv, result.exit_code, result.stdout, result.stderr))
            if run.save and result.exit_code == run.exit:
                saved[run.save] = json.loads(result.stdout)
    return results


# ---- the checks --------------------------------------------------------------------------


def tables_of(sections: dict[str, Section], key: str, seen: tuple[str, ...] = ()) -> dict[str, dict[str, Field]]:
    """A section's tables, with the parts it shares with other sections (SHARED)."""
    assert key not in seen, f"SHARED points in a circle: {seen}"
    tables = {path: dict(fields) for path, fields in sections[key].tables.items()}
    for path, sources in SHARED.get(key, {}).items():
        for other, part in sources:
            assert other in sections, f"README: no JSON subsection `{other}` (which `{key}` points at)"
            shared = tables_of(sections, other, (*seen, key)).get(part)
            assert shared is not None, f"README {other}: no table for `{part or 'the output'}`"
            tables[path] = shared | tables.get(path, {})
    return tables


def parts(data: Any, path: str) -> list[tuple[str, Any]]:
    """The objects at `path` of an output ("" the output, or each element of a list), each
    with where it is, e.g. `[3].messages[0]`."""
    found = list(enumerate(data)) if isinstance(data, list) else [(None, data)]
    at = [(f"[{i}]" if i is not None else "", value) for i, value in found]
    for step in [s for s in path.split(".") if s]:
        name, each = step.removesuffix("[]"), step.endswith("[]")
        following = []
        for where, value in at:
            if not isinstance(value, dict):
                continue
            items = list(value.items()) if name == "*" else [(name, value.get(name))]
            for key, item in items:
                if item is None:
                    continue
                inside = f"{where}.{key}" if where else key
                if each and isinstance(item, list):
                    following += [(f"{inside}[{i}]", element) for i, element in enumerate(item)]
                else:
                    following.append((inside, item))
        at = following
    return at


def mismatches(tables: dict[str, dict[str, Field]], out: Printed, data: Any, seen: set[str]) -> list[str]:
    """What differs between the documented fields and this output, one line each (a
    difference found in many elements of a list is told once, with how many more)."""
    found: dict[str, list[str]] = {}
    for path, fields in tables.items():
        for where, value in parts(data, path):
            seen.add(path)
            if not isinstance(value, dict):
                found.setdefault(f"documented as an object, printed {json.dumps(value)[:80]}", []).append(where)
                continue
            for name, field in fields.items():
                wanted = presence(field, out.run)
                if name not in value:
                    if wanted:
                        found.setdefault(f"field `{name}` is documented but missing", []).append(where)
                    continue
                if wanted is False:
                    marker = field.meaning[: field.meaning.index(")") + 1]
                    found.setdefault(f"field `{name}` is printed but documented as {marker}", []).append(where)
                if not _accepts(field.type, value[name]):
                    found.setdefault(f"field `{name}` is {json.dumps(value[name])[:80]}, not {field.type} as documented", []).append(where)
            for name in value:
                if name not in fields:
                    found.setdefault(f"field `{name}` is printed but not documented", []).append(where)
    return [
        f"`{out}` {wheres[0] or 'output'}{f' (and {len(wheres) - 1} more)' if len(wheres) > 1 else ''}: {problem}"
        for problem, wheres in found.items()
    ]


@pytest.fixture(scope="module")
def sections() -> dict[str, Section]:
    return json_sections()


def json_commands() -> set[tuple[str, ...]]:
    """The words of every command that takes --json, e.g. ("oncall", "override", "list")."""
    from typer.main import get_command

    found: set[tuple[str, ...]] = set()

    def walk(command: Any, words: tuple[str, ...]) -> None:
        # A group that does something itself (`outbox` lists, `outbox send` sends) counts too.
        if any("--json" in getattr(p, "opts", ()) for p in command.params):
            found.add(words)
        if getattr(command, "commands", None) is not None:
            for name in command.list_commands(None):
                walk(command.get_command(None, name), (*words, name))

    walk(get_command(app), ())
    return found


def test_the_readme_documents_the_json_of_every_command_that_prints_it(sections):
    documented = {command_words(c): s.title for s in sections.values() for c in s.commands}
    printing = {words for words in json_commands() if not any(" ".join(words).startswith(other) for other in NOT_HERE)}
    assert len(printing) > 40
    missing = sorted(" ".join(w) for w in printing - set(documented))
    assert not missing, f"commands that print JSON but have no subsection in README `## JSON output`: {missing}"
    unknown = sorted(f"{title}: supportdesk {' '.join(w)}" for w, title in documented.items() if w not in printing)
    assert not unknown, f"README `## JSON output` names commands without --json: {unknown}"


def test_every_documented_command_is_run(sections):
    documented = set(sections)
    run = {r.section for r in RUNS}
    assert not documented - run, f"README JSON subsections the test does not run: {sorted(documented - run)}"
    assert not run - documented, f"the test runs commands for subsections the README does not have: {sorted(run - documented)}"
    for key, section in sections.items():
        for command in section.commands:
            words = command_words(command)
            assert any(tuple(r.argv[: len(words)]) == words for r in RUNS if r.section == key), (
                f"README {section.title}: the test runs no `supportdesk {' '.join(words)}`"
            )


@pytest.mark.parametrize("key", sorted({r.section for r in RUNS}))
def test_the_json_has_exactly_the_documented_fields(key, sections, printed):
    assert key in sections, f"README: no JSON subsection `{key}`"
    tables = tables_of(sections, key)
    assert "" in tables, f"README {sections[key].title}: no table for the output itself"
    problems: list[str] = []
    seen: set[str] = set()
    for out in printed[key]:
        assert out.exit_code == out.run.exit, f"`{out}` exited {out.exit_code}, not {out.run.exit}:\n{out.stdout}{out.stderr}"
        data = json.loads(out.stdout)
        if isinstance(data, list):
            assert data, f"`{out}` printed an empty list: the test needs elements to check"
        problems += mismatches(tables, out, data, seen)
    unseen = set(tables) - seen
    problems += [f"README {sections[key].title}: no run printed a `{path}` to check against its table" for path in sorted(unseen)]
    assert not problems, "\n".join(problems)
