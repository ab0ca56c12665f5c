"""Maintenance windows and freeze periods on the change calendar.

Deliberately simple (name, start, end, services with empty meaning all, optional recurrence):
scheduled maintenance reuses them.
"""

from __future__ import annotations

import calendar as pycalendar
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.models import Service

MAX_OCCURRENCES = 400


class CalendarEntry(models.Model):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    start = models.DateTimeField(_("start"), db_index=True)
    end = models.DateTimeField(_("end"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["start"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": _("The end must be after the start.")})

    def covers_services(self, service_ids: set[int]) -> bool:
        """Empty services mean every service."""
        mine = {s.pk for s in self.services.all()}
        return not mine or bool(mine & set(service_ids))


def _add_months(value: datetime, months: int) -> datetime | None:
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    if value.day > pycalendar.monthrange(year, month)[1]:
        return None  # no 31st in this month: that occurrence is skipped
    return value.replace(year=year, month=month)


class MaintenanceWindow(CalendarEntry):
    """A period in which planned work is expected (e.g. Sunday early morning)."""

    class Recurrence(models.TextChoices):
        NONE = "", _("Once")
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    services = models.ManyToManyField(
        Service,
        related_name="maintenance_windows",
        blank=True,
        verbose_name=_("services"),
        help_text=_("Leave empty for every service."),
    )
    recurrence = models.CharField(
        _("repeats"), max_length=8, choices=Recurrence.choices, blank=True, default=""
    )
    recur_until = models.DateTimeField(_("repeats until"), null=True, blank=True)

    class Meta(CalendarEntry.Meta):
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")

    def occurrences(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The (start, end) pairs of this window that overlap [start, end)."""
        length = self.end - self.start
        found: list[tuple[datetime, datetime]] = []
        first = 0  # skip straight to the first repetition that can reach `start`
        period = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}.get(self.recurrence)
        if period is not None and start - length > self.start:
            first = (start - length - self.start) // period
        elif self.recurrence == self.Recurrence.MONTHLY and start > self.start:
            first = max(0, (start.year - self.start.year) * 12 + start.month - self.start.month - 1)
        for n in range(first, first + (MAX_OCCURRENCES if self.recurrence else 1)):
            if self.recurrence == self.Recurrence.DAILY:
                begin = self.start + timedelta(days=n)
            elif self.recurrence == self.Recurrence.WEEKLY:
                begin = self.start + timedelta(weeks=n)
            elif self.recurrence == self.Recurrence.MONTHLY:
                begin = _add_months(self.start, n)
                if begin is None:
                    continue
            else:
                begin = self.start
            if begin >= end or (self.recur_until and begin > self.recur_until):
                break
            if begin + length > start:
                found.append((begin, begin + length))
        return found


class FreezePeriod(CalendarEntry):
    """A blackout: no change may be scheduled into it, except emergency changes."""

    services = models.ManyToManyField(
        Service,
        related_name="freeze_periods",
        blank=True,
        verbose_name=_("services"),
        help_text=_("Leave empty to freeze every service."),
    )

    class Meta(CalendarEntry.Meta):
        verbose_name = _("freeze period")
        verbose_name_plural = _("freeze periods")
