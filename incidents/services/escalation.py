"""Escalation: L1 is told at detection; unacknowledged incidents climb level by level.

Each automatic step is a Timer ("incidents.escalate") armed for the next level. The handler
re-checks under the incident lock that nobody acknowledged meanwhile, records the step
(level, fired at, whom it notified) first and notifies after commit. Acknowledging cancels
the timer; a handler that still runs finds the incident acknowledged and does nothing.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.errors import Conflict, DomainError
from itsm.timers import services as timer_services
from itsm.timers.models import Timer

from .. import permissions as perms
from ..models import (
    FINISHED,
    UNACKNOWLEDGED,
    EscalationLevel,
    EscalationStep,
    Incident,
    Notification,
)
from .base import Source, lock_incident, record, require, required_text
from .notify import level_recipients, notify

ESCALATE_KIND = "incidents.escalate"


def _levels(incident: Incident) -> list[EscalationLevel]:
    if incident.escalation_policy_id is None:
        return []
    return list(
        EscalationLevel.objects.filter(policy_id=incident.escalation_policy_id)
        .select_related("team", "person")
        .order_by("number")
    )


def _climbing(incident: Incident) -> list[EscalationLevel]:
    return [level for level in _levels(incident) if not level.major_only]


def _fire_level(
    incident: Incident,
    level: EscalationLevel,
    *,
    kind: str,
    at: datetime,
    actor=None,
    reason: str = "",
    due_at: datetime | None = None,
    recipients=None,
) -> EscalationStep:
    """Record the step with whom it notifies, then log and queue the notifications."""
    recipients = level_recipients(level, incident, at) if recipients is None else recipients
    step = EscalationStep.objects.create(
        incident=incident,
        level=level.number,
        kind=kind,
        fired_at=at,
        due_at=due_at,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason,
        target=level.target_label[:200],
        notified=[user.username for user in recipients],
    )
    if kind == EscalationStep.Kind.MAJOR:
        subject = gettext_lazy("Major incident %(ref)s: %(title)s")
        notification_kind = Notification.Kind.MAJOR
    elif kind == EscalationStep.Kind.MANUAL_DOWN:
        subject = gettext_lazy("%(ref)s de-escalated: %(title)s")
        notification_kind = Notification.Kind.ESCALATED
    else:
        subject = gettext_lazy("%(ref)s escalated to you (L%(level)s, %(priority)s): %(title)s")
        notification_kind = Notification.Kind.ESCALATED
    params = {
        "ref": incident.reference,
        "title": incident.title,
        "level": level.number,
        "priority": incident.priority,
    }
    notify(
        incident,
        kind=notification_kind,
        recipients=recipients,
        subject=lambda: str(subject) % params,
        body=lambda: (
            reason
            or _("Escalation level %(level)s: %(target)s.")
            % {"level": level.number, "target": level.target_label}
        ),
        at=at,
    )
    return step


def _arm_next(
    incident: Incident, *, base: datetime, levels: list[EscalationLevel] | None = None
) -> None:
    """Arm the timer of the next climbing level, `wait` after `base`; none at the top."""
    levels = _climbing(incident) if levels is None else levels
    upcoming = [lvl for lvl in levels if lvl.number > incident.escalation_level]
    if not upcoming:
        escalation_stop(incident)
        return
    following = upcoming[0]
    timer_services.timer_arm(
        subject=incident,
        kind=ESCALATE_KIND,
        due_at=base + following.wait,
        payload={"level": following.number},
    )


def escalation_stop(incident: Incident) -> int:
    """Cancel the armed climb, skipping a timer a sweeper is firing right now.

    Waiting for that row would deadlock (the sweeper holds the timer and waits for the
    incident); the skipped timer's handler finds the incident acknowledged and does nothing.
    """
    ids = list(
        timer_services.armed_timers(incident)
        .filter(kind=ESCALATE_KIND)
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    return Timer.objects.filter(pk__in=ids, state=Timer.State.ARMED).update(
        state=Timer.State.CANCELLED
    )


def escalation_start(incident: Incident, *, at: datetime) -> None:
    """At detection: tell the first level, arm the climb, and call L5 at once if major."""
    levels = _climbing(incident)
    if levels:
        first = levels[0]
        incident.escalation_level = first.number
        incident.save(update_fields=["escalation_level", "updated_at"])
        _fire_level(incident, first, kind=EscalationStep.Kind.INITIAL, at=at)
        # The climb counts from detection: an alert filed late has already waited.
        _arm_next(incident, base=incident.detected_at)
    if incident.is_major:
        escalation_notify_major(incident, at=at)


def escalation_notify_major(incident: Incident, *, at: datetime, actor=None, reason="") -> None:
    """Executives (the major-only levels) hear of a major incident at once, once."""
    already = set(
        incident.escalation_steps.filter(kind=EscalationStep.Kind.MAJOR).values_list(
            "level", flat=True
        )
    )
    for level in _levels(incident):
        if level.major_only and level.number not in already:
            _fire_level(
                incident, level, kind=EscalationStep.Kind.MAJOR, at=at, actor=actor, reason=reason
            )


def _lock_for_timer(incident_id: int) -> Incident | None:
    """The handler only *tries* the incident lock: a transition holding it may be about to
    acknowledge. TimerBusy leaves the timer armed for the next sweep, which re-checks."""
    incident = (
        Incident.objects.select_for_update(no_key=True, of=("self",), skip_locked=True)
        .filter(pk=incident_id)
        .first()
    )
    if incident is None and Incident.objects.filter(pk=incident_id).exists():
        raise timer_services.TimerBusy(f"incident {incident_id} is locked")
    return incident


def escalation_fire(timer: Timer, *, now: datetime) -> EscalationStep | None:
    """The timer handler's body; runs inside the sweep's transaction. Idempotent."""
    incident = _lock_for_timer(int(timer.object_id))
    if incident is None or incident.status not in UNACKNOWLEDGED:
        return None  # acknowledged (or gone) meanwhile: the climb has ended
    number = int(timer.payload.get("level", 0))
    if number <= incident.escalation_level:
        return None  # a stale timer: this level already fired (by hand or before)
    levels = _climbing(incident)
    level = next((lvl for lvl in levels if lvl.number == number), None)
    if level is None:
        return None  # the policy changed and the level is gone
    before = incident.escalation_level
    incident.escalation_level = number
    incident.save(update_fields=["escalation_level", "updated_at"])
    step = _fire_level(
        incident, level, kind=EscalationStep.Kind.AUTOMATIC, at=now, due_at=timer.due_at
    )
    record(
        incident,
        action="escalated",
        actor=None,
        source=Source.TIMER,
        before=incident.status,
        message=_("Not acknowledged: escalated from L%(from)s to L%(to)s.")
        % {"from": before, "to": number},
        payload={"level": number, "notified": step.notified},
    )
    # The next level counts from when this one was due, so a late sweep does not drift.
    _arm_next(incident, base=timer.due_at, levels=levels)
    return step


@transaction.atomic
def incident_escalate(
    *, incident_id: int, actor, source: str, reason: str, level: int | None = None
) -> Incident:
    """Escalate by hand (impact grew, a decision is needed); the climb continues from there."""
    require(actor, perms.ESCALATE)
    reason = required_text(reason, "reason", _("Say why you escalate."))
    incident = lock_incident(incident_id)
    if incident.status in FINISHED:
        raise Conflict(_("A finished incident cannot be escalated."))
    higher = [lvl for lvl in _climbing(incident) if lvl.number > incident.escalation_level]
    if level is not None:
        higher = [lvl for lvl in higher if lvl.number == level]
    if not higher:
        raise DomainError(_("There is no higher escalation level to go to."), field="level")
    target = higher[0]
    before, now = incident.escalation_level, timezone.now()
    incident.escalation_level = target.number
    incident.save(update_fields=["escalation_level", "updated_at"])
    step = _fire_level(
        incident, target, kind=EscalationStep.Kind.MANUAL_UP, at=now, actor=actor, reason=reason
    )
    record(
        incident,
        action="escalated",
        actor=actor,
        source=source,
        before=incident.status,
        message=reason,
        payload={"from": before, "level": target.number, "notified": step.notified},
    )
    if incident.status in UNACKNOWLEDGED:
        _arm_next(incident, base=now)
    return incident


@transaction.atomic
def incident_deescalate(*, incident_id: int, actor, source: str, reason: str) -> Incident:
    """Step one level down (the situation calmed); the level left behind hears of it."""
    require(actor, perms.DEESCALATE)
    reason = required_text(reason, "reason", _("Say why you de-escalate."))
    incident = lock_incident(incident_id)
    if incident.status in FINISHED:
        raise Conflict(_("A finished incident cannot be de-escalated."))
    levels = _climbing(incident)
    current = next((lvl for lvl in levels if lvl.number == incident.escalation_level), None)
    lower = [lvl for lvl in levels if lvl.number < incident.escalation_level]
    if not lower:
        raise DomainError(_("The incident is already at the first level."))
    target = lower[-1]
    before, now = incident.escalation_level, timezone.now()
    incident.escalation_level = target.number
    incident.save(update_fields=["escalation_level", "updated_at"])
    leaving = level_recipients(current, incident, now) if current else []
    step = _fire_level(
        incident,
        target,
        kind=EscalationStep.Kind.MANUAL_DOWN,
        at=now,
        actor=actor,
        reason=reason,
        recipients=leaving,
    )
    record(
        incident,
        action="de-escalated",
        actor=actor,
        source=source,
        before=incident.status,
        message=reason,
        payload={"from": before, "level": target.number, "notified": step.notified},
    )
    if incident.status in UNACKNOWLEDGED:
        _arm_next(incident, base=now)
    return incident
