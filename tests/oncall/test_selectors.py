"""Who is on call, through the database: the functions incident escalation calls."""

import datetime as dt

import pytest

from oncall import selectors
from oncall.engine import zone
from tests.itsm.factories import TeamFactory

from .conftest import NOW
from .factories import OverrideFactory, RotationFactory, ScheduleFactory

pytestmark = pytest.mark.django_db
SEOUL = zone("Asia/Seoul")


def seoul(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SEOUL)


def test_on_call_now_and_at_any_instant(schedule, members):
    alice, bob, carol = members
    assert selectors.on_call(team=schedule.team, at=NOW) == bob
    assert selectors.on_call(team=schedule.team, at=seoul(2026, 3, 1, 12)) == alice
    assert selectors.on_call(team=schedule.team, at=seoul(2026, 3, 3, 8, 59)) == bob
    assert selectors.on_call(team=schedule.team, at=seoul(2026, 3, 3, 9)) == carol
    assert selectors.on_call(team=schedule.team, at=seoul(2026, 3, 4, 9)) == alice


def test_on_call_takes_a_team_a_slug_or_a_pk(schedule, members):
    bob = members[1]
    for key in (schedule.team, "platform", schedule.team.pk, str(schedule.team.pk)):
        assert selectors.on_call(team=key, at=NOW) == bob
    assert selectors.on_call(team="no-such-team", at=NOW) is None


def test_on_call_defaults_to_now(schedule, members, frozen):
    assert selectors.on_call(team=schedule.team) == members[1]


def test_nobody_before_the_first_handoff_and_without_a_schedule(schedule, members):
    assert selectors.on_call(team=schedule.team, at=seoul(2026, 3, 1, 8, 59)) is None
    assert selectors.on_call(team=TeamFactory(), at=NOW) is None


def test_on_call_for_level_uses_that_levels_schedule(schedule, members, make_user):
    dave = make_user(username="dave")
    secondary = ScheduleFactory(team=schedule.team, level=2, name="Secondary")
    RotationFactory(schedule=secondary, start_date=dt.date(2026, 1, 5), members=[dave])
    assert selectors.on_call_for_level(team=schedule.team, level=1, at=NOW) == members[1]
    assert selectors.on_call_for_level(team=schedule.team, level=2, at=NOW) == dave
    assert selectors.on_call_for_level(team=schedule.team, level=3, at=NOW) is None


def test_naive_instants_are_refused(schedule):
    with pytest.raises(ValueError):
        selectors.on_call(team=schedule.team, at=dt.datetime(2026, 3, 2, 12))


def test_overrides_and_swaps_are_applied(schedule, members, make_user):
    alice, bob, carol = members
    dave = make_user(username="dave")
    OverrideFactory(schedule=schedule, user=dave, start=NOW, end=NOW + dt.timedelta(hours=2))
    OverrideFactory(
        schedule=schedule,
        user=alice,
        replaces=carol,
        start=seoul(2026, 3, 3, 0),
        end=seoul(2026, 3, 5, 0),
    )
    assert selectors.on_call(team=schedule.team, at=NOW) == dave
    assert selectors.on_call(team=schedule.team, at=NOW + dt.timedelta(hours=2)) == bob
    assert selectors.on_call(team=schedule.team, at=seoul(2026, 3, 3, 12)) == alice  # carol's
    assert selectors.on_call(team=schedule.team, at=seoul(2026, 3, 4, 12)) == alice  # her own


def test_a_cancelled_override_counts_only_until_it_was_cancelled(schedule, members, make_user):
    dave = make_user(username="dave")
    override = OverrideFactory(
        schedule=schedule, user=dave, start=NOW, end=NOW + dt.timedelta(hours=4)
    )
    override.cancel(at=NOW + dt.timedelta(hours=1))
    override.save()
    assert selectors.on_call(team=schedule.team, at=NOW + dt.timedelta(minutes=30)) == dave
    assert selectors.on_call(team=schedule.team, at=NOW + dt.timedelta(hours=2)) == members[1]


def test_on_call_detail_says_since_until_and_next(schedule, members):
    alice, bob, carol = members
    answer = selectors.on_call_detail(team=schedule.team, at=NOW)
    assert answer.user == bob
    assert answer.since == seoul(2026, 3, 2, 9)
    assert answer.until == seoul(2026, 3, 3, 9)
    assert answer.next_user == carol
    assert answer.schedule == schedule


def test_query_count_does_not_grow_with_rotations_members_and_overrides(
    schedule, members, make_user, django_assert_num_queries
):
    with django_assert_num_queries(5):
        selectors.on_call(team=schedule.team, at=NOW)
    for n in range(5):
        RotationFactory(schedule=schedule, layer=2 + n, members=[make_user(), make_user()])
        OverrideFactory(schedule=schedule, user=make_user(), start=NOW - dt.timedelta(hours=n + 1))
    with django_assert_num_queries(5):
        selectors.on_call(team=schedule.team, at=NOW)
    with django_assert_num_queries(6):  # one more to find the team by its slug
        selectors.on_call(team="platform", at=NOW)


