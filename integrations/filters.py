"""One FilterSet per list, shared by its page and its API endpoint."""

from __future__ import annotations

import django_filters as df
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from itsm.filters import IsoDateTimeFilter

from .events import EVENT_CHOICES, EventType
from .models import AlertGroup, AlertStatus, Delivery, Integration, WebhookDelivery
from .models import WebhookSubscription as Subscription

YES_NO = [("true", _("Yes")), ("false", _("No"))]


class IntegrationFilter(df.FilterSet):
    q = df.CharFilter(method="search", label=_("Search"))
    is_active = df.BooleanFilter(label=_("Active"))

    class Meta:
        model = Integration
        fields = ["is_active", "default_service", "default_team"]

    def search(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(description__icontains=value))


class AlertGroupFilter(df.FilterSet):
    q = df.CharFilter(method="search", label=_("Search"))
    status = df.ChoiceFilter(choices=AlertStatus.choices, label=_("Status"))
    has_incident = df.BooleanFilter(
        field_name="incident", lookup_expr="isnull", exclude=True, label=_("Has an incident")
    )

    class Meta:
        model = AlertGroup
        fields = ["integration", "status", "priority", "incident"]

    def search(self, qs, name, value):
        return qs.filter(Q(title__icontains=value) | Q(key__icontains=value))


class DeliveryFilter(df.FilterSet):
    outcome = df.MultipleChoiceFilter(choices=Delivery.Outcome.choices, label=_("Outcome"))
    kind = df.ChoiceFilter(choices=Delivery.Kind.choices, label=_("Kind"))
    received_after = IsoDateTimeFilter(
        field_name="received_at", lookup_expr="gte", label=_("Received after")
    )
    received_before = IsoDateTimeFilter(
        field_name="received_at", lookup_expr="lt", label=_("Received before")
    )

    class Meta:
        model = Delivery
        fields = ["integration", "outcome", "kind", "group", "incident"]


class WebhookSubscriptionFilter(df.FilterSet):
    q = df.CharFilter(method="search", label=_("Search"))
    is_active = df.BooleanFilter(label=_("Active"))
    event = df.ChoiceFilter(choices=EVENT_CHOICES, method="by_event", label=_("Event"))

    class Meta:
        model = Subscription
        fields = ["is_active", "owner"]

    def search(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(url__icontains=value))

    def by_event(self, qs, name, value):
        # JSON containment is not portable to SQLite; the list of subscriptions is short.
        return qs.filter(
            pk__in=[s.pk for s in Subscription.objects.all() if value in s.event_types]
        )


class WebhookDeliveryFilter(df.FilterSet):
    state = df.MultipleChoiceFilter(choices=WebhookDelivery.State.choices, label=_("State"))
    event_type = df.ChoiceFilter(
        choices=[*EVENT_CHOICES, (EventType.PING, _("Test event"))], label=_("Event")
    )

    class Meta:
        model = WebhookDelivery
        fields = ["subscription", "state", "event_type"]
