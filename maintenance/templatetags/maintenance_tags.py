from datetime import timedelta

from django import template

register = template.Library()

BADGES = {
    "queued": "text-bg-secondary",
    "pending": "text-bg-light border",
    "running": "text-bg-primary",
    "succeeded": "text-bg-success",
    "warning": "text-bg-warning",
    "failed": "text-bg-danger",
    "registered": "text-bg-info",
    "analysed": "text-bg-primary",
    "scheduled": "text-bg-success",
    "applied": "text-bg-secondary",
    "dismissed": "text-bg-light border",
    "security": "text-bg-danger",
    "major": "text-bg-dark",
    "emergency": "text-bg-danger",
    "normal": "text-bg-primary",
    "standard": "text-bg-secondary",
}


@register.filter
def badge(value) -> str:
    """Bootstrap badge classes for a run, job or update state (or an update type)."""
    return BADGES.get(str(value), "text-bg-secondary")


@register.filter
def seconds(value) -> str:
    """A duration as 1h 02m 03s / 2m 05s / 0.4s."""
    if not isinstance(value, timedelta):
        return "–"
    total = value.total_seconds()
    if total < 60:
        return f"{total:.1f}s"
    hours, rest = divmod(int(total), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


@register.filter
def run_status_label(value) -> str:
    from ..models import RunStatus

    try:
        return RunStatus(value).label
    except ValueError:
        return str(value)
