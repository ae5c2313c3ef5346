"""The app: `create_app(desk_path, …)` builds the FastAPI application that `supportdesk
serve` runs on uvicorn (and that tests drive with the framework's test client).

Around the routes, from the outside in: the access log, CORS (only when origins are
given), the catch-all for unexpected errors, and the shield (a token in the URL, the body
limit, the rate limit). OpenAPI is at /openapi.json and the interactive docs at /docs.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from supportdesk.frozen import Record, record
from supportdesk.server.desks import (
    READ_THREADS,
    WRITE_THREADS,
    Desks,
    Threads,
    real_clock,
)
from supportdesk.server.limits import (
    DEFAULT_BURST,
    DEFAULT_MAX_BODY,
    DEFAULT_RATE,
    RateLimit,
)

# How `serve` hands its settings to worker processes (uvicorn imports the app anew in each).
SETTINGS_ENV = "SUPPORTDESK_SERVE_SETTINGS"

DESCRIPTION = (
    "The desk service over HTTP: the same use cases, scoping and refusals as the `supportdesk` CLI, "
    "whose `--json` output each endpoint answers with. Send a token of `supportdesk token issue` as "
    "`Authorization: Bearer <token>` (never in the URL). Errors are `{\"error\": …, \"exit_code\": …}` "
    "with the CLI's message and exit code; the header X-Supportdesk-Exit carries the exit code of every answer."
)


@record
class Settings(Record):
    """What `supportdesk serve` was given, as every worker process needs it."""

    desk: str
    now: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    rate: float = DEFAULT_RATE
    burst: int = DEFAULT_BURST
    cors_origins: tuple[str, ...] = ()
    read_threads: int = READ_THREADS
    write_threads: int = WRITE_THREADS

    def to_env(self) -> str:
        return json.dumps({"desk": self.desk, "now": self.now, "max_body": self.max_body, "rate": self.rate, "burst": self.burst,
                           "cors_origins": list(self.cors_origins), "read_threads": self.read_threads, "write_threads": self.write_threads})

    @classmethod
    def from_env(cls, text: str) -> Settings:
        data = json.loads(text)
        return cls(**(data | {"cors_origins": tuple(data.get("cors_origins") or ())}))


def create_app(
    desk_path: str | Path,
    now_text: str | None = None,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    rate: float = DEFAULT_RATE,
    burst: int = DEFAULT_BURST,
    cors_origins: tuple[str, ...] = (),
    read_threads: int = READ_THREADS,
    write_threads: int = WRITE_THREADS,
    log: Any = None,
    clock: Callable[[], datetime] = real_clock,
    limit_clock: Callable[[], float] = time.monotonic,
) -> Any:
    """The API over the desk at `desk_path` (which must exist). `now_text` pins the
    server's clock (`serve --now`); `rate` requests a second per token (`burst` at once;
    rate 0: no limit); request bodies up to `max_body` bytes; CORS only for
    `cors_origins`; at most `read_threads` reads and `write_threads` writes at once in
    this process; the access log and errors go to `log` (stderr by default)."""
    from fastapi import FastAPI

    from supportdesk import __version__
    from supportdesk.server.access_log import AccessLog
    from supportdesk.server.errors import CatchAll, install_handlers
    from supportdesk.server.limits import Shield
    from supportdesk.server.routes import router

    desks = Desks(Path(desk_path), now_text=now_text, clock=clock)
    app = FastAPI(title="supportdesk", version=__version__, description=DESCRIPTION, docs_url="/docs", redoc_url=None, openapi_url="/openapi.json")
    app.state.desks = desks
    app.include_router(router(desks, Threads(read_threads, write_threads)))
    install_handlers(app)
    # add_middleware puts each one outside those added before it.
    app.add_middleware(Shield, max_body=max_body, limit=RateLimit(rate, burst, limit_clock) if rate > 0 else None)
    app.add_middleware(CatchAll, log=log)
    if cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"], expose_headers=["X-Supportdesk-Exit", "X-Total-Count", "Retry-After"],
        )
    app.add_middleware(AccessLog, stream=log)
    return app


def app_from_settings(settings: Settings) -> Any:
    """The app `serve` runs, from its settings."""
    return create_app(
        settings.desk, settings.now, max_body=settings.max_body, rate=settings.rate, burst=settings.burst,
        cors_origins=settings.cors_origins, read_threads=settings.read_threads, write_threads=settings.write_threads,
    )


def app_from_env() -> Any:
    """The app of a worker process (`uvicorn --factory`), from the settings `serve` left
    in the environment."""
    return app_from_settings(Settings.from_env(os.environ[SETTINGS_ENV]))
