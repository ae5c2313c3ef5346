"""The CLI's remote mode against small fake servers: what it sends (the token in the
Authorization header only), how a server's refusal comes back (the same `error:` line and
exit code), and every way of not reaching a supportdesk — connection refused, no such
host, a timeout, TLS, a plain web server — as one `error:` line naming the URL, exit 4.

The same commands against a real `supportdesk serve` are in test_remote.py.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from supportdesk.cli import app

TOKEN = "sdk_S3cretT0kenThatMustNeverBeShown"
ABOUT = {
    "supportdesk": "0.12.0",
    "api": 1,
    "name": "Kristalium",
    "zone": "Europe/Istanbul",
    "now": "2026-11-23T07:00:00Z",
    "actor": {"kind": "reseller", "name": "ops@acme.example"},
}
STATUS = {
    "actor": "reseller:ops@acme.example",
    "counts": {"new": 1},
    "tickets": [
        {
            "id": 1, "subject": "Shop returns 503", "status": "new", "priority": "normal", "customer": "shop@one.example",
            "created_at": "2026-11-23T07:00:00Z", "next_due": "2026-11-23T09:00:00Z", "last_reply": None,
        }
    ],
    "finished_shown": False,
}


class Fake:
    """An HTTP server on 127.0.0.1 answering (method, path) as told, recording requests."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        self.routes: dict[tuple[str, str], tuple[int, dict[str, str], bytes, float]] = {}
        self.requests: list[dict[str, Any]] = []
        self.answer("GET", "/v1/desk", ABOUT)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
                route = fake.routes.get((self.command, self.path.split("?")[0]))
                status, headers, payload, delay = route or (404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>", 0.0)
                time.sleep(delay)
                self.send_response(status)
                for name, value in {"Content-Length": str(len(payload)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # a client that gave up waiting
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, method: str, path: str, data: Any = None, status: int = 200, *, raw: bytes | None = None,
               content_type: str = "application/json", headers: dict[str, str] | None = None, delay: float = 0.0) -> None:
        payload = raw if raw is not None else json.dumps(data).encode()
        self.routes[(method, path)] = (status, {"Content-Type": content_type, **(headers or {})}, payload, delay)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[Fake]:
    server = Fake()
    yield server
    server.stop()


def remote(url: str, *args: str, token: str = TOKEN, **env: str):
    """Run the CLI in remote mode (in this process: the clock is frozen, and a remote
    command does not read it anyway)."""
    return CliRunner().invoke(app, list(args), env={"SUPPORTDESK_URL": url, "SUPPORTDESK_TOKEN": token, **env})


def refused(result, code: int, fragment: str) -> str:
    """A refusal: the exit code, one `error:` line holding `fragment`, never the token."""
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert fragment in lines[0], lines[0]
    assert TOKEN not in result.output and "Traceback" not in result.output
    return lines[0]


@pytest.fixture(autouse=True)
def still(frozen_clock):
    """Remote commands act at the server's time; the local clock is kept still anyway."""


# ---- what is sent, and what comes back ---------------------------------------------------


def test_status_asks_the_server_with_the_token_in_the_header_only(fake):
    fake.answer("GET", "/v1/status", STATUS)
    result = remote(fake.url, "status", "1", "--all")
    assert result.exit_code == 0, result.output
    assert "Shop returns 503" in result.stdout
    assert "Mon 23 Nov 12:00 +03" in result.stdout  # next_due, in the desk's zone from /v1/desk
    paths = [(r["method"], r["path"]) for r in fake.requests]
    assert paths == [("GET", "/v1/desk"), ("GET", "/v1/status?ticket=1&all=true")]
    for request in fake.requests:
        assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
        assert TOKEN not in request["path"]
    assert json.loads(remote(fake.url, "status", "--json").stdout) == STATUS


def test_a_base_path_in_the_url_is_kept(fake):
    fake.answer("GET", "/desk/v1/desk", ABOUT)
    fake.answer("GET", "/desk/v1/tickets", [], headers={"X-Total-Count": "0"})
    result = remote(fake.url + "/desk/", "list", "--status", "new", "--limit", "5")
    assert result.exit_code == 0, result.output
    assert result.stderr == "no tickets match\n"
    assert fake.requests[-1]["path"] == "/desk/v1/tickets?status=new&sort=newest&limit=5"


def test_file_and_reply_send_the_options_as_json(fake):
    ticket = {"id": 7, "status": "new", "priority": "normal", "department": "technical", "customer": "shop@one.example",
              "assignee": None, "intake": {"messages": ["Thanks"], "flags": [], "reminder": None}}
    fake.answer("POST", "/v1/tickets", ticket, 201)
    fake.answer("POST", "/v1/tickets/7/replies", ticket)
    result = remote(fake.url, "file", "-s", "Shop down", "-b", "503 since 9", "-c", "shop@one.example", "-f", "domain=one.example", "--ref", "3")
    assert result.exit_code == 0, result.output
    assert result.stdout == "7\n"
    assert result.stderr == "filed #7 for shop@one.example (normal, technical)\nnote: Thanks\n"
    sent = json.loads(fake.requests[-1]["body"])
    assert sent == {"subject": "Shop down", "body": "503 since 9", "customer": "shop@one.example", "fields": {"domain": "one.example"}, "ref": 3}
    assert fake.requests[-1]["headers"]["Content-Type"] == "application/json"
    result = remote(fake.url, "reply", "#7", "-m", "any news?")
    assert (result.exit_code, result.stderr) == (0, "replied to #7 (new, normal, assignee -)\n")
    assert json.loads(fake.requests[-1]["body"]) == {"text": "any news?", "internal": False}


def test_attachments_are_refused_in_remote_mode_before_anything_is_sent(fake, tmp_path):
    log = tmp_path / "error.log"
    log.write_text("boom\n")
    before = len(fake.requests)
    for args in (("file", "-s", "Shop down", "-b", "503", "--attach", str(log)), ("reply", "7", "-m", "the log", "--attach", str(log))):
        refused(remote(fake.url, *args), 2, "--attach works only on the desk's own host, not in remote mode")
    assert all(r["path"] != "/v1/tickets" and not r["path"].endswith("/replies") for r in fake.requests[before:])


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (404, 3, "no ticket #7"),
        (403, 1, "only the desk's agents may see the log of the whole desk; your token is a reseller's"),
        (401, 1, "the token in SUPPORTDESK_TOKEN is not known to this desk; ask an admin of the desk for a new one (`supportdesk token issue`)"),
        (422, 2, "query parameter limit: Input should be a valid integer"),
        (429, 4, "too many requests from this token; try again in 3 s"),
        (500, 70, "internal error: the server could not answer this request; its log has the details (at 2026-11-23T07:00:00Z)"),
    ],
)
def test_a_refusal_of_the_server_is_the_same_error_line_and_exit_code(fake, status, code, message):
    fake.answer("GET", "/v1/tickets/7", {"error": message, "exit_code": code}, status)
    line = refused(remote(fake.url, "show", "7"), code, message)
    assert line == f"error: {message}"


