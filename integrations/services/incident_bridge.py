"""The few things intake does to incidents, through the incidents app's own services.

Intake acts as the system (`actor=None`, source "intake"): the incident services skip
permission checks for it and record the source on every audit event. Nothing here writes an
incident field directly.
"""

from __future__ import annotations

import logging
from itertools import product

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from incidents import services as incident_services
from incidents.models import (
    OPEN,
    UNACKNOWLEDGED,
    BusinessImpact,
    Impact,
    Incident,
    PriorityMatrixCell,
    Scope,
    Status,
    Urgency,
)
from itsm.audit import record_event
from itsm.errors import DomainError
from itsm.models import AuditEvent

from .mapping import Target, more_urgent

log = logging.getLogger(__name__)
INTAKE = AuditEvent.Source.INTAKE
NOTE_ACTION = "alert update"

# One (scope, business impact) pair per impact row, the most natural reading of each.
_IMPACT_EXAMPLES = {
    Impact.HIGH: (Scope.ALL_USERS, BusinessImpact.REVENUE_LOSS),
    Impact.MEDIUM: (Scope.SOME_USERS, BusinessImpact.LOSS_OF_TRUST),
    Impact.LOW: (Scope.ONE_FUNCTION, BusinessImpact.MINOR),
}


def triage_for(priority: str) -> tuple[str, str, str, bool]:
    """(scope, business impact, urgency) that the administrators' matrix turns into
    `priority`, most severe reading first; `exact` is False when no cell gives it."""
    cells = {
        (impact, urgency): prio
        for impact, urgency, prio in PriorityMatrixCell.objects.values_list(
            "impact", "urgency", "priority"
        )
    }
    fallback = None
    for impact, urgency in product(Impact.values, [Urgency.IMMEDIATE, Urgency.PLANNED]):
        scope, business = _IMPACT_EXAMPLES[Impact(impact)]
        found = cells.get((impact, urgency), "P3")
        if found == priority:
            return scope, business, urgency, True
        fallback = fallback or (scope, business, urgency)
    return (*fallback, False)


def open_incident(
    *, target: Target, priority: str, title: str, description: str, reason: str
) -> Incident:
    """Report an incident detected by monitoring with the priority the severity map gives."""
    scope, business, urgency, exact = triage_for(priority)
    incident = incident_services.incident_report(
        actor=None,
        source=INTAKE,
        title=title[:200] or _("Alert from monitoring"),
        service=target.service,
        team=target.team,
        scope=scope,
        business_impact=business,
        urgency=urgency,
        description=description,
        detected_by=Incident.Source.MONITORING,
    )
    if not exact and incident.priority != priority:
        incident = incident_services.incident_override_priority(
            incident_id=incident.pk, actor=None, source=INTAKE, priority=priority, reason=reason
        )
    return incident


def current_incident(incident: Incident | None) -> Incident | None:
    """The open incident that stands for `incident`: itself, or the one it was merged into."""
    seen = set()
    while incident is not None and incident.pk not in seen:
        seen.add(incident.pk)
        if incident.status in OPEN:
            return incident
        if incident.status == Status.MERGED and incident.duplicate_of_id:
            incident = Incident.objects.filter(pk=incident.duplicate_of_id).first()
            continue
        return None
    return None


def note(incident: Incident, *, message: str, payload: dict | None = None) -> None:
    """An entry on the incident's timeline (its audit trail) from monitoring."""
    record_event(
        incident,
        action=NOTE_ACTION,
        source=INTAKE,
        before=incident.status,
        message=message,
        payload=payload or {},
    )


def raise_priority(incident: Incident, *, priority: str, reason: str) -> Incident:
    """Monitoring reports something more severe: raise the priority, never lower it."""
    if not more_urgent(priority, incident.priority):
        return incident
    try:
        return incident_services.incident_override_priority(
            incident_id=incident.pk, actor=None, source=INTAKE, priority=priority, reason=reason
        )
    except (DomainError, TransitionNotAllowed, PermissionDenied) as exc:
        log.info("priority of %s not raised: %s", incident.pk, exc)
        return incident


def acknowledge(incident: Incident) -> bool:
    if incident.status not in UNACKNOWLEDGED:
        return False
    incident_services.incident_acknowledge(incident_id=incident.pk, actor=None, source=INTAKE)
    return True


def recover(incident: Incident, *, summary: str) -> bool:
    """Mark the incident recovered because its alerts resolved. An unacknowledged incident
    is acknowledged by the system first (recover needs an owner state); one waiting on its
    reporter is resumed. Returns False (nothing changed) when the state does not allow it."""
    try:
        with transaction.atomic():  # all or nothing: no acknowledgement without the recovery
            if incident.status in UNACKNOWLEDGED:
                incident_services.incident_acknowledge(
                    incident_id=incident.pk, actor=None, source=INTAKE
                )
            elif incident.status == Status.WAITING:
                incident_services.incident_resume(
                    incident_id=incident.pk, actor=None, source=INTAKE, answer=summary
                )
            incident_services.incident_recover(
                incident_id=incident.pk, actor=None, source=INTAKE, summary=summary
            )
    except (DomainError, TransitionNotAllowed, PermissionDenied) as exc:
        log.info("incident %s not recovered automatically: %s", incident.pk, exc)
        return False
    return True
