"""The store: the only package that speaks SQL.

`DeskStore` (protocol.py) lists the operations the desk needs in backend-neutral terms;
`Store` is today's implementation over one SQLite file (sqlite.py, with sqlite_files,
sqlite_queries and sqlite_maintenance). Filter-to-SQL and full-text search live here, so
nothing above this package uses an SQLite-specific construct
(tests/test_store_protocol.py keeps it so).
"""

from __future__ import annotations

from supportdesk.store.migrations import SCHEMA_VERSION
from supportdesk.store.protocol import DeskStore
from supportdesk.store.sqlite import Store
from supportdesk.store.sqlite_files import backend_error_message

__all__ = ["SCHEMA_VERSION", "DeskStore", "Store", "backend_error_message"]
