"""The only writers of the changes app. Every function is keyword-only and atomic, takes
the actor and the source (web, api, timer) and records what it did."""

from .approvals import change_approve, change_reject, change_vote
from .cab import cab_meeting_close, cab_meeting_create, cab_meeting_refresh_agenda
from .calendar import calendar_entry_delete, calendar_entry_save, policy_update
from .implementation import (
    change_check_item,
    change_close,
    change_comment,
    change_confirm_backup,
    change_fail,
    change_finish,
    change_log_work,
    change_reschedule,
    change_roll_back,
    change_schedule,
    change_start,
    change_start_review,
    change_verify,
)
from .lifecycle import (
    change_assess,
    change_cancel,
    change_create,
    change_create_from_template,
    change_delete,
    change_request_approval,
    change_submit,
    change_update,
)
from .templates import (
    template_approve,
    template_check_editable,
    template_new_version,
    template_propose,
    template_reject,
    template_retire,
    template_update,
)
from .timers import change_mark_review_overdue, change_remind_approvers

__all__ = [
    "cab_meeting_close", "cab_meeting_create", "cab_meeting_refresh_agenda",
    "calendar_entry_delete", "calendar_entry_save", "change_approve", "change_assess",
    "change_cancel", "change_check_item", "change_close", "change_comment",
    "change_confirm_backup", "change_create", "change_create_from_template", "change_delete",
    "change_fail", "change_finish", "change_log_work", "change_mark_review_overdue",
    "change_reject", "change_remind_approvers", "change_request_approval",
    "change_reschedule", "change_roll_back", "change_schedule", "change_start",
    "change_start_review", "change_submit", "change_update", "change_verify", "change_vote",
    "policy_update", "template_approve", "template_check_editable",
    "template_new_version", "template_propose",
    "template_reject", "template_retire", "template_update",
]  # fmt: skip
