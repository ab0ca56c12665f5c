"""The timer core: arm, sweep, fast path. Each handler effect happens exactly once."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from itsm.models import AuditEvent
from itsm.timers import services
from itsm.timers.models import SweepStat, Timer
from tests.itsm.factories import TeamFactory
from tests.timers import handlers  # noqa: F401 - registers tests.record and tests.explode

pytestmark = pytest.mark.django_db


def fired_events(subject):
    return AuditEvent.objects.for_object(subject).filter(action="timer fired").count()


def test_a_due_timer_fires_once_however_often_it_is_swept():
    team = TeamFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        services.timer_arm(subject=team, kind="tests.record", due_at=start + timedelta(minutes=5))
        assert services.sweep().fired == 0
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert services.sweep().fired == 1
        assert services.sweep().fired == 0
    timer = Timer.objects.get()
    assert timer.state == Timer.State.FIRED
    assert timer.late_by == timedelta(minutes=1)
    assert fired_events(team) == 1
    assert SweepStat.objects.get().fired == 0


def test_rearming_retargets_the_one_armed_timer_and_stales_the_old_token():
    team = TeamFactory()
    now = timezone.now()
    first = services.timer_arm(subject=team, kind="tests.record", due_at=now - timedelta(seconds=1))
    old_token = str(first.token)
    second = services.timer_arm(subject=team, kind="tests.record", due_at=now + timedelta(hours=1))
    assert first.pk == second.pk and Timer.objects.count() == 1
    assert services.timer_fire_one(timer_id=first.pk, token=old_token) is False
    assert fired_events(team) == 0


def test_the_fast_path_fires_once_and_a_duplicate_delivery_does_nothing():
    team = TeamFactory()
    timer = services.timer_arm(
        subject=team, kind="tests.record", due_at=timezone.now() + timedelta(days=1)
    )
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1), tick=False):
        assert services.timer_fire_one(timer_id=timer.pk, token=str(timer.token)) is True
        assert services.timer_fire_one(timer_id=timer.pk, token=str(timer.token)) is False
        assert services.sweep().fired == 0
    assert fired_events(team) == 1


def test_the_fast_path_before_the_deadline_does_nothing():
    team = TeamFactory()
    timer = services.timer_arm(
        subject=team, kind="tests.record", due_at=timezone.now() + timedelta(hours=1)
    )
    assert services.timer_fire_one(timer_id=timer.pk, token=str(timer.token)) is False
    assert Timer.objects.get().state == Timer.State.ARMED


def test_cancelled_timers_never_fire():
    team = TeamFactory()
    services.timer_arm(
        subject=team, kind="tests.record", due_at=timezone.now() - timedelta(seconds=1)
    )
    assert services.timer_cancel(subject=team, kind="tests.record") == 1
    assert services.sweep().fired == 0 and fired_events(team) == 0


def test_missed_timers_fire_oldest_first_after_an_outage_and_say_how_late():
    teams = [TeamFactory() for _ in range(3)]
    now = timezone.now()
    for minutes, team in zip([30, 90, 60], teams, strict=True):
        services.timer_arm(
            subject=team, kind="tests.record", due_at=now - timedelta(minutes=minutes)
        )
    result = services.sweep(batch_size=2)
    assert result.fired == 3 and result.batches == 2
    fired = list(Timer.objects.order_by("fired_at", "pk").values_list("late_by", flat=True))
    assert [round(d.total_seconds() / 60) for d in fired] == [90, 60, 30]


def test_a_failing_handler_rolls_back_its_record_and_retries_with_backoff():
    team = TeamFactory()
    services.timer_arm(
        subject=team, kind="tests.explode", due_at=timezone.now() - timedelta(seconds=1)
    )
    result = services.sweep()
    assert (result.fired, result.failed) == (0, 1)
    timer = Timer.objects.get()
    assert timer.state == Timer.State.ARMED and timer.attempts == 1 and "boom" in timer.last_error
    assert timer.due_at > timezone.now()
    assert not AuditEvent.objects.for_object(team).filter(action="half done").exists()


def test_a_timer_that_keeps_failing_is_parked_as_failed():
    team = TeamFactory()
    services.timer_arm(subject=team, kind="tests.explode", due_at=timezone.now())
    for _ in range(services.MAX_ATTEMPTS):
        Timer.objects.filter(state="armed").update(due_at=timezone.now() - timedelta(seconds=1))
        services.sweep()
    assert Timer.objects.get().state == Timer.State.FAILED


def test_the_claim_uses_the_partial_index(django_assert_max_num_queries):
    from django.db import connection

    TeamFactory()
    qs = Timer.objects.filter(state="armed", due_at__lte=timezone.now()).order_by("due_at", "pk")[
        :500
    ]
    plan = qs.explain()
    if connection.vendor == "sqlite":
        assert "timer_armed_due" in plan


def test_a_busy_handler_leaves_its_timer_armed_without_counting_an_attempt():
    from itsm.timers.registry import timer_handler

    @timer_handler("tests.busy")
    def busy(timer, *, now):
        record_event_count.append(timer.pk)
        raise services.TimerBusy("a transaction holds the subject")

    record_event_count: list[int] = []
    team = TeamFactory()
    services.timer_arm(subject=team, kind="tests.busy", due_at=timezone.now())
    result = services.sweep(batch_size=1)
    assert (result.fired, result.busy, result.failed) == (0, 1, 0)
    assert record_event_count == [Timer.objects.get().pk]  # tried once, not in a loop
    timer = Timer.objects.get()
    assert timer.state == Timer.State.ARMED and timer.attempts == 0 and timer.fired_at is None


def test_rearming_with_the_same_due_time_keeps_the_token():
    team = TeamFactory()
    due = timezone.now() + timedelta(hours=1)
    first = services.timer_arm(subject=team, kind="tests.record", due_at=due)
    again = services.timer_arm(subject=team, kind="tests.record", due_at=due)
    assert again.token == first.token
    moved = services.timer_arm(subject=team, kind="tests.record", due_at=due + timedelta(1))
    assert moved.token != first.token and moved.pk == first.pk


def test_a_broker_that_is_down_does_not_fail_the_write(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from itsm.timers import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is restarting")

    monkeypatch.setattr(tasks.fire_timer, "apply_async", broker_down)
    team = TeamFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        timer = services.timer_arm(
            subject=team, kind="tests.record", due_at=timezone.now() + timedelta(seconds=30)
        )
    assert len(callbacks) == 1
    assert Timer.objects.get().pk == timer.pk  # committed; the error was only logged
    assert "Redis is restarting" in caplog.text
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        assert services.sweep().fired == 1  # the sweeper needs no broker message


def test_the_sweep_task_prunes_old_rows_and_arms_a_probe_once_an_hour(settings):
    from django.core.cache import cache

    from itsm.timers import tasks

    cache.delete("timers:hourly")
    team = TeamFactory()
    old = timezone.now() - timedelta(days=200)
    services.timer_arm(subject=team, kind="tests.record", due_at=old)
    assert tasks.sweep() == 1
    assert Timer.objects.filter(kind="tests.record").count() == 1  # fired just now: kept
    Timer.objects.filter(kind="tests.record").update(fired_at=old)
    cache.delete("timers:hourly")
    tasks.sweep()
    tasks.sweep()  # within the hour: no second probe
    assert not Timer.objects.filter(kind="tests.record").exists()
    assert Timer.objects.filter(kind=services.PROBE_KIND, state="armed").count() == 2


def test_a_timer_cancelled_by_a_handler_earlier_in_the_batch_does_not_fire():
    from itsm.timers.registry import timer_handler

    @timer_handler("tests.cancel_sibling")
    def cancel_sibling(timer, *, now):
        services.timer_cancel(subject=timer.subject, kind="tests.record")

    team = TeamFactory()
    now = timezone.now()
    services.timer_arm(subject=team, kind="tests.cancel_sibling", due_at=now - timedelta(2))
    services.timer_arm(subject=team, kind="tests.record", due_at=now - timedelta(1))
    assert services.sweep().fired == 1  # both claimed in one batch, oldest first
    assert fired_events(team) == 0
    assert Timer.objects.get(kind="tests.record").state == Timer.State.CANCELLED
