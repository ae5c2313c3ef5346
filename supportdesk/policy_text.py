"""A policy as text: normalised TOML (dumping) and `policy show --explain`, both derived
from the key declarations on the model (`policy_schema.py`)."""

from __future__ import annotations

import re
from typing import Any

from supportdesk.policy import _HEADER_RE, _KEY_RE, Policy, _split_dotted, key_lines
from supportdesk.policy_schema import (
    RECORDED,
    TEXT_ONLY,
    Key,
    Section,
    declaration,
    show_duration,
)

_EMPTY: tuple[Any, ...] = ((), [], {}, "")

# What `policy show --explain` says of keys the desk does not act on.
EXPLAIN_RECORDED = "Not acted on yet: supportdesk keeps it for people to read."
EXPLAIN_TEXT = "Text for people; the desk shows it but does not act on it."


def to_data(item: Any) -> dict[str, Any]:
    """A model object as TOML-ready data, leaving out what equals its default."""
    out: dict[str, Any] = {}
    for entry in declaration(type(item)):
        value = getattr(item, entry.attr)
        if isinstance(entry, Key):
            if value is None or (not entry.always and value == entry.default):
                continue
            data = entry.kind.dump(value)
            if data in _EMPTY and not entry.always:
                continue
        elif value is None or value == ():
            continue
        elif entry.shape == "table":
            data = to_data(value)
        elif entry.shape == "array":
            data = [to_data(v) for v in value]
        else:
            data = {v.name: to_data(v) for v in value}
        if data in _EMPTY and not isinstance(entry, Key):
            continue
        target = out
        for part in entry.path[:-1]:
            target = target.setdefault(part, {})
        target[entry.name] = data
    if getattr(item, "open_always", False):  # a 24/7 calendar says so instead of listing its hours
        out.pop("hours", None)
    return out


def policy_to_data(policy: Policy) -> dict[str, Any]:
    """The policy as TOML-ready data; loading it back gives an equal Policy."""
    return to_data(policy)


def dump_policy(policy: Policy) -> str:
    """The policy as normalised TOML (written with tomli-w), sections in declaration order."""
    import tomli_w

    def array_item(path: str, item: dict[str, Any]) -> str:
        nested: Any = item
        for part in reversed(path.split(".")):
            nested = {part: nested}
        text = tomli_w.dumps(nested)
        header = f"[{path}]"
        return f"[[{path}]]{text[len(header):]}" if text.startswith(header) else text

    chunks = []
    for section, value in to_data(policy).items():
        if isinstance(value, list):
            chunks.extend(array_item(section, item) for item in value)
        elif len(value) == 1 and isinstance(only := next(iter(value.values())), list) and only and isinstance(only[0], dict):
            chunks.extend(array_item(f"{section}.{next(iter(value))}", item) for item in only)
        else:
            chunks.append(tomli_w.dumps({section: value}))
    return "\n".join(chunk.strip() + "\n" for chunk in chunks)


def diff_policies(old: Policy, new: Policy, old_name: str, new_name: str) -> str:
    """What changed between two policies, as a unified diff of their normalised TOML
    ("" when they are the same)."""
    import difflib

    texts = [dump_policy(p).splitlines(keepends=True) for p in (old, new)]
    return "".join(difflib.unified_diff(*texts, fromfile=old_name, tofile=new_name))


def key_tables(model: type = Policy, prefix: str = "") -> dict[str, tuple[Key, ...]]:
    """Every TOML table a policy may have (`desk`, `calendars.NAME`, `priorities[]`…) and
    the keys it takes."""
    tables: dict[str, list[Key]] = {}
    for entry in declaration(model):
        table = ".".join(p for p in (prefix, *entry.path[:-1]) if p)
        if isinstance(entry, Key):
            tables.setdefault(table, []).append(entry)
            continue
        path = ".".join(p for p in (table, entry.name) if p)
        path += {"array": "[]", "named": ".NAME", "table": ""}[entry.shape]
        tables.update(key_tables(entry.model, path))
    return {name: tuple(keys) for name, keys in tables.items()}


def _table_keys(path: str) -> tuple[Key, ...] | None:
    """The keys of a TOML table path such as `calendars.office` or `priorities[2]`."""
    generic = re.sub(r"\[\d+\]", "[]", path)
    parts = generic.split(".")
    if len(parts) == 2 and parts[0] in ("calendars", "rotations"):
        generic = f"{parts[0]}.NAME"
    return KEY_TABLES.get(generic)


def show_default(value: Any) -> str:
    """A default as a policy file would write it."""
    from datetime import timedelta

    if value is None:
        return "none"
    if isinstance(value, timedelta):
        return show_duration(value)
    if isinstance(value, (tuple, list, frozenset)):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def explain_key(key: Key) -> str:
    """A key's meaning, and what the desk does with it when it does not act on it."""
    note = {RECORDED: f" {EXPLAIN_RECORDED}", TEXT_ONLY: ""}.get(key.acts, "")
    return f"{key.help}{note}"


def explain_policy(toml_text: str) -> str:
    """Normalised policy TOML with each key's meaning above it and unset keys listed."""
    out: list[str] = []
    table_keys: tuple[Key, ...] | None = None
    seen: set[str] = set()

    def close_table() -> None:
        for key in table_keys or ():
            if key.name not in seen and not key.required:
                out.append(f"# {key.name} = {show_default(key.default)}  (unset) {explain_key(key)}")

    paths = {line: path for path, line in key_lines(toml_text).items()}
    for number, raw in enumerate(toml_text.splitlines(), start=1):
        header = _HEADER_RE.match(raw)
        if header and not _KEY_RE.match(raw):
            close_table()
            table_keys = _table_keys(paths.get(number, ""))
            seen = set()
            if out and out[-1] != "":
                out.append("")
            out.append(raw)
            continue
        key = _KEY_RE.match(raw)
        if key and table_keys:
            name = _split_dotted(key.group(1))[0]
            spec = next((k for k in table_keys if k.name == name), None)
            if spec is not None:
                seen.add(name)
                out.append(f"# {explain_key(spec)} (default: {show_default(spec.default)})")
        if raw.strip():
            out.append(raw)
    close_table()
    return "\n".join(out) + "\n"


KEY_TABLES = key_tables()
__all__ = ["KEY_TABLES", "Section", "diff_policies", "dump_policy", "explain_policy", "policy_to_data", "to_data"]
