from datetime import timedelta

from django import template

from ..registry import clock_label as _clock_label

register = template.Library()


@register.filter
def clock_label(name: str) -> str:
    """The clock's name in the reader's language, as its app registered it."""
    return _clock_label(name)


@register.filter
def duration(value: timedelta | None) -> str:
    """A duration as `static/js/portal.js` ticks it: "-1h 05m", "52h 30m"."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60}h {minutes % 60:02d}m"


@register.filter
def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"
