"""Numbered, append-only schema migrations of the desk file (sqlite-utils Migrations).

Never edit a migration that has shipped; add the next one. PRAGMA user_version mirrors
the number applied so that opening an up-to-date desk needs no sqlite-utils import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

MIGRATION_SET = "supportdesk"


def m001_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE customers (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT,
            kind TEXT NOT NULL DEFAULT 'customer',     -- customer | reseller
            reseller_id INTEGER REFERENCES customers(id),
            package TEXT,
            status TEXT NOT NULL DEFAULT 'active',     -- active | suspended | banned
            verified INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE INDEX customers_reseller ON customers(reseller_id);

        CREATE TABLE agents (
            id INTEGER PRIMARY KEY,
            login TEXT NOT NULL UNIQUE,
            name TEXT,
            email TEXT,
            role TEXT NOT NULL DEFAULT 'engineer',     -- admin | engineer
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );

        CREATE TABLE policy_versions (
            id INTEGER PRIMARY KEY,                    -- the version number
            applied_at TEXT NOT NULL,
            applied_by TEXT NOT NULL,
            source TEXT,                               -- the file it came from
            sha256 TEXT NOT NULL,
            toml TEXT NOT NULL
        );

        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            status TEXT NOT NULL,
            priority TEXT NOT NULL,
            department TEXT NOT NULL,
            channel TEXT NOT NULL,
            category TEXT,
            service TEXT,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            assignee_id INTEGER REFERENCES agents(id),
            escalation_level INTEGER NOT NULL DEFAULT 0,
            fields TEXT NOT NULL DEFAULT '{}',         -- JSON object: department fields
            flags TEXT NOT NULL DEFAULT '[]',          -- JSON list: intake flags
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            first_response_at TEXT,
            respond_by TEXT,
            resolve_by TEXT,
            resolved_at TEXT,
            closed_at TEXT,
            close_reason TEXT,
            policy_version INTEGER REFERENCES policy_versions(id)
        );
        CREATE INDEX tickets_status_created ON tickets(status, created_at);
        CREATE INDEX tickets_created ON tickets(created_at);
        CREATE INDEX tickets_updated ON tickets(updated_at);
        CREATE INDEX tickets_customer ON tickets(customer_id, created_at);
        CREATE INDEX tickets_assignee ON tickets(assignee_id, created_at);
        CREATE INDEX tickets_department ON tickets(department, created_at);
        CREATE INDEX tickets_priority ON tickets(priority, created_at);

        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES tickets(id),
            at TEXT NOT NULL,
            author TEXT NOT NULL,                      -- agent:alice, customer:a@b.c
            internal INTEGER NOT NULL DEFAULT 0,       -- 1: an internal note
            channel TEXT,
            body TEXT NOT NULL
        );
        CREATE INDEX messages_ticket ON messages(ticket_id, at);

        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER REFERENCES tickets(id),  -- NULL: a desk-wide event
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL,
            details TEXT NOT NULL DEFAULT '{}'         -- JSON: before/after and context
        );
        CREATE INDEX events_ticket ON events(ticket_id, id);
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        """
    )
    # Full-text search over subject and body. Own triggers instead of sqlite-utils'
    # create_triggers=True, so that status updates (bulk closes) do not touch the index.
    db["tickets"].enable_fts(["subject", "body"], create_triggers=False)
    db.executescript(
        """
        CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
            INSERT INTO tickets_fts (rowid, subject, body) VALUES (new.id, new.subject, new.body);
        END;
        CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
            INSERT INTO tickets_fts (tickets_fts, rowid, subject, body)
                VALUES ('delete', old.id, old.subject, old.body);
        END;
        CREATE TRIGGER tickets_fts_update AFTER UPDATE OF subject, body ON tickets BEGIN
            INSERT INTO tickets_fts (tickets_fts, rowid, subject, body)
                VALUES ('delete', old.id, old.subject, old.body);
            INSERT INTO tickets_fts (rowid, subject, body) VALUES (new.id, new.subject, new.body);
        END;
        """
    )


