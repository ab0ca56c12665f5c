"""The transition matrix of a normal change: for every (state, action, role) what must happen.

One table, read by the service, API and page tests, so the three doors cannot drift apart.
"""

from changes.models import EARLY_STATES, Status

ROLES = ["requester", "implementer", "ops_leader", "ops_manager", "cab_member", "outsider"]
STATES = list(Status.values)
ASSESSORS = {"ops_leader", "ops_manager"}
SCHEDULERS = {"requester", "implementer", "ops_leader", "ops_manager"}
IMPLEMENTERS = {"implementer", "ops_manager"}
VERIFIERS = {"implementer", "ops_leader", "ops_manager"}

# action -> {source state: roles allowed there}
ALLOWED: dict[str, dict[str, set[str]]] = {
    "submit": {"draft": {"requester", "ops_manager"}},
    "assess": {"submitted": ASSESSORS},
    "request_approval": {"assessed": ASSESSORS},
    "approve": {"awaiting_approval": {"ops_manager"}},
    "reject": {"awaiting_approval": {"ops_manager"}},
    "vote": {"awaiting_approval": set()},  # a normal change is not decided by CAB vote
    "cancel": {state: {"requester", "ops_manager"} for state in EARLY_STATES},
    "schedule": {"approved": SCHEDULERS},
    "reschedule": {"scheduled": SCHEDULERS},
    "start": {"scheduled": IMPLEMENTERS},
    "finish": {"implementing": IMPLEMENTERS},
    "verify": {"verifying": VERIFIERS},
    "fail": {"verifying": VERIFIERS},
    "roll_back": {"failed": IMPLEMENTERS},
    "start_review": {"completed": ASSESSORS, "rolled_back": ASSESSORS},
    "close": {"completed": {"requester", "ops_leader", "ops_manager"}, "review": ASSESSORS},
}
TARGET = {
    "submit": "submitted",
    "assess": "assessed",
    "request_approval": "awaiting_approval",
    "approve": "approved",
    "reject": "rejected",
    "vote": "awaiting_approval",
    "cancel": "cancelled",
    "schedule": "scheduled",
    "reschedule": "scheduled",
    "start": "implementing",
    "finish": "verifying",
    "verify": "completed",
    "fail": "failed",
    "roll_back": "rolled_back",
    "start_review": "review",
    "close": "closed",
}
ACTIONS = list(ALLOWED)


def expected(state: str, action: str, role: str) -> str:
    """ "ok", "409" (not in this state) or "403" (not this role)."""
    sources = ALLOWED[action]
    if state not in sources:
        return "409"
    return "ok" if role in sources[state] else "403"


def inputs(action: str, change) -> dict:
    """The input each action needs; the same for the service, the API and the page."""
    return {
        "reject": {"comment": "not now"},
        "vote": {"decision": "approve", "comment": ""},
        "cancel": {"reason": "no longer needed"},
        "fail": {"reason": "errors in the API"},
        "roll_back": {"notes": "restored the snapshot"},
        "start_review": {"cause_analysis": "config drift"},
        "close": {"summary": "lessons learned"},
        "reschedule": {"planned_start": change.planned_start, "planned_end": change.planned_end},
    }.get(action, {})


def one_of_each() -> list[tuple[str, str, str]]:
    """A smaller matrix for the slower doors: every (state, action) with a role that would be
    allowed if the state were right, and every (action, role) in the action's source state."""
    cases = set()
    for action, sources in ALLOWED.items():
        allowed_somewhere = sorted(set().union(*sources.values())) or ["ops_manager"]
        for state in STATES:
            roles = sorted(sources.get(state, set())) or allowed_somewhere
            cases.add((state, action, roles[0]))
        for state in sources:
            for role in ROLES:
                cases.add((state, action, role))
    return sorted(cases)
