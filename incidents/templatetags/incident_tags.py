"""Badges and durations for incident pages."""

from datetime import timedelta

from django import template
from django.utils.html import format_html

from itsm.choices import choice_label

register = template.Library()

STATUS_CLASSES = {
    "detected": "text-bg-danger",
    "triaged": "text-bg-warning",
    "acknowledged": "text-bg-primary",
    "investigating": "text-bg-primary",
    "waiting": "text-bg-secondary",
    "recovered": "text-bg-info",
    "verified": "text-bg-success",
    "closed": "text-bg-light border",
    "merged": "text-bg-light border",
    "draft": "text-bg-secondary",
    "in_review": "text-bg-warning",
    "published": "text-bg-success",
    "open": "text-bg-primary",
    "done": "text-bg-success",
    "cancelled": "text-bg-light border",
}


@register.simple_tag
def status_badge(obj):
    """A coloured badge with the translated label of obj.status."""
    return format_html(
        '<span class="badge {} status-{}">{}</span>',
        STATUS_CLASSES.get(obj.status, "text-bg-secondary"),
        obj.status,
        choice_label(obj, "status"),
    )


@register.simple_tag
def priority_badge(incident):
    return format_html(
        '<span class="badge prio-{}" title="{}">{}</span>',
        incident.priority,
        choice_label(incident, "priority"),
        incident.priority,
    )


@register.filter
def event_label(action: str) -> str:
    from ..events import event_label as label

    return label(action)


@register.filter
def state_label(code: str) -> str:
    """An incident state's translated label for a state code an audit event recorded."""
    from ..models import Status

    return str(dict(Status.choices).get(code, code))


@register.filter
def hm(value: timedelta | None) -> str:
    """A duration as hours and minutes: "-1h 05m", "52h 30m" (what portal.js ticks)."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60}h {minutes % 60:02d}m"
