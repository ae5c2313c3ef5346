"""The policy's keys for the e-mail channel's delivery, as kinds of `policy_schema`:
notices reworded per kind and language (`[notices.KIND.LANG]`), the notification type of
each department's tickets, the language of notices, and the attachment cap. Pure.

A policy's templates are checked when it is read (syntax, the values they use, a trial
rendering), so `policy check` reports a broken one at its line; jinja2 is imported only
when a policy has templates.
"""

from __future__ import annotations

from typing import Any

from supportdesk.errors import InvalidInput
from supportdesk.policy_schema import (
    REQUIRED,
    Kind,
    Notes,
    _bounded,
    _guarded,
    _PairNames,
    _pairs_to_data,
    join,
    kind_of,
    to_languages,
    to_name,
)

# The largest attachment a policy may allow: 1 GiB (the bytes are read into memory).
ATTACHMENT_MAX = 1 << 30
ATTACHMENT_DEFAULT = 10 << 20  # 10 MiB

ATTACHMENT_LIMIT = Kind(_bounded(1, ATTACHMENT_MAX, "bytes"))


def _language(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"expected an ISO 639-1 code such as \"tr\", got {kind_of(value)}")
    return to_languages([value])[0]


LANGUAGE = Kind(_language)


@_guarded
def _department_type(notes: Notes, path: str, department: str, value: Any) -> tuple[str, str]:
    return to_name(department), to_name(value)


# `{ financial = "invoices" }`: the notification type of a department's tickets.
DEPARTMENT_TYPES = _PairNames(_department_type, _pairs_to_data)

# (kind, language, subject or None, body or None), sorted.
NoticeTemplates = tuple[tuple[str, str, str | None, str | None], ...]
PARTS = ("subject", "body")


class _NoticeTemplates(Kind):
    """`[notices.KIND.LANG]` tables: subject and body templates of a notice kind for
    customers of a language."""

    def read(self, notes: Notes, path: str, value: Any) -> Any:
        from supportdesk import notices

        if not isinstance(value, dict):
            notes.error(path, f"expected tables such as [notices.filed.tr], got {kind_of(value)}")
            return REQUIRED
        found = []
        for kind, languages in value.items():
            where = join(path, kind)
            if kind not in notices.FIELDS:
                notes.error(where, f"unknown notice {kind!r}; notices are: {', '.join(notices.FIELDS)}")
                continue
            for language, wording in notes.table(languages, where).items():
                at = join(where, language)
                try:
                    code = to_languages([language])[0]
                except InvalidInput as error:
                    notes.error(at, str(error))
                    continue
                parts = _wording(notes, at, kind, wording)
                if parts is not None:
                    found.append((kind, code, *parts))
        return tuple(sorted(found, key=lambda t: (t[0], t[1])))


def _wording(notes: Notes, path: str, kind: str, value: Any) -> tuple[str | None, str | None] | None:
    """A notice's subject and body templates (either may be left to the built-in one)."""
    from supportdesk import notices

    table = notes.table(value, path)
    for name in table:
        if name not in PARTS:
            notes.error(join(path, name), "unknown key; a notice's wording has subject and body")
    if not table:
        notes.error(path, "give subject, body or both")
        return None
    got: dict[str, str | None] = {}
    failed = False
    for part in PARTS:
        text = table.get(part)
        got[part] = None
        if text is None:
            continue
        where = join(path, part)
        if not isinstance(text, str) or not text.strip():
            problem: str | None = f"expected a template as text, got {kind_of(text) if not isinstance(text, str) else 'nothing'}"
        elif part == "subject" and ("\n" in text or "\r" in text):
            problem = "a subject is one line; put line breaks in the body"
        else:
            problem = notices.check_template(kind, part, text)
        if problem:
            notes.error(where, problem)
            failed = True
            continue
        got[part] = text.strip() if part == "subject" else text
    if failed:
        return None
    return got["subject"], got["body"]


def _templates_to_data(templates: NoticeTemplates) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for kind, language, subject, body in templates:
        data.setdefault(kind, {})[language] = {k: v for k, v in (("subject", subject), ("body", body)) if v is not None}
    return data


NOTICE_TEMPLATES = _NoticeTemplates(lambda value: value, _templates_to_data)