def m002_oncall_overrides(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE oncall_overrides (
            id INTEGER PRIMARY KEY,
            layer TEXT NOT NULL,                       -- an on-call layer of the policy
            person TEXT NOT NULL,                      -- the agent covering it
            starts_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            removed_by TEXT,                           -- kept for the record, not deleted
            removed_at TEXT
        );
        CREATE INDEX oncall_overrides_ends ON oncall_overrides(ends_at);
        """
    )


def m003_sla(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        ALTER TABLE tickets ADD COLUMN priority_rank INTEGER NOT NULL DEFAULT 99;
        ALTER TABLE tickets ADD COLUMN sla TEXT NOT NULL DEFAULT '{}';       -- JSON: targets and where they came from
        ALTER TABLE tickets ADD COLUMN paused_at TEXT;                      -- pending since (resolution clock stopped)
        ALTER TABLE tickets ADD COLUMN paused_seconds INTEGER NOT NULL DEFAULT 0;  -- open time paused so far
        ALTER TABLE tickets ADD COLUMN respond_breached_at TEXT;
        ALTER TABLE tickets ADD COLUMN resolve_breached_at TEXT;
        ALTER TABLE tickets ADD COLUMN due_at TEXT;                         -- the next deadline: respond_by, then resolve_by
        ALTER TABLE tickets ADD COLUMN risk_at TEXT;                        -- when the next deadline becomes at risk
        ALTER TABLE tickets ADD COLUMN escalated_for TEXT;                  -- the due_at the last automatic escalation was for

        -- Triage is an indexed query over open tickets, not a loop over the desk.
        CREATE INDEX tickets_triage ON tickets(due_at, priority_rank, created_at)
            WHERE status IN ('new', 'open', 'pending') AND due_at IS NOT NULL;
        CREATE INDEX tickets_triage_risk ON tickets(risk_at, due_at)
            WHERE status IN ('new', 'open', 'pending') AND due_at IS NOT NULL;
        CREATE INDEX tickets_active ON tickets(assignee_id, priority_rank, created_at)
            WHERE status IN ('new', 'open', 'pending');

        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER REFERENCES tickets(id),
            kind TEXT NOT NULL,                        -- page | escalation | …
            recipient TEXT NOT NULL,                   -- agent:deniz, customer:a@b.c
            channel TEXT NOT NULL,                     -- email | sms | …
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            sent_at TEXT                               -- NULL until delivered
        );
        CREATE INDEX outbox_pending ON outbox(created_at) WHERE sent_at IS NULL;

        -- Public holidays as python-holidays computed them, so that reading commands need
        -- not import it: one row per country, subdivision and year.
        CREATE TABLE holiday_cache (
            country TEXT NOT NULL,
            subdivision TEXT NOT NULL DEFAULT '',
            year INTEGER NOT NULL,
            days TEXT NOT NULL,                        -- JSON: {"public": {date: name}, "half": {...}, "estimated": [...]}
            PRIMARY KEY (country, subdivision, year)
        );
        """
    )


def m004_event_audit(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- When the event was really written (its `at` may be an earlier --now), the
        -- previous and new value of every ticket column it changed, and the operation
        -- (one command, one transaction) it belongs to.
        ALTER TABLE events ADD COLUMN recorded_at TEXT;
        ALTER TABLE events ADD COLUMN changes TEXT;             -- JSON: {column: [before, after]}
        ALTER TABLE events ADD COLUMN operation TEXT;
        CREATE INDEX events_operation ON events(operation) WHERE operation IS NOT NULL;
        """
    )


def m005_compiled_policy(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- The validated policy of each version, compiled once when it is applied (JSON of
        -- the frozen model, see policy_compiled.py), so that reading commands need not
        -- parse and validate TOML. NULL for versions applied before: they are read from
        -- their TOML.
        ALTER TABLE policy_versions ADD COLUMN compiled TEXT;
        """
    )


