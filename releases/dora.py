"""DORA metrics from the portal's own records, per service and month.

- Deployment frequency: successful production deployments.
- Lead time for changes: from a linked change's approval to the production deployment
  (median).
- Change failure rate: production deployments that failed, were rolled back, or caused an
  incident, over all finished production deployments.
- Time to restore: from the start of an incident caused by a deployment to its recovery
  (median).

Counts are aggregated in the database; the two medians are taken over the per-deployment
durations of the period, which are few (one row per production deployment and change).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from itsm.models import Service

from . import links
from .models import Deployment, Environment

FINAL = [Deployment.Result.SUCCEEDED, Deployment.Result.FAILED, Deployment.Result.ROLLED_BACK]
FAILED = [Deployment.Result.FAILED, Deployment.Result.ROLLED_BACK]


@dataclass
class DoraRow:
    service_id: int | None
    service: str
    month: date
    deployments: int = 0
    finished: int = 0
    failures: int = 0
    lead_times: list[timedelta] = field(default_factory=list)
    restore_times: list[timedelta] = field(default_factory=list)

    @property
    def change_failure_rate(self) -> float | None:
        return round(100 * self.failures / self.finished, 1) if self.finished else None

    @property
    def lead_time(self) -> timedelta | None:
        return _median(self.lead_times)

    @property
    def time_to_restore(self) -> timedelta | None:
        return _median(self.restore_times)

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
            "lead_time_samples": len(self.lead_times),
            "time_to_restore_hours": _hours(self.time_to_restore),
            "restore_samples": len(self.restore_times),
        }


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 2)


def _month_start(value: datetime, tz) -> date:
    return timezone.localtime(value, tz).date().replace(day=1)


def month_range(first: date, last: date, tz) -> tuple[datetime, datetime]:
    start = datetime.combine(first.replace(day=1), time.min, tzinfo=tz)
    after = (last.replace(day=1) + timedelta(days=32)).replace(day=1)
    return start, datetime.combine(after, time.min, tzinfo=tz)


def dora_table(
    *, first: date, last: date, services: list[int] | None = None, tz=None
) -> list[DoraRow]:
    """DORA figures for each service and month from `first`'s month to `last`'s month.

    One row per (service, month) that has any production deployment or restored incident,
    ordered by service then month; a total row per month has service_id None.
    """
    tz = tz or timezone.get_current_timezone()
    start, end = month_range(first, last, tz)
    production = Deployment.objects.filter(
        environment=Environment.PRODUCTION, finished_at__gte=start, finished_at__lt=end
    )
    if services:
        production = production.filter(release__services__in=services)
    production = production.annotate(
        caused_incident=Exists(links.incidents_caused_by(OuterRef("pk")))
    )
    failure = Q(result__in=FAILED) | Q(rolled_back_at__isnull=False) | Q(caused_incident=True)

    rows: dict[tuple[int | None, date], DoraRow] = {}
    names = dict(Service.objects.values_list("pk", "name"))

    def row(service_id, month) -> DoraRow:
        key = (service_id, month)
        if key not in rows:
            rows[key] = DoraRow(service_id, names.get(service_id, "") if service_id else "", month)
        return rows[key]

    per_service = (
        production.annotate(
            month=TruncMonth("finished_at", tzinfo=tz), service=F("release__services")
        )
        .values("service", "month")
        .annotate(
            deployments=Count("pk", filter=Q(result=Deployment.Result.SUCCEEDED), distinct=True),
            finished=Count("pk", filter=Q(result__in=FINAL), distinct=True),
            failures=Count("pk", filter=Q(result__in=FINAL) & failure, distinct=True),
        )
    )
    totals = (
        production.annotate(month=TruncMonth("finished_at", tzinfo=tz))
        .values("month")
        .annotate(
            deployments=Count("pk", filter=Q(result=Deployment.Result.SUCCEEDED), distinct=True),
            finished=Count("pk", filter=Q(result__in=FINAL), distinct=True),
            failures=Count("pk", filter=Q(result__in=FINAL) & failure, distinct=True),
        )
    )
    for item in per_service:
        if services and item["service"] not in services:
            continue
        target = row(item["service"], _as_date(item["month"], tz))
        target.deployments, target.finished, target.failures = (
            item["deployments"],
            item["finished"],
            item["failures"],
        )
    for item in totals:
        target = row(None, _as_date(item["month"], tz))
        target.deployments, target.finished, target.failures = (
            item["deployments"],
            item["finished"],
            item["failures"],
        )

    # Durations: one sample per (deployment, change) for lead time and per incident for time to
    # restore; a sample counts once in the month's total even when it touches several services.
    for attr, samples in (
        ("lead_times", links.lead_time_samples(start=start, end=end, services=services)),
        ("restore_times", links.restore_samples(start=start, end=end, services=services)),
    ):
        seen: set = set()
        for key, service_id, began, ended in samples:
            month = _month_start(ended, tz)
            getattr(row(service_id, month), attr).append(ended - began)
            if (key, month) not in seen:
                seen.add((key, month))
                getattr(row(None, month), attr).append(ended - began)

    return sorted(rows.values(), key=lambda r: (r.service_id is None, r.service, r.month))


def _as_date(value, tz) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value, tz).date() if timezone.is_aware(value) else value.date()
    return value
