"""Reads shared by pages and the API; they own select_related / prefetch_related."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Cast
from django.db.models.lookups import IsNull
from django.utils import timezone

from itsm.models import AuditEvent, Service
from itsm.timers.models import Clock

from .events import event_label
from .models import (
    ACTIVE,
    UNACKNOWLEDGED,
    ActionItem,
    EscalationStep,
    Incident,
    Notification,
    Postmortem,
    Status,
)


def _breached(name: str) -> IsNull:
    """`(SELECT breached_at FROM clock ... LIMIT 1) IS NOT NULL` for the incident of the row.

    A scalar subquery, not EXISTS: PostgreSQL may turn an EXISTS in the select list into a
    hashed subplan that reads every breached clock of every incident (a sequential scan of the
    clock table on each list request, ~40 ms per flag at 100k incidents), even when only the
    50 rows of a page are shown. A scalar subquery is evaluated per row, after the sort and the
    LIMIT, and reads the clock index (one clock per incident and name).
    """
    breached_at = Clock.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=Cast(OuterRef("pk"), CharField()),
        name=name,
    ).values("breached_at")[:1]
    return IsNull(Subquery(breached_at), False)


def with_breach_flags(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    """Annotate response_breached / resolution_breached from the clocks, in the same query."""
    return qs.annotate(
        response_breached=_breached("response"), resolution_breached=_breached("resolution")
    )


def incident_list(user) -> QuerySet[Incident]:
    """Incidents the user may see, with what a list row shows (a fixed number of queries)."""
    return with_breach_flags(
        Incident.objects.visible_to(user)
        .select_related("service", "team", "assignee", "reported_by", "postmortem")
        .prefetch_related(
            Prefetch("affected_services", queryset=Service.objects.only("id", "name", "slug")),
        )
    )


QUEUE_ROW_FIELDS = (
    "title", "status", "priority", "is_major", "escalation_level",
    "next_due_at", "response_due_at", "detected_at",
    "service__name", "team__name",
    "assignee__username", "assignee__first_name", "assignee__last_name",
)  # fmt: skip


def triage_queue(user, *, teams=None) -> QuerySet[Incident]:
    """What the on-call person works on: unfinished and still impaired, first to breach first.

    Unacknowledged incidents come before acknowledged ones with the same deadline; incidents
    without a running clock (paused) go last.
    """
    qs = with_breach_flags(
        Incident.objects.visible_to(user)
        .select_related("service", "team", "assignee")
        # Only what a queue row shows: building 200 incidents with every column (and their
        # service, team and assignee) was a tenth of the page's CPU.
        .only(*QUEUE_ROW_FIELDS)
    ).filter(
        status__in=[*UNACKNOWLEDGED, Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.WAITING]
    )
    if teams is not None:
        qs = qs.filter(team__in=teams)
    return qs.order_by(F("next_due_at").asc(nulls_last=True), "priority", "detected_at", "pk")


def incident_detail(pk: int, user) -> Incident:
    return (
        incident_list(user)
        .select_related(
            "acknowledged_by",
            "escalation_policy",
            "parent",
            "duplicate_of",
            "postmortem_requested_by",
            "service__owner_team",
            "postmortem",
        )
        .prefetch_related(
            Prefetch("escalation_steps", queryset=EscalationStep.objects.select_related("actor")),
            Prefetch(
                "children", queryset=Incident.objects.only("id", "title", "status", "priority")
            ),
            Prefetch(
                "duplicates",
                queryset=Incident.objects.only("id", "title", "status", "duplicate_of_id"),
            ),
        )
        .get(pk=pk)
    )


def incident_events(incident: Incident) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_object(incident).select_related("actor").order_by("at", "pk")


def incident_notifications(incident: Incident) -> QuerySet[Notification]:
    return incident.notifications.select_related("recipient").order_by("-created_at", "-pk")


def notifications_for(user) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user)
        .select_related("incident", "recipient")
        .order_by("-created_at", "-pk")
    )


def action_items(user=None) -> QuerySet[ActionItem]:
    qs = ActionItem.objects.select_related("owner", "team", "postmortem__incident")
    if user is not None:
        qs = qs.filter(owner=user)
    return qs


# --- postmortem facts -----------------------------------------------------------------------
# Incident events that belong on a postmortem's timeline, as the incident recorded them.
TIMELINE_ACTIONS = {
    "reported",
    "triaged",
    "acknowledged",
    "investigating",
    "waiting on reporter",
    "resumed",
    "escalated",
    "de-escalated",
    "declared major",
    "priority overridden",
    "recovered",
    "verified",
    "reopened",
    "closed",
    "sla warning",
    "sla breached",
}


@dataclass(frozen=True)
class TimelineRow:
    at: dt.datetime
    text: str
    actor: object | None
    manual: bool
    entry_id: int | None = None


def _event_time(event: AuditEvent) -> dt.datetime:
    """SLA events happen when the clock crossed, not when someone noticed."""
    crossed = (event.payload or {}).get("at") if event.action.startswith("sla ") else None
    return dt.datetime.fromisoformat(crossed) if crossed else event.at


def postmortem_timeline(postmortem: Postmortem) -> list[TimelineRow]:
    """The incident's own facts and events merged with the manual entries, in time order."""
    incident = postmortem.incident
    rows = [
        TimelineRow(at=incident.detected_at, text=event_label("detected"), actor=None, manual=False)
    ]
    if incident.impact_started_at:
        rows.append(
            TimelineRow(
                at=incident.impact_started_at,
                text=event_label("impact started"),
                actor=None,
                manual=False,
            )
        )
    for event in incident_events(incident).filter(action__in=TIMELINE_ACTIONS):
        text = event_label(event.action) + (f": {event.message}" if event.message else "")
        rows.append(TimelineRow(at=_event_time(event), text=text, actor=event.actor, manual=False))
    rows += [
        TimelineRow(at=e.at, text=e.text, actor=e.author, manual=True, entry_id=e.pk)
        for e in postmortem.entries.select_related("author")
    ]
    return sorted(rows, key=lambda row: (row.at, not row.manual))