def m006_people(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- People and access. A reseller is a customer row of kind 'reseller'; an end
        -- customer points at it with reseller_id.
        ALTER TABLE customers ADD COLUMN language TEXT;          -- ISO 639-1, e.g. fa
        ALTER TABLE customers ADD COLUMN notify TEXT NOT NULL DEFAULT '{}';  -- JSON: {type: address}
        ALTER TABLE customers ADD COLUMN updated_at TEXT;
        CREATE INDEX customers_kind ON customers(kind, email);

        CREATE TABLE services (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            kind TEXT NOT NULL,                        -- shared | reseller | vps | vds | cloud | dedicated
            name TEXT,                                 -- as the customer area shows it
            package TEXT,
            ip TEXT,
            order_number TEXT UNIQUE,                  -- e.g. #123456
            delivered_at TEXT,
            managed INTEGER NOT NULL DEFAULT 0,        -- a managed plan or an SLA service bought
            created_at TEXT NOT NULL
        );
        CREATE INDEX services_customer ON services(customer_id);

        -- Access tokens: only a SHA-256 of the token is kept, and its first characters
        -- to tell tokens apart in lists.
        CREATE TABLE tokens (
            id INTEGER PRIMARY KEY,
            prefix TEXT NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            holder_kind TEXT NOT NULL,                 -- agent | customer | reseller
            agent_id INTEGER REFERENCES agents(id),
            customer_id INTEGER REFERENCES customers(id),
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            expires_at TEXT,
            revoked_at TEXT,
            revoked_by TEXT
        );

        -- Rule violations and their fines (Site Com be Com rule 19).
        CREATE TABLE violations (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            ticket_id INTEGER REFERENCES tickets(id),
            rule TEXT NOT NULL,
            fine TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            paid_at TEXT,
            paid_by TEXT
        );
        CREATE INDEX violations_unpaid ON violations(customer_id) WHERE paid_at IS NULL;

        -- A ticket carries the reseller whose scope it is in (the customer's reseller, or
        -- the reseller itself), so that a reseller's view reads one index.
        ALTER TABLE tickets ADD COLUMN reseller_id INTEGER REFERENCES customers(id);
        ALTER TABLE tickets ADD COLUMN language TEXT;            -- as detected at filing
        ALTER TABLE tickets ADD COLUMN ref_id INTEGER;           -- file --ref N
        ALTER TABLE tickets ADD COLUMN duplicate_of INTEGER;     -- close --reason duplicate --of N
        UPDATE tickets SET reseller_id = (SELECT coalesce(c.reseller_id, CASE WHEN c.kind = 'reseller' THEN c.id END)
                                          FROM customers c WHERE c.id = tickets.customer_id)
            WHERE customer_id IN (SELECT id FROM customers WHERE reseller_id IS NOT NULL OR kind = 'reseller');
        CREATE INDEX tickets_reseller ON tickets(reseller_id, created_at) WHERE reseller_id IS NOT NULL;
        -- `status` counts a reseller's tickets by state from the index alone.
        CREATE INDEX tickets_reseller_status ON tickets(reseller_id, status) WHERE reseller_id IS NOT NULL;

        -- `[triage] order = "priority"`: the open queue in one walk, every more urgent
        -- priority first and, within one, as the deadline order has it (running deadlines
        -- soonest first, then tickets without one), then age.
        CREATE INDEX tickets_triage_priority ON tickets(priority_rank, due_at IS NULL, due_at, created_at)
            WHERE status IN ('new', 'open', 'pending');
        """
    )


def m007_operations(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- Bulk operations (close, assign, escalate --auto) and their undoing. The id is
        -- the operation id every event of the command carries (events.operation).
        CREATE TABLE operations (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,                        -- close | assign | escalate | undo
            actor TEXT NOT NULL,
            at TEXT NOT NULL,                          -- the instant it acted at
            recorded_at TEXT,                          -- when it was really written
            arguments TEXT NOT NULL DEFAULT '{}',      -- JSON: reason, to, filters, source
            changed INTEGER NOT NULL,                  -- tickets changed
            skipped INTEGER NOT NULL DEFAULT 0,
            undoes TEXT REFERENCES operations(id),     -- for kind undo: the operation undone
            undone_by TEXT REFERENCES operations(id)
        );
        CREATE INDEX operations_at ON operations(at);

        -- A notice queued by an operation is withdrawn (never sent) when it is undone.
        ALTER TABLE outbox ADD COLUMN operation TEXT;
        ALTER TABLE outbox ADD COLUMN withdrawn_at TEXT;
        CREATE INDEX outbox_operation ON outbox(operation) WHERE operation IS NOT NULL;

        -- How long each clock ran, in its own target's calendar (business or 24/7 open
        -- time; resolution without the paused time), stamped when the clock stopped, so
        -- that reports never recompute an old month under a newer policy. NULL: not
        -- stopped yet, or stopped before this column existed (reports compute those).
        ALTER TABLE tickets ADD COLUMN response_seconds INTEGER;
        ALTER TABLE tickets ADD COLUMN resolution_seconds INTEGER;
        """
    )


