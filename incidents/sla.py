"""SLA targets of an incident: which time counts and how long each clock may run.

24×7 services count calendar time; business-hours services count the owner team's working
hours (weekends and public holidays excluded). A target in business days is converted once,
from the detection instant: n × the working-day length in business time, or the calendar
span to the same local time n working days later for a 24×7 service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from itsm.business_time import add_business_days
from itsm.models import BusinessCalendar, Service

from .models import Incident, PriorityPolicy, TargetUnit, working_day_length

CALENDAR = "calendar"
BUSINESS = "business"
RESPONSE = "response"
RESOLUTION = "resolution"
CLOCK_LABELS = {RESPONSE: _("Response"), RESOLUTION: _("Resolution")}


@dataclass(frozen=True)
class SlaPlan:
    mode: str
    calendar: BusinessCalendar | None
    response: dt.timedelta
    resolution: dt.timedelta
    warn_fraction: float


def _calendar_for(incident: Incident) -> BusinessCalendar | None:
    calendar = incident.service.owner_team.calendar or incident.team.calendar
    if calendar is None:
        calendar = BusinessCalendar.objects.order_by("pk").first()
    return calendar


def _target(amount: int, unit: str, *, mode: str, calendar, start: dt.datetime) -> dt.timedelta:
    if unit == TargetUnit.MINUTES:
        return dt.timedelta(minutes=amount)
    if unit == TargetUnit.HOURS:
        return dt.timedelta(hours=amount)
    if mode == BUSINESS:
        return amount * working_day_length(calendar)
    if calendar is None:
        return dt.timedelta(days=amount)
    return add_business_days(calendar.spec(), start, amount) - start


# DOMAIN.md defaults, used only if an administrator deleted a priority's policy row: a
# missing policy must not stop anyone from reporting an outage.
FALLBACK = {
    "P1": (15, TargetUnit.MINUTES, 4, TargetUnit.HOURS),
    "P2": (30, TargetUnit.MINUTES, 8, TargetUnit.HOURS),
    "P3": (2, TargetUnit.HOURS, 3, TargetUnit.BUSINESS_DAYS),
    "P4": (1, TargetUnit.BUSINESS_DAYS, 10, TargetUnit.BUSINESS_DAYS),
}


def _policy(priority: str) -> PriorityPolicy:
    policy = PriorityPolicy.objects.filter(priority=priority).first()
    if policy is None:
        response, response_unit, resolution, resolution_unit = FALLBACK[priority]
        policy = PriorityPolicy(
            priority=priority,
            response_amount=response,
            response_unit=response_unit,
            resolution_amount=resolution,
            resolution_unit=resolution_unit,
        )
    return policy


def plan_for(incident: Incident, priority: str | None = None) -> SlaPlan:
    """The clocks' mode, calendar and targets for the incident at `priority`."""
    policy = _policy(priority or incident.priority)
    calendar = _calendar_for(incident)
    business = incident.service.hours == Service.Hours.BUSINESS and calendar is not None
    mode = BUSINESS if business else CALENDAR
    start = incident.detected_at
    return SlaPlan(
        mode=mode,
        calendar=calendar if business else None,
        response=_target(
            policy.response_amount, policy.response_unit, mode=mode, calendar=calendar, start=start
        ),
        resolution=_target(
            policy.resolution_amount,
            policy.resolution_unit,
            mode=mode,
            calendar=calendar,
            start=start,
        ),
        warn_fraction=policy.warn_fraction,
    )
