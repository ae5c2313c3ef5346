"""`supportdesk agent|customer|reseller|service …`: the people of the desk."""

from __future__ import annotations

from typing import Annotated

import typer

from supportdesk.cli.app import (
    JsonOption,
    app,
    console,
    desk_command,
    emit_json,
    open_desk,
    say,
    sub_app,
)

agent_app = typer.Typer(
    help="The desk's agents (admins and engineers).", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(agent_app, name="agent")


@agent_app.command("list")
def agent_list(ctx: typer.Context, json_: JsonOption = False) -> None:
    """List the agents."""
    with open_desk(ctx) as desk:
        agents = desk.agents()
    if json_:
        emit_json(agents)
        return
    from rich.table import Table

    table = Table(header_style="bold", box=None, pad_edge=False)
    for column in ("Login", "Name", "Role", "E-mail", "Active"):
        table.add_column(column, no_wrap=True)
    for a in agents:
        table.add_row(a["login"], a["name"] or "-", a["role"], a["email"] or "-", "yes" if a["active"] else "no")
    console().print(table)


@agent_app.command("add")
def agent_add(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="The agent's OS user name.", show_default=False)],
    name: Annotated[str | None, typer.Option(metavar="TEXT", help="Full name.")] = None,
    email: Annotated[str | None, typer.Option(metavar="EMAIL", help="E-mail address for notifications.")] = None,
    role: Annotated[str, typer.Option(metavar="ROLE", help="admin or engineer.")] = "engineer",
    json_: JsonOption = False,
) -> None:
    """Add an agent (admins only)."""
    with open_desk(ctx) as desk:
        agent = desk.add_agent(login, name=name, email=email, role=role)
    if json_:
        emit_json(agent)
    else:
        say(f"added agent {agent['login']} ({agent['role']})")


customer_app = sub_app("customer", "The desk's customers.")


@customer_app.command("package")
def customer_package(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The customer.", show_default=False)],
    package: Annotated[str, typer.Argument(metavar="PACKAGE", help="An SLA package of the policy, or 'none'.", show_default=False)],
    json_: JsonOption = False,
) -> None:
    """Give a customer an SLA package; their open tickets' deadlines are recomputed."""
    desk_command(
        ctx,
        json_,
        lambda desk: desk.set_package(email, None if package.strip().lower() == "none" else package),
        lambda result, zone, now: say(f"{result['customer']} now has package {result['package'] or 'none'}; {result['recomputed']} open ticket(s) got new deadlines"),
    )

