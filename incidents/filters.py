"""One FilterSet for the incident list page and the API list."""

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.filters import IsoDateTimeFilter
from itsm.models import Service, Team
from itsm.timers.models import Clock

from .models import ACTIVE, ActionItem, Incident, Priority, Status


class IncidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("Status"))
    state = django_filters.ChoiceFilter(
        choices=[("active", _("Active")), ("finished", _("Finished"))],
        method="by_state",
        label=_("Open or finished"),
    )
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, label=_("Priority"))
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.all(), field_name="team", to_field_name="slug", label=_("Team")
    )
    service = django_filters.ModelChoiceFilter(
        queryset=Service.objects.all(),
        method="by_service",
        to_field_name="slug",
        label=_("Service"),
    )
    assignee = django_filters.CharFilter(
        method="by_assignee", label=_("Assignee (username or 'me')")
    )
    is_major = django_filters.BooleanFilter(label=_("Major"))
    overdue = django_filters.BooleanFilter(method="by_overdue", label=_("Past a deadline"))
    breached = django_filters.BooleanFilter(method="by_breached", label=_("SLA breached"))
    detected_after = IsoDateTimeFilter(
        field_name="detected_at", lookup_expr="gte", label=_("Detected from")
    )
    detected_before = IsoDateTimeFilter(
        field_name="detected_at", lookup_expr="lt", label=_("Detected before")
    )
    caused_by_change = django_filters.NumberFilter(
        field_name="caused_by_change_id", label=_("Caused by change")
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("detected_at", "detected"),
            ("priority", "priority"),
            ("next_due_at", "due"),
            ("status", "status"),
        ),
        label=_("Order"),
    )

    class Meta:
        model = Incident
        fields = [
            "q",
            "status",
            "state",
            "priority",
            "team",
            "service",
            "assignee",
            "is_major",
            "overdue",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        if value.upper().startswith("INC-") and value[4:].isdigit():
            return queryset.filter(pk=int(value[4:]))
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def by_state(self, queryset, name, value):
        if value == "active":
            return queryset.filter(status__in=ACTIVE)
        return queryset.exclude(status__in=ACTIVE)

    def by_service(self, queryset, name, value):
        return queryset.filter(Q(service=value) | Q(affected_services=value)).distinct()

    def by_assignee(self, queryset, name, value):
        if value == "me":
            user = getattr(self.request, "user", None)
            return (
                queryset.filter(assignee=user)
                if user and user.is_authenticated
                else queryset.none()
            )
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__username=value)

    def by_overdue(self, queryset, name, value):
        past = Q(next_due_at__lt=timezone.now())
        return queryset.filter(past) if value else queryset.exclude(past)

    def by_breached(self, queryset, name, value):
        breached = Exists(
            Clock.objects.filter(
                content_type=ContentType.objects.get_for_model(Incident),
                object_id=Cast(OuterRef("pk"), CharField()),
                breached_at__isnull=False,
            )
        )
        return queryset.filter(breached) if value else queryset.exclude(breached)


class ActionItemFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ActionItem.Status.choices, label=_("Status"))
    owner = django_filters.CharFilter(method="by_owner", label=_("Owner (username or 'me')"))
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.all(), to_field_name="slug", label=_("Team")
    )
    overdue = django_filters.BooleanFilter(method="by_overdue", label=_("Overdue"))
    incident = django_filters.NumberFilter(
        field_name="postmortem__incident_id", label=_("Incident")
    )

    class Meta:
        model = ActionItem
        fields = ["status", "owner", "team", "overdue", "incident"]

    def by_owner(self, queryset, name, value):
        if value == "me":
            user = getattr(self.request, "user", None)
            return (
                queryset.filter(owner=user) if user and user.is_authenticated else queryset.none()
            )
        return queryset.filter(owner__username=value)

    def by_overdue(self, queryset, name, value):
        overdue = Q(status=ActionItem.Status.OPEN, due_date__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
