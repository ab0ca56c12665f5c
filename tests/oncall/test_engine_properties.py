"""Property-based tests of the shift arithmetic: for any zone (DST or not, half-hour DST,
Samoa's skipped day), any anchor, shift length, restriction and set of overrides."""

import datetime as dt

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from itsm.business_time import CalendarSpec
from oncall import engine, fairness
from oncall.engine import OverrideSpec, Restriction, RotationSpec, ScheduleSpec, Window

UTC = dt.UTC
ZONES = [
    "UTC",
    "Asia/Seoul",
    "Asia/Tokyo",
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/St_Johns",
    "Africa/Casablanca",
    "America/Santiago",
]
PEOPLE = st.integers(min_value=1, max_value=6)

zones = st.sampled_from(ZONES)
naive_times = st.datetimes(min_value=dt.datetime(2005, 1, 1), max_value=dt.datetime(2035, 12, 31))
lengths = st.one_of(
    st.just(dt.timedelta(days=1)),
    st.just(dt.timedelta(days=7)),
    st.integers(min_value=1, max_value=24 * 10).map(lambda h: dt.timedelta(hours=h)),
)
handoff_anchors = st.builds(
    lambda day, hour, minute: dt.datetime.combine(day, dt.time(hour, minute)),
    st.dates(min_value=dt.date(2005, 1, 1), max_value=dt.date(2035, 1, 1)),
    st.integers(0, 23),
    st.sampled_from([0, 15, 30, 45]),
)
windows = st.builds(
    Window,
    days=st.frozensets(st.integers(0, 6), min_size=1),
    start=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    end=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)


@st.composite
def rotations(draw, rotation_id: int = 1):
    zone = draw(zones)
    restriction = draw(
        st.sampled_from(
            [
                Restriction.NONE,
                Restriction.NONE,
                Restriction.WINDOWS,
                Restriction.BUSINESS_HOURS,
                Restriction.OUTSIDE_BUSINESS_HOURS,
            ]
        )
    )
    return RotationSpec(
        id=rotation_id,
        members=tuple(draw(st.lists(PEOPLE, min_size=1, max_size=4))),
        anchor=draw(handoff_anchors),
        length=draw(lengths),
        time_zone=zone,
        layer=draw(st.integers(1, 3)),
        restriction=restriction,
        windows=tuple(draw(st.lists(windows, min_size=1, max_size=2))),
        calendar=CalendarSpec(country=draw(st.sampled_from(["KR", "JP", ""])), time_zone=zone),
    )


@st.composite
def windows_of_time(draw, max_days: int = 20):
    start = draw(
        st.datetimes(
            min_value=dt.datetime(2005, 6, 1),
            max_value=dt.datetime(2035, 6, 1),
            timezones=st.just(UTC),
        )
    )
    span = draw(st.integers(min_value=60, max_value=max_days * 24 * 60))
    return start, start + dt.timedelta(minutes=span)


@st.composite
def schedules(draw, start: dt.datetime, end: dt.datetime):
    count = draw(st.integers(0, 3))
    rots = tuple(draw(rotations(rotation_id=n + 1)) for n in range(count))
    overrides = []
    for n in range(draw(st.integers(0, 3))):
        a = start + (end - start) * draw(st.floats(-0.2, 1.0))
        b = a + dt.timedelta(minutes=draw(st.integers(1, 5 * 24 * 60)))
        replaces = draw(st.one_of(st.none(), PEOPLE))
        overrides.append(
            OverrideSpec(id=100 + n, user_id=draw(PEOPLE), start=a, end=b, replaces_id=replaces)
        )
    return ScheduleSpec(rotations=rots, overrides=tuple(overrides))


def covers(segments, start, end) -> bool:
    return (
        bool(segments)
        and segments[0].start == start
        and segments[-1].end == end
        and all(a.end == b.start for a, b in zip(segments, segments[1:], strict=False))
        and all(s.start < s.end for s in segments)
    )


