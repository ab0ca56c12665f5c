"""Incident services: report, triage, the lifecycle transitions, priority and assignment.

Each is keyword-only and atomic, locks the incident, runs one transition, records the audit
event with actor and source, and leaves e-mail to `transaction.on_commit`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.errors import Conflict, DomainError
from itsm.models import Service, Team

from .. import permissions as perms
from ..models import (
    FINISHED,
    EscalationPolicy,
    Incident,
    Notification,
    Postmortem,
    Priority,
    PriorityMatrixCell,
    Status,
    impact_of,
)
from .base import guard, lock_incident, record, require, required_text
from .clocks import clocks_start, clocks_sync
from .escalation import escalation_notify_major, escalation_start, escalation_stop
from .notify import notify, team_leads


def matrix_priority(scope: str, business_impact: str, urgency: str) -> tuple[str, str]:
    """(impact, priority) from the administrators' impact × urgency matrix."""
    impact = impact_of(scope, business_impact)
    return impact, PriorityMatrixCell.objects.priority_for(impact, urgency)


def _check_assignee(team: Team, assignee) -> None:
    if assignee is not None and not team.memberships.filter(user=assignee).exists():
        raise DomainError(
            _("%(user)s is not a member of %(team)s.") % {"user": assignee, "team": team},
            field="assignee",
        )


def _notify_assignment(incident: Incident, *, at: datetime) -> None:
    recipients = [incident.assignee] if incident.assignee_id else team_leads(incident.team)
    notify(
        incident,
        kind=Notification.Kind.ASSIGNED,
        recipients=recipients,
        subject=lambda: (
            _("%(ref)s (%(priority)s) is assigned to you: %(title)s")
            % {"ref": incident.reference, "priority": incident.priority, "title": incident.title}
        ),
        body=incident.description,
        at=at,
    )


@transaction.atomic
def incident_report(
    *,
    actor,
    source: str,
    title: str,
    service: Service,
    scope: str,
    business_impact: str,
    urgency: str,
    description: str = "",
    detected_by: str = Incident.Source.USER,
    detected_at: datetime | None = None,
    affected_services: Iterable[Service] | None = None,
    team: Team | None = None,
    assignee=None,
    is_major: bool = False,
) -> Incident:
    """File an incident: priority from the matrix, clocks started, L1 told, climb armed."""
    require(actor, perms.ADD)
    if is_major:
        require(actor, perms.DECLARE_MAJOR)
    now = timezone.now()
    detected_at = detected_at or now
    if detected_at > now:
        raise DomainError(_("Detection cannot lie in the future."), field="detected_at")
    title = required_text(title, "title", _("Give the incident a title."))
    team = team or service.owner_team
    _check_assignee(team, assignee)
    impact, priority = matrix_priority(scope, business_impact, urgency)
    incident = Incident.objects.create(
        title=title,
        description=description,
        source=detected_by,
        reported_by=actor if getattr(actor, "is_authenticated", False) else None,
        service=service,
        team=team,
        assignee=assignee,
        scope=scope,
        business_impact=business_impact,
        urgency=urgency,
        impact=impact,
        matrix_priority=priority,
        priority=priority,
        is_major=is_major,
        major_declared_at=now if is_major else None,
        escalation_policy=EscalationPolicy.for_team(team),
        detected_at=detected_at,
    )
    # Everything that depends on the service is affected too, unless the reporter knows better.
    incident.affected_services.set(
        affected_services if affected_services is not None else service.impacted_services()
    )
    record(
        incident,
        action="reported",
        actor=actor,
        source=source,
        message=title,
        payload={"priority": priority, "impact": impact, "urgency": urgency},
    )
    clocks_start(incident)
    incident.save()
    escalation_start(incident, at=now)
    if assignee is not None:
        _notify_assignment(incident, at=now)
    return incident


