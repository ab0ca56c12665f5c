"""One FilterSet per list, shared by the page and the API list."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.models import Service, Team

from .models import BackupRun, BackupTarget, Method, RestoreTest, TargetKind
from .selectors import Compliance


def _search(fields: list[str]):
    def method(queryset, name, value):
        query = Q()
        for field in fields:
            query |= Q(**{f"{field}__icontains": value})
        return queryset.filter(query)

    return method


class CompactFilterSet(filters.FilterSet):
    """Small Bootstrap inputs for the filter bar above each list."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            widget = field.widget
            is_select = widget.__class__.__name__.endswith("Select") or hasattr(widget, "choices")
            widget.attrs.setdefault(
                "class",
                "form-select form-select-sm" if is_select else "form-control form-control-sm",
            )
            if field.__class__.__name__ == "DateField":
                widget.input_type = "date"
            if widget.__class__.__name__ == "SelectMultiple":
                widget.attrs.setdefault("size", 3)


class TargetFilter(CompactFilterSet):
    """Filters a queryset annotated by selectors.with_compliance."""

    q = filters.CharFilter(label=_("Search"), method="search")
    kind = filters.MultipleChoiceFilter(label=_("Kind"), choices=TargetKind.choices)
    compliance = filters.MultipleChoiceFilter(
        label=_("Compliance"), choices=Compliance.CHOICES, method="filter_compliance"
    )
    team = filters.ModelChoiceFilter(
        label=_("Team"), field_name="owner_team", to_field_name="slug", queryset=Team.objects.all()
    )
    service = filters.ModelChoiceFilter(
        label=_("Service"), to_field_name="slug", queryset=Service.objects.all()
    )
    rule_321 = filters.BooleanFilter(label=_("3-2-1 met"), method="filter_rule_321")
    drill_overdue = filters.BooleanFilter(
        label=_("Restore test overdue"), method="filter_drill_overdue"
    )
    is_active = filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = BackupTarget
        fields = ["q", "kind", "compliance", "team", "service", "rule_321", "drill_overdue",
                  "is_active"]  # fmt: skip

    def search(self, queryset, name, value):
        return _search(["name", "slug", "description"])(queryset, name, value)

    def filter_compliance(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(severity__in=[Compliance.SEVERITY[v] for v in value])

    def filter_rule_321(self, queryset, name, value):
        met = Q(backup_copies__gte=2, other_media__gte=1, off_site_copies__gte=1)
        return queryset.filter(met) if value else queryset.exclude(met)

    def filter_drill_overdue(self, queryset, name, value):
        overdue = Exists(
            RestoreTest.objects.filter(
                target=OuterRef("pk"),
                status=RestoreTest.Status.PLANNED,
                planned_for__lt=timezone.now(),
            )
        )
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class RunFilter(CompactFilterSet):
    q = filters.CharFilter(label=_("Search"), method="search")
    target = filters.ModelChoiceFilter(
        label=_("Target"), to_field_name="slug", queryset=BackupTarget.objects.all()
    )
    status = filters.MultipleChoiceFilter(label=_("Status"), choices=BackupRun.Status.choices)
    method = filters.ChoiceFilter(label=_("Method"), choices=Method.choices)
    origin = filters.ChoiceFilter(label=_("Origin"), choices=BackupRun.Origin.choices)
    failure_code = filters.ChoiceFilter(label=_("Failure"), choices=BackupRun.FailureCode.choices)
    policy = filters.NumberFilter(label=_("Policy id"), field_name="policy_id")
    external_id = filters.CharFilter(label=_("External run id"))
    created_after = filters.DateFilter(
        label=_("From"), field_name="created_at", lookup_expr="date__gte"
    )
    created_before = filters.DateFilter(
        label=_("Until"), field_name="created_at", lookup_expr="date__lte"
    )

    class Meta:
        model = BackupRun
        fields = ["q", "target", "status", "method", "origin", "failure_code", "policy",
                  "external_id", "created_after", "created_before"]  # fmt: skip

    def search(self, queryset, name, value):
        return _search(["target__name", "external_id", "location", "failure_reason"])(
            queryset, name, value
        )


class DrillFilter(CompactFilterSet):
    target = filters.ModelChoiceFilter(
        label=_("Target"), to_field_name="slug", queryset=BackupTarget.objects.all()
    )
    status = filters.MultipleChoiceFilter(label=_("Status"), choices=RestoreTest.Status.choices)
    overdue = filters.BooleanFilter(label=_("Overdue"), method="filter_overdue")
    mine = filters.BooleanFilter(label=_("Assigned to me"), method="filter_mine")
    planned_after = filters.DateFilter(
        label=_("From"), field_name="planned_for", lookup_expr="date__gte"
    )
    planned_before = filters.DateFilter(
        label=_("Until"), field_name="planned_for", lookup_expr="date__lte"
    )

    class Meta:
        model = RestoreTest
        fields = ["target", "status", "overdue", "mine", "planned_after", "planned_before"]

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status=RestoreTest.Status.PLANNED, planned_for__lt=timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not value or user is None or not user.is_authenticated:
            return queryset
        return queryset.filter(assignee=user)
