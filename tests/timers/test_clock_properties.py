"""Pause/resume arithmetic as properties: any sequence of pauses, resumes, stops and sweeps.

A reference model (the list of running intervals, built independently of Clock) says what
the clock must report; business time uses the Korean calendar.
"""

import datetime as dt

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itsm.business_time import CalendarSpec, business_time_between
from itsm.models import AuditEvent, BusinessCalendar
from itsm.timers import services
from itsm.timers.clocks import clock_pause, clock_resume, clock_start, clock_stop
from itsm.timers.models import Clock
from tests.itsm.factories import TeamFactory
from tests.timers import handlers  # noqa: F401 - audit receivers for the clock signals

UTC = dt.UTC
T0 = dt.datetime(2026, 2, 9, 0, 0, tzinfo=UTC)  # Monday 09:00 in Seoul; Seollal follows
KR = CalendarSpec(country="KR", time_zone="Asia/Seoul")
MIN = dt.timedelta(minutes=1)

ops = st.lists(
    st.tuples(st.sampled_from(["pause", "resume", "stop", "sweep"]), st.integers(0, 900)),
    max_size=12,
)
modes = st.sampled_from(["calendar", "business"])


def span(mode, a, b):
    if b <= a:
        return dt.timedelta(0)
    return business_time_between(KR, a, b) if mode == "business" else b - a


def reference(mode, start, steps):
    """Running intervals [(start, end or None)] after applying the steps to a fresh clock."""
    intervals, running, now = [], start, start
    for op, minutes in steps:
        now += minutes * MIN
        if op in {"pause", "stop"} and running is not None:
            intervals.append((running, now))
            running = None
        elif op == "resume" and running is None:
            running = now
    if running is not None:
        intervals.append((running, None))
    return intervals, now


def counted(mode, intervals, until):
    return sum(
        (span(mode, a, min(b or until, until)) for a, b in intervals if a < until),
        dt.timedelta(0),
    )


def memory_clock(mode, target, start):
    clock = Clock(name="p", target=target, mode=mode, started_at=start, resumed_at=start)
    clock._spec = KR if mode == "business" else None
    return clock


@settings(max_examples=300, deadline=None)
@given(mode=modes, steps=ops, target_min=st.integers(1, 3000), probe=st.integers(0, 20000))
def test_elapsed_and_crossings_match_the_running_intervals(mode, steps, target_min, probe):
    clock = memory_clock(mode, target_min * MIN, T0)
    now = T0
    for op, minutes in steps:
        now += minutes * MIN
        if op == "pause" and clock.is_running:
            clock.mark_paused(now)
        elif op == "stop" and not clock.is_stopped:
            clock.mark_stopped(now)
        elif op == "resume" and not clock.is_running:
            clock.mark_resumed(now)
    intervals, end = reference(mode, T0, steps)
    assert end == now
    later = now + probe * MIN
    # Elapsed is exactly the counted time of the running intervals, frozen when not running.
    assert clock.elapsed(later) == counted(mode, intervals, later)
    assert clock.elapsed_before_pause == counted(mode, [i for i in intervals if i[1]], later)
    assert clock.remaining(later) == clock.target - clock.elapsed(later)
    # Every threshold is crossed exactly when the counted time reaches it, never earlier.
    total = counted(mode, intervals, later)
    for amount in {clock.target, clock.target * 0.75, total, total / 3}:
        instant = clock.crossing(amount)
        if amount <= total or clock.is_running:
            assert instant is not None
            assert counted(mode, intervals, instant) == amount
            if amount > dt.timedelta(0):
                before = instant - dt.timedelta(microseconds=1)
                assert counted(mode, intervals, before) < amount
        else:
            assert instant is None


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mode=modes, steps=ops, target_min=st.integers(1, 1500))
def test_breach_and_warning_are_recorded_once_at_the_crossing(mode, steps, target_min):
    calendar = BusinessCalendar.objects.get(country="KR") if mode == "business" else None
    team = TeamFactory()
    target = target_min * MIN
    with time_machine.travel(T0, tick=False):
        clock = clock_start(subject=team, name="p", target=target, mode=mode, calendar=calendar)
    now = T0
    for op, minutes in steps:
        now += minutes * MIN
        with time_machine.travel(now, tick=False):
            {
                "pause": clock_pause,
                "resume": clock_resume,
                "stop": clock_stop,
                "sweep": lambda **kw: services.sweep(),
            }[op](subject=team, name="p")
    with time_machine.travel(now, tick=False):
        services.sweep()
    clock.refresh_from_db()
    intervals, _ = reference(mode, T0, steps)
    reached = counted(mode, intervals, now)
    events = AuditEvent.objects.for_object(clock)
    expected_breach = memory_clock(mode, target, T0)
    expected_breach.segments = [[a.isoformat(), b.isoformat()] for a, b in intervals if b]
    expected_breach.resumed_at = next((a for a, b in intervals if b is None), None)
    if reached >= target:
        assert clock.breached_at == expected_breach.crossing(target)
        assert events.filter(action="clock breached").count() == 1
    else:
        assert clock.breached_at is None
        assert not events.filter(action="clock breached").exists()
    warned = reached >= target * 0.75
    assert events.filter(action="clock warned").count() == int(warned)
    assert (clock.warned_at is not None) == warned
