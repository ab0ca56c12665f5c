from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from itsm.models import Team

from ..models import Override, Rotation, Schedule

User = get_user_model()


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name", "email"]

    def get_name(self, user) -> str:
        return str(user)


class WindowSerializer(serializers.Serializer):
    days = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6))
    start = serializers.CharField(help_text="HH:MM, local time of the schedule")
    end = serializers.CharField(help_text="HH:MM; before start means overnight")


class MembersField(serializers.ListField):
    """An ordered list of user names, read and written in rotation order."""

    child = serializers.CharField()

    def get_attribute(self, instance):
        return instance.ordered_members()

    def to_representation(self, data):
        return [user.username for user in data]

    def to_internal_value(self, data):
        names = super().to_internal_value(data)
        found = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
        missing = [name for name in names if name not in found]
        if missing:
            raise serializers.ValidationError(
                _("Unknown or inactive users: %(names)s") % {"names": ", ".join(missing)}
            )
        return [found[name] for name in names]


class ScheduleSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())

    class Meta:
        model = Schedule
        fields = ["id", "team", "name", "level", "time_zone", "description", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # the service checks one schedule per team and level

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["team"].read_only = True
        return fields


class RotationSerializer(serializers.ModelSerializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.all())
    members = MembersField(help_text="User names in rotation order; the first is on call first.")
    windows = WindowSerializer(many=True, required=False)
    successor = serializers.SerializerMethodField()

    class Meta:
        model = Rotation
        fields = [
            "id",
            "schedule",
            "name",
            "layer",
            "kind",
            "shift_length_hours",
            "start_date",
            "handoff_time",
            "time_zone",
            "restriction",
            "windows",
            "members",
            "valid_from",
            "valid_until",
            "previous",
            "successor",
        ]
        read_only_fields = ["time_zone", "valid_from", "valid_until", "previous"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["schedule"].read_only = True
        return fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_successor(self, rotation):
        successor = getattr(rotation, "successor", None)
        return successor.pk if successor else None


class OverrideSerializer(serializers.ModelSerializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.all())
    user = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all())
    replaces = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), required=False, allow_null=True
    )
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    effective_end = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Override
        fields = [
            "id",
            "schedule",
            "user",
            "replaces",
            "start",
            "end",
            "effective_end",
            "reason",
            "status",
            "created_by",
            "created_at",
            "cancelled_at",
        ]
        read_only_fields = ["status", "created_by", "created_at", "cancelled_at"]


class SegmentSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    user = PersonSerializer(allow_null=True)
    gap = serializers.BooleanField()
    rotation = serializers.IntegerField(allow_null=True)
    override = serializers.IntegerField(allow_null=True)


class ShiftsSerializer(serializers.Serializer):
    schedule = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    segments = SegmentSerializer(many=True)
    gaps = SegmentSerializer(many=True)


class OnCallNowSerializer(serializers.Serializer):
    team = serializers.CharField()
    level = serializers.IntegerField()
    schedule = serializers.IntegerField()
    at = serializers.DateTimeField()
    user = PersonSerializer(allow_null=True, help_text="null during a gap in coverage")
    since = serializers.DateTimeField(allow_null=True)
    until = serializers.DateTimeField(allow_null=True, help_text="null: not within 31 days")
    next = PersonSerializer(allow_null=True)
    override = serializers.IntegerField(allow_null=True)


class TakeOverSerializer(serializers.Serializer):
    start = serializers.DateTimeField(required=False, allow_null=True, help_text="default: now")
    end = serializers.DateTimeField(
        required=False, allow_null=True, help_text="default: the next hand-off (at most a day)"
    )
    level = serializers.IntegerField(required=False, min_value=1, max_value=9, default=1)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class FeedTokenSerializer(serializers.Serializer):
    url = serializers.URLField()
