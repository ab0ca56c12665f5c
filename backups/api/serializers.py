"""API shapes. Output serializers read models; input serializers only parse what services take.

Durations (rpo, rto, interval, ...) use DRF's format "[DD] [HH:[MM:]]ss", e.g. "06:00:00" or
"30 00:00:00".
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from itsm.models import Service, Team

from ..models import (
    BackupPolicy,
    BackupRun,
    BackupTarget,
    Method,
    RestoreTest,
    StorageLocation,
)
from ..selectors import Compliance
from ..services.runs import REPORTABLE


class StorageLocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = StorageLocation
        fields = ["id", "name", "medium", "uri", "off_site", "is_active"]


class BackupPolicySerializer(serializers.ModelSerializer):
    target = serializers.SlugRelatedField(slug_field="slug", queryset=BackupTarget.objects.all())
    storage_location = serializers.PrimaryKeyRelatedField(queryset=StorageLocation.objects.all())

    class Meta:
        model = BackupPolicy
        fields = ["id", "target", "name", "method", "interval", "next_run_at",
                  "retention_generations", "retention_days", "storage_location", "encrypted",
                  "start_grace", "max_duration", "is_active"]  # fmt: skip
        validators = []  # uniqueness is the service's rule (400 with a message)


class BackupTargetSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.all(), required=False, allow_null=True
    )
    owner_team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True
    )
    compliance = serializers.ChoiceField(choices=Compliance.CHOICES, read_only=True)
    last_verified = serializers.DateTimeField(read_only=True, allow_null=True)
    rpo_deadline = serializers.DateTimeField(read_only=True, allow_null=True)
    rule_321 = serializers.BooleanField(read_only=True)
    backup_copies = serializers.IntegerField(read_only=True)
    off_site_copies = serializers.IntegerField(read_only=True)
    other_media = serializers.IntegerField(read_only=True)
    last_run_status = serializers.CharField(read_only=True, allow_null=True)
    next_run_at = serializers.DateTimeField(read_only=True, allow_null=True)
    next_drill_at = serializers.DateTimeField(read_only=True, allow_null=True)
    drill_overdue = serializers.BooleanField(read_only=True)
    # Only when creating: where the default policies of the kind write to.
    storage_location = serializers.PrimaryKeyRelatedField(
        queryset=StorageLocation.objects.all(), write_only=True, required=False
    )
    with_default_policies = serializers.BooleanField(write_only=True, required=False, default=True)

    class Meta:
        model = BackupTarget
        fields = ["id", "name", "slug", "kind", "description", "service", "owner_team",
                  "primary_medium", "rpo", "rto", "at_risk_percent", "drill_interval",
                  "is_active", "is_portal", "rpo_breached_at", "created_at", "compliance",
                  "last_verified", "rpo_deadline", "rule_321", "backup_copies",
                  "off_site_copies", "other_media", "last_run_status", "next_run_at",
                  "next_drill_at", "drill_overdue", "storage_location",
                  "with_default_policies"]  # fmt: skip
        read_only_fields = ["is_portal", "rpo_breached_at", "created_at"]
        extra_kwargs = {"slug": {"required": False}}
        validators = []


class BackupRunSerializer(serializers.ModelSerializer):
    target = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = BackupRun
        fields = ["id", "target", "policy", "method", "status", "origin", "external_id",
                  "scheduled_for", "started_at", "finished_at", "recovery_point",
                  "size_bytes", "checksum", "checksum_algorithm", "location", "encrypted",
                  "verified_at", "verification_note", "failure_code", "failure_reason",
                  "expired_at", "purged_at", "details", "created_at"]  # fmt: skip
        read_only_fields = fields
        # read-only fields lose allow_blank in DRF: the schema must still allow ""
        extra_kwargs = {"failure_code": {"allow_blank": True}}


class RunReportedSerializer(BackupRunSerializer):
    status = serializers.CharField(read_only=True)  # one enum component: BackupRun's
    created = serializers.BooleanField(read_only=True)
    changed = serializers.BooleanField(read_only=True)

    class Meta(BackupRunSerializer.Meta):
        fields = [*BackupRunSerializer.Meta.fields, "created", "changed"]
        read_only_fields = fields


class RunCreateInput(serializers.Serializer):
    target = serializers.SlugRelatedField(slug_field="slug", queryset=BackupTarget.objects.all())
    policy = serializers.IntegerField(required=False, allow_null=True)
    method = serializers.ChoiceField(choices=Method.choices, required=False)
    scheduled_for = serializers.DateTimeField(required=False, allow_null=True)


class RunReportInput(serializers.Serializer):
    """What a backup job reports. Send the same external_id with every report of one run;
    a retried report changes nothing and answers 200."""

    target = serializers.SlugField(help_text="The target's slug")
    external_id = serializers.CharField(max_length=200, help_text="The job's own run id")
    status = serializers.ChoiceField(choices=[(s, s) for s in REPORTABLE])
    policy = serializers.IntegerField(required=False, allow_null=True)
    method = serializers.ChoiceField(choices=Method.choices, required=False)
    started_at = serializers.DateTimeField(required=False, allow_null=True)
    finished_at = serializers.DateTimeField(required=False, allow_null=True)
    recovery_point = serializers.DateTimeField(required=False, allow_null=True)
    size_bytes = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    checksum = serializers.CharField(max_length=200, required=False, allow_blank=True)
    location = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    encrypted = serializers.BooleanField(required=False, allow_null=True, default=None)
    message = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    details = serializers.DictField(required=False)


class StartInput(serializers.Serializer):
    at = serializers.DateTimeField(required=False, allow_null=True)


class FinishInput(serializers.Serializer):
    at = serializers.DateTimeField(required=False, allow_null=True)
    size_bytes = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    checksum = serializers.CharField(max_length=200, required=False, allow_blank=True)
    location = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    recovery_point = serializers.DateTimeField(required=False, allow_null=True)
    encrypted = serializers.BooleanField(required=False, allow_null=True, default=None)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=4000)


class OptionalReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class RestoreTestSerializer(serializers.ModelSerializer):
    target = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    meets_rto = serializers.BooleanField(read_only=True, allow_null=True)
    meets_rpo = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = RestoreTest
        fields = ["id", "target", "run", "status", "planned_for", "assignee", "scenario",
                  "started_at", "finished_at", "recovery_time", "recovery_point", "data_loss",
                  "rto_target", "rpo_target", "meets_rto", "meets_rpo", "data_verified",
                  "evidence", "evidence_url", "recorded_at", "cancel_reason",
                  "created_at"]  # fmt: skip
        read_only_fields = fields
        # read-only fields lose allow_blank in DRF: the schema must still allow ""
        extra_kwargs = {"evidence_url": {"allow_blank": True}}


class DrillPlanInput(serializers.Serializer):
    target = serializers.SlugRelatedField(slug_field="slug", queryset=BackupTarget.objects.all())
    planned_for = serializers.DateTimeField()
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    scenario = serializers.CharField(max_length=200, required=False, allow_blank=True)


class DrillRecordInput(serializers.Serializer):
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()
    data_verified = serializers.BooleanField()
    run = serializers.IntegerField(required=False, allow_null=True)
    recovery_point = serializers.DateTimeField(required=False, allow_null=True)
    evidence = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    evidence_url = serializers.URLField(required=False, allow_blank=True)


class DrillAssignInput(serializers.Serializer):
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        allow_null=True,
    )