def test_a_bad_token_is_refused_at_the_first_request(fake):
    message = "the token in SUPPORTDESK_TOKEN is not known to this desk; ask an admin of the desk for a new one (`supportdesk token issue`)"
    fake.answer("GET", "/v1/desk", {"error": message, "exit_code": 1}, 401)
    assert refused(remote(fake.url, "status"), 1, "not known") == f"error: {message}"
    assert [r["path"] for r in fake.requests] == ["/v1/desk"]


def test_a_close_above_the_threshold_is_counted_first_and_not_done_without_yes(fake):
    ids = [str(i) for i in range(1, 22)]
    outcome = {"operation": None, "action": "close", "dry_run": True, "reason": "resolved", "source": "ids",
               "changed": [{"id": int(i), "before": "new", "after": "resolved"} for i in ids], "skipped": [], "notifications": 21}
    fake.answer("POST", "/v1/close", outcome)
    refused(remote(fake.url, "close", *ids), 1, "this would close 21 tickets with reason resolved; add --yes to confirm")
    posts = [json.loads(r["body"]) for r in fake.requests if r["method"] == "POST"]
    assert [p["dry_run"] for p in posts] == [True], "only the dry run was sent"
    assert posts[0]["ids"] == list(range(1, 22))


def test_a_skipping_close_exits_5_with_the_outcome(fake):
    outcome = {"operation": "20261123T070000-0a1b2c3d", "action": "close", "dry_run": False, "reason": "resolved", "source": "ids",
               "changed": [{"id": 1, "before": "new", "after": "resolved"}], "skipped": [{"id": 2, "why": "already closed"}],
               "notifications": 1}
    fake.answer("POST", "/v1/close", outcome, headers={"X-Supportdesk-Exit": "5"})
    result = remote(fake.url, "close", "1", "2", "--json")
    assert result.exit_code == 5, result.output
    assert json.loads(result.stdout) == outcome
    result = remote(fake.url, "close", "1", "2")
    assert result.exit_code == 5
    assert result.stderr.startswith("resolved 1 ticket: #1; skipped 1 (#2 already closed); operation 20261123T070000-0a1b2c3d")


