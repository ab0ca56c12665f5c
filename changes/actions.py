"""The transitions people take, as the page and the API name and describe them."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import Change


@dataclass(frozen=True)
class Action:
    name: str  # the model transition and the API verb (with "-" for "_")
    label: str
    style: str = "primary"
    needs_input: bool = False
    confirm: str = ""

    @property
    def api_verb(self) -> str:
        return self.name.replace("_", "-")


ACTIONS = {
    a.name: a
    for a in [
        Action("submit", _("Submit")),
        Action("assess", _("Confirm assessment"), needs_input=True),
        Action("request_approval", _("Request approval")),
        Action("approve", _("Approve"), "success", needs_input=True),
        Action("reject", _("Reject"), "danger", needs_input=True),
        Action("vote", _("Vote"), "success", needs_input=True),
        Action("schedule", _("Schedule"), needs_input=True),
        Action("reschedule", _("Reschedule"), "outline-primary", needs_input=True),
        Action("start", _("Start implementation"), confirm=_("Start implementing now?")),
        Action("finish", _("Implementation done"), needs_input=True),
        Action("verify", _("Verification passed"), "success", needs_input=True),
        Action("fail", _("Verification failed"), "danger", needs_input=True),
        Action("roll_back", _("Rolled back"), "warning", needs_input=True),
        Action("start_review", _("Start review"), needs_input=True),
        Action("close", _("Close"), "secondary", needs_input=True),
        Action("cancel", _("Cancel change"), "outline-danger", needs_input=True),
    ]
}

EVENT_LABELS = {
    "create": _("created the change"),
    "update": _("edited the change"),
    "delete": _("deleted the change"),
    "submit": _("submitted"),
    "approve_from_template": _("approved automatically from the standard template"),
    "assess": _("confirmed the assessment"),
    "request_approval": _("requested approval"),
    "approve": _("approved"),
    "reject": _("rejected"),
    "vote": _("voted"),
    "cancel": _("cancelled"),
    "schedule": _("scheduled"),
    "reschedule": _("rescheduled"),
    "conflict_detected": _("conflict detected"),
    "check": _("ticked a check"),
    "confirm_backup": _("confirmed the backup"),
    "start": _("started implementation"),
    "finish": _("finished implementation"),
    "verify": _("verified"),
    "fail": _("recorded a failed verification"),
    "roll_back": _("rolled back"),
    "start_review": _("started the review"),
    "close": _("closed"),
    "approval_reminder": _("reminded the approvers"),
    "review_overdue": _("review overdue"),
}


def _transitions(change: Change):
    for transition in change.get_available_status_transitions():
        if transition.name in ACTIONS and not transition.custom.get("internal"):
            yield transition


def available_actions(change: Change, user) -> list[Action]:
    """Exactly the transitions `user` may take on `change` now (state, conditions, role), in
    workflow order."""
    allowed = {t.name for t in _transitions(change) if t.has_perm(change, user)}
    return [action for name, action in ACTIONS.items() if name in allowed]


def blocked_actions(change: Change, user) -> list[tuple[Action, str]]:
    """Transitions this user could take but for an unmet condition, with what is missing."""
    blocked = []
    for name in ACTIONS:
        meta = getattr(change, name)._django_fsm
        transition = meta.get_transition(change.status)
        if transition is None or not transition.has_perm(change, user):
            continue
        unmet = [c for c in transition.conditions if not c(change)]
        if unmet:
            blocked.append((ACTIONS[name], str(getattr(unmet[0], "message", ""))))
    return blocked
