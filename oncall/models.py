"""On-call schedules: rotations layered per team, overrides and swaps on top.

Models hold the configuration; oncall.engine turns it into shifts. A rotation that has
already started is never rewritten: an edit ends it and starts a successor, so past shifts,
calendars and the fairness report keep what really happened.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from itsm.models import Team, validate_time_zone

from . import engine


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Schedule(models.Model):
    """Who is on call for a team at one escalation level (1 = primary, 2 = secondary …)."""

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="oncall_schedules", verbose_name=_("team")
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(
        _("escalation level"),
        default=1,
        help_text=_("1 is the primary on-call (L1); 2 a secondary who backs them up, and so on."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    description = models.TextField(_("description"), blank=True)
    # The secret in the schedule's iCal address; rotating it cuts off every old subscriber.
    ical_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("on-call schedule")
        verbose_name_plural = _("on-call schedules")
        ordering = ["team__name", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "level"],
                name="oncall_one_schedule_per_level",
                violation_error_message=_("This team already has a schedule for this level."),
            )
        ]
        permissions = [
            ("manage_overrides", _("Can create and cancel on-call overrides for other people")),
        ]

    def __str__(self) -> str:
        return f"{self.team.name} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("oncall:schedule", args=[self.pk])


class RotationQuerySet(models.QuerySet):
    def current(self, at: dt.datetime | None = None) -> RotationQuerySet:
        """Rotations not yet ended at `at` (now by default)."""
        at = at or timezone.now()
        return self.filter(Q(valid_until__isnull=True) | Q(valid_until__gt=at))

    def overlapping(self, start: dt.datetime, end: dt.datetime) -> RotationQuerySet:
        return self.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gt=start),
            Q(valid_from__isnull=True) | Q(valid_from__lt=end),
        )


class Rotation(models.Model):
    """People taking turns, hand-off at a local time, optionally only in some hours."""

    class Kind(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        CUSTOM = "custom", _("Custom length")

    class Restriction(models.TextChoices):
        NONE = engine.Restriction.NONE, _("Around the clock")
        BUSINESS_HOURS = engine.Restriction.BUSINESS_HOURS, _("Working hours of the team")
        OUTSIDE_BUSINESS_HOURS = (
            engine.Restriction.OUTSIDE_BUSINESS_HOURS,
            _("Nights, weekends and holidays"),
        )
        WINDOWS = engine.Restriction.WINDOWS, _("Chosen days and hours")

    schedule = models.ForeignKey(
        Schedule, on_delete=models.CASCADE, related_name="rotations", verbose_name=_("schedule")
    )
    name = models.CharField(_("name"), max_length=100)
    layer = models.PositiveSmallIntegerField(
        _("layer"), default=1, help_text=_("Where layers overlap, the higher layer wins.")
    )
    kind = models.CharField(_("rotation"), max_length=10, choices=Kind.choices, default=Kind.WEEKLY)
    shift_length_hours = models.PositiveIntegerField(
        _("shift length (hours)"),
        default=24,
        help_text=_("Only for a custom length, e.g. 12 for day and night shifts."),
    )
    start_date = models.DateField(_("first hand-off on"))
    handoff_time = models.TimeField(_("hand-off time"), default=dt.time(9, 0))
    # The zone the hand-offs are read in: the schedule's at creation, kept so that moving the
    # schedule to another zone later does not rewrite the shifts before the move.
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    restriction = models.CharField(
        _("on call"), max_length=24, choices=Restriction.choices, default=Restriction.NONE
    )
    windows = models.JSONField(
        _("days and hours"),
        default=list,
        blank=True,
        help_text=_(
            'For chosen days and hours: [{"days": [0, 1, 2, 3, 4], "start": "09:00", '
            '"end": "18:00"}]; Monday is 0; an end before the start runs overnight.'
        ),
    )
    valid_from = models.DateTimeField(_("in force from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("ended at"), null=True, blank=True, db_index=True)
    previous = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successor",
        verbose_name=_("replaces"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RotationQuerySet.as_manager()

    class Meta:
        verbose_name = _("rotation")
        verbose_name_plural = _("rotations")
        ordering = ["-layer", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def length(self) -> dt.timedelta:
        if self.kind == self.Kind.DAILY:
            return dt.timedelta(days=1)
        if self.kind == self.Kind.WEEKLY:
            return dt.timedelta(days=7)
        return dt.timedelta(hours=self.shift_length_hours)

    @property
    def anchor(self) -> dt.datetime:
        return dt.datetime.combine(self.start_date, self.handoff_time)

    def starts_at(self) -> dt.datetime:
        """The first instant the rotation covers."""
        first = engine.to_utc(self.anchor, engine.zone(self.time_zone))
        return max(first, self.valid_from) if self.valid_from else first

    def has_started(self, at: dt.datetime | None = None) -> bool:
        return self.starts_at() < (at or timezone.now())

    def is_current(self, at: dt.datetime | None = None) -> bool:
        return self.valid_until is None or self.valid_until > (at or timezone.now())

    def window_specs(self) -> tuple[engine.Window, ...]:
        return tuple(engine.Window.from_json(w) for w in self.windows or [])

    def describe_windows(self) -> list[str]:
        """The chosen days and hours in words: "Mon–Fri 09:00–18:00"."""
        from django.utils.dates import WEEKDAYS_ABBR

        out = []
        for window in self.window_specs():
            days = sorted(window.days)
            if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
                names = f"{WEEKDAYS_ABBR[days[0]]}–{WEEKDAYS_ABBR[days[-1]]}"
            else:
                names = ", ".join(str(WEEKDAYS_ABBR[d]) for d in days)
            out.append(f"{names} {window.start:%H:%M}–{window.end:%H:%M}")
        return out

    def ordered_members(self) -> list:
        """Members in rotation order; uses the prefetched rows when there are some."""
        return [m.user for m in sorted(self.members.all(), key=lambda m: m.position)]


class RotationMember(models.Model):
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="oncall_rotation_memberships",
        verbose_name=_("person"),
    )
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        verbose_name = _("rotation member")
        verbose_name_plural = _("rotation members")
        ordering = ["rotation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["rotation", "position"], name="oncall_one_member_per_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.position + 1}. {self.user}"


class OverrideQuerySet(models.QuerySet):
    def overlapping(self, start: dt.datetime, end: dt.datetime) -> OverrideQuerySet:
        """Overrides in force at some instant of [start, end)."""
        return self.filter(start__lt=end, end__gt=start).exclude(
            status=Override.Status.CANCELLED, cancelled_at__lte=models.F("start")
        )


class Override(models.Model):
    """`user` is on call instead of whoever the rotations say (or instead of `replaces`).

    A cancelled override keeps the part that already happened: it counts until
    `cancelled_at`, so past shifts and the fairness report stay true.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")

    schedule = models.ForeignKey(
        Schedule, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("schedule")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="oncall_overrides",
        verbose_name=_("on call"),
    )
    replaces = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="oncall_replaced_by",
        verbose_name=_("instead of"),
        help_text=_(
            "Leave empty to take every shift in the period; set it to take only "
            "this person's shifts (a swap)."
        ),
    )
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = FSMField(
        _("status"), default=Status.ACTIVE, choices=Status.choices, protected=True, max_length=10
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    objects = OverrideQuerySet.as_manager()

    class Meta:
        verbose_name = _("override")
        verbose_name_plural = _("overrides")
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["schedule", "end", "start"], name="oncall_override_span")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="oncall_override_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.start:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return self.schedule.get_absolute_url()

    @property
    def effective_end(self) -> dt.datetime:
        if self.status == self.Status.CANCELLED and self.cancelled_at:
            return max(self.start, min(self.end, self.cancelled_at))
        return self.end

    @property
    def is_swap(self) -> bool:
        return self.replaces_id is not None

    @transition(field=status, source=Status.ACTIVE, target=Status.CANCELLED)
    def cancel(self, *, at: dt.datetime) -> None:
        """The cover is no longer needed; the part before `at` stays in the history."""
        self.cancelled_at = at


class PersonalFeed(models.Model):
    """The secret address of one person's on-call calendar."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)
    rotated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("personal on-call calendar")
        verbose_name_plural = _("personal on-call calendars")

    def __str__(self) -> str:
        return str(self.user)
