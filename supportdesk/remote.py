"""The CLI's remote mode: the desk service's calls over the HTTP API of `supportdesk serve`.

With SUPPORTDESK_URL (or `--url`) and SUPPORTDESK_TOKEN, the commands that resellers,
customers and remote agents use (REMOTE_COMMANDS) open a RemoteDesk instead of a desk
file. It has the methods of Desk those commands call, and returns the same dicts and
records, rebuilt from the server's JSON (which is the CLI's `--json`), so the commands
render and exit exactly as they do on a local desk. A refusal from the server comes back
as the same SupportdeskError, with the same message and exit code; a server that cannot
be reached, or is not a supportdesk, is DeskUnavailable (exit 4), naming the URL.

The HTTP client is the standard library's http.client, not httpx: measured here,
importing httpx takes 95–150 ms (0.28 imports click, pygments and rich for its own
command line), about half the 0.25 s a remote `supportdesk status` may take to start,
for two plain requests on one connection, which http.client makes with ~40 ms of
imports (ssl included). See benchmarks/remote_start.py.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from supportdesk.errors import (
    DeskUnavailable,
    ExitCode,
    InvalidInput,
    NotFound,
    Refused,
    SupportdeskError,
)
from supportdesk.frozen import Record, record

URL_ENV = "SUPPORTDESK_URL"
CA_ENV = "SUPPORTDESK_CA"  # a CA file to trust instead of the system's (a desk's own CA)
TIMEOUT_ENV = "SUPPORTDESK_TIMEOUT"  # seconds to wait for the server (default below)
DEFAULT_TIMEOUT = 60.0

# The commands that work against a server; every other one needs the desk file.
REMOTE_COMMANDS = frozenset({"status", "list", "show", "log", "file", "reply", "close", "triage"})

# The version of the HTTP API this client speaks (GET /v1/desk says the server's).
API_VERSION = 1

# A connection idle this long is opened afresh: the server may have closed it (uvicorn
# keeps an idle connection 5 s), and a request sent on a closed one may be lost.
FRESH_AFTER_SECONDS = 2.0

# The error a server's exit code stands for.
ERRORS: dict[int, type[SupportdeskError]] = {
    int(ExitCode.REFUSED): Refused,
    int(ExitCode.INVALID): InvalidInput,
    int(ExitCode.NOT_FOUND): NotFound,
    int(ExitCode.UNAVAILABLE): DeskUnavailable,
}


def check_remote_command(command: str) -> None:
    """Refuse, in remote mode, a command that works only on a local desk."""
    if command not in REMOTE_COMMANDS:
        raise InvalidInput(
            f"`supportdesk {command}` works only on a local desk; unset {URL_ENV} (or leave out --url) "
            f"to run it on the desk's host (remotely: {', '.join(sorted(REMOTE_COMMANDS))})"
        )


# ---- the server's address ------------------------------------------------------------


@record
class Server(Record):
    """Where the server is: `url` as the user gave it (for messages), and its parts."""

    url: str
    secure: bool
    host: str
    port: int | None
    base: str  # the path the API sits under ("" or e.g. "/supportdesk")


def parse_url(text: str) -> Server:
    """SUPPORTDESK_URL as a Server; refused (never echoed) when it carries a user name or
    password, and refused when it has a query or fragment, or sends a token in clear text
    over a network."""
    from urllib.parse import urlsplit

    where = f"{URL_ENV} (or --url)"
    try:
        if not text.strip().isascii() or not text.strip().isprintable() or " " in text.strip():
            raise ValueError("not a URL")
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        raise InvalidInput(f"{where} is not a URL; give one like https://desk.example.com") from None
    if "@" in parts.netloc:
        raise InvalidInput(f"{where} has a user name or password in it; leave them out: the token goes in SUPPORTDESK_TOKEN")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{where} must be an http:// or https:// URL with a host, e.g. https://desk.example.com")
    if parts.query or parts.fragment or text.strip().endswith(("?", "#")):
        raise InvalidInput(f"{where} must not have a query string or fragment (?… or #…); give the server's address alone")
    secure = parts.scheme == "https"
    if not secure and not _loopback(parts.hostname):
        raise InvalidInput(
            f"{where} is http:// to {parts.hostname}, which would send your token unencrypted over the network; "
            "use https:// (a reverse proxy with TLS, or `supportdesk serve --certfile … --keyfile …`)"
        )
    shown = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return Server(shown, secure, parts.hostname, port, parts.path.rstrip("/"))


def _loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def timeout_seconds() -> float:
    """How long to wait for the server: SUPPORTDESK_TIMEOUT, else DEFAULT_TIMEOUT."""
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise InvalidInput(f"{TIMEOUT_ENV} must be seconds between 0 and 3600, e.g. 30, not {text!r}")
    return seconds


# ---- one connection ------------------------------------------------------------------


@record
class Reply(Record):
    """A server's answer: the HTTP status, its headers, and the body read as JSON (None
    when it is not JSON)."""

    status: int
    reason: str
    headers: Any
    data: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Connection:
    """Requests to one server over one kept-alive connection, with the token in the
    Authorization header (never in the URL); every failure to get an HTTP answer is
    DeskUnavailable naming the URL and what to do."""

    def __init__(self, server: Server, token: str, *, timeout: float, cafile: str | None = None):
        import http.client

        self.server = server
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "User-Agent": _user_agent()}
        if server.secure:
            self.http: Any = http.client.HTTPSConnection(server.host, server.port, timeout=timeout, context=_tls_context(cafile))
        else:
            self.http = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
        self.timeout = timeout
        self.last_used = 0.0

    def request(self, method: str, path: str, params: dict[str, Any] | None = None, body: Any = None) -> Reply:
        """Send one request to the API path (under the server's base path) and read the
        whole answer."""
        from urllib.parse import urlencode

        target = self.server.base + path
        if params:
            target += "?" + urlencode({k: _param(v) for k, v in params.items() if v is not None})
        headers = dict(self.headers)
        payload = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self.last_used and time.monotonic() - self.last_used > FRESH_AFTER_SECONDS:
            self.http.close()
        try:
            self.http.request(method, target, body=payload, headers=headers)
            answer = self.http.getresponse()
            raw = answer.read()
        except Exception as error:  # noqa: BLE001 - every way a request fails becomes one line
            self.http.close()
            raise self._failure(error, write=method != "GET") from None
        self.last_used = time.monotonic()
        if answer.will_close:
            self.http.close()
        return Reply(answer.status, answer.reason, answer.headers, _json_body(answer.headers, raw))

    def _failure(self, error: Exception, *, write: bool) -> DeskUnavailable:
        """What went wrong with a request, as the one line the user sees."""
        import http.client
        import socket
        import ssl

        url = self.server.url
        maybe = " (the change may have been made: check before trying again)" if write and not isinstance(error, ConnectionRefusedError) else ""
        if isinstance(error, ssl.SSLCertVerificationError):
            why = error.verify_message or error.reason or "not trusted"
            return DeskUnavailable(
                f"the TLS certificate of {url} cannot be verified ({why}); if the desk uses its own certificate "
                f"authority, set {CA_ENV} to its CA file, and check {URL_ENV}"
            )
        if isinstance(error, ssl.SSLError):
            hint = "; is the server's address http:// rather than https://?" if "WRONG_VERSION_NUMBER" in str(error) else ""
            return DeskUnavailable(f"TLS with {url} failed ({error.reason or error}){hint}; check {URL_ENV}{maybe}")
        if isinstance(error, socket.gaierror):
            return DeskUnavailable(f"cannot find the host {self.server.host} of {url} ({error.strerror or 'no such host'}); check {URL_ENV}")
        if isinstance(error, ConnectionRefusedError):
            return DeskUnavailable(f"cannot connect to {url}: connection refused; check {URL_ENV} and that `supportdesk serve` runs there")
        if isinstance(error, TimeoutError):
            return DeskUnavailable(
                f"{url} did not answer within {self.timeout:g} s; try again later, or set {TIMEOUT_ENV} to wait longer{maybe}"
            )
        if isinstance(error, http.client.HTTPException | ConnectionResetError | BrokenPipeError):
            return DeskUnavailable(f"{url} closed the connection without an HTTP answer; check {URL_ENV} (is it a supportdesk server?){maybe}")
        if isinstance(error, OSError):
            return DeskUnavailable(f"cannot connect to {url}: {error.strerror or error}; check {URL_ENV} and your network{maybe}")
        return DeskUnavailable(f"the request to {url} failed ({type(error).__name__}); check {URL_ENV}{maybe}")

    def close(self) -> None:
        self.http.close()


def _user_agent() -> str:
    from supportdesk import __version__

    return f"supportdesk/{__version__}"


def _tls_context(cafile: str | None) -> Any:
    """Certificates verified against the system's store (SSL_CERT_FILE and SSL_CERT_DIR
    are honoured), or against SUPPORTDESK_CA alone when it is set."""
    import ssl

    if cafile is None:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as error:
        why = getattr(error, "strerror", None) or getattr(error, "reason", None) or error
        raise InvalidInput(f"{CA_ENV} {cafile!r} cannot be read as a CA file ({why}); give a PEM file of the desk's certificate authority") from None


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_body(headers: Any, raw: bytes) -> Any:
    """The body as JSON, or None when it is not JSON."""
    if "json" not in (headers.get("Content-Type") or "").lower():
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


# ---- the desk over HTTP --------------------------------------------------------------


@record
class RemotePolicy(Record):
    """What the commands read of the policy in remote mode: the desk's name and zone."""

    name: str
    timezone: str

    @property
    def zone(self) -> Any:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    @property
    def attachment_max_bytes(self) -> int:
        """`--attach` reads the file before the desk is asked: not over the API (yet)."""
        raise InvalidInput(ATTACH_REFUSED)


