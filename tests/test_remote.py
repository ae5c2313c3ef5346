"""The CLI's remote mode against a real `supportdesk serve`: the same commands, as the same
token holders, give the same output and exit codes over HTTP as on the desk's host.

Two copies of one desk: the server serves one (its clock pinned with `serve --now` at
FROZEN), the local CLI works on the other (its clock stood still at FROZEN, as token
holders may not use --now). Each command runs on both, in the same order, so writes give
the same tickets and ids; only operation ids (random) differ.

Fake servers (what is sent, TLS, every failure) are in test_remote_client.py.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, new_desk
from typer.testing import CliRunner

from supportdesk import Desk, TicketDraft
from supportdesk.cli import app

SETUP = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)  # Fri 20 Nov 2026 10:00 +03
RESELLER_REFUSAL = "Your hosting is provided by Acme Hosting, who gives you support; please contact them. We have let them know."
OPERATION = re.compile(r"\d{8}T\d{6}-[0-9a-f]{8}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_desk(path: Path) -> dict[str, str]:
    """Kristalium with the reseller Acme Hosting (two end customers), a direct customer and
    tickets filed, answered and closed; the tokens of each holder, by name."""
    new_desk(path, EXAMPLES / "kristalium.toml", now="2026-11-16T09:00")
    tokens = {}
    with Desk.connect(path, login="tester", now=SETUP) as admin:
        admin.add_reseller("ops@acme.example", name="Acme Hosting")
        for email in ("shop@one.example", "blog@two.example"):
            admin.add_customer(email, reseller="Acme Hosting")
        admin.add_customer("solo@direct.example")
        admin.add_agent("emre")
        tokens["reseller"] = admin.issue_token("reseller", "Acme Hosting")["token"]
        tokens["end"] = admin.issue_token("customer", "shop@one.example")["token"]
        tokens["direct"] = admin.issue_token("customer", "solo@direct.example")["token"]
        tokens["agent"] = admin.issue_token("agent", "emre")["token"]
        revoked = admin.issue_token("customer", "blog@two.example")
        admin.revoke_token(str(revoked["id"]))
        tokens["revoked"] = revoked["token"]
    clock = iter(SETUP.replace(hour=h) for h in range(8, 20))
    with Desk.connect(path, token=tokens["reseller"], clock=lambda: next(clock)) as reseller:
        for email, subject in (("shop@one.example", "Shop returns 503"), ("blog@two.example", "Blog mail bounces")):
            reseller.file_ticket(TicketDraft(subject, f"{subject} since this morning", email))
    with Desk.connect(path, login="tester", now=SETUP.replace(hour=12)) as admin:
        admin.file_ticket(TicketDraft("DNS question", "How do I add an MX record?", "solo@direct.example"))
        admin.reply(1, "We are looking at the shop's web server.")
        admin.reply(3, "Add an MX record in the DNS zone editor.")
    return tokens


@pytest.fixture
def desks(tmp_path, frozen_clock) -> Iterator[dict[str, Any]]:
    """The served desk behind a real `supportdesk serve`, and its local twin."""
    served, local = tmp_path / "served.db", tmp_path / "local.db"
    tokens = build_desk(served)
    with sqlite3.connect(served) as source, sqlite3.connect(local) as copy:
        source.backup(copy)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTDESK_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "supportdesk", "--db", str(served), "--now", "2026-11-23T07:00:00Z",
         "serve", "--host", "127.0.0.1", "--port", str(port), "--rate-limit", "0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_until_serving(server, port)
        yield {"url": f"http://127.0.0.1:{port}", "local": local, "tokens": tokens, "server": server}
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_serving(server: subprocess.Popen, port: int, within: float = 20.0) -> None:
    """Until the server answers HTTP on `port` (any answer: no token gives a 401)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"`supportdesk serve` exited {server.returncode}: {server.stderr.read() if server.stderr else ''}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/v1/desk")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"`supportdesk serve` did not answer on port {port} within {within:g} s")


