"""Real processes and threads against PostgreSQL: each effect once, nothing lost."""

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from itsm.models import AuditEvent
from itsm.timers import services
from itsm.timers.clocks import clock_start
from itsm.timers.models import Clock, Timer
from tests.itsm.factories import TeamFactory
from tests.timers import handlers  # noqa: F401
from tests.timers.factories import TimerFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
WORKER = Path(__file__).with_name("sweep_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_worker(*args, **env) -> subprocess.Popen:
    environ = {k: v for k, v in os.environ.items() if k != "ITSM_TEST_DB_SUFFIX"}
    environ.update(DATABASE_URL=_database_url(), **env)
    return subprocess.Popen(
        [sys.executable, str(WORKER), *map(str, args)],
        cwd=ROOT,
        env=environ,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _expect(proc: subprocess.Popen, word: str) -> str:
    """The rest of the next line that starts with `word` (the worker prints nothing else)."""
    line = proc.stdout.readline()
    assert line.startswith(word), f"worker said {line!r}, exit {proc.poll()}"
    return line[len(word) :].strip()


def _backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] > 0


def _seed_due_clocks(count: int) -> list[Clock]:
    """Clocks started two hours ago with a one-hour target: warning and breach both due."""
    with time_machine.travel(timezone.now() - timedelta(hours=2), tick=False):
        return [
            clock_start(subject=TeamFactory(), name="resolution", target=timedelta(hours=1))
            for _ in range(count)
        ]


def test_two_worker_processes_sweeping_the_same_due_set_fire_each_timer_once(tmp_path):
    team = TeamFactory()
    TimerFactory.create_batch(400, subject=team, due_in=timedelta(minutes=-5))
    clocks = _seed_due_clocks(100)
    barrier = tmp_path / "go"
    workers = [_start_worker(10, barrier) for _ in range(2)]
    try:
        for worker in workers:
            _expect(worker, "PID")
        barrier.touch()
        fired = [int(_expect(worker, "FIRED")) for worker in workers]
        for worker in workers:
            assert worker.wait(timeout=60) == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    # Each clock's warning timer records the warning and the (also past) breach and cancels
    # the breach timer, unless another sweeper holds it: then that one fires as a no-op.
    assert 500 <= sum(fired) <= 600 and min(fired) > 0, fired  # both really took part
    assert not Timer.objects.filter(state=Timer.State.ARMED).exists()
    events = AuditEvent.objects.for_object(team).filter(action="timer fired")
    assert events.count() == 400
    assert len({e.payload["timer"] for e in events}) == 400
    for action in ["clock breached", "clock warned"]:
        per_clock = AuditEvent.objects.filter(action=action).values_list("object_id", flat=True)
        assert sorted(per_clock) == sorted(str(c.pk) for c in clocks)
    assert Clock.objects.filter(breached_at__isnull=True).count() == 0


def test_a_worker_killed_in_the_middle_of_a_sweep_loses_nothing():
    team = TeamFactory()
    TimerFactory.create_batch(20, subject=team, due_in=timedelta(minutes=-1))
    worker = _start_worker(50, TIMERS_TEST_HANG="1")
    try:
        backend = int(_expect(worker, "PID"))
        assert _expect(worker, "HOLDING") == ""
        # The worker holds all 20 rows in its open transaction and has recorded one event.
        with transaction.atomic():
            assert services.claim_due(now=timezone.now(), batch_size=100) == []
        assert not AuditEvent.objects.exists()
    finally:
        worker.send_signal(signal.SIGKILL)  # also when an assertion failed: free the rows
    assert worker.wait(timeout=30) == -signal.SIGKILL
    deadline = timezone.now() + timedelta(seconds=30)
    while _backend_alive(backend):  # PostgreSQL rolls the transaction back as it notices
        assert timezone.now() < deadline, "the killed worker's transaction is still open"
    assert Timer.objects.filter(state=Timer.State.ARMED).count() == 20
    result = services.sweep()
    assert result.fired == 20 and services.sweep().fired == 0
    assert AuditEvent.objects.for_object(team).filter(action="timer fired").count() == 20
    assert result.max_lateness_s >= 60  # the record says how late they fired


def test_a_sweep_meeting_a_locked_clock_leaves_its_timer_armed_and_never_deadlocks():
    (clock,) = _seed_due_clocks(1)
    locked, release = threading.Event(), threading.Event()
    outcome = {}

    def transition_that_fails():
        # An app's transaction that locks the clock (as every clock function does) and
        # then rolls back: the sweep must neither wait for it nor lose the breach.
        try:
            with transaction.atomic():
                Clock.objects.select_for_update().get(pk=clock.pk)
                locked.set()
                release.wait(timeout=30)
                raise RuntimeError("the app's transaction fails")
        except RuntimeError as exc:
            outcome["error"] = str(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=transition_that_fails)
    thread.start()
    assert locked.wait(timeout=30)
    try:
        result = services.sweep()
        assert (result.fired, result.busy) == (0, 2)  # the warning and the breach wait
        assert Timer.objects.filter(state=Timer.State.ARMED).count() == 2
    finally:
        release.set()
        thread.join(timeout=30)
    assert outcome["error"]
    assert services.sweep().fired == 1  # the warning timer records both; the breach timer skips
    clock.refresh_from_db()
    assert clock.breached_at == clock.started_at + timedelta(hours=1)
    assert AuditEvent.objects.filter(action="clock breached").count() == 1
