"""Mail decoded (supportdesk/mail/parse.py) and the decisions made from a message alone
(supportdesk/mail/ingest.py): charsets, HTML, quoted history, attachments, bounces, and
every sign that a message is automated and must never be answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportdesk.errors import InvalidInput
from supportdesk.mail import ingest as rules
from supportdesk.mail import message_id_key, message_id_keys
from supportdesk.mail.parse import (
    decode_text,
    fallback_charset,
    html_to_text,
    message_key,
    parse,
    read_messages,
    trim_quoted,
)

MAIL = Path(__file__).resolve().parent / "fixtures" / "mail"
DESK = "Hosting General"


def fixture(name: str, fallback: str = "windows-1252"):
    return parse((MAIL / name).read_bytes(), fallback)


def headers(extra: str, sender: str = "ada@example.com", body: str = "Hello") -> bytes:
    return f"From: {sender}\nTo: support@desk.example\nSubject: Hi\nMessage-ID: <x1@example.com>\n{extra}\n{body}\n".encode()


# ---- decoding ---------------------------------------------------------------------------------


def test_message_ids_are_kept_in_one_form():
    assert message_id_key(" <Abc.1@Example.com> (comment)") == "<Abc.1@Example.com>"
    assert message_id_key("bare@example.com") == "<bare@example.com>"
    assert message_id_key("garbage") is None and message_id_key(None) is None
    assert message_id_keys("<a@x> <b@x>\n\t<a@x>") == ["<a@x>", "<b@x>"]


def test_the_key_is_the_message_id_else_the_digest_of_the_bytes():
    assert message_key(b"From: a@b.c\nMessage-ID:\n <folded@example.com>\n\nbody") == "<folded@example.com>"
    one, other = message_key(b"From: a@b.c\n\nbody"), message_key(b"From: a@b.c\n\nbody!")
    assert one.startswith("sha256:") and one != other
    assert fixture("no_message_id.eml").key == message_key((MAIL / "no_message_id.eml").read_bytes())


def test_rfc2047_headers_in_several_charsets_are_decoded():
    mail = fixture("rfc2047_subject.eml")
    assert mail.subject == "İptal edilen sipariş ve ödeme iadesi"
    assert (mail.sender, mail.sender_name) == ("gulsen@ornek-sirket.com.tr", "Gülşen Öztürk")
    assert fixture("outlook_windows1254.eml").sender_name == "Şükrü Çağlar"
    assert fixture("persian_windows1256.eml").sender_name == "مريم احمدي"


def test_text_is_read_in_its_charset_else_utf8_else_the_desks_code_page():
    assert decode_text("ğüşıöç".encode("iso-8859-9"), "iso-8859-9") == "ğüşıöç"
    assert decode_text("ğüşıöç".encode("cp1254"), "windows-1254") == "ğüşıöç"
    defects: list[str] = []
    assert decode_text("Şifre".encode("cp1254"), "utf-8", defects, "windows-1254") == "Şifre"
    assert defects == ["text not in its declared charset 'utf-8'"]
    defects = []
    assert decode_text("café".encode("utf-8"), "x-unknown", defects) == "café"  # unknown: UTF-8 when it is UTF-8
    assert defects == ["unknown charset 'x-unknown'"]
    assert decode_text(b"caf\xe9", "x-unknown") == "café"  # else every byte a character
    # Turkish text labelled Western: read as Turkish on a Turkish desk, as Western elsewhere.
    assert decode_text("Şifre değişti".encode("cp1254"), "iso-8859-1", None, "windows-1254") == "Şifre değişti"
    assert decode_text(b"caf\xe9 \x80", "iso-8859-1") == "café €"
    assert (fallback_charset(("tr", "en")), fallback_charset(("fa",)), fallback_charset(())) == ("windows-1254", "windows-1256", "windows-1252")
    wrong = fixture("wrong_charset.eml", "windows-1254")
    assert wrong.text == "Şifre değişti mi? Giriş yapılamıyor.\n\ncafé ok"
    assert "unknown charset 'x-unknown-charset'" in wrong.defects


def test_multipart_alternative_keeps_the_plain_part_and_html_only_mail_becomes_text():
    assert "<p>" not in fixture("thunderbird_multipart.eml").text
    html = fixture("html_only.eml").text
    assert html == (
        "Hello support,\n\nInvoice #2026-114 was charged twice:\n\n- 14 Nov: €49.00\n- 15 Nov: €49.00\n\n"
        "Please refund one & see the order (https://shop.example/orders/114).\n\nRegards,\nBilling team"
    )
    assert html_to_text("<pre>  a\n   b</pre><p>x<br>y</p><table><tr><td>1</td><td>2</td></tr></table>") == "a\n   b\n\nx\ny\n\n1 2"
    assert html_to_text("<a href='https://x.example'>https://x.example</a>") == "https://x.example"  # the address once


def test_attachments_keep_their_names_types_and_bytes():
    mail = fixture("attachment.eml")
    assert [(a.filename, a.content_type, a.data[:8]) for a in mail.attachments] == [
        ("hata günlüğü.pdf", "application/pdf", b"%PDF-1.4"), ("screenshot.png", "image/png", b"\x89PNG\r\n\x1a\n"),
    ]
    assert mail.text == "The error log and a screenshot of the 503 page are attached."
    forwarded = parse(
        b"From: a@b.example\nSubject: Fwd\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n--x\n"
        b"Content-Type: text/plain\n\nSee below.\n--x\nContent-Type: message/rfc822\n\nFrom: c@d.example\nSubject: inner\n\ninner body\n--x--\n"
    )
    assert [(a.content_type, b"inner body" in a.data) for a in forwarded.attachments] == [("message/rfc822", True)]


def test_a_malformed_message_is_read_with_its_defects_never_raising():
    mail = fixture("malformed_header.eml")
    assert mail.sender is None and mail.defects and rules.quarantine_why(mail).startswith("no sender address could be read")
    for data in (b"", b"\x00\xff" * 50, b"From: \x1b[2J <@>\nSubject: =?bogus?q?x?=\n\n", b"Content-Type: multipart/mixed\n\nno boundary"):
        parse(data)  # no exception


# ---- quoted history ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Fixed, thanks.\n\nOn Mon, 16 Nov 2026 at 11:30, Desk <s@d.example> wrote:\n> old\n", "Fixed, thanks."),
        ("Fixed.\n\nOn Mon, 16 Nov 2026 at 11:30, Desk <s@d.example>\nwrote:\n\n> old\n", "Fixed."),
        ("Tamam.\n\n16 Kas 2026 Pzt, 11:30 tarihinde Destek <s@d.example> şunu yazdı:\n> eski\n", "Tamam."),
        ("Still down.\n\n-----Original Message-----\nFrom: Desk\nSent: Monday\n\nold", "Still down."),
        ("Hâlâ.\n\n________________________________\nKimden: Destek <s@d.example>\nGönderildi: 16 Kasım 2026\nold", "Hâlâ."),
        ("Answer inline:\n> question one\nyes\n> question two\nno\n", "Answer inline:\nyes\nno"),
        ("> only quoted text\n> nothing else\n", "> only quoted text\n> nothing else"),  # nothing left: kept whole
        ("ممنون، درست شد.\n\nدر تاریخ دوشنبه ۱۶ نوامبر ۲۰۲۶ Desk <s@d.example> نوشت:\n> قدیمی\n", "ممنون، درست شد."),
    ],
)
def test_quoted_history_is_trimmed_from_replies(text, kept):
    assert trim_quoted(text) == kept


# ---- what is automated, what is ignored ------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        ("Auto-Submitted: auto-generated", "automated mail (Auto-Submitted: auto-generated)"),
        ("Precedence: bulk", "bulk mail (Precedence: bulk)"),
        ("Precedence: junk", "bulk mail (Precedence: junk)"),
        ("List-Id: <news.lists.example.org>", "list mail (List-Id)"),
        ("Return-Path: <>", "a null return path (Return-Path: <>)"),
        ("X-Auto-Response-Suppress: OOF, AutoReply", "the sender asks for no automatic answers (X-Auto-Response-Suppress: OOF, AutoReply)"),
        ("X-Supportdesk-Loop: Another Desk", "mail of another desk (X-Supportdesk-Loop)"),
    ],
)
def test_every_sign_of_automated_mail_stops_an_answer(extra, why):
    assert rules.no_answer_reason(parse(headers(extra))) == why


def test_ordinary_mail_may_be_answered():
    assert rules.no_answer_reason(parse(headers("Auto-Submitted: no"))) is None
    assert rules.no_answer_reason(fixture("thunderbird_multipart.eml")) is None
    assert rules.ignore_reason(fixture("thunderbird_multipart.eml"), DESK) is None


@pytest.mark.parametrize(
    ("extra", "sender", "why"),
    [
        ("X-Supportdesk-Loop: Hosting General", "x@y.example", "the desk's own mail (X-Supportdesk-Loop: Hosting General)"),
        ("X-Supportdesk-Loop: support@desk.example", "support@desk.example", "the desk's own mail (X-Supportdesk-Loop: support@desk.example)"),
        ("Auto-Submitted: auto-replied", "ada@example.com", "an automatic reply (Auto-Submitted: auto-replied)"),
        ("X-Autoreply: yes", "ada@example.com", "an automatic reply (X-Autoreply)"),
        ("Precedence: list", "ada@example.com", "mailing-list mail (Precedence: list)"),
        ("Precedence: bulk", "ada@example.com", "bulk mail (Precedence: bulk)"),
        ("X-Spam-Flag: YES", "ada@example.com", "marked as spam (X-Spam-Flag: YES)"),
    ],
)
def test_the_desks_own_mail_automatic_replies_lists_and_spam_are_ignored(extra, sender, why):
    assert rules.ignore_reason(parse(headers(extra, sender)), DESK) == why


def test_a_read_receipt_and_a_delay_notice_are_ignored_not_bounces():
    receipt = parse(
        b"From: ada@example.com\nSubject: Read: [#1] received\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/report; report-type=disposition-notification; boundary=r\n\n--r\nContent-Type: text/plain\n\nRead.\n"
        b"--r\nContent-Type: message/disposition-notification\n\nDisposition: manual-action/MDN-sent-manually; displayed\n--r--\n"
    )
    assert rules.bounce_of(receipt) is None
    assert rules.ignore_reason(receipt, DESK) == "a report that is not a bounce (a read receipt)"
    delayed = (MAIL / "dsn_bounce.eml").read_bytes().replace(b"Action: failed", b"Action: delayed").replace(b"Status: 5.1.1", b"Status: 4.4.1")
    assert rules.bounce_of(parse(delayed)) is None
    assert rules.ignore_reason(parse(delayed), DESK) == "a delay notice: the mail it reports is still being tried"


def test_bounces_name_the_notice_they_return():
    dsn = rules.bounce_of(fixture("dsn_bounce.eml"))
    assert dsn is not None and dsn.message_ids == ("<notice-1.0a1b2c3d4e5f6a7b@desk.example>",)
    assert (dsn.recipient, dsn.status) == ("nobody@example.com", "5.1.1")
    assert rules.bounce_text(dsn).startswith("5.1.1 to nobody@example.com: smtp; 550 5.1.1")
    plain = rules.bounce_of(fixture("plain_bounce.eml"))
    assert plain is not None and plain.message_ids == ("<notice-2.9f8e7d6c5b4a3928@desk.example>",)
    assert (plain.recipient, plain.diagnostic) == ("gone@example.org", "mailbox is full: retry timeout exceeded")
    assert rules.bounce_of(fixture("auto_reply.eml")) is None  # an out-of-office is no bounce


# ---- references and departments ----------------------------------------------------------------


def test_a_reply_names_its_ticket_by_headers_or_subject():
    reply = fixture("reply_quoted.eml")
    assert rules.referenced_ids(reply) == ["<notice-1.0a1b2c3d4e5f6a7b@desk.example>"]
    assert rules.subject_reference("Re: [#42] received: x") == 42
    assert rules.subject_reference("Order #42 (no brackets)") is None
    assert rules.subject_reference("Ynt: [#7] [#8]") == 7


def test_the_department_comes_from_the_recipient_address():
    departments = [("technical", "Technical"), ("financial", "Billing")]
    assert rules.department_of(["support+financial@desk.example"], departments) == "financial"
    assert rules.department_of(["billing@desk.example"], departments) == "financial"  # by its label
    assert rules.department_of(["support@desk.example"], departments) is None  # the policy's default


def test_a_mail_subject_becomes_a_one_line_ticket_subject():
    assert rules.ticket_subject("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert len(rules.ticket_subject("x" * 500)) == 200


# ---- sources -------------------------------------------------------------------------------------


def test_sources_that_are_not_mail_are_refused(tmp_path):
    with pytest.raises(InvalidInput, match="does not exist"):
        list(read_messages(tmp_path / "nope"))
    (tmp_path / "dir").mkdir()
    with pytest.raises(InvalidInput, match="not a Maildir"):
        list(read_messages(tmp_path / "dir"))
    (tmp_path / "x.bin").write_bytes(b"\x89PNG\r\n")
    with pytest.raises(InvalidInput, match="not a mail message"):
        list(read_messages(tmp_path / "x.bin"))
    assert list(read_messages(MAIL / "no_message_id.eml")) == [(MAIL / "no_message_id.eml").read_bytes()]


def test_a_pipe_is_refused_before_it_is_opened_never_waited_on(tmp_path):
    import os

    os.mkfifo(tmp_path / "pipe")  # nobody writes to it: opening it to read would block for ever
    with pytest.raises(InvalidInput, match="is not a regular file .* supportdesk ingest - <"):
        list(read_messages(tmp_path / "pipe"))


def test_a_maildir_message_gone_while_it_is_read_is_skipped_not_fatal(tmp_path):
    import mailbox

    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for name in ("no_message_id.eml", "html_only.eml"):
        box.add((MAIL / name).read_bytes())
    (tmp_path / "Maildir" / "new" / "0000.gone").symlink_to(tmp_path / "moved-away")  # listed first, unreadable
    skipped: list[str] = []
    read = list(read_messages(tmp_path / "Maildir", skipped))
    assert sorted(read) == sorted((MAIL / n).read_bytes() for n in ("no_message_id.eml", "html_only.eml"))
    assert skipped == [f"the message 0000.gone of {tmp_path / 'Maildir'}: it was moved or deleted while being read"]
    with pytest.raises(InvalidInput, match="cannot read the message 0000.gone"):
        list(read_messages(tmp_path / "Maildir"))


def test_a_nul_in_the_text_becomes_a_replacement_character_not_a_held_message():
    mail = parse(b"From: ada@example.com\nSubject: x\n\nline\x00one\n")
    assert mail.text == "line\ufffdone"


def test_a_text_too_long_for_the_desk_is_cut_and_kept_whole_beside_it():
    assert rules.fit_body("short", 100, 1000) == ("short", None)
    text = "ş" * 80  # two bytes each: 160 bytes
    cut, whole = rules.fit_body(text, 120, 1000)
    assert len(cut.encode()) <= 120 and cut.startswith("ş") and "\ufffd" not in cut  # never half a character
    assert cut.endswith("[… cut here: the whole text (160 bytes) is attached as message.txt]")
    assert (whole.filename, whole.content_type, whole.data) == ("message.txt", "text/plain", text.encode())
    cut, whole = rules.fit_body(text, 120, 150)
    assert whole is None and cut.endswith("[… cut here: the whole text (160 bytes) was too large to keep (limits.attachment_max_bytes)]")

