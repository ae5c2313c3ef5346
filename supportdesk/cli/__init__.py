"""The `supportdesk` command line: parse, call the desk service, render. Nothing else.

The command modules (tickets, triage, clock, oncall, policy, agents, demo, maintenance,
completion) register their commands on `app` when imported; the root group imports one
only when one of its commands is called (see `COMMANDS` in app.py).
"""

from __future__ import annotations

from supportdesk.cli.app import app


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
