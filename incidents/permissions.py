"""Permission names of the incidents app and which role holds which (granted in apps.py)."""

from itsm import roles

VIEW = "incidents.view_incident"
ADD = "incidents.add_incident"
EDIT = "incidents.change_incident"
TRIAGE = "incidents.triage_incident"
WORK = "incidents.work_incident"
CLOSE = "incidents.close_incident"
ESCALATE = "incidents.escalate_incident"
DEESCALATE = "incidents.deescalate_incident"
OVERRIDE_PRIORITY = "incidents.override_priority"
DECLARE_MAJOR = "incidents.declare_major"
REQUEST_POSTMORTEM = "incidents.request_postmortem"
WRITE_POSTMORTEM = "incidents.change_postmortem"
PUBLISH_POSTMORTEM = "incidents.publish_postmortem"
MANAGE_ACTION_ITEMS = "incidents.change_actionitem"

POLICY_MODELS = [
    "prioritymatrixcell",
    "prioritypolicy",
    "escalationpolicy",
    "escalationlevel",
]


def lists_same_for_every_responder(request) -> bool:
    """Responders see every incident: their lists differ only by permissions, unless they
    ask for their own ("mine=1", "me"). Others see only their own (`visible_to`)."""
    asks_for_own = request.GET.get("mine") == "1" or any(
        value.strip().lower() == "me" for value in request.GET.values()
    )
    return not asks_for_own and request.user.has_perm(VIEW)


_RESPONDER = [VIEW, ADD, EDIT, WORK, WRITE_POSTMORTEM, MANAGE_ACTION_ITEMS]
_FIRST_LINE = [*_RESPONDER, TRIAGE, ESCALATE, DECLARE_MAJOR]
_LEADS = [
    *_FIRST_LINE,
    CLOSE,
    DEESCALATE,
    OVERRIDE_PRIORITY,
    REQUEST_POSTMORTEM,
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    roles.REQUESTER: [VIEW, ADD],
    roles.ONCALL: _FIRST_LINE,
    roles.OPS_LEADER: _LEADS,
    roles.OPS_MANAGER: [*_LEADS, PUBLISH_POSTMORTEM],
    roles.DEVELOPER: _RESPONDER,
    roles.EXECUTIVE: [VIEW],
    roles.CAB_MEMBER: [VIEW, ADD],
    roles.MANAGER: [VIEW, ADD, REQUEST_POSTMORTEM, PUBLISH_POSTMORTEM],
    roles.ADMINISTRATOR: [
        *_LEADS,
        PUBLISH_POSTMORTEM,
        "incidents.delete_incident",
        *(
            f"incidents.{verb}_{model}"
            for model in POLICY_MODELS
            for verb in ("add", "change", "delete", "view")
        ),
    ],
}
