"""Plumbing shared by the change services: locking, guards, one audited transition."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from itsm.audit import record_event
from itsm.business_time import CalendarSpec
from itsm.errors import DomainError
from itsm.models import AuditEvent

from ..models import Change

Source = AuditEvent.Source


def lock_change(change_id: int) -> Change:
    """The change row, locked until the transaction ends (FOR UPDATE on PostgreSQL)."""
    try:
        # of=("self",): PostgreSQL cannot lock the nullable side of the team join.
        return (
            Change.objects.select_for_update(of=("self",))
            .select_related("owner_team")
            .get(pk=change_id)
        )
    except Change.DoesNotExist:
        raise Http404(_("No such change.")) from None


def check_state(obj, name: str) -> None:
    """409 when the object's state has no such transition."""
    if not getattr(obj, name)._django_fsm.has_transition(obj.status):
        raise TransitionNotAllowed(f"{name} from {obj.status}")


def check_permission(obj, name: str, actor) -> None:
    """403 when the transition's permission guard refuses the actor."""
    if not getattr(obj, name)._django_fsm.has_transition_perm(obj, obj.status, actor):
        raise PermissionDenied(_("You may not do this on this record."))


def guard(obj, name: str, actor) -> None:
    """Check a transition in the order every door reports it: state (409), then
    permission (403), then the conditions, each with its own message (400)."""
    check_state(obj, name)
    check_permission(obj, name, actor)
    for condition in getattr(obj, name)._django_fsm.get_transition(obj.status).conditions:
        if not condition(obj):
            raise DomainError(getattr(condition, "message", None), code="condition_not_met")


def transit(
    obj,
    name: str,
    *,
    actor,
    source: str,
    check: bool = True,
    message: str = "",
    payload: dict[str, Any] | None = None,
    **kwargs,
) -> AuditEvent:
    """Run one transition on a locked object, save it and record the audit event."""
    if check:
        guard(obj, name, actor)
    before = obj.status
    getattr(obj, name)(**kwargs)
    obj.save()
    return record_event(
        obj, action=name, actor=actor, source=source, before=before, message=message,
        payload=payload,
    )  # fmt: skip


def calendar_for(change: Change) -> tuple[CalendarSpec, str]:
    """The business calendar of the team that owns the change (Korea by default)."""
    team = change.owner_team
    if team is not None and team.calendar_id is not None:
        return team.calendar.spec(), team.calendar.name
    return CalendarSpec(), "Korea (Seoul)"


def require_text(value: str, field: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field)
    return value


def notify(change_id: int, event: str, actor=None) -> None:
    """E-mail the people this event concerns, after the transaction commits."""
    from ..tasks import notify_change

    notify_change.delay_on_commit(change_id, event, getattr(actor, "pk", None))
