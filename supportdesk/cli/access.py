"""`supportdesk token …` and `supportdesk status`: access for resellers, customers and
remote agents, and their view of their own tickets."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from supportdesk.cli.app import (
    JsonOption,
    app,
    desk_command,
    emit_json,
    open_desk,
    say,
    sub_app,
)
from supportdesk.errors import InvalidInput

token_app = sub_app("token", "Access tokens for resellers, customers and remote agents: issue, list, revoke.")


@token_app.command("issue")
def token_issue(
    ctx: typer.Context,
    reseller: Annotated[str | None, typer.Option(metavar="RESELLER", help="For a reseller (its e-mail or name).")] = None,
    customer: Annotated[str | None, typer.Option(metavar="EMAIL", help="For a customer.")] = None,
    agent: Annotated[str | None, typer.Option(metavar="LOGIN", help="For an agent working from elsewhere.")] = None,
    expires: Annotated[str | None, typer.Option(metavar="DURATION", help="Refused after this long, e.g. 90d (default: never).")] = None,
    json_: JsonOption = False,
) -> None:
    """Issue a token (admins only). It is printed once: only its hash is kept. The holder
    sets SUPPORTDESK_TOKEN to it and acts as themselves."""
    given = [(kind, name) for kind, name in (("reseller", reseller), ("customer", customer), ("agent", agent)) if name is not None]
    if len(given) != 1:
        raise InvalidInput("say who the token is for with exactly one of --reseller, --customer or --agent")
    kind, name = given[0]
    with open_desk(ctx) as desk:
        issued = desk.issue_token(kind, name, expires)
    if json_:
        emit_json(issued)
        return
    typer.echo(issued["token"])
    until = f", expires {issued['expires_at']}" if issued["expires_at"] else ""
    say(f"token {issued['id']} ({issued['prefix']}…) for {issued['holder']}{until}; it is shown only now: hand it over safely")


@token_app.command("list")
def token_list(ctx: typer.Context, json_: JsonOption = False) -> None:
    """List the tokens: id, prefix, holder, state (never the tokens themselves)."""

    def show(tokens: list[dict[str, Any]], zone: Any, now: Any) -> None:
        from supportdesk.cli.history import local_short
        from supportdesk.cli.render import print_rows

        rows = [
            [str(t["id"]), t["prefix"] + "…", t["holder"], t["state"], local_short(t["created_at"], zone, now), local_short(t["expires_at"], zone, now)]
            for t in tokens
        ]
        if not rows:
            say("no tokens; `supportdesk token issue --reseller R` issues one")
            return
        print_rows([("Id", True), ("Prefix", False), ("Holder", False), ("State", False), ("Issued", False), ("Expires", False)], rows)

    desk_command(ctx, json_, lambda desk: desk.tokens(), show)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    token: Annotated[str, typer.Argument(metavar="ID|PREFIX", help="The token's id or prefix (from `token list`).", show_default=False)],
    json_: JsonOption = False,
) -> None:
    """Revoke a token (admins only): its holder is refused from now on."""
    desk_command(
        ctx, json_, lambda desk: desk.revoke_token(token),
        lambda result, zone, now: say(f"revoked token {result['id']} ({result['prefix']}…) of {result['holder']}"),
    )


@app.command()
def status(
    ctx: typer.Context,
    ticket: Annotated[str | None, typer.Argument(metavar="[ID]", help="One ticket (default: all your active ones).", show_default=False)] = None,
    all_: Annotated[bool, typer.Option("--all", help="Also resolved and closed tickets (the newest 200).")] = False,
    json_: JsonOption = False,
) -> None:
    """Your tickets as a reseller or customer: state, priority, when the next answer is due."""
    from supportdesk.given import parse_ticket_id

    ticket_id = parse_ticket_id(ticket) if ticket is not None else None
    desk_command(ctx, json_, lambda desk: desk.status(ticket_id, finished=all_), _print_status)


def _print_status(view: dict[str, Any], zone: Any, now: Any) -> None:
    """The concise view for people: one line per ticket, and the last public reply."""
    from supportdesk.cli.history import local_short
    from supportdesk.cli.render import print_rows
    from supportdesk.text import inert

    counts = view["counts"]
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no tickets"
    tickets = view["tickets"]
    rows = []
    for t in tickets:
        due = local_short(t["next_due"], zone, now) if t["next_due"] else ("waiting on you" if t["status"] == "pending" else "-")
        rows.append([str(t["id"]), t["status"], t["priority"], due, t["subject"]])
    if not rows:
        say(f"no {'' if view['finished_shown'] else 'active '}tickets ({summary})")
        return
    print_rows([("#", True), ("State", False), ("Priority", False), ("Next answer due", False), ("Subject", False)], rows, wraps="Subject")
    for t in tickets:
        reply = t["last_reply"]
        if reply is not None and len(tickets) == 1:
            first = reply["body"].strip().splitlines()[0] if reply["body"].strip() else ""
            typer.echo(f"last reply, {local_short(reply['at'], zone, now)} by {inert(reply['author'], multiline=False)}: {inert(first, multiline=False)}")
    say(f"{summary}; `supportdesk show ID` for a whole ticket")
