"""What every incident service shares: locking, the transition guard, the audit record."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed, can_proceed

from itsm.audit import record_event
from itsm.errors import DomainError
from itsm.models import AuditEvent

from ..models import Incident

Source = AuditEvent.Source

# Why a transition's condition fails, in words a user understands (400, not 409).
CONDITION_MESSAGES = {
    "close": _(
        "This incident cannot close before its postmortem is published "
        "(required for P1 and P2, and whenever a manager asked for one)."
    ),
    "submit": _("Fill in every section before asking for review."),
    "publish": _("Fill in every section before publishing."),
}


def lock_incident(incident_id: int) -> Incident:
    """Lock the incident row for this transaction.

    FOR NO KEY UPDATE: rows that merely reference the incident (notifications, steps) can
    still be inserted by others meanwhile, so a clock breach recorded by the sweeper never
    waits on a transition that waits on the clock.
    """
    try:
        return (
            Incident.objects.select_for_update(no_key=True, of=("self",))
            .select_related("service__owner_team__calendar", "team__calendar")
            .get(pk=incident_id)
        )
    except Incident.DoesNotExist:
        raise Http404(_("No such incident.")) from None


def guard(obj, name: str, actor) -> None:
    """State first (409), then permission (403), then conditions (400 with the reason)."""
    bound = getattr(obj, name)
    if not can_proceed(bound, check_conditions=False):
        raise TransitionNotAllowed(f"{name} is not allowed from {obj.status}")
    meta = bound._django_fsm
    if actor is not None and not meta.has_transition_perm(obj, obj.status, actor):
        raise PermissionDenied(_("You may not do this."))
    if not can_proceed(bound):
        raise DomainError(CONDITION_MESSAGES.get(name), code="condition_failed")


def require(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied(_("You may not do this."))


def record(obj, *, action: str, actor, source: str, before: str = "", **kwargs):
    return record_event(obj, action=action, actor=actor, source=source, before=before, **kwargs)


def required_text(value: str | None, field: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field, code="required")
    return value
