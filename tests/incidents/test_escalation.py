"""Escalation end to end with moved time: timers fired by the real sweeper."""

import datetime as dt
import zoneinfo
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents import services
from incidents.models import EscalationLevel, EscalationStep, Notification
from incidents.services.escalation import ESCALATE_KIND, escalation_fire
from itsm.errors import DomainError
from itsm.models import AuditEvent
from itsm.timers import services as timers
from itsm.timers.models import Timer

from .factories import SYSTEM, report

pytestmark = pytest.mark.django_db
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
T0 = timezone.now().replace(microsecond=0) + timedelta(days=1)


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


def sweep_at(minutes: float):
    with time_machine.travel(at(minutes), tick=False):
        return timers.sweep()


def steps(incident):
    return list(
        EscalationStep.objects.filter(incident=incident)
        .exclude(kind=EscalationStep.Kind.MAJOR)
        .order_by("fired_at", "pk")
        .values_list("level", "kind", "fired_at")
    )


def test_unacknowledged_incident_climbs_l1_l2_l3_l4_at_0_15_45_105(world):
    with time_machine.travel(T0, tick=False):
        incident = report(world, priority="P1")
    for minute in (14.9, 15, 20, 44.9, 45, 104.9, 105, 400):
        sweep_at(minute)
    assert steps(incident) == [
        (1, "initial", at(0)),
        (2, "automatic", at(15)),
        (3, "automatic", at(45)),
        (4, "automatic", at(105)),
    ]
    incident.refresh_from_db()
    assert incident.escalation_level == 4
    notified = {
        step.level: step.notified for step in EscalationStep.objects.filter(incident=incident)
    }
    assert notified == {1: ["oncall"], 2: ["ops_leader"], 3: ["ops_manager"], 4: ["developer"]}
    assert not timers.armed_timers(incident).filter(kind=ESCALATE_KIND).exists()
    escalated_to = Notification.objects.filter(
        incident=incident, kind=Notification.Kind.ESCALATED
    ).values_list("recipient__username", flat=True)
    assert sorted(escalated_to) == ["developer", "oncall", "ops_leader", "ops_manager"]


def test_acknowledging_at_minute_20_stops_the_climb_at_l2(world):
    with time_machine.travel(T0, tick=False):
        incident = report(world, priority="P1")
    sweep_at(15)
    with time_machine.travel(at(20), tick=False):
        services.incident_acknowledge(
            incident_id=incident.pk, actor=world.user("oncall"), source=SYSTEM
        )
    for minute in (45, 105, 300):
        sweep_at(minute)
    assert [level for level, *_ in steps(incident)] == [1, 2]
    incident.refresh_from_db()
    assert incident.escalation_level == 2 and incident.acknowledged_at == at(20)


def test_an_alert_filed_late_climbs_from_its_detection(world):
    with time_machine.travel(T0, tick=False):
        incident = report(world, priority="P2", detected_at=at(-20))
        timers.sweep()
    assert [(level, fired) for level, _kind, fired in steps(incident)] == [(1, T0), (2, T0)]


def test_the_handler_is_idempotent_and_ignores_stale_timers(world):
    with time_machine.travel(T0, tick=False):
        incident = report(world, priority="P1")
    timer = Timer.objects.get(kind=ESCALATE_KIND, state="armed")
    with time_machine.travel(at(15), tick=False):
        first = escalation_fire(timer, now=at(15))
        second = escalation_fire(timer, now=at(15))
    assert first is not None and second is None
    assert [level for level, *_ in steps(incident)] == [1, 2]
    assert AuditEvent.objects.for_object(incident).filter(action="escalated").count() == 1


def test_a_stale_timer_after_a_manual_escalation_does_nothing(world):
    with time_machine.travel(T0, tick=False):
        incident = report(world, priority="P1")
    stale = Timer.objects.get(kind=ESCALATE_KIND, state="armed")
    with time_machine.travel(at(5), tick=False):
        services.incident_escalate(
            incident_id=incident.pk,
            actor=world.user("oncall"),
            source=SYSTEM,
            reason="DB vendor needed",
        )
    assert escalation_fire(stale, now=at(15)) is None
    # The climb goes on from the manual step: L3 is due 30 minutes after it.
    sweep_at(34.9)
    sweep_at(35)
    assert [(lvl, kind) for lvl, kind, _ in steps(incident)] == [
        (1, "initial"),
        (2, "manual_up"),
        (3, "automatic"),
    ]


