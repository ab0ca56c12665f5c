from rest_framework import serializers

from itsm.models import Service, Team

from ..models import JobRun, MaintenanceJob, MaintenancePlan, MaintenanceRun, PendingUpdate


class ServiceSlugs(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "slug")
        super().__init__(**kwargs)


class MaintenanceJobSerializer(serializers.ModelSerializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=MaintenancePlan.objects.all())
    services = ServiceSlugs(many=True, queryset=Service.objects.all(), required=False)
    owner_team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = MaintenanceJob
        fields = [
            "id",
            "plan",
            "name",
            "kind",
            "position",
            "is_active",
            "parameters",
            "services",
            "owner_team",
            "change_template",
        ]
        # The service validates the parameters and the template, for page and API alike.
        extra_kwargs = {"position": {"required": False}}

    def get_validators(self):
        return []


class MaintenancePlanSerializer(serializers.ModelSerializer):
    schedule_text = serializers.CharField(read_only=True)
    incident_service = ServiceSlugs(queryset=Service.objects.all(), required=False, allow_null=True)
    jobs = MaintenanceJobSerializer(many=True, read_only=True)
    active_jobs = serializers.IntegerField(read_only=True, required=False)
    last_status = serializers.CharField(read_only=True, required=False, allow_null=True)

    class Meta:
        model = MaintenancePlan
        fields = [
            "id",
            "name",
            "description",
            "schedule",
            "schedule_text",
            "time_zone",
            "is_active",
            "open_incident_on_failure",
            "incident_service",
            "window",
            "max_duration",
            "next_run_at",
            "last_run_at",
            "last_status",
            "active_jobs",
            "jobs",
        ]
        read_only_fields = ["next_run_at", "last_run_at"]

    def get_validators(self):
        return []


class MaintenanceJobRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobRun
        fields = [
            "id",
            "job",
            "name",
            "kind",
            "position",
            "status",
            "started_at",
            "finished_at",
            "duration",
            "output",
            "details",
        ]


class MaintenanceRunSerializer(serializers.ModelSerializer):
    plan_name = serializers.CharField(source="plan.name", read_only=True)
    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    job_count = serializers.IntegerField(read_only=True)
    failed_jobs = serializers.IntegerField(read_only=True)

    class Meta:
        model = MaintenanceRun
        fields = [
            "id",
            "plan",
            "plan_name",
            "trigger",
            "scheduled_for",
            "status",
            "requested_by",
            "queued_at",
            "started_at",
            "finished_at",
            "duration",
            "summary",
            "incident_reference",
            "notified_at",
            "job_count",
            "failed_jobs",
        ]
        read_only_fields = fields


class MaintenanceRunDetailSerializer(MaintenanceRunSerializer):
    job_runs = MaintenanceJobRunSerializer(many=True, read_only=True)

    class Meta(MaintenanceRunSerializer.Meta):
        fields = [*MaintenanceRunSerializer.Meta.fields, "job_runs"]
        read_only_fields = fields


class PendingUpdateSerializer(serializers.ModelSerializer):
    services = ServiceSlugs(many=True, queryset=Service.objects.all(), required=False)
    affected_services = ServiceSlugs(many=True, read_only=True)
    registered_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = PendingUpdate
        fields = [
            "id",
            "component",
            "version",
            "kind",
            "severity",
            "advisory",
            "notes",
            "services",
            "status",
            "registered_by",
            "registered_at",
            "affected_services",
            "suggested_class",
            "analysis",
            "analysed_at",
            "window_name",
            "window_start",
            "window_end",
            "change",
            "change_reference",
            "scheduled_at",
            "closed_at",
            "close_note",
        ]
        read_only_fields = [
            "status",
            "registered_at",
            "suggested_class",
            "analysis",
            "analysed_at",
            "window_name",
            "window_start",
            "window_end",
            "change",
            "change_reference",
            "scheduled_at",
            "closed_at",
            "close_note",
        ]

    def get_validators(self):
        return []  # the service reports a duplicate open update with a 400 and a message


class MaintenanceNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