@dataclass(frozen=True)
class ImpactFacts:
    started_at: dt.datetime
    detected_at: dt.datetime
    acknowledged_at: dt.datetime | None
    recovered_at: dt.datetime | None
    time_to_detect: dt.timedelta
    time_to_acknowledge: dt.timedelta | None
    time_to_recover: dt.timedelta | None
    duration: dt.timedelta | None
    ongoing: bool
    services: list[Service]
    scope: str
    business_impact: str


def impact_facts(incident: Incident, *, now: dt.datetime | None = None) -> ImpactFacts:
    """Impact scope and duration computed from the incident's timeline."""
    now = now or timezone.now()
    started = min(filter(None, [incident.impact_started_at, incident.detected_at]))
    end = incident.recovered_at
    return ImpactFacts(
        started_at=started,
        detected_at=incident.detected_at,
        acknowledged_at=incident.acknowledged_at,
        recovered_at=end,
        time_to_detect=incident.detected_at - started,
        time_to_acknowledge=(incident.acknowledged_at - incident.detected_at)
        if incident.acknowledged_at
        else None,
        time_to_recover=(end - incident.detected_at) if end else None,
        duration=(end or now) - started,
        ongoing=end is None,
        services=list(incident.affected_services.all()) or [incident.service],
        scope=incident.get_scope_display(),
        business_impact=incident.get_business_impact_display(),
    )


def postmortem_detail(incident_id: int) -> Postmortem:
    return (
        Postmortem.objects.select_related(
            "incident__service", "incident__team", "author", "published_by"
        )
        .prefetch_related(
            Prefetch("action_items", queryset=ActionItem.objects.select_related("owner", "team")),
        )
        .get(incident_id=incident_id)
    )


def content_type_of_incident() -> ContentType:
    return ContentType.objects.get_for_model(Incident)


def counts_by_status(user) -> dict[str, int]:
    from django.db.models import Count

    rows = (
        Incident.objects.visible_to(user)
        .filter(status__in=ACTIVE)
        .values("status")
        .annotate(n=Count("id"))
    )
    return {row["status"]: row["n"] for row in rows}


def breached_filter() -> Q:
    """Incidents with a breached SLA clock (recorded on the clock, once)."""
    return Q(clocks__breached_at__isnull=False)


def incidents_caused_by_change(change_id: int) -> QuerySet[Incident]:
    """For the change's page (changes app): the incidents this change caused."""
    return (
        Incident.objects.filter(caused_by_change_id=change_id)
        .select_related("service", "team")
        .order_by("-detected_at")
    )