# ---- not a supportdesk, or not reachable --------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (dict(status=200, raw=b"<html>Welcome to nginx!</html>", content_type="text/html"), "GET /v1/desk answered 200 OK, not JSON"),
        (dict(status=404, raw=b"<h1>Not Found</h1>", content_type="text/html"), "GET /v1/desk answered 404 Not Found, not JSON"),
        (dict(status=404, data={"error": "no such endpoint '/v1/desk'", "exit_code": 3}), "GET /v1/desk answered 404 Not Found"),
        (dict(status=200, data={"name": "some other API"}), "JSON without the supportdesk API's fields"),
        (dict(status=200, data={**ABOUT, "zone": 5}), "without the supportdesk API's fields"),
        (dict(status=301, raw=b"", content_type="text/html", headers={"Location": "https://desk.example/"}), "redirects to https://desk.example/"),
    ],
)
def test_a_server_that_is_not_a_supportdesk_is_exit_4(fake, answer, fragment):
    fake.answer("GET", "/v1/desk", **answer)
    line = refused(remote(fake.url, "status"), 4, fragment)
    assert line.startswith(f"error: {fake.url} is not a supportdesk server (")
    assert line.endswith("; check SUPPORTDESK_URL")


def test_another_version_of_the_api_is_exit_4(fake):
    fake.answer("GET", "/v1/desk", {**ABOUT, "api": 2, "supportdesk": "2.0.0"})
    refused(remote(fake.url, "status"), 4, "speaks version 2 of the supportdesk API (supportdesk 2.0.0) and this supportdesk speaks 1")


def test_an_answer_without_the_api_after_the_desk_is_exit_4(fake):
    fake.answer("GET", "/v1/status", status=502, raw=b"<h1>Bad Gateway</h1>", content_type="text/html")
    refused(remote(fake.url, "status"), 4, "answered GET /v1/status with 502 Bad Gateway and no supportdesk error")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_exit_4_naming_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    line = refused(remote(url, "status"), 4, "connection refused")
    assert line == f"error: cannot connect to {url}: connection refused; check SUPPORTDESK_URL and that `supportdesk serve` runs there"


def test_an_unknown_host_is_exit_4():
    refused(remote("https://desk.invalid", "list"), 4, "cannot find the host desk.invalid of https://desk.invalid")


def test_a_server_that_does_not_answer_in_time_is_exit_4(fake):
    fake.answer("GET", "/v1/desk", ABOUT, delay=1.0)
    started = time.monotonic()
    refused(remote(fake.url, "status", SUPPORTDESK_TIMEOUT="0.3"), 4, "did not answer within 0.3 s; try again later, or set SUPPORTDESK_TIMEOUT")
    assert time.monotonic() - started < 0.9
    refused(remote(fake.url, "status", SUPPORTDESK_TIMEOUT="soon"), 2, "SUPPORTDESK_TIMEOUT must be seconds")


def test_a_lost_answer_to_a_write_says_it_may_have_been_done(fake):
    fake.answer("POST", "/v1/tickets/3/replies", {}, delay=1.0)
    refused(remote(fake.url, "reply", "3", "-m", "hi", SUPPORTDESK_TIMEOUT="0.3"), 4, "(the change may have been made: check before trying again)")


