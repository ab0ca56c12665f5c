"""What the change timers do when they fire; the handlers in changes/timer_handlers.py are thin.

Both are idempotent: the fact is recorded on the change first, so a second run (a duplicate
delivery, a re-sweep) finds it and does nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from itsm.audit import record_event
from itsm.models import AuditEvent
from itsm.timers.services import timer_arm

from ..models import Change, Status
from ._base import notify
from .lifecycle import REMINDER

TIMER = AuditEvent.Source.TIMER


@transaction.atomic
def change_remind_approvers(*, change_id: int, due_at: datetime, now: datetime) -> bool:
    """Remind the approvers of a change that still waits; then wait another interval."""
    change = Change.objects.select_for_update().filter(pk=change_id).first()
    if change is None or change.status != Status.AWAITING_APPROVAL:
        return False
    if change.approval_reminded_at and change.approval_reminded_at >= due_at:
        return False  # this reminder was already sent
    change.approval_reminded_at = now
    change.save(update_fields=["approval_reminded_at"])
    record_event(change, action="approval_reminder", source=TIMER, before=change.status)
    notify(change.pk, "reminder")
    minutes = change.policy.approval_reminder_minutes
    timer_arm(subject=change, kind=REMINDER, due_at=now + timedelta(minutes=minutes))
    return True


@transaction.atomic
def change_mark_review_overdue(*, change_id: int, now: datetime) -> bool:
    """Record once that the post-implementation review was not done in time."""
    change = Change.objects.select_for_update().filter(pk=change_id).first()
    if (
        change is None
        or change.status in {Status.CLOSED, Status.CANCELLED}
        or change.reviewed_at is not None
        or change.review_overdue_at is not None
        or change.review_due_at is None
        or change.review_due_at > now
    ):
        return False
    change.review_overdue_at = now
    change.save(update_fields=["review_overdue_at"])
    record_event(
        change, action="review_overdue", source=TIMER, before=change.status,
        payload={"due_at": change.review_due_at.isoformat()},
    )  # fmt: skip
    notify(change.pk, "review_overdue")
    return True
