"""The desk a request acts on, opened for the holder of its token.

`Desk.open` costs about a millisecond, most of it opening the SQLite file and reading the
compiled policy; a server answering hundreds of requests a second keeps both instead:

- one Store (one SQLite connection) per worker thread, kept while the thread lives (a
  connection belongs to the thread that made it; SQLite's WAL lets them all read while
  one writes, and writers wait for each other with the store's busy timeout);
- the policy of each stored version, read once per process: every request still asks
  the store which version is in force (a few microseconds), so `policy apply` takes
  effect on the next request, and a write catches up with a version applied meanwhile
  as on the CLI;
- the calendars of each version, per thread (they cache the open spans they compute).

The token is looked up on every request (a few indexed reads), so a revoked or expired
token is refused from the next request on. The checks are the CLI's own (`token_actor`);
nothing is added or removed.

Threads: reads and writes each have a few threads of their own (Threads below). Python
runs one thread at a time, and threads fighting for it cost more than they give: on two
cores, 8 threads answering `status` took twice the CPU of one, for fewer answers a
second. Writes wait for SQLite's write lock (sleeping) without holding up the reads.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supportdesk.errors import InvalidInput, Refused

if TYPE_CHECKING:
    from supportdesk.desk import Desk
    from supportdesk.policy import Policy
    from supportdesk.store import Store


def real_clock() -> datetime:
    """The wall clock: the server reads it once per request, at the edge, as the CLI does."""
    return datetime.now(UTC)


# Threads of each server process for reads and for writes (see the module's docstring).
READ_THREADS = 2
WRITE_THREADS = 4


class NotAuthenticated(Refused):
    """The request's token is missing, unknown, revoked or expired (HTTP 401, exit 1)."""


# How a request without a usable Authorization header is refused.
NO_TOKEN = "no token: send it in the header `Authorization: Bearer <token>` (a token of `supportdesk token issue`)"


class Desks:
    """Opens the desk at `path` for each request; see the module's docstring.

    `now_text` (`serve --now`) pins the server's clock to one instant, read once at start
    in the desk's zone: agents act at it as with `--now` on the CLI (pinned: views leave
    out what was filed later); resellers and customers, who may not use --now, act at it
    as at the real time.
    """

    def __init__(self, path: Path, *, now_text: str | None = None, clock: Callable[[], datetime] = real_clock):
        from supportdesk.desk import resolve_now
        from supportdesk.store import Store

        self.path = path
        self._local = threading.local()
        self._policies: dict[int, Policy] = {}
        store = Store.open(path)  # refuses a missing or foreign file; upgrades an old desk once, here
        try:
            policy, _ = self._policy(store)
            self.pinned = resolve_now(now_text, policy, clock()).astimezone(UTC) if now_text else None
        finally:
            store.close()
        pinned = self.pinned
        self.clock: Callable[[], datetime] = (lambda: pinned) if pinned is not None else clock

    def _store(self) -> Store:
        """This thread's connection to the desk."""
        store = getattr(self._local, "store", None)
        if store is None:
            from supportdesk.store import Store

            store = self._local.store = Store.open(self.path)
            self._local.calendars = {}
        return store

    def _forget_store(self) -> None:
        """Drop this thread's connection (after an error of the database's: the next request opens a new one)."""
        store = getattr(self._local, "store", None)
        self._local.store = None
        if store is not None:
            try:
                store.close()
            except Exception:  # noqa: BLE001 - closing a broken connection: nothing more to do
                pass

    def _policy(self, store: Store) -> tuple[Policy, int]:
        """The policy in force and its version number, compiled once per version."""
        from supportdesk.policy_compiled import stored_policy

        row = store.latest_policy()
        if row is None:
            raise InvalidInput(f"the desk {self.path} has no policy; apply one with `supportdesk policy apply FILE`")
        policy = self._policies.get(row["id"])
        if policy is None:
            policy = self._policies[row["id"]] = stored_policy(row)
        return policy, row["id"]

    def act(self, token: str | None, use: Callable[[Desk], Any]) -> Any:
        """What `use(desk)` returns, on the desk acting for the holder of `token`."""
        with self._opened(token) as desk:
            return use(desk)

    @contextmanager
    def _opened(self, token: str | None) -> Iterator[Desk]:
        from supportdesk.desk import Desk
        from supportdesk.desk.context import token_actor

        if not token or not token.strip():
            raise NotAuthenticated(NO_TOKEN)
        store = self._store()
        try:
            policy, version = self._policy(store)
            now = self.clock()
            try:
                actor = token_actor(store, token, now)
            except Refused as refused:
                raise NotAuthenticated(refused.message) from None
            pinned = self.pinned is not None and actor.is_agent
            desk = Desk(store, policy, actor, now, version, clock=self.clock, pinned=pinned)
            desk.by_token = True
            cached = self._local.calendars.get(version)
            if cached is None:
                self._local.calendars = {version: desk.calendars}
            else:
                desk.calendars = cached
            yield desk
        except Exception as error:
            from supportdesk.store import backend_error_message

            if backend_error_message(error) is not None:  # the database's own error: a new connection next time
                self._forget_store()
            raise



class Threads:
    """Runs the endpoints' work in threads, at most `reads` reads and `writes` writes at once
    (anyio's thread pool; a limit of its own for each, made in each event loop that asks)."""

    def __init__(self, reads: int = READ_THREADS, writes: int = WRITE_THREADS):
        self.sizes = {"read": reads, "write": writes}
        self._limits: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()

    async def run(self, kind: str, work: Callable[[], Any]) -> Any:
        """`work()` in a thread for reads or writes (`kind`), once one is free."""
        import asyncio

        import anyio
        import anyio.to_thread

        loop = asyncio.get_running_loop()
        limits = self._limits.get(loop)
        if limits is None:
            limits = self._limits[loop] = {name: anyio.CapacityLimiter(size) for name, size in self.sizes.items()}
        return await anyio.to_thread.run_sync(work, limiter=limits[kind])
