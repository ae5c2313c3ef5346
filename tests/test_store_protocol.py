"""The store interface: the SQLite store satisfies DeskStore, everything above the store
asks it only for what DeskStore lists, and no SQLite-specific construct leaks above it."""

from __future__ import annotations

import ast
import inspect
import io
import re
import tokenize
from pathlib import Path

import pytest

from supportdesk.store import DeskStore, Store

PACKAGE = Path(__file__).resolve().parent.parent / "supportdesk"
STORE_PACKAGE = PACKAGE / "store"


def _protocol_members() -> dict[str, object]:
    """Every member DeskStore declares (methods and data attributes), by name."""
    members: dict[str, object] = {}
    for name, value in vars(DeskStore).items():
        if name.startswith("_"):
            continue
        members[name] = value
    for name in getattr(DeskStore, "__annotations__", {}):
        members.setdefault(name, None)
    return members


def _methods() -> list[str]:
    return sorted(n for n, v in _protocol_members().items() if v is not None)


def _kind(cls: type, name: str) -> str:
    raw = inspect.getattr_static(cls, name)
    if isinstance(raw, classmethod):
        return "classmethod"
    if isinstance(raw, staticmethod):
        return "staticmethod"
    return "method"


def test_the_protocol_lists_the_operations_with_one_line_backend_neutral_docstrings():
    methods = _methods()
    assert len(methods) >= 50
    for name in methods:
        doc = inspect.getdoc(getattr(DeskStore, name))
        assert doc, f"DeskStore.{name} has no docstring"
        assert "\n" not in doc, f"DeskStore.{name}: the docstring is one line"
        assert not re.search(r"sqlite|\bSQL\b|pragma|fts|wal\b", doc, re.IGNORECASE), f"DeskStore.{name}: {doc!r}"


