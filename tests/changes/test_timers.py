"""Approval reminders and overdue post-implementation reviews: each fact recorded once."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from changes import services as svc
from changes.models import Change, Status
from changes.timer_handlers import approval_reminder, review_overdue
from itsm.models import AuditEvent
from itsm.timers import services as timers
from itsm.timers.models import Timer
from tests.changes.factories import ChangeFactory, change_in_state

pytestmark = pytest.mark.django_db


def count(change, action):
    return AuditEvent.objects.for_object(change).filter(action=action).count()


def awaiting(people):
    change = ChangeFactory(requester=people.requester, change_class="emergency",
                           planned_start=timezone.now() + timedelta(hours=1))  # fmt: skip
    return svc.change_submit(change_id=change.pk, actor=people.requester, source="web")


def test_a_waiting_change_reminds_its_approvers_once_per_interval(people):
    change = awaiting(people)
    timer = Timer.objects.get(kind="changes.approval_reminder", state="armed")
    with time_machine.travel(timer.due_at + timedelta(seconds=1), tick=False):
        assert timers.sweep().fired == 1
        assert timers.sweep().fired == 0
    assert count(change, "approval_reminder") == 1
    following = Timer.objects.get(kind="changes.approval_reminder", state="armed")
    assert following.due_at - timer.due_at == timedelta(minutes=15, seconds=1)


def test_the_reminder_handler_run_twice_records_one_reminder(people):
    change = awaiting(people)
    timer = Timer.objects.get(kind="changes.approval_reminder", state="armed")
    now = timer.due_at + timedelta(seconds=5)
    approval_reminder(timer, now=now)
    approval_reminder(timer, now=now)
    assert count(change, "approval_reminder") == 1
    assert Timer.objects.filter(kind="changes.approval_reminder", state="armed").count() == 1


def test_a_stale_reminder_token_does_nothing(people):
    change = awaiting(people)
    timer = Timer.objects.get(kind="changes.approval_reminder", state="armed")
    old_token = str(timer.token)
    timers.timer_arm(subject=change, kind="changes.approval_reminder",
                     due_at=timer.due_at + timedelta(hours=1))  # fmt: skip
    with time_machine.travel(timer.due_at + timedelta(seconds=1), tick=False):
        assert timers.timer_fire_one(timer_id=timer.pk, token=old_token) is False
    assert count(change, "approval_reminder") == 0


def test_no_reminder_once_decided(people):
    change = awaiting(people)
    timer = Timer.objects.get(kind="changes.approval_reminder", state="armed")
    svc.change_approve(change_id=change.pk, actor=people.manager, source="web")
    approval_reminder(timer, now=timer.due_at + timedelta(seconds=1))
    assert count(change, "approval_reminder") == 0


def test_reminders_are_mailed_to_the_approvers(people, django_capture_on_commit_callbacks):
    people.manager.email = "boss@example.com"
    people.manager.save()
    change = awaiting(people)
    timer = Timer.objects.get(kind="changes.approval_reminder", state="armed")
    with django_capture_on_commit_callbacks(execute=True):
        svc.change_remind_approvers(change_id=change.pk, due_at=timer.due_at,
                                    now=timer.due_at)  # fmt: skip
    to = sorted(m.to[0] for m in mail.outbox)
    assert "boss@example.com" in to and "Reminder" in mail.outbox[0].subject
    assert people.requester.email not in to


def test_a_missed_review_is_recorded_overdue_once(people):
    change = change_in_state("verifying", requester=people.requester, change_class="emergency")
    change = svc.change_verify(change_id=change.pk, actor=people.manager, source="web")
    timer = Timer.objects.get(kind="changes.review_overdue", state="armed")
    assert timer.due_at == change.review_due_at
    with time_machine.travel(change.review_due_at - timedelta(minutes=1), tick=False):
        assert timers.sweep().fired == 0
        assert not Change.objects.get(pk=change.pk).review_overdue
    with time_machine.travel(change.review_due_at + timedelta(minutes=1), tick=False):
        assert timers.sweep().fired == 1
        review_overdue(timer, now=timezone.now())  # a duplicate delivery
        assert Change.objects.get(pk=change.pk).review_overdue
        assert Change.objects.review_overdue().filter(pk=change.pk).exists()
    assert count(change, "review_overdue") == 1
    assert Change.objects.get(pk=change.pk).review_overdue_at is not None


def test_a_review_done_in_time_is_never_overdue(people):
    change = change_in_state("verifying", requester=people.requester, change_class="emergency")
    change = svc.change_verify(change_id=change.pk, actor=people.manager, source="web")
    svc.change_start_review(change_id=change.pk, actor=people.manager, source="web")
    svc.change_close(change_id=change.pk, actor=people.manager, source="web", summary="ok")
    with time_machine.travel(change.review_due_at + timedelta(days=1), tick=False):
        timers.sweep()
        assert svc.change_mark_review_overdue(change_id=change.pk, now=timezone.now()) is False
    assert count(change, "review_overdue") == 0
    assert Change.objects.get(pk=change.pk).status == Status.CLOSED
