"""Cron schedules in a time zone: across zones, month ends and daylight saving time."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from maintenance.schedule import describe, next_occurrence, occurrences, validate_cron

SEOUL, NEW_YORK, LONDON = "Asia/Seoul", "America/New_York", "Europe/London"


def local(value: datetime, zone: str) -> datetime:
    return value.astimezone(ZoneInfo(zone))


def test_daily_0300_is_read_on_the_plans_wall_clock_not_utc():
    after = datetime(2026, 5, 10, 0, 0, tzinfo=UTC)  # 09:00 in Seoul
    seoul = next_occurrence("0 3 * * *", SEOUL, after=after)
    assert seoul == datetime(2026, 5, 10, 18, 0, tzinfo=UTC)  # 03:00 on the 11th in Seoul
    assert local(seoul, SEOUL).hour == 3
    utc = next_occurrence("0 3 * * *", "UTC", after=after)
    assert utc == datetime(2026, 5, 10, 3, 0, tzinfo=UTC)


def test_the_result_is_in_utc_and_strictly_after():
    after = datetime(2026, 5, 10, 18, 0, tzinfo=UTC)  # exactly 03:00 in Seoul
    result = next_occurrence("0 3 * * *", SEOUL, after=after)
    assert result == after + timedelta(days=1)
    assert result.tzinfo == UTC


def test_weekly_sunday_0100_in_tokyo():
    after = datetime(2026, 5, 13, 12, 0, tzinfo=UTC)  # a Wednesday
    found = occurrences("0 1 * * 0", "Asia/Tokyo", after=after, count=3)
    assert [local(d, "Asia/Tokyo").strftime("%a %d %H:%M") for d in found] == [
        "Sun 17 01:00",
        "Sun 24 01:00",
        "Sun 31 01:00",
    ]


def test_monthly_on_the_first_crosses_the_year_end():
    after = datetime(2026, 11, 15, tzinfo=UTC)
    found = occurrences("0 0 1 * *", SEOUL, after=after, count=3)
    assert [local(d, SEOUL).date().isoformat() for d in found] == [
        "2026-12-01",
        "2027-01-01",
        "2027-02-01",
    ]


def test_the_31st_skips_months_without_one_like_cron():
    after = datetime(2026, 1, 31, 12, tzinfo=UTC)
    found = occurrences("0 0 31 * *", "UTC", after=after, count=3)
    assert [d.date().isoformat() for d in found] == ["2026-03-31", "2026-05-31", "2026-07-31"]


def test_last_day_of_the_month_follows_february_and_leap_years():
    found = occurrences("0 0 L * *", "UTC", after=datetime(2028, 1, 15, tzinfo=UTC), count=3)
    assert [d.date().isoformat() for d in found] == ["2028-01-31", "2028-02-29", "2028-03-31"]
    found = occurrences("0 0 L * *", "UTC", after=datetime(2027, 2, 1, tzinfo=UTC), count=1)
    assert found[0].date().isoformat() == "2027-02-28"


def test_month_end_in_seoul_is_the_previous_day_in_utc():
    found = next_occurrence("0 0 1 * *", SEOUL, after=datetime(2026, 2, 20, tzinfo=UTC))
    assert found == datetime(2026, 2, 28, 15, 0, tzinfo=UTC)


def test_a_time_skipped_by_spring_forward_runs_once_right_after_the_gap():
    after = datetime(2026, 3, 7, 12, tzinfo=UTC)
    found = occurrences("30 2 * * *", NEW_YORK, after=after, count=2)
    assert local(found[0], NEW_YORK).strftime("%m-%d %H:%M") == "03-08 03:00"
    assert local(found[1], NEW_YORK).strftime("%m-%d %H:%M") == "03-09 02:30"


def test_a_time_repeated_by_fall_back_runs_once():
    after = datetime(2026, 10, 31, 12, tzinfo=UTC)
    found = occurrences("30 1 * * *", NEW_YORK, after=after, count=2)
    assert found[0] == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, the first pass
    assert local(found[1], NEW_YORK).strftime("%m-%d %H:%M") == "11-02 01:30"


def test_london_daily_run_keeps_its_local_hour_across_dst():
    winter = next_occurrence("0 3 * * *", LONDON, after=datetime(2026, 1, 10, tzinfo=UTC))
    summer = next_occurrence("0 3 * * *", LONDON, after=datetime(2026, 7, 10, tzinfo=UTC))
    assert (winter.hour, summer.hour) == (3, 2)


@pytest.mark.parametrize(
    "expression",
    ["", "0 3 * *", "0 3 * * * *", "61 3 * * *", "0 25 * * *", "0 0 30 2 *", "every day"],
)
def test_invalid_schedules_are_refused_with_a_message(expression):
    with pytest.raises(ValidationError) as excinfo:
        validate_cron(expression)
    assert excinfo.value.messages[0]


@pytest.mark.parametrize(
    ("expression", "text"),
    [
        ("0 3 * * *", "Every day at 03:00"),
        ("0 1 * * 0", "Every Sunday at 01:00"),
        ("0 2 * * 1", "Every Monday at 02:00"),
        ("0 0 1 * *", "On day 1 of every month at 00:00"),
        ("0 0 L * *", "On the last day of every month at 00:00"),
        ("*/5 * * * *", "*/5 * * * *"),
    ],
)
def test_descriptions(expression, text):
    assert describe(expression) == text


@settings(max_examples=150, deadline=None)
@given(
    after=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from([SEOUL, NEW_YORK, LONDON, "UTC", "Australia/Lord_Howe"]),
    expression=st.sampled_from(["0 3 * * *", "0 1 * * 0", "0 0 1 * *", "0 2 * * 1", "0 0 L * *"]),
)
def test_next_occurrence_is_after_and_nothing_is_skipped_in_between(after, zone, expression):
    found = next_occurrence(expression, zone, after=after)
    assert found > after
    # Nothing between: the occurrence after a moment just before `found` is `found` again.
    assert (
        next_occurrence(expression, zone, after=max(after, found - timedelta(seconds=1))) == found
    )
    wall = local(found, zone)
    minute, hour = (int(x) for x in expression.split()[:2])
    # Fixed-time schedules land on their wall time unless the time fell into a DST gap.
    assert (wall.hour, wall.minute) == (hour, minute) or wall.utcoffset() != local(
        found - timedelta(hours=3), zone
    ).utcoffset()
