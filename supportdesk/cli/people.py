"""`supportdesk agent|customer|reseller|service …`: the people of the desk."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

import typer

from supportdesk.cli.app import (
    JsonOption,
    console,
    desk_command,
    say,
    sub_app,
)

AGENT_HELP = "The desk's agents (admins and engineers)."
CUSTOMER_HELP = "The desk's customers: add, list, show, edit, verify, ban, suspend."
RESELLER_HELP = "Resellers: hosting companies whose own customers file through the desk."
SERVICE_HELP = "The services customers have: hosting plans, servers, and their orders."

agent_app = sub_app("agent", AGENT_HELP)
customer_app = sub_app("customer", CUSTOMER_HELP)
reseller_app = sub_app("reseller", RESELLER_HELP)
service_app = sub_app("service", SERVICE_HELP)

EmailArgument = Annotated[str, typer.Argument(metavar="EMAIL", help="The customer's e-mail address.", show_default=False)]
LoginArgument = Annotated[str, typer.Argument(metavar="LOGIN", help="The agent's login (OS user name).", show_default=False)]
ReasonOption = Annotated[str | None, typer.Option("--reason", metavar="TEXT", help="Why, for the record.")]
NotifyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--notify",
        metavar="TYPE=EMAIL",
        help="Where one type of notification goes, e.g. invoices=billing@example.com; repeat for more.",
    ),
]


def _cell(value: Any) -> str:
    """A table cell: the text made inert (rich would drop some control characters)."""
    from supportdesk.text import inert

    if value is None or value == "":
        return "-"
    return inert(str(value), multiline=False)


def _table(columns: Iterable[str]) -> Any:
    from rich.table import Table

    table = Table(header_style="bold", box=None, pad_edge=False, padding=(0, 1, 0, 0))
    for column in columns:
        table.add_column(column, no_wrap=column != "Name", overflow="fold")
    return table


def _when(text: str | None, zone: Any, now: Any) -> str:
    from supportdesk.cli.history import local_short

    return local_short(text, zone, now)


def _notify_text(notify: dict[str, str]) -> str:
    return ", ".join(f"{kind}={address}" for kind, address in notify.items())


# ---- agents ----------------------------------------------------------------------------


@agent_app.command("list")
def agent_list(ctx: typer.Context, json_: JsonOption = False) -> None:
    """List the agents, active or not."""

    def show(agents: list[dict[str, Any]], zone: Any, now: Any) -> None:
        table = _table(("Login", "Name", "Role", "E-mail", "Active"))
        for a in agents:
            table.add_row(_cell(a["login"]), _cell(a["name"]), a["role"], _cell(a["email"]), "yes" if a["active"] else "no")
        console().print(table)

    desk_command(ctx, json_, lambda desk: desk.agents(), show)


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
    desk_command(
        ctx,
        json_,
        lambda desk: desk.add_agent(login, name=name, email=email, role=role),
        lambda agent, zone, now: say(f"added agent {agent['login']} ({agent['role']})"),
    )


@agent_app.command("deactivate")
def agent_deactivate(ctx: typer.Context, login: LoginArgument, json_: JsonOption = False) -> None:
    """Stop an agent from using the desk; they stay in its history (admins only)."""

    def show(agent: dict[str, Any], zone: Any, now: Any) -> None:
        say(f"deactivated agent {agent['login']}")
        if agent["open_assigned"]:
            say(
                f"{agent['open_assigned']} open ticket(s) are still assigned to {agent['login']}: "
                f"`supportdesk list --assignee {agent['login']}` lists them, `supportdesk assign ID --to AGENT` moves one"
            )

    desk_command(ctx, json_, lambda desk: desk.deactivate_agent(login), show)


@agent_app.command("activate")
def agent_activate(ctx: typer.Context, login: LoginArgument, json_: JsonOption = False) -> None:
    """Let a deactivated agent use the desk again (admins only)."""
    desk_command(
        ctx, json_, lambda desk: desk.activate_agent(login), lambda agent, zone, now: say(f"activated agent {agent['login']} ({agent['role']})")
    )


# ---- customers -------------------------------------------------------------------------


def _customer_rows(customers: list[dict[str, Any]], *, with_reseller: bool = True) -> Any:
    columns = ["E-mail", "Name", *(["Reseller"] if with_reseller else []), "Package", "Status", "Verified"]
    table = _table(columns)
    for c in customers:
        cells = [_cell(c["email"]), _cell(c["name"])]
        if with_reseller:
            cells.append(_cell(c["reseller"]))
        cells += [_cell(c["package"]), c["status"], "yes" if c["verified"] else "no"]
        table.add_row(*cells)
    return table


@customer_app.command("list")
def customer_list(
    ctx: typer.Context,
    reseller: Annotated[str | None, typer.Option(metavar="RESELLER", help="Only this reseller's customers (its e-mail or name).")] = None,
    status: Annotated[str | None, typer.Option(metavar="STATUS", help="Only customers with this status: active, suspended or banned.")] = None,
    json_: JsonOption = False,
) -> None:
    """List the end customers by e-mail (resellers: `supportdesk reseller list`)."""

    def show(customers: list[dict[str, Any]], zone: Any, now: Any) -> None:
        if not customers:
            say("no customers match" if reseller or status else "no customers yet; `supportdesk customer add EMAIL` adds one")
            return
        console().print(_customer_rows(customers))

    desk_command(ctx, json_, lambda desk: desk.customers(reseller=reseller, status=status), show)


@customer_app.command("show")
def customer_show(ctx: typer.Context, email: EmailArgument, json_: JsonOption = False) -> None:
    """Show one customer: details, services, open tickets and unpaid fines."""

    def show(c: dict[str, Any], zone: Any, now: Any) -> None:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        facts = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0))
        facts.add_column(style="bold", no_wrap=True)
        facts.add_column(overflow="fold")
        rows = [
            ("E-mail", c["email"]),
            ("Name", c["name"]),
            ("Kind", c["kind"]),
            ("Reseller", c["reseller"]),
            ("Package", c["package"] or "none"),
            ("Status", c["status"]),
            ("Verified", "yes" if c["verified"] else "no"),
            ("Language", c["language"]),
            ("Notify", _notify_text(c["notify"])),
            ("Open tickets", str(c["open_tickets"])),
        ]
        if c["unpaid_violations"]:
            rows.append(("Unpaid fines", str(c["unpaid_violations"])))
        rows += [("Since", _when(c["created_at"], zone, now)), ("Changed", _when(c["updated_at"], zone, now))]
        for label, value in rows:
            facts.add_row(label, _cell(value))
        parts: list[Any] = [facts]
        if c["services"]:
            parts += [Text(""), Text("Services", style="bold"), _services_table(c["services"], zone, now, with_customer=False)]
        console().print(Group(*parts))

    desk_command(ctx, json_, lambda desk: desk.customer(email), show)


@customer_app.command("add")
def customer_add(
    ctx: typer.Context,
    email: EmailArgument,
    name: Annotated[str | None, typer.Option(metavar="TEXT", help="The customer's name or company.")] = None,
    package: Annotated[str | None, typer.Option(metavar="PACKAGE", help="An SLA package of the policy.")] = None,
    reseller: Annotated[str | None, typer.Option(metavar="RESELLER", help="The reseller the customer buys from (its e-mail or name).")] = None,
    language: Annotated[str | None, typer.Option(metavar="CODE", help="The language to answer in (ISO 639-1), e.g. fa.")] = None,
    verified: Annotated[bool, typer.Option("--verified", help="The customer's identity is already verified.")] = False,
    notify: NotifyOption = None,
    json_: JsonOption = False,
) -> None:
    """Register a customer before their first ticket (admins only)."""
    desk_command(
        ctx,
        json_,
        lambda desk: desk.add_customer(
            email, name=name, package=package, reseller=reseller, language=language, verified=verified, notify=notify or ()
        ),
        lambda c, zone, now: say(
            f"added customer {c['email']}"
            + (f" of reseller {c['reseller']}" if c["reseller"] else "")
            + f" (package {c['package'] or 'none'})"
        ),
    )


@customer_app.command("edit")
def customer_edit(
    ctx: typer.Context,
    email: EmailArgument,
    name: Annotated[str | None, typer.Option(metavar="TEXT", help="A new name.")] = None,
    package: Annotated[
        str | None, typer.Option(metavar="PACKAGE", help="An SLA package, or none; open tickets' deadlines are recomputed.")
    ] = None,
    reseller: Annotated[
        str | None, typer.Option(metavar="RESELLER", help="The reseller (e-mail or name), or none; the customer's tickets move with it.")
    ] = None,
    language: Annotated[str | None, typer.Option(metavar="CODE", help="The language to answer in (ISO 639-1), or none.")] = None,
    notify: Annotated[
        list[str] | None,
        typer.Option("--notify", metavar="TYPE=EMAIL", help="Where one type of notification goes (TYPE=none drops it); repeat for more."),
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Change a customer's details (admins only)."""

    def show(c: dict[str, Any], zone: Any, now: Any) -> None:
        def shown(key: str, value: Any) -> str:
            if isinstance(value, dict):
                return _notify_text(value) or "none"
            return "none" if value is None else str(value)

        parts = [f"{key} {shown(key, old)} → {shown(key, new)}" for key, (old, new) in c["changes"].items()]
        say(f"changed {c['email']}: " + "; ".join(parts))
        if c.get("recomputed"):
            say(f"{c['recomputed']} open ticket(s) got new deadlines")
        if c.get("moved_tickets"):
            say(f"{c['moved_tickets']} ticket(s) moved to reseller {c['reseller'] or 'none'}")

    desk_command(
        ctx,
        json_,
        lambda desk: desk.edit_customer(email, name=name, package=package, reseller=reseller, language=language, notify=notify or ()),
        show,
    )


