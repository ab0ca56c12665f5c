"""Models of the incidents app, split by concern."""

from .incident import (
    ACTIVE,
    FINISHED,
    IN_PROGRESS,
    OPEN,
    UNACKNOWLEDGED,
    EscalationStep,
    Incident,
    Status,
)
from .notification import Notification
from .policy import (
    BusinessImpact,
    EscalationLevel,
    EscalationPolicy,
    Impact,
    Priority,
    PriorityMatrixCell,
    PriorityPolicy,
    Scope,
    TargetUnit,
    Urgency,
    impact_of,
    working_day_length,
)
from .postmortem import ActionItem, Postmortem, TimelineEntry

__all__ = [
    "ACTIVE",
    "FINISHED",
    "IN_PROGRESS",
    "OPEN",
    "UNACKNOWLEDGED",
    "ActionItem",
    "BusinessImpact",
    "EscalationLevel",
    "EscalationPolicy",
    "EscalationStep",
    "Impact",
    "Incident",
    "Notification",
    "Postmortem",
    "Priority",
    "PriorityMatrixCell",
    "PriorityPolicy",
    "Scope",
    "Status",
    "TargetUnit",
    "TimelineEntry",
    "Urgency",
    "impact_of",
    "working_day_length",
]
