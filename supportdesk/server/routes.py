"""The /v1 endpoints. Each reads its parameters, calls the use case of the desk service
that its CLI command calls, and answers with the JSON that command prints with --json
(HTTP API v1, README "Remote access"). A refusal is the desk's own (see errors.py).

Parameters are named like the CLI's options (`-` becomes `_`); an unknown one is refused
(422), so that a misspelt filter never widens a list or a close. Each endpoint reads its
parameters in the event loop and hands the desk's work to a thread for reads or for
writes (desks.Threads), where each thread keeps its own connection to the desk.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.responses import Response

from supportdesk.errors import ExitCode, InvalidInput
from supportdesk.given import FILTER_OPTIONS, no_tickets_named, parse_ticket_id
from supportdesk.text import json_safe

if TYPE_CHECKING:
    from supportdesk.server.desks import Desks, Threads

API_VERSION = 1

bearer = HTTPBearer(auto_error=False, description="A token of `supportdesk token issue` (reseller, customer or agent).")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


class Strict(BaseModel):
    """Parameters and bodies refuse names they do not know."""

    model_config = ConfigDict(extra="forbid")


class ErrorEnvelope(BaseModel):
    """Every error: the CLI's message (after `error: `) and its exit code."""

    error: str = Field(description="What was wrong and what to do, as the CLI says it.")
    exit_code: int = Field(description="The CLI's exit code: 1 refused, 2 invalid, 3 not found, 4 busy or rate limited, 70 internal.")


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorEnvelope, "description": "No token, or a token unknown, revoked or expired (exit 1)."},
    403: {"model": ErrorEnvelope, "description": "Refused by the desk: scope, policy or state (exit 1)."},
    404: {"model": ErrorEnvelope, "description": "No such ticket (or not yours) (exit 3)."},
    413: {"model": ErrorEnvelope, "description": "The request body is over the server's limit (exit 2)."},
    422: {"model": ErrorEnvelope, "description": "A value cannot be used; the message names it (exit 2)."},
    429: {"model": ErrorEnvelope, "description": "Too many requests with this token; see Retry-After (exit 4)."},
    503: {"model": ErrorEnvelope, "description": "The desk is busy; see Retry-After (exit 4)."},
}


# ---- query parameters -------------------------------------------------------------------


class StatusQuery(Strict):
    ticket: str | None = Field(None, description="One ticket (default: all your active ones), e.g. 42.")
    all: bool = Field(False, description="Also resolved and closed tickets (the newest 200).")


TicketQuery = create_model(  # type: ignore[call-overload]
    "TicketQuery",
    __base__=Strict,
    **{name: (str | None, Field(None, description=spec[1])) for name, spec in FILTER_OPTIONS.items()},
    sort=(str, Field("newest", description="newest, oldest, updated or id.")),
    limit=(int | None, Field(None, description="At most this many (0 or none: all, as `list --json`).")),
)


class LogQuery(Strict):
    ticket: str | None = Field(None, description="One ticket's history; without it, the desk's latest events.")
    limit: int | None = Field(None, description="At most this many events (default: all for a ticket, 50 for the desk).")


class TriageQuery(Strict):
    limit: int = Field(50, description="At most this many rows.")
    department: str | None = Field(None, description="Only this department.")
    mine: bool = Field(False, description="Only tickets assigned to me.")
    unassigned: bool = Field(False, description="Only tickets nobody has.")
    breaching_within: str | None = Field(None, description="Only tickets whose next deadline is within this (or past), e.g. 2h.")


# ---- bodies -------------------------------------------------------------------------------


class FileBody(Strict):
    subject: str = Field(description="A clear title.")
    body: str = Field(description="The description.")
    customer: str | None = Field(None, description="Who the ticket is for (a customer's token: leave out, or yourself).")
    department: str | None = None
    priority: str | None = None
    channel: str | None = None
    category: str | None = None
    service: str | None = None
    fields: dict[str, str] = Field(default_factory=dict, description="Department fields, e.g. {\"domain\": \"example.com\"}.")
    ref: int | None = Field(None, description="An earlier ticket this one follows up.")


class ReplyBody(Strict):
    text: str = Field(description="The reply.")
    internal: bool = Field(False, description="An internal note, not shown to the customer (agents only).")


class CloseBody(Strict):
    ids: list[int] = Field(description="The tickets to close.")
    reason: str = Field("resolved", description="resolved, duplicate, out-of-scope, incomplete, no-response or abuse.")
    dry_run: bool = Field(False, description="Say what would change; change nothing.")
    of: int | None = Field(None, description="With reason duplicate: the ticket they repeat.")


