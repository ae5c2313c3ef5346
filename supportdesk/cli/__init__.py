"""The `supportdesk` command line: parse, call the desk service, render. Nothing else."""

from __future__ import annotations

from supportdesk.cli import agents, clock, demo, oncall, policy, tickets, triage  # noqa: F401  (registers the commands)
from supportdesk.cli import maintenance  # noqa: F401  (backup, restore, check)
from supportdesk.cli.app import app


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
