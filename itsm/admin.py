from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import (
    AuditEvent,
    BusinessCalendar,
    ClosedDay,
    Heartbeat,
    Membership,
    Service,
    Team,
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Preferences"), {"fields": ("time_zone", "language")}),
    )
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "time_zone")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "calendar")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]
    search_fields = ["name"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "owner_team", "criticality", "hours", "is_active")
    list_filter = ("criticality", "hours", "owner_team")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ["depends_on"]
    search_fields = ["name"]


class ClosedDayInline(admin.TabularInline):
    model = ClosedDay
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "time_zone", "work_start", "work_end")
    inlines = [ClosedDayInline]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only."""

    list_display = (
        "at",
        "actor",
        "source",
        "content_type",
        "object_id",
        "action",
        "from_state",
        "to_state",
    )
    list_filter = ("source", "content_type")
    search_fields = ["object_id", "action", "message"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "at")
