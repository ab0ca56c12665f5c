"""Links from a figure to the tickets behind it, on the owning app's own list page.

Only query parameters that the owning app's FilterSet accepts are used (incidents.filters,
changes.filters), so the list shows exactly what the figure counted wherever those filters
can express it; where they cannot, the report says so next to the figure.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse

from incidents.models import Status as IncidentStatus

from .params import ReportParams, add_months

# Merged duplicates are not counted by the reports: list every other state explicitly.
COUNTED_INCIDENT_STATES = [s for s in IncidentStatus.values if s != IncidentStatus.MERGED]


def url(name: str, query: dict) -> str:
    clean = {k: v for k, v in query.items() if v not in (None, "", [], ())}
    return f"{reverse(name)}?{urlencode(clean, doseq=True)}" if clean else reverse(name)


def incidents(
    params: ReportParams,
    *,
    month: dt.date | None = None,
    period: bool = True,
    priority: str | list[str] | None = None,
    team=None,
    service=None,
    breached: bool | None = None,
    statuses: list[str] | None = None,
    **extra,
) -> str:
    """incidents:list for the report's filters narrowed to one month / priority / team.

    `priority`, `team` and `service` narrow the report's own filters (a row's key)."""
    if month is not None:
        start, end = params.month_bounds(month)
    elif period:
        start, end = params.start, params.end
    else:
        start = end = None  # "now" figures: any detection time
    priorities = [priority] if isinstance(priority, str) else priority or list(params.priorities)
    team = team or params.team
    service = service or params.service
    query = {
        "detected_after": start.isoformat() if start else None,
        "detected_before": end.isoformat() if end else None,
        "priority": priorities,
        "team": getattr(team, "slug", team),
        "service": getattr(service, "slug", service),
        "status": statuses or COUNTED_INCIDENT_STATES,
        "breached": None if breached is None else ("true" if breached else "false"),
        **extra,
    }
    return url("incidents:list", query)


def changes(
    params: ReportParams,
    *,
    month: dt.date | None = None,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
    change_class: str | None = None,
    statuses: list[str] | None = None,
    team=None,
    service=None,
) -> str:
    """changes:list planned in the month (or the report's range) for the filters."""
    if month is not None:
        first_day, last_day = month, add_months(month, 1) - dt.timedelta(days=1)
    elif first_day is None:
        first_day = params.first_month
        last_day = add_months(params.last_month, 1) - dt.timedelta(days=1)
    team = team or params.team
    service = service or params.service
    query = {
        "planned_after": first_day.isoformat() if first_day else None,
        "planned_before": last_day.isoformat() if last_day else None,
        "change_class": change_class,
        "status": statuses,
        "team": getattr(team, "slug", team),
        "service": getattr(service, "slug", service),
    }
    return url("changes:list", query)


def action_items(*, owner: str | None = None, team=None, status=None, overdue=None) -> str:
    query = {
        "owner": owner,
        "team": getattr(team, "slug", team),
        "status": status,
        "overdue": None if overdue is None else ("true" if overdue else "false"),
    }
    return url("incidents:action-items", query)


def incidents_caused_by(change_id: int) -> str:
    return url("incidents:list", {"caused_by_change": change_id})
