"""SLA clocks of an incident: response (until acknowledged), resolution (until recovered).

INTERIM: computes deadlines without the shared Clock API (itsm.timers.clocks), which is
being built on another branch; replaced by the real clocks once it is on main.
"""

from __future__ import annotations

from datetime import datetime

from itsm.business_time import add_business_duration

from .. import sla
from ..models import UNACKNOWLEDGED, Incident, Status


def _deadline(incident: Incident, plan: sla.SlaPlan, target) -> datetime:
    if plan.mode == sla.BUSINESS:
        return add_business_duration(plan.calendar.spec(), incident.detected_at, target)
    return incident.detected_at + target


def refresh_due(incident: Incident) -> None:
    plan = sla.plan_for(incident)
    running_response = incident.status in UNACKNOWLEDGED
    running_resolution = incident.status in (
        *UNACKNOWLEDGED,
        Status.ACKNOWLEDGED,
        Status.INVESTIGATING,
    )
    incident.response_due_at = (
        _deadline(incident, plan, plan.response) if running_response else None
    )
    incident.resolution_due_at = (
        _deadline(incident, plan, plan.resolution) if running_resolution else None
    )
    dues = [d for d in (incident.response_due_at, incident.resolution_due_at) if d]
    incident.next_due_at = min(dues) if dues else None


def clocks_start(incident: Incident) -> None:
    refresh_due(incident)


def clocks_sync(incident: Incident, *, at: datetime | None = None) -> None:
    """After any transition or priority change: bring the clocks in line with the state."""
    refresh_due(incident)


def clocks_for_incident(incident: Incident) -> list:
    return []
