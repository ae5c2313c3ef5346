"""What becomes of a message that came in, decided from the message alone. Pure.

The order of the questions (desk/mail.py asks them): is it the desk's own mail, an
automatic reply, list or bulk mail, spam (ignored)? a bounce of a notice (recorded on
it)? a reply to a ticket (by In-Reply-To/References, else a `[#123]` in the subject; only
from the ticket's requester or reseller)? else a new ticket from its sender. Whatever is
filed or refused may be answered, unless the message is automated (RFC 3834) — an
answer to an answering machine is how mail loops start — or the sender has had its
share of answers already.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from supportdesk.frozen import Record, record
from supportdesk.mail import LOOP_HEADER
from supportdesk.mail.parse import (
    Attachment,
    DeliveryReport,
    Mail,
    plain_bounce,
    trim_quoted,
)

# The channel tickets that come by mail are filed on.
MAIL_CHANNEL = "email"
# How many answers (acknowledgements, refusals) one sender known to the desk gets in an
# hour, and an address the desk does not know in a day: no policy key sets these.
ANSWERS_PER_HOUR = 5
UNKNOWN_ANSWERS_PER_DAY = 1
# Attachments kept of one message (the rest are named in its outcome): each is a file
# beside the desk, and a message of thousands of tiny parts must not make thousands.
ATTACHMENTS_PER_MESSAGE = 100
# The notices that answer the sender of a message (the others — a page to the on-call
# engineer, a word to a reseller — are not answers and are never held back).
ANSWER_KINDS = ("filed", "refused", "paid_service", "closed")
# Outcomes of a message, as `ingest --json` and the desk's mail_seen table name them.
OUTCOMES = ("filed", "reply", "quarantined", "ignored", "bounce", "refused", "duplicate")

_REFERENCE = re.compile(r"\[#(\d{1,18})\]")
_LIST_PRECEDENCE = ("list",)
_BULK_PRECEDENCE = ("bulk", "junk")


@record
class MailOutcome(Record):
    """What became of one message: its key, the outcome, the ticket it went to, and why
    (for everything but a plain filing or reply)."""

    key: str
    outcome: str
    ticket: int | None = None
    why: str | None = None
    sender: str | None = None
    answered: str | None = None  # the kind of notice queued in answer, if any

    def json(self) -> dict[str, object]:
        """The entry of `ingest --json` for this message."""
        return {"key": self.key, "outcome": self.outcome, "ticket": self.ticket, "why": self.why, "sender": self.sender, "answered": self.answered}


def _header(mail: Mail, name: str) -> str:
    return mail.headers.get(name, "").strip()


def ignore_reason(mail: Mail, desk_name: str) -> str | None:
    """Why a message is not acted on at all (the desk's own mail, an automatic reply,
    list or bulk mail, spam, a read receipt), or None."""
    if mail.content_type == "multipart/report" and mail.report is None:
        return "a report that is not a bounce (a read receipt)"
    if mail.report is not None and not mail.report.failed:
        return "a delay notice: the mail it reports is still being tried"
    loop = _header(mail, LOOP_HEADER.lower())
    # The desk marks what it sends with its name or its address (its From): such mail
    # coming back (a notice to an address that forwards to the desk) is its own.
    if loop and loop.casefold() in (desk_name.strip().casefold(), (mail.sender or "").casefold(), f"<{mail.sender}>"):
        return f"the desk's own mail ({LOOP_HEADER}: {loop})"
    auto = _header(mail, "auto-submitted").lower()
    if auto.startswith("auto-replied"):
        return f"an automatic reply (Auto-Submitted: {auto})"
    if _header(mail, "x-autoreply") or _header(mail, "x-autorespond"):
        return "an automatic reply (X-Autoreply)"
    if _header(mail, "list-id"):
        return f"mailing-list mail (List-Id: {_header(mail, 'list-id')})"
    precedence = _header(mail, "precedence").lower()
    if precedence in _LIST_PRECEDENCE:
        return "mailing-list mail (Precedence: list)"
    if precedence in _BULK_PRECEDENCE:
        return f"bulk mail (Precedence: {precedence})"
    if _header(mail, "x-spam-flag").lower().startswith("yes"):
        return "marked as spam (X-Spam-Flag: YES)"
    return None


def no_answer_reason(mail: Mail) -> str | None:
    """Why a message must never be answered (RFC 3834 and its kin), or None: an answer
    to an automated message is how mail loops start."""
    auto = _header(mail, "auto-submitted").lower()
    if auto and auto != "no":
        return f"automated mail (Auto-Submitted: {auto})"
    precedence = _header(mail, "precedence").lower()
    if precedence in (*_LIST_PRECEDENCE, *_BULK_PRECEDENCE):
        return f"bulk mail (Precedence: {precedence})"
    if _header(mail, "list-id") or _header(mail, "list-unsubscribe"):
        return "list mail (List-Id)"
    if "return-path" in mail.headers and _header(mail, "return-path").strip("<> ") == "":
        return "a null return path (Return-Path: <>)"
    if _header(mail, "x-auto-response-suppress"):
        return f"the sender asks for no automatic answers (X-Auto-Response-Suppress: {_header(mail, 'x-auto-response-suppress')})"
    if _header(mail, LOOP_HEADER.lower()):
        return f"mail of another desk ({LOOP_HEADER})"
    if mail.sender is not None and mail.sender.startswith(("mailer-daemon@", "postmaster@")):
        return "mail from a mail system (MAILER-DAEMON)"
    return None


def bounce_of(mail: Mail) -> DeliveryReport | None:
    """The delivery failure a message reports (a DSN, or a plain bounce from
    MAILER-DAEMON), or None when it is not a bounce."""
    if mail.report is not None:
        return mail.report if mail.report.failed else None
    return plain_bounce(mail)


def bounce_text(report: DeliveryReport) -> str:
    """A bounce in one line, as the outbox keeps it: `5.1.1 to ada@…: 550 user unknown`."""
    parts = [report.status or "failed"]
    if report.recipient:
        parts.append(f"to {report.recipient}")
    text = " ".join(parts)
    return f"{text}: {report.diagnostic}" if report.diagnostic else text


def referenced_ids(mail: Mail) -> list[str]:
    """The Message-IDs a message answers (In-Reply-To first, then References, the most
    recent first)."""
    return list(dict.fromkeys([*mail.in_reply_to, *reversed(mail.references)]))


def subject_reference(subject: str) -> int | None:
    """The ticket a subject names with `[#123]`, or None."""
    found = _REFERENCE.search(subject)
    return int(found.group(1)) if found else None


def department_of(recipients: Iterable[str], departments: Iterable[tuple[str, str | None]]) -> str | None:
    """The department a message was sent to, by its recipient address: the local part,
    or its `+tag`, naming a department or its label (`support+financial@…`,
    `billing@…` where billing is a label); None for the default one."""
    names: dict[str, str] = {}
    for name, label in departments:
        names.setdefault(name.casefold(), name)
        if label:
            names.setdefault(label.casefold(), name)
    for address in recipients:
        local = address.split("@", 1)[0].casefold()
        base, _, tag = local.partition("+")
        for part in (tag, base):
            if part and part in names:
                return names[part]
    return None


def registered(customer: dict[str, object] | None) -> set[str]:
    """The addresses registered for a customer or reseller: its own and its notification
    addresses (per type), lower-cased."""
    import json

    if customer is None:
        return set()
    notify = json.loads(str(customer.get("notify") or "{}"))
    return {str(customer["email"]).lower(), *(str(a).lower() for a in notify.values())}


def reply_text(mail: Mail) -> str:
    """The text of a reply, without the history quoted below it."""
    return trim_quoted(mail.text) if mail.text.strip() else ""


def body_text(text: str, mail: Mail) -> str:
    """A message's text as the desk stores it: when there is none, the names of its
    attachments, else its subject (the desk takes no empty description)."""
    if text.strip():
        return text
    if mail.attachments:
        return "Attached: " + ", ".join(a.filename for a in mail.attachments)
    return mail.subject


# The name the whole text of a message too long for the desk is kept under.
FULL_TEXT_NAME = "message.txt"


def fit_body(text: str, max_bytes: int, attachment_max: int) -> tuple[str, Attachment | None]:
    """A message's text within the desk's `max_bytes` (limits.body_max_bytes): as it is,
    or its beginning with a note, and the whole text as an attachment when it is within
    `attachment_max` (the sender cannot shorten a message already sent; refusing it
    would leave them unanswered)."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data.strip()) <= max_bytes:
        return text, None
    kept = len(data) <= attachment_max
    where = f"is attached as {FULL_TEXT_NAME}" if kept else "was too large to keep (limits.attachment_max_bytes)"
    note = f"\n\n[… cut here: the whole text ({len(data):,} bytes) {where}]"
    room = max(max_bytes - len(note.encode("utf-8")), 0)
    head = data[:room].decode("utf-8", "ignore").rstrip()  # never half a character
    return head + note, Attachment(FULL_TEXT_NAME, "text/plain", data) if kept else None


