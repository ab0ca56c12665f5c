"""Serializers of the integrations management API. Component names start with "Intake",
"Webhook" or "Notification" so they never collide with other apps' schema components."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from itsm.models import Service, Team

from ..events import EVENT_CHOICES
from ..models import (
    Alert,
    AlertGroup,
    Delivery,
    Integration,
    MappingRule,
    NotificationPreference,
    SeverityMapping,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from ..models.intake import PRIORITY_OR_NONE


class IntakeSeveritySerializer(serializers.ModelSerializer):
    class Meta:
        model = SeverityMapping
        fields = ["id", "severity", "priority"]


class IntakeRuleSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = MappingRule
        fields = ["id", "position", "matchers", "service", "team"]


class IntakeIntegrationSerializer(serializers.ModelSerializer):
    default_service = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.all()
    )
    default_team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), allow_null=True, required=False
    )
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    severities = IntakeSeveritySerializer(many=True, read_only=True)
    rules = IntakeRuleSerializer(many=True, read_only=True)
    last_received_at = serializers.DateTimeField(read_only=True, allow_null=True)
    firing_groups = serializers.IntegerField(read_only=True)
    deliveries_24h = serializers.IntegerField(read_only=True)

    class Meta:
        model = Integration
        fields = [
            "id",
            "name",
            "description",
            "is_active",
            "token_hint",
            "token_rotated_at",
            "previous_token_expires_at",
            "default_service",
            "default_team",
            "severity_label",
            "service_label",
            "team_label",
            "unknown_severity_priority",
            "resolve_policy",
            "rate_limit",
            "retention_days",
            "owner",
            "created_at",
            "severities",
            "rules",
            "last_received_at",
            "firing_groups",
            "deliveries_24h",
        ]
        read_only_fields = [
            "token_hint",
            "token_rotated_at",
            "previous_token_expires_at",
            "created_at",
        ]


class IntakeIntegrationCreatedSerializer(IntakeIntegrationSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(IntakeIntegrationSerializer.Meta):
        fields = [*IntakeIntegrationSerializer.Meta.fields, "token"]


class IntakeRotateInputSerializer(serializers.Serializer):
    grace_hours = serializers.IntegerField(min_value=0, max_value=720, default=24)


class IntakeTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The new token, shown once.")
    token_hint = serializers.CharField()
    previous_token_expires_at = serializers.DateTimeField(allow_null=True)


class IntakeRuleInputSerializer(serializers.Serializer):
    matchers = serializers.DictField(child=serializers.CharField())
    service = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.all(), required=False, allow_null=True
    )
    team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True
    )
    position = serializers.IntegerField(min_value=0, required=False, allow_null=True)


class IntakeSeverityInputSerializer(serializers.Serializer):
    severity = serializers.CharField(max_length=50)
    priority = serializers.ChoiceField(choices=PRIORITY_OR_NONE, allow_blank=True)


class IntakeAlertSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = [
            "fingerprint",
            "status",
            "labels",
            "annotations",
            "starts_at",
            "ends_at",
            "generator_url",
            "incident",
            "first_seen_at",
            "last_seen_at",
        ]


class IntakeGroupSerializer(serializers.ModelSerializer):
    incident_reference = serializers.CharField(source="incident.reference", default=None)

    class Meta:
        model = AlertGroup
        fields = [
            "id",
            "integration",
            "key",
            "title",
            "status",
            "labels",
            "incident",
            "incident_reference",
            "priority",
            "alert_count",
            "firing_count",
            "delivery_count",
            "first_seen_at",
            "last_seen_at",
        ]


class IntakeDeliverySerializer(serializers.ModelSerializer):
    incident_reference = serializers.CharField(source="incident.reference", default=None)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "integration",
            "kind",
            "received_at",
            "group",
            "incident",
            "incident_reference",
            "outcome",
            "summary",
            "status",
            "alerts_total",
            "alerts_new",
            "alerts_resolved",
            "remote_addr",
            "user_agent",
        ]


class IntakeDeliveryDetailSerializer(IntakeDeliverySerializer):
    class Meta(IntakeDeliverySerializer.Meta):
        fields = [*IntakeDeliverySerializer.Meta.fields, "content_hash", "body"]


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES), allow_empty=False
    )
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    status = serializers.CharField(read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "name",
            "url",
            "event_types",
            "is_active",
            "status",
            "owner",
            "failure_threshold",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "last_success_at",
            "last_failure_at",
        ]
        read_only_fields = [
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "last_success_at",
            "last_failure_at",
        ]


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret, shown once.")


class WebhookReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "at", "status_code", "error", "duration_ms", "response_excerpt"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    attempts_log = WebhookAttemptSerializer(source="log", many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event_type",
            "state",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
            "payload",
            "attempts_log",
        ]


class WebhookEventTypeSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class NotificationPreferenceSerializer(serializers.Serializer):
    language = serializers.ChoiceField(
        choices=[("", "")] + list(settings.LANGUAGES), allow_blank=True, default=""
    )
    email_scope = serializers.ChoiceField(
        source="scope",
        choices=NotificationPreference.Scope.choices,
        default=NotificationPreference.Scope.TEAMS,
        help_text="teams: only objects of my teams; all: everything I may view.",
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES), default=list
    )
