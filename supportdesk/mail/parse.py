"""Mail as it arrives, decoded: where messages come from (one .eml file, an mbox, a
Maildir, standard input), and each message's sender, subject, text and attachments.
Pure apart from reading the source.

Mail is hostile and often broken: any header may be missing, malformed or encoded in a
charset Python does not know, and a part may declare the wrong charset. Nothing here
raises for such a message: what cannot be read is noted as a defect (the desk
quarantines a message it cannot act on), and text is decoded with the declared charset,
else UTF-8, else Windows-1252, so that a byte is never lost silently.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from supportdesk.errors import InvalidInput
from supportdesk.frozen import Record, record
from supportdesk.mail import message_id_key, message_id_keys

# The headers the loop checks and routing read, by lower-case name.
KEPT_HEADERS = (
    "auto-submitted", "precedence", "list-id", "list-unsubscribe", "return-path", "x-auto-response-suppress",
    "x-autoreply", "x-autorespond", "x-spam-flag", "x-supportdesk-loop", "x-failed-recipients",
)
# The charset to read mislabelled text in, by the desk's languages (the first that has
# one): mail clients send Turkish and Persian in their Windows code pages.
LANGUAGE_CHARSETS = {"tr": "windows-1254", "fa": "windows-1256", "ar": "windows-1256", "ru": "windows-1251", "uk": "windows-1251", "el": "windows-1253", "he": "windows-1255"}
FALLBACK_CHARSET = "windows-1252"


def fallback_charset(languages: tuple[str, ...] | list[str]) -> str:
    """The charset text that is not in its declared charset (nor UTF-8) is read in, for
    a desk of these languages."""
    return next((LANGUAGE_CHARSETS[lang] for lang in languages if lang in LANGUAGE_CHARSETS), FALLBACK_CHARSET)
RECIPIENT_HEADERS = ("delivered-to", "x-original-to", "to", "cc")
# What a message without a subject is called.
NO_SUBJECT = "(no subject)"


@record
class Attachment(Record):
    """A file that came with a message."""

    filename: str
    content_type: str
    data: bytes


@record
class DeliveryReport(Record):
    """What a bounce says: the Message-IDs of the mail that failed (as found in the
    returned message), to whom, and why."""

    message_ids: tuple[str, ...]
    recipient: str | None
    status: str | None  # e.g. 5.1.1
    diagnostic: str
    failed: bool  # False for a delay notice (the mail is still being tried)


@record
class Mail(Record):
    """One message, decoded."""

    key: str  # its Message-ID `<id@host>`, or `sha256:…` of its bytes when it has none
    raw: bytes
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    sender: str | None  # the From address, lower-cased; None when there is none to read
    sender_name: str
    subject: str  # decoded, on one line
    text: str  # the body as text: the plain part, or the HTML part turned into text
    attachments: tuple[Attachment, ...]
    headers: dict[str, str]  # KEPT_HEADERS that are present, by lower-case name
    recipients: tuple[str, ...]  # Delivered-To, X-Original-To, To and Cc addresses, lower-cased
    report: DeliveryReport | None  # set for a bounce
    content_type: str
    defects: tuple[str, ...]  # what could not be read (malformed headers and parts)


# ---- where messages come from ------------------------------------------------------------


def read_messages(path: Path, skipped: list[str] | None = None) -> Iterator[bytes]:
    """The messages at `path` as bytes: a Maildir (a directory with cur/ and new/), an
    mbox (a file starting with `From `), or one message (.eml). InvalidInput (exit 2)
    when the path cannot be read or is none of these (a pipe or a device is refused
    before it is opened: it could hang, and it cannot be read twice).

    A message of a Maildir that vanishes or cannot be read while it is read (a mail
    client moved or deleted it) is left for the next run, named in `skipped`, rather
    than stopping the rest; without `skipped` it is refused like the path."""
    import mailbox
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InvalidInput(f"{path} does not exist; give a .eml file, an mbox, a Maildir, or - for standard input") from None
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror or error}") from None
    if stat.S_ISDIR(mode):
        if not ((path / "cur").is_dir() and (path / "new").is_dir()):
            raise InvalidInput(f"{path} is a directory but not a Maildir (it has no cur/ and new/); give a Maildir, an mbox or a .eml file")
        box: Any = mailbox.Maildir(str(path), factory=None, create=False)
    elif not stat.S_ISREG(mode):
        raise InvalidInput(f"{path} is not a regular file (a pipe or a device); give one message on standard input instead: supportdesk ingest - < {path}")
    else:
        head = _head(path)
        if head.startswith(b"From "):
            box = mailbox.mbox(str(path), factory=None, create=False)
        elif _looks_like_message(head):
            yield _read_all(path)
            return
        else:
            raise InvalidInput(f"{path} is not a mail message, an mbox or a Maildir (it does not start with a header line or `From `)")
    try:
        if isinstance(box, mailbox.Maildir):
            yield from _maildir_messages(box, path, skipped)
        else:
            for key in box.keys():
                yield box.get_bytes(key)
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror or error}") from None
    finally:
        box.close()


def _maildir_messages(box: Any, path: Path, skipped: list[str] | None) -> Iterator[bytes]:
    """A Maildir's messages in the order of their names; one that is gone or unreadable
    by the time it is read is noted in `skipped` (see read_messages)."""
    for key in sorted(box.keys()):
        try:
            data = box.get_bytes(key)
        except (KeyError, OSError) as error:  # moved or deleted since the listing, or unreadable
            reason = "it was moved or deleted while being read" if isinstance(error, (KeyError, FileNotFoundError)) else error.strerror or str(error)
            if skipped is None:
                raise InvalidInput(f"cannot read the message {key} of {path}: {reason}") from None
            skipped.append(f"the message {key} of {path}: {reason}")
            continue
        yield data


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except FileNotFoundError:
        raise InvalidInput(f"{path} does not exist; give a .eml file, an mbox, a Maildir, or - for standard input") from None
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror or error}") from None
    if not head.strip():
        raise InvalidInput(f"{path} is empty: there is no message in it")
    return head


def _read_all(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror or error}") from None


_HEADER_LINE = re.compile(rb"[!-9;-~]+:")


def _looks_like_message(head: bytes) -> bool:
    """True when the data starts with a header line (`Name: value`)."""
    first = head.lstrip(b"\r\n").split(b"\n", 1)[0]
    return bool(_HEADER_LINE.match(first))


def check_message(data: bytes, what: str) -> bytes:
    """One message given whole (standard input): refused (exit 2) when it is empty or
    does not start with a header line."""
    if not data.strip():
        raise InvalidInput(f"{what} is empty: there is no message in it")
    if not _looks_like_message(data[:4096]):
        raise InvalidInput(f"{what} is not a mail message (it does not start with a header line such as `From: …`)")
    return data


# ---- the key: what makes a message the same message ---------------------------------------

_MESSAGE_ID_HEADER = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t]+.*)*)", re.IGNORECASE | re.MULTILINE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def header_block(raw: bytes) -> bytes:
    """The bytes of a message's header (up to the first empty line)."""
    end = _HEADER_END.search(raw)
    return raw[: end.start()] if end else raw


