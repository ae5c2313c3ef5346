"""`supportdesk ingest`: mail from a .eml file, an mbox, a Maildir or standard input
becomes tickets and replies, exactly once; what is not the desk's to answer is never
answered; what cannot be taken in is quarantined for an agent, who releases or drops it.

The messages are the fixtures of real-world shape in tests/fixtures/mail/ (one per mail
client, charset and kind of automatic mail); their parsing is tested on its own in
test_ingest_parse.py, and the policies' rules about mail in test_ingest_policies.py.
"""

from __future__ import annotations

import mailbox
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import Cli, api

MAIL = Path(__file__).resolve().parent / "fixtures" / "mail"
# The Message-ID the desk's first notice (ticket #1's acknowledgement) went out with, as
# the fixtures that answer or bounce it name it.
NOTICE = "<notice-1.0a1b2c3d4e5f6a7b@desk.example>"
SETUP = "2026-11-16T09:00"  # when the desk and its customers are made (Istanbul time)
NOW = "2026-11-16T10:00"
LATER = "2026-11-16T12:00"


def raw(name: str) -> bytes:
    return (MAIL / name).read_bytes()


def ingest(cli: Cli, *args: str, now: str = NOW, input: bytes | None = None) -> list[dict]:
    """Run `ingest … --json`: one entry per message."""
    import json

    result = cli("ingest", *args, "--json", now=now, input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def outcome(cli: Cli, name: str, now: str = NOW) -> dict:
    """Ingest one fixture; what became of it."""
    (entry,) = ingest(cli, str(MAIL / name), now=now)
    return entry


def outbox(cli: Cli) -> list[dict]:
    """Every notice queued, oldest first, as the desk keeps it."""
    conn = sqlite3.connect(cli.path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM outbox ORDER BY id")]
    finally:
        conn.close()


def answers(cli: Cli) -> list[tuple[str, str]]:
    """(kind, recipient) of every notice that answers a sender and is not withdrawn."""
    return [(o["kind"], o["recipient"]) for o in outbox(cli) if o["withdrawn_at"] is None and o["kind"] in ("filed", "refused")]


def mark_sent(cli: Cli, notice_id: int, message_id: str) -> None:
    """Record a notice as sent with this Message-ID, as `outbox send` does."""
    conn = sqlite3.connect(cli.path)
    with conn:
        conn.execute("UPDATE outbox SET sent_at = '2026-11-16T07:30:00Z', message_id = ? WHERE id = ?", [message_id, notice_id])
    conn.close()


@pytest.fixture
def desk(cli) -> Cli:
    """The hosting-general desk with two customers (Ada; Şükrü, whose notices go to his helpdesk address)."""
    with api(cli) as do:
        setup = do.at(SETUP)
        setup.add_customer("ada@example.com", name="Ada Lovelace")
        setup.add_customer("sukru@firma.com.tr", notify=["support=helpdesk@firma.com.tr"])
    return cli


@pytest.fixture
def ticket(desk) -> Cli:
    """Ada's ticket #1, filed by mail, its acknowledgement sent as NOTICE."""
    assert outcome(desk, "thunderbird_multipart.eml")["ticket"] == 1
    mark_sent(desk, 1, NOTICE)
    return desk


# ---- filing --------------------------------------------------------------------------------


def test_a_message_from_a_customer_files_a_ticket_by_email_as_that_customer_and_is_acknowledged(desk):
    entry = outcome(desk, "thunderbird_multipart.eml")
    assert entry == {
        "key": "<6f1c2a9e-3b8d-4c1e-9a0b-2d5e7f8a1b3c@example.com>", "outcome": "filed", "ticket": 1, "why": None,
        "sender": "ada@example.com", "answered": "filed",
    }
    shown = desk.json("show", "1", now=NOW)
    assert shown["subject"] == "Shop returns 503 since this morning" and shown["channel"] == "email"
    assert shown["customer"] == "ada@example.com" and shown["respond_by"] == "2026-11-17T07:00:00Z"  # e-mail's 24 h
    # The plain part of the multipart/alternative, decoded from quoted-printable.
    assert shown["body"].startswith("Hello,\n\nSince this morning our shop at https://ada-shop.example returns")
    assert [(e["kind"], e["actor"]) for e in shown["events"]][:1] == [("filed", "customer:ada@example.com")]
    assert answers(desk) == [("filed", "customer:ada@example.com")]


def test_a_message_from_a_registered_notification_address_is_filed_for_its_customer(desk):
    message = b"From: Helpdesk <HelpDesk@Firma.com.tr>\nTo: support@desk.example\nSubject: Disk full\nMessage-ID: <hd-1@firma.com.tr>\n\nThe disk of our server is full.\n"
    (entry,) = ingest(desk, "-", input=message)
    assert entry["outcome"] == "filed" and entry["sender"] == "helpdesk@firma.com.tr"
    assert desk.json("show", str(entry["ticket"]), now=NOW)["customer"] == "sukru@firma.com.tr"


@pytest.mark.parametrize(
    ("name", "subject", "text"),
    [
        ("outlook_windows1254.eml", "Sunucuya bağlanılamıyor", "Sunucumuza SSH ile bağlanamıyoruz; şifre doğru ama"),
        ("turkish_iso8859_9.eml", "DNS kayıtları güncellenmiyor", "alan adımızın (örnek-şirket.com.tr) DNS kayıtları güncellenmiyor"),
        ("persian_windows1256.eml", "سايت از دسترس خارج است", "سايت من از صبح امروز باز نمي\u200cشود و خطاي 503"),
        ("html_only.eml", "Invoice question", "Invoice #2026-114 was charged twice:\n\n- 14 Nov: €49.00\n- 15 Nov: €49.00"),
        ("rfc2047_subject.eml", "İptal edilen sipariş ve ödeme iadesi", "Sipariş #123456 iptal edildi ama ödeme iade edilmedi."),
        ("wrong_charset.eml", "Wrong charset", "Şifre değişti mi? Giriş yapılamıyor.\n\ncafé ok"),  # declared UTF-8, is Turkish
    ],
)
def test_mail_in_every_charset_and_shape_is_filed_as_readable_text(desk, name, subject, text):
    entry = outcome(desk, name)
    assert entry["outcome"] == "filed", entry
    shown = desk.json("show", str(entry["ticket"]), now=NOW)
    assert shown["subject"] == subject
    assert text in shown["body"]
    assert "<" not in shown["body"] and "alert(1)" not in shown["body"]  # no markup, no script


def test_attachments_are_kept_with_the_ticket(desk):
    entry = outcome(desk, "attachment.eml")
    shown = desk.json("show", str(entry["ticket"]), now=NOW)
    kept = {(a["name"], a["type"], a["size"]) for a in shown["attachments"]}
    assert kept == {("hata günlüğü.pdf", "application/pdf", 69), ("screenshot.png", "image/png", 70)}
    assert shown["body"] == "The error log and a screenshot of the 503 page are attached."


def test_a_message_without_message_id_is_keyed_by_its_digest_and_taken_once(desk):
    first = outcome(desk, "no_message_id.eml")
    assert first["outcome"] == "filed" and first["key"].startswith("sha256:") and len(first["key"]) == 7 + 64
    again = outcome(desk, "no_message_id.eml", now=LATER)
    assert again == first | {"outcome": "duplicate", "ticket": None, "why": "seen before", "sender": None, "answered": None}


def test_text_from_mail_is_stored_exactly_and_shown_inert(desk):
    entry = outcome(desk, "hostile.eml")
    shown = desk.json("show", str(entry["ticket"]), now=NOW)
    assert shown["body"] == "Click \x1b]8;;https://evil.example\x1b\\here\x1b]8;;\x1b\\ and \x1b[2J clear."
    # A subject is one line of plain text (as `file` takes it): its controls are kept visible.
    assert shown["subject"] == "\\x1b[31mURGENT\\x1b[0m \\u202etxt.exe"
    table = desk.ok("show", str(entry["ticket"]), now=NOW).stdout
    assert "\x1b" not in table and "\u202e" not in table
    assert "\\x1b]8;;https://evil.example" in table


# ---- sources ---------------------------------------------------------------------------------

SOURCES = ["thunderbird_multipart.eml", "turkish_iso8859_9.eml", "mailing_list.eml", "no_message_id.eml", "malformed_header.eml"]


def test_an_mbox_and_a_maildir_are_read_whole_and_a_second_run_adds_nothing(desk, tmp_path):
    box = mailbox.mbox(tmp_path / "inbox.mbox")
    for name in SOURCES:
        box.add(raw(name))
    box.close()
    first = ingest(desk, str(tmp_path / "inbox.mbox"))
    assert [e["outcome"] for e in first] == ["filed", "filed", "ignored", "filed", "quarantined"]
    before = desk.dump()
    second = desk("ingest", str(tmp_path / "inbox.mbox"), now=LATER)
    assert second.exit_code == 0, second.output
    assert second.stderr.strip().endswith("5 messages: filed 0, replies 0, quarantined 0, ignored 0, duplicates 5, refused 0, bounces 0")
    assert desk.dump() == before

    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    empty = desk("ingest", str(tmp_path / "Maildir"), now=LATER)  # no new mail: nothing to do, not an error
    assert (empty.exit_code, empty.stderr) == (0, "0 messages: filed 0, replies 0, quarantined 0, ignored 0, duplicates 0, refused 0, bounces 0\n")
    for name in [*SOURCES, "html_only.eml"]:
        maildir.add(raw(name))
    result = desk("ingest", str(tmp_path / "Maildir"), now=LATER)
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().endswith("6 messages: filed 1, replies 0, quarantined 0, ignored 0, duplicates 5, refused 0, bounces 0")


def test_one_message_on_standard_input_as_a_mail_system_delivers_it(desk):
    result = desk("ingest", "-", now=NOW, input=raw("outlook_windows1254.eml"))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == "1 message: filed 1, replies 0, quarantined 0, ignored 0, duplicates 0, refused 0, bounces 0\n"
    assert desk.json("show", "1", now=NOW)["customer"] == "sukru@firma.com.tr"


def test_a_dry_run_decides_and_changes_nothing(desk):
    before = desk.dump()
    result = desk("ingest", str(MAIL / "attachment.eml"), "--dry-run", "--json", now=NOW)
    assert result.exit_code == 0, result.output
    assert "dry run, nothing changed: 1 message: filed 1," in result.stderr
    assert desk.dump() == before
    assert not Path(f"{desk.path}.files").exists()  # no attachment written beside the desk


@pytest.mark.parametrize(
    ("setup", "argument", "fragment"),
    [
        (None, "missing.mbox", "missing.mbox does not exist"),
        ("directory", "plain-dir", "is a directory but not a Maildir"),
        ("empty", "empty.eml", "is empty"),
        ("binary", "photo.jpg", "is not a mail message, an mbox or a Maildir"),
        ("fifo", "pipe", "is not a regular file (a pipe or a device)"),  # refused at once, never waited on
    ],
)
def test_a_path_that_is_not_mail_is_refused_with_exit_2_and_the_desk_unchanged(desk, tmp_path, setup, argument, fragment):
    path = tmp_path / argument
    if setup == "directory":
        path.mkdir()
    elif setup == "empty":
        path.write_bytes(b"")
    elif setup == "binary":
        path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    elif setup == "fifo":
        os.mkfifo(path)
    desk.refused(2, fragment, "ingest", str(path), now=NOW)


def test_standard_input_that_is_not_a_message_is_refused(desk):
    desk.refused(2, "standard input is empty", "ingest", "-", now=NOW, input=b"")
    desk.refused(2, "standard input is not a mail message", "ingest", "-", now=NOW, input=b"\x00\x01binary")


def test_a_desk_a_mail_system_cannot_use_keeps_the_message_queued_not_bounced(desk, tmp_path):
    # A wrong --db in the aliases file, or a pipe run by an OS user who is not an agent:
    # any exit but 75 makes Postfix bounce the customer's mail with our error in it.
    message = raw("no_message_id.eml")
    line = desk.refused(75, "you (postfix) are not an agent of the desk", "ingest", "-", now=NOW, input=message, env={"SUPPORTDESK_USER": "postfix"})
    assert line.endswith("(exit 75: the mail system keeps the message and tries again)")
    missing = Cli(tmp_path / "typo.db")
    missing.refused(75, f"no desk at {tmp_path / 'typo.db'}", "ingest", "-", now=NOW, input=message)
    assert not (tmp_path / "typo.db").exists()
    missing.refused(2, "standard input is not a mail message", "ingest", "-", now=NOW, input=b"\x00binary")  # the message itself: bounced
    desk.refused(3, f"no desk at {tmp_path / 'typo.db'}", "--db", str(tmp_path / "typo.db"), "ingest", str(MAIL / "no_message_id.eml"), now=NOW)


def test_standard_input_that_cannot_be_read_is_left_to_the_mail_system(monkeypatch):
    import errno

    from supportdesk.cli import ingest as command

    class Broken:
        def read(self) -> bytes:
            raise OSError(errno.EIO, "Input/output error")

    class Stdin:
        buffer = Broken()

        def isatty(self) -> bool:
            return False

    monkeypatch.setattr(command.sys, "stdin", Stdin())
    with pytest.raises(command.TryLater) as caught:  # was an OSError: exit 70, and the mail bounced
        command._stdin_message()
    assert caught.value.exit_code == 75 and caught.value.message.startswith("cannot read standard input: Input/output error (exit 75")


def test_a_busy_desk_asks_the_mail_system_to_deliver_again(desk, monkeypatch):
    from supportdesk.desk import Desk
    from supportdesk.errors import DeskUnavailable

    def busy(self, messages, dry_run=False):
        raise DeskUnavailable("the desk is busy (another supportdesk is writing); try again in a moment")

    monkeypatch.setattr(Desk, "ingest", busy)
    line = desk.refused(75, "the desk is busy", "ingest", "-", now=NOW, input=raw("no_message_id.eml"))
    assert "exit 75: the mail system keeps the message and tries again" in line
    desk.refused(4, "the desk is busy", "ingest", str(MAIL / "no_message_id.eml"), now=NOW)


# ---- replies ---------------------------------------------------------------------------------


def test_a_reply_to_a_notice_is_added_to_its_ticket_without_the_quoted_history(ticket):
    entry = outcome(ticket, "reply_quoted.eml", now=LATER)
    assert (entry["outcome"], entry["ticket"], entry["answered"]) == ("reply", 1, None)
    (message,) = ticket.json("show", "1", now=LATER)["messages"]
    assert message["author"] == "customer:ada@example.com" and message["channel"] == "email"
    assert message["body"] == "Thanks, it works again after the restart.\n\nOne more thing: the mail queue still shows 12 stuck messages."
    assert answers(ticket) == [("filed", "customer:ada@example.com")]  # a reply is not acknowledged


def test_a_reply_by_the_subjects_reference_trims_turkish_and_outlook_history(desk):
    assert outcome(desk, "outlook_windows1254.eml")["ticket"] == 1  # Şükrü's ticket #1
    mark_sent(desk, 1, NOTICE)
    by_subject = outcome(desk, "reply_quoted_tr.eml", now=LATER)  # no In-Reply-To: [#1]
    by_header = outcome(desk, "reply_outlook.eml", now=LATER)
    assert [(e["outcome"], e["ticket"]) for e in (by_subject, by_header)] == [("reply", 1), ("reply", 1)]
    bodies = [m["body"] for m in desk.json("show", "1", now=LATER)["messages"]]
    assert bodies == ["Sunucu yeniden başlatıldıktan sonra SSH çalışıyor, teşekkürler.", "Sunucu hâlâ yanıt vermiyor, lütfen acil bakın.\n\nŞükrü"]


def test_a_reply_from_a_stranger_is_quarantined_then_released_by_an_agent(ticket):
    stranger = raw("reply_quoted.eml").replace(b"From: Ada Lovelace <ada@example.com>", b"From: Mallory <mallory@evil.example>")
    (entry,) = ingest(ticket, "-", now=LATER, input=stranger)
    assert (entry["outcome"], entry["ticket"]) == ("quarantined", 1)
    assert entry["why"] == f"from mallory@evil.example, who is neither the requester of #1 nor its reseller (ada@example.com); it answers {NOTICE}"
    assert ticket.json("show", "1", now=LATER)["messages"] == []
    (held,) = ticket.json("ingest", "quarantine", "list", now=LATER)
    assert (held["id"], held["sender"], held["ticket"], held["state"]) == (1, "mallory@evil.example", 1, "held")
    listed = ticket.ok("ingest", "quarantine", "list", now=LATER).stdout
    assert listed.splitlines() == [
        "message 1  held  Mon 16 Nov 12:00 +03  from mallory@evil.example  (ticket #1)",
        f"  subject: {held['subject']}",
        f"  why: {entry['why']}",
    ]

    released = ticket.ok("ingest", "quarantine", "release", "1", now=LATER)
    assert released.stderr == "released message 1: added as a reply to #1\n"
    (message,) = ticket.json("show", "1", now=LATER)["messages"]
    assert message["author"] == "customer:mallory@evil.example"  # on the customer's side, under the address it came from
    assert ticket.json("ingest", "quarantine", "list", now=LATER) == []
    assert ticket.json("ingest", "quarantine", "list", "--all", now=LATER)[0]["state"] == "released"
    ticket.refused(1, "quarantined message 1 was released by agent:tester", "ingest", "quarantine", "release", "1", now=LATER)
    # Running the mailbox again adds nothing: the message was seen.
    assert ingest(ticket, "-", now=LATER, input=stranger)[0]["outcome"] == "duplicate"


def test_the_quarantine_list_shows_each_number_and_why_at_any_width_and_inert(desk, monkeypatch):
    # As a table at 80 columns, rich squeezed the number and the reason out of sight.
    monkeypatch.setenv("COLUMNS", "80")
    hostile = b"From: Mallory <mallory@evil.example>\nSubject: Re: [#7] \x1b]52;c;cm0gLXJm\x07 \xe2\x80\xaegnp.exe\nMessage-ID: <h1@evil.example>\n\nhi\n"
    (entry,) = ingest(desk, "-", input=hostile)
    listed = desk.ok("ingest", "quarantine", "list", now=NOW).stdout
    assert listed.splitlines() == [
        "message 1  held  Mon 16 Nov 10:00 +03  from mallory@evil.example",
        "  subject: Re: [#7] \\x1b]52;c;cm0gLXJm\\x07 \\u202egnp.exe",
        "  why: its subject names [#7], but this desk has no ticket #7",
    ]
    assert desk.json("ingest", "quarantine", "list", now=NOW)[0]["subject"] == "Re: [#7] \x1b]52;c;cm0gLXJm\x07 \u202egnp.exe"  # exact


@pytest.mark.parametrize("given", ["abc", "0", "-1", "1.5", "99999999999999999999999"])
def test_a_quarantine_number_that_is_no_number_is_refused_with_exit_2(desk, given):
    # A number too large for SQLite was an OverflowError: exit 70, "a bug in supportdesk".
    for command in ("release", "drop"):
        desk.refused(2, f"{given!r} is not a quarantined message's number", "ingest", "quarantine", command, "--", given, now=NOW)


def test_a_maildir_message_that_vanishes_is_skipped_with_a_warning_and_the_rest_taken(desk, tmp_path):
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for name in ("thunderbird_multipart.eml", "html_only.eml"):
        maildir.add(raw(name))
    (tmp_path / "Maildir" / "new" / "0000.gone").symlink_to(tmp_path / "moved-by-the-mail-client")
    for run in range(2):  # it stopped every run at the same message, for ever
        result = desk("ingest", str(tmp_path / "Maildir"), now=NOW)
        assert result.exit_code == 0, result.output
        warning, summary = result.stderr.splitlines()
        assert warning == f"warning: skipped the message 0000.gone of {tmp_path / 'Maildir'}: it was moved or deleted while being read; the next run tries it again"
        assert summary.startswith("2 messages: filed 0," if run else "2 messages: filed 2,")


def test_a_message_of_thousands_of_parts_keeps_a_hundred_attachments(desk):
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "ada@example.com", "logs", "<parts@example.com>"
    message.set_content("all the logs")
    for i in range(105):
        message.add_attachment(f"log {i}".encode(), maintype="text", subtype="plain", filename=f"log{i}.txt")
    (entry,) = ingest(desk, "-", input=message.as_bytes())
    assert entry["outcome"] == "filed" and entry["why"].endswith("not kept: 5 more attachments (a message keeps at most 100)")
    kept = desk.json("show", str(entry["ticket"]), now=NOW)["attachments"]
    assert [a["name"] for a in kept] == [f"log{i}.txt" for i in range(100)]


def test_a_message_longer_than_the_desk_takes_is_filed_cut_with_its_whole_text_attached(desk):
    # It was quarantined unanswered, and release could only fail the same way: drop it.
    text = "Jan 1 nginx: worker process exited on signal 11\n" * 25_000  # 1.2 MB; the desk takes 1,000,000 bytes
    message = b"From: ada@example.com\nSubject: logs\nMessage-ID: <long@example.com>\n\n" + text.encode()
    (entry,) = ingest(desk, "-", input=message)
    assert (entry["outcome"], entry["answered"]) == ("filed", "filed")
    shown = desk.json("show", str(entry["ticket"]), now=NOW)
    assert len(shown["body"].encode()) <= 1_000_000 and shown["body"].startswith("Jan 1 nginx: worker process exited")
    assert shown["body"].endswith("[… cut here: the whole text (1,199,999 bytes) is attached as message.txt]")
    (whole,) = shown["attachments"]
    assert (whole["name"], whole["size"]) == ("message.txt", 1_199_999)  # the text as read: its last line break trimmed


def test_a_malformed_message_never_stops_the_batch_and_can_be_dropped(desk, tmp_path):
    box = mailbox.mbox(tmp_path / "in.mbox")
    for name in ("malformed_header.eml", "thunderbird_multipart.eml"):
        box.add(raw(name))
    box.close()
    result = desk("ingest", str(tmp_path / "in.mbox"), now=NOW)
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("quarantined: -: no sender address could be read (from: no valid sender address")
    assert lines[1] == "2 messages: filed 1, replies 0, quarantined 1, ignored 0, duplicates 0, refused 0, bounces 0"
    desk.refused(1, "quarantined message 1 has no sender address to file it for or answer; drop it", "ingest", "quarantine", "release", "1", now=NOW)
    assert desk.ok("ingest", "quarantine", "drop", "1", now=NOW).stderr == "dropped message 1\n"
    assert desk.json("ingest", "quarantine", "list", now=NOW) == []
    desk.refused(3, "no quarantined message 9", "ingest", "quarantine", "drop", "9", now=NOW)


# ---- what is never answered ----------------------------------------------------------------


def test_an_unknown_sender_gets_the_policys_answer_and_an_unknown_auto_reply_none(desk):
    # Hosting General takes mail from any address (its intake refuses no new requester):
    # the sender becomes a customer, as with `file --customer`, and is acknowledged.
    first = outcome(desk, "html_only.eml")
    assert (first["outcome"], first["answered"]) == ("filed", "filed")
    assert desk.json("show", str(first["ticket"]), now=NOW)["customer"] == "billing@shop.example"
    assert [e["actor"] for e in desk.json("show", str(first["ticket"]), now=NOW)["events"]][:1] == ["system:mail"]
    # An automatic reply from an address the desk does not know is neither filed nor answered.
    stranger = outcome(desk, "auto_reply_unknown.eml")
    assert stranger["outcome"] == "ignored" and stranger["ticket"] is None
    assert stranger["why"] == "automated mail (Auto-Submitted: auto-generated) from stranger@elsewhere.example, an address the desk does not know"
    assert answers(desk) == [("filed", "customer:billing@shop.example")]


def test_a_known_customers_automated_mail_is_filed_but_never_answered(desk):
    alert = raw("monitoring_alert.eml").replace(b"alerts@monitor.example.net", b"ada@example.com")
    (entry,) = ingest(desk, "-", input=alert)
    assert entry["outcome"] == "filed" and entry["answered"] is None
    assert entry["why"] == "not acknowledged: automated mail (Auto-Submitted: auto-generated)"
    assert answers(desk) == []
    assert [o["withdrawn_at"] for o in outbox(desk)] == ["2026-11-16T07:00:00Z"]  # queued by the intake, held back


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("auto_reply.eml", "an automatic reply (Auto-Submitted: auto-replied)"),
        ("mailing_list.eml", "mailing-list mail (List-Id: Hosting News <hosting-news.lists.example.org>)"),
        ("own_notice.eml", "the desk's own mail (X-Supportdesk-Loop: support@desk.example)"),
    ],
)
def test_auto_replies_list_mail_and_the_desks_own_mail_are_ignored(ticket, name, why):
    before = len(outbox(ticket))
    entry = outcome(ticket, name, now=LATER)
    assert (entry["outcome"], entry["why"], entry["answered"]) == ("ignored", why, None)
    assert len(outbox(ticket)) == before and ticket.json("show", "1", now=LATER)["messages"] == []


