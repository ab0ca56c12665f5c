"""Badges and durations for incident pages."""

from datetime import timedelta
from functools import lru_cache

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language

from itsm.choices import value_label

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


# A badge depends only on the model, the value and the language, a handful of combinations:
# list pages show one or two per row (the triage queue 200 rows), where formatting, escaping
# and translating each one again was a tenth of the page's rendering time. Built once each.
@lru_cache(maxsize=512)
def _status_badge(model: type, status: str, language: str | None) -> str:
    return format_html(
        '<span class="badge {} status-{}">{}</span>',
        STATUS_CLASSES.get(status, "text-bg-secondary"),
        status,
        value_label(model, "status", status),
    )


@lru_cache(maxsize=512)
def _priority_badge(model: type, priority: str, language: str | None) -> str:
    return format_html(
        '<span class="badge prio-{}" title="{}">{}</span>',
        priority,
        value_label(model, "priority", priority),
        priority,
    )


@register.simple_tag
def status_badge(obj):
    """A coloured badge with the translated label of obj.status."""
    return _status_badge(type(obj), obj.status, get_language())


@register.simple_tag
def priority_badge(incident):
    return _priority_badge(type(incident), incident.priority, get_language())


# The triage queue shows two times per row (200 rows). Django's `date` filter looks the format
# up in the language's format modules and interprets it letter by letter on each call, a sixth
# of the page's CPU; these give the same text (aware datetimes, in the current time zone).
@register.filter
def month_day_time(value) -> str:
    """What `|date:"m-d H:i"` shows, e.g. "03-14 09:05"."""
    return timezone.localtime(value).strftime("%m-%d %H:%M") if value else ""


@register.filter
def iso_local(value) -> str:
    """What `|date:"c"` shows: ISO 8601 with the offset of the current time zone."""
    return timezone.localtime(value).isoformat() if value else ""


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
