"""Timer handlers of the incidents app: thin, the services hold the logic."""

from itsm.timers.registry import timer_handler

from .services.escalation import ESCALATE_KIND, escalation_fire
from .services.postmortems import REMINDER_KIND, action_item_remind


@timer_handler(ESCALATE_KIND)
def escalate(timer, *, now) -> None:
    escalation_fire(timer, now=now)


@timer_handler(REMINDER_KIND)
def remind_overdue_action_item(timer, *, now) -> None:
    action_item_remind(timer, now=now)
