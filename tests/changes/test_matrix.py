"""State × action × role through the service, the API (409 / 403) and the page."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from changes import services as svc
from changes.models import Change
from itsm import roles
from itsm.errors import Conflict, DomainError
from tests.changes.factories import change_in_state, role_user
from tests.changes.matrix import (
    ACTIONS,
    ROLES,
    STATES,
    TARGET,
    expected,
    inputs,
    one_of_each,
)

pytestmark = pytest.mark.django_db

GROUP = {
    "requester": roles.REQUESTER,
    "implementer": roles.REQUESTER,
    "ops_leader": roles.OPS_LEADER,
    "ops_manager": roles.OPS_MANAGER,
    "cab_member": roles.CAB_MEMBER,
    "outsider": roles.REQUESTER,
}
SERVICE = {
    "submit": svc.change_submit,
    "assess": svc.change_assess,
    "request_approval": svc.change_request_approval,
    "approve": svc.change_approve,
    "reject": svc.change_reject,
    "vote": svc.change_vote,
    "cancel": svc.change_cancel,
    "schedule": svc.change_schedule,
    "reschedule": svc.change_reschedule,
    "start": svc.change_start,
    "finish": svc.change_finish,
    "verify": svc.change_verify,
    "fail": svc.change_fail,
    "roll_back": svc.change_roll_back,
    "start_review": svc.change_start_review,
    "close": svc.change_close,
}
FULL = [(s, a, r) for s in STATES for a in ACTIONS for r in ROLES]


@pytest.fixture
def case(db):
    def build(state: str, role: str):
        users = {r: role_user(GROUP[r], username=r) for r in ROLES}
        change = change_in_state(
            state, requester=users["requester"], implementer=users["implementer"]
        )
        return change, users[role]

    return build


def assert_outcome(change, before, action, outcome, state, role):
    assert outcome == expected(state, action, role), (state, action, role, outcome)
    status = Change.objects.get(pk=change.pk).status
    assert status == (TARGET[action] if outcome == "ok" else before)


@pytest.mark.parametrize(("state", "action", "role"), FULL)
def test_service(case, state, action, role):
    change, actor = case(state, role)
    try:
        SERVICE[action](change_id=change.pk, actor=actor, source="web", **inputs(action, change))
        outcome = "ok"
    except (TransitionNotAllowed, Conflict):
        outcome = "409"
    except PermissionDenied:
        outcome = "403"
    except DomainError as exc:
        outcome = f"400 {exc.message}"
    assert_outcome(change, state, action, outcome, state, role)


def _json(data: dict) -> dict:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}


@pytest.mark.parametrize(("state", "action", "role"), one_of_each())
def test_api(case, api_client_for, state, action, role):
    change, actor = case(state, role)
    url = f"/api/v1/changes/{change.pk}/{action.replace('_', '-')}/"
    response = api_client_for(actor).post(url, _json(inputs(action, change)), format="json")
    outcome = {200: "ok", 409: "409", 403: "403"}.get(response.status_code, response.content)
    assert_outcome(change, state, action, outcome, state, role)
    if response.status_code == 200:
        assert response.json()["status"] == TARGET[action]
    else:
        assert response.json()["error"]["message"]


def _form(data: dict) -> dict:
    return {
        k: timezone.localtime(v, timezone.get_current_timezone()).strftime("%Y-%m-%dT%H:%M")
        if hasattr(v, "isoformat")
        else v
        for k, v in data.items()
    }


@pytest.mark.parametrize(("state", "action", "role"), one_of_each())
def test_page(case, client, state, action, role, settings):
    change, actor = case(state, role)
    client.force_login(actor)
    if action == "reschedule":  # the form works in minutes: keep the window whole minutes
        Change.objects.filter(pk=change.pk).update(
            planned_start=change.planned_start.replace(second=0, microsecond=0),
            planned_end=change.planned_end.replace(second=0, microsecond=0),
        )
        change.refresh_from_db()
    with timezone.override(actor.time_zone):
        data = _form(inputs(action, change))
    response = client.post(reverse("changes:transition", args=[change.pk, action]), data)
    if response.status_code == 403:
        outcome = "403"
    else:
        assert response.status_code == 302
        notes = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
        if any(level == "success" for level, _text in notes):
            outcome = "ok"
        elif any("not allowed in the current state" in text for _level, text in notes):
            outcome = "409"
        else:
            outcome = str(notes)
    assert_outcome(change, state, action, outcome, state, role)


def test_the_matrix_covers_every_transition_of_the_model():
    names = {t.name for t in Change._meta.get_field("status").get_all_transitions(Change)}
    assert names - {"approve_from_template"} == set(ACTIONS)
