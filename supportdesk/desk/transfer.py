"""Use cases of export and import: the desk's tickets out as JSON Lines or CSV (personal
data redacted unless an admin asks), and tickets in from such a file or from another
help desk's CSV, checked row by row and written in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, BinaryIO

from supportdesk.desk.context import DeskContext
from supportdesk.errors import InvalidInput
from supportdesk.model import UNTRACKED_COLUMNS, CloseReason, Event, Status
from supportdesk.query import Filter

if TYPE_CHECKING:
    from supportdesk.import_rows import ImportTicket
    from supportdesk.redaction import Redactor

# supportdesk.transfer (and the redaction's expressions) are imported by the use cases
# that need them: compiling them would cost every other command some milliseconds.

# Tickets read at once while exporting (each with its messages and events), and written
# at once while importing.
EXPORT_BATCH = 500
IMPORT_BATCH = 500
# Every this many rows, an import says how far it has read.
PROGRESS_EVERY = 256
# The ticket columns an import writes (a column a later migration adds takes its default).
IMPORT_COLUMNS = (
    "id", "subject", "body", "status", "priority", "department", "channel", "category", "service", "customer_id",
    "assignee_id", "escalation_level", "fields", "flags", "created_at", "updated_at", "first_response_at", "respond_by",
    "resolve_by", "resolved_at", "closed_at", "close_reason", "policy_version", "priority_rank", "sla", "paused_at",
    "paused_seconds", "respond_breached_at", "resolve_breached_at", "due_at", "risk_at", "escalated_for", "reseller_id",
    "language", "ref_id", "duplicate_of", "response_seconds", "resolution_seconds",
)


class TicketExport:
    """An export under way: `header`, how many tickets (`total`), and `records()`, one
    export record a ticket, in id order, all read in one snapshot of the desk. Use it
    as a context manager: the snapshot lasts the `with` block."""

    def __init__(self, desk: Transfer, flt: Filter, redactor: Redactor | None, header: dict[str, Any]):
        self._desk, self._flt, self._redactor = desk, flt, redactor
        self._keep = desk._policy_words() if redactor is not None else frozenset()
        self._stack = ExitStack()
        self._ids: Any = ()
        self.header = header
        self.total = 0

    def __enter__(self) -> TicketExport:
        self._stack.enter_context(self._desk.store.snapshot())
        self._ids = self._desk.store.matching_ids(self._flt)
        self.total = len(self._ids)
        self.header["tickets"] = self.total
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    @property
    def redacted(self) -> bool:
        """Whether personal data are replaced by placeholders."""
        return self._redactor is not None

    def records(self) -> Iterator[dict[str, Any]]:
        """Each ticket as an export record (see transfer.export_record), redacted unless
        personal data were asked for."""
        from supportdesk import transfer

        for start in range(0, len(self._ids), EXPORT_BATCH):
            for item in self._desk.store.export_batch(self._ids[start : start + EXPORT_BATCH]):
                people = [transfer.customer_record(c, c["reseller_email"]) for c in item["customers"]]
                record = transfer.export_record(item["row"], item["messages"], item["events"], people)
                yield record if self._redactor is None else transfer.redact_record(record, self._redactor, self._keep)


class Transfer(DeskContext):
    """Export and import."""

    def export_tickets(self, flt: Filter, *, personal_data: bool = False, filters: dict[str, Any] | None = None) -> TicketExport:
        """The tickets a filter matches, for export (see TicketExport); customers' names,
        addresses and phone numbers are replaced by placeholders unless `personal_data`
        (admins only: Site Com be Com rule 4, KVKK)."""
        import secrets

        from supportdesk import transfer
        from supportdesk.redaction import Redactor

        self._require_agent("export tickets")
        if personal_data:
            self._require_admin("export personal data (--include-personal-data); leave it out for a redacted export")
        redactor = None if personal_data else Redactor(secrets.token_bytes(32))
        given = {k: v for k, v in (filters or {}).items() if v is not None}
        if redactor is not None:
            given = {k: redactor.text(str(v)) for k, v in given.items()}
        header = transfer.export_header(
            redacted=redactor is not None, exported_at=self.now_text, exported_by=self.actor.label,
            timezone=self.policy.timezone, tickets=0, filters=given,
        )
        return TicketExport(self, flt, redactor, header)

    def _policy_words(self) -> frozenset[str]:
        """Names a redacted export keeps wherever they stand alone as a value: the
        policy's, the states', the agents' logins (none of them personal data)."""
        from supportdesk.desk.filing import categories

        policy = self.policy
        words = [
            *policy.priority_names, *policy.department_names, *policy.channel_names, *categories(policy),
            *(p.name for p in policy.packages), *policy.calendar_names, *(s.value for s in Status),
            *(r.value for r in CloseReason), *(a["login"] for a in self.store.agents()),
        ]
        return frozenset(words)

    def import_tickets(
        self,
        stream: BinaryIO,
        *,
        name: str,
        file_format: str | None = None,
        mapping: dict[str, str] | None = None,
        values: dict[str, dict[str, str]] | None = None,
        time_format: str | None = None,
        skip_bad: bool = False,
        skip_existing: bool = False,
        dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> dict[str, Any]:
        """Import tickets from `stream`, named `name`: JSON Lines from `export`, or CSV with
        `mapping` {ours: their column} and `values` {field: {theirs: ours}}; in one
        transaction (admins only: an import writes history in others' names and adds people).

        Every row is checked first; with a bad row nothing is written (ImportRefused
        lists them all) unless `skip_bad`. A ticket whose id the desk has already is a
        bad row, unless `skip_existing` and it is the same ticket (same filing time and
        subject: the file was imported before). `dry_run` checks and reports only.
        Returns the report (see ImportRun.report)."""
        from supportdesk import transfer

        self._require_admin("import tickets")
        fmt, counted, reader = transfer.open_source(stream, name, file_format)
        if fmt == "jsonl" and (mapping or values or time_format):
            raise InvalidInput(f"--map, --value and --time-format are for CSV; {name} is JSON Lines (from `supportdesk export`)")
        run = ImportRun(self, name, fmt, skip_existing=skip_existing)
        rows = None
        if fmt == "csv":
            header, rows = transfer.csv_rows(reader, name)
            run.columns = transfer.check_columns(header, mapping or {}, name)
            run.ignored = [c for c in header if c not in run.columns.values()]
            run.values_map = values or {}
        run.time_format = time_format

        def tick() -> None:
            if progress is not None:
                progress(counted.done)

        try:
            with self._transaction():
                run.start()
                lines = transfer.jsonl_lines(reader) if rows is None else rows
                try:
                    for count, (line, data, error) in enumerate(lines, start=1):
                        run.take(line, data, error)
                        if count % PROGRESS_EVERY == 0:
                            tick()
                except Exception as error:
                    broken = transfer.csv_broken(error)
                    if broken is None:
                        raise
                    raise InvalidInput(
                        f"{name}: line {broken[0]} cannot be read as CSV ({broken[1]}), nor can what follows; "
                        "nothing was imported: fix the quoting there"
                    ) from None
                run.flush()
                tick()
                report = run.report(dry_run, skip_bad)
                if run.bad_count and not skip_bad:
                    total = run.rows
                    raise transfer.ImportRefused(
                        f"{run.bad_count} of {total} {'row' if total == 1 else 'rows'} of {name} cannot be imported; "
                        "nothing was imported: fix them, or import the others with --skip-bad",
                        report,
                    )
                if dry_run:
                    raise _DryRun()
        except _DryRun:
            pass
        return report


class _DryRun(Exception):
    """Raised inside the transaction of a dry run, so that everything is rolled back."""


class ImportRun:
    """One import under way, inside its transaction: the people and ids met so far,
    the batch not yet written, and what the report will say."""

    def __init__(self, desk: Transfer, name: str, fmt: str, *, skip_existing: bool):
        self.desk = desk
        self.store = desk.store
        self.name = name
        self.source = PurePath(name).name
        self.fmt = fmt
        self.skip_existing = skip_existing
        self.columns: dict[str, str] = {}
        self.ignored: list[str] = []
        self.values_map: dict[str, dict[str, str]] = {}
        self.time_format: str | None = None
        self.redacted: bool | None = None
        self.header_seen = False
        self.rows = 0
        self.bad: list[dict[str, Any]] = []
        self.bad_count = 0
        self.skipped: list[dict[str, Any]] = []
        self.skipped_count = 0
        self.imported = 0
        self.first_id: int | None = None
        self.last_id: int | None = None
        self.customers_created = 0
        self.agents_created: list[str] = []
        self.seen: set[int] = set()
        self.seen_keys: set[int] = set()
        self.people: dict[str, dict[str, Any]] = {}
        self.agents: dict[str, int] = {}
        self.batch: list[dict[str, Any]] = []

    def start(self) -> None:
        """Read what the import is checked against, now that the write lock is held."""
        from supportdesk import import_rows

        desk, policy = self.desk, self.desk.policy
        self.names = import_rows.Names(
            priorities=policy.priority_names, departments=policy.department_names, channels=policy.channel_names,
            packages=tuple(p.name for p in policy.packages), default_priority=policy.default_priority,
            default_department=policy.default_department, default_channel=policy.default_channel,
            zone=policy.zone, now=desk.now_text, time_format=self.time_format,
        )
        self.next_id = self.store.max_ticket_id() + 1
        self.beyond = self.next_id  # ids from here on were not in the desk when the import began
        known = set(self.store.columns("tickets"))
        self.row_columns = tuple(c for c in IMPORT_COLUMNS if c in known)

    # ---- one row -----------------------------------------------------------------------

    def take(self, line: int, data: Any, error: str | None) -> None:
        """Check one row and queue it, or note why it is bad."""
        from supportdesk import import_rows, transfer
        from supportdesk.transfer import BadRow

        if self.fmt == "jsonl" and isinstance(data, dict) and "format" in data and "id" not in data:
            if not self.header_seen or data.get("format") == transfer.FORMAT:
                self._header(data)  # exports joined one after another each begin with one
                return
        self.header_seen = True
        self.rows += 1
        try:
            if error is not None:
                raise BadRow(error)
            if self.fmt == "jsonl":
                ticket = import_rows.jsonl_ticket(data, line, self.names)
            else:
                ticket = import_rows.csv_ticket(data, line, self.columns, self.values_map, self.names)
            self._add(ticket)
        except BadRow as bad:
            self.bad_count += 1
            if len(self.bad) < transfer.MAX_REPORTED:
                self.bad.append({"line": line, "id": self._id_of(data), "why": bad.why})

    def _id_of(self, data: Any) -> Any:
        """The ticket id a bad row names, when it names one plainly."""
        if not isinstance(data, dict):
            return None
        value = data.get("id" if self.fmt == "jsonl" else self.columns.get("id", ""))
        return value if isinstance(value, (int, str)) and not isinstance(value, bool) and value != "" else None

    def _header(self, data: dict[str, Any]) -> None:
        from supportdesk import transfer

        if data.get("format") != transfer.FORMAT:
            raise InvalidInput(f"{self.name} begins with a header of format {data.get('format')!r}, not {transfer.FORMAT!r}; import reads what `supportdesk export` writes")
        if data.get("version") != transfer.VERSION:
            raise InvalidInput(
                f"{self.name} is a {transfer.FORMAT} of version {data.get('version')!r}; this supportdesk reads version {transfer.VERSION}: upgrade it"
            )
        self.header_seen = True
        self.redacted = bool(data.get("redacted")) or bool(self.redacted)

    def _add(self, ticket: ImportTicket) -> None:
        from supportdesk import import_rows

        if not self._check_clash(ticket):
            return  # the same ticket is in the desk already (--skip-existing)
        # The reseller first: a row refused for it leaves no customer behind.
        reseller_id = self._reseller_id(ticket, None) if ticket.reseller is not None else None
        customer, created = self._customer(ticket)
        if ticket.reseller is None:
            reseller_id = self._reseller_id(ticket, customer)
        if ticket.id is None:
            ticket.id = self.next_id
            self.next_id += 1
        self.seen.add(ticket.id)
        policy = self.desk.policy
        row = ticket.values | {
            "id": ticket.id,
            "customer_id": customer["id"],
            "reseller_id": reseller_id,
            "assignee_id": self._agent(ticket.assignee) if ticket.assignee else None,
            "priority_rank": policy.priority(ticket.values["priority"]).rank,
        }
        details: dict[str, Any] = {"source": self.source, "line": ticket.line, "format": self.fmt}
        if self.fmt == "csv":
            row |= import_rows.csv_clock_values(self.desk.calendars, row, customer["package"], row["priority_rank"])
            row |= {"policy_version": self.desk.policy_version_id, "escalated_for": None}
            details["policy_version"] = row["policy_version"]
        else:
            row["policy_version"] = None  # its deadlines came from the exporting desk's policy
        if self.redacted:
            details["redacted"] = True
        if created:
            details["new_customer"] = True
        row = {c: row.get(c) for c in self.row_columns}
        changes = import_rows.imported_changes(row, ticket.folded, UNTRACKED_COLUMNS)
        self.batch.append({
            "row": row, "messages": ticket.messages, "events": ticket.events,
            "imported": (self.desk.actor.label, self.desk.now_text, details, changes),
        })
        self.imported += 1
        self.first_id = ticket.id if self.first_id is None else self.first_id
        self.last_id = ticket.id
        if len(self.batch) >= IMPORT_BATCH:
            self.flush()

    def _check_clash(self, ticket: ImportTicket) -> bool:
        """Refuse (BadRow) a ticket whose id the file or the desk has already; False when
        it is to be skipped as already present (--skip-existing); else True."""
        from supportdesk.transfer import BadRow

        values = ticket.values
        if ticket.id is None:
            key = hash((ticket.customer["email"], values["created_at"], values["subject"]))
            known = self.people.get(ticket.customer["email"]) or self.store.customer_by_email(ticket.customer["email"])
            present = self.store.same_ticket(known["id"], values["created_at"], values["subject"]) if known else None
            if present is not None:
                if self.skip_existing:
                    return self._skip(ticket, present)
                raise BadRow(
                    f"the desk has this ticket already as #{present} (same customer, filing time and subject); "
                    "--skip-existing skips tickets already there"
                )
            if key in self.seen_keys:
                raise BadRow("the file has this ticket (same customer, filing time and subject) on an earlier line")
            self.seen_keys.add(key)
            return True
        if ticket.id in self.seen:
            raise BadRow(f"ticket #{ticket.id} appears on an earlier line of the file too")
        existing = self.store.ticket_identity(ticket.id) if ticket.id < self.beyond else None
        if existing is None:
            return True
        same = existing["created_at"] == values["created_at"] and existing["subject"] == values["subject"]
        if same and self.skip_existing:
            return self._skip(ticket, ticket.id)
        if same:
            raise BadRow(f"ticket #{ticket.id} is in this desk already (the same ticket: imported before?); --skip-existing skips tickets already there")
        raise BadRow(
            f"ticket #{ticket.id} is another ticket in this desk (filed {existing['created_at']}); "
            "ids must not clash: renumber the file's tickets before importing"
        )

    def _skip(self, ticket: ImportTicket, present: int) -> bool:
        from supportdesk import transfer

        self.skipped_count += 1
        if len(self.skipped) < transfer.MAX_REPORTED:
            self.skipped.append({"line": ticket.line, "id": present})
        return False

    # ---- people ------------------------------------------------------------------------

    def _person(self, record: dict[str, Any], reseller_id: int | None = None) -> tuple[dict[str, Any], bool]:
        """The desk's customer row of an address (looked up once), created when the desk
        has no such customer; (row, whether it was created)."""
        email = record["email"]
        row = self.people.get(email)
        if row is None:
            row = self.store.customer_by_email(email)
        created = False
        if row is None:
            values = {
                "email": email, "name": record.get("name"), "kind": record.get("kind") or "customer", "reseller_id": reseller_id,
                "package": record.get("package"), "language": record.get("language"), "created_at": self.desk.now_text,
            }
            values["id"] = self.store.insert_customer(values)
            row, created = values, True
            self.customers_created += 1
        self.people[email] = row
        return row, created

    def _reseller_row(self, email: str, record: dict[str, Any] | None) -> dict[str, Any]:
        from supportdesk.transfer import BadRow

        row, _ = self._person(record or {"email": email, "kind": "reseller"})
        if row["kind"] != "reseller":
            raise BadRow(f"{email} is named as a reseller, but this desk has it as a {row['kind']}")
        return row

    def _customer(self, ticket: ImportTicket) -> tuple[dict[str, Any], bool]:
        record = ticket.customer
        owner_id = None
        existing = self.people.get(record["email"]) or self.store.customer_by_email(record["email"])
        if existing is None and record.get("reseller"):
            detail = ticket.reseller if ticket.reseller and ticket.reseller["email"] == record["reseller"] else None
            owner_id = self._reseller_row(record["reseller"], detail)["id"]
        return self._person(record, owner_id)

    def _reseller_id(self, ticket: ImportTicket, customer: dict[str, Any] | None) -> int | None:
        """The reseller whose scope the ticket is in: as the file says (JSONL), else the
        customer's (a reseller's own ticket: the reseller itself)."""
        if ticket.reseller is not None:
            return int(self._reseller_row(ticket.reseller["email"], ticket.reseller)["id"])
        if self.fmt == "jsonl" or customer is None:
            return None
        return customer["id"] if customer["kind"] == "reseller" else customer["reseller_id"]

    def _agent(self, login: str) -> int:
        """The id of the agent `login`; one the desk lacks is added inactive (it keeps
        the history's assignments and gives no access until an admin activates it)."""
        if login not in self.agents:
            row = self.store.agent_by_login(login)
            if row is None:
                agent_id = self.store.insert_agent({"login": login, "name": login, "role": "engineer", "active": 0, "created_at": self.desk.now_text})
                self.store.insert_events([Event("agent_added", self.desk.now_text, self.desk.actor.label, {"login": login, "role": "engineer", "active": False, "by": f"import of {self.source}"})])
                self.agents_created.append(login)
                self.agents[login] = agent_id
            else:
                self.agents[login] = row["id"]
        return self.agents[login]

    # ---- writing and the report --------------------------------------------------------

    def flush(self) -> None:
        """Write the queued tickets."""
        self.store.insert_imported(self.batch)
        self.batch = []

    def report(self, dry_run: bool, skip_bad: bool) -> dict[str, Any]:
        """What the import did: `imported` tickets written (none on a dry run or when
        refused), `importable` the rows that passed every check."""
        written = not dry_run and (skip_bad or not self.bad_count)
        return {
            "source": self.name,
            "format": self.fmt,
            "dry_run": dry_run,
            "redacted": self.redacted,
            "rows": self.rows,
            "imported": self.imported if written else 0,
            "importable": self.imported,
            "first_id": self.first_id,
            "last_id": self.last_id,
            "customers_created": self.customers_created,
            "agents_created": self.agents_created,
            "skipped_existing": self.skipped_count,
            "skipped_existing_tickets": self.skipped,
            "bad": self.bad_count,
            "bad_rows": self.bad,
            "ignored_columns": self.ignored,
        }


