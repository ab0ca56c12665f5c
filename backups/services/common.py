"""Helpers every backups service uses: permission checks and time validation."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.errors import DomainError

# Reports from agents may run a little ahead of the portal's clock.
CLOCK_SKEW = timedelta(minutes=5)


def authorize(transition_method, actor) -> None:
    """403 before 409: a user without the right never learns more than "not allowed".

    `actor=None` is the portal itself (timers, scheduled jobs), which may do anything.
    """
    if actor is None:
        return
    meta = transition_method._django_fsm
    instance = transition_method.__self__
    for spec in meta.transitions.values():
        if spec.permission and not spec.permission(instance, actor):
            raise PermissionDenied(_("You may not do this."))
        break


def require_perm(actor, perm: str) -> None:
    if actor is not None and not actor.has_perm(perm):
        raise PermissionDenied(_("You may not do this."))


def not_in_future(value: datetime | None, field: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if value is not None and value > now + CLOCK_SKEW:
        raise DomainError(_("This time lies in the future."), field=field)


def ordered(earlier: datetime | None, later: datetime | None, field: str, message: str) -> None:
    if earlier is not None and later is not None and later < earlier:
        raise DomainError(message, field=field)
