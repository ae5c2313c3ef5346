"""On-call: rotations by wall time across DST, layers switched by calendars, overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from supportdesk.clock import Calendar, CalendarSpec, parse_hours
from supportdesk.oncall import Layer, OnCall, Override, Rotation

BERLIN = ZoneInfo("Europe/Berlin")
IST = ZoneInfo("Europe/Istanbul")


def berlin(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def ist(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=IST)


DAILY = Rotation("daily", ("ana", "ben", "cai"), timedelta(days=1), 9 * 60, "Europe/Berlin", date(2024, 3, 29))
WEEKLY = Rotation("on-duty", ("deniz", "burak", "ayse"), timedelta(weeks=1), 9 * 60, "Europe/Istanbul", date(2024, 1, 1))
TEAM = Rotation("office-team", ("ayse", "burak", "cem"), None, 9 * 60, "Europe/Istanbul", date(2024, 1, 1))
OFFICE = Calendar(CalendarSpec("office", "Europe/Istanbul", tuple([parse_hours("09:00-18:00")] * 5 + [(), ()])))
LAYERS = (
    Layer("office", "office-team", "office", "open"),
    Layer("on-duty", "on-duty", "office", "closed"),
)


def oncall(*overrides: Override) -> OnCall:
    return OnCall(LAYERS, {"office-team": TEAM, "on-duty": WEEKLY}, {"office": OFFICE}, overrides)


def test_daily_rotation_hands_off_at_nine_local_across_spring_dst():
    # 29 March 09:00 CET ana, 30 March ben, 31 March (CEST from 02:00) cai, 1 April ana
    assert DAILY.on_shift(berlin("2024-03-29T09:00")) == ("ana",)
    assert DAILY.on_shift(berlin("2024-03-30T08:59")) == ("ana",)
    assert DAILY.on_shift(berlin("2024-03-30T09:00")) == ("ben",)
    assert DAILY.on_shift(berlin("2024-03-31T08:59")) == ("ben",)
    assert DAILY.on_shift(berlin("2024-03-31T09:00")) == ("cai",)
    assert DAILY.boundary(2) == datetime(2024, 3, 31, 7, 0, tzinfo=UTC)  # 09:00 CEST
    # ben's shift across the DST night lasts 23 real hours
    assert DAILY.boundary(2) - DAILY.boundary(1) == timedelta(hours=23)
    assert DAILY.on_shift(berlin("2024-04-01T09:00")) == ("ana",)


def test_daily_rotation_across_autumn_dst_and_before_its_start():
    rotation = Rotation("daily", ("ana", "ben"), timedelta(days=1), 9 * 60, "Europe/Berlin", date(2024, 10, 26))
    assert rotation.boundary(1) - rotation.boundary(0) == timedelta(hours=25)
    assert rotation.on_shift(berlin("2024-10-27T08:59")) == ("ana",)
    assert rotation.on_shift(berlin("2024-10-27T09:00")) == ("ben",)
    assert rotation.on_shift(berlin("2024-10-26T08:00")) == ("ben",)  # before the start: cycles back


def test_weekly_rotation_and_its_handoffs():
    assert WEEKLY.on_shift(ist("2024-06-07T20:00")) == ("burak",)
    assert WEEKLY.on_shift(ist("2024-06-10T09:00")) == ("ayse",)
    assert WEEKLY.handoffs(ist("2024-06-07T20:00"), ist("2024-06-24T20:00")) == [ist("2024-06-10T09:00"), ist("2024-06-17T09:00"), ist("2024-06-24T09:00")]
    assert TEAM.on_shift(ist("2024-06-07T20:00")) == ("ayse", "burak", "cem")
    assert TEAM.handoffs(ist("2024-06-01T00:00"), ist("2024-07-01T00:00")) == []


def test_office_team_in_hours_and_on_duty_outside():
    inside = {d.layer: d for d in oncall().at(ist("2024-06-07T15:00"))}
    assert inside["office"].active and inside["office"].people == ("ayse", "burak", "cem")
    assert not inside["on-duty"].active
    outside = {d.layer: d for d in oncall().at(ist("2024-06-07T20:00"))}
    assert not outside["office"].active
    assert outside["on-duty"].people == ("burak",)


def test_an_override_replaces_the_rotation_while_it_lasts():
    cover = Override("on-duty", "cem", ist("2024-06-07T18:00"), ist("2024-06-08T09:00"), "burak at a wedding", 7)
    duties = {d.layer: d for d in oncall(cover).at(ist("2024-06-07T20:00"))}
    assert duties["on-duty"].people == ("cem",) and duties["on-duty"].override is cover
    later = {d.layer: d for d in oncall(cover).at(ist("2024-06-08T10:00"))}
    assert later["on-duty"].people == ("burak",)
    # an override of an inactive layer changes nothing
    daytime = {d.layer: d for d in oncall(cover).at(ist("2024-06-07T12:00"))}
    assert daytime["on-duty"].active is False


def test_schedule_lists_every_change():
    cover = Override("on-duty", "cem", ist("2024-06-08T12:00"), ist("2024-06-09T12:00"))
    plan = oncall(cover).schedule(ist("2024-06-07T12:00"), ist("2024-06-10T12:00"))
    seen = [(h.at.astimezone(IST).strftime("%a %H:%M"), h.layer, h.active, h.people) for h in plan]
    assert seen == [
        ("Fri 12:00", "office", True, ("ayse", "burak", "cem")),
        ("Fri 12:00", "on-duty", False, ()),
        ("Fri 18:00", "office", False, ()),
        ("Fri 18:00", "on-duty", True, ("burak",)),
        ("Sat 12:00", "on-duty", True, ("cem",)),
        ("Sun 12:00", "on-duty", True, ("burak",)),
        ("Mon 09:00", "office", True, ("ayse", "burak", "cem")),
        ("Mon 09:00", "on-duty", False, ()),
    ]


def test_next_changes_per_layer():
    changes = oncall().next_changes(ist("2024-06-07T20:00"))
    assert [(h.layer, h.at) for h in changes] == [("office", ist("2024-06-10T09:00")), ("on-duty", ist("2024-06-10T09:00"))]