def test_a_notice_of_the_desk_come_back_without_its_loop_header_is_ignored(ticket):
    stripped = raw("own_notice.eml").replace(b"X-Supportdesk-Loop: support@desk.example\n", b"").replace(b"Auto-Submitted: auto-generated\n", b"")
    (entry,) = ingest(ticket, "-", now=LATER, input=stripped)
    assert (entry["outcome"], entry["ticket"]) == ("ignored", 1)
    assert entry["why"] == f"the desk's own mail (notice 1 went out as {NOTICE})"


def test_acknowledgements_are_rate_limited_per_sender(desk):
    template = raw("no_message_id.eml")
    entries = [ingest(desk, "-", input=template.replace(b"Backup job failed", f"Job {n} failed".encode()))[0] for n in range(7)]
    assert [e["answered"] for e in entries] == ["filed"] * 5 + [None, None]
    assert entries[5]["why"] == "not acknowledged: ada@example.com was answered 5 times in the last hour already"
    assert len(answers(desk)) == 5
    # An hour later the sender is answered again.
    later = ingest(desk, "-", now="2026-11-16T11:01", input=template.replace(b"Backup job failed", b"Job 8 failed"))[0]
    assert later["answered"] == "filed"


# ---- bounces ---------------------------------------------------------------------------------


