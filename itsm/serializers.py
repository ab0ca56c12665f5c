from rest_framework import serializers

from .models import AuditEvent, Service, Team, User


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "slug", "email", "calendar"]


class ServiceSerializer(serializers.ModelSerializer):
    owner_team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    depends_on = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Service.objects.all(), required=False
    )

    class Meta:
        model = Service
        fields = [
            "id", "name", "slug", "description", "owner_team", "criticality", "hours",
            "depends_on", "is_active",
        ]  # fmt: skip


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    teams = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "time_zone",
            "language",
            "roles",
            "teams",
        ]
        read_only_fields = ["id", "username", "roles", "teams"]

    def get_roles(self, user) -> list[str]:
        return sorted(g.name for g in user.groups.all())


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField(allow_null=True)
    object_type = serializers.CharField(source="content_type.model", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "source",
            "object_type",
            "object_id",
            "action",
            "from_state",
            "to_state",
            "message",
            "payload",
        ]
