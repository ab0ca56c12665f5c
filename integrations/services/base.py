"""What the integrations services share: permission checks and the audit record."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from itsm.audit import record_event
from itsm.models import AuditEvent

Source = AuditEvent.Source


def require(actor, permission: str) -> None:
    """`actor=None` is the system itself (intake, timers), which may do what its code does."""
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied(_("You may not do this."))


def record(obj, *, action: str, actor, source: str, **kwargs):
    return record_event(obj, action=action, actor=actor, source=source, **kwargs)
