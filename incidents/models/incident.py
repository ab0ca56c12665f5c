"""The incident and its lifecycle; escalation steps that record each climb."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from itsm.models import Service, Team

from .. import permissions as perms
from .policy import (
    BusinessImpact,
    EscalationPolicy,
    Impact,
    Priority,
    PriorityPolicy,
    Scope,
    Urgency,
)


class Status(models.TextChoices):
    DETECTED = "detected", _("Detected")
    TRIAGED = "triaged", _("Triaged")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATING = "investigating", _("Investigating")
    WAITING = "waiting", _("Waiting on reporter")
    RECOVERED = "recovered", _("Recovered")
    VERIFIED = "verified", _("Verified")
    CLOSED = "closed", _("Closed")
    MERGED = "merged", _("Merged")


UNACKNOWLEDGED = [Status.DETECTED, Status.TRIAGED]
IN_PROGRESS = [Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.WAITING]
OPEN = [*UNACKNOWLEDGED, *IN_PROGRESS]  # the service is still impaired
ACTIVE = [*OPEN, Status.RECOVERED, Status.VERIFIED]  # not finished yet
FINISHED = [Status.CLOSED, Status.MERGED]


def _holds(permission: str):
    def check(incident: Incident, user) -> bool:
        return user.has_perm(permission)

    check.__name__ = f"holds_{permission.split('.')[-1]}"
    return check


def _worker_or_reporter(incident: Incident, user) -> bool:
    """Responders work every incident; the reporter answers questions and confirms fixes."""
    return user.has_perm(perms.WORK) or (
        incident.reported_by_id is not None and incident.reported_by_id == user.pk
    )


def _postmortem_satisfied(incident: Incident) -> bool:
    return not incident.postmortem_required or incident.postmortem_published


class IncidentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN)

    def active(self):
        return self.filter(status__in=ACTIVE)

    def unacknowledged(self):
        return self.filter(status__in=UNACKNOWLEDGED)

    def visible_to(self, user):
        """Responders see every incident; others see what they reported or are assigned."""
        if user.has_perm(perms.VIEW):
            return self
        return self.filter(models.Q(reported_by=user) | models.Q(assignee=user))


class Incident(FSMModelMixin, models.Model):
    """An unplanned interruption or degradation of a service."""

    class Source(models.TextChoices):
        MONITORING = "monitoring", _("Monitoring alert")
        USER = "user", _("User report")
        OPERATIONS = "operations", _("Operations team")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = FSMField(
        _("status"), default=Status.DETECTED, choices=Status.choices, protected=True, db_index=True
    )
    source = models.CharField(
        _("detected by"), max_length=12, choices=Source.choices, default=Source.USER
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_incidents",
        verbose_name=_("reported by"),
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("service")
    )
    affected_services = models.ManyToManyField(
        Service,
        blank=True,
        related_name="affected_by_incidents",
        verbose_name=_("affected services"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("team")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_incidents",
        verbose_name=_("assignee"),
    )

    # Triage: scope and business impact give the impact; impact × urgency gives the priority.
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    business_impact = models.CharField(
        _("business impact"), max_length=16, choices=BusinessImpact.choices
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    impact = models.CharField(_("impact"), max_length=10, choices=Impact.choices)
    matrix_priority = models.CharField(
        _("priority from the matrix"), max_length=2, choices=Priority.choices
    )
    priority = models.CharField(
        _("priority"), max_length=2, choices=Priority.choices, db_index=True
    )
    priority_override_reason = models.TextField(_("reason for the priority override"), blank=True)
    is_major = models.BooleanField(_("major incident"), default=False)
    major_declared_at = models.DateTimeField(_("declared major at"), null=True, blank=True)

    escalation_policy = models.ForeignKey(
        EscalationPolicy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("escalation policy"),
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=1)

    detected_at = models.DateTimeField(_("detected at"), default=timezone.now, db_index=True)
    impact_started_at = models.DateTimeField(
        _("impact started at"), null=True, blank=True, help_text=_("If earlier than detection.")
    )
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    waiting_reason = models.TextField(_("question to the reporter"), blank=True)
    recovered_at = models.DateTimeField(_("recovered at"), null=True, blank=True)
    resolution_summary = models.TextField(_("how service was restored"), blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)

    # Deadlines of the running SLA clocks, copied here by the services that move the clocks
    # so the queue can sort by "breaches first" with one indexed column.
    response_due_at = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolve by"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)

    # TODO(lead): convert to a nullable ForeignKey to "changes.Change" (on_delete=SET_NULL,
    # related_name="caused_incidents") once the changes app is merged; the column keeps ids.
    caused_by_change_id = models.PositiveBigIntegerField(
        _("caused by change"), null=True, blank=True, db_index=True
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent incident"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    postmortem_requested_at = models.DateTimeField(
        _("postmortem requested at"), null=True, blank=True
    )
    postmortem_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("postmortem requested by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The SLA clocks (written only through itsm.timers.clocks); deleted with the incident.
    clocks = GenericRelation("timers.Clock", related_query_name="incident")

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-detected_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_due_at"], name="incident_queue"),
            models.Index(fields=["team", "status"], name="incident_team_status"),
        ]
        permissions = [
            ("triage_incident", _("Can triage incidents")),
            ("work_incident", _("Can acknowledge and work incidents")),
            ("close_incident", _("Can close incidents")),
            ("escalate_incident", _("Can escalate incidents")),
            ("deescalate_incident", _("Can de-escalate incidents")),
            ("override_priority", _("Can override an incident's priority")),
            ("declare_major", _("Can declare a major incident")),
            ("request_postmortem", _("Can request a postmortem")),
            ("publish_postmortem", _("Can publish postmortems")),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"INC-{self.pk:05d}" if self.pk else "INC-new"

    @property
    def is_acknowledged(self) -> bool:
        return self.status not in UNACKNOWLEDGED

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def priority_overridden(self) -> bool:
        return bool(self.matrix_priority) and self.priority != self.matrix_priority

    # --- postmortem duty -------------------------------------------------------------------
    @property
    def postmortem_required(self) -> bool:
        """P1/P2 by policy; any priority once a manager asked for one."""
        if self.postmortem_requested_at is not None:
            return True
        if not hasattr(self, "_policy_requires_postmortem"):
            self._policy_requires_postmortem = PriorityPolicy.objects.filter(
                priority=self.priority, postmortem_required=True
            ).exists()
        return self._policy_requires_postmortem

    @property
    def postmortem_published(self) -> bool:
        from .postmortem import Postmortem

        postmortem = getattr(self, "postmortem", None)
        return postmortem is not None and postmortem.status == Postmortem.Status.PUBLISHED

    # --- lifecycle (fields on self only; services save, record and notify) -----------------
    @transition(
        status, source=Status.DETECTED, target=Status.TRIAGED, permission=_holds(perms.TRIAGE)
    )
    def triage(self, *, at) -> None:
        """Priority, team and affected services are confirmed; the urgent or normal path starts."""
        self.triaged_at = at

    @transition(
        status, source=UNACKNOWLEDGED, target=Status.ACKNOWLEDGED, permission=_holds(perms.WORK)
    )
    def acknowledge(self, *, by, at) -> None:
        """A responder owns it: the response clock stops and the escalation climb ends."""
        self.acknowledged_at = at
        self.acknowledged_by = by
        if self.assignee_id is None:
            self.assignee = by

    @transition(
        status,
        source=Status.ACKNOWLEDGED,
        target=Status.INVESTIGATING,
        permission=_holds(perms.WORK),
    )
    def investigate(self, *, at) -> None:
        """Work on restoring the service has started."""

    @transition(
        status,
        source=[Status.ACKNOWLEDGED, Status.INVESTIGATING],
        target=Status.WAITING,
        permission=_holds(perms.WORK),
    )
    def wait_for_reporter(self, *, at, question: str) -> None:
        """A question to the reporter; the resolution clock pauses until the answer."""
        self.waiting_since = at
        self.waiting_reason = question

    @transition(
        status, source=Status.WAITING, target=Status.INVESTIGATING, permission=_worker_or_reporter
    )
    def resume(self, *, at) -> None:
        """The reporter answered (or the responder goes on without): the clock runs again."""
        self.waiting_since = None

    @transition(
        status,
        source=[Status.ACKNOWLEDGED, Status.INVESTIGATING],
        target=Status.RECOVERED,
        permission=_holds(perms.WORK),
    )
    def recover(self, *, at, summary: str) -> None:
        """Service is restored (the cause may still be unknown): the resolution clock stops."""
        self.recovered_at = at
        self.resolution_summary = summary

    @transition(
        status, source=Status.RECOVERED, target=Status.VERIFIED, permission=_worker_or_reporter
    )
    def verify(self, *, at) -> None:
        """Someone confirmed the service really works again."""
        self.verified_at = at

    @transition(
        status,
        source=Status.VERIFIED,
        target=Status.CLOSED,
        permission=_holds(perms.CLOSE),
        conditions=[_postmortem_satisfied],
    )
    def close(self, *, at) -> None:
        """Finished. P1/P2 (and P3 on request) only once their postmortem is published."""
        self.closed_at = at

    @transition(
        status,
        source=[Status.RECOVERED, Status.VERIFIED, Status.CLOSED],
        target=Status.INVESTIGATING,
        permission=_worker_or_reporter,
    )
    def reopen(self, *, at) -> None:
        """The fix did not hold: back to work, the resolution clock runs on."""
        self.reopen_count += 1
        self.recovered_at = self.verified_at = self.closed_at = None

    @transition(status, source=OPEN, target=Status.MERGED, permission=_holds(perms.TRIAGE))
    def merge(self, *, into: Incident, at) -> None:
        """A duplicate: its facts move to `into` and it stops here."""
        self.duplicate_of = into
        self.closed_at = at


class EscalationStep(models.Model):
    """One recorded escalation: the level, when it fired and whom it notified."""

    class Kind(models.TextChoices):
        INITIAL = "initial", _("Initial notification")
        AUTOMATIC = "automatic", _("Automatic")
        MANUAL_UP = "manual_up", _("Escalated by hand")
        MANUAL_DOWN = "manual_down", _("De-escalated")
        MAJOR = "major", _("Major incident")

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="escalation_steps"
    )
    level = models.PositiveSmallIntegerField(_("level"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    fired_at = models.DateTimeField(_("fired at"))
    due_at = models.DateTimeField(_("was due at"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    target = models.CharField(_("target"), max_length=200, blank=True)
    notified = models.JSONField(_("notified"), default=list, blank=True)

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["fired_at", "pk"]

    def __str__(self) -> str:
        return f"{self.incident.reference} L{self.level} {self.get_kind_display()}"