def message_key(raw: bytes) -> str:
    """What identifies a message however often it arrives: its Message-ID, or the
    SHA-256 of its bytes when it has none (read from the header alone: quick)."""
    found = _MESSAGE_ID_HEADER.search(header_block(raw))
    key = message_id_key(found.group(1).decode("latin-1")) if found else None
    return key or "sha256:" + hashlib.sha256(raw).hexdigest()


# ---- decoding one message ---------------------------------------------------------------


def parse(raw: bytes, fallback: str = FALLBACK_CHARSET) -> Mail:
    """Decode a message; never raises for a malformed one (see `defects`). Text in no
    charset it could be read in (its declared one, UTF-8) is read in `fallback`.

    The message is parsed with the email package's compat32 policy (ten times quicker
    than its default one, whose header objects a mailbox of thousands of messages
    cannot wait for) and its headers decoded here: RFC 2047 words in any charset, raw
    8-bit text as UTF-8 or `fallback`."""
    import email
    import email.policy

    defects: list[str] = []
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    defects += [_defect(d) for d in message.defects]
    heads = _Headers(message, defects, fallback)
    sender, sender_name = heads.sender()
    headers = {name: value for name in KEPT_HEADERS if (value := heads.text(name)) is not None}
    subject = _one_line(heads.text("subject") or "") or NO_SUBJECT
    texts: list[tuple[str, str]] = []  # (content type, text) of the readable parts
    attachments: list[Attachment] = []
    content_type = message.get_content_type()
    report = _delivery_report(message) if content_type == "multipart/report" else None
    _walk(message, texts, attachments, defects, fallback)
    return Mail(
        key=message_key(raw),
        raw=raw,
        message_id=message_id_key(heads.raw("message-id")),
        in_reply_to=tuple(message_id_keys(heads.raw("in-reply-to"))),
        references=tuple(message_id_keys(heads.raw("references"))),
        sender=sender,
        sender_name=sender_name,
        subject=subject,
        text=_body_text(texts),
        attachments=tuple(attachments),
        headers=headers,
        recipients=heads.addresses(RECIPIENT_HEADERS),
        report=report,
        content_type=content_type,
        defects=tuple(dict.fromkeys(defects)),
    )


