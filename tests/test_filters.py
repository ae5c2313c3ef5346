"""The filters `list` and `close` share beyond the basics: age, idleness, breaches,
reseller, package, intake flag and category."""

from __future__ import annotations

import pytest

from conftest import api

NOW = "2026-11-27T10:00"


@pytest.fixture
def desk(cli):
    cli.ok("reseller", "add", "ops@acme.example", "--name", "Acme Hosting", now="2026-11-16T09:00")
    cli.ok("customer", "add", "shop@one.example", "--reseller", "Acme Hosting", "--package", "premium", now="2026-11-16T09:00")
    with api(cli) as do:
        do.file(now="2026-11-16T10:00", customer="shop@one.example", subject="Mail bounces", category="mail", field="domain=one.example")  # 1
        do.file(now="2026-11-20T10:00", subject="Site down")  # 2: no account info: missing-info
        do.file(now="2026-11-27T09:00", subject="DNS zone", priority="low", category="domains-dns", field="domain=a.example")  # 3: due tomorrow
        do.at("2026-11-26T11:00").reply(2, "Looking into it")
    return cli


def ids(cli, *options):
    return sorted(t["id"] for t in cli.json("list", *options, now=NOW))


def test_each_filter_keeps_what_it_says(desk):
    assert ids(desk, "--older-than", "3d") == [1, 2]
    assert ids(desk, "--idle-for", "3d") == [1]  # #2 had a public reply a day ago, #3 was filed then
    assert ids(desk, "--breached", "yes") == [1, 2]
    assert ids(desk, "--breached", "no") == [3]
    assert ids(desk, "--reseller", "acme hosting") == ids(desk, "--reseller", "ops@acme.example") == [1]
    assert ids(desk, "--package", "premium") == [1]
    assert ids(desk, "--package", "none") == [2, 3]
    assert ids(desk, "--flag", "missing-info") == [2]
    assert ids(desk, "--category", "mail,domains-dns") == [1, 3]


def test_close_takes_the_same_filters(desk):
    desk.ok("close", "--idle-for", "3d", "--reason", "no-response", now=NOW)
    assert ids(desk, "--status", "closed") == [1]


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--breached", "maybe", "--breached takes yes or no"),
        ("--idle-for", "soon", "--idle-for:"),
        ("--older-than", "0m", "--older-than must be longer than nothing"),
        ("--package", "gold", "unknown package 'gold'"),
    ],
)
def test_bad_filter_values_are_refused_in_one_line(desk, option, value, fragment):
    desk.refused(2, fragment, "list", option, value, now=NOW)
