"""Release kinds and their cadence: policy as data, edited by administrators."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")
    PATCH = "patch", _("Patch")
    HOTFIX = "hotfix", _("Hotfix")


class Cadence(models.TextChoices):
    QUARTERLY = "quarterly", _("Quarterly")
    MONTHLY = "monthly", _("Monthly")
    WEEKLY = "weekly", _("Weekly")
    ANY_TIME = "any", _("Any time")


# The change classes of the changes app; kept as plain values so this app does not import it.
CHANGE_CLASSES = {
    "standard": _("Standard"),
    "normal": _("Normal"),
    "emergency": _("Emergency"),
    "major": _("Major"),
}

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def _validate_change_classes(value) -> None:
    if not isinstance(value, list) or not value or any(v not in CHANGE_CLASSES for v in value):
        raise ValidationError(
            _("List one or more change classes: %(classes)s."),
            params={"classes": ", ".join(CHANGE_CLASSES)},
        )


class ReleaseKindPolicy(models.Model):
    """How often releases of a kind ship and which class of change must cover them."""

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, unique=True)
    cadence = models.CharField(_("cadence"), max_length=10, choices=Cadence.choices)
    weekday = models.PositiveSmallIntegerField(
        _("release weekday"),
        choices=WEEKDAYS,
        default=2,
        help_text=_("For a weekly cadence: the day of the week releases ship."),
    )
    day_of_month = models.PositiveSmallIntegerField(
        _("release day of the month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("For monthly and quarterly cadences: the day of the month releases ship."),
    )
    covering_change_classes = models.JSONField(
        _("covering change classes"),
        default=list,
        validators=[_validate_change_classes],
        help_text=_("Classes of approved change that may cover a production promotion."),
    )

    class Meta:
        verbose_name = _("release kind policy")
        verbose_name_plural = _("release kind policies")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_cadence_display()})"

    def next_slot(self, after: date) -> date | None:
        """The first release day of this cadence strictly after `after` (None: any time)."""
        if self.cadence == Cadence.WEEKLY:
            days = (self.weekday - after.weekday()) % 7 or 7
            return after + timedelta(days=days)
        if self.cadence in (Cadence.MONTHLY, Cadence.QUARTERLY):
            step = 1 if self.cadence == Cadence.MONTHLY else 3
            year, month = after.year, after.month
            if self.cadence == Cadence.QUARTERLY:
                month = ((month - 1) // 3) * 3 + 1  # first month of this quarter
            candidate = date(year, month, self.day_of_month)
            while candidate <= after:
                month += step
                year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
                candidate = date(year, month, self.day_of_month)
            return candidate
        return None

    def slots_between(self, start: date, end: date) -> list[date]:
        """Release days of this cadence in [start, end]."""
        slots: list[date] = []
        slot = self.next_slot(start - timedelta(days=1))
        while slot is not None and slot <= end:
            slots.append(slot)
            slot = self.next_slot(slot)
        return slots

    def is_on_cadence(self, day: date) -> bool:
        if self.cadence == Cadence.ANY_TIME:
            return True
        return self.next_slot(day - timedelta(days=1)) == day


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
