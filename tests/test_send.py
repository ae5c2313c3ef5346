"""`outbox send` against a real SMTP server (aiosmtpd, in process): what customers and
the on-call person receive, parsed back; retries, backoff and giving up; a server that
cannot be reached; two senders at once; --dry-run."""

from __future__ import annotations

import asyncio
import email
import json
import socket
import sqlite3
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from conftest import EXAMPLES, Cli, api, instant, new_desk

# ---- the server ------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


@dataclass
class Mailbox:
    """The server's side: what it received, and how it answers RCPT TO (per address, a list
    of replies used in order, the last one repeating)."""

    received: list[Received] = field(default_factory=list)
    answers: dict[str, list[str]] = field(default_factory=dict)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        replies = self.answers.get(address)
        if replies:
            reply = replies.pop(0) if len(replies) > 1 else replies[0]
            if not reply.startswith("250"):
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.received if address in r.rcpt_tos]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch):
    """An SMTP server on 127.0.0.1 and the environment that points `outbox send` at it."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in (("HOST", "127.0.0.1"), ("PORT", str(port)), ("SECURITY", "none"), ("FROM", "Hosting Destek <destek@hosting.example>")):
        monkeypatch.setenv(f"SUPPORTDESK_SMTP_{name}", value)
    try:
        yield mailbox
    finally:
        controller.stop()


def outbox_rows(cli: Cli) -> list[dict]:
    conn = sqlite3.connect(cli.path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM outbox ORDER BY id")]
    finally:
        conn.close()


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


# ---- what customers receive ------------------------------------------------------------------


@pytest.fixture
def three_languages(cli):
    """The hosting desk (tr, en) with a Turkish, an English and a Persian customer, a
    ticket each."""
    with api(cli) as do:
        desk = do.at("2026-11-20T09:00")
        desk.add_customer("ayse@example.com", name="Ayşe", language="tr")
        desk.add_customer("ada@example.com", name="Ada", language="en")
        desk.add_customer("ali@example.ir", name="علی", language="fa")
        ids = {who: do.file(customer=who, subject=f"Site down ({who})", field="domain=example.com") for who in ("ayse@example.com", "ada@example.com", "ali@example.ir")}
    return cli, ids


def test_each_customer_gets_the_acknowledgement_in_their_language_with_the_ticket_reference(three_languages, smtp):
    cli, ids = three_languages
    result = cli.ok("outbox", "send", now="2026-11-20T10:01")
    assert "sent notice" in result.stdout and result.stderr.strip() == "sent 3 notice(s)"
    rows = {r["ticket_id"]: r for r in outbox_rows(cli)}
    expected = {
        "ayse@example.com": ("tr", "Talebinizi aldık", "20 Kasım 2026 Cuma 14:00 (+03)"),
        "ada@example.com": ("en", "We have your request", "Fri 20 Nov 2026 14:00 +03"),
        "ali@example.ir": ("fa", "درخواست شما دریافت شد", "جمعه ۲۹ آبان ۱۴۰۵"),  # the Solar Hijri date, Persian digits
    }
    for who, (language, words, deadline) in expected.items():
        [message] = smtp.to(who)
        ticket = ids[who]
        assert message["Subject"].startswith(f"[#{ticket}] {words}: Site down")
        assert message["Message-ID"] == rows[ticket]["message_id"] and message["Message-ID"].endswith("@hosting.example>")
        assert message["X-Supportdesk-Loop"] == "destek@hosting.example"
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["From"] == "Hosting Destek <destek@hosting.example>"
        assert message["Content-Language"] == language
        text = body(message)
        assert f"#{ticket}" in text and deadline in text, text
        html = message.get_body(("html",)).get_content()
        assert f'lang="{language}"' in html and ('dir="rtl"' in html) == (language == "fa")
        assert rows[ticket]["sent_at"] == "2026-11-20T07:01:00Z" and rows[ticket]["address"] == who and rows[ticket]["attempts"] == 1
    assert cli.ok("outbox", "send", now="2026-11-20T10:02").stderr.strip() == "nothing to send"
    assert len(smtp.received) == 3


def test_a_reply_is_sent_as_a_person_wrote_it_in_the_thread_with_its_attachment(three_languages, smtp, tmp_path):
    cli, ids = three_languages
    cli.ok("outbox", "send", now="2026-11-20T10:01")
    ticket = ids["ada@example.com"]
    (tmp_path / "fix.txt").write_bytes(b"--- a\n+++ b\n")
    cli.ok("reply", str(ticket), "-m", "Fixed: <b>restart</b> {{ 7*7 }}", "--attach", str(tmp_path / "fix.txt"), now="2026-11-20T10:10")
    cli.ok("outbox", "send", now="2026-11-20T10:11")
    acknowledgement, reply = smtp.to("ada@example.com")
    assert reply["Subject"] == f"[#{ticket}] New reply: Site down (ada@example.com)"
    assert reply["Auto-Submitted"] is None  # a person wrote it: auto-responders may answer
    assert reply["In-Reply-To"] == acknowledgement["Message-ID"] and reply["References"] == acknowledgement["Message-ID"]
    text = body(reply)
    assert "tester replied to your ticket" in text and "Fixed: <b>restart</b> {{ 7*7 }}" in text  # as written, nothing evaluated
    assert "&lt;b&gt;restart&lt;/b&gt;" in reply.get_body(("html",)).get_content()  # escaped in the HTML part
    [attached] = list(reply.iter_attachments())
    assert (attached.get_filename(), attached.get_content_type(), attached.get_payload(decode=True)) == ("fix.txt", "text/plain", b"--- a\n+++ b\n")


def test_notices_go_to_the_customers_address_of_their_type(tmp_path, smtp):
    path = tmp_path / "introserv.db"
    new_desk(path, EXAMPLES / "introserv.toml", now="2026-11-16T09:00")
    cli = Cli(path)
    with api(cli) as do:
        desk = do.at("2026-11-20T09:00")
        desk.add_customer("ops@client.example", verified=True, notify=["invoices=billing@client.example", "support=help@client.example"])
        desk.add_customer("plain@client.example", verified=True)
        money = do.file(customer="ops@client.example", subject="Charged twice", department="financial", channel="ticket")
        server = do.file(customer="ops@client.example", subject="Disk full", department="technical", channel="ticket")
        other = do.file(customer="plain@client.example", subject="Invoice copy", department="financial", channel="ticket")
    cli.ok("outbox", "send", now="2026-11-20T10:00")
    assert [m["Subject"] for m in smtp.to("billing@client.example")] == [f"[#{money}] We have your request: Charged twice"]
    assert [m["Subject"] for m in smtp.to("help@client.example")] == [f"[#{server}] We have your request: Disk full"]
    assert [m["Subject"] for m in smtp.to("plain@client.example")] == [f"[#{other}] We have your request: Invoice copy"]


def test_the_on_call_person_is_paged_at_their_address_and_a_closure_says_how_to_reopen(cli, smtp):
    with api(cli) as do:
        desk = do.at("2026-11-16T09:00")
        for login in ("ayse", "burak", "cem"):
            desk.add_agent(login)
        desk.add_agent("deniz", email="905551234567@sms.example")  # an e-mail-to-SMS gateway
        desk.add_customer("ada@example.com", language="en")
        ticket = do.file(priority="critical", now="2026-11-21T02:00")  # Saturday night: out of hours
    cli.ok("close", str(ticket), "--reason", "no-response", now="2026-11-21T03:00")
    cli.ok("outbox", "send", now="2026-11-21T03:01")
    [page] = smtp.to("905551234567@sms.example")  # in the desk's language (its first: tr)
    assert page["Subject"] == f"[#{ticket}] Mesai dışı critical talep: Site down"
    assert "ilk yanıt için son an 21 Kasım 2026 Cumartesi 03:00 (+03)" in body(page) and page["In-Reply-To"] is None
    acknowledgement, closed = smtp.to("ada@example.com")
    assert closed["Subject"] == f"[#{ticket}] Closed: Site down"
    text = body(closed)
    assert "closed because we did not hear back from you" in text
    assert "Reply within 30 days to reopen it" in text and closed["In-Reply-To"] == acknowledgement["Message-ID"]


def test_a_page_to_someone_without_an_address_fails_and_says_why(cli, smtp):
    with api(cli) as do:
        do.agents("ayse", "burak", "cem", "deniz")
        ticket = do.file(priority="critical", now="2026-11-21T02:00")
    result = cli("outbox", "send", now="2026-11-21T02:01")
    assert result.exit_code == 5, result.output
    [page] = [r for r in outbox_rows(cli) if r["kind"] == "page"]
    assert page["last_error"].startswith("agent deniz has no e-mail address to send to") and page["ticket_id"] == ticket
    assert page["attempts"] == 1 and page["next_attempt_at"] == "2026-11-20T23:02:00Z"  # a permanent failure: 3 attempts
    assert [m["X-Supportdesk-Ticket"] for m in smtp.to("ada@example.com")] == [str(ticket)]  # the rest went out


def test_a_closure_without_an_answer_is_explained_in_persian_with_no_reopening(tmp_path, smtp):
    path = tmp_path / "sitecom.db"
    new_desk(path, EXAMPLES / "sitecom.toml", now="2026-11-16T09:00")
    cli = Cli(path)
    cli.ok("customer", "add", "ali@example.ir", "--verified", now="2026-11-20T09:00")
    filed = cli.json("file", "-s", "سرور کار نمی‌کند", "-b", "سرور من از امروز صبح کار نمی‌کند", "-c", "ali@example.ir", now="2026-11-20T09:05")
    assert filed["status"] == "closed"  # the department's required information is missing
    cli.ok("outbox", "send", now="2026-11-20T09:06")
    acknowledgement, closed = smtp.to("ali@example.ir")
    assert closed["Subject"] == f"[#{filed['id']}] درخواست شما بسته شد: سرور کار نمی‌کند" and closed["Content-Language"] == "fa"
    text = body(closed)
    assert "دلیل: اطلاعات لازم را ندارد" in text and "درخواست‌های بسته بازگشایی نمی‌شوند" in text  # reopen within 0 days: never


def test_a_refused_end_customer_and_its_reseller_are_told_each_in_their_language_or_the_desks(tmp_path, smtp):
    path = tmp_path / "kristalium.db"
    new_desk(path, EXAMPLES / "kristalium.toml", now="2026-11-16T09:00")
    cli = Cli(path)
    cli.ok("reseller", "add", "ops@acme.example", "--name", "Acme Hosting", now="2026-11-20T09:00")
    cli.ok("customer", "add", "ali@example.ir", "--reseller", "Acme Hosting", "--language", "fa", now="2026-11-20T09:00")
    cli("file", "-s", "Site down", "-b", "It returns 503", "-c", "ali@example.ir", now="2026-11-20T09:05")
    cli.ok("outbox", "send", now="2026-11-20T09:06")
    [refusal] = smtp.to("ali@example.ir")
    assert refusal["Subject"] == "درخواست شما پذیرفته نشد: Site down" and refusal["Content-Language"] == "fa"
    assert "«Site down»" in body(refusal) and "Acme Hosting, who gives you support" in body(refusal)
    [told] = smtp.to("ops@acme.example")
    assert told["Subject"] == "Müşteriniz ali@example.ir bize doğrudan ulaştı" and "Site down" in body(told)


# ---- when the server says no -----------------------------------------------------------------


def test_a_recipient_refused_for_now_is_tried_again_with_backoff_and_sent_once(three_languages, smtp):
    cli, ids = three_languages
    smtp.answers["ada@example.com"] = ["451 4.7.1 Try again later", "250 OK"]
    result = cli(*["outbox", "send"], now="2026-11-20T10:01")
    assert result.exit_code == 5, result.output
    assert "failed notice" in result.stdout and "451 4.7.1 Try again later; tried again" in result.stdout
    assert result.stderr.strip() == "sent 2 notice(s); 1 failed"
    [row] = [r for r in outbox_rows(cli) if r["ticket_id"] == ids["ada@example.com"]]
    assert (row["sent_at"], row["attempts"], row["next_attempt_at"], row["failed_at"]) == (None, 1, "2026-11-20T07:02:00Z", None)
    assert row["last_error"] == "451 4.7.1 Try again later" and row["message_id"]
    assert cli.ok("outbox", "send", now="2026-11-20T10:01:30").stderr.strip() == "nothing to send"  # not due yet
    cli.ok("outbox", "send", now="2026-11-20T10:02")
    [again] = [r for r in outbox_rows(cli) if r["ticket_id"] == ids["ada@example.com"]]
    assert (again["sent_at"], again["attempts"], again["last_error"], again["message_id"]) == ("2026-11-20T07:02:00Z", 2, None, row["message_id"])
    [message] = smtp.to("ada@example.com")
    assert message["Message-ID"] == row["message_id"]  # the same id on every attempt


def test_a_permanent_refusal_is_given_up_on_after_three_attempts_and_the_notice_kept(three_languages, smtp):
    cli, ids = three_languages
    smtp.answers["ada@example.com"] = ["550 5.1.1 No such user"]
    for now, attempts in (("2026-11-20T10:01", 1), ("2026-11-20T10:02", 2), ("2026-11-20T10:04", 3)):
        assert cli("outbox", "send", now=now).exit_code == 5
        [row] = [r for r in outbox_rows(cli) if r["ticket_id"] == ids["ada@example.com"]]
        assert row["attempts"] == attempts and row["last_error"] == "550 5.1.1 No such user"
    assert (row["failed_at"], row["next_attempt_at"], row["sent_at"]) == ("2026-11-20T07:04:00Z", None, None)
    assert cli.ok("outbox", "send", now="2026-11-21T10:00").stderr.strip() == "nothing to send"
    listed = cli.ok("outbox", now="2026-11-21T10:00").stdout
    assert "failed after 3 attempt(s): 550 5.1.1 No such user" in listed
    assert smtp.to("ada@example.com") == [] and len(smtp.received) == 2


def test_backoff_doubles_from_a_minute_to_at_most_six_hours_and_gives_up_in_the_end():
    from datetime import timedelta

    from supportdesk.desk.delivery import (
        PERMANENT_ATTEMPTS,
        TRANSIENT_ATTEMPTS,
        gives_up,
        retry_delay,
    )

    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert retry_delay(9) == timedelta(minutes=256) and retry_delay(10) == retry_delay(50) == timedelta(hours=6)
    assert not gives_up(TRANSIENT_ATTEMPTS - 1, False) and gives_up(TRANSIENT_ATTEMPTS, False)
    assert not gives_up(PERMANENT_ATTEMPTS - 1, True) and gives_up(PERMANENT_ATTEMPTS, True)


def test_a_server_that_cannot_be_reached_leaves_every_notice_as_it_was(three_languages, monkeypatch):
    cli, _ = three_languages
    port = free_port()  # nothing listens there
    for name, value in (("HOST", "127.0.0.1"), ("PORT", str(port)), ("SECURITY", "none"), ("FROM", "help@hosting.example")):
        monkeypatch.setenv(f"SUPPORTDESK_SMTP_{name}", value)
    line = cli.refused(4, f"cannot reach the SMTP server 127.0.0.1:{port}", "outbox", "send", now="2026-11-20T10:01")
    assert "check [smtp] host, port and security" in line
    assert all(r["attempts"] == 0 and r["sent_at"] is None for r in outbox_rows(cli))


def test_missing_or_broken_settings_are_one_line_each(three_languages, monkeypatch, tmp_path):
    cli, _ = three_languages
    settings = tmp_path / "config.toml"
    monkeypatch.setenv("SUPPORTDESK_CONFIG", str(settings))
    cli.refused(2, f"no SMTP server is set; give [smtp] host = \"mail.example.com\" in {settings}", "outbox", "send", now="2026-11-20T10:01")
    settings.write_text('[smtp]\nhost = "mail.example.com"\nsecurity = "ssl"\n', encoding="utf-8")
    cli.refused(2, f"smtp.security in {settings}: 'ssl' is not one of starttls, tls, none", "outbox", "send", now="2026-11-20T10:01")
    settings.write_text('[smtp]\nhost = "mail.example.com"\nuser = "desk"\n', encoding="utf-8")
    cli.refused(2, "SMTP login needs both user and password", "outbox", "send", now="2026-11-20T10:01")
    settings.write_text('[smtp]\nhost = "mail.example.com"\nfrom = "not an address"\n', encoding="utf-8")
    cli.refused(2, f"smtp.from in {settings}:", "outbox", "send", now="2026-11-20T10:01")
    settings.write_text('[smtp]\nhots = "mail.example.com"\n', encoding="utf-8")
    cli.refused(2, f"{settings}: smtp.hots is not a setting", "outbox", "send", now="2026-11-20T10:01")


def test_the_settings_file_logs_in_and_a_readable_password_is_warned_of(three_languages, monkeypatch, tmp_path):
    from aiosmtpd.smtp import AuthResult

    cli, _ = three_languages
    logins = []

    def authenticator(server, session, envelope, mechanism, data):
        logins.append((bytes(data.login), bytes(data.password)))
        return AuthResult(success=bytes(data.password) == b"s3cret", handled=False)

    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False, auth_exclude_mechanism=["LOGIN"])
    controller.start()
    try:
        for name in ("HOST", "PORT", "SECURITY", "FROM", "USER", "PASSWORD"):
            monkeypatch.delenv(f"SUPPORTDESK_SMTP_{name}", raising=False)
        settings = tmp_path / "config.toml"
        monkeypatch.setenv("SUPPORTDESK_CONFIG", str(settings))
        text = f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nuser = "desk"\npassword = "wrong"\nfrom = "help@hosting.example"\n'
        settings.write_text(text, encoding="utf-8")
        settings.chmod(0o600)
        line = cli.refused(4, "refused the login of desk: 535", "outbox", "send", now="2026-11-20T10:01")
        assert "check smtp.user and smtp.password" in line
        settings.write_text(text.replace("wrong", "s3cret"), encoding="utf-8")
        settings.chmod(0o644)
        result = cli.ok("outbox", "send", now="2026-11-20T10:01")
        assert f"warning: the settings file {settings} holds the SMTP password and others may read it; chmod 600" in result.stderr
        assert len(mailbox.received) == 3 and logins[-1] == (b"desk", b"s3cret")
    finally:
        controller.stop()


def test_a_notice_queued_by_an_older_supportdesk_goes_out_as_its_english_record(three_languages, smtp):
    cli, ids = three_languages
    conn = sqlite3.connect(cli.path)
    conn.execute("UPDATE outbox SET fields = NULL WHERE ticket_id = ?", [ids["ayse@example.com"]])  # no values kept
    conn.commit()
    conn.close()
    cli.ok("outbox", "send", now="2026-11-20T10:01")
    [message] = smtp.to("ayse@example.com")
    ticket = ids["ayse@example.com"]
    assert message["Subject"] == f"[#{ticket}] received: Site down (ayse@example.com)" and message["Content-Language"] == "en"
    assert body(message).startswith(f"We have your ticket #{ticket} (normal). Expect a first answer by Fri 20 Nov 2026 14:00 +03.")


def test_notices_withdrawn_by_an_undo_are_never_sent(three_languages, smtp):
    cli, ids = three_languages
    closed = cli.json("close", str(ids["ada@example.com"]), str(ids["ayse@example.com"]), "--reason", "no-response", now="2026-11-20T10:00")
    cli.ok("undo", closed["operation"], now="2026-11-20T10:00")
    cli.ok("outbox", "send", now="2026-11-20T10:01")
    assert sorted(r["kind"] for r in outbox_rows(cli) if r["sent_at"]) == ["filed"] * 3
    assert [m["Subject"].split("] ")[1].split(":")[0] for m in smtp.to("ada@example.com")] == ["We have your request"]


# ---- senders at once, and looking first ------------------------------------------------------


def test_two_senders_at_once_send_each_notice_once(cli, smtp):
    from supportdesk import Desk
    from supportdesk.mail.send import SmtpTransport, smtp_settings

    with api(cli) as do:
        for n in range(16):
            do.file(customer=f"c{n}@example.com", subject=f"Question {n}", field="domain=example.com")
    smtp.delay = 0.01  # both senders are busy at the same time
    settings = smtp_settings()
    outcomes, errors = [], []

    def run() -> None:
        try:
            with Desk.connect(cli.path, login="tester", now=instant("2026-11-20T10:01")) as desk:
                outcomes.append(desk.send_notices(SmtpTransport(settings), sender=settings.sender))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    senders = [threading.Thread(target=run) for _ in range(2)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join()
    assert not errors, errors
    sent = [item["id"] for outcome in outcomes for item in outcome.sent]
    assert sorted(sent) == list(range(1, 17)) and all(not o.failed for o in outcomes)
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == sorted(f"c{n}@example.com" for n in range(16))
    assert all(r["attempts"] == 1 and r["sent_at"] for r in outbox_rows(cli))


def test_dry_run_shows_what_would_be_sent_and_changes_nothing(three_languages, smtp):
    cli, ids = three_languages
    before = cli.dump()
    result = cli.ok("outbox", "send", "--dry-run", now="2026-11-20T10:01")
    ticket = ids["ayse@example.com"]
    assert f"notice {ticket} (#{ticket} filed, tr) to ayse@example.com: [#{ticket}] Talebinizi aldık: Site down (ayse@example.com)" in result.stdout
    assert "    Merhaba Ayşe," in result.stdout
    assert result.stderr.strip() == "would send 3 notice(s); nothing was sent or changed (--dry-run)"
    data = cli.json("outbox", "send", "--dry-run", "--limit", "1", now="2026-11-20T10:01")
    assert data["dry_run"] is True and [n["to"] for n in data["would_send"]] == ["ayse@example.com"]
    assert set(data["would_send"][0]) == {"id", "ticket_id", "kind", "to", "subject", "language", "lines", "attachments"}
    assert cli.dump() == before and smtp.received == []


def test_the_json_of_a_send_names_each_notice_and_what_became_of_it(three_languages, smtp):
    cli, ids = three_languages
    smtp.answers["ali@example.ir"] = ["452 4.2.2 Mailbox full"]
    first = cli.json("outbox", "send", "--limit", "1", now="2026-11-20T10:01")
    assert [n["to"] for n in first["sent"]] == ["ayse@example.com"] and first["failed"] == [] and first["unreachable"] is None
    result = cli("outbox", "send", "--json", now="2026-11-20T10:01")
    assert result.exit_code == 5, result.output
    data = json.loads(result.stdout)
    [sent] = data["sent"]
    assert (sent["to"], sent["kind"], sent["ticket_id"], sent["language"]) == ("ada@example.com", "filed", ids["ada@example.com"], "en")
    assert sent["message_id"].startswith(f"<notice-{sent['id']}.") and sent["attempts"] == 1
    [failed] = data["failed"]
    assert (failed["to"], failed["error"], failed["permanent"], failed["attempts"]) == ("ali@example.ir", "452 4.2.2 Mailbox full", False, 1)
    assert (failed["next_attempt_at"], failed["failed_at"]) == ("2026-11-20T07:02:00Z", None)


def test_a_bad_limit_is_refused_alone_before_the_settings_are_read(three_languages, monkeypatch, tmp_path):
    cli, _ = three_languages
    settings = tmp_path / "config.toml"
    settings.write_text('[smtp]\nhost = "mail.example.com"\nuser = "desk"\npassword = "s3cret"\nfrom = "help@hosting.example"\n', encoding="utf-8")
    settings.chmod(0o644)  # a warning about it came first: two lines for one refusal
    monkeypatch.setenv("SUPPORTDESK_CONFIG", str(settings))
    for limit in ("0", "-1"):
        cli.refused(2, f"--limit must be 1 or more, not {limit}", "outbox", "send", "--limit", limit, now="2026-11-20T10:01")


def test_a_server_that_does_not_speak_smtp_is_named_as_such(three_languages, monkeypatch):
    import threading

    cli, _ = three_languages
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def web_server() -> None:
        connection, _ = listener.accept()
        connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        connection.close()

    thread = threading.Thread(target=web_server, daemon=True)
    thread.start()
    for name, value in (("HOST", "127.0.0.1"), ("PORT", str(port)), ("SECURITY", "none"), ("FROM", "help@hosting.example")):
        monkeypatch.setenv(f"SUPPORTDESK_SMTP_{name}", value)
    try:
        line = cli.refused(4, f"127.0.0.1:{port} does not answer as an SMTP server (is the port right?)", "outbox", "send", now="2026-11-20T10:01")
    finally:
        listener.close()
        thread.join(5)
    assert "-1" not in line  # smtplib's code for "no SMTP reply" was shown as the server's
    assert all(r["attempts"] == 0 and r["sent_at"] is None for r in outbox_rows(cli))


def test_a_notice_that_cannot_be_made_is_a_recorded_failure_and_the_others_go_out(three_languages, smtp, monkeypatch):
    # A policy template can pass `policy check` and still fail on a notice's values
    # (`{{ of + 0 }}` with no `of`): that notice fails alone, recorded; nothing crashes.
    from supportdesk.desk import delivery

    cli, ids = three_languages
    made = delivery.Delivery._outgoing

    def broken(self, row):
        if row["ticket_id"] == ids["ada@example.com"]:
            raise TypeError("unsupported operand type(s) for +: 'NoneType' and 'int'")
        return made(self, row)

    monkeypatch.setattr(delivery.Delivery, "_outgoing", broken)
    preview = cli.json("outbox", "send", "--dry-run", now="2026-11-20T10:01")
    [bad] = [n for n in preview["would_send"] if n["ticket_id"] == ids["ada@example.com"]]
    assert bad["to"] is None and "TypeError" in bad["error"] and len(preview["would_send"]) == 3
    result = cli("outbox", "send", now="2026-11-20T10:01")
    assert result.exit_code == 5 and "Traceback" not in result.output, result.output
    [row] = [r for r in outbox_rows(cli) if r["ticket_id"] == ids["ada@example.com"]]
    assert row["sent_at"] is None and row["last_error"].startswith("cannot make the message: TypeError")
    assert smtp.to("ayse@example.com") and smtp.to("ada@example.com") == []
