"""Intake: the checks at filing, each against the example policy that states it. Pure:
every check is given its instant (`now`); nothing here reads the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from supportdesk.clock import Calendars
from supportdesk.intake import (
    Filing,
    History,
    Intake,
    PastTicket,
    Requester,
    ServiceInfo,
    Verdict,
    check,
    normalise,
    same_request,
)
from supportdesk.language import detect, language_name
from supportdesk.policy import load_policy

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ISTANBUL = ZoneInfo("Europe/Istanbul")
BERLIN = ZoneInfo("Europe/Berlin")
TEHRAN = ZoneInfo("Asia/Tehran")
# Thu 19 Nov 2026 11:00 in Istanbul: a working day, every office open.
WEEKDAY = datetime(2026, 11, 19, 11, 0, tzinfo=ISTANBUL)
SATURDAY = datetime(2026, 11, 21, 12, 0, tzinfo=ISTANBUL)

PERSIAN = "سرور من از صبح در دسترس نیست و سایت باز نمی‌شود. لطفاً بررسی کنید."
PERSIAN_SUBJECT = "سرور در دسترس نیست"
ARABIC = "السلام عليكم، الخادم لا يعمل منذ الصباح. هل يمكنكم المساعدة في هذه المشكلة؟"
ENGLISH = "My server has been down since this morning and the site does not load."
TURKISH = "Sunucum sabahtan beri çalışmıyor, siteye erişilemiyor. Yardımcı olur musunuz?"


@cache
def policy(name: str):
    """An example policy and its calendars (public holidays from python-holidays)."""
    loaded = load_policy((EXAMPLES / f"{name}.toml").read_text(encoding="utf-8"), name)
    return loaded, Calendars(loaded)


def customer(**changes) -> Requester:
    base = {"email": "ali@example.com", "known": True, "verified": True, "registered": ("ali@example.com",)}
    return Requester(**{**base, **changes})


def filing(**changes) -> Filing:
    base = {"subject": "Mail is down", "body": ENGLISH, "priority": "normal", "department": "sales", "channel": "ticket", "by": "customer"}
    return Filing(**{**base, **changes})


def run(name: str, filed: Filing | None = None, requester: Requester | None = None, history: History | None = None, now=WEEKDAY) -> Intake:
    loaded, calendars = policy(name)
    return check(filed or filing(), requester or customer(), history or History(), loaded, calendars, now)


def rules(intake: Intake) -> list[tuple[str, str]]:
    return [(v.rule, v.action) for v in intake.verdicts]


def persian(**changes) -> Filing:
    return filing(**{"subject": PERSIAN_SUBJECT, "body": PERSIAN, **changes})


# ---- who files: resellers (Kristalium, Websight) -----------------------------------------


@pytest.mark.parametrize("name", ["kristalium", "websight"])
@pytest.mark.parametrize("by", ["customer", "agent"])
def test_a_resellers_end_customer_is_refused_and_both_are_told(name, by):
    intake = run(name, filing(by=by), customer(reseller="HostPlus"))
    refusal = intake.refusal
    assert refusal.rule == "reseller" and refusal.action == "refuse"
    assert refusal.message == "Your hosting is provided by HostPlus, who gives you support; please contact them. We have let them know."
    assert refusal.notify == ("customer", "reseller")
    assert intake.notices == (("customer", refusal.message), ("reseller", refusal.message))
    assert not intake.accepted


@pytest.mark.parametrize("name", ["kristalium", "websight"])
def test_the_reseller_may_file_for_its_customer_through_the_website(name):
    intake = run(name, filing(by="reseller"), customer(reseller="HostPlus"))
    assert intake.verdicts == () and intake.accepted


@pytest.mark.parametrize("name", ["kristalium", "websight"])
def test_a_reseller_files_only_through_the_website(name):
    intake = run(name, filing(by="reseller", channel="phone"), customer(kind="reseller"))
    assert rules(intake) == [("reseller-channel", "refuse"), ("channel-no-tickets", "refuse")]
    assert intake.refusal.message == "resellers file tickets only by ticket, not by phone; file it again with --channel ticket"


def test_end_customers_may_file_where_the_policy_allows_it():
    intake = run("hosting-general", filing(), customer(reseller="HostPlus"))
    assert intake.accepted and intake.verdicts == ()


def test_the_default_reseller_message_names_the_reseller():
    loaded, calendars = policy("kristalium")
    bare = _replace(loaded, rules=_replace(loaded.rules, reseller=_replace(loaded.rules.reseller, message="")))
    intake = check(filing(), customer(reseller="reseller@hostplus.example"), History(), bare, calendars, WEEKDAY)
    assert intake.refusal.message == "support for your hosting comes from reseller@hostplus.example; please contact them"


def _replace(record, **changes):
    from dataclasses import replace

    return replace(record, **changes)


# ---- who files: standing and fines -------------------------------------------------------


def test_banned_and_suspended_requesters_are_refused():
    banned = run("hosting-general", requester=customer(status="banned"))
    assert rules(banned) == [("banned", "refuse")]
    assert banned.refusal.message.startswith("ali@example.com is banned from support")
    suspended = run("hosting-general", requester=customer(status="suspended"))
    assert rules(suspended) == [("suspended", "refuse")] and "suspended" in suspended.refusal.message


def test_unpaid_fines_suspend_support_at_sitecom():
    intake = run("sitecom", persian(), customer(unpaid_fines=2))
    assert rules(intake) == [("fines-unpaid", "refuse")]
    assert "2 unpaid fines" in intake.refusal.message and "paying them restores support" in intake.refusal.message
    one = run("sitecom", persian(), customer(unpaid_fines=1))
    assert "1 unpaid fine;" in one.refusal.message and "paying it restores" in one.refusal.message
    assert run("sitecom", persian(), customer(unpaid_fines=0)).accepted


def test_unpaid_fines_do_not_suspend_where_there_are_no_fines():
    assert run("hosting-general", requester=customer(unpaid_fines=3)).accepted


# ---- verification (Site Com be Com: every ticket; INTROSERV: High and Financial) ----------


def test_sitecom_helps_only_the_verified_owner():
    intake = run("sitecom", persian(), customer(verified=False))
    assert rules(intake) == [("verification", "refuse")]
    message = intake.refusal.message
    assert message.startswith("only the verified owner of the service is helped here, and ali@example.com is not verified;")
    assert "reply from your registered address" in message


@pytest.mark.parametrize(
    ("priority", "department", "what"),
    [
        ("high", "technical", "may file a high-priority ticket,"),
        ("regular", "financial", "may file a ticket to the financial department,"),
        ("high", "financial", "may file a high-priority ticket to the financial department,"),
    ],
)
def test_introserv_verifies_high_and_financial_tickets(priority, department, what):
    fields = {"server_ip": "203.0.113.7", "service_name": "VDS-7", "started_at": "09:00 CET", "diagnostics": "ping fails"}
    intake = run("introserv", filing(priority=priority, department=department, fields=fields), customer(verified=False))
    assert rules(intake) == [("verification", "refuse")]
    assert intake.refusal.message.startswith(f"only the verified owner of the service {what} and ali@example.com is not verified")


def test_introserv_flags_an_unverified_requester_of_a_regular_ticket():
    intake = run("introserv", filing(priority="regular", department="technical"), customer(verified=False))
    assert intake.accepted and intake.flags == ("unverified",)
    assert run("introserv", filing(priority="regular", department="technical")).verdicts == ()


# ---- registered sender (INTROSERV e-mail) --------------------------------------------------


def test_introserv_takes_account_matters_by_email_only_from_a_registered_address():
    money = filing(priority="regular", department="financial", channel="email")
    refused = run("introserv", money, customer(email="someone@else.example"))
    assert rules(refused) == [("registered-sender", "refuse")]
    assert refused.refusal.message == (
        "by email, account matters and emergencies are taken only from a registered address, and "
        "someone@else.example is not registered; write from your registered address, or file through ticket"
    )
    assert run("introserv", money, customer(email="Ali@Example.com ")).accepted  # case and spaces do not matter
    assert rules(run("introserv", money, customer(known=False, registered=()))) == [("registered-sender", "refuse")]


def test_introserv_takes_other_email_from_any_address():
    intake = run("introserv", filing(priority="regular", department="technical", channel="email"), customer(email="someone@else.example"))
    assert intake.accepted


# ---- channels ----------------------------------------------------------------------------


def test_hosting_general_chat_and_phone_are_closed_on_saturday():
    for channel in ("chat", "phone"):
        intake = run("hosting-general", filing(channel=channel), now=SATURDAY)
        assert rules(intake) == [("channel-closed", "refuse")]
        assert intake.refusal.message == f"{channel} is closed now; it opens Mon 23 Nov 2026 09:00 +03; file by ticket (--channel ticket)"


def test_hosting_general_chat_is_open_on_a_weekday_but_not_on_a_holiday_or_after_six():
    assert run("hosting-general", filing(channel="chat")).accepted
    republic_day = datetime(2026, 10, 29, 11, 0, tzinfo=ISTANBUL)
    assert "opens Fri 30 Oct 2026 09:00 +03" in run("hosting-general", filing(channel="chat"), now=republic_day).refusal.message
    evening = datetime(2026, 11, 19, 18, 0, tzinfo=ISTANBUL)  # closing time is closed
    assert "opens Fri 20 Nov 2026 09:00 +03" in run("hosting-general", filing(channel="chat"), now=evening).refusal.message


@pytest.mark.parametrize(("name", "channel"), [("kristalium", "phone"), ("websight", "phone"), ("sitecom", "phone")])
def test_talk_only_channels_take_no_tickets(name, channel):
    intake = run(name, persian(channel=channel) if name == "sitecom" else filing(channel=channel))
    assert intake.refusal.rule == "channel-no-tickets"
    assert intake.refusal.message == f"tickets cannot be filed by {channel}; file by ticket (--channel ticket)"


BERLIN_DESK = """
[desk]
name = "Berlin"
timezone = "Europe/Berlin"

