"""API representations of incidents, and one small input serializer per verb."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from itsm.models import Service, Team

from ..models import (
    ActionItem,
    BusinessImpact,
    EscalationLevel,
    EscalationPolicy,
    EscalationStep,
    Incident,
    Notification,
    Postmortem,
    Priority,
    PriorityMatrixCell,
    PriorityPolicy,
    Scope,
    TimelineEntry,
    Urgency,
)

User = get_user_model()


class UserField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "username")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", User.objects.filter(is_active=True))
        super().__init__(**kwargs)


def _service_field(**kwargs):
    return serializers.SlugRelatedField(slug_field="slug", queryset=Service.objects.all(), **kwargs)


def _team_field(**kwargs):
    return serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all(), **kwargs)


class EscalationStepSerializer(serializers.ModelSerializer):
    actor = UserField(read_only=True)

    class Meta:
        model = EscalationStep
        fields = ["level", "kind", "fired_at", "due_at", "actor", "reason", "target", "notified"]


class IncidentSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    assignee = UserField(read_only=True)
    reported_by = UserField(read_only=True)
    affected_services = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    postmortem = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id", "reference", "title", "description", "status", "source", "reported_by",
            "service", "affected_services", "team", "assignee",
            "scope", "business_impact", "urgency", "impact", "matrix_priority", "priority",
            "priority_override_reason", "is_major", "major_declared_at", "escalation_level",
            "detected_at", "impact_started_at", "triaged_at", "acknowledged_at", "waiting_since",
            "waiting_reason", "recovered_at", "resolution_summary", "verified_at", "closed_at",
            "reopen_count", "response_due_at", "resolution_due_at", "next_due_at",
            "caused_by_change_id", "parent", "duplicate_of", "postmortem_requested_at",
            "postmortem", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_postmortem(self, incident) -> dict | None:
        postmortem = getattr(incident, "postmortem", None)
        return {"id": postmortem.pk, "status": postmortem.status} if postmortem else None


class IncidentDetailSerializer(IncidentSerializer):
    escalation_steps = EscalationStepSerializer(many=True, read_only=True)
    available_actions = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "escalation_steps", "available_actions"]
        read_only_fields = fields

    def get_available_actions(self, incident) -> list[str]:
        from ..actions import available_actions

        request = self.context.get("request")
        return [a.verb for a in available_actions(incident, request.user)] if request else []


class IncidentCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    service = _service_field()
    scope = serializers.ChoiceField(choices=Scope.choices)
    business_impact = serializers.ChoiceField(choices=BusinessImpact.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    detected_by = serializers.ChoiceField(
        choices=Incident.Source.choices, default=Incident.Source.USER
    )
    detected_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    affected_services = _service_field(many=True, required=False)
    team = _team_field(required=False, allow_null=True, default=None)
    assignee = UserField(required=False, allow_null=True, default=None)
    is_major = serializers.BooleanField(default=False)


class IncidentUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    affected_services = _service_field(many=True, required=False)
    impact_started_at = serializers.DateTimeField(required=False, allow_null=True)


class TriageInput(serializers.Serializer):
    scope = serializers.ChoiceField(choices=Scope.choices)
    business_impact = serializers.ChoiceField(choices=BusinessImpact.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    team = _team_field(required=False, allow_null=True, default=None)
    assignee = UserField(required=False, allow_null=True, default=None)
    affected_services = _service_field(many=True, required=False, default=None)
    is_major = serializers.BooleanField(default=False)


class EmptyInput(serializers.Serializer):
    pass


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField()


class OptionalReasonInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class QuestionInput(serializers.Serializer):
    question = serializers.CharField()


class AnswerInput(serializers.Serializer):
    answer = serializers.CharField(required=False, allow_blank=True, default="")


class SummaryInput(serializers.Serializer):
    summary = serializers.CharField()


class PriorityInput(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices)
    reason = serializers.CharField()


class EscalateInput(serializers.Serializer):
    reason = serializers.CharField()
    level = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


class AssignInput(serializers.Serializer):
    team = _team_field()
    assignee = UserField(required=False, allow_null=True, default=None)


class MergeInput(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, help_text="Id of the incident this one duplicates")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ParentInput(serializers.Serializer):
    parent = serializers.IntegerField(min_value=1, allow_null=True, help_text="null detaches")


class ChangeLinkInput(serializers.Serializer):
    change = serializers.IntegerField(min_value=1, allow_null=True, help_text="null unlinks")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AuditEventOut(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.CharField()
    actor = serializers.CharField(allow_null=True)
    source = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    message = serializers.CharField()


class NotificationSerializer(serializers.ModelSerializer):
    recipient = UserField(read_only=True)
    incident_reference = serializers.CharField(source="incident.reference", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id", "incident", "incident_reference", "kind", "recipient", "subject", "body",
            "created_at", "emailed_at", "email_error", "read_at",
        ]  # fmt: skip
        read_only_fields = fields


class TimelineEntrySerializer(serializers.ModelSerializer):
    author = UserField(read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "text", "author"]
        read_only_fields = ["id", "author"]


class ActionItemSerializer(serializers.ModelSerializer):
    owner = UserField()
    team = _team_field()
    incident = serializers.IntegerField(source="postmortem.incident_id", read_only=True)

    class Meta:
        model = ActionItem
        fields = [
            "id", "postmortem", "incident", "title", "owner", "team", "due_date", "status",
            "done_at", "note", "reminders_sent", "last_reminded_at",
        ]  # fmt: skip
        read_only_fields = [
            "id",
            "incident",
            "status",
            "done_at",
            "note",
            "reminders_sent",
            "last_reminded_at",
        ]


class ActionItemUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    owner = UserField(required=False)
    team = _team_field(required=False)
    due_date = serializers.DateField(required=False)


class NoteInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PostmortemSerializer(serializers.ModelSerializer):
    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    author = UserField(read_only=True)
    published_by = UserField(read_only=True)
    entries = TimelineEntrySerializer(many=True, read_only=True)
    action_items = ActionItemSerializer(many=True, read_only=True)
    missing_sections = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Postmortem
        fields = [
            "id", "incident", "incident_reference", "status", "summary", "impact", "five_whys",
            "root_cause", "resolution", "prevention", "author", "submitted_at", "published_at",
            "published_by", "review_comment", "missing_sections", "entries", "action_items",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class PostmortemUpdateSerializer(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_blank=True)
    impact = serializers.CharField(required=False, allow_blank=True)
    five_whys = serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, max_length=5
    )
    root_cause = serializers.CharField(required=False, allow_blank=True)
    resolution = serializers.CharField(required=False, allow_blank=True)
    prevention = serializers.CharField(required=False, allow_blank=True)


class PostmortemCreateSerializer(serializers.Serializer):
    incident = serializers.IntegerField(min_value=1)


class CommentInput(serializers.Serializer):
    comment = serializers.CharField()


class TimelineEntryInput(serializers.Serializer):
    at = serializers.DateTimeField()
    text = serializers.CharField(max_length=500)


class PriorityMatrixCellSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriorityMatrixCell
        fields = ["impact", "urgency", "priority"]


class PriorityPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = PriorityPolicy
        fields = [
            "priority", "response_amount", "response_unit", "resolution_amount",
            "resolution_unit", "warn_fraction", "postmortem_required",
        ]  # fmt: skip


class EscalationLevelSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    person = UserField(read_only=True)

    class Meta:
        model = EscalationLevel
        fields = ["number", "wait", "target_type", "role", "team", "person", "major_only"]


class EscalationPolicySerializer(serializers.ModelSerializer):
    levels = EscalationLevelSerializer(many=True, read_only=True)
    teams = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "name", "is_default", "teams", "levels"]
