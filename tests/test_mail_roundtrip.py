"""The round trip: a notice goes out over SMTP (`outbox send`), the customer's mail
client answers it, and `ingest -` files the answer on the right ticket, by its
In-Reply-To or its `[#ID]`; the desk's own mail coming back is never taken in; and the
desk's next notice continues the customer's thread."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from conftest import api
from test_send import body, smtp  # noqa: F401 - the SMTP server fixture


def answer(to: EmailMessage, text: str, *, subject: str | None = None, threaded: bool = True, message_id: str) -> bytes:
    """What a mail client sends when its user answers `to`: quoted history included."""
    reply = EmailMessage()
    reply["From"] = "Ada Lovelace <ada@example.com>"
    reply["To"] = to["From"]
    reply["Subject"] = subject if subject is not None else f"Re: {to['Subject']}"
    reply["Date"] = "Fri, 20 Nov 2026 08:30:00 +0000"
    reply["Message-ID"] = message_id
    if threaded:
        reply["In-Reply-To"] = to["Message-ID"]
        reply["References"] = " ".join(filter(None, (to["References"], to["Message-ID"])))
    quoted = "\n".join(f"> {line}" for line in body(to).splitlines())
    reply.set_content(f"{text}\n\nOn Fri, 20 Nov 2026, Hosting Destek wrote:\n{quoted}\n")
    return bytes(reply)


@pytest.fixture
def two_tickets(cli):
    with api(cli) as do:
        do.at("2026-11-20T09:00").add_customer("ada@example.com", name="Ada", language="en")
        first = do.file(subject="Site down", field="domain=ada.example")
        second = do.file(subject="Mail bounces", field="domain=ada.example")
    return cli, first, second


def test_a_customers_answer_to_a_sent_notice_lands_on_its_ticket(two_tickets, smtp):  # noqa: F811
    cli, first, second = two_tickets
    cli.ok("outbox", "send", now="2026-11-20T10:01")
    acks = {int(m["X-Supportdesk-Ticket"]): m for m in smtp.to("ada@example.com")}
    # The client dropped the [#ID] from the subject: the In-Reply-To still finds the ticket.
    mail = answer(acks[second], "The bounces stopped, thanks.", subject="Re: your request", message_id="<r1@mail.example.com>")
    result = cli.ok("ingest", "-", input=mail, now="2026-11-20T11:00")
    assert "replies 1" in result.stderr
    shown = cli.json("show", str(second), now="2026-11-20T11:00")
    assert [(m["author"], m["body"]) for m in shown["messages"]] == [("customer:ada@example.com", "The bounces stopped, thanks.")]
    assert cli.json("show", str(first), now="2026-11-20T11:00")["messages"] == []
    # No thread headers at all (a new message typed by hand): the [#ID] in the subject.
    by_subject = answer(acks[first], "Still down here.", subject=f"[#{first}] still down", threaded=False, message_id="<r2@mail.example.com>")
    cli.ok("ingest", "-", input=by_subject, now="2026-11-20T11:05")
    assert [m["body"] for m in cli.json("show", str(first), now="2026-11-20T11:05")["messages"]] == ["Still down here."]
    # The desk's own notice coming back (a forwarding loop) is not taken in.
    looped = cli.ok("ingest", "-", input=bytes(acks[first]), now="2026-11-20T11:06")
    assert "ignored 1" in looped.stderr
    assert len(cli.json("list", now="2026-11-20T11:06")) == 2


def test_the_desks_next_notice_continues_the_customers_thread(two_tickets, smtp):  # noqa: F811
    cli, first, _ = two_tickets
    cli.ok("outbox", "send", now="2026-11-20T10:01")
    [ack] = [m for m in smtp.to("ada@example.com") if m["X-Supportdesk-Ticket"] == str(first)]
    cli.ok("ingest", "-", input=answer(ack, "Any news?", message_id="<r3@mail.example.com>"), now="2026-11-20T11:00")
    cli.ok("reply", str(first), "-m", "Fixed: the web server is back.", now="2026-11-20T11:10")
    cli.ok("outbox", "send", now="2026-11-20T11:11")
    reply = smtp.to("ada@example.com")[-1]
    assert reply["Subject"] == f"[#{first}] New reply: Site down"
    assert reply["In-Reply-To"] == "<r3@mail.example.com>"  # the customer's latest message
    assert reply["References"].split() == [ack["Message-ID"], "<r3@mail.example.com>"]
    assert "Fixed: the web server is back." in body(reply)
