"""Text from outside: what it may contain when it comes in, and how it is shown. Pure.

Subjects, bodies, fields, reasons, names and addresses come from people and mail; any of
them may carry terminal escape sequences (CSI, OSC 8 hyperlinks, OSC 52 clipboard
writes) or bidirectional overrides that make text read differently than it is. They are
stored exactly (JSON keeps them, escaped) and never reach a terminal raw: `inert()` shows
each such character as a visible escape.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from supportdesk.errors import InvalidInput

# C0 controls except tab and newline, DEL, C1 controls, and the bidi embeddings,
# overrides and isolates (U+202A–U+202E, U+2066–U+2069).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Characters JSON leaves raw (ensure_ascii=False) that a terminal would still act on.
_JSON_RAW = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

SUBJECT_MAX = 200
FIELD_COUNT_MAX = 50
FIELD_NAME_MAX = 64
FIELD_VALUE_MAX = 1000
LINE_MAX = 1000


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: str, *, multiline: bool = True) -> str:
    """`text` with every control, escape and bidi-override character shown as `\\x1b`,
    `\\u202e`…; newlines and tabs are kept unless `multiline` is False."""
    pattern = _UNSAFE if multiline else _UNSAFE_LINE
    return pattern.sub(_escape, text)


def json_encoder(sort_keys: bool = False) -> Callable[[Any], str]:
    """A function writing a value as compact JSON text, non-ASCII kept (what
    `json.dumps(value, ensure_ascii=False, sort_keys=…)` gives), for many values.
    json.dumps with options builds an encoder a call, and JSONEncoder.encode builds its C
    encoder a call too; this makes the C encoder once (where the interpreter has one)."""
    import json
    from json import encoder

    if encoder.c_make_encoder is None:
        return json.JSONEncoder(ensure_ascii=False, sort_keys=sort_keys).encode

    def refuse(value: Any) -> Any:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    make = encoder.c_make_encoder(None, refuse, encoder.encode_basestring, None, ": ", ", ", sort_keys, False, True)
    return lambda value: "".join(make(value, 0))


def json_safe(encoded: str) -> str:
    """JSON text with C1 controls and bidi characters written as \\u escapes (same value)."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)


def _invisible(text: str) -> bool:
    """True when nothing in `text` would show: spaces, format and control characters."""
    return all(c.isspace() or unicodedata.category(c) in ("Cf", "Cc", "Zs", "Zl", "Zp", "Mn") for c in text)


def check_no_nul(text: str, what: str) -> str:
    """Refuse NUL, which no text of the desk may contain."""
    if "\x00" in text:
        raise InvalidInput(f"{what} contains a NUL character (at position {text.index(chr(0))}); remove it")
    return text


def check_line(text: str, what: str, *, limit: int = LINE_MAX, required: bool = True) -> str:
    """One line of text (a subject, a name, a reason): no control characters or line
    breaks, not only invisible characters, at most `limit` characters; stripped."""
    check_no_nul(text, what)
    value = text.strip()
    bad = _UNSAFE_LINE.search(value)
    if bad:
        shown = _escape(bad)
        raise InvalidInput(f"{what} contains the control character {shown} at position {bad.start()}; use plain text on one line")
    if required and (not value or _invisible(value)):
        raise InvalidInput(f"{what} is empty (or only invisible characters); give some text")
    if len(value) > limit:
        raise InvalidInput(f"{what} is {len(value)} characters long; keep it to {limit}")
    return value


def check_body(text: str, what: str, *, max_bytes: int) -> str:
    """A multi-line text (a description or a reply): no NUL, not empty, at most
    `max_bytes` bytes of UTF-8; stripped."""
    check_no_nul(text, what)
    value = text.strip()
    if not value or _invisible(value):
        raise InvalidInput(f"{what} is empty (or only invisible characters); give some text")
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise InvalidInput(
            f"{what} is {size:,} bytes; this desk takes at most {max_bytes:,} "
            "(policy key limits.body_max_bytes); attach large logs instead"
        )
    return value


def check_fields(fields: dict[str, str]) -> dict[str, str]:
    """Department fields: at most 50, names of at most 64 and values of 1000 characters."""
    if len(fields) > FIELD_COUNT_MAX:
        raise InvalidInput(f"{len(fields)} fields given; a ticket takes at most {FIELD_COUNT_MAX}")
    out: dict[str, str] = {}
    for key, value in fields.items():
        name = check_line(key, "a --field name", limit=FIELD_NAME_MAX)
        out[name] = check_line(value, f"--field {inert(name, multiline=False)}", limit=FIELD_VALUE_MAX, required=False)
    return out
