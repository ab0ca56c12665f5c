"""SLA clocks per priority, on a 24×7 and a business-hours service, across Chuseok 2026.

Detected Wednesday 2026-09-23 17:00 KST. Thursday 24 to Saturday 26 are Chuseok holidays;
the next working day is Monday 28; Saturday 3 and Monday 5 October (alternative holiday)
and Friday 9 October (Hangul Day) are closed too. Working hours 09:00-18:00.
"""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from incidents import services
from incidents.models import Notification
from itsm.models import AuditEvent
from itsm.timers import services as timers
from itsm.timers.clocks import clocks_for

from .factories import SYSTEM, report

pytestmark = pytest.mark.django_db
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
DETECTED = dt.datetime(2026, 9, 23, 17, 0, tzinfo=SEOUL)


def kst(month, day, hour, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SEOUL)


EXPECTED = {
    # priority: (24×7 response, 24×7 resolution, business response, business resolution)
    "P1": (kst(9, 23, 17, 15), kst(9, 23, 21), kst(9, 23, 17, 15), kst(9, 28, 12)),
    "P2": (kst(9, 23, 17, 30), kst(9, 24, 1), kst(9, 23, 17, 30), kst(9, 28, 16)),
    "P3": (kst(9, 23, 19), kst(9, 30, 17), kst(9, 28, 10), kst(9, 30, 17)),
    "P4": (kst(9, 28, 17), kst(10, 13, 17), kst(9, 28, 17), kst(10, 13, 17)),
}


def deadlines(incident):
    clocks = {clock.name: clock for clock in clocks_for(incident)}
    return clocks["response"].deadline_at, clocks["resolution"].deadline_at


@pytest.mark.parametrize("priority", ["P1", "P2", "P3", "P4"])
def test_deadlines_per_priority_on_24x7_and_business_hours_across_chuseok(world, priority):
    with time_machine.travel(DETECTED, tick=False):
        always = report(world, priority=priority, service=world.always)
        office = report(world, priority=priority, service=world.office)
    want = EXPECTED[priority]
    assert deadlines(always) == (want[0], want[1])
    assert deadlines(office) == (want[2], want[3])
    clock = clocks_for(office)[0]
    assert clock.mode == "business" and clock.calendar == world.calendar
    assert clocks_for(always)[0].mode == "calendar"
    assert always.next_due_at == want[0] and office.next_due_at == want[2]


def test_acknowledging_stops_the_response_clock_and_recovery_the_resolution_clock(world):
    with time_machine.travel(DETECTED, tick=False):
        incident = report(world, priority="P1")
    oncall = world.user("oncall")
    with time_machine.travel(kst(9, 23, 17, 10), tick=False):
        services.incident_acknowledge(incident_id=incident.pk, actor=oncall, source=SYSTEM)
    response, resolution = clocks_for(incident)
    assert response.name == "response" and response.is_stopped and not response.is_breached
    assert response.elapsed() == dt.timedelta(minutes=10)
    incident.refresh_from_db()
    assert incident.response_due_at is None and incident.next_due_at == kst(9, 23, 21)
    with time_machine.travel(kst(9, 23, 18), tick=False):
        services.incident_recover(
            incident_id=incident.pk, actor=oncall, source=SYSTEM, summary="ok"
        )
    resolution.refresh_from_db()
    assert resolution.is_stopped and resolution.elapsed() == dt.timedelta(hours=1)
    incident.refresh_from_db()
    assert incident.next_due_at is None


def test_waiting_on_the_reporter_pauses_the_resolution_clock(world):
    with time_machine.travel(DETECTED, tick=False):
        incident = report(world, priority="P1")
    oncall = world.user("oncall")
    with time_machine.travel(kst(9, 23, 17, 5), tick=False):
        services.incident_acknowledge(incident_id=incident.pk, actor=oncall, source=SYSTEM)
        services.incident_wait(incident_id=incident.pk, actor=oncall, source=SYSTEM, question="?")
    incident.refresh_from_db()
    assert incident.resolution_due_at is None and incident.next_due_at is None
    assert clocks_for(incident)[1].is_paused
    with time_machine.travel(kst(9, 23, 19, 5), tick=False):  # two hours later
        services.incident_resume(
            incident_id=incident.pk, actor=world.user("reporter"), source=SYSTEM, answer="Chrome"
        )
    incident.refresh_from_db()
    assert incident.resolution_due_at == kst(9, 23, 23)  # 4 h target + 2 h paused


