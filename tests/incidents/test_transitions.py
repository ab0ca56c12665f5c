"""The transition matrix: every (state, action, role) through the service, the API and the
page works or fails with the right error; the detail page offers exactly what works."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from incidents import services
from incidents.models import Incident, Status

from .factories import SYSTEM, drive, report

pytestmark = pytest.mark.django_db

STATES = [s.value for s in Status]
ROLES = ["reporter", "requester", "oncall", "ops_leader", "manager"]
RESPONDERS = {"oncall", "ops_leader"}

# action: (source states, target, roles allowed)
RULES = {
    "triage": ({"detected"}, "triaged", RESPONDERS),
    "acknowledge": ({"detected", "triaged"}, "acknowledged", RESPONDERS),
    "investigate": ({"acknowledged"}, "investigating", RESPONDERS),
    "wait": ({"acknowledged", "investigating"}, "waiting", RESPONDERS),
    "resume": ({"waiting"}, "investigating", RESPONDERS | {"reporter"}),
    "recover": ({"acknowledged", "investigating"}, "recovered", RESPONDERS),
    "verify": ({"recovered"}, "verified", RESPONDERS | {"reporter"}),
    "close": ({"verified"}, "closed", {"ops_leader"}),
    "reopen": ({"recovered", "verified", "closed"}, "investigating", RESPONDERS | {"reporter"}),
    "merge": (
        {"detected", "triaged", "acknowledged", "investigating", "waiting"},
        "merged",
        RESPONDERS,
    ),
}
INPUT = {
    "triage": {"scope": "one_function", "business_impact": "minor", "urgency": "planned"},
    "wait": {"question": "Which page?"},
    "resume": {"answer": "The login page."},
    "recover": {"summary": "Restarted the pods."},
    "reopen": {"reason": "It broke again."},
}
SERVICE = {
    "triage": services.incident_triage,
    "acknowledge": services.incident_acknowledge,
    "investigate": services.incident_investigate,
    "wait": services.incident_wait,
    "resume": services.incident_resume,
    "recover": services.incident_recover,
    "verify": services.incident_verify,
    "close": services.incident_close,
    "reopen": services.incident_reopen,
}


def expected(state: str, action: str, role: str) -> str:
    sources, _target, roles = RULES[action]
    if state not in sources:
        return "conflict"
    return "ok" if role in roles else "forbidden"


CASES = [
    pytest.param(state, action, role, id=f"{state}-{action}-{role}")
    for state in STATES
    for action in RULES
    for role in ROLES
]


def setup(world, state: str, action: str):
    incident = drive(world, report(world, priority="P4"), state)
    data = dict(INPUT.get(action, {}))
    if action == "merge":
        data = {"into": report(world, priority="P4", title="original").pk}
    return incident, data


@pytest.mark.parametrize(("state", "action", "role"), CASES)
def test_service(world, state, action, role):
    incident, data = setup(world, state, action)
    user = world.user(role)
    outcome = expected(state, action, role)
    if action == "merge":
        call = lambda: services.incident_merge(  # noqa: E731
            incident_id=incident.pk, into_id=data["into"], actor=user, source=SYSTEM
        )
    else:
        call = lambda: SERVICE[action](incident_id=incident.pk, actor=user, source=SYSTEM, **data)  # noqa: E731
    if outcome == "conflict":
        with pytest.raises(TransitionNotAllowed):
            call()
    elif outcome == "forbidden":
        with pytest.raises(PermissionDenied):
            call()
    else:
        assert call().status == RULES[action][1]
    if outcome != "ok":
        assert Incident.objects.get(pk=incident.pk).status == state


@pytest.mark.parametrize(("state", "action", "role"), CASES)
def test_api(world, api_client_for, state, action, role):
    incident, data = setup(world, state, action)
    response = api_client_for(world.user(role)).post(
        f"/api/v1/incidents/{incident.pk}/{action}/", data, format="json"
    )
    outcome = expected(state, action, role)
    if outcome == "ok":
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == RULES[action][1]
    elif outcome == "forbidden":
        assert response.status_code == 403
    else:
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "transition_not_allowed"


@pytest.mark.parametrize(("state", "action", "role"), CASES)
def test_page(world, client, state, action, role):
    incident, data = setup(world, state, action)
    client.force_login(world.user(role))
    form = {f"{action}-{key}": value for key, value in data.items()}
    response = client.post(reverse("incidents:action", args=[incident.pk, action]), form)
    outcome = expected(state, action, role)
    status = Incident.objects.get(pk=incident.pk).status
    if outcome == "forbidden":
        assert response.status_code == 403
        assert status == state
        return
    assert response.status_code == 302
    flashed = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    if outcome == "ok":
        assert status == RULES[action][1]
        assert flashed and flashed[0][0] == "success"
    else:
        assert status == state
        assert flashed == [("error", "This action is not allowed in the current state.")]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
def test_detail_page_offers_exactly_the_transitions_this_user_may_take(world, client, state, role):
    incident = drive(world, report(world, priority="P4"), state)
    client.force_login(world.user(role))
    page = client.get(incident.get_absolute_url()).content.decode()
    offered = set(re.findall(r'data-verb="([a-z-]+)"', page)) & set(RULES)
    assert offered == {a for a in RULES if expected(state, a, role) == "ok"}


def test_close_is_not_offered_before_the_postmortem_is_published(world, client):
    incident = drive(world, report(world, priority="P1"), Status.VERIFIED)
    client.force_login(world.user("ops_leader"))
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'data-verb="close"' not in page
    assert "can close only after its postmortem is published" in page
    response = client.post(reverse("incidents:action", args=[incident.pk, "close"]))
    assert response.status_code == 302
    assert "postmortem" in str(list(get_messages(response.wsgi_request))[0])


def test_api_close_without_postmortem_is_a_400_with_the_reason(world, api_client_for):
    incident = drive(world, report(world, priority="P1"), Status.VERIFIED)
    response = api_client_for(world.user("ops_leader")).post(
        f"/api/v1/incidents/{incident.pk}/close/"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "condition_failed"
