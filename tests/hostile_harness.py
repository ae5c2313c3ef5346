"""Hostile inputs for the whole CLI: strategies, one shared desk, and the checks every run
must pass. Used by tests/test_hostile.py (a bounded run in CI) and benchmarks/hostile.py
(10 000 inputs and more).

A *case* is one to four invocations of the real CLI (typer's CliRunner on
`supportdesk.cli.app`, in process) against a copy of a demo desk that also holds hostile
text (escape sequences, bidi overrides, RTL, zero-width characters in bodies, notes,
fields, names, reasons and the policy). Every invocation must:

1. exit with a documented code (0, 1, 2, 3, 4, 5, 130); 70 is the catch-all for a bug;
2. print no traceback and let no exception escape;
3. when it fails: write exactly one stderr line starting with `error: ` and leave the
   desk file byte-identical (and no file beside it);
4. show no C0/C1 control character (but newline and tab), no ESC, no bidi override or
   isolate in human-readable output (stderr is always human-readable);
5. for --json: print JSON that json.loads reads, with no raw control or bidi character,
   and give back exactly the text that was filed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import strategies as st
from typer.testing import CliRunner

import supportdesk
from supportdesk.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DEFAULT_POLICY = Path(supportdesk.__file__).resolve().parent / "default_policy.toml"

DOCUMENTED_EXIT_CODES = frozenset({0, 1, 2, 3, 4, 5, 130})
# 5: a bulk operation did what it could and skipped some tickets: not a refusal.
PARTIAL = 5
# What human-readable output may never carry: C0 controls but tab and newline, DEL, C1
# controls (ESC and CSI among them), bidi embeddings, overrides and isolates.
UNSAFE_OUTPUT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# JSON escapes all of these (and the desk's json_safe the rest): none may appear raw.
UNSAFE_JSON = UNSAFE_OUTPUT

# The shared desk: the demo (33 tickets of a Turkish hosting company, as of DEMO_NOW)
# plus hostile tickets filed at HOSTILE_NOW. Cases act at or after CASE_NOW_MIN.
DEMO_NOW = "2026-11-20T14:30"
HOSTILE_NOW = "2026-11-20T14:35"

# ---- hostile text ------------------------------------------------------------------------

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u180e"]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c"]
C0 = [chr(i) for i in range(0x20)] + ["\x7f"]
C1 = [chr(i) for i in range(0x80, 0xA0)]
ESCAPES = [
    "\x1b[2J",
    "\x1b[31m",
    "\x1b[0m",
    "\x1b[1;1H",
    "\x1b[6n",
    "\x1bc",
    "\x1b]8;;http://evil.example/\x1b\\",
    "\x1b]8;;\x1b\\",
    "\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07",
    "\x1b]52;c;ZXZpbCBjbGlwYm9hcmQ=\x07",
    "\x1b]0;owned\x07",
    "\x1bP+q544e\x1b\\",
    "\x9b31m",
    "\x9d8;;http://evil.example/\x9c",
    "\u202egnp.exe",
    "\u2066abc\u2069",
]
RTL = ["مرحبا بالعالم", "الموقع لا يعمل", "سلام دنیا", "پشتیبانی فنی", "שלום עולם", "האתר נפל", "١٢٣", "۴۵۶", "ال\u200cسلام"]
# Arguments that are not UTF-8 reach Python as surrogate escapes (PEP 383).
SURROGATE_ESCAPES = [b.decode("utf-8", "surrogateescape") for b in (b"\xff", b"\xfe\xfe", b"\xc3(", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"ab\xffcd")]
PLAIN = ["Site down", "mail", "ssl certificate", "ayse", "example.com", " ", "  ", "#", "-", "--", "=", ",", ".", "/", "\\", "%", "_", "'", '"', "\n", "\t", "\r\n", "\u2028", "\u2029", "\x00", "{}", "[bold]x[/bold]", ":smile:", "%s%n", "{0}"]
FTS = ['"', "*", "NEAR(", "NEAR(a b, 5)", "AND", "OR", "NOT", "(", ")", "^", "subject:", "body:", "-", "+", '"unterminated', "a*", "*a", "{subject body}: x", ":", "''", "ssl AND", "OR OR", "NEAR", "\\", "\u0000"]


def hostile_text(*, surrogates: bool = False, max_pieces: int = 8, extra: list[str] | None = None) -> st.SearchStrategy[str]:
    """Text made of pieces: plain words, escape sequences, RTL, zero-width and bidi
    characters, control characters and arbitrary Unicode (and argv's surrogate escapes)."""
    pieces = [
        st.sampled_from(PLAIN + (extra or [])),
        st.sampled_from(ESCAPES),
        st.sampled_from(RTL),
        st.sampled_from(ZERO_WIDTH + BIDI),
        st.sampled_from(C0 + C1),
        st.text(max_size=6),
    ]
    if surrogates:
        pieces.append(st.sampled_from(SURROGATE_ESCAPES))
    return st.lists(st.one_of(pieces), max_size=max_pieces).map("".join)


def arg_text(**kwargs: Any) -> st.SearchStrategy[str]:
    """Text for an argument: hostile, sometimes not UTF-8 (surrogate escapes)."""
    return hostile_text(surrogates=True, **kwargs)


def stdin_bytes(text: str) -> bytes:
    """Text as the bytes a pipe would carry (surrogate escapes become invalid UTF-8)."""
    return text.encode("utf-8", "surrogateescape")


def choice_or_hostile(valid: list[str], weird: list[str] = ()) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(valid),
        st.sampled_from([v.upper() for v in valid] + [f" {v} " for v in valid] + list(weird)),
        arg_text(max_pieces=4),
    )


def comma_list(valid: list[str], weird: list[str] = ()) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(st.sampled_from(valid), min_size=1, max_size=4).map(",".join),
        st.lists(choice_or_hostile(valid, weird), min_size=1, max_size=4).map(",".join),
        st.sampled_from([",", ",,", " , ", "", " ", ",".join(valid) + ","]),
    )


# ---- values of the desk -------------------------------------------------------------------

PRIORITIES = ["critical", "high", "normal", "low"]
DEPARTMENTS = ["technical", "billing", "sales"]
CHANNELS = ["ticket", "email", "chat", "phone"]
STATUSES = ["new", "open", "pending", "resolved", "closed", "active"]
AGENTS = ["ayse", "burak", "cem", "deniz", "tester"]
ASSIGNEES = AGENTS + ["me", "none"]
LAYERS = ["office", "on-duty", "management"]
LEVELS = ["support", "engineer", "management"]
PACKAGES = ["starter", "standard", "premium", "enterprise", "none"]
CALENDARS = ["office", "always"]
REASONS = ["resolved", "duplicate", "out-of-scope", "incomplete", "no-response", "abuse"]
SORTS = ["newest", "oldest", "updated", "id"]
EXAMPLE_NAMES = ["hosting-general", "introserv", "kristalium", "sitecom", "websight"]
ROLES = ["admin", "engineer"]

