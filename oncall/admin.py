from django.contrib import admin

from .models import Override, PersonalFeed, Rotation, RotationMember, Schedule


class RotationMemberInline(admin.TabularInline):
    model = RotationMember
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "level", "time_zone")
    list_filter = ("team", "level")
    search_fields = ("name", "team__name")


@admin.register(Rotation)
class RotationAdmin(admin.ModelAdmin):
    """Read-mostly: edits belong in the portal, whose services keep past shifts intact."""

    list_display = ("name", "schedule", "layer", "kind", "restriction", "valid_from", "valid_until")
    list_filter = ("kind", "restriction", "schedule__team")
    search_fields = ("name", "schedule__name")
    inlines = [RotationMemberInline]
    readonly_fields = ("previous", "valid_from", "valid_until")


@admin.register(Override)
class OverrideAdmin(admin.ModelAdmin):
    list_display = ("schedule", "user", "replaces", "start", "end", "status", "created_by")
    list_filter = ("status", "schedule__team")
    search_fields = ("user__username", "replaces__username", "reason")
    readonly_fields = ("status", "created_by", "cancelled_at")
    autocomplete_fields = ["user", "replaces"]


@admin.register(PersonalFeed)
class PersonalFeedAdmin(admin.ModelAdmin):
    list_display = ("user", "rotated_at")
    readonly_fields = ("token", "rotated_at")
    search_fields = ("user__username",)
