"""A notice as an e-mail message: `[#ID]` in the subject, a Message-ID under the desk's
domain (kept in the outbox, so that ingest files a reply to it on its ticket), the
ticket's thread in In-Reply-To and References, the desk's loop header, and
`Auto-Submitted: auto-generated` on what the desk wrote by itself (RFC 3834: no
auto-responder answers it). Plain text and HTML alternatives, attachments after. Pure.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from supportdesk.frozen import Record, record
from supportdesk.mail import LOOP_HEADER

# References keeps the thread's first message and its latest ones (RFC 5322 allows any
# number; long lines of ids help nobody).
REFERENCES_MAX = 10


@record
class Outgoing(Record):
    """A notice ready to send: who it goes to, its wording, and how it threads."""

    notice_id: int
    ticket_id: int | None
    kind: str
    address: str  # the recipient's e-mail address
    subject: str
    text: str
    html: str | None
    language: str
    message_id: str | None  # None until it is claimed for sending
    thread: tuple[str, ...] = ()  # the ticket's earlier Message-IDs, oldest first
    automatic: bool = True  # the desk wrote it (not a person's reply)
    attachments: tuple[tuple[str, str, bytes], ...] = ()  # (name, type, bytes)


def new_message_id(notice_id: int, domain: str) -> str:
    """A Message-ID for a notice, unique and under the desk's domain."""
    return f"<notice-{notice_id}.{secrets.token_hex(8)}@{domain}>"


def compose(outgoing: Outgoing, sender: str, now: datetime, loop: str) -> EmailMessage:
    """The e-mail message of a notice from `sender` (the From header), dated `now`;
    `loop` is the loop header's value (the desk's address)."""
    from email.utils import format_datetime

    message = EmailMessage()
    message["From"] = sender
    message["To"] = outgoing.address
    message["Subject"] = outgoing.subject
    message["Date"] = format_datetime(now)
    if outgoing.message_id:
        message["Message-ID"] = outgoing.message_id
    if outgoing.thread:
        message["In-Reply-To"] = outgoing.thread[-1]
        kept = outgoing.thread if len(outgoing.thread) <= REFERENCES_MAX else (outgoing.thread[0], *outgoing.thread[-(REFERENCES_MAX - 1):])
        message["References"] = " ".join(kept)
    if outgoing.automatic:
        message["Auto-Submitted"] = "auto-generated"
    message[LOOP_HEADER] = loop
    if outgoing.ticket_id is not None:
        message["X-Supportdesk-Ticket"] = str(outgoing.ticket_id)
    message.set_content(outgoing.text, charset="utf-8")
    if outgoing.html is not None:
        message.add_alternative(outgoing.html, subtype="html", charset="utf-8")
    message["Content-Language"] = outgoing.language  # after the content: setting it clears Content-* headers
    for name, content_type, data in outgoing.attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype or "application", subtype=subtype or "octet-stream", filename=name)
    return message


def preview(outgoing: Outgoing, lines: int = 3) -> dict[str, Any]:
    """What `outbox send --dry-run` shows of a notice: where it goes, its subject and
    its first lines."""
    shown = [line for line in outgoing.text.splitlines() if line.strip()][:lines]
    return {
        "id": outgoing.notice_id, "ticket_id": outgoing.ticket_id, "kind": outgoing.kind, "to": outgoing.address,
        "subject": outgoing.subject, "language": outgoing.language, "lines": shown,
        "attachments": [name for name, _, _ in outgoing.attachments],
    }