@pytest.mark.parametrize("name", _methods())
def test_the_sqlite_store_has_every_protocol_method_with_a_compatible_signature(name):
    assert hasattr(Store, name), f"Store lacks DeskStore.{name}"
    assert _kind(Store, name) == _kind(DeskStore, name), f"Store.{name} is not a {_kind(DeskStore, name)}"
    wanted = inspect.signature(getattr(DeskStore, name))
    actual = inspect.signature(getattr(Store, name))
    have = actual.parameters
    for param in wanted.parameters.values():
        assert param.name in have, f"Store.{name} lacks the parameter {param.name}"
        mine = have[param.name]
        assert mine.kind == param.kind, f"Store.{name}({param.name}): {mine.kind} instead of {param.kind}"
        if param.default is not inspect.Parameter.empty:
            assert mine.default == param.default, f"Store.{name}({param.name}) defaults to {mine.default!r}, not {param.default!r}"
        else:
            assert mine.default is inspect.Parameter.empty, f"Store.{name}({param.name}) must be required"
    # The store may take more, but only what callers of the protocol can leave out.
    extra = [p for p in have.values() if p.name not in wanted.parameters]
    assert all(p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in extra), (
        f"Store.{name} requires parameters the protocol does not have: {[p.name for p in extra]}"
    )
    positional = [p.name for p in wanted.parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert list(have)[: len(positional)] == positional, f"Store.{name}: positional parameters in another order"


def test_an_open_sqlite_store_is_a_desk_store(tmp_path):
    store = Store.create(tmp_path / "d.db")
    try:
        assert isinstance(store, DeskStore)
        for name in _protocol_members():
            assert hasattr(store, name), name
        with store.transaction() as inside:
            assert inside is store
    finally:
        store.close()


# ---- what the code above the store asks of it --------------------------------------------


def _above_the_store() -> list[Path]:
    files = sorted(p for p in PACKAGE.rglob("*.py") if STORE_PACKAGE not in p.parents)
    assert len(files) > 20 and PACKAGE / "maintenance.py" in files
    return files


def _store_expression(node: ast.expr) -> bool:
    """`store`, `Store`, `self.store`, `desk.store`: an expression that is the store."""
    if isinstance(node, ast.Name):
        return node.id in ("store", "Store")
    return isinstance(node, ast.Attribute) and node.attr == "store"


def test_the_code_above_the_store_asks_only_for_what_the_protocol_lists():
    allowed = set(_protocol_members())
    asked: dict[str, set[str]] = {}
    for path in _above_the_store():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and _store_expression(node.value):
                asked.setdefault(node.attr, set()).add(str(path.relative_to(PACKAGE.parent)))
    assert {"transaction", "apply", "find_tickets", "queue", "copy_to"} <= set(asked)
    unlisted = {name: sorted(files) for name, files in asked.items() if name not in allowed}
    assert not unlisted, f"used above the store but not in DeskStore: {unlisted}"


# ---- the guard: no SQLite-specific construct above the store -----------------------------

# What only SQLite understands (or what reaches past the store to SQLite): SQL written
# above the store would have to be written again for a PostgreSQL store.
LEAKS = {
    "json_each": re.compile(r"\bjson_each\b", re.IGNORECASE),
    "FTS5 MATCH": re.compile(r"\bMATCH\b"),
    "FTS5": re.compile(r"\bfts5\b|\btickets_fts\b", re.IGNORECASE),
    "INDEXED BY": re.compile(r"\bINDEXED\s+BY\b", re.IGNORECASE),
    "INSERT OR REPLACE/IGNORE": re.compile(r"\bINSERT\s+OR\s+(REPLACE|IGNORE)\b", re.IGNORECASE),
    "PRAGMA": re.compile(r"\bPRAGMA\b", re.IGNORECASE),
    "sqlite_master": re.compile(r"\bsqlite_(master|schema|sequence)\b", re.IGNORECASE),
    "the sqlite3 module": re.compile(r"\bsqlite3\b"),
    "sqlite-utils": re.compile(r"\bsqlite_utils\b"),
    "the store's connection": re.compile(r"\.conn\b"),
    "executemany": re.compile(r"\bexecutemany\b"),
    "iterdump": re.compile(r"\biterdump\b"),
    "a sqlite-utils table": re.compile(r"\.db\["),
}


def _without_comments(text: str) -> list[str]:
    """The lines of Python source with its comments blanked (`# pragma: no cover` is
    coverage's, not SQLite's); code and strings, where SQL would be, stay."""
    lines = text.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            (row, col), _ = token.start, token.end
            lines[row - 1] = lines[row - 1][:col]
    return lines


def leaks_in(text: str) -> list[tuple[int, str, str]]:
    """(line number, construct, line) for every SQLite-specific construct in the code and
    strings of the Python source `text`."""
    found = []
    for number, line in enumerate(_without_comments(text), start=1):
        for what, pattern in LEAKS.items():
            if pattern.search(line):
                found.append((number, what, line.strip()))
    return found


@pytest.mark.parametrize(
    "line",
    [
        'rows = conn.execute("SELECT value FROM json_each(?)", [ids])',
        '"SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ?"',
        '"FROM tickets t INDEXED BY tickets_triage"',
        '"insert or replace into holiday_cache VALUES (?)"',
        'store.conn.execute("pragma user_version")',
        "import sqlite3",
        "except sqlite3.DatabaseError:",
        "if store.conn.in_transaction:",
        "store.conn.executemany(sql, rows)",
        'self.store.db["tickets"].insert(row)',
    ],
)
def test_the_guard_sees_a_planted_leak(line):
    assert leaks_in(line), line


def test_the_guard_lets_ordinary_code_and_comments_pass():
    text = (
        'def find(self, flt):  # pragma: no cover\n    """Tickets that match the filter."""\n'
        '    match flt.sort:\n        case "id": pass\n'
    )
    assert leaks_in(text) == []


def test_no_sqlite_specific_construct_appears_above_the_store():
    leaks = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {what}: {line}"
        for path in _above_the_store()
        for number, what, line in leaks_in(path.read_text(encoding="utf-8"))
    ]
    assert not leaks, "SQLite-specific code above supportdesk/store/ (move it behind a store method):\n" + "\n".join(leaks)


def test_the_store_package_is_where_the_sql_is():
    # The guard would pass vacuously if the SQL had moved elsewhere: it is in the store.
    text = "\n".join(p.read_text(encoding="utf-8") for p in STORE_PACKAGE.glob("*.py"))
    for what in ("json_each", "FTS5 MATCH", "INDEXED BY", "INSERT OR REPLACE/IGNORE", "PRAGMA"):
        assert LEAKS[what].search(text), what


def test_no_module_of_the_store_exceeds_700_lines():
    long = {p.name: n for p in STORE_PACKAGE.glob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 700}
    assert not long, long


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_api_and_the_layers_below_never_import_the_cli():
    """The server, the desk, the store and the domain modules are used without the CLI
    (by `serve`, by library callers): none of them reaches into supportdesk.cli."""
    below = [p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts[:1] and p.name != "__main__.py"]
    leaks = {str(p.relative_to(PACKAGE)): sorted(m for m in _imported_modules(p) if m == "supportdesk.cli" or m.startswith("supportdesk.cli."))
             for p in below}
    assert {k: v for k, v in leaks.items() if v} == {}
    assert any(p.parts[-2] == "server" for p in below)
