"""The wording of the notices the desk sends: built-in English, Turkish and Persian, a
policy's own templates per kind and language (checked by `policy check`), and text from
outside that can never break a header or become markup."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import EXAMPLES, HOSTING, Cli, api, new_desk
from test_send import body, smtp  # noqa: F401 - the SMTP server fixture

from supportdesk import notices
from supportdesk.policy import load_policy

SAMPLE = {
    "id": 42, "subject": "Site down", "desk": "Desk", "name": "Ada", "priority": "high", "respond_by": "soon", "author": "ayse",
    "body": "Fixed.", "attachments": [], "reason": "duplicate", "message": None, "of": 41, "reopen_days": 14, "why": "because",
    "customer": "c@example.com", "filed_at": "then", "level": "engineer", "due_at": "later",
}


def policy(extra: str = "", base=HOSTING, notifications: str = ""):
    text = base.read_text(encoding="utf-8").replace("[notifications]\n", f"[notifications]\n{notifications}")
    return load_policy(text + extra, "p")


@pytest.mark.parametrize("language", notices.BUILT_IN)
@pytest.mark.parametrize("kind", list(notices.FIELDS))
def test_every_notice_has_built_in_wording_in_english_turkish_and_persian(kind, language):
    worded = notices.word(policy(), kind, language, SAMPLE)
    assert worded.language == language
    assert worded.subject.startswith("[#42] ") and "\n" not in worded.subject
    assert worded.text.endswith("\n") and "{{" not in worded.text and "{%" not in worded.text
    assert "<p>" in worded.html and f'lang="{language}"' in worded.html


def test_dates_are_written_as_each_language_writes_them():
    at = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert notices.language_format("en").when(at, ZoneInfo("Europe/Istanbul")) == "Fri 20 Nov 2026 13:00 +03"
    assert notices.language_format("tr").when(at, ZoneInfo("Europe/Istanbul")) == "20 Kasım 2026 Cuma 13:00 (+03)"
    assert notices.language_format("fa").when(at, ZoneInfo("Asia/Tehran")) == "جمعه ۲۹ آبان ۱۴۰۵، ساعت ۱۳:۳۰ (+0330)"
    assert notices.language_format("de").when(at, UTC) == "Fri 20 Nov 2026 10:00 UTC"  # no wording: English
    # Nowruz, the first day of the Solar Hijri year, and the last day of a leap year.
    assert [notices.jalali(d) for d in (date(2024, 3, 20), date(2025, 3, 21), date(2025, 3, 20))] == [(1403, 1, 1), (1404, 1, 1), (1403, 12, 30)]


def test_the_solar_hijri_calendar_counts_every_day_once_for_a_century():
    from datetime import timedelta

    day, last = date(2000, 1, 1), notices.jalali(date(1999, 12, 31))
    while day < date(2100, 1, 1):
        year, month, mday = notices.jalali(day)
        assert (year, month, mday) in ((last[0], last[1], last[2] + 1), (last[0], last[1] + 1, 1), (last[0] + 1, 1, 1)), (day, last)
        assert mday <= (31 if month <= 6 else 30)
        day, last = day + timedelta(days=1), (year, month, mday)


@pytest.mark.parametrize("hostile", ["Down\r\nBcc: all@example.com", "Down\nX-Evil: 1", "Down\u2028Bcc: x", "Down\x00\x1b]8;;http://x\x07", "Down\u0085Bcc: x"])
def test_a_subject_is_one_line_whatever_the_ticket_says(hostile):
    worded = notices.word(policy(), "filed", "en", SAMPLE | {"subject": hostile})
    assert not any(c in worded.subject for c in "\r\n\x00\x1b\x07\u2028\u0085")
    assert worded.subject.startswith("[#42] We have your request: Down")


def test_text_from_outside_is_neither_markup_nor_template_nor_a_terminal_escape():
    worded = notices.word(policy(), "reply", "en", SAMPLE | {"body": "<script>x</script> {{ 7*7 }} {% if 1 %}y{% endif %}\x1b[2J \u202egnp.exe"})
    assert "<script>x</script> {{ 7*7 }} {% if 1 %}y{% endif %}[2J gnp.exe" in worded.text
    assert "&lt;script&gt;" in worded.html and "<script>" not in worded.html


def test_a_policy_rewords_a_notice_for_a_language_and_the_rest_stays_built_in():
    own = policy('''
[notices.filed.tr]
subject = "Destek talebiniz alındı — {{ subject }}"

[notices.filed.de]
subject = "Wir haben Ihre Anfrage: {{ subject }}"
body = """
Guten Tag{% if name %} {{ name }}{% endif %},