def regular(local_time: dt.datetime, tz) -> bool:
    """The wall-clock time exists exactly once in the zone."""
    first = local_time.replace(tzinfo=tz, fold=0)
    second = local_time.replace(tzinfo=tz, fold=1)
    round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return first.utcoffset() == second.utcoffset() and round_trip == local_time


# --- One rotation ----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(rotation=rotations(), window=windows_of_time())
@example(  # spring forward in New York with a 02:30 hand-off
    rotation=RotationSpec(
        id=1,
        members=(1, 2),
        anchor=dt.datetime(2026, 3, 1, 2, 30),
        length=dt.timedelta(hours=1),
        time_zone="America/New_York",
    ),
    window=(dt.datetime(2026, 3, 8, 5, tzinfo=UTC), dt.datetime(2026, 3, 8, 10, tzinfo=UTC)),
)
@example(  # the window opens just after a gap whose hand-off moved forward past it
    rotation=RotationSpec(
        id=1,
        members=(1, 2),
        anchor=dt.datetime(2026, 3, 1, 2, 30),
        length=dt.timedelta(days=1),
        time_zone="America/New_York",
    ),
    window=(dt.datetime(2026, 3, 8, 7, 10, tzinfo=UTC), dt.datetime(2026, 3, 9, tzinfo=UTC)),
)
@example(  # Samoa skipped 30 December 2011
    rotation=RotationSpec(
        id=1,
        members=(1, 2, 3),
        anchor=dt.datetime(2011, 12, 1, 12),
        length=dt.timedelta(hours=5),
        time_zone="Pacific/Apia",
    ),
    window=(dt.datetime(2011, 12, 29, tzinfo=UTC), dt.datetime(2012, 1, 2, tzinfo=UTC)),
)
def test_unrestricted_shifts_tile_the_window_after_the_first_handoff(rotation, window):
    rotation = RotationSpec(**{**rotation.__dict__, "restriction": Restriction.NONE})
    start, end = window
    shifts = engine.rotation_shifts(rotation, start, end)
    first = rotation.handoff(0)
    if first >= end:
        assert shifts == []
        return
    expected_start = max(start, first)
    assert shifts[0].start == expected_start and shifts[-1].end == end
    for a, b in zip(shifts, shifts[1:], strict=False):
        assert a.end == b.start and a.start < a.end
        assert b.index > a.index
    for shift in shifts:
        assert shift.user_id == rotation.members[shift.index % len(rotation.members)]


@settings(max_examples=300, deadline=None)
@given(rotation=rotations(), window=windows_of_time())
def test_handoffs_happen_at_the_local_wall_clock_time(rotation, window):
    """Computed in local time: where a hand-off's local time exists exactly once, the shift
    starts at that local time; each regular shift lasts its wall-clock length."""
    start, end = window
    tz = rotation.tz
    for shift in engine.rotation_shifts(rotation, start, end):
        planned = rotation.anchor + shift.index * rotation.length
        if shift.start > start and regular(planned, tz):
            assert shift.start.astimezone(tz).replace(tzinfo=None) == planned
        following = planned + rotation.length
        if (
            shift.start > start
            and shift.end < end
            and regular(planned, tz)
            and regular(following, tz)
        ):
            assert (
                engine.to_local(shift.end, tz) - engine.to_local(shift.start, tz) == rotation.length
            )


@settings(max_examples=200, deadline=None)
@given(rotation=rotations(), window=windows_of_time(), cut=st.floats(0.01, 0.99))
def test_a_rotation_is_the_same_whatever_window_it_is_asked_through(rotation, window, cut):
    start, end = window
    middle = start + (end - start) * cut
    whole = engine.rotation_on_call(rotation, start, end)
    parts = engine.rotation_on_call(rotation, start, middle) + engine.rotation_on_call(
        rotation, middle, end
    )
    glued = []
    for shift in parts:
        if glued and glued[-1].end == shift.start and glued[-1].index == shift.index:
            glued[-1] = engine.Shift(glued[-1].start, shift.end, shift.user_id, shift.index)
        else:
            glued.append(shift)
    assert glued == whole


