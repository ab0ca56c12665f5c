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
    Impact,
    Incident,
    Notification,
    Postmortem,
    Priority,
    PriorityMatrixCell,
    PriorityPolicy,
    Scope,
    Status,
    TargetUnit,
    TimelineEntry,
    Urgency,
)

User = get_user_model()
_named: dict[str, type] = {}


def named_choice(choices, component: str, **kwargs) -> serializers.ChoiceField:
    """A choice field documented as its own named enum component.

    Other apps have `status`, `source` or `priority` fields too; a named component keeps
    the OpenAPI schema free of collisions. One class per component, reused by every field
    that shares the choice set (two classes under one name would collide as well).
    """
    if component not in _named:

        @extend_schema_field(
            {"type": "string", "enum": [value for value, _label in choices]},
            component_name=component,
        )
        class NamedChoiceField(serializers.ChoiceField):
            pass

        _named[component] = NamedChoiceField
    return _named[component](choices=choices, **kwargs)


def status_field():
    return named_choice(Status.choices, "IncidentStatusEnum", read_only=True)


def priority_field(**kwargs):
    return named_choice(Priority.choices, "IncidentPriorityEnum", **kwargs)


def scope_field(**kwargs):
    return named_choice(Scope.choices, "IncidentScopeEnum", **kwargs)


def business_impact_field(**kwargs):
    return named_choice(BusinessImpact.choices, "IncidentBusinessImpactEnum", **kwargs)


def urgency_field(**kwargs):
    return named_choice(Urgency.choices, "IncidentUrgencyEnum", **kwargs)


def impact_field(**kwargs):
    return named_choice(Impact.choices, "IncidentImpactEnum", **kwargs)


def source_field(**kwargs):
    return named_choice(Incident.Source.choices, "IncidentDetectedByEnum", **kwargs)


def target_unit_field(**kwargs):
    return named_choice(TargetUnit.choices, "IncidentTargetUnitEnum", **kwargs)


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


class IncidentEscalationStepSerializer(serializers.ModelSerializer):
    actor = UserField(read_only=True, allow_null=True)
    kind = named_choice(
        EscalationStep.Kind.choices, "IncidentEscalationStepKindEnum", read_only=True
    )

    class Meta:
        model = EscalationStep
        fields = ["level", "kind", "fired_at", "due_at", "actor", "reason", "target", "notified"]


class IncidentSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    assignee = UserField(read_only=True, allow_null=True)
    reported_by = UserField(read_only=True, allow_null=True)
    affected_services = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    postmortem = serializers.SerializerMethodField()
    status = status_field()
    source = source_field(read_only=True)
    scope = scope_field(read_only=True)
    business_impact = business_impact_field(read_only=True)
    urgency = urgency_field(read_only=True)
    impact = impact_field(read_only=True)
    matrix_priority = priority_field(read_only=True)
    priority = priority_field(read_only=True)

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
    escalation_steps = IncidentEscalationStepSerializer(many=True, read_only=True)
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


class IncidentTriageInput(serializers.Serializer):
    scope = scope_field()
    business_impact = business_impact_field()
    urgency = urgency_field()
    team = _team_field(required=False, allow_null=True, default=None)
    assignee = UserField(required=False, allow_null=True, default=None)
    affected_services = _service_field(many=True, required=False, default=None)
    is_major = serializers.BooleanField(default=False)


class IncidentEmptyInput(serializers.Serializer):
    pass


class IncidentReasonInput(serializers.Serializer):
    reason = serializers.CharField()


class IncidentOptionalReasonInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class IncidentQuestionInput(serializers.Serializer):
    question = serializers.CharField()


class IncidentAnswerInput(serializers.Serializer):
    answer = serializers.CharField(required=False, allow_blank=True, default="")


class IncidentSummaryInput(serializers.Serializer):
    summary = serializers.CharField()


class IncidentPriorityInput(serializers.Serializer):
    priority = priority_field()
    reason = serializers.CharField()


