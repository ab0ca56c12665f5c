"""Administration: the defaults per kind and the storage locations are edited here.

Targets, policies, runs and restore tests have their own pages (backups:list) that go
through the services; here they are read-only so nothing bypasses the state machines.
"""

from django.contrib import admin

from .models import (
    BackupPolicy,
    BackupRun,
    BackupTarget,
    KindDefault,
    PolicyDefault,
    RestoreTest,
    StorageLocation,
)


@admin.register(KindDefault)
class KindDefaultAdmin(admin.ModelAdmin):
    list_display = ("kind", "rpo", "rto", "drill_interval")


@admin.register(PolicyDefault)
class PolicyDefaultAdmin(admin.ModelAdmin):
    list_display = ("kind", "name", "method", "interval", "retention_generations", "retention_days")
    list_filter = ("kind", "method")


@admin.register(StorageLocation)
class StorageLocationAdmin(admin.ModelAdmin):
    list_display = ("name", "medium", "off_site", "uri", "is_active")
    list_filter = ("medium", "off_site", "is_active")
    search_fields = ("name", "uri")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BackupTarget)
class BackupTargetAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "service", "owner_team", "rpo", "rto", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug")


@admin.register(BackupPolicy)
class BackupPolicyAdmin(ReadOnlyAdmin):
    list_display = ("target", "name", "method", "interval", "next_run_at", "storage_location")
    list_select_related = ("target", "storage_location")
    list_filter = ("method", "is_active")


@admin.register(BackupRun)
class BackupRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "target", "method", "status", "origin", "external_id", "finished_at")
    list_select_related = ("target",)
    list_filter = ("status", "origin", "method")
    search_fields = ("external_id", "target__name")
    date_hierarchy = "created_at"


@admin.register(RestoreTest)
class RestoreTestAdmin(ReadOnlyAdmin):
    list_display = ("pk", "target", "status", "planned_for", "recovery_time", "recorded_at")
    list_select_related = ("target",)
    list_filter = ("status",)
