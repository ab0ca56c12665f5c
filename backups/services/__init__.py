"""The only writers of the backups app (see HOUSE_STYLE.md: one door for every write)."""

from .compliance import refresh_rpo, rpo_check
from .drills import drill_assign, drill_cancel, drill_plan, drill_record, ensure_drill_planned
from .runs import (
    run_create,
    run_expire,
    run_fail,
    run_fail_verification,
    run_finish,
    run_purge,
    run_report,
    run_start,
    run_verify,
)
from .schedule import enforce_retention, schedule_due_runs, tick
from .targets import location_save, policy_create, policy_update, target_create, target_update

__all__ = [
    "drill_assign", "drill_cancel", "drill_plan", "drill_record", "enforce_retention",
    "ensure_drill_planned", "location_save", "policy_create", "policy_update", "refresh_rpo",
    "rpo_check",
    "run_create", "run_expire", "run_fail", "run_fail_verification", "run_finish", "run_purge",
    "run_report", "run_start", "run_verify", "schedule_due_runs", "target_create",
    "target_update", "tick",
]  # fmt: skip
