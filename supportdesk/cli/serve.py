"""`supportdesk serve`: the desk as an HTTP JSON API for resellers, customers and remote
agents (supportdesk/server/), on uvicorn. fastapi and uvicorn are imported only here."""

from __future__ import annotations

from typing import Annotated

import typer

from supportdesk.cli.app import app, globals_of, say
from supportdesk.errors import DeskUnavailable, InvalidInput

# The default of --threads (supportdesk.server.desks.READ_THREADS, not imported here: the
# server's modules are imported only when `serve` runs).
READ_THREADS = 2

# The largest number of worker processes `--workers` takes.
MAX_WORKERS = 64


def _check_tls(certfile: str | None, keyfile: str | None) -> None:
    """Both or neither, and a certificate and key that load."""
    if (certfile is None) != (keyfile is None):
        raise InvalidInput("--certfile and --keyfile go together: give both for HTTPS, or neither (TLS from a reverse proxy)")
    if certfile is None or keyfile is None:
        return
    import ssl

    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as error:
        raise InvalidInput(f"--certfile {certfile} / --keyfile {keyfile} cannot be used: {getattr(error, 'strerror', None) or error}") from None


def _check_address(host: str, port: int) -> None:
    """Refuse an address nobody can listen on before uvicorn tries (it would only log it)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise InvalidInput(f"--host {host!r} is not an address of this machine ({error.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise DeskUnavailable(f"cannot listen on {host}:{port} ({error.strerror}); is a server running there already? choose another --port") from None


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="The address to listen on (0.0.0.0: every interface; prefer a reverse proxy).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", min=1, max=65535, help="The port to listen on.")] = 8080,
    certfile: Annotated[str | None, typer.Option(metavar="FILE", help="TLS certificate (PEM) to serve HTTPS directly; with --keyfile.")] = None,
    keyfile: Annotated[str | None, typer.Option(metavar="FILE", help="TLS private key (PEM), with --certfile.")] = None,
    workers: Annotated[int, typer.Option(metavar="N", min=1, max=MAX_WORKERS, help="Server processes sharing the desk file.")] = 1,
    rate_limit: Annotated[float, typer.Option("--rate-limit", metavar="N", min=0, help="Requests a second per token, per process (0: no limit).")] = 20.0,
    burst: Annotated[int, typer.Option(metavar="N", min=1, help="Requests a token may make at once before --rate-limit applies.")] = 100,
    max_body: Annotated[int, typer.Option("--max-body", metavar="BYTES", min=1024, help="The largest request body taken (413 beyond).")] = 2 * 1024 * 1024,
    threads: Annotated[
        int, typer.Option(metavar="N", min=1, max=64, help="Reads each worker process works on at once, a thread each (in Python more cost CPU, not time).")
    ] = READ_THREADS,
    cors_origin: Annotated[
        list[str] | None, typer.Option("--cors-origin", metavar="ORIGIN", help="Let web pages from ORIGIN call the API (repeat for more; default: none).")
    ] = None,
) -> None:
    """Serve the desk as an HTTP JSON API (/v1/…) for resellers, customers and remote agents.

    Token holders call it with `Authorization: Bearer <token>` and get what the CLI gives
    them, with the same scoping and refusals; OpenAPI at /openapi.json, docs at /docs.
    One access-log line per request goes to stderr. Runs until Ctrl-C (or SIGTERM).
    """
    from supportdesk.config import locate_desk
    from supportdesk.server.app import Settings, app_from_settings

    location = locate_desk(globals_of(ctx).db)
    _check_tls(certfile, keyfile)
    settings = Settings(
        desk=str(location.path), now=globals_of(ctx).now, max_body=max_body, rate=rate_limit, burst=burst,
        cors_origins=tuple(cors_origin or ()), read_threads=threads,
    )
    api = app_from_settings(settings)  # opens the desk once: a missing or foreign file is refused here
    _check_address(host, port)

    from supportdesk.server.workers import run_many, run_one, uvicorn_options

    scheme = "https" if certfile else "http"
    shown = f"[{host}]" if ":" in host else host
    say(
        f"serving the desk {location.path} at {scheme}://{shown}:{port}/v1 (docs: {scheme}://{shown}:{port}/docs) "
        f"with {workers} worker process{'es' if workers > 1 else ''}; Ctrl-C stops"
    )
    options = uvicorn_options(host, port, certfile, keyfile)
    if workers == 1:
        run_one(api, options)
    else:
        run_many(settings.to_env(), options, workers, say)
