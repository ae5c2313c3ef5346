"""`supportdesk serve`: the HTTP API through the framework's test client, on a small desk
(Kristalium's policy: an end customer of a reseller may not file directly).

Every endpoint answers with exactly the JSON the CLI prints with --json, for the same
desk, holder and instant; every refusal is the CLI's, with its message and exit code, as
an HTTP status. Tokens: missing, unknown, revoked, expired, or in the URL. The limits:
body size, rate. An unexpected error shows nothing of itself. Two servers writing at
once lose nothing; a policy applied or a token revoked while serving takes effect at once.
"""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, FROZEN, Cli, api, instant, new_desk

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note that it prefers httpx2: the client works with httpx
    from fastapi.testclient import TestClient

from supportdesk.server.app import create_app

NOW = "2026-11-23T10:00"  # FROZEN in the desk's zone: the server's pinned clock, the CLI's --now
SETUP = "2026-11-20T10:00"
SECRET = "zebracode"  # only internal notes hold it
HOLDERS = {
    "acme": ("reseller", "ops@acme.example"),
    "beta": ("reseller", "ops@beta.example"),
    "shop": ("customer", "shop@one.example"),  # an end customer of Acme
    "solo": ("customer", "solo@direct.example"),
    "bob": ("agent", "bob"),
    "tester": ("agent", "tester"),
}


def build_shop(path: Path) -> dict[str, str]:
    """The desk: Acme (two end customers) and Beta (one), a direct customer, the agents
    tester (admin) and bob; tickets filed by the resellers and the desk; a public reply,
    an internal note, an assignment and a resolved ticket. Returns the tokens."""
    from supportdesk import CloseReason, Desk, TicketDraft

    new_desk(path, EXAMPLES / "kristalium.toml", now="2026-11-16T09:00")
    with api(path) as do:
        desk = do.at(SETUP)
        desk.add_agent("bob")
        desk.add_reseller("ops@acme.example", name="Acme Hosting")
        desk.add_reseller("ops@beta.example", name="Beta Hosting")
        for email in ("shop@one.example", "blog@two.example"):
            desk.add_customer(email, reseller="Acme Hosting")
        desk.add_customer("web@three.example", reseller="Beta Hosting")
        desk.add_customer("solo@direct.example")
        tokens = {name: desk.issue_token(kind, who)["token"] for name, (kind, who) in HOLDERS.items()}
        for n, (holder, customer, subject) in enumerate(
            (("acme", "shop@one.example", "Shop returns 503"), ("acme", "blog@two.example", "Blog mail bounces"),
             ("beta", "web@three.example", "Web site slow"))
        ):
            at = instant(f"2026-11-20T10:{10 + n:02d}")
            with Desk.connect(path, token=tokens[holder], clock=lambda at=at: at) as reseller:
                reseller.file_ticket(TicketDraft(subject, f"{subject} since this morning", customer))
        do.file("2026-11-20T10:20", customer="solo@direct.example", subject="DNS question", body="How do I add an MX record?")
        later = do.at("2026-11-20T11:00")
        later.reply(1, "We are looking at the shop now.")
        later.acting_as("bob").reply(1, f"internal {SECRET}: the shop owes us money", internal=True)
        later.assign(2, "bob")
        later.close_tickets([3], CloseReason.RESOLVED)
    return tokens


