"""Serializers of the releases API. Writes go through releases.services."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from changes.models import Change
from incidents.models import Incident
from itsm.models import Service, Team

from ..models import (
    Build,
    Deployment,
    DeploymentIncident,
    Environment,
    Kind,
    Release,
    ReleaseItem,
    Stage,
    Strategy,
    TestRun,
)

_named_fields: dict[str, type] = {}


def named_choice(choices, component: str, **kwargs) -> serializers.ChoiceField:
    """A choice field whose enum is its own named schema component, so it never collides with
    another app's field of the same name (e.g. `kind`, `stage`) in the OpenAPI schema. One
    class per component: the schema generator requires one identity per component name."""
    if component not in _named_fields:
        schema = {"type": "string", "enum": [value for value, _label in choices]}
        _named_fields[component] = extend_schema_field(schema, component_name=component)(
            type(component, (serializers.ChoiceField,), {})
        )
    return _named_fields[component](choices=choices, **kwargs)


class ReleaseItemSerializer(serializers.ModelSerializer):
    category = named_choice(ReleaseItem.Category.choices, "ReleaseItemCategoryEnum", required=False)

    class Meta:
        model = ReleaseItem
        fields = ["category", "title", "description", "link"]


class ReleaseSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    services = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Service.objects.filter(is_active=True)
    )
    manager = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    items = ReleaseItemSerializer(many=True, required=False)
    kind = named_choice(Kind.choices, "ReleaseKindEnum", required=False)
    stage = named_choice(Stage.choices, "ReleaseStageEnum", read_only=True)
    strategy = named_choice(Strategy.choices, "ReleaseStrategyEnum", required=False)
    changes = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Change.objects.all(), required=False, help_text="Linked change ids."
    )
    incidents_fixed = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Incident.objects.all(), required=False, help_text="Incident ids."
    )
    # A plain string: the stage enum is documented once, on `stage`.
    rolled_back_from = serializers.CharField(read_only=True)
    strategy_parameters = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = [
            "id", "url", "version", "title", "kind", "stage", "team", "manager", "services",
            "planned_at", "notes", "items", "changes", "incidents_fixed",
            "strategy", "canary_percent", "canary_duration_minutes", "rolling_batch_percent",
            "blue_green_hold_minutes", "strategy_parameters",
            "attempt", "stage_entered_at", "covering_change", "production_at", "done_at",
            "last_failure_reason", "rolled_back_at", "rolled_back_from", "rollback_reason",
            "cancelled_at", "cancel_reason", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "stage", "attempt", "stage_entered_at", "covering_change", "production_at",
            "done_at", "last_failure_reason", "rolled_back_at", "rolled_back_from",
            "rollback_reason", "cancelled_at", "cancel_reason", "created_at", "updated_at",
        ]  # fmt: skip
        # Uniqueness is the service's rule (a 400 with a message), not the serializer's.
        extra_kwargs = {"version": {"validators": []}}

    def get_strategy_parameters(self, release) -> dict:
        return release.strategy_parameters()

    def get_url(self, release) -> str:
        return release.get_absolute_url()

    def service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        if "items" in data:
            data["items"] = [dict(item) for item in data["items"]]
        for name in ("changes", "incidents_fixed"):
            if name in data:
                data[name] = list(data[name])
        return data


class GateSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    met = serializers.BooleanField()
    detail = serializers.CharField()


class PromotionSerializer(serializers.Serializer):
    action = serializers.CharField()
    gates = GateSerializer(many=True)


class ReleaseDetailSerializer(ReleaseSerializer):
    """One release, with the actions open to the caller and the gates of the next promotion."""

    allowed_actions = serializers.SerializerMethodField()
    next_promotions = serializers.SerializerMethodField()

    class Meta(ReleaseSerializer.Meta):
        fields = [*ReleaseSerializer.Meta.fields, "allowed_actions", "next_promotions"]

    def get_allowed_actions(self, release) -> list[str]:
        user = self.context["request"].user
        return [t.name for t in release.get_available_user_stage_transitions(user)]

    @extend_schema_field(PromotionSerializer(many=True))
    def get_next_promotions(self, release) -> list[dict]:
        from ..gates import next_gates

        return [
            {"action": verb, "gates": [g.__dict__ for g in gates]}
            for verb, gates in next_gates(release)
        ]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class _ReportSerializer(serializers.ModelSerializer):
    reported_by = serializers.StringRelatedField(allow_null=True)
    duration_seconds = serializers.SerializerMethodField()

    def get_duration_seconds(self, report) -> float | None:
        return report.duration.total_seconds() if report.duration else None


REPORT_FIELDS = [
    "id", "pipeline", "run_id", "run_url", "attempt", "reported_by", "started_at",
    "finished_at", "duration_seconds", "created_at", "updated_at",
]  # fmt: skip
REPORT_READ_ONLY = ["id", "attempt", "reported_by", "duration_seconds", "created_at", "updated_at"]


class DeploymentSerializer(_ReportSerializer):
    release = serializers.PrimaryKeyRelatedField(read_only=True)
    environment = named_choice(Environment.choices, "ReleaseEnvironmentEnum")
    strategy = named_choice(Strategy.choices, "ReleaseStrategyEnum", read_only=True)
    release_version = serializers.CharField(source="release.version", read_only=True)
    incidents = serializers.SerializerMethodField()

    class Meta:
        model = Deployment
        fields = [
            "release", "release_version", "environment", "version", "strategy", "result",
            "triggered_by", "notes", "rolled_back_at", "incidents", *REPORT_FIELDS,
        ]  # fmt: skip
        read_only_fields = [*REPORT_READ_ONLY, "strategy", "rolled_back_at"]
        extra_kwargs = {"version": {"required": False}}
        validators = []  # one row per run is the service's idempotent rule

    def get_incidents(self, deployment) -> list[int]:
        return [link.incident_id for link in deployment.incident_links.all()]


class BuildSerializer(_ReportSerializer):
    class Meta:
        model = Build
        fields = ["version", "commit", "branch", "artifact", "result", *REPORT_FIELDS]
        read_only_fields = REPORT_READ_ONLY
        extra_kwargs = {"version": {"required": False}}
        validators = []


class TestRunSerializer(_ReportSerializer):
    environment = named_choice(Environment.choices, "ReleaseEnvironmentEnum")

    class Meta:
        model = TestRun
        fields = [
            "environment", "suite", "result", "tests_total", "tests_failed", "tests_skipped",
            *REPORT_FIELDS,
        ]  # fmt: skip
        read_only_fields = REPORT_READ_ONLY
        validators = []


class IncidentLinkSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="incident_id", min_value=1, help_text="Incident id.")
    linked_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = DeploymentIncident
        fields = ["id", "deployment", "incident", "linked_by", "linked_at"]
        read_only_fields = ["id", "deployment", "linked_by", "linked_at"]
        validators = []


class DoraRowSerializer(serializers.Serializer):
    service = serializers.CharField()
    service_id = serializers.IntegerField(allow_null=True)
    month = serializers.CharField()
    deployments = serializers.IntegerField()
    production_deployments_finished = serializers.IntegerField()
    failed_deployments = serializers.IntegerField()
    change_failure_rate = serializers.FloatField(allow_null=True)
    lead_time_hours = serializers.FloatField(allow_null=True)
    lead_time_samples = serializers.IntegerField()
    time_to_restore_hours = serializers.FloatField(allow_null=True)
    restore_samples = serializers.IntegerField()


ENVIRONMENTS = Environment.values