# Attachments are not sent over the API: a file is attached on the desk's own host.
ATTACH_REFUSED = "--attach works only on the desk's own host, not in remote mode; leave it out, or ask an agent to attach the file"


@record
class RemoteTriage(Record):
    """The triage view as the server gives it, with the attributes the rendering reads."""

    data: dict[str, Any]

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.data["tickets"]

    @property
    def counts(self) -> dict[str, int]:
        return self.data["counts"]

    @property
    def now(self) -> datetime:
        from supportdesk.timetext import from_utc_text

        return from_utc_text(self.data["at"])

    @property
    def duties(self) -> list[Any]:
        from supportdesk.oncall import Duty

        return [Duty(d["layer"], d["active"], tuple(d["people"])) for d in self.data["on_call"]]

    def to_json(self) -> dict[str, Any]:
        return self.data


class RemoteDesk:
    """A desk behind `supportdesk serve`: the use cases the remote commands call, with the
    arguments and results of Desk's."""

    created = False

    def __init__(self, connection: Connection):
        from supportdesk.model import Actor
        from supportdesk.timetext import from_utc_text

        self.connection = connection
        about = self._about()
        try:
            self.policy = RemotePolicy(str(about["name"]), str(about["zone"]))
            self.policy.zone  # a zone unknown here fails now, not while rendering
            self.now = from_utc_text(str(about["now"]))
            actor = about["actor"]
            self.actor = Actor(str(actor["kind"]), str(actor["name"]))
        except (KeyError, TypeError, ValueError, LookupError):
            raise self._not_a_desk("GET /v1/desk answered without the supportdesk API's fields") from None

    def _about(self) -> dict[str, Any]:
        """GET /v1/desk: the proof that the server is a supportdesk, its zone, now and the actor."""
        reply = self.connection.request("GET", "/v1/desk")
        if reply.ok and isinstance(reply.data, dict) and "supportdesk" in reply.data and "api" in reply.data:
            if reply.data["api"] != API_VERSION:
                raise DeskUnavailable(
                    f"{self.connection.server.url} speaks version {reply.data['api']} of the supportdesk API "
                    f"(supportdesk {reply.data['supportdesk']}) and this supportdesk speaks {API_VERSION}; use the same version on both sides"
                )
            return reply.data
        if reply.status != 404:  # a 404 (even a supportdesk's): no desk at this address
            _raise_envelope(reply)
        if 300 <= reply.status < 400 and reply.headers.get("Location"):
            location = reply.headers.get("Location")
            raise self._not_a_desk(f"GET /v1/desk redirects to {location}; set {URL_ENV} to the address the desk is served at")
        what = "not JSON" if reply.data is None else "JSON without the supportdesk API's fields"
        raise self._not_a_desk(f"GET /v1/desk answered {reply.status} {reply.reason}, {what}")

    def _not_a_desk(self, why: str) -> DeskUnavailable:
        return DeskUnavailable(f"{self.connection.server.url} is not a supportdesk server ({why}); check {URL_ENV}")

    def _call(self, method: str, path: str, params: dict[str, Any] | None = None, body: Any = None) -> Reply:
        """One call of the API: its reply when it succeeded; else the server's refusal
        raised as the error the desk raised."""
        reply = self.connection.request(method, path, params, body)
        if reply.ok and reply.data is not None:
            return reply
        _raise_envelope(reply)
        url = self.connection.server.url
        if reply.ok:
            raise DeskUnavailable(f"{url} answered {method} {path} with something other than the supportdesk API's JSON; check {URL_ENV}")
        raise DeskUnavailable(
            f"{url} answered {method} {path} with {reply.status} {reply.reason} and no supportdesk error; "
            f"try again later, or check {URL_ENV} (and a proxy in front of the server)"
        )

    # ---- the use cases -----------------------------------------------------------------

    def status(self, ticket_id: int | None = None, *, finished: bool = False) -> dict[str, Any]:
        """`status [ID] [--all]`."""
        return self._call("GET", "/v1/status", {"ticket": ticket_id, "all": True if finished else None}).data

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        """`show ID`."""
        return self._call("GET", f"/v1/tickets/{ticket_id}").data

    def filter(self, **options: Any) -> dict[str, Any]:
        """The filter options (checked by the server when they are used)."""
        return {name: value for name, value in options.items() if value is not None}

    def list_tickets(self, flt: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        """`list`: the tickets, and how many match in all (X-Total-Count)."""
        reply = self._call("GET", "/v1/tickets", flt)
        rows = reply.data
        try:
            total = int(reply.headers.get("X-Total-Count") or len(rows))
        except ValueError:
            total = len(rows)
        return rows, total

    def log(self, ticket_id: int | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """`log [ID] [--limit N]` (no limit: 0, all)."""
        return self._call("GET", "/v1/log", {"ticket": ticket_id, "limit": limit or 0}).data

    def file_ticket(self, draft: Any) -> dict[str, Any]:
        """`file`: the ticket filed, with what the intake said."""
        if getattr(draft, "attachments", None):
            raise InvalidInput(ATTACH_REFUSED)
        body = {
            "subject": draft.subject,
            "body": draft.body,
            "customer": draft.customer,
            "department": draft.department,
            "priority": draft.priority,
            "channel": draft.channel,
            "category": draft.category,
            "service": draft.service,
            "fields": dict(draft.fields) or None,
            "ref": draft.ref,
        }
        return self._call("POST", "/v1/tickets", body={k: v for k, v in body.items() if v is not None}).data

    def reply(self, ticket_id: int, text: str, *, internal: bool = False, attachments: Any = ()) -> dict[str, Any]:
        """`reply ID -m TEXT [--internal]`."""
        if attachments:
            raise InvalidInput(ATTACH_REFUSED)
        return self._call("POST", f"/v1/tickets/{ticket_id}/replies", body={"text": text, "internal": internal}).data

    def bulk_close(
        self,
        reason: Any,
        *,
        ids: list[int] | None = None,
        flt: dict[str, Any] | None = None,
        dry_run: bool = False,
        confirm: Callable[[int], bool] | None = None,
        confirm_above: int = 20,
        of: int | None = None,
        progress: Any = None,
        source: str | None = None,
    ) -> Any:
        """`close`: by ids, or (agents) by filter, whose ids are listed first; with
        `confirm`, a dry run counts the tickets and asks before more than `confirm_above`
        are closed, as on a local desk. The server closes them in one transaction and
        records the operation (its `source` is "ids": POST /v1/close takes no other)."""
        from supportdesk.access import require_agent

        if ids is None:
            matching = self._call("GET", "/v1/tickets", {**(flt or {}), "sort": "id", "limit": 0 if self.actor.is_agent else 1}).data
            require_agent(self.actor, "close tickets by filter; close your tickets by their numbers")
            ids = [t["id"] for t in matching]
            if not ids:
                from supportdesk.desk.bulk import BulkOutcome

                arguments = {"reason": reason.value} | ({"of": of} if of is not None else {}) | ({"source": source} if source else {})
                return BulkOutcome("close", dry_run, arguments)
        body = {"ids": ids, "reason": reason.value} | ({"of": of} if of is not None else {})
        if confirm is not None and not dry_run and len(set(ids)) > confirm_above:
            preview = _outcome(self._call("POST", "/v1/close", body=body | {"dry_run": True}).data)
            if len(preview.changed) > confirm_above and not confirm(len(preview.changed)):
                raise Refused("nothing was closed")
        return _outcome(self._call("POST", "/v1/close", body=body | {"dry_run": dry_run}).data)

    def triage(
        self,
        *,
        limit: int = 50,
        department: str | None = None,
        mine: bool = False,
        unassigned: bool = False,
        breaching_within: timedelta | None = None,
    ) -> RemoteTriage:
        """`triage` (agents)."""
        params: dict[str, Any] = {"limit": limit, "department": department, "mine": mine or None, "unassigned": unassigned or None}
        if breaching_within is not None:
            params["breaching_within"] = f"{int(breaching_within.total_seconds())}s"
        return RemoteTriage(self._call("GET", "/v1/triage", params).data)

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


def _outcome(data: dict[str, Any]) -> Any:
    """A BulkOutcome from its JSON (to_json gives the same JSON back)."""
    from supportdesk.desk.bulk import BulkOutcome

    known = ("operation", "action", "dry_run", "changed", "skipped", "notifications")
    arguments = {k: v for k, v in data.items() if k not in known}
    return BulkOutcome(
        data["action"], data["dry_run"], arguments, data["operation"], data["changed"], data["skipped"], data["notifications"]
    )


def _raise_envelope(reply: Reply) -> None:
    """Raise the server's refusal (`{"error": …, "exit_code": …}`) as the desk's error."""
    data = reply.data
    if reply.ok or not isinstance(data, dict) or not isinstance(data.get("error"), str):
        return
    code = data.get("exit_code")
    if not isinstance(code, int) or isinstance(code, bool) or not 1 <= code <= 125:
        return
    error = ERRORS.get(code, SupportdeskError)(data["error"])
    if code not in ERRORS:
        error.exit_code = code  # type: ignore[assignment] - e.g. 70, a bug the server reported
    raise error


# ---- opening ---------------------------------------------------------------------------


@contextmanager
def open_remote(url: str, *, db: str | None, now: str | None) -> Iterator[RemoteDesk]:
    """The desk at `url`, acting as the holder of SUPPORTDESK_TOKEN; refused with a desk
    file (--db, SUPPORTDESK_DB) or an instant (--now, SUPPORTDESK_NOW) beside it."""
    from supportdesk.config import DB_ENV, TOKEN_ENV

    if db or os.environ.get(DB_ENV):
        raise InvalidInput(
            f"--db ({DB_ENV}) names a local desk file and --url ({URL_ENV}) a server; give one of them"
        )
    if now:
        raise InvalidInput(f"--now (SUPPORTDESK_NOW) does not work with {URL_ENV}: the server's clock decides; leave it out")
    server = parse_url(url)
    token = os.environ.get(TOKEN_ENV) or ""
    if not token:
        raise Refused(f"{URL_ENV} is set but {TOKEN_ENV} is not; set it to the token an admin of the desk issued you")
    if not (token.isascii() and token.isprintable()) or token != token.strip() or " " in token:
        # No such token is issued, and it could not go in a header: refused as the desk would.
        raise Refused(f"the token in {TOKEN_ENV} is not known to this desk; ask an admin of the desk for a new one (`supportdesk token issue`)")
    cafile = os.environ.get(CA_ENV) or None
    connection = Connection(server, token, timeout=timeout_seconds(), cafile=cafile)
    try:
        desk = RemoteDesk(connection)
        yield desk
    finally:
        connection.close()
