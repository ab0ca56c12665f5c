"""Alert intake: integrations with their secret tokens and mapping rules, the alert groups
they deduplicate on, the alerts inside them and every delivery's raw payload."""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident, Priority
from itsm.models import Service, Team

NO_INCIDENT = ""  # a severity mapped to this opens no incident (e.g. "info")

PRIORITY_OR_NONE = [(NO_INCIDENT, _("No incident")), *Priority.choices]

# DOMAIN.md: critical alerts immediately (P1), warnings as P3, info only in a daily report.
DEFAULT_SEVERITIES = {"critical": Priority.P1, "warning": Priority.P3, "info": NO_INCIDENT}


def hash_token(token: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


class Integration(models.Model):
    """A monitoring source (an Alertmanager, or any tool posting generic events)."""

    class ResolvePolicy(models.TextChoices):
        RECOVER = "recover", _("Mark the incident recovered")
        NOTE = "note", _("Only note it on the incident")

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive integration refuses deliveries.")
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(_("token starts with"), max_length=12, editable=False)
    token_rotated_at = models.DateTimeField(_("token issued at"), default=timezone.now)
    previous_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    previous_token_expires_at = models.DateTimeField(
        _("previous token valid until"), null=True, blank=True, editable=False
    )
    default_service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("default service"),
        help_text=_("For alerts that no mapping rule and no service label place."),
    )
    default_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default team"),
        help_text=_("Empty: the team that owns the service."),
    )
    severity_label = models.CharField(
        _("severity label"),
        max_length=100,
        default="severity",
        help_text=_("The alert label whose value picks the priority."),
    )
    service_label = models.CharField(
        _("service label"),
        max_length=100,
        default="service",
        blank=True,
        help_text=_("An alert label holding a service's slug or name, used when no rule matches."),
    )
    team_label = models.CharField(
        _("team label"),
        max_length=100,
        default="team",
        blank=True,
        help_text=_("An alert label holding a team's slug or name, used when no rule matches."),
    )
    unknown_severity_priority = models.CharField(
        _("priority of other severities"),
        max_length=2,
        choices=PRIORITY_OR_NONE,
        default=Priority.P3,
        blank=True,
        help_text=_("For severities that the severity map does not list, or alerts without one."),
    )
    resolve_policy = models.CharField(
        _("when alerts resolve"),
        max_length=8,
        choices=ResolvePolicy.choices,
        default=ResolvePolicy.RECOVER,
    )
    rate_limit = models.PositiveIntegerField(
        _("deliveries per minute"),
        null=True,
        blank=True,
        help_text=_(
            "Empty: the site default. More deliveries than this get 429 Too Many Requests."
        ),
    )
    retention_days = models.PositiveSmallIntegerField(_("keep raw payloads for (days)"), default=30)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("integrations:detail", args=[self.pk])

    def team_for(self, service: Service) -> Team:
        return self.default_team or service.owner_team


class SeverityMapping(models.Model):
    """One value of the severity label and the priority it gives (or no incident)."""

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="severities"
    )
    severity = models.CharField(_("severity"), max_length=50)
    priority = models.CharField(_("priority"), max_length=2, choices=PRIORITY_OR_NONE, blank=True)

    class Meta:
        verbose_name = _("severity mapping")
        verbose_name_plural = _("severity mappings")
        ordering = ["integration", "priority", "severity"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "severity"], name="one_severity_row")
        ]

    def __str__(self) -> str:
        return f"{self.severity} → {self.priority or '-'}"

    def save(self, *args, **kwargs):
        self.severity = self.severity.strip().lower()
        super().save(*args, **kwargs)


def validate_matchers(value) -> None:
    if not isinstance(value, dict) or not value:
        raise ValidationError(_("Give at least one label and the pattern its value must match."))
    for label, pattern in value.items():
        if not isinstance(label, str) or not label or not isinstance(pattern, str):
            raise ValidationError(_("Labels and patterns are text."))
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValidationError(
                _("The pattern for %(label)s is not a regular expression: %(error)s"),
                params={"label": label, "error": exc},
            ) from None