@pytest.fixture(scope="module")
def shop_built(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("shop") / "desk.db"
    return path, build_shop(path)


@pytest.fixture
def shop(shop_built, tmp_path) -> tuple[Cli, dict[str, str]]:
    """A copy of the built desk for this test (tests write), and the tokens."""
    copy = tmp_path / "shop.db"
    copy_desk(shop_built[0], copy)
    return Cli(copy), shop_built[1]


def copy_desk(source: Path, target: Path) -> None:
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


class Server:
    """The app over a desk, driven by the framework's test client; its log kept."""

    def __init__(self, path: Path, **options: Any):
        self.log = io.StringIO()
        self.app = create_app(path, options.pop("now_text", NOW), log=self.log, **options)
        self.client = TestClient(self.app, raise_server_exceptions=False)

    def __enter__(self) -> Server:
        self.client.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.__exit__(*exc)

    def __call__(self, method: str, url: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {}) | ({"Authorization": f"Bearer {token}"} if token else {})
        return self.client.request(method, url, headers=headers, **kwargs)

    def json(self, method: str, url: str, token: str | None, status: int = 200, **kwargs: Any) -> Any:
        response = self(method, url, token, **kwargs)
        assert response.status_code == status, response.text
        return response.json()


@pytest.fixture
def server(shop):
    cli, _ = shop
    with Server(cli.path) as served:
        yield served


@pytest.fixture
def serve_desk():
    """Serve a desk with options: `serve_desk(path, rate=1)`; stopped after the test."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield lambda path, **options: stack.enter_context(Server(path, **options))


def refused(response: Any, status: int, exit_code: int, message: str | None = None) -> str:
    """An error answer: its status, the envelope, the exit header; its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "exit_code"} and body["exit_code"] == exit_code, body
    assert response.headers["X-Supportdesk-Exit"] == str(exit_code)
    if message is not None:
        assert body["error"] == message
    assert "Traceback" not in response.text
    return body["error"]


