"""What the server refuses before the desk is asked: a token in the URL, a request body
over the limit, and more requests with one token than its rate allows.

The rate limit is a token bucket per access token, kept in the memory of each server
process: a token may make `burst` requests at once and `rate` a second after that. With
`--workers N` each worker keeps its own buckets, so a client spread over N workers may
make up to N times as many; put the limit in the reverse proxy when that matters.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from hashlib import sha256
from typing import Any
from urllib.parse import parse_qsl, unquote

from supportdesk.errors import ExitCode

DEFAULT_MAX_BODY = 2 * 1024 * 1024  # twice the default largest description (limits.body_max_bytes), for JSON's escapes
DEFAULT_RATE = 20.0  # requests a second per token, sustained
DEFAULT_BURST = 100  # requests at once per token
# Buckets kept before the idle (full) ones are forgotten.
MAX_BUCKETS = 50_000

# The shape of a supportdesk token (`sd_` and 43 characters of URL-safe base64) and the
# names a client might put one under in a query string.
TOKEN_LIKE = re.compile(r"sd_[A-Za-z0-9_-]{20,}")
TOKEN_NAMES = frozenset({"token", "access_token", "api_key", "apikey", "key", "auth", "authorization", "bearer", "supportdesk_token"})
TOKEN_IN_URL = (
    "a token was sent in the URL: tokens go only in the header `Authorization: Bearer <token>` "
    "(URLs end up in logs, proxies and browser history); revoke it (`supportdesk token revoke PREFIX`) and use a new one in the header"
)


def bearer_token(scope: dict[str, Any]) -> str | None:
    """The token of the request's `Authorization: Bearer …` header, or None."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            return (token.strip() or None) if scheme.lower() == "bearer" else None
    return None


def token_in_url(scope: dict[str, Any]) -> bool:
    """Whether the path or the query string carries something that looks like a token."""
    query = scope.get("query_string", b"").decode("latin-1")
    if TOKEN_LIKE.search(scope.get("path", "")) or TOKEN_LIKE.search(unquote(query)):
        return True
    return any(name.strip().lower() in TOKEN_NAMES for name, _ in parse_qsl(query, keep_blank_values=True))


class RateLimit:
    """Token buckets, one per access token (keyed by its hash: the tokens are not kept)."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = max(1, burst)
        self.clock = clock
        self._buckets: dict[bytes, tuple[float, float]] = {}  # key -> (tokens left, when)

    def wait(self, token: str) -> int:
        """0 when a request with `token` may go ahead now (and count it); else the
        whole seconds to wait before the next one will."""
        now = self.clock()
        key = sha256(token.encode("utf-8", "surrogateescape")).digest()
        left, then = self._buckets.get(key, (float(self.burst), now))
        left = min(float(self.burst), left + (now - then) * self.rate)
        if left >= 1.0:
            self._buckets[key] = (left - 1.0, now)
            if len(self._buckets) > MAX_BUCKETS:
                self._forget_idle(now)
            return 0
        self._buckets[key] = (left, now)
        return max(1, math.ceil((1.0 - left) / self.rate))

    def _forget_idle(self, now: float) -> None:
        """Drop the buckets that have filled up again: they are as if never used."""
        full = [k for k, (left, then) in self._buckets.items() if left + (now - then) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]

    def message(self, seconds: int) -> str:
        return (
            f"too many requests with this token (at most {self.rate:g} a second, {self.burst} at once); "
            f"retry in {seconds} s"
        )


class Shield:
    """ASGI middleware: refuses a token in the URL (401), a body over `max_body` bytes
    (413), and requests over a token's rate (429 with Retry-After); the body of a request
    it lets through is read here, so that the app never sees more than the limit."""

    def __init__(self, app: Any, *, max_body: int = DEFAULT_MAX_BODY, limit: RateLimit | None = None):
        self.app = app
        self.max_body = max_body
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        from supportdesk.server.errors import envelope

        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if token_in_url(scope):
            await envelope(TOKEN_IN_URL, ExitCode.REFUSED, 401, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        token = bearer_token(scope)
        if token is not None and self.limit is not None:
            seconds = self.limit.wait(token)
            if seconds:
                await envelope(self.limit.message(seconds), ExitCode.UNAVAILABLE, 429, {"Retry-After": str(seconds)})(scope, receive, send)
                return
        body = await self._body(scope, receive)
        if body is None:
            await envelope(self._too_large(), ExitCode.INVALID, 413, {"Connection": "close"})(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _body(self, scope: dict[str, Any], receive: Any) -> bytes | None:
        """The whole request body, or None when it is (or says it is) over the limit."""
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                text = value.decode("latin-1").strip()
                if not text.isdigit() or int(text) > self.max_body:
                    return None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _too_large(self) -> str:
        return (
            f"the request body is larger than this server takes ({self.max_body:,} bytes); "
            "send a shorter description or reply (attach large logs instead)"
        )


def _replay(body: bytes, receive: Any) -> Any:
    """A `receive` that gives the body already read, then waits as the real one does."""
    given = False

    async def replay() -> dict[str, Any]:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
