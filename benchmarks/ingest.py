"""Benchmark `supportdesk ingest` as a mail system meets it: a 10 000-message mbox.

Builds a desk (examples/hosting-general.toml) with 500 customers, and an mbox of N
messages made from the fixtures of tests/fixtures/mail/ (Thunderbird, Outlook in
windows-1254, ISO-8859-9, Persian windows-1256, HTML-only, with attachments, without
Message-ID, RFC 2047 subjects), each with a Message-ID of its own: most from the
customers, some from addresses the desk does not know, a fifth of them replies to the
sender's earlier message, and a share of list mail, automatic replies, bounces and
malformed messages. Then times `supportdesk ingest MBOX` (budget: under 60 s) and a
second run over the same mbox (budget: under 10 s; it must add nothing), and writes the
figures to RESULTS.md.

    python benchmarks/ingest.py                      # 10 000 messages
    python benchmarks/ingest.py --messages 2000 --keep /tmp/sd-ingest
"""

from __future__ import annotations

import argparse
import mailbox
import random
import re
import sqlite3
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from results import (  # noqa: E402
    command_env,
    finish,
    fresh,
    machine,
    supportdesk_command,
    timing_table,
    workspace,
)

NOW = "2026-11-20T12:00"
POLICY = HERE.parent / "examples" / "hosting-general.toml"
MAIL = HERE.parent / "tests" / "fixtures" / "mail"
CUSTOMERS = 500
# Shapes of new messages (fixture, weight) and of the rest (kind, weight).
NEW = [
    ("thunderbird_multipart.eml", 25), ("outlook_windows1254.eml", 15), ("turkish_iso8859_9.eml", 10), ("persian_windows1256.eml", 5),
    ("html_only.eml", 10), ("attachment.eml", 5), ("no_message_id.eml", 5), ("rfc2047_subject.eml", 5),
]
OTHER = [("mailing_list.eml", 3), ("auto_reply_unknown.eml", 2), ("dsn_bounce.eml", 1), ("malformed_header.eml", 1)]
KINDS = {
    "mailing_list": "list mail", "auto_reply_unknown": "automatic replies from unknown addresses", "dsn_bounce": "bounces (DSN)",
    "malformed_header": "malformed (no sender)",
}
REPLY_SHARE, UNKNOWN_SHARE = 0.2, 0.1
_FROM = re.compile(rb"^From: .*(?:\r?\n[ \t].*)*$", re.IGNORECASE | re.MULTILINE)
_MESSAGE_ID = re.compile(rb"Message-ID:", re.IGNORECASE)


def build_desk(path: Path) -> None:
    """The desk, with CUSTOMERS customers (through the store's bulk path)."""
    from datetime import UTC, datetime

    from supportdesk import Desk

    with Desk.new(path, login="bench", policy=POLICY, now=datetime(2026, 11, 16, 6, 0, tzinfo=UTC)) as desk:
        with desk.store.transaction():
            desk.store.bulk_insert_customers(
                {"email": f"customer{n}@example.com", "name": f"Customer {n}", "created_at": "2026-11-16T06:00:00Z"} for n in range(CUSTOMERS)
            )


def with_headers(raw: bytes, sender: str, message_id: str | None, extra: bytes = b"") -> bytes:
    """A fixture from another sender, under its own Message-ID (or none), with more headers."""
    head, sep, body = raw.partition(b"\n\n") if b"\r\n\r\n" not in raw else raw.partition(b"\r\n\r\n")
    head = _FROM.sub(f"From: {sender}".encode(), head, count=1)
    newline = b"\r\n" if b"\r\n" in head else b"\n"
    lines = [line for line in head.split(newline) if not _MESSAGE_ID.match(line)]
    if message_id:
        lines.append(f"Message-ID: {message_id}".encode())
    return newline.join(lines) + extra.replace(b"\n", newline) + sep + body


