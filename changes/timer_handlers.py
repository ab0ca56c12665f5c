"""Timer kinds of the changes app (found by itsm.timers' autodiscovery)."""

from itsm.timers.registry import timer_handler

from .services.implementation import REVIEW_OVERDUE
from .services.lifecycle import REMINDER
from .services.timers import change_mark_review_overdue, change_remind_approvers


@timer_handler(REMINDER)
def approval_reminder(timer, *, now):
    change_remind_approvers(change_id=int(timer.object_id), due_at=timer.due_at, now=now)


@timer_handler(REVIEW_OVERDUE)
def review_overdue(timer, *, now):
    change_mark_review_overdue(change_id=int(timer.object_id), now=now)
