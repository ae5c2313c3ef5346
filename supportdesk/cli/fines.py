"""`supportdesk terminate` and `supportdesk violation …`: ending abusive tickets, and the
violations and fines a policy may charge."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from supportdesk.cli.app import JsonOption, app, desk_command, say, sub_app
from supportdesk.cli.tickets import TicketId
from supportdesk.given import parse_ticket_id

violation_app = sub_app("violation", "Rule violations and their fines: add, pay, list.")


@app.command()
def terminate(
    ctx: typer.Context,
    ticket: TicketId,
    ban: Annotated[bool, typer.Option("--ban", help="Also ban the requester from support (the policy may ban anyway).")] = False,
    json_: JsonOption = False,
) -> None:
    """End an abusive ticket: close it (reason abuse) and tell the requester why."""
    ticket_id = parse_ticket_id(ticket)

    def show(result: dict[str, Any], zone: Any, now: Any) -> None:
        from supportdesk.text import inert

        banned = f"; {inert(result['customer'], multiline=False)} is banned from support" if result["banned"] else ""
        say(f"closed #{result['ticket']} for abuse{banned}")

    desk_command(ctx, json_, lambda desk: desk.terminate(ticket_id, ban=ban), show)


@violation_app.command("add")
def violation_add(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(metavar="EMAIL", help="The customer who broke the rule.", show_default=False)],
    rule: Annotated[str, typer.Option(metavar="TEXT", help="Which rule, e.g. duplicates or 'rule 15'.", show_default=False)],
    ticket: Annotated[str | None, typer.Option(metavar="ID", help="The ticket it happened on.")] = None,
    fine: Annotated[str | None, typer.Option(metavar="AMOUNT", help="The fine (default: the policy's).")] = None,
    json_: JsonOption = False,
) -> None:
    """Record a rule violation and its fine."""
    ticket_id = parse_ticket_id(ticket) if ticket is not None else None
    desk_command(
        ctx, json_, lambda desk: desk.add_violation(customer, rule, ticket_id=ticket_id, fine=fine),
        lambda v, zone, now: say(f"violation {v['id']} recorded for {v['customer']}: {v['rule']}" + (f", fine {v['fine']}" if v["fine"] else "")),
    )


@violation_app.command("pay")
def violation_pay(
    ctx: typer.Context,
    violation: Annotated[int, typer.Argument(metavar="ID", help="The violation (from `violation list`).", show_default=False)],
    json_: JsonOption = False,
) -> None:
    """Mark a violation's fine paid (admins only)."""
    desk_command(ctx, json_, lambda desk: desk.pay_violation(violation), lambda v, zone, now: say(f"violation {v['id']} of {v['customer']} is paid"))


@violation_app.command("list")
def violation_list(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Argument(metavar="[EMAIL]", help="One customer's (default: everyone's).", show_default=False)] = None,
    unpaid: Annotated[bool, typer.Option("--unpaid", help="Only those not paid yet.")] = False,
    json_: JsonOption = False,
) -> None:
    """List violations, oldest first."""

    def show(rows: list[dict[str, Any]], zone: Any, now: Any) -> None:
        from supportdesk.cli.history import local_short
        from supportdesk.cli.render import print_rows

        if not rows:
            say("no violations")
            return
        cells = [
            [str(v["id"]), v["customer"], f"#{v['ticket']}" if v["ticket"] else "-", v["rule"], v["fine"] or "-", local_short(v["created_at"], zone, now), "paid" if v["paid_at"] else "unpaid"]
            for v in rows
        ]
        print_rows([("Id", True), ("Customer", False), ("Ticket", False), ("Rule", False), ("Fine", False), ("When", False), ("State", False)], cells)

    desk_command(ctx, json_, lambda desk: desk.violations(customer, unpaid=unpaid), show)
