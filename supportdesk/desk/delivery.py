"""Use cases of the e-mail channel's way out: delivering queued notices (who each goes
to, in which language and words, claimed so that two senders never send one twice,
retried with backoff, given up on after a number of attempts) and attachments (kept with
a ticket or a reply, written out again).

Delivery rules (README "E-mail"): a notice is claimed in a transaction before it is
sent (its attempts + 1, a Message-ID, and a lease of LEASE during which no other sender
takes it); a notice the server refuses for now (4xx, or a dropped connection) is tried
again after 1 min × 2^(attempts − 1), at most RETRY_CAP, and given up on (`failed_at`)
after TRANSIENT_ATTEMPTS attempts; one it refuses for good (5xx) after
PERMANENT_ATTEMPTS. A sender that dies between handing a message over and recording it
leaves the notice to be sent again once its lease ends (with the same Message-ID).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from supportdesk.desk.tickets import Tickets
from supportdesk.errors import NotFound
from supportdesk.frozen import Record, record
from supportdesk.query import check_limit
from supportdesk.timetext import from_utc_text, to_utc_text

LEASE = timedelta(minutes=10)
BATCH = 200  # notices read from the outbox at a time
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=6)
TRANSIENT_ATTEMPTS = 12  # about 20 hours of retries
PERMANENT_ATTEMPTS = 3


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1 min, 2, 4… at most 6 h."""
    return min(RETRY_BASE * 2 ** min(max(attempts - 1, 0), 20), RETRY_CAP)


def gives_up(attempts: int, permanent: bool) -> bool:
    """Whether a notice that failed its `attempts`-th attempt is given up on."""
    return attempts >= (PERMANENT_ATTEMPTS if permanent else TRANSIENT_ATTEMPTS)


@record
class DeliveryOutcome(Record):
    """What `outbox send` did: notices sent, failed (with what comes next), or (dry run)
    would send; `unreachable` says why it stopped when the server could not be used."""

    dry_run: bool
    sent: tuple[dict[str, Any], ...] = ()
    failed: tuple[dict[str, Any], ...] = ()
    would_send: tuple[dict[str, Any], ...] = ()
    unreachable: str | None = None

    def to_json(self) -> dict[str, Any]:
        """`outbox send --json`."""
        if self.dry_run:
            return {"dry_run": True, "would_send": list(self.would_send)}
        return {"dry_run": False, "sent": list(self.sent), "failed": list(self.failed), "unreachable": self.unreachable}


class NoAddress(Exception):
    """A notice whose recipient has no address to send it to."""


