"""Policies as data: the impact × urgency matrix, SLA targets per priority, escalation.

Administrators edit these rows in the portal; a data migration seeds the DOMAIN.md defaults.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm import roles
from itsm.models import BusinessCalendar, Team


class Priority(models.TextChoices):
    P1 = "P1", _("P1 critical")
    P2 = "P2", _("P2 high")
    P3 = "P3", _("P3 medium")
    P4 = "P4", _("P4 low")


class Scope(models.TextChoices):
    ALL_USERS = "all_users", _("All users")
    SOME_USERS = "some_users", _("Some users")
    ONE_FUNCTION = "one_function", _("One function")


class BusinessImpact(models.TextChoices):
    REVENUE_LOSS = "revenue_loss", _("Revenue loss")
    LOSS_OF_TRUST = "loss_of_trust", _("Loss of trust")
    MINOR = "minor", _("Minor")


class Impact(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Urgency(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediate")
    PLANNED = "planned", _("Can be planned")


_SCOPE_RANK = {Scope.ALL_USERS: 0, Scope.SOME_USERS: 1, Scope.ONE_FUNCTION: 2}
_BUSINESS_RANK = {
    BusinessImpact.REVENUE_LOSS: 0,
    BusinessImpact.LOSS_OF_TRUST: 1,
    BusinessImpact.MINOR: 2,
}
_IMPACT_BY_RANK = [Impact.HIGH, Impact.MEDIUM, Impact.LOW]


def impact_of(scope: str, business_impact: str) -> str:
    """The impact row of the matrix: the more severe of scope and business impact.

    A whole-user-base outage is high impact even if no revenue is lost, and losing revenue
    is high impact even if few users notice; so the worse of the two decides.
    """
    rank = min(_SCOPE_RANK[Scope(scope)], _BUSINESS_RANK[BusinessImpact(business_impact)])
    return _IMPACT_BY_RANK[rank]


class PriorityMatrixQuerySet(models.QuerySet):
    def priority_for(self, impact: str, urgency: str) -> str:
        cell = self.filter(impact=impact, urgency=urgency).values_list("priority", flat=True)
        found = cell.first()
        # A matrix with a hole must not block triage: the middle priority is a safe default.
        return found or Priority.P3


class PriorityMatrixCell(models.Model):
    """One cell of the impact × urgency matrix."""

    impact = models.CharField(_("impact"), max_length=10, choices=Impact.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)

    objects = PriorityMatrixQuerySet.as_manager()

    class Meta:
        verbose_name = _("priority matrix cell")
        verbose_name_plural = _("priority matrix")
        ordering = ["impact", "urgency"]
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="one_priority_per_cell")
        ]

    def __str__(self) -> str:
        return f"{self.get_impact_display()} × {self.get_urgency_display()} → {self.priority}"


class TargetUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    BUSINESS_DAYS = "business_days", _("business days")


class PriorityPolicy(models.Model):
    """SLA targets and duties of one priority."""

    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices, unique=True)
    response_amount = models.PositiveIntegerField(_("response within"))
    response_unit = models.CharField(_("unit"), max_length=16, choices=TargetUnit.choices)
    resolution_amount = models.PositiveIntegerField(_("resolution within"))
    resolution_unit = models.CharField(_("unit"), max_length=16, choices=TargetUnit.choices)
    warn_fraction = models.FloatField(
        _("warn at"), default=0.75, help_text=_("Fraction of the target, e.g. 0.75")
    )
    postmortem_required = models.BooleanField(
        _("postmortem required"),
        default=False,
        help_text=_("Incidents of this priority cannot close before a published postmortem."),
    )

    class Meta:
        verbose_name = _("priority policy")
        verbose_name_plural = _("priority policies")
        ordering = ["priority"]

    def __str__(self) -> str:
        return self.get_priority_display()

    def clean(self) -> None:
        if not 0 < self.warn_fraction < 1:
            raise ValidationError({"warn_fraction": _("Warn at a fraction between 0 and 1.")})
        if not self.response_amount or not self.resolution_amount:
            raise ValidationError(_("Targets must be longer than zero."))

    @staticmethod
    def describe(amount: int, unit: str) -> str:
        return f"{amount} {TargetUnit(unit).label}"

    @property
    def response_label(self) -> str:
        return self.describe(self.response_amount, self.response_unit)

    @property
    def resolution_label(self) -> str:
        return self.describe(self.resolution_amount, self.resolution_unit)


def working_day_length(calendar: BusinessCalendar | None) -> dt.timedelta:
    """How much business time one business day holds in this calendar (9 h by default)."""
    if calendar is None:
        return dt.timedelta(hours=9)
    start = dt.datetime.combine(dt.date(2000, 1, 3), calendar.work_start)
    end = dt.datetime.combine(dt.date(2000, 1, 3), calendar.work_end)
    return end - start


class EscalationPolicy(models.Model):
    """An ordered list of levels that an unacknowledged incident climbs through."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Used for teams without a policy of their own.")
    )
    teams = models.ManyToManyField(
        Team, blank=True, related_name="incident_escalation_policies", verbose_name=_("teams")
    )

    class Meta:
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_escalation_policy",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def for_team(cls, team: Team | None) -> EscalationPolicy | None:
        if team is not None:
            policy = cls.objects.filter(teams=team).order_by("pk").first()
            if policy is not None:
                return policy
        return cls.objects.filter(is_default=True).first()

    def climbing_levels(self) -> list[EscalationLevel]:
        return [level for level in self.levels.all() if not level.major_only]

    def major_levels(self) -> list[EscalationLevel]:
        return [level for level in self.levels.all() if level.major_only]


