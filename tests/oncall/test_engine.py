"""Shift arithmetic with concrete cases: DST in New York, no DST in Tokyo and Seoul, a month
end, a Korean holiday, layering, overrides, swaps and gaps. Pure functions, no database."""

import datetime as dt

import pytest

from itsm.business_time import CalendarSpec
from oncall import engine, fairness
from oncall.engine import OverrideSpec, Restriction, RotationSpec, ScheduleSpec, Window

NY = engine.zone("America/New_York")
TOKYO = engine.zone("Asia/Tokyo")
SEOUL = engine.zone("Asia/Seoul")
UTC = dt.UTC
KOREA = CalendarSpec(country="KR", time_zone="Asia/Seoul")
ALICE, BOB, CAROL, DAVE = 1, 2, 3, 4


def local(tz, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz)


def daily(
    tz_name="America/New_York", anchor=dt.datetime(2026, 3, 1, 9), members=(ALICE, BOB), **kw
):
    return RotationSpec(
        id=kw.pop("id", 1),
        members=members,
        anchor=anchor,
        length=dt.timedelta(days=1),
        time_zone=tz_name,
        **kw,
    )


def hours(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 3600


# --- Daylight saving ---------------------------------------------------------------------


def test_new_york_daily_handoff_stays_at_nine_local_across_spring_forward():
    shifts = engine.rotation_shifts(daily(), local(NY, 2026, 3, 6, 9), local(NY, 2026, 3, 10, 9))
    assert [s.start.astimezone(NY).hour for s in shifts] == [9, 9, 9, 9]
    # Sunday 8 March 2026 02:00 EST jumps to 03:00 EDT: that day's shift has 23 hours.
    assert [hours(s.end - s.start) for s in shifts] == [24, 23, 24, 24]
    assert shifts[1].start == dt.datetime(2026, 3, 7, 14, tzinfo=UTC)  # 09:00 EST
    assert shifts[2].start == dt.datetime(2026, 3, 8, 13, tzinfo=UTC)  # 09:00 EDT


def test_new_york_daily_shift_has_25_hours_when_clocks_fall_back():
    shifts = engine.rotation_shifts(daily(), local(NY, 2026, 10, 31, 9), local(NY, 2026, 11, 2, 9))
    assert [hours(s.end - s.start) for s in shifts] == [25, 24]
    assert all(s.start.astimezone(NY).time() == dt.time(9) for s in shifts)


def test_a_handoff_inside_the_spring_forward_gap_moves_forward_by_the_gap():
    spec = daily(anchor=dt.datetime(2026, 3, 1, 2, 30))
    shifts = engine.rotation_shifts(spec, local(NY, 2026, 3, 7, 12), local(NY, 2026, 3, 9, 12))
    handoffs = [s.start for s in shifts[1:]]
    # 02:30 on 8 March does not exist: read with the offset before the gap, it is 03:30 EDT.
    assert handoffs[0] == dt.datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert handoffs[0].astimezone(NY).time() == dt.time(3, 30)
    assert handoffs[1].astimezone(NY).time() == dt.time(2, 30)  # back to normal next day


def test_an_ambiguous_handoff_means_its_first_occurrence():
    spec = daily(anchor=dt.datetime(2026, 10, 1, 1, 30))
    shifts = engine.rotation_shifts(spec, local(NY, 2026, 10, 31, 12), local(NY, 2026, 11, 2, 12))
    handoff = shifts[1].start
    assert handoff == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, not EST
    assert handoff.astimezone(NY).fold == 0


def test_twelve_hour_shifts_keep_eight_and_twenty_local_across_dst():
    spec = RotationSpec(
        id=1,
        members=(ALICE, BOB),
        anchor=dt.datetime(2026, 3, 1, 8),
        length=dt.timedelta(hours=12),
        time_zone="America/New_York",
    )
    shifts = engine.rotation_shifts(spec, local(NY, 2026, 3, 7, 8), local(NY, 2026, 3, 9, 8))
    assert [s.start.astimezone(NY).hour for s in shifts] == [8, 20, 8, 20]
    assert [hours(s.end - s.start) for s in shifts] == [12, 11, 12, 12]
    assert [s.user_id for s in shifts] == [ALICE, BOB, ALICE, BOB]


def test_tokyo_has_no_dst_so_every_daily_shift_is_24_hours():
    spec = daily("Asia/Tokyo", anchor=dt.datetime(2026, 1, 1, 10), members=(ALICE, BOB, CAROL))
    shifts = engine.rotation_shifts(spec, local(TOKYO, 2026, 3, 1), local(TOKYO, 2026, 11, 30))
    assert {hours(s.end - s.start) for s in shifts[1:-1]} == {24}
    assert all(s.start.astimezone(TOKYO).hour == 10 for s in shifts[1:])


def test_same_instant_different_zones_new_york_and_tokyo():
    """A Tokyo schedule and a New York one, each handing off at 09:00 local."""
    tokyo = daily("Asia/Tokyo", anchor=dt.datetime(2026, 3, 1, 9), members=(ALICE,), id=1)
    new_york = daily("America/New_York", anchor=dt.datetime(2026, 3, 1, 9), members=(BOB,), id=2)
    at = dt.datetime(2026, 3, 9, 0, tzinfo=UTC)  # 09:00 Tokyo, 20:00 the day before in NY
    t_shift = engine.rotation_shifts(tokyo, at, at + dt.timedelta(hours=1))[0]
    n_shift = engine.rotation_shifts(new_york, at, at + dt.timedelta(hours=1))[0]
    assert t_shift.start == at  # hand-off exactly now in Tokyo
    assert t_shift.start.astimezone(TOKYO).hour == 9
    full_ny = engine.rotation_shifts(new_york, local(NY, 2026, 3, 8, 9), local(NY, 2026, 3, 9, 9))
    assert full_ny[0].start == dt.datetime(2026, 3, 8, 13, tzinfo=UTC)
    assert n_shift.user_id == BOB


# --- Rotation order, month end, validity ----------------------------------------------------


def test_weekly_rotation_order_and_month_end():
    spec = RotationSpec(
        id=1,
        members=(ALICE, BOB, CAROL),
        anchor=dt.datetime(2026, 1, 5, 10),  # a Monday
        length=dt.timedelta(days=7),
        time_zone="Asia/Seoul",
    )
    shifts = engine.rotation_shifts(spec, local(SEOUL, 2026, 1, 26), local(SEOUL, 2026, 2, 10))
    # Week of 26 January (Carol, 4th week → index 3 → Alice) runs across the month end.
    spanning = next(s for s in shifts if s.start <= local(SEOUL, 2026, 1, 31, 23, 59) < s.end)
    assert spanning.start == local(SEOUL, 2026, 1, 26, 10)
    assert spanning.end == local(SEOUL, 2026, 2, 2, 10)
    assert spanning.user_id == ALICE and spanning.index == 3
    assert [s.user_id for s in shifts] == [CAROL, ALICE, BOB, CAROL]


def test_before_the_first_handoff_the_rotation_covers_nothing():
    spec = daily(anchor=dt.datetime(2026, 3, 10, 9))
    assert engine.rotation_shifts(spec, local(NY, 2026, 3, 1), local(NY, 2026, 3, 10, 9)) == []
    first = engine.rotation_shifts(spec, local(NY, 2026, 3, 1), local(NY, 2026, 3, 11))[0]
    assert first.start == local(NY, 2026, 3, 10, 9) and first.user_id == ALICE


def test_validity_clips_a_rotation():
    start, end = dt.datetime(2026, 3, 3, tzinfo=UTC), dt.datetime(2026, 3, 5, tzinfo=UTC)
    spec = daily(valid_from=start, valid_until=end)
    shifts = engine.rotation_shifts(
        spec, dt.datetime(2026, 3, 1, tzinfo=UTC), dt.datetime(2026, 3, 9, tzinfo=UTC)
    )
    assert shifts[0].start == start and shifts[-1].end == end


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        engine.rotation_shifts(daily(), dt.datetime(2026, 3, 1), dt.datetime(2026, 3, 2))


# --- Restrictions, holidays, layers ------------------------------------------------------------


def weekday_and_nights(day_people=(ALICE, BOB), night_people=(CAROL, DAVE)):
    """Layer 2: working hours of the Korean calendar; layer 1: around the clock."""
    day = RotationSpec(
        id=2,
        members=day_people,
        anchor=dt.datetime(2026, 8, 31, 9),
        length=dt.timedelta(days=7),
        time_zone="Asia/Seoul",
        layer=2,
        restriction=Restriction.BUSINESS_HOURS,
        calendar=KOREA,
    )
    night = RotationSpec(
        id=1,
        members=night_people,
        anchor=dt.datetime(2026, 8, 31, 9),
        length=dt.timedelta(days=7),
        time_zone="Asia/Seoul",
        layer=1,
    )
    return ScheduleSpec(rotations=(night, day))


def test_higher_layer_wins_during_working_hours_lower_layer_covers_the_rest():
    spec = weekday_and_nights()
    tuesday = dt.date(2026, 9, 8)
    assert engine.segment_at(spec, local(SEOUL, 2026, 9, 8, 10)).user_id == BOB
    assert engine.segment_at(spec, local(SEOUL, 2026, 9, 8, 18)).user_id == DAVE  # 18:00 ends day
    assert engine.segment_at(spec, local(SEOUL, 2026, 9, 8, 3)).user_id == DAVE
    assert engine.segment_at(spec, local(SEOUL, 2026, 9, 12, 12)).user_id == DAVE  # Saturday
    segments = engine.resolve(spec, local(SEOUL, 2026, 9, 8), local(SEOUL, 2026, 9, 9))
    assert [(s.start.astimezone(SEOUL).hour, s.user_id, s.layer) for s in segments] == [
        (0, DAVE, 1),
        (9, BOB, 2),
        (18, DAVE, 1),
    ]
    assert not engine.gaps(segments) and tuesday.weekday() == 1


def test_korean_holiday_chuseok_goes_to_the_nights_and_weekends_rotation():
    spec = weekday_and_nights()
    # Chuseok 2026: Thursday 24 to Saturday 26 September; the week starting 21 Sept is
    # Bob's for working hours and Dave's around the clock.
    assert engine.segment_at(spec, local(SEOUL, 2026, 9, 23, 11)).user_id == BOB  # Wednesday
    for day in (24, 25):
        assert engine.segment_at(spec, local(SEOUL, 2026, 9, day, 11)).user_id == DAVE
    segments = engine.resolve(spec, local(SEOUL, 2026, 9, 24), local(SEOUL, 2026, 9, 26))
    assert [(s.user_id, s.start, s.end) for s in segments] == [
        (DAVE, local(SEOUL, 2026, 9, 24), local(SEOUL, 2026, 9, 26))
    ]


def test_windows_restriction_leaves_gaps_that_are_reported():
    weekdays = Window(days=frozenset(range(5)), start=dt.time(9), end=dt.time(18))
    spec = ScheduleSpec(
        rotations=(
            RotationSpec(
                id=1,
                members=(ALICE,),
                anchor=dt.datetime(2026, 1, 5, 9),
                length=dt.timedelta(days=7),
                time_zone="Asia/Tokyo",
                restriction=Restriction.WINDOWS,
                windows=(weekdays,),
            ),
        )
    )
    segments = engine.resolve(spec, local(TOKYO, 2026, 1, 12), local(TOKYO, 2026, 1, 13))
    gaps = engine.gaps(segments)
    assert [(g.start.astimezone(TOKYO).hour, g.end.astimezone(TOKYO).hour) for g in gaps] == [
        (0, 9),
        (18, 0),
    ]


def test_overnight_window_runs_into_the_next_day():
    nights = Window(days=frozenset({0}), start=dt.time(18), end=dt.time(9))
    found = engine.window_intervals(
        [nights], TOKYO, local(TOKYO, 2026, 1, 12), local(TOKYO, 2026, 1, 14)
    )
    assert found == [(local(TOKYO, 2026, 1, 12, 18), local(TOKYO, 2026, 1, 13, 9))]


def test_outside_business_hours_is_the_exact_complement():
    start, end = local(SEOUL, 2026, 9, 21), local(SEOUL, 2026, 10, 5)
    business = engine.business_intervals(KOREA, start, end)
    outside = engine.complement(business, start, end)
    total = sum((b - a for a, b in business + outside), dt.timedelta(0))
    assert total == end - start
    assert engine.merge(business + outside) == [(start, end)]


def test_equal_layers_the_older_rotation_wins():
    first = daily(members=(ALICE,), id=1)
    second = daily(members=(BOB,), id=2)
    spec = ScheduleSpec(rotations=(second, first))
    assert engine.segment_at(spec, local(NY, 2026, 3, 5, 12)).user_id == ALICE


# --- Overrides and swaps ---------------------------------------------------------------------


def test_override_replaces_whoever_is_on_call():
    spec = ScheduleSpec(
        rotations=(daily(),),
        overrides=(
            OverrideSpec(
                id=9, user_id=DAVE, start=local(NY, 2026, 3, 5, 12), end=local(NY, 2026, 3, 5, 14)
            ),
        ),
    )
    segments = engine.resolve(spec, local(NY, 2026, 3, 5, 9), local(NY, 2026, 3, 6, 9))
    assert [(s.user_id, s.override_id) for s in segments] == [
        (ALICE, None),
        (DAVE, 9),
        (ALICE, None),
    ]


def test_swap_only_takes_the_replaced_persons_shifts():
    swap = OverrideSpec(
        id=7,
        user_id=CAROL,
        replaces_id=BOB,
        start=local(NY, 2026, 3, 4, 9),
        end=local(NY, 2026, 3, 8, 9),
    )
    spec = ScheduleSpec(rotations=(daily(),), overrides=(swap,))
    people = [engine.segment_at(spec, local(NY, 2026, 3, d, 12)).user_id for d in range(4, 8)]
    # Alice on even offsets from 1 March, Bob on odd: Bob's days go to Carol.
    assert people == [ALICE if d % 2 == 1 else CAROL for d in range(4, 8)]


def test_a_later_override_wins_over_an_earlier_one():
    at = local(NY, 2026, 3, 5, 12)
    spec = ScheduleSpec(
        rotations=(daily(),),
        overrides=(
            OverrideSpec(id=1, user_id=CAROL, start=at, end=at + dt.timedelta(hours=4)),
            OverrideSpec(
                id=2, user_id=DAVE, start=at + dt.timedelta(hours=1), end=at + dt.timedelta(hours=2)
            ),
        ),
    )
    users = [
        engine.segment_at(spec, at + dt.timedelta(minutes=30 + 60 * h)).user_id for h in range(4)
    ]
    assert users == [CAROL, DAVE, CAROL, CAROL]


def test_an_override_fills_a_gap():
    spec = ScheduleSpec(
        overrides=(
            OverrideSpec(
                id=1, user_id=ALICE, start=local(NY, 2026, 3, 5), end=local(NY, 2026, 3, 6)
            ),
        )
    )
    segments = engine.resolve(spec, local(NY, 2026, 3, 4), local(NY, 2026, 3, 7))
    assert [s.user_id for s in segments] == [None, ALICE, None]


def test_empty_schedule_is_one_gap():
    start, end = local(NY, 2026, 3, 4), local(NY, 2026, 3, 7)
    assert engine.resolve(ScheduleSpec(), start, end) == [engine.Segment(start, end, None)]


# --- Fairness ------------------------------------------------------------------------------------


def test_fairness_counts_nights_weekends_and_korean_holidays():
    spec = weekday_and_nights()
    start, end = fairness.month_bounds(2026, 9, SEOUL)
    assert start == local(SEOUL, 2026, 9, 1) and end == local(SEOUL, 2026, 10, 1)
    segments = engine.resolve(spec, start, end)
    holidays = {dt.date(2026, 9, d) for d in (24, 25, 26)}
    tallies = fairness.per_person(segments, SEOUL, lambda day: day in holidays)
    total = sum((t.total for t in tallies.values()), dt.timedelta(0))
    assert total == end - start  # everyone together covers the whole month
    assert sum((t.weekend for t in tallies.values()), dt.timedelta(0)) == dt.timedelta(
        days=8
    )  # 4 weekends
    assert sum((t.holiday for t in tallies.values()), dt.timedelta(0)) == dt.timedelta(days=3)
    assert sum((t.night for t in tallies.values()), dt.timedelta(0)) == dt.timedelta(hours=8 * 30)
    # Day people only work weekday business hours: no night, weekend or holiday time.
    assert (
        tallies[ALICE].night == tallies[ALICE].weekend == tallies[ALICE].holiday == dt.timedelta(0)
    )


def test_a_night_across_fall_back_lasts_nine_hours():
    tally = fairness.classify(local(NY, 2026, 10, 31, 22), local(NY, 2026, 11, 1, 6), NY)
    assert tally.total == tally.night == dt.timedelta(hours=9)
    assert tally.weekend == dt.timedelta(hours=9)  # Saturday night into Sunday


def test_month_bounds_across_december():
    start, end = fairness.month_bounds(2026, 12, TOKYO)
    assert (start, end) == (local(TOKYO, 2026, 12, 1), local(TOKYO, 2027, 1, 1))