def cli_error(result: Any) -> str:
    """The message of the CLI's one `error:` line."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0].removeprefix("error: ")


def without_operations(value: Any) -> Any:
    """JSON without the operation ids (random per run)."""
    if isinstance(value, dict):
        return {k: without_operations(v) for k, v in value.items() if k != "operation"}
    if isinstance(value, list):
        return [without_operations(v) for v in value]
    return value


def holder_env(tokens: dict[str, str], name: str) -> dict[str, str]:
    return {"SUPPORTDESK_TOKEN": tokens[name]}


def cli_now(name: str) -> str | None:
    """Agents act at --now on the CLI; resellers and customers at the (frozen) real time."""
    return NOW if HOLDERS[name][0] == "agent" else None


# ---- every endpoint gives the CLI's JSON ---------------------------------------------------

READS = [
    ("status", "/v1/status", ["status"]),
    ("status ID", "/v1/status?ticket=1", ["status", "1"]),
    ("status --all", "/v1/status?all=true", ["status", "--all"]),
    ("list", "/v1/tickets", ["list"]),
    ("list filtered", "/v1/tickets?status=new,open&sort=oldest&limit=1", ["list", "--status", "new,open", "--sort", "oldest", "--limit", "1"]),
    ("list search", "/v1/tickets?search=shop&customer=shop@one.example", ["list", "--search", "shop", "--customer", "shop@one.example"]),
    ("show", "/v1/tickets/1", ["show", "1"]),
    ("log", "/v1/log", ["log"]),
    ("log ID", "/v1/log?ticket=1&limit=2", ["log", "1", "--limit", "2"]),
]


@pytest.mark.parametrize("holder", ["acme", "shop", "tester"])
def test_every_read_gives_the_json_of_the_cli(shop, server, holder, frozen_clock):
    cli, tokens = shop
    for what, url, args in READS:
        response = server("GET", url, tokens[holder])
        expected = cli(*args, "--json", now=cli_now(holder), env=holder_env(tokens, holder))
        assert expected.exit_code == 0, (what, expected.output)
        assert response.status_code == 200 and response.headers["X-Supportdesk-Exit"] == "0", (what, response.text)
        assert response.json() == json.loads(expected.stdout), what
    listed = server("GET", "/v1/tickets?limit=1", tokens[holder])
    assert int(listed.headers["X-Total-Count"]) == len(cli.json("list", now=cli_now(holder), env=holder_env(tokens, holder)))


def test_an_agent_token_reads_triage_as_the_cli_does(shop, server):
    cli, tokens = shop
    for url, args in (("/v1/triage", ["triage"]), ("/v1/triage?limit=1&unassigned=true", ["triage", "--limit", "1", "--unassigned"]),
                      ("/v1/triage?mine=true&breaching_within=2h", ["triage", "--mine", "--breaching-within", "2h"])):
        assert server.json("GET", url, tokens["bob"]) == cli.json(*args, now=NOW, env=holder_env(tokens, "bob")), url


def test_desk_says_what_it_is_its_zone_instant_and_actor(server, shop):
    _, tokens = shop
    from supportdesk import __version__

    assert server.json("GET", "/v1/desk", tokens["acme"]) == {
        "supportdesk": __version__, "api": 1, "name": "Kristalium", "zone": "Europe/Istanbul", "now": "2026-11-23T07:00:00Z",
        "actor": {"kind": "reseller", "name": "ops@acme.example"},
    }
    assert server.json("GET", "/v1/desk", tokens["bob"])["actor"] == {"kind": "agent", "name": "bob"}


WRITES = [
    ("file", "acme", ("POST", "/v1/tickets", {"subject": "Mail down", "body": "No mail since noon", "customer": "blog@two.example"}), 201,
     ["file", "-s", "Mail down", "-b", "No mail since noon", "-c", "blog@two.example"]),
    ("file with fields and ref", "tester",
     ("POST", "/v1/tickets", {"subject": "Again", "body": "Same as before", "customer": "solo@direct.example", "priority": "high",
                              "fields": {"domain": "direct.example"}, "ref": 4}), 201,
     ["file", "-s", "Again", "-b", "Same as before", "-c", "solo@direct.example", "--priority", "high", "--field", "domain=direct.example", "--ref", "4"]),
    ("reply", "shop", ("POST", "/v1/tickets/1/replies", {"text": "Still down here"}), 200, ["reply", "1", "-m", "Still down here"]),
    ("note", "bob", ("POST", "/v1/tickets/2/replies", {"text": "checking", "internal": True}), 200, ["reply", "2", "-m", "checking", "--internal"]),
    ("close", "acme", ("POST", "/v1/close", {"ids": [1, 2], "reason": "resolved"}), 200, ["close", "1", "2", "--reason", "resolved"]),
    ("close dry run", "tester", ("POST", "/v1/close", {"ids": [1, 4], "reason": "duplicate", "of": 2, "dry_run": True}), 200,
     ["close", "1", "4", "--reason", "duplicate", "--of", "2", "--dry-run"]),
    ("assign one", "bob", ("POST", "/v1/assign", {"ids": [1], "to": "me"}), 200, ["assign", "1", "--to", "me"]),
    ("assign many", "tester", ("POST", "/v1/assign", {"ids": [1, 4], "to": "bob"}), 200, ["assign", "1", "4", "--to", "bob", "--yes"]),
    ("escalate", "bob", ("POST", "/v1/tickets/4/escalate", {"level": "engineer", "reason": "customer is important"}), 200,
     ["escalate", "4", "--to", "engineer", "--reason", "customer is important"]),
]


@pytest.mark.parametrize("what, holder, request_, status, args", WRITES, ids=[w[0] for w in WRITES])
def test_every_write_gives_the_json_of_the_cli_and_the_same_desk(shop_built, tmp_path, serve_desk, frozen_clock, what, holder, request_, status, args):
    """The same write through the CLI on one copy of the desk and through the API on
    another: the same JSON (but the operation's random id), and the same desk after."""
    path, tokens = shop_built
    by_cli, by_api = tmp_path / "cli.db", tmp_path / "api.db"
    copy_desk(path, by_cli)
    copy_desk(path, by_api)
    expected = Cli(by_cli)(*args, "--json", now=cli_now(holder), env=holder_env(tokens, holder))
    assert expected.exit_code == 0, expected.output
    served = serve_desk(by_api)
    method, url, body = request_
    response = served(method, url, tokens[holder], json=body)
    assert response.status_code == status and response.headers["X-Supportdesk-Exit"] == "0", response.text
    assert without_operations(response.json()) == without_operations(json.loads(expected.stdout))
    assert desk_rows(by_api) == desk_rows(by_cli)


def desk_rows(path: Path) -> dict[str, list[tuple]]:
    """What a write leaves in the desk, but the random operation ids."""
    conn = sqlite3.connect(path)
    try:
        found = {}
        for table in ("tickets", "messages", "events", "outbox"):
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] != "operation"]
            found[table] = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id").fetchall()
        return found
    finally:
        conn.close()


