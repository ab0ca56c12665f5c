from django.contrib import admin

from .models import SweepStat, Timer


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


@admin.register(SweepStat)
class SweepStatAdmin(admin.ModelAdmin):
    list_display = ("name", "at", "duration_ms", "fired", "failed", "max_lateness_s")
