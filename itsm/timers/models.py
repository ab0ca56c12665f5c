"""A timer is a row with an indexed due time; the database is the source of truth."""

import uuid
from datetime import datetime, timedelta

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def default_warn_fractions() -> list[float]:
    return [0.75]


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
            models.Index(
                fields=["due_at", "id"], condition=Q(state="armed"), name="timer_armed_due"
            ),
            # Failed timers need a person; the admin page and /metrics count them.
            models.Index(fields=["due_at"], condition=Q(state="failed"), name="timer_failed"),
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
    claim_ms = models.FloatField(default=0)
    batches = models.PositiveIntegerField(default=0)
    fired = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    max_lateness_s = models.FloatField(default=0)

    class Meta:
        verbose_name = _("sweep statistic")
        verbose_name_plural = _("sweep statistics")

    def __str__(self) -> str:
        return f"{self.name} {self.at}"


class Clock(models.Model):
    """A stopwatch with a target on any object: an SLA's response or resolution clock.

    Time is counted in running segments. Closed segments are kept (`segments`, for exact
    re-targeting from the original start) and summed in `elapsed_before_pause`; the open
    segment starts at `resumed_at`. Warnings and the breach are recorded once each, at the
    instant the threshold was crossed; Timer rows (subject = this clock) make the sweeper
    notice crossings that nobody else observes. Written only through itsm.timers.clocks.
    """

    class Mode(models.TextChoices):
        CALENDAR = "calendar", _("Calendar time")
        BUSINESS = "business", _("Business time")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    name = models.CharField(_("name"), max_length=32)
    target = models.DurationField(_("target"))
    mode = models.CharField(_("counts"), max_length=10, choices=Mode.choices, default=Mode.CALENDAR)
    calendar = models.ForeignKey(
        "itsm.BusinessCalendar",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("business calendar"),
    )
    started_at = models.DateTimeField(_("started at"))
    resumed_at = models.DateTimeField(_("running since"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    elapsed_before_pause = models.DurationField(default=timedelta(0))
    segments = models.JSONField(default=list, blank=True)
    deadline_at = models.DateTimeField(_("deadline"), null=True, blank=True, db_index=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    warn_fractions = models.JSONField(_("warn at fractions"), default=default_warn_fractions)
    warned_fractions = models.JSONField(default=list, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("clock")
        verbose_name_plural = _("clocks")
        ordering = ["started_at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="clock_subject")]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "name"], name="one_clock_per_subject_name"
            ),
            models.CheckConstraint(
                condition=Q(mode="calendar") | Q(calendar__isnull=False),
                name="business_clock_has_calendar",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.content_type_id}:{self.object_id}"

    # --- state -------------------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self.resumed_at is not None and self.stopped_at is None

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None and self.stopped_at is None

    @property
    def is_stopped(self) -> bool:
        return self.stopped_at is not None

    @property
    def is_breached(self) -> bool:
        return self.breached_at is not None

    @property
    def is_warned(self) -> bool:
        return self.warned_at is not None

    # --- arithmetic (pure; the time counted depends on the mode) ----------------------------
    def spec(self):
        """The business calendar as a CalendarSpec, cached on the instance."""
        if not hasattr(self, "_spec"):
            self._spec = self.calendar.spec() if self.mode == self.Mode.BUSINESS else None
        return self._spec

    def span(self, start: datetime, end: datetime) -> timedelta:
        """Counted time inside [start, end)."""
        if end <= start:
            return timedelta(0)
        if self.mode == self.Mode.BUSINESS:
            from itsm.business_time import business_time_between

            return business_time_between(self.spec(), start, end)
        return end - start

    def advance(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which `amount` of counted time has passed since `start`."""
        if self.mode == self.Mode.BUSINESS:
            from itsm.business_time import add_business_duration

            return add_business_duration(self.spec(), start, max(amount, timedelta(0)))
        return start + max(amount, timedelta(0))

    def closed_segments(self) -> list[tuple[datetime, datetime]]:
        return [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in self.segments]

    def elapsed(self, now: datetime | None = None) -> timedelta:
        """Counted time so far; frozen while paused or stopped."""
        if not self.is_running:
            return self.elapsed_before_pause
        now = now or timezone.now()
        return self.elapsed_before_pause + self.span(self.resumed_at, now)

    def remaining(self, now: datetime | None = None) -> timedelta:
        """Counted time left before the breach; negative once past the target."""
        return self.target - self.elapsed(now)

    def fraction(self, now: datetime | None = None) -> float:
        """Elapsed as a fraction of the target (1.0 = at the deadline)."""
        if self.target <= timedelta(0):
            return 1.0
        return self.elapsed(now) / self.target

    def crossing(self, amount: timedelta) -> datetime | None:
        """When the counted time reached (or, running, will reach) `amount`; None if never.

        Walks the closed segments from the original start, then the open one, so a clock
        re-targeted later still knows exactly when a new threshold was crossed.
        """
        counted = timedelta(0)
        for start, end in self.closed_segments():
            part = self.span(start, end)
            if counted + part >= amount and part > timedelta(0):
                return self.advance(start, amount - counted)
            counted += part
        if amount <= counted:
            return self.started_at  # only when amount is zero or nothing was counted yet
        if self.is_running:
            return self.advance(self.resumed_at, amount - counted)
        return None

    # --- transitions: fields on self only; itsm.timers.clocks locks, checks and saves ------
    def _close_segment(self, at: datetime) -> None:
        self.segments = [*self.segments, [self.resumed_at.isoformat(), at.isoformat()]]
        self.elapsed_before_pause += self.span(self.resumed_at, at)
        self.resumed_at = None

    def mark_paused(self, at: datetime) -> None:
        """Stop counting at `at`; the segment closes with the time it counted."""
        self._close_segment(at)
        self.paused_at = at

    def mark_resumed(self, at: datetime) -> None:
        """Count again from `at` (also after a stop: a reopened ticket)."""
        self.resumed_at, self.paused_at, self.stopped_at = at, None, None

    def mark_stopped(self, at: datetime) -> None:
        """Stop for good; a running segment closes first."""
        if self.is_running:
            self._close_segment(at)
        self.paused_at, self.stopped_at = None, at

    def last_change(self) -> datetime:
        """No transition may be dated before this instant."""
        return self.resumed_at or self.paused_at or self.stopped_at or self.started_at

    @property
    def deadline(self) -> datetime | None:
        """The breach instant: projected while running, recorded once breached."""
        return self.breached_at or self.deadline_at