def m008_credits(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- Outages of a service (`outage add`): when it was down, [started_at, ended_at).
        -- Outages of one service never overlap (the desk refuses one that would).
        CREATE TABLE outages (
            id INTEGER PRIMARY KEY,
            service_id INTEGER NOT NULL REFERENCES services(id),
            started_at TEXT NOT NULL,
            ended_at TEXT NOT NULL,
            note TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        );
        CREATE INDEX outages_service ON outages(service_id, started_at);

        -- SLA credits recorded on a customer (`sla credit`): one per service and month
        -- (the desk's local calendar month, YYYY-MM), a percentage of the monthly fee in
        -- the policy's form (service-credit), never an amount of money.
        CREATE TABLE credits (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            service_id INTEGER NOT NULL REFERENCES services(id),
            month TEXT NOT NULL,                       -- 2026-10
            zone TEXT NOT NULL,                        -- the time zone the month was counted in
            month_seconds INTEGER NOT NULL,
            downtime_seconds INTEGER NOT NULL,
            uptime REAL NOT NULL,                      -- percent, cut to 4 decimals
            guarantee REAL NOT NULL,                   -- percent, the package's
            package TEXT,
            outage_seconds INTEGER NOT NULL,           -- the longest claimed outage, in the month
            outage_started_at TEXT NOT NULL,
            outage_ended_at TEXT NOT NULL,
            credit_percent REAL NOT NULL,
            form TEXT NOT NULL,                        -- service-credit | cash
            claimed_at TEXT NOT NULL,                  -- the claim ticket's filing, or when recorded
            ticket_id INTEGER REFERENCES tickets(id),
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            UNIQUE (service_id, month)
        );
        CREATE INDEX credits_customer ON credits(customer_id, month);
        """
    )


def m009_report_index(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- Reports read every ticket filed in a period. This index holds all they read of
        -- a ticket (filing time, what they group by, where each clock stopped, its stamps
        -- and deadline), so that a year of a million tickets is read from the index alone,
        -- without the ticket rows and their subjects and descriptions.
        CREATE INDEX tickets_report ON tickets(
            created_at, priority, department, assignee_id, customer_id, reseller_id,
            first_response_at, response_seconds, respond_breached_at, respond_by,
            resolved_at, closed_at, resolution_seconds, resolve_breached_at, resolve_by
        );
        """
    )


def m010_mail(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- The e-mail channel. A notice's delivery: the Message-ID it went out with (so that
        -- a reply's In-Reply-To/References finds its ticket), its attempts and the last
        -- failure, when to try again, and a bounce recorded against it.
        ALTER TABLE outbox ADD COLUMN message_id TEXT;
        ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE outbox ADD COLUMN last_error TEXT;
        ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;
        ALTER TABLE outbox ADD COLUMN bounced_at TEXT;
        ALTER TABLE outbox ADD COLUMN bounce TEXT;
        ALTER TABLE outbox ADD COLUMN address TEXT;      -- the e-mail address it went to
        ALTER TABLE outbox ADD COLUMN fields TEXT;       -- JSON: the notice's values, worded in the recipient's language when sent
        ALTER TABLE outbox ADD COLUMN failed_at TEXT;    -- given up on (attempts used up); never sent
        CREATE UNIQUE INDEX outbox_message_id ON outbox(message_id) WHERE message_id IS NOT NULL;
        -- A ticket's thread of sent mail (References); a notice gets its Message-ID when
        -- claimed for sending, so queueing (a bulk close) does not touch this index.
        CREATE INDEX outbox_thread ON outbox(ticket_id) WHERE message_id IS NOT NULL;

        -- Every message ingest has seen, once: by its Message-ID, or a digest of it when
        -- it has none; what became of it.
        CREATE TABLE mail_seen (
            key TEXT PRIMARY KEY,                      -- <message-id> or sha256:…
            sender TEXT,
            subject TEXT,
            ticket_id INTEGER REFERENCES tickets(id),
            outcome TEXT NOT NULL,                     -- filed | reply | quarantined | ignored | bounce | refused
            why TEXT,
            answer TEXT,                               -- the notice that answered the sender (filed, refused…), if any
            at TEXT NOT NULL
        );
        CREATE INDEX mail_seen_sender ON mail_seen(sender, at);  -- answers per sender (the rate limit)
        CREATE INDEX mail_seen_ticket ON mail_seen(ticket_id) WHERE ticket_id IS NOT NULL;  -- a ticket's thread (References)

        -- Messages held back for an agent: a reply from someone who is neither the
        -- ticket's requester nor its reseller, and the like.
        CREATE TABLE quarantine (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL REFERENCES mail_seen(key),
            sender TEXT,
            subject TEXT,
            ticket_id INTEGER REFERENCES tickets(id),
            why TEXT NOT NULL,
            raw BLOB NOT NULL,                         -- the message as received
            received_at TEXT NOT NULL,
            released_at TEXT,
            released_by TEXT,
            dropped_at TEXT,
            dropped_by TEXT
        );
        CREATE INDEX quarantine_held ON quarantine(received_at) WHERE released_at IS NULL AND dropped_at IS NULL;

        -- Attachments: the bytes live beside the desk, content-addressed by SHA-256; a
        -- row ties them to a ticket and, when they came with one, its message.
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES tickets(id),
            message_id INTEGER REFERENCES messages(id),
            filename TEXT NOT NULL,
            content_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        );
        CREATE INDEX attachments_ticket ON attachments(ticket_id);
        CREATE INDEX attachments_message ON attachments(message_id) WHERE message_id IS NOT NULL;
        """
    )


# Append only. The position in this tuple is the schema version.
MIGRATIONS = (
    m001_initial,
    m002_oncall_overrides,
    m003_sla,
    m004_event_audit,
    m005_compiled_policy,
    m006_people,
    m007_operations,
    m008_credits,
    m009_report_index,
    m010_mail,
)
MIGRATION_NAMES = tuple(fn.__name__ for fn in MIGRATIONS)
SCHEMA_VERSION = len(MIGRATIONS)


def migration_set():
    """The sqlite-utils Migrations object holding every migration, in order."""
    from sqlite_utils import Migrations

    result = Migrations(MIGRATION_SET)
    for fn in MIGRATIONS:
        result()(fn)
    return result
