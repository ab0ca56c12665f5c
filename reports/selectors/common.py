"""Pieces every report selector shares: the filtered fact base, month buckets, labels."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import formats

from incidents.models import Incident, Status

from ..models import IncidentFact
from ..params import ReportParams


def month_label(month: dt.date) -> str:
    """ "January 2026" / "2026년 1월" / "2026年1月" in the reader's language."""
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def month_key(value) -> dt.date:
    """A TruncMonth result (aware datetime, or date) as the first day of that month."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.replace(day=1)


def truncate_month(field: str, params: ReportParams):
    return TruncMonth(field, tzinfo=params.zone)


def service_touches(params: ReportParams, incident_ref: str = "incident_id") -> Q:
    """The incident's own service or one it affected: what incidents' `service=` matches."""
    through = Incident.affected_services.through
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
