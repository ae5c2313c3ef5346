"""The access log: one line per request on stderr (uvicorn's own access log is off).

    2026-11-24T09:30:12.345Z sd_AbC1x GET /v1/status 200 4.2ms

The time (UTC), the first 8 characters of the token (`-` without one: never the whole
token), the method, the path without its query string (a token-shaped piece of a path
is blanked), the status and the time taken. Text from the client is made inert, so the
log is safe to read in a terminal.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any

from supportdesk.server.limits import TOKEN_LIKE, bearer_token
from supportdesk.text import inert

PREFIX_SHOWN = 8


def log_line(at: datetime, token: str | None, method: str, path: str, status: int, seconds: float) -> str:
    """One line of the access log."""
    prefix = inert(token[:PREFIX_SHOWN], multiline=False) if token else "-"
    shown = inert(TOKEN_LIKE.sub("sd_…", path), multiline=False).replace(" ", "%20")
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}Z {prefix} {inert(method, multiline=False)} {shown} {status} {seconds * 1000:.1f}ms\n"


class AccessLog:
    """ASGI middleware writing the access log to `stream` (stderr by default)."""

    def __init__(self, app: Any, stream: Any = None):
        self.app = app
        self.stream = stream

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app fails before answering, the server answers 500

        async def watched_send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        finally:
            line = log_line(datetime.now(UTC), bearer_token(scope), scope.get("method", "-"), scope.get("path", ""), status, time.perf_counter() - started)
            stream = self.stream or sys.stderr
            stream.write(line)
            stream.flush()
