"""Badges of the integrations pages (Bootstrap colours; no shared CSS needed)."""

from django import template
from django.utils.html import format_html

from ..events import event_label

register = template.Library()

COLOURS = {
    # alert groups and alerts
    "firing": "danger",
    "resolved": "success",
    # intake outcomes
    "created": "danger",
    "updated": "warning",
    "duplicate": "secondary",
    "recovered": "success",
    "acknowledged": "primary",
    "noted": "info",
    "ignored": "light",
    # webhook deliveries and subscriptions
    "pending": "secondary",
    "sending": "primary",
    "retrying": "warning",
    "succeeded": "success",
    "failed": "danger",
    "skipped": "light",
    "active": "success",
    "disabled": "danger",
    "paused": "secondary",
}


@register.simple_tag
def state_badge(value, label=None):
    colour = COLOURS.get(str(value), "secondary")
    text = "text-bg-light border" if colour == "light" else f"text-bg-{colour}"
    return format_html('<span class="badge {}">{}</span>', text, label or value)


@register.simple_tag
def http_badge(code):
    if code is None:
        return format_html('<span class="badge text-bg-danger">{}</span>', "–")
    colour = "success" if 200 <= code < 300 else "warning" if code < 500 else "danger"
    return format_html('<span class="badge text-bg-{}">{}</span>', colour, code)


@register.filter
def event_name(value) -> str:
    return event_label(value)
