"""Models of the integrations app, split by concern."""

from .intake import (
    DEFAULT_SEVERITIES,
    NO_INCIDENT,
    Alert,
    AlertGroup,
    AlertStatus,
    Delivery,
    Integration,
    MappingRule,
    SeverityMapping,
    hash_token,
)
from .notifications import EmailNotification, EmailSubscription, NotificationPreference
from .webhooks import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "DEFAULT_SEVERITIES",
    "NO_INCIDENT",
    "Alert",
    "AlertGroup",
    "AlertStatus",
    "Delivery",
    "EmailNotification",
    "EmailSubscription",
    "Integration",
    "MappingRule",
    "NotificationPreference",
    "SeverityMapping",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "hash_token",
]
