"""Build a throwaway desk from the example policy and sample tickets in examples/."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from supportdesk.config import examples_dir
from supportdesk.desk import Desk, TicketDraft
from supportdesk.errors import InvalidInput
from supportdesk.frozen import Record, record
from supportdesk.model import Actor, parse_close_reason
from supportdesk.store import Store
from supportdesk.timetext import parse_duration, to_utc_text

DEMO_FILE = "demo/tickets.toml"
# The desk's history starts this long before the demo's "now".
HISTORY = timedelta(days=7)


@record
class _Step(Record):
    at: datetime
    order: int
    ticket: int  # index into the script's tickets
    spec: dict[str, Any]


def build_demo(
    path: Path, *, login: str, now: datetime, clock: Callable[[], datetime], script: Path | None = None
) -> Desk:
    """Create a desk at `path` and play the sample tickets so that they end at `now`.

    The desk is built in a file beside `path` and renamed into place when complete, so
    an interrupted build leaves nothing at `path`. `clock` (the real time) stamps when
    each event was recorded.
    """
    script = script or examples_dir() / DEMO_FILE
    data = tomllib.loads(script.read_text(encoding="utf-8"))
    policy_path = (script.parent / data["policy"]).resolve()
    _remove_abandoned_builds(path)
    building = path.with_name(f".{path.name}.building-{os.getpid()}")
    desk = Desk.create(
        building,
        login=login,
        clock=clock,
        now_text=to_utc_text(now - HISTORY),
        policy_text=policy_path.read_text(encoding="utf-8"),
        policy_source=f"examples/{policy_path.name}",
    )
    try:
        _play(desk, data, script, login, now, clock)
        version = desk.policy_version_id
        desk.close()
        if path.exists():
            raise InvalidInput(f"{path} appeared while the demo was being built; give a new --db path")
        os.replace(building, path)
    except BaseException:
        desk.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
        raise
    return Desk(Store.open(path), desk.policy, desk.actor, now, version, clock=clock)


def _remove_abandoned_builds(path: Path) -> None:
    """Delete the files of demo builds beside `path` whose process is gone (killed)."""
    for leftover in path.parent.glob(f".{path.name}.building-*"):
        pid = leftover.name.rsplit("-", 1)[-1].split(".")[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # still building
        except ProcessLookupError:
            pass
        except OSError:
            continue
        for stale in path.parent.glob(f"{leftover.name.split('-wal')[0].split('-shm')[0]}*"):
            stale.unlink(missing_ok=True)
    for stale in path.parent.glob(f"..{path.name}.building-*.creating*"):
        pid = stale.name.split(".building-", 1)[1].split(".")[0]
        if pid.isdigit():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                stale.unlink(missing_ok=True)
            except OSError:
                pass


def _play(desk: Desk, data: dict[str, Any], script: Path, login: str, now: datetime, clock: Callable[[], datetime]) -> None:
    actors = {login: desk.actor}
    for agent in data.get("agents", []):
        added = desk.add_agent(agent["login"], name=agent.get("name"), role=agent.get("role", "engineer"))
        row = desk.store.agent_by_login(added["login"])
        actors[agent["login"]] = Actor("agent", row["login"], row["id"], row["role"])

    for customer in data.get("customers", []):
        desk.add_customer(customer["email"], package=customer.get("package"))

    steps: list[_Step] = []
    for index, ticket in enumerate(data["tickets"]):
        filed = now - parse_duration(ticket["ago"])
        steps.append(_Step(filed, 0, index, {"do": "file"}))
        for order, step in enumerate(ticket.get("steps", []), start=1):
            at = filed + parse_duration(step["after"])
            if at > now:
                raise InvalidInput(f"{script.name}: ticket {index + 1} has a step after the demo's now")
            steps.append(_Step(at, order, index, step))
    steps.sort(key=lambda s: (s.at, s.ticket, s.order))

    ids: dict[int, int] = {}
    for step in steps:
        spec = step.spec
        t = data["tickets"][step.ticket]
        # Customers file their own tickets (through the web form); agents do the rest.
        actor = Actor("customer", t["customer"]) if spec["do"] == "file" else actors[spec.get("by", login)]
        acting = Desk(desk.store, desk.policy, actor, step.at, desk.policy_version_id, clock=clock)
        if spec["do"] == "file":
            draft = TicketDraft(
                subject=t["subject"],
                body=t["body"],
                customer=t["customer"],
                department=t.get("department"),
                priority=t.get("priority"),
                channel=t.get("channel"),
                category=t.get("category"),
                fields=t.get("fields", {}),
            )
            ids[step.ticket] = acting.file_ticket(draft)["id"]
            continue
        ticket_id = ids[step.ticket]
        match spec["do"]:
            case "assign":
                acting.assign(ticket_id, spec["to"])
            case "reply":
                acting.reply(ticket_id, spec["text"])
            case "note":
                acting.reply(ticket_id, spec["text"], internal=True)
            case "wait":
                acting.wait(ticket_id)
            case "resume":
                acting.resume(ticket_id)
            case "close":
                acting.close_tickets([ticket_id], parse_close_reason(spec["reason"]), of=spec.get("of"))
            case "escalate":
                acting.escalate(ticket_id, spec["to"], spec["reason"])
            case other:
                raise InvalidInput(f"{script.name}: unknown step {other!r}")
