"""Personal data in text, found and replaced by stable placeholders. Pure.

An export leaves the desk without personal data unless an admin asks for it (KVKK; Site
Com be Com rule 4: customer data is disclosed only on a court order). What is replaced,
wherever it occurs in a string (subjects, bodies, messages, fields, event details):

- e-mail addresses, also inside words, quoted (`"ada l"@x.tr`), percent-encoded
  (`ada%40x.tr`), bracketed (`ada [at] x [dot] tr`), with an IP literal or Unicode;
- IPv4 addresses (also dashed, as in reverse-DNS names), IPv6 addresses (compressed,
  with a zone, IPv4-mapped, in brackets) and MAC addresses;
- phone numbers in any common style (`+90 (212) 555 01 23`, `0532 123 45 67`,
  `+1-202-555-0143`, `05321234567`), told apart from dates, times and amounts;
- the names of the ticket's customer and reseller: the whole name and each word of it
  (common words of company names excepted), case-insensitively.

Each value becomes a placeholder made from a keyed hash (HMAC-SHA256) of the value: the
same value gives the same placeholder throughout one export, while the key, new for each
export and never stored, keeps placeholders from being reversed by guessing or linked
across exports. An e-mail placeholder is itself an address (`email-…@redacted.example`),
so a redacted export can be imported; placeholders are left as they are when met again.
Names that are not the ticket's own people (a signature, a third party) cannot be known
and are not replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from bisect import bisect_left
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

REDACTED_DOMAIN = "redacted.example"
# The letters a placeholder's hash is written in: never digits, so that no later pass
# (phones, addresses) can take part of a placeholder for personal data.
_LETTERS = "abcdefghijklmnop"
# Texts up to this long are remembered (at most MEMO_SIZE of them) with their redaction.
MEMO_LENGTH = 300
MEMO_SIZE = 50_000
PLACEHOLDER = re.compile(r"\b(?:email|name|ipv4|ipv6|mac|phone)-[a-p]{12}\b(?:@redacted\.example\b)?")

# ---- e-mail addresses ----------------------------------------------------------------

# Parts of at most 64 characters (RFC 5321's local-part limit): a long run of letters
# before an `@` costs a bounded search at each position, never a quadratic one.
_ATOM = r"[\w!#$%&'*+/=?^`{|}~-]{1,64}"
_LOCAL = rf"{_ATOM}(?:\.{_ATOM}){{0,8}}"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_AT = r"(?:@|%40|\s?[\[(]\s?at\s?[\])]\s?)"
_DOT = r"(?:\.|\s?[\[(]\s?dot\s?[\])]\s?)"
EMAIL = re.compile(
    rf"(?:\"[^\"\r\n]{{1,64}}\"|{_LOCAL}){_AT}(?:\[[^\]\s]{{1,64}}\]|{_LABEL}(?:{_DOT}{_LABEL}){{0,16}})",
    re.IGNORECASE,
)
_AT_SIGNS = re.compile(r"@|%40|[\[(]\s?at\s?[\])]", re.IGNORECASE)
# The farthest an address reaches from its at-sign: a local part of nine 64-character
# atoms, a domain of seventeen 63-character labels (with the bracketed spellings).
EMAIL_REACH = 1200

# ---- numbers: MAC, IPv6, IPv4, phones --------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|0?[1-9]\d|0{0,2}\d)"
_HEX = r"[0-9A-Fa-f]"
NUMBERS = re.compile(
    "|".join(
        (
            rf"(?P<mac>(?<![\w:-]){_HEX}{{2}}(?P<sep>[:-]){_HEX}{{2}}(?:(?P=sep){_HEX}{{2}}){{4}}(?![\w:-]))",
            rf"(?P<ipv6>(?<![\w:.])(?:{_HEX}{{1,4}})?(?::{_HEX}{{0,4}}){{2,7}}(?:\.\d{{1,3}}){{0,3}}(?:%[\w.-]{{1,32}})?)",
            rf"(?P<ipv4>(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\w|\.\d))",
            rf"(?P<ipv4dash>(?<![\d-]){_OCTET}(?:-{_OCTET}){{3}}(?!\d|-\d))",
            r"(?P<phone>(?<![\w+])(?<!\d:)(?:\+\s?)?\(?\d[\d \t().\-/]*\d\)?)",
        )
    )
)
_GROUP = re.compile(r"\d+")
_NUMBERISH = re.compile(r"[\d:]")
# A stored timestamp (2026-11-20T14:30:00Z): never personal data, the commonest value.
_STORED_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
# Separators between the digit groups of a phone number: spaces, dashes, dots, slashes,
# parentheses (at most four characters between two groups, as in `(0212) - 555`).
_SEPARATOR = re.compile(r"[ \t().\-/]{1,4}")
# Dates among digit groups (2026-11-20, 20.11.2026, 20/11/26): never phone numbers.
_DATE = re.compile(r"(?P<y>\d{4})([-./])(?P<m>\d{1,2})\2(?P<d>\d{1,2})|(?P<d2>\d{1,2})([-./])(?P<m2>\d{1,2})\6(?P<y2>\d{4}|\d{2})")
_THOUSANDS = re.compile(r"\d{1,3}(?:[.,]\d{3})+")

# ---- names -----------------------------------------------------------------------------

# Words of a customer's or reseller's name that are not replaced on their own (the whole
# name still is): company-name words common in hosting tickets.
COMMON_WORDS = frozenset(
    """
    the and of for a an de la le von van der den da di du ve ile
    ltd limited inc llc gmbh ag sa as co corp company group holding
    web host hosting net network networks it tech technology technologies digital
    cloud server servers service services solutions systems data info online internet
    media soft software studio agency shop store ticaret sanayi bilisim bilişim
    """.split()
)
_I_LETTERS = "[iIİı]"


def _key_hash(key: bytes, kind: str, value: str) -> str:
    digest = hmac.new(key, f"{kind}:{value}".encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return "".join(_LETTERS[b >> 4] + _LETTERS[b & 15] for b in digest[:6])


def _name_pattern(word: str) -> str:
    """A name as a regular expression: letters case-insensitive (re.IGNORECASE), the
    Turkish i's (i, I, İ, ı) all alike, any run of spaces between words."""
    parts = []
    for char in word:
        if char in "iIİı":
            parts.append(_I_LETTERS)
        elif char.isspace():
            parts.append(r"\s+")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def _fold(name: str) -> str:
    """A name as compared: case-folded, Turkish i's alike, spaces single."""
    return " ".join(name.translate(str.maketrans("İIı", "iii")).casefold().split())