def _defect(defect: Any) -> str:
    return f"{type(defect).__name__}: {defect}" if str(defect) else type(defect).__name__


class _Headers:
    """A message's headers by lower-case name, decoded on demand."""

    def __init__(self, message: Any, defects: list[str], fallback: str):
        self.defects = defects
        self.fallback = fallback
        self.values: dict[str, list[str]] = {}
        for name, value in message.raw_items():
            self.values.setdefault(str(name).strip().lower(), []).append(self._unescaped(str(value)))

    def _unescaped(self, value: str) -> str:
        """Raw 8-bit header text (which the parser keeps as surrogates) as text."""
        if not any("\udc80" <= c <= "\udcff" for c in value):
            return value
        return decode_text(value.encode("ascii", "surrogateescape"), None, None, self.fallback)

    def raw(self, name: str) -> str | None:
        """The first value of a header as it came (encoded words left encoded), or None."""
        found = self.values.get(name)
        return found[0] if found else None

    def text(self, name: str) -> str | None:
        """The first value of a header, decoded, or None."""
        value = self.raw(name)
        return decode_words(value, self.defects, self.fallback, name) if value is not None else None

    def sender(self) -> tuple[str | None, str]:
        """The From address (lower-cased) and display name; (None, "") when unreadable."""
        from email.utils import getaddresses

        value = self.raw("from")
        found = [(name, address) for name, address in getaddresses([value]) if name or address] if value is not None else []
        if not found:
            self.defects.append("from: no sender address")
            return None, ""
        name, address = found[0]
        display = _one_line(decode_words(name, self.defects, self.fallback, "from")) if name else ""
        address = address.strip().lower()
        local, at, domain = address.rpartition("@")
        if not at or not local or "." not in domain or ".." in domain or "@" in local or any(c.isspace() or ord(c) < 32 for c in address):
            self.defects.append(f"from: no valid sender address in {_one_line(value or '')!r}")
            return None, display
        return address, display

    def addresses(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """The addresses of these headers, lower-cased, once each."""
        from email.utils import getaddresses

        values = [v for name in names for v in self.values.get(name, [])]
        return tuple(dict.fromkeys(a.strip().lower() for _, a in getaddresses(values) if "@" in a))


def decode_words(value: str, defects: list[str] | None = None, fallback: str = FALLBACK_CHARSET, name: str = "header") -> str:
    """Header text with its RFC 2047 encoded words decoded, in whatever charset each
    declares (an unknown or wrong one as decode_text reads it)."""
    from email.header import decode_header

    if "=?" not in value:
        return value
    try:
        parts = decode_header(value)
    except Exception as error:  # noqa: BLE001 - a broken encoded word: the text as it came
        if defects is not None:
            defects.append(f"{name}: {type(error).__name__}: {error}")
        return value
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            declared = None if charset in (None, "unknown-8bit") else charset
            chunk = decode_text(chunk, declared, defects, fallback)
        out.append(chunk)
    return "".join(out)


_SPACES = re.compile(r"\s+")


def _one_line(text: str) -> str:
    """Header text on one line: folding and runs of white space (tabs, line breaks)
    become one space."""
    return _SPACES.sub(" ", text).strip()


def _walk(part: Any, texts: list[tuple[str, str]], attachments: list[Attachment], defects: list[str], fallback: str, report: bool = False) -> None:
    """Collect the readable text parts and the attachments of a message, depth first;
    multipart/alternative keeps its plain part when it has one."""
    kind = part.get_content_type()
    if kind in ("message/rfc822", "message/global") and not report:
        data = _attachment_bytes(part, kind, defects)  # a forwarded message, kept whole
        if data is not None:
            attachments.append(Attachment(_filename(part, defects) or f"message-{len(attachments) + 1}.eml", kind, data))
        return
    if part.is_multipart():
        payload = part.get_payload()
        children = [c for c in payload if hasattr(c, "get_content_type")] if isinstance(payload, list) else []
        if kind == "multipart/alternative":
            plain = [c for c in children if c.get_content_type() == "text/plain" and not _is_attachment(c)]
            children = plain[:1] or children[-1:]
        for child in children:
            _walk(child, texts, attachments, defects, fallback, report or kind == "multipart/report")
        return
    if kind in ("message/delivery-status", "text/rfc822-headers") or (report and kind in ("message/rfc822", "message/global")):
        return  # a bounce's report and returned message are read by _delivery_report
    if _is_attachment(part) or kind not in ("text/plain", "text/html"):
        data = _attachment_bytes(part, kind, defects)
        if data is not None:
            name = _filename(part, defects) or f"attachment-{len(attachments) + 1}{_extension(kind)}"
            attachments.append(Attachment(name, kind, data))
        return
    data = _payload(part, defects)
    if data is None:
        return
    text = decode_text(data, _charset(part), defects, fallback)
    texts.append((kind, html_to_text(text) if kind == "text/html" else text))


def _attachment_bytes(part: Any, kind: str, defects: list[str]) -> bytes | None:
    """An attachment's bytes; a forwarded message (message/rfc822) as the message itself."""
    if kind in ("message/rfc822", "message/global") and part.is_multipart():
        try:
            return part.get_payload(0).as_bytes()
        except Exception as error:  # noqa: BLE001 - a forwarded message that cannot be written back
            defects.append(f"{kind}: {type(error).__name__}: {error}")
            return None
    return _payload(part, defects)


def _is_attachment(part: Any) -> bool:
    try:
        return part.get_content_disposition() == "attachment"
    except Exception:  # noqa: BLE001 - a malformed Content-Disposition: not an attachment
        return False


def _filename(part: Any, defects: list[str]) -> str | None:
    try:
        name = part.get_filename()
    except Exception as error:  # noqa: BLE001 - a malformed file name parameter
        defects.append(f"attachment name: {type(error).__name__}: {error}")
        return None
    if not name:
        return None
    name = decode_words(str(name), defects, name="attachment name")  # Outlook: filename="=?utf-8?B?…?="
    # A file name, not a path: the part after the last slash, without control characters.
    name = re.sub(r"[\x00-\x1f\x7f]", "", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:255] or None


def _extension(kind: str) -> str:
    import mimetypes

    return mimetypes.guess_extension(kind) or ".bin"


def _payload(part: Any, defects: list[str]) -> bytes | None:
    """A part's bytes after its transfer encoding (base64, quoted-printable)."""
    try:
        data = part.get_payload(decode=True)
    except Exception as error:  # noqa: BLE001 - a body the decoder cannot read
        defects.append(f"{part.get_content_type()}: {type(error).__name__}: {error}")
        return None
    for defect in part.defects:
        defects.append(f"{part.get_content_type()}: {_defect(defect)}")
    return data if isinstance(data, bytes) else None


# Labels of Western text that Turkish mail clients put on Turkish text (ş as þ, ğ as ð,
# ı as ý): on a desk that reads mislabelled text as Windows-1254, so is this (it differs
# from them only in those letters); elsewhere ISO-8859-1 is read as Windows-1252, as
# browsers do.
_WESTERN = ("iso-8859-1", "iso8859-1", "latin1", "latin-1", "windows-1252", "cp1252")
_TURKISH = ("windows-1254", "iso-8859-9")


def _codec(declared: str, fallback: str) -> str:
    """The codec to read text declared `declared` in, on a desk whose fallback is `fallback`."""
    if declared in _WESTERN:
        return "windows-1254" if fallback in _TURKISH else "windows-1252"
    return declared


def _charset(part: Any) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:  # noqa: BLE001 - a charset parameter that cannot be read is no charset
        return None


def decode_text(data: bytes, charset: str | None, defects: list[str] | None = None, fallback: str = FALLBACK_CHARSET) -> str:
    """Bytes of a text part as text: in its declared charset; when that is unknown or
    wrong, UTF-8 if the bytes are UTF-8, else `fallback` (a Windows code page: every byte
    a character), so nothing is dropped."""
    declared = (charset or "").strip().strip('"').lower() or None
    tried: list[str] = []
    for name in (declared, "utf-8"):
        if name is None or name in tried:
            continue
        tried.append(name)
        try:
            return data.decode(_codec(name, fallback) if name == declared else name)
        except LookupError:
            if defects is not None:
                defects.append(f"unknown charset {name!r}")
        except UnicodeDecodeError:
            if defects is not None and name == declared:
                defects.append(f"text not in its declared charset {name!r}")
    return data.decode(fallback, errors="replace")


def _body_text(texts: list[tuple[str, str]]) -> str:
    """The message's text: its plain parts, else its HTML parts as text."""
    plain = [t for kind, t in texts if kind != "text/html"]
    chosen = plain or [t for _, t in texts]
    text = "\n\n".join(t.strip("\n") for t in chosen if t.strip())
    # NUL is no text (the desk takes none): shown as U+FFFD rather than holding the message.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")


# ---- HTML mail as text -------------------------------------------------------------------

_BLOCKS = frozenset(
    "address article aside dd div dl dt fieldset figcaption figure footer form header hr li main nav ol pre section tbody thead tfoot tr ul".split()
)
# Blocks set off by an empty line, as paragraphs are.
_PARAGRAPHS = frozenset("blockquote h1 h2 h3 h4 h5 h6 p table".split())
_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})


