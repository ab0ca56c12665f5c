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
def stage_label(value: str) -> str:
    from ..models import Stage

    return str(Stage(value).label) if value in Stage.values else value


@register.filter
def environment_label(value: str) -> str:
    from ..models import Environment

    return str(Environment(value).label) if value in Environment.values else value


@register.filter
def result_label(value: str) -> str:
    from ..models import Deployment, TestRun

    labels = {**dict(Deployment.Result.choices), **dict(TestRun.Result.choices)}
    return str(labels.get(value, value))


@register.filter
def event_label(action: str) -> str:
    """Readable names for the release events of the timeline."""
    labels = {
        "created": _("Created"),
        "edited": _("Edited"),
        "start_testing": _("Testing started"),
        "fail_test": _("Tests failed"),
        "promote_to_staging": _("Promoted to staging"),
        "fail_staging": _("Staging failed"),
        "start_canary": _("Canary started"),
        "promote_to_production": _("Promoted to production"),
        "rollback": _("Rolled back"),
        "complete": _("Done"),
        "cancel": _("Cancelled"),
        "deployment reported": _("Deployment reported"),
        "build reported": _("Build reported"),
        "test result reported": _("Test result reported"),
        "incident linked": _("Incident linked"),
        "incident unlinked": _("Incident unlinked"),
        "canary window elapsed": _("Canary observation time elapsed"),
    }
    return str(labels.get(action, action))