def test_a_gap_in_coverage_is_reported(team, members):
    schedule = ScheduleFactory(team=team, time_zone="Asia/Tokyo")
    RotationFactory(
        schedule=schedule,
        restriction="windows",
        members=members[:1],
        start_date=dt.date(2026, 1, 5),
        windows=[{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}],
    )
    tokyo = zone("Asia/Tokyo")
    start = dt.datetime(2026, 3, 6, tzinfo=tokyo)  # Friday
    end = dt.datetime(2026, 3, 9, tzinfo=tokyo)  # Monday
    line = selectors.timelines(selectors.schedules().filter(pk=schedule.pk), start, end)[0]
    assert [(g.start, g.end) for g in line.gaps] == [
        (start, dt.datetime(2026, 3, 6, 9, tzinfo=tokyo)),
        (dt.datetime(2026, 3, 6, 18, tzinfo=tokyo), end),
    ]
    assert selectors.on_call(team=team, at=dt.datetime(2026, 3, 7, 12, tzinfo=tokyo)) is None


def test_shifts_of_a_user_across_schedules(schedule, members, make_user):
    alice = members[0]
    other = ScheduleFactory(time_zone="America/New_York")
    RotationFactory(schedule=other, kind="weekly", start_date=dt.date(2026, 3, 2), members=[alice])
    shifts = selectors.shifts_of_user(alice, seoul(2026, 3, 1), seoul(2026, 3, 8))
    assert {s.schedule for s in shifts} == {schedule, other}
    mine = [s for s in shifts if s.schedule == schedule]
    assert [(s.start, s.end) for s in mine] == [
        (seoul(2026, 3, 1, 9), seoul(2026, 3, 2, 9)),
        (seoul(2026, 3, 4, 9), seoul(2026, 3, 5, 9)),
        (seoul(2026, 3, 7, 9), seoul(2026, 3, 8)),
    ]


def test_fairness_report_for_a_month_with_korean_holidays(schedule, members, make_user):
    alice, bob, carol = members
    dave = make_user(username="dave")
    # Dave covers Carol's Saturday, 21 March 09:00 to Sunday 09:00: a swap.
    OverrideFactory(
        schedule=schedule,
        user=dave,
        replaces=carol,
        start=seoul(2026, 3, 21, 9),
        end=seoul(2026, 3, 22, 9),
    )
    rows = {r.user.username: r for r in selectors.fairness_report(selectors.schedules(), 2026, 3)}
    total = sum((r.tally.total for r in rows.values()), dt.timedelta(0))
    assert total == seoul(2026, 4, 1) - seoul(2026, 3, 1, 9)  # first hand-off to month end
    assert (rows["dave"].total_hours, rows["dave"].weekend_hours) == (24, 24)
    assert rows["dave"].night_hours == 8  # 22:00-06:00
    assert rows["dave"].tally.shifts == 1
    # 1 March (a Sunday and Independence Movement Day) and 2 March (its substitute holiday):
    # alice has 1 March from 09:00 and 2 March until 09:00, bob the rest of 2 March.
    assert rows["alice"].holiday_hours == 24
    assert rows["bob"].holiday_hours == 15
    assert rows["carol"].holiday_hours == 0
    assert rows["carol"].total_hours == rows["alice"].total_hours - 24 - 15


def test_fairness_report_splits_a_shift_at_the_month_end(team, members):
    schedule = ScheduleFactory(team=team, time_zone="Asia/Seoul")
    RotationFactory(
        schedule=schedule, kind="weekly", start_date=dt.date(2026, 1, 26), members=members[:1]
    )
    january = selectors.fairness_report(selectors.schedules(), 2026, 1)
    february = selectors.fairness_report(selectors.schedules(), 2026, 2)
    # From Monday 26 January 09:00 to 1 February 00:00: 5 days and 15 hours.
    assert january[0].total_hours == 5 * 24 + 15
    assert february[0].total_hours == 28 * 24


def test_new_york_hand_off_follows_the_wall_clock_on_the_dst_day(team, members):
    """Hand-off 09:00 New York: on Sunday 8 March 2026 that is 13:00 UTC, not 14:00."""
    schedule = ScheduleFactory(team=team, time_zone="America/New_York")
    RotationFactory(
        schedule=schedule, kind="daily", start_date=dt.date(2026, 3, 1), members=members[:2]
    )
    ny = zone("America/New_York")
    assert selectors.on_call(team=team, at=dt.datetime(2026, 3, 8, 8, 59, tzinfo=ny)) == members[0]
    assert (
        selectors.on_call(team=team, at=dt.datetime(2026, 3, 8, 13, 30, tzinfo=dt.UTC))
        == members[1]
    )
    assert selectors.on_call(team=team, at=dt.datetime(2026, 11, 1, 8, 59, tzinfo=ny)) == members[0]
    assert (
        selectors.on_call(team=team, at=dt.datetime(2026, 11, 1, 14, 0, tzinfo=dt.UTC))
        == members[1]
    )
