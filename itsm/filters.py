"""Filters shared by the apps' FilterSets."""

import datetime as dt

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 instant, handed to the database in UTC.

    PostgreSQL refuses offsets beyond ±15:59 and Python cannot move year 1 or 9999 across
    every offset; both were server errors. Any offset is accepted and converted; an instant
    outside the calendar is a form error.
    """

    default_error_messages = {"range": _("Enter a date and time within the calendar.")}

    def to_python(self, value):
        try:
            value = super().to_python(value)
            return None if value is None else value.astimezone(dt.UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["range"], code="range") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
