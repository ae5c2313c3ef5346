"""The `supportdesk` command line: parse, call the desk service, render. Nothing else."""

from __future__ import annotations

from supportdesk.cli import (  # noqa: F401  (registers the commands)
    agents,
    clock,
    demo,
    maintenance,  # noqa: F401  (backup, restore, check)
    oncall,
    policy,
    tickets,
    triage,
)
from supportdesk.cli.app import app


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
