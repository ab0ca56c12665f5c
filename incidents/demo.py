"""Demo incidents for `manage.py seed_demo`: one of each kind the on-call person meets."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from itsm.models import AuditEvent, Service

from . import services
from .models import Incident

User = get_user_model()
SYSTEM = AuditEvent.Source.SYSTEM


def _users(*names):
    found = {u.username: u for u in User.objects.filter(username__in=names)}
    return [found.get(name) for name in names]


def seed() -> None:
    requester, oncall, leader, opsmanager = _users("requester", "oncall", "leader", "opsmanager")
    services_by_slug = {s.slug: s for s in Service.objects.all()}
    if not all([requester, oncall, leader, opsmanager]) or not services_by_slug:
        return
    now = timezone.now()

    def report(title, slug, scope, business, urgency, minutes_ago, **kwargs):
        if Incident.objects.filter(title=title).exists() or slug not in services_by_slug:
            return None
        return services.incident_report(
            actor=kwargs.pop("actor", requester),
            source=SYSTEM,
            title=title,
            service=services_by_slug[slug],
            scope=scope,
            business_impact=business,
            urgency=urgency,
            detected_at=now - dt.timedelta(minutes=minutes_ago),
            **kwargs,
        )

    report(
        "Payments API returns HTTP 503 for all card payments",
        "payments-api", "all_users", "revenue_loss", "immediate", 6,
        description="Alertmanager: HTTP 5xx > 5 % for 5 minutes on payments-api.",
        detected_by=Incident.Source.MONITORING, actor=oncall, is_major=True,
    )  # fmt: skip
    slow = report(
        "Web shop checkout takes 8 seconds",
        "web-shop", "some_users", "loss_of_trust", "immediate", 40,
    )  # fmt: skip
    if slow:
        services.incident_acknowledge(incident_id=slow.pk, actor=oncall, source=SYSTEM)
        services.incident_investigate(incident_id=slow.pk, actor=oncall, source=SYSTEM)
    waiting = report(
        "Help desk attachments fail to upload for one team",
        "help-desk", "one_function", "minor", "planned", 180,
    )  # fmt: skip
    if waiting:
        services.incident_acknowledge(incident_id=waiting.pk, actor=oncall, source=SYSTEM)
        services.incident_wait(
            incident_id=waiting.pk, actor=oncall, source=SYSTEM,
            question="Which browser and file size? Does it fail for small files too?",
        )  # fmt: skip
    old = report(
        "Customer database unreachable (disk full)",
        "customer-db", "all_users", "revenue_loss", "immediate", 90,
        detected_by=Incident.Source.MONITORING, actor=oncall,
    )  # fmt: skip
    if old:
        services.incident_acknowledge(incident_id=old.pk, actor=oncall, source=SYSTEM)
        services.incident_recover(
            incident_id=old.pk, actor=oncall, source=SYSTEM,
            summary="Rotated WAL archives, freed 40 GB, restarted the primary.",
        )  # fmt: skip
        services.incident_verify(incident_id=old.pk, actor=leader, source=SYSTEM)
        postmortem = old.postmortem if hasattr(old, "postmortem") else None
        postmortem = postmortem or services.postmortem_start(
            incident_id=old.pk, actor=oncall, source=SYSTEM
        )
        services.postmortem_update(
            postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM,
            summary="The customer database stopped accepting writes for 35 minutes.",
            five_whys=[
                "Writes failed because the data disk was full.",
                "The disk filled because WAL archives were not removed.",
                "The archive clean-up job had failed silently for a week.",
                "Its failure raised no alert.",
                "Backup job failures were only in the daily info report.",
            ],
            resolution="Freed space, restarted the primary, verified replication.",
            prevention="Alert on archive clean-up failures; disk alert at 80 %.",
        )  # fmt: skip
        services.action_item_add(
            postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM,
            title="Alert when the WAL clean-up job fails", owner=oncall, team=old.team,
            due_date=timezone.localdate() + dt.timedelta(days=7),
        )  # fmt: skip
        services.postmortem_submit(postmortem_id=postmortem.pk, actor=oncall, source=SYSTEM)