WEIRD_IDS = [
    "0", "-1", "-0", "#", "##5", "#0", "# 5", " 7 ", "+5", "5.0", "1.5", "1e3", "0x1f", "0o7", "0b1", "007",
    "٣", "۳", "５", "²", "①", "9223372036854775807", "9223372036854775808", "18446744073709551616",
    "99999999999999999999", "1" * 400, "", " ", "nan", "inf", "-inf", "#-3", "3\x00", "\u200b3", "3\u202e",
    "1_000", "1,2", "1 2", "#\u0663", "-9223372036854775809",
]
WEIRD_INTS = [
    "0", "-1", "-5", "1", "3", "50", "99999999999999999999", "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "18446744073709551616", "1" * 400, "1.5", "1e3", "abc", "٣", "", " 5", "0x10",
    "+3", "1_000", "-0", "nan",
]
GOOD_INSTANTS = [
    "2026-11-20T15:00", "2026-11-21T09:00", "2026-11-23T10:00", "now", "-2h", "3d ago", "in 4h",
    "tomorrow 9:00", "fri 17:30", "last fri 17:30", "next mon", "2026-11-20T14:30:00Z", "2026-11-20",
    "2026-11-20 16:00", "2026-11-20T16:00+03:00", "today", "yesterday 23:59", "2026-03-29T03:30", "2026-12-31T23:59",
    "2027-01-01", "sun 02:30", "last mon 09:00", "+1w", "in 2d", "90m ago",
]
BAD_INSTANTS = [
    "", " ", "2026-02-30", "2026-13-01T00:00", "2026-11-20T25:00", "2026-11-20T14:60", "9999-12-31T23:59",
    "8999-12-31T23:59", "8999-12-31T23:59-12:00", "1970-01-01T00:00+14:00", "0001-01-01", "1969-12-31T23:59Z",
    "2026-11-20T14:30+99:00", "2026-11-20T14:30+23:59", "-99999999999d", "in 1e308h", "99999999999999999999999h ago",
    "fri 24:00", "fri 23:60", "fri 99:99", "last", "next", "last today", "P1D", "PT4H", "in -4h", "+-4h", "--2h",
    "2026-W47-5", "2026-324", "20261120T1430", "2026-11-20T14:30:00.123456789Z", "2026-11-20T14:30Z[Europe/Istanbul]",
    "14:30", "24:00", "mañana", "پنجشنبه", "٢٠٢٦-١١-٢٠", "２０２６-11-20", "1e400", "nan", "inf", "-inf",
    "in nan h", "in infh", "1" * 30, "in " + "9" * 400 + "s", "in 36500d", "in 2600000w", "-2600000w", "in P1D",
    "in PT9999999999999H", "10000-01-01", "2026-11-20T14:30:00+25:00", "2026-11-20T24:00", "1 ago", "ago", "in",
    "2026-11-20\x00", "2026-11-20T14:30\u202e", "\u200b2026-11-20", "fri\u00a017:30", "FRI 17:30", "last  fri   9",
    "next tomorrow", "friday 9:5", "tue 7:000",
]
INSTANT_PIECES = list("0123456789-:T Z+.,/WP") + ["ago", "in ", "last ", "next ", "fri", "h", "d", "m", "w", "s", "now", "2026-"]
GOOD_DURATIONS = ["4h", "90m", "1h30m", "2d", "PT4H", "1w", "0", "30s", "P1DT2H", "1.5h", "P0.5D", "PT1,5H", "10m", "72h"]
BAD_DURATIONS = [
    "", " ", "4", "-4h", "4x", "h", "P", "PT", "P1M", "P1Y", "PT1H1H", "1e5h", "99999999999999999999d", "9" * 400 + "h",
    "36501d", "36500d", "5215w", "5214w", "NaNh", "infh", "1_000h", "٣h", "４h", "1h 30", ".5h", "1..5h", "1.h", "P-1D",
    "PT-1H", "pt4h", "4H", "4 h", "1h-30m", "0h", "0.0000001s", "P1W1D", "P9999999999999999999W", "P1e3D", "4h\x00",
    "4h\u202e", "P" + "9" * 400 + "D", "PT0S", "P0D", "0s", "1m1m", "h4",
]
GOOD_EMAILS = [
    "ada@example.com", "  Ada.Lovelace@Example.COM ", "zeynep@pastane-zeynep.com", "it@bogazici-dental.com",
    "x+tag@sub.example.org", "用户@例子.广告", "ابو@مثال.com", "ops@karadeniz-otel.com",
]
BAD_EMAILS = [
    "", "ada", "ada@", "@example.com", "ada@localhost", "ada@exa\x1bmple.com", "a@b@c.com", "ada@example..com",
    "a" * 300 + "@example.com", "ada@" + "x" * 300 + ".com", "ada@[127.0.0.1]", '"ada"@example.com',
    "ada@example.com\n", "ada@example.com\x00", "ada @example.com", "ada@\u202eexample.com", "ada@example.com\u200b",
]
BAD_ZONES = ["Mars/Olympus", "", "UTC+3", "../../etc/passwd", "Europe/Istanbul\x00", "europe/istanbul", "Etc/GMT+99", "/", ".", "EST5EDT,M3.2.0,M11.1.0", "Europe/\u202eIstanbul", "posixrules", "Factory", "zone.tab", "Asia/Tehran ", "\x1b[31m"]
BAD_HOURS = ["25:00-26:00", "09:00-08:00", "9-18", "09:00-09:00", "00:00-24:00", "00:00-48:00", "18:00-09:00", "", "mon-sun", "09:00-18:00,08:00-10:00", "24:00-24:00", "09:00-", "-18:00", "99:99-99:99", "09:00-18:00-20:00", "٠٩:٠٠-١٨:٠٠"]


def ticket_ids(extra_valid: int = 40) -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(1, extra_valid).map(str),
        st.integers(1, extra_valid).map(lambda i: f"#{i}"),
        st.sampled_from(WEIRD_IDS),
        arg_text(max_pieces=3),
    )


def int_text() -> st.SearchStrategy[str]:
    return st.one_of(st.integers(-3, 60).map(str), st.sampled_from(WEIRD_INTS), arg_text(max_pieces=2))


def instants() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(GOOD_INSTANTS),
        st.sampled_from(BAD_INSTANTS),
        st.lists(st.sampled_from(INSTANT_PIECES), max_size=12).map("".join),
        arg_text(max_pieces=3),
    )


def durations() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(GOOD_DURATIONS),
        st.sampled_from(BAD_DURATIONS),
        st.lists(st.sampled_from(list("0123456789.,PTWDHMSY ") + ["h", "m", "d", "w", "s"]), max_size=10).map("".join),
        arg_text(max_pieces=3),
    )


def emails() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(GOOD_EMAILS), st.sampled_from(BAD_EMAILS), arg_text(max_pieces=4).map(lambda t: t + "@example.com"), arg_text(max_pieces=3))


def search_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(st.sampled_from(FTS + ["ssl", "mail", "site", "down", "dns", "مرحبا", "Site"]), min_size=1, max_size=6).map(" ".join),
        st.lists(st.sampled_from(FTS), min_size=1, max_size=4).map("".join),
        arg_text(max_pieces=5, extra=FTS),
    )


# ---- cases -------------------------------------------------------------------------------


@dataclass
class Step:
    """One invocation: the command path and its arguments, standard input, output kind."""

    args: list[str]
    path_len: int = 1  # how many leading args name the command (`clock add` is 2)
    stdin: bytes | None = None
    mode: str = "human"  # human | json | csv
    expect: dict[str, Any] | None = None  # JSON keys that must come back exactly (on success)
    expect_message: str | None = None  # the last message's text must come back exactly


