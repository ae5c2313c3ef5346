"""Attachments: `file --attach` and `reply --attach` keep files beside the desk, once per
content, within the policy's cap; `show` lists them; `attachment save` writes one out,
never over a file without --force, and only for the tickets a token holder may see.
Names from outside are hostile."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from conftest import HOSTING, Cli, api, new_desk

NOW = "2026-11-20T10:00"


def files_of(cli: Cli) -> list[str]:
    """The files kept beside the desk, relative to its attachments directory."""
    root = cli.path.with_name(cli.path.name + ".files")
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def report(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4 report\n" * 100)
    return path


def test_files_attached_when_filing_and_replying_are_listed_by_show_and_saved_back(cli, report, tmp_path):
    logs = tmp_path / "error.txt"
    logs.write_bytes(b"503 Service Unavailable\n")
    ticket = cli.ok("file", "-s", "Site down", "-b", "503", "-c", "ada@example.com", "--field", "domain=ada.example",
                    "--attach", str(report), "--attach", str(logs), now=NOW).stdout.strip()
    cli.ok("reply", ticket, "-m", "Here is the same report back", "--attach", str(report), now="2026-11-20T10:05")
    shown = cli.json("show", ticket, now="2026-11-20T10:06")
    listed = [(a["id"], a["name"], a["size"], a["type"], a["message"] is not None) for a in shown["attachments"]]
    assert listed == [(1, "report.pdf", 1600, "application/pdf", False), (2, "error.txt", 24, "text/plain", False), (3, "report.pdf", 1600, "application/pdf", True)]
    assert shown["attachments"][2]["message"] == shown["messages"][0]["id"]  # it came with the reply
    digest, other = (hashlib.sha256(p.read_bytes()).hexdigest() for p in (report, logs))
    assert files_of(cli) == sorted(f"sha256/{d[:2]}/{d[2:]}" for d in (digest, other))  # the report is kept once
    text = cli.ok("show", ticket, now="2026-11-20T10:06").stdout
    assert "Attachments" in text and "  1  report.pdf  (1.6 KiB, application/pdf)" in text and "  2  error.txt  (24 B, text/plain)" in text
    out = tmp_path / "out"
    out.mkdir()
    saved = cli.json("attachment", "save", "3", "-o", str(out), now="2026-11-20T10:06")
    assert (out / "report.pdf").read_bytes() == report.read_bytes() and saved["path"] == str(out / "report.pdf")
    assert (saved["id"], saved["ticket_id"], saved["sha256"]) == (3, int(ticket), digest)
    os.chdir(out)
    cli.refused(1, "report.pdf exists; give --force to overwrite it", "attachment", "save", "1", now="2026-11-20T10:06")
    (out / "report.pdf").write_bytes(b"changed")
    result = cli.ok("attachment", "save", "1", "--force", now="2026-11-20T10:06")
    assert (out / "report.pdf").read_bytes() == report.read_bytes() and f"saved attachment 1 of #{ticket}" in result.stderr
    piped = cli.ok("attachment", "save", "2", "-o", "-", now="2026-11-20T10:06")
    assert piped.stdout_bytes == b"503 Service Unavailable\n"
    # --force never writes through a symbolic link to the file it points to.
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    (out / "link.pdf").symlink_to(victim)
    cli.refused(1, f"{out / 'link.pdf'} is a symbolic link; give the file it points to with -o", "attachment", "save", "1", "-o", str(out / "link.pdf"), "--force", now="2026-11-20T10:06")
    assert victim.read_bytes() == b"precious" and (out / "link.pdf").is_symlink()


def test_a_file_over_the_policys_cap_is_refused_and_nothing_is_kept(tmp_path, report):
    policy = tmp_path / "small.toml"
    policy.write_text(HOSTING.read_text(encoding="utf-8") + "\n[limits]\nattachment_max_bytes = 1000\n", encoding="utf-8")
    path = tmp_path / "small.db"
    new_desk(path, policy)
    cli = Cli(path)
    line = cli.refused(2, "the attachment 'report.pdf' is 1,600 bytes; this desk takes at most 1,000 (policy key limits.attachment_max_bytes)",
                       "file", "-s", "Site down", "-b", "503", "-c", "ada@example.com", "--attach", str(report), now=NOW)
    assert line.startswith("error: ")
    assert cli.json("list", now=NOW) == [] and files_of(cli) == []
    with api(cli) as do:
        ticket = do.file()
    cli.refused(2, "takes at most 1,000", "reply", str(ticket), "-m", "see attached", "--attach", str(report), now="2026-11-20T10:05")
    cli.refused(2, "--attach nowhere.txt: no such file", "reply", str(ticket), "-m", "see attached", "--attach", "nowhere.txt", now="2026-11-20T10:05")
    cli.refused(2, f"--attach {tmp_path}: is a directory", "reply", str(ticket), "-m", "x", "--attach", str(tmp_path), now="2026-11-20T10:05")
    assert files_of(cli) == []


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("..", "attachment"),
        ("/", "attachment"),
        (".bashrc", "bashrc"),
        ("in\x1b[31mvoice\r\n.pdf", "in_[31mvoice__.pdf"),
        ("fdp.\u202eexe", "fdp._exe"),  # a right-to-left override would show "exe.pdf"
        ("a:b*c?.txt", "a_b_c_.txt"),
        ("x" * 300 + ".tar.gz", "x" * 197 + ".gz"),
        ("  fatura  Kasım.pdf ", "fatura Kasım.pdf"),
    ],
)
def test_a_hostile_file_name_is_made_safe(given, stored):
    from supportdesk.attachments import safe_filename

    assert safe_filename(given) == stored


def test_the_ingest_can_keep_a_mail_attachment_through_the_store_and_its_name_is_made_safe(cli):
    from supportdesk import Desk
    from supportdesk.attachments import read_bytes, store_attachment
    from supportdesk.errors import InvalidInput

    with api(cli) as do:
        ticket = do.file()
    with Desk.connect(cli.path, login="tester", now=__import__("conftest").FROZEN) as desk:
        store = desk.store
        with store.transaction():
            kept = store_attachment(store, ticket, None, "../../../tmp/x.sh", "TEXT/X-SH; charset=utf-8", b"#!/bin/sh\n", "2026-11-20T07:00:00Z", "mail:ada@example.com")
            again = store_attachment(desk, ticket, None, "copy.sh", None, b"#!/bin/sh\n", desk.now, "mail:ada@example.com")
        assert (kept["name"], kept["type"], kept["size"], kept["created_by"]) == ("x.sh", "text/x-sh", 10, "mail:ada@example.com")
        assert again["sha256"] == kept["sha256"] and again["type"] == "application/x-sh"
        assert read_bytes(store.path, kept["sha256"]) == b"#!/bin/sh\n"
        with pytest.raises(InvalidInput, match="limits.attachment_max_bytes"):
            with store.transaction():
                store_attachment(store, ticket, None, "big.bin", None, b"x" * (10 * 1024 * 1024 + 1), desk.now_text, "mail:ada@example.com")
    assert len(files_of(cli)) == 1
    assert [a["name"] for a in cli.json("show", str(ticket), now=NOW)["attachments"]] == ["x.sh", "copy.sh"]


def test_a_token_holder_saves_only_the_attachments_of_tickets_in_scope(cli, report, tmp_path, frozen_clock):
    cli.ok("customer", "add", "ada@example.com", now=NOW)
    cli.ok("customer", "add", "bob@example.com", now=NOW)
    for who in ("ada@example.com", "bob@example.com"):
        cli.ok("file", "-s", "Site down", "-b", "503", "-c", who, "--field", "domain=x.example", "--attach", str(report), now=NOW)
    ada = {"SUPPORTDESK_TOKEN": cli.json("token", "issue", "--customer", "ada@example.com", now=NOW)["token"]}
    assert [a["name"] for a in cli.json("show", "1", env=ada)["attachments"]] == ["report.pdf"]
    cli.ok("attachment", "save", "1", "-o", str(tmp_path / "mine.pdf"), env=ada)
    assert (tmp_path / "mine.pdf").read_bytes() == report.read_bytes()
    missing = cli.refused(3, "no attachment 2", "attachment", "save", "2", "-o", str(tmp_path / "theirs.pdf"), env=ada)
    assert missing == cli.refused(3, "no attachment 99", "attachment", "save", "99", env=ada).replace("99", "2")
    assert not (tmp_path / "theirs.pdf").exists()
    cli.ok("reply", "1", "-m", "our own analysis", "--internal", "--attach", str(report), now=NOW)  # attachment 3, on a note
    assert [a["id"] for a in cli.json("show", "1", env=ada)["attachments"]] == [1]
    assert [a["id"] for a in cli.json("show", "1", now=NOW)["attachments"]] == [1, 3]
    cli.refused(3, "no attachment 3", "attachment", "save", "3", "-o", str(tmp_path / "note.pdf"), env=ada)
    cli.refused(2, "'x' is not an attachment number", "attachment", "save", "x", now=NOW)
    assert json.loads(cli.ok("attachment", "save", "2", "-o", str(tmp_path / "b.pdf"), "--json", now=NOW).stdout)["ticket_id"] == 2


def test_attach_refuses_what_is_not_a_file_and_never_waits_on_a_pipe(cli, tmp_path):
    cli.ok("customer", "add", "ada@example.com", now=NOW)
    os.mkfifo(tmp_path / "pipe")  # nobody writes to it: opening it used to block for ever
    (tmp_path / "dir").mkdir()
    before = files_of(cli)
    file = ("file", "-s", "Site down", "-b", "503", "-c", "ada@example.com", "--field", "domain=x.example", "--attach")
    cli.refused(2, f"--attach {tmp_path / 'pipe'}: nothing could be read from it (it is not a regular file", *file, str(tmp_path / "pipe"), now=NOW)
    cli.refused(2, f"--attach {tmp_path / 'dir'}: is a directory", *file, str(tmp_path / "dir"), now=NOW)
    cli.refused(2, f"--attach {tmp_path / 'nope'}: no such file", *file, str(tmp_path / "nope"), now=NOW)
    assert files_of(cli) == before


def test_attach_reads_a_pipe_that_is_written_to(cli):
    import shutil
    import subprocess
    import sys

    if shutil.which("bash") is None:
        pytest.skip("needs bash for process substitution")
    cli.ok("customer", "add", "ada@example.com", now=NOW)
    command = f"{sys.executable} -m supportdesk --db {cli.path} --now {NOW} file -s 'Site down' -b 503 -c ada@example.com --field domain=x.example"
    done = subprocess.run(["bash", "-c", command + " --attach <(printf 'nginx: worker exited\\n')"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    (attached,) = cli.json("show", done.stdout.strip(), now=NOW)["attachments"]
    assert attached["size"] == 21


def test_a_failed_write_leaves_no_partial_file_and_is_one_line(cli, report, tmp_path, monkeypatch):
    import errno

    import supportdesk.cli.attachments as command

    cli.ok("customer", "add", "ada@example.com", now=NOW)
    cli.ok("file", "-s", "Site down", "-b", "503", "-c", "ada@example.com", "--field", "domain=x.example", "--attach", str(report), now=NOW)
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, fd: int, mode: str):
            self.file = real_fdopen(fd, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, data: bytes) -> int:
            self.file.write(data[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(command.os, "fdopen", Full)
    target = tmp_path / "saved.pdf"
    cli.refused(2, f"cannot write {target}: No space left on device", "attachment", "save", "1", "-o", str(target), now=NOW)
    assert not target.exists()  # no half-written file left behind
    target.write_bytes(b"kept")  # a file the user had: overwritten by --force, so not removed
    cli.refused(2, f"cannot write {target}: No space left on device", "attachment", "save", "1", "-o", str(target), "--force", now=NOW)
    assert target.exists()


def test_saving_to_standard_output_that_fails_or_goes_away(cli, report, tmp_path):
    import subprocess
    import sys

    cli.ok("customer", "add", "ada@example.com", now=NOW)
    cli.ok("file", "-s", "Site down", "-b", "503", "-c", "ada@example.com", "--field", "domain=x.example", "--attach", str(report), now=NOW)
    command = [sys.executable, "-m", "supportdesk", "--db", str(cli.path), "--now", NOW, "attachment", "save", "1", "-o", "-"]
    if os.path.exists("/dev/full"):
        with open("/dev/full", "wb") as full:  # a full disk: was "unexpected OSError … a bug", exit 70
            done = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
        assert (done.returncode, done.stderr) == (2, "error: cannot write to standard output: No space left on device\n")
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=False)
    reader.stdout.close()  # `| head -c0`: the reader went away, which is no error (click said exit 1)
    assert reader.wait(60) == 0 and reader.stderr.read() == b""
