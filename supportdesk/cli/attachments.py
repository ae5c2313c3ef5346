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
        try:
            size = path.stat().st_size
            if path.is_dir():
                raise InvalidInput(f"--attach {text}: is a directory; attach files one by one")
            check_size(size, limit, safe_filename(path.name))
            with path.open("rb") as stream:
                data = stream.read(limit + 1)  # a file that grew since stat() is caught too
        except FileNotFoundError:
            raise InvalidInput(f"--attach {text}: no such file") from None
        except OSError as error:
            raise InvalidInput(f"--attach {text}: cannot read it ({error.strerror or error})") from None
        check_size(len(data), limit, safe_filename(path.name))
        uploads.append(Upload(path.name, data))
    return tuple(uploads)


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
        stream = raw_stdout()
        if stream.isatty():
            raise Refused("standard output is a terminal; give -o PATH, or pipe it: attachment save ID -o - > FILE")
        buffer = getattr(stream, "buffer", stream)
        buffer.write(data)
        buffer.flush()
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
    """Write `data` to `target`: a new file (refused when one exists, unless `force`)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(target, flags, 0o600)
    except FileExistsError:
        raise Refused(f"{target} exists; give --force to overwrite it, or -o PATH to write elsewhere") from None
    except OSError as error:
        raise InvalidInput(f"cannot write {target}: {error.strerror or error}") from None
    with os.fdopen(fd, "wb") as out:
        out.write(data)