@dataclass
class Case:
    """One hostile input: up to a few invocations against one copy of the shared desk."""

    command: str
    steps: list[Step]
    files: dict[str, bytes | None] = field(default_factory=dict)  # written in the work dir; None: a directory
    now: str | None = None  # the global --now, for every step
    db: str = "desk"  # desk: a copy of the shared desk; fresh: a path that does not exist yet
    db_after: bool = False  # global options after the command instead of before it
    env: dict[str, str] = field(default_factory=dict)

    def short(self, limit: int = 300) -> str:
        def cut(value: Any) -> str:
            text = repr(value)
            return text if len(text) <= limit else text[: limit // 2] + f"…({len(text)} chars)…" + text[-limit // 4 :]

        parts = [f"command={self.command}", f"now={self.now!r}", f"db={self.db}", f"db_after={self.db_after}"]
        if self.env:
            parts.append(f"env={cut(self.env)}")
        for name, content in self.files.items():
            parts.append(f"file {name!r}={cut(content)}")
        for i, step in enumerate(self.steps):
            parts.append(f"step{i}: args={cut(step.args)} stdin={cut(step.stdin) if step.stdin is not None else None} mode={step.mode}")
        return "\n    ".join(parts)


def now_option() -> st.SearchStrategy[str | None]:
    """The global --now: mostly a valid instant after the shared desk's history."""
    return st.one_of(
        st.sampled_from(["2026-11-20T15:00", "2026-11-20T18:30", "2026-11-21T03:00", "2026-11-23T10:00", "2026-12-01T12:00"]),
        st.none(),
        instants(),
    )


@st.composite
def envs(draw) -> dict[str, str]:
    env: dict[str, str] = {}
    if draw(st.integers(0, 9)) == 0:
        env["COLUMNS"] = draw(st.sampled_from(["1", "10", "20", "40", "80", "300", "0", "-5", "abc"]))
    if draw(st.integers(0, 14)) == 0:
        env["SUPPORTDESK_USER"] = draw(st.one_of(st.sampled_from(["ayse", "ghost", "", " ", "root", "me", "none"]), arg_text(max_pieces=3)))
    return {k: v.replace("\x00", "") for k, v in env.items()}


def _case(draw, command: str, steps: list[Step], *, files=None, db: str = "desk", now: str | None | bool = True) -> Case:
    chosen = draw(now_option()) if now is True else (now or None)
    env = draw(envs())
    if chosen is None and draw(st.integers(0, 9)) == 0:
        env["SUPPORTDESK_NOW"] = draw(instants()).replace("\x00", "")
    return Case(command, steps, files=files or {}, now=chosen, db=db, db_after=draw(st.booleans()), env=env)


def _json(draw, args: list[str], chance: int = 2) -> str:
    if draw(st.integers(0, chance - 1)) == 0:
        args.append("--json")
        return "json"
    return "human"


def _id_args(draw, ids: st.SearchStrategy[str] | None = None) -> list[str]:
    value = draw(ids if ids is not None else ticket_ids())
    if value.startswith("-") and draw(st.booleans()):
        return ["--", value]
    return [value]


def _opt(draw, args: list[str], name: str, values: st.SearchStrategy[str], chance: int = 2) -> None:
    if draw(st.integers(0, chance - 1)) == 0:
        args += [name, draw(values)]


def _follow_up_views(draw) -> list[Step]:
    """Read commands that show what the step before wrote."""
    views = [
        Step(["show", "{id}"]),
        Step(["show", "{id}", "--json"], mode="json"),
        Step(["log", "{id}"]),
        Step(["sla", "explain", "{id}"], path_len=2),
        Step(["list", "--limit", "5"]),
        Step(["list", "--csv"], mode="csv"),
        Step(["triage", "--limit", "5"]),
    ]
    return draw(st.lists(st.sampled_from(views), max_size=2, unique_by=lambda s: tuple(s.args)))


@st.composite
def body_text(draw) -> tuple[str, bytes | None]:
    """A body: the argument itself, or '-' and bytes on standard input (maybe a few MB)."""
    how = draw(st.sampled_from(["arg", "stdin", "stdin", "huge"]))
    if how == "arg":
        return draw(arg_text(max_pieces=10)), None
    if how == "stdin":
        return "-", stdin_bytes(draw(hostile_text(surrogates=True, max_pieces=12)))
    size = draw(st.sampled_from([999_999, 1_000_000, 1_000_001, 1_048_576, 2_500_000, 4_000_000]))
    seed = stdin_bytes(draw(hostile_text(surrogates=True, max_pieces=4))) or b"x"
    data = (seed * (size // len(seed) + 1))[:size]
    return "-", data


@st.composite
def case_file(draw) -> Case:
    subject = draw(st.one_of(st.sampled_from(["Site down", "Mail bounces", "  DNS  ", "الموقع لا يعمل", "האתר נפל"]), arg_text(max_pieces=6)))
    body, stdin = draw(body_text())
    customer = draw(emails())
    args = ["file", "-s", subject, "-b", body, "-c", customer]
    _opt(draw, args, "--department", choice_or_hostile(DEPARTMENTS), 3)
    _opt(draw, args, "--priority", choice_or_hostile(PRIORITIES), 3)
    _opt(draw, args, "--channel", choice_or_hostile(CHANNELS), 3)
    _opt(draw, args, "--category", arg_text(max_pieces=3), 4)
    _opt(draw, args, "--service", arg_text(max_pieces=3), 4)
    fields = draw(st.lists(st.tuples(st.one_of(st.sampled_from(["domain", "server_ip", "panel_user", "hosting_account"]), arg_text(max_pieces=3)), arg_text(max_pieces=4), st.sampled_from(["=", "", "=="])), max_size=3))
    for key, value, sep in fields:
        args += ["-f", f"{key}{sep}{value}"]
    json_ = draw(st.booleans())
    expect = None
    if json_:
        args.append("--json")
        filed_body = stdin.decode("utf-8", "replace") if stdin is not None else body
        expect = {"subject": subject.strip(), "body": filed_body.strip()}
        if all(sep == "=" for _, _, sep in fields):
            expect["fields"] = {k.strip(): v.strip() for k, v, _ in fields}
    steps = [Step(args, stdin=stdin, mode="json" if json_ else "human", expect=expect)]
    if json_:
        steps += _follow_up_views(draw)
    return _case(draw, "file", steps)


@st.composite
def case_show(draw) -> Case:
    args = ["show"]
    mode = _json(draw, args)
    return _case(draw, "show", [Step(args + _id_args(draw), mode=mode)])


@st.composite
def case_sla_explain(draw) -> Case:
    args = ["sla", "explain"]
    mode = _json(draw, args)
    return _case(draw, "sla explain", [Step(args + _id_args(draw), path_len=2, mode=mode)])


def _filters(draw, args: list[str], chance: int = 3) -> None:
    _opt(draw, args, "--status", comma_list(STATUSES), chance)
    _opt(draw, args, "--priority", comma_list(PRIORITIES), chance)
    _opt(draw, args, "--department", comma_list(DEPARTMENTS), chance)
    _opt(draw, args, "--assignee", choice_or_hostile(ASSIGNEES), chance)
    _opt(draw, args, "--customer", emails(), chance + 1)
    _opt(draw, args, "--created-after", instants(), chance + 1)
    _opt(draw, args, "--created-before", instants(), chance + 1)
    _opt(draw, args, "--search", search_text(), chance)


@st.composite
def case_list(draw) -> Case:
    args = ["list"]
    _filters(draw, args)
    _opt(draw, args, "--sort", choice_or_hostile(SORTS), 3)
    _opt(draw, args, "--limit", int_text(), 3)
    mode = draw(st.sampled_from(["human", "json", "csv", "both"]))
    if mode == "json":
        args.append("--json")
    elif mode == "csv":
        args.append("--csv")
    elif mode == "both":
        args += ["--json", "--csv"]
        mode = "json"
    return _case(draw, "list", [Step(args, mode=mode)])


@st.composite
def case_log(draw) -> Case:
    args = ["log"]
    _opt(draw, args, "--limit", int_text(), 2)
    mode = _json(draw, args)
    if draw(st.booleans()):
        args += _id_args(draw)
    return _case(draw, "log", [Step(args, mode=mode)])


@st.composite
def case_reply(draw) -> Case:
    ticket = _id_args(draw, st.one_of(st.integers(1, 40).map(str), ticket_ids()))
    how = draw(st.sampled_from(["arg", "stdin", "huge"]))
    if how == "arg":
        message, stdin = draw(arg_text(max_pieces=10)), None
    else:
        message, stdin = draw(body_text())
        message = "-"
    args = ["reply", "-m", message]
    if draw(st.booleans()):
        args.append("--internal")
    mode = _json(draw, args)
    expected = None
    if mode == "json":
        expected = (stdin.decode("utf-8", "replace") if stdin is not None else message).strip()
    steps = [Step(args + ticket, stdin=stdin, mode=mode, expect_message=expected)]
    if mode == "json":
        steps += _follow_up_views(draw)
    return _case(draw, "reply", steps)


@st.composite
def case_assign(draw) -> Case:
    args = ["assign", "--to", draw(choice_or_hostile(ASSIGNEES, ["", "ghost", "Ayse"]))]
    mode = _json(draw, args)
    return _case(draw, "assign", [Step(args + _id_args(draw), mode=mode)])


def _simple(command: str):
    @st.composite
    def strategy(draw) -> Case:
        args = [command]
        mode = _json(draw, args)
        return _case(draw, command, [Step(args + _id_args(draw), mode=mode)])

    return strategy()


@st.composite
def case_close(draw) -> Case:
    args = ["close"]
    _opt(draw, args, "--reason", choice_or_hostile(REASONS, ["", "Resolved", "spam"]), 2)
    for flag in ("--dry-run", "--yes", "--json"):
        if draw(st.booleans()):
            args.append(flag)
    mode = "json" if "--json" in args else "human"
    source = draw(st.sampled_from(["ids", "stdin", "filters", "mixed", "none"]))
    stdin = None
    if source in ("stdin", "mixed"):
        args.append("--stdin")
        stdin = stdin_bytes(
            draw(
                st.one_of(
                    st.lists(st.one_of(st.integers(1, 40).map(str), st.sampled_from(WEIRD_IDS)), max_size=6).map("\n".join),
                    st.lists(st.one_of(st.integers(-5, 45), st.sampled_from([0, -1, 2**63, 2**63 - 1, 2**64, 10**30, -(2**63) - 1])), max_size=5).map(json.dumps),
                    st.lists(st.integers(1, 40).map(lambda i: {"id": i}), max_size=4).map(json.dumps),
                    st.sampled_from(['{"id": 3}', '{"id": "3"}', '[{"id": true}]', "[1.5]", "[[1]]", '{"id": 1e400}', "[", "{", "[1,]", '[{"id": 99999999999999999999999}]', "[NaN]", "[-0]", '{"id": null}', "[" * 5000 + "]" * 5000, '{"x":' * 3000 + "1" + "}" * 3000]),
                    hostile_text(surrogates=True, max_pieces=6),
                )
            )
        )
    if source in ("ids", "mixed"):
        for _ in range(draw(st.integers(1, 4))):
            args += _id_args(draw) if draw(st.integers(0, 3)) == 0 else [str(draw(st.integers(1, 40)))]
    if source in ("filters", "mixed"):
        _filters(draw, args, 2)
    return _case(draw, "close", [Step(args, stdin=stdin, mode=mode)])


@st.composite
def case_priority(draw) -> Case:
    args = ["priority"]
    _opt(draw, args, "--reason", arg_text(max_pieces=4), 2)
    mode = _json(draw, args)
    return _case(draw, "priority", [Step(args + ["--", draw(ticket_ids()), draw(choice_or_hostile(PRIORITIES))], mode=mode)])


@st.composite
def case_escalate(draw) -> Case:
    args = ["escalate"]
    kind = draw(st.sampled_from(["to", "auto", "mixed"]))
    if kind in ("to", "mixed"):
        _opt(draw, args, "--to", choice_or_hostile(LEVELS), 4 if kind == "mixed" else 1)
        _opt(draw, args, "--reason", arg_text(max_pieces=5), 3 if kind == "mixed" else 1)
    if kind in ("auto", "mixed"):
        args.append("--auto")
        if draw(st.booleans()):
            args.append("--dry-run")
    mode = _json(draw, args)
    if kind == "to" or (kind == "mixed" and draw(st.booleans())):
        args += _id_args(draw)
    return _case(draw, "escalate", [Step(args, mode=mode)])


@st.composite
def case_triage(draw) -> Case:
    args = ["triage"]
    _opt(draw, args, "--department", choice_or_hostile(DEPARTMENTS), 3)
    for flag in ("--mine", "--unassigned"):
        if draw(st.integers(0, 3)) == 0:
            args.append(flag)
    _opt(draw, args, "--breaching-within", durations(), 2)
    _opt(draw, args, "--limit", int_text(), 3)
    mode = _json(draw, args)
    return _case(draw, "triage", [Step(args, mode=mode)])


@st.composite
def case_outbox(draw) -> Case:
    args = ["outbox"]
    if draw(st.booleans()):
        args.append("--pending")
    _opt(draw, args, "--limit", int_text(), 2)
    mode = _json(draw, args)
    return _case(draw, "outbox", [Step(args, mode=mode)])


# ---- policy files ----------------------------------------------------------------------------


def _policy_texts() -> list[str]:
    paths = sorted(EXAMPLES.glob("*.toml")) + [DEFAULT_POLICY]
    return [p.read_text(encoding="utf-8") for p in paths]


POLICY_TEXTS = _policy_texts()
HOSTING_GENERAL = (EXAMPLES / "hosting-general.toml").read_text(encoding="utf-8")
POLICY_KEYS = ["name", "timezone", "calendar", "hours", "holidays", "respond", "resolve", "shift", "handoff", "start", "members", "layer", "rotation", "when", "priority", "department", "channel", "rank", "within_days", "body_max_bytes", "uptime", "half_day_close", "always_open", "languages", "fields", "on_missing"]


def toml_values(depth: int = 0) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        hostile_text(max_pieces=4),
        st.sampled_from(BAD_ZONES + BAD_HOURS + BAD_DURATIONS + GOOD_DURATIONS + ["UTC", "Europe/Berlin", "Asia/Tehran", "09:00", "mon-fri"]),
        st.integers(-(2**63), 2**63 - 1),
        st.sampled_from([0, -1, 2**63, 2**64, 10**100, -(10**100), 10**4300 // 10**4000]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.datetimes(timezones=st.none() | st.just(__import__("datetime").timezone.utc)),
        st.dates(),
        st.times(),
    )
    if depth >= 2:
        return scalars
    return st.one_of(
        scalars,
        st.lists(toml_values(depth + 1), max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(POLICY_KEYS), hostile_text(max_pieces=2)), toml_values(depth + 1), max_size=3),
    )


def _slots(data: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) of parsed TOML, depth first."""
    if isinstance(data, dict):
        for key, value in data.items():
            out.append((data, key))
            _slots(value, out)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.append((data, i))
            _slots(value, out)
    return out


def _deep(depth: int, leaf: Any) -> Any:
    value = leaf
    for i in range(depth):
        value = {"k": value} if i % 2 else [value]
    return value


ODD_ZONES = [
    "Pacific/Kiritimati", "Etc/GMT-14", "Etc/GMT+12", "America/St_Johns", "Asia/Kathmandu", "Antarctica/Troll",
    "Australia/Lord_Howe", "Africa/Casablanca", "Asia/Tehran", "America/Santiago", "Europe/Dublin", "UTC", "Pacific/Apia",
]
# Values a policy may well accept that push the clock, on-call and SLA code to extremes.
EXTREMES: dict[str, list[Any]] = {
    "timezone": ODD_ZONES,
    "hours": [
        {"mon-sun": "00:00-24:00"}, {"mon": "23:59-00:01"}, {"sun": "22:00-06:00"}, {"mon-fri": "09:00-09:01"},
        {"sat-wed": "09:00-17:00"}, {"mon-fri": "00:00-12:00, 12:00-24:00"}, {"fri": "23:00-23:30"},
        {"mon-sun": "02:00-03:00"}, {"tue": "00:01-23:59"},
    ],
    "holidays": ["US", "IR", "TR", "DE", {"country": "DE", "subdivision": "BE"}, "SA", "IL", "XX", "JP", "CN"],
    "half_day_close": ["00:00", "00:01", "23:59", "13:00"],
    "closed_dates": [["2026-11-20", "2026-11-23", "2026-11-24"], ["8999-12-31"], ["1970-01-01"], [f"2026-11-{d:02d}" for d in range(1, 31)]],
    "special_hours": [{"2026-11-20": "00:00-00:01"}, {"2026-11-21": "00:00-24:00"}, {"2026-11-22": "23:00-02:00"}],
    "shift": ["1h", "59m", "8h", "1d", "1w", "36500d", "PT1H", "7d"],
    "start": ["1970-01-01", "2026-11-20", "8999-12-31", "2200-02-29", "2026-11-21"],
    "handoff": ["00:00", "23:59", "24:00", "02:30", "12:00"],
    "members": [[], ["ayse"], ["ayse"] * 50, ["nobody", "ghost"], ["tester", "ali"]],
    "respond": ["0", "1s", "1m", "36500d", "1w", "PT0.5S"],
    "resolve": ["0", "1s", "36500d", "30m"],
    "respond_outside": ["1s", "36500d"],
    "outside_allowance": ["0", "36500d", "1s"],
    "rank": [1, 2, 1000, 1001, 0, -1, 2**63],
    "within_days": [0, 1, 36500, 36501, 2**63],
    "body_max_bytes": [1000, 999, 50_000_000, 50_000_001],
    "at_risk_share": [1e-9, 0.999999999, 0.5],
    "window": ["0", "1s", "36500d"],
    "patterns": [{"en": ["(a+)+$"]}, {"en": ["["]}, {"tr": [""]}, {"en": ["(?i)idiot", "\\bx\\b"]}],
    "when": ["open", "closed", "always"],
    "always_open": [True, False],
}


@st.composite
def mutate_data(draw, data: dict[str, Any]) -> None:
    slots = _slots(data, [])
    op = draw(st.sampled_from(["replace", "delete", "rename", "add", "zone", "hours", "duration", "deep", "huge", "type", "empty", "extreme", "extreme", "extreme"]))
    if op == "extreme":
        named = [(c, k) for c, k in slots if k in EXTREMES]
        if named:
            c, k = named[draw(st.integers(0, 10**6)) % len(named)]
            c[k] = draw(st.sampled_from(EXTREMES[k]))
            return
        op = "replace"
    if not slots:
        op = "add"
    container, key = slots[draw(st.integers(0, 10**6)) % len(slots)] if slots else (data, None)
    if op == "replace":
        container[key] = draw(toml_values())
    elif op == "delete":
        container.pop(key)
    elif op == "rename" and isinstance(container, dict):
        container[draw(st.one_of(st.sampled_from(POLICY_KEYS), hostile_text(max_pieces=2)))] = container.pop(key)
    elif op == "add":
        target = container if isinstance(container, dict) else data
        target[draw(st.one_of(st.sampled_from(POLICY_KEYS + ["unknown", "x-extra"]), hostile_text(max_pieces=2)))] = draw(toml_values())
    elif op == "zone":
        named = [(c, k) for c, k in slots if k in ("timezone", "calendar", "holidays")]
        if not named:
            if not isinstance(data.get("desk"), dict):
                data["desk"] = {}
            named = [(data["desk"], "timezone")]
        c, k = named[draw(st.integers(0, 10**6)) % len(named)]
        c[k] = draw(st.one_of(st.sampled_from(BAD_ZONES + ["XX", "TR-99", "US-ZZ", "", "tr"]), hostile_text(max_pieces=2)))
    elif op == "hours":
        named = [(c, k) for c, k in slots if isinstance(c, dict) and isinstance(c.get(k), str) and ":" in c[k]] or [(c, k) for c, k in slots if k == "hours"]
        if named:
            c, k = named[draw(st.integers(0, 10**6)) % len(named)]
            c[k] = draw(st.sampled_from(BAD_HOURS)) if not isinstance(c[k], dict) else {draw(st.sampled_from(["mon-fri", "sun-sat", "mon-mon", "fri-mon", "xyz", "", "mon,tue", "sat"])): draw(st.sampled_from(BAD_HOURS))}
    elif op == "duration":
        named = [(c, k) for c, k in slots if k in ("respond", "resolve", "shift", "allowance", "out_of_hours", "within")] or [(c, k) for c, k in slots if isinstance(c, dict)]
        if named:
            c, k = named[draw(st.integers(0, 10**6)) % len(named)]
            c[k] = draw(st.one_of(st.sampled_from(BAD_DURATIONS + GOOD_DURATIONS), st.integers(-5, 10**20)))
    elif op == "deep":
        container[key] = _deep(draw(st.integers(5, 60)), draw(toml_values(2)))
    elif op == "huge":
        container[key] = draw(st.sampled_from([2**63 - 1, 2**63, -(2**63), 10**40, 1e308, float("inf"), float("-inf"), float("nan"), 10**18, 366 * 10**6]))
    elif op == "type":
        value = container[key]
        container[key] = [value] if not isinstance(value, list) else {"x": value[0] if value else 1}
    elif op == "empty":
        container[key] = draw(st.sampled_from(["", [], {}, [{}], [[]]]))


@st.composite
def mutate_bytes(draw, raw: bytes) -> bytes:
    op = draw(st.sampled_from(["insert", "delete", "dup_line", "truncate", "bom", "crlf", "cr", "line", "nul"]))
    at = draw(st.integers(0, max(len(raw), 1))) % (len(raw) + 1)
    if op == "insert":
        return raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\x1b[31m", b"\xe2\x80\xae", b"[", b"]", b"=", b'"', b"'''", b"\n[desk]\n", b"\\u0000", b"\\"])) + raw[at:]
    if op == "delete":
        return raw[:at] + raw[at + draw(st.integers(1, 40)) :]
    if op == "dup_line":
        lines = raw.split(b"\n")
        i = at % len(lines)
        return b"\n".join(lines[: i + 1] + [lines[i]] + lines[i + 1 :])
    if op == "truncate":
        return raw[:at]
    if op == "bom":
        return b"\xef\xbb\xbf" + raw
    if op == "crlf":
        return raw.replace(b"\n", b"\r\n")
    if op == "cr":
        return raw.replace(b"\n", b"\r")
    if op == "nul":
        return raw.replace(b"=", b"=\x00", 1)
    line = draw(
        st.sampled_from(
            [
                b'x\x1b = 1\n', b'"\xe2\x80\xae" = 2\n', b"[desk]\nname = 1\n", b'[[priorities]]\nname = "\\u001b[31m"\n',
                b"deep = " + b"[" * 2000 + b"]" * 2000 + b"\n", b"deep = " + b"{a=" * 500 + b"1" + b"}" * 500 + b"\n",
                b"n = 99999999999999999999999999999999\n", b"f = 1e999\n", b"d = 1979-05-27T07:32:00Z\n",
                b"[limits]\nbody_max_bytes = -1\n", b"[limits]\nbody_max_bytes = 99999999999999999999\n",
                b'[desk]\ntimezone = "Mars/Olympus"\n', b"[rules.reopen]\nwithin_days = 9223372036854775808\n",
                b'[desk]\nname = "\\u202eevil\\u001b]8;;http://x\\u0007"\n',
            ]
        )
    )
    return raw[:at] + b"\n" + line + raw[at:]


@st.composite
def policy_bytes(draw, desk_policy: bool = False) -> bytes:
    """A policy file: an example, mutated in its data and/or its bytes, or hostile bytes
    (`desk_policy`: mostly the shared desk's own, which the desk can switch to)."""
    text = draw(st.sampled_from(POLICY_TEXTS))
    if desk_policy and draw(st.integers(0, 3)):
        text = HOSTING_GENERAL
    kind = draw(st.sampled_from(["same", "data", "data", "data", "extreme", "extreme", "extreme", "bytes", "both", "raw"]))
    if kind == "raw":
        return stdin_bytes(draw(hostile_text(surrogates=True, max_pieces=8)))
    raw = text.encode("utf-8")
    if kind == "extreme":  # only values a policy may accept, so that the desk runs on them
        data = tomllib.loads(text)
        for _ in range(draw(st.integers(1, 4))):
            slots = [(c, k) for c, k in _slots(data, []) if k in EXTREMES]
            if slots:
                c, k = slots[draw(st.integers(0, 10**6)) % len(slots)]
                c[k] = draw(st.sampled_from(EXTREMES[k]))
        raw = tomli_w.dumps(data).encode("utf-8")
    if kind in ("data", "both"):
        data = tomllib.loads(text)
        for _ in range(draw(st.integers(1, 5))):
            draw(mutate_data(data))
        try:
            raw = tomli_w.dumps(data).encode("utf-8", "surrogateescape")
        except (TypeError, ValueError, RecursionError):
            pass
    if kind in ("bytes", "both"):
        for _ in range(draw(st.integers(1, 3))):
            raw = draw(mutate_bytes(raw))
    return raw


POLICY_NAMES = ["policy.toml", "p\u202eltm.toml", "سياسة.toml", "p\x1b[31m.toml", "p olicy.toml", "-p.toml", ".toml", "p\u200b.toml", "P.TOML", "p\x7f.toml"]


@st.composite
def policy_file(draw, files: dict[str, bytes | None], desk_policy: bool = False) -> str:
    """The path to give: a fresh hostile policy file, a directory, nothing, or a weird name."""
    how = draw(st.sampled_from(["file"] * (15 if desk_policy else 6) + ["missing", "dir", "weird"]))
    if how == "missing":
        return draw(st.sampled_from(["missing.toml", "", " ", "nope/policy.toml"]))
    if how == "dir":
        files["adir"] = None
        return "adir"
    if how == "weird":
        return draw(st.sampled_from(["/dev/null", "/", ".", "..", "/proc/self/status", "\x00", b"\xff.toml".decode("utf-8", "surrogateescape")]))
    name = draw(st.sampled_from(POLICY_NAMES))
    if name in files:
        name = f"{len(files)}{name}"
    files[name] = draw(policy_bytes(desk_policy))
    return name if not name.startswith("-") or draw(st.booleans()) else "./" + name


@st.composite
def case_policy_check(draw) -> Case:
    files: dict[str, bytes | None] = {}
    names = [draw(policy_file(files)) for _ in range(draw(st.integers(1, 3)))]
    args = ["policy", "check"]
    mode = _json(draw, args)
    return _case(draw, "policy check", [Step(args + ["--", *names], path_len=2, mode=mode)], files=files)


@st.composite
def case_policy_apply(draw) -> Case:
    files: dict[str, bytes | None] = {}
    name = draw(policy_file(files, desk_policy=True))
    args = ["policy", "apply"]
    mode = _json(draw, args)
    steps = [Step(args + ["--", name], path_len=2, mode=mode)]
    steps += draw(
        st.lists(
            st.sampled_from(
                [
                    Step(["policy", "show"], path_len=2),
                    Step(["policy", "show", "--json"], path_len=2, mode="json"),
                    Step(["policy", "show", "--explain"], path_len=2),
                    Step(["policy", "diff"], path_len=2),
                    Step(["policy", "versions"], path_len=2),
                    Step(["triage", "--limit", "3"]),
                    Step(["oncall", "now"], path_len=2),
                    Step(["clock", "week"], path_len=2),
                    Step(["sla", "explain", "12"], path_len=2),
                    Step(["oncall", "next"], path_len=2),
                    Step(["oncall", "schedule", "--days", "30"], path_len=2),
                    Step(["clock", "add", "36500d"], path_len=2),
                    Step(["clock", "between", "1970-01-01", "2060-01-01"], path_len=2),
                    Step(["clock", "open"], path_len=2),
                    Step(["reopen", "3"]),
                    Step(["escalate", "--auto"]),
                    Step(["file", "-s", "After apply", "-b", "body", "-c", "ada@example.com", "--priority", "critical", "--json"], mode="json"),
                    Step(["priority", "13", "low"]),
                    Step(["wait", "16"]),
                    Step(["customer", "package", "ada@example.com", "premium"], path_len=2),
                ]
            ),
            max_size=3,
            unique_by=lambda s: tuple(s.args),
        )
    )
    return _case(draw, "policy apply", steps, files=files)


FOLLOW_UPS = [
    Step(["policy", "show"], path_len=2),
    Step(["policy", "show", "--json"], path_len=2, mode="json"),
    Step(["policy", "show", "--explain"], path_len=2),
    Step(["policy", "diff"], path_len=2),
    Step(["triage", "--limit", "5"]),
    Step(["triage", "--json"], mode="json"),
    Step(["oncall", "now"], path_len=2),
    Step(["oncall", "next"], path_len=2),
    Step(["oncall", "schedule", "--days", "30"], path_len=2),
    Step(["clock", "week"], path_len=2),
    Step(["clock", "open"], path_len=2),
    Step(["clock", "add", "3650d"], path_len=2),
    Step(["clock", "add", "4h", "--from", "fri 17:00"], path_len=2),
    Step(["clock", "between", "1970-01-01", "2060-01-01"], path_len=2),
    Step(["sla", "explain", "12"], path_len=2),
    Step(["sla", "explain", "26", "--json"], path_len=2, mode="json"),
    Step(["reopen", "3"]),
    Step(["escalate", "--auto"]),
    Step(["escalate", "21", "--to", "engineer", "--reason", "firewall"]),
    Step(["file", "-s", "After apply", "-b", "body", "-c", "ada@example.com", "--priority", "critical", "--json"], mode="json"),
    Step(["file", "-s", "Big", "-b", "-", "-c", "ada@example.com"], stdin=b"x" * 1500),
    Step(["priority", "13", "low"]),
    Step(["wait", "16"]),
    Step(["resume", "15"]),
    Step(["reply", "13", "-m", "on it"]),
    Step(["close", "12", "--reason", "duplicate"]),
    Step(["customer", "package", "zeynep@pastane-zeynep.com", "premium"], path_len=2),
    Step(["oncall", "override", "add", "cem", "--layer", "on-duty", "--from", "now", "--until", "in 4h"], path_len=3),
]


@st.composite
def case_policy_extreme(draw) -> Case:
    """A policy the desk accepts, with values at the edges (odd zones, one-minute
    hours, century-long targets, short shifts, far start dates), then the desk at work."""
    data = tomllib.loads(HOSTING_GENERAL)
    for _ in range(draw(st.integers(1, 4))):
        slots = [(c, k) for c, k in _slots(data, []) if k in EXTREMES]
        c, k = slots[draw(st.integers(0, 10**6)) % len(slots)]
        c[k] = draw(st.sampled_from(EXTREMES[k]))
    files = {"policy.toml": tomli_w.dumps(data).encode("utf-8")}
    steps = [Step(["policy", "apply", "policy.toml"], path_len=2)]
    steps += draw(st.lists(st.sampled_from(FOLLOW_UPS), min_size=1, max_size=4, unique_by=lambda s: tuple(s.args)))
    now = draw(st.sampled_from(["2026-11-20T15:00", "2026-11-21T03:00", "2026-11-23T10:00", "2026-12-01T12:00", "2027-03-28T02:30", "8999-12-31T23:00"]))
    return Case("policy extreme", steps, files=files, now=now, db_after=draw(st.booleans()))


@st.composite
def case_policy_read(draw) -> Case:
    which = draw(st.sampled_from(["show", "versions", "diff"]))
    args = ["policy", which]
    mode = "human"
    if which == "show":
        if draw(st.booleans()):
            args.append("--explain")
        _opt(draw, args, "--version", int_text(), 2)
        mode = _json(draw, args)
    elif which == "versions":
        mode = _json(draw, args)
    else:
        versions = draw(st.lists(int_text(), max_size=2))
        args += ["--", *versions] if versions else []
    return _case(draw, f"policy {which}", [Step(args, path_len=2, mode=mode)])


@st.composite
def case_policy_init(draw) -> Case:
    args = ["policy", "init"]
    _opt(draw, args, "--from", choice_or_hostile(EXAMPLE_NAMES), 2)
    if draw(st.booleans()):
        args.append("--force")
    files: dict[str, bytes | None] = {}
    target = draw(st.sampled_from([None, "new.toml", "existing.toml", "adir", "nope/x.toml", "/dev/full", "p\u202e.toml"]))
    if target == "existing.toml":
        files[target] = b"# mine\n"
    if target == "adir":
        files[target] = None
    if target is not None:
        args += ["--", target]
    return _case(draw, "policy init", [Step(args, path_len=2)], files=files)


def _calendar_file(draw, args: list[str], files: dict[str, bytes | None]) -> None:
    if draw(st.integers(0, 3)) == 0:
        args += ["--calendar-file", draw(policy_file(files))]


@st.composite
def case_clock(draw) -> Case:
    which = draw(st.sampled_from(["open", "add", "between", "week"]))
    files: dict[str, bytes | None] = {}
    args = ["clock", which]
    _opt(draw, args, "--calendar", choice_or_hostile(CALENDARS, ["24/7", "", "Office"]), 3)
    _calendar_file(draw, args, files)
    if which == "open":
        _opt(draw, args, "--at", instants(), 2)
    elif which == "add":
        _opt(draw, args, "--from", instants(), 2)
    elif which == "week":
        _opt(draw, args, "--from", instants(), 1)
    mode = _json(draw, args)
    if which == "add":
        args += ["--", draw(durations())]
    elif which == "between":
        args += ["--", draw(instants()), draw(instants())]
    return _case(draw, f"clock {which}", [Step(args, path_len=2, mode=mode)], files=files)


@st.composite
def case_oncall(draw) -> Case:
    which = draw(st.sampled_from(["now", "next", "schedule"]))
    files: dict[str, bytes | None] = {}
    args = ["oncall", which]
    _calendar_file(draw, args, files)
    if which == "now":
        _opt(draw, args, "--at", instants(), 2)
    elif which == "schedule":
        _opt(draw, args, "--days", int_text(), 2)
        _opt(draw, args, "--from", instants(), 2)
    mode = _json(draw, args)
    return _case(draw, f"oncall {which}", [Step(args, path_len=2, mode=mode)], files=files)


@st.composite
def case_override(draw) -> Case:
    which = draw(st.sampled_from(["add", "add", "list", "remove"]))
    args = ["oncall", "override", which]
    mode = "human"
    steps = []
    if which == "add":
        _opt(draw, args, "--layer", choice_or_hostile(LAYERS), 1)  # sometimes left out: a usage error
        _opt(draw, args, "--from", instants(), 1)
        _opt(draw, args, "--until", instants(), 1)
        _opt(draw, args, "--reason", arg_text(max_pieces=5), 2)
        mode = _json(draw, args)
        args += ["--", draw(choice_or_hostile(AGENTS, ["ghost", "", "me"]))]
        steps.append(Step(args, path_len=3, mode=mode))
        steps.append(Step(["oncall", "override", "list", "--all"], path_len=3))
    elif which == "list":
        if draw(st.booleans()):
            args.append("--all")
        mode = _json(draw, args)
        steps.append(Step(args, path_len=3, mode=mode))
    else:
        args += ["--", draw(st.one_of(st.integers(-2, 5).map(str), st.sampled_from(WEIRD_INTS)))]
        steps.append(Step(args, path_len=3))
    return _case(draw, f"oncall override {which}", steps)


@st.composite
def case_agent(draw) -> Case:
    which = draw(st.sampled_from(["add", "add", "list"]))
    args = ["agent", which]
    steps = []
    if which == "add":
        _opt(draw, args, "--name", arg_text(max_pieces=5), 2)
        _opt(draw, args, "--email", emails(), 3)
        _opt(draw, args, "--role", choice_or_hostile(ROLES, ["root", ""]), 2)
        mode = _json(draw, args)
        args += ["--", draw(choice_or_hostile(AGENTS, ["new-agent", "ali", "ali.veli", "a" * 200, "", "Ayse", "root"]))]
        steps = [Step(args, path_len=2, mode=mode), Step(["agent", "list"], path_len=2)]
    else:
        mode = _json(draw, args)
        steps = [Step(args, path_len=2, mode=mode)]
    return _case(draw, f"agent {which}", steps)


@st.composite
def case_customer_package(draw) -> Case:
    args = ["customer", "package"]
    mode = _json(draw, args)
    args += ["--", draw(emails()), draw(choice_or_hostile(PACKAGES, ["", "gold"]))]
    return _case(draw, "customer package", [Step(args, path_len=2, mode=mode), Step(["triage", "--limit", "3"])])


@st.composite
def case_init(draw) -> Case:
    files: dict[str, bytes | None] = {}
    args = ["init"]
    if draw(st.integers(0, 3)):
        args += ["--policy", draw(policy_file(files))]
    steps = [Step(args)]
    steps += draw(st.lists(st.sampled_from([Step(["list"]), Step(["triage"]), Step(["oncall", "now"], path_len=2), Step(["policy", "show"], path_len=2)]), max_size=1))
    return _case(draw, "init", steps, files=files, db="fresh")


@st.composite
def case_demo(draw) -> Case:
    return _case(draw, "demo", [Step(["demo"])], db="fresh")


@st.composite
def case_desk_file(draw) -> Case:
    """The desk file itself is not one: missing, a directory, empty, foreign, a fragment."""
    db = draw(st.sampled_from(["missing", "dir", "empty", "text", "truncated", "zeros"]))
    command = draw(st.sampled_from([["list"], ["triage"], ["show", "3"], ["reply", "3", "-m", "x"], ["policy", "versions"], ["oncall", "now"], ["init"]]))
    return _case(draw, "desk file", [Step(command, path_len=2 if command[0] in ("policy", "oncall") else 1)], db=db)


COMMANDS: dict[str, st.SearchStrategy[Case]] = {
    "file": case_file(),
    "show": case_show(),
    "list": case_list(),
    "log": case_log(),
    "reply": case_reply(),
    "assign": case_assign(),
    "wait": _simple("wait"),
    "resume": _simple("resume"),
    "reopen": _simple("reopen"),
    "close": case_close(),
    "priority": case_priority(),
    "escalate": case_escalate(),
    "triage": case_triage(),
    "sla explain": case_sla_explain(),
    "outbox": case_outbox(),
    "clock": case_clock(),
    "oncall": case_oncall(),
    "oncall override": case_override(),
    "policy check": case_policy_check(),
    "policy apply": case_policy_apply(),
    "policy extreme": case_policy_extreme(),
    "policy read": case_policy_read(),
    "policy init": case_policy_init(),
    "agent": case_agent(),
    "customer package": case_customer_package(),
    "init": case_init(),
    "demo": case_demo(),
    "desk file": case_desk_file(),
}
# Relative share of examples in a long run (demo builds a whole desk: fewer of those).
WEIGHTS = {name: 1.0 for name in COMMANDS} | {"demo": 0.15, "init": 0.5, "file": 2.0, "list": 2.0, "close": 1.5, "policy check": 2.0, "policy apply": 1.5, "policy extreme": 1.0, "clock": 2.0}


# ---- the shared desk and the runner ------------------------------------------------------


HOSTILE = "Pay \x1b]8;;http://evil.example\x1b\\here\x1b]8;;\x1b\\ \x1b[2J\x9b31m \u202egnp.exe\u2066 \x07 مرحبا \u200b"


def base_env(root: Path) -> dict[str, str | None]:
    return {
        "HOME": str(root / "home"),
        "XDG_DATA_HOME": str(root / "home" / "data"),
        "XDG_CACHE_HOME": str(root / "home" / "cache"),
        "SUPPORTDESK_USER": "tester",
        "COLUMNS": "100",
        "NO_COLOR": "1",
        "SUPPORTDESK_DB": None,
        "SUPPORTDESK_NOW": None,
    }


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the desk file and drop it, so the file's bytes are the desk."""
    if not path.is_file():
        return
    if not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists():
        return
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.DatabaseError:
        pass
    finally:
        conn.close()


def build_base(root: Path) -> Path:
    """The shared desk: the demo, plus tickets, notes, names, an override, an agent and a
    policy version that carry hostile text (stored exactly, as an import could)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "base.db"
    runner = CliRunner()
    env = base_env(root)

    def ok(*args: str, now: str = HOSTILE_NOW, input: bytes | None = None) -> str:
        result = runner.invoke(app, ["--db", str(path), "--now", now, *args], input=input, env=env)
        assert result.exit_code == 0, (args, result.output)
        return result.stdout

    ok("demo", now=DEMO_NOW)
    first = int(ok("file", "-s", "Hostile body", "-b", "-", "-c", "ابو@مثال.com", "-f", "domain=مثال.com\u200b", input=stdin_bytes(f"body {HOSTILE}\nשלום \u202e")).strip())
    ok("reply", str(first), "-m", f"note {HOSTILE}", "--internal")
    ok("reply", str(first), "-m", "سلام دنیا \u2066 reply")
    ok("agent", "add", "ali", "--name", "Ali \u202eilA", "--email", "ali@example.com")
    ok("oncall", "override", "add", "cem", "--layer", "on-duty", "--from", "fri 18:00", "--until", "mon 09:00", "--reason", f"swap {HOSTILE}")
    policy = (EXAMPLES / "hosting-general.toml").read_text(encoding="utf-8")
    hostile_policy = root / "hostile-policy.toml"
    hostile_policy.write_text(policy.replace('name = "Hosting General"', 'name = "Hosting General \\u202eevil\\u001b[31m مرحبا"', 1), encoding="utf-8")
    result = runner.invoke(app, ["--db", str(path), "--now", HOSTILE_NOW, "policy", "apply", str(hostile_policy)], env=env)
    if result.exit_code != 0:  # the policy refuses such a name: keep a plain second version
        hostile_policy.write_text(policy.replace('name = "Hosting General"', 'name = "Hosting General 2"', 1), encoding="utf-8")
        ok("policy", "apply", str(hostile_policy))
    # Text the CLI refuses on the way in, planted as an import or an old desk could hold it.
    conn = sqlite3.connect(path)
    conn.execute("UPDATE tickets SET subject = ?, fields = ? WHERE id = ?", [HOSTILE, json.dumps({"srv": HOSTILE}), first])
    conn.execute("UPDATE customers SET name = ? WHERE id = (SELECT customer_id FROM tickets WHERE id = ?)", [HOSTILE, first])
    conn.execute("UPDATE tickets SET category = ?, service = ? WHERE id = 5", [HOSTILE, "\u202eevil.example"])
    conn.commit()
    conn.close()
    _checkpoint(path)
    for suffix in ("-wal", "-shm"):
        assert not Path(f"{path}{suffix}").exists()
    return path


@dataclass
class Outcome:
    problems: list[str]
    codes: list[int]


class Harness:
    """Runs cases against copies of the shared desk and checks every invocation."""

    def __init__(self, root: Path, base: Path | None = None):
        self.root = root
        self.base = base or build_base(root / "base")
        self.base_bytes = self.base.read_bytes()
        self.work = root / "work"
        self.runner = CliRunner()
        self.env = base_env(root)

    # -- setting up one case

    def _reset(self, case: Case) -> Path:
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        for name, content in case.files.items():
            target = self.work / name
            if content is None:
                target.mkdir(exist_ok=True)
            else:
                target.write_bytes(content)
        desk = self.work / "desk.db"
        match case.db:
            case "desk":
                desk.write_bytes(self.base_bytes)
            case "fresh" | "missing":
                pass
            case "dir":
                desk.mkdir()
            case "empty":
                desk.write_bytes(b"")
            case "text":
                desk.write_bytes("not a desk \u202e\n".encode() * 50)
            case "truncated":
                desk.write_bytes(self.base_bytes[: len(self.base_bytes) // 3])
            case "zeros":
                desk.write_bytes(b"\x00" * 8192)
        return desk

    def _argv(self, case: Case, step: Step, desk: Path, last_id: str | None) -> list[str]:
        args = [a.replace("{id}", last_id or "1") for a in step.args]
        globals_ = ["--db", str(desk)]
        if case.now is not None:
            globals_ += ["--now", case.now]
        if case.db_after:
            return args[: step.path_len] + globals_ + args[step.path_len :]
        return globals_ + args

    def _state(self, desk: Path) -> tuple[Any, list[str]]:
        """The desk's bytes (WAL folded in) and the work directory's names."""
        _checkpoint(desk)
        names = sorted(p.name for p in self.work.iterdir() if not p.name.endswith(("-wal", "-shm")))
        if desk.is_file():
            return desk.read_bytes(), names
        return ("dir" if desk.is_dir() else None), names

    # -- running and checking

    def run(self, case: Case) -> Outcome:
        """Run a case with the work directory as the current one (relative paths land there)."""
        here = os.getcwd()
        desk = self._reset(case)
        os.chdir(self.work)
        try:
            return self._run(case, desk)
        finally:
            os.chdir(here)

    def _run(self, case: Case, desk: Path) -> Outcome:
        env = dict(self.env) | case.env
        problems: list[str] = []
        codes: list[int] = []
        last_id: str | None = None
        for index, step in enumerate(case.steps):
            before = self._state(desk)
            argv = self._argv(case, step, desk, last_id)
            result = self.runner.invoke(app, argv, input=step.stdin, env=env)
            codes.append(result.exit_code)
            where = f"step {index} ({' '.join(step.args[: step.path_len])})"
            found = self.check(step, result, before, desk)
            problems += [f"{where}: {p}" for p in found]
            if result.exit_code != 0:
                break  # the next steps build on this one
            if step.mode == "json" and not found:
                data = json.loads(result.stdout)
                if isinstance(data, dict) and isinstance(data.get("id"), int):
                    last_id = str(data["id"])
        return Outcome(problems, codes)

    def check(self, step: Step, result: Any, before: tuple[Any, list[str]], desk: Path) -> list[str]:
        problems = []
        code = result.exit_code
        out, err = result.stdout, result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            problems.append(f"an exception escaped the CLI: {type(result.exception).__name__}: {result.exception}")
        if code not in DOCUMENTED_EXIT_CODES:
            problems.append(f"exit code {code} is not documented" + (" (70: the catch-all for a bug)" if code == 70 else "") + f"; stderr={err[:500]!r}")
        if "Traceback" in out or "Traceback" in err:
            problems.append("a traceback in the output")
        if code not in (0, PARTIAL):
            if not (err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1):
                problems.append(f"stderr is not one `error: ` line: {err[:500]!r}")
            after = self._state(desk)
            if after[0] != before[0]:
                problems.append("a refused command changed the desk file" + self._diff(before[0], after[0]))
            if after[1] != before[1]:
                problems.append(f"a refused command left files: before {before[1]}, after {after[1]}")
        bad = UNSAFE_OUTPUT.search(err)
        if bad:
            problems.append(f"stderr carries the raw character {bad.group()!r} at {bad.start()}: {err[max(0, bad.start() - 60): bad.start() + 20]!r}")
        if step.mode == "human":
            bad = UNSAFE_OUTPUT.search(out)
            if bad:
                problems.append(f"stdout carries the raw character {bad.group()!r} at {bad.start()}: {out[max(0, bad.start() - 60): bad.start() + 20]!r}")
        elif code == 0 and step.mode == "json":
            problems += self._check_json(step, out)
        elif code == 0 and step.mode == "csv":
            try:
                list(csv.reader(io.StringIO(out)))
            except csv.Error as error:
                problems.append(f"--csv output is not CSV: {error}")
        return problems

    def _check_json(self, step: Step, out: str) -> list[str]:
        try:
            data = json.loads(out)
        except ValueError as error:
            return [f"--json output is not JSON ({error}): {out[:300]!r}"]
        problems = []
        bad = UNSAFE_JSON.search(out)
        if bad:
            problems.append(f"--json output carries the raw character {bad.group()!r} at {bad.start()}")
        for key, expected in (step.expect or {}).items():
            if not isinstance(data, dict) or data.get(key) != expected:
                got = data.get(key) if isinstance(data, dict) else data
                problems.append(f"--json {key} does not come back exactly: filed {expected!r:.200}, got {got!r:.200}")
        if step.expect_message is not None:
            messages = data.get("messages") if isinstance(data, dict) else None
            texts = [m.get("body", m.get("text")) for m in messages or [] if isinstance(m, dict)]
            if step.expect_message not in texts:
                problems.append(f"--json messages do not hold the reply exactly: {step.expect_message!r:.200} not in {[t[:80] for t in texts if t]!r:.300}")
        return problems

    def _diff(self, before: Any, after: Any) -> str:
        if not isinstance(before, bytes) or not isinstance(after, bytes):
            return f" ({type(before).__name__} -> {type(after).__name__})"
        try:
            old = _dump_bytes(before, self.root / "dump-before.db")
            new = _dump_bytes(after, self.root / "dump-after.db")
        except sqlite3.DatabaseError as error:
            return f" (not a database any more: {error})"
        removed = [line for line in old if line not in set(new)][:3]
        added = [line for line in new if line not in set(old)][:3]
        if not removed and not added:
            return " (same SQL content, different bytes)"
        return f"; removed {removed!r:.400}; added {added!r:.400}"


def _dump_bytes(data: bytes, scratch: Path) -> list[str]:
    scratch.write_bytes(data)
    conn = sqlite3.connect(scratch)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()
        scratch.unlink()


# ---- defects found here in files this suite may not fix ------------------------------------
# Each is reported with its input, diagnosis and a proposed patch. While it stands, the
# property tests waive exactly that failure (and nothing else), and the benchmark lists it
# as known. Remove the entry when the fix lands: test_known_defects_are_still_there then
# fails as a reminder.

def _any_args(case: Case, *flags: str) -> bool:
    return any(flag in step.args for step in case.steps for flag in flags)


KNOWN_DEFECTS: dict[str, tuple[str, Any]] = {}


def _not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def known_defect(case: Case, problem: str) -> str | None:
    """The label of the known defect that explains `problem`, if any."""
    for label, (_, matches) in KNOWN_DEFECTS.items():
        if matches(case, problem):
            return label
    return None
