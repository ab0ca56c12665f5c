"""Formatting of report figures: one place decides how a percentage or a duration reads."""

from django import template

from ..tables import Column, display, format_seconds

register = template.Library()


@register.filter
def cell(value, column: Column) -> str:
    return display(column, value)


@register.filter
def duration(seconds) -> str:
    return format_seconds(seconds)


@register.filter
def pct(value) -> str:
    return display(Column("x", "", "percent"), value)


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None
