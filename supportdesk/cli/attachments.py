"""`supportdesk attachment save ID`: write out a file kept with a ticket; and reading the
files `file --attach` and `reply --attach` give the desk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from supportdesk.cli.app import (
    JsonOption,
    emit_json,
    open_desk,
    raw_stdout,
    say,
    sub_app,
)
from supportdesk.errors import InvalidInput, Refused

attachment_app = sub_app("attachment", "Files kept with tickets: write one out (`attachment save ID`).")

AttachOption = Annotated[
    list[str] | None,
    typer.Option("--attach", metavar="PATH", help="A file to keep with it (repeat for more; at most the policy's limits.attachment_max_bytes each)."),
]


def read_uploads(paths: list[str] | None, limit: int) -> tuple[Any, ...]:
    """The files named by --attach, each refused (one line, nothing changed) when it
    cannot be read or is larger than `limit` bytes."""
    from supportdesk.attachments import Upload, check_size, safe_filename

    uploads = []
    for text in paths or []:
        path = Path(text).expanduser()
        data = _read_upload(path, text, limit)
        check_size(len(data), limit, safe_filename(path.name))
        uploads.append(Upload(path.name, data))
    return tuple(uploads)


def _read_upload(path: Path, text: str, limit: int) -> bytes:
    """At most `limit` + 1 bytes of one --attach file (a file that grew since stat() is
    caught too). A pipe (`--attach <(command)`) is read as it comes; one that nobody
    writes to is refused rather than waited on forever."""
    import stat

    from supportdesk.attachments import check_size, safe_filename

    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise InvalidInput(f"--attach {text}: is a directory; attach files one by one")
        if stat.S_ISREG(mode):
            check_size(path.stat().st_size, limit, safe_filename(path.name))
        # O_NONBLOCK: opening a FIFO without a writer returns at once instead of blocking.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as stream:
            os.set_blocking(fd, True)  # then read whatever a writer sends, to its end
            data = stream.read(limit + 1)
    except FileNotFoundError:
        raise InvalidInput(f"--attach {text}: no such file") from None
    except OSError as error:
        raise InvalidInput(f"--attach {text}: cannot read it ({error.strerror or error})") from None
    if not data and not stat.S_ISREG(mode):
        raise InvalidInput(f"--attach {text}: nothing could be read from it (it is not a regular file, and nothing wrote to it)")
    return data


def _attachment_id(text: str) -> int:
    raw = text.strip().lstrip("#")
    if not (raw.isascii() and raw.isdigit()) or int(raw) == 0 or len(raw) > 18:
        raise InvalidInput(f"{text!r} is not an attachment number; `supportdesk show ID` lists a ticket's attachments")
    return int(raw)


@attachment_app.command("save")
def attachment_save(
    ctx: typer.Context,
    attachment: Annotated[str, typer.Argument(metavar="ID", help="The attachment's number, as `show` lists it.", show_default=False)],
    output: Annotated[
        str | None, typer.Option("--output", "-o", metavar="PATH", help="Where to write it: a file or a directory (default: its name, here); '-' for standard output."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a file that exists.")] = False,
    json_: JsonOption = False,
) -> None:
    """Write an attachment out, under its (made safe) name or -o PATH; an existing file is
    kept unless --force."""
    attachment_id = _attachment_id(attachment)
    with open_desk(ctx) as desk:
        record, data = desk.attachment_file(attachment_id)
    if output == "-":
        _write_stdout(data)
        return
    target = Path(output).expanduser() if output else Path(record["name"])
    if target.is_dir():
        target = target / record["name"]
    _write(target, data, force)
    if json_:
        emit_json(record | {"path": str(target)})
    else:
        say(f"saved attachment {record['id']} of #{record['ticket_id']} ({record['size']:,} bytes) to {target}")


def _write(target: Path, data: bytes, force: bool) -> None:
    """Write `data` to `target`: a new file (refused when one exists, unless `force`); a
    write that fails (a full disk) leaves no partial file it created."""
    # O_NOFOLLOW: --force overwrites the file named, never the one a symbolic link there
    # points to (a link planted where an attachment is saved would redirect the write).
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | (os.O_TRUNC if force else os.O_EXCL)
    existed = os.path.lexists(target)  # a file (or link) of the user's is never removed
    if force and os.path.islink(target):
        raise Refused(f"{target} is a symbolic link; give the file it points to with -o, or another path")
    try:
        fd = os.open(target, flags, 0o600)
    except FileExistsError:
        raise Refused(f"{target} exists; give --force to overwrite it, or -o PATH to write elsewhere") from None
    except OSError as error:
        raise InvalidInput(f"cannot write {target}: {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except OSError as error:
        if not existed:
            target.unlink(missing_ok=True)
        raise InvalidInput(f"cannot write {target}: {error.strerror or error}") from None


def _write_stdout(data: bytes) -> None:
    """Write `data` to standard output (a reader that went away is not an error)."""
    stream = raw_stdout()
    if stream.isatty():
        raise Refused("standard output is a terminal; give -o PATH, or pipe it: attachment save ID -o - > FILE")
    buffer = getattr(stream, "buffer", stream)
    try:
        buffer.write(data)
        buffer.flush()
    except BrokenPipeError:
        from supportdesk.cli.app import ReaderGone

        raise ReaderGone() from None  # as every command's output: not an error (click would exit 1)
    except OSError as error:
        raise InvalidInput(f"cannot write to standard output: {error.strerror or error}") from None
