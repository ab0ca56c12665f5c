"""Payloads of the intake endpoints: Alertmanager's webhook (version 4) and generic events.

Validation names every problem by its path (e.g. `alerts[0].startsAt`), so a sender can fix
its template; nothing is stored for a payload that fails here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import AlertStatus, Delivery, Integration
from ..services.intake import ACKNOWLEDGE, RESOLVE, TRIGGER, IncomingAlert, IncomingBatch

MAX_ALERTS = 1000


def _labels(**kwargs):
    return serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=10_000), **kwargs
    )


class AlertmanagerTimeField(serializers.DateTimeField):
    """RFC 3339 time; Alertmanager's zero time 0001-01-01T00:00:00Z means "none"."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=dt.UTC, **kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str) and value.startswith("0001-01-01"):
            return None
        return super().to_internal_value(value)

    def enforce_timezone(self, value):
        # Keep UTC: converting year-1 times to a zone west of UTC would overflow.
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class IntakeAlertSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AlertStatus.choices)
    labels = _labels()
    annotations = _labels(required=False, default=dict)
    startsAt = AlertmanagerTimeField()  # noqa: N815 - Alertmanager's field names
    endsAt = AlertmanagerTimeField(required=False, allow_null=True)  # noqa: N815
    generatorURL = serializers.CharField(  # noqa: N815
        required=False, allow_blank=True, max_length=1000, default=""
    )
    fingerprint = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")


class IntakeAlertmanagerPayloadSerializer(serializers.Serializer):
    """The body Alertmanager's webhook receiver posts (`version: "4"`)."""

    version = serializers.CharField(max_length=10)
    groupKey = serializers.CharField(max_length=10_000)  # noqa: N815
    truncatedAlerts = serializers.IntegerField(min_value=0, required=False, default=0)  # noqa: N815
    status = serializers.ChoiceField(choices=AlertStatus.choices)
    receiver = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")
    groupLabels = _labels(required=False, default=dict)  # noqa: N815
    commonLabels = _labels(required=False, default=dict)  # noqa: N815
    commonAnnotations = _labels(required=False, default=dict)  # noqa: N815
    externalURL = serializers.CharField(  # noqa: N815
        max_length=1000, allow_blank=True, required=False, default=""
    )
    alerts = IntakeAlertSerializer(many=True, allow_empty=False, max_length=MAX_ALERTS)

    def validate_version(self, value: str) -> str:
        if value != "4":
            raise serializers.ValidationError(
                _('Only version "4" of the Alertmanager webhook payload is understood.')
            )
        return value

    def validate(self, attrs):
        if attrs["status"] == AlertStatus.RESOLVED and any(
            a["status"] == AlertStatus.FIRING for a in attrs["alerts"]
        ):
            raise serializers.ValidationError(
                {"status": _("A resolved group cannot contain firing alerts.")}
            )
        return attrs