def _status_command(action: str, done: str, doc: str, *, with_reason: bool) -> None:
    """Register `customer ACTION EMAIL` (with --reason when `with_reason`)."""

    def said(c: dict[str, Any], zone: Any, now: Any) -> None:
        say(f"{done} {c['email']} (now {c['status']})")

    if with_reason:

        def command(ctx: typer.Context, email: EmailArgument, reason: ReasonOption = None, json_: JsonOption = False) -> None:
            desk_command(ctx, json_, lambda desk: getattr(desk, f"{action}_customer")(email, reason), said)
    else:

        def command(ctx: typer.Context, email: EmailArgument, json_: JsonOption = False) -> None:  # type: ignore[misc]
            desk_command(ctx, json_, lambda desk: getattr(desk, f"{action}_customer")(email), said)

    command.__doc__ = doc
    command.__name__ = f"customer_{action}"
    customer_app.command(action)(command)


@customer_app.command("verify")
def customer_verify(ctx: typer.Context, email: EmailArgument, json_: JsonOption = False) -> None:
    """Mark a customer's identity as verified (admins only)."""
    desk_command(ctx, json_, lambda desk: desk.verify_customer(email), lambda c, zone, now: say(f"verified {c['email']}"))


_status_command("ban", "banned", "Ban a customer: they can no longer file tickets (admins only).", with_reason=True)
_status_command("unban", "lifted the ban on", "Lift a customer's ban (admins only).", with_reason=False)
_status_command("suspend", "suspended", "Suspend a customer: no new tickets until activated (admins only).", with_reason=True)
_status_command("activate", "lifted the suspension of", "Lift a customer's suspension (admins only).", with_reason=False)


