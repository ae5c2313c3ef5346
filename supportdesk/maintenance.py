"""Backup, restore and check of a desk file.

A backup is one consistent snapshot taken with SQLite's online backup API while others
keep writing; a restore copies a desk file the same way. Both build their file beside the
target and rename it into place, so an interrupted run leaves no half-written file. The
check replays every ticket's history to its row and recomputes open tickets' deadlines
under the policy version that set them. The SQL is the store's; this module decides.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from supportdesk.errors import DeskUnavailable, InvalidInput, NotFound, Refused
from supportdesk.frozen import Record, record
from supportdesk.store import Store

# The deadline columns `check` recomputes for every open ticket.
DEADLINE_COLUMNS = ("respond_by", "resolve_by", "due_at", "risk_at")
# A restore source, a backup or a desk: the files SQLite keeps beside a database.
COMPANIONS = ("-wal", "-shm", "-journal")


# ---- backup and restore ------------------------------------------------------------------


def backup(desk_path: Path, target: Path, *, force: bool = False) -> dict[str, Any]:
    """Copy the desk at `desk_path` to the new file `target` (mode 0600); with `force` an
    existing file there is replaced. Returns what was written."""
    refusal = f"{target} already exists; `--force` replaces it with a new backup"
    _check_target(target, other=desk_path, force=force, refusal=refusal, same=f"{target} is the desk itself; back it up to another file")
    if not target.parent.is_dir():
        raise InvalidInput(f"no directory {target.parent}; create it first")
    store = Store.open(desk_path)
    try:
        counts = _write_beside(target, ".backup", store.copy_to, force=force, refusal=refusal)
    finally:
        store.close()
    # Attachments' bytes, after the copy of the desk: every file its rows name was written
    # before its row, so none is missing (one added meanwhile is merely extra).
    files = copy_attachments(desk_path, target)
    return {"desk": str(desk_path), "file": str(target), **counts, "attachments": files, "bytes": target.stat().st_size}


def copy_attachments(source: Path, target: Path) -> int:
    """Copy the attachments kept beside the desk file `source` to beside `target`: files
    are content-addressed and never change, so only those missing there are copied (to a
    temporary name, then renamed). Returns how many files the copy holds."""
    from supportdesk.attachments import files_dir

    source_dir, target_dir = files_dir(source), files_dir(target)
    if not source_dir.is_dir():
        return 0
    held = 0
    try:
        for path in sorted(source_dir.rglob("*")):
            if not path.is_file() or path.is_symlink() or path.name.startswith("."):
                continue
            destination = target_dir / path.relative_to(source_dir)
            held += 1
            if destination.exists():
                continue
            destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            temp = destination.with_name(f".{destination.name}.copying")
            shutil.copyfile(path, temp)
            os.chmod(temp, 0o600)
            os.replace(temp, destination)
    except OSError as error:
        raise DeskUnavailable(f"cannot copy the attachments to {target_dir}: {error.strerror or error}; the desk file was copied") from None
    return held


def restore(source: Path, desk_path: Path, *, force: bool = False) -> dict[str, Any]:
    """Replace the desk at `desk_path` with a copy of the desk file `source` (a backup),
    checked by SQLite before it is renamed into place (mode 0600). Without `force` an
    existing desk is refused. The restored desk migrates when it is next opened."""
    if not source.exists():
        raise NotFound(f"no file {source}; give the backup to restore")
    try:
        opened = Store.open_unchanged(source)
    except DeskUnavailable as error:
        raise DeskUnavailable(f"{error.message}; nothing was restored") from None
    refusal = (
        f"a desk already exists at {desk_path}; `supportdesk restore {source} --force` replaces it with "
        f"{source}, and everything in it now is lost (take a `supportdesk backup` of it first)"
    )
    try:
        replaced = _check_target(desk_path, other=source, force=force, refusal=refusal, same=f"{source} is the desk itself; give a backup of it to restore")
        try:
            desk_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DeskUnavailable(f"cannot create the directory {desk_path.parent}: {error.strerror}") from None
        counts = _write_beside(desk_path, ".restoring", lambda temp: _sound_copy(opened, temp, source), force=force, refusal=refusal)
    finally:
        opened.close()
    files = copy_attachments(source, desk_path)
    return {"desk": str(desk_path), "file": str(source), **counts, "attachments": files, "replaced": replaced, "bytes": desk_path.stat().st_size}


def _sound_copy(opened: Store, temp: Path, source: Path) -> dict[str, Any]:
    """Copy the desk `opened` (read from `source`) to `temp`; refused unless SQLite finds
    the copy sound. Returns what was copied."""
    counts = opened.copy_to(temp)
    copy = Store.open_unchanged(temp)
    try:
        problems = copy.integrity_problems(limit=5)
    finally:
        copy.close()
    if problems:
        raise DeskUnavailable(
            f"{source} fails SQLite's integrity check ({problems[0]}); nothing was restored: "
            "restore an older backup"
        )
    return counts


def _write_beside(target: Path, suffix: str, write: Callable[[Path], Any], *, force: bool, refusal: str) -> Any:
    """Have `write` build the new file in an empty file beside `target`, then rename it
    into place (`_publish`); on any failure that file is removed. Returns what `write`
    returned."""
    temp = _temp_beside(target, suffix)
    try:
        result = write(temp)
        _publish(temp, target, force=force, refusal=refusal)
    except BaseException:
        _discard(temp)
        raise
    return result


def _occupied(path: Path) -> bool:
    """Whether a file with content is at `path` (an empty file holds nothing to lose)."""
    return path.exists() and path.stat().st_size > 0


def _check_target(target: Path, *, other: Path, force: bool, refusal: str, same: str) -> bool:
    """Refuse a target that cannot take the new file (`refusal` when it exists and may not
    be replaced, `same` when it is `other`); nothing is written here. Returns whether a
    file will be replaced."""
    if target.is_dir():
        raise InvalidInput(f"{target} is a directory; give a file name in it, e.g. {target / 'desk-backup.db'}")
    if target.parent.exists() and not target.parent.is_dir():
        raise InvalidInput(f"{target.parent} is not a directory")
    if target.exists() and other.exists() and os.path.samefile(target, other):
        raise InvalidInput(same)
    if not _occupied(target):
        return False
    if not force:
        raise Refused(refusal)
    if Store.in_use(target):
        raise DeskUnavailable(
            f"{target} is open in another process (its -wal or -shm file is there); stop the supportdesk "
            "commands using it (cron jobs, triage --watch) and try again"
        )
    return True


def _temp_beside(target: Path, suffix: str) -> Path:
    """An empty file of mode 0600 in the target's directory (so that the rename is atomic)."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
        os.close(fd)
        os.chmod(name, 0o600)
    except OSError as error:
        raise DeskUnavailable(f"cannot write in {target.parent}: {error.strerror}") from None
    return Path(name)