@lru_cache(maxsize=4096)
def _names_regex(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """One expression finding placeholders (kept) and the given names and their words."""
    wanted: dict[str, None] = {}
    for name in names:
        full = " ".join(name.split())
        if not full or PLACEHOLDER.fullmatch(full):
            continue
        wanted[full] = None
        for word in (w.strip(".,;:!?()[]{}\"'’") for w in full.split()):
            if len(word) >= 2 and any(c.isalpha() for c in word) and _fold(word) not in COMMON_WORDS:
                wanted[word] = None
    if not wanted:
        return None
    ordered = sorted(wanted, key=len, reverse=True)  # the whole name before its words
    names_part = "|".join(_name_pattern(w) for w in ordered)
    return re.compile(rf"(?P<kept>{PLACEHOLDER.pattern})|(?<!\w)(?P<name>{names_part})(?!\w)", re.IGNORECASE)


class Redactor:
    """Replaces personal data by placeholders, stable for one key (one export)."""

    def __init__(self, key: bytes):
        self.key = key
        # Short texts met again (a policy's SLA sources, flags, labels) are redacted once.
        self._memo: dict[tuple[str, tuple[str, ...]], str] = {}

    # ---- single values --------------------------------------------------------------

    def placeholder(self, kind: str, value: str) -> str:
        """The placeholder of one value of a kind (email, name, ipv4, ipv6, mac, phone)."""
        mark = f"{kind}-{_key_hash(self.key, kind, value)}"
        return f"{mark}@{REDACTED_DOMAIN}" if kind == "email" else mark

    def email(self, address: str | None) -> str | None:
        """An e-mail address field: its placeholder address (a placeholder stays)."""
        if address is None:
            return None
        if PLACEHOLDER.fullmatch(address.strip()):
            return address
        return self.placeholder("email", address.strip().lower())

    def name(self, name: str | None) -> str | None:
        """A name field: its placeholder (None and placeholders stay)."""
        if name is None or not name.strip() or PLACEHOLDER.fullmatch(name.strip()):
            return name
        return self.placeholder("name", _fold(name))

    # ---- text -----------------------------------------------------------------------

    def text(self, text: str, names: tuple[str, ...] = ()) -> str:
        """`text` with every e-mail address, IP and MAC address, phone number and each of
        `names` (and their words) replaced by its placeholder."""
        if not text or _STORED_TIME.fullmatch(text):
            return text
        if len(text) <= MEMO_LENGTH:
            memo = self._memo.get((text, names))
            if memo is None:
                if len(self._memo) >= MEMO_SIZE:
                    self._memo.clear()
                memo = self._memo[(text, names)] = self._text(text, names)
            return memo
        return self._text(text, names)

    def _text(self, text: str, names: tuple[str, ...]) -> str:
        if _AT_SIGNS.search(text):
            text = self._emails(text)
        if _NUMBERISH.search(text):
            text = NUMBERS.sub(self._number_match, text)
        if names:
            pattern = _names_regex(names)
            if pattern is not None:
                text = pattern.sub(self._name_match, text)
        return text

    def value(self, value: Any, names: tuple[str, ...] = ()) -> Any:
        """Every string inside a JSON value (objects, lists) redacted as text; numbers,
        booleans and null as they are. Object keys are kept."""
        if isinstance(value, str):
            return self.text(value, names)
        if isinstance(value, list):
            return [self.value(v, names) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v, names) for k, v in value.items()}
        return value

    def _emails(self, text: str) -> str:
        """`text` with its e-mail addresses replaced, looked for only around its at-signs
        (an address is at most EMAIL_REACH characters either side of its `@`), so that a
        long text costs what its at-signs cost, not a search at every character."""
        spans: list[list[int]] = []
        for at in _AT_SIGNS.finditer(text):
            start, end = max(0, at.start() - EMAIL_REACH), at.end() + EMAIL_REACH
            if spans and start <= spans[-1][1]:
                spans[-1][1] = end
            else:
                spans.append([start, end])
        out, position = [], 0
        for start, end in spans:
            # A window starts where no address can begin inside the text before it.
            out.append(text[position:start])
            out.append(EMAIL.sub(self._email_match, text[start:end]))
            position = min(end, len(text))
        out.append(text[position:])
        return "".join(out)

    def _email_match(self, match: re.Match[str]) -> str:
        found = match.group()
        if PLACEHOLDER.fullmatch(found):
            return found
        normal = re.sub(r"\s", "", found).lower()
        normal = re.sub(r"%40|[\[(]at[\])]", "@", normal)
        normal = re.sub(r"[\[(]dot[\])]", ".", normal)
        return self.placeholder("email", normal)

    def _name_match(self, match: re.Match[str]) -> str:
        if match.group("kept"):
            return match.group()
        return self.placeholder("name", _fold(match.group("name")))

    def _number_match(self, match: re.Match[str]) -> str:
        kind = match.lastgroup
        found = match.group()
        if kind == "mac":
            return self.placeholder("mac", re.sub(r"[:-]", ":", found.lower()))
        if kind == "ipv6":
            return self._ipv6(found)
        if kind in ("ipv4", "ipv4dash"):
            octets = re.split(r"[.-]", found)
            return self.placeholder("ipv4", ".".join(str(int(o)) for o in octets))
        return self._phones(found)

    def _ipv6(self, found: str) -> str:
        """An IPv6 candidate: its placeholder when it is one (with trailing `:`/`.` of
        the sentence left out), else the numbers within it looked at again."""
        candidate = found
        while candidate:
            address = candidate.split("%", 1)[0]
            try:
                parsed = ipaddress.IPv6Address(address)
            except ValueError:
                if candidate[-1] in ":.":
                    candidate = candidate[:-1]
                    continue
                break
            rest = found[len(candidate) :]
            return self.placeholder("ipv6", parsed.compressed) + rest
        # Not an address (a time such as 10:30:45): the numbers in it may still be phones.
        return re.sub(r"[^:]+", lambda m: NUMBERS.sub(self._not_ipv6, m.group()), found)

    def _not_ipv6(self, match: re.Match[str]) -> str:
        return match.group() if match.lastgroup == "ipv6" else self._number_match(match)

    def _phones(self, run: str) -> str:
        """The phone numbers within a run of digit groups, each replaced; dates, amounts
        and short numbers left as they are."""
        groups = list(_GROUP.finditer(run))
        dated = _date_groups(run, groups)
        out: list[str] = []
        position = 0
        i = 0
        while i < len(groups):
            end = None if i in dated else _longest_phone(run, groups, i, dated)
            if end is None:
                i += 1
                continue
            start, stop = groups[i].start(), groups[end].end()
            if i == 0:
                start = 0  # with the `+` and `(` the run begins with
            elif run[start - 1] == "(":
                start -= 1
            if stop < len(run) and run[stop] == ")" and "(" in run[start:stop]:
                stop += 1
            digits = "".join(g.group() for g in groups[i : end + 1])
            out.append(run[position:start])
            out.append(self.placeholder("phone", ("+" if run[start] == "+" else "") + digits))
            position = stop
            i = end + 1
        out.append(run[position:])
        return "".join(out)


