"""docs/intake.md's examples are real: each ```text block runs, on the desk its setup
below makes, and prints exactly the lines the block shows (standard output and standard
error, as a terminal shows them)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, api, new_desk
from typer.testing import CliRunner

from supportdesk.cli import app

DOC = Path(__file__).resolve().parent.parent / "docs" / "intake.md"
CREATED = "2026-11-16T09:00"  # Mon 16 Nov 2026 09:00: every desk is made then (in its zone)
NOW = "2026-11-18T10:00"  # Wed 18 Nov 2026 10:00: when the examples run (a command's --now wins)
POLICIES = {"kristalium.db": "kristalium", "websight.db": "websight", "hosting.db": "hosting-general", "introserv.db": "introserv", "sitecom.db": "sitecom"}


def _blocks() -> list[list[tuple[str, list[str]]]]:
    """Each ```text block: its `$ command`s, each with the lines printed under it."""
    blocks = []
    for text in re.findall(r"^```text\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE):
        commands: list[tuple[str, list[str]]] = []
        for line in text.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            else:
                assert commands, f"output before any command in docs/intake.md:\n{text}"
                commands[-1][1].append(line.rstrip())
        blocks.append(commands)
    return blocks


# ---- what each example needs -------------------------------------------------------------


def _reseller(d: Any) -> None:
    d.add_reseller("res@example.net", name="Example Reseller")
    d.add_customer("end@customer.example", reseller="res@example.net")


def _delivered_vps(d: Any) -> None:
    d.add_customer("vps@customer.example")
    d.add_service("vps@customer.example", kind="vps", name="vps-ist-1", order="#123456", delivered="2026-11-10T12:00")


def _starter(d: Any) -> None:
    d.add_customer("starter@customer.example", package="starter")


def _introserv(d: Any) -> None:
    d.add_customer("ops@client.example", verified=True)
    d.add_customer("new@client.example")


def _sitecom(d: Any) -> None:
    d.add_customer("ali@example.ir", verified=True)
    d.add_customer("sara@example.ir", verified=True)


def _nothing(d: Any) -> None:
    pass


# What each block needs, keyed by its first command (without `$ supportdesk `): the people
# and services on its desk, added at CREATED through the Python API. The desk's policy
# comes from the --db name (POLICIES).
SETUPS: dict[str, Callable[[Any], None]] = {
    '--db kristalium.db file -s "Site down" -b "My site returns 503" -c end@customer.example': _reseller,
    '--db kristalium.db file -s "Nginx config" -b "Please set up virtual hosts for my two sites" -c vps@customer.example': _delivered_vps,
    '--db websight.db file -s "Theme broken" -b "My WordPress theme shows a blank page" -c ada@example.com --category themes-plugins': _nothing,
    '--db hosting.db file -s "Mail bounces" -b "Outgoing mail is rejected since this morning" -c ada@example.com': _nothing,
    '--db hosting.db file -s "Move my shop" -b "Please move shop.example.com.tr from my old host" -c starter@customer.example '
    "--category site-migration --field domain=shop.example.com.tr": _starter,
    '--db introserv.db file -s "Server unreachable" -b "No ping since 09:40" -c ops@client.example --priority high': _introserv,
    '--db introserv.db file -s "Charged twice" -b "Why was I charged twice this month?" -c new@client.example --department financial': _introserv,
    '--db sitecom.db file -s "Site down" -b "My site has been down since this morning" -c ali@example.ir --service example.ir': _sitecom,
    '--db sitecom.db file -s "سایت از دسترس خارج است" -b "سایت من از صبح امروز باز نمی‌شود و خطای ۵۰۳ می‌دهد." -c sara@example.ir --service example.ir': _sitecom,
    '--db sitecom.db file -s "سایت از دسترس خارج است" -b "سایت من از صبح امروز باز نمی‌شود و خطای ۵۰۳ می‌دهد." -c ali@example.ir': _sitecom,
}


def _key(commands: list[tuple[str, list[str]]]) -> str:
    return commands[0][0].removeprefix("supportdesk ")


BLOCKS = _blocks()


def test_every_seed_has_examples_and_every_setup_is_used():
    assert {shlex.split(_key(b))[1] for b in BLOCKS} == set(POLICIES)
    assert [_key(b) for b in BLOCKS if _key(b) not in SETUPS] == [], "a block of docs/intake.md has no setup here"
    assert set(SETUPS) == {_key(b) for b in BLOCKS}, "a setup here has no block in docs/intake.md"
    assert all(expected for block in BLOCKS for _, expected in block), "every example shows what it prints"


@pytest.mark.parametrize("commands", BLOCKS, ids=[f"{i}-{shlex.split(_key(b))[1]}" for i, b in enumerate(BLOCKS)])
def test_the_example_prints_what_docs_intake_shows(commands, tmp_path, monkeypatch):
    prepare = SETUPS[_key(commands)]
    db = shlex.split(_key(commands))[1]
    path = tmp_path / db  # the tests run in tmp_path: the example's relative --db is this file
    new_desk(path, EXAMPLES / f"{POLICIES[db]}.toml", now=CREATED)
    with api(path) as do:
        prepare(do.at(CREATED))
    monkeypatch.setenv("SUPPORTDESK_NOW", NOW)
    runner = CliRunner()
    for command, expected in commands:
        argv = shlex.split(command)
        assert argv[0] == "supportdesk" and argv[1:3] == ["--db", db], f"every command of a block runs on its desk: {command}"
        result = runner.invoke(app, argv[1:])
        printed = [line.rstrip() for line in result.output.rstrip("\n").splitlines()]
        assert printed == expected, command
        refused = any(line.startswith("error: ") for line in printed)
        assert result.exit_code == (1 if refused else 0), f"{command}\n{result.output}"
