"""Clocks: counting, pausing, warnings and the breach once each, re-targeting, display."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from django.template.loader import render_to_string

from itsm.errors import Conflict, DomainError
from itsm.timers import clocks, services
from itsm.timers.clocks import (
    clock_pause,
    clock_resume,
    clock_retarget,
    clock_start,
    clock_stop,
    clocks_for,
)
from itsm.timers.models import Clock, Timer
from itsm.timers.signals import clock_breached, clock_warned
from tests.itsm.factories import TeamFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday, 09:00 in Seoul
H = timedelta(hours=1)


@pytest.fixture
def signals():
    """Every clock signal, as (kind, clock name, fraction, at) tuples."""
    seen: list[tuple] = []

    def on_warned(sender, *, clock, fraction, at, **kwargs):
        assert transaction.get_connection().in_atomic_block
        seen.append(("warned", clock.name, fraction, at))

    def on_breached(sender, *, clock, at, **kwargs):
        assert transaction.get_connection().in_atomic_block
        seen.append(("breached", clock.name, None, at))

    clock_warned.connect(on_warned, sender=Clock, weak=False)
    clock_breached.connect(on_breached, sender=Clock, weak=False)
    yield seen
    clock_warned.disconnect(on_warned, sender=Clock)
    clock_breached.disconnect(on_breached, sender=Clock)


def at(offset: timedelta):
    return time_machine.travel(T0 + offset, tick=False)


def test_a_running_clock_counts_calendar_time_and_projects_its_deadline():
    team = TeamFactory()
    with at(timedelta(0)):
        clock = clock_start(subject=team, name="resolution", target=4 * H)
    assert clock.is_running and not clock.is_paused and not clock.is_breached
    assert clock.deadline_at == T0 + 4 * H
    assert clock.elapsed(T0 + H) == H
    assert clock.remaining(T0 + H) == 3 * H
    assert clock.fraction(T0 + H) == 0.25
    armed = set(Timer.objects.filter(state="armed").values_list("key", "due_at"))
    assert armed == {("warn:0.75", T0 + 3 * H), ("breach", T0 + 4 * H)}


def test_the_sweeper_fires_the_warning_then_the_breach_once_each(signals):
    team = TeamFactory()
    with at(timedelta(0)):
        clock_start(subject=team, name="response", target=4 * H, warn_fractions=(0.5, 0.75))
    with at(2 * H + timedelta(seconds=5)):
        assert services.sweep().fired == 1
        assert services.sweep().fired == 0
    assert signals == [("warned", "response", 0.5, T0 + 2 * H)]
    with at(5 * H):
        services.sweep()
        services.sweep()
    assert signals[1:] == [
        ("warned", "response", 0.75, T0 + 3 * H),
        ("breached", "response", None, T0 + 4 * H),
    ]
    clock = Clock.objects.get()
    assert clock.breached_at == T0 + 4 * H and clock.warned_at == T0 + 3 * H
    assert clock.warned_fractions == [0.5, 0.75]
    # The sweep noticed both through the 75 % timer, two hours late; it says so.
    assert Timer.objects.get(key="warn:0.75").late_by == 2 * H
    assert Timer.objects.get(key="breach").state == Timer.State.CANCELLED


def test_pause_and_resume_keep_the_elapsed_time_exactly():
    team = TeamFactory()
    with at(timedelta(0)):
        clock_start(subject=team, name="resolution", target=4 * H)
    with at(H):
        clock = clock_pause(subject=team, name="resolution")
    assert clock.is_paused and clock.deadline_at is None
    assert not Timer.objects.filter(state="armed").exists()
    assert clock.elapsed(T0 + 10 * H) == H
    with at(3 * H):
        clock = clock_resume(subject=team, name="resolution")
    assert clock.deadline_at == T0 + 6 * H
    assert clock.elapsed(T0 + 4 * H) == 2 * H
    assert Timer.objects.get(state="armed", key="breach").due_at == T0 + 6 * H


def test_pausing_after_an_unnoticed_crossing_records_it_at_the_crossing(signals):
    team = TeamFactory()
    with at(timedelta(0)):
        clock_start(subject=team, name="response", target=H)
    with at(H + timedelta(seconds=3)):  # no sweep has run since the deadline
        clock_pause(subject=team, name="response")
    assert [s[0] for s in signals] == ["warned", "breached"]
    assert signals[-1][3] == T0 + H
    with at(2 * H):
        assert services.sweep().fired == 0
    assert len(signals) == 2


def test_stopping_in_time_meets_the_target_and_disarms_everything(signals):
    team = TeamFactory()
    with at(timedelta(0)):
        clock_start(subject=team, name="response", target=H)
    with at(timedelta(minutes=20)):
        clock = clock_stop(subject=team, name="response")
    assert clock.is_stopped and not clock.is_breached and clock.deadline_at is None
    assert clock.elapsed() == timedelta(minutes=20)
    with at(2 * H):
        assert services.sweep().fired == 0
    assert signals == []


def test_stop_pause_and_resume_are_idempotent():
    team = TeamFactory()
    with at(timedelta(0)):
        clock_start(subject=team, name="response", target=H)
    with at(timedelta(minutes=10)):
        clock_pause(subject=team, name="response")
        clock_pause(subject=team, name="response")
    with at(timedelta(minutes=20)):
        clock_resume(subject=team, name="response")
        clock = clock_resume(subject=team, name="response")
    assert clock.elapsed(T0 + timedelta(minutes=30)) == timedelta(minutes=20)
    with at(timedelta(minutes=40)):
        clock_stop(subject=team, name="response")
        clock = clock_stop(subject=team, name="response")
    assert clock.elapsed() == timedelta(minutes=30)


def test_a_reopened_clock_counts_on_from_where_it_stopped():
    team = TeamFactory()
    with at(timedelta(0)):
        clock_start(subject=team, name="resolution", target=4 * H)
    with at(H):
        clock_stop(subject=team, name="resolution")
    with at(5 * H):
        clock = clock_resume(subject=team, name="resolution")
    assert clock.is_running and clock.stopped_at is None
    assert clock.deadline_at == T0 + 8 * H


def test_retarget_counts_from_the_original_start_without_the_paused_time(signals):
    team = TeamFactory()
    with at(timedelta(0)):
        clock_start(subject=team, name="resolution", target=8 * H)  # P2
    with at(H):
        clock_pause(subject=team, name="resolution")
    with at(2 * H):
        clock_resume(subject=team, name="resolution")
    with at(3 * H):  # raised to P1: 4 h from the start, the paused hour excluded
        clock = clock_retarget(subject=team, name="resolution", target=4 * H)
    assert clock.deadline_at == T0 + 5 * H
    assert signals == []
    with at(4 * H + timedelta(minutes=30)):  # lowered back after the 75 % mark
        clock = clock_retarget(subject=team, name="resolution", target=2 * H)
    # 2 h counted were reached at T0+3h; the warning at 1.5 h at T0+2h30.
    assert [(s[0], s[3]) for s in signals] == [
        ("warned", T0 + timedelta(hours=2, minutes=30)),
        ("breached", T0 + 3 * H),
    ]
    assert clock.breached_at == T0 + 3 * H
    with at(5 * H):  # a breach is a fact: a longer target does not erase it
        clock = clock_retarget(subject=team, name="resolution", target=24 * H)
    assert clock.is_breached and clock.deadline_at == T0 + 25 * H
    assert clock.warned_fractions == []  # the new 75 % mark lies ahead: it warns again
    with at(25 * H):
        services.sweep()
    assert [s[0] for s in signals] == ["warned", "breached", "warned"]


def test_a_clock_started_in_the_past_records_what_it_has_crossed(signals):
    team = TeamFactory()
    with at(5 * H):
        clock = clock_start(subject=team, name="response", target=4 * H, started_at=T0)
    assert clock.breached_at == T0 + 4 * H
    assert [s[0] for s in signals] == ["warned", "breached"]


def test_starting_twice_bad_targets_and_times_are_refused():
    team = TeamFactory()
    clock_start(subject=team, name="response", target=H)
    with pytest.raises(Conflict):
        clock_start(subject=team, name="response", target=H)
    with pytest.raises(DomainError):
        clock_start(subject=team, name="other", target=timedelta(0))
    with pytest.raises(DomainError):
        clock_start(subject=team, name="other", target=H, warn_fractions=(1.5,))
    with pytest.raises(DomainError):
        clock_start(subject=team, name="other", target=H, mode="business")
    with pytest.raises(DomainError):
        clock_pause(subject=team, name="response", at=T0 - timedelta(days=400))
    with pytest.raises(Clock.DoesNotExist):
        clock_pause(subject=team, name="missing")


def test_the_handler_twice_and_a_stale_token_give_one_event(signals):
    team = TeamFactory()
    with at(timedelta(0)):
        clock = clock_start(subject=team, name="response", target=H, warn_fractions=())
    timer = Timer.objects.get(state="armed")
    stale = str(timer.token)
    with at(timedelta(minutes=30)):
        clock_pause(subject=team, name="response")
        clock_resume(subject=team, name="response")  # re-armed: a new token
    with at(2 * H):
        assert services.timer_fire_one(timer_id=timer.pk, token=stale) is False
        fresh = Timer.objects.get(state="armed")
        assert services.timer_fire_one(timer_id=fresh.pk, token=str(fresh.token)) is True
        assert services.timer_fire_one(timer_id=fresh.pk, token=str(fresh.token)) is False
        clocks.on_clock_timer(fresh, now=T0 + 2 * H)  # the handler itself, called again
        clocks.clock_check(clock_id=clock.pk)
        assert services.sweep().fired == 0
    assert [s[0] for s in signals] == ["breached"]


def test_clocks_render_with_their_badges(django_assert_max_num_queries):
    team = TeamFactory()
    with at(timedelta(0)):
        clock_start(subject=team, name="response", target=H)
        clock_start(subject=team, name="resolution", target=4 * H)
    with at(timedelta(minutes=50)):
        services.sweep()  # the response clock passed 75 % at 45 min
        clock_pause(subject=team, name="resolution")
        with django_assert_max_num_queries(2):
            html = render_to_string("timers/_clocks.html", {"clocks": clocks_for(team)})
    assert 'data-deadline="2026-03-02T01:00:00+00:00"' in html
    assert "Warned" in html and "Paused" in html and "0h 10m" in html
    assert render_to_string("timers/_clocks.html", {"clocks": []}).count("empty-state") == 1


def test_a_clock_whose_subject_was_deleted_fires_nothing(signals):
    team = TeamFactory()
    with at(timedelta(0)):
        clock_start(subject=team, name="response", target=H)
    team.delete()
    with at(2 * H):
        assert services.sweep().fired == 1
    assert signals == [] and not Timer.objects.filter(state="armed").exists()
    assert Clock.objects.get().breached_at is None


def test_a_business_clock_shows_counted_time_left_and_ticks_the_wall_clock():
    from itsm.models import BusinessCalendar

    team = TeamFactory()
    kr = BusinessCalendar.objects.get(country="KR")
    friday_evening = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)  # 17:00 in Seoul
    with time_machine.travel(friday_evening, tick=False):
        clock_start(subject=team, name="resolution", target=2 * H, mode="business", calendar=kr)
        html = render_to_string("timers/_clocks.html", {"clocks": clocks_for(team)})
    assert "2h 00m" in html  # counted time left, not the 49 wall-clock hours
    assert 'data-deadline="2026-03-09T01:00:00+00:00"' in html  # Monday 10:00 in Seoul
