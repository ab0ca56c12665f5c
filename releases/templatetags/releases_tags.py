"""Badges and small formatting helpers for release pages."""

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

register = template.Library()

STAGE_CLASSES = {
    "development": "text-bg-secondary",
    "test": "text-bg-info",
    "staging": "text-bg-primary",
    "canary": "text-bg-warning",
    "production": "text-bg-success",
    "done": "text-bg-dark",
    "rolled_back": "text-bg-danger",
    "cancelled": "text-bg-light border",
}
RESULT_CLASSES = {
    "succeeded": "text-bg-success",
    "passed": "text-bg-success",
    "failed": "text-bg-danger",
    "rolled_back": "text-bg-danger",
    "in_progress": "text-bg-info",
}
KIND_CLASSES = {
    "major": "text-bg-dark",
    "minor": "text-bg-primary",
    "patch": "text-bg-secondary",
    "hotfix": "text-bg-danger",
}


@register.filter
def stage_class(stage: str) -> str:
    return STAGE_CLASSES.get(stage, "text-bg-secondary")


@register.filter
def result_class(result: str) -> str:
    return RESULT_CLASSES.get(result, "text-bg-secondary")


@register.filter
def kind_class(kind: str) -> str:
    return KIND_CLASSES.get(kind, "text-bg-secondary")


@register.filter
def duration(value: timedelta | None) -> str:
    """A short, human duration: 45s, 12m 05s, 3h 20m, 2d 4h."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 60:
        return _("%(s)ds") % {"s": seconds}
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return _("%(m)dm %(s)02ds") % {"m": minutes, "s": seconds}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)dh %(m)02dm") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)dd %(h)dh") % {"d": days, "h": hours}


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