@customer_app.command("package")
def customer_package(
    ctx: typer.Context,
    email: EmailArgument,
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


# ---- resellers -------------------------------------------------------------------------

ResellerArgument = Annotated[str, typer.Argument(metavar="RESELLER", help="The reseller's e-mail or name.", show_default=False)]


def _resellers_table(resellers: list[dict[str, Any]]) -> Any:
    table = _table(("E-mail", "Name", "Package", "Status", "Customers", "Open tickets"))
    for r in resellers:
        table.add_row(_cell(r["email"]), _cell(r["name"]), _cell(r["package"]), r["status"], str(r["customers"]), str(r["open_tickets"]))
    return table


@reseller_app.command("list")
def reseller_list(ctx: typer.Context, json_: JsonOption = False) -> None:
    """List the resellers with how many customers and open tickets each has."""

    def show(resellers: list[dict[str, Any]], zone: Any, now: Any) -> None:
        if not resellers:
            say("no resellers yet; `supportdesk reseller add EMAIL --name NAME` adds one")
            return
        console().print(_resellers_table(resellers))

    desk_command(ctx, json_, lambda desk: desk.resellers(), show)


@reseller_app.command("show")
def reseller_show(ctx: typer.Context, reseller: ResellerArgument, json_: JsonOption = False) -> None:
    """Show one reseller with its customers and open tickets counted."""
    desk_command(ctx, json_, lambda desk: desk.reseller(reseller), lambda r, zone, now: console().print(_resellers_table([r])))


@reseller_app.command("add")
def reseller_add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The reseller's e-mail address.", show_default=False)],
    name: Annotated[str, typer.Option(metavar="TEXT", help="The reseller's name (unique among resellers).", show_default=False)],
    package: Annotated[str | None, typer.Option(metavar="PACKAGE", help="An SLA package of the policy.")] = None,
    promote: Annotated[bool, typer.Option("--promote", help="Make an existing end customer without tickets the reseller.")] = False,
    json_: JsonOption = False,
) -> None:
    """Register a reseller (admins only)."""
    desk_command(
        ctx,
        json_,
        lambda desk: desk.add_reseller(email, name=name, package=package, promote=promote),
        lambda r, zone, now: say(f"added reseller {r['email']} ({_cell(r['name'])}, package {r['package'] or 'none'})"),
    )