class IncidentEscalateInput(serializers.Serializer):
    reason = serializers.CharField()
    level = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


class IncidentAssignInput(serializers.Serializer):
    team = _team_field()
    assignee = UserField(required=False, allow_null=True, default=None)


class IncidentMergeInput(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, help_text="Id of the incident this one duplicates")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class IncidentParentInput(serializers.Serializer):
    parent = serializers.IntegerField(min_value=1, allow_null=True, help_text="null detaches")


class IncidentChangeLinkInput(serializers.Serializer):
    change = serializers.IntegerField(min_value=1, allow_null=True, help_text="null unlinks")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class IncidentTimelineEvent(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.CharField()
    actor = serializers.CharField(allow_null=True)
    source = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    message = serializers.CharField()


class IncidentNotificationSerializer(serializers.ModelSerializer):
    recipient = UserField(read_only=True)
    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    kind = named_choice(Notification.Kind.choices, "IncidentNotificationKindEnum", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id", "incident", "incident_reference", "kind", "recipient", "subject", "body",
            "created_at", "emailed_at", "email_error", "read_at",
        ]  # fmt: skip
        read_only_fields = fields


class PostmortemTimelineEntrySerializer(serializers.ModelSerializer):
    author = UserField(read_only=True, allow_null=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "text", "author"]
        read_only_fields = ["id", "author"]


class IncidentActionItemSerializer(serializers.ModelSerializer):
    owner = UserField()
    team = _team_field()
    incident = serializers.IntegerField(source="postmortem.incident_id", read_only=True)
    status = named_choice(ActionItem.Status.choices, "IncidentActionItemStatusEnum", read_only=True)

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


class IncidentActionItemUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    owner = UserField(required=False)
    team = _team_field(required=False)
    due_date = serializers.DateField(required=False)


class IncidentActionItemNoteInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PostmortemSerializer(serializers.ModelSerializer):
    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    author = UserField(read_only=True, allow_null=True)
    published_by = UserField(read_only=True, allow_null=True)
    entries = PostmortemTimelineEntrySerializer(many=True, read_only=True)
    action_items = IncidentActionItemSerializer(many=True, read_only=True)
    missing_sections = serializers.ListField(child=serializers.CharField(), read_only=True)
    status = named_choice(Postmortem.Status.choices, "PostmortemStatusEnum", read_only=True)

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


class PostmortemCommentInput(serializers.Serializer):
    comment = serializers.CharField()


class PostmortemTimelineEntryInput(serializers.Serializer):
    at = serializers.DateTimeField()
    text = serializers.CharField(max_length=500)


class IncidentPriorityMatrixCellSerializer(serializers.ModelSerializer):
    impact = impact_field(read_only=True)
    urgency = urgency_field(read_only=True)
    priority = priority_field(read_only=True)

    class Meta:
        model = PriorityMatrixCell
        fields = ["impact", "urgency", "priority"]


class IncidentPriorityPolicySerializer(serializers.ModelSerializer):
    priority = priority_field(read_only=True)
    response_unit = target_unit_field(read_only=True)
    resolution_unit = target_unit_field(read_only=True)

    class Meta:
        model = PriorityPolicy
        fields = [
            "priority", "response_amount", "response_unit", "resolution_amount",
            "resolution_unit", "warn_fraction", "postmortem_required",
        ]  # fmt: skip


class IncidentEscalationLevelSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    person = UserField(read_only=True, allow_null=True)
    target_type = named_choice(
        EscalationLevel.TargetType.choices, "IncidentEscalationTargetTypeEnum", read_only=True
    )
    # A plain string: role names are documented once, by the kernel.
    role = serializers.CharField(read_only=True)

    class Meta:
        model = EscalationLevel
        fields = ["number", "wait", "target_type", "role", "team", "person", "major_only"]


class IncidentEscalationPolicySerializer(serializers.ModelSerializer):
    levels = IncidentEscalationLevelSerializer(many=True, read_only=True)
    teams = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "name", "is_default", "teams", "levels"]