def build_mbox(path: Path, count: int, seed: int = 13) -> dict[str, int]:
    """The mbox of `count` messages; how many of each kind it holds."""
    rng = random.Random(seed)
    fixtures = {name: (MAIL / name).read_bytes() for name, _ in NEW + OTHER}
    kinds: dict[str, int] = {}
    sent: dict[str, list[str]] = {}  # sender -> Message-IDs of its earlier messages
    box = mailbox.mbox(str(path))
    box.lock()
    try:
        for n in range(count):
            message_id = f"<bench-{n}@mail.example.net>"
            if rng.random() < 0.08:  # list mail, automatic replies, bounces, malformed
                name = rng.choices([f for f, _ in OTHER], [w for _, w in OTHER])[0]
                raw = fixtures[name].replace(b"Message-ID: <", f"Message-ID: <b{n}-".encode(), 1).replace(b"Message-Id: <", f"Message-Id: <b{n}-".encode(), 1)
                kind = KINDS[name.removesuffix(".eml")]
            else:
                known = rng.random() >= UNKNOWN_SHARE
                sender = f"customer{rng.randrange(CUSTOMERS)}@example.com" if known else f"someone{rng.randrange(5000)}@elsewhere.example"
                earlier = sent.get(sender)
                if earlier and rng.random() < REPLY_SHARE * 2:
                    reply = fixtures["thunderbird_multipart.eml"].replace(b"Subject: Shop returns", b"Subject: Re: Shop returns")
                    raw = with_headers(reply, sender, message_id, f"\nIn-Reply-To: {rng.choice(earlier)}".encode())
                    kind = "replies to the sender's earlier message"
                else:
                    name = rng.choices([f for f, _ in NEW], [w for _, w in NEW])[0]
                    unique = None if name == "no_message_id.eml" else message_id
                    raw = with_headers(fixtures[name], sender, unique, f"\nX-Bench: {n}".encode())
                    kind = "new from customers" if known else "new from unknown addresses"
                sent.setdefault(sender, []).append(message_id)
            box.add(raw)
            kinds[kind] = kinds.get(kind, 0) + 1
        box.flush()
    finally:
        box.unlock()
        box.close()
    return kinds


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        found = {"tickets": conn.execute("SELECT count(*) FROM tickets").fetchone()[0]}
        found |= {f"mail {o}": n for o, n in conn.execute("SELECT outcome, count(*) FROM mail_seen GROUP BY outcome ORDER BY outcome")}
        found["messages"] = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        found["notices"] = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
        return found
    finally:
        conn.close()


def run(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    import subprocess

    started = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} … failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, done.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep it")
    args = parser.parse_args()
    folder = workspace(args.keep, "sd-ingest-")
    desk, mbox = fresh(folder / "desk.db"), folder / "inbox.mbox"
    mbox.unlink(missing_ok=True)
    started = time.perf_counter()
    build_desk(desk)
    kinds = build_mbox(mbox, args.messages)
    print(f"built the desk and an mbox of {args.messages:,} messages ({mbox.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")
    env = command_env(SUPPORTDESK_USER="bench")
    command = [supportdesk_command(), "--db", str(desk), "--now", NOW, "ingest", str(mbox)]
    first, first_summary = run(command, env)
    print(f"first run: {first:.2f} s — {first_summary}")
    after_first = counts(desk)
    second, second_summary = run(command, env)
    print(f"second run: {second:.2f} s — {second_summary}")
    unchanged = counts(desk) == after_first and f"duplicates {args.messages}," in second_summary
    if not unchanged:
        raise SystemExit(f"the second run changed the desk: {after_first} → {counts(desk)}")
    shapes = "; ".join(f"{n:,} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    stored = ", ".join(f"{k} {v:,}" for k, v in after_first.items())
    intro = (
        f"An mbox of {args.messages:,} messages ({mbox.stat().st_size / 1e6:.1f} MB; {shapes}) into a hosting-general desk of "
        f"{CUSTOMERS} customers; {machine()}. Wall time of whole processes, `--now` pinned, once each.\n\n"
        f"First run: {first_summary}. The desk then holds: {stored}. Second run: {second_summary} (the desk unchanged)."
    )
    rows = [(f"supportdesk ingest MBOX ({args.messages:,} messages)", first, 1, 60.0), ("supportdesk ingest MBOX (again: adds nothing)", second, 1, 10.0)]
    finish("ingest", f"Ingest ({args.messages:,} messages)", timing_table(intro, rows), None if args.keep else folder)


if __name__ == "__main__":
    main()
