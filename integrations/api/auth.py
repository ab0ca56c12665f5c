"""Who is posting alerts: the integration whose secret token came in the Authorization header,
as a bearer token or as the password (or user name) of Basic credentials — the two ways
Alertmanager's `http_config` can send a secret. The rate limit counts per integration."""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from ..models import Integration
from ..services import authenticate_token

DEFAULT_MAX_BYTES = 1024 * 1024


def max_payload_bytes() -> int:
    return int(getattr(settings, "INTEGRATIONS_MAX_PAYLOAD_BYTES", DEFAULT_MAX_BYTES))


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "payload_too_large"
    default_detail = _("The payload is larger than this portal accepts.")


def token_from_header(header: str) -> str | None:
    scheme, _sep, credentials = (header or "").strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return credentials or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        username, _sep, password = decoded.partition(":")
        return password or username or None
    return None


class IntakeTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            raise exceptions.NotAuthenticated(
                _("Send the integration's token: Authorization: Bearer <token> (or Basic).")
            )
        token = token_from_header(header)
        integration = authenticate_token(token) if token else None
        if integration is None:
            raise exceptions.AuthenticationFailed(_("Unknown, expired or malformed token."))
        return AnonymousUser(), integration

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="intake"'


class ActiveIntegration(BasePermission):
    message = _("This integration is disabled; ask an administrator to enable it.")

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, Integration) and request.auth.is_active


class IntakeThrottle(SimpleRateThrottle):
    """REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["intake"] per integration, or the
    integration's own limit. Requests over it get 429 before anything is stored."""

    scope = "intake"

    def allow_request(self, request, view) -> bool:
        integration = request.auth
        if isinstance(integration, Integration) and integration.rate_limit:
            self.rate = f"{integration.rate_limit}/min"
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str | None:
        integration = request.auth
        if not isinstance(integration, Integration):
            return None
        return self.cache_format % {"scope": self.scope, "ident": integration.pk}
