"""Escalation: who answers each level, and whom a ticket goes to. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Staffing:
    """Who is on duty at each escalation level, the desk's agents, and their open tickets."""

    levels: list[tuple[str, tuple[str, ...]]]  # (level name, people on duty)
    agents: dict[str, dict[str, Any]]  # active agents by login
    load: dict[str, int]  # open tickets per login

    def pick(self, people: tuple[str, ...]) -> dict[str, Any] | None:
        """The agent among `people` with the fewest open tickets (the first on a tie)."""
        candidates = [self.agents[p] for p in people if p in self.agents]
        if not candidates:
            return None
        chosen = min(candidates, key=lambda a: (self.load.get(a["login"], 0), people.index(a["login"])))
        self.load[chosen["login"]] = self.load.get(chosen["login"], 0) + 1
        return chosen

