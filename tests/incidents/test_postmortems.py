"""Postmortems: the close rule, review flow, computed facts, action items and reminders."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from incidents import services
from incidents.models import ActionItem, Notification, Postmortem, Status
from incidents.selectors import impact_facts, postmortem_timeline
from itsm.errors import Conflict, DomainError
from itsm.timers import services as timers

from .factories import SYSTEM, drive, publish_postmortem, report

pytestmark = pytest.mark.django_db
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


def close(world, incident):
    return services.incident_close(
        incident_id=incident.pk, actor=world.user("ops_leader"), source=SYSTEM
    )


@pytest.mark.parametrize("priority", ["P1", "P2"])
def test_p1_and_p2_cannot_close_without_a_published_postmortem(world, priority):
    incident = drive(world, report(world, priority=priority), Status.VERIFIED)
    postmortem = Postmortem.objects.get(incident=incident)  # opened at recovery
    assert postmortem.status == Postmortem.Status.DRAFT
    with pytest.raises(DomainError) as error:
        close(world, incident)
    assert error.value.code == "condition_failed"
    assert "postmortem" in str(error.value.message)
    publish_postmortem(world, incident)
    assert close(world, incident).status == Status.CLOSED


def test_a_postmortem_in_review_is_not_enough(world):
    incident = drive(world, report(world, priority="P1"), Status.VERIFIED)
    postmortem = Postmortem.objects.get(incident=incident)
    services.postmortem_update(
        postmortem_id=postmortem.pk, actor=world.user("oncall"), source=SYSTEM,
        summary="s", five_whys=["w"], resolution="r", prevention="p",
    )  # fmt: skip
    services.postmortem_submit(
        postmortem_id=postmortem.pk, actor=world.user("oncall"), source=SYSTEM
    )
    with pytest.raises(DomainError):
        close(world, incident)


def test_p3_closes_without_one_unless_a_manager_asked(world):
    plain = drive(world, report(world, priority="P3"), Status.VERIFIED)
    assert close(world, plain).status == Status.CLOSED
    asked = drive(world, report(world, priority="P3"), Status.VERIFIED)
    services.incident_request_postmortem(
        incident_id=asked.pk, actor=world.user("manager"), source=SYSTEM, reason="repeat issue"
    )
    with pytest.raises(DomainError):
        close(world, asked)
    publish_postmortem(world, asked)
    assert close(world, asked).status == Status.CLOSED


def test_only_managers_and_leads_request_postmortems(world):
    incident = report(world, priority="P3")
    with pytest.raises(PermissionDenied):
        services.incident_request_postmortem(
            incident_id=incident.pk, actor=world.user("oncall"), source=SYSTEM
        )


def test_review_flow_needs_every_section_and_a_reviewer(world):
    incident = drive(world, report(world, priority="P1"), Status.RECOVERED)
    postmortem = Postmortem.objects.get(incident=incident)
    oncall, manager = world.user("oncall"), world.user("ops_manager")
    with pytest.raises(DomainError):
        services.postmortem_submit(postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM)
    services.postmortem_update(
        postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM, summary="s",
        five_whys=["a", "b", "", "c"], resolution="r", prevention="p",
    )  # fmt: skip
    postmortem.refresh_from_db()
    assert postmortem.five_whys == ["a", "b", "c"]
    services.postmortem_submit(postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM)
    with pytest.raises(Conflict):
        services.postmortem_update(
            postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM, summary="x"
        )
    with pytest.raises(PermissionDenied):
        services.postmortem_publish(postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM)
    services.postmortem_request_changes(
        postmortem_id=postmortem.pk, actor=manager, source=SYSTEM, comment="more"
    )
    postmortem.refresh_from_db()
    assert postmortem.status == "draft" and postmortem.review_comment == "more"
    services.postmortem_submit(postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM)
    services.postmortem_publish(postmortem_id=postmortem.pk, actor=manager, source=SYSTEM)
    postmortem.refresh_from_db()
    assert postmortem.status == "published" and postmortem.published_by == manager
    with pytest.raises(Conflict):
        services.postmortem_add_entry(
            postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM,
            at=postmortem.created_at, text="late",
        )  # fmt: skip


def test_more_than_five_whys_is_refused(world):
    incident = report(world, priority="P4")
    postmortem = services.postmortem_start(
        incident_id=incident.pk, actor=world.user("oncall"), source=SYSTEM
    )
    with pytest.raises(DomainError):
        services.postmortem_update(
            postmortem_id=postmortem.pk,
            actor=world.user("oncall"),
            source=SYSTEM,
            five_whys=list("abcdef"),
        )


def test_timeline_and_impact_come_from_the_incident_plus_manual_entries(world):
    t0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=SEOUL)
    with time_machine.travel(t0, tick=False):
        incident = report(world, priority="P1")
    oncall = world.user("oncall")
    with time_machine.travel(t0 + dt.timedelta(minutes=7), tick=False):
        services.incident_acknowledge(incident_id=incident.pk, actor=oncall, source=SYSTEM)
    with time_machine.travel(t0 + dt.timedelta(minutes=50), tick=False):
        services.incident_recover(
            incident_id=incident.pk, actor=oncall, source=SYSTEM, summary="rolled back"
        )
        services.incident_update(
            incident_id=incident.pk, actor=oncall, source=SYSTEM,
            impact_started_at=t0 - dt.timedelta(minutes=10),
        )  # fmt: skip
        postmortem = Postmortem.objects.get(incident=incident)
        services.postmortem_add_entry(
            postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM,
            at=t0 - dt.timedelta(minutes=10), text="Deploy 1.4.2 started",
        )  # fmt: skip
    rows = postmortem_timeline(postmortem)
    assert [(row.at - t0, row.text.split(":")[0]) for row in rows] == [
        (dt.timedelta(minutes=-10), "Deploy 1.4.2 started"),
        (dt.timedelta(minutes=-10), "Impact started"),
        (dt.timedelta(0), "Detected"),
        (dt.timedelta(0), "Reported"),
        (dt.timedelta(minutes=7), "Acknowledged"),
        (dt.timedelta(minutes=50), "Recovered"),
    ]
    assert rows[0].manual and not rows[1].manual
    incident.refresh_from_db()
    facts = impact_facts(incident)
    assert facts.time_to_detect == dt.timedelta(minutes=10)
    assert facts.time_to_acknowledge == dt.timedelta(minutes=7)
    assert facts.time_to_recover == dt.timedelta(minutes=50)
    assert facts.duration == dt.timedelta(minutes=60) and not facts.ongoing
    assert [s.slug for s in facts.services] == ["payments-api"]


def test_sla_events_sit_on_the_timeline_when_the_clock_crossed(world):
    t0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=SEOUL)
    with time_machine.travel(t0, tick=False):
        incident = report(world, priority="P1")
    with time_machine.travel(t0 + dt.timedelta(hours=2), tick=False):
        timers.sweep()  # noticed late: the breach happened at minute 15
        postmortem = services.postmortem_start(
            incident_id=incident.pk, actor=world.user("oncall"), source=SYSTEM
        )
    rows = {row.text.split(":")[0]: row.at - t0 for row in postmortem_timeline(postmortem)}
    assert rows["SLA warning"] == dt.timedelta(minutes=11.25)
    assert rows["SLA breached"] == dt.timedelta(minutes=15)


def test_overdue_action_items_are_reminded_daily_until_done(world):
    incident = report(world, priority="P4")
    oncall = world.user("oncall")
    postmortem = services.postmortem_start(incident_id=incident.pk, actor=oncall, source=SYSTEM)
    with time_machine.travel(dt.datetime(2026, 4, 1, 10, 0, tzinfo=SEOUL), tick=False):
        item = services.action_item_add(
            postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM, title="Add disk alert",
            owner=world.user("developer"), team=world.team, due_date=dt.date(2026, 4, 3),
        )  # fmt: skip
    for day, hour in ((3, 23), (4, 9), (4, 12), (5, 9)):
        with time_machine.travel(dt.datetime(2026, 4, day, hour, 0, tzinfo=SEOUL), tick=False):
            timers.sweep()
    item.refresh_from_db()
    assert item.reminders_sent == 2
    reminders = Notification.objects.filter(
        kind=Notification.Kind.ACTION_ITEM, recipient__username="developer"
    )
    assert reminders.count() == 2
    services.action_item_complete(
        item_id=item.pk, actor=world.user("developer"), source=SYSTEM, note="done"
    )
    with time_machine.travel(dt.datetime(2026, 4, 9, 9, 0, tzinfo=SEOUL), tick=False):
        timers.sweep()
    item.refresh_from_db()
    assert item.status == ActionItem.Status.DONE and item.reminders_sent == 2


def test_moving_the_due_date_moves_the_reminder(world):
    incident = report(world, priority="P4")
    oncall = world.user("oncall")
    postmortem = services.postmortem_start(incident_id=incident.pk, actor=oncall, source=SYSTEM)
    with time_machine.travel(dt.datetime(2026, 4, 1, 10, 0, tzinfo=SEOUL), tick=False):
        item = services.action_item_add(
            postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM, title="t",
            owner=oncall, team=world.team, due_date=dt.date(2026, 4, 3),
        )  # fmt: skip
        services.action_item_update(
            item_id=item.pk, actor=oncall, source=SYSTEM, due_date=dt.date(2026, 4, 10)
        )
    with time_machine.travel(dt.datetime(2026, 4, 4, 9, 0, tzinfo=SEOUL), tick=False):
        timers.sweep()
    item.refresh_from_db()
    assert item.reminders_sent == 0


def test_only_the_owner_or_a_responder_finishes_an_item(world):
    incident = report(world, priority="P4")
    oncall = world.user("oncall")
    postmortem = services.postmortem_start(incident_id=incident.pk, actor=oncall, source=SYSTEM)
    item = services.action_item_add(
        postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM, title="t",
        owner=oncall, team=world.team, due_date=dt.date(2030, 1, 1),
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.action_item_complete(item_id=item.pk, actor=world.user("requester"), source=SYSTEM)
    services.action_item_complete(item_id=item.pk, actor=oncall, source=SYSTEM)
    with pytest.raises(Conflict):
        services.action_item_complete(item_id=item.pk, actor=oncall, source=SYSTEM)


def test_the_reminder_handler_run_twice_reminds_once(world):
    from incidents.services.postmortems import REMINDER_KIND, action_item_remind
    from itsm.timers.models import Timer

    incident = report(world, priority="P4")
    oncall = world.user("oncall")
    postmortem = services.postmortem_start(incident_id=incident.pk, actor=oncall, source=SYSTEM)
    item = services.action_item_add(
        postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM, title="t",
        owner=oncall, team=world.team, due_date=dt.date(2026, 4, 3),
    )  # fmt: skip
    timer = Timer.objects.get(kind=REMINDER_KIND, state="armed")
    later = timer.due_at + dt.timedelta(minutes=1)
    assert action_item_remind(timer, now=later) is True
    assert action_item_remind(timer, now=later) is False
    item.refresh_from_db()
    assert item.reminders_sent == 1