def test_manual_escalation_needs_a_reason_and_a_higher_level(world):
    incident = report(world, priority="P1")
    leader = world.user("ops_leader")
    with pytest.raises(DomainError):
        services.incident_escalate(incident_id=incident.pk, actor=leader, source=SYSTEM, reason=" ")
    services.incident_escalate(
        incident_id=incident.pk, actor=leader, source=SYSTEM, reason="needs devs", level=4
    )
    with pytest.raises(DomainError):
        services.incident_escalate(incident_id=incident.pk, actor=leader, source=SYSTEM, reason="x")
    step = EscalationStep.objects.get(incident=incident, level=4)
    assert step.kind == "manual_up" and step.actor == leader and step.reason == "needs devs"


def test_deescalation_steps_down_and_tells_the_level_it_leaves(world):
    incident = report(world, priority="P1")
    leader = world.user("ops_leader")
    services.incident_escalate(
        incident_id=incident.pk, actor=leader, source=SYSTEM, reason="x", level=3
    )
    services.incident_deescalate(
        incident_id=incident.pk, actor=leader, source=SYSTEM, reason="calmer"
    )
    incident.refresh_from_db()
    assert incident.escalation_level == 2
    step = EscalationStep.objects.get(incident=incident, kind="manual_down")
    assert step.level == 2 and step.notified == ["ops_manager"] and step.reason == "calmer"


def test_oncall_cannot_deescalate(world):
    from django.core.exceptions import PermissionDenied

    incident = report(world, priority="P1")
    with pytest.raises(PermissionDenied):
        services.incident_deescalate(
            incident_id=incident.pk, actor=world.user("oncall"), source=SYSTEM, reason="x"
        )


def test_a_major_incident_tells_executives_at_once_and_only_once(world):
    incident = report(world, priority="P1", actor=world.user("oncall"), is_major=True)
    major = EscalationStep.objects.get(incident=incident, kind="major")
    assert major.level == 5 and major.notified == ["executive"]
    other = report(world, priority="P2")
    services.incident_declare_major(
        incident_id=other.pk, actor=world.user("oncall"), source=SYSTEM, reason="press calls"
    )
    assert EscalationStep.objects.filter(incident=other, kind="major").count() == 1
    from itsm.errors import Conflict

    with pytest.raises(Conflict):
        services.incident_declare_major(
            incident_id=other.pk, actor=world.user("oncall"), source=SYSTEM, reason="again"
        )


def test_a_requester_cannot_file_a_major_incident(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        report(world, priority="P1", is_major=True)


def test_the_policy_is_data_an_edited_wait_moves_the_step(world):
    EscalationLevel.objects.filter(number=2, major_only=False).update(wait=timedelta(minutes=5))
    with time_machine.travel(T0, tick=False):
        incident = report(world, priority="P1")
    sweep_at(5)
    assert [level for level, *_ in steps(incident)] == [1, 2]


def test_a_team_policy_wins_over_the_default(world):
    from incidents.models import EscalationPolicy

    policy = EscalationPolicy.objects.create(name="Platform fast")
    policy.teams.add(world.team)
    EscalationLevel.objects.create(
        policy=policy, number=1, target_type="person", person=world.user("ops_manager")
    )
    incident = report(world, priority="P1")
    assert incident.escalation_policy == policy
    assert steps(incident)[0][:2] == (1, "initial")
    assert EscalationStep.objects.get(incident=incident).notified == ["ops_manager"]
    assert not Timer.objects.filter(kind=ESCALATE_KIND, state="armed").exists()


def test_l1_pages_whoever_the_team_schedule_names_when_the_step_fires(world):
    from tests.itsm.factories import UserFactory
    from tests.oncall.factories import RotationFactory, ScheduleFactory

    bob, carol = UserFactory(username="bob"), UserFactory(username="carol")
    schedule = ScheduleFactory(team=world.team, level=1)
    # Weekly hand-off on Mondays 09:00 Seoul: bob from 2026-01-05, carol the week after, …
    RotationFactory(schedule=schedule, members=[bob, carol], start_date=dt.date(2026, 1, 5))
    with time_machine.travel(dt.datetime(2026, 1, 6, 10, 0, tzinfo=SEOUL), tick=False):
        incident = report(world, priority="P2")
    with time_machine.travel(dt.datetime(2026, 1, 13, 10, 0, tzinfo=SEOUL), tick=False):
        later = report(world, priority="P2")
    first = EscalationStep.objects.get(incident=incident, level=1)
    assert first.notified == ["bob"] and first.target == "On call (schedule level 1)"
    assert EscalationStep.objects.get(incident=later, level=1).notified == ["carol"]
