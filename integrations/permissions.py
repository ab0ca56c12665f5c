"""Permission names of the integrations app and which role holds which (granted in apps.py).

Intake integrations hold secrets that open incidents, and webhooks send portal data out: both
are managed by administrators and ops managers. Responders may look at integrations and the
raw payloads they received, to see why an alert did (not) open an incident. Notification
preferences are every user's own and need no permission.
"""

from itsm import roles

VIEW_INTEGRATION = "integrations.view_integration"
MANAGE_INTEGRATION = "integrations.change_integration"
ADD_INTEGRATION = "integrations.add_integration"
DELETE_INTEGRATION = "integrations.delete_integration"
VIEW_WEBHOOK = "integrations.view_webhooksubscription"
MANAGE_WEBHOOK = "integrations.change_webhooksubscription"
ADD_WEBHOOK = "integrations.add_webhooksubscription"
DELETE_WEBHOOK = "integrations.delete_webhooksubscription"

_MANAGE_ALL = [
    VIEW_INTEGRATION,
    MANAGE_INTEGRATION,
    ADD_INTEGRATION,
    DELETE_INTEGRATION,
    VIEW_WEBHOOK,
    MANAGE_WEBHOOK,
    ADD_WEBHOOK,
    DELETE_WEBHOOK,
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    roles.ADMINISTRATOR: _MANAGE_ALL,
    roles.OPS_MANAGER: _MANAGE_ALL,
    roles.OPS_LEADER: [VIEW_INTEGRATION, VIEW_WEBHOOK],
    roles.ONCALL: [VIEW_INTEGRATION],
    roles.MANAGER: [VIEW_INTEGRATION, VIEW_WEBHOOK],
}
