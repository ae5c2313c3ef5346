"""Errors as HTTP answers: one envelope, `{"error": message, "exit_code": code}`, where the
message is exactly what the CLI prints after `error: ` and the code is its exit code; the
HTTP status follows from the code. Nothing else of an error ever reaches a client: an
unexpected one is logged on the server with its traceback and answered with a 500 that
says only that (no stack trace, no SQL)."""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any

from supportdesk.errors import ExitCode, SupportdeskError

# The HTTP status of each of the CLI's exit codes.
STATUS_BY_EXIT = {
    ExitCode.REFUSED: 403,
    ExitCode.INVALID: 422,
    ExitCode.NOT_FOUND: 404,
    ExitCode.UNAVAILABLE: 503,
    ExitCode.INTERNAL: 500,
}
# Seconds a client is asked to wait before retrying a busy desk.
BUSY_RETRY_SECONDS = 1
INTERNAL = "internal error: the server could not answer this request; its log has the details (at {at})"


def envelope(message: str, exit_code: int, status: int, headers: dict[str, str] | None = None) -> Any:
    """The error response: the envelope as JSON, with the status and any headers."""
    from starlette.responses import Response

    body = json.dumps({"error": message, "exit_code": int(exit_code)}, ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status, headers={"X-Supportdesk-Exit": str(int(exit_code)), **(headers or {})}, media_type="application/json")


def status_of(error: SupportdeskError) -> int:
    """The HTTP status of a desk's error: by its exit code; 401 for a bad or missing token."""
    from supportdesk.server.desks import NotAuthenticated

    if isinstance(error, NotAuthenticated):
        return 401
    return STATUS_BY_EXIT.get(error.exit_code, 500)


def desk_error_response(error: SupportdeskError) -> Any:
    """A refusal of the desk, as the CLI would word it."""
    status = status_of(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {"Retry-After": str(BUSY_RETRY_SECONDS)} if status == 503 else {}
    return envelope(error.message, error.exit_code, status, headers)


def validation_message(errors: list[dict[str, Any]]) -> str:
    """The framework's validation errors as one line naming the fields: `query parameter
    limit: Input should be a valid integer; body field ids: Field required`."""
    places = {"query": "query parameter", "path": "path parameter", "body": "body field", "header": "header"}
    parts = []
    for error in errors[:5]:
        where = [str(p) for p in error.get("loc", ())]
        kind = places.get(where[0], where[0]) if where else "request"
        name = ".".join(where[1:]) if len(where) > 1 else ""
        message = str(error.get("msg", "invalid"))
        if error.get("type") == "json_invalid":
            kind, name, message = "body", "", "is not valid JSON"
        elif error.get("type") == "model_attributes_type":
            kind, name, message = "body", "", "must be a JSON object"
        elif kind == "body field" and not name:
            kind, message = "body", "a JSON object is required"
        parts.append(f"{kind} {name}: {message}".replace("  ", " ").replace(" :", ":"))
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


def install_handlers(app: Any) -> None:
    """Every error becomes the envelope: the desk's refusals, the framework's validation
    errors (422, naming the field), unknown paths (404) and methods (405)."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    @app.exception_handler(SupportdeskError)
    async def desk_refusal(request: Any, error: SupportdeskError) -> Any:
        return desk_error_response(error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Any, error: RequestValidationError) -> Any:
        from supportdesk.text import inert

        return envelope(inert(validation_message(list(error.errors())), multiline=False), ExitCode.INVALID, 422)

    @app.exception_handler(HTTPException)
    async def framework_error(request: Any, error: HTTPException) -> Any:
        if error.status_code == 404:
            return envelope(f"no such endpoint {request.url.path!r}; the API is described at /docs and /openapi.json", ExitCode.NOT_FOUND, 404)
        if error.status_code == 405:
            return envelope(f"{request.method} is not an operation of {request.url.path!r}; see /docs", ExitCode.INVALID, 405)
        exit_code = ExitCode.INVALID if error.status_code < 500 else ExitCode.INTERNAL
        return envelope(str(error.detail), exit_code, error.status_code)


class CatchAll:
    """ASGI middleware: an exception nothing else handled is logged here with its
    traceback, and the client gets a 500 with the envelope and nothing of the error
    itself. A busy desk (SQLite's lock) is a 503 with Retry-After, as the CLI's exit 4."""

    def __init__(self, app: Any, log: Any = None):
        self.app = app
        self.log = log

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as error:  # noqa: BLE001 - the boundary: no traceback to the client, ever
            if started:
                raise  # the answer is half sent: nothing better than closing the connection
            response = self.answer(error)
            await response(scope, receive, send)

    def answer(self, error: BaseException) -> Any:
        """The response to an unexpected error (logged here first, unless it is a busy desk)."""
        from datetime import UTC, datetime

        from supportdesk.store import backend_error_message

        text = backend_error_message(error)
        if text is not None and "busy" in text:
            return envelope(text, ExitCode.UNAVAILABLE, 503, {"Retry-After": str(BUSY_RETRY_SECONDS)})
        at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        stream = self.log or sys.stderr
        stream.write(f"{at} error: unexpected {type(error).__name__} while answering a request:\n{''.join(traceback.format_exception(error))}")
        stream.flush()
        return envelope(INTERNAL.format(at=at), ExitCode.INTERNAL, 500)