def test_a_bulk_close_that_skips_some_says_exit_5_as_the_cli_does(shop, server, frozen_clock):
    cli, tokens = shop
    assert server.json("POST", "/v1/close", tokens["tester"], json={"ids": [3]})["changed"] == [{"id": 3, "before": "resolved", "after": "closed"}]
    response = server("POST", "/v1/close", tokens["tester"], json={"ids": [3, 4], "reason": "resolved", "dry_run": True})
    expected = cli("close", "3", "4", "--reason", "resolved", "--dry-run", "--json", now=NOW)
    assert expected.exit_code == 5 and response.status_code == 200
    assert response.headers["X-Supportdesk-Exit"] == "5"
    assert response.json() == json.loads(expected.stdout) and response.json()["skipped"][0]["id"] == 3


# ---- refusals: the CLI's words, as HTTP statuses -------------------------------------------

REFUSALS = [
    # (holder, method, url, body, status, exit code, the CLI's arguments)
    ("acme", "GET", "/v1/tickets/4", None, 404, 3, ["show", "4"]),
    ("acme", "GET", "/v1/status?ticket=3", None, 404, 3, ["status", "3"]),
    ("acme", "GET", "/v1/log?ticket=3", None, 404, 3, ["log", "3"]),
    ("acme", "GET", "/v1/tickets/99", None, 404, 3, ["show", "99"]),
    ("acme", "GET", "/v1/tickets/x1", None, 422, 2, ["show", "x1"]),
    ("acme", "GET", "/v1/tickets?priority=nope", None, 422, 2, ["list", "--priority", "nope"]),
    ("acme", "GET", "/v1/tickets?assignee=bob", None, 403, 1, ["list", "--assignee", "bob"]),
    ("acme", "GET", "/v1/log?limit=-1", None, 422, 2, ["log", "--limit", "-1"]),
    ("acme", "GET", "/v1/triage", None, 403, 1, ["triage"]),
    ("shop", "GET", "/v1/triage", None, 403, 1, ["triage"]),
    ("acme", "POST", "/v1/tickets", {"subject": "For them", "body": "please", "customer": "web@three.example"}, 403, 1,
     ["file", "-s", "For them", "-b", "please", "-c", "web@three.example"]),
    ("shop", "POST", "/v1/tickets", {"subject": "Shop down", "body": "My shop returns 503"}, 403, 1, ["file", "-s", "Shop down", "-b", "My shop returns 503"]),
    ("solo", "POST", "/v1/tickets", {"subject": "For them", "body": "please", "customer": "shop@one.example"}, 403, 1,
     ["file", "-s", "For them", "-b", "please", "-c", "shop@one.example"]),
    ("acme", "POST", "/v1/tickets", {"subject": "Again", "body": "see there", "customer": "shop@one.example", "ref": 3}, 404, 3,
     ["file", "-s", "Again", "-b", "see there", "-c", "shop@one.example", "--ref", "3"]),
    ("acme", "POST", "/v1/tickets/1/replies", {"text": "psst", "internal": True}, 403, 1, ["reply", "1", "-m", "psst", "--internal"]),
    ("acme", "POST", "/v1/tickets/4/replies", {"text": "let me in"}, 404, 3, ["reply", "4", "-m", "let me in"]),
    ("acme", "POST", "/v1/tickets/1/replies", {"text": "   "}, 422, 2, ["reply", "1", "-m", "   "]),
    ("acme", "POST", "/v1/close", {"ids": [1, 4]}, 404, 3, ["close", "1", "4"]),
    ("acme", "POST", "/v1/close", {"ids": [1], "reason": "bored"}, 422, 2, ["close", "1", "--reason", "bored"]),
    ("acme", "POST", "/v1/close", {"ids": []}, 422, 2, ["close"]),
    ("acme", "POST", "/v1/close", {"ids": [0]}, 422, 2, ["close", "0"]),
    ("acme", "POST", "/v1/assign", {"ids": [1], "to": "bob"}, 403, 1, ["assign", "1", "--to", "bob"]),
    ("bob", "POST", "/v1/assign", {"ids": [1], "to": "zed"}, 404, 3, ["assign", "1", "--to", "zed"]),
    ("bob", "POST", "/v1/assign", {"ids": [2], "to": "bob"}, 403, 1, ["assign", "2", "--to", "bob"]),
    ("acme", "POST", "/v1/tickets/1/escalate", {"level": "engineer", "reason": "now"}, 403, 1, ["escalate", "1", "--to", "engineer", "--reason", "now"]),
    ("bob", "POST", "/v1/tickets/1/escalate", {"level": "moon", "reason": "now"}, 422, 2, ["escalate", "1", "--to", "moon", "--reason", "now"]),
    ("bob", "POST", "/v1/tickets/1/escalate", {"level": "engineer", "reason": " "}, 422, 2, ["escalate", "1", "--to", "engineer", "--reason", " "]),
]


