"""A rich Console that never writes text from a ticket raw to the terminal.

rich is imported here, so only commands that draw tables import this module.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.segment import Segment

from supportdesk.text import inert


class SafeConsole(Console):
    """Every text segment is made inert just before rich styles and writes it; rich's own
    control segments (cursor moves of a live view) pass unchanged."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(inert(segment.text), segment.style, segment.control)
            for segment in buffer
        )
