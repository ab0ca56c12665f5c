"""On PostgreSQL, with real threads: an acknowledgement racing an escalation sweep leaves a
consistent record: either the step fired before the acknowledgement, or not at all."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from incidents import services
from incidents.models import EscalationStep, Incident
from incidents.services import escalation, incidents
from incidents.services.escalation import ESCALATE_KIND
from itsm.models import AuditEvent
from itsm.timers import services as timers
from itsm.timers.models import Timer

from .factories import SYSTEM, make_world, report

# serialized_rollback: the roles, calendars and default policies come from data migrations,
# which a transactional test flushes; they are restored before each of these tests.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
WAIT = 30  # seconds; a guard against a hung test, never reached when it works


@pytest.fixture(autouse=True)
def _sweeper_only(settings):
    # Eager Celery would run the ETA fast path at commit, firing the due step before the
    # race starts; here only the sweeps in the threads may fire it.
    settings.TIMER_ETA_HORIZON = -(10**9)


class Worker(threading.Thread):
    """Runs `fn` on its own database connection and keeps its result or exception."""

    def __init__(self, fn):
        super().__init__(daemon=True)
        self.fn, self.result, self.error = fn, None, None

    def run(self):
        try:
            self.result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            connection.close()

    def finish(self):
        self.join(WAIT)
        assert not self.is_alive(), "thread hung (deadlock?)"
        if self.error:
            raise self.error
        return self.result


def due_incident(world) -> Incident:
    """A P2 detected 16 minutes ago: its L2 step is due now."""
    return report(world, priority="P2", detected_at=timezone.now() - dt.timedelta(minutes=16))


def assert_consistent(incident: Incident) -> bool:
    """True when the L2 step fired (before the acknowledgement), False when it did not."""
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    steps = list(EscalationStep.objects.filter(incident=incident, level=2))
    events = list(
        AuditEvent.objects.for_object(incident)
        .filter(action__in=["escalated", "acknowledged"])
        .order_by("pk")
        .values_list("action", flat=True)
    )
    if steps:
        assert len(steps) == 1 and steps[0].fired_at <= incident.acknowledged_at
        assert events == ["escalated", "acknowledged"] and incident.escalation_level == 2
    else:
        assert events == ["acknowledged"] and incident.escalation_level == 1
    timers.sweep()  # whatever was left armed must now find the incident acknowledged
    assert EscalationStep.objects.filter(incident=incident, level__gt=1).count() == len(steps)
    assert not Timer.objects.filter(
        kind=ESCALATE_KIND, object_id=str(incident.pk), state=Timer.State.ARMED
    ).exists()
    return bool(steps)


def acknowledge(world, incident):
    return lambda: services.incident_acknowledge(
        incident_id=incident.pk, actor=world.user("oncall"), source=SYSTEM
    )


def test_free_race_between_sweeps_and_acknowledgements():
    world = make_world()
    outcomes = []
    for _ in range(8):
        incident = due_incident(world)
        start = threading.Barrier(2)
        sweeper = Worker(lambda: (start.wait(WAIT), timers.sweep())[1])
        acker = Worker(lambda inc=incident: (start.wait(WAIT), acknowledge(world, inc)())[1])
        sweeper.start(), acker.start()
        sweeper.finish(), acker.finish()
        outcomes.append(assert_consistent(incident))
    assert len(outcomes) == 8  # both orders are fine; the deterministic tests force each


def test_the_sweep_holds_the_incident_then_the_acknowledgement_comes_after_the_step(monkeypatch):
    world = make_world()
    incident = due_incident(world)
    inside, go = threading.Event(), threading.Event()
    real = escalation.level_recipients

    def slow_recipients(level, inc, at=None):
        if level.number == 2:  # inside the handler, holding the incident lock
            inside.set()
            go.wait(WAIT)
        return real(level, inc, at)

    monkeypatch.setattr(escalation, "level_recipients", slow_recipients)
    sweeper = Worker(timers.sweep)
    sweeper.start()
    assert inside.wait(WAIT)
    acker = Worker(acknowledge(world, incident))
    acker.start()  # blocks on the incident row until the sweep commits
    go.set()
    assert sweeper.finish().fired >= 1
    acker.finish()
    assert assert_consistent(incident) is True


def test_the_acknowledgement_holds_the_incident_then_the_sweep_backs_off(monkeypatch):
    world = make_world()
    incident = due_incident(world)
    inside, go = threading.Event(), threading.Event()
    real = incidents.escalation_stop

    def slow_stop(inc):
        inside.set()  # acknowledged, clocks stopped, incident locked, not committed yet
        go.wait(WAIT)
        return real(inc)

    monkeypatch.setattr(incidents, "escalation_stop", slow_stop)
    acker = Worker(acknowledge(world, incident))
    acker.start()
    assert inside.wait(WAIT)
    result = Worker(timers.sweep)
    result.start()
    swept = result.finish()  # returns at once: the incident is busy, the timer stays armed
    assert swept.busy >= 1
    assert not EscalationStep.objects.filter(incident=incident, level=2).exists()
    go.set()
    acker.finish()
    assert assert_consistent(incident) is False
