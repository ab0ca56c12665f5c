"""Every (stage, action, role) through the service, the API and the page: it works and lands
in the right stage, or it fails with the right error (409 wrong stage, 403 not allowed).

Gates are met here (their own tests refuse them one by one), so the matrix isolates the
state machine and the role permissions.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from itsm import roles
from releases import services
from releases.models import Release, Stage

from .factories import canary_params, release_in

pytestmark = pytest.mark.django_db

ROLES = [
    roles.REQUESTER,
    roles.ONCALL,
    roles.DEVELOPER,
    roles.OPS_LEADER,
    roles.OPS_MANAGER,
    roles.MANAGER,
    roles.ADMINISTRATOR,
]
BUILDERS = {roles.DEVELOPER, roles.OPS_LEADER, roles.OPS_MANAGER, roles.ADMINISTRATOR}
OPS = {roles.OPS_LEADER, roles.OPS_MANAGER, roles.ADMINISTRATOR}
ALLOWED_ROLES = {
    "start_testing": BUILDERS,
    "fail_test": BUILDERS,
    "promote_to_staging": BUILDERS,
    "fail_staging": BUILDERS,
    "start_canary": BUILDERS,
    "promote_to_production": OPS,
    "complete": OPS,
    "rollback": BUILDERS | {roles.ONCALL},
    "cancel": OPS,
}
# (action, from stage) → to stage; anything else is refused with 409.
MOVES = {
    ("start_testing", Stage.DEVELOPMENT): Stage.TEST,
    ("fail_test", Stage.TEST): Stage.DEVELOPMENT,
    ("promote_to_staging", Stage.TEST): Stage.STAGING,
    ("fail_staging", Stage.STAGING): Stage.DEVELOPMENT,
    ("start_canary", Stage.STAGING): Stage.CANARY,
    ("promote_to_production", Stage.STAGING): Stage.PRODUCTION,
    ("promote_to_production", Stage.CANARY): Stage.PRODUCTION,
    ("rollback", Stage.CANARY): Stage.ROLLED_BACK,
    ("rollback", Stage.PRODUCTION): Stage.ROLLED_BACK,
    ("complete", Stage.PRODUCTION): Stage.DONE,
    ("cancel", Stage.DEVELOPMENT): Stage.CANCELLED,
    ("cancel", Stage.TEST): Stage.CANCELLED,
    ("cancel", Stage.STAGING): Stage.CANCELLED,
}
CASES = [
    (stage, verb, role) for stage in Stage.values for verb in services.TRANSITIONS for role in ROLES
]


def expected(stage, verb, role):
    if (verb, stage) not in MOVES:
        return "409"
    if role not in ALLOWED_ROLES[verb]:
        return "403"
    return MOVES[(verb, stage)]


def setup_release(stage, verb):
    uses_canary = stage == Stage.CANARY or verb == "start_canary"
    return release_in(stage, **(canary_params() if uses_canary else {}))


@pytest.fixture(autouse=True)
def _change(approved_change):
    approved_change("normal")


def _id(case):
    return "-".join(case)


@pytest.mark.parametrize(("stage", "verb", "role"), CASES, ids=map(_id, CASES))
def test_service(stage, verb, role, user_for):
    release = setup_release(stage, verb)
    want = expected(stage, verb, role)
    try:
        result = services.release_transition(
            release_id=release.pk, verb=verb, actor=user_for(role), source="web", reason="why"
        )
    except TransitionNotAllowed:
        got = "409"
    except PermissionDenied:
        got = "403"
    else:
        got = result.stage
        assert Release.objects.get(pk=release.pk).stage == want
    assert got == want


@pytest.mark.parametrize(("stage", "verb", "role"), CASES, ids=map(_id, CASES))
def test_api(stage, verb, role, user_for, api_client_for):
    release = setup_release(stage, verb)
    want = expected(stage, verb, role)
    url = f"/api/v1/releases/{release.pk}/{verb.replace('_', '-')}/"
    response = api_client_for(user_for(role)).post(url, {"reason": "why"}, format="json")
    if want in ("409", "403"):
        assert response.status_code == int(want), response.content
        assert response.json()["error"]["message"]
        assert Release.objects.get(pk=release.pk).stage == stage
    else:
        assert response.status_code == 200, response.content
        assert response.json()["stage"] == want


@pytest.mark.parametrize(("stage", "verb", "role"), CASES, ids=map(_id, CASES))
def test_page(stage, verb, role, user_for, client):
    release = setup_release(stage, verb)
    want = expected(stage, verb, role)
    client.force_login(user_for(role))
    response = client.post(
        reverse("releases:transition", args=[release.pk, verb]), {"reason": "why"}, follow=True
    )
    stored = Release.objects.get(pk=release.pk).stage
    if want == "403":
        assert response.status_code == 403
        assert stored == stage
    elif want == "409":
        assert response.status_code == 200
        assert "not allowed in the current state" in response.content.decode()
        assert stored == stage
    else:
        assert response.status_code == 200
        assert stored == want
