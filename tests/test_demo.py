"""`supportdesk demo`: a realistic throwaway desk that fits an 80-column terminal."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from conftest import Cli
from supportdesk.cli import app


def test_demo_builds_a_realistic_desk_and_shows_the_queue(tmp_path):
    path = tmp_path / "demo.db"
    result = CliRunner().invoke(
        app, ["--db", str(path), "--now", "2026-11-20T14:30", "demo"], env={"COLUMNS": "80", "LINES": "25", "TERM": "dumb", "TTY_COMPATIBLE": "1"}
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
    tickets = cli.json("list", "--sort", "id", env={"SUPPORTDESK_USER": "ayse"}, now="2026-11-20T14:30")
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
    cli.refused(1, "already exists; the demo builds a new desk", "demo", now="2026-11-20T14:30")


def test_demo_by_default_rebuilds_one_desk_in_the_cache_dir(isolated):
    cache = isolated / "cache"
    env = {"XDG_CACHE_HOME": str(cache)}
    first = CliRunner().invoke(app, ["--now", "2026-11-20T14:30", "demo"], env=env)
    assert first.exit_code == 0, first.output
    path = cache / "supportdesk" / "demo.db"
    assert f"export SUPPORTDESK_DB={path}" in first.stdout
    second = CliRunner().invoke(app, ["--now", "2026-11-20T14:30", "demo"], env=env)
    assert second.exit_code == 0, second.output
    # Runs do not pile up: one desk file, rebuilt (so still 33 tickets, not 66).
    assert sorted(p.name for p in (cache / "supportdesk").iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["demo.db"]
    assert len(Cli(path).json("list", env={"SUPPORTDESK_USER": "ayse"}, now="2026-11-20T14:30")) == 33
    assert not list(Path("/tmp").glob(f"supportdesk-demo-*/{path.name}"))


def test_an_interrupted_demo_build_leaves_no_desk(tmp_path, monkeypatch):
    from supportdesk import demo as demo_module

    path = tmp_path / "demo.db"
    calls = {"n": 0}
    real_play = demo_module._play

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_module, "_play", interrupted)
    result = CliRunner().invoke(app, ["--db", str(path), "--now", "2026-11-20T14:30", "demo"])
    assert result.exit_code == 130, result.output
    assert calls["n"] == 1 and real_play is not interrupted
    assert list(tmp_path.iterdir()) == []  # neither the desk nor the file it was built in


def test_following_the_demo_without_the_export_says_where_a_desk_was_created(isolated):
    result = CliRunner().invoke(app, ["--now", "2026-11-20T14:30", "list"])
    assert result.exit_code == 0, result.output
    assert "created a new desk at" in result.stderr
    assert str(isolated / "home" / "data" / "supportdesk" / "desk.db") in result.stderr
    again = CliRunner().invoke(app, ["--now", "2026-11-20T14:30", "list"])
    assert "created a new desk" not in again.stderr


def test_a_killed_demo_builds_files_are_cleaned_up_by_the_next_run(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "demo.db"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    for name in (f".demo.db.building-{gone}", f".demo.db.building-{gone}-wal", f"..demo.db.building-{gone}.abcd.creating"):
        (tmp_path / name).write_bytes(b"x")
    alive = tmp_path / f".demo.db.building-{os.getpid()}-other"
    alive.write_bytes(b"x")
    result = CliRunner().invoke(app, ["--db", str(path), "--now", "2026-11-20T14:45", "demo"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == sorted([alive.name, "demo.db"])
