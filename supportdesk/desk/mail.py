"""Use cases of mail coming in: `supportdesk ingest` (messages from a file, an mbox, a
Maildir or standard input become tickets, replies, bounces on notices, or quarantined
messages) and the quarantine an agent works through (`ingest quarantine …`).

Mail authenticates a sender by its address, as a token authenticates its holder: a
message from an address registered for a customer (its own, or one of its notification
addresses) is filed or replied as that customer, through the same intake checks and
scope as `file` and `reply` with the customer's token. A message from an address the
desk does not know gets what the policy says to such a requester: the intake's answer
for an unregistered sender on the e-mail channel (filed when the policy takes it, as
INTROSERV takes general questions from any address; refused, with why, when it does not).

Messages are taken in batches, one transaction each; every message runs in a savepoint
of its own, so that one that fails leaves nothing behind and never stops the others.
Each is recorded in mail_seen, in the same transaction as what it did, so a message is
taken exactly once however often it is read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from supportdesk.desk.filing import Filing
from supportdesk.desk.tickets import TicketDraft
from supportdesk.errors import InvalidInput, NotFound, Refused, SupportdeskError
from supportdesk.frozen import Record, record
from supportdesk.model import Actor, Event

if TYPE_CHECKING:
    from supportdesk.mail.ingest import MailOutcome

# Messages per transaction (and at most this many bytes of them held at once): a crash
# loses no more than a batch, taken again by the next run.
BATCH = 500
BATCH_BYTES = 64 << 20
# Who files a ticket for a sender the desk does not know yet (the events say so).
MAIL_ACTOR = Actor("system", "mail")


@record
class IngestOutcome(Record):
    """What `ingest` did with each message, in the order read."""

    messages: tuple[MailOutcome, ...]
    dry_run: bool = False

    def counts(self) -> dict[str, int]:
        """How many messages had each outcome (every outcome named, zeros included)."""
        from supportdesk.mail.ingest import OUTCOMES

        counts = dict.fromkeys(OUTCOMES, 0)
        for message in self.messages:
            counts[message.outcome] += 1
        return counts

    def json(self) -> list[dict[str, Any]]:
        """One entry per message: key, outcome, ticket, why (and sender, answered)."""
        return [m.json() for m in self.messages]


class _DryRun(Exception):
    """Raised inside the transaction of a dry run, so that everything is rolled back."""


class Mail(Filing):
    """Mail coming in: ingest and the quarantine."""

    _in_mail_batch = False

    def _transaction(self) -> Any:
        """Inside an ingest batch, a use case's transaction is a savepoint of the batch's."""
        if self._in_mail_batch:
            return self.store.savepoint()
        return super()._transaction()

    def _acting(self, actor: Actor) -> Mail:
        """This desk, at this instant and inside this batch, acting as `actor` (a customer
        its address authenticates, or the desk's mail for a sender it does not know)."""
        desk = type(self)(self.store, self.policy, actor, self.now, self._policy_version, clock=self._clock, pinned=True)
        desk.calendars = self.calendars  # the same policy: its calendars, built once, not per message
        desk._in_mail_batch = True
        return desk

    # ---- ingest ------------------------------------------------------------------------

    def ingest(self, messages: Iterable[bytes], *, dry_run: bool = False) -> IngestOutcome:
        """Take in messages (each as its bytes): file, reply, record bounces, quarantine
        or ignore each one, answering only what may be answered; a message seen before
        is a duplicate and changes nothing. With `dry_run`, decide and roll back."""
        results: list[MailOutcome] = []
        run = _Run(self, dry_run)
        chunks = _chunks(messages, BATCH, BATCH_BYTES)
        if dry_run:
            try:
                with self._transaction():
                    self._in_mail_batch = True
                    for chunk in chunks:
                        results += run.chunk(chunk)
                    raise _DryRun()
            except _DryRun:
                pass
            finally:
                self._in_mail_batch = False
            return IngestOutcome(tuple(results), dry_run=True)
        for chunk in chunks:
            with self._transaction():
                self._in_mail_batch = True
                try:
                    results += run.chunk(chunk)
                finally:
                    self._in_mail_batch = False
        return IngestOutcome(tuple(results))

    # ---- the quarantine ----------------------------------------------------------------

    def quarantine(self, *, all_: bool = False) -> list[dict[str, Any]]:
        """Messages held for an agent (with `all_`, released and dropped ones too), oldest first."""
        return [_quarantine_json(r) for r in self.store.quarantined(held_only=not all_)]

    def release_quarantined(self, quarantine_id: int) -> dict[str, Any]:
        """Take a held message in as if its sender were allowed: a reply on the ticket it
        refers to (from the customer's side), else a ticket filed for its sender."""
        with self._transaction():
            row = self._held(quarantine_id, "release")
            self._in_mail_batch = True
            try:
                outcome = _Run(self).release(row)
            finally:
                self._in_mail_batch = False
            self.store.set_quarantine(quarantine_id, {"released_at": self.now_text, "released_by": self.actor.label})
            why = f"released by {self.actor.label}" + (f"; {outcome.why}" if outcome.why else "")
            self.store.set_mail_outcome(row["key"], {"outcome": outcome.outcome, "ticket_id": outcome.ticket, "why": why, "answer": outcome.answered})
            details = {"quarantine": quarantine_id, "key": row["key"], "sender": row["sender"], "outcome": outcome.outcome}
            self.store.insert_events([self._event("mail_released", details, outcome.ticket)])
        return {"id": quarantine_id, "key": row["key"], "outcome": outcome.outcome, "ticket": outcome.ticket, "why": outcome.why}

    def drop_quarantined(self, quarantine_id: int) -> dict[str, Any]:
        """Drop a held message: it stays in the quarantine, marked dropped, and is never taken in."""
        with self._transaction():
            row = self._held(quarantine_id, "drop")
            self.store.set_quarantine(quarantine_id, {"dropped_at": self.now_text, "dropped_by": self.actor.label})
            self.store.set_mail_outcome(row["key"], {"why": f"{row['why']}; dropped by {self.actor.label}"})
            details = {"quarantine": quarantine_id, "key": row["key"], "sender": row["sender"]}
            self.store.insert_events([self._event("mail_dropped", details, row["ticket_id"])])
        return {"id": quarantine_id, "key": row["key"], "dropped": True}

    def _held(self, quarantine_id: int, what: str) -> dict[str, Any]:
        """A message still held, or NotFound / Refused saying what became of it."""
        row = self.store.quarantined_message(quarantine_id)
        if row is None:
            raise NotFound(f"no quarantined message {quarantine_id}; `supportdesk ingest quarantine list` shows them")
        for done, by in (("released_at", "released_by"), ("dropped_at", "dropped_by")):
            if row[done] is not None:
                verb = done.removesuffix("_at")
                raise Refused(f"quarantined message {quarantine_id} was {verb} by {row[by]} on {row[done][:10]}; there is nothing to {what}")
        return row

    # ---- what a message does, as the actor its address authenticates ------------------

    def _mail_reply(self, ticket_id: int, text: str) -> int:
        """A reply from the customer's side that came by mail (a pending ticket resumes,
        a finished one reopens within the policy's window); returns the ticket id."""
        from supportdesk.mail.ingest import MAIL_CHANNEL
        from supportdesk.text import check_body

        body = check_body(text, "the message", max_bytes=self.policy.body_max_bytes)
        row = self._row(ticket_id)
        change = self._customer_reply_change(row, body)
        change.messages = [dataclasses.replace(m, channel=MAIL_CHANNEL) for m in change.messages]
        self.store.apply(change)
        return ticket_id


def _chunks(messages: Iterable[bytes], size: int, most_bytes: int) -> Iterator[list[bytes]]:
    """The messages in lists of at most `size` messages and about `most_bytes` bytes,
    each read before its transaction starts."""
    chunk: list[bytes] = []
    held = 0
    for raw in messages:
        chunk.append(raw)
        held += len(raw)
        if len(chunk) >= size or held >= most_bytes:
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk


def _quarantine_json(row: dict[str, Any]) -> dict[str, Any]:
    state = "dropped" if row.get("dropped_at") else "released" if row.get("released_at") else "held"
    return {
        "id": row["id"], "key": row["key"], "sender": row["sender"], "subject": row["subject"], "ticket": row["ticket_id"],
        "why": row["why"], "size": row.get("size"), "received_at": row["received_at"], "state": state,
        "released_at": row.get("released_at"), "released_by": row.get("released_by"),
        "dropped_at": row.get("dropped_at"), "dropped_by": row.get("dropped_by"),
    }


class _Run:
    """One ingest under way: the keys met so far (a message twice in one mailbox is a
    duplicate too) and the senders already looked up."""

    def __init__(self, desk: Mail, dry_run: bool = False):
        self.desk = desk
        self.dry_run = dry_run
        from supportdesk.mail.parse import fallback_charset

        self.fallback = fallback_charset(desk.policy.languages)
        self.store = desk.store
        self.keys: set[str] = set()
        self.senders: dict[str, list[dict[str, Any]]] = {}

    def chunk(self, chunk: list[bytes]) -> list[MailOutcome]:
        """Take in a batch of messages, inside the desk's transaction."""
        from supportdesk.mail.ingest import MailOutcome
        from supportdesk.mail.parse import message_key

        keys = [message_key(raw) for raw in chunk]
        known = self.store.seen_mail(keys)
        self.senders.clear()  # customers may have changed since the last batch
        out = []
        for raw, key in zip(chunk, keys):
            if key in known or key in self.keys:
                out.append(MailOutcome(key, "duplicate", why="seen before"))
                continue
            self.keys.add(key)
            out.append(self.one(raw, key))
        return out

    def one(self, raw: bytes, key: str) -> MailOutcome:
        """Take in one message, in a savepoint of its own: whatever fails in it is undone
        and the message quarantined with why."""
        from supportdesk.mail.ingest import MailOutcome
        from supportdesk.mail.parse import parse

        try:
            mail = parse(raw, self.fallback)
        except Exception as error:  # noqa: BLE001 - a message the parser cannot read is quarantined, never a crash
            return self.record(key, raw, None, None, MailOutcome(key, "quarantined", why=f"cannot be read: {type(error).__name__}: {error}"))
        try:
            with self.store.savepoint():
                return self.record(key, raw, mail.sender, mail.subject, self.decide(mail))
        except SupportdeskError as error:
            why = error.message
        except Exception as error:  # noqa: BLE001 - a bug met by one message holds that message, not the mailbox
            from supportdesk.store import backend_error_message

            if backend_error_message(error) is not None:
                raise  # the desk itself failed (busy, disk full): nothing more can be taken in
            why = f"could not be taken in ({type(error).__name__}: {error}); this is a bug in supportdesk, please report it"
        return self.record(key, raw, mail.sender, mail.subject, self.held(mail, None, why))

    def decide(self, mail: Any) -> MailOutcome:
        from supportdesk.mail import ingest

        why = ingest.quarantine_why(mail)
        if why:
            return self.held(mail, None, why)
        report = ingest.bounce_of(mail)  # before the loop checks: a bounce is an automatic reply too
        if report is not None:
            return self.bounce(mail, report)
        ignored = ingest.ignore_reason(mail, self.desk.policy.name)
        if ignored:
            return self.outcome(mail, "ignored", None, ignored)
        own = self.store.sent_notices([mail.message_id]) if mail.message_id else []
        if own:  # a notice of the desk's come back, its loop header stripped on the way
            return self.outcome(mail, "ignored", own[0]["ticket_id"], f"the desk's own mail (notice {own[0]['id']} went out as {mail.message_id})")
        ticket_id, how = self.reference(mail)
        if ticket_id is not None:
            return self.reply(mail, ticket_id, how)
        return self.file(mail)

    # ---- records --------------------------------------------------------------------

    @staticmethod
    def outcome(mail: Any, outcome: str, ticket: int | None, why: str | None, answer: str | None = None) -> MailOutcome:
        from supportdesk.mail.ingest import MailOutcome

        return MailOutcome(mail.key, outcome, ticket, why, mail.sender, answer)

    @staticmethod
    def held(mail: Any, ticket: int | None, why: str) -> MailOutcome:
        """A message to quarantine, with why."""
        from supportdesk.mail.ingest import MailOutcome

        return MailOutcome(mail.key, "quarantined", ticket, why, mail.sender)

    def record(self, key: str, raw: bytes, sender: str | None, subject: str | None, outcome: MailOutcome) -> MailOutcome:
        """Record what became of a message (and hold it in the quarantine when it is to be held)."""
        now = self.desk.now_text
        self.store.record_mail(
            {"key": key, "sender": sender, "subject": subject, "ticket_id": outcome.ticket, "outcome": outcome.outcome, "why": outcome.why, "answer": outcome.answered, "at": now}
        )
        if outcome.outcome == "quarantined":
            row = {"key": key, "sender": sender, "subject": subject, "ticket_id": outcome.ticket, "why": outcome.why, "raw": raw, "received_at": now}
            self.store.insert_quarantine(row)
        return outcome

    # ---- bounces ----------------------------------------------------------------------

    def bounce(self, mail: Any, report: Any) -> MailOutcome:
        """Record a bounce against the notices it returns (and as an event on their tickets)."""
        from supportdesk.mail.ingest import bounce_text

        text = bounce_text(report)
        notices = self.store.sent_notices(list(report.message_ids))
        if not notices:
            return self.outcome(mail, "bounce", None, f"a bounce of no notice this desk sent ({text})")
        for notice in notices:
            self.store.record_bounce(notice["id"], self.desk.now_text, text)
            if notice["ticket_id"] is not None:
                details = {"notice": notice["id"], "kind": notice["kind"], "to": notice["recipient"], "status": text}
                self.store.insert_events([Event("bounce", self.desk.now_text, MAIL_ACTOR.label, details, notice["ticket_id"])])
        shown = ", ".join(str(n["id"]) for n in notices)
        return self.outcome(mail, "bounce", notices[0]["ticket_id"], f"notice {shown} bounced: {text}")

    # ---- replies ----------------------------------------------------------------------

    def reference(self, mail: Any) -> tuple[int | None, str]:
        """The ticket a message answers, and how that was found: a Message-ID the desk
        sent or took in, else `[#N]` in the subject."""
        from supportdesk.mail.ingest import referenced_ids, subject_reference

        ids = referenced_ids(mail)
        if ids:
            found = self.store.tickets_of_messages(ids)
            for message_id in ids:
                if message_id in found:
                    return found[message_id], f"it answers {message_id}"
        number = subject_reference(mail.subject)
        return (number, f"its subject names [#{number}]") if number is not None else (None, "")

    def reply(self, mail: Any, ticket_id: int, how: str) -> MailOutcome:
        """A reply from the ticket's requester or reseller; from anyone else, quarantined."""
        from supportdesk.mail.ingest import registered

        try:
            row = self.store.ticket(ticket_id)
        except NotFound:
            return self.held(mail, None, f"{how}, but this desk has no ticket #{ticket_id}")
        customer = self.store.customer_by_id(row["customer_id"])
        reseller = self.store.customer_by_id(row["reseller_id"]) if row["reseller_id"] else None
        author = next((c for c in (customer, reseller) if c is not None and mail.sender in registered(c)), None)
        if author is None:
            owner = f"{customer['email']}" + (f" or its reseller {reseller['email']}" if reseller else "")
            why = f"from {mail.sender}, who is neither the requester of #{ticket_id} nor its reseller ({owner}); {how}"
            return self.held(mail, ticket_id, why)
        return self.reply_as(mail, ticket_id, Actor(author["kind"], author["email"], author["id"]), author)

    def reply_as(self, mail: Any, ticket_id: int, actor: Actor, answer_to: dict[str, Any]) -> MailOutcome:
        """Add the message to the ticket as `actor`'s reply; a refusal (a banned sender, a
        ticket past its reopen window) is answered with why."""
        from supportdesk.mail.ingest import body_text, fit_body, reply_text

        before = self.store.last_outbox_id()
        text, whole = fit_body(body_text(reply_text(mail), mail), *self.limits())
        try:
            self.desk._acting(actor)._mail_reply(ticket_id, text)
        except Refused as error:
            answered, held = self.answer(mail, before, answer_to, "refused", ticket_id, error.message)
            return self.outcome(mail, "refused", ticket_id, _with(error.message, held), answered)
        message_id = self.store.messages(ticket_id)[-1]["id"]
        return self.outcome(mail, "reply", ticket_id, self.attach(mail, ticket_id, message_id, actor.label, whole))

    # ---- new tickets ------------------------------------------------------------------

    def sender_customers(self, sender: str) -> list[dict[str, Any]]:
        found = self.senders.get(sender)
        if found is None:
            found = self.senders[sender] = self.store.customers_by_address(sender)
        return found

    def file(self, mail: Any, actor: Actor | None = None) -> MailOutcome:
        """File a ticket for the sender, as the customer its address authenticates (or,
        for an address the desk does not know, as the desk's mail for that address)."""
        from supportdesk.mail import ingest

        desk = self.desk
        customers = self.sender_customers(mail.sender)
        if len(customers) > 1 and actor is None:
            names = ", ".join(c["email"] for c in customers[:3])
            return self.held(mail, None, f"{mail.sender} is a notification address of several customers ({names}); file it for the right one")
        customer = customers[0] if customers else None
        automated = ingest.no_answer_reason(mail)
        if customer is None and automated and actor is None:
            return self.outcome(mail, "ignored", None, f"{automated} from {mail.sender}, an address the desk does not know")
        refusal = self.closed_channel()
        if refusal:
            answered, held = self.answer(mail, desk.store.last_outbox_id(), customer, "refused", None, refusal)
            return self.outcome(mail, "refused", None, _with(refusal, held), answered)
        departments = [(d.name, d.label) for d in desk.policy.departments]
        text, whole = ingest.fit_body(ingest.body_text(mail.text, mail), *self.limits())
        draft = TicketDraft(
            ingest.ticket_subject(mail.subject), text, customer["email"] if customer else mail.sender,
            department=ingest.department_of(mail.recipients, departments), channel=ingest.MAIL_CHANNEL,
        )
        if actor is None:
            actor = Actor(customer["kind"], customer["email"], customer["id"]) if customer else MAIL_ACTOR
        before = self.store.last_outbox_id()
        try:
            ticket = desk._acting(actor).file_ticket(draft)
        except Refused as error:
            answered, held = self.answer(mail, before, customer, "refused", None, error.message)
            return self.outcome(mail, "refused", None, _with(error.message, held), answered)
        answered, held = self.answer(mail, before, customer, None, ticket["id"], None)
        kept = self.attach(mail, ticket["id"], None, actor.label, whole)
        why = "; ".join(w for w in (held and f"not acknowledged: {held}", kept) if w) or None
        return self.outcome(mail, "filed", ticket["id"], why, answered)

    def closed_channel(self) -> str | None:
        """Why the policy takes no tickets by mail (it has no e-mail channel, or one that
        files none), naming where to file instead; None when it takes them."""
        from supportdesk.mail.ingest import MAIL_CHANNEL

        policy = self.desk.policy
        channel = next((c for c in policy.channels if c.name == MAIL_CHANNEL), None)
        if channel is not None and channel.files_tickets:
            return None
        others = [c.name for c in policy.channels if c.files_tickets]
        instead = f"file through {others[0]}" if others else "contact the desk another way"
        return f"this desk takes no tickets by e-mail; {instead}"

    # ---- answers ----------------------------------------------------------------------

    def answer(
        self, mail: Any, before: int, customer: dict[str, Any] | None, kind: str | None, ticket_id: int | None, why: str | None
    ) -> tuple[str | None, str | None]:
        """Settle the answers to the sender queued since notice `before`: queue a refusal
        (`kind`) when nothing answered it yet, then hold every answer back when the
        message is automated or the sender has had its share. Returns (the kind of
        answer queued, or None; why answers were held back, or None)."""
        from supportdesk.mail import ingest

        desk = self.desk
        answers = [n for n in self.store.notices_after(before) if n["kind"] in ingest.ANSWER_KINDS]
        if kind is not None and not answers:
            to = customer if customer is not None else {"id": None, "kind": "customer", "email": mail.sender, "_recipient": f"customer:{mail.sender}"}
            notice = desk._customer_notice(kind, to, ticket_id, subject=ingest.ticket_subject(mail.subject), why=why)
            self.store.insert_outbox([notice])
            answers = [n for n in self.store.notices_after(before) if n["kind"] in ingest.ANSWER_KINDS]
        if not answers:
            return None, None
        held = ingest.no_answer_reason(mail) or ingest.no_mail_answers(desk.policy.notify_to)
        if held is None:
            window = timedelta(hours=1) if customer is not None else timedelta(days=1)
            so_far = self.store.mail_answers(mail.sender, _instant_before(desk, window))
            if not ingest.may_answer(so_far, customer is not None):
                per = "hour" if customer is not None else "day"
                held = f"{mail.sender} was answered {so_far} time{'s' if so_far != 1 else ''} in the last {per} already"
        if held is not None:
            self.store.withdraw_notice_ids([n["id"] for n in answers], desk.now_text)
            return None, held
        return answers[0]["kind"], None

    def limits(self) -> tuple[int, int]:
        """The policy's largest text and largest attachment, in bytes."""
        return self.desk.policy.body_max_bytes, self.desk.policy.attachment_max_bytes

    def attach(self, mail: Any, ticket_id: int, message_id: int | None, by: str, whole: Any = None) -> str | None:
        """Keep the message's attachments with its ticket (and the reply they came with),
        and `whole`, its text when it was cut; says which were not kept (larger than the
        policy allows, or beyond the first ATTACHMENTS_PER_MESSAGE), or None."""
        from supportdesk.mail.ingest import ATTACHMENTS_PER_MESSAGE

        attachments = (whole, *mail.attachments) if whole is not None else mail.attachments
        if not attachments:
            return None
        kept = attachments[:ATTACHMENTS_PER_MESSAGE]
        extra = len(attachments) - len(kept)
        beyond = f"{extra} more attachment{'s' if extra != 1 else ''} (a message keeps at most {ATTACHMENTS_PER_MESSAGE})" if extra else None
        if self.dry_run:  # their bytes would be written beside the desk at once
            return f"{len(kept)} attachment(s) would be kept" + (f"; not kept: {beyond}" if beyond else "")
        from supportdesk.attachments import store_attachment

        refused = []
        for attachment in kept:
            try:
                store_attachment(self.desk, ticket_id, message_id, attachment.filename, attachment.content_type, attachment.data, self.desk.now_text, by)
            except InvalidInput as error:
                refused.append(error.message)
        if beyond:
            refused.append(beyond)
        return "not kept: " + "; ".join(refused) if refused else None

    # ---- release from the quarantine --------------------------------------------------

    def release(self, row: dict[str, Any]) -> MailOutcome:
        """A held message taken in as if its sender were allowed (see release_quarantined)."""
        from supportdesk.mail.parse import parse

        try:
            mail = parse(row["raw"], self.fallback)
        except Exception as error:  # noqa: BLE001 - see one()
            raise Refused(f"quarantined message {row['id']} cannot be read ({type(error).__name__}: {error}); drop it") from None
        if mail.sender is None:
            raise Refused(f"quarantined message {row['id']} has no sender address to file it for or answer; drop it")
        ticket_id, _ = self.reference(mail)
        if ticket_id is not None and self.store.existing_ids([ticket_id]):
            row_ = self.store.ticket(ticket_id)
            customer = self.store.customer_by_id(row_["customer_id"])
            # The stranger writes on the customer's side of the ticket, under their own address.
            outcome = self.reply_as(mail, ticket_id, Actor("customer", mail.sender, row_["customer_id"]), customer)
        else:  # no ticket named, or one the desk does not have: a new ticket
            outcome = self.file(mail, actor=self.desk.actor)
        if outcome.outcome != "filed" and outcome.outcome != "reply":
            raise Refused(f"quarantined message {row['id']} was not taken in: {outcome.why}")
        return outcome


def _instant_before(desk: Mail, window: timedelta) -> str:
    from supportdesk.timetext import to_utc_text

    return to_utc_text(desk.now - window)


def _with(why: str, held: str | None) -> str:
    return f"{why}; not answered: {held}" if held else why
