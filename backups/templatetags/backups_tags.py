"""Badges and durations for the backups pages."""

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

register = template.Library()

CLASSES = {
    "run": {
        "scheduled": "text-bg-secondary", "running": "text-bg-primary", "succeeded": "text-bg-info",
        "verified": "text-bg-success", "failed": "text-bg-danger",
        "verification_failed": "text-bg-danger", "expired": "text-bg-light border",
        "purged": "text-bg-light border text-muted",
    },
    "compliance": {
        "met": "text-bg-success", "at_risk": "text-bg-warning", "breached": "text-bg-danger",
        "none": "text-bg-light border",
    },
    "drill": {
        "planned": "text-bg-primary", "passed": "text-bg-success", "failed": "text-bg-danger",
        "cancelled": "text-bg-secondary",
    },
    "severity": {"critical": "text-bg-danger", "warning": "text-bg-warning"},
}  # fmt: skip


@register.filter
def badge(value, kind: str) -> str:
    """CSS classes of the badge for a state of `kind` (run, compliance, drill, severity)."""
    return CLASSES.get(kind, {}).get(str(value), "text-bg-secondary")


@register.filter
def span(value) -> str:
    """A duration in at most two units: 30 d, 6 h, 1 h 30 min, 45 s."""
    if value in (None, ""):
        return "–"
    if not isinstance(value, timedelta):
        return str(value)
    seconds = int(abs(value.total_seconds()))
    sign = "-" if value.total_seconds() < 0 else ""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        (days, _("%(n)s d")),
        (hours, _("%(n)s h")),
        (minutes, _("%(n)s min")),
        (secs, _("%(n)s s")),
    ]
    # The largest unit and the one below it: "1 d 6 h", "3 h", never "3 h 1 s".
    first = next((i for i, (n, _label) in enumerate(parts) if n), len(parts) - 1)
    shown = [label % {"n": n} for n, label in parts[first : first + 2] if n]
    return sign + (" ".join(shown) if shown else _("%(n)s s") % {"n": 0})


@register.filter
def since(value, now) -> timedelta | None:
    if value is None or now is None:
        return None
    return now - value


@register.filter
def yesno_icon(value) -> str:
    if value is None:
        return "bi-dash text-muted"
    return "bi-check-circle-fill text-success" if value else "bi-x-circle-fill text-danger"


@register.filter
def at_least(value, minimum) -> str:
    try:
        return yesno_icon(int(value) >= int(minimum))
    except (TypeError, ValueError):
        return yesno_icon(None)


@register.filter
def label(value, kind: str) -> str:
    """The translated label of a run or restore-test status given as its raw value."""
    from ..models import BackupRun, RestoreTest

    choices = {"run": BackupRun.Status, "drill": RestoreTest.Status}.get(kind)
    try:
        return str(choices(value).label) if choices else str(value)
    except ValueError:
        return str(value)
