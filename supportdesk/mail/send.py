"""Delivery over SMTP: where the server is (the user's settings or the environment,
never the policy or the desk), and a transport that hands it one message at a time.

Settings: the `[smtp]` table of the user settings file (SUPPORTDESK_CONFIG, else
config.toml in the user config directory), each overridden by its environment variable:

    host      SUPPORTDESK_SMTP_HOST       the server (required)
    port      SUPPORTDESK_SMTP_PORT       default 587 (starttls), 465 (tls), 25 (none)
    security  SUPPORTDESK_SMTP_SECURITY   starttls (default), tls (implicit TLS) or none
    user      SUPPORTDESK_SMTP_USER       login, with password (both or neither)
    password  SUPPORTDESK_SMTP_PASSWORD
    from      SUPPORTDESK_SMTP_FROM       the desk's address: "Support <help@example.com>" (required)
    timeout   SUPPORTDESK_SMTP_TIMEOUT    seconds to wait for the server, default 30

smtplib and ssl are imported only when a message is really sent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from supportdesk.errors import DeskUnavailable, InvalidInput
from supportdesk.frozen import Record, record

SECURITIES = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
KEYS = ("host", "port", "security", "user", "password", "from", "timeout")
ENV_PREFIX = "SUPPORTDESK_SMTP_"


class MailServerUnavailable(DeskUnavailable):
    """The SMTP server cannot be reached or used at all (exit 4): nothing can be sent."""


class SendFailed(Exception):
    """The server did not take one message: its reply code (None: no reply, e.g. the
    connection dropped) and text. A 5xx code is permanent; anything else may pass later."""

    def __init__(self, code: int | None, text: str, *, lost: bool = False):
        super().__init__(text)
        self.code = code
        self.text = text
        self.lost = lost  # the connection is gone; the next message needs a new one

    @property
    def permanent(self) -> bool:
        """The server said this will never work (a 5xx reply)."""
        return self.code is not None and 500 <= self.code < 600

    def __str__(self) -> str:
        return f"{self.code} {self.text}" if self.code is not None else self.text


@record
class SmtpSettings(Record):
    """How to reach the SMTP server, and the desk's sender address."""

    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    sender: str  # the From header: "Support <help@example.com>"
    address: str  # its address alone: the envelope sender
    timeout: float = 30.0
    source: str = ""  # where the settings came from, for messages
    warning: str = ""  # e.g. a password in a settings file others can read

    @property
    def domain(self) -> str:
        """The domain of the desk's address (Message-IDs are made under it)."""
        return self.address.rpartition("@")[2]


def smtp_settings(environ: Mapping[str, str] | None = None) -> SmtpSettings:
    """The SMTP settings from the settings file's `[smtp]` table and the environment (which
    wins); InvalidInput naming the file, the key and the variable when one is wrong."""
    from supportdesk.config import user_config_path, user_table

    environ = os.environ if environ is None else environ
    path = user_config_path()
    table = user_table("smtp", 'host = "mail.example.com"')
    for name in table:
        if name not in KEYS:
            raise InvalidInput(f"{path}: smtp.{name} is not a setting; [smtp] takes {', '.join(KEYS)}")
    values: dict[str, Any] = dict(table)
    for name in KEYS:
        env = environ.get(ENV_PREFIX + name.upper())
        if env:
            values[name] = env

    def where(name: str) -> str:
        return f"{ENV_PREFIX}{name.upper()}" if environ.get(ENV_PREFIX + name.upper()) else f"smtp.{name} in {path}"

    def text(name: str) -> str | None:
        value = values.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip() or any(c in value for c in "\r\n\x00"):
            raise InvalidInput(f"{where(name)} must be one line of text")
        return value.strip()

    host = text("host")
    if not host:
        raise InvalidInput(f"no SMTP server is set; give [smtp] host = \"mail.example.com\" in {path} or set {ENV_PREFIX}HOST")
    security = (text("security") or "starttls").lower()
    if security not in SECURITIES:
        raise InvalidInput(f"{where('security')}: {security!r} is not one of {', '.join(SECURITIES)}")
    port = values.get("port", DEFAULT_PORTS[security])
    try:
        port = int(port) if not isinstance(port, bool) else -1
    except (TypeError, ValueError):
        port = -1
    if not 1 <= port <= 65535:
        raise InvalidInput(f"{where('port')} must be a port number from 1 to 65535, e.g. {DEFAULT_PORTS[security]}")
    timeout = values.get("timeout", 30)
    try:
        timeout = float(timeout) if not isinstance(timeout, bool) else -1.0
    except (TypeError, ValueError):
        timeout = -1.0
    if not 0 < timeout <= 600:
        raise InvalidInput(f"{where('timeout')} must be seconds from 1 to 600, e.g. 30")
    user = text("user")
    password = values.get("password")
    if password is not None and (not isinstance(password, str) or not password):
        raise InvalidInput(f"{where('password')} must be text")
    if (user is None) != (password is None):
        missing = "password" if user is not None else "user"
        raise InvalidInput(f"SMTP login needs both user and password; set smtp.{missing} in {path} or {ENV_PREFIX}{missing.upper()}")
    sender, address = _sender(text("from"), where("from"), path)
    warning = ""
    if "password" in table and not environ.get(ENV_PREFIX + "PASSWORD"):
        try:
            if path.stat().st_mode & 0o077:
                warning = f"the settings file {path} holds the SMTP password and others may read it; chmod 600 {path}"
        except OSError:
            pass
    return SmtpSettings(host, port, security, user, password, sender, address, timeout, str(path), warning)


