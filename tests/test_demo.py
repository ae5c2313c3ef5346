"""`supportdesk demo`: a realistic throwaway desk that fits an 80-column terminal."""

from __future__ import annotations

from collections import Counter

from typer.testing import CliRunner

from conftest import Cli
from supportdesk.cli import app


def test_demo_builds_a_realistic_desk_and_shows_the_queue(tmp_path):
    path = tmp_path / "demo.db"
    result = CliRunner().invoke(
        app, ["--db", str(path), "--now", "2026-11-20T14:30", "demo"], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # Everything fits 80 columns except lines carrying the (arbitrarily long) desk path.
    assert max(len(line.rstrip()) for line in lines if str(path) not in line) <= 80
    assert "Hosting General — triage at Fri 20 Nov 2026 14:30 +03" in result.stdout
    assert "On call: office: ayse, burak, cem; management: cem" in result.stdout
    assert "23 open · 9 breached · 1 at risk · 15 unassigned" in result.stdout
    assert "breached" in result.stdout and " in " in result.stdout
    assert f"export SUPPORTDESK_DB={path}" in result.stdout
    assert "supportdesk show" in result.stdout

    cli = Cli(path)
    tickets = cli.json("list", "--sort", "id", env={"SUPPORTDESK_USER": "ayse"})
    assert len(tickets) >= 30
    statuses = Counter(t["status"] for t in tickets)
    assert set(statuses) == {"new", "open", "pending", "resolved", "closed"}
    assert set(t["priority"] for t in tickets) == {"critical", "high", "normal", "low"}
    assert set(t["department"] for t in tickets) == {"technical", "billing", "sales"}
    assert [t["created_at"] for t in tickets] == sorted(t["created_at"] for t in tickets)
    shown = [line for line in lines if "#" in line[:8] and line.strip()[:1].isdigit()]
    assert len(shown) == statuses["new"] + statuses["open"] + statuses["pending"]
    assert [t["package"] for t in tickets if t["customer"] == "it@bogazici-dental.com"][0] == "premium"
    escalated = [t for t in tickets if t["escalation_level"] > 0]
    assert {t["id"] for t in escalated} == {12, 26}


def test_demo_refuses_an_existing_path(cli):
    cli.refused(1, "already exists; the demo builds a new desk", "demo")


def test_demo_in_a_temp_dir_by_default():
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "supportdesk-demo-" in result.stdout
