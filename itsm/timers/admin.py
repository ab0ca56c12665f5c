from django.contrib import admin

from .models import Clock, SweepStat, Timer


@admin.register(Timer)
class TimerAdmin(admin.ModelAdmin):
    list_display = (
        "kind",
        "key",
        "content_type",
        "object_id",
        "due_at",
        "state",
        "fired_at",
        "late_by",
    )
    list_filter = ("state", "kind")
    date_hierarchy = "due_at"
    readonly_fields = [f.name for f in Timer._meta.fields]

    def has_add_permission(self, request):
        return False  # timers are armed by services; failed ones are retried on /timers/


@admin.register(SweepStat)
class SweepStatAdmin(admin.ModelAdmin):
    list_display = ("name", "at", "duration_ms", "fired", "failed", "max_lateness_s")


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    """Read-only: clocks change through itsm.timers.clocks only, so signals and timers agree."""

    list_display = (
        "name",
        "content_type",
        "object_id",
        "mode",
        "target",
        "started_at",
        "deadline_at",
        "paused_at",
        "stopped_at",
        "warned_at",
        "breached_at",
    )
    list_filter = ("name", "mode", ("breached_at", admin.EmptyFieldListFilter))
    search_fields = ("object_id",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
