from django.contrib import admin

from .models import JobRun, MaintenanceJob, MaintenancePlan, MaintenanceRun, PendingUpdate


class JobInline(admin.TabularInline):
    model = MaintenanceJob
    extra = 0
    fields = ("position", "name", "kind", "is_active", "parameters")


@admin.register(MaintenancePlan)
class MaintenancePlanAdmin(admin.ModelAdmin):
    """Read-mostly: edit plans in the portal, where the services re-arm their timers."""

    list_display = ("name", "schedule", "time_zone", "is_active", "next_run_at", "last_run_at")
    list_filter = ("is_active",)
    inlines = [JobInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


class JobRunInline(admin.TabularInline):
    model = JobRun
    extra = 0
    readonly_fields = [f.name for f in JobRun._meta.fields]
    can_delete = False


@admin.register(MaintenanceRun)
class MaintenanceRunAdmin(admin.ModelAdmin):
    list_display = ("plan", "scheduled_for", "trigger", "status", "duration")
    list_filter = ("status", "trigger", "plan")
    date_hierarchy = "scheduled_for"
    readonly_fields = [f.name for f in MaintenanceRun._meta.fields]
    inlines = [JobRunInline]

    def has_add_permission(self, request):
        return False


@admin.register(PendingUpdate)
class PendingUpdateAdmin(admin.ModelAdmin):
    list_display = ("component", "version", "kind", "severity", "status", "window_start")
    list_filter = ("status", "kind", "severity")
    search_fields = ("component", "version", "advisory")
    readonly_fields = [f.name for f in PendingUpdate._meta.fields]

    def has_add_permission(self, request):
        return False
