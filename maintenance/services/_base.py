"""Helpers shared by the maintenance services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django_fsm import FSMField

from itsm.errors import DomainError

PLAN_TIMER = "maintenance.run_plan"
RUN_DEADLINE_TIMER = "maintenance.run_deadline"


def require(actor, permission: str) -> None:
    """Services called by timers and tasks pass actor=None: the system may do anything."""
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied


def validated(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """full_clean, mapped to one DomainError so every door reports the same message.

    Protected state fields are left out: full_clean would assign them, which django-fsm
    refuses, and only transitions change them anyway.
    """
    exclude = list(exclude or [])
    exclude += [f.name for f in instance._meta.fields if isinstance(f, FSMField)]
    try:
        instance.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            field, errors = next(iter(exc.message_dict.items()))
            raise DomainError(errors[0], field=None if field == "__all__" else field) from exc
        raise DomainError(exc.messages[0]) from exc
