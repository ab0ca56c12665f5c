"""DORA metrics from the portal's own records, per service and month.

- Deployment frequency: successful production deployments.
- Lead time for changes: from a linked change's approval to the production deployment
  (median over the (deployment, change) pairs of the month).
- Change failure rate: production deployments that failed, were rolled back, or caused an
  incident, over all finished production deployments.
- Time to restore: from the start of an incident caused by a deployment (its impact start,
  else its detection) to its recovery (median over the incidents recovered in the month).

Every figure is aggregated by the database: counts everywhere, medians with PERCENTILE_CONT
on PostgreSQL. SQLite has no median, so there the durations of the period are fetched and
the median taken in Python (small embedded installations only).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from incidents.models import Incident
from itsm.models import Service

from .models import Deployment, DeploymentIncident, Environment, Release

FINAL = [Deployment.Result.SUCCEEDED, Deployment.Result.FAILED, Deployment.Result.ROLLED_BACK]
FAILED = [Deployment.Result.FAILED, Deployment.Result.ROLLED_BACK]
# Every change state except "rejected": a rejected change has a decision time but was never
# approved. (A positive list keeps the condition on the same join as the approval time.)
APPROVED_CHANGE_STATES = [
    "approved", "scheduled", "implementing", "verifying", "completed", "failed",
    "rolled_back", "review", "closed", "cancelled",
]  # fmt: skip


class Median(Aggregate):
    """PostgreSQL's continuous median; works on numbers and intervals."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


@dataclass
class DoraRow:
    service_id: int | None
    service: str
    month: date
    deployments: int = 0
    finished: int = 0
    failures: int = 0
    lead_time: timedelta | None = None
    lead_samples: int = 0
    time_to_restore: timedelta | None = None
    restore_samples: int = 0

    @property
    def change_failure_rate(self) -> float | None:
        return round(100 * self.failures / self.finished, 1) if self.finished else None

    def as_dict(self) -> dict:
        return {
            "service": self.service,
            "service_id": self.service_id,
            "month": self.month.strftime("%Y-%m"),
            "deployments": self.deployments,
            "production_deployments_finished": self.finished,
            "failed_deployments": self.failures,
            "change_failure_rate": self.change_failure_rate,
            "lead_time_hours": _hours(self.lead_time),
            "lead_time_samples": self.lead_samples,
            "time_to_restore_hours": _hours(self.time_to_restore),
            "restore_samples": self.restore_samples,
        }


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 2)


def month_range(first: date, last: date, tz) -> tuple[datetime, datetime]:
    start = datetime.combine(first.replace(day=1), time.min, tzinfo=tz)
    after = (last.replace(day=1) + timedelta(days=32)).replace(day=1)
    return start, datetime.combine(after, time.min, tzinfo=tz)


def _as_date(value, tz) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value, tz).date() if timezone.is_aware(value) else value.date()
    return value


def _medians(qs: QuerySet, keys: list[str], duration) -> list[tuple[tuple, timedelta, int]]:
    """((key values), median duration, sample count) per group of `keys`."""
    qs = qs.annotate(_duration=ExpressionWrapper(duration, output_field=DurationField()))
    if connection.vendor == "postgresql":
        grouped = qs.values(*keys).annotate(_median=Median("_duration"), _n=Count("*"))
        return [(tuple(g[k] for k in keys), g["_median"], g["_n"]) for g in grouped]
    groups: dict[tuple, list[float]] = {}
    for *key, value in qs.values_list(*keys, "_duration"):
        groups.setdefault(tuple(key), []).append(value.total_seconds())
    return [
        (key, timedelta(seconds=statistics.median(values)), len(values))
        for key, values in groups.items()
    ]


def _service_filter(services: list[int] | None, path: str):
    """A filter that keeps rows touching `services` without multiplying them (Exists)."""
    if not services:
        return Q()
    through = Release.services.through.objects.filter(
        release_id=OuterRef(path), service_id__in=services
    )
    return Q(Exists(through))


