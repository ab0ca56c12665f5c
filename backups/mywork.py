"""The backups sections of the home page's "my work": three bounded queries at most."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm import roles

from .models import BackupRun, BackupTarget, RestoreTest
from .selectors import Compliance, with_compliance

OPERATORS = (roles.ONCALL, roles.OPS_LEADER, roles.OPS_MANAGER, roles.ADMINISTRATOR)
LIMIT = 8


@dataclass(frozen=True)
class Item:
    label: str
    url: str

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return self.url


def provider(user) -> list[dict]:
    operator = user.has_role(*OPERATORS)
    team_ids = list(user.memberships.values_list("team_id", flat=True))
    if not operator and not team_ids:
        return []
    mine = Q() if operator else Q(owner_team_id__in=team_ids)
    now = timezone.now()
    sections = []

    targets = with_compliance(BackupTarget.objects.filter(mine, is_active=True), now).filter(
        severity__in=[
            Compliance.SEVERITY[Compliance.BREACHED],
            Compliance.SEVERITY[Compliance.AT_RISK],
        ]
    )
    sections.append(
        {
            "title": _("Backups out of RPO or at risk"),
            "items": [
                Item(f"{t.name} · {Compliance.LABELS[t.compliance]}", t.get_absolute_url())
                for t in targets.order_by("severity", "name")[:LIMIT]
            ],
            "url": reverse("backups:list") + "?compliance=breached",
            "empty": _("Every target you look after has a recent verified backup."),
        }
    )

    run_scope = Q() if operator else Q(target__owner_team_id__in=team_ids)
    failed = (
        BackupRun.objects.filter(run_scope, created_at__gte=now - timedelta(days=7))
        .filter(status__in=[BackupRun.Status.FAILED, BackupRun.Status.VERIFICATION_FAILED])
        .select_related("target")
        .order_by("-created_at")[:LIMIT]
    )
    sections.append(
        {
            "title": _("Failed backups, last 7 days"),
            "items": [
                Item(f"{r} · {r.get_status_display()}", r.get_absolute_url()) for r in failed
            ],
            "url": reverse("backups:runs") + "?status=failed&status=verification_failed",
            "empty": _("No backup failed in the last 7 days."),
        }
    )

    drill_scope = Q(assignee=user) | Q(assignee__isnull=True, target__owner_team_id__in=team_ids)
    if operator:
        drill_scope |= Q(assignee__isnull=True)
    drills = (
        RestoreTest.objects.filter(drill_scope, status=RestoreTest.Status.PLANNED)
        .select_related("target")
        .order_by("planned_for")[:LIMIT]
    )
    sections.append(
        {
            "title": _("Restore tests to hold"),
            "items": [
                Item(
                    f"{d}" + (f" · {_('overdue')}" if d.planned_for < now else ""),
                    d.get_absolute_url(),
                )
                for d in drills
            ],
            "url": reverse("backups:drills") + "?status=planned",
            "empty": _("No restore test is waiting for you."),
        }
    )
    return sections
