"""API representations. Write serializers parse input only; the services hold the rules."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from itsm.models import Service, Team, User

from ..actions import available_actions
from ..models import (
    Approval,
    CabMeeting,
    Change,
    ChangeClass,
    ChangeClassPolicy,
    ChecklistItem,
    Decision,
    FreezePeriod,
    MaintenanceWindow,
    StandardTemplate,
)


def user_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs
    )


def services_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Service.objects.all(), **kwargs
    )


# --- changes ---------------------------------------------------------------------------------


class ChangeListSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    requester = serializers.SlugRelatedField(slug_field="username", read_only=True)
    implementer = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    owner_team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    services = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    review_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Change
        fields = [
            "id", "reference", "title", "change_class", "status", "risk_level", "risk_score",
            "requester", "implementer", "owner_team", "services", "planned_start",
            "planned_end", "submitted_at", "review_due_at", "review_overdue", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class ChangeApprovalSerializer(serializers.ModelSerializer):
    approver = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Approval
        fields = ["approver", "decision", "comment", "at", "meeting", "source"]
        read_only_fields = fields


class ChangeChecklistItemSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="display_label", read_only=True)
    checked_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ChecklistItem
        fields = ["id", "kind", "category", "code", "label", "result", "note", "checked_by",
                  "checked_at"]  # fmt: skip
        read_only_fields = fields
        # read-only fields lose allow_blank in DRF: the schema must still allow ""
        extra_kwargs = {"result": {"allow_blank": True}}


class ChangeConflictSerializer(serializers.Serializer):
    change = serializers.IntegerField(source="other_id")
    reference = serializers.CharField(source="other.reference")
    services = serializers.ListField(child=serializers.CharField())
    detected_at = serializers.DateTimeField()


class ChangeDetailSerializer(ChangeListSerializer):
    impacted_services = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    approvals = ChangeApprovalSerializer(many=True, read_only=True)
    checklist = ChangeChecklistItemSerializer(source="checklist_items", many=True, read_only=True)
    conflicts = ChangeConflictSerializer(many=True, read_only=True)
    backup_confirmed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    available_actions = serializers.SerializerMethodField()

    class Meta(ChangeListSerializer.Meta):
        fields = [
            *ChangeListSerializer.Meta.fields,
            "description", "template", "impacted_services", "affected_users",
            "affected_users_note", "causes_downtime", "changes_data", "tested_beforehand",
            "rollback_tested", "first_of_its_kind", "risk_reasons", "suggested_class",
            "execution_plan", "rollback_plan", "backup_plan", "assessed_at", "decided_at",
            "started_at", "finished_at", "completed_at", "backup_confirmed_at",
            "backup_confirmed_by", "backup_reference", "completion_report", "failure_reason",
            "rollback_notes", "cause_analysis", "review_overdue_at", "review_summary",
            "reviewed_at", "closed_at", "cancel_reason", "approvals", "checklist", "conflicts",
            "available_actions",
        ]  # fmt: skip
        read_only_fields = fields
        # read-only fields lose allow_blank in DRF: the schema must still allow ""
        extra_kwargs = {"suggested_class": {"allow_blank": True}}

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_actions(self, change) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return [a.api_verb for a in available_actions(change, request.user)]


class ChangeWriteSerializer(serializers.Serializer):
    """Create (optionally from an approved standard template) or edit a draft."""

    template = serializers.PrimaryKeyRelatedField(
        queryset=StandardTemplate.objects.all(), required=False, write_only=True,
        help_text=_("Create a standard change from this approved template (create only)."),
    )  # fmt: skip
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    change_class = serializers.ChoiceField(choices=ChangeClass.choices, required=False)
    owner_team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True
    )
    services = services_field(required=False)
    implementer = user_field(required=False, allow_null=True)
    affected_users = serializers.IntegerField(min_value=0, required=False)
    affected_users_note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    causes_downtime = serializers.BooleanField(required=False)
    changes_data = serializers.BooleanField(required=False)
    tested_beforehand = serializers.BooleanField(required=False)
    rollback_tested = serializers.BooleanField(required=False)
    first_of_its_kind = serializers.BooleanField(required=False)
    execution_plan = serializers.CharField(required=False, allow_blank=True)
    rollback_plan = serializers.CharField(required=False, allow_blank=True)
    backup_plan = serializers.CharField(required=False, allow_blank=True)
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)


# --- transition inputs -----------------------------------------------------------------------


class ChangeNoInputSerializer(serializers.Serializer):
    pass


class ChangeAssessInputSerializer(serializers.Serializer):
    change_class = serializers.ChoiceField(choices=ChangeClass.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeCommentInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeRejectInputSerializer(serializers.Serializer):
    comment = serializers.CharField()


class ChangeVoteInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    meeting = serializers.PrimaryKeyRelatedField(
        queryset=CabMeeting.objects.all(), required=False, allow_null=True
    )


class ChangeScheduleInputSerializer(serializers.Serializer):
    planned_start = serializers.DateTimeField(required=False)
    planned_end = serializers.DateTimeField(required=False)
    implementer = user_field(required=False, allow_null=True)


class ChangeRescheduleInputSerializer(ChangeScheduleInputSerializer):
    planned_start = serializers.DateTimeField()
    planned_end = serializers.DateTimeField()


class ChangeFinishInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeVerifyInputSerializer(serializers.Serializer):
    report = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeFailInputSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ChangeRollBackInputSerializer(serializers.Serializer):
    notes = serializers.CharField()


class ChangeReviewInputSerializer(serializers.Serializer):
    cause_analysis = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeCloseInputSerializer(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ChangeCheckInputSerializer(serializers.Serializer):
    item = serializers.IntegerField(help_text=_("Id of a checklist item of this change."))
    result = serializers.ChoiceField(choices=ChecklistItem.Result.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeBackupInputSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=200)


class ChangeTextInputSerializer(serializers.Serializer):
    text = serializers.CharField()


class ChangeTimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    actor = serializers.CharField(source="actor.username", default=None)
    text = serializers.CharField()
    detail = serializers.CharField()
    action = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()


# --- catalogue, CAB, calendar, policies -----------------------------------------------------


class ChangeTemplateSerializer(serializers.ModelSerializer):
    services = services_field(required=False)
    owner_team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True
    )
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = StandardTemplate
        fields = [
            "id", "family", "version", "name", "description", "execution_plan",
            "rollback_plan", "backup_plan", "services", "owner_team", "default_duration",
            "status", "proposed_by", "proposed_at", "decided_by", "decided_at",
            "decision_note", "retired_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "family", "version", "status", "proposed_by", "proposed_at", "decided_by",
            "decided_at", "decision_note", "retired_at",
        ]  # fmt: skip


class ChangeNoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeCabMeetingSerializer(serializers.ModelSerializer):
    chair = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    agenda = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = CabMeeting
        fields = ["id", "title", "starts_at", "location", "chair", "agenda", "status", "minutes"]
        read_only_fields = ["id", "chair", "agenda", "status", "minutes"]


class ChangeMinutesInputSerializer(serializers.Serializer):
    minutes = serializers.CharField()


class ChangeFreezePeriodSerializer(serializers.ModelSerializer):
    services = services_field(required=False)

    class Meta:
        model = FreezePeriod
        fields = ["id", "name", "description", "start", "end", "services"]


class ChangeMaintenanceWindowSerializer(serializers.ModelSerializer):
    services = services_field(required=False)

    class Meta:
        model = MaintenanceWindow
        fields = ["id", "name", "description", "start", "end", "recurrence", "recur_until",
                  "services"]  # fmt: skip


class ChangePolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeClassPolicy
        fields = [
            "id", "change_class", "approver_role", "required_approvals", "cab_vote", "quorum",
            "majority_percent", "auto_approve_from_template", "skip_assessment",
            "lead_time_business_days", "freeze_exempt", "review_required",
            "review_due_business_days", "approval_reminder_minutes",
        ]  # fmt: skip
        read_only_fields = ["id", "change_class"]


class ChangeCalendarQuerySerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": _("The end must be after the start.")})
        if (attrs["end"] - attrs["start"]).days > 92:
            raise serializers.ValidationError({"end": _("At most 92 days at a time.")})
        return attrs


class ChangeWindowOccurrenceSerializer(serializers.Serializer):
    window = serializers.IntegerField()
    name = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class ChangeCalendarSerializer(serializers.Serializer):
    changes = ChangeListSerializer(many=True)
    maintenance_windows = ChangeWindowOccurrenceSerializer(many=True)
    freeze_periods = ChangeFreezePeriodSerializer(many=True)
