"""The escalation contract: a step that fires pages whoever is on call when it fires.

An escalation step is a timer; its handler calls oncall.selectors.on_call at the firing
instant. Hand-offs and overrides made between arming and firing must count.
"""

import datetime as dt

import pytest
import time_machine

from itsm.audit import Source, record_event
from itsm.models import AuditEvent
from itsm.timers import services as timers
from itsm.timers.registry import timer_handler
from oncall import selectors, services
from oncall.engine import zone

pytestmark = pytest.mark.django_db
SEOUL = zone("Asia/Seoul")


@timer_handler("tests.oncall.page_l1")
def page_l1(timer, *, now):
    person = selectors.on_call_for_level(team=timer.subject, level=1, at=now)
    record_event(
        timer.subject,
        action="paged",
        source="timer",
        payload={"user": person.username if person else None},
    )


def paged(team) -> list:
    return [e.payload["user"] for e in AuditEvent.objects.for_object(team).filter(action="paged")]


def test_the_step_pages_the_person_on_call_at_fire_time_not_at_arm_time(schedule, members):
    team = schedule.team
    armed_at = dt.datetime(2026, 3, 3, 8, 50, tzinfo=SEOUL)  # bob's shift, hand-off at 09:00
    with time_machine.travel(armed_at, tick=False):
        assert selectors.on_call(team=team).username == "bob"
        timers.timer_arm(
            subject=team, kind="tests.oncall.page_l1", due_at=armed_at + dt.timedelta(minutes=15)
        )
    with time_machine.travel(armed_at + dt.timedelta(minutes=16), tick=False):
        assert timers.sweep().fired == 1
    assert paged(team) == ["carol"]


def test_an_override_made_after_arming_is_paged(schedule, members, make_user):
    team = schedule.team
    dave = make_user(username="dave")
    armed_at = dt.datetime(2026, 3, 2, 12, tzinfo=SEOUL)
    with time_machine.travel(armed_at, tick=False):
        timers.timer_arm(
            subject=team, kind="tests.oncall.page_l1", due_at=armed_at + dt.timedelta(minutes=15)
        )
    with time_machine.travel(armed_at + dt.timedelta(minutes=5), tick=False):
        services.take_over(
            team=team, user=dave, start=None, end=None, actor=None, source=Source.SYSTEM
        )
    with time_machine.travel(armed_at + dt.timedelta(minutes=16), tick=False):
        timers.sweep()
    assert paged(team) == ["dave"]


def test_a_gap_at_fire_time_pages_nobody_and_says_so(team, members):
    timer_at = dt.datetime(2026, 3, 2, 12, tzinfo=SEOUL)
    with time_machine.travel(timer_at, tick=False):
        timers.timer_arm(subject=team, kind="tests.oncall.page_l1", due_at=timer_at)
        timers.sweep()
    assert paged(team) == [None]
