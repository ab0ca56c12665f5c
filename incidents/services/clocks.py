"""SLA clocks of an incident, on the shared Clock API (itsm.timers.clocks).

response   runs from detection until acknowledged (never again, even after a reopen);
resolution runs from detection until recovered, pauses while waiting on the reporter and
           runs on after a reopen.
Targets come from the priority policy (incidents.sla); a new priority re-targets the clocks
that still run, counted from the original start. The running deadlines are copied onto the
incident so the queue sorts by "breaches first" on one indexed column.

Lock order: the incident (held by the calling service), then the clock rows, then their
timers, as the Clock API expects.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from itsm.timers.clocks import (
    clock_pause,
    clock_resume,
    clock_retarget,
    clock_start,
    clock_stop,
    clocks_for,
)
from itsm.timers.models import Clock

from .. import sla
from ..models import UNACKNOWLEDGED, Incident, Status

RESPONSE, RESOLUTION = sla.RESPONSE, sla.RESOLUTION
RUNNING, PAUSED, STOPPED = "running", "paused", "stopped"
RESOLUTION_RUNS = {*UNACKNOWLEDGED, Status.ACKNOWLEDGED, Status.INVESTIGATING}


def wanted_states(status: str) -> dict[str, str]:
    """What each clock should be doing while the incident is in `status`."""
    response = RUNNING if status in UNACKNOWLEDGED else STOPPED
    if status in RESOLUTION_RUNS:
        resolution = RUNNING
    elif status == Status.WAITING:
        resolution = PAUSED
    else:
        resolution = STOPPED
    return {RESPONSE: response, RESOLUTION: resolution}


def _copy_deadlines(incident: Incident, clocks: dict[str, Clock]) -> None:
    response, resolution = clocks.get(RESPONSE), clocks.get(RESOLUTION)
    incident.response_due_at = response.deadline_at if response and response.is_running else None
    incident.resolution_due_at = (
        resolution.deadline_at if resolution and resolution.is_running else None
    )
    dues = [d for d in (incident.response_due_at, incident.resolution_due_at) if d]
    incident.next_due_at = min(dues) if dues else None


def clocks_start(incident: Incident) -> None:
    """At detection: both clocks start at the detection instant (which may lie in the past)."""
    plan = sla.plan_for(incident)
    clocks = {}
    for name, target in ((RESPONSE, plan.response), (RESOLUTION, plan.resolution)):
        clocks[name] = clock_start(
            subject=incident,
            name=name,
            target=target,
            mode=plan.mode,
            calendar=plan.calendar,
            started_at=incident.detected_at,
            warn_fractions=(plan.warn_fraction,),
        )
    _copy_deadlines(incident, clocks)


def clocks_sync(incident: Incident, *, at: datetime | None = None) -> None:
    """After a transition or a priority change: targets first, then run, pause or stop."""
    at = at or timezone.now()
    plan = sla.plan_for(incident)
    targets = {RESPONSE: plan.response, RESOLUTION: plan.resolution}
    current = {clock.name: clock for clock in clocks_for(incident)}
    for name, wanted in wanted_states(incident.status).items():
        clock = current.get(name)
        if clock is None:
            continue  # an incident older than its clocks: nothing to keep in line
        if not clock.is_stopped and clock.target != targets[name]:
            clock = clock_retarget(subject=incident, name=name, target=targets[name])
        if wanted == RUNNING and not clock.is_running:
            if name == RESPONSE:
                continue  # a response happened once; a reopen does not undo it
            clock = clock_resume(subject=incident, name=name, at=at)
        elif wanted == PAUSED and clock.is_running:
            clock = clock_pause(subject=incident, name=name, at=at)
        elif wanted == STOPPED and not clock.is_stopped:
            clock = clock_stop(subject=incident, name=name, at=at)
        current[name] = clock
    _copy_deadlines(incident, current)


def clocks_for_incident(incident: Incident) -> list[Clock]:
    """Response first, then resolution, for `timers/_clocks.html`."""
    order = {RESPONSE: 0, RESOLUTION: 1}
    return sorted(clocks_for(incident), key=lambda clock: order.get(clock.name, 9))
