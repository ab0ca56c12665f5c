"""The verbs a user can take on an incident, shared by the detail page and the queue.

Each verb names its form, the service it calls, and how the page decides whether to show
its button: FSM transitions ask django-fsm (state, conditions, permission); other actions
check a permission and the incident's state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms as django_forms
from django.utils.translation import gettext_lazy as _

from . import forms, services
from . import permissions as perms
from .models import FINISHED, Incident


@dataclass(frozen=True)
class Action:
    verb: str
    label: str
    run: Callable[..., object]
    form: type[django_forms.Form] | None = None
    transition: str | None = None  # FSM transition name
    permission: str | None = None  # for actions outside the state machine
    style: str = "outline-secondary"
    success: str = ""
    icon: str = ""

    def available(self, incident: Incident, user, fsm_names: set[str]) -> bool:
        if self.transition:
            return self.transition in fsm_names
        if incident.status in FINISHED or not user.has_perm(self.permission):
            return False
        extra = EXTRA_CHECKS.get(self.verb)
        return extra(incident) if extra else True


def _call(service, **mapping):
    """Adapt a service to (incident_id, actor, source, data)."""

    def run(incident_id: int, actor, source: str, data: dict):
        kwargs = {name: data.get(key) for name, key in mapping.items()}
        return service(incident_id=incident_id, actor=actor, source=source, **kwargs)

    return run


def _triage(incident_id, actor, source, data):
    return services.incident_triage(
        incident_id=incident_id,
        actor=actor,
        source=source,
        scope=data["scope"],
        business_impact=data["business_impact"],
        urgency=data["urgency"],
        team=data.get("team"),
        assignee=data.get("assignee"),
        affected_services=data.get("affected_services") or None,
        is_major=bool(data.get("is_major")),
    )


def _merge(incident_id, actor, source, data):
    return services.incident_merge(
        incident_id=incident_id,
        into_id=data["into"],
        actor=actor,
        source=source,
        reason=data.get("reason") or "",
    )


def _link_change(incident_id, actor, source, data):
    return services.incident_link_change(
        incident_id=incident_id,
        change_id=data.get("change"),
        actor=actor,
        source=source,
        reason=data.get("reason") or "",
    )


_ALL = [
    Action(
        "acknowledge", _("Acknowledge"), _call(services.incident_acknowledge),
        transition="acknowledge", style="danger", icon="bi-hand-index",
        success=_("Acknowledged: the climb stopped."),
    ),
    Action(
        "triage", _("Triage"), _triage, form=forms.TriageForm, transition="triage",
        style="primary", success=_("Triaged."), icon="bi-sort-down",
    ),
    Action(
        "investigate", _("Start investigating"), _call(services.incident_investigate),
        transition="investigate", style="primary", success=_("Investigating."), icon="bi-search",
    ),
    Action(
        "wait", _("Ask the reporter"), _call(services.incident_wait, question="question"),
        form=forms.WaitForm, transition="wait_for_reporter", icon="bi-chat-left-dots",
        success=_("Waiting on the reporter; the clock is paused."),
    ),
    Action(
        "resume", _("Resume"), _call(services.incident_resume, answer="answer"),
        form=forms.ResumeForm, transition="resume", style="primary", icon="bi-play",
        success=_("Resumed; the clock runs again."),
    ),
    Action(
        "recover", _("Recovered"), _call(services.incident_recover, summary="summary"),
        form=forms.RecoverForm, transition="recover", style="success",
        success=_("Recovered."), icon="bi-check2-circle",
    ),
    Action(
        "verify", _("Verify"), _call(services.incident_verify), transition="verify",
        style="success", success=_("Verified."), icon="bi-patch-check",
    ),
    Action(
        "close", _("Close"), _call(services.incident_close), transition="close",
        style="success", success=_("Closed."), icon="bi-archive",
    ),
    Action(
        "reopen", _("Reopen"), _call(services.incident_reopen, reason="reason"),
        form=forms.ReasonForm, transition="reopen", style="outline-danger",
        success=_("Reopened."), icon="bi-arrow-counterclockwise",
    ),
    Action(
        "merge", _("Merge as duplicate"), _merge, form=forms.MergeForm, transition="merge",
        success=_("Merged."), icon="bi-intersect",
    ),
    Action(
        "escalate", _("Escalate"),
        _call(services.incident_escalate, reason="reason", level="level"),
        form=forms.EscalateForm, permission=perms.ESCALATE, style="outline-danger",
        success=_("Escalated."), icon="bi-arrow-up-circle",
    ),
    Action(
        "deescalate", _("De-escalate"), _call(services.incident_deescalate, reason="reason"),
        form=forms.ReasonForm, permission=perms.DEESCALATE,
        success=_("De-escalated."), icon="bi-arrow-down-circle",
    ),
    Action(
        "prioritize", _("Override priority"),
        _call(services.incident_override_priority, priority="priority", reason="reason"),
        form=forms.OverridePriorityForm, permission=perms.OVERRIDE_PRIORITY,
        success=_("Priority changed; clocks re-targeted."), icon="bi-sliders",
    ),
    Action(
        "assign", _("Assign"), _call(services.incident_assign, team="team", assignee="assignee"),
        form=forms.AssignForm, permission=perms.TRIAGE, success=_("Assigned."),
        icon="bi-person-check",
    ),
    Action(
        "declare-major", _("Declare major"),
        _call(services.incident_declare_major, reason="reason"), form=forms.ReasonForm,
        permission=perms.DECLARE_MAJOR, style="outline-danger", icon="bi-exclamation-octagon",
        success=_("Declared major; executives notified."),
    ),
    Action(
        "set-parent", _("Parent incident"),
        _call(services.incident_set_parent, parent_id="parent"), form=forms.ParentForm,
        permission=perms.TRIAGE, success=_("Link saved."), icon="bi-diagram-3",
    ),
    Action(
        "link-change", _("Caused by change"), _link_change, form=forms.ChangeLinkForm,
        permission=perms.TRIAGE, success=_("Link saved."), icon="bi-link-45deg",
    ),
    Action(
        "request-postmortem", _("Request a postmortem"),
        _call(services.incident_request_postmortem, reason="reason"), form=forms.ReasonForm,
        permission=perms.REQUEST_POSTMORTEM, success=_("Postmortem requested."),
        icon="bi-journal-plus",
    ),
]  # fmt: skip
ACTIONS: dict[str, Action] = {action.verb: action for action in _ALL}

FSM_TO_VERB = {a.transition: a.verb for a in ACTIONS.values() if a.transition}

EXTRA_CHECKS: dict[str, Callable[[Incident], bool]] = {
    "declare-major": lambda incident: not incident.is_major,
    "deescalate": lambda incident: incident.escalation_level > 1,
    "request-postmortem": lambda incident: incident.postmortem_requested_at is None,
}


def available_actions(incident: Incident, user) -> list[Action]:
    """Exactly the verbs this user may take now, in the order of ACTIONS."""
    fsm_names = {t.name for t in incident.get_available_user_status_transitions(user)}
    return [action for action in ACTIONS.values() if action.available(incident, user, fsm_names)]