@pytest.mark.parametrize("holder, method, url, body, status, code, args", REFUSALS, ids=[f"{r[0]} {r[1]} {r[2]}" for r in REFUSALS])
def test_each_refusal_is_the_clis_with_its_status(shop, server, frozen_clock, holder, method, url, body, status, code, args):
    cli, tokens = shop
    before = cli.dump()
    response = server(method, url, tokens[holder], json=body)
    expected = cli(*args, "--yes", "--json", now=cli_now(holder), env=holder_env(tokens, holder)) if args[0] in ("close", "assign") else cli(
        *args, "--json", now=cli_now(holder), env=holder_env(tokens, holder)
    )
    assert expected.exit_code == code, expected.output
    refused(response, status, code, cli_error(expected))
    if (holder, url) != ("shop", "/v1/tickets"):  # (an end customer's refused filing is recorded, and both are told)
        assert cli.dump() == before, "a refused request changed the desk"


def test_an_end_customer_filing_directly_is_refused_naming_the_reseller(server, shop):
    _, tokens = shop
    refused(
        server("POST", "/v1/tickets", tokens["shop"], json={"subject": "Shop down", "body": "My shop returns 503"}), 403, 1,
        "Your hosting is provided by Acme Hosting, who gives you support; please contact them. We have let them know.",
    )


def test_malformed_requests_are_refused_naming_the_field(server, shop):
    _, tokens = shop
    acme = tokens["acme"]
    assert "query parameter colour" in refused(server("GET", "/v1/tickets?colour=red", acme), 422, 2)
    assert "query parameter limit" in refused(server("GET", "/v1/tickets?limit=many", acme), 422, 2)
    assert "body field subject" in refused(server("POST", "/v1/tickets", acme, json={"body": "no subject"}), 422, 2)
    assert "body field colour" in refused(server("POST", "/v1/tickets", acme, json={"subject": "s", "body": "b", "colour": 1}), 422, 2)
    assert "body field ids" in refused(server("POST", "/v1/close", acme, json={"ids": "1,2"}), 422, 2)
    refused(server("POST", "/v1/tickets", acme, content=b"{not json", headers={"Content-Type": "application/json"}), 422, 2)
    assert "no such endpoint" in refused(server("GET", "/v2/status", acme), 404, 3)
    refused(server("DELETE", "/v1/tickets/1", acme), 405, 2)


# ---- tokens --------------------------------------------------------------------------------


def test_a_missing_unknown_revoked_or_expired_token_is_401(shop, server, frozen_clock):
    cli, tokens = shop
    assert server("GET", "/v1/status").headers["WWW-Authenticate"] == "Bearer"
    refused(server("GET", "/v1/status"), 401, 1, "no token: send it in the header `Authorization: Bearer <token>` (a token of `supportdesk token issue`)")
    refused(server("GET", "/v1/status", headers={"Authorization": f"Basic {tokens['acme']}"}), 401, 1)
    unknown = cli("status", env={"SUPPORTDESK_TOKEN": "sd_not-a-token-of-this-desk"})
    refused(server("GET", "/v1/status", "sd_not-a-token-of-this-desk"), 401, 1, cli_error(unknown))
    # Revoked while the server runs: refused from the next request on.
    assert server("GET", "/v1/status", tokens["beta"]).status_code == 200
    with api(cli.path) as do:
        do.at(SETUP).revoke_token(tokens["beta"][:10])
    revoked = cli("status", env=holder_env(tokens, "beta"))
    message = refused(server("GET", "/v1/status", tokens["beta"]), 401, 1, cli_error(revoked))
    assert "was revoked" in message
    # Expired: issued for a day, the server's clock three days later.
    with api(cli.path) as do:
        short = do.at(SETUP).issue_token("customer", "solo@direct.example", "1d")["token"]
    expired = cli("status", env={"SUPPORTDESK_TOKEN": short})
    assert "expired on 2026-11-21" in refused(server("GET", "/v1/status", short), 401, 1, cli_error(expired))