def _date_groups(run: str, groups: list[re.Match[str]]) -> set[int]:
    """The indexes of the digit groups that make up a calendar date in `run` (a real
    month and day, not continued by more groups with the same separator)."""
    dated: set[int] = set()
    starts = [g.start() for g in groups]
    for found in _DATE.finditer(run):
        month, day = (found.group("m"), found.group("d")) if found.group("y") else (found.group("m2"), found.group("d2"))
        separator = found.group(2) or found.group(6)
        continued = run[found.end() : found.end() + 2]
        before = run[max(0, found.start() - 2) : found.start()]
        if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
            continue
        if run[found.end() : found.end() + 1].isdigit() or run[max(0, found.start() - 1) : found.start()] in ("+", "(") or (
            found.start() > 0 and run[found.start() - 1].isdigit()
        ):
            continue  # part of a longer number, or after a `+`: not a date
        if (len(continued) == 2 and continued[0] == separator and (continued[1].isdigit() or continued[1] == "(")) or (
            len(before) == 2 and before[1] == separator and (before[0].isdigit() or before[0] == ")")
        ):
            continue  # 01.12.45.67.89, (00)-01-01-00: a phone number with its own separator, not a date
        k = bisect_left(starts, found.start())
        while k < len(groups) and groups[k].end() <= found.end():
            dated.add(k)
            k += 1
    return dated


