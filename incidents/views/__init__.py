"""Page views: parse, call one service, render."""

from .incidents import (
    incident_action,
    incident_create,
    incident_detail,
    incident_edit,
    incident_list,
    incident_live,
    queue,
)
from .postmortems import (
    action_item_action,
    action_item_add,
    action_item_list,
    notification_list,
    notifications_read,
    postmortem_action,
    postmortem_detail,
    postmortem_entry_add,
    postmortem_entry_remove,
    postmortem_start,
)

__all__ = [
    "action_item_action",
    "action_item_add",
    "action_item_list",
    "incident_action",
    "incident_create",
    "incident_detail",
    "incident_edit",
    "incident_list",
    "incident_live",
    "notification_list",
    "notifications_read",
    "postmortem_action",
    "postmortem_detail",
    "postmortem_entry_add",
    "postmortem_entry_remove",
    "postmortem_start",
    "queue",
]
