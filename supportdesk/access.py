"""Who the actor is and what it may do. Pure.

Today every actor is an agent (admin or engineer); resellers and customers with tokens
come with the people-and-access work and will be checked here.
"""

from __future__ import annotations

from supportdesk.errors import Refused
from supportdesk.model import Actor


def require_admin(actor: Actor, what: str) -> None:
    """Refuse unless the actor is an admin agent."""
    if actor.role != "admin":
        raise Refused(f"only an admin may {what}; you ({actor.name}) are an {actor.role}")
