"""Filing a change: create, edit, submit, assess, route to approval, cancel."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.audit import record_event
from itsm.errors import Conflict, DomainError
from itsm.models import Service, Team, User
from itsm.timers.services import timer_arm, timer_cancel

from ..checklists import default_items
from ..models import Change, ChangeClass, ChecklistItem, StandardTemplate, Status
from ._base import (
    check_permission,
    check_state,
    guard,
    lock_change,
    notify,
    require_text,
    transit,
)
from .impact import check_lead_time, check_window, refresh_impact

REMINDER = "changes.approval_reminder"

EDITABLE_FIELDS = {
    "title", "description", "change_class", "owner_team", "implementer", "affected_users",
    "affected_users_note", "causes_downtime", "changes_data", "tested_beforehand",
    "rollback_tested", "first_of_its_kind", "execution_plan", "rollback_plan", "backup_plan",
    "planned_start", "planned_end",
}  # fmt: skip


def _default_team(actor: User, services: list[Service]) -> Team | None:
    if services:
        return services[0].owner_team
    return actor.teams.order_by("name").first()


@transaction.atomic
def change_create(
    *,
    actor: User,
    source: str,
    title: str,
    services: Iterable[Service] = (),
    change_class: str = ChangeClass.NORMAL,
    **fields,
) -> Change:
    """A new draft with the default checklists; the risk is computed at once."""
    if not actor.has_perm("changes.add_change"):
        raise PermissionDenied(_("You may not file changes."))
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    if change_class not in ChangeClass.values:
        raise DomainError(_("Unknown change class."), field="change_class")
    services = list(services)
    fields.setdefault("owner_team", _default_team(actor, services))
    change = Change(
        title=require_text(title, "title", _("A title is required.")),
        change_class=change_class,
        requester=actor,
        **fields,
    )
    change.save()
    change.services.set(services)
    ChecklistItem.objects.bulk_create(default_items(change))
    refresh_impact(change, now=timezone.now())
    change.save()
    record_event(change, action="create", actor=actor, source=source)
    return change


@transaction.atomic
def change_create_from_template(
    *,
    actor: User,
    source: str,
    template_id: int,
    planned_start: datetime | None,
    planned_end: datetime | None = None,
    services: Iterable[Service] | None = None,
    title: str = "",
    **fields,
) -> Change:
    """A standard change from an approved template starts approved (policy permitting)."""
    if planned_start is None:
        raise DomainError(_("Plan when the change starts."), field="planned_start")
    template = StandardTemplate.objects.select_for_update().filter(pk=template_id).first()
    if template is None:
        raise DomainError(_("No such template."), field="template")
    if template.status != StandardTemplate.Status.APPROVED:
        raise DomainError(_("Only an approved template can be used."), field="template")
    chosen = list(services) if services is not None else list(template.services.all())
    if not template.applies_to({s.pk for s in chosen}):
        raise DomainError(
            _("This template may only be used on its own services."), field="services"
        )
    if template.owner_team_id and "owner_team" not in fields:
        fields["owner_team"] = template.owner_team
    change = change_create(
        actor=actor,
        source=source,
        title=title or template.name,
        services=chosen,
        change_class=ChangeClass.STANDARD,
        execution_plan=template.execution_plan,
        rollback_plan=template.rollback_plan,
        backup_plan=template.backup_plan,
        planned_start=planned_start,
        planned_end=planned_end or planned_start + template.default_duration,
        description=fields.pop("description", "") or template.description,
        **fields,
    )
    change.template = template
    now = timezone.now()
    refresh_impact(change, now=now)
    change.save()
    if change.policy.auto_approve_from_template:
        check_window(change, now=now)
        transit(
            change, "approve_from_template", actor=actor, source=source, at=now,
            payload={"template": template.pk, "version": template.version},
        )  # fmt: skip
    return change


@transaction.atomic
def change_update(*, change_id: int, actor: User, source: str, services=None, **fields) -> Change:
    """Edit a draft. After submission the window moves only by rescheduling."""
    change = lock_change(change_id)
    if change.status != Status.DRAFT:
        raise Conflict(_("Only a draft can be edited."))
    if not (actor.pk == change.requester_id or actor.has_perm("changes.manage_change")):
        raise PermissionDenied(_("Only the requester may edit this change."))
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    if "title" in fields:
        require_text(fields["title"], "title", _("A title is required."))
    if fields.get("change_class", change.change_class) not in ChangeClass.values:
        raise DomainError(_("Unknown change class."), field="change_class")
    changed = sorted(k for k, v in fields.items() if getattr(change, k) != v)
    for name, value in fields.items():
        setattr(change, name, value)
    if services is not None:
        services = list(services)
        if {s.pk for s in services} != change.service_ids:
            changed.append("services")
        change.services.set(services)
    change.forget_policy()
    refresh_impact(change, now=timezone.now())
    change.save()
    if changed:
        record_event(
            change, action="update", actor=actor, source=source, before=change.status,
            payload={"fields": changed},
        )  # fmt: skip
    return change


@transaction.atomic
def change_delete(*, change_id: int, actor: User, source: str) -> None:
    change = lock_change(change_id)
    if change.status != Status.DRAFT:
        raise Conflict(_("Only a draft can be deleted; cancel the change instead."))
    if not (actor.pk == change.requester_id or actor.has_perm("changes.manage_change")):
        raise PermissionDenied(_("Only the requester may delete this change."))
    record_event(change, action="delete", actor=actor, source=source, before=change.status)
    change.delete()


def enter_approval(change: Change, *, now: datetime) -> None:
    """The change now waits for its approvers: remind them if it waits too long."""
    minutes = change.policy.approval_reminder_minutes
    timer_arm(subject=change, kind=REMINDER, due_at=now + timedelta(minutes=minutes))
    notify(change.pk, "awaiting_approval")


@transaction.atomic
def change_submit(*, change_id: int, actor: User, source: str) -> Change:
    change = lock_change(change_id)
    check_state(change, "submit")
    check_permission(change, "submit", actor)
    now = timezone.now()
    check_window(change, now=now)
    refresh_impact(change, now=now)
    guard(change, "submit", actor)
    check_lead_time(change, change.policy, submitted_at=now)
    transit(change, "submit", actor=actor, source=source, check=False, at=now)
    if change.status == Status.AWAITING_APPROVAL:
        enter_approval(change, now=now)
    return change


@transaction.atomic
def change_assess(
    *, change_id: int, actor: User, source: str, change_class: str | None = None, note: str = ""
) -> Change:
    """Confirm the impact analysis; the assessor may move the change to another class."""
    change = lock_change(change_id)
    check_state(change, "assess")
    check_permission(change, "assess", actor)
    before_class = change.change_class
    if change_class and change_class != before_class:
        if change_class not in ChangeClass.values:
            raise DomainError(_("Unknown change class."), field="change_class")
        change.change_class = change_class
        change.forget_policy()
    now = timezone.now()
    refresh_impact(change, now=now)
    guard(change, "assess", actor)
    if change.change_class != before_class:
        check_lead_time(change, change.policy, submitted_at=change.submitted_at or now)
    payload = {"risk": change.risk_level, "score": change.risk_score}
    if change.change_class != before_class:
        payload["class"] = [before_class, change.change_class]
    transit(
        change, "assess", actor=actor, source=source, check=False, at=now, message=note,
        payload=payload,
    )  # fmt: skip
    return change


@transaction.atomic
def change_request_approval(*, change_id: int, actor: User, source: str) -> Change:
    change = lock_change(change_id)
    transit(change, "request_approval", actor=actor, source=source)
    enter_approval(change, now=timezone.now())
    return change


@transaction.atomic
def change_cancel(*, change_id: int, actor: User, source: str, reason: str) -> Change:
    change = lock_change(change_id)
    check_state(change, "cancel")
    check_permission(change, "cancel", actor)
    reason = require_text(reason, "reason", _("Say why the change is cancelled."))
    transit(change, "cancel", actor=actor, source=source, message=reason, reason=reason)
    timer_cancel(subject=change)
    notify(change.pk, "cancelled", actor)
    return change
