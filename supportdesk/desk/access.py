"""Use cases of access: tokens for resellers, customers and remote agents, and the
concise view a reseller or customer has of its own tickets (`status`)."""

from __future__ import annotations

from typing import Any

from supportdesk.access import (
    HOLDER_KINDS,
    PREFIX_LENGTH,
    new_token,
    public_ticket,
    token_hash,
)
from supportdesk.desk.people import People
from supportdesk.errors import InvalidInput, NotFound, Refused
from supportdesk.model import ACTIVE_STATUSES, ticket_json
from supportdesk.query import Filter, check_email
from supportdesk.timetext import parse_duration, to_utc_text

# The longest a token may live.
MAX_TOKEN_DAYS = 3660


class Access(People):
    """Tokens, and the reseller's or customer's own view."""

    # ---- tokens ------------------------------------------------------------------------

    def _holder(self, kind: str, name: str) -> dict[str, Any]:
        """The agent, reseller or customer a token is for."""
        if kind == "agent":
            agent = self.store.agent_by_login(name.strip())
            if agent is None or not agent["active"]:
                raise NotFound(f"no active agent {name.strip()!r}; `supportdesk agent list` shows them")
            return {"holder_kind": "agent", "agent_id": agent["id"], "holder": agent["login"]}
        if kind == "reseller":
            found = self._reseller_row(name)
            return {"holder_kind": "reseller", "customer_id": found["id"], "holder": found["email"]}
        customer = self.store.customer_by_email(check_email(name))
        if customer is None or customer["kind"] != "customer":
            hint = "it is a reseller: use --reseller" if customer else "add them with `supportdesk customer add EMAIL`"
            raise NotFound(f"no customer {name.strip()}; {hint}")
        return {"holder_kind": "customer", "customer_id": customer["id"], "holder": customer["email"]}

    def issue_token(self, kind: str, name: str, expires: str | None = None) -> dict[str, Any]:
        """A new token for an agent, reseller or customer (admins only); the token itself
        is returned once and only its hash is kept."""
        self._require_admin("issue tokens")
        if kind not in HOLDER_KINDS:
            raise InvalidInput(f"unknown holder kind {kind!r}; use one of: {', '.join(HOLDER_KINDS)}")
        expires_at = None
        if expires is not None:
            try:
                lasts = parse_duration(expires)
            except InvalidInput as error:
                raise InvalidInput(f"--expires: {error}") from None
            if lasts.total_seconds() <= 0 or lasts.days > MAX_TOKEN_DAYS:
                raise InvalidInput(f"--expires must be more than nothing and at most {MAX_TOKEN_DAYS} days, e.g. 90d")
            expires_at = to_utc_text(self.now + lasts)
        token = new_token()
        with self._transaction():
            holder = self._holder(kind, name)
            row = {
                "prefix": token[:PREFIX_LENGTH],
                "hash": token_hash(token),
                "holder_kind": holder["holder_kind"],
                "agent_id": holder.get("agent_id"),
                "customer_id": holder.get("customer_id"),
                "created_at": self.now_text,
                "created_by": self.actor.label,
                "expires_at": expires_at,
            }
            token_id = self.store.insert_row("tokens", row)
            self.store.insert_events(
                [self._event("token_issued", {"token": token_id, "prefix": row["prefix"], "holder": f"{kind}:{holder['holder']}", "expires_at": expires_at})]
            )
        return {"id": token_id, "token": token, "prefix": row["prefix"], "holder": f"{kind}:{holder['holder']}", "expires_at": expires_at}

    def tokens(self) -> list[dict[str, Any]]:
        """Every token (never the token itself): its prefix, holder, and state."""
        self._require_admin("list tokens")
        agents = {a["id"]: a["login"] for a in self.store.agents()}
        out = []
        for row in self.store.rows("tokens"):
            if row["holder_kind"] == "agent":
                holder = agents.get(row["agent_id"], "?")
            else:
                customer = self.store.customer_by_id(row["customer_id"])
                holder = customer["email"] if customer else "?"
            state = "revoked" if row["revoked_at"] else "expired" if row["expires_at"] and row["expires_at"] <= self.now_text else "active"
            out.append(
                {
                    "id": row["id"], "prefix": row["prefix"], "holder": f"{row['holder_kind']}:{holder}", "state": state,
                    "created_at": row["created_at"], "created_by": row["created_by"], "expires_at": row["expires_at"],
                    "revoked_at": row["revoked_at"],
                }
            )
        return out

    def revoke_token(self, which: str) -> dict[str, Any]:
        """Revoke a token by its id or prefix (admins only); it is refused from then on."""
        self._require_admin("revoke tokens")
        text = which.strip()
        with self._transaction():
            rows = self.store.rows("tokens", id=int(text)) if text.isdigit() and len(text) < 19 else self.store.rows("tokens", prefix=text)
            if not rows:
                raise NotFound(f"no token {text!r}; `supportdesk token list` shows the ids and prefixes")
            row = rows[0]
            if row["revoked_at"] is not None:
                raise Refused(f"token {row['prefix']}… is already revoked (on {row['revoked_at'][:10]})")
            self.store.update_row("tokens", row["id"], {"revoked_at": self.now_text, "revoked_by": self.actor.label})
            self.store.insert_events([self._event("token_revoked", {"token": row["id"], "prefix": row["prefix"]})])
        return next(t for t in self.tokens() if t["id"] == row["id"])

    # ---- the reseller's and customer's view --------------------------------------------

    def status(self, ticket_id: int | None = None, *, finished: bool = False, limit: int = 200) -> dict[str, Any]:
        """The actor's tickets (a reseller's, a customer's; an agent's: every ticket):
        state, priority, when the next answer is due, and the last public reply. Without
        `finished`, only the active ones, soonest due first; the counts cover all."""
        scope = self.actor.scope
        if ticket_id is not None:
            row = self.store.ticket(ticket_id, scope)
            if self.as_of is not None and row["created_at"] > self.as_of:
                raise NotFound(f"no ticket #{ticket_id}; `supportdesk status` shows yours")
            rows = [row]
        else:
            statuses = () if finished else tuple(s.value for s in ACTIVE_STATUSES)
            # Active tickets the soonest due first, so that a big reseller sees the most urgent.
            rows = self.store.find_tickets(Filter(statuses=statuses, scope=scope, as_of=self.as_of, limit=limit, sort="newest" if finished else "due"))
        replies = self.store.last_public_messages([r["id"] for r in rows])
        tickets = []
        for row in rows:
            record = ticket_json(row)
            record = public_ticket(record) if not self.actor.is_agent else record
            record["next_due"] = next_due(row)
            reply = replies.get(row["id"])
            record["last_reply"] = {"at": reply["at"], "author": reply["author"], "body": reply["body"]} if reply else None
            tickets.append(record)
        counts = self.store.status_counts(scope, self.as_of)
        return {"actor": self.actor.label, "counts": counts, "tickets": tickets, "finished_shown": finished or ticket_id is not None}


def next_due(row: dict[str, Any]) -> str | None:
    """When the desk's next answer is due: the first response, or else the resolution;
    None when the ticket waits on the customer or is finished."""
    if row["status"] not in [s.value for s in ACTIVE_STATUSES] or row["status"] == "pending":
        return None
    return row["respond_by"] if row["first_response_at"] is None else row["resolve_by"]