def _retriage(incident: Incident, *, scope, business_impact, urgency) -> bool:
    """Recompute impact and priority; True when the priority changed."""
    impact, priority = matrix_priority(scope, business_impact, urgency)
    changed = priority != incident.priority
    incident.scope, incident.business_impact, incident.urgency = scope, business_impact, urgency
    incident.impact, incident.matrix_priority, incident.priority = impact, priority, priority
    incident.priority_override_reason = ""
    return changed


@transaction.atomic
def incident_triage(
    *,
    incident_id: int,
    actor,
    source: str,
    scope: str,
    business_impact: str,
    urgency: str,
    service: Service | None = None,
    team: Team | None = None,
    assignee=None,
    affected_services: Iterable[Service] | None = None,
    is_major: bool = False,
) -> Incident:
    """Confirm scope, business impact and urgency; the matrix sets the priority."""
    incident = lock_incident(incident_id)
    guard(incident, "triage", actor)
    if is_major and not incident.is_major:
        require(actor, perms.DECLARE_MAJOR)
    before, now = incident.status, timezone.now()
    old_priority = incident.priority
    if service is not None:
        incident.service = service
    if team is not None and team.pk != incident.team_id:
        incident.team = team
        incident.escalation_policy = EscalationPolicy.for_team(team)
    _check_assignee(incident.team, assignee)
    assigned_now = assignee is not None and assignee.pk != incident.assignee_id
    if assignee is not None:
        incident.assignee = assignee
    _retriage(incident, scope=scope, business_impact=business_impact, urgency=urgency)
    incident.triage(at=now)
    declared = is_major and not incident.is_major
    if declared:
        incident.is_major, incident.major_declared_at = True, now
    clocks_sync(incident, at=now)
    incident.save()
    if affected_services is not None:
        incident.affected_services.set(affected_services)
    record(
        incident,
        action="triaged",
        actor=actor,
        source=source,
        before=before,
        payload={"priority": incident.priority, "from_priority": old_priority},
    )
    if declared:
        escalation_notify_major(incident, at=now, actor=actor)
    if assigned_now:
        _notify_assignment(incident, at=now)
    return incident


def _simple_transition(
    incident_id: int, name: str, action: str, *, actor, source: str, message="", **kwargs
) -> Incident:
    incident = lock_incident(incident_id)
    guard(incident, name, actor)
    before, now = incident.status, timezone.now()
    getattr(incident, name)(at=now, **kwargs)
    clocks_sync(incident, at=now)
    incident.save()
    record(incident, action=action, actor=actor, source=source, before=before, message=message)
    return incident


@transaction.atomic
def incident_acknowledge(*, incident_id: int, actor, source: str) -> Incident:
    """Take it: the response clock stops and the escalation climb ends here."""
    incident = lock_incident(incident_id)
    guard(incident, "acknowledge", actor)
    before, now = incident.status, timezone.now()
    incident.acknowledge(by=actor, at=now)
    clocks_sync(incident, at=now)
    incident.save()
    escalation_stop(incident)
    record(
        incident,
        action="acknowledged",
        actor=actor,
        source=source,
        before=before,
        payload={"level": incident.escalation_level},
    )
    return incident


@transaction.atomic
def incident_investigate(*, incident_id: int, actor, source: str) -> Incident:
    return _simple_transition(
        incident_id, "investigate", "investigating", actor=actor, source=source
    )


@transaction.atomic
def incident_wait(*, incident_id: int, actor, source: str, question: str) -> Incident:
    """Ask the reporter; the resolution clock pauses until the answer."""
    question = required_text(question, "question", _("Write the question to the reporter."))
    incident = _simple_transition(
        incident_id,
        "wait_for_reporter",
        "waiting on reporter",
        actor=actor,
        source=source,
        message=question,
        question=question,
    )
    if incident.reported_by_id:
        notify(
            incident,
            kind=Notification.Kind.STATUS,
            recipients=[incident.reported_by],
            subject=lambda: (
                _("%(ref)s needs your answer: %(title)s")
                % {"ref": incident.reference, "title": incident.title}
            ),
            body=question,
        )
    return incident


