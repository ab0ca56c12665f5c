"""Raw payloads are kept for inspection, then purged: a daily timer per integration."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from itsm.timers.services import timer_arm

from ..models import Delivery, Integration

PURGE_KIND = "integrations.purge"
BATCH = 5000


def purge_schedule(integration: Integration, *, soon: bool = False) -> None:
    due = timezone.now() + (timedelta(minutes=1) if soon else timedelta(days=1))
    timer_arm(subject=integration, kind=PURGE_KIND, due_at=due, fast_path=False)


@transaction.atomic
def payloads_purge(*, integration_id: int) -> int:
    """Delete deliveries older than the integration keeps them (a batch at a time); the
    groups, alerts and incidents they produced stay."""
    integration = Integration.objects.filter(pk=integration_id).first()
    if integration is None:
        return 0
    cutoff = timezone.now() - timedelta(days=integration.retention_days)
    ids = list(
        Delivery.objects.filter(integration=integration, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    deleted = Delivery.objects.filter(pk__in=ids).delete()[0] if ids else 0
    purge_schedule(integration, soon=len(ids) == BATCH)
    return deleted
