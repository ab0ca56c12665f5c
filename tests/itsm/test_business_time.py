"""Business-time arithmetic: real Korean and Japanese holidays, and properties for any input."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itsm.business_time import (
    CalendarSpec,
    add_business_days,
    add_business_duration,
    business_days_between,
    business_time_between,
    is_working_day,
)

KR = CalendarSpec(country="KR", time_zone="Asia/Seoul")
JP = CalendarSpec(country="JP", time_zone="Asia/Tokyo")
SEOUL, TOKYO = ZoneInfo("Asia/Seoul"), ZoneInfo("Asia/Tokyo")
H = dt.timedelta(hours=1)


def seoul(*args):
    return dt.datetime(*args, tzinfo=SEOUL)


def tokyo(*args):
    return dt.datetime(*args, tzinfo=TOKYO)


@pytest.mark.parametrize(
    ("spec", "start", "duration", "expected", "why"),
    [
        (KR, seoul(2026, 2, 13, 17), 2 * H, seoul(2026, 2, 19, 10), "weekend + Seollal Mon-Wed"),
        (KR, seoul(2026, 9, 23, 17), 2 * H, seoul(2026, 9, 28, 10), "Chuseok Thu-Sat + Sunday"),
        (
            KR,
            seoul(2026, 5, 22, 17),
            2 * H,
            seoul(2026, 5, 26, 10),
            "substitute for Buddha's Birthday",
        ),
        (
            KR,
            seoul(2026, 2, 27, 17),
            2 * H,
            seoul(2026, 3, 3, 10),
            "substitute for Independence Day",
        ),
        (JP, tokyo(2026, 4, 28, 17), 2 * H, tokyo(2026, 4, 30, 10), "Showa Day"),
        (JP, tokyo(2026, 5, 1, 17), 2 * H, tokyo(2026, 5, 7, 10), "Golden Week with substitute"),
        (KR, seoul(2026, 11, 20, 18, 30), H, seoul(2026, 11, 23, 10), "after hours Friday"),
        (KR, seoul(2026, 11, 23, 7), H, seoul(2026, 11, 23, 10), "before hours"),
        (KR, seoul(2026, 11, 23, 9), 9 * H, seoul(2026, 11, 23, 18), "a whole day ends at 18:00"),
        (KR, seoul(2026, 11, 23, 9), 27 * H, seoul(2026, 11, 25, 18), "three whole days"),
    ],
)
def test_add_business_duration_across_holidays(spec, start, duration, expected, why):
    assert add_business_duration(spec, start, duration) == expected, why
    assert business_time_between(spec, start, expected) == duration, why


def test_japan_substitute_holiday_is_closed_and_korea_is_open_that_day():
    substitute = dt.date(2026, 5, 6)  # Wednesday after Golden Week
    assert not is_working_day(JP, substitute)
    assert is_working_day(KR, substitute)


def test_custom_closed_day():
    spec = CalendarSpec(closed_days=frozenset({dt.date(2026, 11, 24)}))
    assert add_business_duration(spec, seoul(2026, 11, 23, 17), 2 * H) == seoul(2026, 11, 25, 10)


def test_lead_time_in_business_days_skips_seollal():
    # A normal change filed Thursday before Seollal needs 3 business days: Fri, Thu, Fri.
    assert add_business_days(KR, seoul(2026, 2, 12, 10), 3) == seoul(2026, 2, 20, 10)
    assert business_days_between(KR, seoul(2026, 2, 12, 10), seoul(2026, 2, 20, 9)) == 3
    assert business_days_between(KR, seoul(2026, 2, 12, 10), seoul(2026, 2, 19, 23)) == 2


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add_business_duration(KR, dt.datetime(2026, 1, 5, 10), H)


def test_weekend_only_calendar():
    spec = CalendarSpec(work_days=frozenset({5, 6}))  # a weekend on-call desk
    assert add_business_duration(spec, seoul(2026, 11, 23, 10), H) == seoul(2026, 11, 28, 10)


# --- Properties -----------------------------------------------------------------------------
instants = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 1), timezones=st.just(dt.UTC)
)
durations = st.integers(min_value=0, max_value=200 * 3600).map(lambda s: dt.timedelta(seconds=s))
calendars = st.sampled_from([KR, JP, CalendarSpec(country="US", time_zone="America/New_York")])


@settings(max_examples=200, deadline=None)
@given(spec=calendars, start=instants, duration=durations)
def test_measuring_what_was_added_gives_it_back(spec, start, duration):
    end = add_business_duration(spec, start, duration)
    assert end >= start
    assert business_time_between(spec, start, end) == duration


@settings(max_examples=200, deadline=None)
@given(spec=calendars, start=instants, a=durations, b=durations)
def test_adding_more_never_ends_earlier(spec, start, a, b):
    small, large = sorted([a, b])
    assert add_business_duration(spec, start, small) <= add_business_duration(spec, start, large)


@settings(max_examples=200, deadline=None)
@given(spec=calendars, points=st.lists(instants, min_size=3, max_size=3))
def test_business_time_is_additive_and_bounded(spec, points):
    a, b, c = sorted(points)
    assert business_time_between(spec, a, c) == business_time_between(
        spec, a, b
    ) + business_time_between(spec, b, c)
    assert business_time_between(spec, a, c) <= c - a


@settings(max_examples=200, deadline=None)
@given(spec=calendars, start=instants, duration=durations.filter(lambda d: d > dt.timedelta(0)))
def test_deadlines_fall_inside_working_hours(spec, start, duration):
    local = add_business_duration(spec, start, duration).astimezone(spec.zone)
    assert is_working_day(spec, local.date())
    assert spec.work_start < local.time() <= spec.work_end or local.time() == spec.work_end