def ticket_subject(subject: str) -> str:
    """A mail's subject as a ticket's: one line, its control and bidi-override characters
    shown as escapes (a subject is plain text on one line, as `file` takes it)."""
    from supportdesk.text import SUBJECT_MAX, inert

    line = inert(subject, multiline=False)
    return line if len(line) <= SUBJECT_MAX else line[: SUBJECT_MAX - 1] + "…"


def no_mail_answers(notify_to: tuple[str, ...]) -> str | None:
    """Why the policy has mail answered by no e-mail (its notifications.to names places
    but not email), or None."""
    if notify_to and "email" not in notify_to:
        return f"the policy sends notifications to {', '.join(notify_to)}, not by e-mail (notifications.to)"
    return None


def may_answer(answers_so_far: int, known: bool) -> bool:
    """Whether the sender may get one more answer: ANSWERS_PER_HOUR an hour for one the
    desk knows, UNKNOWN_ANSWERS_PER_DAY a day for an address it does not."""
    return answers_so_far < (ANSWERS_PER_HOUR if known else UNKNOWN_ANSWERS_PER_DAY)


def quarantine_why(mail: Mail) -> str | None:
    """Why a message cannot be acted on as it is (no sender to answer or file for), or None."""
    if mail.sender is None:
        problems = "; ".join(d for d in mail.defects if d.startswith("from")) or "no From header"
        return f"no sender address could be read ({problems})"
    return None
