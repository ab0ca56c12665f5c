"""Models of the changes app. `changes.models.Change` is the public entry point."""

from .calendar import FreezePeriod, MaintenanceWindow
from .change import (
    ACTIVE_STATES,
    EARLY_STATES,
    OPEN_STATES,
    Change,
    ChangeQuerySet,
    RiskLevel,
    Status,
    Tally,
    decide,
)
from .policy import ChangeClass, ChangeClassPolicy
from .records import (
    Approval,
    CabMeeting,
    ChangeConflict,
    ChecklistItem,
    Comment,
    Decision,
    WorkLogEntry,
)
from .template import StandardTemplate, TemplateStatus

__all__ = [
    "ACTIVE_STATES",
    "EARLY_STATES",
    "OPEN_STATES",
    "Approval",
    "CabMeeting",
    "Change",
    "ChangeClass",
    "ChangeClassPolicy",
    "ChangeConflict",
    "ChangeQuerySet",
    "ChecklistItem",
    "Comment",
    "Decision",
    "FreezePeriod",
    "MaintenanceWindow",
    "RiskLevel",
    "StandardTemplate",
    "Status",
    "Tally",
    "TemplateStatus",
    "WorkLogEntry",
    "decide",
]
