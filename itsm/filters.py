"""Filters shared by the apps' FilterSets, and the instant conversion they rest on."""

import datetime as dt

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

OUT_OF_CALENDAR = _("Enter a date and time within the calendar.")


def in_utc(value: dt.datetime) -> dt.datetime:
    """An aware instant in UTC, as the database gets it.

    PostgreSQL refuses offsets beyond ±15:59 and Python cannot move year 1 or 9999 across
    every offset; both were server errors. Any offset is converted; an instant that leaves
    the calendar is a ValidationError.
    """
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValidationError(OUT_OF_CALENDAR, code="range") from None


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 instant, handed to the database in UTC (see in_utc)."""

    def to_python(self, value):
        try:
            value = super().to_python(value)
        except OverflowError:  # a naive value at the edge of the calendar, made aware
            raise ValidationError(OUT_OF_CALENDAR, code="range") from None
        return None if value is None else in_utc(value)


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
