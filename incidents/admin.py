"""Administrators edit the incident policies here: matrix, SLA targets, escalation."""

from django.contrib import admin

from .models import (
    ActionItem,
    EscalationLevel,
    EscalationPolicy,
    EscalationStep,
    Incident,
    Notification,
    Postmortem,
    PriorityMatrixCell,
    PriorityPolicy,
)


@admin.register(PriorityMatrixCell)
class PriorityMatrixCellAdmin(admin.ModelAdmin):
    list_display = ("impact", "urgency", "priority")
    list_editable = ("priority",)
    list_filter = ("impact", "urgency")


@admin.register(PriorityPolicy)
class PriorityPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "priority",
        "response_amount",
        "response_unit",
        "resolution_amount",
        "resolution_unit",
        "warn_fraction",
        "postmortem_required",
    )
    list_editable = (
        "response_amount",
        "response_unit",
        "resolution_amount",
        "resolution_unit",
        "warn_fraction",
        "postmortem_required",
    )


class EscalationLevelInline(admin.TabularInline):
    model = EscalationLevel
    extra = 0
    autocomplete_fields = ["team", "person"]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "is_default")
    filter_horizontal = ["teams"]
    inlines = [EscalationLevelInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Incidents change only through their services (audit, clocks, notifications)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0
    can_delete = False
    readonly_fields = [
        "level",
        "kind",
        "fired_at",
        "due_at",
        "actor",
        "reason",
        "target",
        "notified",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "priority", "status", "team", "assignee", "detected_at")
    list_filter = ("status", "priority", "is_major", "team")
    search_fields = ["title", "description"]
    date_hierarchy = "detected_at"
    inlines = [EscalationStepInline]


@admin.register(Postmortem)
class PostmortemAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "status", "author", "published_at")
    list_filter = ("status",)


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    list_display = ("title", "owner", "team", "due_date", "status", "reminders_sent")
    list_filter = ("status", "team")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "recipient", "subject", "emailed_at", "read_at")
    list_filter = ("kind",)
