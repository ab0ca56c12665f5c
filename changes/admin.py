"""Admin for policies and calendar data. Changes themselves are read-only here: every write
to a change goes through the services, so the admin must not bypass them."""

from django.contrib import admin

from .models import (
    Approval,
    CabMeeting,
    Change,
    ChangeClassPolicy,
    FreezePeriod,
    MaintenanceWindow,
    StandardTemplate,
)
from .services.calendar import policy_update


@admin.register(ChangeClassPolicy)
class ChangeClassPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "change_class", "approver_role", "required_approvals", "cab_vote", "quorum",
        "majority_percent", "lead_time_business_days", "freeze_exempt", "review_required",
    )  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Through the service, so the edit is permission-checked and audited."""
        policy_update(
            policy_id=obj.pk,
            actor=request.user,
            source="web",
            **{name: form.cleaned_data[name] for name in form.changed_data},
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ApprovalInline(admin.TabularInline):
    model = Approval
    extra = 0
    can_delete = False
    readonly_fields = ["approver", "decision", "comment", "at", "meeting", "source"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Change)
class ChangeAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "change_class", "status", "risk_level", "planned_start")
    list_filter = ("change_class", "status", "risk_level")
    search_fields = ("title",)
    inlines = [ApprovalInline]


@admin.register(StandardTemplate)
class StandardTemplateAdmin(ReadOnlyAdmin):
    list_display = ("name", "version", "status", "proposed_by", "decided_by")
    list_filter = ("status",)


@admin.register(FreezePeriod)
class FreezePeriodAdmin(ReadOnlyAdmin):
    """Edited on the change calendar page, where the service audits each edit."""

    list_display = ("name", "start", "end")
    date_hierarchy = "start"


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(ReadOnlyAdmin):
    list_display = ("name", "start", "end", "recurrence", "recur_until")


@admin.register(CabMeeting)
class CabMeetingAdmin(ReadOnlyAdmin):
    list_display = ("title", "starts_at", "status", "chair")
