"""Running the app on uvicorn: one process, or several sharing one desk file.

With `--workers N` each worker process listens on a socket of its own bound to the same
address with SO_REUSEPORT, so that the kernel spreads new connections evenly over them.
(uvicorn's own workers share one listening socket, and the process that wakes first takes
every connection waiting: with keep-alive clients one worker does nearly all the work.)
The first process supervises: it starts the workers, starts another when one dies, and
stops them all on Ctrl-C or SIGTERM. Where SO_REUSEPORT is missing, uvicorn's own
workers are used. The desk file is shared as the CLI shares it: WAL, a busy timeout for
writers, and each write in one transaction.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from typing import Any

# A worker that dies sooner than this after starting, this many times in a row, stops the server.
QUICK_DEATH_SECONDS = 5.0
QUICK_DEATHS = 3


def uvicorn_options(host: str, port: int, certfile: str | None, keyfile: str | None) -> dict[str, Any]:
    """The options every server process gives uvicorn: its own access log off (ours is on),
    warnings and errors only, no Server header."""
    return dict(
        host=host, port=port, ssl_certfile=certfile, ssl_keyfile=keyfile, access_log=False, log_level="warning",
        server_header=False, timeout_graceful_shutdown=10,
    )


def listening_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    """A socket listening on host:port (with SO_REUSEPORT when several processes share it)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def run_one(api: Any, options: dict[str, Any]) -> None:
    """The app in this process, until Ctrl-C or SIGTERM."""
    import uvicorn

    uvicorn.run(api, **options)


def _worker(settings_text: str, options: dict[str, Any]) -> None:
    """A worker process: the app on a socket of its own."""
    import uvicorn

    from supportdesk.server.app import Settings, app_from_settings

    sock = listening_socket(options["host"], options["port"], reuse_port=True)
    api = app_from_settings(Settings.from_env(settings_text))
    uvicorn.Server(uvicorn.Config(api, **options)).run(sockets=[sock])


def run_many(settings_text: str, options: dict[str, Any], workers: int, say: Any) -> None:
    """`workers` processes sharing host:port, supervised until Ctrl-C or SIGTERM."""
    if not hasattr(socket, "SO_REUSEPORT"):
        import uvicorn

        from supportdesk.server.app import SETTINGS_ENV

        os.environ[SETTINGS_ENV] = settings_text
        uvicorn.run("supportdesk.server.app:app_from_env", factory=True, workers=workers, **options)
        return
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}

    started: dict[int, float] = {}  # process id -> when

    def start() -> Any:
        process = context.Process(target=_worker, args=(settings_text, options), daemon=False)
        process.start()
        started[process.pid] = time.monotonic()
        return process

    running = [start() for _ in range(workers)]
    quick = 0
    try:
        while not stopping:
            wait([p.sentinel for p in running], timeout=0.5)
            for n, process in enumerate(running):
                if process.is_alive() or stopping:
                    continue
                lived = time.monotonic() - started.pop(process.pid, 0.0)
                quick = quick + 1 if lived < QUICK_DEATH_SECONDS else 0
                if quick >= QUICK_DEATHS:
                    from supportdesk.errors import DeskUnavailable

                    raise DeskUnavailable(f"the server's worker processes keep exiting at start (last: exit {process.exitcode}); see the lines above")
                say(f"worker process {process.pid} exited (exit {process.exitcode}) after {lived:.0f} s; starting another")
                running[n] = start()
    finally:
        for process in running:
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in running:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    sys.stderr.flush()

