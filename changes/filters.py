"""One FilterSet for the change list page and the API list: same parameters, same results."""

import re

import django_filters as filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from itsm.models import Service, Team, User

from .models import Change, ChangeClass, RiskLevel, Status


@extend_schema_field(OpenApiTypes.STR)
class ServiceSlugFilter(filters.ModelMultipleChoiceFilter):
    """Services by slug (repeat the parameter for several)."""


REFERENCE = re.compile(r"^\s*(?:chg-?)?0*(\d+)\s*$", re.IGNORECASE)


class ChangeFilterSet(filters.FilterSet):
    q = filters.CharFilter(label=_("Search"), method="search")
    change_class = filters.MultipleChoiceFilter(label=_("Class"), choices=ChangeClass.choices)
    status = filters.MultipleChoiceFilter(label=_("State"), choices=Status.choices)
    risk_level = filters.MultipleChoiceFilter(label=_("Risk"), choices=RiskLevel.choices)
    service = ServiceSlugFilter(
        label=_("Service"),
        field_name="services__slug",
        to_field_name="slug",
        queryset=Service.objects.all(),
        distinct=True,
    )
    team = filters.ModelChoiceFilter(
        label=_("Team"), field_name="owner_team", to_field_name="slug", queryset=Team.objects.all()
    )
    requester = filters.ModelChoiceFilter(
        label=_("Requester"), to_field_name="username", queryset=User.objects.all()
    )
    implementer = filters.ModelChoiceFilter(
        label=_("Implementer"), to_field_name="username", queryset=User.objects.all()
    )
    planned_after = filters.DateFilter(
        label=_("Planned from"), field_name="planned_start", lookup_expr="date__gte"
    )
    planned_before = filters.DateFilter(
        label=_("Planned until"), field_name="planned_start", lookup_expr="date__lte"
    )
    mine = filters.CharFilter(
        label=_("Mine"), method="filter_mine", help_text=_("1: changes I requested or implement")
    )
    review = filters.ChoiceFilter(
        label=_("Review"),
        choices=[("due", _("Due")), ("overdue", _("Overdue"))],
        method="filter_review",
    )
    ordering = filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("pk", "number"),
            ("created_at", "created"),
            ("planned_start", "planned_start"),
            ("status", "state"),
            ("change_class", "class"),
            ("risk_score", "risk"),
            ("title", "title"),
        ),
    )

    class Meta:
        model = Change
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        match = REFERENCE.match(value)
        query = Q(title__icontains=value) | Q(description__icontains=value)
        if match:
            query |= Q(pk=int(match.group(1)))
        return queryset.filter(query)

    MINE_VALUES = frozenset({"1", "true", "yes", "on"})

    @classmethod
    def same_for_everyone(cls, request) -> bool:
        """Everyone may read every change: the list differs by user only when the query
        asks for the user's own ("mine"). The page store shares the other lists."""
        values = request.GET.getlist("mine")
        return not any(value.strip().lower() in cls.MINE_VALUES for value in values)

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value.strip().lower() not in self.MINE_VALUES or user is None:
            return queryset
        if not user.is_authenticated:
            return queryset
        return queryset.filter(Q(requester=user) | Q(implementer=user))

    def filter_review(self, queryset, name, value):
        open_reviews = queryset.filter(
            review_due_at__isnull=False, reviewed_at__isnull=True
        ).exclude(status__in=[Status.CLOSED, Status.CANCELLED])
        if value == "overdue":
            return open_reviews.filter(review_due_at__lt=timezone.now())
        return open_reviews