@transaction.atomic
def incident_resume(*, incident_id: int, actor, source: str, answer: str = "") -> Incident:
    return _simple_transition(
        incident_id, "resume", "resumed", actor=actor, source=source, message=answer
    )


@transaction.atomic
def incident_recover(*, incident_id: int, actor, source: str, summary: str) -> Incident:
    """Service restored: the resolution clock stops; a required postmortem draft is opened."""
    summary = required_text(summary, "summary", _("Say how the service was restored."))
    incident = _simple_transition(
        incident_id, "recover", "recovered", actor=actor, source=source, message=summary,
        summary=summary,
    )  # fmt: skip
    escalation_stop(incident)
    if incident.postmortem_required:
        Postmortem.objects.get_or_create(incident=incident, defaults={"author": actor})
    if incident.reported_by_id:
        notify(
            incident,
            kind=Notification.Kind.STATUS,
            recipients=[incident.reported_by],
            subject=lambda: (
                _("%(ref)s is recovered; please confirm: %(title)s")
                % {"ref": incident.reference, "title": incident.title}
            ),
            body=summary,
        )
    return incident


@transaction.atomic
def incident_verify(*, incident_id: int, actor, source: str) -> Incident:
    return _simple_transition(incident_id, "verify", "verified", actor=actor, source=source)


@transaction.atomic
def incident_close(*, incident_id: int, actor, source: str) -> Incident:
    """Close; P1/P2 (and P3 on request) only with a published postmortem (a model condition)."""
    return _simple_transition(incident_id, "close", "closed", actor=actor, source=source)


@transaction.atomic
def incident_reopen(*, incident_id: int, actor, source: str, reason: str) -> Incident:
    reason = required_text(reason, "reason", _("Say why the incident is reopened."))
    return _simple_transition(
        incident_id, "reopen", "reopened", actor=actor, source=source, message=reason
    )


@transaction.atomic
def incident_override_priority(
    *, incident_id: int, actor, source: str, priority: str, reason: str
) -> Incident:
    """Set a priority other than the matrix's, with the reason on record; clocks re-target."""
    require(actor, perms.OVERRIDE_PRIORITY)
    if priority not in Priority.values:
        raise DomainError(_("Unknown priority."), field="priority")
    reason = required_text(reason, "reason", _("Say why the priority differs from the matrix."))
    incident = lock_incident(incident_id)
    if incident.status in FINISHED:
        raise Conflict(_("A finished incident keeps its priority."))
    if priority == incident.priority:
        raise DomainError(_("The incident already has this priority."), field="priority")
    before_priority, now = incident.priority, timezone.now()
    incident.priority = priority
    incident.priority_override_reason = reason
    clocks_sync(incident, at=now)
    incident.save()
    record(
        incident,
        action="priority overridden",
        actor=actor,
        source=source,
        before=incident.status,
        message=reason,
        payload={"from": before_priority, "to": priority, "matrix": incident.matrix_priority},
    )
    return incident


@transaction.atomic
def incident_assign(*, incident_id: int, actor, source: str, team: Team, assignee=None) -> Incident:
    require(actor, perms.TRIAGE)
    incident = lock_incident(incident_id)
    if incident.status in FINISHED:
        raise Conflict(_("A finished incident cannot be reassigned."))
    _check_assignee(team, assignee)
    if team.pk == incident.team_id and getattr(assignee, "pk", None) == incident.assignee_id:
        raise DomainError(_("Nothing changes: same team and assignee."))
    now = timezone.now()
    payload = {
        "from_team": incident.team_id,
        "team": team.pk,
        "assignee": getattr(assignee, "pk", None),
    }
    if team.pk != incident.team_id:
        incident.escalation_policy = EscalationPolicy.for_team(team)
    incident.team, incident.assignee = team, assignee
    incident.save()
    record(
        incident,
        action="assigned",
        actor=actor,
        source=source,
        before=incident.status,
        payload=payload,
    )
    _notify_assignment(incident, at=now)
    return incident


