"""Reads shared by the pages and the API; they own select_related / prefetch_related."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import (
    AlertGroup,
    AlertStatus,
    Delivery,
    Integration,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


def _count(qs) -> Coalesce:
    counted = qs.order_by().values("integration").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def integration_list() -> QuerySet[Integration]:
    """Integrations with their last delivery, firing groups and 24-hour delivery count, each
    a subquery on an index, so the list costs the same with a million deliveries."""
    since = timezone.now() - timedelta(hours=24)
    last = Delivery.objects.filter(integration=OuterRef("pk")).order_by("-received_at")
    return (
        Integration.objects.select_related("default_service", "default_team", "owner")
        .annotate(
            last_received_at=Subquery(last.values("received_at")[:1]),
            firing_groups=_count(
                AlertGroup.objects.filter(integration=OuterRef("pk"), status=AlertStatus.FIRING)
            ),
            deliveries_24h=_count(
                Delivery.objects.filter(integration=OuterRef("pk"), received_at__gte=since)
            ),
        )
        .order_by("name")
    )


def integration_detail(pk: int) -> Integration:
    return integration_list().prefetch_related("severities").get(pk=pk)


def group_list(integration: Integration | None = None) -> QuerySet[AlertGroup]:
    qs = AlertGroup.objects.select_related("incident", "integration")
    if integration is not None:
        qs = qs.filter(integration=integration)
    return qs.order_by("-last_seen_at", "-pk")


def delivery_list(integration: Integration | None = None) -> QuerySet[Delivery]:
    """Deliveries without their (possibly large) raw bodies."""
    qs = Delivery.objects.select_related("incident", "group", "integration").defer("body")
    if integration is not None:
        qs = qs.filter(integration=integration)
    return qs.order_by("-received_at", "-pk")


def delivery_detail(pk: int) -> Delivery:
    return Delivery.objects.select_related("incident", "group", "integration").get(pk=pk)


def webhook_list() -> QuerySet[WebhookSubscription]:
    return (
        WebhookSubscription.objects.select_related("owner")
        .annotate(
            failed_deliveries=Count(
                "deliveries", filter=Q(deliveries__state=WebhookDelivery.State.FAILED)
            ),
            open_deliveries=Count(
                "deliveries", filter=Q(deliveries__state__in=WebhookDelivery.OPEN_STATES)
            ),
        )
        .order_by("name", "pk")
    )


def webhook_deliveries(subscription: WebhookSubscription | None = None):
    qs = WebhookDelivery.objects.select_related("subscription").prefetch_related(
        Prefetch("log", queryset=WebhookAttempt.objects.order_by("number"))
    )
    if subscription is not None:
        qs = qs.filter(subscription=subscription)
    return qs.order_by("-created_at")


def groups_for_incident(incident_id: int) -> QuerySet[AlertGroup]:
    """The alert groups feeding an incident (alert count, last seen) for its detail page."""
    return AlertGroup.objects.filter(incident_id=incident_id).select_related("integration")
