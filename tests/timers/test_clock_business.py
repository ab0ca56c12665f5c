"""Business-time clocks across weekends and Korean and Japanese public holidays."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from itsm.models import BusinessCalendar, ClosedDay
from itsm.timers import services
from itsm.timers.clocks import clock_pause, clock_resume, clock_retarget, clock_start
from itsm.timers.models import Clock
from tests.itsm.factories import TeamFactory

pytestmark = pytest.mark.django_db
SEOUL, TOKYO = ZoneInfo("Asia/Seoul"), ZoneInfo("Asia/Tokyo")
H = dt.timedelta(hours=1)


def seoul(*args):
    return dt.datetime(*args, tzinfo=SEOUL)


def tokyo(*args):
    return dt.datetime(*args, tzinfo=TOKYO)


@pytest.fixture
def kr():
    return BusinessCalendar.objects.get(country="KR")


@pytest.fixture
def jp():
    return BusinessCalendar.objects.get(country="JP")


def start(calendar, when, target, **kwargs):
    with time_machine.travel(when, tick=False):
        return clock_start(
            subject=TeamFactory(),
            name="resolution",
            target=target,
            mode="business",
            calendar=calendar,
            **kwargs,
        )


@pytest.mark.parametrize(
    ("country", "started", "target", "deadline", "why"),
    [
        ("KR", seoul(2026, 2, 13, 17), 2 * H, seoul(2026, 2, 19, 10), "weekend + Seollal"),
        ("KR", seoul(2026, 9, 23, 17), 2 * H, seoul(2026, 9, 28, 10), "Chuseok + Sunday"),
        ("KR", seoul(2026, 3, 6, 12), 9 * H, seoul(2026, 3, 9, 12), "a plain weekend"),
        ("KR", seoul(2026, 3, 7, 10), H, seoul(2026, 3, 9, 10), "filed on a Saturday"),
        ("JP", tokyo(2026, 5, 1, 17), 2 * H, tokyo(2026, 5, 7, 10), "Golden Week"),
        ("JP", tokyo(2026, 1, 9, 17), 3 * H, tokyo(2026, 1, 13, 11), "Coming of Age Day"),
        ("JP", tokyo(2026, 12, 31, 17), 2 * H, tokyo(2027, 1, 4, 10), "New Year + weekend"),
    ],
)
def test_the_deadline_skips_closed_time(request, country, started, target, deadline, why):
    calendar = request.getfixturevalue(country.lower())
    clock = start(calendar, started, target)
    assert clock.deadline_at == deadline, why


def test_the_sweeper_breaches_a_business_clock_at_its_business_deadline(kr):
    clock = start(kr, seoul(2026, 2, 13, 17), 2 * H)
    with time_machine.travel(seoul(2026, 2, 18, 23), tick=False):  # last night of Seollal
        services.sweep()
        clock.refresh_from_db()
        assert not clock.is_breached and clock.elapsed() == H
    with time_machine.travel(seoul(2026, 2, 19, 10, 0, 5), tick=False):
        # The 75 % timer (09:30) records the warning and the breach; the breach timer, in the
        # same batch, is cancelled by it and skipped.
        assert services.sweep().fired == 1
    clock.refresh_from_db()
    assert clock.breached_at == seoul(2026, 2, 19, 10)
    assert clock.elapsed(seoul(2026, 2, 19, 10, 30)) == 2.5 * H


def test_pausing_over_a_holiday_and_resuming_keeps_business_time_exact(jp):
    clock = start(jp, tokyo(2026, 4, 28, 16), 4 * H)  # Tuesday before Showa Day
    subject = clock.subject
    with time_machine.travel(tokyo(2026, 4, 28, 17, 30), tick=False):
        clock = clock_pause(subject=subject, name="resolution")
    assert clock.elapsed_before_pause == 1.5 * H
    with time_machine.travel(tokyo(2026, 4, 29, 12), tick=False):  # resumed on the holiday
        clock = clock_resume(subject=subject, name="resolution")
    # 2.5 h left, counted from Thursday 30 April 09:00.
    assert clock.deadline_at == tokyo(2026, 4, 30, 11, 30)
    assert clock.elapsed(tokyo(2026, 4, 29, 23)) == 1.5 * H


def test_retarget_of_a_business_clock_counts_from_the_original_start(kr):
    clock = start(kr, seoul(2026, 2, 13, 9), 4 * H)  # P1-like target, Friday morning
    with time_machine.travel(seoul(2026, 2, 13, 10), tick=False):
        clock = clock_retarget(subject=clock.subject, name="resolution", target=27 * H)
    # 27 working hours = 3 days of 9 h: Fri, then Thu 19 and Fri 20 after Seollal.
    assert clock.deadline_at == seoul(2026, 2, 20, 18)
    assert clock.warned_fractions == []


def test_a_closed_day_of_the_calendar_counts_as_closed(kr):
    ClosedDay.objects.create(calendar=kr, date=dt.date(2026, 3, 9), name="Office move")
    clock = start(kr, seoul(2026, 3, 6, 17), 2 * H)
    assert clock.deadline_at == seoul(2026, 3, 10, 10)


def test_a_calendar_clock_ignores_the_calendar():
    with time_machine.travel(seoul(2026, 2, 13, 17), tick=False):
        clock = clock_start(subject=TeamFactory(), name="response", target=2 * H)
    assert clock.mode == Clock.Mode.CALENDAR and clock.calendar is None
    assert clock.deadline_at == seoul(2026, 2, 13, 19)
