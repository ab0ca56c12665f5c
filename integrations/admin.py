"""Admin views for support: read what arrived and what went out. Changes go through the
portal's pages and API (the services), so the admin is read-only for the logs."""

from django.contrib import admin

from .models import (
    Alert,
    AlertGroup,
    Delivery,
    EmailNotification,
    Integration,
    MappingRule,
    NotificationPreference,
    SeverityMapping,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SeverityInline(admin.TabularInline):
    model = SeverityMapping
    extra = 0


class RuleInline(admin.TabularInline):
    model = MappingRule
    extra = 0


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "is_active",
        "default_service",
        "default_team",
        "resolve_policy",
        "token_hint",
        "created_at",
    ]
    list_filter = ["is_active", "resolve_policy"]
    search_fields = ["name"]
    readonly_fields = ["token_hint", "token_rotated_at", "previous_token_expires_at"]
    inlines = [SeverityInline, RuleInline]

    def has_add_permission(self, request):
        return False  # created on the portal page, which shows the token once


@admin.register(AlertGroup)
class AlertGroupAdmin(ReadOnlyAdmin):
    list_display = ["title", "integration", "status", "incident", "alert_count", "last_seen_at"]
    list_filter = ["status", "integration"]
    search_fields = ["title", "key"]
    raw_id_fields = ["incident"]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["fingerprint", "group", "status", "starts_at", "ends_at"]
    list_filter = ["status"]
    raw_id_fields = ["group", "incident"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "integration", "kind", "outcome", "incident", "alerts_total"]
    list_filter = ["outcome", "kind", "integration"]
    raw_id_fields = ["group", "incident"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "is_active", "owner", "consecutive_failures"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    readonly_fields = ["consecutive_failures", "disabled_at", "disabled_reason"]

    def has_add_permission(self, request):
        return False  # created on the portal page, which shows the secret once


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "subscription",
        "event_type",
        "state",
        "attempts",
        "last_status_code",
    ]
    list_filter = ["state", "event_type"]
    raw_id_fields = ["audit_event"]


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnlyAdmin):
    list_display = ["delivery", "number", "at", "status_code", "error"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "language", "scope", "updated_at"]


@admin.register(EmailNotification)
class EmailNotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "event_type", "language", "sent_at", "error"]
    list_filter = ["event_type", "language"]
    raw_id_fields = ["audit_event"]
