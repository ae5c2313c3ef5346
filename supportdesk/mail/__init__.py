"""The e-mail channel: mail in (`supportdesk ingest`: parse.py decodes a message,
ingest.py decides what becomes of it) and notices out (`supportdesk outbox send`).

What both halves share is here: the header the desk marks its own mail with, so that it
never answers itself, and the one form of a Message-ID that the outbox stores and the
ingest looks up.
"""

from __future__ import annotations

import re

# Every message the desk sends carries `X-Supportdesk-Loop: <desk name>`; a message that
# comes back with it (a forward to the support address, a misrouted copy) is the desk's
# own and is never answered.
LOOP_HEADER = "X-Supportdesk-Loop"

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


def message_id_key(text: str | None) -> str | None:
    """A Message-ID as the desk stores it (outbox.message_id, mail_seen.key): `<id@host>`,
    angle brackets included, without spaces or comments; None when there is none."""
    if not text:
        return None
    found = _MESSAGE_ID.search(text)
    if found:
        return f"<{found.group(1)}>"
    bare = text.strip().split()
    return f"<{bare[0]}>" if bare and "@" in bare[0] else None


def message_id_keys(text: str | None) -> list[str]:
    """Every Message-ID in an In-Reply-To or References header, in order, once each."""
    if not text:
        return []
    found = [f"<{m}>" for m in _MESSAGE_ID.findall(text)]
    if not found:
        single = message_id_key(text)
        found = [single] if single else []
    return list(dict.fromkeys(found))
