"""The only writers of the integrations app. Pages, the API, tasks and timers call these."""

from .intake import IncomingAlert, IncomingBatch, intake_receive
from .integrations import (
    authenticate_token,
    integration_create,
    integration_delete,
    integration_rotate_token,
    integration_update,
    rule_add,
    rule_delete,
    severity_delete,
    severity_set,
)
from .notifications import preferences_for, preferences_update
from .retention import PURGE_KIND, payloads_purge, purge_schedule
from .webhooks import (
    delivery_attempt,
    delivery_redeliver,
    webhook_create,
    webhook_delete,
    webhook_disable,
    webhook_enable,
    webhook_ping,
    webhook_rotate_secret,
    webhook_update,
)

__all__ = [
    "PURGE_KIND",
    "IncomingAlert",
    "IncomingBatch",
    "authenticate_token",
    "delivery_attempt",
    "delivery_redeliver",
    "intake_receive",
    "integration_create",
    "integration_delete",
    "integration_rotate_token",
    "integration_update",
    "payloads_purge",
    "preferences_for",
    "preferences_update",
    "purge_schedule",
    "rule_add",
    "rule_delete",
    "severity_delete",
    "severity_set",
    "webhook_create",
    "webhook_delete",
    "webhook_disable",
    "webhook_enable",
    "webhook_ping",
    "webhook_rotate_secret",
    "webhook_update",
]