class Delivery(Tickets):
    """Sending the outbox; attachments."""

    # ---- sending -----------------------------------------------------------------------

    def send_notices(self, transport: Any = None, *, sender: str = "", limit: int | None = None, dry_run: bool = False) -> DeliveryOutcome:
        """Send the notices that are due (at most `limit`), oldest first, through
        `transport` (see mail/send.py) from `sender` (the From header); with `dry_run`,
        what would be sent, changing nothing and sending nothing."""
        from supportdesk.errors import InvalidInput
        from supportdesk.mail.compose import preview
        from supportdesk.mail.send import MailServerUnavailable

        check_limit(limit, least=1)
        if dry_run:
            shown = []
            for row in self._due(limit):
                try:
                    shown.append(preview(self._outgoing(row)))
                except Exception as error:  # noqa: BLE001 - one notice that cannot be made never hides the others
                    from supportdesk.errors import SupportdeskError

                    why = str(error) if isinstance(error, SupportdeskError) else f"cannot make the message: {type(error).__name__}: {error}"
                    shown.append({"id": row["id"], "ticket_id": row["ticket_id"], "kind": row["kind"], "to": None, "error": why})
            return DeliveryOutcome(True, would_send=tuple(shown))
        if "@" not in sender:
            raise InvalidInput("give the desk's sender address (the From header), e.g. Support <help@example.com>")
        due = self._due(limit)
        first = next(due, None)
        if first is None:
            return DeliveryOutcome(False)  # nothing due: the server is not even asked
        transport.open()  # MailServerUnavailable (exit 4): nothing claimed, nothing changed
        sent: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        unreachable = None
        try:
            for row in itertools.chain((first,), due):
                try:
                    outcome = self._send_one(row, transport, sender)
                except MailServerUnavailable as error:
                    unreachable = error.message
                    break
                if outcome is not None:
                    (sent if outcome["sent"] else failed).append(outcome)
        finally:
            transport.close()
        return DeliveryOutcome(False, tuple(sent), tuple(failed), unreachable=unreachable)

    def _due(self, limit: int | None) -> Iterator[dict[str, Any]]:
        """The notices due now, oldest first, read a batch at a time in one pass (a notice
        that fails and falls due again during a long run waits for the next run)."""
        after, left = 0, limit
        while left is None or left > 0:
            batch = self.store.due_notices(self.now_text, min(BATCH, left) if left is not None else BATCH, after)
            if not batch:
                return
            for row in batch:
                yield row
            after = batch[-1]["id"]
            left = None if left is None else left - len(batch)

    def _send_one(self, row: dict[str, Any], transport: Any, sender: str) -> dict[str, Any] | None:
        """Claim one notice, send it and record what became of it; None when another
        sender took it first."""
        from email.utils import parseaddr

        from supportdesk.mail.compose import compose, new_message_id
        from supportdesk.mail.send import MailServerUnavailable, SendFailed

        envelope = parseaddr(sender)[1]
        with self._transaction():
            lease = to_utc_text(self.now + LEASE)
            claimed = self.store.claim_notice(row["id"], self.now_text, lease, new_message_id(row["id"], envelope.rpartition("@")[2]))
        if claimed is None:
            return None
        address = None
        try:
            outgoing = self._outgoing(claimed)
            address = outgoing.address
            transport.send(compose(outgoing, sender, self.now, envelope), envelope, address)
        except NoAddress as error:
            return self._record_failure(claimed, str(error), True, None)
        except SendFailed as error:
            result = self._record_failure(claimed, str(error), error.permanent, address)
            if error.lost:
                transport.open()  # MailServerUnavailable when it cannot be reached again: the run stops
            return result
        except MailServerUnavailable:
            self._record_failure(claimed, "the SMTP server could not be reached", False, address)
            raise
        except Exception as error:  # a template the policy words badly, an unreadable attachment…
            from supportdesk.errors import SupportdeskError

            # Whatever keeps this notice from being made (a policy template that passes
            # `policy check` but fails on these values, a missing file) is its own
            # permanent failure, recorded, never a crash that every later run repeats.
            what = str(error) if isinstance(error, SupportdeskError) or type(error).__module__.startswith("jinja2") else f"{type(error).__name__}: {error}"
            return self._record_failure(claimed, f"cannot make the message: {what}", True, address)
        with self._transaction():
            self.store.record_delivery(claimed["id"], {"sent_at": self.now_text, "address": address, "last_error": None, "next_attempt_at": None})
        return {
            "id": claimed["id"], "ticket_id": claimed["ticket_id"], "kind": claimed["kind"], "to": address, "sent": True,
            "subject": outgoing.subject, "message_id": claimed["message_id"], "attempts": claimed["attempts"], "language": outgoing.language,
        }

    def _record_failure(self, notice: dict[str, Any], error: str, permanent: bool, address: str | None) -> dict[str, Any]:
        """Record a failed attempt: when to try again, or that the desk gives up."""
        attempts = notice["attempts"]
        with self._transaction():
            given_up = gives_up(attempts, permanent)
            values = {
                "last_error": error[:1000], "address": address,
                "next_attempt_at": None if given_up else to_utc_text(self.now + retry_delay(attempts)),
                "failed_at": self.now_text if given_up else None,
            }
            self.store.record_delivery(notice["id"], values)
        return {
            "id": notice["id"], "ticket_id": notice["ticket_id"], "kind": notice["kind"], "to": address, "sent": False,
            "error": values["last_error"], "permanent": permanent, "attempts": attempts,
            "next_attempt_at": values["next_attempt_at"], "failed_at": values["failed_at"],
        }

    # ---- a notice worded for its recipient ---------------------------------------------

    def _outgoing(self, row: dict[str, Any]) -> Any:
        """The notice of an outbox row as it is sent: address, language, wording, thread."""
        from supportdesk import notices
        from supportdesk.mail.compose import Outgoing

        kept = json.loads(row.get("fields") or "{}")
        ticket = self.store.ticket(row["ticket_id"]) if row["ticket_id"] is not None else None
        address, name, language = self._recipient(row, ticket, kept)
        attachments: list[tuple[str, str, bytes]] = []
        # Worded now when the outbox kept its values (or it needs none); a notice queued
        # by an older supportdesk goes out as its English record.
        if row["kind"] in notices.FIELDS and (row.get("fields") is not None or not notices.STORED[row["kind"]]):
            values, attachments = self._values(row, ticket, kept, language)
            wording = notices.word(self.policy, row["kind"], language, values | {"name": name})
            subject, text, html, language = wording.subject, wording.text, wording.html, wording.language
        else:
            subject, text, html, language = notices.one_line(row["subject"]), row["body"] + "\n", None, notices.FALLBACK
        return Outgoing(
            notice_id=row["id"], ticket_id=row["ticket_id"], kind=row["kind"], address=address, subject=subject, text=text, html=html,
            language=language, message_id=row.get("message_id"),
            thread=tuple(self.store.mail_thread(row["ticket_id"])) if ticket is not None and not row["recipient"].startswith("agent:") else (),
            automatic=row["kind"] not in notices.WRITTEN_BY_PEOPLE, attachments=tuple(attachments),
        )

    def _recipient(self, row: dict[str, Any], ticket: dict[str, Any] | None, kept: dict[str, Any]) -> tuple[str, str | None, str]:
        """(address, name if known, language) of a notice's recipient: an agent's own address; a
        customer's notification address of the ticket's type (its department's, from the
        policy; else support), else its e-mail."""
        from supportdesk import notices

        kind, _, who = row["recipient"].partition(":")
        if kind == "agent":
            agent = self.store.agent_by_login(who)
            if agent is None or not agent["email"]:
                raise NoAddress(f"agent {who} has no e-mail address to send to; add one (`supportdesk agent add {who} --email ADDRESS` for a new agent)")
            return agent["email"], agent["name"], notices.desk_language(self.policy)
        # The customer (or reseller) the notice was queued for; the ticket's customer for
        # notices queued before the outbox kept it.
        customer_id = kept.get("to") or (ticket["customer_id"] if ticket is not None else None)
        customer = self.store.customer_by_id(customer_id) if customer_id is not None else None
        if customer is None:
            return who, None, notices.desk_language(self.policy)
        addresses = json.loads(customer.get("notify") or "{}")
        wanted = dict(self.policy.department_types).get(ticket["department"], "support") if ticket is not None else "support"
        address = addresses.get(wanted) or addresses.get("support") or customer["email"]
        language = notices.language_for(self.policy, customer.get("language"), ticket.get("language") if ticket else None)
        return address, customer["name"], language

    def _values(
        self, row: dict[str, Any], ticket: dict[str, Any] | None, kept: dict[str, Any], language: str
    ) -> tuple[dict[str, Any], list[tuple[str, str, bytes]]]:
        """The values a notice's wording uses, and the files it carries (a reply's)."""
        from pathlib import Path

        from supportdesk import attachments as files
        from supportdesk import notices

        values: dict[str, Any] = dict(kept) | {"desk": self.policy.name}
        if ticket is not None:
            values |= {"id": ticket["id"], "subject": ticket["subject"], "customer": ticket["customer"]}
            values.setdefault("priority", ticket["priority"])
        fmt = notices.language_format(language)

        def when(text: str | None) -> str | None:
            return fmt.when(from_utc_text(text), self.policy.zone) if text else None

        carried: list[tuple[str, str, bytes]] = []
        kind = row["kind"]
        if kind == "filed" and ticket is not None:
            values["respond_by"] = when(kept.get("respond_by", ticket["respond_by"]))
        elif kind == "page" and ticket is not None:
            values |= {"priority": ticket["priority"], "filed_at": when(ticket["created_at"]), "respond_by": when(ticket["respond_by"])}
        elif kind == "escalation" and ticket is not None:
            values |= {"priority": ticket["priority"], "due_at": when(ticket["due_at"]) or "-"}
        elif kind == "closed":
            values |= {"reason": kept.get("close_reason") or (ticket or {}).get("close_reason") or "resolved", "reopen_days": self.policy.reopen_within_days}
        elif kind == "reply":
            message = self.store.message(kept["message_id"]) if kept.get("message_id") else None
            values["body"] = message["body"] if message is not None else row["body"]
            rows = self.store.message_attachments(message["id"]) if message is not None else []
            carried = [(a["filename"], a["content_type"], files.read_bytes(Path(self.store.path), a["sha256"])) for a in rows]
            values["attachments"] = [name for name, _, _ in carried]
        return values, carried

    # ---- attachments -------------------------------------------------------------------

    def _keep_uploads(self, ticket_id: int, message_id: int | None, uploads: Any) -> list[dict[str, Any]]:
        """Keep checked uploads with a ticket (inside the caller's transaction)."""
        from supportdesk.attachments import store_attachment

        return [store_attachment(self, ticket_id, message_id, u.filename, u.content_type, u.data, self.now_text, self.actor.label) for u in uploads]

    def _checked_uploads(self, uploads: Any) -> list[Any]:
        """Uploads with safe names, each within the policy's cap (refused before anything is written)."""
        from supportdesk.attachments import checked_uploads

        return checked_uploads(tuple(uploads or ()), self.policy.attachment_max_bytes)

    def attachment_file(self, attachment_id: int) -> tuple[dict[str, Any], bytes]:
        """An attachment (of a ticket in the actor's scope) and its bytes."""
        from pathlib import Path

        from supportdesk.attachments import attachment_json, read_bytes

        row = self.store.attachment(attachment_id)
        missing = NotFound(f"no attachment {attachment_id}; `supportdesk show ID` lists a ticket's attachments")
        if row is None:
            raise missing
        try:
            self._visible_row(row["ticket_id"])
        except NotFound:
            raise missing from None
        if not self.actor.is_agent and row["message_id"] is not None and (self.store.message(row["message_id"]) or {}).get("internal"):
            raise missing  # a note's attachment is as internal as the note
        return attachment_json(row) | {"ticket_id": row["ticket_id"]}, read_bytes(Path(self.store.path), row["sha256"])
