"""Maintenance windows, freeze periods and class policies: calendar and policy data, written
here so that edits are permission-checked and audited like everything else."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from itsm.audit import record_event
from itsm.models import Service, User

from ..models import ChangeClassPolicy, FreezePeriod, MaintenanceWindow

ENTRY_MODELS = {"freeze": FreezePeriod, "window": MaintenanceWindow}


def _locked(model, pk: int):
    try:
        return model.objects.select_for_update().get(pk=pk)
    except model.DoesNotExist:
        raise Http404 from None


@transaction.atomic
def calendar_entry_save(
    *,
    kind: str,
    actor: User,
    source: str,
    entry_id: int | None = None,
    services: Iterable[Service] = (),
    **fields,
):
    """Create or edit a freeze period ("freeze") or a maintenance window ("window")."""
    model = ENTRY_MODELS[kind]
    codename = f"changes.{'change' if entry_id else 'add'}_{model._meta.model_name}"
    if not actor.has_perm(codename):
        raise PermissionDenied(_("You may not edit the change calendar."))
    entry = _locked(model, entry_id) if entry_id else model()
    for name, value in fields.items():
        setattr(entry, name, value)
    entry.full_clean()
    entry.save()
    entry.services.set(list(services))
    record_event(
        entry, action="update" if entry_id else "create", actor=actor, source=source,
        payload={"start": entry.start.isoformat(), "end": entry.end.isoformat()},
    )  # fmt: skip
    return entry


@transaction.atomic
def calendar_entry_delete(*, kind: str, entry_id: int, actor: User, source: str) -> None:
    model = ENTRY_MODELS[kind]
    if not actor.has_perm(f"changes.delete_{model._meta.model_name}"):
        raise PermissionDenied(_("You may not edit the change calendar."))
    entry = _locked(model, entry_id)
    record_event(entry, action="delete", actor=actor, source=source)
    entry.delete()


POLICY_FIELDS = {
    "approver_role", "required_approvals", "cab_vote", "quorum", "majority_percent",
    "auto_approve_from_template", "skip_assessment", "lead_time_business_days",
    "freeze_exempt", "review_required", "review_due_business_days", "approval_reminder_minutes",
}  # fmt: skip


@transaction.atomic
def policy_update(*, policy_id: int, actor: User, source: str, **fields) -> ChangeClassPolicy:
    """Administrators tune approval routing without a deploy (policy is data)."""
    if not actor.has_perm("changes.change_changeclasspolicy"):
        raise PermissionDenied(_("Only administrators edit change policies."))
    unknown = set(fields) - POLICY_FIELDS
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    policy = _locked(ChangeClassPolicy, policy_id)
    before = {name: getattr(policy, name) for name in fields}
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    changed = {k: [before[k], v] for k, v in fields.items() if before[k] != v}
    if changed:
        record_event(policy, action="update", actor=actor, source=source, payload=changed)
    return policy
