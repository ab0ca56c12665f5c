"""Why an incident met or missed its SLA: each clock's story, from its own recorded facts.

A clock keeps its closed running segments, its open one, when it warned and breached and
when it stopped; the gaps between segments are its pauses. Counted time per segment is
re-computed with the clock's own arithmetic (business or calendar time), so the sum matches
what the report counted. The incident's audit trail says why each pause and change happened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident
from incidents.sla import CLOCK_LABELS
from itsm.models import AuditEvent
from itsm.timers.models import Clock

CLOCK_ORDER = {"response": 0, "resolution": 1}
MAX_EVENTS = 300


@dataclass
class Step:
    at: dt.datetime
    kind: str  # started, paused, resumed, warned, breached, stopped, running
    label: str
    counted_s: float | None = None  # counted time of the segment that ends here


@dataclass
class ClockStory:
    clock: Clock
    label: str
    steps: list[Step] = field(default_factory=list)
    elapsed_s: float = 0.0
    paused_s: float = 0.0  # wall time between segments (calendar time)

    @property
    def outcome(self) -> str:
        if self.clock.breached_at is not None:
            return "breached"
        return "met" if self.clock.stopped_at is not None else "running"


@dataclass
class Explanation:
    incident: Incident
    clocks: list[ClockStory]
    events: list[AuditEvent]


def _story(clock: Clock, now: dt.datetime) -> ClockStory:
    story = ClockStory(clock=clock, label=str(CLOCK_LABELS.get(clock.name, clock.name)))
    steps = story.steps
    steps.append(Step(clock.started_at, "started", str(_("Started"))))
    segments = clock.closed_segments()
    previous_end: dt.datetime | None = None
    for start, end in segments:
        if previous_end is not None:
            story.paused_s += (start - previous_end).total_seconds()
            steps.append(Step(start, "resumed", str(_("Resumed"))))
        counted = clock.span(start, end).total_seconds()
        kind = "stopped" if clock.stopped_at == end else "paused"
        steps.append(
            Step(end, kind, str(_("Stopped") if kind == "stopped" else _("Paused")), counted)
        )
        previous_end = end
    if clock.is_running:
        if previous_end is not None:
            story.paused_s += (clock.resumed_at - previous_end).total_seconds()
            steps.append(Step(clock.resumed_at, "resumed", str(_("Resumed"))))
        counted = clock.span(clock.resumed_at, now).total_seconds()
        steps.append(Step(now, "running", str(_("Still running (now)")), counted))
    elif clock.is_paused and previous_end is not None and clock.paused_at != previous_end:
        steps.append(Step(clock.paused_at, "paused", str(_("Paused"))))
    if clock.stopped_at is not None and not any(s.kind == "stopped" for s in steps):
        steps.append(Step(clock.stopped_at, "stopped", str(_("Stopped"))))
    if clock.warned_at is not None:
        fractions = ", ".join(f"{f * 100:.0f} %" for f in clock.warned_fractions or [])
        steps.append(
            Step(
                clock.warned_at,
                "warned",
                str(_("Warned (%(at)s of the target)") % {"at": fractions}),
            )
        )
    if clock.breached_at is not None:
        steps.append(Step(clock.breached_at, "breached", str(_("Breached"))))
    steps.sort(key=lambda step: (step.at, step.kind == "breached"))
    story.elapsed_s = clock.elapsed(now).total_seconds()
    return story


def explain(incident: Incident, *, now: dt.datetime | None = None) -> Explanation:
    """Three queries: the clocks (with their calendars), the audit events, their actors."""
    now = now or timezone.now()
    ct = ContentType.objects.get_for_model(Incident)
    clocks = sorted(
        Clock.objects.filter(content_type=ct, object_id=str(incident.pk)).select_related(
            "calendar"
        ),
        key=lambda c: CLOCK_ORDER.get(c.name, 9),
    )
    events = list(
        AuditEvent.objects.filter(content_type=ct, object_id=str(incident.pk))
        .select_related("actor")
        .order_by("at", "pk")[:MAX_EVENTS]
    )
    return Explanation(
        incident=incident, clocks=[_story(clock, now) for clock in clocks], events=events
    )
