"""Receivers of the shared clocks' warning and breach signals.

They run inside the transaction that records the crossing on the Clock row (a transition of
ours, or the sweeper's timer), exactly once per crossing. They never lock or update the
incident row: the sweeper holds the clock while a transition may hold the incident and wait
for the clock. Inserting the audit event and the notifications only needs the incident to
exist (FOR KEY SHARE, compatible with our FOR NO KEY UPDATE), so nothing waits in a circle.
"""

from django.contrib.contenttypes.models import ContentType
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.audit import record_event
from itsm.models import AuditEvent
from itsm.timers.models import Clock
from itsm.timers.signals import clock_breached, clock_warned

from .models import Incident, Notification
from .services.notify import notify, team_leads, users_with_role


def _incident_of(clock: Clock) -> Incident | None:
    if clock.content_type_id != ContentType.objects.get_for_model(Incident).pk:
        return None
    return (
        Incident.objects.select_related("team__calendar", "assignee")
        .filter(pk=int(clock.object_id))
        .first()
    )


def _responders(incident: Incident) -> list:
    if incident.assignee_id:
        return [incident.assignee]
    return users_with_role("oncall", team=incident.team)


def _local(instant) -> str:
    """A deadline in the active time zone: the recipient's, inside notify()."""
    if instant is None:
        return ""
    return f"{timezone.localtime(instant):%Y-%m-%d %H:%M %Z}"


def _clock_label(clock: Clock) -> str:
    return {"response": _("response"), "resolution": _("resolution")}.get(clock.name, clock.name)


@receiver(clock_warned, sender=Clock, dispatch_uid="incidents-clock-warned")
def incident_sla_warned(sender, *, clock: Clock, fraction: float, at, **kwargs) -> None:
    incident = _incident_of(clock)
    if incident is None:
        return

    def params():
        return {
            "ref": incident.reference,
            "clock": _clock_label(clock),
            "percent": f"{fraction * 100:.0f}",
            "deadline": _local(clock.deadline),
        }

    record_event(
        incident,
        action="sla warning",
        source=AuditEvent.Source.TIMER,
        before=incident.status,
        message=_("%(percent)s%% of the %(clock)s target used.") % params(),
        payload={"clock": clock.name, "fraction": fraction, "at": at.isoformat()},
    )
    notify(
        incident,
        kind=Notification.Kind.WARNING,
        recipients=_responders(incident),
        subject=lambda: (
            _("%(ref)s: %(percent)s%% of the %(clock)s time used (due %(deadline)s)") % params()
        ),
        body=incident.title,
        at=at,
    )


@receiver(clock_breached, sender=Clock, dispatch_uid="incidents-clock-breached")
def incident_sla_breached(sender, *, clock: Clock, at, **kwargs) -> None:
    incident = _incident_of(clock)
    if incident is None:
        return

    def params():
        return {"ref": incident.reference, "clock": _clock_label(clock)}

    record_event(
        incident,
        action="sla breached",
        source=AuditEvent.Source.TIMER,
        before=incident.status,
        message=_("The %(clock)s target was missed.") % params(),
        payload={"clock": clock.name, "at": at.isoformat()},
    )
    notify(
        incident,
        kind=Notification.Kind.BREACH,
        recipients=[*_responders(incident), *team_leads(incident.team)],
        subject=lambda: _("%(ref)s breached its %(clock)s target") % params(),
        body=incident.title,
        at=at,
    )
