"""Administration: policies are edited here; releases and reports are read-only records
(stages move only through the services, reports come from CI/CD)."""

from django.contrib import admin

from .models import (
    Build,
    Deployment,
    DeploymentIncident,
    Release,
    ReleaseItem,
    ReleaseKindPolicy,
    TestRun,
)


@admin.register(ReleaseKindPolicy)
class ReleaseKindPolicyAdmin(admin.ModelAdmin):
    list_display = ("kind", "cadence", "weekday", "day_of_month", "covering_change_classes")

    def has_add_permission(self, request):
        return False  # one row per kind, made by the migration

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReleaseItemInline(admin.TabularInline):
    model = ReleaseItem
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin):
    list_display = ("version", "title", "kind", "stage", "team", "planned_at", "strategy")
    list_filter = ("stage", "kind", "strategy", "team")
    search_fields = ("version", "title")
    date_hierarchy = "planned_at"
    inlines = [ReleaseItemInline]

    def has_delete_permission(self, request, obj=None):
        return False  # releases.services.release_delete holds the rule


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = ("release", "environment", "result", "run_id", "pipeline", "finished_at")
    list_filter = ("environment", "result")
    search_fields = ("release__version", "run_id")
    list_select_related = ("release",)


@admin.register(Build)
class BuildAdmin(ReadOnlyAdmin):
    list_display = ("release", "version", "result", "run_id", "commit", "finished_at")
    list_filter = ("result",)
    search_fields = ("release__version", "run_id", "commit")
    list_select_related = ("release",)


@admin.register(TestRun)
class TestRunAdmin(ReadOnlyAdmin):
    list_display = ("release", "environment", "suite", "result", "tests_failed", "tests_total")
    list_filter = ("environment", "result")
    search_fields = ("release__version", "suite", "run_id")
    list_select_related = ("release",)


@admin.register(DeploymentIncident)
class DeploymentIncidentAdmin(ReadOnlyAdmin):
    list_display = ("deployment", "incident_id", "linked_by", "linked_at")
    list_select_related = ("deployment__release", "linked_by")
