"""One FilterSet per list, shared by the page and the API."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.filters import IsoDateTimeFilter
from itsm.models import Team

from .models import Override, Rotation, Schedule


class ScheduleFilter(django_filters.FilterSet):
    team = django_filters.ModelChoiceFilter(
        field_name="team", to_field_name="slug", queryset=Team.objects.all(), label=_("Team")
    )
    level = django_filters.NumberFilter(label=_("Escalation level"))
    q = django_filters.CharFilter(method="search", label=_("Search"))
    mine = django_filters.BooleanFilter(method="only_mine", label=_("Only my teams"))

    class Meta:
        model = Schedule
        fields = ["team", "level", "q", "mine"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(team__name__icontains=value))

    def only_mine(self, queryset, name, value):
        if not value or not getattr(self.request, "user", None):
            return queryset
        user = self.request.user
        return queryset.filter(
            Q(rotations__members__user=user) | Q(team__memberships__user=user)
        ).distinct()


class RotationFilter(django_filters.FilterSet):
    schedule = django_filters.NumberFilter(field_name="schedule_id", label=_("Schedule"))
    team = django_filters.CharFilter(field_name="schedule__team__slug", label=_("Team"))
    layer = django_filters.NumberFilter(label=_("Layer"))
    current = django_filters.BooleanFilter(method="only_current", label=_("Not ended"))

    class Meta:
        model = Rotation
        fields = ["schedule", "team", "layer", "kind", "restriction", "current"]

    def only_current(self, queryset, name, value):
        now = timezone.now()
        ended = Q(valid_until__isnull=False, valid_until__lte=now)
        return queryset.exclude(ended) if value else queryset.filter(ended)


class OverrideFilter(django_filters.FilterSet):
    schedule = django_filters.NumberFilter(field_name="schedule_id", label=_("Schedule"))
    team = django_filters.CharFilter(field_name="schedule__team__slug", label=_("Team"))
    user = django_filters.CharFilter(field_name="user__username", label=_("On call"))
    status = django_filters.ChoiceFilter(choices=Override.Status.choices, label=_("Status"))
    after = IsoDateTimeFilter(field_name="end", lookup_expr="gt", label=_("Ends after"))
    before = IsoDateTimeFilter(field_name="start", lookup_expr="lt", label=_("Starts before"))
    upcoming = django_filters.BooleanFilter(method="only_upcoming", label=_("Not over yet"))

    class Meta:
        model = Override
        fields = ["schedule", "team", "user", "status", "after", "before", "upcoming"]

    def only_upcoming(self, queryset, name, value):
        now = timezone.now()
        return queryset.filter(end__gt=now) if value else queryset.filter(end__lte=now)
