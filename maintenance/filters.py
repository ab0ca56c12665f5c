"""One FilterSet per list, shared by the page and the API list."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from itsm.models import Service

from .models import (
    JobKind,
    JobRun,
    MaintenancePlan,
    MaintenanceRun,
    PendingUpdate,
    RunStatus,
    RunTrigger,
    UpdateKind,
    UpdateSeverity,
    UpdateStatus,
)


class PlanFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = MaintenancePlan
        fields = ["is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))


class RunFilter(django_filters.FilterSet):
    plan = django_filters.ModelChoiceFilter(queryset=MaintenancePlan.objects.all(), label=_("Plan"))
    status = django_filters.MultipleChoiceFilter(
        distinct=False,  # a column of the row itself: no join, no duplicates
        choices=RunStatus.choices,
        label=_("Result"),
    )
    trigger = django_filters.MultipleChoiceFilter(
        distinct=False,  # a column of the row itself: no join, no duplicates
        choices=RunTrigger.choices,
        label=_("Trigger"),
    )
    job_kind = django_filters.ChoiceFilter(
        choices=JobKind.choices, method="with_job_kind", label=_("Job")
    )
    after = django_filters.DateFilter(
        field_name="scheduled_for", lookup_expr="date__gte", label=_("Due from")
    )
    before = django_filters.DateFilter(
        field_name="scheduled_for", lookup_expr="date__lte", label=_("Due until")
    )
    ordering = django_filters.OrderingFilter(
        fields=(("scheduled_for", "scheduled_for"), ("duration", "duration")),
        label=_("Order"),
    )

    class Meta:
        model = MaintenanceRun
        fields = ["plan", "status", "trigger"]

    def with_job_kind(self, queryset, name, value):
        return queryset.filter(Exists(JobRun.objects.filter(run=OuterRef("pk"), kind=value)))


class UpdateFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(
        distinct=False,  # a column of the row itself: no join, no duplicates
        choices=UpdateStatus.choices,
        label=_("State"),
    )
    kind = django_filters.MultipleChoiceFilter(
        distinct=False,  # a column of the row itself: no join, no duplicates
        choices=UpdateKind.choices,
        label=_("Type"),
    )
    severity = django_filters.MultipleChoiceFilter(
        distinct=False,  # a column of the row itself: no join, no duplicates
        choices=UpdateSeverity.choices,
        label=_("Severity"),
    )
    service = django_filters.ModelChoiceFilter(
        queryset=Service.objects.all(),
        field_name="services",
        to_field_name="slug",
        label=_("Service"),
    )

    class Meta:
        model = PendingUpdate
        fields = ["status", "kind", "severity"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(component__icontains=value)
            | Q(version__icontains=value)
            | Q(advisory__icontains=value)
            | Q(notes__icontains=value)
        )