class _TextOf(HTMLParser):
    """Collects the text of an HTML document as a mail client would show it, roughly:
    blocks on their own lines, paragraphs apart, list items with a dash, links with
    their address."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0
        self.pre = 0
        self.links: list[str | None] = []

    def _tail(self) -> str:
        """The end of the text so far (spaces aside); "\n\n" at the start."""
        tail = "".join(self.out[-4:]).rstrip(" ")
        return tail if self.out else "\n\n"

    def _lines(self, wanted: int) -> None:
        """End the text so far with `wanted` line breaks (1: a new line, 2: an empty one)."""
        tail = self._tail()
        have = len(tail) - len(tail.rstrip("\n"))
        if wanted > have:
            self.out.append("\n" * (wanted - have))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag in _PARAGRAPHS:
            self._lines(2)
        elif tag in _BLOCKS:
            self._lines(1)
            if tag == "li":
                self.out.append("- ")
            elif tag == "pre":
                self.pre += 1
        elif tag in ("td", "th") and not self._tail().endswith("\n"):
            self.out.append(" ")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _PARAGRAPHS:
            self._lines(2)
        elif tag in _BLOCKS:
            self._lines(1)
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and href.startswith(("http://", "https://")) and not self._ends_with(href):
                self.out.append(f" ({href})")

    def _ends_with(self, text: str) -> bool:
        return "".join(self.out[-3:]).rstrip().endswith(text)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if not self.pre:
            data = re.sub(r"[ \t\r\n\f]+", " ", data)
            if self._tail().endswith("\n"):
                data = data.lstrip(" ")  # no indent from the markup's own line breaks
        self.out.append(data)


def html_to_text(html: str) -> str:
    """The text of an HTML mail body (stdlib html.parser: no markup survives)."""
    parser = _TextOf()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; anything else keeps what was read
        pass
    lines = [line.rstrip(" ") for line in "".join(parser.out).replace("\xa0", " ").split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# ---- quoted history in replies ------------------------------------------------------------

# A line that starts the quoted history a mail client adds below a reply.
_ATTRIBUTION = re.compile(
    r"^\s*("
    r"On\b.{0,300}\bwrote:"  # Gmail, Apple Mail, Thunderbird (English)
    r"|.{0,300}\btarihinde\b.{0,300}\byazdı:"  # Gmail, Turkish: "… tarihinde … şunu yazdı:"
    r"|Am\b.{0,300}\bschrieb\b.{0,300}:"  # German
    r"|Le\b.{0,300}\ba écrit\s?:"  # French
    r"|.{0,300}نوشت:"  # Persian: "در تاریخ … نوشت:"
    r"|-{2,}\s*(Original Message|Özgün İleti|Orijinal Mesaj|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}"  # Outlook
    r"|_{10,}"  # Outlook's rule above its From:/Sent: block
    r")\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(From|Kimden|Von|De|از)\s*:\*?\s", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(r"^\s*\*?(Sent|Date|Gönderildi|Gönderilme Tarihi|Tarih|Gesendet|Envoyé|تاریخ)\s*:", re.IGNORECASE)


def trim_quoted(text: str) -> str:
    """A reply without the history its mail client quoted below it (the attribution line
    and everything after it, Outlook's original-message block) and without `>` lines.
    When nothing would be left, the text is kept whole."""
    lines = text.split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        # An attribution is sometimes wrapped over two lines ("On Mon, … Ada <ada@…>\nwrote:").
        joined = line + " " + lines[i + 1] if i + 1 < len(lines) else line
        if _ATTRIBUTION.match(line) or (line.strip() and not line.startswith(">") and _ATTRIBUTION.match(joined) and len(line) > 10):
            cut = i
            break
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_SENT.match(n) for n in lines[i + 1 : i + 4]):
            cut = i
            break
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    trimmed = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return trimmed or text.strip()


# ---- bounces ----------------------------------------------------------------------------

_RETURNED_ID = re.compile(r"^message-id:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


def _delivery_report(message: Any) -> DeliveryReport | None:
    """What a DSN (multipart/report; report-type=delivery-status) says, or None when
    the report is of another kind (a read receipt)."""
    if (message.get_param("report-type") or "").lower() != "delivery-status":
        return None
    recipient = status = None
    diagnostic, action = "", ""
    ids: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            for block in part.get_payload() if part.is_multipart() else []:
                recipient = recipient or _report_field(block, "final-recipient") or _report_field(block, "original-recipient")
                action = action or (_report_field(block, "action") or "").lower()
                status = status or _report_field(block, "status")
                diagnostic = diagnostic or _report_field(block, "diagnostic-code") or ""
            if not recipient:  # a report the parser left as text
                text = _part_text(part)
                recipient = _text_field(text, "final-recipient")
                action = action or (_text_field(text, "action") or "").lower()
                status = status or _text_field(text, "status")
                diagnostic = diagnostic or _text_field(text, "diagnostic-code") or ""
        elif kind in ("message/rfc822", "message/global"):
            for inner in part.get_payload() if part.is_multipart() else []:
                ids += message_id_keys(str(inner.get("message-id") or ""))
        elif kind == "text/rfc822-headers":
            ids += _RETURNED_ID.findall(_part_text(part))
    if recipient and ";" in recipient:
        recipient = recipient.split(";", 1)[1].strip()
    return DeliveryReport(
        message_ids=tuple(dict.fromkeys(ids)), recipient=recipient, status=status,
        diagnostic=_one_line(diagnostic), failed=action != "delayed",
    )


def _report_field(block: Any, name: str) -> str | None:
    value = block.get(name)
    return _one_line(str(value)) if value is not None else None


def _text_field(text: str, name: str) -> str | None:
    found = re.search(rf"^{re.escape(name)}:\s*(.+)$", text, re.IGNORECASE | re.MULTILINE)
    return found.group(1).strip() if found else None


def _part_text(part: Any) -> str:
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return decode_text(data, part.get_content_charset())
    payload = part.get_payload()
    return payload if isinstance(payload, str) else str(part)


_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status notification|failure|has failed|failed)|returned mail|failure notice|mail delivery (failed|system)"
    r"|could not be delivered|iletilemedi|teslim edilemedi",
    re.IGNORECASE,
)
_BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@", "mail-daemon@")


def plain_bounce(mail: Mail) -> DeliveryReport | None:
    """What a bounce without a DSN report says (qmail, Exim and others: a message from
    MAILER-DAEMON with the failed mail quoted), or None when it is not one."""
    from_daemon = mail.sender is not None and mail.sender.startswith(_BOUNCE_SENDERS)
    null_path = mail.headers.get("return-path", "").strip() in ("<>", "")
    if not (from_daemon or ("return-path" in mail.headers and null_path)) or not _BOUNCE_SUBJECT.search(mail.subject):
        return None
    text = mail.text + "\n" + "\n".join(a.data.decode("utf-8", "replace") for a in mail.attachments if a.content_type.startswith(("message/", "text/")))
    status = _STATUS.search(text)
    failed = mail.headers.get("x-failed-recipients", "").split(",")[0].strip().lower()
    found = re.search(r"^\s*<?([^\s<>@]+@[^\s<>@]+\.[^\s<>@]+?)>?:?\s*$", text, re.MULTILINE)
    recipient = failed or (found.group(1).lower() if found else None)
    lines = text.split("\n")
    reason = next((line.strip() for line in lines if re.search(r"\b[45]\d\d\b", line)), "")
    if not reason and recipient:  # Exim: the reason indented below the failed address
        at = next((i for i, line in enumerate(lines) if line.strip().strip("<>:").lower() == recipient), None)
        following = lines[at + 1].strip() if at is not None and at + 1 < len(lines) else ""
        reason = following if at is not None and lines[at + 1].startswith((" ", "\t")) else ""
    return DeliveryReport(
        message_ids=tuple(dict.fromkeys(_RETURNED_ID.findall(text))), recipient=recipient,
        status=status.group(1) if status else None, diagnostic=_one_line(reason)[:500], failed=True,
    )
