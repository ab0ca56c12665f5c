"""Readable, translated names of the audit actions the incidents app records."""

from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    "detected": _("Detected"),
    "impact started": _("Impact started"),
    "reported": _("Reported"),
    "triaged": _("Triaged"),
    "acknowledged": _("Acknowledged"),
    "investigating": _("Investigating"),
    "waiting on reporter": _("Waiting on the reporter"),
    "resumed": _("Resumed"),
    "recovered": _("Recovered"),
    "verified": _("Verified"),
    "closed": _("Closed"),
    "reopened": _("Reopened"),
    "merged": _("Merged as a duplicate"),
    "duplicate merged": _("Duplicate merged in"),
    "priority overridden": _("Priority overridden"),
    "escalated": _("Escalated"),
    "de-escalated": _("De-escalated"),
    "declared major": _("Declared a major incident"),
    "assigned": _("Assigned"),
    "edited": _("Edited"),
    "postmortem requested": _("Postmortem requested"),
    "postmortem started": _("Postmortem started"),
    "postmortem published": _("Postmortem published"),
    "parent set": _("Linked to a parent"),
    "parent removed": _("Parent link removed"),
    "child linked": _("Child incident linked"),
    "change linked": _("Linked to the change that caused it"),
    "change unlinked": _("Change link removed"),
    "sla warning": _("SLA warning"),
    "sla breached": _("SLA breached"),
    "deleted": _("Deleted"),
    "submitted": _("Sent for review"),
    "changes requested": _("Changes requested"),
    "published": _("Published"),
    "timeline entry added": _("Timeline entry added"),
    "timeline entry removed": _("Timeline entry removed"),
    "action item added": _("Action item added"),
    "action item changed": _("Action item changed"),
    "action item done": _("Action item done"),
    "action item cancelled": _("Action item cancelled"),
    "action item overdue": _("Action item overdue"),
}


def event_label(action: str) -> str:
    return str(EVENT_LABELS.get(action, action))
