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
from rest_framework.routers import SimpleRouter
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


# URL patterns for a primary key, by the model field's internal type.
_PK_PATTERNS = {
    "AutoField": "[0-9]+",
    "BigAutoField": "[0-9]+",
    "SmallAutoField": "[0-9]+",
    "IntegerField": "[0-9]+",
    "BigIntegerField": "[0-9]+",
    "UUIDField": "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}",
}


class Router(SimpleRouter):
    """The API's router: a URL's id must look like the model's primary key.

    `/api/v1/changes/abc/` then falls through to the API's JSON 404 like any unknown path,
    instead of reaching a view that has to cope with an id its database column cannot hold.
    Viewsets looked up by another field (a slug) or with their own `lookup_value_regex` keep
    theirs.
    """

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if getattr(viewset, "lookup_field", "pk") in {"pk", "id"} and not hasattr(
            viewset, "lookup_value_regex"
        ):
            model = _model_of(viewset)
            pattern = model and _PK_PATTERNS.get(model._meta.pk.get_internal_type())
            if pattern:
                viewset = type(viewset.__name__, (viewset,), {"lookup_value_regex": pattern})
        return super().get_lookup_regex(viewset, lookup_prefix)


def _model_of(viewset):
    """The viewset's model: from its queryset, or its serializer's Meta when it builds the
    queryset per request."""
    queryset = getattr(viewset, "queryset", None)
    if queryset is not None:
        return queryset.model
    meta = getattr(getattr(viewset, "serializer_class", None), "Meta", None)
    return getattr(meta, "model", None)
