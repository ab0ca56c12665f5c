"""Helpers for thin page views: run one service call and turn domain errors into messages.

The API maps the same exceptions in itsm.drf, so a rule broken in the browser and over the
API reads the same.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from .errors import DomainError


def run_action(request: HttpRequest, action: Callable[[], Any], success: str | None = None) -> bool:
    """Call `action`; flash `success` or the error. Returns True when it worked.

    PermissionDenied is re-raised so that Django answers 403.
    """
    try:
        action()
    except PermissionDenied:
        raise
    except TransitionNotAllowed:
        messages.error(request, _("This action is not allowed in the current state."))
        return False
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return False
    except DjangoValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return False
    if success:
        messages.success(request, success)
    return True


def flash_form_errors(request: HttpRequest, form) -> None:
    """Show a bound form's errors as messages, for POST views that redirect back."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def run_form_action(
    request: HttpRequest, form, action: Callable[[dict], Any], success: str | None = None
) -> bool:
    """Validate `form` and call `action(cleaned_data)` through run_action, or flash its errors."""
    if not form.is_valid():
        flash_form_errors(request, form)
        return False
    return run_action(request, lambda: action(form.cleaned_data), success)


def available_transitions(obj, user, field: str = "status") -> list:
    """The transitions `user` may take on `obj` now: the buttons a detail page shows."""
    getter = getattr(obj, f"get_available_user_{field}_transitions")
    return list(getter(user))