def over_http(url: str, token: str, *args: str) -> tuple[int, str, str]:
    """The CLI in remote mode, in a process of its own: exit code, stdout, stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTDESK_")}
    env |= {"SUPPORTDESK_URL": url, "SUPPORTDESK_TOKEN": token}
    done = subprocess.run([sys.executable, "-m", "supportdesk", *args], env=env, capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def on_the_host(path: Path, token: str, *args: str) -> tuple[int, str, str]:
    """The same command on the local twin (the clock stands at FROZEN)."""
    result = CliRunner().invoke(app, ["--db", str(path), *args], env={"SUPPORTDESK_TOKEN": token})
    return result.exit_code, result.stdout, result.stderr


def same(desks: dict[str, Any], holder: str, *args: str) -> tuple[int, str, str]:
    """Run a command both ways and check they agree (operation ids aside); the outcome."""
    token = desks["tokens"][holder]
    remote = over_http(desks["url"], token, *args)
    local = on_the_host(desks["local"], token, *args)
    assert "Traceback" not in remote[2], remote[2]
    shown = [(code, OPERATION.sub("OPERATION", out), OPERATION.sub("OPERATION", err)) for code, out, err in (remote, local)]
    assert shown[0] == shown[1], f"{' '.join(args)} as {holder}: over HTTP {remote!r}, on the host {local!r}"
    return remote


# The commands each holder runs, in order (writes included): args, and the exit code.
SCRIPT: list[tuple[str, list[str], int]] = [
    ("reseller", ["status"], 0),
    ("reseller", ["status", "--json"], 0),
    ("reseller", ["status", "1", "--all"], 0),
    ("reseller", ["list"], 0),
    ("reseller", ["list", "--status", "new,open", "--json"], 0),
    ("reseller", ["list", "--csv"], 0),
    ("reseller", ["show", "1"], 0),
    ("reseller", ["show", "#2", "--json"], 0),
    ("reseller", ["log", "1"], 0),
    ("reseller", ["log", "--json"], 0),
    ("reseller", ["show", "3"], 3),  # the direct customer's: not found for the reseller
    ("reseller", ["list", "--status", "bogus"], 2),
    ("reseller", ["list", "--sort", "updated"], 1),
    ("reseller", ["file", "-s", "Shop is slow", "-b", "Pages take 20 s since the update", "-c", "blog@two.example"], 0),
    ("reseller", ["reply", "1", "-m", "Any news? The shop is still down."], 0),
    ("reseller", ["reply", "1", "-m", "x", "--internal"], 1),
    ("reseller", ["close", "2", "--reason", "resolved"], 0),
    ("reseller", ["close", "2", "4", "--json"], 0),  # #2 resolved: archived; #4 resolved
    ("reseller", ["close", "2", "--reason", "duplicate", "--of", "1"], 5),  # already closed: skipped
    ("reseller", ["close", "3"], 3),
    ("reseller", ["close", "--status", "new"], 1),  # by filter: for agents only
    ("reseller", ["triage"], 1),
    ("end", ["file", "-s", "Shop down", "-b", "My shop returns 503 since this morning"], 1),
    ("end", ["status"], 0),
    ("direct", ["status", "--json"], 0),
    ("direct", ["reply", "3", "-m", "Thanks, that worked."], 0),
    ("direct", ["show", "3"], 0),
    ("agent", ["triage"], 0),
    ("agent", ["triage", "--json", "--limit", "2"], 0),
    ("agent", ["list", "--assignee", "none", "--limit", "2"], 0),
    ("agent", ["close", "--status", "open", "--reason", "incomplete"], 0),  # by filter: #1 and #3
    ("agent", ["log", "--limit", "4", "--json"], 0),
    ("revoked", ["status"], 1),
]


def test_every_remote_command_gives_what_it_gives_on_the_host(desks):
    for holder, args, code in SCRIPT:
        assert same(desks, holder, *args)[0] == code, (holder, args)


def test_a_reseller_sees_exactly_its_customers_and_its_end_customer_cannot_file(desks):
    """The issue's Done-when: from a second shell with only SUPPORTDESK_URL and a token."""
    import json

    code, out, err = over_http(desks["url"], desks["tokens"]["reseller"], "status", "--json")
    assert code == 0, err
    view = json.loads(out)
    assert view["actor"] == "reseller:ops@acme.example"
    assert sorted(t["customer"] for t in view["tickets"]) == ["blog@two.example", "shop@one.example"]
    code, out, err = over_http(desks["url"], desks["tokens"]["reseller"], "status")
    assert code == 0 and "Shop returns 503" in out and "DNS question" not in out
    code, out, err = over_http(desks["url"], desks["tokens"]["end"], "file", "-s", "Shop down", "-b", "My shop returns 503")
    assert (code, out, err) == (1, "", f"error: {RESELLER_REFUSAL}\n")


def test_a_revoked_or_unknown_token_is_refused_as_on_the_host(desks):
    desks["tokens"]["unknown"] = "sdk_" + "x" * 43
    for holder in ("revoked", "unknown"):
        code, out, err = same(desks, holder, "list")
        assert code == 1 and err.startswith("error: the token ") and desks["tokens"][holder] not in err


def test_a_server_that_is_gone_is_exit_4(desks):
    desks["server"].terminate()
    desks["server"].wait(timeout=10)
    code, out, err = over_http(desks["url"], desks["tokens"]["reseller"], "status")
    assert (code, out) == (4, "")
    assert err == f"error: cannot connect to {desks['url']}: connection refused; check SUPPORTDESK_URL and that `supportdesk serve` runs there\n"


def test_a_web_server_that_is_not_a_supportdesk_is_exit_4(tmp_path):
    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = b"<html><body>It works!</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    import threading

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        code, out, err = over_http(url, "sdk_whatever", "list")
    finally:
        server.shutdown()
        server.server_close()
    assert (code, out) == (4, "")
    assert err == f"error: {url} is not a supportdesk server (GET /v1/desk answered 200 OK, not JSON); check SUPPORTDESK_URL\n"