def dora_table(
    *, first: date, last: date, services: list[int] | None = None, tz=None
) -> list[DoraRow]:
    """DORA figures for each service and month from `first`'s month to `last`'s month.

    One row per (service, month) with a production deployment or a restored incident, ordered
    by service then month, then one total row per month (service_id None). Months are
    calendar months in `tz` (default: the active time zone).
    """
    tz = tz or timezone.get_current_timezone()
    start, end = month_range(first, last, tz)
    names = dict(Service.objects.values_list("pk", "name"))
    rows: dict[tuple[int | None, date], DoraRow] = {}

    def row(service_id, month) -> DoraRow:
        month = _as_date(month, tz)
        key = (service_id, month)
        if key not in rows:
            rows[key] = DoraRow(service_id, names.get(service_id, "") if service_id else "", month)
        return rows[key]

    wanted = set(services or [])

    def keep(service_id) -> bool:
        return not wanted or service_id in wanted

    # Counts: per service through the release's services, totals without that join.
    production = Deployment.objects.filter(
        environment=Environment.PRODUCTION, finished_at__gte=start, finished_at__lt=end
    ).annotate(
        month=TruncMonth("finished_at", tzinfo=tz),
        caused_incident=Exists(DeploymentIncident.objects.filter(deployment=OuterRef("pk"))),
    )
    failure = Q(result__in=FAILED) | Q(rolled_back_at__isnull=False) | Q(caused_incident=True)
    counts = {
        "deployments": Count("pk", filter=Q(result=Deployment.Result.SUCCEEDED), distinct=True),
        "finished": Count("pk", filter=Q(result__in=FINAL), distinct=True),
        "failures": Count("pk", filter=Q(result__in=FINAL) & failure, distinct=True),
    }
    per_service = production.annotate(service=F("release__services")).values("service", "month")
    totals = production.filter(_service_filter(services, "release_id")).values("month")
    for group in [*per_service.annotate(**counts), *totals.annotate(**counts)]:
        service_id = group.get("service")
        if "service" in group and (service_id is None or not keep(service_id)):
            continue
        target = row(service_id, group["month"])
        target.deployments = group["deployments"]
        target.finished = group["finished"]
        target.failures = group["failures"]

    # Lead time: (deployment, approved change) pairs of successful production deployments.
    lead = Deployment.objects.filter(
        environment=Environment.PRODUCTION,
        result=Deployment.Result.SUCCEEDED,
        finished_at__gte=start,
        finished_at__lt=end,
        release__changes__decided_at__isnull=False,
        release__changes__decided_at__lte=F("finished_at"),
        release__changes__status__in=APPROVED_CHANGE_STATES,
    ).annotate(month=TruncMonth("finished_at", tzinfo=tz))
    lead_duration = F("finished_at") - F("release__changes__decided_at")
    lead_per_service = lead.annotate(service=F("release__services"))
    lead_totals = lead.filter(_service_filter(services, "release_id"))
    # Time to restore: incidents caused by a deployment, recovered in the period. Per service
    # through the links (an incident linked to two deployments of one service counts twice
    # there); the month's total counts each incident once.
    restore_per_service = DeploymentIncident.objects.filter(
        incident__recovered_at__gte=start, incident__recovered_at__lt=end
    ).annotate(
        service=F("deployment__release__services"),
        month=TruncMonth("incident__recovered_at", tzinfo=tz),
    )
    restore_duration = F("incident__recovered_at") - Coalesce(
        F("incident__impact_started_at"), F("incident__detected_at")
    )
    restore_totals = Incident.objects.filter(
        recovered_at__gte=start,
        recovered_at__lt=end,
        pk__in=DeploymentIncident.objects.filter(
            _service_filter(services, "deployment__release_id")
        ).values("incident_id"),
    ).annotate(month=TruncMonth("recovered_at", tzinfo=tz))
    total_restore_duration = F("recovered_at") - Coalesce(F("impact_started_at"), F("detected_at"))

    for (service_id, month), median, n in _medians(
        lead_per_service, ["service", "month"], lead_duration
    ):
        if keep(service_id):
            target = row(service_id, month)
            target.lead_time, target.lead_samples = median, n
    for (month,), median, n in _medians(lead_totals, ["month"], lead_duration):
        target = row(None, month)
        target.lead_time, target.lead_samples = median, n
    for (service_id, month), median, n in _medians(
        restore_per_service, ["service", "month"], restore_duration
    ):
        if keep(service_id):
            target = row(service_id, month)
            target.time_to_restore, target.restore_samples = median, n
    for (month,), median, n in _medians(restore_totals, ["month"], total_restore_duration):
        target = row(None, month)
        target.time_to_restore, target.restore_samples = median, n

    return sorted(rows.values(), key=lambda r: (r.service_id is None, r.service, r.month))