@transaction.atomic
def incident_declare_major(*, incident_id: int, actor, source: str, reason: str) -> Incident:
    """Major business impact: executives (L5) are told at once."""
    require(actor, perms.DECLARE_MAJOR)
    reason = required_text(reason, "reason", _("Say why this is a major incident."))
    incident = lock_incident(incident_id)
    if incident.status in FINISHED:
        raise Conflict(_("A finished incident cannot be declared major."))
    if incident.is_major:
        raise Conflict(_("The incident is already major."))
    now = timezone.now()
    incident.is_major, incident.major_declared_at = True, now
    incident.save()
    record(
        incident,
        action="declared major",
        actor=actor,
        source=source,
        before=incident.status,
        message=reason,
    )
    escalation_notify_major(incident, at=now, actor=actor, reason=reason)
    return incident


@transaction.atomic
def incident_update(*, incident_id: int, actor, source: str, **changes) -> Incident:
    """Edit descriptive fields (not status, priority or assignment: those have services)."""
    require(actor, perms.EDIT)
    allowed = {"title", "description", "impact_started_at", "affected_services"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(
            _("These fields cannot be edited here: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    incident = lock_incident(incident_id)
    if incident.status in FINISHED:
        raise Conflict(_("A finished incident cannot be edited."))
    affected = changes.pop("affected_services", None)
    if "title" in changes:
        changes["title"] = required_text(changes["title"], "title", _("Give the incident a title."))
    started = changes.get("impact_started_at")
    if started is not None and started > incident.detected_at:
        raise DomainError(_("Impact cannot start after detection."), field="impact_started_at")
    for name, value in changes.items():
        setattr(incident, name, value)
    incident.save()
    if affected is not None:
        incident.affected_services.set(affected)
    record(
        incident,
        action="edited",
        actor=actor,
        source=source,
        before=incident.status,
        payload={
            "fields": sorted([*changes, *(["affected_services"] if affected is not None else [])])
        },
    )
    return incident


@transaction.atomic
def incident_request_postmortem(
    *, incident_id: int, actor, source: str, reason: str = ""
) -> Postmortem:
    """A manager asks for a postmortem (P3, or P4): the incident cannot close without it."""
    require(actor, perms.REQUEST_POSTMORTEM)
    incident = lock_incident(incident_id)
    if incident.status == Status.MERGED:
        raise Conflict(_("A merged incident has no postmortem of its own."))
    if incident.postmortem_requested_at is not None:
        raise Conflict(_("A postmortem was already requested."))
    now = timezone.now()
    incident.postmortem_requested_at, incident.postmortem_requested_by = now, actor
    incident.save()
    postmortem, _created = Postmortem.objects.get_or_create(incident=incident)
    record(
        incident,
        action="postmortem requested",
        actor=actor,
        source=source,
        before=incident.status,
        message=reason,
    )
    notify(
        incident,
        kind=Notification.Kind.POSTMORTEM,
        recipients=[incident.assignee] if incident.assignee_id else team_leads(incident.team),
        subject=lambda: _("A postmortem of %(ref)s was requested") % {"ref": incident.reference},
        body=reason,
        at=now,
    )
    return postmortem


@transaction.atomic
def incident_delete(*, incident_id: int, actor, source: str) -> None:
    """Administrators only (test data, privacy requests); the audit trail keeps the record."""
    require(actor, "incidents.delete_incident")
    incident = lock_incident(incident_id)
    if incident.children.exists() or incident.duplicates.exists():
        raise Conflict(_("Unlink the child and duplicate incidents first."))
    escalation_stop(incident)
    record(
        incident,
        action="deleted",
        actor=actor,
        source=source,
        before=incident.status,
        message=incident.title,
    )
    incident.delete()