def _sender(value: str | None, where: str, path: Any) -> tuple[str, str]:
    """The From header and its address, checked."""
    from email.headerregistry import Address
    from email.utils import formataddr, parseaddr

    from supportdesk.query import check_email

    if not value:
        raise InvalidInput(f"the desk's sender address is not set; give [smtp] from = \"Support <help@example.com>\" in {path} or set {ENV_PREFIX}FROM")
    name, raw = parseaddr(value)
    try:
        address = check_email(raw)
    except InvalidInput as error:
        raise InvalidInput(f"{where}: {error}") from None
    Address(addr_spec=address)  # the email package takes it
    return (formataddr((name, address)) if name else address), address


class SmtpTransport:
    """One connection to the SMTP server, opened on first use and again after it drops."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.client: Any = None

    @property
    def server(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def open(self) -> None:
        """Connect (TLS as set) and log in; MailServerUnavailable saying why when it cannot."""
        import smtplib
        import socket
        import ssl

        s = self.settings
        how = f"check [smtp] host, port and security in {s.source} (or SUPPORTDESK_SMTP_*)"
        client = None
        try:
            if s.security == "tls":
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    client.ehlo()
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
            if s.user is not None:
                client.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as error:
            _quit(client)
            raise MailServerUnavailable(f"the SMTP server {self.server} refused the login of {s.user}: {_reply(error)}; check smtp.user and smtp.password") from None
        except smtplib.SMTPNotSupportedError as error:
            _quit(client)
            raise MailServerUnavailable(f"the SMTP server {self.server} does not offer {'STARTTLS' if s.security == 'starttls' else 'login'} ({error}); {how}") from None
        except smtplib.SMTPResponseException as error:
            _quit(client)
            if error.smtp_code == -1:  # smtplib's code for a reply that is not SMTP (a web server, say)
                raise MailServerUnavailable(f"{self.server} does not answer as an SMTP server (is the port right?); {how}") from None
            raise MailServerUnavailable(f"the SMTP server {self.server} refused the connection: {_reply(error)}; {how}") from None
        except (ssl.SSLError, ssl.CertificateError) as error:
            _quit(client)
            raise MailServerUnavailable(f"no secure connection to the SMTP server {self.server}: {getattr(error, 'reason', None) or error}; {how}") from None
        except (OSError, socket.timeout, smtplib.SMTPException) as error:
            _quit(client)
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            raise MailServerUnavailable(f"cannot reach the SMTP server {self.server}: {reason}; {how}") from None
        self.client = client

    def send(self, message: Any, sender: str, recipient: str) -> None:
        """Hand one message to the server for `recipient`; SendFailed with the server's
        reply when it does not take it (MailServerUnavailable when it cannot be reached again)."""
        import smtplib

        if self.client is None:
            self.open()
        try:
            self.client.send_message(message, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()), (None, b"refused"))
            raise SendFailed(code, _text(text)) from None
        except smtplib.SMTPResponseException as error:  # sender refused, data refused…
            raise SendFailed(error.smtp_code, _text(error.smtp_error)) from None
        except smtplib.SMTPNotSupportedError as error:
            raise SendFailed(553, f"the server cannot take this address or message ({error})") from None
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            _quit(self.client)
            self.client = None
            raise SendFailed(None, f"the connection to {self.server} was lost ({getattr(error, 'strerror', None) or error or type(error).__name__})", lost=True) from None

    def close(self) -> None:
        """Say goodbye to the server, if connected."""
        _quit(self.client)
        self.client = None


def _quit(client: Any) -> None:
    if client is None:
        return
    try:
        client.quit()
    except Exception:  # noqa: BLE001 - closing a connection that failed: nothing to report
        try:
            client.close()
        except Exception:  # noqa: BLE001
            pass


def _text(value: Any) -> str:
    """A server's reply text as one line."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())[:500]


def _reply(error: Any) -> str:
    return f"{error.smtp_code} {_text(error.smtp_error)}"