class EscalationLevel(models.Model):
    """One level: whom to notify, and how long after the previous level it fires."""

    class TargetType(models.TextChoices):
        ONCALL = "oncall", _("On-call schedule of the incident's team")
        ROLE = "role", _("Role")
        TEAM = "team", _("Team")
        PERSON = "person", _("Person")

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="levels")
    number = models.PositiveSmallIntegerField(_("level"))
    wait = models.DurationField(
        _("wait"),
        default=dt.timedelta(0),
        help_text=_("Time after the previous level fired; zero for the first level."),
    )
    target_type = models.CharField(_("notify"), max_length=8, choices=TargetType.choices)
    schedule_level = models.PositiveSmallIntegerField(
        _("schedule level"),
        default=1,
        help_text=_(
            "For an on-call target: which of the team's schedules (1 = primary). Nobody on "
            "call: the team's on-call engineers are notified instead."
        ),
    )
    role = models.CharField(
        _("role"),
        max_length=32,
        blank=True,
        choices=list(roles.ROLES.items()),
        help_text=_("Members of the incident's team with this role; everyone with it if none."),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    major_only = models.BooleanField(
        _("major incidents only"),
        default=False,
        help_text=_("Notified at once when an incident is declared major, outside the climb."),
    )

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        ordering = ["policy", "number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="unique_escalation_level")
        ]

    def __str__(self) -> str:
        return f"L{self.number} {self.target_label}"

    def clean(self) -> None:
        required = {
            self.TargetType.ONCALL: ("schedule_level", self.schedule_level),
            self.TargetType.ROLE: ("role", self.role),
            self.TargetType.TEAM: ("team", self.team_id),
            self.TargetType.PERSON: ("person", self.person_id),
        }
        field, value = required[self.TargetType(self.target_type)]
        if not value:
            raise ValidationError({field: _("Choose whom this level notifies.")})
        if self.wait < dt.timedelta(0):
            raise ValidationError({"wait": _("The wait cannot be negative.")})

    @property
    def target_label(self) -> str:
        if self.target_type == self.TargetType.ONCALL:
            return str(_("On call (schedule level %(n)s)") % {"n": self.schedule_level})
        if self.target_type == self.TargetType.ROLE:
            return roles.role_label(self.role)
        if self.target_type == self.TargetType.TEAM:
            return str(self.team)
        return str(self.person)