def _fingerprint(labels: dict) -> str:
    raw = json.dumps(labels, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def alertmanager_batch(data: dict) -> IncomingBatch:
    alerts = [
        IncomingAlert(
            fingerprint=a["fingerprint"] or _fingerprint(a["labels"]),
            status=a["status"],
            labels=a["labels"],
            annotations=a["annotations"],
            starts_at=a["startsAt"],
            ends_at=a["endsAt"] if a["status"] == AlertStatus.RESOLVED else None,
            generator_url=a["generatorURL"],
        )
        for a in data["alerts"]
    ]
    common_annotations = data["commonAnnotations"]
    group_labels = data["groupLabels"]
    title = common_annotations.get("summary") or ""
    if not title and len(data["alerts"]) == 1:
        title = data["alerts"][0]["annotations"].get("summary", "")
    if not title:
        name = data["commonLabels"].get("alertname") or group_labels.get("alertname") or ""
        rest = ", ".join(f"{v}" for k, v in sorted(group_labels.items()) if k != "alertname")
        title = " · ".join(part for part in (name, rest) if part)
    return IncomingBatch(
        kind=Delivery.Kind.ALERTMANAGER,
        key=data["groupKey"],
        status=data["status"],
        alerts=alerts,
        title=title[:200],
        common_labels=data["commonLabels"] or group_labels,
        common_annotations=common_annotations,
        external_url=data["externalURL"],
        truncated=data["truncatedAlerts"],
    )


class IntakeEventSerializer(serializers.Serializer):
    """A generic event, for tools that are not Alertmanager."""

    dedup_key = serializers.CharField(
        max_length=255, help_text=_("Events with the same key concern the same problem.")
    )
    action = serializers.ChoiceField(choices=[TRIGGER, ACKNOWLEDGE, RESOLVE], default=TRIGGER)
    summary = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    severity = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    source = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    timestamp = AlertmanagerTimeField(required=False, allow_null=True, default=None)
    labels = _labels(required=False, default=dict)
    details = serializers.DictField(required=False, default=dict)
    links = serializers.ListField(
        child=serializers.URLField(max_length=1000), required=False, default=list, max_length=20
    )

    def validate(self, attrs):
        if attrs["action"] == TRIGGER and not attrs["summary"].strip():
            raise serializers.ValidationError({"summary": _("A trigger needs a summary.")})
        return attrs


def generic_batch(data: dict, integration: Integration) -> IncomingBatch:
    action = data["action"]
    labels = dict(data["labels"])
    if data["severity"]:
        labels[integration.severity_label] = data["severity"]
    if data["source"]:
        labels.setdefault("source", data["source"])
    alerts = []
    if action != ACKNOWLEDGE:
        annotations = {"summary": data["summary"]} if data["summary"] else {}
        if data["details"]:
            annotations["description"] = json.dumps(data["details"], ensure_ascii=False)[:5000]
        status = AlertStatus.RESOLVED if action == RESOLVE else AlertStatus.FIRING
        alerts.append(
            IncomingAlert(
                fingerprint=hashlib.sha256(data["dedup_key"].encode()).hexdigest()[:32],
                status=status,
                labels=labels,
                annotations=annotations,
                starts_at=data["timestamp"] if status == AlertStatus.FIRING else None,
                ends_at=data["timestamp"] if status == AlertStatus.RESOLVED else None,
                generator_url=(data["links"] or [""])[0],
            )
        )
    return IncomingBatch(
        kind=Delivery.Kind.GENERIC,
        key=data["dedup_key"],
        status=AlertStatus.RESOLVED if action == RESOLVE else AlertStatus.FIRING,
        alerts=alerts,
        title=data["summary"][:200],
        common_labels=labels,
        action=action,
        extra={"source": data["source"], "details": data["details"], "links": data["links"]},
    )


class IntakeIncidentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.CharField()
    url = serializers.CharField()


class IntakeAlertCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    new = serializers.IntegerField()
    resolved = serializers.IntegerField()


class IntakeResultSerializer(serializers.Serializer):
    """What the portal did with an accepted delivery."""

    delivery = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=Delivery.Outcome.choices)
    summary = serializers.CharField()
    group = serializers.IntegerField(allow_null=True)
    incident = IntakeIncidentRefSerializer(allow_null=True)
    alerts = IntakeAlertCountsSerializer()


def result_data(delivery: Delivery) -> dict:
    incident = delivery.incident
    return {
        "delivery": delivery.pk,
        "outcome": delivery.outcome,
        "summary": delivery.summary,
        "group": delivery.group_id,
        "incident": None
        if incident is None
        else {
            "id": incident.pk,
            "reference": incident.reference,
            "status": incident.status,
            "priority": incident.priority,
            "url": incident.get_absolute_url(),
        },
        "alerts": {
            "total": delivery.alerts_total,
            "new": delivery.alerts_new,
            "resolved": delivery.alerts_resolved,
        },
    }
