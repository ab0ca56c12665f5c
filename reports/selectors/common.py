"""Pieces every report selector shares: the filtered fact base, month buckets, labels."""

from __future__ import annotations

import datetime as dt

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import BooleanField, Count, Exists, F, Func, OuterRef, Q, QuerySet, Value
from django.utils import formats

from incidents.models import Incident, Status

from ..db import MonthIndex
from ..models import IncidentFact
from ..params import ReportParams


def month_label(month: dt.date) -> str:
    """ "January 2026" / "2026년 1월" / "2026年1月" in the reader's language."""
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def count(condition: Q | None = None) -> Count:
    """COUNT(1) of the rows (matching `condition`): no column to read, so a covering index
    answers it alone (COUNT(id) fetches each row's id)."""
    return Count(Value(1), filter=condition)


def month_index(field: str, params: ReportParams) -> MonthIndex:
    """Which month of the report an instant falls in (0 = the first), by the instants the
    months start at in the report's time zone. Only for rows already within the period."""
    return MonthIndex(F(field), [params.month_bounds(month)[0] for month in params.months])


def per_month(qs: QuerySet, field: str, params: ReportParams, **aggregates) -> dict[dt.date, dict]:
    """`aggregates` over `qs` (rows within the period) per month of `field`, in one query,
    keyed by the month's first day; months without rows are missing."""
    rows = qs.annotate(month=month_index(field, params)).values("month").annotate(**aggregates)
    return {params.months[row.pop("month")]: row for row in rows.order_by()}


class AnyOf(Func):
    """`column = ANY(ARRAY(subquery))` (PostgreSQL): the subquery runs once, before the scan,
    so an OR of it and an indexed condition can be a BitmapOr of two index scans."""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def service_touches(params: ReportParams, incident_ref: str = "incident_id") -> Q:
    """The incident's own service or one it affected: what incidents' `service=` matches.

    On PostgreSQL the affected incidents' ids are collected once: a correlated EXISTS beside
    the OR would be checked for every fact of the period (a year: 300,000 rows read for a
    service's 3,000), where the ids and the (service, detected_at) index read only its own.
    """
    through = Incident.affected_services.through
    if connection.vendor == "postgresql":
        affected_ids = through.objects.filter(service=params.service).values("incident_id")
        return Q(service=params.service) | Q(AnyOf(F(incident_ref), ArraySubquery(affected_ids)))
    affected = through.objects.filter(incident_id=OuterRef(incident_ref), service=params.service)
    return Q(service=params.service) | Q(Exists(affected))


def incident_facts(params: ReportParams, *, in_period: bool = True) -> QuerySet[IncidentFact]:
    """Facts of the counted incidents (merged duplicates excluded) matching the filters."""
    qs = IncidentFact.objects.exclude(status=Status.MERGED)
    if in_period:
        qs = qs.filter(detected_at__gte=params.start, detected_at__lt=params.end)
    if params.priorities:
        qs = qs.filter(priority__in=params.priorities)
    if params.team is not None:
        qs = qs.filter(team=params.team)
    if params.service is not None:
        qs = qs.filter(service_touches(params))
    return qs


def incident_q(params: ReportParams, path: str = "", *, in_period: bool = True) -> Q:
    """The report's incident filters on a model reaching Incident through `path`
    ("" for Incident itself, "incident__" for a postmortem), merged duplicates excluded."""
    q = ~Q(**{f"{path}status": Status.MERGED})
    if in_period:
        q &= Q(**{f"{path}detected_at__gte": params.start, f"{path}detected_at__lt": params.end})
    if params.priorities:
        q &= Q(**{f"{path}priority__in": params.priorities})
    if params.team is not None:
        q &= Q(**{f"{path}team": params.team})
    if params.service is not None:
        through = Incident.affected_services.through
        ref = f"{path[:-2]}_id" if path else "pk"  # incident__ -> incident_id
        affected = through.objects.filter(incident_id=OuterRef(ref), service=params.service)
        q &= Q(**{f"{path}service": params.service}) | Q(Exists(affected))
    return q
