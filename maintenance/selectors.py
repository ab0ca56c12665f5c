"""Reads shared by pages and API: they own select_related / prefetch_related."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.models import Service

from .models import (
    JobRun,
    MaintenanceJob,
    MaintenancePlan,
    MaintenanceRun,
    PendingUpdate,
    RunStatus,
    UpdateStatus,
)


def plans() -> QuerySet[MaintenancePlan]:
    last = MaintenanceRun.objects.filter(plan=OuterRef("pk")).order_by("-scheduled_for", "-pk")
    return MaintenancePlan.objects.annotate(
        active_jobs=Count("jobs", filter=Q(jobs__is_active=True), distinct=True),
        last_status=Subquery(last.values("status")[:1]),
        last_run_id=Subquery(last.values("pk")[:1]),
    ).order_by("next_run_at", "name")


def plan_detail(plan_id: int) -> MaintenancePlan:
    return (
        MaintenancePlan.objects.select_related("incident_service", "window")
        .prefetch_related(
            Prefetch(
                "jobs",
                queryset=MaintenanceJob.objects.select_related(
                    "owner_team", "change_template"
                ).prefetch_related("services"),
            )
        )
        .get(pk=plan_id)
    )


def _count_of(job_runs: QuerySet) -> Subquery:
    counted = job_runs.order_by().values("run").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def runs() -> QuerySet[MaintenanceRun]:
    """Runs with their job counts. Correlated subqueries rather than a GROUP BY over the
    join: PostgreSQL evaluates them for the page's rows only, and the paginator's COUNT
    leaves them out, so a page costs the same with 100 or 100,000 runs on record."""
    mine = JobRun.objects.filter(run=OuterRef("pk"))
    return MaintenanceRun.objects.select_related("plan", "requested_by").annotate(
        job_count=_count_of(mine),
        failed_jobs=_count_of(mine.filter(status="failed")),
    )


def run_detail(run_id: int) -> MaintenanceRun:
    return (
        MaintenanceRun.objects.select_related("plan", "requested_by")
        .prefetch_related(Prefetch("job_runs", queryset=JobRun.objects.order_by("position", "pk")))
        .get(pk=run_id)
    )


def updates() -> QuerySet[PendingUpdate]:
    services = Service.objects.only("id", "name", "slug", "criticality")
    return PendingUpdate.objects.select_related("registered_by").prefetch_related(
        Prefetch("services", queryset=services),
        Prefetch("affected_services", queryset=services),
    )


def calendar_ahead(*, days: int = 14) -> dict:
    """Maintenance windows and freeze periods of the coming days, from the change calendar."""
    from itsm.errors import DomainError

    from . import integration

    now = timezone.now()
    end = now + timedelta(days=days)
    try:
        return {
            "windows": integration.maintenance_windows(start=now, end=end)[:20],
            "freezes": integration.freeze_periods(start=now, end=end),
            "days": days,
        }
    except DomainError as exc:
        return {"windows": [], "freezes": [], "days": days, "unavailable": exc.message}


def my_work(user) -> list[dict]:
    """Home page: failed runs of the last week for plan managers; updates waiting for ops."""
    from django.urls import reverse

    sections = []
    if user.has_perm("maintenance.change_maintenanceplan"):
        since = timezone.now() - timedelta(days=7)
        failed = list(
            MaintenanceRun.objects.select_related("plan")
            .filter(status=RunStatus.FAILED, finished_at__gte=since)
            .order_by("-finished_at")[:10]
        )
        sections.append(
            {
                "title": _("Failed maintenance runs (7 days)"),
                "items": failed,
                "url": reverse("maintenance:run_list") + "?status=failed",
                "empty": _("No maintenance run failed this week."),
            }
        )
    if user.has_perm("maintenance.change_pendingupdate"):
        waiting = list(
            PendingUpdate.objects.filter(
                status__in=[UpdateStatus.REGISTERED, UpdateStatus.ANALYSED]
            ).order_by("severity", "registered_at")[:10]
        )
        sections.append(
            {
                "title": _("Pending updates not yet scheduled"),
                "items": waiting,
                "url": reverse("maintenance:update_list") + "?status=registered&status=analysed",
                "empty": _("Every registered update is scheduled."),
            }
        )
    return sections