def test_a_token_in_the_url_is_refused_and_never_logged(server, shop):
    _, tokens = shop
    token = tokens["acme"]
    for url in (f"/v1/status?token={token}", f"/v1/status?access_token={token}", f"/v1/status?x={token}", f"/v1/tickets/{token}"):
        assert "only in the header" in refused(server("GET", url), 401, 1)
        assert "only in the header" in refused(server("GET", url, token), 401, 1)
    log = server.log.getvalue()
    assert token not in log and token[:9] not in log.replace(token[:8], "")
    assert log.count("\n") == 8 and " 401 " in log


def test_a_policy_applied_while_serving_takes_effect_on_the_next_request(server, shop):
    cli, tokens = shop
    assert server.json("GET", "/v1/desk", tokens["acme"])["name"] == "Kristalium"
    text = (EXAMPLES / "kristalium.toml").read_text(encoding="utf-8").replace('name = "Kristalium"', 'name = "Kristalium Two"', 1)
    with api(cli.path) as do:
        do.at(SETUP).apply_policy(text, "kristalium two")
    assert server.json("GET", "/v1/desk", tokens["acme"])["name"] == "Kristalium Two"


# ---- the limits ------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413(shop, serve_desk):
    cli, tokens = shop
    served = serve_desk(cli.path, max_body=4096)
    before = cli.dump()
    big = {"subject": "Logs", "body": "x" * 5000, "customer": "shop@one.example"}
    message = refused(served("POST", "/v1/tickets", tokens["acme"], json=big), 413, 2)
    assert "larger than this server takes (4,096 bytes)" in message

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(5):
            yield b"x" * 1000

    refused(served("POST", "/v1/tickets", tokens["acme"], content=chunks(), headers={"Content-Type": "application/json"}), 413, 2)
    assert cli.dump() == before
    small = {"subject": "Logs", "body": "x" * 3000, "customer": "shop@one.example"}
    assert served("POST", "/v1/tickets", tokens["acme"], json=small).status_code == 201


def test_the_rate_limit_refuses_with_429_and_says_when_to_retry(shop, serve_desk):
    cli, tokens = shop
    now = [1000.0]
    served = serve_desk(cli.path, rate=1, burst=3, limit_clock=lambda: now[0])
    for _ in range(3):
        assert served("GET", "/v1/status", tokens["acme"]).status_code == 200
    response = served("GET", "/v1/status", tokens["acme"])
    message = refused(response, 429, 4, "too many requests with this token (at most 1 a second, 3 at once); retry in 1 s")
    assert response.headers["Retry-After"] == "1" and "retry in" in message
    assert served("GET", "/v1/status", tokens["beta"]).status_code == 200  # each token its own bucket
    now[0] += 1.0
    assert served("GET", "/v1/status", tokens["acme"]).status_code == 200
    assert served("GET", "/v1/status", tokens["acme"]).status_code == 429
    now[0] += 30.0
    assert all(served("GET", "/v1/status", tokens["acme"]).status_code == 200 for _ in range(3))


# ---- nothing of an error reaches the client ----------------------------------------------------


