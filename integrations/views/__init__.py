"""Pages of the integrations app."""

from .integrations import (
    delivery_detail,
    delivery_list,
    integration_create,
    integration_delete,
    integration_detail,
    integration_edit,
    integration_list,
    integration_rotate,
    rule_add,
    rule_delete,
    severity_delete,
    severity_set,
)
from .preferences import preferences
from .webhooks import (
    webhook_action,
    webhook_create,
    webhook_delivery,
    webhook_detail,
    webhook_edit,
    webhook_list,
    webhook_redeliver,
)

__all__ = [
    "delivery_detail",
    "delivery_list",
    "integration_create",
    "integration_delete",
    "integration_detail",
    "integration_edit",
    "integration_list",
    "integration_rotate",
    "preferences",
    "rule_add",
    "rule_delete",
    "severity_delete",
    "severity_set",
    "webhook_action",
    "webhook_create",
    "webhook_delivery",
    "webhook_detail",
    "webhook_edit",
    "webhook_list",
    "webhook_redeliver",
]
