"""One FilterSet for the release list page and the API list."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from itsm.filters import IsoDateTimeFilter
from itsm.models import Service, Team

from .models import FINISHED, IN_FLIGHT, Deployment, Environment, Kind, Release, Stage, Strategy


class ReleaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    # distinct=False: these are columns of the release itself, no join to de-duplicate.
    stage = django_filters.MultipleChoiceFilter(
        choices=Stage.choices, label=_("Stage"), distinct=False
    )
    kind = django_filters.MultipleChoiceFilter(
        choices=Kind.choices, label=_("Kind"), distinct=False
    )
    strategy = django_filters.ChoiceFilter(choices=Strategy.choices, label=_("Strategy"))
    service = django_filters.ModelChoiceFilter(
        field_name="services",
        to_field_name="slug",
        queryset=Service.objects.all(),
        label=_("Service"),
    )
    team = django_filters.ModelChoiceFilter(
        to_field_name="slug", queryset=Team.objects.all(), label=_("Team")
    )
    state = django_filters.ChoiceFilter(
        method="by_state",
        choices=[("in_flight", _("In flight")), ("finished", _("Finished"))],
        label=_("State"),
    )
    planned_after = django_filters.DateFilter(
        field_name="planned_at", lookup_expr="date__gte", label=_("Planned from")
    )
    planned_before = django_filters.DateFilter(
        field_name="planned_at", lookup_expr="date__lte", label=_("Planned until")
    )
    mine = django_filters.BooleanFilter(
        method="by_me", label=_("Mine and my teams'"), widget=forms.CheckboxInput
    )
    order = django_filters.OrderingFilter(
        fields=(("planned_at", "planned"), ("version", "version"), ("created_at", "created")),
        label=_("Order"),
    )

    class Meta:
        model = Release
        fields = ["q", "stage", "kind", "strategy", "service", "team", "state"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .forms import bootstrap

        bootstrap(self.form)
        for name in ("stage", "kind"):
            self.form.fields[name].widget.attrs["size"] = 4
        self.form.fields["mine"].widget.attrs["class"] = "form-check-input"

    def search(self, queryset, name, value):
        return queryset.filter(Q(version__icontains=value) | Q(title__icontains=value))

    def by_state(self, queryset, name, value):
        return queryset.filter(stage__in=IN_FLIGHT if value == "in_flight" else FINISHED)

    def by_me(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not value or user is None or not user.is_authenticated:
            return queryset
        return queryset.filter(Q(manager=user) | Q(team__in=user.teams.all())).distinct()

    def filter_queryset(self, queryset):
        # A service filter joins the M2M: keep each release once.
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("service"):
            queryset = queryset.distinct()
        return queryset


class DeploymentFilter(django_filters.FilterSet):
    environment = django_filters.MultipleChoiceFilter(choices=Environment.choices, distinct=False)
    result = django_filters.MultipleChoiceFilter(choices=Deployment.Result.choices, distinct=False)
    service = django_filters.ModelChoiceFilter(
        field_name="release__services",
        to_field_name="slug",
        queryset=Service.objects.all(),
        distinct=True,
    )
    release = django_filters.NumberFilter(field_name="release_id")
    run_id = django_filters.CharFilter()
    finished_after = IsoDateTimeFilter(field_name="finished_at", lookup_expr="gte")
    finished_before = IsoDateTimeFilter(field_name="finished_at", lookup_expr="lt")

    class Meta:
        model = Deployment
        fields = ["environment", "result", "service", "release", "run_id"]