Ihr Ticket #{{ id }} ist eingegangen.{% if respond_by %} Antwort bis {{ respond_by }}.{% endif %}
"""
''')
    turkish = notices.word(own, "filed", "tr", SAMPLE)
    assert turkish.subject == "[#42] Destek talebiniz alındı — Site down" and "numaralı destek talebinizi aldık" in turkish.text
    german = notices.word(own, "filed", notices.language_for(own, "de"), SAMPLE)
    assert german.language == "de" and german.text == "Guten Tag Ada,\n\nIhr Ticket #42 ist eingegangen. Antwort bis soon.\n"
    assert notices.word(own, "reply", notices.language_for(own, "de"), SAMPLE).language == "en"  # no German reply: English
    assert notices.language_for(own, "ru", None) == "tr"  # unknown: the desk's language, its first with wording
    assert notices.desk_language(policy(base=EXAMPLES / "sitecom.toml")) == "fa"
    assert notices.desk_language(policy(notifications='language = "en"\n')) == "en"


def test_policy_check_names_each_broken_template_at_its_line(bare_cli, tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(HOSTING.read_text(encoding="utf-8") + '''
[notices.filed.tr]
subject = "Aldık: {{ subjet }}"
body = "{% if respond_by %}yarım"

[notices.closed.en]
subject = """Closed
{{ subject }}"""

[notices.welcome.en]
subject = "Hi"

[notices.reply.english]
body = "x"

[notices.page.en]
body = "{{ id.__class__.__mro__ }}"
colour = "red"
''', encoding="utf-8")
    result = bare_cli("policy", "check", str(path))
    assert result.exit_code == 2, result.output
    lines = [line.split(": ", 1)[1] for line in result.stdout.splitlines()]
    assert lines == [
        "notices.filed.tr.subject: unknown value 'subjet'; a filed notice has: id, subject, desk, name, language, priority, respond_by",
        "notices.filed.tr.body: not a valid template (line 1: Unexpected end of template. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. "
        "The innermost block that needs to be closed is 'if'.); see the README's notice templates",
        "notices.closed.en.subject: a subject is one line; put line breaks in the body",
        "notices.welcome: unknown notice 'welcome'; notices are: filed, reply, closed, refused, end_customer, paid_service, page, escalation",
        "notices.reply.english: 'english' is not an ISO 639-1 language code; use two letters such as fa, tr, en",
        "notices.page.en.body: cannot be rendered (access to attribute '__class__' of 'int' object is unsafe.); use the values as text, e.g. {{ id }}",
        "notices.page.en.colour: unknown key; a notice's wording has subject and body",
    ], result.stdout
    assert f"{path}:{len(HOSTING.read_text().splitlines()) + 3}: notices.filed.tr.subject" in result.stdout


def test_a_policy_with_templates_reads_back_equal_from_its_dump_and_its_compiled_form():
    from supportdesk.policy_compiled import compile_policy, read_compiled
    from supportdesk.policy_text import dump_policy

    own = policy('\n[notices.closed.tr]\nbody = """\nKapandı: {{ reason }}.\n"""\n', notifications='department_types = { technical = "support" }\n')
    assert own.notice_templates == (("closed", "tr", None, "Kapandı: {{ reason }}.\n"),)
    assert load_policy(dump_policy(own), "dumped") == own and read_compiled(compile_policy(own)) == own


def test_notices_are_queued_cheaply_and_worded_when_sent_in_each_customers_language(tmp_path, smtp):  # noqa: F811
    path = tmp_path / "kristalium.db"
    new_desk(path, EXAMPLES / "kristalium.toml", now="2026-11-16T09:00")
    cli = Cli(path)
    with api(cli) as do:
        desk = do.at("2026-11-20T09:00")
        do.file(customer="first@example.com", subject="Mail bounces")
        for who, language in (("ayse@example.com", "tr"), ("ada@example.com", "en"), ("ali@example.ir", "fa")):
            desk.add_customer(who, language=language)
            do.file(customer=who, subject=f"Mail bounces ({language})")
    cli.ok("close", "2", "3", "4", "--reason", "duplicate", "--of", "1", "--yes", now="2026-11-20T10:00")
    conn = sqlite3.connect(path)
    fields = {row[0] for row in conn.execute("SELECT fields FROM outbox WHERE kind = 'closed'")}
    conn.close()
    assert fields == {'{"close_reason": "duplicate", "of": 1}'}  # one text for the whole close, worded when sent
    cli.ok("outbox", "send", now="2026-11-20T10:01")
    closures = {who: smtp.to(who)[-1] for who in ("ayse@example.com", "ada@example.com", "ali@example.ir")}  # after the acknowledgement
    assert "Neden: başka bir talebin tekrarı (#1)." in body(closures["ayse@example.com"])
    assert "14 gün içinde bu iletiyi yanıtlayarak" in body(closures["ayse@example.com"])
    assert "because it repeats another ticket (#1)." in body(closures["ada@example.com"])
    assert "Reply within 14 days to reopen it" in body(closures["ada@example.com"])
    assert "دلیل: تکرار درخواست دیگری است (#1)." in body(closures["ali@example.ir"])