def test_an_unexpected_error_is_a_500_without_trace_or_sql(server, shop, monkeypatch):
    import sqlite3

    from supportdesk.desk import Desk

    def broken(self, *args, **kwargs):
        raise RuntimeError("near SELECT * FROM tokens WHERE hash = 'abc': boom")

    monkeypatch.setattr(Desk, "status", broken)
    response = server("GET", "/v1/status", shop[1]["acme"])
    message = refused(response, 500, 70)
    assert message.startswith("internal error") and "SELECT" not in response.text and "boom" not in response.text
    log = server.log.getvalue()
    assert "Traceback" in log and "boom" in log and " 500 " in log

    def busy(self, *args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(Desk, "status", busy)
    response = server("GET", "/v1/status", shop[1]["acme"])
    refused(response, 503, 4, "the desk is busy (another supportdesk is writing); try again in a moment")
    assert response.headers["Retry-After"] == "1"
    assert server("GET", "/v1/desk", shop[1]["acme"]).status_code == 200  # the server goes on


# ---- the access log, OpenAPI, CORS -----------------------------------------------------------


def test_the_access_log_has_one_line_per_request_with_only_the_tokens_prefix(server, shop):
    _, tokens = shop
    server("GET", "/v1/status?all=true", tokens["acme"])
    server("GET", "/v1/tickets/4", tokens["acme"])
    server("GET", "/openapi.json")
    lines = server.log.getvalue().splitlines()
    assert len(lines) == 3
    at, prefix, method, path, status, took = lines[0].split(" ")
    assert at.startswith("20") and at.endswith("Z") and prefix == tokens["acme"][:8] and (method, path, status) == ("GET", "/v1/status", "200")
    assert took.endswith("ms") and float(took[:-2]) >= 0
    assert lines[1].split(" ")[1:5] == [tokens["acme"][:8], "GET", "/v1/tickets/4", "404"]
    assert lines[2].split(" ")[1:5] == ["-", "GET", "/openapi.json", "200"]
    assert tokens["acme"][8:] not in server.log.getvalue()


def test_openapi_and_the_docs_describe_every_endpoint(server):
    document = server.json("GET", "/openapi.json", None)
    paths = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert paths == {
        ("GET", "/v1/desk"), ("GET", "/v1/status"), ("GET", "/v1/tickets"), ("POST", "/v1/tickets"), ("GET", "/v1/tickets/{ticket}"),
        ("GET", "/v1/log"), ("POST", "/v1/tickets/{ticket}/replies"), ("POST", "/v1/close"), ("GET", "/v1/triage"),
        ("POST", "/v1/assign"), ("POST", "/v1/tickets/{ticket}/escalate"),
    }
    assert "HTTPBearer" in document["components"]["securitySchemes"]
    assert {p["name"] for p in document["paths"]["/v1/tickets"]["get"]["parameters"]} >= {"status", "reseller", "created_after", "sort", "limit"}
    docs = server("GET", "/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_cors_is_off_unless_origins_are_given(shop, serve_desk):
    cli, tokens = shop
    preflight = {"Origin": "https://panel.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    plain = serve_desk(cli.path)
    assert "access-control-allow-origin" not in plain("OPTIONS", "/v1/status", headers=preflight).headers
    assert "access-control-allow-origin" not in plain("GET", "/v1/status", tokens["acme"], headers={"Origin": "https://panel.example"}).headers
    allowed = serve_desk(cli.path, cors_origins=("https://panel.example",))
    assert allowed("OPTIONS", "/v1/status", headers=preflight).headers["access-control-allow-origin"] == "https://panel.example"
    assert "access-control-allow-origin" not in allowed("OPTIONS", "/v1/status", headers=preflight | {"Origin": "https://evil.example"}).headers


# ---- several servers on one desk ------------------------------------------------------------


def test_two_servers_writing_at_once_lose_nothing(shop, serve_desk):
    """Two apps (as two server processes: each its own connections) and four threads each,
    filing and replying at once on one desk file: every write answered is in the file."""
    cli, tokens = shop
    servers = [serve_desk(cli.path), serve_desk(cli.path)]
    each = 6
    failures: list[str] = []

    def work(served: Server, name: str, n: int) -> None:
        for k in range(each):
            filed = served("POST", "/v1/tickets", tokens[name], json={"subject": f"load {n}-{k}", "body": "x", "customer": "blog@two.example"})
            if filed.status_code != 201:
                failures.append(filed.text)
                continue
            replied = served("POST", f"/v1/tickets/{filed.json()['id']}/replies", tokens[name], json={"text": f"reply {n}-{k}"})
            if replied.status_code != 200:
                failures.append(replied.text)

    threads = [threading.Thread(target=work, args=(servers[n % 2], "acme", n)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]
    conn = sqlite3.connect(cli.path)
    try:
        filed = conn.execute("SELECT count(*) FROM tickets WHERE subject LIKE 'load %'").fetchone()[0]
        replies = conn.execute("SELECT count(*) FROM messages WHERE body LIKE 'reply %'").fetchone()[0]
        ids = [r[0] for r in conn.execute("SELECT id FROM tickets ORDER BY id")]
    finally:
        conn.close()
    assert (filed, replies) == (8 * each, 8 * each)
    assert ids == list(range(1, len(ids) + 1))


# ---- the command ---------------------------------------------------------------------------


def test_serve_refuses_what_it_cannot_serve(shop, tmp_path):
    import socket

    cli, _ = shop
    cli.refused(2, "--certfile and --keyfile go together", "serve", "--certfile", "cert.pem", now=NOW)
    cli.refused(2, "cannot be used", "serve", "--certfile", "cert.pem", "--keyfile", "key.pem", now=NOW)
    missing = Cli(tmp_path / "none.db")
    missing.refused(3, "no desk at", "serve", now=NOW)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        cli.refused(4, f"cannot listen on 127.0.0.1:{port}", "serve", "--port", str(port), now=NOW)


def test_the_help_of_serve_names_its_options(shop):
    cli, _ = shop
    out = cli.ok("serve", "--help").stdout
    for option in ("--host", "--port", "--certfile", "--keyfile", "--workers", "--rate-limit", "--burst", "--max-body", "--threads", "--cors-origin"):
        assert option in out
    from supportdesk.cli import serve
    from supportdesk.server import desks

    assert serve.READ_THREADS == desks.READ_THREADS  # (the command's default, kept without importing the server)


def test_holders_act_at_the_real_time_and_agents_at_the_servers_pinned_instant(shop, serve_desk):
    cli, tokens = shop
    served = serve_desk(cli.path, now_text="2026-11-20T10:15")  # before ticket 4 was filed (10:20)
    assert [t["id"] for t in served.json("GET", "/v1/tickets", tokens["tester"])] == [3, 2, 1]
    assert "it was filed later" in refused(served("GET", "/v1/tickets/4", tokens["tester"]), 404, 3)
    assert served.json("GET", "/v1/desk", tokens["acme"])["now"] == "2026-11-20T07:15:00Z"
    assert FROZEN > instant("2026-11-20T10:15")


def test_serve_runs_two_worker_processes_on_one_port_and_stops_on_sigterm(shop, tmp_path):
    """The real command: `serve --workers 2` answers on its port from two processes,
    logs one line per request on stderr (uvicorn's own access log off), and stops cleanly."""
    import http.client
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    cli, tokens = shop
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(root))
    log = tmp_path / "serve.log"
    argv = [sys.executable, "-m", "supportdesk", "--db", str(cli.path), "--now", NOW, "serve", "--port", str(port), "--workers", "2"]
    with log.open("w") as stderr:
        server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        answers: list[tuple[int, dict]] = []
        deadline = time.monotonic() + 30
        while len(answers) < 6 and time.monotonic() < deadline:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request("GET", "/v1/status?all=true", headers={"Authorization": f"Bearer {tokens['acme']}"})
                reply = connection.getresponse()
                answers.append((reply.status, json.loads(reply.read())))
            except OSError:
                time.sleep(0.2)
            finally:
                connection.close()
        assert len(answers) == 6 and all(status == 200 for status, _ in answers), answers
        assert {t["id"] for t in answers[0][1]["tickets"]} == {1, 2}
        if Path("/proc").is_dir():  # two worker processes under the one started
            children = [s for s in Path("/proc").glob("[0-9]*/cmdline") if _parent(s.parent) == server.pid and b"spawn_main" in s.read_bytes()]
            assert len(children) == 2
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(30)
    lines = log.read_text().splitlines()
    assert code == 0, lines
    assert lines[0].startswith(f"serving the desk {cli.path} at http://127.0.0.1:{port}/v1") and "2 worker processes" in lines[0]
    requests = [line for line in lines if " GET /v1/status " in line]
    assert len(requests) == 6 and all(line.split(" ")[1] == tokens["acme"][:8] for line in requests), lines
    assert not [line for line in lines[1:] if line not in requests and "Finished server process" not in line and "Shutting down" not in line], lines


def _parent(process: Path) -> int | None:
    """The parent process id of /proc/PID (None when it is gone)."""
    try:
        return int((process / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
