"""`supportdesk demo`: a throwaway desk full of realistic tickets, and where to go next."""

from __future__ import annotations

import typer

from supportdesk.cli.app import app, console, globals_of, real_now

NEXT_STEPS = (
    ("supportdesk sla explain {first}", "why it breaches: its clocks"),
    ("supportdesk show {first}", "one ticket: messages, history"),
    ("supportdesk list --status pending", "waiting on the customer"),
    ("supportdesk reply {first} -m 'On it'", "answer the customer"),
    ("supportdesk log {busy}", "every change, who and when"),
    ("supportdesk escalate --auto --dry-run", "raise breached tickets a level"),
    ("supportdesk oncall now", "who is on duty"),
)


def next_steps(path: object, first: int, busy: int) -> str:
    """The lines that tell a newcomer what to try on the demo desk."""
    lines = [f"Try next (the demo desk is {path}):", f"  export SUPPORTDESK_DB={path}"]
    commands = [(c.format(first=first, busy=busy), what) for c, what in NEXT_STEPS]
    width = max(len(c) for c, what in commands if what)
    lines += [f"  {c.ljust(width)}  {what}".rstrip() for c, what in commands]
    return "\n".join(lines)


def demo_path():
    """Where the demo desk lives unless --db says otherwise: one file in the user cache
    directory, replaced by each run (so runs do not pile up temp folders)."""
    from pathlib import Path

    import platformdirs

    return Path(platformdirs.user_cache_dir("supportdesk", appauthor=False)) / "demo.db"


@app.command()
def demo(ctx: typer.Context) -> None:
    """Build a throwaway desk from examples/ and show its open queue.

    Without --db the desk is the user cache directory's demo.db, rebuilt on every run.
    """
    from pathlib import Path

    from supportdesk.cli.triage import render_triage
    from supportdesk.config import current_login
    from supportdesk.demo import build_demo
    from supportdesk.errors import Refused
    from supportdesk.timetext import parse_instant

    options = globals_of(ctx)
    if options.db:
        path = Path(options.db).expanduser()
        if path.exists():
            raise Refused(f"{path} already exists; the demo builds a new desk, so give a new --db path")
    else:
        path = demo_path()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    clock = real_now()
    if options.now:
        from datetime import UTC
        from zoneinfo import ZoneInfo

        # The demo policy's zone reads a --now given without an offset.
        clock = parse_instant(options.now, ZoneInfo("Europe/Istanbul"), clock).astimezone(UTC)
    desk = build_demo(path, login=current_login(), now=clock, clock=real_now)
    try:
        view = desk.triage(limit=50)
        out = console()
        out.print(render_triage(view, desk.policy.name, desk.policy.zone, out.width))
        breached = [r["id"] for r in view.rows if r["state"] == "breached"]
        first = (breached or [r["id"] for r in view.rows] or [1])[0]
        busiest = max(view.rows, key=lambda r: r["updated_at"])["id"] if view.rows else 1
        # Plain text: a long temp path must stay on one line to be copied.
        typer.echo("\n" + next_steps(path, first, busiest))
    finally:
        desk.close()