# ---- services --------------------------------------------------------------------------


def _services_table(services: list[dict[str, Any]], zone: Any, now: Any, *, with_customer: bool = True) -> Any:
    columns = ["Id", *(["Customer"] if with_customer else []), "Kind", "Name", "Package", "IP", "Order", "Delivered", "Managed"]
    table = _table(columns)
    for s in services:
        cells = [str(s["id"]), *([_cell(s["customer"])] if with_customer else []), s["kind"], _cell(s["name"]), _cell(s["package"])]
        cells += [_cell(s["ip"]), _cell(s["order"]), _when(s["delivered_at"], zone, now), "yes" if s["managed"] else "no"]
        table.add_row(*cells)
    return table


@service_app.command("list")
def service_list(
    ctx: typer.Context,
    email: Annotated[str | None, typer.Argument(metavar="[EMAIL]", help="Only this customer's services.", show_default=False)] = None,
    json_: JsonOption = False,
) -> None:
    """List services, of every customer or of one, oldest first."""

    def show(services: list[dict[str, Any]], zone: Any, now: Any) -> None:
        if not services:
            say("no services recorded; `supportdesk service add EMAIL --kind KIND` records one")
            return
        console().print(_services_table(services, zone, now, with_customer=email is None))

    desk_command(ctx, json_, lambda desk: desk.services(email), show)


@service_app.command("add")
def service_add(
    ctx: typer.Context,
    email: EmailArgument,
    kind: Annotated[str, typer.Option(metavar="KIND", help="shared, reseller, vps, vds, cloud or dedicated.", show_default=False)],
    name: Annotated[str | None, typer.Option(metavar="TEXT", help="The service as the customer area names it.")] = None,
    package: Annotated[str | None, typer.Option(metavar="TEXT", help="The hosting plan it is on.")] = None,
    ip: Annotated[str | None, typer.Option("--ip", metavar="ADDRESS", help="Its IP address (IPv4 or IPv6).")] = None,
    order: Annotated[str | None, typer.Option(metavar="#NUMBER", help="Its order number, e.g. '#123456' (unique).")] = None,
    delivered: Annotated[str | None, typer.Option(metavar="INSTANT", help="When it was delivered (not after now).")] = None,
    managed: Annotated[bool, typer.Option("--managed", help="A managed plan (or a bought SLA service).")] = False,
    json_: JsonOption = False,
) -> None:
    """Record a service a customer has (admins only)."""
    desk_command(
        ctx,
        json_,
        lambda desk: desk.add_service(
            email, kind=kind, name=name, package=package, ip=ip, order=order, delivered=delivered, managed=managed
        ),
        lambda s, zone, now: say(f"added service {s['id']} ({s['kind']}" + (f", order {s['order']}" if s["order"] else "") + f") for {s['customer']}"),
    )