# --- A whole schedule --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(data=st.data(), window=windows_of_time(max_days=10))
def test_the_resolved_schedule_tiles_the_window_and_agrees_with_point_queries(data, window):
    start, end = window
    spec = data.draw(schedules(start, end))
    segments = engine.resolve(spec, start, end)
    assert covers(segments, start, end)
    for a, b in zip(segments, segments[1:], strict=False):
        assert a.key() != b.key()  # merged
    for fraction in data.draw(st.lists(st.floats(0, 0.999999), min_size=1, max_size=8)):
        at = start + (end - start) * fraction
        at = at.replace(microsecond=0) if at.replace(microsecond=0) >= start else at
        expected = next(s for s in segments if s.start <= at < s.end)
        assert engine.segment_at(spec, at).user_id == expected.user_id


@settings(max_examples=150, deadline=None)
@given(data=st.data(), window=windows_of_time(max_days=10), cut=st.floats(0.01, 0.99))
def test_resolving_in_two_halves_gives_the_same_schedule(data, window, cut):
    start, end = window
    spec = data.draw(schedules(start, end))
    middle = start + (end - start) * cut
    assume(start < middle < end)
    halves = engine.resolve(spec, start, middle) + engine.resolve(spec, middle, end)
    glued: list[engine.Segment] = []
    for segment in halves:
        if glued and glued[-1].key() == segment.key() and glued[-1].end == segment.start:
            glued[-1] = engine.Segment(glued[-1].start, segment.end, *segment.key())
        else:
            glued.append(segment)
    assert glued == engine.resolve(spec, start, end)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), window=windows_of_time(max_days=10))
def test_the_highest_layer_on_call_wins_without_overrides(data, window):
    start, end = window
    spec = data.draw(schedules(start, end))
    spec = ScheduleSpec(rotations=spec.rotations)
    on_call = {r.id: engine.rotation_on_call(r, start, end) for r in spec.rotations}
    for segment in engine.resolve(spec, start, end):
        middle = segment.start + (segment.end - segment.start) / 2
        covering = [
            r for r in spec.rotations if any(s.start <= middle < s.end for s in on_call[r.id])
        ]
        if not covering:
            assert segment.is_gap
            continue
        best = min(covering, key=lambda r: r.rank())
        assert segment.rotation_id == best.id and segment.layer == best.layer
        shift = next(s for s in on_call[best.id] if s.start <= middle < s.end)
        assert segment.user_id == shift.user_id


@settings(max_examples=150, deadline=None)
@given(data=st.data(), window=windows_of_time(max_days=10))
def test_a_full_override_always_wins_while_it_lasts(data, window):
    start, end = window
    spec = data.draw(schedules(start, end))
    override = OverrideSpec(
        id=999, user_id=42, start=start + (end - start) / 3, end=start + 2 * (end - start) / 3
    )
    spec = ScheduleSpec(rotations=spec.rotations, overrides=(*spec.overrides, override))
    for segment in engine.resolve(spec, override.start, override.end):
        assert segment.user_id == 42 and segment.override_id == 999


@settings(max_examples=150, deadline=None)
@given(data=st.data(), window=windows_of_time(max_days=40))
def test_fairness_adds_up_to_the_covered_time(data, window):
    start, end = window
    spec = data.draw(schedules(start, end))
    tz = engine.zone(data.draw(zones))
    segments = engine.resolve(spec, start, end)
    tallies = fairness.per_person(segments, tz)
    covered = sum((s.duration for s in segments if not s.is_gap), dt.timedelta(0))
    assert sum((t.total for t in tallies.values()), dt.timedelta(0)) == covered
    for tally in tallies.values():
        assert dt.timedelta(0) <= tally.night <= tally.total
        assert dt.timedelta(0) <= tally.weekend <= tally.total
        assert tally.holiday == dt.timedelta(0)
