"""Links between incidents (parent / child, duplicates) and to the change that caused one."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.errors import Conflict, DomainError

from .. import permissions as perms
from ..models import FINISHED, Incident, Status
from .base import guard, lock_incident, record, require, required_text
from .clocks import clocks_sync
from .escalation import escalation_stop


def _lock_pair(first_id: int, second_id: int) -> tuple[Incident, Incident]:
    """Lock two incidents in id order, so two merges in opposite directions cannot deadlock."""
    if first_id == second_id:
        raise DomainError(_("An incident cannot be linked to itself."))
    low, high = sorted([first_id, second_id])
    locked = {low: lock_incident(low), high: lock_incident(high)}
    return locked[first_id], locked[second_id]


@transaction.atomic
def incident_merge(
    *, incident_id: int, into_id: int, actor, source: str, reason: str = ""
) -> Incident:
    """Close a duplicate into its original: services and the reporter carry over."""
    duplicate, original = _lock_pair(incident_id, into_id)
    guard(duplicate, "merge", actor)
    if original.status in FINISHED:
        raise Conflict(_("Merge into an incident that is not finished."))
    if original.duplicate_of_id == duplicate.pk:
        raise DomainError(_("These incidents are already merged the other way round."))
    before, now = duplicate.status, timezone.now()
    duplicate.merge(into=original, at=now)
    clocks_sync(duplicate, at=now)
    duplicate.save()
    escalation_stop(duplicate)
    original.affected_services.add(*duplicate.affected_services.all())
    Incident.objects.filter(duplicate_of=duplicate).update(duplicate_of=original)
    record(
        duplicate,
        action="merged",
        actor=actor,
        source=source,
        before=before,
        message=reason,
        payload={"into": original.pk},
    )
    record(
        original,
        action="duplicate merged",
        actor=actor,
        source=source,
        before=original.status,
        message=reason,
        payload={"duplicate": duplicate.pk},
    )
    return duplicate


def _ancestors(incident: Incident) -> set[int]:
    seen: set[int] = set()
    current = incident.parent_id
    while current and current not in seen:
        seen.add(current)
        current = Incident.objects.filter(pk=current).values_list("parent_id", flat=True).first()
    return seen


@transaction.atomic
def incident_set_parent(*, incident_id: int, parent_id: int | None, actor, source: str) -> Incident:
    """Make an incident the child of a wider one (or detach it with parent_id=None)."""
    require(actor, perms.TRIAGE)
    if parent_id is None:
        child = lock_incident(incident_id)
        if child.parent_id is None:
            raise DomainError(_("The incident has no parent."))
        before = child.parent_id
        child.parent = None
        child.save(update_fields=["parent", "updated_at"])
        record(
            child,
            action="parent removed",
            actor=actor,
            source=source,
            before=child.status,
            payload={"parent": before},
        )
        return child
    child, parent = _lock_pair(incident_id, parent_id)
    if parent.status == Status.MERGED:
        raise Conflict(_("A merged incident cannot be a parent."))
    if child.pk in _ancestors(parent):
        raise DomainError(_("That would make the incident its own ancestor."), field="parent")
    child.parent = parent
    child.save(update_fields=["parent", "updated_at"])
    record(
        child,
        action="parent set",
        actor=actor,
        source=source,
        before=child.status,
        payload={"parent": parent.pk},
    )
    record(
        parent,
        action="child linked",
        actor=actor,
        source=source,
        before=parent.status,
        payload={"child": child.pk},
    )
    return child


@transaction.atomic
def incident_link_change(
    *, incident_id: int, change_id: int | None, actor, source: str, reason: str = ""
) -> Incident:
    """Record the change that caused the incident (or clear it)."""
    require(actor, perms.TRIAGE)
    incident = lock_incident(incident_id)
    if change_id is not None:
        reason = required_text(reason, "reason", _("Say why this change caused the incident."))
        # TODO(lead): once caused_by_change is a ForeignKey, check that the change exists.
        if change_id <= 0:
            raise DomainError(_("Unknown change."), field="change")
    before = incident.caused_by_change_id
    incident.caused_by_change_id = change_id
    incident.save(update_fields=["caused_by_change_id", "updated_at"])
    record(
        incident,
        action="change linked" if change_id else "change unlinked",
        actor=actor,
        source=source,
        before=incident.status,
        message=reason,
        payload={"change": change_id, "previous": before},
    )
    return incident
