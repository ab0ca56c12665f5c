"""Per-user e-mail preferences for portal events, and the log of e-mails sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.models import AuditEvent
from itsm.recipients import user_language

from ..events import EVENT_CHOICES


class NotificationPreference(models.Model):
    """Which language the e-mails come in and how wide the net is."""

    class Scope(models.TextChoices):
        TEAMS = "teams", _("Only my teams' services")
        ALL = "all", _("Everything I may see")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    language = models.CharField(
        _("e-mail language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: the language of your portal preferences."),
    )
    scope = models.CharField(
        _("which objects"), max_length=8, choices=Scope.choices, default=Scope.TEAMS
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)

    def email_language(self) -> str:
        return user_language(self.user, self.language)


class EmailSubscription(models.Model):
    """A user wants e-mail for one event type (a row each, so recipients are one query)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_subscriptions"
    )
    event_type = models.CharField(_("event"), max_length=40, choices=EVENT_CHOICES)

    class Meta:
        verbose_name = _("e-mail subscription")
        verbose_name_plural = _("e-mail subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["user", "event_type"], name="one_email_subscription")
        ]
        indexes = [models.Index(fields=["event_type"], name="email_subscription_event")]

    def __str__(self) -> str:
        return f"{self.user} · {self.event_type}"


class EmailNotification(models.Model):
    """One e-mail for one recipient and one event; sent once, by Celery, after commit."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_emails"
    )
    audit_event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="+")
    event_type = models.CharField(_("event"), max_length=40)
    email = models.EmailField(_("e-mail"))
    language = models.CharField(_("language"), max_length=8)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("event e-mail")
        verbose_name_plural = _("event e-mails")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "audit_event"], name="one_email_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.email}"