def test_a_bounce_of_a_notice_is_recorded_against_it_and_on_its_ticket(ticket):
    entry = outcome(ticket, "dsn_bounce.eml", now=LATER)
    assert (entry["outcome"], entry["ticket"], entry["answered"]) == ("bounce", 1, None)
    notice = outbox(ticket)[0]
    assert notice["bounced_at"] == "2026-11-16T09:00:00Z"
    assert notice["bounce"] == "5.1.1 to nobody@example.com: smtp; 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table"
    (event,) = [e for e in ticket.json("show", "1", now=LATER)["events"] if e["kind"] == "bounce"]
    assert event["actor"] == "system:mail" and event["details"]["notice"] == 1
    assert len(outbox(ticket)) == 1  # a bounce is never answered
    # A bounce without a report (Exim's) that returns no notice of this desk is kept as such.
    plain = outcome(ticket, "plain_bounce.eml", now=LATER)
    assert plain["outcome"] == "bounce" and plain["ticket"] is None
    assert plain["why"] == "a bounce of no notice this desk sent (failed to gone@example.org: mailbox is full: retry timeout exceeded)"


def test_a_bounce_without_a_report_is_recorded_against_the_notice_it_quotes(desk):
    assert outcome(desk, "html_only.eml")["ticket"] == 1
    mark_sent(desk, 1, "<notice-2.9f8e7d6c5b4a3928@desk.example>")  # the Message-ID Exim's bounce quotes
    entry = outcome(desk, "plain_bounce.eml", now=LATER)
    assert (entry["outcome"], entry["ticket"]) == ("bounce", 1)
    assert outbox(desk)[0]["bounce"] == "failed to gone@example.org: mailbox is full: retry timeout exceeded"


# ---- who may run it --------------------------------------------------------------------------


def test_token_holders_may_not_ingest_or_touch_the_quarantine(desk, frozen_clock):
    issued = desk.json("token", "issue", "--customer", "ada@example.com", now=SETUP)
    env = {"SUPPORTDESK_TOKEN": issued["token"]}
    desk.refused(1, "only the desk's agents may", "ingest", str(MAIL / "thunderbird_multipart.eml"), env=env)
    desk.refused(1, "only the desk's agents may", "ingest", "quarantine", "list", env=env)
    desk.refused(1, "only the desk's agents may", "ingest", "quarantine", "release", "1", env=env)
