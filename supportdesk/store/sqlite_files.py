"""The SQLite file itself: connecting to it, telling a desk file from any other, wording
SQLite's errors for people, and whether another process has it open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from supportdesk.errors import DeskUnavailable

# How long a writer waits for another to finish. Write transactions take milliseconds,
# but a bulk close of 100 000 tickets or a policy apply on a big desk takes seconds, and
# cron jobs and people write at once: a writer must wait, never fail.
BUSY_TIMEOUT_SECONDS = 120.0
SQLITE_HEADER = b"SQLite format 3\x00"
# What SQLite raises when it cannot read what is stored (a damaged file): a check reports
# it as a problem and goes on with its other parts.
READ_ERRORS: tuple[type[Exception], ...] = (sqlite3.DatabaseError,)


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the file at `path` as every desk uses it."""
    # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE) in transaction().
    # check_same_thread=False: a bulk operation's writes run on a helper thread while the
    # caller waits for them before any other use (store.sqlite_writer); nothing else
    # shares a connection between threads.
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    # A larger page cache (64 MiB, allocated only as used) keeps bulk changes on big
    # desks from re-reading the same index pages.
    conn.execute("PRAGMA cache_size=-65536")
    return conn


def connect_existing(path: Path) -> sqlite3.Connection | None:
    """A connection to the non-empty file at `path` once SQLite has read its header, or
    None when the file is not an SQLite database (SQLite writes nothing to it then).

    Never open() and close() a desk file from Python: closing any descriptor of a file
    drops every POSIX lock this process holds on it, those of its other SQLite
    connections to the same file included (sqlite.org/howtocorrupt.html, section 2.2),
    and another process may then checkpoint and delete the WAL under them. SQLite's own
    descriptors are safe: it defers their close while the process holds locks."""
    conn = None
    try:
        conn = connect(path)  # its PRAGMAs may read the header already
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as error:
        if conn is not None:
            conn.close()
        if "not a database" in str(error):
            return None
        raise
    return conn


def explain_error(path: Path, error: sqlite3.Error) -> DeskUnavailable:
    """SQLite's error about the desk at `path`, as one line for people."""
    text = str(error)
    if "locked" in text or "busy" in text:
        return DeskUnavailable(
            f"the desk {path} is busy (another supportdesk is writing); try again in a moment"
        )
    if "not a database" in text or "malformed" in text:
        return DeskUnavailable(f"{path} is not a supportdesk desk (SQLite says: {text})")
    if "readonly" in text or "unable to open" in text:
        return DeskUnavailable(f"cannot write the desk {path}: {text}; check its permissions")
    return DeskUnavailable(f"the desk {path} cannot be used: {text}")


def backend_error_message(error: BaseException) -> str | None:
    """The one line to show for an error SQLite raised that nothing else caught, or None
    when `error` is not SQLite's."""
    if not isinstance(error, sqlite3.Error):
        return None
    text = str(error)
    if "locked" in text or "busy" in text:
        return "the desk is busy (another supportdesk is writing); try again in a moment"
    if "readonly" in text or "unable to open" in text or "disk I/O" in text:
        return f"the desk file cannot be written ({text}); check its permissions and free space"
    return f"the desk file cannot be used (SQLite says: {text}); run `supportdesk check`"


def in_use(path: Path) -> bool:
    """Whether another connection has the SQLite file at `path` open: its -wal, -shm or
    -journal stays after ours (which folds a leftover WAL or journal into the file)
    closes. A file SQLite cannot read, without those companions, is not in use."""
    companions = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm", "-journal")]
    if not any(c.exists() for c in companions):
        return False
    try:
        conn = sqlite3.connect(str(path), timeout=1.0, isolation_level=None)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        pass
    return any(c.exists() for c in companions)
