"""Writes of one transaction run on a helper thread while the caller goes on.

A bulk close plans its next thousands of tickets in Python while SQLite writes the last
ones: SQLite lets go of Python's interpreter lock for as long as a statement runs, so the
two use two cores. Only single statements are handed over (an UPDATE or INSERT reading its
rows from one JSON parameter): `executemany` takes the interpreter lock back for every
row, and on a helper thread it would wait for it each time.

While the writer runs, the caller sees the connection through `Drained`: any use of it
first waits for every write handed over so far, so a read always sees them and the
connection is never used by two threads at once. A write that fails stops the writer;
the error is raised to the caller at its next use of the connection, or when the block
ends, and the transaction is rolled back as usual.
"""

from __future__ import annotations

import queue
import sqlite3
import sys
import threading
from typing import Any

# How long the writer may wait for the interpreter lock after each statement (Python's
# default, 5 ms, would cost a bulk close of 100 000 tickets half a second of waiting).
# Process-wide: set by the first writer running, restored by the last (the server runs
# requests on threads).
SWITCH_INTERVAL = 0.0005
_running = 0
_saved_interval = 0.0
_interval_lock = threading.Lock()


def _writer_started() -> None:
    global _running, _saved_interval
    with _interval_lock:
        if _running == 0:
            _saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_saved_interval, SWITCH_INTERVAL))
        _running += 1


def _writer_stopped() -> None:
    global _running
    with _interval_lock:
        _running -= 1
        if _running == 0:
            sys.setswitchinterval(_saved_interval)


class BackgroundWriter:
    """One helper thread that runs the statements it is given, in order, on `conn`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._jobs: queue.Queue[tuple[str, Any] | None] = queue.Queue()
        self._error: BaseException | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="supportdesk-writer", daemon=True)
        _writer_started()
        self._thread.start()

    def submit(self, sql: str, params: Any = ()) -> None:
        """Run one statement after those given before (raises a failed write's error)."""
        self._raise()
        self._jobs.put((sql, params))

    def drain(self) -> None:
        """Wait until every statement given so far has run; raise the error of one that failed."""
        self._jobs.join()
        self._raise()

    def close(self, *, failed: bool) -> None:
        """Stop the thread: after the statements given so far, or (`failed`: the caller is
        rolling back) after the one running now, skipping the rest."""
        if failed:
            self._stopping = True
        self._jobs.put(None)
        try:
            self._thread.join()
        finally:
            _writer_stopped()
        if not failed:
            self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._error is None and not self._stopping:
                    self.conn.execute(*job)
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
                self._error = error
            finally:
                self._jobs.task_done()


class Drained:
    """The connection as the caller's thread sees it while a BackgroundWriter runs on it:
    every use waits for the writes handed over so far."""

    __slots__ = ("_conn", "_writer")

    def __init__(self, conn: sqlite3.Connection, writer: BackgroundWriter) -> None:
        self._conn = conn
        self._writer = writer

    def __getattr__(self, name: str) -> Any:
        self._writer.drain()
        return getattr(self._conn, name)
