"""A timer is a row with an indexed due time; the database is the source of truth."""

import uuid

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Timer(models.Model):
    class State(models.TextChoices):
        ARMED = "armed", _("Armed")
        FIRED = "fired", _("Fired")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=64, help_text=_("Name of the handler"))
    key = models.CharField(_("key"), max_length=64, blank=True, default="")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ARMED)
    # A fresh token on every (re-)arm: an ETA task carrying an older token does nothing.
    token = models.UUIDField(default=uuid.uuid4)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    fired_at = models.DateTimeField(_("fired at"), null=True, blank=True)
    late_by = models.DurationField(_("late by"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("timer")
        verbose_name_plural = _("timers")
        indexes = [
            # The sweeper's claim reads only armed rows in due order: a partial index keeps
            # that query independent of how many fired or far-future timers exist.
            models.Index(fields=["due_at"], condition=Q(state="armed"), name="timer_armed_due"),
            models.Index(fields=["content_type", "object_id"], name="timer_subject"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind", "key"],
                condition=Q(state="armed"),
                name="one_armed_timer_per_subject_kind_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} @ {self.due_at:%Y-%m-%d %H:%M:%S}"


class SweepStat(models.Model):
    """The last sweep's figures, for the admin page and /metrics."""

    name = models.CharField(max_length=32, primary_key=True, default="sweeper")
    at = models.DateTimeField()
    duration_ms = models.FloatField(default=0)
    fired = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    max_lateness_s = models.FloatField(default=0)

    class Meta:
        verbose_name = _("sweep statistic")
        verbose_name_plural = _("sweep statistics")

    def __str__(self) -> str:
        return f"{self.name} {self.at}"