[calendars.office]
hours = { "mon-fri" = "09:00-18:00" }

[[priorities]]
name = "normal"

[[departments]]
name = "technical"

[[channels]]
name = "phone"
calendar = "office"
{more}
"""


def berlin(more: str = ""):
    loaded = load_policy(BERLIN_DESK.replace("{more}", more), "berlin")
    return loaded, Calendars(loaded)


@pytest.mark.parametrize(
    ("now", "opens"),
    [
        (datetime(2026, 3, 27, 19, 0, tzinfo=BERLIN), "Mon 30 Mar 2026 09:00 CEST"),  # summer time starts on Sunday 29 March
        (datetime(2026, 10, 23, 20, 0, tzinfo=BERLIN), "Mon 26 Oct 2026 09:00 CET"),  # and ends on Sunday 25 October
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "Mon 30 Mar 2026 09:00 CEST"),  # in the hour that is skipped
    ],
)
def test_the_next_opening_is_local_wall_time_across_a_dst_change(now, opens):
    loaded, calendars = berlin('\n[[channels]]\nname = "ticket"\n')
    intake = check(filing(channel="phone", department="technical"), customer(), History(), loaded, calendars, now)
    assert intake.refusal.message == f"phone is closed now; it opens {opens}; file by ticket (--channel ticket)"


def test_when_no_other_channel_is_open_the_refusal_says_when_one_opens():
    loaded, calendars = berlin('\n[[channels]]\nname = "ticket"\ncalendar = "office"\n')
    now = datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN)
    intake = check(filing(channel="phone", department="technical"), customer(), History(), loaded, calendars, now)
    assert intake.refusal.message.endswith("; file by ticket when it opens, Mon 30 Mar 2026 09:00 CEST")
    alone, alone_calendars = berlin()
    intake = check(filing(channel="phone", department="technical"), customer(), History(), alone, alone_calendars, now)
    assert intake.refusal.message.endswith("; no channel that files tickets is open")


def test_an_unknown_channel_or_department_is_left_to_the_desk():
    assert run("hosting-general", filing(channel="fax", department="nowhere")).verdicts == ()


# ---- required fields ---------------------------------------------------------------------


def test_hosting_general_flags_a_technical_ticket_without_account_info():
    intake = run("hosting-general", filing(department="technical"))
    assert rules(intake) == [("fields", "flag")] and intake.accepted
    assert intake.missing == ("hosting_account|domain|panel_user",) and intake.flags == ("missing-info",)
    verdict = intake.verdicts[0]
    assert verdict.message.startswith("missing: hosting_account (Your hosting account name) or domain (The domain concerned")
    assert verdict.message.endswith("add it with --field name=value (e.g. --field hosting_account=…)")
    assert verdict.violation is None  # Hosting General fines nobody
    assert run("hosting-general", filing(department="technical", fields={"domain": "example.com.tr"})).verdicts == ()
    assert run("hosting-general", filing(department="technical", fields={"domain": "  "})).missing  # blank is missing


def test_introserv_refuses_a_high_ticket_without_the_incident_facts():
    intake = run("introserv", filing(priority="high", department="technical", fields={"service_name": "VDS-7"}))
    assert rules(intake) == [("fields", "refuse")]
    assert intake.missing == ("server_ip|order_number", "started_at", "diagnostics")
    message = intake.refusal.message
    assert message.startswith(
        "a high technical ticket must carry: server_ip (The server's IP address) or order_number (The order number, like #123456); started_at ("
    )
    assert message.endswith("add them with --field name=value (e.g. --field server_ip=…)")


def test_introserv_takes_an_order_number_instead_of_an_ip_and_asks_nothing_of_regular_tickets():
    complete = {"order_number": "#123456", "service_name": "VDS-7", "started_at": "09:00 CET", "diagnostics": "ping fails"}
    assert run("introserv", filing(priority="high", department="technical", fields=complete)).verdicts == ()
    assert run("introserv", filing(priority="regular", department="technical")).verdicts == ()


def test_sitecom_closes_a_ticket_without_the_departments_information_unanswered():
    intake = run("sitecom", persian(department="technical"))
    assert rules(intake) == [("fields", "close")] and intake.accepted
    closing = intake.closing
    assert closing.close_reason == "incomplete" and closing.flag == "missing-info" and closing.violation == "missing-info"
    assert closing.message.startswith("closed without an answer: a technical ticket must carry: service (")
    assert intake.flags == ("missing-info",) and intake.violations == ("missing-info",)
    assert run("sitecom", persian(department="technical", service="VPS-12")).verdicts == ()  # --service is the service field
    assert run("sitecom", persian(department="billing", fields={"invoice_number": "9921"})).verdicts == ()


# ---- language and script -----------------------------------------------------------------


def test_sitecom_takes_persian():
    intake = run("sitecom", persian())
    assert intake.verdicts == () and intake.language == "fa"


def test_a_persian_ticket_with_one_arabic_phrase_is_still_persian():
    intake = run("sitecom", persian(body=PERSIAN + " في أمان الله"))
    assert intake.verdicts == () and intake.language == "fa"


def test_a_persian_ticket_with_a_pasted_english_log_is_still_persian():
    body = "وب‌سایت من کار نمی‌کند. error: Connection refused at /var/www/html/index.php line 42 mysqli_connect failed"
    intake = run("sitecom", persian(body=body))
    assert intake.verdicts == () and intake.language == "fa"


def test_sitecom_refuses_arabic_and_fines_it():
    intake = run("sitecom", filing(subject="الخادم لا يعمل", body=ARABIC))
    assert rules(intake) == [("language", "refuse")] and intake.language == "ar"
    assert intake.refusal.message == (
        "tickets here must be written in Persian (Arabic script); this one is in Arabic; please write it again in Persian (Arabic script)"
    )
    assert intake.refusal.violation == "wrong-language"


def test_sitecom_refuses_english_and_latin_script():
    intake = run("sitecom", filing())
    assert intake.refusal.rule == "language" and "this one is in English" in intake.refusal.message
    german = run("sitecom", filing(subject="Server", body="Mein Server ist seit heute früh nicht erreichbar, bitte helfen Sie mir."))
    assert "this one is in Latin script" in german.refusal.message and german.language is None


@pytest.mark.parametrize("text", ["ok", "ok!!", "سلام", "", "12345 67890"])
def test_a_text_too_short_to_judge_is_never_refused(text):
    intake = run("sitecom", filing(subject=text, body=text))
    assert intake.verdicts == () and intake.language is None


def test_hosting_general_flags_a_ticket_in_neither_turkish_nor_english():
    assert run("hosting-general", filing(body=TURKISH)).language == "tr"
    assert run("hosting-general", filing(body=ENGLISH)).verdicts == ()
    intake = run("hosting-general", persian())
    assert rules(intake) == [("language", "flag")] and intake.flags == ("wrong-language",) and intake.accepted
    assert intake.verdicts[0].message == "tickets here must be written in Turkish or English; this one is in Persian"
    assert intake.verdicts[0].violation is None


def test_a_latin_text_in_an_unsure_language_passes_a_turkish_and_english_desk():
    intake = run("hosting-general", filing(subject="Server", body="Mein Server ist seit heute früh nicht erreichbar, bitte helfen Sie mir."))
    assert intake.verdicts == () and intake.language is None


def test_a_desk_without_languages_does_not_detect():
    loaded, calendars = berlin('\n[[channels]]\nname = "ticket"\n')
    intake = check(filing(department="technical", body=ARABIC), customer(), History(), loaded, calendars, WEEKDAY)
    assert intake.verdicts == () and intake.language is None


def test_a_required_script_alone_refuses_only_by_script():
    loaded, calendars = berlin('\n[[channels]]\nname = "ticket"\n')
    latin = _replace(loaded, required_script="latin", on_wrong_language="refuse")
    refused = check(filing(department="technical", body=ARABIC), customer(), History(), latin, calendars, WEEKDAY)
    assert refused.refusal.message == "tickets here must be written in Latin script; this one is in Arabic; please write it again in Latin script"
    assert check(filing(department="technical", body=TURKISH), customer(), History(), latin, calendars, WEEKDAY).accepted


def test_a_language_of_unknown_script_leaves_the_script_open():
    loaded, calendars = berlin('\n[[channels]]\nname = "ticket"\n')
    odd = _replace(loaded, languages=("en", "sw"))  # Swahili: its script is not in the table
    intake = check(filing(department="technical", body=PERSIAN), customer(), History(), odd, calendars, WEEKDAY)
    assert intake.flags == ("wrong-language",)  # Persian is surely not English or Swahili
    assert intake.verdicts[0].message.endswith("this one is in Persian")


@pytest.mark.parametrize(
    ("text", "script", "language"),
    [
        (PERSIAN, "arabic", "fa"),
        (ARABIC, "arabic", "ar"),
        (TURKISH, "latin", "tr"),
        ("Sunucum sabahtan beri calismiyor, siteye erisilemiyor. Yardimci olur musunuz?", "latin", "tr"),  # ASCII-folded
        (ENGLISH, "latin", "en"),
        ("Мой сервер не работает с утра, сайт не открывается. Помогите, пожалуйста, это срочно! Ещё вчера всё было хорошо.", "cyrillic", "ru"),
        ("Мій сервер не працює з ранку, сайт не відкривається. Допоможіть, будь ласка, це терміново.", "cyrillic", "uk"),
        ("Мой сервер не работает", "cyrillic", None),  # no letter only one of the two has
        ("Ο διακομιστής μου δεν λειτουργεί από το πρωί", "greek", "el"),
        ("سرور من از صبح در دسترس نيست و سايت باز نمي‌شود", "arabic", None),  # Persian typed with Arabic ي: unsure
    ],
)
def test_detection(text, script, language):
    found = detect(text)
    assert (found.script, found.language) == (script, language)


def test_detection_leaves_out_links_addresses_and_host_names():
    found = detect("سرور قطع است، کمک کنید https://panel.example.com/login admin@example.com example.com 203.0.113.7")
    assert found.scripts == (("arabic", 17, "fa"),) and found.letters == 17 and found.share({"latin"}) == 0.0
    assert detect("").share({"latin"}) == 0.0


def test_language_names():
    assert (language_name("fa"), language_name("xx"), language_name(None)) == ("Persian", "xx", "an unknown language")


# ---- duplicates --------------------------------------------------------------------------


def past(id=12, subject="Mail is down", body="Nothing arrives since this morning.", status="open", age=timedelta(days=1), now=WEEKDAY):
    return PastTicket(id, subject, body, status, now - age)


def test_hosting_general_flags_a_possible_duplicate():
    intake = run("hosting-general", filing(subject="MAIL is down!!"), history=History((past(),)))
    assert rules(intake) == [("duplicate", "flag")] and intake.flags == ("possible-duplicate:#12",)
    assert intake.verdicts[0].message == "this may repeat #12 (Mail is down), still open"


def test_the_newest_matching_ticket_is_named():
    history = History((past(14, age=timedelta(hours=2)), past(12)))
    assert run("hosting-general", filing(), history=history).flags == ("possible-duplicate:#14",)


@pytest.mark.parametrize(
    "earlier",
    [
        past(subject="Invoice for October is wrong", body="The amount is too high."),  # a different request
        past(status="closed"),  # finished
        past(status="resolved"),
        past(age=timedelta(days=8)),  # outside the 7-day window
    ],
)
def test_near_misses_are_not_duplicates(earlier):
    assert run("hosting-general", filing(), history=History((earlier,))).verdicts == ()


def test_sitecom_refuses_a_second_ticket_for_the_same_request_and_fines_it():
    earlier = past(31, subject=PERSIAN_SUBJECT, body="قبلاً گفتم", age=timedelta(days=20), now=WEEKDAY)
    intake = run("sitecom", persian(), history=History((earlier,)))
    assert rules(intake) == [("duplicate", "refuse")]
    assert intake.refusal.message == f"you already have #31 open for this ({PERSIAN_SUBJECT}); reply to it with `supportdesk reply 31`"
    assert intake.refusal.violation == "duplicates" and intake.violations == ("duplicates",)
    assert run("sitecom", persian(), history=History((past(31, subject=PERSIAN_SUBJECT, age=timedelta(days=31)),))).verdicts == ()


def test_duplicates_may_be_allowed():
    loaded, calendars = policy("hosting-general")
    allowing = _replace(loaded, rules=_replace(loaded.rules, duplicates=_replace(loaded.rules.duplicates, action="allow")))
    assert check(filing(), customer(), History((past(),)), allowing, calendars, WEEKDAY).verdicts == ()


@pytest.mark.parametrize(
    ("subject", "body", "earlier_subject", "earlier_body", "same"),
    [
        ("Sunucum ÇALIŞMIYOR", "x", "sunucum calismiyor!", "y", False),  # two words: generic, bodies differ
        ("Sunucum ÇALIŞMIYOR", "site açılmıyor", "sunucum calismiyor!", "Site açılmıyor.", True),  # and the bodies agree
        ("Help", "a", "Other", "A!", True),  # the same description
        ("SSL certificate renewal failed on example.com", "a", "SSL certificate renewal failed", "b", True),  # contained
        ("SSL certificate renewal failed", "a", "SSL certificate for a new domain", "b", False),  # 2 of 7 words
        ("Mail is down", "", "Mail is down", "", True),
        ("", "", "Mail is down", "", False),
        ("سرور در دسترس نيست", "a", "سرور در دسترس نیست", "b", True),  # Arabic ي and Persian ی fold together
    ],
)
def test_same_request(subject, body, earlier_subject, earlier_body, same):
    assert same_request(subject, body, past(subject=earlier_subject, body=earlier_body)) is same


def test_normalise():
    assert normalise("  Sunucum ÇALIŞMIYOR!! İstanbul\u200cda ") == "sunucum calismiyor istanbul da"


# ---- abuse (Kristalium, Websight) ------------------------------------------------------


@pytest.mark.parametrize("name", ["kristalium", "websight"])
@pytest.mark.parametrize(
    ("subject", "body", "word"),
    [("Server down", "You IDIOTS... no, you idiot, fix it", "idiot"), ("Sunucu", "Siz aptal mısınız?", "aptal"), ("FUUUCK this", "down", "FUUUCK")],
)
def test_insults_in_any_language_are_flagged_not_closed_at_intake(name, subject, body, word):
    intake = run(name, filing(subject=subject, body=body))
    assert rules(intake) == [("abuse", "flag")] and intake.flags == ("abusive",) and intake.closing is None
    assert intake.verdicts[0].message == f'insulting language ("{word}"); an agent may close the ticket and end support to the sender'


def test_words_that_only_contain_an_insult_are_not_flagged():
    assert run("kristalium", filing(subject="Stupidity check", body="The idiotproof installer failed")).verdicts == ()


@pytest.mark.parametrize(("action", "then"), [("flag", ""), ("close", "; an agent may close the ticket")])
def test_the_abuse_message_follows_the_policys_action(action, then):
    loaded, calendars = policy("kristalium")
    changed = _replace(loaded, rules=_replace(loaded.rules, abuse=_replace(loaded.rules.abuse, action=action)))
    intake = check(filing(body="stupid panel"), customer(), History(), changed, calendars, WEEKDAY)
    assert intake.verdicts[0].message == f'insulting language ("stupid"){then}'


# ---- scope (Kristalium, Websight, Hosting General) ----------------------------------------


def test_an_out_of_scope_category_is_flagged_and_the_customer_told():
    intake = run("kristalium", filing(category="themes-plugins"))
    assert rules(intake) == [("out-of-scope", "flag")] and intake.flags == ("out-of-scope",)
    message = policy("kristalium")[0].scope.out_message
    assert intake.verdicts[0].message == message and intake.notices == (("customer", message),)
    assert run("kristalium", filing(category="cms-install")).verdicts == ()


def test_the_default_out_of_scope_message():
    loaded, calendars = policy("kristalium")
    bare = _replace(loaded, scope=_replace(loaded.scope, out_message=""))
    assert check(filing(category="themes-plugins"), customer(), History(), bare, calendars, WEEKDAY).verdicts[0].message == (
        "this is outside what support covers"
    )


DELIVERED = datetime(2026, 11, 1, 12, 0, tzinfo=ISTANBUL)


def vps(**changes) -> ServiceInfo:
    return ServiceInfo(**{"kind": "vps", "name": "vps-7", "order_number": "#123456", "delivered_at": DELIVERED, **changes})


@pytest.mark.parametrize("name", ["kristalium", "websight"])
def test_no_administration_after_a_server_is_delivered(name):
    intake = run(name, filing(subject="nginx config", body="Please tune nginx"), customer(services=(vps(),)))
    assert rules(intake) == [("admin-support", "flag")] and intake.flags == ("admin-support-not-included",)
    assert intake.verdicts[0].message == (
        "After delivery we do not administer servers unless an SLA service is bought or a managed plan is chosen. (vps-7, delivered 01 Nov 2026 12:00 +03)"
    )
    assert intake.verdicts[0].notify == ("customer",)


@pytest.mark.parametrize(
    ("filed", "requester"),
    [
        (filing(category="server-tuning"), customer(services=(vps(),))),  # done before delivery
        (filing(), customer(services=(vps(delivered_at=datetime(2026, 12, 1, tzinfo=UTC)),))),  # not delivered yet
        (filing(), customer(services=(vps(delivered_at=None),))),
        (filing(), customer(services=(vps(managed=True),))),  # a managed plan
        (filing(), customer(services=(vps(package="sla-service"),))),  # an SLA service bought for it
        (filing(), customer(package="managed", services=(vps(),))),
        (filing(), customer(services=(ServiceInfo("shared", "web-1", delivered_at=DELIVERED),))),  # not a server
        (filing(), customer(services=(vps(), vps(name="vps-8", order_number="#123457")))),  # which one? no flag
        (filing(service="web-1"), customer(services=(vps(),))),  # about another service
    ],
)
def test_after_delivery_near_misses(filed, requester):
    assert run("kristalium", filed, requester).verdicts == ()


def test_a_ticket_naming_one_of_several_servers_is_about_that_one():
    two = customer(services=(vps(), vps(name="vps-8", order_number="#123457")))
    assert "(vps-8, delivered" in run("kristalium", filing(service="123457"), two).verdicts[0].message
    assert "(vps-7, delivered" in run("kristalium", filing(service="VPS-7"), two).verdicts[0].message


def test_the_default_after_delivery_message_and_a_server_without_a_name():
    loaded, calendars = policy("kristalium")
    bare = _replace(loaded, scope=_replace(loaded.scope, after_delivery=_replace(loaded.scope.after_delivery, message="")))
    requester = customer(services=(ServiceInfo("dedicated", delivered_at=DELIVERED),))
    intake = check(filing(), requester, History(), bare, calendars, WEEKDAY)
    assert intake.verdicts[0].message == "administration of a delivered server is not included (dedicated, delivered 01 Nov 2026 12:00 +03)"


# ---- quotas (Hosting General migrations; Site Com be Com module installs) ------------------


@pytest.mark.parametrize(
    ("package", "before", "paid"),
    [
        ("starter", 0, True),  # Starter: 1 migration, paid
        ("standard", 2, False),  # Standard: 3 free
        ("standard", 3, True),
        ("premium", 50, False),  # Premium: unlimited
        (None, 0, True),  # no package: none included
        ("unknown-package", 0, True),
    ],
)
def test_hosting_general_site_migrations_by_package(package, before, paid):
    intake = run("hosting-general", filing(category="site-migration"), customer(package=package), History(category_counts={"site-migration": before}))
    assert intake.flags == (("paid-service",) if paid else ())


def test_the_paid_migration_message_says_why():
    intake = run("hosting-general", filing(category="site-migration"), customer(package="standard"), History(category_counts={"site-migration": 3}))
    out_message = policy("hosting-general")[0].scope.out_message
    assert intake.verdicts[0].message == f"{out_message} (site-migration: the standard package includes 3; 3 filed before)"
    assert intake.verdicts[0].notify == ("customer",)
    starter = run("hosting-general", filing(category="site-migration"), customer(package="starter"))
    assert "the starter package's migrations are paid" in starter.verdicts[0].message


def test_migrations_are_not_counted_where_no_package_states_them():
    history = History(category_counts={"site-migration": 9})
    assert run("kristalium", filing(category="site-migration"), history=history).verdicts == ()


def test_sitecom_installs_a_module_once_for_free():
    first = run("sitecom", persian(category="module-install"), history=History(category_counts={"module-install": 0}))
    assert first.verdicts == ()
    again = run("sitecom", persian(category="module-install"), history=History(category_counts={"module-install": 1}))
    assert rules(again) == [("quota", "flag")] and again.flags == ("paid-service",)
    assert again.verdicts[0].message.endswith("(module-install: 1 free per customer; 1 filed before)")


def test_a_package_with_no_migrations_stated_includes_none():
    loaded, calendars = policy("hosting-general")
    bare = _replace(loaded, packages=(*loaded.packages, _replace(loaded.packages[0], name="basic", migrations=None, migrations_paid=False)))
    intake = check(filing(category="site-migration"), customer(package="basic"), History(), bare, calendars, WEEKDAY)
    assert "the basic package includes 0" in intake.verdicts[0].message
    plain = _replace(loaded, scope=_replace(loaded.scope, out_message=""))
    intake = check(filing(category="site-migration"), customer(), History(), plain, calendars, WEEKDAY)
    assert intake.verdicts[0].message == "this is a paid service (site-migration: no package includes them for you; 0 filed before)"


# ---- the whole intake --------------------------------------------------------------------


def test_refusals_come_first_and_every_rule_is_evaluated():
    intake = run(
        "sitecom",
        filing(subject="stupid", body=ARABIC, channel="phone", department="technical", category="cms"),
        customer(verified=False, unpaid_fines=1),
        History((past(subject="stupid", body=ARABIC),)),
    )
    assert rules(intake) == [
        ("fines-unpaid", "refuse"), ("verification", "refuse"), ("channel-no-tickets", "refuse"), ("language", "refuse"),
        ("duplicate", "refuse"), ("fields", "close"), ("out-of-scope", "flag"),
    ]
    assert intake.refusal.rule == "fines-unpaid" and intake.closing.rule == "fields"
    assert intake.flags == ("missing-info", "out-of-scope")
    assert intake.notices == ()  # refused: the refusal tells no one
    assert intake.violations == ()


def test_an_accepted_ticket_carries_every_flag_and_notice():
    intake = run("kristalium", filing(body="stupid panel", category="themes-plugins"), customer(services=(vps(),)), History((past(body="stupid panel"),)))
    assert intake.flags == ("possible-duplicate:#12", "abusive", "out-of-scope", "admin-support-not-included")
    assert [party for party, _ in intake.notices] == ["customer", "customer"]


def test_the_knowledge_base_reminder():
    assert run("sitecom", persian()).reminder == policy("sitecom")[0].kb_first
    assert run("hosting-general").reminder is None


def test_now_must_be_aware():
    loaded, calendars = policy("hosting-general")
    with pytest.raises(ValueError, match="aware"):
        check(filing(), customer(), History(), loaded, calendars, datetime(2026, 11, 19, 11, 0))


def test_verdict_defaults():
    verdict = Verdict("abuse", "flag", "x")
    assert (verdict.flag, verdict.notify, verdict.violation, verdict.close_reason) == (None, (), None, None)