def test_a_priority_change_retargets_from_the_original_start(world):
    with time_machine.travel(DETECTED, tick=False):
        incident = report(world, priority="P3")
    with time_machine.travel(kst(9, 23, 17, 20), tick=False):
        services.incident_override_priority(
            incident_id=incident.pk,
            actor=world.user("ops_leader"),
            source=SYSTEM,
            priority="P1",
            reason="The CEO's team is affected",
        )
    assert deadlines(incident) == (kst(9, 23, 17, 15), kst(9, 23, 21))
    # Past the new response target already: the breach is recorded at once, at 17:15.
    response = clocks_for(incident)[0]
    assert response.breached_at == kst(9, 23, 17, 15)
    incident.refresh_from_db()
    assert incident.priority == "P1" and incident.matrix_priority == "P3"
    assert incident.priority_override_reason == "The CEO's team is affected"


def test_warning_at_75_percent_and_breach_once_with_notifications(world):
    with time_machine.travel(DETECTED, tick=False):
        incident = report(world, priority="P1")
    for minutes in (11, 11.25, 12, 15, 16, 30):
        with time_machine.travel(DETECTED + dt.timedelta(minutes=minutes), tick=False):
            timers.sweep()
    events = AuditEvent.objects.for_object(incident)
    assert events.filter(action="sla warning", payload__clock="response").count() == 1
    assert events.filter(action="sla breached", payload__clock="response").count() == 1
    response = clocks_for(incident)[0]
    assert response.warned_at == DETECTED + dt.timedelta(minutes=11.25)
    assert response.breached_at == DETECTED + dt.timedelta(minutes=15)
    breach_to = set(
        Notification.objects.filter(incident=incident, kind="breach").values_list(
            "recipient__username", flat=True
        )
    )
    assert breach_to == {"oncall", "ops_leader"}
    assert Notification.objects.filter(incident=incident, kind="warning").count() == 1


def test_a_reopened_incident_runs_its_resolution_clock_on_but_not_the_response_clock(world):
    with time_machine.travel(DETECTED, tick=False):
        incident = report(world, priority="P2")
    oncall = world.user("oncall")
    with time_machine.travel(kst(9, 23, 17, 10), tick=False):
        services.incident_acknowledge(incident_id=incident.pk, actor=oncall, source=SYSTEM)
        services.incident_recover(incident_id=incident.pk, actor=oncall, source=SYSTEM, summary="x")
    with time_machine.travel(kst(9, 23, 18, 10), tick=False):
        services.incident_reopen(
            incident_id=incident.pk, actor=oncall, source=SYSTEM, reason="again"
        )
    response, resolution = clocks_for(incident)
    assert response.is_stopped and resolution.is_running
    # 10 minutes counted before the recovery, the hour while recovered excluded.
    assert resolution.deadline_at == kst(9, 23, 18, 10) + dt.timedelta(hours=8, minutes=-10)


def test_a_deleted_policy_falls_back_to_the_domain_defaults(world):
    from incidents.models import PriorityPolicy

    PriorityPolicy.objects.filter(priority="P1").delete()
    with time_machine.travel(DETECTED, tick=False):
        incident = report(world, priority="P1")
    assert deadlines(incident) == EXPECTED["P1"][:2]


def test_an_edited_policy_changes_new_clocks(world):
    from incidents.models import PriorityPolicy

    PriorityPolicy.objects.filter(priority="P1").update(response_amount=5)
    with time_machine.travel(DETECTED, tick=False):
        incident = report(world, priority="P1")
    assert deadlines(incident)[0] == kst(9, 23, 17, 5)


def test_each_recipient_reads_the_sla_notifications_in_their_language_and_zone(world):
    """A timer causes the message; every person gets it in their own language and zone."""
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username="oncall").update(language="ja", time_zone="Asia/Tokyo")
    get_user_model().objects.filter(username="ops_leader").update(language="ko", time_zone="UTC")
    with time_machine.travel(DETECTED, tick=False):
        incident = report(world, priority="P1")
    for minutes in (12, 16):
        with time_machine.travel(DETECTED + dt.timedelta(minutes=minutes), tick=False):
            timers.sweep()
    notes = Notification.objects.filter(incident=incident)
    breach = dict(notes.filter(kind="breach").values_list("recipient__username", "subject"))
    assert breach["oncall"] == f"{incident.reference} が応答目標に違反しました"
    assert breach["ops_leader"] == f"{incident.reference}이(가) 응답 목표를 위반했습니다"
    warning = notes.get(kind="warning", recipient__username="oncall").subject
    assert "17:15 JST" in warning  # the response deadline, 17:15 in Seoul and Tokyo alike
    # The audit trail keeps the portal's language, whatever the readers speak.
    assert AuditEvent.objects.for_object(incident).get(action="sla breached").message == (
        "The response target was missed."
    )