class MappingRule(models.Model):
    """Labels → service and team. Rules are tried in order; the first that matches wins.

    Each matcher is a label name and a regular expression that the label's whole value must
    match, as Alertmanager's own `=~` matchers do (a missing label counts as empty).
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    matchers = models.JSONField(
        _("labels match"),
        validators=[validate_matchers],
        help_text=_('For example {"namespace": "payments", "alertname": "HTTP.*"}'),
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )

    class Meta:
        verbose_name = _("mapping rule")
        verbose_name_plural = _("mapping rules")
        ordering = ["integration", "position", "pk"]

    def __str__(self) -> str:
        matchers = ", ".join(f'{k}=~"{v}"' for k, v in (self.matchers or {}).items())
        return f"{{{matchers}}} → {self.service or '-'} / {self.team or '-'}"

    def clean(self) -> None:
        if self.service_id is None and self.team_id is None:
            raise ValidationError(_("A rule sets a service, a team or both."))

    def matches(self, labels: dict) -> bool:
        return all(
            re.fullmatch(pattern, str(labels.get(label, ""))) is not None
            for label, pattern in (self.matchers or {}).items()
        )


class AlertStatus(models.TextChoices):
    FIRING = "firing", _("Firing")
    RESOLVED = "resolved", _("Resolved")


class AlertGroup(models.Model):
    """Everything an integration sent under one group key (Alertmanager's groupKey, or a
    generic event's dedup key). One row per key: it is what concurrent deliveries lock."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="groups")
    key = models.TextField(_("group key"))
    key_hash = models.CharField(max_length=64, editable=False)
    title = models.CharField(_("title"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=AlertStatus.choices, default=AlertStatus.FIRING
    )
    labels = models.JSONField(_("common labels"), default=dict, blank=True)
    incident = models.ForeignKey(
        Incident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incident"),
    )
    priority = models.CharField(_("priority"), max_length=2, choices=PRIORITY_OR_NONE, blank=True)
    alert_count = models.PositiveIntegerField(_("alerts"), default=0)
    firing_count = models.PositiveIntegerField(_("firing"), default=0)
    delivery_count = models.PositiveIntegerField(_("deliveries"), default=0)
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now, db_index=True)
    last_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("alert group")
        verbose_name_plural = _("alert groups")
        ordering = ["-last_seen_at", "-pk"]
        constraints = [
            # Two identical first deliveries at once: the second insert waits for the first
            # and fails, then locks the row the first created instead of opening another.
            models.UniqueConstraint(fields=["integration", "key_hash"], name="one_group_per_key")
        ]

    def __str__(self) -> str:
        return self.title or self.key

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class Alert(models.Model):
    """One alert of a group, by Alertmanager fingerprint (or the generic dedup key)."""

    group = models.ForeignKey(AlertGroup, on_delete=models.CASCADE, related_name="alerts")
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    status = models.CharField(_("status"), max_length=8, choices=AlertStatus.choices)
    labels = models.JSONField(_("labels"), default=dict, blank=True)
    annotations = models.JSONField(_("annotations"), default=dict, blank=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    generator_url = models.URLField(_("source"), max_length=1000, blank=True)
    incident = models.ForeignKey(
        Incident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("listed on incident"),
    )
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["status", "-starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["group", "fingerprint"], name="one_alert_per_print")
        ]

    def __str__(self) -> str:
        return self.labels.get("alertname") or self.fingerprint

    @property
    def summary(self) -> str:
        return (
            self.annotations.get("summary")
            or self.annotations.get("description")
            or self.labels.get("alertname")
            or self.fingerprint
        )


class Delivery(models.Model):
    """One accepted delivery: the raw payload as received and what the portal did with it."""

    class Kind(models.TextChoices):
        ALERTMANAGER = "alertmanager", _("Alertmanager")
        GENERIC = "generic", _("Generic event")

    class Outcome(models.TextChoices):
        CREATED = "created", _("Incident opened")
        UPDATED = "updated", _("Incident updated")
        DUPLICATE = "duplicate", _("Repeat, nothing changed")
        RECOVERED = "recovered", _("Incident recovered")
        ACKNOWLEDGED = "acknowledged", _("Incident acknowledged")
        NOTED = "noted", _("Noted on the incident")
        IGNORED = "ignored", _("No incident")

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    group = models.ForeignKey(
        AlertGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    incident = models.ForeignKey(
        Incident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incident"),
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    summary = models.CharField(_("what happened"), max_length=500, blank=True)
    status = models.CharField(_("status or action"), max_length=12, blank=True)
    alerts_total = models.PositiveIntegerField(_("alerts"), default=0)
    alerts_new = models.PositiveIntegerField(_("new alerts"), default=0)
    alerts_resolved = models.PositiveIntegerField(_("resolved alerts"), default=0)
    content_hash = models.CharField(max_length=64, editable=False)
    body = models.TextField(_("raw payload"))
    remote_addr = models.GenericIPAddressField(_("from"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["integration", "-received_at"], name="intake_delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M:%S} {self.get_outcome_display()}"

    def get_absolute_url(self) -> str:
        return reverse("integrations:delivery", args=[self.integration_id, self.pk])
