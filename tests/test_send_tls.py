"""`outbox send` over STARTTLS and implicit TLS: the server's certificate is verified
(an untrusted one stops the run, exit 4, nothing changed), and a trusted one carries the
mail. The certificate is made for the test with the openssl command."""

from __future__ import annotations

import shutil
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from conftest import api
from test_send import Mailbox, free_port, outbox_rows

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and its key."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def server(certificate, implicit: bool):
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    mailbox, port = Mailbox(), free_port()
    options = {"ssl_context": context} if implicit else {"tls_context": context, "require_starttls": True}
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return controller, mailbox, port


@pytest.mark.parametrize(("security", "implicit"), [("starttls", False), ("tls", True)])
def test_mail_goes_over_tls_only_to_a_server_whose_certificate_is_trusted(cli, certificate, monkeypatch, security, implicit):
    with api(cli) as do:
        do.file()
    controller, mailbox, port = server(certificate, implicit)
    try:
        for name, value in (("HOST", "127.0.0.1"), ("PORT", str(port)), ("SECURITY", security), ("FROM", "help@hosting.example")):
            monkeypatch.setenv(f"SUPPORTDESK_SMTP_{name}", value)
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0].with_name("nothing.pem")))  # trust nothing
        line = cli.refused(4, f"no secure connection to the SMTP server 127.0.0.1:{port}", "outbox", "send", now="2026-11-20T10:01")
        assert "CERTIFICATE_VERIFY_FAILED" in line
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test's certificate
        cli.ok("outbox", "send", now="2026-11-20T10:02")
        [received] = mailbox.received
        assert received.rcpt_tos == ("ada@example.com",) and received.message["Subject"].startswith("[#1] ")
        assert outbox_rows(cli)[0]["sent_at"] == "2026-11-20T07:02:00Z"
    finally:
        controller.stop()
