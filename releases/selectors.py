"""Reads shared by pages and API: they own select_related / prefetch_related."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.models import AuditEvent, Service

from . import permissions as perms
from .models import (
    Build,
    Deployment,
    Environment,
    Release,
    ReleaseKindPolicy,
    Stage,
    TestRun,
)


def release_list() -> QuerySet[Release]:
    """Releases with what a list row shows, in a fixed number of queries."""
    last = (
        Deployment.objects.filter(release=OuterRef("pk"))
        .annotate(when=Coalesce("finished_at", "created_at"))
        .order_by("-when", "-pk")
    )
    return (
        Release.objects.select_related("team", "manager")
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("id", "name", "slug")))
        .annotate(
            last_deployment_environment=Subquery(last.values("environment")[:1]),
            last_deployment_result=Subquery(last.values("result")[:1]),
            last_deployment_at=Subquery(last.values("when")[:1]),
        )
    )


def release_detail(pk: int) -> Release:
    return (
        Release.objects.select_related("team", "manager", "created_by", "covering_change")
        .prefetch_related(
            "services",
            "items",
            "changes",
            "incidents_fixed",
            Prefetch(
                "deployments",
                queryset=Deployment.objects.select_related("reported_by").order_by(
                    "-created_at", "-pk"
                ),
            ),
            Prefetch(
                "builds",
                queryset=Build.objects.select_related("reported_by").order_by("-created_at", "-pk"),
            ),
            Prefetch(
                "test_runs",
                queryset=TestRun.objects.select_related("reported_by").order_by(
                    "-created_at", "-pk"
                ),
            ),
        )
        .get(pk=pk)
    )


def release_timeline(release: Release) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_object(release).select_related("actor").order_by("at", "pk")


def deployment_list() -> QuerySet[Deployment]:
    # Newest reported first: the primary key follows the report order and is indexed.
    return Deployment.objects.select_related("release", "reported_by").order_by("-pk")


def stage_progress(release: Release) -> list[dict]:
    """The pipeline as steps for the detail page: done, current, skipped or ahead."""
    order = [
        Stage.DEVELOPMENT,
        Stage.TEST,
        Stage.STAGING,
        Stage.CANARY,
        Stage.PRODUCTION,
        Stage.DONE,
    ]
    current = release.stage
    if current in (Stage.ROLLED_BACK, Stage.CANCELLED):
        current = release.rolled_back_from or None
    index = order.index(current) if current in order else -1
    steps = []
    for position, stage in enumerate(order):
        if stage == Stage.CANARY and not release.uses_canary:
            state = "skipped"
        elif position < index:
            state = "done"
        elif position == index:
            state = "failed" if release.stage == Stage.ROLLED_BACK else "current"
        else:
            state = "ahead"
        steps.append({"stage": stage, "label": stage.label, "state": state})
    return steps


def my_work_sections(user) -> list[dict]:
    """The home page's release sections: in-flight releases of my teams, and promotions due."""
    if not (user.has_perm(perms.ADD) or user.has_perm(perms.PROMOTE_PRODUCTION)):
        return []
    mine = (
        Release.objects.in_flight()
        .filter(Q(manager=user) | Q(team__in=user.teams.all()))
        .select_related("team")
        .distinct()
        .order_by("planned_at", "pk")[:10]
    )
    sections = [
        {
            "title": _("Releases in flight"),
            "items": list(mine),
            "url": reverse("releases:list") + "?mine=on",
            "empty": _("No release of yours or your teams is in flight."),
        }
    ]
    if user.has_perm(perms.PROMOTE_PRODUCTION):
        waiting = (
            Release.objects.filter(
                Q(stage=Stage.CANARY)
                | Q(stage=Stage.STAGING, strategy__in=["blue_green", "rolling"])
            )
            .select_related("team")
            .order_by("planned_at", "pk")[:10]
        )
        sections.append(
            {
                "title": _("Releases waiting for production"),
                "items": list(waiting),
                "url": reverse("releases:list") + "?stage=canary&stage=staging",
                "empty": _("No release is waiting for a production promotion."),
            }
        )
    return sections


def calendar_month(year: int, month: int) -> dict:
    """Planned releases, production deployments and cadence slots of one month, by day."""
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    planned = (
        Release.objects.filter(planned_at__gte=start, planned_at__lt=end)
        .select_related("team")
        .order_by("planned_at")
    )
    deployed = (
        Deployment.objects.filter(
            environment=Environment.PRODUCTION, finished_at__gte=start, finished_at__lt=end
        )
        .select_related("release")
        .order_by("finished_at")
    )
    days: dict[date, dict] = {}
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        days[day] = {"date": day, "planned": [], "deployed": [], "slots": []}
    for release in planned:
        days[timezone.localtime(release.planned_at, tz).date()]["planned"].append(release)
    for deployment in deployed:
        days[timezone.localtime(deployment.finished_at, tz).date()]["deployed"].append(deployment)
    policies = list(ReleaseKindPolicy.objects.all())
    for policy in policies:
        for slot in policy.slots_between(first, last):
            days[slot]["slots"].append(policy)
    weeks: list[list[dict | None]] = []
    week: list[dict | None] = [None] * first.weekday()
    for day in days.values():
        week.append(day)
        if len(week) == 7:
            weeks.append(week)
            week = []
    if week:
        weeks.append(week + [None] * (7 - len(week)))
    return {
        "first": first,
        "weeks": weeks,
        "policies": policies,
        "planned": list(planned),
        "deployed": list(deployed),
    }
