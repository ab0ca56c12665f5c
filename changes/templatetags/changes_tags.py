"""Badges and query-string helpers for the change pages."""

from django import template
from django.utils.html import format_html

from itsm.choices import choice_label

register = template.Library()

CLASS_STYLE = {
    "standard": "text-bg-success",
    "normal": "text-bg-primary",
    "emergency": "text-bg-danger",
    "major": "text-bg-warning",
}
RISK_STYLE = {"low": "text-bg-success", "medium": "text-bg-warning", "high": "text-bg-danger"}
STATE_STYLE = {
    "draft": "text-bg-light border",
    "submitted": "text-bg-info",
    "assessed": "text-bg-info",
    "awaiting_approval": "text-bg-warning",
    "approved": "text-bg-primary",
    "rejected": "text-bg-danger",
    "scheduled": "text-bg-primary",
    "implementing": "text-bg-dark",
    "verifying": "text-bg-dark",
    "completed": "text-bg-success",
    "failed": "text-bg-danger",
    "rolled_back": "text-bg-danger",
    "review": "text-bg-warning",
    "closed": "text-bg-secondary",
    "cancelled": "text-bg-light border text-decoration-line-through",
    # templates and meetings
    "proposed": "text-bg-info",
    "retired": "text-bg-secondary",
    "planned": "text-bg-info",
    "held": "text-bg-secondary",
}


@register.simple_tag
def class_badge(change):
    return format_html(
        '<span class="badge {}">{}</span>',
        CLASS_STYLE.get(change.change_class, "text-bg-secondary"),
        choice_label(change, "change_class"),
    )


@register.simple_tag
def state_badge(obj):
    return format_html(
        '<span class="badge state-{} {}">{}</span>',
        obj.status,
        STATE_STYLE.get(obj.status, "text-bg-secondary"),
        choice_label(obj, "status"),
    )


@register.simple_tag
def risk_badge(change):
    return format_html(
        '<span class="badge {}" title="{}">{}</span>',
        RISK_STYLE.get(change.risk_level, "text-bg-secondary"),
        change.risk_score,
        choice_label(change, "risk_level"),
    )


@register.simple_tag(takes_context=True)
def query(context, **params):
    """The current query string with `params` replaced (None removes); page resets."""
    request = context["request"]
    values = request.GET.copy()
    if "page" not in params:
        values.pop("page", None)
    for key, value in params.items():
        if value is None or value == "":
            values.pop(key, None)
        else:
            values[key] = value
    encoded = values.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def sort_link(context, field, label):
    """A column header that sorts by `field`, then the other way round."""
    current = context["request"].GET.get("ordering", "")
    descending = current == field
    target = f"-{field}" if descending else field
    arrow = ""
    if current == field:
        arrow = " ▲"
    elif current == f"-{field}":
        arrow = " ▼"
    return format_html(
        '<a class="text-reset text-decoration-none" href="{}">{}{}</a>',
        query(context, ordering=target),
        label,
        arrow,
    )


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
