"""API conventions: one pagination class and one JSON error format for every endpoint.

Errors look like {"error": {"code": "...", "message": "...", "details": {...}}}:
an illegal transition is 409, a broken business rule 400, a missing permission 403.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def _error(code: str, message, http_status: int, details=None) -> Response:
    body = {"error": {"code": code, "message": str(message)}}
    if details:
        body["error"]["details"] = details
    return Response(body, status=http_status)


def exception_handler(exc, context):
    if isinstance(exc, TransitionNotAllowed):
        return _error(
            "transition_not_allowed",
            _("This action is not allowed in the current state."),
            status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DomainError):
        details = {exc.field: [str(exc.message)]} if exc.field else None
        return _error(exc.code, exc.message, exc.status_code, details)
    if isinstance(exc, DjangoValidationError):
        details = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return _error(
            "invalid", _("The request is not valid."), status.HTTP_400_BAD_REQUEST, details
        )
    if isinstance(exc, ProtectedError | RestrictedError):
        return _error(
            "in_use",
            _("This object is still in use and cannot be deleted."),
            status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, IntegrityError):
        # Constraints are the last line of defence against races; say so instead of a 500.
        return _error(
            "conflict", _("The change conflicts with existing data."), status.HTTP_409_CONFLICT
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {
            "error": {"code": "invalid", "message": _("The request is not valid."), "details": data}
        }
    elif isinstance(exc, exceptions.APIException):
        response.data = {
            "error": {
                "code": exc.get_codes() if isinstance(exc.get_codes(), str) else "error",
                "message": str(exc.detail),
            }
        }
    return response
