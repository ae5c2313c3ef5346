"""A rich Console that never writes text from a ticket raw to the terminal.

rich is imported when the first console is made, so only commands that draw tables pay
for it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from supportdesk.text import inert


@cache
def _console_class() -> type:
    from rich.console import Console
    from rich.segment import Segment

    class SafeConsole(Console):
        """Every text segment is made inert just before rich styles and writes it; rich's
        own control segments (cursor moves of a live view) pass unchanged."""

        def _render_buffer(self, buffer: Any) -> str:
            return super()._render_buffer(
                segment if segment.control else Segment(inert(segment.text), segment.style, segment.control)
                for segment in buffer
            )

    return SafeConsole


def SafeConsole(**options: Any) -> Any:  # noqa: N802 - used like the class it makes
    """A rich Console whose text segments are made inert (see `_console_class`)."""
    return _console_class()(**options)