def _publish(temp: Path, target: Path, *, force: bool, refusal: str) -> None:
    """Make the finished file durable and move it to `target` in one step. Without
    `force`, a file that appeared there meanwhile is kept (`refusal`): the move is a
    hard link, which never replaces a file."""
    try:
        with open(temp, "rb") as finished:
            os.fsync(finished.fileno())
        if force or target.exists():
            if not force and _occupied(target):
                raise Refused(refusal)
            os.replace(temp, target)
        else:
            try:
                os.link(temp, target)
            except FileExistsError:
                raise Refused(refusal) from None
            except OSError:  # a file system without hard links
                if _occupied(target):
                    raise Refused(refusal) from None
                os.replace(temp, target)
            else:
                temp.unlink()
    except OSError as error:
        raise DeskUnavailable(f"cannot write {target}: {error.strerror}") from None
    try:
        directory = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)
    except OSError:
        pass
    finally:
        os.close(directory)


def _discard(temp: Path) -> None:
    for suffix in ("", *COMPANIONS):
        Path(f"{temp}{suffix}").unlink(missing_ok=True)


# ---- check ----------------------------------------------------------------------------


@record
class Problem(Record):
    """One thing `check` found wrong, and where."""

    check: str  # integrity | foreign-keys | history | deadlines
    message: str
    ticket: int | None = None
    event: int | None = None
    column: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The stable JSON form."""
        return {"check": self.check, "ticket": self.ticket, "event": self.event, "column": self.column, "message": self.message}


@dataclass
class CheckReport:
    """What `check` looked at and what it found."""

    tickets: int = 0
    events: int = 0
    open_tickets: int = 0  # open tickets whose deadlines were recomputed
    history_unverified: int = 0  # tickets whose history starts before events recorded changes
    deadlines_unverified: int = 0  # open tickets without a policy version (imported)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems

    @property
    def unverified_note(self) -> str | None:
        """What could not be fully verified, in words (None when everything was)."""
        parts = []
        if self.history_unverified:
            parts.append(
                f"{self.history_unverified} ticket(s) could not be fully verified: their history starts "
                "before events recorded their changes (written by an older supportdesk, or imported); "
                "they were checked from their first recorded change"
            )
        if self.deadlines_unverified:
            parts.append(f"{self.deadlines_unverified} open ticket(s) have no policy version (imported): their deadlines were not checked")
        return "; ".join(parts) or None

    def summary(self) -> str:
        """One line: what was checked and, if any, how many problems in how many tickets."""
        checked = f"{self.tickets} tickets, {self.events} events checked"
        if self.ok:
            return f"ok: {checked}"
        tickets = {p.ticket for p in self.problems if p.ticket is not None}
        where = f" in {len(tickets)} ticket(s)" if tickets else ""
        return f"check found {len(self.problems)} problem(s){where} ({checked})"

    def to_json(self) -> dict[str, Any]:
        """The stable JSON form."""
        return {
            "ok": self.ok,
            "tickets": self.tickets,
            "events": self.events,
            "open_tickets": self.open_tickets,
            "history_unverified": self.history_unverified,
            "deadlines_unverified": self.deadlines_unverified,
            "problems": [p.to_json() for p in self.problems],
        }


def check(desk_path: Path, *, now_text: str | None, clock: Callable[[], datetime]) -> CheckReport:
    """Check the desk at `desk_path` in one read snapshot: SQLite's integrity and foreign
    keys, every ticket's history replayed to its row, and open tickets' deadlines. A part
    that SQLite cannot read is reported as a problem; the other parts still run."""
    store = Store.open(desk_path)
    report = CheckReport()
    try:
        with store.snapshot():
            for what, step in (
                ("the ticket and event counts cannot be read", _count),
                ("SQLite's integrity check cannot finish", _integrity),
                ("the foreign-key check cannot finish", _foreign_keys),
                ("the tickets and their events cannot be read to the end", _history),
                ("the open tickets cannot be read to the end", lambda s, r: _deadlines(s, r, now_text, clock)),
            ):
                try:
                    step(store, report)
                except store.read_errors as error:
                    report.problems.append(Problem("integrity", f"{what} (SQLite says: {error})"))
    finally:
        store.close()
    # Desk-wide problems first, then each ticket's together, in ticket order.
    report.problems.sort(key=lambda p: (p.ticket is not None, p.ticket or 0))
    return report


def _count(store: Store, report: CheckReport) -> None:
    counts = store.counts()
    report.tickets, report.events = counts["tickets"], counts["events"]


def _integrity(store: Store, report: CheckReport) -> None:
    report.problems += [Problem("integrity", f"integrity: {text}") for text in store.integrity_problems()]


def _foreign_keys(store: Store, report: CheckReport) -> None:
    for fk in store.foreign_key_problems():
        report.problems.append(
            Problem(
                "foreign-keys",
                f"{fk['table']} row {fk['rowid']}: {fk['column']} {fk['value']!r} refers to no {fk['parent']} row",
                fk["rowid"] if fk["table"] == "tickets" else None,
                fk["rowid"] if fk["table"] == "events" else None,
                fk["column"],
            )
        )


def _history(store: Store, report: CheckReport) -> None:
    report.history_unverified = replay_history(store.all_tickets(), store.ticket_events(), report.problems)


def _deadlines(store: Store, report: CheckReport, now_text: str | None, clock: Callable[[], datetime]) -> None:
    from supportdesk.clock import Calendars
    from supportdesk.desk import StoredHolidays, resolve_now
    from supportdesk.policy import load_policy
    from supportdesk.policy_compiled import read_compiled

    policies: dict[int, Any] = {}

    def policy_of(version: int) -> Any:
        """The calendars of a stored version's policy (None, reported once, when it cannot
        be loaded). Read from its TOML, and compared with its compiled form."""
        if version not in policies:
            policies[version] = None
            try:
                row = store.policy_version(version)
                policy = load_policy(row["toml"], f"policy version {version}", verify_holidays=False)
            except (InvalidInput, NotFound) as error:
                report.problems.append(
                    Problem("deadlines", f"policy version {version} cannot be loaded ({error}); the deadlines under it were not checked")
                )
            else:
                if row.get("compiled") and read_compiled(row["compiled"]) not in (None, policy):
                    report.problems.append(
                        Problem("policy", f"policy version {version}: its compiled form differs from its TOML (the desk file was changed outside supportdesk); restore a backup")
                    )
                policies[version] = Calendars(policy, StoredHolidays(store))
        return policies[version]

    now = clock()
    latest = store.latest_policy()
    in_force = policy_of(latest["id"]) if latest is not None else None
    if in_force is not None:
        now = resolve_now(now_text, in_force.policy, now)  # --now is read in the desk's zone
    report.open_tickets, report.deadlines_unverified = check_deadlines(
        store.open_tickets_with_package(), policy_of, now, report.problems
    )


def replay_history(tickets: Iterable[Mapping[str, Any]], events: Iterable[Mapping[str, Any]], problems: list[Problem]) -> int:
    """Fold every ticket's events' changes ({column: [before, after]}) in id order and
    compare them with its row; add what differs to `problems`. Both streams are ordered
    by ticket id (events then by id). Returns how many tickets could not be fully
    verified: those whose first event carries no changes (older desks, imports)."""
    unverified = 0
    columns: set[str] | None = None
    stream = iter(events)
    pending = next(stream, None)
    for row in tickets:
        if columns is None:
            columns = set(row.keys())
        ticket_id = row["id"]
        # Events of tickets that do not exist: the foreign-key check reports them.
        while pending is not None and _before(pending["ticket_id"], ticket_id):
            pending = next(stream, None)
        own = []
        while pending is not None and pending["ticket_id"] == ticket_id:
            own.append(pending)
            pending = next(stream, None)
        if not replay_ticket(row, own, problems, columns):
            unverified += 1
    return unverified


def _before(a: Any, b: int) -> bool:
    return not isinstance(a, int) or a < b


_UNKNOWN = object()  # a column whose value the replay does not know yet


def _show(value: Any) -> str:
    return "null" if value is None else repr(value)


def replay_ticket(
    row: Mapping[str, Any], events: list[Mapping[str, Any]], problems: list[Problem], columns: set[str] | None = None
) -> bool:
    """Replay one ticket's events onto its row (whose column names are `columns`); returns
    False when its history cannot be fully verified (its first event records no changes)."""
    columns = set(row.keys()) if columns is None else columns
    ticket_id = row["id"]
    if not events:
        problems.append(Problem("history", f"#{ticket_id}: it has no events (its history is missing)", ticket_id))
        return True
    known: dict[str, Any] = {}
    replayed: list[tuple[int, dict[str, Any]]] = []  # (event id, changes), to say which event set a value

    def set_by(column: str) -> int:
        return next(event_id for event_id, changes in reversed(replayed) if column in changes)

    latest: Mapping[str, Any] | None = None
    for event in events:
        event_id = event["id"]
        if latest is not None and event["at"] < latest["at"]:
            problems.append(
                Problem(
                    "history",
                    f"#{ticket_id}: event {event_id} at {event['at']} is earlier than event {latest['id']} at "
                    f"{latest['at']} (history out of order)",
                    ticket_id,
                    event_id,
                )
            )
        else:
            latest = event
        if event["changes"] is None:
            continue
        try:
            changes = json.loads(event["changes"])
        except ValueError:
            changes = None
        if type(changes) is not dict:
            problems.append(Problem("history", f"#{ticket_id}: event {event_id} has changes that are not a JSON object", ticket_id, event_id))
            continue
        for column, pair in changes.items():
            if type(pair) is not list or len(pair) != 2 or column not in columns:
                what = "which tickets do not have" if column not in columns else f"as {pair!r}, not [before, after]"
                problems.append(Problem("history", f"#{ticket_id}: event {event_id} records {column} {what}", ticket_id, event_id, column))
                continue
            was = known.get(column, _UNKNOWN)
            if was is not _UNKNOWN and was != pair[0]:
                problems.append(
                    Problem(
                        "history",
                        f"#{ticket_id}: event {event_id} changes {column} from {_show(pair[0])}, "
                        f"but event {set_by(column)} left it {_show(was)}",
                        ticket_id,
                        event_id,
                        column,
                    )
                )
            known[column] = pair[1]
        replayed.append((event_id, changes))
    for column, value in known.items():
        if row[column] != value:
            event_id = set_by(column)
            problems.append(
                Problem(
                    "history",
                    f"#{ticket_id}: {column} is {_show(row[column])}, but its events end at {_show(value)} (event {event_id})",
                    ticket_id,
                    event_id,
                    column,
                )
            )
    return events[0]["changes"] is not None


def check_deadlines(
    rows: Iterable[dict[str, Any]], policy_of: Callable[[int], Any], now: datetime, problems: list[Problem]
) -> tuple[int, int]:
    """Recompute every open ticket's deadlines under its own policy version and add each
    column that differs from the row to `problems`. Returns (tickets checked, tickets
    without a policy version)."""
    from supportdesk import sla

    checked = unversioned = 0
    for row in rows:
        ticket_id, version = row["id"], row["policy_version"]
        if version is None:
            unversioned += 1
            continue
        policy = policy_of(version)
        if policy is None:
            continue
        checked += 1
        try:
            values = sla.plan_for_row(policy, row, now)
        except Exception as error:  # noqa: BLE001 - an unknown priority, a broken calendar: report it
            problems.append(Problem("deadlines", f"#{ticket_id}: its deadlines cannot be recomputed under policy version {version} ({type(error).__name__}: {error})", ticket_id))
            continue
        for column in DEADLINE_COLUMNS:
            if values[column] != row[column]:
                problems.append(
                    Problem(
                        "deadlines",
                        f"#{ticket_id}: {column} is {_show(row[column])}, but policy version {version} gives {_show(values[column])}",
                        ticket_id,
                        None,
                        column,
                    )
                )
    return checked, unversioned

