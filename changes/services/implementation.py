"""From approval to closure: schedule, pre-checks, backup, implement, verify, roll back,
review, close."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from itsm.audit import record_event
from itsm.business_time import add_business_days
from itsm.errors import Conflict, DomainError
from itsm.models import User
from itsm.timers.services import timer_arm, timer_cancel

from ..models import Change, ChecklistItem, Comment, Status, WorkLogEntry
from ..models.change import may_implement, may_verify
from ._base import (
    calendar_for,
    check_permission,
    check_state,
    guard,
    lock_change,
    notify,
    require_text,
    transit,
)
from .impact import check_freeze, check_lead_time, check_window, record_conflicts

REVIEW_OVERDUE = "changes.review_overdue"


def _assign_implementer(change: Change, implementer: User | None) -> None:
    """Segregation of duties the other way round: whoever decided cannot implement."""
    if implementer is None or implementer.pk == change.implementer_id:
        return
    if change.approvals.filter(approver=implementer).exists():
        raise DomainError(
            _("%(user)s decided on this change and so cannot implement it.")
            % {"user": implementer},
            field="implementer",
        )
    change.implementer = implementer


def _place(
    change: Change,
    verb: str,
    *,
    actor: User,
    source: str,
    planned_start: datetime | None,
    planned_end: datetime | None,
    implementer: User | None,
) -> Change:
    check_state(change, verb)
    check_permission(change, verb, actor)
    _assign_implementer(change, implementer)
    moved = False
    for name, value in (("planned_start", planned_start), ("planned_end", planned_end)):
        if value is not None and value != getattr(change, name):
            setattr(change, name, value)
            moved = True
    now = timezone.now()
    check_window(change, now=now)
    guard(change, verb, actor)
    policy = change.policy
    if moved and change.submitted_at:
        check_lead_time(change, policy, submitted_at=change.submitted_at)
    check_freeze(change, policy)
    conflicts = record_conflicts(change, now=now)
    window = [change.planned_start.isoformat(), change.planned_end.isoformat()]
    transit(change, verb, actor=actor, source=source, check=False, payload={"window": window})
    if conflicts:
        record_event(
            change,
            action="conflict_detected",
            actor=actor,
            source=source,
            before=change.status,
            message=", ".join(f"{other.reference} ({', '.join(s)})" for other, s in conflicts),
            payload={"changes": [other.pk for other, _s in conflicts]},
        )
        notify(change.pk, "conflict", actor)
    notify(change.pk, "scheduled", actor)
    return change


@transaction.atomic
def change_schedule(
    *,
    change_id: int,
    actor: User,
    source: str,
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    implementer: User | None = None,
) -> Change:
    """Put an approved change on the calendar: freeze periods refuse it (emergencies
    excepted), overlapping changes on the same services are recorded as conflicts."""
    change = lock_change(change_id)
    return _place(
        change, "schedule", actor=actor, source=source, planned_start=planned_start,
        planned_end=planned_end, implementer=implementer,
    )  # fmt: skip


@transaction.atomic
def change_reschedule(
    *,
    change_id: int,
    actor: User,
    source: str,
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    implementer: User | None = None,
) -> Change:
    """Move a scheduled window (or hand it to another implementer); same checks again."""
    change = lock_change(change_id)
    return _place(
        change, "reschedule", actor=actor, source=source, planned_start=planned_start,
        planned_end=planned_end, implementer=implementer,
    )  # fmt: skip


@transaction.atomic
def change_start(*, change_id: int, actor: User, source: str) -> Change:
    """Begin implementing, inside the planned window only."""
    change = lock_change(change_id)
    guard(change, "start", actor)
    now = timezone.now()
    if now < change.planned_start:
        raise DomainError(
            _("The planned window starts at %(start)s; reschedule to start earlier.")
            % {"start": formats.date_format(timezone.localtime(change.planned_start),
                                            "SHORT_DATETIME_FORMAT")}
        )  # fmt: skip
    if now >= change.planned_end:
        raise DomainError(_("The planned window is over; reschedule the change first."))
    transit(change, "start", actor=actor, source=source, check=False, at=now)
    return change


@transaction.atomic
def change_finish(*, change_id: int, actor: User, source: str, note: str = "") -> Change:
    change = lock_change(change_id)
    guard(change, "finish", actor)
    if note.strip():
        WorkLogEntry.objects.create(change=change, author=actor, text=note.strip())
    if not change.work_log.exists():
        raise DomainError(_("Write in the work log what was done before finishing."))
    transit(change, "finish", actor=actor, source=source, check=False, at=timezone.now())
    return change


def _review_due(change: Change, now: datetime) -> datetime:
    spec, _name = calendar_for(change)
    return add_business_days(spec, now, change.policy.review_due_business_days)


@transaction.atomic
def change_verify(*, change_id: int, actor: User, source: str, report: str = "") -> Change:
    """Verification passed: completed. Classes that need a post-implementation review (the
    emergency class by default) get a review due date, watched by a timer."""
    change = lock_change(change_id)
    guard(change, "verify", actor)
    now = timezone.now()
    due = _review_due(change, now) if change.policy.review_required else None
    transit(
        change, "verify", actor=actor, source=source, check=False, at=now,
        report=report.strip(), review_due_at=due,
    )  # fmt: skip
    if due is not None:
        timer_arm(subject=change, kind=REVIEW_OVERDUE, due_at=due)
    notify(change.pk, "completed", actor)
    return change


@transaction.atomic
def change_fail(*, change_id: int, actor: User, source: str, reason: str) -> Change:
    change = lock_change(change_id)
    guard(change, "fail", actor)
    reason = require_text(reason, "reason", _("Say which verification failed and how."))
    transit(change, "fail", actor=actor, source=source, check=False, message=reason, reason=reason)
    notify(change.pk, "failed", actor)
    return change


@transaction.atomic
def change_roll_back(*, change_id: int, actor: User, source: str, notes: str) -> Change:
    change = lock_change(change_id)
    guard(change, "roll_back", actor)
    notes = require_text(notes, "notes", _("Describe how the change was rolled back."))
    due = _review_due(change, timezone.now())
    transit(
        change, "roll_back", actor=actor, source=source, check=False, message=notes,
        notes=notes, review_due_at=due,
    )  # fmt: skip
    timer_arm(subject=change, kind=REVIEW_OVERDUE, due_at=due)
    notify(change.pk, "rolled_back", actor)
    return change


@transaction.atomic
def change_start_review(
    *, change_id: int, actor: User, source: str, cause_analysis: str = ""
) -> Change:
    change = lock_change(change_id)
    guard(change, "start_review", actor)
    if change.status == Status.ROLLED_BACK:
        require_text(
            cause_analysis, "cause_analysis", _("A rolled-back change needs a cause analysis.")
        )
    transit(
        change, "start_review", actor=actor, source=source, check=False,
        message=cause_analysis.strip(), cause_analysis=cause_analysis.strip(),
    )  # fmt: skip
    return change


@transaction.atomic
def change_close(*, change_id: int, actor: User, source: str, summary: str = "") -> Change:
    change = lock_change(change_id)
    guard(change, "close", actor)
    if change.status == Status.REVIEW:
        summary = require_text(summary, "summary", _("Summarise the review before closing."))
    transit(
        change, "close", actor=actor, source=source, check=False, message=summary.strip(),
        at=timezone.now(), summary=summary.strip(),
    )  # fmt: skip
    timer_cancel(subject=change)
    return change


# --- records that do not move the state -----------------------------------------------------

PRECHECK_STATES = {Status.APPROVED, Status.SCHEDULED}
VERIFICATION_STATES = {Status.VERIFYING}


@transaction.atomic
def change_check_item(
    *, change_id: int, item_id: int, actor: User, source: str, result: str, note: str = ""
) -> ChecklistItem:
    """Tick a pre-check (before implementation) or a verification check (after it)."""
    change = lock_change(change_id)
    item = ChecklistItem.objects.filter(change=change, pk=item_id).first()
    if item is None:
        raise DomainError(_("No such check on this change."), field="item")
    precheck = item.kind == ChecklistItem.Kind.PRECHECK
    if change.status not in (PRECHECK_STATES if precheck else VERIFICATION_STATES):
        raise Conflict(
            _("Pre-checks are ticked before implementation starts.")
            if precheck
            else _("Verification checks are ticked while the change is being verified.")
        )
    allowed = may_implement(change, actor) if precheck else may_verify(change, actor)
    if not allowed:
        raise PermissionDenied(_("Only the implementer may tick these checks."))
    if result not in ChecklistItem.Result.values:
        raise DomainError(_("Unknown result."), field="result")
    item.result = result
    item.note = note.strip()[:500]
    item.checked_by = actor if result else None
    item.checked_at = timezone.now() if result else None
    item.save()
    record_event(
        change, action="check", actor=actor, source=source, before=change.status,
        message=f"{item.display_label}: {item.get_result_display()}",
        payload={"item": item.pk, "code": item.code, "result": result},
    )  # fmt: skip
    return item


@transaction.atomic
def change_confirm_backup(*, change_id: int, actor: User, source: str, reference: str) -> Change:
    change = lock_change(change_id)
    if change.status not in PRECHECK_STATES:
        raise Conflict(_("The backup is confirmed before implementation starts."))
    if not may_implement(change, actor):
        raise PermissionDenied(_("Only the implementer may confirm the backup."))
    reference = require_text(reference, "reference", _("Say which backup was taken."))
    change.backup_confirmed_at = timezone.now()
    change.backup_confirmed_by = actor
    change.backup_reference = reference[:200]
    change.save()
    record_event(
        change, action="confirm_backup", actor=actor, source=source, before=change.status,
        message=reference,
    )  # fmt: skip
    return change


WORK_LOG_STATES = {Status.IMPLEMENTING, Status.VERIFYING, Status.FAILED, Status.ROLLED_BACK}


@transaction.atomic
def change_log_work(*, change_id: int, actor: User, source: str, text: str) -> WorkLogEntry:
    change = lock_change(change_id)
    if change.status not in WORK_LOG_STATES:
        raise Conflict(_("The work log is written during implementation."))
    if not (may_implement(change, actor) or may_verify(change, actor)):
        raise PermissionDenied(_("Only the implementer writes the work log."))
    text = require_text(text, "text", _("Write what was done."))
    return WorkLogEntry.objects.create(change=change, author=actor, text=text)


@transaction.atomic
def change_comment(*, change_id: int, actor: User, source: str, text: str) -> Comment:
    change = lock_change(change_id)
    text = require_text(text, "text", _("A comment cannot be empty."))
    return Comment.objects.create(change=change, author=actor, text=text)
