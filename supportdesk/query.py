"""The ticket filter shared by `list` and `close`: text options in, a Filter value out. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from supportdesk.errors import InvalidInput
from supportdesk.frozen import Record, record
from supportdesk.model import Scope, parse_statuses
from supportdesk.text import check_line, check_no_nul, inert
from supportdesk.timetext import parse_instant, to_utc_text

SORTS = ("newest", "oldest", "updated", "id")
# The largest --limit SQLite can take (a 64-bit integer); more is all of them anyway.
MAX_LIMIT = 2**63 - 1


@record
class Filter(Record):
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
    search: str | None = None  # words that must all appear in subject or body (prefixes match)
    limit: int | None = None
    sort: str = "newest"
    as_of: str | None = None  # a what-if view: only tickets filed at or before this instant
    scope: Scope | None = None  # the actor's tickets only (resellers, customers); None: all
    filed_before: str | None = None  # --older-than, as an instant
    idle_since: str | None = None  # --idle-for: no public message at or after this instant
    breached: bool | None = None
    breached_at: str | None = None  # the instant "overdue now" is judged at
    reseller: str | None = None  # e-mail or name
    package: str | None = None  # "" for customers without one
    flag: str | None = None
    categories: tuple[str, ...] = ()

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
                self.filed_before,
                self.idle_since,
                self.breached is not None,
                self.reseller,
                self.package is not None,
                self.flag,
                self.categories,
            )
        )


def _duration(text: str, option: str) -> timedelta:
    """A positive duration for an option such as --idle-for."""
    from supportdesk.timetext import parse_duration

    try:
        lasts = parse_duration(text)
    except InvalidInput as error:
        raise InvalidInput(f"{option}: {error}") from None
    if lasts.total_seconds() <= 0:
        raise InvalidInput(f"{option} must be longer than nothing, e.g. 14d")
    return lasts


def split_names(text: str | None, option: str = "") -> tuple[str, ...]:
    """`high,critical` -> ('high', 'critical') as typed, duplicates dropped; a list that
    names nothing (`,`) is refused."""
    if text is None:
        return ()
    names = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
    if not names:
        raise InvalidInput(f"{option or 'the list'} {quoted(text)} names nothing; give names separated by commas")
    return names


def quoted(text: str) -> str:
    """What the user typed, quoted for an error line (escape characters shown inert)."""
    return "'" + inert(text, multiline=False) + "'"


def check_names(kind: str, given: tuple[str, ...], known: tuple[str, ...]) -> tuple[str, ...]:
    """Names as the policy spells them (case-insensitively); refuse unknown ones,
    quoting them as typed and listing the known ones."""
    by_lower = {k.lower(): k for k in known}
    out = []
    for name in given:
        found = by_lower.get(name.strip().lower())
        if found is None:
            raise InvalidInput(f"unknown {kind} {quoted(name)}; this desk has: {', '.join(known) or 'none'}")
        out.append(found)
    return tuple(dict.fromkeys(out))


def check_email(email: str) -> str:
    """A valid e-mail address (syntax only, no DNS), normalised and lower-cased."""
    check_no_nul(email, "the e-mail address")
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(f"{quoted(email)} is not an e-mail address ({error}); give one like ada@example.com") from None
    return result.normalized.lower()


def check_limit(limit: int | None, least: int = 0) -> None:
    """Refuse a --limit below `least` or beyond what SQLite can count to."""
    if limit is None:
        return
    if limit < least:
        raise InvalidInput(f"--limit must be {least}{' (no limit)' if least == 0 else ''} or more, not {limit}")
    if limit > MAX_LIMIT:
        raise InvalidInput(f"--limit must be at most {MAX_LIMIT}, not {limit}" + ("; 0 means all" if least == 0 else ""))


def build_filter(
    *,
    zone: tzinfo,
    now: datetime,
    priorities_known: tuple[str, ...],
    departments_known: tuple[str, ...],
    agents_known: tuple[str, ...] = (),
    as_of: str | None = None,
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
    scope: Scope | None = None,
    older_than: str | None = None,
    idle_for: str | None = None,
    breached: str | None = None,
    reseller: str | None = None,
    package: str | None = None,
    flag: str | None = None,
    category: str | None = None,
    packages_known: tuple[str, ...] = (),
) -> Filter:
    """Validate the text options of `list`/`close` into a Filter."""
    statuses = tuple(s.value for s in parse_statuses(status)) if status else ()
    unassigned = False
    assignee_login = None
    if assignee is not None:
        lowered = assignee.strip().lower()
        if lowered in ("none", "nobody", "unassigned"):
            unassigned = True
        elif lowered == "me":
            assignee_login = me
        elif assignee.strip() in agents_known:
            assignee_login = assignee.strip()
        else:
            raise InvalidInput(
                f"no agent {quoted(assignee)}; agents of this desk: {', '.join(agents_known) or 'none'} (or me, none)"
            )
    check_limit(limit)
    if sort not in SORTS:
        raise InvalidInput(f"unknown sort {sort!r}; use one of: {', '.join(SORTS)}")
    after = to_utc_text(parse_instant(created_after, zone, now)) if created_after else None
    before = to_utc_text(parse_instant(created_before, zone, now)) if created_before else None
    if search is not None and not search.strip():
        raise InvalidInput("--search is empty; give the words to look for")
    if search is not None:
        check_no_nul(search, "--search")
    ago = {name: to_utc_text(now - _duration(text, f"--{name.replace('_', '-')}")) for name, text in (("older_than", older_than), ("idle_for", idle_for)) if text}
    was_breached = None
    if breached is not None:
        answer = breached.strip().lower()
        if answer not in ("yes", "no", "true", "false"):
            raise InvalidInput(f"--breached takes yes or no, not {quoted(breached)}")
        was_breached = answer in ("yes", "true")
    wanted_package = None
    if package is not None:
        wanted_package = "" if package.strip().lower() == "none" else check_names("package", (package,), packages_known)[0]
    return Filter(
        filed_before=ago.get("older_than"),
        idle_since=ago.get("idle_for"),
        breached=was_breached,
        breached_at=to_utc_text(now),
        reseller=check_line(reseller, "--reseller", limit=200) if reseller is not None else None,
        package=wanted_package,
        flag=check_line(flag, "--flag", limit=200).lower() if flag is not None else None,
        categories=tuple(n.lower() for n in split_names(category, "--category")),
        ids=ids,
        statuses=statuses,
        priorities=check_names("priority", split_names(priority, "--priority"), priorities_known),
        departments=check_names("department", split_names(department, "--department"), departments_known),
        customer=check_email(customer) if customer is not None else None,
        assignee=assignee_login,
        unassigned=unassigned,
        created_after=after,
        created_before=before,
        search=search.strip() if search else None,
        limit=limit or None,
        sort=sort,
        as_of=as_of,
        scope=scope,
    )
