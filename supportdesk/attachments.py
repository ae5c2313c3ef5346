"""Attachments: files that came with a ticket or a message, kept beside the desk.

The bytes live in a directory next to the desk file, named by their SHA-256
(`desk.db.files/sha256/ab/cdef…`), so the same file attached twice is stored once; a row
of the `attachments` table ties them to a ticket (and the message they came with), with
the name they were given, their type and size. Names from outside are hostile: the one
stored is the last path component, without control or bidi characters, never `..`.

`store_attachment` is the one way in, for `file --attach`, `reply --attach` and mail.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from supportdesk.errors import DeskUnavailable, InvalidInput, NotFound
from supportdesk.frozen import Record, record

FILES_SUFFIX = ".files"
NAME_MAX = 200  # characters of a stored file name
DEFAULT_TYPE = "application/octet-stream"



@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(what a stored name may not contain, a well-formed content type), compiled on first
    use (`show` imports this module)."""
    # Control characters, DEL, C1 controls, bidi marks, embeddings, overrides and
    # isolates, and the characters Windows forbids in a name (a saved file must open).
    unsafe = re.compile('[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f<>:"|?*]')
    return unsafe, re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


@record
class Upload(Record):
    """A file given to the desk: the name it came with, its type (None: guessed from the
    name) and its bytes."""

    filename: str
    data: bytes
    content_type: str | None = None


def files_dir(desk_path: Path) -> Path:
    """The directory beside the desk file where attachments' bytes are kept."""
    return desk_path.with_name(desk_path.name + FILES_SUFFIX)


def blob_path(desk_path: Path, sha256: str) -> Path:
    """Where the bytes with this SHA-256 are kept."""
    return files_dir(desk_path) / "sha256" / sha256[:2] / sha256[2:]


def safe_filename(name: str | None) -> str:
    """A name from outside made safe to store and to save under: its last path component,
    NFC, without control, bidi or reserved characters, not hidden, at most NAME_MAX
    characters (keeping its extension); `attachment` when nothing is left."""
    import unicodedata

    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[/\\]", text)[-1]
    text = _patterns()[0].sub("_", text)
    text = re.sub(r"\s+", " ", text).strip().lstrip(".").strip()
    if len(text) > NAME_MAX:
        stem, dot, extension = text.rpartition(".")
        keep = extension if dot and 0 < len(extension) <= 16 else ""
        text = text[: NAME_MAX - len(keep) - 1].rstrip() + ("." + keep if keep else "")
    return text or "attachment"


def content_type_of(given: str | None, filename: str) -> str:
    """`type/subtype` in lower case: the one given when it is well formed, else guessed
    from the name, else application/octet-stream."""
    well_formed = _patterns()[1]
    text = (given or "").split(";", 1)[0].strip().lower()
    if well_formed.fullmatch(text):
        return text
    guessed, _ = _known_types().guess_type(filename, strict=False)
    return guessed if guessed and well_formed.fullmatch(guessed) else DEFAULT_TYPE


_TYPES: list[Any] = []


def _known_types() -> Any:
    """Python's own table of types by extension (not the system's, which differs from
    machine to machine)."""
    if not _TYPES:
        import mimetypes

        _TYPES.append(mimetypes.MimeTypes(filenames=()))
    return _TYPES[0]


def check_size(size: int, limit: int, name: str) -> None:
    """Refuse a file larger than the policy's attachment cap."""
    if size > limit:
        raise InvalidInput(
            f"the attachment {name!r} is {size:,} bytes; this desk takes at most {limit:,} "
            "(policy key limits.attachment_max_bytes)"
        )


def checked_uploads(uploads: tuple[Upload, ...] | list[Upload], limit: int) -> list[Upload]:
    """Uploads with safe names and types, each within the cap (InvalidInput for the first
    that is not): called before a use case writes anything."""
    out = []
    for upload in uploads:
        name = safe_filename(upload.filename)
        check_size(len(upload.data), limit, name)
        out.append(Upload(name, upload.data, content_type_of(upload.content_type, name)))
    return out


def keep_bytes(desk_path: Path, data: bytes) -> str:
    """Keep `data` beside the desk (once: an existing copy is left as it is); its SHA-256.
    Written to a temporary file and renamed, so a crash leaves no partial file."""
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    target = blob_path(desk_path, digest)
    if target.exists():
        return digest
    try:
        for directory in (files_dir(desk_path), target.parent.parent, target.parent):
            directory.mkdir(mode=0o700, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
    except OSError as error:
        raise DeskUnavailable(f"cannot keep the attachment in {files_dir(desk_path)}: {error.strerror or error}") from None
    return digest


def read_bytes(desk_path: Path, sha256: str) -> bytes:
    """The bytes kept under this SHA-256 (checked against it)."""
    import hashlib

    path = blob_path(desk_path, sha256)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"the attachment's file {path} is missing; restore the {files_dir(desk_path).name} directory beside the desk") from None
    except OSError as error:
        raise DeskUnavailable(f"cannot read the attachment's file {path}: {error.strerror or error}") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise DeskUnavailable(f"the attachment's file {path} is damaged (its content does not match its name)")
    return data


def attachment_json(row: dict[str, Any]) -> dict[str, Any]:
    """An attachment as `show --json` and `attachment save` give it."""
    return {
        "id": row["id"], "name": row["filename"], "size": row["size"], "type": row["content_type"],
        "sha256": row["sha256"], "message": row["message_id"], "created_at": row["created_at"], "created_by": row["created_by"],
    }


def store_attachment(
    desk_or_store: Any, ticket_id: int, message_id: int | None, filename: str | None, content_type: str | None,
    data: bytes, now: datetime | str, by: str,
) -> dict[str, Any]:
    """Keep a file attached to a ticket (and to one of its messages, `message_id`), as
    `by` at `now`; returns the attachment as `attachment_json` gives it.

    Call it inside the store's transaction that writes the ticket or message (a Desk or
    its store may be given): the row is written with it, the bytes at once beside the
    desk (a rolled-back transaction leaves at most an unreferenced file). The name is
    made safe and the size checked against the policy's `limits.attachment_max_bytes`
    (InvalidInput above it, nothing written).
    """
    from supportdesk.timetext import to_utc_text

    store = getattr(desk_or_store, "store", desk_or_store)
    policy = getattr(desk_or_store, "policy", None)
    if policy is None:
        from supportdesk.policy_compiled import stored_policy

        policy = stored_policy(store.latest_policy())
    upload = checked_uploads([Upload(filename or "", data, content_type)], policy.attachment_max_bytes)[0]
    digest = keep_bytes(Path(store.path), data)
    row = {
        "ticket_id": ticket_id, "message_id": message_id, "filename": upload.filename, "content_type": upload.content_type,
        "size": len(data), "sha256": digest, "created_at": now if isinstance(now, str) else to_utc_text(now), "created_by": by,
    }
    row["id"] = store.insert_attachment(row)
    return attachment_json(row)