# ---- TLS -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> dict[str, Path]:
    """A CA, and a certificate it signed for 127.0.0.1; a self-signed one."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make certificates")
    where = tmp_path_factory.mktemp("tls")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=where, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=Test desk CA")
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (where / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "30", "-extfile", "san.cnf")
    return {name: where / name for name in ("ca.pem", "server.pem", "server.key")}


@pytest.fixture
def tls_fake(certificates) -> Iterator[Fake]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates["server.pem"], certificates["server.key"])
    server = Fake(tls=context)
    server.answer("GET", "/v1/status", STATUS)
    yield server
    server.stop()


def test_a_certificate_no_trusted_authority_signed_is_refused(tls_fake, monkeypatch):
    monkeypatch.delenv("SUPPORTDESK_CA", raising=False)
    line = refused(remote(tls_fake.url, "status"), 4, f"the TLS certificate of {tls_fake.url} cannot be verified")
    assert "set SUPPORTDESK_CA to its CA file" in line
    assert [r["path"] for r in tls_fake.requests] == [], "nothing was sent, not even the token"


def test_the_desks_own_ca_in_supportdesk_ca_is_trusted(tls_fake, certificates):
    result = remote(tls_fake.url, "status", SUPPORTDESK_CA=str(certificates["ca.pem"]))
    assert result.exit_code == 0, result.output
    assert "Shop returns 503" in result.stdout


def test_ssl_cert_file_is_honoured(tls_fake, certificates, monkeypatch):
    monkeypatch.delenv("SUPPORTDESK_CA", raising=False)
    result = remote(tls_fake.url, "status", SSL_CERT_FILE=str(certificates["ca.pem"]))
    assert result.exit_code == 0, result.output


def test_a_ca_file_that_is_not_one_is_refused(tls_fake, tmp_path):
    (tmp_path / "ca.pem").write_text("not a certificate")
    refused(remote(tls_fake.url, "status", SUPPORTDESK_CA=str(tmp_path / "ca.pem")), 2, "cannot be read as a CA file")


def test_https_to_a_plain_http_server_is_a_tls_error(fake):
    refused(remote(fake.url.replace("http:", "https:"), "status"), 4, "TLS with https://127.0.0.1")


# ---- the URL, and what works remotely ------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        (f"https://acme:{TOKEN}@desk.example", "has a user name or password in it; leave them out"),
        (f"https://desk.example/?token={TOKEN}", "must not have a query string or fragment"),
        ("https://desk.example/#x", "must not have a query string or fragment"),
        ("http://desk.example", "would send your token unencrypted over the network; use https://"),
        ("ftp://desk.example", "must be an http:// or https:// URL with a host"),
        ("desk.example", "must be an http:// or https:// URL with a host"),
        ("https://desk.example:99999", "is not a URL"),
        ("https://desk.example/a b", "is not a URL"),
        ("https://desk.example/\x1b[2J", "is not a URL"),
    ],
)
def test_a_url_with_credentials_a_query_or_in_clear_text_over_a_network_is_refused(url, fragment):
    line = refused(remote(url, "status"), 2, fragment)
    assert "acme" not in line


def test_commands_that_need_the_desk_file_are_refused_in_remote_mode(fake):
    for args in (["policy", "show"], ["assign", "1", "--to", "me"], ["init"], ["token", "list"], ["report", "sla"], ["outbox"], ["outbox", "--json"]):
        line = refused(remote(fake.url, *args), 2, "works only on a local desk; unset SUPPORTDESK_URL")
        assert line.startswith(f"error: `supportdesk {args[0]}` works only")
    assert fake.requests == []
    result = CliRunner().invoke(app, ["policy", "show", "--help"], env={"SUPPORTDESK_URL": fake.url})
    assert result.exit_code == 0 and "Usage:" in result.stdout


def test_url_as_an_option_before_or_after_the_command(fake):
    fake.answer("GET", "/v1/status", STATUS)
    for args in (["--url", fake.url, "status"], ["status", "--url", fake.url]):
        result = CliRunner().invoke(app, args, env={"SUPPORTDESK_TOKEN": TOKEN})
        assert result.exit_code == 0, result.output
    refused(CliRunner().invoke(app, ["init", "--url", fake.url]), 2, "`supportdesk init` works only on a local desk")


def test_a_desk_file_or_an_instant_beside_the_url_is_refused(fake, tmp_path):
    refused(remote(fake.url, "--db", str(tmp_path / "desk.db"), "status"), 2, "--db (SUPPORTDESK_DB) names a local desk file")
    refused(remote(fake.url, "status", SUPPORTDESK_DB=str(tmp_path / "desk.db")), 2, "give one of them")
    refused(remote(fake.url, "--now", "2026-11-23T10:00", "status"), 2, "--now (SUPPORTDESK_NOW) does not work with SUPPORTDESK_URL")
    refused(remote(fake.url, "list", SUPPORTDESK_NOW="2026-11-23T10:00"), 2, "the server's clock decides")
    assert fake.requests == []


def test_a_token_is_needed_and_one_that_cannot_be_sent_is_refused(fake):
    refused(remote(fake.url, "status", token=""), 1, "SUPPORTDESK_URL is set but SUPPORTDESK_TOKEN is not")
    refused(remote(fake.url, "status", token="sdk_abc\r\nX-Injected: 1"), 1, "the token in SUPPORTDESK_TOKEN is not known to this desk")
    assert fake.requests == []