class AssignBody(Strict):
    ids: list[int] = Field(description="The tickets to assign.")
    to: str = Field(description="An agent's login, 'me', or 'none'.")
    dry_run: bool = Field(False, description="Say what would change; change nothing.")


class EscalateBody(Strict):
    level: str = Field(description="The escalation level, e.g. engineer.")
    reason: str = Field(description="Why.")


# ---- answers ------------------------------------------------------------------------------


def encode(data: Any) -> bytes:
    """The JSON of `data` exactly as the CLI's --json holds it (the same values; compact)."""
    return json_safe(json.dumps(data, ensure_ascii=False, separators=(",", ":"))).encode("utf-8")


def respond(body: bytes, status: int = 200, *, exit_code: int = ExitCode.OK, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer with its exit code in X-Supportdesk-Exit."""
    return Response(body, status_code=status, media_type="application/json", headers={"X-Supportdesk-Exit": str(int(exit_code)), **(headers or {})})


def answer(data: Any, status: int = 200, *, exit_code: int = ExitCode.OK, headers: dict[str, str] | None = None) -> Response:
    """`data` as the JSON answer."""
    return respond(encode(data), status, exit_code=exit_code, headers=headers)


def outcome_answer(outcome: Any) -> Response:
    """A bulk operation's outcome; exit 5 (in the header) when some tickets were skipped."""
    return answer(outcome.to_json(), exit_code=ExitCode.SKIPPED if outcome.skipped else ExitCode.OK)


def token_of(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return credentials.credentials if credentials is not None else None


def ticket_ids(ids: list[int], what: str) -> list[int]:
    """Ticket numbers of a body, checked as the CLI checks those on its command line (none
    given is refused as there)."""
    if not ids:
        raise no_tickets_named(what)
    return [parse_ticket_id(str(i)) for i in ids]


def router(desks: Desks, threads: Threads) -> APIRouter:
    """The /v1 endpoints over `desks`, their work done in `threads`."""
    from supportdesk import __version__

    v1 = APIRouter(prefix="/v1", responses=ERRORS)

    async def read(credentials: HTTPAuthorizationCredentials | None, use: Any) -> Any:
        """`use(desk)` for the token's holder, in a thread for reads."""
        token = token_of(credentials)
        return await threads.run("read", lambda: desks.act(token, use))

    async def write(credentials: HTTPAuthorizationCredentials | None, use: Any) -> Any:
        """`use(desk)` for the token's holder, in a thread for writes."""
        token = token_of(credentials)
        return await threads.run("write", lambda: desks.act(token, use))

    @v1.get("/desk", summary="The desk, its zone and instant, and who you are")
    async def desk_info(credentials: Credentials) -> Response:
        """What the CLI's remote mode asks first: that this is a supportdesk, the zone and
        instant to show times in, and the actor the token acts as."""
        def describe(desk: Any) -> dict[str, Any]:
            return {
                "supportdesk": __version__, "api": API_VERSION, "name": desk.policy.name, "zone": desk.policy.timezone,
                "now": desk.now_text, "actor": {"kind": desk.actor.kind, "name": desk.actor.name},
            }

        return answer(await read(credentials, describe))

    @v1.get("/status", summary="`status [ID] [--all] --json`")
    async def status(query: Annotated[StatusQuery, Query()], credentials: Credentials) -> Response:
        """Your tickets as a reseller or customer: state, priority, when the next answer is due."""
        ticket_id = parse_ticket_id(query.ticket) if query.ticket is not None else None
        return respond(await read(credentials, lambda desk: encode(desk.status(ticket_id, finished=query.all))))

    @v1.get("/tickets", summary="`list [filters] --json`")
    async def list_tickets(query: Annotated[TicketQuery, Query()], credentials: Credentials) -> Response:  # type: ignore[valid-type]
        """Tickets matching the filters (those of `list`), newest first; X-Total-Count says how many match in all."""
        filters = {name: getattr(query, name) for name in FILTER_OPTIONS}
        limit = query.limit if query.limit is not None else 0

        def listed(desk: Any) -> tuple[bytes, int]:
            rows, total = desk.list_tickets(desk.filter(**filters, sort=query.sort, limit=limit))
            return encode(rows), total

        body, total = await read(credentials, listed)
        return respond(body, headers={"X-Total-Count": str(total)})

    @v1.get("/tickets/{ticket}", summary="`show ID --json`")
    async def show(ticket: str, credentials: Credentials) -> Response:
        """One ticket: its fields, description, messages and history."""
        ticket_id = parse_ticket_id(ticket)
        return respond(await read(credentials, lambda desk: encode(desk.ticket(ticket_id))))

    @v1.get("/log", summary="`log [ID] [--limit N] --json`")
    async def log(query: Annotated[LogQuery, Query()], credentials: Credentials) -> Response:
        """The audit log: every change (that you may see), with who and when."""
        from supportdesk.query import check_limit

        ticket_id = parse_ticket_id(query.ticket) if query.ticket else None
        check_limit(query.limit)
        limit = query.limit if query.limit is not None else 0 if ticket_id else 50
        return respond(await read(credentials, lambda desk: encode(desk.log(ticket_id, limit or None))))

    @v1.post("/tickets", status_code=201, summary="`file … --json`")
    async def file_ticket(body: FileBody, credentials: Credentials) -> Response:
        """File a ticket. The desk's intake rules run first: a ticket they refuse is not filed."""
        from supportdesk.desk import TicketDraft

        fields: dict[str, str] = {}
        for key, value in body.fields.items():
            if not key.strip():
                raise InvalidInput('fields: a field name is empty; give fields as {"server_ip": "203.0.113.7"}')
            fields[key.strip()] = value.strip()
        draft = TicketDraft(
            subject=body.subject, body=body.body, customer=body.customer, department=body.department, priority=body.priority,
            channel=body.channel, category=body.category, service=body.service, fields=fields,
            ref=parse_ticket_id(str(body.ref)) if body.ref is not None else None,
        )
        return answer(await write(credentials, lambda desk: desk.file_ticket(draft)), 201)

    @v1.post("/tickets/{ticket}/replies", summary="`reply ID -m TEXT [--internal] --json`")
    async def reply(ticket: str, body: ReplyBody, credentials: Credentials) -> Response:
        """Reply to the customer (an agent's first reply is the first response) or add an internal note."""
        ticket_id = parse_ticket_id(ticket)
        return answer(await write(credentials, lambda desk: desk.reply(ticket_id, body.text, internal=body.internal)))

    @v1.post("/close", summary="`close IDS --reason R [--dry-run] --json`")
    async def close(body: CloseBody, credentials: Credentials) -> Response:
        """Close tickets in one transaction, one operation; skipped ones make X-Supportdesk-Exit 5."""
        from supportdesk.model import parse_close_reason

        reason = parse_close_reason(body.reason)
        ids = ticket_ids(body.ids, "close")
        duplicate_of = parse_ticket_id(str(body.of)) if body.of is not None else None
        return outcome_answer(await write(credentials, lambda desk: desk.bulk_close(reason, of=duplicate_of, ids=ids, dry_run=body.dry_run, source="ids")))

    @v1.get("/triage", summary="`triage --json` (agents)")
    async def triage(query: Annotated[TriageQuery, Query()], credentials: Credentials) -> Response:
        """The open queue in breach order, with who is on call and the counts."""
        from supportdesk.timetext import parse_duration

        within = parse_duration(query.breaching_within) if query.breaching_within else None
        options = dict(limit=query.limit, department=query.department, mine=query.mine, unassigned=query.unassigned, breaching_within=within)
        return respond(await read(credentials, lambda desk: encode(desk.triage(**options).to_json())))

    @v1.post("/assign", summary="`assign IDS --to AGENT [--dry-run] --json` (agents)")
    async def assign(body: AssignBody, credentials: Credentials) -> Response:
        """Give tickets to an agent: one ticket answers with the ticket, several with the operation's outcome."""
        if not body.to.strip():
            raise InvalidInput("say who gets the tickets with --to AGENT (a login, 'me', or 'none')")
        ids = ticket_ids(body.ids, "assign")
        if len(ids) == 1 and not body.dry_run:
            return answer(await write(credentials, lambda desk: desk.assign(ids[0], body.to)))
        return outcome_answer(await write(credentials, lambda desk: desk.bulk_assign(body.to, ids=ids, dry_run=body.dry_run, source="ids")))

    @v1.post("/tickets/{ticket}/escalate", summary="`escalate ID --to LEVEL --reason R --json` (agents)")
    async def escalate(ticket: str, body: EscalateBody, credentials: Credentials) -> Response:
        """Escalate a ticket to a level; the person on call there gets it."""
        ticket_id = parse_ticket_id(ticket)
        return answer(await write(credentials, lambda desk: desk.escalate(ticket_id, body.level, body.reason)))

    return v1
