"""Timer handlers of scheduled maintenance (run inside the sweep's transaction)."""

from itsm.timers.registry import timer_handler

from .services import plan_fire, run_abandon
from .services._base import PLAN_TIMER, RUN_DEADLINE_TIMER


@timer_handler(PLAN_TIMER)
def run_plan(timer, *, now):
    """A plan is due: record the run, re-arm the next occurrence, queue the jobs on commit."""
    plan_fire(plan_id=int(timer.object_id), due_at=timer.due_at, now=now)


@timer_handler(RUN_DEADLINE_TIMER)
def run_deadline(timer, *, now):
    """A run outlived its plan's longest expected duration: mark it failed, notify."""
    run_abandon(timer, now=now)
