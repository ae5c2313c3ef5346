"""The ticket filter shared by `list` and `close`: text options in, a Filter value out. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

from supportdesk.errors import InvalidInput
from supportdesk.model import parse_statuses
from supportdesk.timetext import parse_instant, to_utc_text

SORTS = ("newest", "oldest", "updated", "id")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Filter:
    """Which tickets: every field narrows the set; empty means no condition."""

    ids: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    customer: str | None = None
    assignee: str | None = None
    unassigned: bool = False
    created_after: str | None = None  # ISO-8601 UTC, inclusive
    created_before: str | None = None  # ISO-8601 UTC, exclusive
    search: str | None = None
    limit: int | None = None
    sort: str = "newest"

    @property
    def is_empty(self) -> bool:
        """True when the filter would match every ticket."""
        return not any(
            (
                self.ids,
                self.statuses,
                self.priorities,
                self.departments,
                self.customer,
                self.assignee,
                self.unassigned,
                self.created_after,
                self.created_before,
                self.search,
            )
        )

    def fts_query(self) -> str:
        """The search words as an FTS5 query: every word must appear (prefixes match)."""
        words = [w for w in re.split(r"\s+", self.search or "") if w]
        return " ".join('"' + w.replace('"', '""') + '"*' for w in words)


def split_names(text: str | None) -> tuple[str, ...]:
    """`high,critical` -> ('high', 'critical'), lower-cased, duplicates dropped."""
    if not text:
        return ()
    return tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))


def check_names(kind: str, given: tuple[str, ...], known: tuple[str, ...]) -> tuple[str, ...]:
    """Refuse names the policy does not define, listing the ones it does."""
    for name in given:
        if name not in known:
            raise InvalidInput(f"unknown {kind} {name!r}; this desk has: {', '.join(known)}")
    return given


def check_email(email: str) -> str:
    """A plausible e-mail address, lower-cased, or InvalidInput."""
    value = email.strip().lower()
    if not _EMAIL_RE.match(value):
        raise InvalidInput(f"{email!r} is not an e-mail address; give one like ada@example.com")
    return value


def build_filter(
    *,
    zone: tzinfo,
    now: datetime,
    priorities_known: tuple[str, ...],
    departments_known: tuple[str, ...],
    ids: tuple[int, ...] = (),
    status: str | None = None,
    priority: str | None = None,
    department: str | None = None,
    customer: str | None = None,
    assignee: str | None = None,
    me: str | None = None,
    created_before: str | None = None,
    created_after: str | None = None,
    search: str | None = None,
    limit: int | None = None,
    sort: str = "newest",
) -> Filter:
    """Validate the text options of `list`/`close` into a Filter."""
    statuses = tuple(s.value for s in parse_statuses(status)) if status else ()
    unassigned = False
    assignee_login = None
    if assignee:
        lowered = assignee.strip().lower()
        if lowered in ("none", "nobody", "unassigned"):
            unassigned = True
        elif lowered == "me":
            assignee_login = me
        else:
            assignee_login = assignee.strip()
    if limit is not None and limit < 0:
        raise InvalidInput(f"--limit must be 0 (no limit) or more, not {limit}")
    if sort not in SORTS:
        raise InvalidInput(f"unknown sort {sort!r}; use one of: {', '.join(SORTS)}")
    after = to_utc_text(parse_instant(created_after, zone, now)) if created_after else None
    before = to_utc_text(parse_instant(created_before, zone, now)) if created_before else None
    if search is not None and not search.strip():
        raise InvalidInput("--search is empty; give the words to look for")
    return Filter(
        ids=ids,
        statuses=statuses,
        priorities=check_names("priority", split_names(priority), priorities_known),
        departments=check_names("department", split_names(department), departments_known),
        customer=check_email(customer) if customer else None,
        assignee=assignee_login,
        unassigned=unassigned,
        created_after=after,
        created_before=before,
        search=search.strip() if search else None,
        limit=limit or None,
        sort=sort,
    )
