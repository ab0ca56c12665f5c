"""POST /api/v1/intake/alertmanager/ and POST /api/v1/intake/events/.

Order of checks: size (413) before reading the body, then the token (401), the integration
being active (403) and its rate limit (429), then the payload (400). Only a payload that
passes all of them is applied and stored, in one transaction.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import Delivery
from ..services import intake_receive
from . import intake_serializers as s
from .auth import (
    ActiveIntegration,
    IntakeThrottle,
    IntakeTokenAuthentication,
    PayloadTooLarge,
    max_payload_bytes,
)

ALERTMANAGER_EXAMPLE = {
    "version": "4",
    "groupKey": '{}:{alertname="HighErrorRate"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "itsm",
    "groupLabels": {"alertname": "HighErrorRate"},
    "commonLabels": {"alertname": "HighErrorRate", "severity": "critical", "service": "payments"},
    "commonAnnotations": {"summary": "HTTP 5xx above 5 %"},
    "externalURL": "http://alertmanager.example:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "HighErrorRate", "severity": "critical", "instance": "web1"},
            "annotations": {"summary": "HTTP 5xx above 5 %"},
            "startsAt": "2026-03-01T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example:9090/graph?g0.expr=...",
            "fingerprint": "c5b8e2f0a1d3b4c6",
        }
    ],
}


def _bad_request(message: str, details=None) -> Response:
    body = {"error": {"code": "invalid", "message": message}}
    if details is not None:
        body["error"]["details"] = details
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _first_error(errors, path: str = "") -> str:
    """`alerts[0].startsAt: This field is required.` from DRF's nested error structure."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == "non_field_errors":
                return _first_error(value, path)
            if isinstance(key, int):  # DRF keys list items by index
                return _first_error(value, f"{path}[{key}]")
            return _first_error(value, f"{path}.{key}" if path else str(key))
    if isinstance(errors, list) and errors:
        if all(isinstance(e, str) for e in errors):
            return f"{path}: {errors[0]}" if path else str(errors[0])
        for index, value in enumerate(errors):
            if value:
                return _first_error(value, f"{path}[{index}]")
    return path or _("The payload is not valid.")


class _IntakeView(APIView):
    authentication_classes = [IntakeTokenAuthentication]
    permission_classes = [ActiveIntegration]
    throttle_classes = [IntakeThrottle]
    input_serializer: type = s.IntakeAlertmanagerPayloadSerializer

    def initial(self, request, *args, **kwargs):
        # Refuse an announced oversize body before touching it (or the database).
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_payload_bytes():
            raise PayloadTooLarge()
        super().initial(request, *args, **kwargs)

    def to_batch(self, data: dict, integration):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        raw = request._request.body  # the exact bytes, kept for inspection
        if len(raw) > max_payload_bytes():
            raise PayloadTooLarge()
        try:
            text = raw.decode("utf-8")
            data = json.loads(text)
        except UnicodeDecodeError:
            return _bad_request(_("The body is not UTF-8 text."))
        except json.JSONDecodeError as exc:
            return _bad_request(_("The body is not valid JSON: %(error)s") % {"error": exc})
        if not isinstance(data, dict):
            return _bad_request(_("The body must be a JSON object."))
        serializer = self.input_serializer(data=data)
        if not serializer.is_valid():
            return _bad_request(_first_error(serializer.errors), serializer.errors)
        integration = request.auth
        delivery = intake_receive(
            integration=integration,
            batch=self.to_batch(serializer.validated_data, integration),
            body=text,
            remote_addr=request.META.get("REMOTE_ADDR"),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        delivery = Delivery.objects.select_related("incident").get(pk=delivery.pk)
        code = (
            status.HTTP_201_CREATED
            if delivery.outcome == Delivery.Outcome.CREATED
            else status.HTTP_200_OK
        )
        return Response(s.result_data(delivery), status=code)


_RESPONSES = {
    200: OpenApiResponse(
        s.IntakeResultSerializer,
        description="Accepted: an existing incident "
        "was updated, or nothing needed doing (a repeat, info severity).",
    ),
    201: OpenApiResponse(s.IntakeResultSerializer, description="Accepted: an incident was opened."),
}


class AlertmanagerIntakeView(_IntakeView):
    input_serializer = s.IntakeAlertmanagerPayloadSerializer

    @extend_schema(
        operation_id="intake_alertmanager",
        tags=["intake"],
        summary="Receive an Alertmanager webhook",
        description=(
            "Point an Alertmanager `webhook_configs` receiver here with the integration's "
            "token in `http_config.authorization.credentials` (or `basic_auth.password`). "
            "Deliveries are deduplicated per `groupKey` while the group's incident is open; "
            "exact repeats change nothing. `status: resolved` recovers the incident or notes "
            "it, as the integration's policy says."
        ),
        request=s.IntakeAlertmanagerPayloadSerializer,
        responses=_RESPONSES,
        examples=[OpenApiExample("firing", value=ALERTMANAGER_EXAMPLE, request_only=True)],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def to_batch(self, data, integration):
        return s.alertmanager_batch(data)


class GenericIntakeView(_IntakeView):
    input_serializer = s.IntakeEventSerializer

    @extend_schema(
        operation_id="intake_event",
        tags=["intake"],
        summary="Receive a generic monitoring event",
        description=(
            "`trigger` opens an incident for `dedup_key` (or updates its open one), "
            "`acknowledge` acknowledges it, `resolve` recovers or notes it. Authenticate "
            "with the integration's token as for Alertmanager."
        ),
        request=s.IntakeEventSerializer,
        responses=_RESPONSES,
        examples=[
            OpenApiExample(
                "trigger",
                value={
                    "dedup_key": "db1-disk",
                    "action": "trigger",
                    "summary": "Disk above 90 % on db1",
                    "severity": "critical",
                    "source": "nagios",
                    "labels": {"service": "payments-api"},
                },
                request_only=True,
            )
        ],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def to_batch(self, data, integration):
        return s.generic_batch(data, integration)