def _longest_phone(run: str, groups: list[re.Match[str]], i: int, dated: set[int]) -> int | None:
    """The last group of the longest phone number starting at group i, or None."""
    best = None
    digits = 0
    for j in range(i, min(len(groups), i + 15)):
        if j in dated:
            break
        if j > i and not _SEPARATOR.fullmatch(run[groups[j - 1].end() : groups[j].start()]):
            break
        digits += len(groups[j].group())
        if digits > 15:
            break
        if _is_phone(run, groups, i, j, digits):
            best = j
    return best


def _is_phone(run: str, groups: list[re.Match[str]], i: int, j: int, digits: int) -> bool:
    """Whether groups i..j of `run` read as a phone number."""
    plus = i == 0 and run.startswith("+")  # a run begins with its `+`, if it has one
    if i == j:
        # One run of digits: an international number, or ten digits or more (a mobile
        # number written without spaces, with or without its trunk 0).
        return (plus and digits >= 8) or 10 <= digits <= 15
    if digits < 7:
        return False
    return plus or not _THOUSANDS.fullmatch(run[groups[i].start() : groups[j].end()])


def customer_names(customers: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    """The names of a ticket's people (customer, reseller) as the redactor takes them."""
    return tuple(sorted({c["name"] for c in customers if c.get("name")}))
